"""One command line serves mock fleets: ``python -m azsphere_async.mock`` and ``azsphere-async
mock`` take the same options, with the same help, the same sizes and rates, the same refusals."""

from __future__ import annotations

import io
import re
import socket
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from click.testing import CliRunner

import azsphere_async.mock.cli as mock_cli
from azsphere_async.cli.app import cli
from azsphere_async.discovery import DEFAULT_DCS_URL
from azsphere_async.imagepackage import inspect_image
from azsphere_async.mock import DEFAULT_DCS_PORT, cli_main, serve_fleet
from azsphere_async.mock.units import parse_rate, parse_size


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1000", 1000),
        ("64k", 64_000),
        ("64K", 64_000),
        ("64kB", 64_000),
        ("64 KB", 64_000),
        ("1.5k", 1500),
        (".5M", 500_000),
        ("64M", 64_000_000),
        ("2MiB", 2 * 2**20),
        ("2mi", 2 * 2**20),
        ("1G", 10**9),
        ("1GiB", 2**30),
        ("0", 0),
        ("512B", 512),
    ],
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "fast", "-1k", "1e3", "64KB/s", "1T", "1,000", "k"])
def test_sizes_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a size"):
        parse_size(text)


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("500k", 500_000),
        ("500k/s", 500_000),
        ("64KB/s", 64_000),
        ("64 KB / s", 64_000),
        ("1.5MB/s", 1_500_000),
        ("512 KiB/s", 512 * 1024),
        ("1M", 1_000_000),
        ("2000", 2000),
        ("0.5", 0.5),
    ],
)
def test_rates(text: str, rate: float) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fast", "not a transfer rate"),
        ("1Mbps", "bytes per second"),
        ("1MBps", "bytes per second"),
        ("0", "more than zero"),
        ("0KB/s", "more than zero"),
        ("-5k", "not a transfer rate"),
        ("5k/min", "not a transfer rate"),
    ],
)
def test_rates_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_rate(text)


