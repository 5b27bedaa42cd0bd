"""What a decoded log holds: records with their parameters, banks, problems; text and JSON forms."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs

from .layout import ParamKind, Priority
from .manifest import ErrorName, Message

__all__ = ["Bank", "DecodedLog", "LogProblem", "LogRecord", "Parameter"]


# Records and their parameters are made by the thousand per log: attrs.define builds them
# five times faster than attrs.frozen. Treat them as read-only all the same.
@attrs.define
class Parameter:
    """One decoded parameter of a record.

    ``value`` is an ``int`` for ``int``, ``uint`` and ``error`` parameters and a ``str`` for the
    others (``192.168.1.5``, a GUID's canonical form, the string itself). ``error`` names an
    error code.
    """

    name: str
    kind: ParamKind
    value: int | str
    error: ErrorName | None = None

    @property
    def text(self) -> str:
        """The value as a line shows it (an error code by its name when it is known)."""
        return str(self.error) if self.error is not None else str(self.value)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: name, type, value, text (and an error's meaning)."""
        data: dict[str, Any] = {
            "name": self.name,
            "type": self.kind.value,
            "value": self.value,
            "text": self.text,
        }
        if self.error is not None:
            data["meaning"] = self.error.meaning
        return data


@attrs.frozen
class LogProblem:
    """Something the decoder could not read, and where (byte offset in the log, bank)."""

    offset: int
    bank: int | None
    text: str

    def __str__(self) -> str:
        where = f"bank {self.bank} " if self.bank is not None else ""
        return f"{where}at 0x{self.offset:05x}: {self.text}"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: offset, bank, text."""
        return {"offset": self.offset, "bank": self.bank, "text": self.text}


@attrs.define
class LogRecord:
    """One record: when, how severe, which message, and its parameters.

    ``boot`` counts the boots seen in this log from 0 (a new boot starts where the time since
    boot goes backwards). ``category`` and ``message`` are ``None`` when the manifest does not
    know them; ``payload`` keeps the record's bytes after the header either way, and ``unread``
    the part no parameter took. ``problem`` says what could not be read of this record (cut
    short, a parameter that did not fit...). ``reserved`` is the header byte whose meaning is
    not published.
    """

    offset: int
    bank: int
    boot: int
    uptime_ms: int
    priority: int
    category_id: int
    message_id: int
    category: str | None
    message: Message | None
    parameters: tuple[Parameter, ...]
    payload: bytes
    unread: bytes = b""
    problem: str | None = None
    reserved: int = 0

    @property
    def priority_label(self) -> str:
        """``Error``, ``Info``...; the bare number for a priority byte outside 0-6."""
        return Priority.label_of(self.priority)

    @property
    def source(self) -> str:
        """The category and message ID as a line shows them: ``network(3)``."""
        name = self.category if self.category is not None else f"category {self.category_id}"
        return f"{name}({self.message_id})"

    @property
    def text(self) -> str:
        """The message with its parameters, or the raw bytes of a message nobody described."""
        if self.message is not None:
            text = self.message.text or self.message.name
        else:
            text = f"unknown message {self.message_id}"
        shown = [f"{p.name}: {p.text}" for p in self.parameters]
        # Zero bytes after the last parameter are padding; anything else is worth seeing.
        if self.unread and (self.message is None or self.problem or any(self.unread)):
            shown.append("bytes: " + self.unread.hex(" "))
        if shown:
            text += " (" + ", ".join(shown) + ")"
        return text

    def line(self) -> str:
        """The record as one line: ``[  12.345] Info    network(1): Interface up (...)``."""
        when = f"[{self.uptime_ms / 1000:11.3f}]"
        line = f"{when} {self.priority_label:<7} {self.source}: {self.text}"
        return f"{line}  !! {self.problem}" if self.problem else line

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (the payload in hex)."""
        return {
            "offset": self.offset,
            "bank": self.bank,
            "boot": self.boot,
            "uptime_ms": self.uptime_ms,
            "priority": self.priority_label,
            "category_id": self.category_id,
            "category": self.category,
            "message_id": self.message_id,
            "message": self.message.name if self.message is not None else None,
            "text": self.text,
            "parameters": [p.to_json() for p in self.parameters],
            "payload": self.payload.hex(),
            "unread": self.unread.hex(),
            "problem": self.problem,
            "reserved": self.reserved,
        }


@attrs.frozen
class Bank:
    """One bank of the ring as found: where, its footer, whether erased, how many records.

    ``size`` is less than the bank size only for a log cut short in this bank (no footer;
    ``counter`` and ``status`` are then ``None``).
    """

    index: int
    offset: int
    size: int
    counter: int | None
    status: int | None
    erased: bool
    records: int = 0

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return attrs.asdict(self)


@attrs.frozen
class DecodedLog:
    """A decoded log: its records oldest first, what could not be read, and which release.

    ``banks`` are in the order they were read (oldest first). ``release`` is the manifest's
    release (``None``: decoded without one, IDs shown raw) and ``notes`` say how it was chosen.
    """

    size: int
    records: tuple[LogRecord, ...] = ()
    problems: tuple[LogProblem, ...] = ()
    banks: tuple[Bank, ...] = ()
    release: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Whether every byte of the log was read without a problem."""
        return not self.problems and all(r.problem is None for r in self.records)

    @property
    def boots(self) -> int:
        """How many boots the records span (0 for a log without records)."""
        return self.records[-1].boot + 1 if self.records else 0

    def filtered(
        self, *, since_boot: bool = False, priority: Priority | int | str | None = None
    ) -> DecodedLog:
        """The same log with fewer records: only the last boot's, and/or ``priority`` or worse.

        ``priority`` is a :class:`Priority`, its number or its name (``"warning"``).
        """
        records = self.records
        if since_boot and records:
            last = records[-1].boot
            records = tuple(r for r in records if r.boot == last)
        if priority is not None:
            limit = int(Priority.parse(priority))
            records = tuple(r for r in records if r.priority <= limit)
        return attrs.evolve(self, records=records)

    def lines(self) -> Iterator[str]:
        """The log as text: a heading, problems (``!!``), boot marks, then a line per record."""
        release = self.release if self.release is not None else "none (raw IDs)"
        yield f"# {self.size} bytes, {len(self.records)} records, manifest release {release}"
        for note in self.notes:
            yield f"# {note}"
        for problem in self.problems:
            yield f"!! {problem}"
        boot = None
        for record in self.records:
            if record.boot != boot:
                boot = record.boot
                yield f"-- boot {boot} --"
            yield record.line()

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: size, release, notes, problems, banks and records."""
        return {
            "size": self.size,
            "release": self.release,
            "notes": list(self.notes),
            "complete": self.complete,
            "problems": [p.to_json() for p in self.problems],
            "banks": [b.to_json() for b in self.banks],
            "records": [r.to_json() for r in self.records],
        }
