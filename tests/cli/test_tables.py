"""Tables at 80 and 200 columns: nothing cut without a mark, columns dropped in a stated order,
IDs whole where there is room; and the same through the real command on a terminal."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rich.console import Console

from azsphere_async.cli.app import cli
from azsphere_async.cli.output import Output
from azsphere_async.cli.tables import CUT_MARK, Column, fit
from tests.threaded_fleet import ThreadedFleet

STYLE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
DEVICE_ID = "E1" * 64  # 128 hex digits, as on a real board


def terminal(width: int) -> dict[str, str]:
    """The environment of a colourless terminal this wide, for click's runner."""
    return {"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "0", "COLUMNS": str(width), "NO_COLOR": "1"}


def test_everything_whole_when_it_fits() -> None:
    columns = [Column("Board", "a", no_wrap=True), Column("ID", "b", no_wrap=True, cut=True)]
    layout = fit(columns, [["127.0.0.2:4430", DEVICE_ID]], 200)
    assert layout.widths == (14, 128)
    assert layout.dropped == ()
    assert layout.width <= 200


def test_cut_columns_shrink_first_then_columns_drop_by_priority() -> None:
    columns = [
        Column("Board", "a", no_wrap=True),
        Column("Device ID", "b", no_wrap=True, cut=True, min_width=9, priority=1),
        Column("OS", "c", no_wrap=True),
        Column("Uptime", "d", no_wrap=True, priority=4),
        Column("REST", "e", no_wrap=True, priority=3),
        Column("Why", "f"),
    ]
    row = ["127.0.0.200:65535", DEVICE_ID, "24.03", "12h03m", "4.6.0", "a long reason " * 6]
    roomy = fit(columns, [row], 80)
    assert roomy.dropped == ()
    assert roomy.width <= 80
    assert dict(zip([c.header for c in roomy.columns], roomy.widths, strict=True))["OS"] == 5
    narrow = fit(columns, [row], 62)
    assert [c.header for c in narrow.dropped] == ["Uptime"]  # the highest number goes first
    assert narrow.width <= 62
    narrower = fit(columns, [row], 55)
    assert [c.header for c in narrower.dropped] == ["Uptime", "REST"]  # in table order
    # Headers are never cut, and a kept column is never narrower than its values.
    for layout in (roomy, narrow, narrower):
        for column, width in zip(layout.columns, layout.widths, strict=True):
            assert width >= len(column.header)
            if column.no_wrap and not column.cut:
                assert width >= len(row[columns.index(column)])


def render(width: int, columns: list[Column], rows: list[dict[str, str]]) -> list[str]:
    out = io.StringIO()
    output = Output(stdout=out, stderr=io.StringIO())
    output.console = Console(file=out, width=width, force_terminal=True, color_system=None)
    output.mode = "rich"
    output.table(columns, rows)
    return [STYLE.sub("", line).rstrip() for line in out.getvalue().splitlines()]


def test_a_cut_value_carries_a_visible_mark_and_a_folded_one_loses_nothing() -> None:
    columns = [
        Column("ID", "id", no_wrap=True, cut=True, min_width=9),
        Column("Why", "why"),
    ]
    why = "images: missing 2f074b0f-d99d-4692-82d9-ef93a7d6463c; wifi: configured LineWifi"
    lines = render(40, columns, [{"id": DEVICE_ID, "why": why}])
    assert all(len(line) <= 40 for line in lines)
    header = next(i for i, line in enumerate(lines) if "Why" in line)
    start = lines[header].index("Why")
    body = [line for line in lines[header + 2 :] if line.strip()]
    assert body[0].split()[0].endswith(CUT_MARK)
    assert DEVICE_ID.startswith(body[0].split()[0][:-1])
    folded = " ".join(line[start:].strip() for line in body)
    assert "".join(folded.split()) == "".join(why.split())  # every character, in order


def test_dropped_columns_are_named_beneath_the_table() -> None:
    columns = [
        Column("Board", "a", no_wrap=True),
        Column("Upload", "b", no_wrap=True, priority=2),
        Column("Time", "c", no_wrap=True, priority=1),
    ]
    lines = render(30, columns, [{"a": "127.0.0.2:45145", "b": "320.6 kB/s", "c": "0.1 s"}])
    assert "Not shown at 30 columns: Upload." in " ".join(lines)
    assert all(len(line) <= 30 for line in lines)


@pytest.mark.parametrize("width", [80, 200])
def test_status_on_a_terminal(
    width: int, run_cli: Callable[..., Result], fleet: ThreadedFleet, ca_file: Path
) -> None:
    result = CliRunner().invoke(
        cli,
        ["--ca", str(ca_file), *(f"--device={a}" for a in fleet.addresses), "status"],
        env=terminal(width),
    )
    assert result.exit_code == 0, result.output
    lines = [STYLE.sub("", line).rstrip() for line in result.stdout.splitlines()]
    assert all(len(line) <= width for line in lines), [line for line in lines if len(line) > width]
    header = next(line for line in lines if "Board" in line)
    for name in ("Device ID", "OS", "Security", "Mfg state", "Uptime"):
        assert name in header  # never "Securit", "Uptim"
    rows = [line for line in lines if line.lstrip().startswith("127.0.0.")]
    assert len(rows) == 3
    device_ids = [device.state.device_id for device in fleet.mock]
    for row, device_id in zip(rows, device_ids, strict=True):
        assert " 24.03 " in row  # never "24.0"
        if width == 200:
            assert device_id in row  # whole where there is room
        else:
            shown = row.split()[1]
            assert shown.endswith(CUT_MARK)
            assert device_id.startswith(shown[:-1])
