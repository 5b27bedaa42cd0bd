"""The exit statuses, the installation and the mock commands are what the README says."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from azsphere_async.cli.exit_status import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from tests.shared_data import ROOT
from tests.threaded_fleet import ThreadedFleet

README = (ROOT / "README.md").read_text(encoding="utf-8")
DEAD = "127.0.0.1:9"


def test_the_readme_states_the_exit_statuses_the_command_uses() -> None:
    stated = re.search(r"\*\*Exit status\*\*: (.*?)\n- ", README, re.S)
    assert stated is not None
    text = " ".join(stated.group(1).split())
    for status, meaning in (
        (EXIT_OK, "every board succeeded"),
        (EXIT_FAILED, "at least one board failed"),
        (EXIT_USAGE, "a bad option or argument"),
        (EXIT_INTERRUPTED, "Ctrl-C"),
    ):
        assert f"{status} {meaning}" in text


def test_each_status_for_what_the_readme_says(
    run_cli: Callable[..., Result], fleet: ThreadedFleet, tmp_path: Path
) -> None:
    assert run_cli("status").exit_code == EXIT_OK
    assert run_cli("status", boards=[*fleet.addresses, DEAD]).exit_code == EXIT_FAILED
    assert run_cli("ready", "--os", "99.99").exit_code == EXIT_FAILED  # answered, not ready
    assert run_cli("status", "--concurrency", "0").exit_code == EXIT_USAGE
    empty = tmp_path / "none.txt"
    empty.write_text("# no boards\n")
    assert run_cli("--devices-file", str(empty), "status", boards=[]).exit_code == EXIT_USAGE
    assert run_cli("status", "--help").exit_code == EXIT_OK
    # Ctrl-C (130) is tested on the real console script, in test_console_script.py.


def test_the_readme_says_how_to_install_without_pypi() -> None:
    assert "not on PyPI" in README
    assert "pip install '.[cli]'" in README
    assert "pip wheel --no-deps -w dist ." in README
    assert "pip install 'azsphere-async[" not in README


def test_no_mock_command_shown_takes_the_real_service_port() -> None:
    shown = [ROOT / "README.md", ROOT / "examples" / "README.md"]
    shown += sorted((ROOT / "azsphere_async" / "cli").rglob("*.py"))
    for path in shown:
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.search(r"azsphere-async mock --devices", line):
                assert "--no-dcs" in line or "--dcs-port" in line, (path, line)
