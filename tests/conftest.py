"""Suite-wide set-up: the loopback-only network rule and shared fixtures.

Fixture names mean one thing across the whole suite:

- ``client``: a :class:`~azsphere_async.DeviceClient` (``fresh_client``: one that has not yet
  learned the device's REST API version);
- ``mock_device``: a served :class:`~azsphere_async.mock.MockDevice` (``roomy_mock_device``:
  one with a large storage capacity);
- ``http``: a raw ``httpx.AsyncClient`` to the mock that checks every answer against the
  spec (``plain_http``: one that does not);
- ``board``: a served mock device and a client for it, as ``(mock_device, client)``;
- ``fleet``: mock boards served from a background thread (:mod:`tests.threaded_fleet`);
- ``mock_process``: mock boards served by a separate ``python -m azsphere_async.mock``;
- ``router``: the respx router every request to the device goes to;
- ``state``: a mock device's state, for its ASGI app in-process.

Shared test data (the real image packages, their IDs, the device's defaults) lives in
:mod:`tests.shared_data`; helpers a folder shares live in its ``*_helpers`` module.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import netguard

netguard.install()

# Subprocesses (the console script, examples) load the same guard through sitecustomize.
_GUARD_DIR = str(Path(__file__).resolve().parent / "_subprocess_guard")
os.environ["PYTHONPATH"] = os.pathsep.join(
    [_GUARD_DIR, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
)
# Nothing in the suite may go through a proxy from the environment.
for _name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_name, None)


@pytest.fixture(autouse=True)
def _loopback_only() -> Iterator[None]:
    """Fail any test that tried to open a socket to a non-loopback address."""
    before = len(netguard.VIOLATIONS)
    yield
    new = netguard.VIOLATIONS[before:]
    if new:
        pytest.fail("network rule broken: " + "; ".join(new), pytrace=False)
