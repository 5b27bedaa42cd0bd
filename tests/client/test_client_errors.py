"""Error answers: each HTTP status becomes its exception, keeping the device's error code."""

from __future__ import annotations

import pytest
import respx

from azsphere_async.client import DeviceClient
from azsphere_async.errors import (
    BadRequestError,
    ConflictError,
    DeviceHTTPError,
    DeviceInternalError,
    ForbiddenError,
    MalformedResponseError,
    NotFoundError,
    UnsupportedMediaTypeError,
)
from tests.client.client_helpers import reply
from tests.shared_data import BLINK_ID, DEVICE_ADDRESS

STATUS_PATH = f"/app/status/{BLINK_ID}"


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, BadRequestError),
        (403, ForbiddenError),
        (404, NotFoundError),
        (409, ConflictError),
        (412, NotFoundError),
        (415, UnsupportedMediaTypeError),
        (500, DeviceInternalError),
        (418, DeviceHTTPError),
        (503, DeviceHTTPError),
    ],
)
async def test_each_status_raises_its_exception(
    router: respx.MockRouter, client: DeviceClient, status: int, kind: type[DeviceHTTPError]
) -> None:
    router.get(STATUS_PATH).mock(return_value=reply({"error": 17825802}, status=status))
    with pytest.raises(DeviceHTTPError) as caught:
        await client.app.get_status(BLINK_ID)
    error = caught.value
    assert type(error) is kind
    assert error.status == status
    assert error.error_code == 17825802
    assert error.address == DEVICE_ADDRESS
    assert DEVICE_ADDRESS in str(error)
    assert f"HTTP {status}" in str(error)
    assert f"GET {STATUS_PATH}" in str(error)


async def test_a_known_error_code_is_explained(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    router.patch(STATUS_PATH).mock(return_value=reply({"error": 14680076}, status=409))
    with pytest.raises(ConflictError) as caught:
        await client.app.set_status(BLINK_ID, "start")
    assert caught.value.error_code == 14680076
    assert caught.value.meaning == "application not present"
    assert "application not present" in str(caught.value)


async def test_an_unknown_error_code_is_kept(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    router.get(STATUS_PATH).mock(return_value=reply({"error": 987654321}, status=400))
    with pytest.raises(BadRequestError) as caught:
        await client.app.get_status(BLINK_ID)
    assert caught.value.error_code == 987654321
    assert caught.value.meaning is None
    assert "987654321" in str(caught.value)


async def test_the_forbidden_error_suggests_what_to_do(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    router.get("/stats/memory/groups/applications").mock(
        return_value=reply({"error": 13}, status=403)
    )
    with pytest.raises(ForbiddenError) as caught:
        await client.app.get_memory_statistics()
    assert "appdevelopment" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"", None),
        (b"<html><body>Internal error</body></html>", "text/html"),
        (b"{not json", "application/json"),
        (b'{"error": "text instead of a number"}', "application/json"),
        (b"[1, 2]", "application/json"),
    ],
)
async def test_error_bodies_without_a_usable_code(
    router: respx.MockRouter, client: DeviceClient, content: bytes, content_type: str | None
) -> None:
    router.delete("/net/proxy").mock(
        return_value=reply(content=content, status=500, content_type=content_type)
    )
    with pytest.raises(DeviceInternalError) as caught:
        await client.network.delete_proxy()
    assert caught.value.error_code is None
    assert "no device error code" in str(caught.value)
    assert DEVICE_ADDRESS in str(caught.value)


async def test_error_answers_never_show_the_secrets_sent(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    router.post("/wifi/config/networks").mock(return_value=reply({"error": 13631513}, status=400))
    with pytest.raises(BadRequestError) as caught:
        await client.wifi.add_network(ssid="Home", security_state="psk", psk="hunter2-psk-value")
    assert "hunter2" not in str(caught.value)
    assert "PSK too short" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(b"", None), (b"<html/>", "text/html"), (b"{oops", "application/json")],
)
async def test_success_answers_that_are_not_json_are_malformed(
    router: respx.MockRouter, client: DeviceClient, content: bytes, content_type: str | None
) -> None:
    router.get("/net/status").mock(return_value=reply(content=content, content_type=content_type))
    with pytest.raises(MalformedResponseError) as caught:
        await client.network.get_status()
    assert DEVICE_ADDRESS in str(caught.value)
