"""``azsphere-async demo --station``: what a user sees, with the operator's pauses cut out.

``--pace 0`` keeps every act of the demo (boards plugged one by one, one pulled mid-upload and
plugged in again, one with an old OS) and drops only the pauses a person watching needs; the
operator acts on what the station shows, so the story is the same however loaded the machine.
"""

from __future__ import annotations

import re

from click.testing import CliRunner

from azsphere_async.cli.app import cli


def test_the_station_demo_gives_every_board_a_record_and_shows_them() -> None:
    result = CliRunner().invoke(cli, ["demo", "--station", "--pace", "0"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.stdout
    # The live view's lines, one per slot as each board finishes (on a pipe).
    slots = re.findall(r"^slot (\d+): (PASS|FAIL|PULLED) ", out, re.M)
    assert sorted(slots) == [
        ("1", "PASS"),
        ("2", "PASS"),
        ("3", "FAIL"),
        ("4", "PASS"),
        ("4", "PULLED"),
        ("5", "PASS"),
    ]
    assert slots.index(("4", "PULLED")) < slots.index(("4", "PASS"))  # pulled, then again
    failed = next(line for line in out.splitlines() if line.startswith("slot 3: FAIL"))
    assert "23.10" in failed  # why it failed: its OS is not the recipe's
    assert "4 passed, 1 failed, 1 interrupted" in result.output
    # The records, as a table at the end: every run, the failed one with its reason.
    records = out.split("== The records ==", 1)[1]
    assert "6 run(s): 4 passed, 2 not passed" in records
    rows = [line for line in records.splitlines() if re.search(r"PASSED|FAILED|INTERRUPTED", line)]
    assert len(rows) == 6
    assert sum("PASSED" in row for row in rows) == 4
    (failed_row,) = [row for row in rows if "FAILED" in row]
    assert "23.10" in failed_row
    (pulled_row,) = [row for row in rows if "INTERRUPTED" in row]
    assert "the board was unplugged" in pulled_row
