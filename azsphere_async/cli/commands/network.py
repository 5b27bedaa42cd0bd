"""``network interfaces|proxy|status|firewall``: what the boards' networking looks like."""

from __future__ import annotations

import click

from ...models import FirewallRule, FirewallRuleset, NetworkInterface, NetworkProxy, NetworkStatus
from ..context import AppContext, pass_app
from ..formatting import format_bytes, to_jsonable
from ..output import Cell, Column, styled
from ..reporting import BoardRows
from ..running import run_and_report
from ..shared_options import board_options

__all__ = ["network"]


@click.group()
def network() -> None:
    """Networking: interfaces, proxy, status, firewall."""


def _yes(value: bool | None) -> Cell:
    if value is None:
        return "-"
    return styled("yes", "green") if value else styled("no", "yellow")


@network.command("interfaces")
@board_options
@pass_app
def interfaces(app: AppContext) -> None:
    """Each board's network interfaces: up, connected, IP addresses, MAC."""
    shape = BoardRows[list[NetworkInterface]](
        columns=[
            Column("Interface", "name", no_wrap=True),
            Column("Up", "up", no_wrap=True),
            Column("Net", "net", no_wrap=True),
            Column("IP addresses", "ips"),
            Column("MAC", "mac", no_wrap=True, priority=2),
        ],
        rows=lambda found: [
            {
                "name": i.interface_name or "-",
                "up": _yes(i.interface_up),
                "net": _yes(i.connected_to_network),
                "ips": ", ".join(i.ip_addresses or ()) or "-",
                "mac": i.hardware_address or "-",
            }
            for i in found
        ],
        data=to_jsonable,
        empty="no interfaces",
    )
    run_and_report(app, "network interfaces", lambda d: d.network.get_interfaces(), shape)


@network.command("proxy")
@board_options
@pass_app
def proxy(app: AppContext) -> None:
    """Each board's proxy settings (never a proxy password)."""
    shape = BoardRows[NetworkProxy](
        columns=[
            Column("Enabled", "enabled", no_wrap=True),
            Column("Proxy", "proxy"),
            Column("Auth", "auth", no_wrap=True, priority=2),
            Column("No proxy for", "bypass", priority=3),
        ],
        rows=lambda p: [
            {
                "enabled": _yes(p.enabled),
                "proxy": f"{p.address}:{p.port}" if p.address else "-",
                "auth": str(p.authentication_type.value) if p.authentication_type else "-",
                "bypass": ", ".join(p.no_proxy_addresses or ()) or "-",
            }
        ],
        data=to_jsonable,
    )
    run_and_report(app, "network proxy", lambda d: d.network.get_proxy(), shape)


@network.command("status")
@board_options
@pass_app
def net_status(app: AppContext) -> None:
    """Whether device authentication, network time and the proxy are ready."""
    shape = BoardRows[NetworkStatus](
        columns=[
            Column("Auth ready", "auth", no_wrap=True),
            Column("Time sync", "time", no_wrap=True),
            Column("Proxy", "proxy", no_wrap=True),
        ],
        rows=lambda s: [
            {
                "auth": _yes(s.device_authentication_is_ready),
                "time": str(s.network_time_sync.value) if s.network_time_sync else "-",
                "proxy": str(s.proxy.value) if s.proxy else "-",
            }
        ],
        data=to_jsonable,
    )
    run_and_report(app, "network status", lambda d: d.network.get_status(), shape)


def _rule_text(rule: FirewallRule) -> str:
    parts = [
        str(rule.action.value) if rule.action else "?",
        str(rule.protocol.value) if rule.protocol else "",
    ]
    if rule.interface_in_name:
        parts.append(f"in {rule.interface_in_name}")
    if rule.interface_out_name:
        parts.append(f"out {rule.interface_out_name}")
    if rule.destination_ip and rule.destination_ip != "0.0.0.0":
        parts.append(f"to {rule.destination_ip}")
    if rule.state and rule.state.value != "none":
        parts.append(str(rule.state.value))
    return " ".join(p for p in parts if p)


@network.command("firewall")
@board_options
@pass_app
def firewall(app: AppContext) -> None:
    """Each board's firewall rules, by hook, with packet and byte counters."""
    shape = BoardRows[list[FirewallRuleset]](
        columns=[
            Column("Hook", "hook", no_wrap=True),
            Column("Rule", "rule"),
            Column("Packets", "packets", justify="right", no_wrap=True, priority=3),
            Column("Bytes", "bytes", justify="right", no_wrap=True, priority=2),
        ],
        rows=lambda sets: [
            {
                "hook": str(s.hook.value) if s.hook else "-",
                "rule": _rule_text(r),
                "packets": str(r.packet_count if r.packet_count is not None else "-"),
                "bytes": format_bytes(r.byte_count) if r.byte_count is not None else "-",
            }
            for s in sets
            for r in s.rules or ()
        ],
        data=to_jsonable,
        empty="no rules",
    )
    run_and_report(app, "network firewall", lambda d: d.network.get_firewall_rulesets(), shape)
