"""Property-based tests of every validator, each on its own.

Each validator must accept exactly what the OpenAPI description allows and refuse the rest
with an :class:`InvalidArgumentError` that names the argument and says what is allowed, never
another exception. Where the description is looser than the device (certificate identifiers,
SSIDs measured in octets, names that may not be empty), the validator follows the device,
and the tests check that against the mock device, which plays the device's rules
(``validation_rules``). The calls that use the validators are in ``test_validation_calls``.
"""

from __future__ import annotations

import enum
import ipaddress
import re
import uuid
from collections.abc import Callable
from typing import Any, Final

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from azsphere_async import DeviceClient, InvalidArgumentError
from azsphere_async.models import (
    AppTrigger,
    ManufacturingState,
    ProxyAuthentication,
    TolerantStrEnum,
    WifiConfigState,
    WifiSecurityState,
)
from azsphere_async.validation import (
    check_address,
    check_bool,
    check_cert_id,
    check_choice,
    check_component_id,
    check_hardware_address,
    check_interface_name,
    check_network_id,
    check_port,
    check_proxy_secret,
    check_psk,
    check_ssid,
    check_strings,
    check_text,
    check_wifi_config_name,
    mask,
)
from tests.reliability.validation_rules import (
    INT32_MAX,
    MAC,
    address_allowed,
    addresses,
    any_text,
    device_takes_identifier,
    is_unicode,
    not_ints,
    not_strings,
    verdict,
)

SETTINGS = settings(max_examples=150, deadline=None, database=None)


# -- strings with length limits ----------------------------------------------------------------


@SETTINGS
@given(st.one_of(any_text, not_strings))
def test_psk_is_8_to_63_characters(value: Any) -> None:
    """PskNetworkRequest.psk and the PATCH body's psk: minLength 8, maxLength 63."""
    allowed = isinstance(value, str) and is_unicode(value) and 8 <= len(value) <= 63
    assert verdict(lambda: check_psk(value), "psk") == allowed


@SETTINGS
@given(st.one_of(any_text, not_strings))
def test_ssid_is_1_to_32_octets(value: Any) -> None:
    """Ssid: maxLength 32 (and minLength 1 in requests), counted in octets as 802.11 does.

    The description's 32 is a count of octets on the air; for ASCII it is the character
    count, and the device refuses 32 characters that take more than 32 bytes.
    """
    allowed = isinstance(value, str) and is_unicode(value) and 1 <= len(value.encode()) <= 32
    assert verdict(lambda: check_ssid(value), "ssid") == allowed
    if allowed and value.isascii():
        assert 1 <= len(value) <= 32


@SETTINGS
@given(st.one_of(any_text, not_strings))
def test_wifi_config_name_is_1_to_16_characters(value: Any) -> None:
    """WifiConfigName: maxLength 16; the device refuses an empty name."""
    allowed = isinstance(value, str) and is_unicode(value) and 1 <= len(value) <= 16
    assert verdict(lambda: check_wifi_config_name(value), "config_name") == allowed


@SETTINGS
@given(st.one_of(any_text, not_strings), st.booleans())
def test_proxy_user_and_password_are_1_to_63_characters(value: Any, secret: bool) -> None:
    """NetworkProxyBasic.username and password: minLength 1, maxLength 63."""
    allowed = isinstance(value, str) and is_unicode(value) and 1 <= len(value) <= 63
    argument = "password" if secret else "username"
    assert verdict(lambda: check_proxy_secret(value, argument, secret=secret), argument) == allowed


@SETTINGS
@given(
    st.one_of(any_text, not_strings),
    st.integers(0, 5),
    st.integers(0, 300),
    st.sampled_from(["characters", "bytes"]),
)
def test_text_limits_hold_whatever_the_bounds(
    value: Any, low: int, span: int, measure: str
) -> None:
    high = low + span
    if isinstance(value, str) and is_unicode(value):
        length = len(value.encode()) if measure == "bytes" else len(value)
        allowed = low <= length <= high
    else:
        allowed = False
    check = lambda: check_text(  # noqa: E731
        value, "field", min_length=low, max_length=high, measure=measure
    )
    assert verdict(check, "field") == allowed


