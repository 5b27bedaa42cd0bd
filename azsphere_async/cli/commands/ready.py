"""``ready``: readiness checks on every board at once, PASS/FAIL per check and per board."""

from __future__ import annotations

import sys

import click

from ...fleet import BoardResult
from ...readiness import CHECKS, CheckStatus, ReadinessCriteria, ReadinessReport, check_readiness
from ..context import AppContext, pass_app
from ..output import Cell, Column, styled
from ..reporting import BoardRows, report
from ..running import run_boards
from ..shared_options import board_options, state_choice

__all__ = ["READINESS_ROWS", "not_ready", "ready", "show_readiness"]

_STYLES = {
    CheckStatus.PASS: "bold green",
    CheckStatus.FAIL: "bold red",
    CheckStatus.SKIP: "dim",
    CheckStatus.ERROR: "bold red",
}
_HEADERS = {
    "os": "OS",
    "images": "Images",
    "manufacturing": "Mfg",
    "capabilities": "Caps",
    "wifi": "Wi-Fi",
}


def _rows(report: ReadinessReport) -> list[dict[str, Cell | None]]:
    row: dict[str, Cell | None] = {
        check.name: styled(check.status.value, _STYLES[check.status]) for check in report.checks
    }
    row["ready"] = (
        styled("READY", "bold green") if report.ready else styled("NOT READY", "bold red")
    )
    row["why"] = "; ".join(f"{c.name}: {c.detail}" for c in report.failures) or "-"
    return [row]


#: How ``ready`` shows its reports (the demo and examples reuse it).
READINESS_ROWS = BoardRows[ReadinessReport](
    columns=[
        *(Column(_HEADERS[name], name, no_wrap=True) for name in CHECKS),
        Column("Result", "ready", no_wrap=True),
        Column("Why", "why", min_width=12),
    ],
    rows=_rows,
    data=lambda report: report.to_json(),
)


def not_ready(result: BoardResult[ReadinessReport]) -> bool:
    """Whether a board answered but is not ready (a board that failed to answer fails anyway)."""
    return result.value is not None and not result.value.ready


def show_readiness(app: AppContext, criteria: ReadinessCriteria) -> int:
    """Run the checks on the chosen boards and show them; returns the exit status."""
    collected, code = run_boards(app, lambda device: check_readiness(device, criteria))
    if code is not None:
        return code
    return report(app, "ready", collected, READINESS_ROWS, failed=not_ready)


@click.command()
@click.option("--os", "os_versions", metavar="V", multiple=True, help="An allowed OS version.")
@click.option(
    "--images",
    "images",
    metavar="CID",
    multiple=True,
    help="A component ID that must be installed (repeatable). With any given, no other "
    "application may be installed unless --allow-other-apps.",
)
@click.option("--allow-other-apps", is_flag=True, help="Allow applications not in --images.")
@click.option(
    "--mfg-state",
    metavar="[Blank|Module1Complete|DeviceComplete]",
    callback=state_choice(["Blank", "Module1Complete", "DeviceComplete"]),
    help="The manufacturing state every board must be in.",
)
@click.option(
    "--allow-capability",
    "allowed_capabilities",
    metavar="N",
    type=int,
    multiple=True,
    help="A capability number a board may hold (11 is appDevelopment). By default a ready "
    "board holds none.",
)
@click.option(
    "--wifi-ssid",
    "wifi_ssids",
    metavar="SSID",
    multiple=True,
    help="A Wi-Fi network a board must have configured. By default a ready board has none.",
)
@click.option("--no-wifi", is_flag=True, help="Skip the Wi-Fi networks check.")
@click.option("--no-capabilities", is_flag=True, help="Skip the capabilities check.")
@board_options
@pass_app
def ready(
    app: AppContext,
    os_versions: tuple[str, ...],
    images: tuple[str, ...],
    allow_other_apps: bool,
    mfg_state: str | None,
    allowed_capabilities: tuple[int, ...],
    wifi_ssids: tuple[str, ...],
    no_wifi: bool,
    no_capabilities: bool,
) -> None:
    """Check that every board is ready: OS version, installed images, manufacturing state,
    capabilities and Wi-Fi networks. Exit status 1 if any board is not ready.

    Checks without criteria are skipped (OS, images, manufacturing state) or use the
    shipping defaults (no capabilities, no Wi-Fi networks).
    """
    criteria = ReadinessCriteria(
        os_versions=os_versions,
        images=images,
        allow_other_apps=allow_other_apps,
        manufacturing_state=mfg_state,
        allowed_capabilities=allowed_capabilities,
        wifi_ssids=wifi_ssids,
        check_wifi=not no_wifi,
        check_capabilities=not no_capabilities,
    )
    sys.exit(show_readiness(app, criteria))
