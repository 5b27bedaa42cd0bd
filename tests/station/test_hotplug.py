"""Hot-plug events from the Device Communication Service, against mock boards plugged in and out."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import respx

from azsphere_async import ClientOptions
from azsphere_async.mock import MockDeviceConfig, MockFleet
from azsphere_async.station.hotplug import HotplugEvent, watch_attached
from tests.station.station_helpers import PluggedMockProcess

GRACE = 1.5  # longer than the 0.2 s restarts below


def fast_watch(dcs_url: str, **kwargs: Any) -> AsyncGenerator[HotplugEvent, None]:
    """Events from the DCS at ``dcs_url``, polled every 50 ms."""
    return watch_attached(
        dcs_url=dcs_url, interval=0.05, rescan_every=0.5, restart_grace=GRACE, **kwargs
    )


async def next_events(events: AsyncIterator[HotplugEvent], count: int) -> list[HotplugEvent]:
    with anyio.fail_after(30):
        return [await anext(events) for _ in range(count)]


async def test_boards_attach_detach_and_come_back() -> None:
    config = MockDeviceConfig(restart_downtime=0.2)
    async with MockFleet(2, config, dcs_port=0, plugged=False) as mock:
        assert mock.dcs is not None
        options = ClientOptions(ca=mock.ssl_context())
        events = fast_watch(mock.dcs.url, options=options)
        await mock.plug(1)
        (first,) = await next_events(events, 1)
        assert first == HotplugEvent("attached", mock[1].state.device_id, "2", mock[1].address)
        await mock.plug(0)
        (second,) = await next_events(events, 1)
        assert (second.kind, second.device_id, second.connection_path) == (
            "attached",
            mock[0].state.device_id,
            "1",
        )
        # A restart is not a detach: the next event is the pull that follows it.
        await mock[0].restart()
        await mock.unplug(0)
        (pulled,) = await next_events(events, 1)
        assert (pulled.kind, pulled.device_id, pulled.connection_path) == (
            "detached",
            mock[0].state.device_id,
            "1",
        )
        assert mock[0].stats.restarts == 1
        await mock.plug(0)
        (again,) = await next_events(events, 1)
        assert (again.kind, again.device_id) == ("attached", mock[0].state.device_id)
        await events.aclose()


async def test_a_board_moved_to_another_port_is_detached_there_and_attached_here() -> None:
    async with MockFleet(1, dcs_port=0) as mock:
        assert mock.dcs is not None
        options = ClientOptions(ca=mock.ssl_context())
        events = fast_watch(mock.dcs.url, options=options)
        (attached,) = await next_events(events, 1)
        assert attached.connection_path == "1"
        await mock.unplug(0)
        await mock.plug(0, "7")
        moved = await next_events(events, 2)
        assert [(e.kind, e.connection_path) for e in moved] == [
            ("detached", "1"),
            ("attached", "7"),
        ]
        assert {e.device_id for e in moved} == {mock[0].state.device_id}
        await events.aclose()


async def test_a_different_board_in_the_same_slot_is_a_new_board() -> None:
    async with MockFleet(2, dcs_port=0, plugged=False) as mock:
        assert mock.dcs is not None
        options = ClientOptions(ca=mock.ssl_context())
        events = fast_watch(mock.dcs.url, options=options)
        await mock.plug(0)
        await next_events(events, 1)
        await mock.unplug(0)
        await mock.plug(1, "1")
        swap = await next_events(events, 2)
        assert [(e.kind, e.device_id) for e in swap] == [
            ("detached", mock[0].state.device_id),
            ("attached", mock[1].state.device_id),
        ]
        await events.aclose()


@respx.mock(base_url="http://127.0.0.1:48938")
async def test_a_silent_service_is_reported_once_and_detaches_nobody(
    respx_mock: respx.MockRouter,
) -> None:
    listing = respx_mock.get("/api/service/devices")
    listing.respond(200, json=[{"IpAddress": "127.0.0.9", "DeviceConnectionPath": "3"}])
    respx_mock.put("/api/service/devices/rescan").respond(404)

    async def identify(address: str) -> str:
        return f"id-of-{address}"

    events = watch_attached(
        dcs_url="http://127.0.0.1:48938",
        identify=identify,
        interval=0.01,
        rescan_every=0.01,
        restart_grace=0.0,
    )
    (attached,) = await next_events(events, 1)
    assert attached == HotplugEvent("attached", "id-of-127.0.0.9", "3", "127.0.0.9")
    listing.mock(side_effect=httpx.ConnectError("refused"))
    (lost,) = await next_events(events, 1)
    assert lost.kind == "service_lost"
    assert "did not answer" in lost.detail
    listing.mock(side_effect=None)
    listing.respond(200, json=[{"IpAddress": "127.0.0.9", "DeviceConnectionPath": "3"}])
    (back,) = await next_events(events, 1)
    assert back.kind == "service_back"
    listing.respond(200, json=[])
    (gone,) = await next_events(events, 1)
    assert (gone.kind, gone.connection_path) == ("detached", "3")
    await events.aclose()


@pytest.mark.parametrize(
    ("name", "value"), [("interval", -1.0), ("restart_grace", float("nan")), ("rescan_every", 0.0)]
)
async def test_bad_timings_are_refused_before_any_traffic(name: str, value: float) -> None:
    with pytest.raises(ValueError, match=name):
        await anext(watch_attached(**{name: value}))  # type: ignore[arg-type]


def test_the_mock_command_line_plugs_boards_and_trio_sees_it(tmp_path: Path) -> None:
    with PluggedMockProcess(2, tmp_path / "ca.pem") as mock:
        mock.send("plug 2 5\n")
        assert mock.answer() == "board 2 plugged in at 5"

        async def watch() -> list[HotplugEvent]:
            events = fast_watch(mock.dcs_url, identify=_fixed_id)
            seen = await next_events(events, 1)
            mock.send("unplug 2\nbogus\n")
            seen += await next_events(events, 1)
            await events.aclose()
            return seen

        seen = anyio.run(watch, backend="trio")
        assert [(e.kind, e.connection_path) for e in seen] == [("attached", "5"), ("detached", "5")]
        assert mock.answer() == "board 2 unplugged"
        assert "unknown command 'bogus'" in mock.answer()


async def _fixed_id(address: str) -> str:
    return "the-board"
