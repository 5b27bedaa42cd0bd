"""Running a command's operation on every chosen board, collecting results as they finish.

:func:`run_boards` (or :func:`gather` inside an event loop) runs an operation on every board;
:func:`collect` takes any as-completed fleet run (``fleet.deploy_as_completed`` too). What has
finished survives a Ctrl-C. :func:`run_and_report` runs, reports and exits.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Generic, NoReturn, TypeVar

import anyio
import attrs

from ..client import DeviceClient
from ..errors import AzsphereError
from ..fleet import BoardResult, Fleet
from .context import DEFAULT_TIMEOUT, AppContext
from .exit_status import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from .reporting import BoardRows, report
from .selection import BoardSelection, SelectionError

__all__ = ["Collected", "collect", "gather", "run", "run_and_report", "run_boards"]

T = TypeVar("T")


@attrs.define
class Collected(Generic[T]):
    """Results gathered as boards finish; what is here survives a Ctrl-C."""

    addresses: tuple[str, ...] = ()
    results: dict[str, BoardResult[T]] = attrs.field(factory=dict)
    interrupted: bool = False

    def finished(self) -> list[BoardResult[T]]:
        """The finished boards' results, in the boards' order."""
        return [self.results[a] for a in self.addresses if a in self.results]

    def unfinished(self) -> list[str]:
        """Boards that had not finished when the run stopped."""
        return [a for a in self.addresses if a not in self.results]

    @property
    def failed(self) -> list[BoardResult[T]]:
        """The finished boards whose operation raised."""
        return [r for r in self.finished() if not r.ok]


def run(app: AppContext, main: Callable[[], Awaitable[int]]) -> int:
    """Run ``main`` in an event loop; turn Ctrl-C and selection errors into exit statuses.

    The output, and with it the log (``--debug``'s request log), is set up before the first
    request.
    """
    output = app.output
    try:
        return anyio.run(main)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except SelectionError as exc:
        output.error(f"{exc}")
        return EXIT_USAGE
    except AzsphereError as exc:
        output.failure(exc)
        return EXIT_FAILED
    except Exception as exc:
        if app.debug:
            raise
        output.failure(exc)
        return EXIT_FAILED


async def gather(
    app: AppContext,
    operation: Callable[[DeviceClient], Awaitable[T]],
    collected: Collected[T],
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
    selection: BoardSelection | None = None,
) -> None:
    """Choose the boards and run ``operation`` on each, filling ``collected`` as they finish.

    The coroutine behind :func:`run_boards`, for callers already in an event loop (the
    demo); a ``selection`` made earlier is used as it is.
    """
    limit = app.time_limit(timeout)
    await collect(
        app, lambda fleet: fleet.as_completed(operation, timeout=limit), collected, selection
    )


async def collect(
    app: AppContext,
    start: Callable[[Fleet], AbstractAsyncContextManager[AsyncIterator[BoardResult[T]]]],
    collected: Collected[T],
    selection: BoardSelection | None = None,
    *,
    on_result: Callable[[BoardResult[T]], None] | None = None,
) -> None:
    """Run ``start(fleet)`` over the chosen boards, filling ``collected`` as they finish.

    ``start`` is a fleet's as-completed run (``fleet.as_completed(...)`` or
    ``fleet.deploy_as_completed(...)``); ``on_result`` hears each board as it finishes.
    """
    if selection is None:
        selection = await app.select()
    collected.addresses = selection.addresses
    async with app.fleet(selection.addresses) as fleet, start(fleet) as results:
        async for result in results:
            collected.results[result.address] = result
            if on_result is not None:
                on_result(result)


def run_boards(
    app: AppContext,
    operation: Callable[[DeviceClient], Awaitable[T]],
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> tuple[Collected[T], int | None]:
    """Run :func:`gather` in a new event loop.

    Returns the results and ``None``, or the exit status of a run that could not start.
    After Ctrl-C the results so far come back marked ``interrupted``.
    """
    collected: Collected[T] = Collected()

    async def main() -> int:
        await gather(app, operation, collected, timeout=timeout)
        return EXIT_OK

    status = run(app, main)
    if status == EXIT_INTERRUPTED:
        collected.interrupted = True
        return collected, None
    return collected, None if status == EXIT_OK else status


def run_and_report(
    app: AppContext,
    command: str,
    operation: Callable[[DeviceClient], Awaitable[T]],
    shape: BoardRows[T],
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> NoReturn:
    """Run ``operation`` on every chosen board, :func:`~.reporting.report` the results, and exit.

    What most commands do whole: the exit status is the report's, or that of a run that
    could not start.
    """
    collected, code = run_boards(app, operation, timeout=timeout)
    sys.exit(code if code is not None else report(app, command, collected, shape))
