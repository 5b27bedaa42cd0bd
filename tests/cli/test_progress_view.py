"""The deploy command's live view fits any terminal, and Ctrl-C says what is left."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from azsphere_async import Phase, StageProgress
from azsphere_async.cli.output import Output
from azsphere_async.cli.progress import DeployDisplay
from azsphere_async.imagepackage import inspect_image
from tests.shared_data import BLINK

SIZE = 900_000


def boards(count: int) -> list[str]:
    return [f"127.0.0.{n + 2}:4430" for n in range(count)]


def drawn(display: DeployDisplay, width: int, height: int) -> list[str]:
    """The live view as a terminal of ``width`` x ``height`` would show it."""
    console = Console(file=io.StringIO(), width=width, height=height, color_system=None)
    with console.capture() as capture:
        console.print(display._live.renderable if display._live else "")
    return capture.get().rstrip("\n").split("\n")


def terminal_display(addresses: list[str]) -> DeployDisplay:
    output = Output(stdout=io.StringIO(), stderr=io.StringIO())
    output.mode = "rich"
    output.console = Console(file=io.StringIO(), force_terminal=True, width=80, height=24)
    return DeployDisplay(output, addresses, SIZE, package=inspect_image(BLINK))


@pytest.mark.parametrize("width", [80, 200])
def test_a_fleet_larger_than_the_terminal_is_compact_and_shows_every_failure(width: int) -> None:
    addresses = boards(48)
    display = terminal_display(addresses)
    for n, address in enumerate(addresses):
        if n % 3 == 0:
            display.update(address, StageProgress(n * 10_000, SIZE, 5.0, Phase.UPLOADING, 50_000.0))
    failed = [addresses[40], addresses[47]]
    for address in failed:
        display.finished(address, ok=False)
    lines = drawn(display, width, 20)
    assert len(lines) <= 20
    assert all(len(line) <= width for line in lines)
    assert lines[0].startswith("total")
    assert "48 boards: 30 waiting to start · 16 uploading · 2 failed" in lines[1]
    shown = "\n".join(lines)
    for address in failed:
        assert address in shown
    assert lines[-1].startswith("… ")


def test_a_small_fleet_shows_a_row_per_board_with_its_phase() -> None:
    addresses = boards(4)
    display = terminal_display(addresses)
    display.update(addresses[0], StageProgress(300_000, SIZE, 6.0, Phase.UPLOADING, 50_000.0))
    display.update(addresses[1], StageProgress(SIZE, SIZE, 19.0, Phase.WAITING))
    display.set_phase(addresses[2], Phase.INSTALLING)
    display.finished(addresses[3], ok=True)
    lines = drawn(display, 200, 40)
    assert len(lines) == 2 + 4
    assert "0:12 left" in lines[0]  # the slowest board's
    assert "50.0 kB/s" in lines[2]
    assert "0:12 left" in lines[2]  # 600 kB at 50 kB/s
    assert "300.0/900.0 kB" in lines[2]
    assert lines[3].rstrip().endswith("waiting for the board")
    assert lines[4].rstrip().endswith("installing")
    assert lines[5].rstrip().endswith("done")
    narrow = drawn(display, 80, 40)
    assert all(len(line) <= 80 for line in narrow)
    assert narrow[3].rstrip().endswith("board checking")


def test_ctrl_c_says_what_may_be_left_on_each_board_and_how_to_clear_it() -> None:
    addresses = boards(3)
    err = io.StringIO()
    output = Output(stdout=err, stderr=io.StringIO())
    package = inspect_image(BLINK)
    display = DeployDisplay(output, addresses, SIZE, package=package)

    def interrupted_deploy() -> None:
        with display:
            display.update(addresses[0], StageProgress(300_000, SIZE, 6.0, Phase.UPLOADING))
            display.update(addresses[1], StageProgress(SIZE, SIZE, 6.0, Phase.INSTALLING))
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted_deploy()
    told = err.getvalue()
    assert f"{addresses[0]}  33% of {package.name} uploaded: part may stay staged" in told
    assert f"{addresses[1]}  {package.name} staged, perhaps installed" in told
    assert addresses[2] not in told.split("restart")[0]  # never began: nothing left
    assert f"azsphere-async -d {addresses[0]} -d {addresses[1]} restart" in told
    assert f"azsphere-async -d {addresses[1]} app delete {package.component_id}" in told
