"""``demo --station``: about 20 seconds of a station, with mock boards plugged in and out.

Five mock boards come to the station one after another: four take the recipe (blink, OS
24.03) and pass, one runs OS 23.10 and fails the OS check, one is pulled mid-upload and plugged
in again (recorded as interrupted, then passed). The records are shown at the end.

The operator acts on what the station shows, not on the clock: the board is pulled once its
upload has begun, plugged in again once the station has recorded it as pulled, and the
station stops once every board has its record. ``pace`` scales only the operator's pauses
between those acts (1: about 20 s; 0: no pauses, as fast as the boards go).
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Final

import anyio

from ..mock import MockDeviceConfig, MockFleet
from ..options import ClientOptions
from ..recipe import load_recipe, prepare_recipe
from ..records import query_records
from ..station import Station
from ..station.hotplug import watch_attached
from ..station.recipe import recipe_operation
from .commands.records import show_runs
from .commands.station import StationSettings, run_station
from .context import AppContext
from .exit_status import EXIT_OK

__all__ = ["run_station_demo"]

_RECIPE: Final = """\
# The demo's recipe: blink installed, OS 24.03, development boards' capability allowed.
os_versions = ["24.03"]
other_apps = "remove"
allowed_capabilities = [11]

[[apps]]
package = "blink.imagepackage"
"""

_BOARDS: Final = 5
_OLD_OS_BOARD: Final = 2  # runs 23.10: fails the recipe's OS check
_PULLED_BOARD: Final = 3  # pulled mid-run, plugged in again
_PULLED_LINK: Final = 4000.0  # bytes/s: its upload takes about 4 s, so it is pulled mid-upload
# However slow the machine, the operator gives up waiting for the station after this long.
_PATIENCE: Final = 120.0


async def run_station_demo(
    app: AppContext, image: Path, db: Path | None, *, pace: float = 1.0
) -> int:
    """Run the station demo; the records go to ``db`` (else a temporary file).

    ``pace`` scales the operator's pauses (1: about 20 s in all; 0: none).
    """
    out = app.output
    base = MockDeviceConfig(restart_downtime=0.3)
    configs = [
        dataclasses.replace(base, os_version="23.10") if i == _OLD_OS_BOARD else base
        for i in range(_BOARDS)
    ]
    with tempfile.TemporaryDirectory(prefix="azsphere-station-demo-") as folder:
        work = Path(folder)
        shutil.copy(image, work / "blink.imagepackage")
        (work / "demo.toml").write_text(_RECIPE)
        prepared = prepare_recipe(load_recipe(work / "demo.toml"))
        records = db if db is not None else work / "records.db"
        async with MockFleet(_BOARDS, configs=configs, dcs_port=0, plugged=False) as mock:
            assert mock.dcs is not None
            mock[_PULLED_BOARD].link.set(bandwidth=_PULLED_LINK)
            app.ca = mock.ca_pem
            options = ClientOptions(ca=mock.ca_pem)
            events = watch_attached(
                dcs_url=mock.dcs.url, interval=0.1, restart_grace=1.0, options=options
            )
            # A generous verdict: however loaded the machine, the pulled board counts as pulled.
            settings = StationSettings(
                db=records, name="demo", poll=0.1, restart_grace=1.0, detach_verdict=10.0
            )
            stop = anyio.Event()
            started: list[Station] = []
            out.message(
                "A station on mock boards: plugged in one by one, one pulled mid-run, "
                "one with an old OS (about 20 s; Ctrl-C stops)"
            )

            async def pause(seconds: float) -> None:
                await anyio.sleep(seconds * pace)

            async def operator() -> None:
                with anyio.move_on_after(_PATIENCE):
                    await _operate(mock, started, pause)
                stop.set()

            async with anyio.create_task_group() as group:
                group.start_soon(operator)
                await run_station(
                    app,
                    recipe_operation(prepared),
                    prepared,
                    settings,
                    "demo.toml",
                    events,
                    stop=stop,
                    on_start=started.append,
                )
                group.cancel_scope.cancel()
        out.heading("The records")
        show_runs(out, await query_records(records))
        out.message(
            "A station keeps them (station --db PATH); azsphere-async records --format junit "
            "exports them for MES and CI. The demo's records are thrown away."
            if db is None
            else f"azsphere-async records --db {records} --format junit   # for MES and CI"
        )
    return EXIT_OK


async def _operate(
    mock: MockFleet, started: list[Station], pause: Callable[[float], Awaitable[None]]
) -> None:
    """What the demo's operator does, each act once the station shows it may."""
    for index in range(_BOARDS):
        await mock.plug(index)
        await pause(1.5)
    pulled = mock[_PULLED_BOARD]
    await _until(lambda: pulled.stats.requests_by_path.get("/update/stage", 0) > 0)
    await pause(0.5)
    await mock.unplug(_PULLED_BOARD)  # the operator pulls it mid-upload
    slot = pulled.connection_path
    await _until(lambda: bool(started) and started[0].slots[slot].state != "running")
    await pause(3.0)
    pulled.link.set(bandwidth=None)
    await mock.plug(_PULLED_BOARD)  # and plugs it in again: it starts over
    # Every board has its record, the pulled one twice.
    await _until(lambda: sum(started[0].counts.values()) == _BOARDS + 1)
    await pause(2.0)  # a look at the view before the station stops


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():  # noqa: ASYNC110 - the mock's counters and the station's have no event
        await anyio.sleep(0.05)
