"""The outbox of the records database: every event in order, and how far each target has them.

The station appends each event to the ``outbox`` table in the same transaction as the record
it describes. Every target that delivers them (the MQTT broker, each webhook) has its own
delivery position in ``outbox_positions``: the ``seq`` of the last event it has. A target
delivers in order, so its position says all there is to know, and targets never wait for one
another. ``seq`` is ``AUTOINCREMENT``: never reused, so a position never points at a newer
event than the one delivered. A target the database has not seen before starts at the
beginning: it gets every event the outbox holds, oldest first (as a broker added later did).

An event a target will never take (an endpoint that refuses it for good) can be skipped for
that target only, by naming it (:func:`skip`): the target's position moves past it and
``outbox_skipped`` keeps what was skipped, when, and why.

Schema versions (``PRAGMA user_version``): 0, the first outbox, had one ``sent_at`` per event
(one target, the broker); 1 has a position per target; 2 adds ``outbox_skipped``. Opening an
older database migrates it in one transaction: from version 0, the broker's position is the
end of the events it had acknowledged, and ``sent_at`` goes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

import attrs

from ..errors import InvalidArgumentError

__all__ = [
    "OUTBOX_SCHEMA_VERSION",
    "OutboxEvent",
    "TargetPosition",
    "advance",
    "backlog",
    "pending",
    "positions",
    "prepare_outbox",
    "register",
    "schema_version",
    "skip",
    "write_transaction",
]

OUTBOX_SCHEMA_VERSION: Final = 2
"""The newest schema this library writes (``PRAGMA user_version``)."""

LEGACY_BROKER_TARGET: Final = "mqtt"
"""The name the first outbox's one target (the broker) has after the migration."""

_TABLES: Final = (
    """CREATE TABLE IF NOT EXISTS outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL UNIQUE,
        topic TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS outbox_positions (
        target TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS outbox_skipped (
        target TEXT NOT NULL,
        seq INTEGER NOT NULL,
        event_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        skipped_at TEXT NOT NULL,
        PRIMARY KEY (target, seq)
    )""",
)


@attrs.frozen
class OutboxEvent:
    """An event of the outbox: its place (``seq``), stable ID, topic and JSON payload."""

    seq: int
    event_id: str
    topic: str
    payload: str


@attrs.frozen
class TargetPosition:
    """How far one target (the broker, a webhook) is: the last event it has (``seq``, 0 for
    none yet), when that last changed, how many events wait for it, the oldest of them, and
    how many were skipped for it."""

    target: str
    seq: int
    updated_at: str
    waiting: int
    next_event: OutboxEvent | None
    next_created_at: str | None
    skipped: int


@contextmanager
def write_transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction (taking the write lock at once): committed when the block ends,
    rolled back whole if it raises. ``db`` is in autocommit mode (``isolation_level=None``)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def schema_version(db: sqlite3.Connection) -> int:
    """The schema version the database says it has (0 for a new or a first-outbox one)."""
    version: int = db.execute("PRAGMA user_version").fetchone()[0]
    return version


def prepare_outbox(db: sqlite3.Connection, now: str) -> None:
    """Create the outbox tables, or migrate a first-outbox database, in one transaction."""
    if schema_version(db) >= OUTBOX_SCHEMA_VERSION:
        return
    with write_transaction(db):
        columns = {row[1] for row in db.execute("PRAGMA table_info(outbox)")}
        for statement in _TABLES:
            db.execute(statement)
        if "sent_at" in columns:
            _migrate_sent_at(db, now)
        db.execute(f"PRAGMA user_version = {OUTBOX_SCHEMA_VERSION}")


def _migrate_sent_at(db: sqlite3.Connection, now: str) -> None:
    # The broker took events in order: what it acknowledged ends before the first unsent.
    (delivered,) = db.execute(
        "SELECT coalesce((SELECT min(seq) - 1 FROM outbox WHERE sent_at IS NULL),"
        " (SELECT max(seq) FROM outbox), 0)"
    ).fetchone()
    if delivered > 0:
        db.execute(
            "INSERT INTO outbox_positions (target, seq, updated_at) VALUES (?, ?, ?)",
            (LEGACY_BROKER_TARGET, delivered, now),
        )
    db.execute("DROP INDEX IF EXISTS outbox_unsent")
    db.execute("ALTER TABLE outbox DROP COLUMN sent_at")


