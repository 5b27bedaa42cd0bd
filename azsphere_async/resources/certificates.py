"""Certificate store calls: add, list, show, free space and remove."""

from __future__ import annotations

import builtins
import os
from typing import Final

import anyio

from ..errors import InvalidArgumentError
from ..models import (
    CertificateInfo,
    CertificateList,
    CertificateSpace,
    CertificateType,
    CertificateUpload,
)
from ..validation import check_cert_id, check_choice, check_text, mask, shown_secret
from ._base import Resource

__all__ = ["CertificatesResource", "certificate_upload"]

#: The longest PEM text the device takes for a certificate or a key.
MAX_PEM_CHARACTERS: Final = 8192
#: The longest password for an encrypted private key.
MAX_KEY_PASSWORD_CHARACTERS: Final = 256

PemSource = str | os.PathLike[str]


def _looks_like_pem(text: str) -> bool:
    return "-----BEGIN " in text and "-----END " in text


async def _read_pem(value: object, argument: str, *, secret: bool) -> str:
    """PEM text given directly, or read from the path given; checked against the device's limits."""
    allowed = f"PEM text (at most {MAX_PEM_CHARACTERS} characters) or the path of a file holding it"
    if isinstance(value, str) and "-----BEGIN " in value:
        text, shown = value, (mask(value) if secret else repr(value[:40] + "..."))
    elif isinstance(value, str | os.PathLike) and str(value).strip():
        path = anyio.Path(os.fspath(value))
        try:
            is_file = await path.is_file()
        except (OSError, ValueError):  # for example a name too long to be a path
            is_file = False
        # A secret that is neither PEM nor the path of a file is never echoed back.
        shown = repr(str(path)) if is_file or not secret else mask(str(value))
        # The error is raised after the except blocks, so that no exception naming the
        # path (which may be a mistyped secret) stays reachable as its context.
        problem: str | None = None
        try:
            async with await anyio.open_file(path, "rb") as stream:
                raw = await stream.read(4 * MAX_PEM_CHARACTERS + 1)
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            problem = "not ASCII text"
        except (OSError, ValueError) as exc:
            problem = exc.strerror if isinstance(exc, OSError) and exc.strerror else "unreadable"
        if problem is not None:
            raise InvalidArgumentError(argument, f"{shown} ({problem})", allowed)
    else:
        shown = mask(value) if secret and isinstance(value, str) else repr(type(value).__name__)
        raise InvalidArgumentError(argument, shown, allowed)
    if not _looks_like_pem(text):
        raise InvalidArgumentError(argument, shown, allowed + " (with -----BEGIN/-----END lines)")
    if len(text) > MAX_PEM_CHARACTERS:
        raise InvalidArgumentError(argument, f"{shown} of {len(text)} characters", allowed)
    return text


def _check_cert_type(value: object) -> CertificateType:
    # The API description spells the types "Client" and "RootCA"; devices want lower case.
    lowered = (
        value.lower()
        if isinstance(value, str) and not isinstance(value, CertificateType)
        else value
    )
    try:
        return check_choice(lowered, CertificateType, "cert_type")
    except InvalidArgumentError as exc:
        raise InvalidArgumentError("cert_type", repr(value), exc.allowed) from None


async def certificate_upload(
    cert_id: str,
    *,
    cert_type: CertificateType | str,
    public_cert: PemSource,
    private_key: PemSource | None = None,
    password: str | None = None,
) -> tuple[str, CertificateUpload]:
    """Check a certificate to install, reading its PEM files, before any traffic.

    Returns the checked identifier and the request body, whose ``public_cert`` and
    ``private_key`` are the PEM texts. The checks of :meth:`CertificatesResource.add` (which
    calls this), for callers that read and check once for many boards; raises
    :class:`~azsphere_async.errors.InvalidArgumentError`.
    """
    identifier = check_cert_id(cert_id)
    kind = _check_cert_type(cert_type)
    if kind is CertificateType.CLIENT and private_key is None:
        raise InvalidArgumentError(
            "private_key", "None", "the client certificate's private key (PEM text or path)"
        )
    if kind is CertificateType.ROOT_CA:
        if private_key is not None:
            raise InvalidArgumentError(
                "private_key",
                "a private key (not shown)",
                "None: a rootca certificate is installed without a private key",
            )
        if password is not None:
            raise InvalidArgumentError(
                "password",
                shown_secret(password, "a password"),
                "None: a rootca certificate is installed without a key password",
            )
    if password is not None:
        check_text(
            password,
            "password",
            min_length=1,
            max_length=MAX_KEY_PASSWORD_CHARACTERS,
            secret=True,
        )
    public_text = await _read_pem(public_cert, "public_cert", secret=False)
    key_text = (
        None if private_key is None else await _read_pem(private_key, "private_key", secret=True)
    )
    return identifier, CertificateUpload(
        cert_type=kind, public_cert=public_text, private_key=key_text, password=password
    )


class CertificatesResource(Resource):
    """The device's certificate store, with certificates addressed by identifier."""

    group = "certificates"

    async def add(
        self,
        cert_id: str,
        *,
        cert_type: CertificateType | str,
        public_cert: PemSource,
        private_key: PemSource | None = None,
        password: str | None = None,
    ) -> None:
        """Install a certificate under ``cert_id``.

        ``public_cert`` and ``private_key`` are PEM text or paths of PEM files. A ``client``
        certificate needs its ``private_key`` (and ``password`` if the key is encrypted); a
        ``rootca`` certificate takes neither.
        """
        identifier, body = await certificate_upload(
            cert_id,
            cert_type=cert_type,
            public_cert=public_cert,
            private_key=private_key,
            password=password,
        )
        await self._send("POST", f"/certstore/certs/{identifier}", body=body)

    async def list(self) -> builtins.list[str]:
        """The identifiers of every installed certificate."""
        listing = await self._get("/certstore/certs", CertificateList)
        return builtins.list(listing.identifiers or ())

    async def get(self, cert_id: str) -> CertificateInfo:
        """One certificate's identifier, validity period, subject and issuer."""
        identifier = check_cert_id(cert_id)
        return await self._get(f"/certstore/certs/{identifier}", CertificateInfo)

    async def get_space(self) -> CertificateSpace:
        """How many bytes are free in the certificate store."""
        return await self._get("/certstore/space", CertificateSpace)

    async def remove(self, cert_id: str) -> None:
        """Delete the certificate installed under ``cert_id``."""
        identifier = check_cert_id(cert_id)
        await self._send("DELETE", f"/certstore/certs/{identifier}")
