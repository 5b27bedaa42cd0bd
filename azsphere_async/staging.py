"""Streamed uploads of image packages, with progress.

:func:`stage_image` sends a package as ``PUT /update/stage`` with an exact
``Content-Length``, reading and sending it in chunks so memory stays flat whatever its size,
and reports progress to a callback. A path or bytes is checked first with
:func:`~azsphere_async.imagepackage.inspect_image`, so a wrong file fails before any traffic.
Progress counts the bytes the board has acknowledged (:mod:`azsphere_async.acknowledged`),
sampled every :data:`PROGRESS_INTERVAL` seconds while the upload runs and while the board
takes its time to answer.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Final, TypeAlias

import anyio
import attrs

from .acknowledged import AcknowledgedCounter
from .errors import ImagePackageError, InvalidArgumentError
from .imagepackage import ImagePackageInfo, inspect_image
from .progress import Phase, RateWindow, StageProgress, tell
from .session import DeviceSession
from .validation import check_chunk_size, check_whole_number
from .versions import V3_0

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "PROGRESS_INTERVAL",
    "FleetProgressCallback",
    "ImageSource",
    "ImageStream",
    "Phase",
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
#: Seconds between progress reports (and one when the phase changes, and at the end).
PROGRESS_INTERVAL: Final = 0.1


@attrs.frozen
class ImageStream:
    """An image package arriving as an async iterable of bytes whose total size is known."""

    chunks: AsyncIterable[bytes]
    size: int


@attrs.frozen
class StagedImage:
    """The outcome of a stage: what was sent (``package`` is ``None`` for a raw stream).

    Once the board has answered, it has every byte: ``bytes_sent`` is the image's size.
    """

    package: ImagePackageInfo | None
    bytes_sent: int
    elapsed: float

    @property
    def rate(self) -> float:
        """Average bytes per second of the upload, until the board answered."""
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
    """Counts what the board has received and tells the progress callback now and then."""

    def __init__(
        self, total: int, callback: ProgressCallback | None, session: DeviceSession
    ) -> None:
        self.total = total
        self.callback = callback
        self.counter = AcknowledgedCounter(session.connection_socket)
        self.phase = Phase.CONNECTING
        self.started = time.monotonic()
        self._window = RateWindow()
        self._sampled = False

    @property
    def received(self) -> int:
        """Body bytes the board has acknowledged so far."""
        return self.counter.acknowledged()

    async def count(self, chunks: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
        """The body, counted as the connection takes it."""
        counter = self.counter
        async for chunk in chunks:
            if self.phase is Phase.CONNECTING:
                counter.begin()
                self.phase = Phase.UPLOADING
                await self.report()
            counter.sending(len(chunk))
            yield chunk
            counter.sent()

    async def tick(self) -> None:
        """Report every :data:`PROGRESS_INTERVAL` until cancelled."""
        while True:
            await anyio.sleep(PROGRESS_INTERVAL)
            await self.report()

    async def report(self) -> None:
        """Tell the callback (if there is one) where the upload is."""
        if self.callback is None:
            return
        now = time.monotonic()
        received = self.received
        rate = None
        if self.phase is Phase.UPLOADING:
            if received >= self.total:
                self.phase = Phase.WAITING
            elif self._sampled:
                # Not the first sample: that one holds the burst that filled the board's buffers.
                self._window.add(now, received)
                rate = self._window.rate()
            self._sampled = True
        update = StageProgress(
            received, self.total, now - self.started, self.phase, rate, self.counter.exact
        )
        await tell(self.callback, update)

    async def finish(self) -> None:
        """The board answered: it has every byte."""
        self.phase = Phase.WAITING
        if self.callback is not None:
            elapsed = time.monotonic() - self.started
            await tell(self.callback, StageProgress(self.total, self.total, elapsed, self.phase))

    async def send_with_ticks(self, send: Callable[[], Awaitable[object]]) -> None:
        """Await ``send()`` while reporting progress; the first failure of either is raised."""
        failure: Exception | None = None
        async with anyio.create_task_group() as group:

            async def tick() -> None:
                nonlocal failure
                try:
                    await self.tick()
                except Exception as exc:  # the caller's callback failed: stop the upload
                    failure = exc
                    group.cancel_scope.cancel()

            group.start_soon(tick)
            try:
                await send()
            except Exception as exc:
                failure = failure or exc
            finally:
                group.cancel_scope.cancel()
        if failure is not None:
            raise failure


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
    lost mid-upload raises :class:`~azsphere_async.errors.DeviceUnreachableError` whose
    ``bytes_sent`` counts the bytes the board acknowledged.

    ``progress`` hears a :class:`StageProgress` when the upload begins (phase
    ``uploading``), every :data:`PROGRESS_INTERVAL` seconds while the board receives it,
    and while it has every byte but has not answered (``waiting``), and last with the whole
    image received, once the board answered.
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
    meter = _Meter(size, progress, session)

    async def send() -> None:
        await session.request(
            "PUT",
            "/update/stage",
            content=meter.count(body),
            content_length=size,
            content_type="application/octet-stream",
            min_version=V3_0,
            operation="sideload.stage",
            bytes_sent=lambda: meter.received,
        )

    try:
        if progress is None:
            await send()
        else:
            await meter.report()
            await meter.send_with_ticks(send)
    finally:
        meter.counter.close()
    await meter.finish()
    return StagedImage(package, size, time.monotonic() - meter.started)
