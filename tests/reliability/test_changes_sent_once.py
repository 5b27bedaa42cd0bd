"""Only reads are retried: a change whose connection is lost is never sent a second time.

For every kind of change the client can make, the mock drops the connection (before the
change is handled, or after it was handled while the answer was on its way); the call fails
with a typed error, the mock's accounting shows the change arrived exactly once, and the
board's next call works.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Final

import pytest
import trustme

from azsphere_async import (
    DeviceClient,
    DeviceUnreachableError,
    TLSVerificationError,
)
from azsphere_async.mock import Fault, FaultKind, MockDevice
from tests.reliability.reliability_helpers import EAGER_RETRY, LIMITS
from tests.shared_data import BLINK, BLINK_ID

ROOT_PEM: Final = trustme.CA().cert_pem.bytes().decode()

Call = Callable[[DeviceClient], Awaitable[Any]]

#: Every change: its name, the call, and the mock's ``requests_by_operation`` key.
CHANGES: Final[list[tuple[str, Call, str]]] = [
    (
        "app.set_status",
        lambda d: d.app.set_status(BLINK_ID, "stop"),
        "PATCH /app/status/{componentId}",
    ),
    (
        "sideload.delete_image",
        lambda d: d.sideload.delete_image(BLINK_ID),
        "DELETE /app/image/{componentId}",
    ),
    ("sideload.stage", lambda d: d.sideload.stage(BLINK), "PUT /update/stage"),
    ("sideload.install", lambda d: d.sideload.install(), "POST /update/install"),
    ("deploy", lambda d: d.deploy(BLINK), "POST /update/install"),
    (
        "certificates.add",
        lambda d: d.certificates.add("second", cert_type="rootca", public_cert=ROOT_PEM),
        "POST /certstore/certs/{identifier}",
    ),
    (
        "certificates.remove",
        lambda d: d.certificates.remove("lineroot"),
        "DELETE /certstore/certs/{identifier}",
    ),
    (
        "device.clear_error_report_data",
        lambda d: d.device.clear_error_report_data(),
        "DELETE /telemetry",
    ),
    ("device.restart", lambda d: d.device.restart(), "POST /restart"),
    (
        "manufacturing.set_state",
        lambda d: d.manufacturing.set_state("Module1Complete", irreversible_ok=True),
        "PUT /device/manufacturing_state",
    ),
    (
        "network.set_interface",
        lambda d: d.network.set_interface("eth0", interface_up=True),
        "PATCH /net/interfaces/{networkInterfaceName}",
    ),
    (
        "network.configure_proxy",
        lambda d: d.network.configure_proxy(address="proxy.example", port=3128),
        "POST /net/proxy",
    ),
    ("network.delete_proxy", lambda d: d.network.delete_proxy(), "DELETE /net/proxy"),
    (
        "wifi.add_network",
        lambda d: d.wifi.add_network(ssid="CoffeeShop", security_state="open"),
        "POST /wifi/config/networks",
    ),
    (
        "wifi.change_network",
        lambda d: d.wifi.change_network(0, config_state="disabled"),
        "PATCH /wifi/config/networks/{wifiNetworkId}",
    ),
    (
        "wifi.remove_network",
        lambda d: d.wifi.remove_network(0),
        "DELETE /wifi/config/networks/{wifiNetworkId}",
    ),
    (
        "wifi.set_interface_state",
        lambda d: d.wifi.set_interface_state(reload_config=True),
        "PATCH /wifi/interface",
    ),
]


def test_every_change_the_mock_knows_is_covered() -> None:
    from azsphere_async.mock import spec

    changes = {f"{op.method} {op.path}" for op in spec.operations() if op.method != "GET"}
    assert changes == {operation for _, _, operation in CHANGES}


@pytest.fixture
async def board() -> AsyncIterator[tuple[MockDevice, DeviceClient]]:
    """A board with an app, a staged image, a certificate, a network and a proxy."""
    async with (
        MockDevice() as mock,
        DeviceClient(
            mock.address, ca=mock.ssl_context(), timeout=LIMITS, retry=EAGER_RETRY
        ) as client,
    ):
        await client.deploy(BLINK)
        await client.sideload.stage(BLINK)
        await client.certificates.add("lineroot", cert_type="rootca", public_cert=ROOT_PEM)
        await client.wifi.add_network(ssid="ExampleNetworkName", security_state="open")
        await client.network.configure_proxy(address="proxy.example", port=8080)
        mock.stats.reset()
        yield mock, client


def _path_of(operation: str) -> str:
    return operation.split(" ", 1)[1]


def _method_of(operation: str) -> str:
    return operation.split(" ", 1)[0]


@pytest.mark.parametrize(
    ("call", "operation"), [c[1:] for c in CHANGES], ids=[c[0] for c in CHANGES]
)
async def test_a_change_dropped_before_it_is_handled_is_not_sent_again(
    board: tuple[MockDevice, DeviceClient], call: Call, operation: str
) -> None:
    mock, client = board
    mock.faults.drop_next(method=_method_of(operation), path=_path_of(operation))
    with pytest.raises(DeviceUnreachableError) as caught:
        await call(client)
    assert not isinstance(caught.value, TLSVerificationError)
    assert caught.value.address == mock.address
    assert mock.stats.requests_by_operation[operation] == 1
    assert mock.faults.pending == 0
    assert (await client.device.get_status()).uptime is not None  # the board still answers


# A restart whose answer is cut off restarts the board, which then refuses connections for
# a while; the dropped restart above covers that call.
CUT_OFF: Final = [c for c in CHANGES if c[0] != "device.restart"]


@pytest.mark.parametrize(
    ("call", "operation"), [c[1:] for c in CUT_OFF], ids=[c[0] for c in CUT_OFF]
)
async def test_a_change_whose_answer_is_cut_off_is_not_sent_again(
    board: tuple[MockDevice, DeviceClient], call: Call, operation: str
) -> None:
    """The device made the change, but the answer broke off: sending it again would repeat it."""
    mock, client = board
    mock.faults.inject(
        FaultKind.TRUNCATED_BODY, method=_method_of(operation), path=_path_of(operation)
    )
    lost: DeviceUnreachableError | None = None
    try:
        await call(client)
    except DeviceUnreachableError as exc:
        lost = exc
    assert mock.stats.faults_injected["truncated_body"] == 1
    # (An answer with no body has nothing to cut off: then the change went through whole.)
    assert not isinstance(lost, TLSVerificationError)
    assert mock.stats.requests_by_operation[operation] == 1
    assert (await client.device.get_status()).uptime is not None


@pytest.mark.parametrize(
    ("call", "operation"), [c[1:] for c in CHANGES], ids=[c[0] for c in CHANGES]
)
async def test_a_change_held_then_dropped_is_not_sent_again(
    board: tuple[MockDevice, DeviceClient], call: Call, operation: str
) -> None:
    mock, client = board
    mock.faults.inject(
        Fault(FaultKind.STALL, seconds=0.05, then_drop=True),
        method=_method_of(operation),
        path=_path_of(operation),
    )
    with pytest.raises(DeviceUnreachableError):
        await call(client)
    assert mock.stats.requests_by_operation[operation] == 1


async def test_a_cut_off_wifi_add_leaves_exactly_one_network(
    board: tuple[MockDevice, DeviceClient],
) -> None:
    mock, client = board
    before = len(mock.state.wifi.networks)
    mock.faults.inject(FaultKind.TRUNCATED_BODY, method="POST", path="/wifi/config/networks")
    with pytest.raises(DeviceUnreachableError):
        await client.wifi.add_network(ssid="CoffeeShop", security_state="open")
    assert len(mock.state.wifi.networks) == before + 1
    assert [n.ssid for n in await client.wifi.get_networks()].count("CoffeeShop") == 1


async def test_a_dropped_upload_is_not_sent_again_whatever_the_retry_policy(
    board: tuple[MockDevice, DeviceClient],
) -> None:
    mock, client = board
    mock.faults.drop_upload_after(16 * 1024)
    with pytest.raises(DeviceUnreachableError) as caught:
        await client.sideload.stage(BLINK)
    assert caught.value.bytes_sent is not None
    assert mock.stats.requests_by_operation["PUT /update/stage"] == 1
