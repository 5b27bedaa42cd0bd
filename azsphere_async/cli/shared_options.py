"""The options every board command takes: which boards, TLS, time limits and output.

The group shows them in its help; each command accepts them after its name too (hidden from
its help) and stores them in the :class:`~.context.AppContext`. :func:`checked` turns one of
the library's argument checks (:mod:`azsphere_async.validation`) into a click callback, so a
command's arguments are checked once, as click parses them, before any board is contacted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
import httpx

from ..discovery import DEFAULT_DCS_URL
from ..errors import InvalidArgumentError
from ..options import DEFAULT_CONCURRENCY
from ..records import DEFAULT_RECORDS_PATH
from ..validation import check_seconds
from .context import AppContext

__all__ = [
    "board_options",
    "checked",
    "records_db_option",
    "selection_and_output_options",
    "state_choice",
]

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def checked(
    check: Callable[[Any], T], *, allowed: str | None = None
) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A click callback that runs ``check`` (a :mod:`~azsphere_async.validation` function) on
    the value, or on each value of a repeated option; a refusal is click's usage error, which
    names the option, what was given and what is allowed (``allowed`` rephrases the
    library's words where the command line has its own)."""

    def one(value: Any) -> Any:
        try:
            return check(value)
        except InvalidArgumentError as exc:
            raise click.BadParameter(
                f"got {exc.given}; expected {allowed or exc.allowed}"
            ) from None

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, tuple):
            return tuple(one(item) for item in value)
        return one(value)

    return callback


def _store(
    name: str, *, extend: bool = False
) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is None or value == () or value is False:
            return
        app = ctx.find_object(AppContext)
        if app is None:  # pragma: no cover - every command runs under the group
            return
        if extend:
            getattr(app, name).extend(value)
        else:
            setattr(app, name, value)

    return callback


def _positive(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    if value is None:
        return None
    try:
        return check_seconds(value, "--timeout")
    except InvalidArgumentError as exc:
        raise click.BadParameter(f"got {exc.given}; expected {exc.allowed}") from None


def _dcs_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise click.BadParameter(
            f"got {value!r}; expected the service's address as http://HOST:PORT "
            f"(such as {DEFAULT_DCS_URL})"
        )
    return value


def _writable_file(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    if value is None:
        return None
    folder = value.parent if str(value.parent) else Path(".")
    if not folder.is_dir():
        raise click.BadParameter(f"got {str(value)!r}; its folder {str(folder)!r} does not exist")
    return value


def selection_and_output_options(*, hidden: bool) -> list[Callable[[F], F]]:
    """The options that choose boards and shape output; the group shows them, commands hide them."""
    expose = not hidden

    def store(name: str, extend: bool = False) -> dict[str, Any]:
        if expose:
            return {}
        return {"expose_value": False, "callback": _store(name, extend=extend)}

    def checked_store(check: Callable[..., Any], name: str) -> dict[str, Any]:
        if expose:
            return {"callback": check}
        return {"expose_value": False, "callback": _chain(check, _store(name))}

    return [
        click.option(
            "--device",
            "-d",
            "devices",
            metavar="ADDR",
            multiple=True,
            hidden=hidden,
            help="A board's address, host or host:port; repeat it, or separate addresses with "
            "commas, for more boards.",
            **store("devices", extend=True),
        ),
        click.option(
            "--devices-file",
            type=click.Path(dir_okay=False, path_type=Path),
            hidden=hidden,
            help="A file of board addresses, one or more a line; # starts a comment. Its "
            "boards are added to those of --device.",
            **store("devices_file"),
        ),
        click.option(
            "--all",
            "all_boards",
            is_flag=True,
            default=False,
            hidden=hidden,
            help="Every board the Device Communication Service lists.",
            **store("all_boards"),
        ),
        click.option(
            "--dcs-url",
            metavar="URL",
            envvar=None if hidden else "AZSPHERE_DCS_URL",
            default=None if hidden else DEFAULT_DCS_URL,
            show_default=expose,
            hidden=hidden,
            help="Where the Device Communication Service listens (env AZSPHERE_DCS_URL).",
            **checked_store(_dcs_url, "dcs_url"),
        ),
        click.option(
            "--concurrency",
            type=click.IntRange(min=1),
            default=None if hidden else DEFAULT_CONCURRENCY,
            show_default=expose,
            hidden=hidden,
            help="Boards worked on at once.",
            **store("concurrency"),
        ),
        click.option(
            "--timeout",
            type=float,
            metavar="S",
            hidden=hidden,
            help="Seconds allowed for each board's whole operation "
            "(default 30; deploy 600; restart --wait 180).",
            **checked_store(_positive, "timeout"),
        ),
        click.option(
            "--ca",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            envvar=None if hidden else "AZSPHERE_CA",
            hidden=hidden,
            help="PEM file of the CA to trust instead of the Azure Sphere device CA "
            "(env AZSPHERE_CA).",
            **store("ca"),
        ),
        click.option(
            "--retry-file",
            type=click.Path(dir_okay=False, path_type=Path),
            metavar="FILE",
            hidden=hidden,
            help="Write the boards that failed (or were not ready, or did not finish) to FILE, "
            "a devices file: retry just those with --devices-file FILE.",
            **checked_store(_writable_file, "retry_file"),
        ),
        click.option(
            "--json",
            "json_output",
            is_flag=True,
            default=False,
            hidden=hidden,
            help="Print the results as one JSON document on stdout, and nothing else.",
            **store("json"),
        ),
        click.option(
            "--debug",
            "-v",
            is_flag=True,
            default=False,
            hidden=hidden,
            help="Show tracebacks and a log of every request on stderr.",
            **store("debug"),
        ),
    ]


def _chain(
    first: Callable[[click.Context, click.Parameter, Any], Any],
    second: Callable[[click.Context, click.Parameter, Any], None],
) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        second(ctx, param, first(ctx, param, value))

    return callback


def board_options(function: F) -> F:
    """Accept the board and output options after the command name too (hidden from help)."""
    for option in reversed(selection_and_output_options(hidden=True)):
        function = option(function)
    return function


def state_choice(
    choices: Sequence[str],
) -> Callable[[click.Context, click.Parameter, str | None], str | None]:
    """A callback that accepts one of ``choices`` in any case and returns its own spelling."""

    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is None:
            return None
        for choice in choices:
            if choice.lower() == value.lower():
                return choice
        raise click.BadParameter(f"{value!r} is not one of {', '.join(choices)}")

    return callback


def records_db_option(help_text: str, name: str = "db_path") -> Callable[[F], F]:
    """``--db FILE``: the station's records database (``station``, ``records``, ``outbox``),
    stored as ``name``."""
    return click.option(
        "--db",
        name,
        default=DEFAULT_RECORDS_PATH,
        show_default=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help=help_text,
    )
