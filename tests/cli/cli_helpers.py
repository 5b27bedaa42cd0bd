"""Shared helpers of the command line's tests: mock fleets served from a background thread.

The command line runs its own event loop (``anyio.run``), so the mock boards it talks to are
served from another thread with a loop of its own; tests read the boards' state and stats
directly (plain attributes, read after the command has finished).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel

from azsphere_async.mock import MockDeviceConfig, MockFleet


class ThreadedFleet:
    """A :class:`MockFleet` served by an event loop in a daemon thread until :meth:`close`."""

    def __init__(self, count: int, config: MockDeviceConfig | None = None, **options: Any) -> None:
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._stop: anyio.Event | None = None
        self._token: Any = None
        self.fleet: MockFleet | None = None
        self._thread = threading.Thread(
            target=self._serve, args=(count, config, options), daemon=True
        )
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the mock fleet did not start within 30 s")
        if self._error is not None:
            raise self._error

    def _serve(self, count: int, config: MockDeviceConfig | None, options: dict[str, Any]) -> None:
        async def main() -> None:
            self._stop = anyio.Event()
            self._token = anyio.lowlevel.current_token()
            try:
                async with MockFleet(count, config, **options) as fleet:
                    self.fleet = fleet
                    self._ready.set()
                    await self._stop.wait()
            except BaseException as exc:
                self._error = exc
                self._ready.set()
                raise

        with contextlib.suppress(BaseException):
            anyio.run(main)

    @property
    def mock(self) -> MockFleet:
        assert self.fleet is not None
        return self.fleet

    @property
    def addresses(self) -> list[str]:
        return self.mock.addresses

    def call(self, function: Callable[[], Any]) -> Any:
        """Run ``function`` in the fleet's thread (for changes to the boards' state)."""
        return anyio.from_thread.run_sync(function, token=self._token)

    def close(self) -> None:
        if self._stop is not None and self._thread.is_alive():
            anyio.from_thread.run_sync(self._stop.set, token=self._token)
        self._thread.join(30)
