"""Models of the Wi-Fi calls: configured networks, interface state, scans and failure logs."""

from __future__ import annotations

from datetime import datetime

import attrs

from ._wire import WIFI_TIMESTAMP, TolerantStrEnum, wire

__all__ = [
    "WifiCertificateFailure",
    "WifiCertificateProblem",
    "WifiConfigState",
    "WifiConnectionFailure",
    "WifiConnectionFailures",
    "WifiConnectionState",
    "WifiFailureReason",
    "WifiInterfaceRequest",
    "WifiInterfaceState",
    "WifiKeyManagement",
    "WifiMode",
    "WifiNetwork",
    "WifiNetworkChangeRequest",
    "WifiNetworkRequest",
    "WifiNetworks",
    "WifiPowerSavingsState",
    "WifiScanResult",
    "WifiScanResults",
    "WifiSecurityState",
    "WpaState",
]


class WifiSecurityState(TolerantStrEnum):
    """How a Wi-Fi network is secured."""

    UNKNOWN = "unknown"
    OPEN = "open"
    PSK = "psk"
    EAPTLS = "eaptls"


class WifiConfigState(TolerantStrEnum):
    """Whether a configured network may be used."""

    UNKNOWN = "unknown"
    ENABLED = "enabled"
    DISABLED = "disabled"
    TEMP_DISABLED = "temp-disabled"


class WifiConnectionState(TolerantStrEnum):
    """Whether the device is connected to a network."""

    UNKNOWN = "unknown"
    DISCONNECTED = "disconnected"
    CONNECTED = "connected"


class WifiPowerSavingsState(TolerantStrEnum):
    """Whether Wi-Fi power savings are on (REST API 4.6.0 and later)."""

    UNKNOWN = "unknown"
    ENABLED = "enabled"
    DISABLED = "disabled"


class WifiKeyManagement(TolerantStrEnum):
    """The key management of the current connection."""

    UNKNOWN = "UNKNOWN"
    NONE = "NONE"
    WPA2_PSK = "WPA2-PSK"
    WPA_EAP = "WPA-EAP"


class WifiMode(TolerantStrEnum):
    """The mode of the Wi-Fi interface."""

    STATION = "station"


class WpaState(TolerantStrEnum):
    """The WPA supplicant's state."""

    DISCONNECTED = "DISCONNECTED"
    INTERFACE_DISABLED = "INTERFACE_DISABLED"
    INACTIVE = "INACTIVE"
    SCANNING = "SCANNING"
    AUTHENTICATING = "AUTHENTICATING"
    ASSOCIATING = "ASSOCIATING"
    ASSOCIATED = "ASSOCIATED"
    FOUR_WAY_HANDSHAKE = "4WAY_HANDSHAKE"
    GROUP_HANDSHAKE = "GROUP_HANDSHAKE"
    COMPLETED = "COMPLETED"


class WifiFailureReason(TolerantStrEnum):
    """Why a connection to a Wi-Fi network failed."""

    NETWORK_NOT_FOUND = "NetworkNotFound"
    WRONG_KEY = "WrongKey"
    NO_PSK_INCLUDED = "NoPskIncluded"
    AUTHENTICATION_FAILED = "AuthenticationFailed"
    CONNECTION_FAILED = "ConnectionFailed"
    SECURITY_TYPE_MISMATCH = "SecurityTypeMismatch"
    NETWORK_FREQUENCY_NOT_ALLOWED = "NetworkFrequencyNotAllowed"
    NETWORK_NOT_ESS_PBSS_MBSS = "NetworkNotEssPbssMbss"
    NETWORK_NOT_SUPPORTED = "NetworkNotSupported"
    NETWORK_NON_WPA = "NetworkNonWpa"


class WifiCertificateProblem(TolerantStrEnum):
    """Why a certificate failed validation during an EAP-TLS connection."""

    UNSPECIFIED = "Unspecified"
    UNTRUSTED = "Untrusted"
    REVOKED = "Revoked"
    NOT_YET_VALID = "NotYetValid"
    EXPIRED = "Expired"
    SUBJECT_MISMATCH = "SubjectMismatch"
    ALT_SUBJECT_MISMATCH = "AltSubjectMismatch"
    BAD_CERTIFICATE = "BadCertificate"
    SERVER_CHAIN_PROBE_FAILED = "ServerChainProbeFailed"
    DOMAIN_SUFFIX_MISMATCH = "DomainSuffixMismatch"
    DOMAIN_MISMATCH = "DomainMismatch"
    INSUFFICIENT_KEY_LENGTH = "InsufficientKeyLength"
    CERTIFICATE_NOT_FOUND = "CertificateNotFound"
    INVALID_ROOT_CA = "InvalidRootCA"
    INVALID_CLIENT_AUTH = "InvalidClientAuth"
    UNKNOWN_CLIENT_ID = "UnknownClientId"


