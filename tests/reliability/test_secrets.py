"""Secrets never show: not in logs (DEBUG included), reprs, exception messages or CLI output.

Known secrets (a Wi-Fi PSK, a client private key and its password, a proxy password) go
through every call that takes them, against the mock with every logger at DEBUG: calls that
work, calls refused by validation, calls the device refuses, and calls whose connection is
lost. Everything a person could see afterwards is searched for them.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import AsyncIterator, Awaitable, Iterable
from pathlib import Path
from typing import Any, Final

import httpx
import pytest
import trustme
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization

from azsphere_async import (
    AzsphereError,
    DeviceClient,
    InvalidArgumentError,
    RetryPolicy,
    converter,
)
from azsphere_async.cli.app import cli
from azsphere_async.cli.formatting import to_jsonable
from azsphere_async.mock import FaultKind, MockDevice
from azsphere_async.models import (
    CertificateType,
    CertificateUpload,
    ProxyAuthentication,
    ProxyConfiguration,
    WifiNetworkRequest,
    WifiSecurityState,
)
from tests.threaded_fleet import ThreadedFleet

# No two of them share ten characters, so a leak is always pinned on the right one.
PSK: Final = "Sup3r-S3cret-PSK-q7Z"
OTHER_PSK: Final = "An0ther-Wifi-K3y-w4X"
KEY_PASSWORD: Final = "Unl0ck-J8m-x"
PROXY_PASSWORD: Final = "Gat3way-T2v-y"
RETRY_ONCE = RetryPolicy(attempts=2, backoff=0.01)

_CA = trustme.CA()
_LEAF = _CA.issue_cert("client.example")
CLIENT_CERT: Final = _LEAF.cert_chain_pems[0].bytes().decode()
#: The client key, encrypted with KEY_PASSWORD (what the device wants with a password).
CLIENT_KEY: Final = (
    serialization.load_pem_private_key(_LEAF.private_key_pem.bytes(), password=None)
    .private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(KEY_PASSWORD.encode()),
    )
    .decode()
)


def _key_material() -> list[str]:
    lines = [line for line in CLIENT_KEY.splitlines() if line and not line.startswith("-----")]
    plain = _LEAF.private_key_pem.bytes().decode().splitlines()
    return lines + [line for line in plain if line and not line.startswith("-----")]


#: Every secret, and the pieces of the key that would show a partial leak.
SECRETS: Final = [PSK, OTHER_PSK, KEY_PASSWORD, PROXY_PASSWORD, *_key_material()]


def leaks(text: str) -> list[str]:
    """The secrets (or 10-character slices of the short ones) that appear in ``text``."""
    found = []
    for secret in SECRETS:
        pieces = {secret} | (
            {secret[i : i + 10] for i in range(len(secret) - 9)} if len(secret) < 40 else set()
        )
        if any(piece in text for piece in pieces):
            found.append(secret[:6] + "...")
    return found


def exception_texts(exc: BaseException) -> Iterable[str]:
    """Everything an exception shows: str, repr, args, attributes, and its formatted chain.

    The chain is followed as tracebacks show it: a context suppressed with ``from None``
    is not shown by Python, pytest, logging or error trackers, so it is not followed.
    """
    yield "".join(traceback.format_exception(exc))
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield str(current)
        yield repr(current)
        yield repr(current.args)
        yield repr(vars(current))
        shown_context = None if current.__suppress_context__ else current.__context__
        current = current.__cause__ or shown_context


class Witness:
    """Collects what a person could see: raised exceptions, returned values, their reprs."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.refused: list[BaseException] = []

    async def run(self, call: Awaitable[Any]) -> Any:
        try:
            value = await call
        except AzsphereError as exc:
            self.refused.append(exc)
            self.texts.extend(exception_texts(exc))
            return None
        self.texts.append(repr(value))
        self.texts.append(str(value))
        return value

    def check(self, caplog: pytest.LogCaptureFixture) -> None:
        texts = list(self.texts)
        texts.append(caplog.text)
        for record in caplog.records:
            texts.append(record.getMessage())
            texts.append(repr(record.args))
            texts.append(repr(record.__dict__))
            if record.exc_info and record.exc_info[1] is not None:
                texts.extend(exception_texts(record.exc_info[1]))
        found = {piece for text in texts for piece in leaks(text)}
        assert not found, f"secrets shown: {sorted(found)}"


