"""Property-based round trips of every model through the public converter.

Hypothesis strategies are built from the OpenAPI description itself: for each model, JSON
that its schema allows (types, enums, lengths, patterns, formats, nested objects and arrays)
is structured with :data:`azsphere_async.converter`, written back, and read again:

* the model survives the trip unchanged, for every value the schema allows;
* JSON in the form devices send comes back exactly as it was;
* answers from newer devices (enum values this library has never seen, fields it does not
  know, at any depth) still parse; unknown values are kept and written back, unknown fields
  are dropped.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final, cast

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from azsphere_async import converter
from azsphere_async.models import (
    AppState,
    AppStatus,
    CertificateInfo,
    CertificateSpace,
    NetworkProxy,
    TolerantStrEnum,
    WifiNetworkRequest,
)
from azsphere_async.models._wire import wire_layout, wired_classes
from tests.openapi_schemas import MODEL_SCHEMAS, Location, component, openapi, resolve
from tests.openapi_schemas import at as schema_at

SPEC: Final[dict[str, Any]] = openapi()
PROPERTIES = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: Field names of newer devices carry this prefix, so the expected JSON can drop them.
NEWER: Final = "newerDeviceField"

#: Where the OpenAPI description defines each model's JSON: the shared map, and two more.
SCHEMAS: Final[dict[type, Location]] = {
    **MODEL_SCHEMAS,
    # GET /app/status is described as a bare state string; the model reads it (see the last
    # test) and writes the state as the object of the PATCH answer, whose ``state`` this is.
    AppStatus: (
        "inline",
        {"type": "object", "properties": {"state": {"$ref": "#/components/schemas/AppStatus"}}},
    ),
    WifiNetworkRequest: component("PskNetworkRequest"),
}
#: The request body a model covers besides its main schema (each kind of Wi-Fi network).
MORE_SCHEMAS: Final[list[tuple[type, Location]]] = [
    (WifiNetworkRequest, component("OpenNetworkRequest")),
    (WifiNetworkRequest, component("EapTlsNetworkRequest")),
    (NetworkProxy, component("NetworkProxyAnonymous")),
]
ALL_SCHEMAS: Final = [*SCHEMAS.items(), *MORE_SCHEMAS]


def test_every_model_has_a_schema_here() -> None:
    assert set(SCHEMAS) == set(wired_classes())


def _resolve(node: Any) -> Any:
    return resolve(SPEC, node)


def _at(location: Location) -> Any:
    if location[0] == "inline":
        return location[1]
    return schema_at(SPEC, location)


# -- strategies built from the schemas -------------------------------------------------------

offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
moments = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 30), timezones=offsets
)


def _offset(moment: datetime, colon: bool) -> str:
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{':' if colon else ''}{rest:02d}"


@st.composite
def date_times(draw: st.DrawFn, device_form: bool) -> str:
    """RFC 3339 date-times; in device form, what devices send: ``2000-01-01t00:04:37+0000``."""
    moment = draw(moments)
    day = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
    time = f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    if device_form:
        return f"{day}t{time}{_offset(moment, colon=False)}"
    separator = draw(st.sampled_from("Tt"))
    fraction = f".{moment.microsecond:06d}" if draw(st.booleans()) else ""
    zone = draw(st.sampled_from(["Z", "z", _offset(moment, colon=True)]))
    if zone in "Zz":
        moment = moment.replace(tzinfo=UTC)
    return f"{day}{separator}{time}{fraction}{zone}"


@st.composite
def cert_times(draw: st.DrawFn, device_form: bool) -> str:
    """Certificate validity as devices write it (``2022-04-12T08:31:54``, UTC), or ISO forms."""
    moment = draw(moments).astimezone(UTC)
    text = (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    )
    if device_form:
        return text
    fraction = f".{moment.microsecond:06d}" if draw(st.booleans()) else ""
    return text + fraction + draw(st.sampled_from(["", "Z", "+00:00"]))


#: Fields whose JSON is a string with a form the schema does not spell out (all at the top
#: level of their model).
SPECIAL: Final[dict[tuple[type, str], Any]] = {
    (CertificateInfo, "notBefore"): cert_times,
    (CertificateInfo, "notAfter"): cert_times,
    (CertificateSpace, "AvailableSpace"): lambda _: st.integers(0, 2**40).map(str),
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def strategy(
    schema: Any, *, device_form: bool, newer: bool, model: type | None = None
) -> st.SearchStrategy[Any]:
    """JSON the schema allows; ``newer`` adds unknown enum values and unknown fields."""
    schema = _resolve(schema)
    if "allOf" in schema:
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"]:
            part = _resolve(part)
            merged["properties"].update(part.get("properties", {}))
            merged["required"] += part.get("required", [])
        return strategy(merged, device_form=device_form, newer=newer, model=model)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return _object(schema, device_form=device_form, newer=newer, model=model)
    if kind == "array":
        items = strategy(schema["items"], device_form=device_form, newer=newer)
        return st.lists(items, max_size=3)
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        if schema.get("format") == "int32":
            low = -(2**31) if low is None else low
            high = 2**31 - 1 if high is None else high
        return st.integers(low, high)
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False)
    assert kind == "string", schema
    if "enum" in schema:
        known = st.sampled_from(list(schema["enum"]))
        unknown = st.text(string.ascii_letters + "-_", min_size=1, max_size=12).filter(
            lambda v: v not in schema["enum"]
        )
        return st.one_of(known, unknown) if newer else known
    form = schema.get("format")
    if form == "date-time":
        return date_times(device_form)
    if form == "ipv4":
        return st.ip_addresses(v=4).map(str)
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True)
    return st.text(min_size=schema.get("minLength", 0), max_size=schema.get("maxLength", 20))


def _required_by(model: type | None) -> set[str]:
    """The JSON names of the fields a model cannot do without (attributes with no default).

    Request bodies (a proxy needs its address, a certificate its type) and the certificate
    space answer need fields their schemas leave optional; the models require them, as the
    device does, so JSON without them is not generated.
    """
    if model is None:
        return set()
    layout = wire_layout(model)
    return {layout[a.name].name for a in attrs.fields(model) if a.default is attrs.NOTHING}


def _object(
    schema: dict[str, Any], *, device_form: bool, newer: bool, model: type | None
) -> st.SearchStrategy[Any]:
    required: dict[str, Any] = {}
    optional: dict[str, Any] = {}
    needed = set(schema.get("required", [])) | _required_by(model)
    for name, field in schema.get("properties", {}).items():
        special = SPECIAL.get((model, name)) if model is not None else None
        if special is not None:
            value = special(device_form)
        else:
            value = strategy(field, device_form=device_form, newer=newer)
        (required if name in needed else optional)[name] = value
    base = st.fixed_dictionaries(required, optional=optional)
    if not newer:
        return base
    extra = st.dictionaries(
        st.text(string.ascii_letters, max_size=6).map(lambda n: NEWER + n), json_values, max_size=2
    )
    return st.builds(lambda known, more: {**known, **more}, base, extra)


def drop_newer(value: Any) -> Any:
    """The JSON without the fields only newer devices send."""
    if isinstance(value, dict):
        return {k: drop_newer(v) for k, v in value.items() if not k.startswith(NEWER)}
    if isinstance(value, list):
        return [drop_newer(v) for v in value]
    return value


def enum_members(model: object) -> list[TolerantStrEnum]:
    """Every enum value inside a model, nested ones included."""
    found: list[TolerantStrEnum] = []

    def walk(value: object) -> None:
        if isinstance(value, TolerantStrEnum):
            found.append(value)
        elif attrs.has(type(value)):
            for attribute in attrs.fields(cast(Any, type(value))):
                walk(getattr(value, attribute.name))
        elif isinstance(value, tuple):
            for item in value:
                walk(item)

    walk(model)
    return found


_BUILT: dict[tuple[type, str, bool, bool], st.SearchStrategy[Any]] = {}


def _json_of(
    model: type, location: tuple[Any, ...], *, device_form: bool, newer: bool
) -> st.SearchStrategy[Any]:
    """The strategy for one model's JSON, built once."""
    key = (model, repr(location), device_form, newer)
    if key not in _BUILT:
        _BUILT[key] = strategy(_at(location), device_form=device_form, newer=newer, model=model)
    return _BUILT[key]


