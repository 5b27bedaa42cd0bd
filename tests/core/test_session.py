"""DeviceSession and what sits beside it: request shapes, retries, caps, error mapping and the
resources' answer decoding (respx, no sockets)."""

from __future__ import annotations

import logging
import ssl
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpcore
import httpx
import pytest
import respx

from azsphere_async.error_mapping import device_error_for
from azsphere_async.errors import (
    DeviceHTTPError,
    DeviceTimeoutError,
    DeviceUnreachableError,
    InvalidArgumentError,
    MalformedResponseError,
    ResponseTooLargeError,
    TLSVerificationError,
    UnsupportedVersionError,
)
from azsphere_async.options import ClientOptions, RetryPolicy, Timeouts
from azsphere_async.resources._decoding import decode_bytes, decode_json
from azsphere_async.session import DeviceSession
from azsphere_async.versions import RestApiVersion
from tests.shared_data import DEVICE_ADDRESS, DEVICE_URL, VERSION_HEADER

FAST_RETRY = RetryPolicy(attempts=3, backoff=0.001)


def session_with(**shortcuts: Any) -> DeviceSession:
    """A session for the default address with these options."""
    return DeviceSession(options=ClientOptions.build(**shortcuts))


async def json_answer(
    session: DeviceSession, method: str, path: str, *, allow_empty: bool = False, **request: Any
) -> Any:
    """Send a request and decode its JSON answer as the resources do."""
    response = await session.request(method, path, **request)
    return decode_json(response, session.address, f"{method} {path}", allow_empty=allow_empty)


async def bytes_answer(session: DeviceSession, method: str, path: str) -> bytes:
    """Send a request and take its raw answer as the resources do."""
    response = await session.request(method, path)
    return decode_bytes(response, session.address, f"{method} {path}")


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=DEVICE_URL, assert_all_called=False) as mock:
        yield mock


async def test_sends_accept_json_and_learns_version(router: respx.MockRouter) -> None:
    route = router.get("/status").respond(200, json={"uptime": 5}, headers=VERSION_HEADER)
    async with session_with(retry=FAST_RETRY) as session:
        assert session.rest_api_version is None
        assert await json_answer(session, "GET", "/status") == {"uptime": 5}
        assert session.rest_api_version == RestApiVersion(4, 6, 0)
    request = route.calls.last.request
    assert request.headers["Accept"] == "application/json"
    assert request.url == f"{DEVICE_URL}/status"


async def test_json_body_is_compact_with_content_type(router: respx.MockRouter) -> None:
    route = router.post("/x").respond(200, json={}, headers=VERSION_HEADER)
    async with DeviceSession() as session:
        await json_answer(session, "POST", "/x", json={"a": 1, "b": [True]})
    request = route.calls.last.request
    assert request.content == b'{"a":1,"b":[true]}'
    assert request.headers["Content-Type"] == "application/json"


async def test_host_and_port_address_builds_https_url(router: respx.MockRouter) -> None:
    with respx.mock(base_url="https://127.0.0.5:8443") as mock:
        mock.get("/status").respond(200, json={"uptime": 1}, headers=VERSION_HEADER)
        async with DeviceSession("127.0.0.5:8443") as session:
            assert session.base_url == "https://127.0.0.5:8443"
            await json_answer(session, "GET", "/status")


@pytest.mark.parametrize(
    "address", ["", "http://1.2.3.4", "1.2.3.4/x", "host:0", "host:70000", " a"]
)
def test_bad_addresses_are_refused_before_traffic(address: str) -> None:
    with pytest.raises(InvalidArgumentError, match="address"):
        DeviceSession(address)


async def test_gets_are_retried_after_a_lost_connection(router: respx.MockRouter) -> None:
    route = router.get("/images").mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            httpx.Response(200, json={"components": []}, headers=VERSION_HEADER),
        ]
    )
    async with session_with(retry=FAST_RETRY) as session:
        assert await json_answer(session, "GET", "/images") == {"components": []}
    assert route.call_count == 3


