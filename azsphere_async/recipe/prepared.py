"""A recipe with its files read: packages, certificates, the OS releases and the secrets.

:func:`prepare_recipe` reads everything a recipe names, once, before any board is contacted:
each image package's metadata (its image ID is the package's identity), each certificate's
PEM text, the list of OS releases, and every Wi-Fi key and key password. A fleet prepares a
recipe once for all its boards. Every problem found is reported together, with the recipe's
file and line.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import attrs

from ..errors import InvalidArgumentError, RecipeError
from ..imagepackage import ImagePackageInfo, inspect_image
from ..models import CertificateType
from ..os_releases import OsReleases
from .model import Recipe, RecipeApp, RecipeCertificate, RecipeWifi
from .secrets import RecipeSecrets, Secret, read_secrets

__all__ = ["PreparedApp", "PreparedCertificate", "PreparedRecipe", "prepare_recipe"]

logger = logging.getLogger("azsphere_async.recipe")

#: The longest PEM text the device takes for a certificate or a key.
MAX_PEM_CHARACTERS: Final = 8192


@attrs.frozen
class PreparedApp:
    """A recipe's application with its package's metadata (read from the file's tail)."""

    app: RecipeApp
    package: ImagePackageInfo

    @property
    def image_id(self) -> str:
        """The package's image ID: a board with this image installed needs nothing sent."""
        return self.package.image_id

    @property
    def name(self) -> str:
        """The package's name (or its component ID when it has none)."""
        return self.package.name or self.package.component_id


@attrs.frozen
class PreparedCertificate:
    """A recipe's certificate with its PEM text; the key and its password stay hidden."""

    spec: RecipeCertificate
    public_cert: str = attrs.field(repr=False)
    private_key: Secret | None = None
    password: Secret | None = None


@attrs.frozen
class PreparedRecipe:
    """A recipe whose files and secrets were read and checked; ready for any number of boards."""

    recipe: Recipe
    apps: tuple[PreparedApp, ...]
    certificates: tuple[PreparedCertificate, ...]
    secrets: RecipeSecrets = attrs.field(repr=False)
    os_releases: OsReleases | None = None

    @property
    def source(self) -> str:
        """The recipe's file, or ``"the recipe"`` for one made in Python."""
        return self.recipe.source.path if self.recipe.source is not None else "the recipe"

    def wifi(self, ssid: str) -> RecipeWifi:
        """The recipe's network with this SSID."""
        return next(network for network in self.recipe.wifi if network.ssid == ssid)

    def app(self, image_id: str) -> PreparedApp:
        """The recipe's application whose package has this image ID."""
        return next(app for app in self.apps if app.image_id == image_id)

    def certificate(self, cert_id: str) -> PreparedCertificate:
        """The recipe's certificate with this ID."""
        return next(cert for cert in self.certificates if cert.spec.id == cert_id)


class _Problems:
    """Problems found while preparing, each pointed at the recipe's line for its key."""

    def __init__(self, recipe: Recipe) -> None:
        self.recipe = recipe
        self.lines: list[str] = []

    def add(self, where: str, message: str) -> None:
        source = self.recipe.source
        if source is not None:
            self.lines.append(source.problem(where, message))
        else:
            self.lines.append(f"recipe: {where}: {message}")

    def refused(self, where: str, exc: InvalidArgumentError) -> None:
        self.add(where, f"got {exc.given}; expected {exc.allowed}")


def _pem(path: Path, kind: str) -> str:
    """A PEM file's text, checked; the message names the file, never its content."""
    shown = repr(str(path))
    allowed = f"a PEM file with a {kind} (at most {MAX_PEM_CHARACTERS} characters)"
    try:
        raw = path.read_bytes()[: 4 * MAX_PEM_CHARACTERS + 1]
        text = raw.decode("ascii")
    except FileNotFoundError:
        raise InvalidArgumentError("file", f"{shown} (no such file)", allowed) from None
    except (OSError, UnicodeDecodeError) as exc:
        problem = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not ASCII text"
        raise InvalidArgumentError("file", f"{shown} ({problem})", allowed) from None
    if "-----BEGIN " not in text or "-----END " not in text:
        raise InvalidArgumentError("file", f"{shown} (no -----BEGIN/-----END lines)", allowed)
    if len(text) > MAX_PEM_CHARACTERS:
        raise InvalidArgumentError("file", f"{shown} ({len(text)} characters)", allowed)
    return text


def _apps(recipe: Recipe, problems: _Problems) -> tuple[PreparedApp, ...]:
    prepared: list[PreparedApp] = []
    for index, app in enumerate(recipe.apps):
        try:
            package = inspect_image(app.package)
        except InvalidArgumentError as exc:
            problems.refused(f"apps[{index}].package", exc)
            continue
        for earlier in prepared:
            if earlier.package.component_id == package.component_id:
                problems.add(
                    f"apps[{index}].package",
                    f"{package.name or 'this package'} is component {package.component_id}, "
                    f"as {earlier.app.package} is; a board holds one image per component",
                )
        prepared.append(PreparedApp(app, package))
    return tuple(prepared)


def _certificates(
    recipe: Recipe, secrets: RecipeSecrets, problems: _Problems
) -> tuple[PreparedCertificate, ...]:
    prepared = []
    for index, cert in enumerate(recipe.certificates):
        try:
            public = _pem(cert.cert, "certificate")
        except InvalidArgumentError as exc:
            problems.refused(f"certificates[{index}].cert", exc)
            continue
        key: Secret | None = None
        if cert.type is CertificateType.CLIENT and cert.key is not None:
            try:
                key = Secret(_pem(cert.key, "private key"))
            except InvalidArgumentError as exc:
                problems.refused(f"certificates[{index}].key", exc)
                continue
        prepared.append(PreparedCertificate(cert, public, key, secrets.cert_passwords.get(cert.id)))
    return tuple(prepared)


def _os_releases(recipe: Recipe, problems: _Problems) -> OsReleases | None:
    if recipe.os_releases is None:
        return None
    try:
        releases = OsReleases.load(recipe.os_releases)
    except InvalidArgumentError as exc:
        problems.refused("os_releases", exc)
        return None
    unknown = [version for version in recipe.os_versions if version not in releases.names]
    if unknown:
        # As Microsoft's device_ready.py does: a warning, since /osversion may still tell.
        logger.warning(
            "OS versions %s are not releases in %s (it lists %s)",
            ", ".join(unknown),
            releases.source,
            ", ".join(releases.names),
        )
    return releases


def prepare_recipe(
    recipe: Recipe | PreparedRecipe, environ: Mapping[str, str] | None = None
) -> PreparedRecipe:
    """Read and check every file and secret ``recipe`` names; nothing is sent anywhere.

    ``environ`` is where ``key_env`` and ``password_env`` are looked up (default
    ``os.environ``). Raises :class:`~azsphere_async.errors.RecipeError` listing every problem
    (a package that is missing or not a package, two packages of one component, a PEM file
    that is not one, an unreadable list of OS releases, a key that cannot be found or is not
    a valid key), each with the recipe's file and line. A prepared recipe is returned as it is.
    """
    if isinstance(recipe, PreparedRecipe):
        return recipe
    if not isinstance(recipe, Recipe):
        raise InvalidArgumentError("recipe", type(recipe).__name__, "a Recipe or PreparedRecipe")
    problems = _Problems(recipe)
    try:
        secrets = read_secrets(recipe, os.environ if environ is None else environ)
    except InvalidArgumentError as exc:
        problems.refused(exc.argument, exc)
        secrets = RecipeSecrets()
    apps = _apps(recipe, problems)
    certificates = _certificates(recipe, secrets, problems)
    releases = _os_releases(recipe, problems)
    if problems.lines:
        source = recipe.source.path if recipe.source is not None else "recipe"
        raise RecipeError(source, problems.lines)
    return PreparedRecipe(recipe, apps, certificates, secrets, releases)
