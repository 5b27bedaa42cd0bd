"""A test certificate authority for mock devices (made with trustme at start)."""

from __future__ import annotations

import os
import ssl
from pathlib import Path
from typing import Final

import trustme

__all__ = ["DEVICE_HOST_NAME", "MockCA"]

DEVICE_HOST_NAME: Final = "*.devices.sphere.azure.local"
"""The wildcard name real device certificates carry (mock certificates carry it too)."""


class MockCA:
    """A throw-away CA; each device certificate chains to it.

    Device certificates carry the subject alternative names ``*.devices.sphere.azure.local``
    and the IP address the device listens on, so clients may check either the chain alone,
    the wildcard name, or the IP.
    """

    def __init__(self) -> None:
        self._ca = trustme.CA(
            organization_name="azsphere-async mock",
            organization_unit_name="Azure Sphere Device (mock)",
        )
        self.cert_pem: bytes = self._ca.cert_pem.bytes()
        """The CA certificate, PEM."""

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the CA certificate (PEM) to ``path`` and return the path."""
        target = Path(path)
        target.write_bytes(self.cert_pem)
        return target

    def client_ssl_context(self) -> ssl.SSLContext:
        """A new client context that trusts this CA only (host names are checked)."""
        return ssl.create_default_context(cadata=self.cert_pem.decode("ascii"))

    def server_ssl_context(self, ip: str) -> ssl.SSLContext:
        """A server context with a fresh certificate for a device listening on ``ip``."""
        leaf = self._ca.issue_cert(DEVICE_HOST_NAME, ip, common_name=DEVICE_HOST_NAME)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        leaf.configure_cert(context)
        context.set_alpn_protocols(["http/1.1"])
        return context