_AFTER_POSITION: Final = "seq > coalesce((SELECT seq FROM outbox_positions WHERE target = ?), 0)"


def pending(db: sqlite3.Connection, target: str, limit: int) -> list[OutboxEvent]:
    """The oldest ``limit`` events ``target`` does not have yet, in order."""
    rows = db.execute(
        f"SELECT seq, event_id, topic, payload FROM outbox WHERE {_AFTER_POSITION}"
        " ORDER BY seq LIMIT ?",
        (target, limit),
    )
    return [OutboxEvent(*row) for row in rows]


def backlog(db: sqlite3.Connection, target: str) -> int:
    """How many events ``target`` does not have yet."""
    count: int = db.execute(
        f"SELECT count(*) FROM outbox WHERE {_AFTER_POSITION}", (target,)
    ).fetchone()[0]
    return count


def advance(target: str, seq: int, now: str) -> tuple[str, tuple[str, int, str]]:
    """The statement that records ``target`` has every event up to ``seq`` (never moving back)."""
    return (
        "INSERT INTO outbox_positions (target, seq, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (target) DO UPDATE SET seq = max(seq, excluded.seq),"
        " updated_at = excluded.updated_at",
        (target, seq, now),
    )


def register(target: str, now: str) -> tuple[str, tuple[str, str]]:
    """The statement that makes ``target`` known (at the beginning) if it is not yet, so
    :func:`positions` lists it before it has taken its first event."""
    return (
        "INSERT INTO outbox_positions (target, seq, updated_at) VALUES (?, 0, ?)"
        " ON CONFLICT (target) DO NOTHING",
        (target, now),
    )


def positions(db: sqlite3.Connection) -> list[TargetPosition]:
    """Every known target's position, by name (a database older than schema 2 has no skips)."""
    skipped_table = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox_skipped'"
    ).fetchone()
    rows = db.execute("SELECT target, seq, updated_at FROM outbox_positions ORDER BY target")
    found: list[TargetPosition] = []
    for target, seq, updated_at in rows.fetchall():
        head = db.execute(
            "SELECT seq, event_id, topic, payload, created_at FROM outbox WHERE seq > ?"
            " ORDER BY seq LIMIT 1",
            (seq,),
        ).fetchone()
        skipped = 0
        if skipped_table:
            (skipped,) = db.execute(
                "SELECT count(*) FROM outbox_skipped WHERE target = ?", (target,)
            ).fetchone()
        found.append(
            TargetPosition(
                target=target,
                seq=seq,
                updated_at=updated_at,
                waiting=backlog(db, target),
                next_event=OutboxEvent(*head[:4]) if head else None,
                next_created_at=head[4] if head else None,
                skipped=skipped,
            )
        )
    return found


def skip(db: sqlite3.Connection, target: str, event_id: str, reason: str, now: str) -> OutboxEvent:
    """Move ``target`` past the event ``event_id``, which must be the next it waits for, and
    keep a note of it (why: ``reason``); one transaction. Other targets still get it."""
    with write_transaction(db):
        known = [row[0] for row in db.execute("SELECT target FROM outbox_positions")]
        if target not in known:
            raise InvalidArgumentError(
                "target", repr(target), "one of " + (", ".join(map(repr, sorted(known))) or "none")
            )
        waiting = pending(db, target, 1)
        if not waiting or waiting[0].event_id != event_id:
            now_next = repr(waiting[0].event_id) if waiting else "no event (it has them all)"
            raise InvalidArgumentError(
                "event",
                repr(event_id),
                f"the event {target} waits for next: {now_next}",
            )
        event = waiting[0]
        db.execute(*advance(target, event.seq, now))
        db.execute(
            "INSERT INTO outbox_skipped (target, seq, event_id, reason, skipped_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (target, event.seq, event.event_id, reason, now),
        )
    return event
