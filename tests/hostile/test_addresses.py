"""Hostile addresses and IDs: every one is refused before any traffic, and what is accepted is
dialed exactly at the host and port it names.

No part of an address may become the URL's userinfo, path, query or fragment, whoever wrote
it: a caller, the command line, a devices file or the Device Communication Service. One board
written two ways (the default port given or not, IPv4-mapped IPv6, upper-case names) is one
board, to the fleet's duplicate check and to the pool.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from azsphere_async import ClientOptions, DeviceClient, Fleet, InvalidArgumentError, SessionPool
from azsphere_async.cli.selection import SelectionError, parse_device_list, read_devices_file
from azsphere_async.discovery import DEFAULT_DCS_URL
from azsphere_async.validation import check_address
from tests.reliability.reliability_helpers import LIMITS, ScriptedServer, http_answer, read_request
from tests.shared_data import BLINK_ID

#: Addresses that once passed the check (or reached httpx) and dialed somewhere else, or that
#: a URL parser reads differently from what the address seems to say.
HOSTILE_ADDRESSES: Final = [
    "[::1%@127.0.0.5:8443#]",  # a zone ID that turns the rest into userinfo and a host
    "::1%@127.0.0.5:8443#",
    "fe80::1%eth0",
    "[fe80::1%25eth0]:443",
    "user@127.0.0.1",
    "127.0.0.1@127.0.0.5",
    "127.0.0.1:443@127.0.0.5",
    "127.0.0.1/evil",
    "127.0.0.1?x=1",
    "127.0.0.1#frag",
    "127.0.0.1\\@127.0.0.5",
    "127.0.0.1\n",
    "127.0.0.1\r\nHost: evil",
    " 127.0.0.1",
    "127.0.0.1:8443\n",
    "0177.0.0.1",  # octal to some parsers, decimal to others
    "0x7f.0.0.1",
    "2130706433",
    "127.1",
    "\uff11\uff12\uff17.0.0.1",  # full-width digits, which IDNA folds to ASCII
    "127\u30020.0.1",  # an ideographic full stop, which IDNA folds to '.'
    "127.0.0.1:٣٣",
    "127.0.0.1:²",
    "127.0.0.1:0",
    "127.0.0.1:65536",
    "127.0.0.1:+80",
    "[127.0.0.1]",
    "[::1",
    "[::1]]",
    "[[::1]]",
    "[::1]x",
    "[::1]:",
    "https://127.0.0.1",
    "0.0.0.0",
    "[::]",
    "::ffff:0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "board..local",
    "-board.local",
    "board.local.",
    "",
]


@pytest.mark.parametrize("address", HOSTILE_ADDRESSES)
def test_hostile_addresses_are_refused_before_any_traffic(address: str) -> None:
    with respx.mock(assert_all_called=False) as router:
        route = router.route()
        with pytest.raises(InvalidArgumentError) as refused:
            DeviceClient(address)
        with pytest.raises(InvalidArgumentError):
            Fleet(["127.0.0.1", address])
        with pytest.raises(InvalidArgumentError):
            SessionPool().session(address)
    assert not route.called
    assert refused.value.argument == "address"


# Characters that mean something to a URL parser, mixed with those an address may hold.
_URL_CHARACTERS = "0123456789abcdefABCDEF.:-[]%@#?/\\ \n\t+_~!$&'()*,;="
_URL_SOUP = st.text(alphabet=st.sampled_from(list(_URL_CHARACTERS)) | st.characters(), max_size=40)
_IPS = st.one_of(st.ip_addresses().map(str), st.ip_addresses(v=6).map(lambda h: f"[{h}]"))


#: One set of options for every client below (each would otherwise build its TLS context).
_OPTIONS: Final = ClientOptions()


@settings(max_examples=300, deadline=None, database=None)
@given(st.one_of(_URL_SOUP, _IPS))
def test_an_accepted_address_names_exactly_the_host_and_port_dialed(address: str) -> None:
    try:
        checked = check_address(address)
    except InvalidArgumentError:
        return
    client = DeviceClient(address, options=_OPTIONS)
    # What the transport dials is the request URL's host and port, so that is what must match.
    url = client.session.url("/status")
    assert url.scheme == "https"
    assert url.userinfo == b""
    assert url.path == "/status"
    assert url.query == b""
    assert url.fragment == ""
    assert url.host == checked.host
    assert (url.port or 443) == (checked.port or 443)
    assert not set(address) & set("%@#?/\\ \n\t")


@pytest.mark.parametrize(
    ("spellings", "one"),
    [
        (["127.0.0.1", "127.0.0.1:443"], "127.0.0.1"),
        (["[::ffff:127.0.0.1]:8443", "127.0.0.1:8443", "[::ffff:7f00:1]:8443"], "127.0.0.1:8443"),
        (["::ffff:127.0.0.2", "127.0.0.2"], "127.0.0.2"),
        (["Board.Local", "board.local:443"], "board.local"),
        (["[::1]", "::1", "[0:0::1]:443", "[::0001]"], "[::1]"),
        (["[FE80::1]:8443", "[fe80:0:0::1]:8443"], "[fe80::1]:8443"),
    ],
)
async def test_one_board_under_two_spellings_is_one_board(spellings: list[str], one: str) -> None:
    assert {str(check_address(s)) for s in spellings} == {one}
    with pytest.raises(InvalidArgumentError, match="each board listed once") as refused:
        Fleet(spellings)
    assert refused.value.argument == "addresses"
    async with SessionPool() as pool:
        sessions = {id(pool.session(s)) for s in spellings}
        assert len(sessions) == 1
        assert len(pool) == 1
        assert list(pool) == [spellings[0]]  # the spelling it was first asked for
        await pool.discard(spellings[-1])
        assert len(pool) == 0


async def _status_once(reader: Any, writer: Any, number: int) -> None:
    await read_request(reader)
    writer.write(http_answer(200, b'{"uptime": 1}'))
    await writer.drain()


async def test_an_ipv4_mapped_address_dials_the_ipv4_board_it_maps() -> None:
    async with ScriptedServer(_status_once) as server:
        mapped = f"[::ffff:{server.host}]:{server.port}"
        async with DeviceClient(mapped, ca=server.client_context(), timeout=LIMITS) as client:
            assert (await client.device.get_status()).uptime == 1
            assert client.address == mapped  # errors and results name it as given
    assert server.connections == 1


def test_devices_files_and_the_command_line_refuse_hostile_addresses(tmp_path: Path) -> None:
    exploit = "[::1%@127.0.0.5:8443#]"
    with pytest.raises(SelectionError, match="not a board address"):
        parse_device_list(f"127.0.0.1, {exploit}", what="--device")
    for content in (
        f"127.0.0.1\n{exploit}\n",
        json.dumps(["127.0.0.1", exploit]),
        json.dumps([{"IpAddress": exploit, "DeviceConnectionPath": "1"}]),
    ):
        path = tmp_path / "boards"
        path.write_text(content)
        with pytest.raises(SelectionError, match="not a board address"):
            read_devices_file(path)


@pytest.mark.parametrize("exploit", ["[::1%@127.0.0.5:8443#]", "127.0.0.1/x", "0177.0.0.1"])
async def test_a_fleet_of_what_the_dcs_lists_refuses_hostile_addresses(exploit: str) -> None:
    entries = [{"IpAddress": "127.0.0.2", "DeviceConnectionPath": "1"}]
    entries.append({"IpAddress": exploit, "DeviceConnectionPath": "2"})
    with respx.mock(base_url=DEFAULT_DCS_URL, assert_all_called=False) as router:
        router.get("/api/service/devices").respond(200, json=entries)
        boards = router.route(host__regex=r"^(?!localhost$)")
        with pytest.raises(InvalidArgumentError) as refused:
            await Fleet.attached()
    assert not boards.called
    assert refused.value.argument == "address"


#: IDs that end in a newline, carry a path or a query, or use digits other than ASCII.
HOSTILE_IDS: Final = [
    f"{BLINK_ID}\n",
    f"{BLINK_ID}/../status",
    f"{BLINK_ID}?x",
    BLINK_ID.replace("4", "٤"),
    "lineroot\n",
    "line/root",
    "line%2froot",
    "..",
    "wlan0\n",
    "wlan0/x",
    "%2e%2e",
]


def _id_calls(value: Any) -> list[Any]:
    return [
        lambda c: c.app.get_status(value),
        lambda c: c.app.get_quota(value),
        lambda c: c.app.set_status(value, "start"),
        lambda c: c.sideload.delete_image(value),
        lambda c: c.certificates.get(value),
        lambda c: c.certificates.remove(value),
        lambda c: c.network.get_interface(value),
        lambda c: c.network.set_interface(value, interface_up=True),
        lambda c: c.wifi.get_network(value),
        lambda c: c.wifi.remove_network(value),
        lambda c: c.network.get_failed_connection(value),
    ]


@pytest.mark.parametrize("value", HOSTILE_IDS)
async def test_hostile_ids_are_refused_before_any_traffic(value: str) -> None:
    with respx.mock(assert_all_called=False) as router:
        route = router.route().respond(200, json={})
        async with DeviceClient("127.0.0.1") as client:
            for call in _id_calls(value):
                with pytest.raises(InvalidArgumentError):
                    await call(client)
    assert not route.called
