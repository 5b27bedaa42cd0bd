"""The station against mock boards plugged in and out: a record for every board."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import anyio

from azsphere_async import ClientOptions
from azsphere_async.mock import MockDeviceConfig, MockFleet
from azsphere_async.records import RecordStore
from azsphere_async.station import Station
from azsphere_async.station.hotplug import HotplugEvent, watch_attached
from azsphere_async.station.serials import SerialScanner
from tests.station.station_helpers import GRACE, LineOperation, slot_state, wait_for

CONFIG = MockDeviceConfig(restart_downtime=0.2)


async def test_pass_fail_pulled_and_plugged_again(tmp_path: Path) -> None:
    operation = LineOperation()
    async with (
        MockFleet(3, CONFIG, dcs_port=0, plugged=False) as mock,
        RecordStore(tmp_path / "records.db") as store,
    ):
        assert mock.dcs is not None
        ids = [device.state.device_id for device in mock]
        operation.failing.add(ids[1])
        operation.hold(ids[2])
        options = ClientOptions(ca=mock.ssl_context())
        station = Station(
            operation, store, name="st1", recipe="line.toml", options=options, detach_verdict=5
        )
        events = watch_attached(
            dcs_url=mock.dcs.url, options=options, interval=0.05, restart_grace=GRACE
        )
        async with anyio.create_task_group() as group:
            group.start_soon(station.run, events)
            for index in range(3):
                await mock.plug(index)
            await wait_for(lambda: slot_state(station, "1") == "passed", "board 1 passed")
            await wait_for(lambda: slot_state(station, "2") == "failed", "board 2 failed")
            await wait_for(lambda: operation.started.count(ids[2]) == 1, "board 3 started")
            await mock.unplug(2)  # pulled mid-run
            await wait_for(lambda: slot_state(station, "3") == "interrupted", "board 3 pulled")
            operation.release(ids[2])
            await mock.plug(2)  # the same board again: it starts over
            await wait_for(lambda: operation.started.count(ids[2]) == 2, "board 3 again")
            await wait_for(lambda: slot_state(station, "3") == "passed", "board 3 passed")
            # A restart is not a new board: no new run starts.
            await mock[0].restart()
            await anyio.sleep(GRACE)
            assert operation.started.count(ids[0]) == 1
            station.drain()
            await mock.unplug(0)  # an event to notice the drain with
            await wait_for(lambda: not station.in_flight, "nothing in flight")
            group.cancel_scope.cancel()
        runs = await store.runs()
    outcomes = {(run.device_id, run.outcome) for run in runs}
    assert outcomes == {
        (ids[0], "passed"),
        (ids[1], "failed"),
        (ids[2], "interrupted"),
        (ids[2], "passed"),
    }
    assert len(runs) == 4
    failed = next(run for run in runs if run.outcome == "failed")
    assert [(s.name, s.outcome) for s in failed.steps] == [
        ("identify", "passed"),
        ("read status", "passed"),
        ("check", "failed"),
    ]
    assert "the check found a problem" in failed.detail
    pulled = next(run for run in runs if run.outcome == "interrupted")
    assert [s.outcome for s in pulled.steps] == ["passed", "interrupted"]
    assert pulled.detail == "the board was unplugged"
    passed = next(run for run in runs if run.device_id == ids[0])
    assert passed.os_version
    assert passed.images
    assert station.counts == {"passed": 2, "failed": 1, "interrupted": 1}


async def test_cancelled_station_records_every_board_in_flight(tmp_path: Path) -> None:
    operation = LineOperation()
    async with (
        MockFleet(2, CONFIG, dcs_port=0) as mock,
        RecordStore(tmp_path / "records.db") as store,
    ):
        assert mock.dcs is not None
        for device in mock:
            operation.hold(device.state.device_id)
        options = ClientOptions(ca=mock.ssl_context())
        station = Station(operation, store, options=options)
        events = watch_attached(dcs_url=mock.dcs.url, options=options, interval=0.05)
        async with anyio.create_task_group() as group:
            group.start_soon(station.run, events)
            await wait_for(lambda: len(operation.started) == 2, "both boards started")
            group.cancel_scope.cancel()  # Ctrl-C
        runs = await store.runs()
    assert [run.outcome for run in runs] == ["interrupted", "interrupted"]
    assert {run.detail for run in runs} == {"the station was stopped"}
    assert all(run.steps[-1].outcome == "interrupted" for run in runs)


async def test_scanned_serials_are_bound_in_order_and_a_double_scan_refused(
    tmp_path: Path,
) -> None:
    operation = LineOperation()
    scanner = SerialScanner()
    async with (
        MockFleet(2, CONFIG, dcs_port=0, plugged=False) as mock,
        RecordStore(tmp_path / "records.db") as store,
    ):
        assert mock.dcs is not None
        options = ClientOptions(ca=mock.ssl_context())
        station = Station(operation, store, options=options, serials=scanner)
        events = watch_attached(dcs_url=mock.dcs.url, options=options, interval=0.05)
        async with anyio.create_task_group() as group:
            group.start_soon(station.run, events)
            await mock.plug(0)
            await wait_for(lambda: slot_state(station, "1") == "serial", "board 1 waits for a scan")
            assert scanner.scan("SN-0001")
            await wait_for(lambda: slot_state(station, "1") == "passed", "board 1 passed")
            assert not scanner.scan("SN-0001")  # the label scanned again by mistake
            assert scanner.scan("SN-0002")
            await mock.plug(1)
            await wait_for(lambda: slot_state(station, "2") == "passed", "board 2 passed")
            group.cancel_scope.cancel()
        runs = await store.runs()
    assert [(run.device_id, run.serial) for run in runs] == [
        (mock[0].state.device_id, "SN-0001"),
        (mock[1].state.device_id, "SN-0002"),
    ]
    assert scanner.refused[0][0] == "SN-0001"
    assert "scanned twice" in scanner.refused[0][1]


async def test_a_locked_database_stops_new_boards_and_loses_no_record(tmp_path: Path) -> None:
    operation = LineOperation()
    path = tmp_path / "records.db"
    async with (
        MockFleet(2, CONFIG, dcs_port=0, plugged=False) as mock,
        RecordStore(path, timeout=0.05) as store,
    ):
        assert mock.dcs is not None
        first = mock[0].state.device_id
        operation.hold(first)
        options = ClientOptions(ca=mock.ssl_context())
        station = Station(operation, store, options=options, retry=0.05)
        events = watch_attached(dcs_url=mock.dcs.url, options=options, interval=0.05)
        async with anyio.create_task_group() as group:
            group.start_soon(station.run, events)
            await mock.plug(0)
            await wait_for(lambda: operation.started == [first], "board 1 started")
            reader = sqlite3.connect(path, isolation_level=None)
            reader.execute("BEGIN EXCLUSIVE")  # another program holds the database
            operation.release(first)
            await wait_for(lambda: "locked by another program" in station.halted, "said")
            await mock.plug(1)
            await wait_for(lambda: slot_state(station, "2") == "not taken", "board 2 refused")
            assert "locked" in station.slots["2"].detail
            reader.execute("ROLLBACK")
            reader.close()
            await wait_for(lambda: slot_state(station, "1") == "passed", "board 1 recorded")
            assert station.halted == ""
            group.cancel_scope.cancel()
        runs = await store.runs()
    assert [(run.device_id, run.outcome) for run in runs] == [(first, "passed")]
    assert [step.outcome for step in runs[0].steps] == ["passed", "passed", "passed"]
    assert operation.started == [first]


async def test_the_same_board_listed_twice_is_refused_at_the_second_slot(tmp_path: Path) -> None:
    operation = LineOperation()
    async with (
        MockFleet(1, CONFIG) as mock,
        RecordStore(tmp_path / "records.db") as store,
    ):
        device_id = mock[0].state.device_id
        operation.hold(device_id)
        station = Station(operation, store, options=ClientOptions(ca=mock.ssl_context()))
        twice = anyio.Event()

        async def events() -> AsyncIterator[HotplugEvent]:
            yield HotplugEvent("attached", device_id, "1", mock[0].address)
            await wait_for(lambda: operation.started == [device_id], "board started")
            yield HotplugEvent("attached", device_id, "2", mock[0].address)
            twice.set()
            await anyio.sleep_forever()

        async with anyio.create_task_group() as group:
            group.start_soon(station.run, events())
            await twice.wait()
            assert station.slots["2"].state == "refused"
            assert "slot 1" in station.slots["2"].detail
            operation.release(device_id)
            await wait_for(lambda: slot_state(station, "1") == "passed", "slot 1 passed")
            group.cancel_scope.cancel()
        assert [run.slot for run in await store.runs()] == ["1"]


async def test_a_board_plugged_in_again_while_its_pulled_run_is_recorded_is_taken(
    tmp_path: Path,
) -> None:
    operation = LineOperation()
    async with (
        MockFleet(1, CONFIG) as mock,
        RecordStore(tmp_path / "records.db") as store,
    ):
        device_id, address = mock[0].state.device_id, mock.addresses[0]
        operation.hold(device_id)
        options = ClientOptions(ca=mock.ssl_context())
        station = Station(operation, store, name="st1", options=options)
        send, receive = anyio.create_memory_object_stream[HotplugEvent](8)
        attached = HotplugEvent("attached", device_id, "1", address)
        async with anyio.create_task_group() as group:
            group.start_soon(station.run, receive)
            await send.send(attached)
            await wait_for(lambda: operation.started.count(device_id) == 1, "the first run")
            # Pulled and plugged in again at once: the second board arrives while the first
            # run is still being recorded, and is taken when it is (not "slot busy").
            send.send_nowait(HotplugEvent("detached", device_id, "1", address))
            send.send_nowait(attached)
            await wait_for(lambda: operation.started.count(device_id) == 2, "the board again")
            operation.release(device_id)  # the first run was held until it was pulled
            await wait_for(lambda: slot_state(station, "1") == "passed", "the second run passed")
            station.drain()
            send.close()
        runs = await store.runs()
    assert [run.outcome for run in runs] == ["interrupted", "passed"]