@pytest.fixture
async def board(
    caplog: pytest.LogCaptureFixture,
) -> AsyncIterator[tuple[MockDevice, DeviceClient]]:
    caplog.set_level(logging.DEBUG)  # every logger, the library's, httpx's and the mock's
    async with (
        MockDevice() as mock,
        DeviceClient(mock.address, ca=mock.ssl_context(), retry=RETRY_ONCE) as client,
    ):
        yield mock, client


async def test_wifi_psks_never_show(
    board: tuple[MockDevice, DeviceClient], caplog: pytest.LogCaptureFixture
) -> None:
    mock, client = board
    see = Witness()
    wifi = client.wifi
    added = await see.run(
        wifi.add_network(
            ssid="ExampleNetworkName", security_state="psk", psk=PSK, config_name="line"
        )
    )
    assert added is not None
    assert mock.state.wifi.networks[added.id].psk == PSK  # the key did reach the device
    # The device refuses: the same network under a configuration name already taken.
    await see.run(
        wifi.add_network(
            ssid="ExampleNetworkName", security_state="psk", psk=PSK, config_name="line"
        )
    )
    # Validation refuses, before any traffic.
    for bad in (
        wifi.add_network(ssid="Other", security_state="psk", psk=PSK * 4),
        wifi.add_network(ssid="Other", security_state="psk", psk=PSK[:7]),
        wifi.add_network(ssid="Other", security_state="open", psk=PSK),
        wifi.add_network(ssid="Other", security_state="eaptls", psk=PSK),
        wifi.add_network(ssid="", security_state="psk", psk=PSK),
        wifi.add_network(ssid="Other", security_state="nonsense", psk=PSK),
        wifi.change_network(added.id, psk=PSK * 4),
        wifi.change_network(-1, psk=PSK),
        wifi.change_network(added.id, psk=PSK, config_state="sideways"),
    ):
        await see.run(bad)
    # The device refuses a key for a network that has none, and an unknown network.
    opened = await see.run(wifi.add_network(ssid="CoffeeShop", security_state="open"))
    await see.run(wifi.change_network(opened.id, psk=OTHER_PSK))
    await see.run(wifi.change_network(999, psk=OTHER_PSK))
    # The connection is lost while the key is on its way, or the answer is garbage.
    mock.faults.drop_next(method="POST", path="/wifi/config/networks")
    await see.run(wifi.add_network(ssid="Lost", security_state="psk", psk=PSK))
    mock.faults.inject(FaultKind.TRUNCATED_BODY, method="PATCH")
    await see.run(wifi.change_network(added.id, psk=OTHER_PSK))
    mock.faults.inject(FaultKind.MALFORMED_JSON, method="PATCH")
    await see.run(wifi.change_network(added.id, psk=OTHER_PSK))
    changed = await see.run(wifi.change_network(added.id, psk=OTHER_PSK))
    assert changed is not None
    assert mock.state.wifi.networks[added.id].psk == OTHER_PSK
    see.texts.append(repr(await wifi.get_networks()))
    assert len(see.refused) == 15
    see.check(caplog)


