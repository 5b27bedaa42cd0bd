"""The manufacturing state never moves without the explicit confirmation.

Moving it forward can never be undone, so ``set_state`` must refuse before any traffic
unless ``irreversible_ok=True`` (the boolean, nothing merely truthy), and must never move it
backwards or in place. The mock's state and its accounting prove that no PUT went out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from azsphere_async import (
    DeviceClient,
    DeviceUnreachableError,
    Fleet,
    InvalidArgumentError,
)
from azsphere_async.mock import DeviceState, MockDevice, MockDeviceConfig, MockFleet, create_app
from azsphere_async.models import ManufacturingState
from tests.reliability.reliability_helpers import EAGER_RETRY
from tests.shared_data import DEVICE_ADDRESS

PUT = "PUT /device/manufacturing_state"
FORWARD = ["Module1Complete", "DeviceComplete"]


def in_process(state: DeviceState) -> DeviceClient:
    return DeviceClient(DEVICE_ADDRESS, transport=httpx.ASGITransport(app=create_app(state)))


def run(state: DeviceState, call: Callable[[DeviceClient], Awaitable[Any]]) -> Exception | None:
    async def main() -> Exception | None:
        async with in_process(state) as client:
            try:
                await call(client)
            except InvalidArgumentError as exc:
                return exc
        return None

    return anyio.run(main)


@settings(max_examples=100, deadline=None, database=None)
@given(
    confirmation=st.one_of(
        st.none(),
        st.just(False),
        st.integers(),
        st.floats(allow_nan=False),
        st.text(),
        st.sampled_from(["True", "true", "yes", "I understand"]),
        st.lists(st.just(True), min_size=1),
    ),
    target=st.sampled_from([*FORWARD, ManufacturingState.DEVICE_COMPLETE]),
)
def test_anything_but_true_is_refused_before_any_traffic(confirmation: Any, target: Any) -> None:
    state = DeviceState()
    refusal = run(state, lambda d: d.manufacturing.set_state(target, irreversible_ok=confirmation))
    assert isinstance(refusal, InvalidArgumentError)
    assert refusal.argument == "irreversible_ok"
    assert "can never be undone" in str(refusal)
    assert state.manufacturing_state == "Blank"
    assert state.stats.requests == 0


def test_without_the_keyword_nothing_is_sent() -> None:
    state = DeviceState()
    refusal = run(state, lambda d: d.manufacturing.set_state("DeviceComplete"))
    assert isinstance(refusal, InvalidArgumentError)
    assert state.stats.requests == 0
    assert state.manufacturing_state == "Blank"


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("Module1Complete", "Module1Complete"),
        ("DeviceComplete", "Module1Complete"),
        ("DeviceComplete", "DeviceComplete"),
        ("Unknown", "DeviceComplete"),
    ],
)
def test_a_confirmed_move_backwards_in_place_or_from_unknown_sends_no_put(
    current: str, target: str
) -> None:
    state = DeviceState(MockDeviceConfig(manufacturing_state=current))
    refusal = run(state, lambda d: d.manufacturing.set_state(target, irreversible_ok=True))
    assert isinstance(refusal, InvalidArgumentError)
    assert "nothing was changed" in str(refusal)
    assert state.manufacturing_state == current
    assert state.stats.requests_by_operation[PUT] == 0


@pytest.mark.parametrize("target", ["Blank", "Unknown", "module1complete", "Shipped"])
def test_only_the_forward_states_can_be_asked_for(target: str) -> None:
    state = DeviceState()
    refusal = run(state, lambda d: d.manufacturing.set_state(target, irreversible_ok=True))
    assert isinstance(refusal, InvalidArgumentError)
    assert refusal.argument == "state"
    assert state.stats.requests == 0


def test_with_the_confirmation_the_state_moves_forward_once_per_step() -> None:
    state = DeviceState()
    for target in FORWARD:

        async def move(client: DeviceClient, target: str = target) -> None:
            await client.manufacturing.set_state(target, irreversible_ok=True)

        assert run(state, move) is None
        assert state.manufacturing_state == target
    assert state.stats.requests_by_operation[PUT] == 2


async def test_over_https_a_fleet_without_the_confirmation_changes_no_board() -> None:
    async with MockFleet(4) as mock, Fleet(mock.addresses, ca=mock.ssl_context()) as fleet:
        results = await fleet.run(lambda d: d.manufacturing.set_state("DeviceComplete"))
        assert all(isinstance(r.error, InvalidArgumentError) for r in results)
        for device in mock:
            assert device.state.manufacturing_state == "Blank"
            assert device.stats.requests == 0


async def test_a_confirmed_change_whose_connection_drops_is_not_sent_again() -> None:
    async with (
        MockDevice() as mock,
        DeviceClient(mock.address, ca=mock.ssl_context(), retry=EAGER_RETRY) as client,
    ):
        mock.faults.drop_next(method="PUT", path="/device/manufacturing_state")
        with pytest.raises(DeviceUnreachableError):
            await client.manufacturing.set_state("Module1Complete", irreversible_ok=True)
        assert mock.stats.requests_by_operation[PUT] == 1
        assert mock.state.manufacturing_state == "Blank"
        assert await client.manufacturing.get_state() == ManufacturingState.BLANK
