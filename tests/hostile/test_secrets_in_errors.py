"""A board that echoes a request never gets its secret into an error or a log.

Every call that sends a secret (a Wi-Fi PSK, a private key and its password, a proxy
password) meets a board on loopback that gives the request's body back in every way it can:
as the answer, inside each of the answer's fields, as text, as the content type, the version
header, the status line, a header line or the whole answer. Whatever the call then raises or
returns, and whatever is logged at DEBUG, must not show the secret (the chain of causes
included, as tracebacks show it).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final

import attrs
import pytest

from azsphere_async import DeviceClient, DeviceError
from azsphere_async.models import (
    CertificateType,
    CertificateUpload,
    ProxyAuthentication,
    ProxyConfiguration,
    WifiNetworkChangeRequest,
    WifiNetworkRequest,
    WifiSecurityState,
)
from azsphere_async.resources._decoding import carries_secret
from tests.hostile.hostile_helpers import HostileBoard, Request, echo_variants, status_probe_or
from tests.reliability.test_secrets import (
    CLIENT_CERT,
    CLIENT_KEY,
    KEY_PASSWORD,
    OTHER_PSK,
    PROXY_PASSWORD,
    PSK,
    SECRETS,
    exception_texts,
)

Call = Callable[[DeviceClient], Awaitable[Any]]

#: Every call that sends a secret.
SECRET_CALLS: Final[dict[str, Call]] = {
    "wifi.add_network": lambda c: c.wifi.add_network(ssid="line", security_state="psk", psk=PSK),
    "wifi.change_network": lambda c: c.wifi.change_network(0, psk=OTHER_PSK),
    "certificates.add": lambda c: c.certificates.add(
        "client",
        cert_type="client",
        public_cert=CLIENT_CERT,
        private_key=CLIENT_KEY,
        password=KEY_PASSWORD,
    ),
    "network.configure_proxy": lambda c: c.network.configure_proxy(
        address="proxy.line",
        port=3128,
        authentication_type="basic",
        username="line",
        password=PROXY_PASSWORD,
    ),
}


#: The shape of each call's request body, for the names of the ways to echo it.
BODY_SHAPES: Final[dict[str, bytes]] = {
    "wifi.add_network": b'{"ssid": "x", "securityState": "psk", "psk": "x"}',
    "wifi.change_network": b'{"psk": "x"}',
    "certificates.add": (
        b'{"certType": "x", "publicCert": "x", "privateKey": "x", "password": "x"}'
    ),
    "network.configure_proxy": (
        b'{"address": "x", "port": 1, "enabled": true, "authenticationType": "basic", '
        b'"noProxyAddresses": [], "username": "x", "password": "x"}'
    ),
}
CASES: Final = [(call, way) for call, shape in BODY_SHAPES.items() for way in echo_variants(shape)]


@pytest.mark.parametrize(("call_name", "way"), CASES)
async def test_an_echoed_secret_never_shows(
    call_name: str, way: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    echoed: list[Request] = []

    def echo(request: Request) -> bytes:
        echoed.append(request)
        return echo_variants(request.body)[way]

    texts: list[str] = []
    async with HostileBoard(status_probe_or(echo)) as board, board.client() as client:
        await client.device.get_rest_api_version()
        try:
            await SECRET_CALLS[call_name](client)
        except DeviceError as exc:
            texts.extend(exception_texts(exc))
    assert len(echoed) == 1
    # What the board sent back is the board's to say (a value returned may hold it); what
    # is said about it, in errors and in any logger's records, must not.
    for record in caplog.records:
        texts.extend([record.getMessage(), repr(record.args)])
        if record.exc_info and record.exc_info[1] is not None:
            texts.extend(exception_texts(record.exc_info[1]))
    # Case-blind: a media type, for one, is shown lower-cased.
    shown = {piece for text in texts for piece in leaks(text.lower(), folded=True)}
    assert not shown, f"secrets shown: {sorted(shown)}"


def leaks(text: str, *, folded: bool = False) -> list[str]:
    """The secrets (or 10-character slices of them) in ``text``, ignoring case if ``folded``."""
    found = []
    for secret in SECRETS:
        known = secret.lower() if folded else secret
        pieces = {known[i : i + 10] for i in range(max(1, len(known) - 9))}
        if any(piece in text for piece in pieces):
            found.append(secret[:6] + "...")
    return found


def test_carries_secret_finds_every_secret_field_that_is_set() -> None:
    psk = WifiNetworkRequest(ssid="x", security_state=WifiSecurityState.PSK, psk=PSK)
    assert carries_secret(psk)
    assert not carries_secret(attrs.evolve(psk, security_state=WifiSecurityState.OPEN, psk=None))
    assert carries_secret(WifiNetworkChangeRequest(psk=PSK))
    root = CertificateUpload(cert_type=CertificateType.ROOT_CA, public_cert="x")
    assert not carries_secret(root)
    assert carries_secret(attrs.evolve(root, cert_type=CertificateType.CLIENT, password="y"))
    proxy = ProxyConfiguration(
        address="p",
        port=1,
        enabled=True,
        authentication_type=ProxyAuthentication.BASIC,
        no_proxy_addresses=(),
    )
    assert not carries_secret(proxy)
    assert carries_secret(attrs.evolve(proxy, password=PROXY_PASSWORD))
