"""Property-based tests of every validator, and of the calls that use them.

Each validator must accept exactly what the OpenAPI description allows and refuse the rest
with an :class:`InvalidArgumentError` that names the argument and says what is allowed, never
another exception. Where the description is looser than the device (certificate identifiers,
SSIDs measured in octets, names that may not be empty), the validator follows the device,
and the tests check that against the mock device, which plays the device's rules.

The calls are checked end to end against an in-process mock device: a refused value never
sends a request (not even the version probe), and an accepted one reaches the device, which
takes it.
"""

from __future__ import annotations

import enum
import ipaddress
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Final

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from azsphere_async import DeviceClient, DeviceHTTPError, InvalidArgumentError
from azsphere_async.mock import DeviceState, create_app
from azsphere_async.mock.certs import check_identifier as device_checks_identifier
from azsphere_async.mock.errors import DeviceRefusal
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
from tests.shared_data import DEVICE_ADDRESS

INT32_MAX: Final = 2**31 - 1
SETTINGS = settings(max_examples=150, deadline=None, database=None)
DEVICE_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

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


def _device_takes_identifier(value: str) -> bool:
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
    allowed = isinstance(value, str) and _device_takes_identifier(value)
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


MAC = re.compile(r"[A-Fa-f0-9]{2}(?::[A-Fa-f0-9]{2}){5}")


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

hostnames = st.from_regex(
    r"[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?){0,3}",
    fullmatch=True,
)
ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(str)
ports = st.one_of(st.integers(-5, 70000).map(str), st.sampled_from(["", "²", "٣", "+80", "0x50"]))


@st.composite
def addresses(draw: st.DrawFn) -> str:
    host = draw(st.one_of(hostnames, ipv4, ipv6.map(lambda h: f"[{h}]"), ipv6))
    if draw(st.booleans()) and not (":" in host and not host.startswith("[")):
        host += ":" + draw(ports)
    return host


def _address_allowed(value: str) -> bool:
    host, port = value, None
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        if rest:
            port = rest[1:]
        try:
            return ipaddress.ip_address(host).version == 6 and _port_allowed(port)
        except ValueError:
            return False
    if value.count(":") == 1:
        host, port = value.split(":")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        labels = host.split(".")
        if not all(
            re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", x) for x in labels
        ):
            return False
    return _port_allowed(port)


def _port_allowed(port: str | None) -> bool:
    return port is None or (re.fullmatch(r"[0-9]+", port) is not None and 1 <= int(port) <= 65535)


@SETTINGS
@given(st.one_of(addresses(), any_text, not_strings))
def test_addresses_are_a_host_and_an_optional_port(value: Any) -> None:
    """A device address: an IP address or DNS name, optionally ``:port`` (1 to 65535)."""
    allowed = isinstance(value, str) and value == value.strip() and _address_allowed(value)
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


# -- the calls, end to end against an in-process device -------------------------------------


class Device:
    """A fresh in-process mock device and a client for it (no sockets)."""

    def __init__(self) -> None:
        self.state = DeviceState()
        self.client = DeviceClient(
            DEVICE_ADDRESS, transport=httpx.ASGITransport(app=create_app(self.state))
        )

    def run(self, call: Callable[[DeviceClient], Awaitable[Any]]) -> BaseException | None:
        """Run the call; its exception (or ``None``)."""

        async def main() -> BaseException | None:
            try:
                await call(self.client)
            except (InvalidArgumentError, DeviceHTTPError) as exc:
                return exc
            finally:
                await self.client.aclose()
            return None

        return anyio.run(main)


def expect(device: Device, outcome: BaseException | None, valid: bool, argument: str) -> None:
    """A refusal came before any traffic and names ``argument``; a valid call reached the
    device, which took it."""
    if valid:
        assert outcome is None, outcome
        assert device.state.stats.requests >= 1
    else:
        assert isinstance(outcome, InvalidArgumentError), outcome
        assert outcome.argument == argument, outcome
        assert device.state.stats.requests == 0


