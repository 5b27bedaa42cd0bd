"""The records database: every run and step written as it happens, read back, exported."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import anyio
import pytest
from click.testing import CliRunner

from azsphere_async.cli.app import cli
from azsphere_async.records import RecordStore, RecordsUnavailableError, RunOutcome, RunQuery
from azsphere_async.records.export import export_runs

DEVICE = "a" * 128
STYLE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


async def record_one(store: RecordStore, *, fail: bool = False) -> int:
    run = await store.start_run(
        station="st1", recipe="line.toml", slot="3", address="127.0.0.2:1", device_id=DEVICE
    )
    await store.set_identity(run, serial="SN-1", os_version="24.03", images=["img-1", "img-2"])
    step = await store.start_step(run, 1, "install blink")
    await store.finish_step(step, "passed", 1.25)
    step = await store.start_step(run, 2, "check wifi")
    await store.finish_step(step, "failed" if fail else "passed", 0.5, "no network" if fail else "")
    await store.finish_run(run, "failed" if fail else "passed", 2.0, "check wifi" if fail else "")
    return run


async def test_a_run_is_read_back_with_its_identity_and_steps(tmp_path: Path) -> None:
    async with RecordStore(tmp_path / "records.db") as store:
        await record_one(store)
        await record_one(store, fail=True)
        runs = await store.runs()
        assert [run.outcome for run in runs] == ["passed", "failed"]
        first = runs[0]
        assert (first.device_id, first.serial, first.os_version) == (DEVICE, "SN-1", "24.03")
        assert first.images == ("img-1", "img-2")
        assert [(s.name, s.outcome, s.elapsed) for s in first.steps] == [
            ("install blink", "passed", 1.25),
            ("check wifi", "passed", 0.5),
        ]
        assert [run.outcome for run in await store.runs(RunQuery(outcome="failed"))] == ["failed"]
        assert [run.id for run in await store.runs(RunQuery(limit=1))] == [runs[1].id]
        assert await store.runs(RunQuery(serial="nobody")) == []


async def test_every_step_is_committed_as_it_happens_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "records.db"
    async with RecordStore(path) as store:
        run = await store.start_run(
            station="st1", recipe="r", slot="1", address="a", device_id=DEVICE
        )
        await store.start_step(run, 1, "install blink")
        # Another program sees the step in flight at once: nothing waits for the run's end.
        reader = sqlite3.connect(path)
        assert reader.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert reader.execute("SELECT name, outcome FROM steps").fetchall() == [
            ("install blink", "running")
        ]
        reader.close()


async def test_a_database_locked_by_another_program_is_said_and_nothing_half_written(
    tmp_path: Path,
) -> None:
    path = tmp_path / "records.db"
    async with RecordStore(path, timeout=0.1) as store:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(RecordsUnavailableError, match="locked by another program"):
            await record_one(store)
        other.execute("ROLLBACK")
        other.close()
        assert await store.runs() == []
        await record_one(store)
        assert len(await store.runs()) == 1


async def test_a_full_disk_is_said_and_the_records_before_it_stay(tmp_path: Path) -> None:
    async with RecordStore(tmp_path / "records.db", max_bytes=64 * 1024) as store:
        await record_one(store)

        async def fill() -> None:
            for _ in range(1000):
                await store.add_events([("t", {"filler": "x" * 4000})])

        with pytest.raises(RecordsUnavailableError, match="full") as caught:
            await fill()
        assert "rolled back" in caught.value.hint
        assert [run.outcome for run in await store.runs()] == ["passed"]


async def test_secrets_never_reach_the_records(tmp_path: Path) -> None:
    path = tmp_path / "records.db"
    async with RecordStore(path, secrets=["hunter22"]) as store:
        run = await store.start_run(station="s", recipe="r", slot="1", address="a", device_id="d")
        step = await store.start_step(run, 1, "wifi")
        await store.finish_step(
            step, "failed", 0.1, "board refused key hunter22", events=[("t", {"why": "hunter22"})]
        )
    assert b"hunter22" not in b"".join(p.read_bytes() for p in tmp_path.iterdir())


async def test_exports_carry_every_run_and_step(tmp_path: Path) -> None:
    async with RecordStore(tmp_path / "records.db") as store:
        await record_one(store)
        await record_one(store, fail=True)
        runs = await store.runs()
    lines = [json.loads(line) for line in export_runs(runs, "jsonl").splitlines()]
    assert [line["outcome"] for line in lines] == ["passed", "failed"]
    assert lines[1]["steps"][1]["detail"] == "no network"
    rows = list(csv.DictReader(io.StringIO(export_runs(runs, "csv"))))
    assert [(r["serial"], r["step_name"], r["step_outcome"]) for r in rows] == [
        ("SN-1", "install blink", "passed"),
        ("SN-1", "check wifi", "passed"),
        ("SN-1", "install blink", "passed"),
        ("SN-1", "check wifi", "failed"),
    ]
    junit = ET.fromstring(export_runs(runs, "junit"))
    suites = junit.findall("testsuite")
    assert [s.get("failures") for s in suites] == ["0", "1"]
    failure = suites[1].find("testcase[@name='check wifi']/failure")
    assert failure is not None
    assert failure.get("message") == "no network"
    with pytest.raises(ValueError, match="formats: jsonl, csv, junit"):
        export_runs(runs, "xlsx")


def test_the_records_command_queries_and_exports(tmp_path: Path) -> None:
    path = tmp_path / "records.db"

    async def fill() -> None:
        async with RecordStore(path) as store:
            await record_one(store)
            await record_one(store, fail=True)

    anyio.run(fill)
    runner = CliRunner()
    table = runner.invoke(cli, ["records", "--db", str(path)], catch_exceptions=False)
    assert table.exit_code == 0
    assert "FAILED" in table.output
    assert "2 run(s): 1 passed, 1 not passed" in table.output
    failed = runner.invoke(
        cli, ["records", "--db", str(path), "--outcome", "failed", "--format", "jsonl"]
    )
    assert [json.loads(line)["outcome"] for line in failed.output.splitlines()] == ["failed"]
    junit = tmp_path / "line.xml"
    written = runner.invoke(
        cli, ["records", "--db", str(path), "--format", "junit", "--output", str(junit)]
    )
    assert written.exit_code == 0
    assert len(ET.parse(junit).getroot().findall("testsuite")) == 2
    missing = runner.invoke(cli, ["records", "--db", str(tmp_path / "none.db")])
    assert missing.exit_code == 2
    assert "no records database" in missing.output
    assert not (tmp_path / "none.db").exists()


@pytest.mark.parametrize("width", [80, 200])
def test_the_records_table_fits_the_terminal_and_keeps_the_reason_readable(
    tmp_path: Path, width: int
) -> None:
    path = tmp_path / "records.db"
    reason = "verify: os: 23.10, expected 24.03; update the board's OS"

    async def fill() -> None:
        async with RecordStore(path) as store:
            ended: list[tuple[RunOutcome, str]] = [
                ("failed", reason),
                ("interrupted", "the board was unplugged"),
            ]
            for outcome, detail in ended:
                run = await store.start_run(
                    station="st1",
                    recipe="line.toml",
                    slot="3",
                    address="127.0.0.2:1",
                    device_id=DEVICE,
                )
                await store.finish_run(run, outcome, 4.5, detail)

    anyio.run(fill)
    env = {"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "0", "COLUMNS": str(width), "NO_COLOR": "1"}
    result = CliRunner().invoke(cli, ["records", "--db", str(path)], env=env)
    assert result.exit_code == 0, result.output
    lines = [STYLE.sub("", line).rstrip() for line in result.output.splitlines()]
    assert all(len(line) <= width for line in lines), [line for line in lines if len(line) > width]
    header = next(i for i, line in enumerate(lines) if "Started (UTC)" in line)
    for name in ("Slot", "Device", "Outcome", "Detail"):
        assert name in lines[header]  # headers whole, never folded
    assert any("INTERRUPTED" in line for line in lines)
    start = lines[header].index("Detail")
    rows = [line for line in lines[header + 2 :] if line.strip() and "run(s)" not in line]
    folded = " ".join(line[start:].strip() for line in rows if len(line) > start)
    assert reason in folded  # folded between words, nothing lost
    if width == 200:
        assert DEVICE[:70] in result.output  # most of the ID where there is room
        assert "Steps" in lines[header]
        assert "Seconds" in lines[header]
    else:
        assert "Not shown at 80 columns: Steps, Seconds." in " ".join(lines)
