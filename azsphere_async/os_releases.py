"""Telling a board's OS release from its images, with Microsoft's list of releases.

Boards whose REST API is older than 4.5.0 have no ``GET /osversion``. Their release shows in
``GET /images``: each release installs a known set of components, each with a known image.
Microsoft publishes that list as ``mt3620an.json`` (``download_os_list.py`` in
Azure/azure-sphere-tools fetches it; ``device_ready.py`` reads it)::

    {"versions": [{"name": "24.03", "images": [{"cid": COMPONENT_ID, "iid": IMAGE_ID}, ...]}]}

This library never downloads it: point :meth:`OsReleases.load` at a copy. A release matches
a board when every one of its component and image pairs is on the board; when several do,
the one with the most pairs wins (then the first in the file).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

import attrs

from .errors import InvalidArgumentError
from .models import ComponentDetails

__all__ = ["OsRelease", "OsReleases"]

_UUID: Final = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_FORMAT: Final = (
    'Microsoft\'s list of OS releases (mt3620an.json): {"versions": [{"name": "24.03", '
    '"images": [{"cid": "...", "iid": "..."}]}]}'
)


@attrs.frozen
class OsRelease:
    """One OS release: its name and the (component ID, image ID) pairs it installs."""

    name: str
    images: frozenset[tuple[str, str]]


def _refuse(source: str, what: str) -> InvalidArgumentError:
    return InvalidArgumentError("os_releases", f"{source} ({what})", _FORMAT)


def _uid(value: object, source: str, where: str) -> str:
    if isinstance(value, str) and _UUID.fullmatch(value):
        return value.lower()
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    raise _refuse(source, f"{where} is {shown}, not a UUID")


@attrs.frozen
class OsReleases:
    """Microsoft's list of OS releases, read from a file in the ``mt3620an.json`` format."""

    releases: tuple[OsRelease, ...]
    source: str = "the list of OS releases"

    @classmethod
    def from_json(cls, data: Any, source: str = "the list of OS releases") -> OsReleases:
        """The releases in already-parsed JSON data; every mistake is named."""
        versions = data.get("versions") if isinstance(data, dict) else None
        if not isinstance(versions, list):
            raise _refuse(source, 'no "versions" list')
        releases = []
        for index, version in enumerate(versions):
            where = f"versions[{index}]"
            if not isinstance(version, dict):
                raise _refuse(source, f"{where} is not an object")
            name, images = version.get("name"), version.get("images")
            if not isinstance(name, str) or not name:
                raise _refuse(source, f'{where} has no "name"')
            if not isinstance(images, list) or not images:
                raise _refuse(source, f'{where} ({name}) has no "images" list')
            pairs = set()
            for number, image in enumerate(images):
                spot = f"{where}.images[{number}]"
                if not isinstance(image, dict):
                    raise _refuse(source, f"{spot} is not an object")
                pairs.add(
                    (
                        _uid(image.get("cid"), source, f"{spot}.cid"),
                        _uid(image.get("iid"), source, f"{spot}.iid"),
                    )
                )
            releases.append(OsRelease(name, frozenset(pairs)))
        if not releases:
            raise _refuse(source, "no releases")
        return cls(tuple(releases), source)

    @classmethod
    def load(cls, path: str | Path) -> OsReleases:
        """Read the list from ``path``; a missing, unreadable or malformed file is refused."""
        shown = repr(str(path))
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise _refuse(shown, "no such file") from None
        except (OSError, UnicodeDecodeError) as exc:
            problem = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8"
            raise _refuse(shown, f"unreadable: {problem}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _refuse(shown, f"not JSON: {exc.msg} at line {exc.lineno}") from None
        return cls.from_json(data, shown)

    @property
    def names(self) -> tuple[str, ...]:
        """Every release's name, in the file's order."""
        return tuple(release.name for release in self.releases)

    def identify(self, components: Iterable[ComponentDetails]) -> OsRelease | None:
        """The release whose images are all on a board with these components, if any."""
        on_board = {
            ((component.uid or "").lower(), (image.uid or "").lower())
            for component in components
            for image in component.images or ()
        }
        best: OsRelease | None = None
        for release in self.releases:
            if release.images <= on_board and (
                best is None or len(release.images) > len(best.images)
            ):
                best = release
        return best
