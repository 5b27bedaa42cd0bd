"""Streamed uploads of image packages, with progress.

:func:`stage_image` sends a package as ``PUT /update/stage`` with an exact
``Content-Length``, reading and sending it in chunks so memory stays flat whatever its size,
and reports progress to a callback. A path or bytes is checked first with
:func:`~azsphere_async.imagepackage.inspect_image`, so a wrong file fails before any traffic.
"""

from __future__ import annotations

import inspect
import io
import os
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Final, TypeAlias

import anyio
import attrs

from .errors import ImagePackageError, InvalidArgumentError
from .imagepackage import ImagePackageInfo, inspect_image
from .session import DeviceSession
from .validation import check_chunk_size, check_whole_number
from .versions import V3_0

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "FleetProgressCallback",
    "ImageSource",
    "ImageStream",
    "ProgressCallback",
    "StageProgress",
    "StagedImage",
    "stage_image",
]

#: Measured in benchmarks/ (chunk-size sweep into a bare TLS sink): each chunk costs about
#: 40 us in httpx, httpcore, h11 and anyio's TLS layer, so 64 KiB chunks reached 0.72x of a
#: raw TLS pump and 256 KiB chunks 1.16x. glibc maps buffers of 128 KiB and more afresh only
#: until its dynamic mmap threshold rises after the first free, so it does not hurt here.
DEFAULT_CHUNK_SIZE: Final = 256 * 1024

# Files are read in blocks this large (one worker-thread hop each) and sent in chunks.
_READ_BLOCK: Final = 1024 * 1024
# Progress is reported at most this often, and always at the end.
_PROGRESS_INTERVAL: Final = 0.05


@attrs.frozen
class ImageStream:
    """An image package arriving as an async iterable of bytes whose total size is known."""

    chunks: AsyncIterable[bytes]
    size: int


@attrs.frozen
class StageProgress:
    """How far an upload has got: bytes sent, of how many, and the average rate so far.

    "Sent" counts bytes handed to the connection. On a slow link the operating system's send
    buffer (a few MiB at most) may still hold some of them; the stage call itself returns only
    once the device has answered.
    """

    bytes_sent: int
    total_bytes: int
    elapsed: float

    @property
    def rate(self) -> float:
        """Average bytes per second since the upload began."""
        return self.bytes_sent / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def fraction(self) -> float:
        """The share sent, from 0.0 to 1.0."""
        return self.bytes_sent / self.total_bytes if self.total_bytes else 1.0


@attrs.frozen
class StagedImage:
    """The outcome of a stage: what was sent (``package`` is ``None`` for a raw stream)."""

    package: ImagePackageInfo | None
    bytes_sent: int
    elapsed: float

    @property
    def rate(self) -> float:
        """Average bytes per second of the upload."""
        return self.bytes_sent / self.elapsed if self.elapsed > 0 else 0.0


#: Called with a :class:`StageProgress`; may be a plain function or a coroutine function.
ProgressCallback: TypeAlias = Callable[[StageProgress], Awaitable[None] | None]
#: Receives a board's address and its :class:`StageProgress` (progress of a fleet's uploads).
FleetProgressCallback: TypeAlias = Callable[[str, StageProgress], Awaitable[None] | None]
#: A path to an image package, its bytes, or an :class:`ImageStream`.
ImageSource: TypeAlias = str | os.PathLike[str] | bytes | ImageStream


def _open_and_read(path: Path, view: memoryview) -> tuple[io.BufferedReader, int]:
    handle = path.open("rb")
    try:
        return handle, handle.readinto(view)
    except BaseException:
        handle.close()
        raise


