"""Every bad argument is one message and exit status 2, before any board hears of it.

Each case runs the real command against a three-board mock fleet; the mock's own accounting
proves that no request reached any board.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import trustme
from click.testing import Result

from tests.threaded_fleet import ThreadedFleet

GOOD_PSK = {"AZSPHERE_WIFI_PSK": "Good-Key-123"}
SECRET = "Sup3rS3cretOnTheCommandLine"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    pem = tmp_path / "root.pem"
    pem.write_bytes(trustme.CA().cert_pem.bytes())
    not_pem = tmp_path / "notes.txt"
    not_pem.write_text("not a certificate\n")
    not_package = tmp_path / "notes.imagepackage"
    not_package.write_bytes(b"not an image package" * 100)
    devices = tmp_path / "rack.txt"
    devices.write_text("127.0.0.2:4430\n# a comment\n127.0.0.3:99999\n")
    return {
        "pem": str(pem),
        "not_pem": str(not_pem),
        "not_package": str(not_package),
        "devices": str(devices),
        "missing_folder": str(tmp_path / "no-such-folder" / "retry.txt"),
    }


# (arguments, environment, what the one message must name)
CASES: list[tuple[list[str], dict[str, str], str]] = [
    (["wifi", "add", "Net"], {"AZSPHERE_WIFI_PSK": "short"}, "<secret of 5 characters>"),
    (["wifi", "add", "x" * 33], GOOD_PSK, "'SSID'"),
    (["wifi", "add", "Net", "--config-name", "x" * 17], GOOD_PSK, "'--config-name'"),
    (["wifi", "add", "Net", "--security", "eaptls"], {}, "'--client-cert-id'"),
    (["wifi", "add", "Net", "--security", "eaptls", "--client-cert-id", "a b"], {}, "cert"),
    (["wifi", "add", "Net", "--security", "open", "--client-identity", "me"], {}, "eaptls"),
    (["wifi", "add", "Net", "--psk", SECRET], GOOD_PSK, "never taken on the command line"),
    (["wifi", "remove", "--id", "-1"], {}, "'--id'"),
    (["wifi", "remove"], {}, "--ssid and --id"),
    (["cert", "add", "bad id!", "--type", "rootca", "--cert", "{pem}"], {}, "'CERT_ID'"),
    (["cert", "add", "line", "--type", "rootca", "--cert", "{not_pem}"], {}, "'--cert'"),
    (["cert", "add", "c1", "--type", "client", "--cert", "{pem}"], {}, "--key FILE"),
    (["cert", "remove", "x" * 17], {}, "'CERT_ID'"),
    (["app", "start", "no-such-thing"], {}, "neither a component ID"),
    (["deploy", "{not_package}"], {}, "nothing was sent"),
    (["manufacturing-state", "set", "Shipped"], {}, "DeviceComplete"),
    (["status", "--timeout", "nan"], {}, "'--timeout'"),
    (["status", "--timeout", "0"], {}, "'--timeout'"),
    (["status", "--ca", "{not_pem}"], {}, "'--ca'"),
    (["status", "--retry-file", "{missing_folder}"], {}, "'--retry-file'"),
    (["status", "--device", "127.0.0.300"], {}, "'127.0.0.300' is not a board address"),
    (["status", "--device", "foo bar"], {}, "'foo bar' is not a board address"),
    (["status", "--devices-file", "{devices}"], {}, "line 3: '127.0.0.3:99999'"),
    (["status", "--all"], {}, "--all cannot be combined"),
    (
        ["status", "-d", "127.0.0.1", "-d", "127.0.0.1:443"],
        {},
        "127.0.0.1 and 127.0.0.1:443 are one board (127.0.0.1); name each board once",
    ),
    (["status", "-d", "[::1]:443,127.0.0.9", "-d", "::1"], {}, "[::1]:443 and ::1 are one board"),
]


@pytest.mark.parametrize(("arguments", "env", "named"), CASES, ids=lambda v: str(v)[:40])
def test_a_bad_argument_is_one_message_and_exit_2_and_no_traffic(
    arguments: list[str],
    env: dict[str, str],
    named: str,
    files: dict[str, str],
    run_cli: Callable[..., Result],
    fleet: ThreadedFleet,
) -> None:
    result = run_cli(*(argument.format(**files) for argument in arguments), env=env)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.count("Error") == 1, result.stderr
    assert named in " ".join(result.stderr.split()), result.stderr
    assert SECRET not in result.output
    assert sum(device.stats.requests for device in fleet.mock) == 0
    assert sum(device.stats.connections_accepted for device in fleet.mock) == 0


def test_the_dcs_url_is_checked_before_it_is_asked(run_cli: Callable[..., Result]) -> None:
    result = run_cli("--dcs-url", "not a url", "--all", "status", boards=[])
    assert result.exit_code == 2
    assert "'--dcs-url'" in result.stderr
    assert "http://HOST:PORT" in result.stderr


def test_a_short_key_is_refused_once_not_once_per_board(
    make_fleet: Callable[..., ThreadedFleet], tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from azsphere_async.cli.app import cli

    many = make_fleet(16)
    ca = many.mock.write_ca(tmp_path / "ca.pem")
    result = CliRunner().invoke(
        cli,
        ["--ca", str(ca), *(f"-d{a}" for a in many.addresses), "wifi", "add", "LineWifi"],
        env={"AZSPHERE_WIFI_PSK": "short"},
    )
    assert result.exit_code == 2
    assert result.stderr.count("expected a string of 8 to 63 characters") == 1
    assert "16 boards" not in result.output
    assert sum(device.stats.requests for device in many.mock) == 0


def test_help_says_how_the_ways_of_choosing_boards_combine() -> None:
    from click.testing import CliRunner

    from azsphere_async.cli.app import cli

    shown = " ".join(CliRunner().invoke(cli, ["--help"], env={"COLUMNS": "100"}).stdout.split())
    assert "--device ADDR (repeatable, or comma-separated) and --devices-file FILE add up" in shown
    assert "--all takes every board the Device Communication Service lists instead" in shown
    assert "With none of these, AZSPHERE_DEVICES" in shown
    assert "never taken as arguments" in shown
