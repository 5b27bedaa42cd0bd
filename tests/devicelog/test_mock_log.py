"""The mock's log encoder and the library's decoder, written apart, agree on the format."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from azsphere_async.devicelog import ManifestStore, ParamKind, decode_log
from azsphere_async.devicelog.decoder import _guid_text
from azsphere_async.mock.config import MockDeviceConfig
from azsphere_async.mock.devicelog import (
    BANK_SIZE,
    MANIFEST_DIR,
    MOCK_RELEASE,
    LogRing,
    mock_messages,
)
from tests.shared_data import BLINK_ID

STORE = ManifestStore(MANIFEST_DIR)
SAMPLES: dict[str, str | int] = {
    "str": "wlan0",
    "int": -7,
    "uint": 4_000_000_000,
    "error": 13 << 20 | 3,
    "ipv4": "192.168.1.50",
    "guid": BLINK_ID,
}


def test_the_mock_release_is_the_mock_boards_default_os_version() -> None:
    assert MockDeviceConfig().os_version == MOCK_RELEASE
    assert STORE.choose(MOCK_RELEASE).reason == "exact match"


def test_every_mock_message_decodes_to_its_text_and_values() -> None:
    messages = mock_messages()
    log = LogRing(4 * BANK_SIZE)
    for uptime, ((category, name), spec) in enumerate(messages.items()):
        log.write(uptime, category, name, *(SAMPLES[kind] for kind in spec.kinds))
    decoded = STORE.decode(log.contents(), MOCK_RELEASE)
    assert decoded.complete, decoded.problems
    assert len(decoded.records) == len(messages)
    manifest = STORE.load(MOCK_RELEASE)
    for record, ((category, name), spec) in zip(decoded.records, messages.items(), strict=True):
        assert (record.category, record.message and record.message.name) == (category, name)
        described = manifest.message(spec.category, spec.message)
        assert described is not None
        assert record.priority == described.priority
        for parameter in record.parameters:
            expected = SAMPLES[parameter.kind.value]
            assert parameter.value == expected
    error = next(p for r in decoded.records for p in r.parameters if p.kind is ParamKind.ERROR)
    assert error.text == "WifiConfig::NetworkNotFound"


def test_a_ring_written_round_and_round_reads_oldest_first() -> None:
    log = LogRing(4 * BANK_SIZE)
    for uptime in range(2000):
        log.write(uptime, "wifi", "NetworkChanged", uptime)
    decoded = STORE.decode(log.contents(), MOCK_RELEASE)
    values = [r.parameters[0].value for r in decoded.records]
    assert decoded.complete
    assert values == list(range(2000 - len(values), 2000))
    # Four banks of 16-byte records, the newest one partly filled.
    assert 3 * (BANK_SIZE - 16) // 16 < len(values) <= 4 * 255
    counters = [b.counter or 0 for b in decoded.banks]
    assert counters == sorted(counters)
    assert decoded.boots == 1


def test_the_encoder_refuses_what_its_manifest_does_not_have() -> None:
    log = LogRing()
    with pytest.raises(KeyError, match="no message wifi/Teleported"):
        log.write(0, "wifi", "Teleported")
    with pytest.raises(ValueError, match="takes 2 values, got 1"):
        log.write(0, "wifi", "Connected", 1)
    assert log.capacity == 64 * 1024
    fresh = decode_log(log.contents())
    assert (fresh.records, fresh.problems) == ((), ())
    assert [b.counter for b in fresh.banks if not b.erased] == [0]


@given(st.binary(min_size=16, max_size=16))
def test_guid_text_is_what_uuid_writes(raw: bytes) -> None:
    assert _guid_text(raw) == str(uuid.UUID(bytes_le=raw))
