"""Manufacturing state: read it, and move it forward only, only when told it is irreversible."""

from __future__ import annotations

import pytest
import respx

from azsphere_async.client import DeviceClient
from azsphere_async.errors import InvalidArgumentError
from azsphere_async.models import ManufacturingState
from tests.client.client_helpers import body_of, load, reply, traffic

PATH = "/device/manufacturing_state"


def _device_in(router: respx.MockRouter, state: str) -> respx.Route:
    router.get(PATH).mock(return_value=reply({"manufacturingState": state}))
    return router.put(PATH).mock(return_value=reply({}))


async def test_get_state(router: respx.MockRouter, client: DeviceClient) -> None:
    router.get(PATH).mock(return_value=reply(load("manufacturing_state")))
    assert await client.manufacturing.get_state() is ManufacturingState.MODULE1_COMPLETE
    assert traffic(router) == [("GET", PATH)]


async def test_get_state_of_a_device_that_does_not_say(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    router.get(PATH).mock(return_value=reply({}))
    assert await client.manufacturing.get_state() is ManufacturingState.UNKNOWN


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("Blank", "Module1Complete"),
        ("Blank", "DeviceComplete"),
        ("Module1Complete", ManufacturingState.DEVICE_COMPLETE),
    ],
)
async def test_forward_moves_are_made_when_confirmed(
    router: respx.MockRouter, client: DeviceClient, current: str, target: str
) -> None:
    put = _device_in(router, current)
    await client.manufacturing.set_state(target, irreversible_ok=True)
    assert traffic(router) == [("GET", PATH), ("PUT", PATH)]
    assert body_of(put.calls.last.request) == {"manufacturingState": str(target)}


@pytest.mark.parametrize("confirmation", [False, "yes", 1, None])
async def test_nothing_is_sent_without_confirming_it_is_irreversible(
    router: respx.MockRouter, client: DeviceClient, confirmation: object
) -> None:
    _device_in(router, "Blank")
    with pytest.raises(InvalidArgumentError) as caught:
        await client.manufacturing.set_state(
            "DeviceComplete",
            irreversible_ok=confirmation,  # type: ignore[arg-type]
        )
    assert caught.value.argument == "irreversible_ok"
    assert "never be undone" in str(caught.value)
    assert not router.calls


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("Module1Complete", "Module1Complete"),
        ("DeviceComplete", "DeviceComplete"),
        ("DeviceComplete", "Module1Complete"),
    ],
)
async def test_same_and_backward_moves_are_refused_before_the_put(
    router: respx.MockRouter, client: DeviceClient, current: str, target: str
) -> None:
    put = _device_in(router, current)
    with pytest.raises(InvalidArgumentError) as caught:
        await client.manufacturing.set_state(target, irreversible_ok=True)
    assert caught.value.argument == "state"
    assert current in str(caught.value)
    assert "nothing was changed" in str(caught.value)
    assert not put.called
    assert traffic(router) == [("GET", PATH)]


@pytest.mark.parametrize("current", ["Unknown", "RmaComplete"])
async def test_moves_from_a_state_out_of_the_order_are_refused(
    router: respx.MockRouter, client: DeviceClient, current: str
) -> None:
    put = _device_in(router, current)
    with pytest.raises(InvalidArgumentError) as caught:
        await client.manufacturing.set_state("DeviceComplete", irreversible_ok=True)
    assert current in str(caught.value)
    assert not put.called


@pytest.mark.parametrize("state", ["Blank", "Unknown", "devicecomplete", "", None])
async def test_states_that_cannot_be_set_are_refused_before_any_request(
    router: respx.MockRouter, client: DeviceClient, state: object
) -> None:
    _device_in(router, "Blank")
    with pytest.raises(InvalidArgumentError) as caught:
        await client.manufacturing.set_state(state, irreversible_ok=True)  # type: ignore[arg-type]
    assert "'Module1Complete', 'DeviceComplete'" in str(caught.value)
    assert not router.calls
