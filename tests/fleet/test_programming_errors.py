"""A bug in the caller's own operation stops a fleet run and is raised, never hidden as results."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager

import anyio
import pytest

from azsphere_async import DeviceClient, DeviceTimeoutError, Fleet
from azsphere_async.mock import MockFleet
from tests.shared_data import BLINK


async def wrong_call(device: DeviceClient) -> object:
    return await device.device.get_status(1)  # type: ignore[call-arg]


async def test_a_wrong_call_is_raised_from_run_not_a_failure_per_board() -> None:
    async with MockFleet(4) as mock, Fleet(mock.addresses, ca=mock.ssl_context()) as fleet:
        with pytest.raises(TypeError, match="positional argument") as caught:
            await fleet.run(wrong_call)
        notes = "\n".join(getattr(caught.value, "__notes__", []))
        assert "raised by the fleet's operation on 127.0.0." in notes
        assert "a bug in the operation" in notes
        # The fleet is still usable afterwards: a correct operation runs on every board.
        results = await fleet.run(lambda device: device.device.get_status())
        assert all(result.ok for result in results)


async def test_the_bug_on_one_board_cancels_the_others_work() -> None:
    parked = 0
    both_parked = anyio.Event()

    async with MockFleet(3) as mock, Fleet(mock.addresses, ca=mock.ssl_context()) as fleet:
        buggy = mock.addresses[1]

        async def operation(device: DeviceClient) -> None:
            nonlocal parked
            if device.address == buggy:
                await both_parked.wait()  # both other boards are inside their work
                device.no_such_resource.get()  # type: ignore[attr-defined]
            parked += 1
            if parked == 2:
                both_parked.set()
            await anyio.sleep_forever()

        with anyio.fail_after(30), pytest.raises(AttributeError, match="no_such_resource"):
            await fleet.run(operation)
        assert parked == 2


async def test_as_completed_and_deploy_raise_it_too() -> None:
    async with MockFleet(2) as mock, Fleet(mock.addresses, ca=mock.ssl_context()) as fleet:
        with pytest.raises(NameError):
            await drain(fleet.as_completed(missing_name))
        # A progress callback of the wrong shape is the caller's bug as well.
        with pytest.raises(TypeError):
            await fleet.deploy(BLINK, progress=lambda address: None)  # type: ignore[arg-type,misc]
        assert all(
            device.stats.requests_by_operation["POST /update/install"] == 0 for device in mock
        )


async def drain(run: AbstractAsyncContextManager[AsyncIterator[object]]) -> None:
    async with run as results:
        async for _ in results:
            pass


async def missing_name(device: DeviceClient) -> object:
    return await undefined_helper(device)  # type: ignore[name-defined]  # noqa: F821


async def test_board_failures_stay_results() -> None:
    async with MockFleet(2) as mock, Fleet(mock.addresses, ca=mock.ssl_context()) as fleet:
        mock[0].faults.stall_next(None, path="/status")

        async def status(device: DeviceClient) -> object:
            return await device.device.get_status()

        results = await fleet.run(status, timeout=0.5)
        assert isinstance(results[0].error, DeviceTimeoutError)
        assert results[1].ok
