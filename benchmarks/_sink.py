"""A bare TLS sink: the cheapest HTTPS server that a device client can talk to.

Run as ``python -m benchmarks._sink --cert C --key K [--host 127.0.0.1] [--port 0]``. It reads
every request, discards the body (``recv_into`` one reusable buffer), answers ``100 Continue``
when asked, and answers every request ``200`` with the body ``{}`` and a ``REST-API-Version``
header, keeping the connection alive. One thread per connection, blocking sockets: the server
does as little as possible so that a benchmark sees the client's own cost.

It prints one JSON line ``{"ready": true, "host": ..., "port": ...}`` once it listens, and exits
when its standard input closes, printing ``{"stats": {...}}`` (its own CPU seconds, bytes and
requests) first. Loopback addresses only.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import ssl
import sys
import threading
from typing import Any, Final

from ._loopback import install_guard, require_loopback

__all__ = ["main"]

_BUFFER: Final = 256 * 1024
_MAX_HEADER: Final = 64 * 1024


class _Counters:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.body_bytes = 0
        self.connections = 0


def _peak_rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _answer(version: str) -> bytes:
    return (
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: application/json\r\n"
        f"REST-API-Version: {version}\r\n"
        "Content-Length: 2\r\n"
        "\r\n"
        "{}"
    ).encode("ascii")


def _serve(raw: socket.socket, context: ssl.SSLContext, answer: bytes, counters: _Counters) -> None:
    try:
        conn = context.wrap_socket(raw, server_side=True)
    except (OSError, ssl.SSLError):
        raw.close()
        return
    buffer = bytearray(_BUFFER)
    view = memoryview(buffer)
    pending = b""
    try:
        with conn:
            while True:
                # Headers: read until the blank line.
                while b"\r\n\r\n" not in pending:
                    if len(pending) > _MAX_HEADER:
                        return
                    data = conn.recv(65536)
                    if not data:
                        return
                    pending += data
                head, _, pending = pending.partition(b"\r\n\r\n")
                length = 0
                expect = False
                chunked = False
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    key = name.strip().lower()
                    if key == b"content-length":
                        length = int(value.strip())
                    elif key == b"expect" and value.strip().lower() == b"100-continue":
                        expect = True
                    elif key == b"transfer-encoding":
                        chunked = True
                if chunked:
                    conn.sendall(b"HTTP/1.1 411 Length Required\r\nContent-Length: 0\r\n\r\n")
                    return
                if expect and len(pending) < length:
                    conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                # Body: what came with the headers, then straight into the reusable buffer.
                taken = min(len(pending), length)
                pending = pending[taken:]
                remaining = length - taken
                while remaining > 0:
                    got = conn.recv_into(view, min(_BUFFER, remaining))
                    if not got:
                        return
                    remaining -= got
                conn.sendall(answer)
                with counters.lock:
                    counters.requests += 1
                    counters.body_bytes += length
    except (OSError, ssl.SSLError, ValueError):
        return


def main(argv: list[str] | None = None) -> None:
    """Serve until standard input closes."""
    install_guard()
    parser = argparse.ArgumentParser(prog="python -m benchmarks._sink", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cert", required=True, help="PEM file with the certificate chain")
    parser.add_argument("--key", required=True, help="PEM file with the private key")
    parser.add_argument("--rest-api-version", default="4.6.0")
    args = parser.parse_args(argv)
    require_loopback(args.host)

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    context.set_alpn_protocols(["http/1.1"])
    answer = _answer(args.rest_api_version)
    counters = _Counters()

    listener = socket.create_server((args.host, args.port), backlog=128)
    host, port = listener.getsockname()[:2]
    print(json.dumps({"ready": True, "host": host, "port": port, "pid": os.getpid()}), flush=True)

    def accept_loop() -> None:
        while True:
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            counters.connections += 1
            threading.Thread(
                target=_serve, args=(raw, context, answer, counters), daemon=True
            ).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    sys.stdin.read()  # returns when the harness closes our standard input
    usage = resource.getrusage(resource.RUSAGE_SELF)
    stats: dict[str, Any] = {
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "requests": counters.requests,
        "body_bytes": counters.body_bytes,
        "connections": counters.connections,
        "peak_rss_kib": _peak_rss_kib(),
    }
    print(json.dumps({"stats": stats}), flush=True)
    listener.close()
    os._exit(0)


if __name__ == "__main__":
    main()
