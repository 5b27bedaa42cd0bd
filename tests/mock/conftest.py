"""Fixtures for the mock device's tests: clients that check every answer against the spec."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import trustme
from cryptography.hazmat.primitives import serialization

from azsphere_async.mock import DeviceState, MockDevice, create_app
from azsphere_async.mock.spec import validate_response
from tests.shared_data import BLINK


async def check_answer(response: httpx.Response) -> None:
    """Response hook: every answer must carry the version header and match the spec."""
    await response.aread()
    request = response.request
    assert "rest-api-version" in response.headers, f"no REST-API-Version on {request.url}"
    validate_response(
        request.method,
        request.url.path,
        response.status_code,
        response.content,
        content_type=response.headers.get("content-type"),
    )


def checking_client(app_or_device: Any, **kwargs: Any) -> httpx.AsyncClient:
    """A client for an in-process app or a served device that validates every answer."""
    hooks = {"response": [check_answer]}
    if isinstance(app_or_device, MockDevice):
        return httpx.AsyncClient(
            base_url=app_or_device.url,
            verify=app_or_device.ssl_context(),
            event_hooks=hooks,
            **kwargs,
        )
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_or_device),
        base_url="https://device",
        event_hooks=hooks,
        **kwargs,
    )


@pytest.fixture
def state() -> DeviceState:
    return DeviceState()


@pytest.fixture
async def http(state: DeviceState) -> AsyncIterator[httpx.AsyncClient]:
    async with checking_client(create_app(state)) as http:
        yield http


@pytest.fixture
async def mock_device() -> AsyncIterator[MockDevice]:
    async with MockDevice() as mock_device:
        yield mock_device


@pytest.fixture
def blink() -> bytes:
    return BLINK.read_bytes()


@pytest.fixture(scope="session")
def cert_material() -> dict[str, str]:
    """PEM texts: a root CA, a client certificate with its key (plain and encrypted)."""
    ca = trustme.CA(organization_name="Test Org")
    leaf = ca.issue_cert("client.example", common_name="TestClient")
    key = serialization.load_pem_private_key(leaf.private_key_pem.bytes(), password=None)
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret-pw"),
    )
    other = trustme.CA().issue_cert("other.example")
    return {
        "root": ca.cert_pem.bytes().decode(),
        "client": leaf.cert_chain_pems[0].bytes().decode(),
        "key": leaf.private_key_pem.bytes().decode(),
        "encrypted_key": encrypted.decode(),
        "other_key": other.private_key_pem.bytes().decode(),
    }
