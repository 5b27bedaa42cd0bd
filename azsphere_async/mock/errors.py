"""Refusals: an HTTP status plus the integer code a device puts in ``{"error": CODE}``."""

from __future__ import annotations

from typing import Final

__all__ = ["Code", "DeviceRefusal"]


class Code:
    """Error codes the mock sends (all but the errno values are in device-error-codes.json)."""

    EPERM: Final = 1
    """errno: operation not permitted (manufacturing state cannot move that way)."""
    EIO: Final = 5
    """errno: I/O error (default code of injected 500 answers)."""
    EACCES: Final = 13
    """Permission denied: REST access needs development mode."""
    EINVAL: Final = 22
    """errno: invalid argument (a malformed or incomplete request body)."""
    APP_NOT_PERMITTED: Final = 1_048_596
    DEBUG_SERVER_MISSING: Final = 3_145_738
    STAGE_INVALID_PACKAGE: Final = 7_340_050
    STAGE_NOT_PERMITTED: Final = 7_340_069
    OTA_IN_PROGRESS: Final = 7_340_071
    INVALID_COMPONENT_ID: Final = 7_340_079
    CONFIG_NAME_TOO_LONG: Final = 10_485_776
    WIFI_NETWORK_NOT_FOUND: Final = 13_631_491
    WIFI_INVALID_PROPERTIES: Final = 13_631_496
    WIFI_INTERFACE_DISABLED: Final = 13_631_506
    WIFI_NO_RESOURCES: Final = 13_631_510
    WIFI_SSID_TOO_LONG: Final = 13_631_503
    WIFI_KEY_TOO_LONG: Final = 13_631_504
    WIFI_DUPLICATE_CONFIG_NAME: Final = 13_631_511
    WIFI_CLIENT_ID_MISSING: Final = 13_631_512
    WIFI_PSK_TOO_SHORT: Final = 13_631_513
    APP_NOT_PRESENT: Final = 14_680_076
    NO_FREE_SPACE: Final = 14_680_082
    INVALID_URI: Final = 15_728_642
    CONTENT_TOO_LARGE: Final = 15_728_644
    INVALID_HARDWARE_ADDRESS: Final = 31_457_286
    INTERFACE_NOT_PERMITTED: Final = 31_457_295
    CERT_INVALID_ID: Final = 38_797_314
    CERT_NOT_PEM: Final = 38_797_315
    CERT_ID_TOO_LONG: Final = 38_797_316
    CERT_NOT_FOUND: Final = 38_797_319
    CERT_STORE_FULL: Final = 38_797_323
    CERT_INVALID_TYPE: Final = 38_797_324
    CERT_PUBLIC_INVALID: Final = 38_797_325
    CERT_PUBLIC_TOO_LONG: Final = 38_797_326
    CERT_KEY_INVALID: Final = 38_797_327
    CERT_KEY_TOO_LONG: Final = 38_797_328
    CERT_KEY_NOT_ALLOWED: Final = 38_797_329
    CERT_PASSWORD_TOO_LONG: Final = 38_797_330
    CERT_PASSWORD_NOT_ALLOWED: Final = 38_797_331
    CERT_KEY_MISMATCH: Final = 38_797_332
    CERT_PASSWORD_UNEXPECTED: Final = 38_797_333


class DeviceRefusal(Exception):
    """A request the device refuses: answered with ``status`` and ``{"error": code}``.

    Named apart from the client library's ``DeviceError``: this is the device saying no,
    not a client seeing a failure.
    """

    def __init__(self, status: int, code: int) -> None:
        super().__init__(f"HTTP {status}, device error {code}")
        self.status = status
        self.code = code
