"""TLS set-up: trusting the Azure Sphere device CA, and only that CA.

A real device presents a certificate that chains to the "Azure Sphere Device" CA shipped in
this package. The name in that certificate is the wildcard ``*.devices.sphere.azure.local``,
shared by every device and never the IP address the client dials, so checking the name would
add nothing: verification checks the chain against the one trusted CA, never the system store.

Building an ``ssl.SSLContext`` costs about half a millisecond and some memory, so contexts are
built once and shared by every connection (:func:`default_ssl_context` is cached).
"""

from __future__ import annotations

import logging
import os
import ssl
import weakref
from functools import cache
from importlib import resources

from .errors import InvalidArgumentError
from .validation import check_bool

__all__ = ["DEVICE_CA_PEM", "CAInput", "default_ssl_context", "make_ssl_context"]

logger = logging.getLogger("azsphere_async")

#: A CA to trust: a PEM file path, PEM text or bytes, or a ready ``ssl.SSLContext``.
CAInput = str | os.PathLike[str] | bytes | ssl.SSLContext

#: The PEM text of the Azure Sphere device CA shipped in the package.
DEVICE_CA_PEM: str = (
    resources.files("azsphere_async").joinpath("data/azure-sphere-device-ca.pem").read_text()
)


def _base_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # Every device shares the wildcard name, so the chain is what proves a device genuine.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    context.set_alpn_protocols(["http/1.1"])
    return context


# Contexts this module built for insecure_skip_verify=True: the only ones that may skip checks
# when they come back as ``ca=`` (a SessionPool hands its context to each board's session).
_SKIPPING_VERIFICATION: weakref.WeakSet[ssl.SSLContext] = weakref.WeakSet()


@cache
def default_ssl_context() -> ssl.SSLContext:
    """The shared context that trusts the shipped Azure Sphere device CA alone."""
    context = _base_context()
    context.load_verify_locations(cadata=DEVICE_CA_PEM)
    return context


def make_ssl_context(
    ca: CAInput | None = None, *, insecure_skip_verify: bool = False
) -> ssl.SSLContext:
    """Build the context for ``ca``: a PEM path, PEM text/bytes, a context (returned as is).

    ``None`` gives the shared default context. ``insecure_skip_verify=True`` turns certificate
    verification off entirely and logs a warning; it exists for lab benches only, and it is
    the only way: a given context that does not verify certificates is refused.
    """
    check_bool(
        insecure_skip_verify,
        "insecure_skip_verify",
        allowed="True or False (only the boolean True turns certificate verification off)",
    )
    if insecure_skip_verify:
        logger.warning(
            "TLS certificate verification is OFF (insecure_skip_verify=True): any machine "
            "can impersonate a device on this connection"
        )
        context = _base_context()
        context.verify_mode = ssl.CERT_NONE
        _SKIPPING_VERIFICATION.add(context)
        return context
    if ca is None:
        return default_ssl_context()
    if isinstance(ca, ssl.SSLContext):
        if ca.verify_mode == ssl.CERT_NONE and ca not in _SKIPPING_VERIFICATION:
            raise InvalidArgumentError(
                "ca",
                "an ssl.SSLContext that does not verify certificates (verify_mode CERT_NONE)",
                "a context that verifies certificates, or insecure_skip_verify=True to turn "
                "verification off knowingly",
            )
        return ca
    context = _base_context()
    try:
        if isinstance(ca, bytes):
            context.load_verify_locations(cadata=ca.decode("ascii"))
        elif isinstance(ca, str) and "-----BEGIN" in ca:
            context.load_verify_locations(cadata=ca)
        else:
            context.load_verify_locations(cafile=os.fspath(ca))
    except (OSError, ssl.SSLError, UnicodeDecodeError) as exc:
        shown = "PEM data" if isinstance(ca, bytes) or "-----BEGIN" in str(ca) else repr(str(ca))
        raise InvalidArgumentError(
            "ca", f"{shown} ({exc})", "a readable PEM file or PEM text holding a CA certificate"
        ) from exc
    return context
