"""Checks on arguments, run before any traffic, following the OpenAPI description's limits.

Each check returns the normalised value or raises :class:`InvalidArgumentError` that names the
argument, shows what was given (secrets masked) and says what is allowed.
"""

from __future__ import annotations

import enum
import ipaddress
import math
import re
import urllib.parse
import uuid
from collections.abc import Iterable
from typing import NamedTuple, TypeVar

from .errors import InvalidArgumentError

__all__ = [
    "DeviceAddress",
    "check_address",
    "check_attempts",
    "check_bool",
    "check_cert_id",
    "check_choice",
    "check_chunk_size",
    "check_component_id",
    "check_concurrency",
    "check_hardware_address",
    "check_http_url",
    "check_instance",
    "check_interface_name",
    "check_max_response_bytes",
    "check_network_id",
    "check_optional_seconds",
    "check_port",
    "check_proxy_secret",
    "check_psk",
    "check_seconds",
    "check_ssid",
    "check_strings",
    "check_text",
    "check_whole_number",
    "check_wifi_config_name",
    "mask",
    "shown_secret",
    "shown_url",
]

E = TypeVar("E", bound=enum.Enum)
T = TypeVar("T")

# Patterns are always applied with fullmatch: "$" alone would let a trailing newline through.
_CERT_ID = re.compile(r"[A-Za-z0-9._-]{1,16}")
_HOSTNAME = re.compile(
    r"(?=.{1,253}\Z)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)
_MAC = re.compile(r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}")
# A name whose last label is all digits can only be an IPv4 address (RFC 3696, 2).
_NUMERIC_LABEL = re.compile(r"(?:.*\.)?[0-9]+")
_INT32_MAX = 2**31 - 1


def mask(secret: str | bytes | None) -> str:
    """A printable stand-in for a secret: its length only, never its content."""
    if secret is None:
        return "None"
    return f"<secret of {len(secret)} characters>"


def shown_secret(value: object, kind: str = "a value") -> str:
    """How a refused secret appears in a message: its length if it is a string, else ``kind``."""
    return mask(value) if isinstance(value, str) else f"{kind} (not shown)"


def shown_url(url: str) -> str:
    """A URL as it may be shown: scheme, host, port and path, never credentials or a query."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        return "a URL that does not parse (not shown)"
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}{port}{parts.path}"


def check_http_url(value: object, argument: str) -> str:
    """An ``http://`` or ``https://`` URL with a host (shown without credentials or query)."""
    if isinstance(value, str):
        try:
            parts = urllib.parse.urlsplit(value)
            usable = parts.scheme in ("http", "https") and bool(parts.hostname)
            parts.port  # noqa: B018 - raises on a port that is no number or out of range
        except ValueError:
            usable = False
        if usable and value.isprintable() and " " not in value:
            return value
        raise InvalidArgumentError(argument, _shown(shown_url(value)), "an http:// or https:// URL")
    given = f"a {type(value).__name__} (not shown)"
    raise InvalidArgumentError(argument, given, "an http:// or https:// URL (a string)")


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class DeviceAddress(NamedTuple):
    """A checked board address: its host (IP address or DNS name) and optional port.

    Both are normalised, so that one board has one ``DeviceAddress`` however it was
    written: a DNS name is lower-cased, an IPv6 address is in its compressed form, an
    IPv4-mapped IPv6 address (``::ffff:192.168.35.2``) is the IPv4 address it maps, and the
    default HTTPS port (443) is ``None``.
    """

    host: str
    port: int | None

    @property
    def base_url(self) -> str:
        """``https://host[:port]``, with an IPv6 host in brackets."""
        return f"https://{self}"

    def __str__(self) -> str:
        """The address's one spelling: ``host``, ``host:port`` or ``[v6]:port``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host + (f":{self.port}" if self.port is not None else "")


#: The port an https URL means when it names none.
HTTPS_PORT = 443
# Everything an address may contain: letters, digits, '.', '-', ':' and the brackets of an
# IPv6 address. Nothing else, so no part of it can become userinfo ('@'), a path ('/', '\\'),
# a query ('?'), a fragment ('#'), an escape or a zone ID ('%'), or whitespace.
_ADDRESS_CHARACTERS = re.compile(r"[A-Za-z0-9.:\[\]-]+")
_ADDRESS_ALLOWED = "'host' or 'host:port' (an IP address or DNS name, no scheme or path)"


def _refuse_address(address: object, why: str = "") -> InvalidArgumentError:
    allowed = _ADDRESS_ALLOWED + (f"; {why}" if why else "")
    return InvalidArgumentError("address", _shown(address), allowed)


def _check_ip(host: str, address: str) -> str | None:
    """The normal spelling of an IP address host, ``None`` if it is no IP address."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_unspecified or ip.is_multicast or ip == ipaddress.IPv4Address("255.255.255.255"):
        raise _refuse_address(address, "not an unspecified, multicast or broadcast address")
    return str(ip)


def check_address(address: object) -> DeviceAddress:
    """Split ``"host"``, ``"host:port"``, ``"[v6]:port"`` or a bare IPv6 address, normalised.

    Every address from anywhere (a caller, the command line, a devices file, the Device
    Communication Service) goes through this one check, and the URL built from the result
    names exactly that host and port: the address may hold only letters, digits, '.', '-',
    ':' and an IPv6 address's brackets. IPv6 zone IDs (``fe80::1%eth0``) are refused.
    """
    if not isinstance(address, str) or not _ADDRESS_CHARACTERS.fullmatch(address):
        why = "no zone ID ('%')" if isinstance(address, str) and "%" in address else ""
        raise _refuse_address(address, why)
    host, port_text = address, None
    if address.startswith("["):
        host, closed, rest = address[1:].partition("]")
        if not closed or (rest and not rest.startswith(":")):
            raise _refuse_address(address)
        port_text = rest[1:] if rest else None
        # Brackets hold an IPv6 address, and nothing else.
        if ":" not in host:
            raise _refuse_address(address)
    elif address.count(":") == 1:
        host, port_text = address.split(":")
    if "[" in host or "]" in host:
        raise _refuse_address(address)
    port: int | None = None
    if port_text is not None:
        if not re.fullmatch(r"[0-9]{1,5}", port_text) or not 1 <= int(port_text) <= 65535:
            raise _refuse_address(address, "port 1-65535")
        port = int(port_text)
        if port == HTTPS_PORT:
            port = None
    normal = _check_ip(host, address)
    if normal is None:
        if ":" in host or not _HOSTNAME.fullmatch(host) or _NUMERIC_LABEL.fullmatch(host):
            raise _refuse_address(address)
        normal = host.lower()
    return DeviceAddress(normal, port)


def check_component_id(value: object, argument: str = "component_id") -> str:
    """A component ID: a UUID such as ``2f074b0f-d99d-4692-82d9-ef93a7d6463c`` (lower-cased)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str) and re.fullmatch(
        r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}", value
    ):
        return value.lower()
    raise InvalidArgumentError(
        argument, _shown(value), "a UUID such as '2f074b0f-d99d-4692-82d9-ef93a7d6463c'"
    )


def check_choice(
    value: object, choices: type[E], argument: str, *, among: Iterable[E] | None = None
) -> E:
    """One member of ``choices`` (or of its subset ``among``), given as the member or its value.

    Only documented members count: a pseudo-member that a tolerant enum made up for an
    unknown value is refused like any other unknown value.
    """
    accepted = list(choices) if among is None else list(among)
    for member in accepted:
        if value is member or (not isinstance(value, enum.Enum) and value == member.value):
            return member
    allowed = "one of " + ", ".join(repr(m.value) for m in accepted)
    raise InvalidArgumentError(argument, _shown(value), allowed)


def check_text(
    value: object,
    argument: str,
    *,
    min_length: int = 0,
    max_length: int | None = None,
    secret: bool = False,
    measure: str = "characters",
) -> str:
    """A string whose length (in characters, or UTF-8 bytes) lies within the limits."""
    bounds = f"{min_length} to {max_length}" if max_length is not None else f"at least {min_length}"
    allowed = f"a string of {bounds} {measure}"
    if not isinstance(value, str):
        raise InvalidArgumentError(argument, "a non-string" if secret else _shown(value), allowed)
    shown = mask(value) if secret else _shown(value)
    try:
        encoded = value.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates (os.fsdecode's stand-ins for undecodable bytes) are not text the
        # device's JSON can carry.
        raise InvalidArgumentError(argument, shown, allowed + " of valid Unicode text") from None
    length = len(encoded) if measure == "bytes" else len(value)
    if length < min_length or (max_length is not None and length > max_length):
        raise InvalidArgumentError(argument, shown, allowed)
    return value


# "." and ".." are dot segments: a URL path cannot carry them (clients resolve them away, so
# DELETE /certstore/certs/. would become DELETE /certstore/certs), so they never name anything.
_DOT_SEGMENTS = (".", "..")


def check_cert_id(value: object, argument: str = "cert_id") -> str:
    """A certificate identifier: 1 to 16 of ``A-Z a-z 0-9 . _ -``, but not "." or ".."."""
    if isinstance(value, str) and _CERT_ID.fullmatch(value) and value not in _DOT_SEGMENTS:
        return value
    raise InvalidArgumentError(
        argument,
        _shown(value),
        "1 to 16 characters from A-Z, a-z, 0-9, '.', '_' and '-' (not '.' or '..')",
    )


def check_ssid(value: object, argument: str = "ssid") -> str:
    """A Wi-Fi SSID: 1 to 32 bytes of UTF-8."""
    return check_text(value, argument, min_length=1, max_length=32, measure="bytes")


def check_psk(value: object, argument: str = "psk") -> str:
    """A WPA2 pre-shared key: 8 to 63 characters (never shown in messages)."""
    return check_text(value, argument, min_length=8, max_length=63, secret=True)


def check_wifi_config_name(value: object, argument: str = "config_name") -> str:
    """A Wi-Fi configuration name: 1 to 16 characters."""
    return check_text(value, argument, min_length=1, max_length=16)


def check_proxy_secret(value: object, argument: str, *, secret: bool) -> str:
    """A proxy user name or password: 1 to 63 characters."""
    return check_text(value, argument, min_length=1, max_length=63, secret=secret)


def check_port(value: object, argument: str = "port") -> int:
    """A TCP port number, 0 to 65535."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 65535:
        return value
    raise InvalidArgumentError(argument, _shown(value), "an integer from 0 to 65535")


def check_seconds(
    value: object, argument: str, *, allow_zero: bool = False, allowed_extra: str | None = None
) -> float:
    """A positive (or, with ``allow_zero``, non-negative), finite number of seconds.

    ``bool``, NaN and infinity are refused; ``allowed_extra`` names what else the caller
    accepts, for the message.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not (value >= 0 if allow_zero else value > 0)
    ):
        allowed = f"a {'non-negative' if allow_zero else 'positive'}, finite number of seconds"
        if allowed_extra:
            allowed += f", {allowed_extra}"
        raise InvalidArgumentError(argument, _shown(value), allowed)
    return float(value)


def check_optional_seconds(value: object, argument: str) -> float | None:
    """:func:`check_seconds`, or ``None`` for no limit."""
    if value is None:
        return None
    return check_seconds(value, argument, allowed_extra="or None for no limit")


def check_whole_number(
    value: object, argument: str, *, minimum: int, maximum: int | None = None, unit: str = ""
) -> int:
    """An ``int`` (not a ``bool``) of at least ``minimum`` (and at most ``maximum``)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < minimum
        or (maximum is not None and value > maximum)
    ):
        what = f" {unit}" if unit else ""
        bounds = f"of at least {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        raise InvalidArgumentError(argument, _shown(value), f"a whole number{what} {bounds}")
    return value


