"""A recipe's secrets: Wi-Fi keys and key passwords, from the environment or a secrets file.

A recipe never holds a secret. A Wi-Fi network names the environment variable with its key
(``key_env``), or the recipe names a secrets file, a TOML file of its own::

    [wifi]
    LineWifi = "the network's key"

    [certificates]
    LineClient = "the private key's password"

Secrets are read once, before any board is contacted, into :class:`Secret` objects whose
``repr`` and ``str`` never show them; messages about a missing or bad secret say where it was
looked for and never what it is.
"""

from __future__ import annotations

import hmac
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import attrs

from ..errors import InvalidArgumentError
from ..models import WifiSecurityState
from ..validation import check_psk, check_text
from .model import Recipe

__all__ = ["RecipeSecrets", "Secret", "read_secrets"]

_TABLES: Final = ("wifi", "certificates")


class Secret:
    """A secret string that never shows itself: ``reveal()`` is the only way to read it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself, for the one request that sends it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret(<hidden>)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(Secret)

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("a Secret is not pickled")


@attrs.frozen
class RecipeSecrets:
    """The secrets a recipe needs: each PSK network's key, each client key's password."""

    wifi_keys: Mapping[str, Secret] = attrs.field(factory=dict)
    cert_passwords: Mapping[str, Secret] = attrs.field(factory=dict)


def _secrets_error(path: Path, where: str, allowed: str) -> InvalidArgumentError:
    return InvalidArgumentError("secrets", f"{str(path)!r}: {where}", allowed)


def _load_secrets_file(path: Path) -> dict[str, dict[str, str]]:
    """The secrets file's tables; every problem is named without showing any value."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise _secrets_error(path, "no such file", "an existing TOML file") from None
    except (OSError, UnicodeDecodeError) as exc:
        problem = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8"
        raise _secrets_error(path, f"unreadable ({problem})", "a readable TOML file") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib names the position and the kind of mistake, never the text around it.
        raise _secrets_error(path, f"not TOML: {exc}", "a TOML file") from None
    tables: dict[str, dict[str, str]] = {}
    for name, table in document.items():
        if name not in _TABLES:
            raise _secrets_error(path, f"a key or table {name!r}", "only [wifi] and [certificates]")
        if not isinstance(table, dict):
            raise _secrets_error(path, f"{name} is not a table", f"a [{name}] table")
        for key, value in table.items():
            if not isinstance(value, str):
                raise _secrets_error(
                    path, f"{name}.{key} is not a string (not shown)", "a string for each entry"
                )
        tables[name] = table
    return tables


def _look_up(
    argument: str,
    env_name: str | None,
    table: str,
    key: str,
    environ: Mapping[str, str],
    tables: dict[str, dict[str, str]] | None,
) -> str | None:
    if env_name is not None:
        if env_name not in environ:
            raise InvalidArgumentError(
                argument, f"${env_name}, which is not set", f"{env_name} set in the environment"
            )
        return environ[env_name]
    if tables is not None and key in tables.get(table, {}):
        return tables[table][key]
    return None


def read_secrets(recipe: Recipe, environ: Mapping[str, str]) -> RecipeSecrets:
    """Find every secret ``recipe`` needs, checked; raises before anything is sent.

    Each ``psk`` network's key comes from its ``key_env`` variable, else from the secrets
    file's ``[wifi]`` table; each client certificate's password from ``password_env``, else
    the ``[certificates]`` table (a key without a password needs neither).
    """
    tables = None if recipe.secrets is None else _load_secrets_file(recipe.secrets)
    wifi_keys: dict[str, Secret] = {}
    for index, network in enumerate(recipe.wifi):
        if network.security is not WifiSecurityState.PSK:
            continue
        argument = f"wifi[{index}]" + (".key_env" if network.key_env is not None else "")
        key = _look_up(argument, network.key_env, "wifi", network.ssid, environ, tables)
        if key is None:
            where = f"no key for {network.ssid!r}: no key_env" + (
                f" and no {network.ssid!r} in the secrets file's [wifi] table"
                if recipe.secrets is not None
                else " and no secrets file"
            )
            raise InvalidArgumentError(
                argument,
                where,
                'key_env = "VARIABLE" naming the environment variable with the key, or '
                "the key in the secrets file (secrets = FILE, table [wifi], by SSID)",
            )
        wifi_keys[network.ssid] = Secret(check_psk(key, argument))
    passwords: dict[str, Secret] = {}
    for index, cert in enumerate(recipe.certificates):
        argument = f"certificates[{index}]" + (
            ".password_env" if cert.password_env is not None else ""
        )
        password = _look_up(argument, cert.password_env, "certificates", cert.id, environ, tables)
        if password is not None:
            checked = check_text(password, argument, min_length=1, max_length=256, secret=True)
            passwords[cert.id] = Secret(checked)
    return RecipeSecrets(wifi_keys, passwords)
