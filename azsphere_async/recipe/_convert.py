"""Converters the recipe's classes share: each checks a value and names what is allowed."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from ..errors import InvalidArgumentError

__all__ = ["shown", "to_environment_name", "to_instance", "to_items", "to_path"]

T = TypeVar("T")

# An environment variable's name, as POSIX shells write them.
_ENVIRONMENT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


def shown(value: object) -> str:
    """A value as messages show it (its repr, cut at 60 characters)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def to_path(value: object, argument: str) -> Path:
    """A non-empty path."""
    if isinstance(value, str | os.PathLike) and str(value).strip():
        return Path(value)
    raise InvalidArgumentError(argument, shown(value), "the path of a file")


def to_items(value: object, argument: str, check: Callable[[object], T]) -> tuple[T, ...]:
    """A list (never one string) with each item checked by ``check``."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidArgumentError(argument, shown(value), "a list, not one value")
    return tuple(check(item) for item in value)


def to_environment_name(value: object, argument: str) -> str | None:
    """The name of the environment variable holding a secret (the value is never shown)."""
    if value is None:
        return None
    if isinstance(value, str) and _ENVIRONMENT_NAME.fullmatch(value):
        return value
    # This may be a secret written where its variable's name belongs: never echo it.
    raise InvalidArgumentError(
        argument,
        "a value that is not shown",
        "the name of an environment variable (letters, digits and '_', not starting "
        "with a digit) that holds the secret, never the secret itself",
    )


def to_instance(value: object, cls: type[T], argument: str) -> T:
    """A recipe part given as its own class (the TOML loader makes them)."""
    if isinstance(value, cls):
        return value
    raise InvalidArgumentError(argument, type(value).__name__, f"{cls.__name__} objects")
