"""Reading a recipe from TOML: tomllib parses, a cattrs converter of the recipe's own builds.

The converter is strict where cattrs is lenient by default: a string is never made from a
number, a list never from a string, an unknown key is an error. Every problem names the
file, the line (tomllib's position for a syntax error; for a bad value, the line where its
key is written) and what is allowed. A Wi-Fi key or password written in the recipe is refused
without ever being shown.
"""

from __future__ import annotations

import enum
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, TypeVar

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError
from cattrs.gen import make_dict_structure_fn, override

from ..errors import InvalidArgumentError, RecipeError
from ..models import CertificateType, ManufacturingState, WifiSecurityState
from .model import MANUFACTURING_STATES, WIFI_SECURITY, Others, Recipe
from .source import RecipeSource
from .station_table import RecipeStation

__all__ = ["load_recipe", "parse_recipe"]

E = TypeVar("E", bound=enum.Enum)

# Keys that would hold a secret; a recipe refuses them without reading their values.
_SECRET_KEYS: Final = {
    "wifi": ("key", "psk", "password", "passphrase", "secret"),
    "certificates": ("password", "key_password", "passphrase", "secret"),
}
_TABLE_ARRAYS: Final = ("apps", "wifi", "certificates")
# Marks an argument name at the start of a formatted message (see _format).
_ARGUMENT: Final = "\x1f"
_TOML_POSITION: Final = re.compile(r"\(at line (\d+), column (\d+)\)")


class _Refused(ValueError):
    """A value of the wrong type or outside the choices; the message says what is allowed."""


def _kind(value: object) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string"}
    names |= {list: "an array", dict: "a table"}
    return names.get(type(value), type(value).__name__)


def _strict(kind: type, allowed: str) -> Callable[[Any, Any], Any]:
    def structure(value: Any, _: Any) -> Any:
        if type(value) is not kind:
            raise _Refused(f"got {_kind(value)}; expected {allowed}")
        return value

    return structure


def _list_of(kind: type, allowed: str) -> Callable[[Any, Any], tuple[Any, ...]]:
    def structure(value: Any, _: Any) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise _Refused(f"got {_kind(value)}; expected an array of {allowed}")
        for number, item in enumerate(value):
            if type(item) is not kind:
                raise _Refused(f"item {number + 1} is {_kind(item)}; expected {allowed}")
        return tuple(value)

    return structure


def _choice(choices: type[E], among: tuple[E, ...], *, fold_case: bool = False) -> Any:
    def structure(value: Any, _: Any) -> E:
        if isinstance(value, str):
            for member in among:
                text = str(member.value)
                if value == text or (fold_case and value.lower() == text.lower()):
                    return member
        shown = repr(value) if isinstance(value, str) else _kind(value)
        allowed = ", ".join(repr(member.value) for member in among)
        raise _Refused(f"got {shown}; expected one of {allowed}")

    return structure


def _number(value: Any, _: Any) -> float:
    if type(value) not in (int, float):
        raise _Refused(f"got {_kind(value)}; expected a number")
    number: float = value  # an int stays one, as written (the field makes it a float)
    return number


