"""Where a recipe came from, to point at the line of a problem in its text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

import attrs

__all__ = ["RecipeSource"]

_PATH_PART: Final = re.compile(r"([A-Za-z0-9_-]+)(?:\[(\d+)\])?")


@attrs.frozen
class RecipeSource:
    """Where a recipe came from: its file and text, to point at lines in messages."""

    path: str
    text: str = attrs.field(repr=False)

    def line_of(self, where: str) -> int | None:
        """The line (from 1) where the key ``where`` (``wifi[1].ssid``) is written, if found."""
        return _find_line(self.text.splitlines(), where)

    def problem(self, where: str, message: str) -> str:
        """``FILE:LINE: WHERE: MESSAGE`` (without the line when it is not found)."""
        line = self.line_of(where) if where else None
        place = f"{self.path}:{line}" if line is not None else self.path
        return f"{place}: {where}: {message}" if where else f"{place}: {message}"


_HEADER: Final = re.compile(r"\s*\[(\[)?\s*([A-Za-z0-9_.\"' -]+?)\s*\]")
_KEY_LINE: Final = re.compile(r"\s*([A-Za-z0-9_-]+|\"[^\"]*\")\s*[.=]")


def _headers(lines: list[str]) -> Iterator[tuple[int, str, bool]]:
    for number, line in enumerate(lines):
        match = _HEADER.match(line)
        if match and not _KEY_LINE.match(line):
            yield number, match.group(2).strip("\"'"), bool(match.group(1))


def _key_in(lines: list[str], key: str, start: int, end: int) -> int | None:
    for number in range(start, end):
        match = _KEY_LINE.match(lines[number])
        if match and match.group(1).strip('"') == key:
            return number
    return None


def _find_line(lines: list[str], where: str) -> int | None:
    parts = [_PATH_PART.fullmatch(part) for part in where.split(".")]
    if not parts or any(part is None for part in parts):
        return None
    first = parts[0]
    assert first is not None
    name, index = first.group(1), first.group(2)
    headers = list(_headers(lines))
    top_end = headers[0][0] if headers else len(lines)
    if index is not None:
        tables = [h for h in headers if h[1] == name and h[2]]
        if int(index) < len(tables):
            start = tables[int(index)][0]
            later = [h[0] for h in headers if h[0] > start]
            end = later[0] if later else len(lines)
            if len(parts) > 1 and parts[1] is not None:
                found = _key_in(lines, parts[1].group(1), start + 1, end)
                if found is not None:
                    return found + 1
            return start + 1
    plain = [h[0] for h in headers if h[1] == name and not h[2]]
    if plain:
        start = plain[0]
        if len(parts) > 1 and parts[1] is not None:
            later = [h[0] for h in headers if h[0] > start]
            found = _key_in(lines, parts[1].group(1), start + 1, later[0] if later else len(lines))
            if found is not None:
                return found + 1
        return start + 1
    found = _key_in(lines, name, 0, top_end)
    if found is None:
        found = _key_in(lines, name, 0, len(lines))
    return None if found is None else found + 1
