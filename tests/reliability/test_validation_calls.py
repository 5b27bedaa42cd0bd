"""Property-based tests of the calls that validate their arguments, end to end.

Each call is checked against an in-process mock device: a refused value never sends a request
(not even the version probe) and the refusal names the argument; an accepted one reaches the
device, which takes it. What is allowed comes from ``validation_rules``, the same rules the
validators' own tests (``test_validation_properties``) hold them to.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from azsphere_async import DeviceClient, DeviceHTTPError, InvalidArgumentError
from azsphere_async.mock import DeviceState, create_app
from azsphere_async.models import AppTrigger, WifiConfigState
from azsphere_async.validation import (
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
)
from tests.reliability.validation_rules import (
    MAC,
    address_allowed,
    addresses,
    any_text,
    device_takes_identifier,
    not_ints,
    not_strings,
    verdict,
)
from tests.shared_data import DEVICE_ADDRESS

DEVICE_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


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
    valid = isinstance(cert_id, str) and device_takes_identifier(cert_id)
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
    allowed = isinstance(address, str) and address == address.strip() and address_allowed(address)
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
