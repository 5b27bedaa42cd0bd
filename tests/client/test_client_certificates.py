"""Certificate store calls: add, list, show, space and remove."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import respx

from azsphere_async.client import DeviceClient
from azsphere_async.errors import InvalidArgumentError
from azsphere_async.models import CertificateType
from tests.client.client_helpers import body_of, load, only_request, reply

CERT = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2VydA==\n-----END CERTIFICATE-----\n"
KEY = "-----BEGIN EC PRIVATE KEY-----\nTOPSECRETKEYMATERIAL==\n-----END EC PRIVATE KEY-----\n"
KEY_PASSWORD = "correct horse battery"


async def test_add_root_ca_from_pem_text(router: respx.MockRouter, client: DeviceClient) -> None:
    router.post("/certstore/certs/RootCA.1").mock(return_value=reply(load("successful_operation")))
    await client.certificates.add("RootCA.1", cert_type="rootca", public_cert=CERT)
    request = only_request(router)
    assert request.method == "POST"
    assert body_of(request) == {"certType": "rootca", "publicCert": CERT}


async def test_add_client_certificate_from_files(
    router: respx.MockRouter, client: DeviceClient, tmp_path: Path
) -> None:
    cert_file = tmp_path / "client.pem"
    key_file = tmp_path / "client.key"
    cert_file.write_text(CERT)
    key_file.write_text(KEY)
    router.post("/certstore/certs/client_1").mock(return_value=reply(content=b""))
    await client.certificates.add(
        "client_1",
        cert_type=CertificateType.CLIENT,
        public_cert=cert_file,
        private_key=str(key_file),
        password=KEY_PASSWORD,
    )
    assert body_of(only_request(router)) == {
        "certType": "client",
        "publicCert": CERT,
        "privateKey": KEY,
        "password": KEY_PASSWORD,
    }


@pytest.mark.parametrize(("given", "sent"), [("Client", "client"), ("RootCA", "rootca")])
async def test_certificate_types_are_sent_lower_case(
    router: respx.MockRouter, client: DeviceClient, given: str, sent: str
) -> None:
    router.post("/certstore/certs/c").mock(return_value=reply({}))
    key = KEY if sent == "client" else None
    await client.certificates.add("c", cert_type=given, public_cert=CERT, private_key=key)
    body = body_of(only_request(router))
    assert body["certType"] == sent
    assert ("password" in body) is False


async def test_list(router: respx.MockRouter, client: DeviceClient) -> None:
    router.get("/certstore/certs").mock(return_value=reply(load("certificate_list")))
    assert await client.certificates.list() == ["TestCert1", "TestCert2"]
    assert only_request(router).method == "GET"


async def test_list_of_an_empty_store(router: respx.MockRouter, client: DeviceClient) -> None:
    router.get("/certstore/certs").mock(return_value=reply({"identifiers": []}))
    assert await client.certificates.list() == []


async def test_get(router: respx.MockRouter, client: DeviceClient) -> None:
    router.get("/certstore/certs/testCA").mock(return_value=reply(load("certificate_info")))
    info = await client.certificates.get("testCA")
    assert info.id == "testCA"
    assert info.not_before == datetime(2022, 4, 12, 8, 31, 54, tzinfo=UTC)
    assert info.subject_name == "/CN=<TempRootCertificate>"
    assert only_request(router).method == "GET"


async def test_get_space(router: respx.MockRouter, client: DeviceClient) -> None:
    router.get("/certstore/space").mock(return_value=reply(load("certificate_space")))
    space = await client.certificates.get_space()
    assert space.available_bytes == 24514


async def test_remove(router: respx.MockRouter, client: DeviceClient) -> None:
    router.delete("/certstore/certs/TestCert1").mock(return_value=reply({}))
    await client.certificates.remove("TestCert1")
    request = only_request(router)
    assert request.method == "DELETE"
    assert request.content == b""


@pytest.mark.parametrize("cert_id", ["", "x" * 17, "has space", "a/b", "ünicode", 7, None])
async def test_bad_certificate_ids_are_refused(
    router: respx.MockRouter, client: DeviceClient, cert_id: object
) -> None:
    for call in (
        client.certificates.get(cert_id),  # type: ignore[arg-type]
        client.certificates.remove(cert_id),  # type: ignore[arg-type]
        client.certificates.add(cert_id, cert_type="rootca", public_cert=CERT),  # type: ignore[arg-type]
    ):
        with pytest.raises(InvalidArgumentError) as caught:
            await call
        assert caught.value.argument == "cert_id"
        assert "1 to 16 characters" in str(caught.value)
    assert not router.calls


async def test_unknown_certificate_type_is_refused(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.certificates.add("c", cert_type="server", public_cert=CERT)
    assert "'server'" in str(caught.value)
    assert "'client', 'rootca'" in str(caught.value)
    assert not router.calls


async def test_client_certificate_needs_a_private_key(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.certificates.add("c", cert_type="client", public_cert=CERT)
    assert caught.value.argument == "private_key"
    assert not router.calls


async def test_root_ca_takes_no_private_key_or_password(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.certificates.add("c", cert_type="rootca", public_cert=CERT, private_key=KEY)
    assert caught.value.argument == "private_key"
    assert "TOPSECRET" not in str(caught.value)
    with pytest.raises(InvalidArgumentError) as caught:
        await client.certificates.add(
            "c", cert_type="rootca", public_cert=CERT, password="pw-secret"
        )
    assert caught.value.argument == "password"
    assert "pw-secret" not in str(caught.value)
    assert not router.calls


async def test_pem_text_that_is_too_long_is_refused(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    huge = CERT.replace("MIIB", "A" * 8200)
    with pytest.raises(InvalidArgumentError) as caught:
        await client.certificates.add("c", cert_type="rootca", public_cert=huge)
    assert caught.value.argument == "public_cert"
    assert "8192" in str(caught.value)
    huge_key = KEY.replace("TOPSECRET", "TOPSECRET" + "B" * 8200)
    with pytest.raises(InvalidArgumentError) as caught:
        await client.certificates.add(
            "c", cert_type="client", public_cert=CERT, private_key=huge_key
        )
    assert caught.value.argument == "private_key"
    assert "TOPSECRET" not in str(caught.value)
    assert not router.calls


async def test_a_missing_file_is_refused_naming_the_path(
    router: respx.MockRouter, client: DeviceClient, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere.pem"
    with pytest.raises(InvalidArgumentError) as caught:
        await client.certificates.add("c", cert_type="rootca", public_cert=missing)
    assert str(missing) in str(caught.value)
    assert not router.calls


@pytest.mark.parametrize(
    "key", ["MHcCAQEEIBareKeyBody", "MHcCAQEEIBareKeyBody" * 300, "BareKeyBody\x00with a NUL"]
)
async def test_a_private_key_that_is_neither_pem_nor_a_file_is_not_echoed(
    router: respx.MockRouter, client: DeviceClient, key: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.certificates.add("c", cert_type="client", public_cert=CERT, private_key=key)
    assert caught.value.argument == "private_key"
    assert "BareKeyBody" not in str(caught.value)
    # Nor is it reachable through an exception chained behind the error.
    assert caught.value.__context__ is None
    assert caught.value.__cause__ is None
    assert not router.calls


async def test_a_private_key_file_that_is_not_pem_is_named_but_not_shown(
    router: respx.MockRouter, client: DeviceClient, tmp_path: Path
) -> None:
    key_file = tmp_path / "device.key"
    key_file.write_text("MHcCAQEEIBareKeyBody\n")
    with pytest.raises(InvalidArgumentError) as caught:
        await client.certificates.add(
            "c", cert_type="client", public_cert=CERT, private_key=key_file
        )
    assert str(key_file) in str(caught.value)
    assert "BareKeyBody" not in str(caught.value)
    assert not router.calls


async def test_a_file_without_pem_is_refused(
    router: respx.MockRouter, client: DeviceClient, tmp_path: Path
) -> None:
    not_pem = tmp_path / "cert.der"
    not_pem.write_bytes(b"0\x82\x01\xb3")
    with pytest.raises(InvalidArgumentError) as caught:
        await client.certificates.add("c", cert_type="rootca", public_cert=not_pem)
    assert caught.value.argument == "public_cert"
    assert not router.calls


@pytest.mark.parametrize("password", ["", "p" * 257])
async def test_key_passwords_outside_the_limits_are_refused_without_showing_them(
    router: respx.MockRouter, client: DeviceClient, password: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.certificates.add(
            "c", cert_type="client", public_cert=CERT, private_key=KEY, password=password
        )
    assert caught.value.argument == "password"
    assert "256" in str(caught.value)
    if password:
        assert password not in str(caught.value)
    assert not router.calls