async def _file_chunks(path: Path, size: int, chunk_size: int) -> AsyncIterator[bytes]:
    """Exactly ``size`` bytes of ``path``, read a block at a time in a worker thread.

    Opening shares the first read's thread hop (each hop costs about 70 us of CPU), so a
    package that fits in one block costs a single hop; closing a file read this way does not
    block.
    """
    block = bytearray(max(_READ_BLOCK, chunk_size))
    view = memoryview(block)
    wanted = min(len(block), size)
    handle, got = await anyio.to_thread.run_sync(_open_and_read, path, view[:wanted])
    remaining = size
    try:
        while True:
            if not got:
                raise ImagePackageError(
                    "image",
                    f"{str(path)!r} (shrank while it was being sent)",
                    "a file that stays unchanged",
                )
            remaining -= got
            for start in range(0, got, chunk_size):
                yield bytes(view[start : min(start + chunk_size, got)])
            if remaining <= 0:
                break
            wanted = min(len(block), remaining)
            got = await anyio.to_thread.run_sync(handle.readinto, view[:wanted])
    finally:
        handle.close()


async def _bytes_chunks(data: bytes, chunk_size: int) -> AsyncIterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(data), chunk_size):
        yield bytes(view[start : start + chunk_size])


async def _exact(chunks: AsyncIterable[bytes], size: int) -> AsyncIterator[bytes]:
    """Pass a stream through, refusing one that is longer or shorter than it said."""
    sent = 0
    async for chunk in chunks:
        sent += len(chunk)
        if sent > size:
            raise InvalidArgumentError(
                "image", f"a stream of more than {size} bytes", f"exactly {size} bytes"
            )
        yield chunk
    if sent != size:
        raise InvalidArgumentError(
            "image", f"a stream of {sent} bytes", f"exactly {size} bytes as declared"
        )


class _Meter:
    """Counts bytes as they go out and calls the progress callback now and then."""

    def __init__(self, total: int, callback: ProgressCallback | None) -> None:
        self.total = total
        self.sent = 0
        self.callback = callback
        self.started = time.monotonic()
        self._last_report = float("-inf")

    async def count(self, chunks: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
        async for chunk in chunks:
            yield chunk
            self.sent += len(chunk)
            if self.callback is not None:
                now = time.monotonic()
                if now - self._last_report >= _PROGRESS_INTERVAL or self.sent == self.total:
                    self._last_report = now
                    await self.report(now)

    async def report(self, now: float) -> None:
        assert self.callback is not None
        result = self.callback(StageProgress(self.sent, self.total, now - self.started))
        if inspect.isawaitable(result):
            await result


async def stage_image(
    session: DeviceSession,
    source: ImageSource,
    *,
    progress: ProgressCallback | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    check: bool = True,
    package: ImagePackageInfo | None = None,
) -> StagedImage:
    """Upload an image package to ``PUT /update/stage``, streamed, with progress.

    A path or bytes is checked first (``check=True``): it must be an image package whose
    metadata can be read; the error comes before any traffic. ``package`` is that metadata
    when the caller has read it already (a fleet reads it once for every board). A connection
    lost mid-upload raises :class:`~azsphere_async.errors.DeviceUnreachableError` giving the
    bytes sent.
    """
    chunk_size = check_chunk_size(chunk_size)
    body: AsyncIterable[bytes]
    if isinstance(source, ImageStream):
        package = None
        size = check_whole_number(source.size, "image.size", minimum=1, unit="of bytes")
        body = _exact(source.chunks, size)
    elif isinstance(source, bytes):
        if not source:
            raise ImagePackageError("image", "0 bytes", "a non-empty image package")
        if package is None and check:
            package = inspect_image(source)
        size = len(source)
        body = _bytes_chunks(source, chunk_size)
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        if package is None and check:
            package = inspect_image(path)
        if package is not None:
            size = package.size
        else:
            try:
                size = (await anyio.Path(path).stat()).st_size
            except OSError as exc:
                raise ImagePackageError(
                    "image", f"{str(path)!r} ({exc.strerror})", "a readable file"
                ) from None
        body = _file_chunks(path, size, chunk_size)
    else:
        raise InvalidArgumentError(
            "image", type(source).__name__, "a path, bytes, or an ImageStream with a known size"
        )
    meter = _Meter(size, progress)
    await session.request(
        "PUT",
        "/update/stage",
        content=meter.count(body),
        content_length=size,
        content_type="application/octet-stream",
        min_version=V3_0,
        operation="sideload.stage",
        bytes_sent=lambda: meter.sent,
    )
    return StagedImage(package, meter.sent, time.monotonic() - meter.started)
