"""Image inspection and streamed staging: exact request shape, progress, early refusal."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import respx

from azsphere_async.errors import ImagePackageError, InvalidArgumentError
from azsphere_async.imagepackage import inspect_image
from azsphere_async.session import DeviceSession
from azsphere_async.staging import ImageStream, StageProgress, stage_image
from tests.shared_data import (
    BLINK,
    BLINK_ID,
    DEVICE_URL,
    MUTABLE,
    MUTABLE_ID,
    VERSION_HEADER,
    big_package,
)


@pytest.fixture
def stage_route() -> Iterator[respx.Route]:
    with respx.mock(base_url=DEVICE_URL, assert_all_called=False) as mock:
        mock.get("/status").respond(200, json={"uptime": 3}, headers=VERSION_HEADER)
        yield mock.put("/update/stage").respond(200, content=b"", headers=VERSION_HEADER)


def test_inspect_reads_the_real_packages() -> None:
    blink = inspect_image(BLINK)
    assert blink.component_id == BLINK_ID
    assert blink.image_id == "6415a939-c098-48cf-8e5c-02b52a9f0ffb"
    assert blink.name == "AzureSphereBlinkTest"
    assert blink.image_type == 10
    assert blink.is_application
    assert blink.size == BLINK.stat().st_size
    assert blink.abi_depends == ("ApplicationRuntime@12",)
    assert blink.built_at is not None
    assert blink.built_at.year == 2022
    mutable = inspect_image(MUTABLE.read_bytes())
    assert mutable.component_id == MUTABLE_ID
    assert mutable.name == "MutableStorage"


def _missing(tmp: Path) -> Path:
    return tmp / "missing.imagepackage"


def _directory(tmp: Path) -> Path:
    return tmp


def _empty(tmp: Path) -> Path:
    (tmp / "empty").write_bytes(b"")
    return tmp / "empty"


def _junk(tmp: Path) -> Path:
    (tmp / "junk").write_bytes(os.urandom(5000))
    return tmp / "junk"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_missing, "no such file"),
        (_directory, "a directory"),
        (_empty, "empty"),
        (_junk, "metadata could not be read"),
    ],
)
async def test_wrong_files_fail_before_any_traffic(
    tmp_path: Path, stage_route: respx.Route, make: Callable[[Path], Path], message: str
) -> None:
    path = make(tmp_path)
    async with DeviceSession() as session:
        with pytest.raises(ImagePackageError, match=message) as caught:
            await stage_image(session, path)
    assert caught.value.argument == "image"
    assert not stage_route.called


async def test_stage_streams_the_file_with_exact_length(
    tmp_path: Path, stage_route: respx.Route
) -> None:
    path = big_package(tmp_path, 3 * 1024 * 1024 + 17)
    async with DeviceSession() as session:
        staged = await stage_image(session, path, chunk_size=64 * 1024)
    request = stage_route.calls.last.request
    assert request.headers["Content-Length"] == str(path.stat().st_size)
    assert "Transfer-Encoding" not in request.headers
    assert request.headers["Content-Type"] == "application/octet-stream"
    assert request.content == path.read_bytes()
    assert staged.bytes_sent == path.stat().st_size
    assert staged.package is not None
    assert staged.package.name == "AzureSphereBlinkTest"


async def test_progress_reaches_the_total_and_only_grows(
    tmp_path: Path, stage_route: respx.Route
) -> None:
    path = big_package(tmp_path, 2 * 1024 * 1024)
    seen: list[StageProgress] = []
    async with DeviceSession() as session:
        await stage_image(session, path, progress=seen.append)
    assert seen, "no progress was reported"
    assert seen[-1].bytes_sent == seen[-1].total_bytes == path.stat().st_size
    assert seen[-1].fraction == 1.0
    sent = [p.bytes_sent for p in seen]
    assert sent == sorted(sent)
    assert all(p.rate >= 0 for p in seen)


async def test_async_progress_callbacks_are_awaited(stage_route: respx.Route) -> None:
    seen: list[int] = []

    async def record(update: StageProgress) -> None:
        seen.append(update.bytes_sent)

    data = BLINK.read_bytes()
    async with DeviceSession() as session:
        await stage_image(session, data, progress=record)
    assert seen[-1] == len(data)


async def test_a_sized_stream_goes_out_with_its_length(stage_route: respx.Route) -> None:
    data = BLINK.read_bytes()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(data), 1000):
            yield data[start : start + 1000]

    async with DeviceSession() as session:
        staged = await stage_image(session, ImageStream(chunks(), len(data)))
    request = stage_route.calls.last.request
    assert request.headers["Content-Length"] == str(len(data))
    assert request.content == data
    assert staged.package is None


async def test_a_stream_shorter_than_declared_is_refused(stage_route: respx.Route) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"x" * 10

    async with DeviceSession() as session:
        with pytest.raises(InvalidArgumentError, match="exactly 20 bytes"):
            await stage_image(session, ImageStream(chunks(), 20))


@pytest.mark.parametrize("chunk_size", [0, 100, 2**30, 65536.0, True])
async def test_chunk_size_limits(chunk_size: object, stage_route: respx.Route) -> None:
    async with DeviceSession() as session:
        with pytest.raises(InvalidArgumentError, match="chunk_size"):
            await stage_image(session, BLINK, chunk_size=chunk_size)  # type: ignore[arg-type]
    assert not stage_route.called


async def test_stage_refused_by_an_old_device_before_upload() -> None:
    with respx.mock(base_url=DEVICE_URL, assert_all_called=False) as mock:
        mock.get("/status").respond(200, json={"uptime": 3}, headers={"REST-API-Version": "2.0.0"})
        stage = mock.put("/update/stage").respond(200)
        async with DeviceSession() as session:
            from azsphere_async.errors import UnsupportedVersionError

            with pytest.raises(UnsupportedVersionError):
                await stage_image(session, BLINK)
        assert not stage.called
