"""Keeping secrets out of what is shown: reprs of secret fields, and texts that may hold one."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["hidden", "redact"]


def hidden(value: str | None) -> str:
    """The repr of a secret field: ``'***'`` (or ``None`` when there is none)."""
    return "None" if value is None else "'***'"


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret in it replaced by ``***``, the longest first (so a secret that
    contains another is hidden whole)."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
