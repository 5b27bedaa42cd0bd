"""Decode the board's diagnostic log: banks in ring order, records, parameters.

:func:`decode_log` never raises on a log's bytes. Whatever it cannot read (a log cut short, a
corrupt length, a parameter that does not fit, an unknown category or message) it keeps as
raw numbers and bytes and says so in :attr:`LogRecord.problem
<azsphere_async.devicelog.records.LogRecord.problem>` or :attr:`DecodedLog.problems
<azsphere_async.devicelog.records.DecodedLog.problems>`. The layout is described in
:mod:`azsphere_async.devicelog.layout`.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from typing import Final

import attrs

from .layout import (
    BANK_SIZE,
    ERASED_LENGTH,
    FOOTER,
    FOOTER_SIZE,
    HEADER,
    HEADER_SIZE,
    LAST_RECORD_START,
    FixedRun,
    ParamKind,
)
from .manifest import Manifest, Message
from .records import Bank, DecodedLog, LogProblem, LogRecord, Parameter

__all__ = ["decode_log"]

_COUNTER_RANGE: Final = 1 << 16
_ERASED_BANK: Final = b"\xff" * BANK_SIZE


def decode_log(
    data: bytes | bytearray | memoryview,
    manifest: Manifest | None = None,
    *,
    notes: Iterable[str] = (),
) -> DecodedLog:
    """Decode a diagnostic log's bytes with one release's manifest (or none: raw IDs).

    Records come oldest first: banks are read from the oldest (lowest counter, across a
    wrap of the counter) around the ring. ``notes`` are kept in the result (for instance how
    the release was chosen). Never raises on the log's contents.
    """
    raw = bytes(data)
    reader = _Reader(raw, manifest)
    banks = _scan_banks(raw)
    order, problems = _reading_order(banks)
    reader.problems.extend(problems)
    read_banks = [reader.read_bank(bank) for bank in order]
    all_notes = list(notes)
    if manifest is not None and reader.mismatches:
        all_notes.append(
            f"{reader.mismatches} of {len(reader.records)} records do not fit release "
            f"{manifest.release} (unknown messages or parameters that do not fit): "
            "the board may run another release"
        )
    if not raw:
        reader.problems.append(LogProblem(0, None, "the log is empty (0 bytes)"))
    elif not reader.records and all(b.erased for b in banks):
        all_notes.append("every bank is erased: nothing has been logged")
    return DecodedLog(
        size=len(raw),
        records=tuple(reader.records),
        problems=tuple(reader.problems),
        banks=tuple(read_banks),
        release=manifest.release if manifest is not None else None,
        notes=tuple(all_notes),
    )


def _scan_banks(data: bytes) -> list[Bank]:
    banks = []
    for index, offset in enumerate(range(0, len(data), BANK_SIZE)):
        size = min(BANK_SIZE, len(data) - offset)
        erased = data[offset : offset + size] == _ERASED_BANK[:size]
        counter = status = None
        if size == BANK_SIZE:
            counter, status = FOOTER.unpack_from(data, offset + BANK_SIZE - FOOTER_SIZE)
        banks.append(Bank(index, offset, size, counter, status, erased))
    return banks


def _oldest_counter(counters: Sequence[int]) -> int:
    """The counter after the widest gap in the circle of 16-bit counters: the oldest bank's."""
    ordered = sorted(set(counters))
    oldest, widest = ordered[0], -1
    for index, counter in enumerate(ordered):
        gap = (counter - ordered[index - 1]) % _COUNTER_RANGE or _COUNTER_RANGE
        if gap > widest:
            oldest, widest = counter, gap
    return oldest


def _reading_order(banks: list[Bank]) -> tuple[list[Bank], list[LogProblem]]:
    """Banks around the ring from the oldest written one; problems with the counters."""
    problems = []
    written = [b for b in banks if b.counter is not None and not b.erased]
    if written:
        oldest = _oldest_counter([b.counter for b in written if b.counter is not None])
        start = min(b.index for b in written if b.counter == oldest)
        banks = banks[start:] + banks[:start]
        previous: Bank | None = None
        for bank in banks:
            if bank.counter is None or bank.erased:
                continue
            if previous is not None and previous.counter is not None:
                expected = (previous.counter + 1) % _COUNTER_RANGE
                if bank.counter != expected:
                    problems.append(
                        LogProblem(
                            bank.offset,
                            bank.index,
                            f"counter {bank.counter} follows {previous.counter} (bank "
                            f"{previous.index}): banks out of sequence, records may be "
                            "out of order",
                        )
                    )
            previous = bank
    for tail in (b for b in banks if b.size < BANK_SIZE):
        problems.append(
            LogProblem(
                tail.offset,
                tail.index,
                f"the log ends {tail.size} bytes into this bank (banks are {BANK_SIZE} bytes): "
                "no footer, so its place in the order is a guess",
            )
        )
    return banks, problems


