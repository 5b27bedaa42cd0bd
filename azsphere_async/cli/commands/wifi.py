"""``wifi list|add|remove|scan|status``: Wi-Fi networks on every board.

Pre-shared keys come from the ``AZSPHERE_WIFI_PSK`` variable or a hidden prompt (``--psk``
works too, but shows in the shell's history); they are never printed.
"""

from __future__ import annotations

import sys

import click

from ...client import DeviceClient
from ...errors import NotFoundError
from ...models import WifiInterfaceState, WifiNetwork, WifiScanResult
from ..context import AppContext, pass_app
from ..exit_status import EXIT_USAGE
from ..formatting import to_jsonable
from ..output import Column, styled
from ..reporting import BoardRows
from ..running import run_and_report
from ..shared_options import board_options

__all__ = ["ENV_PSK", "wifi"]

#: The environment variable a pre-shared key may come from.
ENV_PSK = "AZSPHERE_WIFI_PSK"

_NETWORKS = BoardRows[list[WifiNetwork]](
    columns=[
        Column("ID", "id", justify="right", no_wrap=True),
        Column("SSID", "ssid"),
        Column("Security", "security", no_wrap=True),
        Column("Config", "config", no_wrap=True),
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


@wifi.command("add")
@click.argument("ssid")
@click.option(
    "--security",
    type=click.Choice(["psk", "open", "eaptls"]),
    default="psk",
    show_default=True,
    help="How the network is secured.",
)
@click.option(
    "--psk",
    envvar=ENV_PSK,
    metavar="KEY",
    help=f"The pre-shared key; better from ${ENV_PSK} or the hidden prompt.",
)
@click.option("--config-name", help="A name for this configuration.")
@click.option("--targeted-scan", is_flag=True, help="Find the network even if it is hidden.")
@click.option("--disabled", is_flag=True, help="Add it without enabling it.")
@click.option("--client-cert-id", help="eaptls: the client certificate's store identifier.")
@click.option("--root-ca-id", help="eaptls: the root CA certificate's store identifier.")
@click.option("--client-identity", help="eaptls: the client identity.")
@board_options
@pass_app
def wifi_add(
    app: AppContext,
    ssid: str,
    security: str,
    psk: str | None,
    config_name: str | None,
    targeted_scan: bool,
    disabled: bool,
    client_cert_id: str | None,
    root_ca_id: str | None,
    client_identity: str | None,
) -> None:
    """Add the Wi-Fi network SSID to every board."""
    if security == "psk" and psk is None:
        if not sys.stdin.isatty():
            app.output.error(
                f"a psk network needs its key: set ${ENV_PSK} (or run in a terminal to be asked)"
            )
            sys.exit(EXIT_USAGE)
        psk = click.prompt("Pre-shared key", hide_input=True, err=True)
    if security != "psk":
        psk = None

    async def operation(device: DeviceClient) -> list[WifiNetwork]:
        added = await device.wifi.add_network(
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
        return [added]

    run_and_report(app, "wifi add", operation, _NETWORKS)


@wifi.command("remove")
@click.option("--id", "network_id", type=int, help="The network's ID on the board.")
@click.option("--ssid", help="Remove the networks with this SSID (IDs differ between boards).")
@board_options
@pass_app
def wifi_remove(app: AppContext, network_id: int | None, ssid: str | None) -> None:
    """Forget a Wi-Fi network, by --ssid (on every board) or --id."""
    if (network_id is None) == (ssid is None):
        app.output.error("give exactly one of --ssid and --id")
        sys.exit(EXIT_USAGE)

    async def operation(device: DeviceClient) -> list[WifiNetwork]:
        if network_id is not None:
            removed = [await device.wifi.get_network(network_id)]
        else:
            removed = [n for n in await device.wifi.get_networks() if n.ssid == ssid]
            if not removed:
                raise NotFoundError(
                    device.address,
                    method="GET",
                    path=f"/wifi/config/networks (no network has SSID {ssid!r})",
                    status=404,
                    error_code=None,
                )
        for network in removed:
            await device.wifi.remove_network(network.id)
        return removed

    shape = BoardRows[list[WifiNetwork]](
        columns=[Column("Removed", "ssid"), Column("ID", "id", justify="right")],
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
