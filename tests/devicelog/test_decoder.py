"""The decoder: every parameter type, ring order, truncation, corruption, unknown messages."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from azsphere_async.devicelog import DecodedLog, Priority, decode_log
from tests.devicelog.logbuilder import (
    ERASED_BANK,
    LINK,
    LINK_ERROR_TABLE,
    LINK_FAILED,
    LINK_UP,
    SENSOR,
    SENSOR_EVERY_TYPE,
    SENSOR_LABEL,
    SENSOR_QUIET,
    bank,
    error_code,
    guid,
    i32,
    ipv4,
    reading,
    record,
    string,
    synthetic_manifest,
    u32,
)
from tests.shared_data import BLINK_ID

MANIFEST = synthetic_manifest()


def every_type(error: int, label: bytes = b"ready", uptime_ms: int = 1500) -> bytes:
    params = i32(-42) + u32(4_000_000_000) + ipv4("10.1.2.3") + guid(BLINK_ID)
    return record(
        SENSOR, SENSOR_EVERY_TYPE, params + u32(error) + string(label), uptime_ms=uptime_ms
    )


def decoded(*records: bytes, counter: int = 1) -> DecodedLog:
    return decode_log(bank(records, counter), MANIFEST)


def test_every_parameter_type_is_decoded() -> None:
    log = decoded(every_type(error_code(LINK_ERROR_TABLE, 2)))
    (entry,) = log.records
    values = {p.name: (p.kind.value, p.value) for p in entry.parameters}
    assert values == {
        "delta": ("int", -42),
        "count": ("uint", 4_000_000_000),
        "peer": ("ipv4", "10.1.2.3"),
        "component": ("guid", BLINK_ID),
        "error": ("error", error_code(LINK_ERROR_TABLE, 2)),
        "label": ("str", "ready"),
    }
    assert entry.text == (
        "Every type at once (delta: -42, count: 4000000000, peer: 10.1.2.3, "
        f"component: {BLINK_ID}, error: LinkError::Timeout, label: ready)"
    )
    assert entry.line() == f"[      1.500] Info    sensord(2): {entry.text}"
    assert entry.problem is None
    assert log.complete
    assert log.problems == ()


@pytest.mark.parametrize(
    ("code", "text", "meaning"),
    [
        (0, "Success", "Success"),
        (error_code(LINK_ERROR_TABLE, 1), "LinkError::NoCarrier", "No carrier"),
        (error_code(LINK_ERROR_TABLE, 77), "LinkError::77", "LinkError error 77"),
        (error_code(99, 5), "0x06300005", None),
    ],
)
def test_error_codes_are_named_from_the_release_tables(
    code: int, text: str, meaning: str | None
) -> None:
    (entry,) = decoded(record(LINK, LINK_FAILED, u32(code), priority=2)).records
    (parameter,) = entry.parameters
    assert parameter.text == text
    assert parameter.to_json()["meaning"] == meaning
    assert parameter.value == code


def test_strings_that_are_not_utf8_keep_their_bytes_visible() -> None:
    (entry,) = decoded(record(SENSOR, SENSOR_LABEL, string(b"caf\xe9") + string("ok"))).records
    assert [p.value for p in entry.parameters] == ["caf\\xe9", "ok"]


def test_zero_padding_after_the_parameters_is_not_shown_but_other_bytes_are() -> None:
    padded, extra = decoded(
        record(LINK, LINK_UP, ipv4("10.0.0.1") + b"\0\0"),
        record(LINK, LINK_UP, ipv4("10.0.0.2") + b"\x01\x02"),
    ).records
    assert padded.text == "Link up (address: 10.0.0.1)"
    assert extra.text == "Link up (address: 10.0.0.2, bytes: 01 02)"


def test_a_message_without_parameters_has_just_its_text() -> None:
    (entry,) = decoded(record(SENSOR, SENSOR_QUIET, priority=6, uptime_ms=7)).records
    assert entry.line() == "[      0.007] Trace   sensord(4): Nothing to say"


def test_unknown_categories_and_messages_show_raw_numbers_and_bytes() -> None:
    log = decoded(
        record(200, 3, b"\x01\x02\xff", uptime_ms=10),
        record(SENSOR, 99, b"\xaa", uptime_ms=20),
        reading(1, 5, uptime_ms=30),
    )
    unknown_category, unknown_message, known = log.records
    assert unknown_category.category is None
    assert unknown_category.line() == (
        "[      0.010] Info    category 200(3): unknown message 3 (bytes: 01 02 ff)"
    )
    assert unknown_message.source == "sensord(99)"
    assert unknown_message.text == "unknown message 99 (bytes: aa)"
    assert known.text == "Sensor read (channel: 1, value: 5)"
    assert any("2 of 3 records do not fit release 30.01" in note for note in log.notes)


def test_without_a_manifest_every_record_still_has_its_time_priority_and_ids() -> None:
    log = decode_log(bank([reading(3, -1, uptime_ms=2500, priority=2)], counter=0))
    (entry,) = log.records
    assert log.release is None
    assert entry.line() == (
        "[      2.500] Error   category 7(1): unknown message 1 (bytes: 03 00 00 00 ff ff ff ff)"
    )
    assert not any("do not fit" in note for note in log.notes)


def test_a_priority_byte_outside_the_known_ones_is_shown_as_its_number() -> None:
    (entry,) = decoded(record(SENSOR, SENSOR_QUIET, priority=9)).records
    assert entry.priority_label == "9"


# -- ring order -------------------------------------------------------------------------------


def _ring(counters: list[int | None]) -> bytes:
    """Banks with one record each whose channel is the bank's counter (None: erased bank)."""
    return b"".join(
        ERASED_BANK if c is None else bank([reading(c, 0, uptime_ms=c)], counter=c)
        for c in counters
    )