class _Reader:
    """Reads records bank after bank, counting boots and records that do not fit."""

    def __init__(self, data: bytes, manifest: Manifest | None) -> None:
        self.data = data
        self.manifest = manifest
        self.records: list[LogRecord] = []
        self.problems: list[LogProblem] = []
        self.mismatches = 0
        self._boot = 0
        self._last_uptime: int | None = None
        self._guids: dict[bytes, str] = {}

    def read_bank(self, bank: Bank) -> Bank:
        if bank.erased:
            return bank
        data = self.data
        start = bank.offset
        full = bank.size == BANK_SIZE
        end = start + bank.size - (FOOTER_SIZE if full else 0)
        last_start = start + LAST_RECORD_START if full else end
        pos = start
        count = 0
        while pos < last_start:
            if pos + HEADER_SIZE > end:
                rest = data[pos:end]
                if rest != _ERASED_BANK[: len(rest)]:
                    self.problems.append(
                        LogProblem(
                            pos,
                            bank.index,
                            f"a record header is cut short: {len(rest)} of {HEADER_SIZE} bytes",
                        )
                    )
                break
            header = HEADER.unpack_from(data, pos)
            length = header[0]
            if length == ERASED_LENGTH:
                break
            if length < HEADER_SIZE:
                self.problems.append(
                    LogProblem(
                        pos,
                        bank.index,
                        f"record length {length} is shorter than its {HEADER_SIZE}-byte header: "
                        "the rest of this bank cannot be read",
                    )
                )
                break
            record_end = pos + length
            if record_end > end:
                if full:
                    problem = (
                        f"length {length} runs past the end of the bank: the rest of this "
                        "bank cannot be read"
                    )
                else:
                    problem = f"cut short: the log ends after {end - pos} of its {length} bytes"
                self._record(bank, pos, header, data[pos + HEADER_SIZE : end], problem)
                count += 1
                break
            self._record(bank, pos, header, data[pos + HEADER_SIZE : record_end], None)
            count += 1
            pos = record_end
        return attrs.evolve(bank, records=count)

    def _record(
        self,
        bank: Bank,
        pos: int,
        header: tuple[int, int, int, int, int, int],
        payload: bytes,
        problem: str | None,
    ) -> None:
        _, reserved, priority, category_id, message_id, uptime = header
        category = self.manifest.categories.get(category_id) if self.manifest else None
        message = category.messages.get(message_id) if category is not None else None
        parameters: tuple[Parameter, ...] = ()
        unread = payload
        if message is not None:
            parameters, unread, trouble = self._parameters(message, payload)
            if trouble is not None:
                problem = f"{problem}; {trouble}" if problem else trouble
                self.mismatches += 1
        elif self.manifest is not None:
            self.mismatches += 1
        if self._last_uptime is not None and uptime < self._last_uptime:
            self._boot += 1
        self._last_uptime = uptime
        self.records.append(
            LogRecord(
                offset=pos,
                bank=bank.index,
                boot=self._boot,
                uptime_ms=uptime,
                priority=priority,
                category_id=category_id,
                message_id=message_id,
                category=category.name if category is not None else None,
                message=message,
                parameters=parameters,
                payload=payload,
                unread=unread,
                problem=problem,
                reserved=reserved,
            )
        )

    def _parameters(
        self, message: Message, payload: bytes
    ) -> tuple[tuple[Parameter, ...], bytes, str | None]:
        """The parameters that could be read, the bytes left, what did not fit."""
        found: list[Parameter] = []
        pos = 0
        size = len(payload)
        for step in message.layout:
            if isinstance(step, FixedRun):
                end = pos + step.layout.size
                if end > size:
                    return self._cut_run(step, payload, pos, found)
                values = step.layout.unpack_from(payload, pos)
                for name, kind, value in zip(step.names, step.kinds, values, strict=True):
                    if kind is ParamKind.INT or kind is ParamKind.UINT:
                        found.append(Parameter(name, kind, value))
                    else:
                        found.append(self._parameter(name, kind, value))
                pos = end
            else:
                name, kind = step
                nul = payload.find(b"\0", pos)
                text = payload[pos : nul if nul >= 0 else size].decode("utf-8", "backslashreplace")
                found.append(Parameter(name, kind, text))
                if nul < 0:
                    return tuple(found), b"", f"string {name!r} has no terminating NUL"
                pos = nul + 1
        return tuple(found), payload[pos:], None

    def _cut_run(
        self, run: FixedRun, payload: bytes, pos: int, found: list[Parameter]
    ) -> tuple[tuple[Parameter, ...], bytes, str | None]:
        """A run of fixed-size parameters that the payload ends in: those that fit, one by one."""
        for name, kind in zip(run.names, run.kinds, strict=True):
            single = _SINGLE[kind]
            if pos + single.size > len(payload):
                trouble = (
                    f"parameter {name!r} ({kind.value}) needs {single.size} bytes, "
                    f"{len(payload) - pos} left"
                )
                return tuple(found), payload[pos:], trouble
            found.append(self._parameter(name, kind, single.unpack_from(payload, pos)[0]))
            pos += single.size
        raise AssertionError("a run that does not fit has a parameter that does not fit")

    def _parameter(self, name: str, kind: ParamKind, value: int | bytes) -> Parameter:
        """A fixed-size parameter from its unpacked value."""
        if isinstance(value, int):
            if kind is ParamKind.ERROR and self.manifest is not None:
                return Parameter(name, kind, value, self.manifest.error_name(value))
            return Parameter(name, kind, value)
        if kind is ParamKind.IPV4:
            return Parameter(name, kind, "{}.{}.{}.{}".format(*value))
        # Logs name the same few components over and over.
        text = self._guids.get(value)
        if text is None:
            text = self._guids[value] = _guid_text(value)
        return Parameter(name, kind, text)


def _guid_text(raw: bytes) -> str:
    """A GUID's canonical text from its 16 bytes (Microsoft's order), as uuid would write it."""
    digits = (raw[3::-1] + raw[5:3:-1] + raw[7:5:-1] + raw[8:]).hex()
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


_SINGLE: Final = {
    kind: struct.Struct(code)
    for kind, code in (
        (ParamKind.INT, "<i"),
        (ParamKind.UINT, "<I"),
        (ParamKind.ERROR, "<I"),
        (ParamKind.IPV4, "<4s"),
        (ParamKind.GUID, "<16s"),
    )
}