def _command(value: Any, _: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        raise _Refused(
            "got a string; expected an array: the program, then each argument, as in "
            '["mes-serial", "--line", "3"] (no shell splits it)'
        )
    return _list_of(str, "strings")(value, _)


def _path(value: Any, _: Any) -> Path:
    if isinstance(value, str) and value.strip():
        return Path(value)
    raise _Refused(
        f"got {_kind(value) if not isinstance(value, str) else 'an empty string'}; "
        "expected the path of a file (relative to the recipe)"
    )


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_structure_hook(str, _strict(str, "a string"))
    converter.register_structure_hook(bool, _strict(bool, "true or false"))
    converter.register_structure_hook(int, _strict(int, "a whole number"))
    converter.register_structure_hook(float, _number)
    converter.register_structure_hook(Path, _path)
    converter.register_structure_hook_func(lambda t: t == tuple[str, ...], _list_of(str, "strings"))
    converter.register_structure_hook_func(
        lambda t: t == tuple[int, ...], _list_of(int, "whole numbers")
    )
    converter.register_structure_hook(Others, _choice(Others, tuple(Others)))
    converter.register_structure_hook(WifiSecurityState, _choice(WifiSecurityState, WIFI_SECURITY))
    converter.register_structure_hook(
        CertificateType, _choice(CertificateType, tuple(CertificateType), fold_case=True)
    )
    converter.register_structure_hook(
        ManufacturingState, _choice(ManufacturingState, MANUFACTURING_STATES)
    )
    converter.register_structure_hook(
        RecipeStation,
        make_dict_structure_fn(
            RecipeStation, converter, serial_command=override(struct_hook=_command)
        ),
    )
    # Where a recipe came from is not part of its text.
    converter.register_structure_hook(
        Recipe, make_dict_structure_fn(Recipe, converter, source=override(omit=True))
    )
    return converter


#: The recipe's own converter (the device models have theirs).
_converter: Final = _make_converter()


def _format(exc: BaseException, _: type | None) -> str:
    """One problem's message for cattrs' ``transform_error``; never a secret's value."""
    if isinstance(exc, ForbiddenExtraKeysError):
        names = sorted(exc.extra_fields)
        allowed = ", ".join(field.name for field in attrs.fields(exc.cl) if field.init)
        allowed = allowed.removesuffix(", source")
        if len(names) == 1:
            return f"{_ARGUMENT}{names[0]}{_ARGUMENT}unknown key; allowed here: {allowed}"
        shown = ", ".join(repr(name) for name in names)
        return f"unknown keys {shown}; allowed here: {allowed}"
    if isinstance(exc, KeyError):
        return "required, but missing"
    if isinstance(exc, InvalidArgumentError):
        return f"{_ARGUMENT}{exc.argument}{_ARGUMENT}got {exc.given}; expected {exc.allowed}"
    if isinstance(exc, _Refused):
        return str(exc)
    return f"not understood ({type(exc).__name__})"


def _located(path: str, message: str) -> tuple[str, str]:
    """The recipe's key path (``wifi[0].ssid``) and message of one formatted problem."""
    where = path.removeprefix("$").removeprefix(".")
    if message.startswith(_ARGUMENT):
        argument, _, message = message[1:].partition(_ARGUMENT)
        if "[" in argument or "." in argument or not where:
            where = argument
        else:
            where = f"{where}.{argument}"
    return where, message


def _shape_problems(document: dict[str, Any], source: RecipeSource) -> list[str]:
    """Problems cattrs would describe poorly: tables, arrays of tables, secrets written inline.

    What is refused is taken out of ``document``, so the rest is still checked and every
    problem is reported at once.
    """
    problems = []
    if "station" in document and not isinstance(document["station"], dict):
        problems.append(
            source.problem(
                "station",
                f"got {_kind(document.pop('station'))}; expected a table, written [station]",
            )
        )
    for name in _TABLE_ARRAYS:
        value = document.get(name)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            problems.append(
                source.problem(
                    name, f"got {_kind(value)}; expected tables, each written [[{name}]]"
                )
            )
            del document[name]
            continue
        for index, entry in enumerate(value):
            for key in _SECRET_KEYS.get(name, ()):
                if key in entry:
                    problems.append(source.problem(f"{name}[{index}].{key}", _secret_refusal(name)))
                    del entry[key]
    return problems


def _line_number(problem: str) -> int:
    """The line a ``FILE:LINE: ...`` problem names (0 when it names none), to sort by."""
    match = re.match(r".*?:(\d+): ", problem)
    return int(match.group(1)) if match else 0


def _secret_refusal(part: str) -> str:
    if part == "wifi":
        return (
            "a Wi-Fi key is never written in a recipe (its value is not shown); name the "
            'environment variable that holds it (key_env = "VARIABLE") or put it in the '
            "secrets file the recipe names (secrets = FILE, table [wifi], by SSID)"
        )
    return (
        "a key password is never written in a recipe (its value is not shown); name the "
        'environment variable that holds it (password_env = "VARIABLE") or put it in the '
        "secrets file (table [certificates], by ID)"
    )


def parse_recipe(text: str, *, source: str = "<recipe>", base: Path | None = None) -> Recipe:
    """Build a recipe from TOML text; relative paths are taken from ``base`` (else as given).

    Raises :class:`~azsphere_async.errors.RecipeError` listing every problem found.
    """
    origin = RecipeSource(source, text)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        position = _TOML_POSITION.search(message)
        reason = _TOML_POSITION.sub("", message).strip()
        place = f"{source}:{position.group(1)}:{position.group(2)}" if position else source
        raise RecipeError(source, [f"{place}: not valid TOML: {reason}"]) from None
    problems = _shape_problems(document, origin)
    try:
        recipe = _converter.structure(document, Recipe)
    except (ClassValidationError, IterableValidationError) as exc:
        for entry in cattrs.transform_error(exc, format_exception=_format):
            message, _, path = entry.rpartition(" @ ")
            problems.append(origin.problem(*_located(path, message)))
    if problems:
        raise RecipeError(source, sorted(problems, key=_line_number)) from None
    recipe = recipe if base is None else recipe.relative_to(base)
    return attrs.evolve(recipe, source=origin)


def load_recipe(path: str | Path) -> Recipe:
    """Read a recipe from a TOML file; paths in it are relative to the file's folder.

    Raises :class:`~azsphere_async.errors.RecipeError` for a missing or unreadable file and
    for every problem in it, before anything is sent to a board.
    """
    file = Path(path)
    try:
        text = file.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise RecipeError(str(file), [f"{file}: no such file"]) from None
    except IsADirectoryError:
        raise RecipeError(str(file), [f"{file}: a directory, not a recipe file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        problem = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8"
        raise RecipeError(str(file), [f"{file}: unreadable ({problem})"]) from None
    return parse_recipe(text, source=str(file), base=file.parent)
