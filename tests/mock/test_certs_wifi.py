"""Certificate store and Wi-Fi configuration, in-process (every answer checked by the spec)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from azsphere_async.mock import DeviceState, MockDeviceConfig, create_app

from .conftest import checking_client


def client_cert(material: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "certType": "client",
        "publicCert": material["client"],
        "privateKey": material["key"],
        **extra,
    }


async def test_certificate_lifecycle(
    http: httpx.AsyncClient, cert_material: dict[str, str]
) -> None:
    assert (await http.get("/certstore/certs")).json() == {"identifiers": []}
    space = int((await http.get("/certstore/space")).json()["AvailableSpace"])
    response = await http.post(
        "/certstore/certs/rootCA1", json={"certType": "rootca", "publicCert": cert_material["root"]}
    )
    assert (response.status_code, response.json()) == (200, {})
    response = await http.post("/certstore/certs/client.1", json=client_cert(cert_material))
    assert response.status_code == 200
    assert (await http.get("/certstore/certs")).json() == {"identifiers": ["rootCA1", "client.1"]}
    after = int((await http.get("/certstore/space")).json()["AvailableSpace"])
    assert after < space

    info = (await http.get("/certstore/certs/client.1")).json()
    assert info["id"] == "client.1"
    assert info["subjectName"].endswith("/CN=TestClient")
    assert "/O=Test Org" in info["issuerName"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", info["notBefore"])
    assert info["notBefore"] < info["notAfter"]

    assert (await http.delete("/certstore/certs/client.1")).status_code == 200
    assert (await http.get("/certstore/certs")).json() == {"identifiers": ["rootCA1"]}
    response = await http.get("/certstore/certs/client.1")
    assert (response.status_code, response.json()) == (404, {"error": 38797319})
    response = await http.delete("/certstore/certs/client.1")
    assert (response.status_code, response.json()) == (404, {"error": 38797319})


async def test_openapi_spelling_of_cert_types(
    http: httpx.AsyncClient, cert_material: dict[str, str]
) -> None:
    response = await http.post(
        "/certstore/certs/r", json={"certType": "RootCA", "publicCert": cert_material["root"]}
    )
    assert response.status_code == 200
    response = await http.post(
        "/certstore/certs/c", json=client_cert(cert_material, certType="Client")
    )
    assert response.status_code == 200


async def test_encrypted_key_needs_its_password(
    http: httpx.AsyncClient, cert_material: dict[str, str]
) -> None:
    body = client_cert(cert_material, privateKey=cert_material["encrypted_key"])
    assert (await http.post("/certstore/certs/enc", json=body)).json() == {"error": 38797327}
    body["password"] = "secret-pw"
    assert (await http.post("/certstore/certs/enc", json=body)).status_code == 200


@pytest.mark.parametrize(
    ("identifier", "body", "code"),
    [
        ("bad*id", None, 38797314),
        ("x" * 17, None, 38797316),
        ("ok", {"certType": "server"}, 38797324),
        ("ok", {"certType": "rootca", "publicCert": "hello"}, 38797315),
        (
            "ok",
            {
                "certType": "rootca",
                "publicCert": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            },
            38797325,
        ),
        ("ok", "ROOT+KEY", 38797329),
        ("ok", "ROOT+PASSWORD", 38797331),
        ("ok", "CLIENT-NO-KEY", 38797327),
        ("ok", "CLIENT+OTHER-KEY", 38797332),
        ("ok", "CLIENT+NEEDLESS-PASSWORD", 38797333),
        ("ok", {"certType": "rootca", "publicCert": "x" * 9000}, 38797326),
    ],
)
async def test_certificate_errors(
    http: httpx.AsyncClient, cert_material: dict[str, str], identifier: str, body: Any, code: int
) -> None:
    root = {"certType": "rootca", "publicCert": cert_material["root"]}
    bodies = {
        "ROOT+KEY": {**root, "privateKey": cert_material["key"]},
        "ROOT+PASSWORD": {**root, "password": "pw"},
        "CLIENT-NO-KEY": {"certType": "client", "publicCert": cert_material["client"]},
        "CLIENT+OTHER-KEY": client_cert(cert_material, privateKey=cert_material["other_key"]),
        "CLIENT+NEEDLESS-PASSWORD": client_cert(cert_material, password="pw"),
    }
    payload = bodies.get(body, body) if isinstance(body, str) else (body or root)
    response = await http.post(f"/certstore/certs/{identifier}", json=payload)
    assert (response.status_code, response.json()) == (400, {"error": code})


async def test_certificate_store_fills_up(cert_material: dict[str, str]) -> None:
    state = DeviceState(MockDeviceConfig(cert_store_capacity=3000))
    async with checking_client(create_app(state)) as http:
        root = {"certType": "rootca", "publicCert": cert_material["root"]}
        codes = []
        for number in range(10):
            response = await http.post(f"/certstore/certs/c{number}", json=root)
            codes.append(response.json().get("error"))
        assert codes[0] is None
        assert codes[-1] == 38797323
        space = (await http.get("/certstore/space")).json()["AvailableSpace"]
        assert isinstance(space, str)
        assert int(space) < 3000


async def test_wifi_networks(http: httpx.AsyncClient, state: DeviceState) -> None:
    assert (await http.get("/wifi/config/networks")).json() == {"values": []}
    response = await http.post(
        "/wifi/config/networks",
        json={
            "ssid": "ExampleNetworkName",
            "securityState": "psk",
            "psk": "ExamplePsk123",
            "configName": "home",
        },
    )
    assert response.status_code == 201
    created = response.json()
    assert created["id"] == 0
    assert created["ssid"] == "ExampleNetworkName"
    assert "psk" not in created
    response = await http.post(
        "/wifi/config/networks", json={"ssid": "CoffeeShop", "securityState": "open"}
    )
    assert response.json()["id"] == 1
    listed = (await http.get("/wifi/config/networks")).json()["values"]
    assert [n["id"] for n in listed] == [0, 1]
    assert listed[0]["connectionState"] == "connected"
    assert all("psk" not in n for n in listed)

    interface = (await http.get("/wifi/interface")).json()
    assert interface["ssid"] == "ExampleNetworkName"
    assert interface["connectionState"] == "connected"
    assert interface["powerSavingsState"] == "disabled"
    wlan = (await http.get("/net/interfaces/wlan0")).json()
    assert wlan["connectedToNetwork"] is True
    assert wlan["ipAddresses"] == [state.config.wlan_ip]

    changed = await http.patch("/wifi/config/networks/0", json={"configState": "disabled"})
    assert changed.status_code == 200
    assert changed.json()["configState"] == "disabled"
    assert "psk" not in changed.json()
    assert (await http.get("/wifi/config/networks/1")).json()["connectionState"] == "connected"

    assert (await http.delete("/wifi/config/networks/1")).status_code == 200
    response = await http.get("/wifi/config/networks/1")
    assert (response.status_code, response.json()) == (404, {"error": 13631491})
    response = await http.delete("/wifi/config/networks/1")
    assert response.status_code == 404
    assert (
        await http.post("/wifi/config/networks", json={"ssid": "x", "securityState": "open"})
    ).json()["id"] == 1


def test_reprs_of_the_state_hide_wifi_keys() -> None:
    state = DeviceState()
    state.wifi.add_network(
        {"ssid": "ExampleNetworkName", "securityState": "psk", "psk": "ExamplePsk123"}
    )
    assert state.wifi.networks[0].psk == "ExamplePsk123"
    shown = repr(state.wifi.networks) + repr(state.config) + repr(state.wifi.scan_results)
    assert "ExamplePsk123" not in shown


async def test_wifi_failures_are_logged(http: httpx.AsyncClient) -> None:
    await http.post("/wifi/config/networks", json={"ssid": "Nowhere", "securityState": "open"})
    await http.post(
        "/wifi/config/networks",
        json={"ssid": "ExampleNetworkName", "securityState": "psk", "psk": "wrong-key-1"},
    )
    logs = (await http.get("/wifi/diagnostics/networks")).json()["values"]
    assert [(log["networkId"], log["error"]) for log in logs] == [
        (0, "NetworkNotFound"),
        (1, "WrongKey"),
    ]
    assert re.fullmatch(r"2000-01-01t\d\d:\d\d:\d\d\+0000", logs[0]["timestamp"])
    one = (await http.get("/wifi/diagnostics/networks/1")).json()
    assert one["ssid"] == "ExampleNetworkName"
    assert (await http.get("/wifi/config/networks/1")).json()["configState"] == "temp-disabled"
    assert (await http.get("/wifi/diagnostics/networks/7")).status_code == 404
    response = await http.patch("/wifi/config/networks/1", json={"psk": "ExamplePsk123"})
    assert response.json()["connectionState"] == "connected"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"ssid": "s" * 33, "securityState": "open"}, 13631503),
        ({"ssid": "s", "securityState": "psk", "psk": "short"}, 13631513),
        ({"ssid": "s", "securityState": "psk", "psk": "k" * 64}, 13631504),
        ({"ssid": "s", "securityState": "open", "configName": "n" * 17}, 10485776),
        ({"ssid": "s", "securityState": "open", "configName": "taken"}, 13631511),
        (
            {
                "ssid": "s",
                "securityState": "eaptls",
                "clientCertStoreIdentifier": "c",
                "clientIdentity": "",
            },
            13631512,
        ),
        ({"ssid": "s", "securityState": "eaptls"}, 13631496),
        ({"ssid": "s", "securityState": "wep"}, 22),
        ({"securityState": "open"}, 22),
    ],
)
async def test_wifi_validation(http: httpx.AsyncClient, body: dict[str, Any], code: int) -> None:
    await http.post(
        "/wifi/config/networks", json={"ssid": "s", "securityState": "open", "configName": "taken"}
    )
    response = await http.post("/wifi/config/networks", json=body)
    assert (response.status_code, response.json()) == (400, {"error": code})


async def test_eaptls_network_joins_once_certificate_is_there(
    http: httpx.AsyncClient, cert_material: dict[str, str]
) -> None:
    response = await http.post(
        "/wifi/config/networks",
        json={
            "ssid": "I-WPA",
            "securityState": "eaptls",
            "clientCertStoreIdentifier": "wificlient",
            "clientIdentity": "user@example",
        },
    )
    assert response.status_code == 201
    assert response.json()["clientIdentity"] == "user@example"
    assert (await http.get("/wifi/interface")).json()["connectionState"] == "disconnected"
    await http.post("/certstore/certs/wificlient", json=client_cert(cert_material))
    assert (await http.get("/wifi/interface")).json()["key_mgmt"] == "WPA-EAP"


async def test_wifi_interface_and_scan(http: httpx.AsyncClient, state: DeviceState) -> None:
    scan = (await http.get("/wifi/scan")).json()["values"]
    assert {entry["ssid"] for entry in scan} == {e.ssid for e in state.config.scan_results}
    response = await http.patch(
        "/wifi/interface", json={"enablePowerSavings": True, "reloadConfig": True}
    )
    assert (response.status_code, response.json()) == (200, {})
    assert (await http.get("/wifi/interface")).json()["powerSavingsState"] == "enabled"
    assert (await http.patch("/wifi/interface", json={})).status_code == 400
    assert (
        await http.patch("/net/interfaces/wlan0", json={"interfaceUp": False})
    ).status_code == 200
    assert (await http.get("/wifi/interface")).json()["wpa_state"] == "INTERFACE_DISABLED"
    response = await http.get("/wifi/scan")
    assert (response.status_code, response.json()) == (500, {"error": 13631506})