async def test_gets_give_up_after_the_policy_attempts(router: respx.MockRouter) -> None:
    route = router.get("/images").mock(side_effect=httpx.ConnectError("refused"))
    async with session_with(retry=FAST_RETRY) as session:
        with pytest.raises(DeviceUnreachableError, match="could not connect") as caught:
            await json_answer(session, "GET", "/images")
    assert route.call_count == 3
    assert caught.value.address == DEVICE_ADDRESS


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/update/stage"),
        ("POST", "/update/install"),
        ("POST", "/restart"),
        ("DELETE", "/net/proxy"),
    ],
)
async def test_changes_are_never_sent_twice(
    router: respx.MockRouter, method: str, path: str
) -> None:
    route = router.request(method, path).mock(side_effect=httpx.RemoteProtocolError("dropped"))
    async with session_with(retry=FAST_RETRY) as session:
        with pytest.raises(DeviceUnreachableError, match="connection was lost"):
            await session.request(method, path, content=b"x" if method == "PUT" else None)
    assert route.call_count == 1


async def test_read_timeout_names_the_phase_and_is_not_retried(router: respx.MockRouter) -> None:
    route = router.get("/status").mock(side_effect=httpx.ReadTimeout("slow"))
    async with session_with(retry=FAST_RETRY, timeout=Timeouts(read=0.5)) as session:
        with pytest.raises(DeviceTimeoutError) as caught:
            await session.request("GET", "/status")
    assert caught.value.phase == "read"
    assert "0.5 s" in str(caught.value)
    assert route.call_count == 1


