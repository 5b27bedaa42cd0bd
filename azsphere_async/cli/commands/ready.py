"""``ready``: readiness checks on every board at once, PASS/FAIL per check and per board.

The rules know the manufacturing states (as Microsoft's ``device_ready.py`` does): the
capability check is skipped in Blank, and in DeviceComplete the checks of what the board
locks are "locked", never failed. With many boards the table shows each board's statuses and
the reasons follow once each, with how many boards they hold for; ``--details`` shows every
board's reasons in the table instead.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from ...errors import InvalidArgumentError
from ...fleet import BoardResult
from ...imagepackage import inspect_image
from ...os_releases import OsReleases
from ...planning import criteria_of
from ...readiness import (
    CHECKS,
    CheckResult,
    CheckStatus,
    ReadinessCriteria,
    ReadinessReport,
    check_readiness,
)
from ..context import AppContext, pass_app
from ..output import Cell, Column, styled
from ..recipe_input import read_recipe, show_reasons
from ..reporting import BoardRows, report
from ..running import run_boards
from ..shared_options import board_options, state_choice

__all__ = [
    "READINESS_ROWS",
    "not_ready",
    "readiness_rows",
    "ready",
    "reasons_of",
    "show_readiness",
]

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
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
    "certificates": "Certs",
}


def _cell(check: CheckResult) -> Cell:
    if check.locked:
        return styled("locked", "dim")
    return styled(check.status.value, _STYLES[check.status])


def readiness_rows(*, details: bool) -> BoardRows[ReadinessReport]:
    """How ``ready`` shows its reports; with ``details``, each board's reasons in a column."""

    def rows(report: ReadinessReport) -> list[dict[str, Cell | None]]:
        row: dict[str, Cell | None] = {check.name: _cell(check) for check in report.checks}
        row["ready"] = (
            styled("READY", "bold green") if report.ready else styled("NOT READY", "bold red")
        )
        row["why"] = "; ".join(f"{c.name}: {c.detail}" for c in report.failures) or "-"
        return [row]

    columns = [
        *(Column(_HEADERS[name], name, no_wrap=True) for name in CHECKS),
        Column("Result", "ready", no_wrap=True),
    ]
    if details:
        columns.append(Column("Why", "why", min_width=12))
    return BoardRows[ReadinessReport](
        columns=columns, rows=rows, data=lambda report: report.to_json()
    )


#: How ``ready --details`` shows its reports (the demo reuses it).
READINESS_ROWS = readiness_rows(details=True)


def not_ready(result: BoardResult[ReadinessReport]) -> bool:
    """Whether a board answered but is not ready (a board that failed to answer fails anyway)."""
    return result.value is not None and not result.value.ready


def reasons_of(results: Sequence[BoardResult[ReadinessReport]]) -> list[tuple[str, str]]:
    """Every ``(address, "check: why")`` of the boards that answered but are not ready."""
    return [
        (result.address, f"{check.name}: {check.detail}")
        for result in results
        if result.value is not None
        for check in result.value.failures
    ]


def _reasons_json(reasons: list[tuple[str, str]]) -> list[dict[str, Any]]:
    grouped: dict[str, list[str]] = {}
    for address, reason in reasons:
        grouped.setdefault(reason, []).append(address)
    ordered = sorted(grouped.items(), key=lambda item: -len(item[1]))
    return [{"reason": r, "count": len(a), "boards": a} for r, a in ordered]


def show_readiness(app: AppContext, criteria: ReadinessCriteria, *, details: bool = False) -> int:
    """Run the checks on the chosen boards and show them; returns the exit status."""
    collected, code = run_boards(app, lambda device: check_readiness(device, criteria))
    if code is not None:
        return code
    reasons = reasons_of(collected.finished())
    status = report(
        app,
        "ready",
        collected,
        readiness_rows(details=details),
        failed=not_ready,
        extra={"reasons": _reasons_json(reasons)},
        outcome_words=("ready", "not ready"),
    )
    if not details and not app.output.json_mode:
        show_reasons(
            app,
            "Why not ready",
            reasons,
            len(collected.addresses),
            hint="ready --details shows each board's reasons",
        )
    return status


