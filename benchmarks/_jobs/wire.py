"""HTTP/1.1 written by hand on an asyncio TLS stream: the floor the clients are compared with."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator

from .._loopback import require_loopback

__all__ = ["client_context", "read_answer", "split_address", "tls_stream"]


def split_address(address: str) -> tuple[str, int]:
    """``host`` and ``port`` of a ``host:port`` address, checked to be loopback."""
    host, _, port = require_loopback(address).rpartition(":")
    return host, int(port)


def client_context(ca: str) -> ssl.SSLContext:
    """Like the library's: trust ``ca`` only, no name check (devices share a wildcard name)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    context.set_alpn_protocols(["http/1.1"])
    context.load_verify_locations(cafile=ca)
    return context


@contextlib.asynccontextmanager
async def tls_stream(
    host: str, port: int, ca: str
) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """One TLS connection to ``host:port`` trusting ``ca``, closed on the way out."""
    reader, writer = await asyncio.open_connection(host, port, ssl=client_context(ca))
    try:
        yield reader, writer
    finally:
        writer.close()
        await writer.wait_closed()


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Read one answer: its status and body (a ``100 Continue`` is skipped)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    if status == 100:
        return await read_answer(reader)
    return status, body