async def test_operation_timeout_bounds_the_whole_call(router: respx.MockRouter) -> None:
    async def stall(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(10)
        return httpx.Response(200)

    router.get("/status").mock(side_effect=stall)
    async with session_with(timeout=Timeouts(operation=0.05)) as session:
        with pytest.raises(DeviceTimeoutError) as caught:
            await session.request("GET", "/status")
    assert caught.value.phase == "operation"


def test_certificate_failure_is_a_tls_error() -> None:
    # The chain httpx builds for a failed handshake: ConnectError <- httpcore <- ssl.
    cause = ssl.SSLCertVerificationError(1, "certificate verify failed")
    cause.verify_message = "unable to get local issuer certificate"
    inner = httpcore.ConnectError("handshake")
    inner.__cause__ = cause
    error = httpx.ConnectError("handshake")
    error.__cause__ = inner
    translated = device_error_for(error, "192.168.35.2", "GET /status", Timeouts(), None)
    assert isinstance(translated, TLSVerificationError)
    assert "unable to get local issuer certificate" in str(translated)
    assert translated.address == DEVICE_ADDRESS


async def test_redirects_are_not_followed(router: respx.MockRouter) -> None:
    router.get("/status").respond(301, headers={"Location": "http://192.168.35.2/status"})
    plain = respx.get("http://192.168.35.2/status").respond(200)
    async with DeviceSession() as session:
        with pytest.raises(DeviceHTTPError) as caught:
            await session.request("GET", "/status")
    assert caught.value.status == 301
    assert not plain.called


async def test_large_answers_are_capped_by_declared_length(router: respx.MockRouter) -> None:
    router.get("/log").respond(200, content=b"x" * 2000, headers=VERSION_HEADER)
    async with session_with(max_response_bytes=1000) as session:
        with pytest.raises(ResponseTooLargeError, match="1000-byte cap") as caught:
            await bytes_answer(session, "GET", "/log")
    assert caught.value.limit == 1000


async def test_large_streamed_answers_are_capped_while_reading(router: respx.MockRouter) -> None:
    class Endless(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            for _ in range(100):
                yield b"y" * 100

    router.get("/log").respond(200, stream=Endless(), headers=VERSION_HEADER)
    async with session_with(max_response_bytes=1000) as session:
        with pytest.raises(ResponseTooLargeError):
            await bytes_answer(session, "GET", "/log")


@pytest.mark.parametrize(
    ("content", "headers", "message"),
    [
        (b"", {}, "empty body"),
        (b"{not json", {"Content-Type": "application/json"}, "cannot be parsed"),
        (b'{"uptime": 1', {"Content-Type": "application/json"}, "cannot be parsed"),
        (b"<html></html>", {"Content-Type": "text/html"}, "'text/html' where JSON"),
    ],
)
async def test_malformed_answers_are_typed_errors(
    router: respx.MockRouter, content: bytes, headers: dict[str, str], message: str
) -> None:
    router.get("/status").respond(200, content=content, headers={**VERSION_HEADER, **headers})
    async with DeviceSession() as session:
        with pytest.raises(MalformedResponseError, match=message):
            await json_answer(session, "GET", "/status")


async def test_empty_success_answer_is_allowed_where_documented(router: respx.MockRouter) -> None:
    router.delete("/net/proxy").respond(200, content=b"", headers=VERSION_HEADER)
    async with DeviceSession() as session:
        assert await json_answer(session, "DELETE", "/net/proxy", allow_empty=True) == {}


async def test_version_gate_asks_status_once_then_refuses(router: respx.MockRouter) -> None:
    status = router.get("/status").respond(
        200, json={"uptime": 1}, headers={"REST-API-Version": "4.4.0"}
    )
    osversion = router.get("/osversion").respond(200, json={"osversion": "22.11"})
    async with DeviceSession() as session:
        for _ in range(2):
            with pytest.raises(UnsupportedVersionError, match=r"4\.5\.0 or later.*runs 4\.4\.0"):
                await json_answer(session, "GET", "/osversion", min_version=RestApiVersion(4, 5, 0))
    assert status.call_count == 1
    assert not osversion.called


async def test_version_known_from_an_earlier_answer_costs_no_round_trip(
    router: respx.MockRouter,
) -> None:
    status = router.get("/status").respond(200, json={"uptime": 1}, headers=VERSION_HEADER)
    router.get("/images").respond(200, json={}, headers=VERSION_HEADER)
    osversion = router.get("/osversion").respond(
        200, json={"osversion": "22.11"}, headers=VERSION_HEADER
    )
    async with DeviceSession() as session:
        await json_answer(session, "GET", "/images")
        await json_answer(session, "GET", "/osversion", min_version=RestApiVersion(4, 5, 0))
    assert not status.called
    assert osversion.called


async def test_debug_log_lines_name_the_request_but_not_the_body(
    router: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    router.post("/wifi/config/networks").respond(201, json={"id": 0}, headers=VERSION_HEADER)
    caplog.set_level(logging.DEBUG, logger="azsphere_async")
    async with DeviceSession() as session:
        await json_answer(session, "POST", "/wifi/config/networks", json={"psk": "hunter2hunter2"})
    assert "POST /wifi/config/networks" in caplog.text
    assert "HTTP 201" in caplog.text
    assert "hunter2hunter2" not in caplog.text


async def test_streamed_body_needs_its_length() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"x"

    async with DeviceSession() as session:
        with pytest.raises(InvalidArgumentError, match="content_length"):
            await session.request("PUT", "/update/stage", content=chunks())


@pytest.mark.parametrize("cap", [0, -5, True, "1000", 1000.5])
def test_bad_response_cap_is_refused(cap: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="max_response_bytes"):
        session_with(max_response_bytes=cap)


@pytest.mark.parametrize("timeout", [-1, 0, float("nan")])
def test_bad_timeout_is_refused(timeout: float) -> None:
    with pytest.raises(InvalidArgumentError, match="timeout"):
        session_with(timeout=timeout)


async def test_only_the_librarys_own_transport_borrows_a_bodys_chunks() -> None:
    # A mocking library keeps the chunks it is given, so an upload must hand it copies.
    async with DeviceSession() as session:
        assert session.borrows_chunks
        with respx.mock(base_url=DEVICE_URL):
            assert not session.borrows_chunks
    async with DeviceSession(transport=httpx.AsyncHTTPTransport()) as session:
        assert not session.borrows_chunks
