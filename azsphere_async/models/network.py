"""Models of the network calls: interfaces, status, proxy and firewall."""

from __future__ import annotations

import attrs

from ._wire import TolerantStrEnum, wire

__all__ = [
    "FirewallAction",
    "FirewallConnectionState",
    "FirewallHook",
    "FirewallProtocol",
    "FirewallRule",
    "FirewallRuleset",
    "FirewallRulesets",
    "IpAssignment",
    "NetworkInterface",
    "NetworkInterfaceRequest",
    "NetworkInterfaces",
    "NetworkProxy",
    "NetworkStatus",
    "NetworkTimeSync",
    "PortRange",
    "ProxyAuthentication",
    "ProxyConfiguration",
    "ProxyState",
    "TcpFlag",
]


class IpAssignment(TolerantStrEnum):
    """How an interface got its IP address."""

    STATIC = "static"
    DYNAMIC = "dynamic"


class NetworkTimeSync(TolerantStrEnum):
    """Whether the device's clock has been set from the network."""

    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    DISABLED = "disabled"


class ProxyState(TolerantStrEnum):
    """The state of the network proxy."""

    DISABLED = "disabled"
    ENABLED = "enabled"
    RESOLVING_PROXY_NAME = "resolvingProxyName"
    READY = "ready"


class ProxyAuthentication(TolerantStrEnum):
    """How the device authenticates to its proxy."""

    ANONYMOUS = "anonymous"
    BASIC = "basic"


class FirewallHook(TolerantStrEnum):
    """The netfilter hook a firewall ruleset is attached to."""

    PREROUTING = "PREROUTING"
    INPUT = "INPUT"
    FORWARD = "FORWARD"
    OUTPUT = "OUTPUT"
    POSTROUTING = "POSTROUTING"


class FirewallAction(TolerantStrEnum):
    """What a firewall rule does with a matching packet."""

    DROP = "drop"
    ACCEPT = "accept"


class FirewallConnectionState(TolerantStrEnum):
    """The connection-tracking state a firewall rule matches."""

    NONE = "none"
    ESTABLISHED = "established"
    RELATED = "related"


class FirewallProtocol(TolerantStrEnum):
    """The IP protocol a firewall rule matches."""

    ANY = "any"
    ICMP = "icmp"
    IGMP = "igmp"
    TCP = "tcp"
    UDP = "udp"


class TcpFlag(TolerantStrEnum):
    """A TCP header flag used in a firewall rule's mask and comparison."""

    FIN = "fin"
    SYN = "syn"
    RST = "rst"
    PSH = "psh"
    ACK = "ack"
    URG = "urg"


@wire()
@attrs.frozen(kw_only=True)
class NetworkInterface:
    """``GET /net/interfaces/{name}``: the state of one network interface."""

    interface_name: str | None = None
    interface_up: bool | None = None
    connected_to_network: bool | None = None
    ip_assignment: IpAssignment | None = None
    ip_acquired: bool | None = None
    ip_addresses: tuple[str, ...] | None = None
    connected_to_internet: bool | None = None
    #: The MAC address, such as ``a1:b2:c3:4d:e5:6f`` (REST API 4.3.0 and later).
    hardware_address: str | None = None


@wire()
@attrs.frozen(kw_only=True)
class NetworkInterfaceRequest:
    """The body of ``PATCH /net/interfaces/{name}``."""

    interface_up: bool | None = None
    hardware_address: str | None = None


@wire()
@attrs.frozen(kw_only=True)
class NetworkInterfaces:
    """``GET /net/interfaces``: every network interface."""

    interfaces: tuple[NetworkInterface, ...] | None = None


@wire()
@attrs.frozen(kw_only=True)
class NetworkStatus:
    """``GET /net/status``: readiness of device authentication, time sync and proxy."""

    device_authentication_is_ready: bool | None = None
    network_time_sync: NetworkTimeSync | None = None
    proxy: ProxyState | None = None


@wire()
@attrs.frozen(kw_only=True)
class NetworkProxy:
    """The proxy configuration: ``GET /net/proxy``, and the answer to ``POST /net/proxy``.

    ``POST`` answers with the configuration it was given, the password included; this model
    has no field for a password, so it is dropped as the answer is read and never kept,
    shown or written out.  ``GET`` never shows it.
    """

    enabled: bool | None = None
    address: str | None = None
    port: int | None = None
    no_proxy_addresses: tuple[str, ...] | None = None
    authentication_type: ProxyAuthentication | None = None
    username: str | None = None


@wire()
@attrs.frozen(kw_only=True)
class ProxyConfiguration:
    """The body of ``POST /net/proxy``; the password never shows in reprs."""

    address: str
    port: int
    enabled: bool
    authentication_type: ProxyAuthentication
    no_proxy_addresses: tuple[str, ...]
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)


@wire()
@attrs.frozen(kw_only=True)
class PortRange:
    """An inclusive range of ports."""

    min: int | None = None
    max: int | None = None


@wire(
    source_ip="sourceIP",
    destination_ip="destinationIP",
    packet_count="packets",
    byte_count="bytes",
)
@attrs.frozen(kw_only=True)
class FirewallRule:
    """One firewall rule with its match criteria, action and counters."""

    source_ip: str | None = None
    source_mask: str | None = None
    destination_ip: str | None = None
    destination_mask: str | None = None
    uid: int | None = None
    action: FirewallAction | None = None
    interface_in_name: str | None = None
    interface_out_name: str | None = None
    state: FirewallConnectionState | None = None
    tcp_mask: tuple[TcpFlag, ...] | None = None
    tcp_cmp: tuple[TcpFlag, ...] | None = None
    tcp_inv: bool | None = None
    protocol: FirewallProtocol | None = None
    source_port_range: PortRange | None = None
    destination_port_range: PortRange | None = None
    #: Packets that matched the rule (``packets`` on the wire).
    packet_count: int | None = None
    #: Bytes that matched the rule (``bytes`` on the wire).
    byte_count: int | None = None


@wire()
@attrs.frozen(kw_only=True)
class FirewallRuleset:
    """The rules attached to one netfilter hook."""

    hook: FirewallHook | None = None
    is_valid: bool | None = None
    rules: tuple[FirewallRule, ...] | None = None


@wire()
@attrs.frozen(kw_only=True)
class FirewallRulesets:
    """``GET /net/firewall/rulesets``: every firewall ruleset."""

    rulesets: tuple[FirewallRuleset, ...] | None = None