@pytest.mark.parametrize(
    ("counters", "expected"),
    [
        ([1, 2, 3, 4], [1, 2, 3, 4]),
        ([7, 8, 5, 6], [5, 6, 7, 8]),
        ([3, 4, None, 2], [2, 3, 4]),
        ([None, None, 10, None], [10]),
        # The 16-bit counter itself wraps: 65534 is older than 0.
        ([0, 1, 65534, 65535], [65534, 65535, 0, 1]),
        ([65535, 0, None, 65534], [65534, 65535, 0]),
    ],
)
def test_banks_are_read_oldest_first_across_the_wrap(
    counters: list[int | None], expected: list[int]
) -> None:
    log = decode_log(_ring(counters), MANIFEST)
    assert [r.parameters[0].value for r in log.records] == expected
    assert log.problems == ()
    assert [b.counter for b in log.banks if not b.erased] == expected


def test_records_within_a_bank_keep_their_order_and_offsets() -> None:
    log = decode_log(
        bank([reading(2, 0, 30), reading(3, 0, 40)], counter=9)
        + bank([reading(1, 0, 10), reading(1, 1, 20)], counter=8),
        MANIFEST,
    )
    assert [(r.bank, r.offset, r.uptime_ms) for r in log.records] == [
        (1, 4096, 10),
        (1, 4116, 20),
        (0, 0, 30),
        (0, 20, 40),
    ]
    assert [b.records for b in log.banks] == [2, 2]


def test_counters_out_of_sequence_are_reported_and_the_records_still_read() -> None:
    log = decode_log(_ring([1, 2, 9, 4]), MANIFEST)
    assert len(log.records) == 4
    assert any("out of sequence" in p.text for p in log.problems)
    assert not log.complete


def test_an_erased_log_has_no_records_and_says_so() -> None:
    log = decode_log(ERASED_BANK * 4, MANIFEST)
    assert log.records == ()
    assert log.problems == ()
    assert any("erased" in note for note in log.notes)


def test_an_empty_answer_is_a_problem_not_an_exception() -> None:
    log = decode_log(b"", MANIFEST)
    assert log.records == ()
    assert [p.text for p in log.problems] == ["the log is empty (0 bytes)"]


# -- truncation and corruption ----------------------------------------------------------------

FIRST = reading(1, 10, uptime_ms=100)
MIDDLE = every_type(error_code(LINK_ERROR_TABLE, 1), uptime_ms=200)
LAST = reading(3, 30, uptime_ms=300)


@pytest.mark.parametrize("cut", range(len(FIRST), len(FIRST) + len(MIDDLE) + 1))
def test_a_log_cut_at_any_byte_of_a_record_keeps_what_came_before(cut: int) -> None:
    full = bank([FIRST, MIDDLE, LAST], counter=1)
    whole = decode_log(full, MANIFEST)
    log = decode_log(full[:cut], MANIFEST)
    assert log.records[0] == whole.records[0]
    assert any("ends" in p.text for p in log.problems)
    available = cut - len(FIRST)
    if available == 0:
        assert len(log.records) == 1
    elif available < 12:
        assert len(log.records) == 1
        assert any(f"cut short: {available} of 12" in p.text for p in log.problems)
    elif available < len(MIDDLE):
        cut_record = log.records[1]
        assert len(log.records) == 2
        assert cut_record.uptime_ms == 200
        assert cut_record.category == "sensord"
        assert cut_record.problem is not None
        assert f"after {available} of its {len(MIDDLE)} bytes" in cut_record.problem
        # Whole parameters are decoded as in the full record; a string cut short is a prefix.
        got = cut_record.parameters
        full_parameters = whole.records[1].parameters[: len(got)]
        if got and got[-1].kind.value == "str":
            assert str(full_parameters[-1].value).startswith(str(got[-1].value))
            got, full_parameters = got[:-1], full_parameters[:-1]
        assert got == full_parameters
    else:
        assert log.records[1] == whole.records[1]
    assert not log.complete
    assert all(isinstance(line, str) for line in log.lines())


