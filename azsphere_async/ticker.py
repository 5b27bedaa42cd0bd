"""Progress reports while uploads run: a ticker per upload, or one for many.

An upload's progress is read every :data:`~azsphere_async.staging.PROGRESS_INTERVAL`
seconds while the request runs, so something must wake up that often. For one upload that is
a ticker of its own (:func:`report_while`); a fleet's uploads share one
(:func:`shared_progress_reports`, which :func:`~azsphere_async.deploy.deploy_fleet` uses).

Under asyncio a ticker is a timer of the event loop (``loop.call_later``), armed while an
upload is watched: no task to start, step and cancel. A wake-up then costs the event loop
about 30 us less than a sleeping task's, and starting and stopping costs a timer handle,
where a task in a task group costs about 0.2 ms (``benchmarks/``: deploy, which counts the
CPU where it is spent). A coroutine callback's report is awaited by a task started for it,
one at a time in order. Elsewhere (trio) a ticker is a task that sleeps between wake-ups,
in a task group.

A watched upload whose callback fails is stopped by cancelling a scope: its own (about 8 us
of CPU to enter and leave hot, 20 us in a loaded fleet's deploy), or in a fleet's deploy
the board's (:data:`BOARD_SCOPE`), which the fleet has anyway. A large fleet's ticker has
each board report at every other wake-up (``every``), half of the boards at each.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import deque
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


#: Where a watched upload's callback failure goes: the upload's scope (cancelled) and a list.
_Watch = tuple[anyio.CancelScope, list[Exception]]


class _Ticker:
    """Wakes every ``interval`` seconds and has watched uploads report: each at every
    ``every``-th wake-up, a different share of them at each (the wake-ups are a subclass's:
    a task or a timer)."""

    def __init__(self, interval: float, every: int = 1) -> None:
        self.interval = interval
        self.every = every
        self.watched: dict[Reporter, tuple[int, _Watch]] = {}
        self.stops_boards = False
        self._turn = 0
        self._slot = 0

    def watch(self, reporter: Reporter, watch: _Watch) -> None:
        """Have ``reporter`` report from now on."""
        watched = self.watched
        if not watched:
            self._started_watching()
        slot = self._slot
        self._slot = (slot + 1) % self.every
        watched[reporter] = (slot, watch)

    def unwatch(self, reporter: Reporter) -> None:
        """Stop waking ``reporter``."""
        watched = self.watched
        if watched.pop(reporter, None) is not None and not watched:
            self._stopped_watching()

    def _started_watching(self) -> None:
        """Something is watched, where nothing was (a subclass may start its wake-ups)."""

    def _stopped_watching(self) -> None:
        """Nothing is watched any more (a subclass may stop its wake-ups)."""

    def report_all(self) -> list[tuple[Awaitable[object], _Watch]] | None:
        """Have the watched uploads whose turn it is report; returns the coroutine callbacks'
        reports left to await (``None``: none; most callbacks are plain functions)."""
        pending: list[tuple[Awaitable[object], _Watch]] | None = None
        turn = self._turn
        self._turn = (turn + 1) % self.every
        for reporter, (slot, watch) in list(self.watched.items()):
            if slot != turn:
                continue
            try:
                left = reporter.report_now()
            except Exception as exc:  # the caller's callback failed: stop that upload
                _failed(watch, exc)
                continue
            if left is not None:
                if pending is None:
                    pending = []
                pending.append((left, watch))
        return pending

    async def aclose(self) -> None:
        """No more wake-ups."""


def _failed(watch: _Watch, exc: Exception) -> None:
    scope, failures = watch
    failures.append(exc)
    scope.cancel()


async def _await_reports(pending: list[tuple[Awaitable[object], _Watch]]) -> None:
    for left, watch in pending:
        try:
            await left
        except Exception as exc:
            _failed(watch, exc)


class _TaskTicker(_Ticker):
    """A ticker that is a task sleeping between wake-ups (any backend)."""

    async def run(self) -> None:
        while True:
            await anyio.sleep(self.interval)
            pending = self.report_all()
            if pending is not None:
                await _await_reports(pending)


class _TimerTicker(_Ticker):
    """A ticker that is an asyncio event loop timer, armed while anything is watched.

    Coroutine callbacks' reports are awaited in order by one task at a time, started when
    there are some; :meth:`close` cancels it with the timer.
    """

    def __init__(self, interval: float, every: int, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(interval, every)
        self._loop = loop
        # The callbacks run in the context the ticker was made in (that of the block or the
        # upload that made it), not in that of whichever upload armed the timer.
        self._context = contextvars.copy_context()
        self._timer: asyncio.TimerHandle | None = None
        self._backlog: deque[tuple[Awaitable[object], _Watch]] = deque()
        self._awaiting: asyncio.Task[None] | None = None

    def _started_watching(self) -> None:
        if self._timer is None:
            self._timer = self._loop.call_later(self.interval, self.fire, context=self._context)

    def _stopped_watching(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def fire(self) -> None:
        """The timer's callback: every watched upload reports, and the timer is armed again."""
        self._timer = None
        pending = self.report_all()
        if self.watched:
            self._timer = self._loop.call_later(self.interval, self.fire, context=self._context)
        if pending is not None:
            self._backlog.extend(pending)
            if self._awaiting is None:
                self._awaiting = self._loop.create_task(self.await_backlog())

    async def await_backlog(self) -> None:
        """Await the coroutine callbacks' reports, in order, until none are left."""
        backlog = self._backlog
        try:
            while backlog:
                left, watch = backlog.popleft()
                try:
                    await left
                except Exception as exc:
                    _failed(watch, exc)
        finally:
            self._awaiting = None

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.watched.clear()
        self._backlog.clear()

    async def aclose(self) -> None:
        """:meth:`close`, and cancel the task awaiting coroutine callbacks' reports (if any)
        and wait for it to end."""
        self.close()
        awaiting, self._awaiting = self._awaiting, None
        if awaiting is not None:
            awaiting.cancel()
            with anyio.CancelScope(shield=True):
                await asyncio.wait([awaiting])


