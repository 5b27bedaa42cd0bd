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

import hashlib
import os
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import BinaryIO, Final, TypeAlias, cast

import anyio
import attrs

from .acknowledged import AcknowledgedCounter
from .errors import ImagePackageError, InvalidArgumentError
from .imagepackage import (
    ImagePackageInfo,
    PackageFile,
    inspect_image,
    inspect_image_in_thread,
    open_package_file,
)
from .progress import Phase, RateWindow, StageProgress, tell_now
from .session import DeviceSession
from .ticker import report_while
from .validation import check_choice, check_chunk_size, check_whole_number
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

#: Each chunk costs about 20 us of CPU below the body under asyncio (a TLS write, the body's
#: iteration and bookkeeping; a turn of the event loop only when the socket is full; more
#: under trio, through anyio's streams): with 512 KiB chunks about 4 % of an upload's CPU.
#: Bigger chunks gain little more and coarsen progress where the board's acknowledgements
#: cannot be read (no ``TCP_INFO``). Chunks are views of the 1 MiB read buffer, so their
#: size adds no memory but the TLS records of a chunk or two waiting to be sent.
DEFAULT_CHUNK_SIZE: Final = 512 * 1024

# Files are read in blocks this large and sent in chunks.
_READ_BLOCK: Final = 1024 * 1024
# Positional reads (not on Windows), and Linux's flag for a read that never waits for the disk.
_PREADV: Final = hasattr(os, "preadv")
_NOWAIT: Final[int | None] = getattr(os, "RWF_NOWAIT", None) if _PREADV else None
#: Seconds between a single upload's progress reports (and one when the upload begins, and
#: at the end); a fleet's deploy reports each board once a second
#: (:data:`~azsphere_async.deploy.FLEET_PROGRESS_INTERVAL`). There (``benchmarks/``: deploy,
#: which counts the CPU where it is spent, on a loaded 2-core machine) a report costs about
#: 5-9 us, its caches cold, watching an upload about 7 us, and each of the ticker's wake-ups
#: about 0.1 ms with its first report. Over 1 MB/s links a 2 MiB deploy costs the client
#: about 6 ms per board, of which progress takes about 1.5 % (8 boards) and 0.9 % (32); at
#: 128 boards over 250 KB/s links (512 KiB each) about 2-2.4 ms per board, of which 1.8 %.
PROGRESS_INTERVAL: Final = 0.5

# What an upload's last report may say comes next.
_AFTER_UPLOAD: Final = (Phase.WAITING, Phase.INSTALLING, Phase.CONFIRMING)


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


def _read_at(handle: BinaryIO, view: memoryview, position: int) -> int:
    """Read into ``view`` from ``position`` of the file, waiting for the disk if need be."""
    if _PREADV:
        return os.preadv(handle.fileno(), [view], position)
    handle.seek(position)
    got: int = handle.readinto(view)  # type: ignore[attr-defined]
    return got


def _same(now: os.stat_result, then: os.stat_result) -> bool:
    return (now.st_dev, now.st_ino, now.st_size, now.st_mtime_ns) == (
        then.st_dev,
        then.st_ino,
        then.st_size,
        then.st_mtime_ns,
    )


