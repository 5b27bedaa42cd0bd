"""``wifi list|add|remove|scan|status``: Wi-Fi networks on every board.

Pre-shared keys come from the ``AZSPHERE_WIFI_PSK`` variable or a hidden prompt, asked twice;
never from the command line, where they would stay in the shell's history. They are never
printed. ``wifi add`` is safe to repeat: a board that already has the SSID gets it updated in
place (a new key, the state asked for) instead of a second copy.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Final

import attrs
import click

from ...client import DeviceClient
from ...errors import InvalidArgumentError
from ...models import (
    WifiConfigState,
    WifiInterfaceState,
    WifiNetwork,
    WifiNetworkRequest,
    WifiScanResult,
)
from ...resources.wifi import wifi_network_request
from ...validation import check_cert_id, check_network_id, check_psk, check_ssid
from ...validation import check_wifi_config_name as check_config_name
from ..context import AppContext, pass_app
from ..failures import BoardStateError
from ..formatting import to_jsonable
from ..output import Column, styled
from ..reporting import BoardRows
from ..running import run_and_report
from ..shared_options import board_options, checked

__all__ = ["ENV_PSK", "wifi"]

#: The environment variable a pre-shared key may come from.
ENV_PSK: Final = "AZSPHERE_WIFI_PSK"

#: The command line's names of the library's arguments, for messages.
_OPTION_NAMES: Final = {
    "ssid": "'SSID'",
    "psk": f"the pre-shared key (${ENV_PSK} or the prompt)",
    "security_state": "'--security'",
    "config_name": "'--config-name'",
    "client_identity": "'--client-identity'",
    "client_cert_store_identifier": "'--client-cert-id'",
    "root_ca_cert_store_identifier": "'--root-ca-id'",
}

_NETWORKS = BoardRows[list[WifiNetwork]](
    columns=[
        Column("ID", "id", justify="right", no_wrap=True),
        Column("SSID", "ssid"),
        Column("Security", "security", no_wrap=True, priority=2),
        Column("Config", "config", no_wrap=True, priority=3),
        Column("Connection", "connection", no_wrap=True),
    ],
    rows=lambda networks: [
        {
            "id": str(n.id),
            "ssid": n.ssid or "-",
            "security": str(n.security_state.value),
            "config": str(n.config_state.value),
            "connection": styled(
                str(n.connection_state.value),
                "green" if n.connection_state.value == "connected" else "",
            ),
        }
        for n in networks
    ],
    data=to_jsonable,
    empty="no networks",
)


@click.group()
def wifi() -> None:
    """Wi-Fi networks: list, add, remove, scan, status."""


@wifi.command("list")
@board_options
@pass_app
def wifi_list(app: AppContext) -> None:
    """The configured Wi-Fi networks of each board."""
    run_and_report(app, "wifi list", lambda d: d.wifi.get_networks(), _NETWORKS)


def _refuse_key_argument(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if value is not None:
        raise click.BadParameter(
            "keys are never taken on the command line, where the shell's history and the "
            f"process list keep them; set ${ENV_PSK} or answer the hidden prompt"
        )


def _prompt_psk(value: str) -> str:
    try:
        return check_psk(value)
    except InvalidArgumentError as exc:
        raise click.BadParameter(f"got {exc.given}; expected {exc.allowed}") from None


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _read_psk(ssid: str) -> str:
    """The key from the environment, else asked for twice on a hidden prompt; checked."""
    from_env = os.environ.get(ENV_PSK)
    if from_env is not None:
        try:
            return check_psk(from_env)
        except InvalidArgumentError as exc:
            raise click.UsageError(
                f"the pre-shared key in ${ENV_PSK} is not usable: got {exc.given}; "
                f"expected {exc.allowed}"
            ) from None
    if not _stdin_is_terminal():
        raise click.UsageError(
            f"a psk network needs its key: set ${ENV_PSK} (or run in a terminal to be asked)"
        )
    key: str = click.prompt(
        f"Pre-shared key for {ssid}",
        hide_input=True,
        confirmation_prompt="Repeat the key",
        value_proc=_prompt_psk,
        err=True,
    )
    return key


@attrs.frozen
class _Added:
    """What ``wifi add`` did on one board: added the network, or updated it in place."""

    action: str  # "added" or "updated"
    networks: tuple[WifiNetwork, ...]
    note: str = ""


def _settings_differ(network: WifiNetwork, wanted: WifiNetworkRequest) -> list[str]:
    """What of ``wanted`` an existing network cannot be changed to in place."""
    differences = []
    if network.security_state != wanted.security_state:
        differences.append(f"security {network.security_state.value}")
    pairs = {
        "configuration name": (network.config_name, wanted.config_name),
        "client identity": (network.client_identity, wanted.client_identity),
        "client certificate": (
            network.client_cert_store_identifier,
            wanted.client_cert_store_identifier,
        ),
        "root CA": (network.root_ca_cert_store_identifier, wanted.root_ca_cert_store_identifier),
    }
    for what, (has, asked) in pairs.items():
        if (has or None) != (asked or None):
            differences.append(f"{what} {has or 'none'}")
    if bool(network.targeted_scan) != bool(wanted.targeted_scan):
        differences.append(f"targeted scan {'on' if network.targeted_scan else 'off'}")
    return differences


async def _add_or_update(device: DeviceClient, wanted: WifiNetworkRequest) -> _Added:
    same = [n for n in await device.wifi.get_networks() if n.ssid == wanted.ssid]
    if not same:
        added = await device.wifi.add_network(
            ssid=wanted.ssid,
            security_state=wanted.security_state,
            psk=wanted.psk,
            config_name=wanted.config_name,
            config_state=wanted.config_state,
            targeted_scan=wanted.targeted_scan,
            client_identity=wanted.client_identity,
            client_cert_store_identifier=wanted.client_cert_store_identifier,
            root_ca_cert_store_identifier=wanted.root_ca_cert_store_identifier,
        )
        return _Added("added", (added,))
    for network in same:
        differences = _settings_differ(network, wanted)
        if differences:
            raise BoardStateError(
                device.address,
                f"{wanted.ssid} is already configured here as network {network.id} with "
                f"{', '.join(differences)}, which cannot be changed in place",
                hint=f"remove it first (wifi remove --ssid {wanted.ssid}), or add it again "
                "with the same settings",
            )
    state = wanted.config_state or WifiConfigState.ENABLED
    updated = [
        await device.wifi.change_network(network.id, config_state=state, psk=wanted.psk)
        for network in same
    ]
    key = "new key, " if wanted.psk is not None else ""
    note = f"{key}{state.value}"
    if len(same) > 1:
        note += f"; {len(same)} networks have this SSID (wifi remove --id N removes one)"
    return _Added("updated", tuple(updated), note)


_ADDED = BoardRows[_Added](
    columns=[
        Column("Done", "action", no_wrap=True),
        Column("ID", "id", justify="right", no_wrap=True),
        Column("SSID", "ssid"),
        Column("Security", "security", no_wrap=True, priority=2),
        Column("Note", "note", priority=3),
    ],
    rows=lambda added: [
        {
            "action": styled(added.action, "green"),
            "id": str(n.id),
            "ssid": n.ssid or "-",
            "security": str(n.security_state.value),
            "note": added.note or "-",
        }
        for n in added.networks
    ],
    data=lambda added: {
        "action": added.action,
        "note": added.note,
        "networks": to_jsonable(list(added.networks)),
    },
)


@wifi.command("add")
@click.argument("ssid", callback=checked(check_ssid))
@click.option(
    "--security",
    type=click.Choice(["psk", "open", "eaptls"]),
    default="psk",
    show_default=True,
    help=f"How the network is secured. A psk network's key comes from ${ENV_PSK} or a "
    "hidden prompt.",
)
@click.option(
    "--psk", hidden=True, expose_value=False, callback=_refuse_key_argument, is_eager=True
)
@click.option(
    "--config-name", callback=checked(check_config_name), help="A name for this configuration."
)
@click.option("--targeted-scan", is_flag=True, help="Find the network even if it is hidden.")
@click.option("--disabled", is_flag=True, help="Add it without enabling it.")
@click.option(
    "--client-cert-id",
    callback=checked(check_cert_id),
    help="eaptls: the client certificate's store identifier.",
)
@click.option(
    "--root-ca-id",
    callback=checked(check_cert_id),
    help="eaptls: the root CA certificate's store identifier.",
)
@click.option("--client-identity", help="eaptls: the client identity.")
@board_options
@pass_app
def wifi_add(
    app: AppContext,
    ssid: str,
    security: str,
    config_name: str | None,
    targeted_scan: bool,
    disabled: bool,
    client_cert_id: str | None,
    root_ca_id: str | None,
    client_identity: str | None,
) -> None:
    """Add the Wi-Fi network SSID to every board, or update it where it is already.

    A board that already has SSID with the same settings gets it updated in place (the new
    key, and enabled or --disabled) rather than a duplicate; one with other settings that
    cannot be changed in place fails and is left alone. Safe to run again.
    """
    psk = _read_psk(ssid) if security == "psk" else None
    try:
        wanted = wifi_network_request(
            ssid=ssid,
            security_state=security,
            psk=psk,
            config_name=config_name,
            config_state="disabled" if disabled else None,
            targeted_scan=True if targeted_scan else None,
            client_identity=client_identity,
            client_cert_store_identifier=client_cert_id,
            root_ca_cert_store_identifier=root_ca_id,
        )
    except InvalidArgumentError as exc:
        raise click.BadParameter(
            f"got {exc.given}; expected {exc.allowed}",
            param_hint=_OPTION_NAMES.get(exc.argument, exc.argument),
        ) from None
    run_and_report(app, "wifi add", lambda device: _add_or_update(device, wanted), _ADDED)


@wifi.command("remove")
@click.option(
    "--id",
    "network_id",
    type=int,
    callback=checked(check_network_id),
    help="The network's ID on the board.",
)
@click.option(
    "--ssid",
    callback=checked(check_ssid),
    help="Remove the networks with this SSID (IDs differ between boards).",
)
@board_options
@pass_app
def wifi_remove(app: AppContext, network_id: int | None, ssid: str | None) -> None:
    """Forget a Wi-Fi network, by --ssid (on every board) or --id."""
    if (network_id is None) == (ssid is None):
        raise click.UsageError("give exactly one of --ssid and --id")

    async def operation(device: DeviceClient) -> list[WifiNetwork]:
        if network_id is not None:
            removed = [await device.wifi.get_network(network_id)]
        else:
            removed = [n for n in await device.wifi.get_networks() if n.ssid == ssid]
            if not removed:
                raise BoardStateError(
                    device.address,
                    f"no network has SSID {ssid}",
                    hint="`azsphere-async wifi list` shows the board's networks",
                )
        for network in removed:
            await device.wifi.remove_network(network.id)
        return removed

    shape = BoardRows[list[WifiNetwork]](
        columns=[Column("Removed", "ssid"), Column("ID", "id", justify="right", no_wrap=True)],
        rows=lambda removed: [{"ssid": n.ssid or "-", "id": str(n.id)} for n in removed],
        data=lambda removed: {"removed": to_jsonable(removed)},
    )
    run_and_report(app, "wifi remove", operation, shape)


@wifi.command("scan")
@board_options
@pass_app
def wifi_scan(app: AppContext) -> None:
    """The Wi-Fi networks each board can see, strongest first."""
    shape = BoardRows[list[WifiScanResult]](
        columns=[
            Column("SSID", "ssid"),
            Column("Security", "security", no_wrap=True),
            Column("Signal", "signal", justify="right", no_wrap=True),
            Column("MHz", "freq", justify="right", no_wrap=True),
            Column("BSSID", "bssid", no_wrap=True),
        ],
        rows=lambda found: [
            {
                "ssid": n.ssid or "(hidden)",
                "security": str(n.security_state.value) if n.security_state else "-",
                "signal": f"{n.signal_level} dBm" if n.signal_level is not None else "-",
                "freq": str(n.freq or "-"),
                "bssid": n.bssid or "-",
            }
            for n in sorted(found, key=lambda n: -(n.signal_level or -999))
        ],
        data=to_jsonable,
        empty="no networks seen",
    )
    run_and_report(app, "wifi scan", lambda d: d.wifi.scan(), shape)


@wifi.command("status")
@board_options
@pass_app
def wifi_status(app: AppContext) -> None:
    """The Wi-Fi interface: the network it is on, its state and IP address."""
    shape = BoardRows[WifiInterfaceState](
        columns=[
            Column("SSID", "ssid"),
            Column("Connection", "connection", no_wrap=True),
            Column("WPA state", "wpa", no_wrap=True),
            Column("IP address", "ip", no_wrap=True),
        ],
        rows=lambda s: [
            {
                "ssid": s.ssid or "-",
                "connection": str(s.connection_state.value) if s.connection_state else "-",
                "wpa": str(s.wpa_state.value) if s.wpa_state else "-",
                "ip": s.ip_address or "-",
            }
        ],
        data=to_jsonable,
    )
    run_and_report(app, "wifi status", lambda d: d.wifi.get_interface_state(), shape)
