"""Microsoft's client (``azuresphere-device-api``), pointed at a loopback board."""

from __future__ import annotations

import atexit
import importlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from .._loopback import require_loopback

__all__ = ["official_client", "point_official"]


def official_client(address: str, ca: str) -> Any:
    """Import Microsoft's client and point it at ``address`` (loopback) and the test CA.

    Its ``set_device_ip_address`` only accepts addresses other than 192.168.35.2 when the SDK
    it finds through ``AzureSphereDefaultSDKDir`` is 23.04 or later, so a stand-in SDK folder
    with a VERSION file is made for this process. The address is set, then read back through
    the client's own URL builder, before any request.
    """
    require_loopback(address)
    sdk = tempfile.mkdtemp(prefix="azsphere-sdk-")
    atexit.register(shutil.rmtree, sdk, ignore_errors=True)
    Path(sdk, "VERSION").write_text("24.03.0.0\n")
    os.environ["AzureSphereDefaultSDKDir"] = sdk  # noqa: SIM112 - the SDK's own spelling
    utils = importlib.import_module("azuresphere_device_api.utils")

    utils.set_device_ip_address(address)
    url = utils._create_url("status")
    if url != f"https://{address}/status":
        raise RuntimeError(f"the official client would call {url!r}, not {address!r}")
    # It verifies against Microsoft's device CA; the mock and the sink use a test CA.
    setattr(utils, "_CERT_PATH", Path(ca))  # noqa: B010 - a module global the client reads
    return utils


def point_official(utils: Any, address: str) -> None:
    """Point Microsoft's client (its one global address) at another loopback board."""
    require_loopback(address)
    utils.set_device_ip_address(address)
    if utils._create_url("status") != f"https://{address}/status":
        raise RuntimeError(f"the official client is not pointed at {address!r}")