class _PackageFileBody:
    """A package file as an upload's body: opened and checked before any traffic, then read
    a block at a time as it is sent.

    The file must be the one ``checked`` describes (when given), unchanged, and must stay so
    until its last byte is read; the bytes its metadata was read from (the tail, at most
    64 KiB) are held back until they are read and match what was checked. A file that
    changes while it is sent is an :class:`~azsphere_async.errors.ImagePackageError` before
    those bytes go out, so the board only ever sees an upload cut short, which it discards.

    Blocks the page cache holds are read without leaving the event loop (Linux's
    ``RWF_NOWAIT``: a read that never waits for the disk, so it costs what copying the bytes
    costs); others are read in a worker thread (a hop costs about 70 us of CPU). Opening
    shares the first read's hop. With ``lend``, the chunks are views of the one block buffer,
    refilled once the connection has written them out and asked for more (the session says
    whether its transport does so: :attr:`DeviceSession.borrows_chunks`); otherwise copies.
    """

    def __init__(
        self, path: Path, size: int, chunk_size: int, checked: PackageFile | None, *, lend: bool
    ) -> None:
        self.path = path
        self.size = size
        self.chunk_size = chunk_size
        self.checked = checked
        self.lend = lend
        self._block = memoryview(bytearray(min(max(_READ_BLOCK, chunk_size), size)))
        self._handle: BinaryIO | None = None
        self._opened: os.stat_result | None = None
        self._first = 0
        self._nowait = _NOWAIT is not None

    def _changed(self, how: str) -> ImagePackageError:
        return ImagePackageError(
            "image", f"{str(self.path)!r} ({how})", "a file that stays unchanged while it is sent"
        )

    def _open_and_read(self) -> None:
        handle, status = open_package_file(self.path)
        try:
            if self.checked is not None and not self.checked.same_file(status):
                raise self._changed("changed since its metadata was checked; check it again")
            if status.st_size != self.size:
                raise self._changed(f"{status.st_size} bytes where {self.size} were expected")
            self._first = _read_at(handle, self._block, 0)
        except BaseException:
            handle.close()
            raise
        self._handle, self._opened = handle, status

    async def open(self) -> None:
        """Open and check the file, and read its first block."""
        await anyio.to_thread.run_sync(self._open_and_read)

    def close(self) -> None:
        """Close the file (closing a file read this way does not block)."""
        if self._handle is not None:
            self._handle.close()

    def _unchanged(self) -> bool:
        assert self._handle is not None
        assert self._opened is not None
        return _same(os.fstat(self._handle.fileno()), self._opened)

    def _cached(self, handle: BinaryIO, view: memoryview, position: int) -> int:
        """Read what the page cache holds from ``position`` into ``view``, never waiting for
        the disk: the bytes read, 0 when it holds none (or cannot be asked)."""
        if not self._nowait:
            return 0
        try:
            return os.preadv(handle.fileno(), [view], position, _NOWAIT or 0)
        except BlockingIOError:
            return 0
        except OSError:  # a file system or kernel that cannot read this way
            self._nowait = False
            return 0

    async def chunks(self) -> AsyncIterator[bytes | memoryview]:
        """Exactly ``size`` bytes of the file, in chunks; see the class's description."""
        handle, block, chunk_size, lend = self._handle, self._block, self.chunk_size, self.lend
        assert handle is not None
        hold_from = self.checked.tail_start if self.checked is not None else self.size
        held = bytearray()
        position, got = 0, self._first
        try:
            while True:
                if not got:
                    raise self._changed("shrank while it was being sent")
                free = max(0, min(got, hold_from - position))
                for start in range(0, free, chunk_size):
                    piece = block[start : min(start + chunk_size, free)]
                    yield piece if lend else bytes(piece)
                held += block[free:got]
                position += got
                if position >= self.size:
                    break
                view = block[: min(len(block), self.size - position)]
                got = self._cached(handle, view, position) or await anyio.to_thread.run_sync(
                    _read_at, handle, view, position
                )
            if not await anyio.to_thread.run_sync(self._unchanged):
                raise self._changed("changed while it was being sent")
            if (
                self.checked is not None
                and hashlib.sha256(held).digest() != self.checked.tail_digest
            ):
                raise self._changed("its metadata changed since it was checked")
            tail = memoryview(held)
            for start in range(0, len(held), chunk_size):
                piece = tail[start : start + chunk_size]
                yield piece if lend else bytes(piece)
        finally:
            self.close()


async def _bytes_chunks(
    data: bytes, chunk_size: int, *, lend: bool
) -> AsyncIterator[bytes | memoryview]:
    view = memoryview(data)
    for start in range(0, len(data), chunk_size):
        piece = view[start : start + chunk_size]
        yield piece if lend else bytes(piece)


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
                pending = self.report_now()
                if pending is not None:
                    await pending
            counter.sending(len(chunk))
            yield chunk
            counter.sent()

    def report_now(self) -> Awaitable[None] | None:
        """Tell the callback (if there is one) where the upload is; returns what is left to
        await of a coroutine function's call. A fleet's shared ticker calls this for every board
        once a second, so it does no more than it must."""
        callback = self.callback
        if callback is None:
            return None
        now = time.monotonic()
        counter = self.counter
        received = counter.acknowledged()
        phase = self.phase
        rate = None
        if phase is Phase.UPLOADING:
            if received >= self.total:
                self.phase = phase = Phase.WAITING
            elif self._sampled:
                # Not the first sample: that one holds the burst that filled the board's buffers.
                rate = self._window.add(now, received)
            self._sampled = True
        update = StageProgress(received, self.total, now - self.started, phase, rate, counter.exact)
        return tell_now(callback, update)

    def finish(self, phase: Phase) -> Awaitable[None] | None:
        """The board answered: it has every byte. Tells the callback so, in ``phase``;
        returns what is left to await of a coroutine function's call."""
        self.phase = phase
        if self.callback is None:
            return None
        elapsed = time.monotonic() - self.started
        return tell_now(self.callback, StageProgress(self.total, self.total, elapsed, self.phase))


