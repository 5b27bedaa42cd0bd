"""Link simulation: the board's slow USB link as latency and a bandwidth cap, per device.

Served over sockets, the cap acts where a real link does: the board's end of the connection
takes request bytes only at the link's rate, with small receive buffers, so a client's
writes block and are spread over the upload (see :mod:`._serving`).  Served in-process there
is no socket, so request bodies are paced as the application reads them instead.  Answers
are paced as they are written, either way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

import anyio

from ._asgi import Message, Send

__all__ = ["LinkSettings"]

_SLACK: Final = 0.05
"""Seconds a paced piece may start in the past: timer lateness is made up, not lost."""


class _Pacer:
    """One direction of a shared link: chunks queue behind each other at the capped rate."""

    def __init__(self) -> None:
        self._free_at = 0.0

    def reserve(self, nbytes: int, bandwidth: float | None) -> float:
        """Queue ``nbytes`` on the link; the seconds from now until they are through."""
        if not bandwidth or nbytes <= 0:
            return 0.0
        now = time.monotonic()
        self._free_at = max(now - _SLACK, self._free_at) + nbytes / bandwidth
        return max(0.0, self._free_at - now)

    async def pace(self, nbytes: int, bandwidth: float | None) -> None:
        delay = self.reserve(nbytes, bandwidth)
        if delay > 0.0005:
            await anyio.sleep(delay)


class LinkSettings:
    """Latency and bandwidth of one device's link; change them at any time.

    ``latency`` (seconds) is added before each request is handled.  ``bandwidth`` (bytes per
    second, ``None`` for unlimited) caps request bodies and response bodies separately, each
    direction shared by all connections of the device, like one USB link.
    """

    def __init__(self, latency: float = 0.0, bandwidth: float | None = None) -> None:
        self.latency = latency
        self._bandwidth = bandwidth
        self._up = _Pacer()
        self._down = _Pacer()
        self._watchers: list[Callable[[], None]] = []

    @property
    def bandwidth(self) -> float | None:
        """Bytes per second each way, or ``None`` for no cap."""
        return self._bandwidth

    @bandwidth.setter
    def bandwidth(self, value: float | None) -> None:
        self._bandwidth = value
        for watcher in list(self._watchers):
            watcher()

    def watch(self, watcher: Callable[[], None]) -> None:
        """Call ``watcher`` whenever the bandwidth changes."""
        self._watchers.append(watcher)

    def unwatch(self, watcher: Callable[[], None]) -> None:
        """Stop calling ``watcher``."""
        if watcher in self._watchers:
            self._watchers.remove(watcher)

    def set(self, *, latency_ms: float | None = None, bandwidth: float | None = -1.0) -> None:
        """Change latency (milliseconds) and/or bandwidth (bytes/s; ``None`` lifts the cap)."""
        if latency_ms is not None:
            self.latency = latency_ms / 1000.0
        if bandwidth is None or bandwidth >= 0:
            self.bandwidth = bandwidth

    @property
    def active(self) -> bool:
        """Whether the link slows anything down."""
        return self.latency > 0 or bool(self.bandwidth)

    async def delay_request(self) -> None:
        """Wait out the per-request latency."""
        if self.latency > 0:
            await anyio.sleep(self.latency)

    async def pace_upload(self, nbytes: int) -> None:
        """Wait until ``nbytes`` more of request body fit the bandwidth cap."""
        await self._up.pace(nbytes, self.bandwidth)

    def reserve_upload(self, nbytes: int) -> float:
        """Queue ``nbytes`` towards the board; the seconds until they have arrived."""
        return self._up.reserve(nbytes, self.bandwidth)

    async def pace_download(self, nbytes: int) -> None:
        """Wait until ``nbytes`` more of response body fit the bandwidth cap."""
        await self._down.pace(nbytes, self.bandwidth)

    async def send_body(self, send: Send, message: Message, count: Callable[[int], None]) -> None:
        """Send an ASGI response body message through the link, in paced pieces when capped.

        ``count`` hears the bytes of each piece as it goes out.
        """
        body = message.get("body", b"")
        if not body or not self.bandwidth:
            count(len(body))
            await send(message)
            return
        more_body = bool(message.get("more_body"))
        step = max(1024, int(self.bandwidth / 50))
        view = memoryview(body)
        for start in range(0, len(body), step):
            piece = bytes(view[start : start + step])
            await self.pace_download(len(piece))
            count(len(piece))
            last = start + step >= len(body)
            await send(
                {"type": "http.response.body", "body": piece, "more_body": more_body or not last}
            )

    def __repr__(self) -> str:
        return f"LinkSettings(latency={self.latency!r}, bandwidth={self.bandwidth!r})"
