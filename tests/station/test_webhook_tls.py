"""A webhook over TLS: verified with the CA file given, else with the system's CAs (which do
not know a line's own CA: the events wait, and the reason is said)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from azsphere_async import InvalidArgumentError
from azsphere_async.records import RecordStore
from azsphere_async.station.webhook import WebhookPublisher, WebhookSettings
from tests.station.station_helpers import wait_for
from tests.station.webhook_helpers import WebhookEndpoint, numbered, publishing

LINE_CA = trustme.CA()  # the line's own CA, which no system trusts


@pytest.fixture
def tls_endpoint() -> Iterator[WebhookEndpoint]:
    """A webhook endpoint over TLS, its certificate (for 127.0.0.1) from the line's CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    LINE_CA.issue_cert("127.0.0.1").configure_cert(context)
    served = WebhookEndpoint(tls=context)
    yield served
    served.stop()


async def test_an_https_webhook_is_verified_with_the_ca_file_given(
    tls_endpoint: WebhookEndpoint, tmp_path: Path
) -> None:
    ca_file = tmp_path / "line-ca.pem"
    LINE_CA.cert_pem.write_to_path(str(ca_file))
    settings = WebhookSettings(
        tls_endpoint.url, ca_file=str(ca_file), retry_min=0.01, retry_max=0.1
    )
    async with RecordStore(tmp_path / "records.db") as store:
        await store.add_events(numbered(0, 2))
        async with publishing(store, settings) as publisher:
            await wait_for(lambda: publisher.sent == 2, "both taken over TLS")
    assert [event["n"] for event in tls_endpoint.taken()] == [0, 1]


async def test_without_a_ca_file_the_systems_cas_refuse_the_lines_own_and_events_wait(
    tls_endpoint: WebhookEndpoint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    settings = WebhookSettings(tls_endpoint.url, retry_min=0.01, retry_max=0.1)
    async with RecordStore(tmp_path / "records.db") as store:
        await store.add_events(numbered(0, 1))
        async with publishing(store, settings) as publisher:
            await wait_for(lambda: "CERTIFICATE_VERIFY_FAILED" in publisher.problem, "refused")
            assert not publisher.held  # a TLS failure is retried, never taken for a refusal
        assert await store.backlog(settings.target) == 1
    assert tls_endpoint.received() == []


def test_a_ca_file_that_is_no_ca_is_refused_before_any_traffic(tmp_path: Path) -> None:
    not_a_ca = tmp_path / "notes.txt"
    not_a_ca.write_text("no certificate here\n")
    settings = WebhookSettings("https://127.0.0.1:9/events", ca_file=str(not_a_ca))
    with pytest.raises(InvalidArgumentError, match="a readable PEM file of CA certificates"):
        WebhookPublisher(RecordStore(tmp_path / "records.db"), settings)
