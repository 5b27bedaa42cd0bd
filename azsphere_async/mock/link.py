"""Link simulation: the board's slow USB link as latency and a bandwidth cap, per device."""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio

from ._asgi import Message, Send

__all__ = ["LinkSettings"]


class _Pacer:
    """One direction of a shared link: chunks queue behind each other at the capped rate."""

    def __init__(self) -> None:
        self._free_at = 0.0

    async def pace(self, nbytes: int, bandwidth: float | None) -> None:
        if not bandwidth or nbytes <= 0:
            return
        now = time.monotonic()
        start = max(now, self._free_at)
        self._free_at = start + nbytes / bandwidth
        delay = self._free_at - now
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
        self.bandwidth = bandwidth
        self._up = _Pacer()
        self._down = _Pacer()

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
