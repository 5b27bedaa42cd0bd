"""Trust: the shipped device CA only, refusals as TLS errors, no plain HTTP, no redirects.

A board whose certificate comes from any other CA is refused with a
:class:`TLSVerificationError` before a single HTTP byte is exchanged, whatever the client's
entry point. Turning verification off takes ``insecure_skip_verify=True`` and nothing else,
and it says so loudly every time.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from pathlib import Path
from typing import Any

import pytest
import trustme
from cryptography import x509

from azsphere_async import (
    DeviceClient,
    DeviceHTTPError,
    Fleet,
    InvalidArgumentError,
    SessionPool,
    TLSVerificationError,
)
from azsphere_async.mock import MockDevice, MockFleet
from azsphere_async.tls import DEVICE_CA_PEM, default_ssl_context, make_ssl_context
from tests.reliability.reliability_helpers import (
    EAGER_RETRY,
    LIMITS,
    ScriptedServer,
    http_answer,
    read_request,
)

SHIPPED_CA = x509.load_pem_x509_certificate(DEVICE_CA_PEM.encode())


def _subjects(context: ssl.SSLContext) -> list[Any]:
    return [cert["subject"] for cert in context.get_ca_certs()]


def test_the_default_context_verifies_against_the_shipped_device_ca_alone() -> None:
    context = default_ssl_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    trusted = context.get_ca_certs(binary_form=True)
    assert len(trusted) == 1
    assert x509.load_der_x509_certificate(trusted[0]) == SHIPPED_CA
    assert "Azure Sphere" in SHIPPED_CA.subject.rfc4514_string()
    assert make_ssl_context() is context


def test_the_environment_adds_no_trust(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    other = tmp_path / "other.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    monkeypatch.setenv("SSL_CERT_FILE", str(other))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    default_ssl_context.cache_clear()
    try:
        assert len(default_ssl_context().get_ca_certs()) == 1
    finally:
        default_ssl_context.cache_clear()


def _different_ca_inputs(tmp_path: Path) -> list[Any]:
    other = trustme.CA()
    path = tmp_path / "other-ca.pem"
    other.cert_pem.write_to_path(str(path))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    other.configure_trust(context)
    return [None, other.cert_pem.bytes(), other.cert_pem.bytes().decode(), path, str(path), context]


CA_KINDS = ["default", "pem-bytes", "pem-text", "path", "path-string", "ssl-context"]


@pytest.mark.parametrize("which", range(len(CA_KINDS)), ids=CA_KINDS)
async def test_a_board_from_another_ca_is_refused_by_a_device_client(
    tmp_path: Path, which: int
) -> None:
    ca = _different_ca_inputs(tmp_path)[which]
    async with (
        MockDevice() as mock,
        DeviceClient(mock.address, ca=ca, timeout=LIMITS, retry=EAGER_RETRY) as client,
    ):
        with pytest.raises(TLSVerificationError) as caught:
            await client.device.get_status()
        with pytest.raises(TLSVerificationError):
            await client.wifi.set_interface_state(reload_config=True)
    error = caught.value
    assert error.address == mock.address
    assert "did not verify" in str(error)
    assert "not a device this client trusts" in str(error)
    # Refused in the handshake: no retry, no HTTP request, no fallback of any kind.
    assert mock.stats.connections_accepted == 2
    assert mock.stats.requests == 0


@pytest.mark.parametrize("which", range(len(CA_KINDS)), ids=CA_KINDS)
async def test_boards_from_another_ca_are_refused_by_pools_and_fleets(
    tmp_path: Path, which: int
) -> None:
    ca = _different_ca_inputs(tmp_path)[which]
    async with MockFleet(3) as mock:
        async with SessionPool(ca=ca, timeout=LIMITS, retry=EAGER_RETRY) as pool:
            with pytest.raises(TLSVerificationError):
                await pool.client(mock.addresses[0]).device.get_status()
        async with Fleet(mock.addresses, ca=ca, timeout=LIMITS, retry=EAGER_RETRY) as fleet:
            results = await fleet.run(lambda dev: dev.device.get_status())
    errors = [r.error for r in results]
    assert all(isinstance(e, TLSVerificationError) for e in errors)
    assert [e.address for e in errors if isinstance(e, TLSVerificationError)] == mock.addresses
    assert all(device.stats.requests == 0 for device in mock)


async def test_the_right_ca_is_trusted_in_every_form(tmp_path: Path) -> None:
    """The refusals above are about trust, not a broken set-up: the mock's own CA works."""
    async with MockDevice() as mock:
        path = mock.write_ca(tmp_path / "mock-ca.pem")
        for ca in (mock.ca_pem, mock.ca_pem.decode(), path, str(path), mock.ssl_context()):
            async with DeviceClient(mock.address, ca=ca, timeout=LIMITS) as client:
                assert (await client.device.get_status()).uptime is not None


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_redirects_are_never_followed_to_plain_http_or_anywhere(
    status: int, method: str
) -> None:
    async def target_script(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int
    ) -> None:
        await read_request(reader)
        writer.write(http_answer(200, b'{"uptime": 1}'))
        await writer.drain()

    async with (
        ScriptedServer(target_script, tls=False) as plain,
        ScriptedServer(target_script) as secure_elsewhere,
    ):
        locations = [f"http://{plain.address}/status", f"https://{secure_elsewhere.address}/status"]

        async def redirect(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter, number: int
        ) -> None:
            await read_request(reader)
            location = locations[number % 2]
            writer.write(http_answer(status, b"", reason="Moved", headers={"Location": location}))
            await writer.drain()

        async with ScriptedServer(redirect, ca=secure_elsewhere.ca) as server:
            for _ in locations:
                async with DeviceClient(
                    server.address, ca=server.client_context(), timeout=LIMITS, retry=EAGER_RETRY
                ) as client:
                    with pytest.raises(DeviceHTTPError) as caught:
                        await client.session.request(method, "/status")
                assert caught.value.status == status
                assert caught.value.address == server.address
    assert plain.connections == 0
    assert secure_elsewhere.connections == 0


