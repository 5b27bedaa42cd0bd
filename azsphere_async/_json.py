"""JSON from boards and services that may not be telling the truth: one parse, one error.

:func:`parse_json` is the only place the library reads JSON it did not write. Whatever is
wrong with the text (not JSON, not UTF-8, nested deeper than the parser can go, a number
with thousands of digits, ``NaN``, a string that is not Unicode text), it raises
:class:`ValueError` with a message that names what was wrong and where, and never quotes the
text itself (an answer may echo a secret).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Final

__all__ = ["parse_json"]

# An escaped UTF-16 surrogate, which may be half of a pair or stand alone.
_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89a-fA-F]")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _int(text: str) -> int:
    return int(text)


def _float(text: str) -> float:
    return float(text)


def parse_json(
    content: bytes,
    *,
    object_hook: Callable[[dict[str, Any]], Any] | None = None,
    yielding: bool = False,
) -> Any:
    """The value ``content`` holds; :class:`ValueError` for anything that is not JSON.

    The text must be UTF-8 (as RFC 8259 requires between systems), and every string in it
    Unicode text: a lone surrogate would break whatever prints or stores it later.
    ``object_hook`` is called with each decoded object, as by :func:`json.loads`. With
    ``yielding``, numbers are read by Python code too: the C parser then lets other threads
    run between them (two million numbers held the interpreter 0.2-0.3 s without, 20 ms
    with, at three times the parse's cost), as it does at every object with a hook.
    """
    numbers: dict[str, Any] = {"parse_int": _int, "parse_float": _float} if yielding else {}
    try:
        # Strict UTF-8 first: json.loads alone would guess UTF-16 or UTF-32 and let encoded
        # surrogates through.
        text = content.decode("utf-8")
        value = json.loads(
            text, object_hook=object_hook, parse_constant=_refuse_constant, **numbers
        )
        if _SURROGATE_ESCAPE.search(text):
            json.dumps(value, ensure_ascii=False).encode("utf-8")
    except json.JSONDecodeError as exc:
        raise ValueError(f"{exc.msg} (character {exc.pos})") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"not valid UTF-8 text at byte {exc.start}") from None
    except UnicodeEncodeError:
        raise ValueError("a string that is not Unicode text (a lone surrogate)") from None
    except RecursionError:
        raise ValueError("arrays or objects nested deeper than the parser can follow") from None
    except ValueError as exc:
        # A number of thousands of digits, or NaN: the message says which, not where to
        # raise Python's limit.
        raise ValueError(str(exc).split(";")[0]) from None
    return value
