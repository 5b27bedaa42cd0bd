"""The CPU that a deploy's progress reporting costs, measured where it is spent.

A deploy over a capped link costs the client a few milliseconds of CPU per board, and that
figure varies by tens of per cent from run to run (the number of socket wake-ups varies), so
the difference between runs with and without a progress callback cannot resolve a cost of 1
or 2 %. Instead, :class:`ProgressAccounting` wraps the library's progress machinery (this is a
benchmark, not library code) and reads the event loop thread's CPU clock
(``time.thread_time``) on the way into and out of it:

- every report of an upload's meter (``staging._Meter.report_now``: the TCP_INFO read, the
  rate window, building the update, the progress callback and the fleet's per-board wrapper)
  and its last one (``_Meter.finish``); a coroutine callback's awaited part is not counted
  (the benchmark's callback is a plain function);
- the deploy's phase update (``deploy._tell_phase``: confirming; the upload's last report
  says installing);
- ``report_while`` (an upload watched by the shared ticker) until the upload starts and from
  its end (a cancel scope of its own, where it enters one; registering with the ticker and
  arming its timer; leaving it);
- the fleet's shared ticker: under asyncio, every call of its event loop timer's callback
  (``ticker._TimerTicker.fire``: every upload's report, arming the timer again) and the task
  that awaits coroutine callbacks' reports (``_TimerTicker.await_backlog``, step by step;
  none with the benchmark's callback); elsewhere every step of its task
  (``ticker._TaskTicker.run``); and entering and leaving ``shared_progress_reports``;
- each of the ticker's wake-ups' share of the event loop (outside any callback or
  coroutine), not readable per wake-up: measured once and counted per wake-up, for a timer
  by :func:`timer_wakeup_cost` (per call of ``fire``), for a task by :func:`wakeup_cost` (per
  step).

Regions nest (a report inside a ticker step) and are counted once, from the outermost; a
nested call only passes through its wrapper. A coroutine is counted step by step, so the time
other tasks run while it waits is not counted. Each region counts about half of its own two
clock reads (see :func:`clock_read_cost`) and a nested call its wrapper; what each kind of
entry counts of the accounting itself is measured warm (:func:`call_entry_cost`,
:func:`nested_call_cost`, :func:`report_while_cost`, :func:`entry_cost`), a lower bound of
it, and for reports and phase updates also in the runs without callbacks, where the same
wrapped calls return at once (``bench_deploy`` uses that); so the count less that still
errs high. Not counted: the board's acknowledgement counting
(``AcknowledgedCounter.begin``/``close``), which runs with and without progress (it serves
``bytes_sent`` in errors) and is counted separately, as ``acknowledgement_cpu``; and the
fleet publishing each board's cancel scope (``Fleet._run_one`` sets and resets
``ticker.BOARD_SCOPE``: well under a microsecond per board), which every fleet operation with
a time limit does, with or without progress.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from types import TracebackType
from typing import Any, ParamSpec, TypeVar

__all__ = [
    "ProgressAccounting",
    "call_entry_cost",
    "clock_read_cost",
    "entry_cost",
    "nested_call_cost",
    "report_while_cost",
    "timer_wakeup_cost",
    "wakeup_cost",
]

P = ParamSpec("P")
T = TypeVar("T")


class _ThreadCpu:
    """CPU seconds of this thread spent inside marked regions (nested regions count once)."""

    def __init__(self) -> None:
        self.spent = 0.0
        self.inside = False
        self._since = 0.0
        self._region = ""
        self.by_region: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.steps: dict[str, int] = {}
        self.clock_reads = 0
        self.entered = 0  # calls of plain functions counted from outside any region
        self.nested = 0  # calls of plain functions inside a region (their wrapper only)

    def switch(self, inside: bool, region: str) -> tuple[bool, str]:
        """Be inside (or outside) a counted region from now on; returns the previous state."""
        was = (self.inside, self._region)
        if inside != self.inside:
            self.clock_reads += 1
            now = time.thread_time()
            if self.inside:
                spent = now - self._since
                self.spent += spent
                self.by_region[self._region] = self.by_region.get(self._region, 0.0) + spent
            else:
                self._since = now
                self._region = region
            self.inside = inside
        return was

    def restore(self, state: tuple[bool, str]) -> None:
        """Go back to a state :meth:`switch` returned."""
        self.switch(state[0], state[1])


class _Steps:
    """Awaits a coroutine with each of its steps inside (or outside) a counted region."""

    def __init__(
        self, cpu: _ThreadCpu, coro: Coroutine[Any, Any, Any], inside: bool, region: str
    ) -> None:
        self._cpu, self._coro, self._inside, self._region = cpu, coro, inside, region

    def __await__(self) -> Generator[Any, Any, Any]:
        cpu, coro = self._cpu, self._coro
        value: Any = None
        error: BaseException | None = None
        while True:
            if self._inside:
                cpu.steps[self._region] = cpu.steps.get(self._region, 0) + 1
            state = cpu.switch(self._inside, self._region)
            try:
                yielded = coro.send(value) if error is None else coro.throw(error)
            except StopIteration as stop:
                return stop.value
            finally:
                cpu.restore(state)
            value, error = None, None
            try:
                value = yield yielded
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:
                error = exc


class ProgressAccounting:
    """Wraps the library's progress machinery and counts the thread CPU spent in it.

    Use ``with accounting.installed():`` around the deploys; read :meth:`take` after each.
    """

    def __init__(self) -> None:
        self._cpu = _ThreadCpu()
        self._acknowledging = 0.0

    def _counted(
        self, function: Callable[P, Coroutine[Any, Any, T]], region: str, inside: bool = True
    ) -> Callable[P, Coroutine[Any, Any, T]]:
        cpu = self._cpu

        @functools.wraps(function)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            cpu.calls[region] = cpu.calls.get(region, 0) + 1
            if inside and cpu.inside:  # counted already, by the region it is called from
                return await function(*args, **kwargs)
            result: T = await _Steps(cpu, function(*args, **kwargs), inside, region)
            return result

        return wrapper

    def _counted_call(
        self, function: Callable[P, T], region: str, wakeup: str | None = None
    ) -> Callable[P, T]:
        """A plain function counted whole (what it returns to await is not counted); with
        ``wakeup``, each call from outside a region is also counted as a wake-up of that
        kind (an event loop timer's callback)."""
        cpu = self._cpu

        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            cpu.calls[region] = cpu.calls.get(region, 0) + 1
            if cpu.inside:
                cpu.nested += 1
                return function(*args, **kwargs)
            cpu.entered += 1
            if wakeup is not None:
                cpu.steps[wakeup] = cpu.steps.get(wakeup, 0) + 1
            state = cpu.switch(True, region)
            try:
                return function(*args, **kwargs)
            finally:
                cpu.restore(state)

        return wrapper

    def _counted_sync(self, function: Callable[P, T]) -> Callable[P, T]:
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            started = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                self._acknowledging += time.thread_time() - started

        return wrapper

    def _report_while(
        self, original: Callable[..., Coroutine[Any, Any, None]]
    ) -> Callable[..., Coroutine[Any, Any, None]]:
        """``report_while`` counted from its call to the upload's start and from the upload's
        end to its return (not step by step: the upload's many steps would each add the
        accounting's own clock reads to the count)."""
        from azsphere_async import ticker

        cpu = self._cpu

        async def counted(
            reporter: Any, interval: float, send: Callable[[], Awaitable[object]]
        ) -> None:
            if ticker._SHARED.get() is None:
                # Its own ticker's task group awaits before and after the upload: the time
                # other tasks run then would be counted.
                raise RuntimeError("the accounting counts uploads under a shared ticker only")
            cpu.calls["report_while"] = cpu.calls.get("report_while", 0) + 1
            before = cpu.switch(True, "report_while")

            async def upload() -> object:
                inside = cpu.switch(before[0], before[1])
                try:
                    return await send()
                finally:
                    cpu.restore(inside)

            try:
                await original(reporter, interval, upload)
            finally:
                cpu.restore(before)

        return counted

    def _context(
        self, original: Callable[..., AbstractAsyncContextManager[None]]
    ) -> Callable[..., AbstractAsyncContextManager[None]]:
        accounting = self

        class Counted(AbstractAsyncContextManager[None]):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                self._inner = original(*args, **kwargs)

            async def __aenter__(self) -> None:
                await _Steps(accounting._cpu, self._inner.__aenter__(), True, "ticker_setup")

            async def __aexit__(
                self,
                kind: type[BaseException] | None,
                error: BaseException | None,
                trace: TracebackType | None,
            ) -> bool | None:
                exit_steps = self._inner.__aexit__(kind, error, trace)
                done: bool | None = await _Steps(accounting._cpu, exit_steps, True, "ticker_setup")
                return done

        return Counted

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Wrap the library's progress machinery while the block runs."""
        from azsphere_async import acknowledged, deploy, staging, ticker

        patches: list[tuple[Any, str, Any]] = [
            (staging._Meter, "report_now", self._counted_call(staging._Meter.report_now, "report")),
            (staging._Meter, "finish", self._counted_call(staging._Meter.finish, "report")),
            (deploy, "_tell_phase", self._counted_call(deploy._tell_phase, "phase")),
            (staging, "report_while", self._report_while(ticker.report_while)),
            (ticker._TaskTicker, "run", self._counted(ticker._TaskTicker.run, "ticker")),
            (
                ticker._TimerTicker,
                "fire",
                self._counted_call(ticker._TimerTicker.fire, "ticker", wakeup="timer"),
            ),
            (
                ticker._TimerTicker,
                "await_backlog",
                self._counted(ticker._TimerTicker.await_backlog, "ticker"),
            ),
            (deploy, "shared_progress_reports", self._context(ticker.shared_progress_reports)),
            (
                acknowledged.AcknowledgedCounter,
                "begin",
                self._counted_sync(acknowledged.AcknowledgedCounter.begin),
            ),
            (
                acknowledged.AcknowledgedCounter,
                "close",
                self._counted_sync(acknowledged.AcknowledgedCounter.close),
            ),
        ]
        saved = [(owner, name, owner.__dict__[name]) for owner, name, _ in patches]
        for owner, name, wrapped in patches:
            setattr(owner, name, wrapped)
        try:
            yield
        finally:
            for owner, name, original in saved:
                setattr(owner, name, original)

    def take(self) -> dict[str, Any]:
        """What was counted since the last call: CPU seconds (in all, by outermost region),
        calls and coroutine steps by region, and the acknowledgement counting's CPU."""
        cpu = self._cpu
        taken = {
            "progress_cpu": cpu.spent,
            "by_region": dict(cpu.by_region),
            "calls": dict(cpu.calls),
            "steps": dict(cpu.steps),
            "clock_reads": cpu.clock_reads,
            "entered": cpu.entered,
            "nested": cpu.nested,
            "acknowledgement_cpu": self._acknowledging,
        }
        cpu.spent, self._acknowledging, cpu.clock_reads = 0.0, 0.0, 0
        cpu.entered = cpu.nested = 0
        for counts in (cpu.by_region, cpu.calls, cpu.steps):
            counts.clear()
        return taken


def clock_read_cost(reads: int = 20_000) -> float:
    """Seconds of one ``time.thread_time()`` call (the accounting's own cost per clock read)."""
    started = time.perf_counter()
    for _ in range(reads):
        time.thread_time()
    return (time.perf_counter() - started) / reads


async def wakeup_cost(loop_cpu: Callable[[], float], wakeups: int = 200) -> float:
    """CPU seconds of the event loop's share of one timer wake-up of a sleeping task.

    Run inside the event loop while nothing else is active: a task sleeps ``wakeups`` times
    on a 1 ms timer; the process's CPU (``loop_cpu``) over the loop, less the CPU inside the
    task's own steps, per wake-up.
    """
    accounting = ProgressAccounting()

    async def sleeper() -> None:
        for _ in range(wakeups):
            await asyncio.sleep(0.001)

    before = loop_cpu()
    await accounting._counted(sleeper, "sleeper")()
    total = loop_cpu() - before
    counted: float = accounting.take()["progress_cpu"]
    return max(0.0, total - counted) / wakeups


async def timer_wakeup_cost(loop_cpu: Callable[[], float], wakeups: int = 200) -> float:
    """CPU seconds of the event loop's share of one wake-up of an event loop timer
    (``loop.call_later``), as the library's timer ticker uses it.

    Run inside the event loop while nothing else is active: a callback re-arms itself on a
    1 ms timer ``wakeups`` times; the process's CPU (``loop_cpu``) over the loop, less the CPU
    inside the callbacks (counted as the accounting counts the ticker's), per wake-up.
    """
    accounting = ProgressAccounting()
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    left = wakeups

    def fire() -> None:
        nonlocal left
        left -= 1
        if left:
            loop.call_later(0.001, counted)
        else:
            done.set_result(None)

    counted = accounting._counted_call(fire, "timer", wakeup="timer")
    before = loop_cpu()
    loop.call_later(0.001, counted)
    await done
    total = loop_cpu() - before
    spent: float = accounting.take()["progress_cpu"]
    return max(0.0, total - spent) / wakeups


async def entry_cost(entries: int = 2000) -> float:
    """Counted CPU seconds of one entry into a counted region that does nothing: what the
    accounting itself adds to the count per entry (its wrapper, about half its clock reads),
    measured warm, in a loop (in a deploy the code is colder, so this is a lower bound)."""
    accounting = ProgressAccounting()

    async def nothing() -> None:
        pass

    counted = accounting._counted(nothing, "nothing")
    for _ in range(entries):
        await counted()
    spent: float = accounting.take()["progress_cpu"]
    return spent / entries


def _nothing() -> None:
    pass


def call_entry_cost(calls: int = 2000) -> float:
    """Counted CPU seconds of one call of a counted plain function that does nothing, from
    outside any region: the accounting's own share of each report, phase update and timer
    callback it counts, measured warm (in a deploy the code is colder: a lower bound)."""
    accounting = ProgressAccounting()
    counted = accounting._counted_call(_nothing, "nothing")
    for _ in range(calls):
        counted()
    spent: float = accounting.take()["progress_cpu"]
    return spent / calls


def nested_call_cost(calls: int = 20_000) -> float:
    """CPU seconds that the wrapper of a counted plain function adds to a call made inside a
    counted region (each report of a ticker's wake-up): wrapped calls less as many bare ones,
    measured warm."""
    accounting = ProgressAccounting()
    counted = accounting._counted_call(_nothing, "nothing")
    accounting._cpu.switch(True, "outer")
    started = time.thread_time()
    for _ in range(calls):
        counted()
    wrapped = time.thread_time() - started
    started = time.thread_time()
    for _ in range(calls):
        _nothing()
    bare = time.thread_time() - started
    return max(0.0, wrapped - bare) / calls


async def report_while_cost(uploads: int = 2000) -> float:
    """Counted CPU seconds of the accounting's own share of one watched upload: its
    ``report_while`` wrapper (two regions, a closure and a coroutine), measured warm around a
    ``report_while`` that only awaits its send, less what that one costs bare (with its
    send's coroutine, which the wrapper's call does not count: so this errs low)."""
    from azsphere_async import ticker

    async def bare(reporter: Any, interval: float, send: Callable[[], Awaitable[object]]) -> None:
        await send()

    async def send() -> None:
        pass

    accounting = ProgressAccounting()
    counted = accounting._report_while(bare)
    token = ticker._SHARED.set(ticker._TaskTicker(1.0))  # as under a fleet's shared ticker
    try:
        for _ in range(uploads):
            await counted(None, 1.0, send)
    finally:
        ticker._SHARED.reset(token)
    spent: float = accounting.take()["progress_cpu"]
    started = time.thread_time()
    for _ in range(uploads):
        await bare(None, 1.0, send)
    alone = time.thread_time() - started
    return max(0.0, spent - alone) / uploads