async def test_addresses_with_a_scheme_never_reach_the_network() -> None:
    for address in ("http://127.0.0.1", "https://127.0.0.1", "http://127.0.0.1:80/status"):
        with pytest.raises(InvalidArgumentError, match="address"):
            DeviceClient(address)
        with pytest.raises(InvalidArgumentError, match="address"):
            Fleet([address])


# -- turning verification off ----------------------------------------------------------------


def _insecure_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.levelno >= logging.WARNING and "insecure_skip_verify=True" in record.getMessage()
    ]


async def test_insecure_skip_verify_warns_on_every_client_pool_and_fleet_creation(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    async with MockDevice() as mock:
        for attempt in range(1, 3):
            async with DeviceClient(
                mock.address, insecure_skip_verify=True, timeout=LIMITS
            ) as client:
                # The option does what it says: the untrusted mock answers.
                assert (await client.device.get_status()).uptime is not None
            assert len(_insecure_warnings(caplog)) == attempt
        caplog.clear()
        for attempt in range(1, 3):
            async with SessionPool(insecure_skip_verify=True, timeout=LIMITS) as pool:
                assert (await pool.client(mock.address).device.get_status()).uptime is not None
            assert len(_insecure_warnings(caplog)) == attempt
        caplog.clear()
        for attempt in range(1, 3):
            async with Fleet([mock.address], insecure_skip_verify=True, timeout=LIMITS) as fleet:
                assert all(r.ok for r in await fleet.run(lambda d: d.device.get_status()))
            assert len(_insecure_warnings(caplog)) == attempt
    assert all("OFF" in record.getMessage() for record in _insecure_warnings(caplog))


async def test_verification_stays_on_and_silent_without_the_option(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with MockDevice() as mock:
        for client in (
            DeviceClient(mock.address, timeout=LIMITS, insecure_skip_verify=False),
            SessionPool(timeout=LIMITS).client(mock.address),
            Fleet([mock.address], timeout=LIMITS).client(mock.address),
        ):
            with pytest.raises(TLSVerificationError):
                await client.device.get_status()
            await client.session.aclose()
    assert not _insecure_warnings(caplog)


@pytest.mark.parametrize("value", ["true", "false", "yes", 1, 0.5, [True]])
async def test_only_the_boolean_true_turns_verification_off(value: object) -> None:
    async with MockDevice() as mock:
        for make in (
            lambda: DeviceClient(mock.address, insecure_skip_verify=value),  # type: ignore[arg-type]
            lambda: SessionPool(insecure_skip_verify=value),  # type: ignore[arg-type]
            lambda: Fleet([mock.address], insecure_skip_verify=value),  # type: ignore[arg-type]
        ):
            with pytest.raises(InvalidArgumentError, match="insecure_skip_verify"):
                make()
    assert mock.stats.connections_accepted == 0


async def test_a_context_that_does_not_verify_needs_the_loud_option(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """``ca=`` cannot be a quiet way around ``insecure_skip_verify=True``."""
    unverified = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    unverified.check_hostname = False
    unverified.verify_mode = ssl.CERT_NONE
    async with MockDevice() as mock:
        with pytest.raises(InvalidArgumentError, match="insecure_skip_verify"):
            DeviceClient(mock.address, ca=unverified)
        with pytest.raises(InvalidArgumentError, match="insecure_skip_verify"):
            SessionPool(ca=unverified)
        with pytest.raises(InvalidArgumentError, match="insecure_skip_verify"):
            Fleet([mock.address], ca=unverified)
        assert mock.stats.connections_accepted == 0
        caplog.set_level(logging.WARNING)
        async with DeviceClient(
            mock.address, ca=unverified, insecure_skip_verify=True, timeout=LIMITS
        ) as client:
            assert (await client.device.get_status()).uptime is not None
    assert len(_insecure_warnings(caplog)) == 1
