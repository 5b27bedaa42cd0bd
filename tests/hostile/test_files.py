"""Hostile files: every file is inspected in milliseconds without blocking, every unreadable
package is an ``ImagePackageError`` naming it, and what is sent is what was checked.

The kit: the two real packages with their metadata corrupted field by field (a section count
of four billion, build times past the year 9999, unknown section and ABI types, sections that
overrun the block) and at random (hypothesis), and files that are not packages at all:
FIFOs, sockets, devices, directories, paths with a NUL. Packages that change between their
check and their upload, or during it, must fail with a typed error before the changed
bytes reach a board.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import statistics
import struct
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

import anyio
import anyio.lowlevel
import pytest
import trustme
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from azsphere_async import (
    DeviceClient,
    Fleet,
    ImagePackageError,
    ImagePackageInfo,
    inspect_image,
    staging,
)
from azsphere_async.imagepackage import TAIL_BYTES, inspect_image_in_thread, read_checked_package
from azsphere_async.staging import StageProgress
from tests.reliability.reliability_helpers import LIMITS, ScriptedServer, http_answer
from tests.shared_data import BLINK, MUTABLE, big_package

PACKAGES: Final = {"blink": BLINK.read_bytes(), "mutable": MUTABLE.read_bytes()}
_MAGIC: Final = struct.pack("<I", 0x4D345834)


def _block(data: bytes) -> int:
    """Where the metadata block (its header) starts."""
    return data.rfind(_MAGIC)


def _sections(data: bytes) -> dict[int, int]:
    """Each section's id and the offset of its payload."""
    position = _block(data) + 8
    found = {}
    for _ in range(struct.unpack_from("<I", data, _block(data) + 4)[0]):
        section_id, length = struct.unpack_from("<HH", data, position)
        found[section_id] = position + 4
        position += 4 + length
    return found


IDENTITY, DEBUG, ABI_DEPENDS = 0x4449, 0x4244, 0x444E


def _patched(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out)


def _corruptions() -> dict[str, bytes]:
    blink = PACKAGES["blink"]
    block, sections = _block(blink), _sections(blink)
    debug, abi = sections[DEBUG], sections[ABI_DEPENDS]
    first_section = block + 8
    return {
        "a section count of four billion": _patched(blink, block + 4, "<I", 0xFFFFFFFF),
        "a section count of 65,536": _patched(blink, block + 4, "<I", 65536),
        "empty sections, counted past the block": _patched(
            _patched(blink, first_section + 2, "<H", 0), block + 4, "<I", 60000
        ),
        "a build time past the year 9999": _patched(blink, debug, "<Q", 2**62),
        "the largest build time": _patched(blink, debug, "<Q", 2**64 - 1),
        "a build time of 2**40": _patched(blink, debug, "<Q", 2**40),
        "an unknown section": _patched(blink, first_section, "<H", 0x9999),
        "an unknown ABI type": _patched(blink, abi + 8, "<I", 99),
        "more ABI versions than bytes": _patched(blink, abi, "<I", 0xFFFFFFFF),
        "a section longer than the block": _patched(blink, first_section + 2, "<H", 0xFFFF),
        "a metadata length of four billion": _patched(blink, len(blink) - 68, "<I", 0xFFFFFFFF),
        "a metadata length of 9 (a 1BL block)": _patched(blink, len(blink) - 68, "<I", 9),
        "two identity sections": _patched(blink, first_section + 40, "<H", IDENTITY),
        "a debug name that is not UTF-8": blink[: debug + 8] + b"\xff" * 32 + blink[debug + 40 :],
        "a bad magic": _patched(blink, block, "<I", 0),
        "no identity section": _patched(blink, first_section, "<H", 0x5054),
        "only the signature": blink[-64:],
        "only the metadata block": blink[block:],
        "the tail cut off": blink[:-1],
        "a byte appended": blink + b"\x00",
        "random bytes": os.urandom(len(blink)),
        "zeros": bytes(len(blink)),
        "one byte": b"\x00",
    }


