"""Fixtures of the client tests: a respx-mocked device at 192.168.35.2 and a client for it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import respx

from azsphere_async.client import DeviceClient
from azsphere_async.options import RetryPolicy
from tests.client.client_helpers import reply
from tests.shared_data import DEVICE_URL


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    """Every request to the device goes here; a request with no route fails the test."""
    with respx.mock(base_url=DEVICE_URL, assert_all_called=False, assert_all_mocked=True) as mock:
        yield mock


@pytest.fixture
async def fresh_client(router: respx.MockRouter) -> AsyncIterator[DeviceClient]:
    """A client that has not yet learned the device's REST API version."""
    async with DeviceClient(retry=RetryPolicy(attempts=1)) as client:
        yield client


@pytest.fixture
async def client(router: respx.MockRouter, fresh_client: DeviceClient) -> DeviceClient:
    """A client that already knows the device runs REST API 4.6.0; no calls are recorded yet."""
    router.get("/status").mock(return_value=reply({"uptime": 1}))
    await fresh_client.device.get_rest_api_version()
    router.reset()
    return fresh_client
