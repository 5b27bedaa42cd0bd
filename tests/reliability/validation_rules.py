"""What the validators must allow, as the property tests state it: values to draw, and rules.

Shared by ``test_validation_properties`` (each validator on its own) and
``test_validation_calls`` (the calls that use them, end to end): the strategies draw values
of every kind, the rules say which of them the OpenAPI description or the device allows, and
:func:`verdict` checks how a validator refused.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Final

from hypothesis import strategies as st

from azsphere_async import InvalidArgumentError
from azsphere_async.mock.certs import check_identifier as device_checks_identifier
from azsphere_async.mock.errors import DeviceRefusal

INT32_MAX: Final = 2**31 - 1

#: Any text at all, and text with lone surrogates (what os.fsdecode makes of bad bytes).
any_text = st.one_of(
    st.text(),
    st.text(st.characters(codec="utf-8")),
    st.lists(st.one_of(st.characters(), st.characters(categories=["Cs"]))).map("".join),
)
#: Values of the wrong type for a string argument.
not_strings = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.binary(), st.lists(st.text())
)
#: Values of the wrong type for an integer argument.
not_ints = st.one_of(
    st.none(), st.booleans(), st.floats(), st.text(), st.binary(), st.decimals(allow_nan=False)
)

#: A colon-separated MAC address (``hardwareAddress``).
MAC = re.compile(r"[A-Fa-f0-9]{2}(?::[A-Fa-f0-9]{2}){5}")

#: Device addresses: DNS names, IPv4 and IPv6 (bracketed or not), with odd ports.
hostnames = st.from_regex(
    r"[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?){0,3}",
    fullmatch=True,
)
ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(str)
ports = st.one_of(st.integers(-5, 70000).map(str), st.sampled_from(["", "²", "٣", "+80", "0x50"]))


@st.composite
def addresses(draw: st.DrawFn) -> str:
    """A device address, with or without a port, valid or not."""
    host = draw(st.one_of(hostnames, ipv4, ipv6.map(lambda h: f"[{h}]"), ipv6))
    if draw(st.booleans()) and not (":" in host and not host.startswith("[")):
        host += ":" + draw(ports)
    return host


def is_unicode(text: str) -> bool:
    """Whether ``text`` is a string JSON can carry to the device (no lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def verdict(check: Callable[[], object], argument: str) -> bool:
    """Whether the check accepted; a refusal must name ``argument`` and say what is allowed."""
    refusal: InvalidArgumentError | None = None
    try:
        check()
    except InvalidArgumentError as exc:
        refusal = exc
    if refusal is None:
        return True
    assert refusal.argument == argument
    assert str(refusal).startswith(f"invalid {argument}: got ")
    assert "; expected " in str(refusal)
    assert refusal.allowed
    return False


def device_takes_identifier(value: str) -> bool:
    """Whether the device takes the identifier and a URL path can carry it.

    "." and ".." are dot segments: a URL path cannot hold them, so a request for them
    reaches another resource (``DELETE /certstore/certs/.`` becomes ``/certstore/certs``).
    """
    if value in (".", ".."):
        return False
    try:
        device_checks_identifier(value)
    except DeviceRefusal:
        return False
    return True


def _dialable(host: str) -> bool:
    """Whether an IP address names one host a client can dial (no zone ID, not unspecified,
    multicast or broadcast, also when mapped into IPv6)."""
    ip = ipaddress.ip_address(host)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id is not None:
            return False
        ip = ip.ipv4_mapped or ip
    return not (ip.is_unspecified or ip.is_multicast or str(ip) == "255.255.255.255")


def address_allowed(value: str) -> bool:
    """Whether ``value`` is an IP address or DNS name, optionally with a port (1 to 65535)."""
    host, port = value, None
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        if rest:
            port = rest[1:]
        try:
            is_v6 = ipaddress.ip_address(host).version == 6
            return is_v6 and _dialable(host) and port_allowed(port)
        except ValueError:
            return False
    if value.count(":") == 1:
        host, port = value.split(":")
    try:
        if not _dialable(host):
            return False
    except ValueError:
        labels = host.split(".")
        if not all(
            re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", x) for x in labels
        ):
            return False
        if labels[-1].isdigit():
            return False  # not an IP address, and no DNS name ends in a number (RFC 3696)
    return port_allowed(port)


def port_allowed(port: str | None) -> bool:
    """Whether ``port`` (the text after the colon, if any) is 1 to 65535 in ASCII digits."""
    return port is None or (re.fullmatch(r"[0-9]+", port) is not None and 1 <= int(port) <= 65535)
