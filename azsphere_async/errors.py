"""The exceptions raised by azsphere_async.

Everything derives from :class:`AzsphereError`, and every error carries a ``hint``: what to do
next, set where the error is raised ("" when there is nothing useful to add). Bad input raises
:class:`InvalidArgumentError` before any traffic. Anything that went wrong while talking to a
board is a :class:`DeviceError` and names the board's address; errors that the board itself
answered are :class:`DeviceHTTPError` subclasses that keep the HTTP status and the device's
error code. The Device Communication Service's failures are :class:`DiscoveryError`.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, ClassVar

__all__ = [
    "AzsphereError",
    "BadRequestError",
    "ConflictError",
    "DeploymentError",
    "DeviceError",
    "DeviceHTTPError",
    "DeviceInternalError",
    "DeviceTimeoutError",
    "DeviceUnreachableError",
    "DiscoveryError",
    "ForbiddenError",
    "ImagePackageError",
    "InvalidArgumentError",
    "MalformedResponseError",
    "NotFoundError",
    "RecipeError",
    "ResponseTooLargeError",
    "TLSVerificationError",
    "UnsupportedMediaTypeError",
    "UnsupportedVersionError",
    "describe_error_code",
    "error_for_status",
]


class AzsphereError(Exception):
    """Base class of every exception this library raises on purpose.

    ``hint`` is a short suggestion of what to do next, or ``""``.
    """

    hint: str = ""


class InvalidArgumentError(AzsphereError, ValueError):
    """An argument was rejected before any request was sent.

    ``argument`` names the parameter, ``given`` is a printable form of the value (secrets
    masked) and ``allowed`` says what would have been accepted.
    """

    def __init__(self, argument: str, given: str, allowed: str) -> None:
        self.argument = argument
        self.given = given
        self.allowed = allowed
        super().__init__(f"invalid {argument}: got {given}; expected {allowed}")


class ImagePackageError(InvalidArgumentError):
    """A file or body given for staging is not a usable Azure Sphere image package."""


class RecipeError(InvalidArgumentError):
    """A recipe that cannot be used, found before any board is contacted.

    ``source`` names the recipe (its file); ``problems`` holds one line per problem, each
    ``FILE:LINE: KEY: what is wrong; what is allowed`` (the line when it could be found).
    A secret is never part of the message.
    """

    def __init__(self, source: str, problems: list[str] | tuple[str, ...]) -> None:
        self.source = source
        self.problems = tuple(problems)
        self.argument = "recipe"
        self.given = source
        self.allowed = "a recipe as README.md describes it"
        self.hint = ""
        count = len(self.problems)
        lines = list(self.problems)
        if count != 1:
            lines.insert(0, f"{source}: {count} problems in the recipe")
        AzsphereError.__init__(self, "\n".join(lines))


def _with_hint(text: str, hint: str) -> str:
    return f"{text}; {hint}" if hint else text


class DeviceError(AzsphereError):
    """Something went wrong while talking to one device; ``address`` says which.

    ``detail`` says what went wrong (without the address), ``hint`` what to do next; the
    message is ``"ADDRESS: DETAIL; HINT"``. Each subclass has a default hint, which the place
    that raises the error may replace.
    """

    default_hint: ClassVar[str] = ""

    def __init__(self, address: str, message: str, *, hint: str | None = None) -> None:
        self.address = address
        self.detail = message
        self.hint = self.default_hint if hint is None else hint
        super().__init__(_with_hint(f"{address}: {message}", self.hint))


class DeviceUnreachableError(DeviceError):
    """The device could not be reached, or the connection was lost before it answered.

    ``bytes_sent`` is how much of a request body the board had acknowledged receiving
    when the connection was lost (its TCP acknowledgements, within a few hundred bytes;
    where a system does not tell them, the bytes handed to the connection: see
    :mod:`azsphere_async.acknowledged`), ``None`` when the request had no body.
    """

    default_hint = "check that the board is attached and powered, and that its address is right"

    def __init__(
        self,
        address: str,
        message: str,
        *,
        bytes_sent: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.bytes_sent = bytes_sent
        if bytes_sent is not None:
            message = f"{message} (after {bytes_sent} bytes of the request body reached the board)"
        super().__init__(address, message, hint=hint)


class DeviceTimeoutError(DeviceUnreachableError):
    """A phase of a request (connect, write, read, pool) or the whole operation timed out."""

    default_hint = "check that the board is powered and attached, or allow more time"

    def __init__(
        self,
        address: str,
        message: str,
        *,
        phase: str,
        bytes_sent: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.phase = phase
        super().__init__(address, message, bytes_sent=bytes_sent, hint=hint)


class DeploymentError(DeviceError):
    """An install went through, but the device does not show what was deployed."""


class TLSVerificationError(DeviceError):
    """The device's TLS certificate did not verify against the trusted CA, or TLS failed.

    ``untrusted_certificate`` is true when a certificate was presented and did not verify,
    false when the handshake failed before that.
    """

    def __init__(
        self,
        address: str,
        message: str,
        *,
        untrusted_certificate: bool,
        hint: str | None = None,
    ) -> None:
        self.untrusted_certificate = untrusted_certificate
        super().__init__(address, message, hint=hint)


class MalformedResponseError(DeviceError):
    """The device answered something this library cannot understand (bad JSON, wrong type)."""


class ResponseTooLargeError(MalformedResponseError):
    """The answer's body was larger than the client is willing to hold in memory."""

    default_hint = "raise max_response_bytes if this is expected"

    def __init__(self, address: str, message: str, *, limit: int) -> None:
        self.limit = limit
        super().__init__(address, message)