def check_attempts(value: object) -> int:
    """How many times a read is tried in all: a whole number of at least 1."""
    return check_whole_number(value, "retry.attempts", minimum=1)


def check_concurrency(value: object) -> int:
    """How many boards are worked on at once: a whole number of at least 1."""
    return check_whole_number(value, "concurrency", minimum=1)


def check_max_response_bytes(value: object) -> int:
    """A session's answer-size cap: a positive whole number of bytes."""
    return check_whole_number(value, "max_response_bytes", minimum=1, unit="of bytes")


#: The smallest and largest chunks an upload is cut into.
MIN_CHUNK_SIZE = 4 * 1024
MAX_CHUNK_SIZE = 16 * 1024 * 1024


def check_chunk_size(value: object) -> int:
    """The size of an upload's chunks: 4 KiB to 16 MiB."""
    return check_whole_number(
        value, "chunk_size", minimum=MIN_CHUNK_SIZE, maximum=MAX_CHUNK_SIZE, unit="of bytes"
    )


def check_instance(value: object, cls: type[T], argument: str) -> T:
    """``value`` itself, if it is a ``cls``."""
    if not isinstance(value, cls):
        raise InvalidArgumentError(argument, type(value).__name__, f"a {cls.__name__}")
    return value


def check_network_id(value: object, argument: str = "network_id") -> int:
    """A Wi-Fi network ID: a non-negative 32-bit integer."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _INT32_MAX:
        return value
    raise InvalidArgumentError(argument, _shown(value), f"an integer from 0 to {_INT32_MAX}")


def check_interface_name(value: object, argument: str = "name") -> str:
    """A network interface name such as ``wlan0``: 1 to 15 characters, no '/' or whitespace,
    and (as on Linux) not "." or ".."."""
    if (
        isinstance(value, str)
        and re.fullmatch(r"[A-Za-z0-9._-]{1,15}", value)
        and value not in _DOT_SEGMENTS
    ):
        return value
    raise InvalidArgumentError(
        argument,
        _shown(value),
        "an interface name of 1 to 15 letters, digits, '.', '_' or '-' (not '.' or '..')",
    )


def check_hardware_address(value: object, argument: str = "hardware_address") -> str:
    """A MAC address written ``a1:b2:c3:4d:e5:6f`` (17 characters)."""
    if isinstance(value, str) and _MAC.fullmatch(value):
        return value
    raise InvalidArgumentError(argument, _shown(value), "a MAC address like 'a1:b2:c3:4d:e5:6f'")


def check_bool(value: object, argument: str, *, allowed: str = "True or False") -> bool:
    """A real ``bool`` (not 0/1 or a string)."""
    if isinstance(value, bool):
        return value
    raise InvalidArgumentError(argument, _shown(value), allowed)


def check_strings(values: Iterable[object], argument: str, *, max_length: int) -> list[str]:
    """A sequence of strings, each 1 to ``max_length`` characters."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InvalidArgumentError(argument, _shown(values), "a list of strings, not one string")
    return [check_text(v, argument, min_length=1, max_length=max_length) for v in values]