@DEVICE_SETTINGS
@given(
    ssid=st.one_of(st.text(min_size=1, max_size=40), any_text),
    psk=st.one_of(st.text(min_size=6, max_size=70), any_text),
    config_name=st.one_of(st.none(), st.text(max_size=20), any_text),
)
def test_adding_a_psk_network_refuses_before_traffic_and_the_device_takes_the_rest(
    ssid: str, psk: str, config_name: str | None
) -> None:
    checks = [
        ("ssid", lambda: check_ssid(ssid)),
        ("psk", lambda: check_psk(psk)),
        ("config_name", lambda: config_name is None or check_wifi_config_name(config_name)),
    ]
    first_refused = next((name for name, check in checks if not verdict(check, name)), None)
    device = Device()
    outcome = device.run(
        lambda d: d.wifi.add_network(
            ssid=ssid, security_state="psk", psk=psk, config_name=config_name
        )
    )
    expect(device, outcome, first_refused is None, first_refused or "")
    if first_refused is None:
        (network,) = device.state.wifi.networks.values()
        assert (network.ssid, network.psk, network.config_name) == (ssid, psk, config_name)


@DEVICE_SETTINGS
@given(
    network_id=st.one_of(st.integers(-3, 3), not_ints),
    psk=st.one_of(st.none(), st.text(min_size=6, max_size=70)),
    config_state=st.one_of(st.none(), st.sampled_from(["enabled", "disabled", "on", "ENABLED"])),
)
def test_changing_a_network_refuses_before_traffic(
    network_id: Any, psk: str | None, config_state: str | None
) -> None:
    checks: list[tuple[str, Callable[[], object]]] = [
        ("network_id", lambda: check_network_id(network_id)),
        (
            "config_state",
            lambda: (
                config_state is None or check_choice(config_state, WifiConfigState, "config_state")
            ),
        ),
        ("psk", lambda: psk is None or check_psk(psk)),
    ]
    first_refused = next((name for name, check in checks if not verdict(check, name)), None)
    if first_refused is None and psk is None and config_state is None:
        first_refused = "config_state/psk"  # nothing to change
    device = Device()
    device.state.wifi.add_network(
        {"ssid": "ExampleNetworkName", "securityState": "psk", "psk": "ExamplePsk123"}
    )
    device.state.stats.reset()
    outcome = device.run(
        lambda d: d.wifi.change_network(network_id, psk=psk, config_state=config_state)
    )
    if first_refused is None and (
        network_id != 0 or config_state not in (None, "enabled", "disabled")
    ):
        # Valid, but not a network the device has (or a state it will not take): its answer.
        assert isinstance(outcome, DeviceHTTPError), outcome
        return
    expect(device, outcome, first_refused is None, first_refused or "")


@DEVICE_SETTINGS
@given(cert_id=st.one_of(st.text("ABCabc019._-", max_size=20), any_text, not_strings))
def test_certificate_ids_are_refused_before_traffic_exactly_when_the_device_would(
    cert_id: Any,
) -> None:
    import trustme

    device = Device()
    pem = trustme.CA().cert_pem.bytes().decode()
    outcome = device.run(lambda d: d.certificates.add(cert_id, cert_type="rootca", public_cert=pem))
    valid = isinstance(cert_id, str) and _device_takes_identifier(cert_id)
    expect(device, outcome, valid, "cert_id")
    if valid:
        assert cert_id in device.state.certificates


def _proxy_refusal(
    address: str, port: Any, username: Any, password: Any, bypass: list[str]
) -> str | None:
    """The argument configure_proxy must refuse first (basic authentication), if any."""
    if not verdict(lambda: check_text(address, "address", min_length=1, max_length=255), "address"):
        return "address"
    if not verdict(lambda: check_port(port), "port"):
        return "port"
    if not verdict(
        lambda: check_strings(bypass, "no_proxy_addresses", max_length=255), "no_proxy_addresses"
    ):
        return "no_proxy_addresses"
    if username is None:
        return "username"
    if password is None:
        return "password"
    if not verdict(lambda: check_proxy_secret(username, "username", secret=False), "username"):
        return "username"
    if not verdict(lambda: check_proxy_secret(password, "password", secret=True), "password"):
        return "password"
    return None