IDS = [
    f"{model.__name__}-{'inline' if location[0] == 'inline' else location[-1]}"
    for model, location in ALL_SCHEMAS
]


@pytest.mark.parametrize(("model", "location"), ALL_SCHEMAS, ids=IDS)
@PROPERTIES
@given(data=st.data())
def test_every_allowed_value_survives_the_round_trip(
    model: type, location: tuple[Any, ...], data: st.DataObject
) -> None:
    wire = data.draw(_json_of(model, location, device_form=False, newer=False))
    parsed: Any = converter.structure(wire, model)
    again: Any = converter.structure(converter.unstructure(parsed), model)
    assert again == parsed
    assert converter.unstructure(again) == converter.unstructure(parsed)


@pytest.mark.parametrize(("model", "location"), ALL_SCHEMAS, ids=IDS)
@PROPERTIES
@given(data=st.data())
def test_answers_in_the_device_form_come_back_exactly(
    model: type, location: tuple[Any, ...], data: st.DataObject
) -> None:
    wire = data.draw(_json_of(model, location, device_form=True, newer=False))
    assert converter.unstructure(converter.structure(wire, model)) == wire


@pytest.mark.parametrize(("model", "location"), ALL_SCHEMAS, ids=IDS)
@PROPERTIES
@given(data=st.data())
def test_answers_of_newer_devices_still_parse(
    model: type, location: tuple[Any, ...], data: st.DataObject
) -> None:
    wire = data.draw(_json_of(model, location, device_form=True, newer=True))
    parsed: Any = converter.structure(wire, model)
    # Unknown fields are dropped; unknown enum values are kept and written back as they came.
    assert converter.unstructure(parsed) == drop_newer(wire)
    for member in enum_members(parsed):
        assert member.is_known == (member.value in type(member)._value2member_map_)


@PROPERTIES
@given(state=st.text(min_size=1, max_size=20))
def test_a_bare_app_state_of_any_value_parses(state: str) -> None:
    """GET /app/status is described as a bare AppStatus string; newer states are kept."""
    parsed = converter.structure(state, AppStatus)
    assert parsed.state.value == state
    assert parsed.state.is_known == (state in AppState._value2member_map_)
    assert converter.structure(converter.unstructure(parsed), AppStatus) == parsed