class UnsupportedVersionError(DeviceError):
    """The device's REST API version is too old for the call that was asked for."""

    default_hint = "update the device's OS or skip this call"

    def __init__(self, address: str, operation: str, required: str, actual: str) -> None:
        self.operation = operation
        self.required = required
        self.actual = actual
        super().__init__(
            address,
            f"{operation} needs REST API version {required} or later, but the device runs {actual}",
        )


class DiscoveryError(AzsphereError):
    """The Device Communication Service could not be asked, or answered nonsense.

    ``url`` is the service's address; ``answered`` tells a service that answered something
    unusable from one that did not answer at all; ``detail`` says what went wrong (naming the
    service) and ``hint`` what to do.
    """

    def __init__(
        self, url: str, message: str, *, answered: bool = True, hint: str | None = None
    ) -> None:
        self.url = url
        self.answered = answered
        self.detail = f"the Device Communication Service at {url}: {message}"
        self.hint = (
            "is the Azure Sphere SDK installed and its service running? Otherwise name the "
            "boards by their addresses"
            if hint is None
            else hint
        )
        super().__init__(_with_hint(self.detail, self.hint))


class DeviceHTTPError(DeviceError):
    """The device answered with an HTTP error status.

    ``status`` is the HTTP status, ``error_code`` the integer the device put in its
    ``{"error": CODE}`` body (``None`` when the body had none), ``meaning`` the known
    description of that code (``None`` for codes this library does not know).
    """

    status_codes: ClassVar[tuple[int, ...]] = ()

    def __init__(
        self,
        address: str,
        *,
        method: str,
        path: str,
        status: int,
        error_code: int | None,
        hint: str | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.error_code = error_code
        self.meaning = describe_error_code(error_code) if error_code is not None else None
        super().__init__(address, self._compose(), hint=hint)

    def _compose(self) -> str:
        text = f"{self.method} {self.path} failed with HTTP {self.status}"
        if self.error_code is None:
            return text + " and no device error code"
        text += f", device error {self.error_code}"
        return text + (
            f" ({self.meaning})" if self.meaning else " (a code this library does not know)"
        )


class BadRequestError(DeviceHTTPError):
    """HTTP 400: the device refused the request's content."""

    status_codes = (400,)


class ForbiddenError(DeviceHTTPError):
    """HTTP 403: the device does not allow this call in its current state."""

    status_codes = (403,)
    default_hint = (
        "a DeviceComplete board allows this only with the appDevelopment (11) or "
        "fieldServicing (13) capability (development mode gives appDevelopment, which app "
        "memory statistics always need)"
    )


class NotFoundError(DeviceHTTPError):
    """HTTP 404 or 412: the thing asked for does not exist on the device."""

    status_codes = (404, 412)
    default_hint = "check the name or ID given; the board does not have it"


class ConflictError(DeviceHTTPError):
    """HTTP 409: the request conflicts with the device's current state."""

    status_codes = (409,)


class UnsupportedMediaTypeError(DeviceHTTPError):
    """HTTP 415: the device did not accept the request's content type."""

    status_codes = (415,)


class DeviceInternalError(DeviceHTTPError):
    """HTTP 500: the device failed while handling the request."""

    status_codes = (500,)
    default_hint = "retry, and restart the device if it persists"


_BY_STATUS: dict[int, type[DeviceHTTPError]] = {
    status: cls
    for cls in (
        BadRequestError,
        ForbiddenError,
        NotFoundError,
        ConflictError,
        UnsupportedMediaTypeError,
        DeviceInternalError,
    )
    for status in cls.status_codes
}


def error_for_status(
    address: str, *, method: str, path: str, status: int, error_code: int | None
) -> DeviceHTTPError:
    """Build the exception that matches an HTTP error status (other statuses get the base)."""
    cls = _BY_STATUS.get(status, DeviceHTTPError)
    return cls(address, method=method, path=path, status=status, error_code=error_code)


@cache
def _error_codes() -> dict[str, Any]:
    text = resources.files("azsphere_async").joinpath("data/device-error-codes.json").read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def describe_error_code(code: int) -> str | None:
    """The known meaning of a device error code, or ``None`` for a code not in the table."""
    meaning = _error_codes()["codes"].get(str(code))
    return meaning if isinstance(meaning, str) else None
