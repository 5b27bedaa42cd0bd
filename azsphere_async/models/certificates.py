"""Models of the certificate store calls."""

from __future__ import annotations

from datetime import datetime

import attrs

from ._wire import CERT_TIMESTAMP, DECIMAL_STRING, TolerantStrEnum, WireField, wire

__all__ = [
    "CertificateInfo",
    "CertificateList",
    "CertificateSpace",
    "CertificateType",
    "CertificateUpload",
]


class CertificateType(TolerantStrEnum):
    """The kind of certificate to add; devices expect these lower-case spellings."""

    CLIENT = "client"
    ROOT_CA = "rootca"


@wire()
@attrs.frozen(kw_only=True)
class CertificateList:
    """``GET /certstore/certs``: the identifiers of the installed certificates."""

    identifiers: tuple[str, ...] | None = None


@wire(not_before=CERT_TIMESTAMP, not_after=CERT_TIMESTAMP)
@attrs.frozen(kw_only=True)
class CertificateInfo:
    """``GET /certstore/certs/{identifier}``: one certificate's identity and validity (UTC)."""

    id: str | None = None
    not_before: datetime | None = None
    not_after: datetime | None = None
    subject_name: str | None = None
    issuer_name: str | None = None


@wire(available_bytes=WireField("AvailableSpace", DECIMAL_STRING))
@attrs.frozen(kw_only=True)
class CertificateSpace:
    """``GET /certstore/space``: free bytes in the certificate store (a string on the wire)."""

    available_bytes: int


@wire()
@attrs.frozen(kw_only=True)
class CertificateUpload:
    """The body of ``POST /certstore/certs/{identifier}``; key and password stay out of reprs."""

    cert_type: CertificateType
    public_cert: str = attrs.field(repr=lambda text: f"<PEM of {len(text)} characters>")
    private_key: str | None = attrs.field(default=None, repr=False)
    password: str | None = attrs.field(default=None, repr=False)
