"""A record of every board a station handles, in an embedded SQLite database.

:class:`RecordStore` writes each run (one board, plugged in once), each of its steps with
timing and result, and the board's identity (device ID, serial number, OS, images) as they
happen: the database is in WAL mode and every write is its own transaction, so a crash or a
power cut loses at most the step in flight. Events for the line's broker and webhooks go into
an outbox table in the same transaction as the record they describe, each target with its own
delivery position (:mod:`azsphere_async.records.outbox`; sent by
:mod:`azsphere_async.station.delivery` and :mod:`azsphere_async.station.webhook`).

SQLite runs in a worker thread (``anyio.to_thread``), one call at a time, so the event loop
never blocks on the disk. A database that another program holds locked, or a full disk, raises
:class:`RecordsUnavailableError`; nothing is half-written (the transaction is rolled back).
Known secrets given to the store are replaced by ``***`` in every text it writes.
"""

from __future__ import annotations

import datetime
import json
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal, TypeVar

import anyio
import anyio.to_thread

from .._redaction import redact
from ..errors import AzsphereError
from . import outbox as outbox_table
from .outbox import OUTBOX_SCHEMA_VERSION, OutboxEvent, TargetPosition
from .reading import (
    OUTCOMES,
    RunOutcome,
    RunQuery,
    RunRecord,
    StepOutcome,
    StepRecord,
    query_records,
    read_runs,
)

__all__ = [
    "DEFAULT_RECORDS_PATH",
    "OUTCOMES",
    "OutboxEvent",
    "RecordStore",
    "RecordsUnavailableError",
    "RunOutcome",
    "RunQuery",
    "RunRecord",
    "StepOutcome",
    "StepRecord",
    "TargetPosition",
    "query_records",
]

DEFAULT_RECORDS_PATH: Final = "station-records.db"
"""Where a station keeps its records unless told otherwise (in the current directory)."""

T = TypeVar("T")

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    run_uid TEXT NOT NULL UNIQUE,
    station TEXT NOT NULL,
    recipe TEXT NOT NULL,
    slot TEXT NOT NULL,
    address TEXT NOT NULL,
    device_id TEXT NOT NULL,
    serial TEXT,
    os_version TEXT,
    images TEXT NOT NULL DEFAULT '[]',
    started_at TEXT NOT NULL,
    ended_at TEXT,
    elapsed REAL,
    outcome TEXT NOT NULL DEFAULT 'running',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS runs_by_device ON runs (device_id);