def test_a_length_shorter_than_a_header_ends_its_bank_but_not_the_log() -> None:
    broken = bank([FIRST, record(SENSOR, SENSOR_QUIET, length=5), LAST], counter=1)
    log = decode_log(broken + bank([reading(4, 0, 400)], counter=2), MANIFEST)
    assert [r.uptime_ms for r in log.records] == [100, 400]
    assert any("shorter than its 12-byte header" in p.text for p in log.problems)


def test_a_length_past_the_bank_end_is_reported_with_what_the_header_says() -> None:
    log = decode_log(bank([FIRST, record(LINK, LINK_UP, ipv4("1.2.3.4"), length=5000)], 1))
    assert len(log.records) == 2
    assert log.records[1].problem is not None
    assert "runs past the end of the bank" in log.records[1].problem


def test_parameters_that_do_not_fit_the_record_are_a_problem_of_that_record() -> None:
    log = decoded(
        record(SENSOR, 1, u32(5) + b"\x01\x02", uptime_ms=1),
        record(SENSOR, SENSOR_LABEL, b"no end", uptime_ms=2),
        reading(2, 2, uptime_ms=3),
    )
    short, unterminated, fine = log.records
    assert short.problem == "parameter 'value' (int) needs 4 bytes, 2 left"
    assert short.text == "Sensor read (channel: 5, bytes: 01 02)"
    assert unterminated.problem == "string 'first' has no terminating NUL"
    assert unterminated.parameters[0].value == "no end"
    assert fine.problem is None
    assert any("2 of 3 records do not fit" in note for note in log.notes)


def test_a_log_from_another_release_is_flagged_as_probably_the_wrong_release() -> None:
    other = synthetic_manifest("30.02")
    moved = {SENSOR + 100: other.categories[SENSOR]}
    wrong = type(other)("30.02", "tests", moved, other.errors)
    log = decode_log(bank([FIRST, LAST], counter=1), wrong)
    assert all(r.category is None for r in log.records)
    assert any("the board may run another release" in note for note in log.notes)


# -- boots, filters and output ----------------------------------------------------------------


def _two_boots() -> DecodedLog:
    return decoded(
        reading(1, 0, uptime_ms=5000, priority=4),
        reading(2, 0, uptime_ms=9000, priority=2),
        reading(3, 0, uptime_ms=100, priority=6),
        reading(4, 0, uptime_ms=900, priority=3),
    )


def test_a_new_boot_starts_where_the_time_since_boot_goes_back() -> None:
    log = _two_boots()
    assert [r.boot for r in log.records] == [0, 0, 1, 1]
    assert log.boots == 2
    lines = list(log.lines())
    assert lines.index("-- boot 0 --") < lines.index("-- boot 1 --")


def test_filters_keep_the_last_boot_and_the_more_severe_records() -> None:
    log = _two_boots()
    assert [r.uptime_ms for r in log.filtered(since_boot=True).records] == [100, 900]
    assert [r.uptime_ms for r in log.filtered(priority=Priority.WARNING).records] == [9000, 900]
    assert log.filtered(priority="warning") == log.filtered(priority=3)
    both = log.filtered(since_boot=True, priority=Priority.WARNING)
    assert [r.uptime_ms for r in both.records] == [900]
    assert both.notes == log.notes


def test_json_output_is_serialisable_and_complete() -> None:
    log = decoded(every_type(0), record(200, 1, b"\x05"))
    data = json.loads(json.dumps(log.to_json()))
    first, second = data["records"]
    assert first["category"] == "sensord"
    assert first["message"] == "EveryType"
    assert first["priority"] == "Info"
    types = [p["type"] for p in first["parameters"]]
    assert types == ["int", "uint", "ipv4", "guid", "error", "str"]
    assert second["category"] is None
    assert second["payload"] == "05"
    assert data["release"] == "30.01"
    assert data["banks"][0]["records"] == 2


# -- never crash ------------------------------------------------------------------------------

VALID = bank([FIRST, MIDDLE, LAST], counter=3) + bank([reading(9, 9, 10)], counter=2)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=9000))
def test_random_bytes_never_make_the_decoder_raise(data: bytes) -> None:
    log = decode_log(data, MANIFEST)
    json.dumps(log.to_json())
    list(log.lines())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), max_size=12))
def test_corrupted_bytes_in_a_valid_log_never_make_the_decoder_raise(
    changes: list[tuple[int, int]],
) -> None:
    data = bytearray(VALID)
    for offset, value in changes:
        data[offset] = value
    log = decode_log(bytes(data), MANIFEST)
    json.dumps(log.to_json())
    list(log.lines())