@SETTINGS
@given(st.one_of(any_text, not_strings), st.booleans())
def test_secrets_are_never_echoed_when_refused(value: Any, long_or_short: bool) -> None:
    secret = "Zq9-" + (value if isinstance(value, str) else "x") * (40 if long_or_short else 0)
    checks: tuple[Callable[[], object], ...] = (
        lambda: check_psk(secret),
        lambda: check_proxy_secret(secret, "password", secret=True),
        lambda: check_text(secret, "password", max_length=3, secret=True),
    )
    for check in checks:
        refusal: InvalidArgumentError | None = None
        try:
            check()
        except InvalidArgumentError as exc:
            refusal = exc
        if refusal is not None:
            assert secret not in str(refusal)
            assert refusal.given in (mask(secret), "a non-string")


@SETTINGS
@given(st.one_of(st.lists(st.one_of(any_text, not_strings), max_size=4), any_text, not_strings))
def test_no_proxy_addresses_are_a_list_of_1_to_255_character_strings(value: Any) -> None:
    """NetworkProxy.noProxyAddresses: an array of NetworkAddress (maxLength 255, not empty)."""
    allowed = isinstance(value, list) and all(
        isinstance(item, str) and is_unicode(item) and 1 <= len(item) <= 255 for item in value
    )
    check = lambda: check_strings(value, "no_proxy_addresses", max_length=255)  # noqa: E731
    assert verdict(check, "no_proxy_addresses") == allowed


# -- identifiers ---------------------------------------------------------------------------


@SETTINGS
@given(
    st.one_of(
        any_text,
        st.text("ABCXYZabcxyz0189._-", max_size=20),
        st.sampled_from([".", "..", "...", ".a", "a."]),
        st.text("ABCabc09._- /\\:*é", max_size=20),
        not_strings,
    )
)
def test_certificate_ids_are_what_the_device_takes(value: Any) -> None:
    """CertIdentifier: maxLength 16; devices take only A-Z a-z 0-9 . _ - and not empty."""
    allowed = isinstance(value, str) and device_takes_identifier(value)
    assert verdict(lambda: check_cert_id(value), "cert_id") == allowed
    if allowed:
        assert 1 <= len(value) <= 16


UUID_PATTERN = re.compile(
    r"[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}"
)


@SETTINGS
@given(
    st.one_of(
        st.uuids().map(str),
        st.uuids().map(lambda u: str(u).upper()),
        st.uuids(),
        st.uuids().map(lambda u: u.hex),
        st.uuids().map(lambda u: "{" + str(u) + "}"),
        st.from_regex(UUID_PATTERN, fullmatch=False),
        any_text,
        not_strings,
    )
)
def test_component_ids_follow_the_uid_pattern(value: Any) -> None:
    """Uid: format uuid, pattern 8-4-4-4-12 hexadecimal digits (the whole string)."""
    allowed = isinstance(value, uuid.UUID) or (
        isinstance(value, str) and UUID_PATTERN.fullmatch(value) is not None
    )
    assert verdict(lambda: check_component_id(value), "component_id") == allowed
    if allowed:
        normal = check_component_id(value)
        assert normal == str(uuid.UUID(str(value)))  # lower case, hyphenated


@SETTINGS
@given(st.one_of(st.integers(-(2**40), 2**40), not_ints))
def test_network_ids_are_non_negative_int32(value: Any) -> None:
    """wifiNetworkId, networkId: integer, format int32; IDs the device gives are never negative."""
    allowed = type(value) is int and 0 <= value <= INT32_MAX
    assert verdict(lambda: check_network_id(value), "network_id") == allowed


@SETTINGS
@given(st.one_of(st.integers(-(2**20), 2**20), not_ints))
def test_ports_are_0_to_65535(value: Any) -> None:
    """NetworkPort: integer, minimum 0, maximum 65535."""
    allowed = type(value) is int and 0 <= value <= 65535
    assert verdict(lambda: check_port(value), "port") == allowed


