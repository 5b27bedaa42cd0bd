"""Progress reports while uploads run: one reporting task per upload, or one for many.

An upload's progress is read every :data:`~azsphere_async.staging.PROGRESS_INTERVAL`
seconds while the request runs, so something must wake up that often. For one upload that is
a task of its own (:func:`report_while`). A fleet's uploads share one
(:func:`shared_progress_reports`, which :func:`~azsphere_async.deploy.deploy_fleet` uses):
a task per board costs about 150 us of CPU per upload to start and stop, several per cent of
what a 1 MB upload over a 1 MB/s link costs the client (``benchmarks/``: deploy). The shared
one costs about 0.3 ms per fleet deploy to start and stop, and each wake-up about 0.2 ms
(the event loop's share included), whatever the fleet's size.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Protocol

import anyio

__all__ = ["Reporter", "report_while", "shared_progress_reports"]


class Reporter(Protocol):
    """What is woken to report: an upload's meter."""

    def report_now(self) -> Awaitable[object] | None:
        """Tell the progress callback where the upload is; returns what is left to await
        (of a coroutine function's call), or ``None``."""


class _Ticker:
    """Wakes every ``interval`` seconds and has every watched upload report."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.watched: dict[Reporter, tuple[anyio.CancelScope, list[Exception]]] = {}

    async def run(self) -> None:
        while True:
            await anyio.sleep(self.interval)
            for reporter, (scope, failures) in list(self.watched.items()):
                try:
                    # Not a coroutine per board and tick: most callbacks are plain functions.
                    pending = reporter.report_now()
                    if pending is not None:
                        await pending
                except Exception as exc:  # the caller's callback failed: stop that upload
                    failures.append(exc)
                    scope.cancel()


_SHARED: ContextVar[_Ticker | None] = ContextVar("azsphere_async_shared_ticker", default=None)


@asynccontextmanager
async def shared_progress_reports(interval: float) -> AsyncIterator[None]:
    """Within this block, uploads with progress (in this task and in tasks started inside it)
    report from one shared task instead of a task each."""
    ticker = _Ticker(interval)
    token = _SHARED.set(ticker)
    failure: Exception | None = None
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(ticker.run)
            try:
                yield
            except Exception as exc:  # raised below as it is, not in an exception group
                failure = exc
            finally:
                group.cancel_scope.cancel()
    finally:
        _SHARED.reset(token)
    if failure is not None:
        raise failure


async def report_while(
    reporter: Reporter, interval: float, send: Callable[[], Awaitable[object]]
) -> None:
    """Await ``send()`` while ``reporter`` reports every ``interval`` seconds.

    A failure of the progress callback stops the upload and is raised; so is one of
    ``send()``.
    """
    failures: list[Exception] = []
    shared = _SHARED.get()
    if shared is not None and shared.interval == interval:
        with anyio.CancelScope() as scope:
            shared.watched[reporter] = (scope, failures)
            try:
                await send()
            finally:
                shared.watched.pop(reporter, None)
    else:
        async with anyio.create_task_group() as group:
            own = _Ticker(interval)
            own.watched[reporter] = (group.cancel_scope, failures)
            group.start_soon(own.run)
            try:
                await send()
            except Exception as exc:
                failures.append(exc)
            finally:
                group.cancel_scope.cancel()
    if failures:
        raise failures[0]
