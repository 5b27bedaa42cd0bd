"""``status``: one row per board with its identity, versions, security and manufacturing state
and uptime (the demo reuses :func:`read_status` and :data:`STATUS_ROWS`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
import attrs
import click

from ...client import DeviceClient
from ...errors import UnsupportedVersionError
from ..context import AppContext, pass_app
from ..formatting import format_uptime
from ..output import Column
from ..reporting import BoardRows
from ..running import run_and_report
from ..shared_options import board_options

__all__ = ["STATUS_ROWS", "BoardStatus", "read_status", "status"]

T = TypeVar("T")


async def _optional(call: Callable[[], Awaitable[T]]) -> T | None:
    """The answer, or ``None`` when the board's REST API is too old for the call."""
    try:
        return await call()
    except UnsupportedVersionError:
        return None


@attrs.frozen
class BoardStatus:
    """One board at a glance: identity, versions, security and manufacturing state, uptime."""

    device_id: str | None
    os_version: str | None
    rest_api_version: str | None
    security_state: str | None
    manufacturing_state: str | None
    uptime: int | None
    """Seconds since the board started."""


async def read_status(device: DeviceClient) -> BoardStatus:
    """Ask one board for its :class:`BoardStatus` (``None`` where its REST API is too old)."""
    status = await device.device.get_status()  # first: it also tells the REST API version
    found: dict[str, Any] = {}

    async def security() -> None:
        found["security"] = await device.device.get_security_state()

    async def os_version() -> None:
        found["os"] = await _optional(device.device.get_os_version)

    async def manufacturing() -> None:
        found["mfg"] = await _optional(device.manufacturing.get_state)

    async with anyio.create_task_group() as group:
        for reader in (security, os_version, manufacturing):
            group.start_soon(reader)
    security_state = found["security"]
    version = device.rest_api_version
    return BoardStatus(
        device_id=security_state.device_identifier,
        os_version=found["os"].os_version if found["os"] is not None else None,
        rest_api_version=str(version) if version is not None else None,
        security_state=_value(security_state.security_state),
        manufacturing_state=_value(found["mfg"]),
        uptime=status.uptime,
    )


def _value(enum_value: Any) -> str | None:
    return None if enum_value is None else str(getattr(enum_value, "value", enum_value))


#: How ``status`` shows its boards (the demo reuses it).
STATUS_ROWS = BoardRows[BoardStatus](
    # The board's address and device ID come first in every table; at narrow widths Uptime
    # goes first, then REST, then Security.
    columns=[
        Column("OS", "os", no_wrap=True),
        Column("REST", "rest", no_wrap=True, priority=3),
        Column("Security", "security", no_wrap=True, priority=2),
        Column("Mfg state", "mfg", no_wrap=True),
        Column("Uptime", "uptime", justify="right", no_wrap=True, priority=4),
    ],
    rows=lambda s: [
        {
            "os": s.os_version or "-",
            "rest": s.rest_api_version or "-",
            "security": s.security_state or "-",
            "mfg": s.manufacturing_state or "-",
            "uptime": format_uptime(s.uptime),
        }
    ],
    data=lambda s: attrs.asdict(s),
)


@click.command()
@board_options
@pass_app
def status(app: AppContext) -> None:
    """One row per board: device ID, OS and REST API versions, security and manufacturing
    state, uptime."""
    run_and_report(app, "status", read_status, STATUS_ROWS)