def _timer_ticker(interval: float, every: int = 1) -> _TimerTicker | None:
    """A timer ticker on this task's asyncio event loop (``None`` outside an asyncio task:
    under trio)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    if asyncio.current_task(loop) is None:
        return None
    return _TimerTicker(interval, every, loop)


_SHARED: ContextVar[_Ticker | None] = ContextVar("azsphere_async_shared_ticker", default=None)


#: The cancel scope of the fleet board's operation that this task runs, where the board has a
#: time limit (set by :class:`~azsphere_async.fleet.Fleet` around each board's operation).
#: A fleet's deploy, which knows that nothing of a board's operation runs on once its upload
#: has failed, has its shared ticker cancel this scope to stop an upload whose progress
#: callback failed, instead of entering a cancel scope per upload (about 8 us of CPU hot,
#: 20 us in a loaded fleet's deploy).
BOARD_SCOPE: ContextVar[anyio.CancelScope | None] = ContextVar(
    "azsphere_async_board_scope", default=None
)


@asynccontextmanager
async def shared_progress_reports(
    interval: float, *, every: int = 1, stops_boards: bool = False
) -> AsyncIterator[None]:
    """Within this block, uploads with progress (in this task and in tasks started inside it)
    report from one shared ticker instead of a ticker each.

    The ticker wakes every ``interval`` seconds; each upload reports at every ``every``-th
    wake-up (every ``interval * every`` seconds), a different share of the uploads at each.
    With ``stops_boards``, an upload whose callback fails is stopped by cancelling its fleet
    board's scope (:data:`BOARD_SCOPE`, where there is one): only for operations that end
    with the upload's failure.
    """
    timer = _timer_ticker(interval, every)
    if timer is not None:
        timer.stops_boards = stops_boards
        token = _SHARED.set(timer)
        try:
            yield
        finally:
            _SHARED.reset(token)
            await timer.aclose()
        return
    ticker = _TaskTicker(interval, every)
    ticker.stops_boards = stops_boards
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
    """Await ``send()`` while ``reporter`` reports every ``interval`` seconds (or as the
    shared ticker of an enclosing :func:`shared_progress_reports` has it report).

    A failure of the progress callback stops the upload and is raised (rather than what
    stopping it raised); so is one of ``send()``.
    """
    shared = _SHARED.get()
    failures: list[Exception] = []
    if shared is not None and shared.stops_boards and (board := BOARD_SCOPE.get()) is not None:
        # A fleet's every board: as _send_watched does, without a coroutine or a scope of its
        # own (the code that runs for every board's upload, first).
        shared.watch(reporter, (board, failures))
        try:
            await send()
        except anyio.get_cancelled_exc_class():
            if not failures:
                raise
            # The ticker cancelled the board's scope: the callback's failure is raised instead.
        except Exception:
            if not failures:
                raise
        finally:
            shared.unwatch(reporter)
    elif shared is None:
        timer = _timer_ticker(interval)
        if timer is None:
            await _report_from_own_task(reporter, interval, send, failures)
        else:
            with anyio.CancelScope() as scope:
                await _send_watched(timer, reporter, send, (scope, failures), own=True)
    else:
        with anyio.CancelScope() as scope:
            await _send_watched(shared, reporter, send, (scope, failures), own=False)
    if failures:
        raise failures[0]


async def _send_watched(
    ticker: _Ticker,
    reporter: Reporter,
    send: Callable[[], Awaitable[object]],
    watch: _Watch,
    *,
    own: bool,
) -> None:
    """``send()`` with ``reporter`` watched by ``ticker`` (closed after, if ``own``). An error
    of ``send()`` after the callback failed is not raised: the failure is."""
    ticker.watch(reporter, watch)
    try:
        await send()
    except Exception:
        if not watch[1]:
            raise
    finally:
        if own:
            await ticker.aclose()
        else:
            ticker.unwatch(reporter)


async def _report_from_own_task(
    reporter: Reporter,
    interval: float,
    send: Callable[[], Awaitable[object]],
    failures: list[Exception],
) -> None:
    """``send()`` with a ticker task of its own beside it (in a task group)."""
    async with anyio.create_task_group() as group:
        own = _TaskTicker(interval)
        own.watch(reporter, (group.cancel_scope, failures))
        group.start_soon(own.run)
        try:
            await send()
        except Exception as exc:
            failures.append(exc)
        finally:
            group.cancel_scope.cancel()
