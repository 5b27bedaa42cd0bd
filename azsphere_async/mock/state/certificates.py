"""The certificate store: what ``/certstore`` holds, and the space it has left."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..certs import StoredCertificate, check_identifier, parse_certificate_request
from ..errors import Code, DeviceRefusal
from .records import DiagnosticLog

__all__ = ["CertificateStore"]


class CertificateStore(Mapping[str, StoredCertificate]):
    """Certificates by identifier, in the order they were added; a read-only mapping.

    ``on_change`` is called after every addition or removal (Wi-Fi networks that use the
    store look again).
    """

    def __init__(self, capacity: int, log: DiagnosticLog) -> None:
        self.capacity = capacity
        """Bytes of store space when empty."""
        self.log = log
        self.on_change: Callable[[], None] | None = None
        self._certificates: dict[str, StoredCertificate] = {}

    def __getitem__(self, identifier: str) -> StoredCertificate:
        return self._certificates[identifier]

    def __iter__(self) -> Iterator[str]:
        return iter(self._certificates)

    def __len__(self) -> int:
        return len(self._certificates)

    def __repr__(self) -> str:
        return f"CertificateStore({list(self._certificates)!r})"

    @property
    def space(self) -> int:
        """Bytes left in the store."""
        used = sum(cert.size for cert in self._certificates.values())
        return max(0, self.capacity - used)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def _certificate(self, identifier: str) -> StoredCertificate:
        check_identifier(identifier)
        cert = self._certificates.get(identifier)
        if cert is None:
            raise DeviceRefusal(404, Code.CERT_NOT_FOUND)
        return cert

    def list_certificates(self) -> dict[str, Any]:
        """``GET /certstore/certs``."""
        return {"identifiers": list(self._certificates)}

    def get_certificate(self, identifier: str) -> dict[str, Any]:
        """``GET /certstore/certs/{identifier}``."""
        return self._certificate(identifier).info()

    def add_certificate(self, identifier: str, body: Any) -> dict[str, Any]:
        """``POST /certstore/certs/{identifier}`` (an existing identifier is replaced)."""
        check_identifier(identifier)
        cert = parse_certificate_request(identifier, body)
        existing = self._certificates.get(identifier)
        available = self.space + (existing.size if existing is not None else 0)
        if cert.size > available:
            raise DeviceRefusal(400, Code.CERT_STORE_FULL)
        self._certificates[identifier] = cert
        self.log.record("certstore", "CertificateAdded", identifier, cert.cert_type)
        self._changed()
        return {}

    def remove_certificate(self, identifier: str) -> dict[str, Any]:
        """``DELETE /certstore/certs/{identifier}``."""
        self._certificate(identifier)
        del self._certificates[identifier]
        self.log.record("certstore", "CertificateRemoved", identifier)
        self._changed()
        return {}

    def get_space(self) -> dict[str, Any]:
        """``GET /certstore/space`` (a string of bytes, as devices send it)."""
        return {"AvailableSpace": str(self.space)}
