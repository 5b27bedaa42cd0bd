"""The one cattrs converter that turns device JSON into models and models back into JSON."""

from __future__ import annotations

import reprlib
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, get_args, get_origin

import cattrs
from cattrs.errors import IterableValidationError, IterableValidationNote
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._wire import TolerantStrEnum, bare_string_field, wire_layout, wired_classes

__all__ = ["DecodeStopped", "checkpoint", "make_converter", "stoppable"]


class DecodeStopped(BaseException):
    """Structuring stopped because the call waiting for it has gone (see :func:`stoppable`).

    A ``BaseException``, like a cancellation, so that cattrs does not collect it as one more
    field's error and carry on structuring.
    """


# A large answer is decoded in a worker thread, which the call abandons if it is cancelled;
# every model (and every JSON object parsed) checks the thread's stop event, so an abandoned
# decode ends within one model instead of running on for seconds.
_worker = threading.local()


@contextmanager
def stoppable(stop: threading.Event) -> Iterator[None]:
    """In this block, decoding in this thread raises :class:`DecodeStopped` once ``stop`` is set."""
    _worker.stop = stop
    try:
        yield
    finally:
        _worker.stop = None


def checkpoint() -> None:
    """Raise :class:`DecodeStopped` if this thread's decode was told to stop."""
    stop: threading.Event | None = getattr(_worker, "stop", None)
    if stop is not None and stop.is_set():
        raise DecodeStopped


# Values in messages are cut short: an answer's misfit may be megabytes long.
_BRIEF = reprlib.Repr()
_BRIEF.maxlevel, _BRIEF.maxstring, _BRIEF.maxother = 2, 40, 40
_brief = _BRIEF.repr


def _got(value: Any) -> str:
    return f"{type(value).__name__} {_brief(value)}"


def _structure_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {_got(value)}")
    return value


def _structure_int(value: Any, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {_got(value)}")
    return value


def _structure_float(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {_got(value)}")
    return float(value)


def _structure_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {_got(value)}")
    return value


def _structure_enum(value: Any, cls: type[TolerantStrEnum]) -> TolerantStrEnum:
    if not isinstance(value, str):
        raise TypeError(f"expected a string for {cls.__name__}, got {_got(value)}")
    return cls(value)


def _unstructure_enum(member: TolerantStrEnum) -> str:
    return str(member.value)


def _is_homogeneous_tuple(cls: Any) -> bool:
    args = get_args(cls)
    return get_origin(cls) is tuple and len(args) == 2 and args[1] is Ellipsis


def _make_tuple_hook(converter: cattrs.Converter) -> Callable[[Any], Callable[[Any, Any], Any]]:
    def factory(cls: Any) -> Callable[[Any, Any], Any]:
        item_type = get_args(cls)[0]
        structure_item = converter.get_structure_hook(item_type)

        def structure_array(value: Any, _: Any) -> tuple[Any, ...]:
            # cattrs would take any iterable; a string or an object is not a JSON array.
            if not isinstance(value, list | tuple):
                raise TypeError(f"expected a JSON array, got {_got(value)}")
            items = []
            for index, item in enumerate(value):
                try:
                    items.append(structure_item(item, item_type))
                except Exception as exc:
                    # The first misfit says what is wrong. cattrs would go on and collect
                    # every item's error: minutes and gigabytes for a long hostile array.
                    exc.add_note(IterableValidationNote(f"item {index}", index, item_type))
                    raise IterableValidationError(f"while structuring {cls}", [exc], cls) from None
            return tuple(items)

        return structure_array

    return factory


def _ignore_type(read: Callable[[Any], Any]) -> Callable[[Any, Any], Any]:
    def structure_field(value: Any, _: Any) -> Any:
        return read(value)

    return structure_field


def _overrides(cls: type, *, for_structure: bool) -> dict[str, Any]:
    """cattrs attribute overrides: JSON names, and the codecs of specially encoded fields."""
    result: dict[str, Any] = {}
    for name, field in wire_layout(cls).items():
        codec = field.codec
        if codec is None:
            result[name] = override(rename=field.name)
        elif for_structure:
            result[name] = override(rename=field.name, struct_hook=_ignore_type(codec.structure))
        else:
            result[name] = override(rename=field.name, unstruct_hook=codec.unstructure)
    return result


def _make_model_structure(
    converter: cattrs.Converter,
) -> Callable[[Any], Callable[[Any, Any], Any]]:
    def factory(cls: Any) -> Callable[[Any, Any], Any]:
        generated = make_dict_structure_fn(cls, converter, **_overrides(cls, for_structure=True))
        bare_field = bare_string_field(cls)
        bare_key = None if bare_field is None else wire_layout(cls)[bare_field].name

        def structure_model(value: Any, _: Any) -> Any:
            checkpoint()
            if bare_key is not None and isinstance(value, str):
                value = {bare_key: value}
            if not isinstance(value, Mapping):
                raise TypeError(f"expected a JSON object for {cls.__name__}, got {_got(value)}")
            return generated(value, cls)

        return structure_model

    return factory


def _make_model_unstructure(converter: cattrs.Converter) -> Callable[[Any], Callable[[Any], Any]]:
    def factory(cls: Any) -> Callable[[Any], Any]:
        return make_dict_unstructure_fn(
            cls, converter, _cattrs_omit_if_default=True, **_overrides(cls, for_structure=False)
        )

    return factory


def make_converter() -> cattrs.Converter:
    """Build the converter: strict JSON types, tolerant enums, device field names, no ``None``s.

    Structuring checks JSON types strictly (a string is never taken for a number or a
    boolean), ignores fields it does not know, and keeps unknown enum values. Unstructuring
    writes the device's field names and leaves out fields that are ``None``.
    """
    converter = cattrs.Converter(forbid_extra_keys=False)
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(float, _structure_float)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook(TolerantStrEnum, _structure_enum)
    converter.register_unstructure_hook(TolerantStrEnum, _unstructure_enum)
    converter.register_structure_hook_factory(_is_homogeneous_tuple, _make_tuple_hook(converter))
    models = wired_classes()
    converter.register_structure_hook_factory(
        lambda cls: cls in models, _make_model_structure(converter)
    )
    converter.register_unstructure_hook_factory(
        lambda cls: cls in models, _make_model_unstructure(converter)
    )
    return converter
