"""REST API versions: parsing the ``REST-API-Version`` header and comparing versions."""

from __future__ import annotations

import re

import attrs

__all__ = ["RestApiVersion"]

_VERSION = re.compile(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?\s*$")


@attrs.frozen(order=True)
class RestApiVersion:
    """A device REST API version such as ``4.6.0``; versions compare in numeric order."""

    major: int
    minor: int
    patch: int = 0

    @classmethod
    def parse(cls, text: str) -> RestApiVersion:
        """Parse ``"4.6.0"`` (or ``"4.6"``); raise ``ValueError`` for anything else."""
        match = _VERSION.match(text)
        if match is None:
            raise ValueError(f"not a REST API version: {text!r} (expected MAJOR.MINOR.PATCH)")
        major, minor, patch = match.groups()
        return cls(int(major), int(minor), int(patch or 0))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"