@SETTINGS
@given(
    st.one_of(
        st.from_regex(MAC, fullmatch=True),
        st.text("0123456789abcdefABCDEFG:-", min_size=15, max_size=19),
        any_text,
        not_strings,
    )
)
def test_hardware_addresses_are_17_character_macs(value: Any) -> None:
    """NetInterfaceHardwareAddress: 17 characters, written like a1:b2:c3:4d:e5:6f."""
    allowed = isinstance(value, str) and MAC.fullmatch(value) is not None
    assert verdict(lambda: check_hardware_address(value), "hardware_address") == allowed
    if allowed:
        assert len(value) == 17


@SETTINGS
@given(
    st.one_of(
        st.text("abcwlan0eth._-/ ", max_size=18),
        st.sampled_from([".", "..", "...", "eth0."]),
        any_text,
        not_strings,
    )
)
def test_interface_names_are_linux_interface_names(value: Any) -> None:
    """networkInterfaceName: a string in the URL path; Linux names are 1 to 15 safe characters,
    never "." or ".." (which Linux refuses too, and which a URL path cannot carry)."""
    allowed = (
        isinstance(value, str)
        and re.fullmatch(r"[A-Za-z0-9._-]{1,15}", value) is not None
        and value not in (".", "..")
    )
    assert verdict(lambda: check_interface_name(value), "name") == allowed
    if allowed:
        assert "/" not in value


@SETTINGS
@given(st.one_of(st.booleans(), st.integers(0, 1), st.text(max_size=5), st.none()))
def test_booleans_are_real_booleans(value: Any) -> None:
    assert verdict(lambda: check_bool(value, "enabled"), "enabled") == isinstance(value, bool)


ENUMS: Final[list[type[TolerantStrEnum]]] = [
    WifiSecurityState,
    WifiConfigState,
    AppTrigger,
    ManufacturingState,
    ProxyAuthentication,
]


@SETTINGS
@given(st.sampled_from(ENUMS), st.data())
def test_choices_are_the_documented_members_only(
    cls: type[TolerantStrEnum], data: st.DataObject
) -> None:
    members = list(cls)
    value = data.draw(
        st.one_of(
            st.sampled_from(members),
            st.sampled_from([m.value for m in members]),
            st.sampled_from([m.value.upper() + "x" for m in members]),
            any_text,
            not_strings,
            st.builds(lambda s: cls(s), st.text(min_size=1)),  # a tolerant pseudo-member
        )
    )
    allowed = any(value is m for m in members) or (
        not isinstance(value, enum.Enum) and value in [m.value for m in members]
    )
    assert verdict(lambda: check_choice(value, cls, "choice"), "choice") == allowed
    if allowed:
        assert check_choice(value, cls, "choice") in members
    subset = members[:1]
    in_subset = any(value is m for m in subset) or (
        not isinstance(value, enum.Enum) and value == subset[0].value
    )
    assert verdict(lambda: check_choice(value, cls, "choice", among=subset), "choice") == in_subset


# -- addresses -------------------------------------------------------------------------------


@SETTINGS
@given(st.one_of(addresses(), any_text, not_strings))
def test_addresses_are_a_host_and_an_optional_port(value: Any) -> None:
    """A device address: an IP address or DNS name, optionally ``:port`` (1 to 65535)."""
    allowed = isinstance(value, str) and value == value.strip() and address_allowed(value)
    assert verdict(lambda: check_address(value), "address") == allowed
    if allowed:
        host, port = check_address(value)
        assert port is None or 1 <= port <= 65535
        # The client builds an https URL from it, and nothing else.
        client = DeviceClient(value)
        assert client.session.base_url.startswith("https://")
        url = httpx.URL(client.session.base_url)
        assert url.port == port
        try:
            assert ipaddress.ip_address(url.host) == ipaddress.ip_address(host)
        except ValueError:
            assert url.host == host.lower()
