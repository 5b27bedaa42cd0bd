"""Mock boards served from a background thread, for clients that run their own event loop.

The command line runs its own loop (``anyio.run``), so the mock boards it talks to are served
from another thread with a loop of its own. Tests read the boards' state and stats directly
(plain attributes), once the command has finished.
"""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType
from typing import Any

from azsphere_async.mock import MockDeviceConfig, MockFleet

__all__ = ["ThreadedFleet"]


class ThreadedFleet:
    """A :class:`~azsphere_async.mock.MockFleet` served by a daemon thread until :meth:`close`.

    ``count``, ``config`` and ``options`` are :class:`MockFleet`'s. A context manager too.
    """

    def __init__(self, count: int, config: MockDeviceConfig | None = None, **options: Any) -> None:
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._fleet: MockFleet | None = None
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
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            try:
                async with MockFleet(count, config, **options) as fleet:
                    self._fleet = fleet
                    self._ready.set()
                    await self._stop.wait()
            except BaseException as exc:
                self._error = exc
                self._ready.set()

        asyncio.run(main())

    @property
    def mock(self) -> MockFleet:
        """The fleet (read it only while no client is talking to it)."""
        assert self._fleet is not None
        return self._fleet

    @property
    def addresses(self) -> list[str]:
        """The boards' ``host:port`` addresses."""
        return self.mock.addresses

    def close(self) -> None:
        """Stop the fleet and its thread."""
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def __enter__(self) -> ThreadedFleet:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