CORRUPTIONS: Final = _corruptions()
#: Changes after which the metadata may still read (the block is intact, only moved or alone).
_MAY_STILL_READ: Final = {"a byte appended", "only the metadata block"}


def _cpu_of(work: Callable[[], object]) -> float:
    started = time.thread_time()
    with contextlib.suppress(ImagePackageError):
        work()
    return time.thread_time() - started


@pytest.fixture(scope="module")
def inspect_budget() -> float:
    """CPU seconds any inspection may take: a hundred times a real package's (or 50 ms)."""
    baseline = statistics.median(_cpu_of(lambda: inspect_image(BLINK)) for _ in range(20))
    return max(100 * baseline, 0.05)


def _inspect_with_a_guard(source: bytes | Path) -> ImagePackageInfo | ImagePackageError:
    """Inspect in a thread, failing (not hanging) if it never ends."""
    outcome: list[ImagePackageInfo | ImagePackageError] = []

    def run() -> None:
        try:
            outcome.append(inspect_image(source))
        except ImagePackageError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), "inspecting the file never finished"
    assert outcome, "inspecting the file raised something other than ImagePackageError"
    return outcome[0]


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_a_corrupt_package_is_an_image_package_error_in_milliseconds(
    name: str, inspect_budget: float, tmp_path: Path
) -> None:
    path = tmp_path / "corrupt.imagepackage"
    path.write_bytes(CORRUPTIONS[name])
    for source in (CORRUPTIONS[name], path):
        outcome = _inspect_with_a_guard(source)
        if name in _MAY_STILL_READ and isinstance(outcome, ImagePackageInfo):
            continue
        assert isinstance(outcome, ImagePackageError), name
        assert outcome.argument == "image"
        if isinstance(source, Path):
            assert str(path) in str(outcome)
        assert _cpu_of(lambda: inspect_image(source)) < inspect_budget  # noqa: B023


def test_a_package_still_reads_as_itself() -> None:
    info = inspect_image(BLINK)
    assert info == inspect_image(BLINK.read_bytes())
    assert info.name == "AzureSphereBlinkTest"
    assert info.file is not None
    assert info.file.size == BLINK.stat().st_size


_FIELD_FORMATS: Final = {"<B": 255, "<H": 0xFFFF, "<I": 0xFFFFFFFF, "<Q": 2**64 - 1}


