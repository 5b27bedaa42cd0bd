"""Certificate store checks: what a device accepts in ``POST /certstore/certs/{identifier}``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from .errors import Code, DeviceRefusal

__all__ = ["StoredCertificate", "check_identifier", "parse_certificate_request"]

MAX_IDENTIFIER: Final = 16
MAX_PEM: Final = 8192
MAX_PASSWORD: Final = 256
_IDENTIFIER_CHARS: Final = re.compile(r"[A-Za-z0-9._-]+")
_PEM_BLOCK: Final = re.compile(
    r"-----BEGIN ([A-Z0-9 ]+)-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END \1-----"
)
_CERT_TYPES: Final = {"client": "client", "rootca": "rootca"}
_SHORT_NAMES: Final = {
    NameOID.COMMON_NAME: "CN",
    NameOID.ORGANIZATION_NAME: "O",
    NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
    NameOID.COUNTRY_NAME: "C",
    NameOID.STATE_OR_PROVINCE_NAME: "ST",
    NameOID.LOCALITY_NAME: "L",
    NameOID.EMAIL_ADDRESS: "emailAddress",
    NameOID.DOMAIN_COMPONENT: "DC",
    NameOID.SERIAL_NUMBER: "serialNumber",
}
# Per-certificate bookkeeping the store spends besides the PEM text.
_ENTRY_OVERHEAD: Final = 64


@dataclass(frozen=True)
class StoredCertificate:
    """A certificate in the device's store."""

    identifier: str
    cert_type: str
    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    size: int
    """Bytes of store space it takes."""

    def info(self) -> dict[str, Any]:
        """The ``CertInfo`` answer of ``GET /certstore/certs/{identifier}``."""
        return {
            "id": self.identifier,
            "notBefore": self.not_before.strftime("%Y-%m-%dT%H:%M:%S"),
            "notAfter": self.not_after.strftime("%Y-%m-%dT%H:%M:%S"),
            "subjectName": self.subject,
            "issuerName": self.issuer,
        }


def check_identifier(identifier: str) -> None:
    """Refuse identifiers a device refuses (bad characters, longer than 16)."""
    if not identifier or not _IDENTIFIER_CHARS.fullmatch(identifier):
        raise DeviceRefusal(400, Code.CERT_INVALID_ID)
    if len(identifier) > MAX_IDENTIFIER:
        raise DeviceRefusal(400, Code.CERT_ID_TOO_LONG)


def _openssl_name(name: x509.Name) -> str:
    parts = []
    for rdn in name.rdns:
        for attribute in rdn:
            label = _SHORT_NAMES.get(attribute.oid, attribute.oid.dotted_string)
            value = attribute.value
            parts.append(f"/{label}={value.decode() if isinstance(value, bytes) else value}")
    return "".join(parts)


def _pem_blocks(text: str) -> list[str]:
    return [match.group(1) for match in _PEM_BLOCK.finditer(text)]


def _load_key(pem: str, password: str | None) -> Any:
    encrypted = "ENCRYPTED" in "".join(_pem_blocks(pem)) or "Proc-Type: 4,ENCRYPTED" in pem
    if password is not None and not encrypted:
        raise DeviceRefusal(400, Code.CERT_PASSWORD_UNEXPECTED)
    try:
        return serialization.load_pem_private_key(
            pem.encode(), password=password.encode() if password is not None else None
        )
    except (ValueError, TypeError) as exc:
        raise DeviceRefusal(400, Code.CERT_KEY_INVALID) from exc


def _public_bytes(key: Any) -> bytes:
    raw: bytes = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return raw


def parse_certificate_request(identifier: str, body: Any) -> StoredCertificate:
    """Check an add-certificate request body and return what the store would keep."""
    if not isinstance(body, dict):
        raise DeviceRefusal(400, Code.EINVAL)
    cert_type = body.get("certType")
    if not isinstance(cert_type, str) or cert_type.lower() not in _CERT_TYPES:
        raise DeviceRefusal(400, Code.CERT_INVALID_TYPE)
    kind = _CERT_TYPES[cert_type.lower()]
    public = body.get("publicCert")
    private = body.get("privateKey")
    password = body.get("password")
    if not isinstance(public, str) or not public.strip():
        raise DeviceRefusal(400, Code.CERT_PUBLIC_INVALID)
    if len(public) > MAX_PEM:
        raise DeviceRefusal(400, Code.CERT_PUBLIC_TOO_LONG)
    if private is not None and not isinstance(private, str):
        raise DeviceRefusal(400, Code.CERT_KEY_INVALID)
    if password is not None and not isinstance(password, str):
        raise DeviceRefusal(400, Code.EINVAL)
    if kind == "rootca":
        if private is not None:
            raise DeviceRefusal(400, Code.CERT_KEY_NOT_ALLOWED)
        if password is not None:
            raise DeviceRefusal(400, Code.CERT_PASSWORD_NOT_ALLOWED)
    if "-----BEGIN CERTIFICATE-----" not in public:
        raise DeviceRefusal(400, Code.CERT_NOT_PEM)
    try:
        certificate = x509.load_pem_x509_certificate(public.encode())
    except ValueError as exc:
        raise DeviceRefusal(400, Code.CERT_PUBLIC_INVALID) from exc
    if kind == "client":
        if private is None or not private.strip():
            raise DeviceRefusal(400, Code.CERT_KEY_INVALID)
        if len(private) > MAX_PEM:
            raise DeviceRefusal(400, Code.CERT_KEY_TOO_LONG)
        if password is not None and len(password) > MAX_PASSWORD:
            raise DeviceRefusal(400, Code.CERT_PASSWORD_TOO_LONG)
        key = _load_key(private, password)
        if _public_bytes(key.public_key()) != _public_bytes(certificate.public_key()):
            raise DeviceRefusal(400, Code.CERT_KEY_MISMATCH)
    return StoredCertificate(
        identifier=identifier,
        cert_type=kind,
        subject=_openssl_name(certificate.subject),
        issuer=_openssl_name(certificate.issuer),
        not_before=certificate.not_valid_before_utc.replace(tzinfo=None),
        not_after=certificate.not_valid_after_utc.replace(tzinfo=None),
        size=len(public) + len(private or "") + _ENTRY_OVERHEAD,
    )
