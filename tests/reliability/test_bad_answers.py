"""Bad answers over real HTTPS: every read call against every kind of garbage the mock sends.

500s, malformed and truncated JSON, wrong content types, empty and giant bodies, plain HTTP
on the HTTPS port and bytes that are not HTTP at all: each must be a clear typed error (a
:class:`DeviceError` subclass naming the board), never an exception from deep inside a parser,
and the board's next call must work.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Final

import pytest
import trustme

from azsphere_async import (
    DeviceClient,
    DeviceError,
    DeviceHTTPError,
    DeviceInternalError,
    DeviceUnreachableError,
    MalformedResponseError,
    ResponseTooLargeError,
    TLSVerificationError,
)
from azsphere_async.mock import Fault, FaultKind, MockDevice
from tests.reliability.reliability_helpers import FAST_RETRY, LIMITS, ScriptedServer, read_request
from tests.shared_data import BLINK, BLINK_ID

Call = Callable[[DeviceClient], Awaitable[Any]]

#: Every read the client offers: name, the call, and the path the mock sees.
READS: Final[list[tuple[str, Call, str]]] = [
    ("app.get_quota", lambda d: d.app.get_quota(BLINK_ID), f"/app/quota/{BLINK_ID}"),
    ("app.get_status", lambda d: d.app.get_status(BLINK_ID), f"/app/status/{BLINK_ID}"),
    (
        "app.get_memory_statistics",
        lambda d: d.app.get_memory_statistics(),
        "/stats/memory/groups/applications",
    ),
    ("capabilities.get", lambda d: d.capabilities.get(), "/device/capabilities"),
    ("certificates.list", lambda d: d.certificates.list(), "/certstore/certs"),
    ("certificates.get", lambda d: d.certificates.get("lineroot"), "/certstore/certs/lineroot"),
    ("certificates.get_space", lambda d: d.certificates.get_space(), "/certstore/space"),
    ("device.get_status", lambda d: d.device.get_status(), "/status"),
    ("device.get_os_version", lambda d: d.device.get_os_version(), "/osversion"),
    (
        "device.get_security_state",
        lambda d: d.device.get_security_state(),
        "/device/security_state",
    ),
    ("device.get_diagnostic_log", lambda d: d.device.get_diagnostic_log(), "/log"),
    ("device.get_error_report_data", lambda d: d.device.get_error_report_data(), "/telemetry"),
    ("image.get_images", lambda d: d.image.get_images(), "/images"),
    ("image.get_abi_versions", lambda d: d.image.get_abi_versions(), "/abi_versions"),
    (
        "manufacturing.get_state",
        lambda d: d.manufacturing.get_state(),
        "/device/manufacturing_state",
    ),
    ("network.get_interfaces", lambda d: d.network.get_interfaces(), "/net/interfaces"),
    ("network.get_interface", lambda d: d.network.get_interface("wlan0"), "/net/interfaces/wlan0"),
    ("network.get_status", lambda d: d.network.get_status(), "/net/status"),
    ("network.get_proxy", lambda d: d.network.get_proxy(), "/net/proxy"),
    (
        "network.get_firewall_rulesets",
        lambda d: d.network.get_firewall_rulesets(),
        "/net/firewall/rulesets",
    ),
    (
        "network.get_failed_connections",
        lambda d: d.network.get_failed_connections(),
        "/wifi/diagnostics/networks",
    ),
    (
        "network.get_failed_connection",
        lambda d: d.network.get_failed_connection(0),
        "/wifi/diagnostics/networks/0",
    ),
    ("wifi.get_networks", lambda d: d.wifi.get_networks(), "/wifi/config/networks"),
    ("wifi.get_network", lambda d: d.wifi.get_network(0), "/wifi/config/networks/0"),
    ("wifi.get_interface_state", lambda d: d.wifi.get_interface_state(), "/wifi/interface"),
    ("wifi.scan", lambda d: d.wifi.scan(), "/wifi/scan"),
]
#: The reads whose answer is raw bytes (``application/octet-stream``), not JSON.
BYTE_READS: Final = {"device.get_diagnostic_log", "device.get_error_report_data"}


async def furnish(client: DeviceClient) -> None:
    """Give the board something for every read to find: an app, a certificate, a network."""
    await client.deploy(BLINK)
    await client.certificates.add(
        "lineroot", cert_type="rootca", public_cert=trustme.CA().cert_pem.bytes().decode()
    )
    # A wrong key: the network is configured, and its failed connection is logged.
    await client.wifi.add_network(
        ssid="ExampleNetworkName", security_state="psk", psk="not-the-right-key"
    )


@pytest.fixture
async def board() -> AsyncIterator[tuple[MockDevice, DeviceClient]]:
    """A furnished mock board over HTTPS and a client that retries quickly."""
    async with (
        MockDevice() as mock,
        DeviceClient(
            mock.address, ca=mock.ssl_context(), timeout=LIMITS, retry=FAST_RETRY
        ) as client,
    ):
        await furnish(client)
        for _, call, _ in READS:  # every read works while nothing is wrong
            await call(client)
        mock.stats.reset()
        yield mock, client


async def failure_of(call: Call, client: DeviceClient) -> BaseException | None:
    """The exception the call raised, or ``None``; anything but a DeviceError fails the test."""
    failure: DeviceError | None = None
    try:
        await call(client)
    except DeviceError as exc:
        failure = exc
    if failure is not None:
        assert failure.address == client.address
        assert client.address in str(failure)
    return failure


@pytest.mark.parametrize(
    ("kind", "expected", "text"),
    [
        (FaultKind.MALFORMED_JSON, MalformedResponseError, "cannot be parsed"),
        (FaultKind.TRUNCATED_JSON, MalformedResponseError, "cannot be parsed"),
        (FaultKind.WRONG_CONTENT_TYPE, MalformedResponseError, "'text/html' where"),
        (FaultKind.EMPTY_BODY, MalformedResponseError, "empty body"),
    ],
)
async def test_garbled_answers_to_every_read_are_malformed_response_errors(
    board: tuple[MockDevice, DeviceClient],
    kind: FaultKind,
    expected: type[DeviceError],
    text: str,
) -> None:
    mock, client = board
    for name, call, path in READS:
        mock.faults.inject(kind, path=path)
        error = await failure_of(call, client)
        if name in BYTE_READS and kind in (FaultKind.TRUNCATED_JSON, FaultKind.EMPTY_BODY):
            # Raw bytes have no shape to check: half a log or an empty one is still a log.
            assert error is None
        else:
            assert isinstance(error, expected), (name, error)
            # A raw read is judged by its label: JSON or HTML where bytes were expected.
            wanted = "where application/octet-stream" if name in BYTE_READS else text
            assert wanted in str(error), (name, error)
            assert path in str(error), (name, error)
        await call(client)  # the next call works
    assert mock.faults.pending == 0
    # Garbled answers are answers: nothing was asked twice.
    assert all(count == 2 for count in mock.stats.requests_by_path.values())


@pytest.mark.parametrize("kind", [FaultKind.WRONG_CONTENT_TYPE, FaultKind.MALFORMED_JSON])
async def test_a_raw_read_answered_with_another_content_type_is_malformed(
    board: tuple[MockDevice, DeviceClient], kind: FaultKind
) -> None:
    mock, client = board
    mock.faults.inject(kind, path="/log")
    error = await failure_of(lambda d: d.device.get_diagnostic_log(), client)
    assert isinstance(error, MalformedResponseError)


async def test_500_to_every_read_is_an_internal_error_with_the_device_code(
    board: tuple[MockDevice, DeviceClient],
) -> None:
    mock, client = board
    for name, call, path in READS:
        mock.faults.fail_next(status=500, code=10485765, path=path)
        error = await failure_of(call, client)
        assert isinstance(error, DeviceInternalError), (name, error)
        assert error.status == 500
        assert error.error_code == 10485765
        assert "retry, and restart the device" in str(error)
        await call(client)
    assert all(count == 2 for count in mock.stats.requests_by_path.values())


@pytest.mark.parametrize("status", [400, 403, 404, 409, 412, 415, 418, 503])
async def test_any_error_status_is_a_device_http_error_keeping_status_and_code(
    board: tuple[MockDevice, DeviceClient], status: int
) -> None:
    mock, client = board
    mock.faults.fail_next(status=status, code=123456, path="/images")
    error = await failure_of(lambda d: d.image.get_images(), client)
    assert isinstance(error, DeviceHTTPError)
    assert (error.status, error.error_code) == (status, 123456)
    assert "a code this library does not know" in str(error)


@pytest.mark.parametrize("kind", [FaultKind.DROP, FaultKind.TRUNCATED_BODY])
async def test_every_read_that_loses_its_connection_is_retried_and_answers(
    board: tuple[MockDevice, DeviceClient], kind: FaultKind
) -> None:
    mock, client = board
    for name, call, path in READS:
        mock.faults.inject(kind, path=path)
        assert await failure_of(call, client) is None, name
        assert mock.stats.requests_by_path[path] == 2, name
    assert mock.faults.pending == 0


@pytest.mark.parametrize("kind", [FaultKind.DROP, FaultKind.TRUNCATED_BODY])
async def test_a_read_that_keeps_losing_its_connection_gives_up_after_the_policy(
    board: tuple[MockDevice, DeviceClient], kind: FaultKind
) -> None:
    mock, client = board
    mock.faults.inject(kind, count=3, path="/images")
    error = await failure_of(lambda d: d.image.get_images(), client)
    assert isinstance(error, DeviceUnreachableError)
    assert not isinstance(error, TLSVerificationError)
    assert "connection was lost" in str(error)
    assert mock.stats.requests_by_path["/images"] == 3
    assert (await client.image.get_images()).components


async def test_a_giant_answer_is_refused_at_the_default_cap_without_reading_it(
    board: tuple[MockDevice, DeviceClient],
) -> None:
    mock, client = board
    # 50 MB answered to a status request: the declared length is refused before the body.
    mock.faults.inject(FaultKind.GIANT_BODY, path="/status")
    started = time.perf_counter()
    with pytest.raises(ResponseTooLargeError) as caught:
        await client.device.get_status()
    assert time.perf_counter() - started < 2.0
    error = caught.value
    assert error.limit == 16 * 1024 * 1024
    assert "answered 52428800 bytes, more than the 16777216-byte cap" in str(error)
    assert "raise max_response_bytes" in str(error)
    assert mock.stats.body_bytes_sent < 8 * 1024 * 1024  # the client hung up early
    assert (await client.device.get_status()).uptime is not None


async def test_the_response_cap_applies_to_every_read() -> None:
    async with MockDevice() as mock:
        async with DeviceClient(mock.address, ca=mock.ssl_context(), timeout=LIMITS) as setup:
            await furnish(setup)
        cap = 256 * 1024
        async with DeviceClient(
            mock.address, ca=mock.ssl_context(), timeout=LIMITS, max_response_bytes=cap
        ) as client:
            for name, call, path in READS:
                mock.faults.inject(Fault(FaultKind.GIANT_BODY, size=cap + 1), path=path)
                error = await failure_of(call, client)
                assert isinstance(error, ResponseTooLargeError), (name, error)
                assert error.limit == cap
                assert f"{cap}-byte cap" in str(error)
                await call(client)


async def test_a_plain_http_server_on_the_https_port_is_a_tls_error_and_never_spoken_to() -> None:
    async with MockDevice(tls=False) as mock:
        async with DeviceClient(
            mock.address, ca=mock.ssl_context(), timeout=LIMITS, retry=FAST_RETRY
        ) as client:
            for call in (
                lambda d: d.device.get_status(),
                lambda d: d.wifi.set_interface_state(reload_config=True),
            ):
                error = await failure_of(call, client)
                assert isinstance(error, TLSVerificationError)
                assert "TLS handshake failed" in str(error)
                assert "something other than an Azure Sphere device" in str(error)
        # One connection per call (a TLS failure is not retried) and not one HTTP request.
        assert mock.stats.connections_accepted == 2
        assert mock.stats.requests == 0


@pytest.mark.parametrize(
    "answer",
    [
        b"SSH-2.0-OpenSSH_9.6\r\n",
        b"\x00\x01\x02\x03" * 64,
        b"HTTP/1.1 200 OK\r\nContent-Length: banana\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        b"HTTP/9.9 200 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}",
    ],
    ids=["ssh-banner", "binary", "bad-length", "two-lengths", "http-9", "bad-chunks", "short"],
)
async def test_an_answer_that_is_not_http_is_a_lost_connection(answer: bytes) -> None:
    """Bytes that are not a valid HTTP answer: a typed error, retried like any lost read."""

    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        await read_request(reader)
        writer.write(answer)
        await writer.drain()
        writer.close()

    async with (
        ScriptedServer(garbage) as server,
        DeviceClient(
            server.address, ca=server.client_context(), timeout=LIMITS, retry=FAST_RETRY
        ) as client,
    ):
        started = time.perf_counter()
        error = await failure_of(lambda d: d.device.get_status(), client)
        assert time.perf_counter() - started < LIMITS.read + 2.0  # type: ignore[operator]
    assert isinstance(error, DeviceUnreachableError | MalformedResponseError), repr(error)
    assert not isinstance(error, TLSVerificationError)