class _Served:
    """Stands in for :func:`serve_fleet`: records how the command line called it."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    async def __call__(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self.calls.append((args, kwargs))
        return {}


def _run_module(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli_main(argv)
    return code, capsys.readouterr().err


def _run_command(argv: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["mock", *argv])
    return result.exit_code, result.stderr


ACCEPTED = [
    [],
    ["--devices", "4", "--ca-file", "ca.pem", "--addresses-file", "boards.json"],
    ["--dcs-port", "0", "--rest-api-version", "4.4.0", "--latency-ms", "50"],
    ["--no-dcs", "--link-speed", "500k", "--storage-capacity", "64M"],
    ["--link-speed", "64KB/s", "--restart-downtime", "0.5", "--plain-http"],
    ["--devices", "253", "--storage-capacity", "2MiB", "--link-speed", "1.5 MB/s"],
]

REFUSED = [
    (["--devices", "0"], "--devices"),
    (["--devices", "254"], "--devices"),
    (["--devices", "four"], "--devices"),
    (["--dcs-port", "70000"], "--dcs-port"),
    (["--rest-api-version", "four"], "--rest-api-version"),
    (["--latency-ms", "-1"], "--latency-ms"),
    (["--latency-ms", "nan"], "--latency-ms"),
    (["--link-speed", "fast"], "--link-speed"),
    (["--link-speed", "1Mbps"], "--link-speed"),
    (["--link-speed", "0"], "--link-speed"),
    (["--restart-downtime", "inf"], "--restart-downtime"),
    (["--storage-capacity", "lots"], "--storage-capacity"),
    (["--bandwidth", "1M"], "unrecognized arguments: --bandwidth"),
    (["--json"], "unrecognized arguments: --json"),
]


@pytest.mark.parametrize("argv", ACCEPTED, ids=" ".join)
def test_both_entry_points_accept_the_same_arguments(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    served = _Served()
    monkeypatch.setattr(mock_cli, "serve_fleet", served)
    assert _run_module(argv, capsys) == (0, "")
    assert _run_command(argv) == (0, "")
    assert len(served.calls) == 2
    assert served.calls[0] == served.calls[1]


def test_arguments_reach_serve_fleet(monkeypatch: pytest.MonkeyPatch) -> None:
    served = _Served()
    monkeypatch.setattr(mock_cli, "serve_fleet", served)
    argv = ["--devices", "3", "--no-dcs", "--link-speed", "64KB/s", "--storage-capacity", "2M"]
    assert cli_main([*argv, "--latency-ms", "5", "--rest-api-version", "4.5.0"]) == 0
    (args, kwargs) = served.calls[0]
    assert args == (3, None, None, None, "4.5.0")
    assert kwargs == {
        "latency_ms": 5.0,
        "link_speed": 64_000.0,
        "restart_downtime": None,
        "storage_capacity": 2_000_000,
        "plain_http": False,
        "unplugged": False,
        "plug_control": None,
    }


@pytest.mark.parametrize(("argv", "named"), REFUSED, ids=lambda v: " ".join(v) if v else "")
def test_both_entry_points_refuse_the_same_arguments(
    argv: list[str],
    named: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    served = _Served()
    monkeypatch.setattr(mock_cli, "serve_fleet", served)
    module_code, module_err = _run_module(argv, capsys)
    command_code, command_err = _run_command(argv)
    assert module_code == command_code == 2
    assert not served.calls
    module_error = module_err.strip().splitlines()[-1]
    command_error = command_err.strip().splitlines()[-1]
    assert module_error.startswith("python -m azsphere_async.mock: error: ")
    assert command_error.startswith("azsphere-async mock: error: ")
    assert module_error.split(": error: ", 1)[1] == command_error.split(": error: ", 1)[1]
    assert named in module_error


def test_both_entry_points_show_the_same_help(capsys: pytest.CaptureFixture[str]) -> None:
    module_code = cli_main(["--help"])
    module_help = capsys.readouterr().out
    result = CliRunner().invoke(cli, ["mock", "--help"])
    assert module_code == result.exit_code == 0

    def options(text: str) -> str:
        return text[text.index("options:") :]

    def usage(text: str, prog: str) -> str:
        return " ".join(text[: text.index("\n\n")].replace(prog, "PROG").split())

    assert options(module_help) == options(result.stdout)
    assert usage(module_help, "python -m azsphere_async.mock") == usage(
        result.stdout, "azsphere-async mock"
    )
    for option in ("--link-speed RATE", "--storage-capacity SIZE", "--plain-http", "--no-dcs"):
        assert option in module_help
    assert "--bandwidth" not in module_help


@pytest.mark.parametrize("rate", ["fast", "1Mbps", "0"])
def test_the_demo_reads_rates_with_the_same_parser(rate: str) -> None:
    with pytest.raises(ValueError, match="rate") as refused:
        parse_rate(rate)
    result = CliRunner().invoke(cli, ["demo", "--link-speed", rate])
    assert result.exit_code == 2
    assert str(refused.value) in " ".join(result.stderr.split())


def test_the_service_port_is_where_the_commands_look() -> None:
    assert httpx.URL(DEFAULT_DCS_URL).port == DEFAULT_DCS_PORT
    assert re.search(rf"default {DEFAULT_DCS_PORT}\b", mock_cli.build_parser().format_help())


def test_a_taken_service_port_is_named_with_the_way_out(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = cli_main(["--devices", "2", "--dcs-port", str(port)])
    out, err = capsys.readouterr()
    assert code == 1
    assert f"port {port} on 127.0.0.1" in err
    assert "--dcs-port 0" in err
    assert "--no-dcs" in err
    assert "accounting:" not in out  # nothing was served, so nothing to account for


async def test_the_banner_says_what_a_board_holds() -> None:
    stop = anyio.Event()
    out = io.StringIO()
    await serve_fleet(
        1,
        dcs_port=None,
        stop=stop,
        on_ready=lambda fleet: stop.set(),
        out=out,
        handle_signals=False,
        storage_capacity=3 * 2**20,
    )
    assert "3 MiB of flash for applications (--storage-capacity)" in out.getvalue()


def test_package_writes_a_test_image_of_the_chosen_size(tmp_path: Path) -> None:
    target = tmp_path / "six.imagepackage"
    result = CliRunner().invoke(
        cli, ["mock", "package", str(target), "--size", "6MB", "--name", "Big"]
    )
    assert result.exit_code == 0, result.output
    assert target.stat().st_size == 6_000_000
    info = inspect_image(target)
    assert (info.name, info.is_application) == ("Big", True)
    assert info.component_id in result.stdout
    refused = CliRunner().invoke(cli, ["mock", "package", str(target), "--size", "lots"])
    assert refused.exit_code == 2
    assert "not a size" in refused.stderr