@st.composite
def corrupt_packages(draw: st.DrawFn) -> bytes:
    """A real package whose metadata block (and signature) took one to four hits."""
    data = bytearray(PACKAGES[draw(st.sampled_from(sorted(PACKAGES)))])
    block = _block(bytes(data))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["field", "field", "field", "cut", "grow"]))
        if kind == "field":
            fmt = draw(st.sampled_from(sorted(_FIELD_FORMATS)))
            width = struct.calcsize(fmt)
            if len(data) - width <= block:
                continue
            offset = draw(st.integers(block, len(data) - width))
            top = _FIELD_FORMATS[fmt]
            value = draw(st.one_of(st.sampled_from([0, 1, top, top // 2 + 1]), st.integers(0, top)))
            struct.pack_into(fmt, data, offset, value)
        elif kind == "cut":
            del data[draw(st.integers(0, len(data))) :]
        else:
            data += draw(st.binary(max_size=300))
    return bytes(data)


FUZZ: Final = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@FUZZ
@given(corrupt_packages())
def test_fuzzed_packages_are_read_or_refused_quickly(data: bytes) -> None:
    started = time.thread_time()
    outcome: ImagePackageInfo | ImagePackageError
    try:
        outcome = inspect_image(data)
    except ImagePackageError as exc:
        outcome = exc
    # A real package takes about a millisecond; the corrupt count once took minutes.
    assert time.thread_time() - started < 1.0
    if isinstance(outcome, ImagePackageError):
        assert outcome.argument == "image"
        assert f"{len(data)} bytes" in str(outcome)
    else:
        assert outcome.size == len(data)


@settings(max_examples=60, deadline=None, database=None)
@given(corrupt_packages())
def test_fuzzed_packages_cost_little_memory(data: bytes) -> None:
    tracemalloc.start()
    try:
        inspect_image(data)
    except ImagePackageError:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    # The tail is at most 64 KiB; empty sections counted past the block once cost an
    # object each, four billion times.
    assert peak < 64 * TAIL_BYTES


def _fifo(tmp: Path) -> Path:
    os.mkfifo(tmp / "fifo")
    return tmp / "fifo"


def _socket(tmp: Path) -> Path:
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(tmp / "sock"))
    _OPEN_SOCKETS.append(listener)
    return tmp / "sock"


def _link_to_fifo(tmp: Path) -> Path:
    (tmp / "link").symlink_to(_fifo(tmp))
    return tmp / "link"


_OPEN_SOCKETS: list[socket.socket] = []

#: Files that are not packages at all, and what their refusal says.
NOT_PACKAGES: Final[dict[str, tuple[Callable[[Path], Path], str]]] = {
    "a FIFO": (_fifo, "not a regular file"),
    "a symbolic link to a FIFO": (_link_to_fifo, "not a regular file"),
    "a socket": (_socket, "not a regular file"),
    "a device": (lambda tmp: Path(os.devnull), "not a regular file"),
    "a directory": (lambda tmp: tmp, "a directory"),
    "a missing file": (lambda tmp: tmp / "missing", "no such file"),
    "an empty file": (lambda tmp: _written(tmp / "empty", b""), "empty"),
    "a path with a NUL": (lambda tmp: tmp / "a\x00b", "null"),
}


def _written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.fixture
def unblock_fifos(tmp_path: Path) -> Iterator[list[bool]]:
    """After 10 s, open every FIFO under ``tmp_path`` for writing: a reader blocked in
    open() gets out, and the test fails instead of hanging (the list says if it fired)."""
    fired: list[bool] = []
    done = threading.Event()

    def unblock() -> None:
        if done.wait(10):
            return
        fired.append(True)
        for path in tmp_path.rglob("*"):
            if path.is_fifo():
                with open(path, "wb"):
                    pass

    helper = threading.Thread(target=unblock, daemon=True)
    helper.start()
    yield fired
    done.set()
    helper.join()
    for listener in _OPEN_SOCKETS:
        listener.close()
    _OPEN_SOCKETS.clear()


@pytest.mark.parametrize("kind", list(NOT_PACKAGES))
async def test_a_file_that_is_not_a_package_is_refused_without_blocking(
    kind: str, tmp_path: Path, unblock_fifos: list[bool]
) -> None:
    make, says = NOT_PACKAGES[kind]
    path = make(tmp_path)
    with pytest.raises(ImagePackageError, match=says) as caught:
        inspect_image(path)
    assert caught.value.argument == "image"
    with pytest.raises(ImagePackageError, match=says):
        await inspect_image_in_thread(path)
    async with StageBoard() as board, board.client() as client:
        with pytest.raises(ImagePackageError, match=says):
            await client.deploy(path)
        with pytest.raises(ImagePackageError, match=says):
            await client.sideload.stage(path)
        async with Fleet([board.address], ca=board.server.client_context()) as fleet:
            with pytest.raises(ImagePackageError, match=says):
                await fleet.deploy(path)
    assert not board.stages, "a board was sent something"
    assert not unblock_fifos, "something waited in open() for a writer"


class StageBoard:
    """A board on loopback that answers the version probe and takes uploads, counting the
    bytes that reached it (``stages``: the bytes of each upload, finished or not)."""

    def __init__(self, ca: trustme.CA | None = None) -> None:
        self.stages: list[bytearray] = []
        self.server = ScriptedServer(self._script, ca=ca)

    @property
    def address(self) -> str:
        return self.server.address

    def client(self) -> DeviceClient:
        return DeviceClient(self.address, ca=self.server.client_context(), timeout=LIMITS)

    async def _script(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int
    ) -> None:
        while True:
            try:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            except (asyncio.IncompleteReadError, asyncio.CancelledError):
                return
            length = 0
            for line in head.split("\r\n"):
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            if head.startswith("PUT"):
                received = bytearray()
                self.stages.append(received)
                while len(received) < length:
                    piece = await reader.read(min(65536, length - len(received)))
                    if not piece:
                        return  # the client gave up on the upload
                    received += piece
            elif length:
                await reader.readexactly(length)
            writer.write(http_answer(200, b'{"uptime": 1}' if head.startswith("GET") else b""))
            await writer.drain()

    async def __aenter__(self) -> StageBoard:
        await self.server.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.server.__aexit__(None, None, None)


def _appended(path: Path, data: bytes) -> None:
    with path.open("ab") as handle:
        handle.write(data)


def _rewrite_tail(path: Path, *, keep_time: bool = False) -> None:
    """Change the package's debug name in place (still a valid package, but not the same)."""
    before = path.stat()
    with path.open("r+b") as handle:
        data = handle.read()
        offset = _sections(data)[DEBUG] + 8
        handle.seek(offset)
        handle.write(b"X")
    if keep_time:
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


async def test_a_package_changed_after_its_check_is_refused_before_any_traffic(
    tmp_path: Path,
) -> None:
    path = big_package(tmp_path, 1024 * 1024)
    package = inspect_image(path)
    _rewrite_tail(path)
    async with StageBoard() as board, board.client() as client:
        with pytest.raises(ImagePackageError, match="changed since its metadata was checked"):
            await client.sideload.stage(path, package=package)
        # Replaced by another file of the same size and time: not the file that was checked.
        other = tmp_path / "other.imagepackage"
        other.write_bytes(path.read_bytes())
        stamp = path.stat()
        os.utime(other, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
        package = inspect_image(path)
        os.replace(other, path)
        with pytest.raises(ImagePackageError, match="changed since"):
            await client.sideload.stage(path, package=package)
    assert not board.stages


#: Ways to change a package file in place while it is being sent.
CHANGES: Final[dict[str, Callable[[Path], None]]] = {
    "its metadata rewritten": _rewrite_tail,
    "its metadata rewritten, its time put back": lambda p: _rewrite_tail(p, keep_time=True),
    "bytes appended": lambda p: _appended(p, b"more"),
    "cut short": lambda p: os.truncate(p, p.stat().st_size // 2),
}


@pytest.mark.parametrize("change", list(CHANGES))
async def test_a_package_changed_while_it_is_sent_never_reaches_a_board_whole(
    change: str, tmp_path: Path
) -> None:
    path = big_package(tmp_path, 4 * 1024 * 1024)
    size = path.stat().st_size
    tail_start = size - TAIL_BYTES
    changed: list[int] = []

    def change_once(progress: StageProgress) -> None:
        if not changed:
            changed.append(progress.bytes_sent)
            CHANGES[change](path)

    async with StageBoard() as board, board.client() as client:
        with pytest.raises(ImagePackageError, match=str(path)) as caught:
            await client.sideload.stage(path, progress=change_once)
    assert "chang" in str(caught.value) or "shrank" in str(caught.value)
    assert changed
    received = board.stages[0] if board.stages else bytearray()
    # What went out, went out before the change; the checked metadata never did.
    assert len(received) <= tail_start


async def test_a_package_replaced_while_it_is_sent_is_sent_as_it_was_checked(
    tmp_path: Path,
) -> None:
    path = big_package(tmp_path, 4 * 1024 * 1024)
    original = path.read_bytes()

    def replace_once(progress: StageProgress) -> None:
        if path.read_bytes() == original:
            replacement = bytearray(original)
            replacement[: len(original) // 2] = bytes(len(original) // 2)
            os.replace(_written(path.with_suffix(".new"), bytes(replacement)), path)

    async with StageBoard() as board, board.client() as client:
        staged = await client.sideload.stage(path, progress=replace_once)
    assert path.read_bytes() != original  # the path now names another file...
    assert board.stages == [bytearray(original)]  # ...and the one that was open went out
    assert staged.bytes_sent == len(original)


@pytest.mark.parametrize("page_cache", [True, False], ids=["cached reads", "worker thread"])
async def test_a_package_goes_out_whole_however_its_blocks_are_read(
    page_cache: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Views of one refilled buffer go out (the library's own transport takes each chunk
    # before it asks for the next); blocks come from the page cache in the event loop, or
    # from a worker thread where that cannot be asked. Chunks that do not divide a block.
    if not page_cache:
        monkeypatch.setattr(staging, "_NOWAIT", None)
    path = big_package(tmp_path, 3 * 1024 * 1024 + 12345)
    async with StageBoard() as board, board.client() as client:
        assert client.session.borrows_chunks
        staged = await client.sideload.stage(path, chunk_size=100_000)
        await client.sideload.stage(path)
    assert board.stages == [bytearray(path.read_bytes())] * 2
    assert staged.bytes_sent == path.stat().st_size


async def test_a_fleet_deploy_of_a_package_that_changes_sends_no_board_its_metadata(
    tmp_path: Path,
) -> None:
    path = big_package(tmp_path, 4 * 1024 * 1024)
    tail_start = path.stat().st_size - TAIL_BYTES
    ca = trustme.CA()
    changed: list[str] = []

    def change_once(address: str, progress: StageProgress) -> None:
        if not changed:
            changed.append(address)
            _rewrite_tail(path, keep_time=True)

    async with StageBoard(ca) as first, StageBoard(ca) as second, StageBoard(ca) as third:
        boards = [first, second, third]
        fleet = Fleet([b.address for b in boards], ca=first.server.client_context())
        async with fleet:
            results = await fleet.deploy(path, progress=change_once, timeout=60)
    assert changed
    for result in results:
        assert isinstance(result.error, ImagePackageError), result
        assert "its metadata changed since it was checked" in str(result.error)
    for board in boards:
        for upload in board.stages:
            assert len(upload) <= tail_start


async def test_inspecting_in_a_thread_leaves_the_loop_free(tmp_path: Path) -> None:
    path = big_package(tmp_path, 1024 * 1024)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as group:
        group.start_soon(tick)
        for _ in range(20):
            before = ticks
            assert (await inspect_image_in_thread(path)).size == path.stat().st_size
            assert ticks > before  # the loop ran while the file was read
        group.cancel_scope.cancel()


def test_a_small_package_read_once_for_a_fleet_must_still_be_what_was_checked(
    tmp_path: Path,
) -> None:
    path = _written(tmp_path / "blink.imagepackage", BLINK.read_bytes())
    package = inspect_image(path)
    assert read_checked_package(package) == BLINK.read_bytes()
    _rewrite_tail(path, keep_time=True)  # same size and time: only the digest can tell
    with pytest.raises(ImagePackageError, match="changed since its metadata was checked"):
        read_checked_package(package)
    with pytest.raises(ImagePackageError, match="metadata read from a file"):
        read_checked_package(inspect_image(BLINK.read_bytes()))


async def test_a_small_package_changed_during_a_fleet_deploy_reaches_every_board_as_checked(
    tmp_path: Path,
) -> None:
    path = _written(tmp_path / "blink.imagepackage", BLINK.read_bytes())
    ca = trustme.CA()

    def change(address: str, progress: StageProgress) -> None:
        _rewrite_tail(path)

    async with StageBoard(ca) as first, StageBoard(ca) as second:
        fleet = Fleet([first.address, second.address], ca=first.server.client_context())
        async with fleet:
            await fleet.deploy(path, progress=change, timeout=60)
    assert path.read_bytes() != BLINK.read_bytes()
    assert first.stages == second.stages == [bytearray(BLINK.read_bytes())]
