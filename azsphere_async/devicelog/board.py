"""Read and decode one board's log: its OS version picks the release."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import UnsupportedVersionError
from .records import DecodedLog
from .store import ManifestStore

if TYPE_CHECKING:
    from ..client import DeviceClient

__all__ = ["board_os_version", "read_board_log"]


async def board_os_version(device: DeviceClient) -> str | None:
    """The board's OS release (``GET /osversion``, REST API 4.5.0 and later), else ``None``."""
    try:
        return (await device.device.get_os_version()).os_version
    except UnsupportedVersionError:
        return None


async def read_board_log(
    device: DeviceClient, store: ManifestStore | None = None, *, os_version: str | None = None
) -> DecodedLog:
    """Fetch ``GET /log`` and decode it with the release for the board's OS version.

    The version comes from :func:`board_os_version` unless given; on a board too old to say,
    it is unknown and the newest release is used, as the notes say. ``store`` defaults to
    :class:`ManifestStore` ``()`` (the argument-less search).
    """
    if os_version is None:
        os_version = await board_os_version(device)
    data = await device.device.get_diagnostic_log()
    return (store if store is not None else ManifestStore()).decode(data, os_version)
