"""Reading the records: the runs and steps as models, from a store or straight from the file.

:func:`query_records` and :func:`query_targets` read a database without writing to it, while a
station writes to it (WAL lets readers and the writer work at once).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

import anyio
import anyio.to_thread
import attrs

from .outbox import TargetPosition, positions

__all__ = [
    "OUTCOMES",
    "RunOutcome",
    "RunQuery",
    "RunRecord",
    "StepOutcome",
    "StepRecord",
    "query_records",
    "query_targets",
    "read_runs",
]

T = TypeVar("T")

RunOutcome = Literal["running", "passed", "failed", "interrupted"]
StepOutcome = Literal["running", "passed", "failed", "skipped", "interrupted"]
OUTCOMES: Final = ("running", "passed", "failed", "interrupted")
"""The outcomes a run can have (``running``: not finished, or the station died)."""


@attrs.frozen
class StepRecord:
    """One step of a run: what it was, when, how long, and how it ended."""

    position: int
    name: str
    started_at: str
    ended_at: str | None
    elapsed: float | None
    outcome: StepOutcome
    detail: str


@attrs.frozen
class RunRecord:
    """One board plugged in once: its identity, its steps and the outcome."""

    id: int
    run_uid: str
    station: str
    recipe: str
    slot: str
    address: str
    device_id: str
    serial: str | None
    os_version: str | None
    images: tuple[str, ...]
    started_at: str
    ended_at: str | None
    elapsed: float | None
    outcome: RunOutcome
    detail: str
    steps: tuple[StepRecord, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (snake_case, steps nested)."""
        data = attrs.asdict(self, recurse=True)
        data["images"] = list(self.images)
        data["steps"] = [attrs.asdict(step) for step in self.steps]
        return data


@attrs.frozen(kw_only=True)
class RunQuery:
    """Which runs to read: every filter given must hold (``since``: an ISO start time in UTC;
    ``limit``: only the newest so many)."""

    device_id: str | None = None
    serial: str | None = None
    outcome: str | None = None
    since: str | None = None
    limit: int | None = None


def read_runs(db: sqlite3.Connection, query: RunQuery | None = None) -> list[RunRecord]:
    """The runs in ``db`` that ``query`` picks (default: all), oldest first."""
    query = query or RunQuery()
    limit = query.limit
    where: list[str] = []
    values: list[Any] = []
    for column, value, operator in (
        ("device_id", query.device_id, "="),
        ("serial", query.serial, "="),
        ("outcome", query.outcome, "="),
        ("started_at", query.since, ">="),
    ):
        if value is not None:
            where.append(f"{column} {operator} ?")
            values.append(value)
    sql = (
        "SELECT id, run_uid, station, recipe, slot, address, device_id, serial, os_version,"
        " images, started_at, ended_at, elapsed, outcome, detail FROM runs"
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + " ORDER BY id"
    )
    if limit is not None:
        newest_first = sql.replace(" ORDER BY id", " ORDER BY id DESC")
        sql = f"SELECT * FROM ({newest_first} LIMIT ?) ORDER BY id"
        values.append(limit)
    runs = []
    for row in db.execute(sql, values).fetchall():
        steps = tuple(
            StepRecord(*step)
            for step in db.execute(
                "SELECT position, name, started_at, ended_at, elapsed, outcome, detail"
                " FROM steps WHERE run_id = ? ORDER BY position",
                (row[0],),
            )
        )
        fields = list(row)
        fields[9] = tuple(json.loads(fields[9]))
        fields.append(steps)
        runs.append(RunRecord(*fields))
    return runs


async def query_records(path: str | Path, query: RunQuery | None = None) -> list[RunRecord]:
    """Read the runs in the database at ``path`` without writing to it (a station may be
    writing at the same time: WAL lets it)."""
    return await _read_only(path, lambda db: read_runs(db, query))


async def query_targets(path: str | Path) -> list[TargetPosition]:
    """Read how far each target of the outbox is, without writing to the database."""
    return await _read_only(path, positions)


async def _read_only(path: str | Path, read: Callable[[sqlite3.Connection], T]) -> T:
    def opened() -> T:
        if not Path(path).is_file():
            raise FileNotFoundError(f"no records database at {path}")
        db = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
        try:
            return read(db)
        finally:
            db.close()

    return await anyio.to_thread.run_sync(opened)