@wire()
@attrs.frozen(kw_only=True)
class WifiNetwork:
    """A configured Wi-Fi network (``WifiNetworkConfigResponse``)."""

    id: int
    config_state: WifiConfigState
    connection_state: WifiConnectionState
    security_state: WifiSecurityState
    targeted_scan: bool
    ssid: str | None = None
    config_name: str | None = None
    client_identity: str | None = None
    client_cert_store_identifier: str | None = None
    root_ca_cert_store_identifier: str | None = None


@wire()
@attrs.frozen(kw_only=True)
class WifiNetworks:
    """``GET /wifi/config/networks``: every configured network."""

    values: tuple[WifiNetwork, ...] | None = None


@wire()
@attrs.frozen(kw_only=True)
class WifiNetworkRequest:
    """The body of ``POST /wifi/config/networks``; the PSK never shows in reprs."""

    ssid: str
    security_state: WifiSecurityState
    psk: str | None = attrs.field(default=None, repr=False)
    config_name: str | None = None
    config_state: WifiConfigState | None = None
    targeted_scan: bool | None = None
    client_identity: str | None = None
    client_cert_store_identifier: str | None = None
    root_ca_cert_store_identifier: str | None = None


@wire()
@attrs.frozen(kw_only=True)
class WifiNetworkChangeRequest:
    """The body of ``PATCH /wifi/config/networks/{id}``; the PSK never shows in reprs."""

    config_state: WifiConfigState | None = None
    psk: str | None = attrs.field(default=None, repr=False)


@wire()
@attrs.frozen(kw_only=True)
class WifiInterfaceRequest:
    """The body of ``PATCH /wifi/interface``."""

    reload_config: bool | None = None
    enable_power_savings: bool | None = None


@wire(
    style="snake",
    config_name="configName",
    config_state="configState",
    connection_state="connectionState",
    security_state="securityState",
    power_savings_state="powerSavingsState",
)
@attrs.frozen(kw_only=True)
class WifiInterfaceState:
    """``GET /wifi/interface``: the Wi-Fi interface and its current connection."""

    ssid: str | None = None
    config_name: str | None = None
    config_state: WifiConfigState | None = None
    connection_state: WifiConnectionState | None = None
    security_state: WifiSecurityState | None = None
    mode: WifiMode | None = None
    key_mgmt: WifiKeyManagement | None = None
    wpa_state: WpaState | None = None
    #: The access point's MAC address (BSSID).
    address: str | None = None
    freq: int | None = None
    ip_address: str | None = None
    id: int | None = None
    power_savings_state: WifiPowerSavingsState | None = None


@wire(style="snake", security_state="securityState")
@attrs.frozen(kw_only=True)
class WifiScanResult:
    """One network seen by a scan; ``freq`` in MHz, ``signal_level`` in dBm."""

    bssid: str | None = None
    freq: int | None = None
    security_state: WifiSecurityState | None = None
    signal_level: int | None = None
    ssid: str | None = None


@wire()
@attrs.frozen(kw_only=True)
class WifiScanResults:
    """``GET /wifi/scan``: the networks seen."""

    values: tuple[WifiScanResult, ...] | None = None


@wire()
@attrs.frozen(kw_only=True)
class WifiCertificateFailure:
    """The certificate that failed validation in an EAP-TLS connection attempt."""

    cert_subject: str | None = None
    cert_depth: int | None = None
    cert_error: WifiCertificateProblem | None = None


@wire(timestamp=WIFI_TIMESTAMP)
@attrs.frozen(kw_only=True)
class WifiConnectionFailure:
    """A failed connection attempt to a configured network; ``timestamp`` is aware (UTC offset)."""

    timestamp: datetime | None = None
    network_id: int | None = None
    ssid: str | None = None
    config_state: WifiConfigState | None = None
    connection_state: WifiConnectionState | None = None
    error: WifiFailureReason | None = None
    cert_info: WifiCertificateFailure | None = None


@wire()
@attrs.frozen(kw_only=True)
class WifiConnectionFailures:
    """``GET /wifi/diagnostics/networks``: the latest failure of each network."""

    values: tuple[WifiConnectionFailure, ...] | None = None
