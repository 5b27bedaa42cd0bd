"""Fixtures of the command line's tests: mock fleets served from a thread, and a runner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from azsphere_async.cli.app import cli
from azsphere_async.mock import MockDeviceConfig
from tests.threaded_fleet import ThreadedFleet


@pytest.fixture
def make_fleet() -> Iterator[Callable[..., ThreadedFleet]]:
    """Start mock fleets for one test; all are stopped afterwards."""
    fleets: list[ThreadedFleet] = []

    def make(count: int = 3, **options: Any) -> ThreadedFleet:
        config = options.pop("config", None) or MockDeviceConfig(restart_downtime=0.3)
        fleet = ThreadedFleet(count, config, **options)
        fleets.append(fleet)
        return fleet

    yield make
    for fleet in fleets:
        fleet.close()


@pytest.fixture
def fleet(make_fleet: Callable[..., ThreadedFleet]) -> ThreadedFleet:
    """Three fresh mock boards with a Device Communication Service on a free port."""
    return make_fleet(3, dcs_port=0)


@pytest.fixture
def ca_file(fleet: ThreadedFleet, tmp_path: Path) -> Path:
    written: Path = fleet.mock.write_ca(tmp_path / "ca.pem")
    return written


@pytest.fixture
def run_cli(fleet: ThreadedFleet, ca_file: Path) -> Callable[..., Result]:
    """Invoke the command line against ``fleet``: ``run_cli("status", "--json")``."""
    runner = CliRunner()

    def run(
        *args: str,
        boards: list[str] | None = None,
        env: dict[str, str] | None = None,
        input: str | None = None,
    ) -> Result:
        selection: list[str] = []
        for address in fleet.addresses if boards is None else boards:
            selection += ["--device", address]
        return runner.invoke(
            cli,
            [*selection, "--ca", str(ca_file), *args],
            env=env,
            input=input,
            catch_exceptions=False,
        )

    return run