async def stage_image(
    session: DeviceSession,
    source: ImageSource,
    *,
    progress: ProgressCallback | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    check: bool = True,
    package: ImagePackageInfo | None = None,
    next_phase: Phase | str = Phase.WAITING,
) -> StagedImage:
    """Upload an image package to ``PUT /update/stage``, streamed, with progress.

    A path or bytes is checked first (``check=True``): it must be an image package whose
    metadata can be read; the error comes before any traffic. ``package`` is that metadata
    when the caller has read it already (a fleet reads it once for every board). The bytes
    sent are the file's as it was checked: a file that changed since, or changes while it
    is sent, is an :class:`~azsphere_async.errors.ImagePackageError` before its metadata
    goes out. A connection lost mid-upload raises
    :class:`~azsphere_async.errors.DeviceUnreachableError` whose ``bytes_sent`` counts the
    bytes the board acknowledged.

    ``progress`` hears a :class:`StageProgress` first as it connects (phase ``connecting``;
    not on a session already connected to the board, whose REST API version it knows), when
    the upload begins (phase ``uploading``), every :data:`PROGRESS_INTERVAL` seconds while the
    board receives it (in a fleet's deploy, as its shared ticker has it: once a second) and
    while it has every byte but has not answered (``waiting``), and last with the whole image
    received, once the board answered: in phase ``next_phase``, what the caller goes on to do
    (a deploy: ``installing``; by default ``waiting``), so that the end of the upload and the
    next phase come as one report.
    """
    chunk_size = check_chunk_size(chunk_size)
    next_phase = check_choice(next_phase, Phase, "next_phase", among=_AFTER_UPLOAD)
    # Views of the body's buffers rather than copies, where the connection is done with each
    # chunk before it asks for the next.
    lend = session.borrows_chunks
    body: AsyncIterable[bytes | memoryview]
    file_body: _PackageFileBody | None = None
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
        body = _bytes_chunks(source, chunk_size, lend=lend)
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        if (package is None and check) or (package is not None and package.file is None):
            # Metadata that did not come from a file (or none yet) is read from this one;
            # given metadata must describe it.
            read = await inspect_image_in_thread(path)
            if package is not None and read != package:
                raise ImagePackageError(
                    "image", f"{str(path)!r}", f"the package described by {package!r}"
                )
            package = read
        if package is not None:
            size = package.size
        else:
            try:
                size = (await anyio.Path(path).stat()).st_size
            except OSError as exc:
                raise ImagePackageError(
                    "image", f"{str(path)!r} ({exc.strerror})", "a readable file"
                ) from None
        checked = package.file if package else None
        file_body = _PackageFileBody(path, size, chunk_size, checked, lend=lend)
        await file_body.open()
        body = file_body.chunks()
    else:
        raise InvalidArgumentError(
            "image", type(source).__name__, "a path, bytes, or an ImageStream with a known size"
        )
    meter = _Meter(size, progress, session)

    async def send() -> None:
        await session.request(
            "PUT",
            "/update/stage",
            # Views count and travel as bytes do (the transport takes any bytes-like chunk).
            content=meter.count(cast("AsyncIterable[bytes]", body)),
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
            if session.rest_api_version is None or session.connection_socket() is None:
                # It must connect (or learn the version) first. A board already connected
                # starts receiving at once: its first report is the upload's beginning.
                pending = meter.report_now()
                if pending is not None:
                    await pending
            await report_while(meter, PROGRESS_INTERVAL, send)
    finally:
        meter.counter.close()
        if file_body is not None:
            file_body.close()  # also when the request failed before reading the body
    pending = meter.finish(next_phase)
    if pending is not None:
        await pending
    return StagedImage(package, size, time.monotonic() - meter.started)