def _image_ids(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> Any:
    """Each ``--images`` value as an image ID: a UUID, or an image package's (read from it)."""
    found: list[tuple[str, str]] = []
    for value in values:
        if _UUID.fullmatch(value):
            found.append((value.lower(), ""))
            continue
        path = Path(value)
        if not path.is_file():
            raise click.BadParameter(
                f"{value!r} is neither an image ID (a UUID such as "
                "6415a939-c098-48cf-8e5c-02b52a9f0ffb) nor an image package file"
                + (" (no such file)" if not path.exists() else "")
            )
        try:
            package = inspect_image(path)
        except InvalidArgumentError as exc:
            raise click.BadParameter(f"{value!r}: {exc.given}; expected {exc.allowed}") from None
        found.append((package.image_id, package.name))
    return tuple(found)


def _releases(ctx: click.Context, param: click.Parameter, value: Path | None) -> Any:
    if value is None:
        return None
    try:
        return OsReleases.load(value)
    except InvalidArgumentError as exc:
        raise click.BadParameter(f"{exc.given}; expected {exc.allowed}") from None


@click.command()
@click.option(
    "--recipe",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Check against a recipe (the rules of `plan` and `apply`) instead of the options below.",
)
@click.option("--os", "os_versions", metavar="V", multiple=True, help="An allowed OS version.")
@click.option(
    "--os-releases",
    type=click.Path(dir_okay=False, path_type=Path),
    callback=_releases,
    help="Microsoft's list of OS releases (mt3620an.json), to tell the OS of boards whose "
    "REST API has no /osversion (before 4.5.0) from their images. Never downloaded.",
)
@click.option(
    "--images",
    "images",
    metavar="PACKAGE|IMAGE-ID",
    multiple=True,
    callback=_image_ids,
    help="An image package file, or an image ID, that must be installed (repeatable). With "
    "any given, no other application may be installed unless --allow-other-apps.",
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
@click.option("--details", is_flag=True, help="Show each board's reasons in the table.")
@board_options
@pass_app
def ready(
    app: AppContext,
    recipe: Path | None,
    os_versions: tuple[str, ...],
    os_releases: OsReleases | None,
    images: tuple[tuple[str, str], ...],
    allow_other_apps: bool,
    mfg_state: str | None,
    allowed_capabilities: tuple[int, ...],
    wifi_ssids: tuple[str, ...],
    no_wifi: bool,
    no_capabilities: bool,
    details: bool,
) -> None:
    """Check that every board is ready: OS version, installed images, manufacturing state,
    capabilities, Wi-Fi networks and certificates. Exit status 1 if any board is not ready.

    Checks without criteria are skipped (OS, images, manufacturing state) or use the
    shipping defaults (no capabilities, no Wi-Fi networks). In Blank the capability check is
    skipped (Blank boards carry the RF-test capability); in DeviceComplete the images, Wi-Fi
    and certificates are locked, shown as "locked", never failed.
    """
    if recipe is not None:
        given: list[object] = [os_versions, os_releases, images, allow_other_apps, mfg_state]
        given += [allowed_capabilities, wifi_ssids, no_wifi, no_capabilities]
        if any(given):
            raise click.UsageError("--recipe takes its criteria from the recipe; give no others")
        criteria = criteria_of(read_recipe(app, recipe))
    else:
        criteria = ReadinessCriteria(
            os_versions=os_versions,
            os_releases=os_releases,
            images=[image_id for image_id, _ in images],
            image_names={image_id: name for image_id, name in images if name},
            allow_other_apps=allow_other_apps,
            manufacturing_state=mfg_state,
            allowed_capabilities=allowed_capabilities,
            wifi_ssids=wifi_ssids,
            check_wifi=not no_wifi,
            check_capabilities=not no_capabilities,
        )
    sys.exit(show_readiness(app, criteria, details=details))
