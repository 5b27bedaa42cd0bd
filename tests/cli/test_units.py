"""The command line's pure parts: board selection, formatting, output."""

from __future__ import annotations

import io
import json
from pathlib import Path

import anyio
import pytest

from azsphere_async.cli.failures import describe, one_line
from azsphere_async.cli.formatting import format_duration, format_uptime, short_id
from azsphere_async.cli.output import Column, Output, styled
from azsphere_async.cli.selection import (
    SelectionError,
    parse_device_list,
    read_devices_file,
    resolve_boards,
)
from azsphere_async.errors import DeviceTimeoutError, ForbiddenError
from azsphere_async.mock.units import parse_rate


def resolve(**options: object) -> tuple[tuple[str, ...], str]:
    selection = anyio.run(lambda: resolve_boards(**options))  # type: ignore[arg-type]
    return selection.addresses, selection.source


def test_selection_order_and_sources(tmp_path: Path) -> None:
    listing = tmp_path / "boards.txt"
    listing.write_text("# bench 1\n127.0.0.2:4430, 127.0.0.3:4430\n\n127.0.0.2:4430  # again\n")
    assert read_devices_file(listing) == ["127.0.0.2:4430", "127.0.0.3:4430", "127.0.0.2:4430"]
    as_json = tmp_path / "boards.json"
    as_json.write_text(json.dumps(["127.0.0.4:1", {"IpAddress": "127.0.0.5"}]))
    assert read_devices_file(as_json) == ["127.0.0.4:1", "127.0.0.5"]

    addresses, source = resolve(devices=["127.0.0.9"], devices_file=listing, environ={})
    assert addresses == ("127.0.0.9", "127.0.0.2:4430", "127.0.0.3:4430")
    assert "--device" in source
    assert resolve(environ={"AZSPHERE_DEVICES": "127.0.0.7,127.0.0.8"})[0] == (
        "127.0.0.7",
        "127.0.0.8",
    )
    # Nothing chosen: the first attached board's address (never dialled here).
    assert resolve(environ={}) == (("192.168.35.2",), "the default address 192.168.35.2")


def test_selection_errors(tmp_path: Path) -> None:
    with pytest.raises(SelectionError, match="cannot be combined"):
        resolve(devices=["127.0.0.2"], all_boards=True, environ={})
    with pytest.raises(SelectionError, match="cannot read the devices file"):
        resolve(devices_file=tmp_path / "missing.txt", environ={})
    with pytest.raises(SelectionError, match="not a board address"):
        parse_device_list("https://127.0.0.2/", what="--device")
    empty = tmp_path / "empty.txt"
    empty.write_text("# nobody here\n")
    with pytest.raises(SelectionError, match="named no boards"):
        resolve(devices_file=empty, environ={})


def test_formatting() -> None:
    assert parse_rate("64KB/s") == 64_000
    assert parse_rate("512 KiB/s") == 512 * 1024
    assert parse_rate("1.5MB/s") == 1_500_000
    assert parse_rate("2000") == 2000
    with pytest.raises(ValueError, match="not a transfer rate"):
        parse_rate("fast")
    assert format_uptime(5) == "5s"
    assert format_uptime(185) == "3m05s"
    assert format_uptime(90_000) == "1d01h"
    assert format_duration(0.42) == "0.4 s"
    assert format_duration(185) == "3 min 05 s"
    assert short_id("ABCDEF0123456789", 8) == "ABCDEF01…"


def test_error_lines_name_board_and_next_step() -> None:
    timeout = DeviceTimeoutError("127.0.0.2:1", "no answer within 5 s", phase="read")
    assert one_line(timeout).startswith("127.0.0.2:1: no answer within 5 s; ")
    assert "--timeout" in describe(timeout)
    forbidden = ForbiddenError(
        "127.0.0.2:1", method="GET", path="/wifi/scan", status=403, error_code=None
    )
    assert "development mode" in describe(forbidden)
    assert "unexpected" in describe(KeyError("x"))


def test_plain_table_and_json_go_to_the_right_streams() -> None:
    out, err = io.StringIO(), io.StringIO()
    plain = Output(stdout=out, stderr=err)
    assert plain.mode == "plain"
    plain.table(
        [Column("Board", "a"), Column("Size", "b", justify="right")],
        [{"a": "127.0.0.2:1", "b": styled("10 kB", "green")}, {"a": "x", "b": None}],
    )
    plain.message(("2 boards", "bold"), " [bold]shown as it is[/]")
    assert out.getvalue().splitlines() == [
        "BOARD         SIZE",
        "127.0.0.2:1  10 kB",
        "x                -",
        "2 boards [bold]shown as it is[/]",
    ]
    out, err = io.StringIO(), io.StringIO()
    as_json = Output(json_mode=True, stdout=out, stderr=err)
    as_json.message("for people")
    as_json.json({"a": 1})
    assert json.loads(out.getvalue()) == {"a": 1}
    assert err.getvalue() == "for people\n"
