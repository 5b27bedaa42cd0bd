"""The command line's pure parts: board selection, readiness judgement, formatting, output."""

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
from azsphere_async.models import ComponentDetails
from azsphere_async.readiness import CheckStatus, DeviceFacts, ReadinessCriteria, evaluate
from tests.shared_data import BLINK_ID


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


def facts(**changes: object) -> DeviceFacts:
    base: dict[str, object] = {
        "address": "127.0.0.2:1",
        "os_version": "24.03",
        "components": (
            ComponentDetails(uid="aa", name="NW Kernel", image_type=7),
            ComponentDetails(uid=BLINK_ID, name="AzureSphereBlinkTest", image_type=10),
        ),
        "manufacturing_state": "Blank",
        "capabilities": (),
        "wifi_ssids": (),
    }
    base.update(changes)
    return DeviceFacts(**base)  # type: ignore[arg-type]


def statuses(report_facts: DeviceFacts, criteria: ReadinessCriteria) -> dict[str, CheckStatus]:
    return {c.name: c.status for c in evaluate(report_facts, criteria).checks}


def test_readiness_defaults_skip_what_was_not_asked() -> None:
    report = evaluate(facts(), ReadinessCriteria())
    assert report.ready
    assert statuses(facts(), ReadinessCriteria()) == {
        "os": CheckStatus.SKIP,
        "images": CheckStatus.SKIP,
        "manufacturing": CheckStatus.SKIP,
        "capabilities": CheckStatus.PASS,
        "wifi": CheckStatus.PASS,
    }


def test_readiness_failures_say_why() -> None:
    criteria = ReadinessCriteria(
        os_versions=["24.10"], images=["BB"], manufacturing_state="DeviceComplete"
    )
    board = facts(capabilities=(11,), wifi_ssids=("LineWifi",))
    report = evaluate(board, criteria)
    assert not report.ready
    details = {c.name: c.detail for c in report.failures}
    assert "expected 24.10" in details["os"]
    assert "missing bb" in details["images"]
    assert "unexpected AzureSphereBlinkTest" in details["images"]
    assert "expected DeviceComplete" in details["manufacturing"]
    assert "11 (appDevelopment)" in details["capabilities"]
    assert "configured LineWifi" in details["wifi"]
    assert evaluate(
        board, ReadinessCriteria(allowed_capabilities=[11], wifi_ssids=["LineWifi"])
    ).ready
    assert evaluate(board, ReadinessCriteria(check_wifi=False, check_capabilities=False)).ready


def test_readiness_errors_and_other_apps() -> None:
    board = facts(components=None, errors={"images": "GET /images failed"})
    check = evaluate(board, ReadinessCriteria(images=[BLINK_ID])).check("images")
    assert check.status is CheckStatus.ERROR
    assert check.detail == "GET /images failed"
    extra = facts(components=(ComponentDetails(uid="cc", name="Other", image_type=10),))
    criteria = ReadinessCriteria(images=[], allow_other_apps=False)
    assert evaluate(extra, criteria).ready  # no images required, nothing judged
    assert not evaluate(extra, ReadinessCriteria(images=["cc", "dd"])).ready
    assert evaluate(
        facts(), ReadinessCriteria(images=[BLINK_ID.upper()], allow_other_apps=True)
    ).ready


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
    plain.message("[bold]2 boards[/]")
    assert out.getvalue().splitlines() == [
        "BOARD         SIZE",
        "127.0.0.2:1  10 kB",
        "x                -",
        "2 boards",
    ]
    out, err = io.StringIO(), io.StringIO()
    as_json = Output(json_mode=True, stdout=out, stderr=err)
    as_json.message("for people")
    as_json.json({"a": 1})
    assert json.loads(out.getvalue()) == {"a": 1}
    assert err.getvalue() == "for people\n"
