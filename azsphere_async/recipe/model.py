"""The recipe: the state a board should be in, as frozen attrs classes.

A :class:`Recipe` says which OS versions are allowed, which application packages must be
installed (identified by their image ID, read from the package), which Wi-Fi networks and
certificates a board must have, which capabilities it may hold, and an optional final
manufacturing state. Each part says whether other applications, networks or certificates
may stay (:class:`Others`). Wi-Fi keys and key passwords are never part of a recipe: a
network names the environment variable that holds its key, or the recipe names a secrets
file (see :mod:`azsphere_async.recipe.secrets`).

Every value is checked when the object is made, so a recipe that exists is well formed;
files it names are read by :func:`~azsphere_async.recipe.prepare_recipe`, before any board is
contacted. A recipe's ``[station]`` table (:class:`RecipeStation`) says how the station
treats each board beyond its state: the command that prints its serial number.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Final, TypeVar

import attrs

from ..errors import InvalidArgumentError
from ..models import CertificateType, ManufacturingState, WifiSecurityState
from ..validation import (
    check_bool,
    check_cert_id,
    check_choice,
    check_ssid,
    check_text,
    check_wifi_config_name,
)
from ._convert import shown, to_environment_name, to_instance, to_items, to_path
from .source import RecipeSource
from .station_table import RecipeStation

__all__ = [
    "MANUFACTURING_STATES",
    "WIFI_SECURITY",
    "Others",
    "Recipe",
    "RecipeApp",
    "RecipeCertificate",
    "RecipeWifi",
]

E = TypeVar("E", bound=enum.Enum)

#: The security kinds a recipe's Wi-Fi network may have.
WIFI_SECURITY: Final = (WifiSecurityState.OPEN, WifiSecurityState.PSK, WifiSecurityState.EAPTLS)
#: The manufacturing states a recipe may ask for.
MANUFACTURING_STATES: Final = (
    ManufacturingState.BLANK,
    ManufacturingState.MODULE1_COMPLETE,
    ManufacturingState.DEVICE_COMPLETE,
)


class Others(enum.StrEnum):
    """What happens to applications, networks or certificates that the recipe does not name."""

    KEEP = "keep"
    """They may stay: a plan leaves them alone and readiness does not count them."""
    REMOVE = "remove"
    """They must go: a plan removes them and readiness fails while they are there."""


# Each field's converter checks and normalises its value (mypy's attrs plugin needs them named).


def _package(value: object) -> Path:
    return to_path(value, "package")


def _start(value: object) -> bool:
    return check_bool(value, "start")


def _security(value: object) -> WifiSecurityState:
    return check_choice(value, WifiSecurityState, "security", among=WIFI_SECURITY)


def _key_env(value: object) -> str | None:
    return to_environment_name(value, "key_env")


def _password_env(value: object) -> str | None:
    return to_environment_name(value, "password_env")


def _targeted_scan(value: object) -> bool:
    return check_bool(value, "targeted_scan")


def _config_name(value: object) -> str | None:
    return None if value is None else check_wifi_config_name(value)


def _client_cert(value: object) -> str | None:
    return None if value is None else check_cert_id(value, "client_cert")


def _root_ca(value: object) -> str | None:
    return None if value is None else check_cert_id(value, "root_ca")


def _client_identity(value: object) -> str | None:
    return (
        None
        if value is None
        else check_text(value, "client_identity", min_length=1, max_length=254)
    )


def _cert_id(value: object) -> str:
    return check_cert_id(value, "id")


def _cert_type(value: object) -> CertificateType:
    return check_choice(value, CertificateType, "type")


def _cert_file(value: object) -> Path:
    return to_path(value, "cert")


def _key_file(value: object) -> Path | None:
    return None if value is None else to_path(value, "key")


def _version(value: object) -> str:
    return check_text(value, "os_versions", min_length=1, max_length=32)


def _os_versions(value: object) -> tuple[str, ...]:
    return to_items(value, "os_versions", _version)


def _os_releases(value: object) -> Path | None:
    return None if value is None else to_path(value, "os_releases")


def _secrets(value: object) -> Path | None:
    return None if value is None else to_path(value, "secrets")


def _apps(value: object) -> tuple[RecipeApp, ...]:
    return to_items(value, "apps", lambda item: to_instance(item, RecipeApp, "apps"))


def _wifi(value: object) -> tuple[RecipeWifi, ...]:
    return to_items(value, "wifi", lambda item: to_instance(item, RecipeWifi, "wifi"))


def _certificates(value: object) -> tuple[RecipeCertificate, ...]:
    return to_items(
        value, "certificates", lambda item: to_instance(item, RecipeCertificate, "certificates")
    )


def _other_apps(value: object) -> Others:
    return check_choice(value, Others, "other_apps")


def _other_wifi(value: object) -> Others:
    return check_choice(value, Others, "other_wifi")


def _other_certificates(value: object) -> Others:
    return check_choice(value, Others, "other_certificates")


def _capability(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 2**32 - 1:
        return value
    raise InvalidArgumentError(
        "allowed_capabilities", shown(value), "capability numbers (11 is appDevelopment)"
    )


def _capabilities(value: object) -> tuple[int, ...]:
    return to_items(value, "allowed_capabilities", _capability)


def _station(value: object) -> RecipeStation | None:
    return None if value is None else to_instance(value, RecipeStation, "station")


def _manufacturing_state(value: object) -> ManufacturingState | None:
    if value is None:
        return None
    return check_choice(
        value, ManufacturingState, "manufacturing_state", among=MANUFACTURING_STATES
    )


@attrs.frozen(kw_only=True)
class RecipeApp:
    """An image package that must be installed; ``start``: run it after installing it."""

    package: Path = attrs.field(converter=_package)
    start: bool = attrs.field(default=True, converter=_start)


@attrs.frozen(kw_only=True)
class RecipeWifi:
    """A Wi-Fi network a board must have configured, by SSID.

    ``security`` is ``psk`` (the default), ``open`` or ``eaptls``. A ``psk`` network's key
    comes from the environment variable ``key_env`` names, else from the recipe's secrets
    file (its ``[wifi]`` table, by SSID); it is never written in the recipe. An ``eaptls``
    network names its ``client_cert`` (and optionally ``root_ca``) by certificate ID, and
    may give a ``client_identity``.
    """

    ssid: str = attrs.field(converter=check_ssid)
    security: WifiSecurityState = attrs.field(
        default=WifiSecurityState.PSK,
        converter=_security,
    )
    key_env: str | None = attrs.field(default=None, converter=_key_env)
    targeted_scan: bool = attrs.field(default=False, converter=_targeted_scan)
    config_name: str | None = attrs.field(default=None, converter=_config_name)
    client_cert: str | None = attrs.field(default=None, converter=_client_cert)
    root_ca: str | None = attrs.field(default=None, converter=_root_ca)
    client_identity: str | None = attrs.field(
        default=None,
        converter=_client_identity,
    )

    def __attrs_post_init__(self) -> None:
        kind = self.security.value
        if self.security is not WifiSecurityState.PSK and self.key_env is not None:
            raise InvalidArgumentError(
                "key_env",
                repr(self.key_env),
                f"no key for an {kind} network (only psk networks have one)",
            )
        eaptls = {
            "client_cert": self.client_cert,
            "root_ca": self.root_ca,
            "client_identity": self.client_identity,
        }
        if self.security is WifiSecurityState.EAPTLS:
            if self.client_cert is None:
                raise InvalidArgumentError(
                    "client_cert", "nothing", "the ID of the client certificate (eaptls needs one)"
                )
            return
        for argument, value in eaptls.items():
            if value is not None:
                raise InvalidArgumentError(
                    argument, repr(value), f"nothing for a {kind} network (eaptls only)"
                )


@attrs.frozen(kw_only=True)
class RecipeCertificate:
    """A certificate a board must hold, by ID: a ``rootca``, or a ``client`` with its key.

    ``cert`` is the PEM file of the certificate; a client certificate also needs ``key``, the
    PEM file of its private key. The key's password, if it has one, comes from the
    environment variable ``password_env`` names, else from the secrets file's
    ``[certificates]`` table (by ID).
    """

    id: str = attrs.field(converter=_cert_id)
    type: CertificateType = attrs.field(converter=_cert_type)
    cert: Path = attrs.field(converter=_cert_file)
    key: Path | None = attrs.field(default=None, converter=_key_file)
    password_env: str | None = attrs.field(default=None, converter=_password_env)

    def __attrs_post_init__(self) -> None:
        if self.type is CertificateType.CLIENT and self.key is None:
            raise InvalidArgumentError(
                "key", "nothing", "the PEM file of the client certificate's private key"
            )
        if self.type is CertificateType.ROOT_CA:
            for argument, value in (("key", self.key), ("password_env", self.password_env)):
                if value is not None:
                    raise InvalidArgumentError(
                        argument, "a value", "nothing: a rootca certificate has no private key"
                    )


def _duplicates(values: Iterable[str]) -> list[str]:
    return sorted(value for value, count in Counter(values).items() if count > 1)


@attrs.frozen(kw_only=True)
class Recipe:
    """The state a board should be in; every part is optional.

    ``os_versions``: the allowed OS versions (none: any). ``os_releases``: Microsoft's list of
    OS releases (the ``mt3620an.json`` format), to tell the OS of boards whose REST API has no
    ``/osversion`` (before 4.5.0) from their images; it is never downloaded. ``apps``: the
    image packages that must be installed. ``wifi`` and ``certificates``: what a board must
    have configured. ``other_apps``, ``other_wifi``, ``other_certificates``: whether anything
    else may stay. ``allowed_capabilities``: the capability numbers a board may hold (none by
    default). ``manufacturing_state``: the state a board must end in; moving it is always the
    last step and needs an explicit confirmation. ``secrets``: a TOML file with the Wi-Fi keys
    (``[wifi]``, by SSID) and key passwords (``[certificates]``, by ID). ``station``: the
    station's part (:class:`RecipeStation`; ``plan`` and ``apply`` do not use it).
    """

    os_versions: tuple[str, ...] = attrs.field(default=(), converter=_os_versions)
    os_releases: Path | None = attrs.field(default=None, converter=_os_releases)
    apps: tuple[RecipeApp, ...] = attrs.field(default=(), converter=_apps)
    other_apps: Others = attrs.field(default=Others.KEEP, converter=_other_apps)
    wifi: tuple[RecipeWifi, ...] = attrs.field(default=(), converter=_wifi)
    other_wifi: Others = attrs.field(default=Others.KEEP, converter=_other_wifi)
    certificates: tuple[RecipeCertificate, ...] = attrs.field(default=(), converter=_certificates)
    other_certificates: Others = attrs.field(default=Others.KEEP, converter=_other_certificates)
    allowed_capabilities: tuple[int, ...] = attrs.field(default=(), converter=_capabilities)
    manufacturing_state: ManufacturingState | None = attrs.field(
        default=None,
        converter=_manufacturing_state,
    )
    secrets: Path | None = attrs.field(default=None, converter=_secrets)
    station: RecipeStation | None = attrs.field(default=None, converter=_station)
    source: RecipeSource | None = attrs.field(default=None, eq=False, repr=False)
    """The file and text the recipe was read from (``None`` for one made in Python)."""

    def __attrs_post_init__(self) -> None:
        checks = (
            ("apps", "package", [str(app.package) for app in self.apps]),
            ("wifi", "ssid", [network.ssid for network in self.wifi]),
            ("certificates", "id", [cert.id for cert in self.certificates]),
        )
        for part, key, values in checks:
            repeated = _duplicates(values)
            if repeated:
                index = max(i for i, v in enumerate(values) if v == repeated[0])
                raise InvalidArgumentError(
                    f"{part}[{index}].{key}", repr(repeated[0]), f"each {key} listed once"
                )

    def relative_to(self, base: Path) -> Recipe:
        """The same recipe with every relative file path taken from ``base``."""

        def rebase(path: Path) -> Path:
            return path if path.is_absolute() else base / path

        def maybe(path: Path | None) -> Path | None:
            return None if path is None else rebase(path)

        return attrs.evolve(
            self,
            os_releases=maybe(self.os_releases),
            secrets=maybe(self.secrets),
            station=None if self.station is None else self.station.relative_to(base),
            apps=tuple(attrs.evolve(app, package=rebase(app.package)) for app in self.apps),
            certificates=tuple(
                attrs.evolve(cert, cert=rebase(cert.cert), key=maybe(cert.key))
                for cert in self.certificates
            ),
        )
