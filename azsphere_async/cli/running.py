"""Running a command's operation on every chosen board, collecting results as they finish.

:func:`run_boards` (or :func:`gather` inside an event loop) runs an operation on every board;
each board's device ID is read first, so every result can name the board by the ID it keeps
whatever port it is plugged into. What has finished survives a Ctrl-C. :func:`run_and_report`
runs, reports and exits. :func:`run` checks every option before the event loop starts, so a
bad option is one message and exit status 2, and no board hears of it.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Generic, NoReturn, TypeVar

import anyio
import attrs
import click

from ..client import DeviceClient
from ..errors import (
    AzsphereError,
    DeviceHTTPError,
    MalformedResponseError,
    UnsupportedVersionError,
)
from ..fleet import BoardResult, Fleet
from .context import DEFAULT_TIMEOUT, AppContext
from .exit_status import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from .reporting import BoardRows, report
from .selection import BoardSelection, SelectionError

__all__ = [
    "Collected",
    "collect",
    "gather",
    "read_device_id",
    "run",
    "run_and_report",
    "run_boards",
]

T = TypeVar("T")


@attrs.define
class Collected(Generic[T]):
    """Results gathered as boards finish; what is here survives a Ctrl-C.

    ``device_ids`` holds each board's device ID once it was read (``None`` if the board
    answered without one).
    """

    addresses: tuple[str, ...] = ()
    results: dict[str, BoardResult[T]] = attrs.field(factory=dict)
    device_ids: dict[str, str | None] = attrs.field(factory=dict)
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
    """Check the options, then run ``main`` in an event loop; returns the exit status.

    The output, and with it the log (``--debug``'s request log), is set up before the first
    request. A bad option or board selection raises :class:`click.UsageError` (click prints
    it, exit status 2) before any board is contacted; Ctrl-C is 130.
    """
    output = app.output
    try:
        app.check_options()
        return anyio.run(main)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except click.ClickException:
        raise
    except SelectionError as exc:
        raise click.UsageError(str(exc)) from None
    except AzsphereError as exc:
        output.failure(exc)
        return EXIT_FAILED
    except Exception as exc:
        if app.debug:
            raise
        output.failure(exc)
        return EXIT_FAILED


async def read_device_id(device: DeviceClient) -> str | None:
    """The board's device ID, or ``None`` when it answers but not with one.

    A board that cannot be reached raises, and that is the board's result.
    """
    try:
        return (await device.device.get_security_state()).device_identifier
    except (DeviceHTTPError, MalformedResponseError, UnsupportedVersionError):
        return None


async def gather(
    app: AppContext,
    operation: Callable[[DeviceClient], Awaitable[T]],
    collected: Collected[T],
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
    selection: BoardSelection | None = None,
    on_result: Callable[[BoardResult[T]], None] | None = None,
) -> None:
    """Choose the boards and run ``operation`` on each, filling ``collected`` as they finish.

    Each board's device ID is read first (into ``collected.device_ids``), within the same
    time limit. The coroutine behind :func:`run_boards`, for callers already in an event loop
    (deploy, the demo); a ``selection`` made earlier is used as it is, and ``on_result``
    hears each board as it finishes.
    """
    if selection is None:
        selection = await app.select()
    collected.addresses = selection.addresses
    limit = app.time_limit(timeout)

    async def identified(device: DeviceClient) -> T:
        collected.device_ids[device.address] = await read_device_id(device)
        return await operation(device)

    async with (
        app.fleet(selection.addresses) as fleet,
        fleet.as_completed(identified, timeout=limit) as results,
    ):
        async for result in results:
            collected.results[result.address] = result
            if on_result is not None:
                on_result(result)


async def collect(
    app: AppContext,
    start: Callable[[Fleet], AbstractAsyncContextManager[AsyncIterator[BoardResult[T]]]],
    collected: Collected[T],
    selection: BoardSelection | None = None,
    *,
    on_result: Callable[[BoardResult[T]], None] | None = None,
) -> None:
    """Run ``start(fleet)``, one of the library's as-completed runs (``apply_as_completed``),
    over the chosen boards, filling ``collected`` as they finish.

    Each board's device ID is read alongside (a board that cannot tell it keeps ``None``);
    ``on_result`` hears each board as it finishes.
    """
    if selection is None:
        selection = await app.select()
    collected.addresses = selection.addresses

    async def identify(fleet: Fleet) -> None:
        async def device_id(device: DeviceClient) -> str | None:
            try:
                return await read_device_id(device)
            except AzsphereError:
                return None

        for result in await fleet.run(device_id, timeout=app.time_limit()):
            collected.device_ids.setdefault(result.address, result.value)

    async with app.fleet(selection.addresses) as fleet, anyio.create_task_group() as group:
        group.start_soon(identify, fleet)
        async with start(fleet) as results:
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