async def test_private_keys_and_their_passwords_never_show(
    board: tuple[MockDevice, DeviceClient], caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    mock, client = board
    see = Witness()
    certs = client.certificates
    key_file = tmp_path / "client.key"
    key_file.write_text(CLIENT_KEY)

    async def add(cert_id: str, **options: Any) -> None:
        options.setdefault("cert_type", "client")
        options.setdefault("public_cert", CLIENT_CERT)
        options.setdefault("private_key", CLIENT_KEY)
        options.setdefault("password", KEY_PASSWORD)
        await see.run(certs.add(cert_id, **options))

    await add("client1")
    await add("client2", private_key=key_file)
    assert set(mock.state.certificates) == {"client1", "client2"}
    # The device refuses: a wrong password, a key that does not match the certificate.
    await add("wrongpass", password=KEY_PASSWORD[::-1])
    await add("mismatch", public_cert=_CA.cert_pem.bytes().decode())
    # Validation refuses, before any traffic.
    await add("rootca1", cert_type="rootca", private_key=None)  # a password for a root CA
    await add("rootca2", cert_type="rootca", password=None)  # a key for a root CA
    await add("toolong", private_key=CLIENT_KEY * (8192 // len(CLIENT_KEY) + 1))
    await add("notpem", private_key=KEY_PASSWORD)  # a secret that is neither PEM nor a file
    await add("bad id with spaces")
    await add("longpass", password=KEY_PASSWORD * 20)
    await add("cut", private_key=CLIENT_KEY[: len(CLIENT_KEY) // 2])
    await add("nokey", private_key=tmp_path / "missing.key")
    # The connection is lost while the key is on its way.
    mock.faults.drop_next(method="POST")
    await add("dropped")
    mock.faults.inject(FaultKind.TRUNCATED_BODY, method="POST")
    await add("cutoff")
    assert len(see.refused) == 12
    see.check(caplog)


async def test_proxy_passwords_never_show(
    board: tuple[MockDevice, DeviceClient], caplog: pytest.LogCaptureFixture
) -> None:
    mock, client = board
    see = Witness()
    net = client.network

    async def configure(**options: Any) -> Any:
        options.setdefault("address", "proxy.example")
        options.setdefault("port", 3128)
        options.setdefault("authentication_type", "basic")
        options.setdefault("username", "line-operator")
        options.setdefault("password", PROXY_PASSWORD)
        return await see.run(net.configure_proxy(**options))

    proxy = await configure()
    assert proxy is not None
    assert mock.state.network.proxy is not None
    assert mock.state.network.proxy["password"] == PROXY_PASSWORD
    # The device refuses port 0 (the API description allows it, so validation lets it by).
    await configure(port=0)
    # Validation refuses, before any traffic.
    await configure(password=PROXY_PASSWORD * 5)  # 65 characters
    await configure(password="")
    await configure(authentication_type="anonymous", username=None)
    await configure(authentication_type="digest")
    await configure(username=None)
    await configure(port=70000)
    await configure(no_proxy_addresses="one-string")
    # Lost connections and garbled answers.
    mock.faults.drop_next(method="POST", path="/net/proxy")
    await configure()
    mock.faults.inject(FaultKind.MALFORMED_JSON, method="POST", path="/net/proxy")
    await configure()
    see.texts.append(repr(await net.get_proxy()))
    assert len(see.refused) == 10
    see.check(caplog)


async def test_the_proxy_answer_echoes_the_password_and_it_is_dropped(
    board: tuple[MockDevice, DeviceClient], caplog: pytest.LogCaptureFixture
) -> None:
    """A board answers POST /net/proxy with the configuration it was given, the password
    included (mock fact N1); the library's model of that answer has no place for it."""
    mock, client = board
    see = Witness()
    net = client.network
    body = {
        "address": "proxy.example",
        "port": 3128,
        "enabled": True,
        "authenticationType": "basic",
        "username": "line-operator",
        "password": PROXY_PASSWORD,
        "noProxyAddresses": [],
    }
    async with httpx.AsyncClient(base_url=mock.url, verify=mock.ssl_context()) as raw:
        echoed = await raw.post("/net/proxy", json=body)
    assert PROXY_PASSWORD in echoed.text  # what the board says, before the library reads it

    async def configure() -> Any:
        return await see.run(
            net.configure_proxy(
                address="proxy.example",
                port=3128,
                authentication_type="basic",
                username="line-operator",
                password=PROXY_PASSWORD,
            )
        )

    proxy = await configure()
    assert proxy is not None
    assert proxy.username == "line-operator"
    assert not hasattr(proxy, "password")
    see.texts.append(json.dumps(converter.unstructure(proxy)))
    see.texts.append(json.dumps(to_jsonable(proxy)))
    # The echo arrives broken: cut short, mislabelled, garbled, or half a body then gone.
    for kind in (
        FaultKind.TRUNCATED_JSON,
        FaultKind.WRONG_CONTENT_TYPE,
        FaultKind.MALFORMED_JSON,
        FaultKind.TRUNCATED_BODY,
    ):
        mock.faults.inject(kind, method="POST", path="/net/proxy")
        await configure()
    assert len(see.refused) == 4
    see.check(caplog)


def test_request_models_and_their_reprs_hide_secrets() -> None:
    see = Witness()
    for model in (
        WifiNetworkRequest(ssid="x", security_state=WifiSecurityState.PSK, psk=PSK),
        CertificateUpload(
            cert_type=CertificateType.CLIENT,
            public_cert=CLIENT_CERT,
            private_key=CLIENT_KEY,
            password=KEY_PASSWORD,
        ),
        ProxyConfiguration(
            address="proxy.example",
            port=3128,
            enabled=True,
            authentication_type=ProxyAuthentication.BASIC,
            no_proxy_addresses=(),
            username="line-operator",
            password=PROXY_PASSWORD,
        ),
    ):
        see.texts += [repr(model), str(model)]
    see.texts.append(repr(InvalidArgumentError("psk", "<secret of 19 characters>", "8 to 63")))
    assert not {piece for text in see.texts for piece in leaks(text)}


# -- the command line ----------------------------------------------------------------------


@pytest.fixture
def fleet() -> Iterable[ThreadedFleet]:
    with ThreadedFleet(2) as fleet:
        yield fleet


def _invoke(fleet: ThreadedFleet, ca: Path, *args: str, env: dict[str, str]) -> Any:
    selection: list[str] = []
    for address in fleet.mock.addresses:
        selection += ["--device", address]
    return CliRunner().invoke(
        cli, [*selection, "--ca", str(ca), *args], env=env, catch_exceptions=False
    )


def _command_line_runs() -> list[tuple[list[str], dict[str, str], int]]:
    """Commands that carry a PSK, and their exit status: working, updating in place, refused
    before any board (on the command line, too long, too short); the test adds one the
    board refuses."""
    key = {"AZSPHERE_WIFI_PSK": PSK}
    named = ["--debug", "--json", "wifi", "add", "Dup", "--config-name", "dup"]
    return [
        (["--debug", "wifi", "add", "ExampleNetworkName"], key, 0),
        (["--debug", "--json", "wifi", "add", "Other"], key, 0),
        (["--debug", "wifi", "add", "Other"], {"AZSPHERE_WIFI_PSK": OTHER_PSK}, 0),  # updated
        (["--debug", "wifi", "add", "Other", "--psk", PSK], {}, 2),  # never an argument
        (["--debug", "wifi", "add", "Long"], {"AZSPHERE_WIFI_PSK": PSK * 4}, 2),
        (["--debug", "--json", "wifi", "add", "Short"], {"AZSPHERE_WIFI_PSK": PSK[:7]}, 2),
        (["--debug", "wifi", "add", "CoffeeShop", "--security", "open"], key, 0),
        (named, key, 0),
        (named, key, 0),  # again: updated in place, not a second copy
        (["--debug", "--json", "wifi", "list"], {}, 0),
        (["--debug", "wifi", "list"], {}, 0),
    ]


def test_the_command_line_never_prints_a_psk(
    fleet: ThreadedFleet, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ca = fleet.mock.write_ca(tmp_path / "ca.pem")
    outputs: list[str] = []
    for args, env, expected in _command_line_runs():
        result = _invoke(fleet, ca, *args, env=env)
        assert result.exit_code == expected, (args, result.output)
        outputs += [result.stdout, result.stderr]
    fleet.mock[0].faults.fail_next(status=400, method="POST", path="/wifi/config/networks")
    refused = _invoke(
        fleet, ca, "--debug", "wifi", "add", "Refused", env={"AZSPHERE_WIFI_PSK": PSK}
    )
    assert refused.exit_code == 1, refused.output
    outputs += [refused.stdout, refused.stderr]
    assert {n.psk for n in fleet.mock[0].state.wifi.networks.values()} >= {PSK, OTHER_PSK}
    assert not {piece for text in outputs for piece in leaks(text)}
    assert not leaks(caplog.text)


def test_the_command_line_never_prints_a_key_or_its_password(
    fleet: ThreadedFleet, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ca = fleet.mock.write_ca(tmp_path / "ca.pem")
    cert_file, key_file = tmp_path / "client.pem", tmp_path / "client.key"
    cert_file.write_text(CLIENT_CERT)
    key_file.write_text(CLIENT_KEY)
    runs = [
        (["client1"], {"AZSPHERE_CERT_PASSWORD": KEY_PASSWORD}, 0),
        (["client2"], {"AZSPHERE_CERT_PASSWORD": KEY_PASSWORD[::-1]}, 1),  # the board refuses
        (["client3"], {"AZSPHERE_CERT_PASSWORD": KEY_PASSWORD * 20}, None),  # validation
        (["bad id"], {"AZSPHERE_CERT_PASSWORD": KEY_PASSWORD}, None),
    ]
    outputs: list[str] = []
    for extra, env, expected in runs:
        for json_flag in ([], ["--json"]):
            result = _invoke(
                fleet,
                ca,
                "--debug",
                *json_flag,
                "cert",
                "add",
                *extra,
                "--type",
                "client",
                "--cert",
                str(cert_file),
                "--key",
                str(key_file),
                env=env,
            )
            outputs += [result.stdout, result.stderr]
            if expected is not None and not json_flag:
                assert result.exit_code == expected, result.output
            elif expected is None:
                assert result.exit_code != 0
    assert "client1" in fleet.mock[0].state.certificates
    assert not {piece for text in outputs for piece in leaks(text)}
    assert not leaks(caplog.text)
