"""The station under trio: hot-plug, records and the station loop on anyio alone.

The mock runs on asyncio (uvicorn), so it is served by another process, plugged from its
command line (``--plug-control``).
"""

from __future__ import annotations

from pathlib import Path

import anyio

from azsphere_async import ClientOptions
from azsphere_async.records import RecordStore
from azsphere_async.station import Station
from azsphere_async.station.hotplug import watch_attached
from tests.station.station_helpers import (
    LineOperation,
    PluggedMockProcess,
    slot_state,
    wait_for,
)


def test_the_station_runs_under_trio(tmp_path: Path) -> None:
    ca_file = tmp_path / "ca.pem"
    operation = LineOperation()
    with PluggedMockProcess(1, ca_file) as mock:

        async def main() -> list[tuple[str, str]]:
            options = ClientOptions(ca=ca_file)
            async with RecordStore(tmp_path / "records.db") as store:
                station = Station(operation, store, options=options)
                events = watch_attached(dcs_url=mock.dcs_url, options=options, interval=0.05)
                async with anyio.create_task_group() as group:
                    group.start_soon(station.run, events)
                    mock.send("plug 1\n")
                    await wait_for(lambda: slot_state(station, "1") == "passed", "passed")
                    group.cancel_scope.cancel()
                return [(run.slot, run.outcome) for run in await store.runs()]

        assert anyio.run(main, backend="trio") == [("1", "passed")]
