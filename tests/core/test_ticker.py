"""The ticker that wakes uploads to report, under asyncio (an event loop timer) and trio (a
task), shared by many uploads or one upload's own (no network: uploads are stand-ins that
end when told to). Every wait is on a count of reports, never on the clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AsyncExitStack
from contextvars import ContextVar
from typing import Any

import anyio
import pytest

from azsphere_async.ticker import (
    BOARD_SCOPE,
    _TaskTicker,
    report_while,
    shared_progress_reports,
)

INTERVAL = 0.01
#: Set by each stand-in upload's task: the ticker's reports do not run in an upload's context.
WHOSE: ContextVar[str | None] = ContextVar("whose", default=None)

backends = pytest.mark.parametrize("backend", ["asyncio", "trio"])


class Refused(Exception):
    pass


class Upload:
    """A stand-in for an upload's meter and request: reports count up; ``send`` waits until
    told to end (or forever)."""

    def __init__(self, *, fail_at: int | None = None, coroutine: bool = False) -> None:
        self.reports = 0
        self.awaited = 0
        self.fail_at = fail_at
        self.coroutine = coroutine
        self.enough = anyio.Event()
        self.wanted = 3
        self.end = anyio.Event()
        self.stopped = False
        self.contexts: set[str | None] = set()

    def _count(self) -> None:
        self.reports += 1
        self.contexts.add(WHOSE.get())
        if self.reports == self.fail_at:
            raise Refused(self.reports)
        if self.reports >= self.wanted:
            self.enough.set()

    def report_now(self) -> Awaitable[None] | None:
        if not self.coroutine:
            self._count()
            return None

        async def told() -> None:
            await anyio.lowlevel.checkpoint()
            self.awaited += 1
            self._count()

        return told()

    async def send(self) -> None:
        try:
            await self.end.wait()
        except anyio.get_cancelled_exc_class():
            self.stopped = True
            raise


def run(backend: str, main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run ``main`` under ``backend``; a ticker that stops waking fails it, not hangs it."""

    async def limited() -> None:
        with anyio.fail_after(30):
            await main()

    anyio.run(limited, backend=backend)


@backends
@pytest.mark.parametrize("coroutine", [False, True], ids=["plain", "coroutine"])
def test_a_shared_ticker_wakes_every_watched_upload_until_it_ends(
    backend: str, coroutine: bool
) -> None:
    uploads = [Upload(coroutine=coroutine) for _ in range(3)]

    async def in_own_context(upload: Upload) -> None:
        WHOSE.set(f"upload {uploads.index(upload)}")
        await report_while(upload, INTERVAL, upload.send)

    async def main() -> None:
        async with shared_progress_reports(INTERVAL), anyio.create_task_group() as group:
            for upload in uploads:
                group.start_soon(in_own_context, upload)
            for upload in uploads:
                await upload.enough.wait()
            uploads[0].end.set()
            # Until the others end, the first is no longer woken.
            for upload in uploads[1:]:
                upload.wanted = upload.reports + 3
                upload.enough = anyio.Event()
            ended_at = uploads[0].reports
            for upload in uploads[1:]:
                await upload.enough.wait()
            assert uploads[0].reports == ended_at
            for upload in uploads[1:]:
                upload.end.set()

    run(backend, main)
    assert all(u.reports >= 3 and not u.stopped for u in uploads)
    assert all(u.contexts == {None} for u in uploads)
    if coroutine:
        assert all(u.awaited == u.reports for u in uploads)


@backends
@pytest.mark.parametrize("coroutine", [False, True], ids=["plain", "coroutine"])
@pytest.mark.parametrize("shared", ["own", "shared", "board-scopes"])
def test_a_failing_callback_stops_its_upload_only_and_is_raised(
    backend: str, coroutine: bool, shared: str
) -> None:
    """With board scopes, each upload runs as a fleet's board does, in a scope of its own
    that the shared ticker cancels to stop it."""
    failing, other = Upload(fail_at=2, coroutine=coroutine), Upload(coroutine=coroutine)
    raised: list[BaseException] = []
    failed = anyio.Event()

    async def watched(upload: Upload) -> None:
        try:
            with anyio.CancelScope() as board:
                token = BOARD_SCOPE.set(board)
                try:
                    await report_while(upload, INTERVAL, upload.send)
                finally:
                    BOARD_SCOPE.reset(token)
        except Refused as exc:
            raised.append(exc)
            failed.set()

    async def main() -> None:
        async with AsyncExitStack() as stack:
            if shared != "own":
                reports = shared_progress_reports(INTERVAL, stops_boards=shared == "board-scopes")
                await stack.enter_async_context(reports)
            async with anyio.create_task_group() as group:
                group.start_soon(watched, failing)
                group.start_soon(watched, other)
                await failed.wait()
                await other.enough.wait()
                other.end.set()

    run(backend, main)
    assert len(raised) == 1
    assert failing.stopped
    assert not other.stopped
    assert failing.reports == 2  # not woken again once it failed


@backends
def test_an_upload_that_fails_itself_raises_its_own_error(backend: str) -> None:
    class Lost(Exception):
        pass

    upload = Upload()

    async def send() -> None:
        await upload.enough.wait()
        raise Lost

    async def main() -> None:
        for shared in (False, True):
            upload.reports, upload.enough = 0, anyio.Event()
            async with AsyncExitStack() as stack:
                if shared:
                    await stack.enter_async_context(shared_progress_reports(INTERVAL))
                with pytest.raises(Lost):
                    await report_while(upload, INTERVAL, send)

    run(backend, main)


async def test_with_every_other_wake_up_each_upload_reports_at_alternate_ones() -> None:
    ticker = _TaskTicker(INTERVAL, every=2)
    uploads = [Upload() for _ in range(5)]
    for upload in uploads:
        ticker.watch(upload, (anyio.CancelScope(), []))
    told = []
    for _ in range(6):
        before = sum(u.reports for u in uploads)
        assert ticker.report_all() is None
        told.append(sum(u.reports for u in uploads) - before)
    assert told == [3, 2, 3, 2, 3, 2]
    assert [u.reports for u in uploads] == [3] * 5