CREATE INDEX IF NOT EXISTS runs_by_serial ON runs (serial);
CREATE TABLE IF NOT EXISTS steps (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs (id),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    elapsed REAL,
    outcome TEXT NOT NULL DEFAULT 'running',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS steps_by_run ON steps (run_id, position);
"""


class RecordsUnavailableError(AzsphereError):
    """The records database cannot be written (locked by another program, or the disk full)."""

    def __init__(self, path: str, reason: str, *, hint: str) -> None:
        self.path = path
        self.reason = reason
        self.hint = hint
        super().__init__(f"cannot write the records in {path}: {reason}; {hint}")


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


class RecordStore:
    """The station's records in the SQLite database at ``path`` (an async context manager).

    ``timeout``: seconds to wait for another program's lock before giving up;
    ``max_bytes``: a cap on the database's size (a small card; as full as a full disk);
    ``secrets``: texts that must never be written (replaced by ``***``).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        timeout: float = 5.0,
        max_bytes: int | None = None,
        secrets: Iterable[str] = (),
    ) -> None:
        self.path = str(path)
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._secrets = tuple(secrets)
        self._connection: sqlite3.Connection | None = None
        self._limiter = anyio.CapacityLimiter(1)

    async def __aenter__(self) -> RecordStore:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ------------------------------------------------------------------ plumbing

    def _open_sync(self) -> None:
        connection = sqlite3.connect(
            self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
        )
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute("PRAGMA foreign_keys=ON")
            version = outbox_table.schema_version(connection)
            if version > OUTBOX_SCHEMA_VERSION:
                raise RecordsUnavailableError(
                    self.path,
                    f"it was written by a newer azsphere-async (schema {version}; this one"
                    f" knows {OUTBOX_SCHEMA_VERSION})",
                    hint="run the station with that version, or give another --db",
                )
            connection.executescript(_SCHEMA)
            outbox_table.prepare_outbox(connection, _now())
            if self._max_bytes is not None:
                page_size = connection.execute("PRAGMA page_size").fetchone()[0]
                connection.execute(f"PRAGMA max_page_count={max(1, self._max_bytes // page_size)}")
        except BaseException:
            connection.close()
            raise
        self._connection = connection

    async def open(self) -> None:
        """Open (and create) the database."""
        await self._run(self._open_sync)

    async def close(self) -> None:
        """Close the database."""
        connection, self._connection = self._connection, None
        if connection is not None:
            await anyio.to_thread.run_sync(connection.close, limiter=self._limiter)

    def _translate(self, exc: sqlite3.Error) -> RecordsUnavailableError:
        code = getattr(exc, "sqlite_errorcode", None)
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in str(exc):
            return RecordsUnavailableError(
                self.path,
                "the database is locked by another program",
                hint="close the program that holds it (a reader with an open transaction?)",
            )
        if code == sqlite3.SQLITE_FULL or "full" in str(exc):
            return RecordsUnavailableError(
                self.path,
                "the disk (or the database's size cap) is full",
                hint="free space (or move the records database); the write was rolled back whole",
            )
        return RecordsUnavailableError(self.path, str(exc), hint="check the database file")

    async def _run(self, function: Callable[[], T]) -> T:
        def guarded() -> T:
            try:
                return function()
            except sqlite3.Error as exc:
                raise self._translate(exc) from exc

        return await anyio.to_thread.run_sync(guarded, limiter=self._limiter)

    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            raise RuntimeError("the record store is not open")
        return self._connection

    def _clean(self, text: str) -> str:
        return redact(text, self._secrets)

    def _transaction(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[int]:
        db = self._db()
        ids: list[int] = []
        with outbox_table.write_transaction(db):
            for sql, parameters in statements:
                ids.append(db.execute(sql, parameters).lastrowid or 0)
        return ids

    def _event(self, topic: str, payload: dict[str, Any]) -> tuple[str, Sequence[Any]]:
        event_id = str(uuid.uuid4())
        body = json.dumps({"event_id": event_id, **payload}, sort_keys=True)
        return (
            "INSERT INTO outbox (event_id, topic, payload, created_at) VALUES (?, ?, ?, ?)",
            (event_id, topic, self._clean(body), _now()),
        )

    def _write(
        self, sql: str, parameters: Sequence[Any], events: Sequence[tuple[str, dict[str, Any]]]
    ) -> int:
        cleaned = [self._clean(p) if isinstance(p, str) else p for p in parameters]
        statements = [(sql, cleaned), *(self._event(t, p) for t, p in events)]
        return self._transaction(statements)[0]

    # ------------------------------------------------------------------ writing

    async def start_run(
        self,
        *,
        station: str,
        recipe: str,
        slot: str,
        address: str,
        device_id: str,
        run_uid: str | None = None,
        events: Sequence[tuple[str, dict[str, Any]]] = (),
    ) -> int:
        """Record a new run (outcome ``running``; ``run_uid``: its stable ID, else a new
        one); returns its row ID."""
        run_uid = run_uid or str(uuid.uuid4())
        sql = (
            "INSERT INTO runs (run_uid, station, recipe, slot, address, device_id, started_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
        values = (run_uid, station, recipe, slot, address, device_id, _now())
        return await self._run(lambda: self._write(sql, values, events))

    async def set_identity(
        self,
        run_id: int,
        *,
        serial: str | None = None,
        os_version: str | None = None,
        images: Sequence[str] | None = None,
    ) -> None:
        """Record what is known of the board (only the values given)."""
        changes = {"serial": serial, "os_version": os_version}
        columns = [(name, value) for name, value in changes.items() if value is not None]
        if images is not None:
            columns.append(("images", json.dumps(list(images))))
        if not columns:
            return
        sql = f"UPDATE runs SET {', '.join(f'{name} = ?' for name, _ in columns)} WHERE id = ?"
        values = [value for _, value in columns] + [run_id]
        await self._run(lambda: self._write(sql, values, ()))

    async def start_step(self, run_id: int, position: int, name: str) -> int:
        """Record a step as started; returns its ID."""
        sql = "INSERT INTO steps (run_id, position, name, started_at) VALUES (?, ?, ?, ?)"
        values = (run_id, position, name, _now())
        return await self._run(lambda: self._write(sql, values, ()))

    async def finish_step(
        self,
        step_id: int,
        outcome: StepOutcome,
        elapsed: float,
        detail: str = "",
        *,
        events: Sequence[tuple[str, dict[str, Any]]] = (),
    ) -> None:
        """Record how a step ended (and queue its events, in the same transaction)."""
        await self._finish("steps", step_id, outcome, elapsed, detail, events)

    async def finish_run(
        self,
        run_id: int,
        outcome: RunOutcome,
        elapsed: float,
        detail: str = "",
        *,
        events: Sequence[tuple[str, dict[str, Any]]] = (),
    ) -> None:
        """Record how a run ended (and queue its events, in the same transaction)."""
        await self._finish("runs", run_id, outcome, elapsed, detail, events)

    async def _finish(
        self,
        table: Literal["runs", "steps"],
        row_id: int,
        outcome: str,
        elapsed: float,
        detail: str,
        events: Sequence[tuple[str, dict[str, Any]]],
    ) -> None:
        sql = f"UPDATE {table} SET ended_at = ?, elapsed = ?, outcome = ?, detail = ? WHERE id = ?"
        values = (_now(), elapsed, outcome, detail, row_id)
        await self._run(lambda: self._write(sql, values, events))

    async def add_events(self, events: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Queue events on their own (say, a board attached before its run starts)."""
        await self._run(lambda: self._transaction([self._event(t, p) for t, p in events]))

    # ------------------------------------------------------------------ the outbox

    async def unsent_events(self, target: str, limit: int = 100) -> list[OutboxEvent]:
        """The oldest events ``target`` (a broker, a webhook) does not have yet, in order."""
        return await self._run(lambda: outbox_table.pending(self._db(), target, limit))

    async def mark_sent(self, target: str, seq: int) -> None:
        """Record that ``target`` has every event up to ``seq``."""
        statement = outbox_table.advance(target, seq, _now())
        await self._run(lambda: self._transaction([statement]))

    async def backlog(self, target: str) -> int:
        """How many events ``target`` does not have yet."""
        return await self._run(lambda: outbox_table.backlog(self._db(), target))

    async def add_target(self, target: str) -> None:
        """Make ``target`` known (at the start of the outbox) if it is not yet: a sender does
        when it starts, so :meth:`targets` lists it before it has taken an event."""
        statement = outbox_table.register(target, _now())
        await self._run(lambda: self._transaction([statement]))

    async def targets(self) -> list[TargetPosition]:
        """Every known target's position in the outbox."""
        return await self._run(lambda: outbox_table.positions(self._db()))

    async def skip_event(self, target: str, event_id: str, reason: str) -> OutboxEvent:
        """Skip the event ``event_id`` for ``target`` only; it must be the next one it waits
        for (:func:`~azsphere_async.records.outbox.skip`). Raises
        :class:`~azsphere_async.errors.InvalidArgumentError` when it is not, or the target is
        unknown."""
        cleaned = self._clean(reason)
        return await self._run(
            lambda: outbox_table.skip(self._db(), target, event_id, cleaned, _now())
        )

    # ------------------------------------------------------------------ reading

    async def runs(self, query: RunQuery | None = None) -> list[RunRecord]:
        """The runs ``query`` picks (default: all), oldest first, each with its steps."""
        return await self._run(lambda: read_runs(self._db(), query))
