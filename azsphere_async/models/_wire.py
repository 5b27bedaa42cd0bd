"""How models map to the device's JSON: field names, special encodings and tolerant enums.

Every model class is decorated with :func:`wire`, which records the JSON name of each
attribute (camelCase of the attribute name unless told otherwise) and any special encoding.
The shared converter in :mod:`azsphere_async.models._converter` reads these records.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import attrs

__all__ = [
    "CERT_TIMESTAMP",
    "DECIMAL_STRING",
    "WIFI_TIMESTAMP",
    "TolerantStrEnum",
    "WireCodec",
    "WireField",
    "bare_string_field",
    "wire",
    "wire_layout",
    "wired_classes",
]

C = TypeVar("C", bound=type)


class TolerantStrEnum(enum.StrEnum):
    """A string enum that keeps values it does not know instead of failing.

    A newer device may send a value this library has never seen; looking it up creates a
    pseudo-member whose value is the raw string, so parsing never breaks on it.
    ``is_known`` tells the documented members from such pseudo-members.
    """

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        pseudo = str.__new__(cls, value)
        pseudo._name_ = value
        pseudo._value_ = value
        return pseudo

    @property
    def is_known(self) -> bool:
        """Whether this value is one the API description documents."""
        return self._value_ in type(self)._value2member_map_


@attrs.frozen
class WireCodec:
    """A special encoding of one JSON value: how to read it and how to write it back."""

    structure: Callable[[Any], Any]
    unstructure: Callable[[Any], Any]


@attrs.frozen
class WireField:
    """What :func:`wire` knows about one attribute: its JSON name and an optional codec."""

    name: str
    codec: WireCodec | None = None


_LAYOUTS: dict[type, dict[str, WireField]] = {}
_BARE_STRING_FIELDS: dict[type, str] = {}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def wire(
    *,
    style: Literal["camel", "snake"] = "camel",
    bare_string: str | None = None,
    **fields: str | WireCodec | WireField,
) -> Callable[[C], C]:
    """Record how an attrs model's attributes are named (and encoded) in the device's JSON.

    ``style`` gives the default JSON name of each attribute: ``"camel"`` turns
    ``real_time_core`` into ``realTimeCore``; ``"snake"`` keeps it. A keyword argument per
    attribute overrides this with a JSON name, a :class:`WireCodec`, or both as a
    :class:`WireField`. ``bare_string`` names an attribute that a bare JSON string stands
    for, where an answer may be that string instead of an object.
    """

    def decorate(cls: C) -> C:
        layout: dict[str, WireField] = {}
        for attribute in attrs.fields(cls):
            default_name = attribute.name if style == "snake" else _camel(attribute.name)
            given = fields.pop(attribute.name, None)
            if isinstance(given, str):
                layout[attribute.name] = WireField(given)
            elif isinstance(given, WireCodec):
                layout[attribute.name] = WireField(default_name, given)
            elif isinstance(given, WireField):
                layout[attribute.name] = given
            else:
                layout[attribute.name] = WireField(default_name)
        if fields:
            raise TypeError(f"{cls.__name__} has no attributes named {sorted(fields)}")
        if bare_string is not None:
            if bare_string not in layout:
                raise TypeError(f"{cls.__name__} has no attribute named {bare_string!r}")
            _BARE_STRING_FIELDS[cls] = bare_string
        _LAYOUTS[cls] = layout
        return cls

    return decorate


def wire_layout(cls: type) -> dict[str, WireField]:
    """The JSON layout recorded for a model class (attribute name -> :class:`WireField`)."""
    return _LAYOUTS[cls]


def bare_string_field(cls: type) -> str | None:
    """The attribute a bare JSON string stands for in this model, if :func:`wire` named one."""
    return _BARE_STRING_FIELDS.get(cls)


def wired_classes() -> frozenset[type]:
    """Every class decorated with :func:`wire`."""
    return frozenset(_LAYOUTS)


# -- special encodings ------------------------------------------------------------------


def _decimal_from_wire(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]+\s*", value):
        return int(value)
    raise ValueError(f"expected a decimal number as a string, got {value!r}")


def _parse_timestamp(value: Any, *, what: str) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"expected a {what} timestamp string, got {value!r}")
    text = value.strip()
    # RFC 3339 (the format date-time of the API description) allows a lower-case "z" for
    # UTC, which fromisoformat does not read.
    if text.endswith("z"):
        text = text[:-1] + "Z"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"cannot read {value!r} as a {what} timestamp") from None
    # A timestamp without a zone is the device's clock, which runs on UTC.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _wifi_time_from_wire(value: Any) -> datetime:
    return _parse_timestamp(value, what="Wi-Fi log (like '2000-01-01t00:04:37+0000')")


def _time_text(value: datetime, separator: str) -> str:
    """Date and time as fromisoformat reads them back: a four-digit year (strftime's %Y
    writes year 88 as "88"), and the microseconds when there are any."""
    fraction = f".{value.microsecond:06d}" if value.microsecond else ""
    return f"{value.year:04d}{value.strftime(f'-%m-%d{separator}%H:%M:%S')}{fraction}"


def _wifi_time_to_wire(value: datetime) -> str:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return _time_text(aware, "t") + aware.strftime("%z")


def _cert_time_from_wire(value: Any) -> datetime:
    return _parse_timestamp(value, what="certificate validity (like '2022-04-12T08:31:54')")


def _cert_time_to_wire(value: datetime) -> str:
    utc = value.astimezone(UTC) if value.tzinfo is not None else value
    return _time_text(utc, "T")


#: A whole number sent as a decimal string, such as ``"24514"``.
DECIMAL_STRING = WireCodec(_decimal_from_wire, str)

#: Wi-Fi failure log times, written ``2000-01-01t00:04:37+0000``; read as aware datetimes.
WIFI_TIMESTAMP = WireCodec(_wifi_time_from_wire, _wifi_time_to_wire)

#: Certificate validity times, written ``2022-04-12T08:31:54`` in UTC; read as aware datetimes.
CERT_TIMESTAMP = WireCodec(_cert_time_from_wire, _cert_time_to_wire)