@DEVICE_SETTINGS
@given(
    address=st.one_of(st.text(min_size=1, max_size=300), any_text),
    port=st.one_of(st.integers(-2, 70000), not_ints),
    username=st.one_of(st.text(max_size=70), not_strings),
    password=st.one_of(st.text(max_size=70), not_strings),
    bypass=st.lists(st.text(max_size=260), max_size=3),
)
def test_configuring_a_proxy_refuses_before_traffic(
    address: str, port: Any, username: Any, password: Any, bypass: list[str]
) -> None:
    first_refused = _proxy_refusal(address, port, username, password, bypass)
    device = Device()
    outcome = device.run(
        lambda d: d.network.configure_proxy(
            address=address,
            port=port,
            authentication_type="basic",
            username=username,
            password=password,
            no_proxy_addresses=bypass,
        )
    )
    if first_refused is None and port == 0:
        # The description allows port 0 and so does the client; the device refuses it.
        assert isinstance(outcome, DeviceHTTPError), outcome
        return
    expect(device, outcome, first_refused is None, first_refused or "")
    if first_refused is None:
        assert device.state.network.proxy is not None
        assert device.state.network.proxy["password"] == password


@DEVICE_SETTINGS
@given(
    component_id=st.one_of(st.uuids().map(str), st.uuids(), any_text, not_strings),
    trigger=st.one_of(
        st.sampled_from(["start", "stop", "startDebug", "Start", "halt"]), not_strings
    ),
)
def test_app_calls_refuse_bad_ids_and_triggers_before_traffic(
    component_id: Any, trigger: Any
) -> None:
    checks = [
        ("component_id", lambda: check_component_id(component_id)),
        ("trigger", lambda: check_choice(trigger, AppTrigger, "trigger")),
    ]
    first_refused = next((name for name, check in checks if not verdict(check, name)), None)
    device = Device()
    outcome = device.run(lambda d: d.app.set_status(component_id, trigger))
    if first_refused is None:
        # A well-formed ID of an app the device does not have: the device's own answer.
        assert isinstance(outcome, DeviceHTTPError), outcome
        assert device.state.stats.requests >= 1
        return
    expect(device, outcome, False, first_refused)


@DEVICE_SETTINGS
@given(
    name=st.one_of(
        st.sampled_from(["eth0", "wlan0", "eth0/../x", ".", ".."]), any_text, not_strings
    ),
    # None means "leave the address as it is" (a separate check wants at least one change).
    mac=st.one_of(
        st.from_regex(MAC, fullmatch=True),
        st.text(max_size=18),
        not_strings.filter(lambda value: value is not None),
    ),
)
def test_interface_changes_refuse_bad_names_and_macs_before_traffic(name: Any, mac: Any) -> None:
    checks = [
        ("name", lambda: check_interface_name(name)),
        ("hardware_address", lambda: check_hardware_address(mac)),
    ]
    first_refused = next((n for n, check in checks if not verdict(check, n)), None)
    device = Device()
    outcome = device.run(lambda d: d.network.set_interface(name, hardware_address=mac))
    if first_refused is None:
        assert device.state.stats.requests >= 1
        assert outcome is None or isinstance(outcome, DeviceHTTPError), outcome
        return
    expect(device, outcome, False, first_refused)


@DEVICE_SETTINGS
@given(
    address=st.one_of(addresses(), any_text, not_strings),
)
def test_clients_refuse_bad_addresses_at_creation(address: Any) -> None:
    allowed = isinstance(address, str) and address == address.strip() and _address_allowed(address)
    assert verdict(lambda: DeviceClient(address), "address") == allowed


@pytest.mark.parametrize("value", ["\ud800", "ssid\udcff", "\udc80" * 8])
def test_lone_surrogates_are_refused_not_crashed_on(value: str) -> None:
    """A name decoded from bad bytes (``surrogateescape``) cannot be sent as JSON text."""
    for check, argument in (
        (lambda: check_ssid(value), "ssid"),
        (lambda: check_psk(value + "x" * 8), "psk"),
        (lambda: check_wifi_config_name(value), "config_name"),
    ):
        assert verdict(check, argument) is False
    json.dumps(value)  # Python would happily send it: the check is the client's


@pytest.mark.parametrize("name", [".", ".."])
def test_dot_segments_never_retarget_a_request(name: str) -> None:
    """``get_interface(".")`` was ``GET /net/interfaces``: the list, read as one empty interface."""
    for call, argument in (
        (lambda d: d.network.get_interface(name), "name"),
        (lambda d: d.network.set_interface(name, interface_up=True), "name"),
        (lambda d: d.certificates.get(name), "cert_id"),
        (lambda d: d.certificates.remove(name), "cert_id"),
        (lambda d: d.certificates.add(name, cert_type="rootca", public_cert="x"), "cert_id"),
    ):
        device = Device()
        expect(device, device.run(call), False, argument)
