"""Hostile answers: whatever a board sends back, a typed error in bounded time and memory,
and one board's large answer never holds up the other boards of a fleet.

Every JSON call meets bodies that are not JSON a model can be made of (nested 100,000 deep,
numbers of thousands of digits, NaN, bytes that are not UTF-8, lone surrogates, a million
misfits), from a board on loopback over TLS. Each must be a ``MalformedResponseError`` (or,
with an error status, the status's ``DeviceHTTPError`` without a code), never a parser's
exception; a large one must cost time and memory in proportion to its size, not to how many
things are wrong in it.
"""

from __future__ import annotations

import contextlib
import gc
import json
import threading
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from typing import Any, Final

import anyio
import httpx
import pytest
import trustme

from azsphere_async import (
    DeviceClient,
    DeviceInternalError,
    DeviceTimeoutError,
    Fleet,
    MalformedResponseError,
)
from azsphere_async.models import ImageList, converter
from azsphere_async.models import _converter as converter_module
from azsphere_async.resources import _decoding
from azsphere_async.session import DeviceResponse
from tests.hostile.hostile_helpers import (
    NOT_A_MODEL,
    NOT_JSON,
    HostileBoard,
    json_answer,
    status_probe_or,
)
from tests.reliability.reliability_helpers import http_answer
from tests.reliability.test_bad_answers import BYTE_READS, READS
from tests.shared_data import BLINK_ID

Call = Callable[[DeviceClient], Awaitable[Any]]

#: Changes whose answer is a model.
MODEL_SENDS: Final[list[tuple[str, Call]]] = [
    ("device.restart", lambda c: c.device.restart()),
    ("sideload.install", lambda c: c.sideload.install()),
    ("app.set_status", lambda c: c.app.set_status(BLINK_ID, "stop")),
    ("wifi.add_network", lambda c: c.wifi.add_network(ssid="line", security_state="open")),
]
#: Changes whose JSON answer is checked, then dropped.
CHECKED_SENDS: Final[list[tuple[str, Call]]] = [
    ("wifi.set_interface_state", lambda c: c.wifi.set_interface_state(reload_config=True)),
    ("certificates.remove", lambda c: c.certificates.remove("lineroot")),
    ("device.clear_error_report_data", lambda c: c.device.clear_error_report_data()),
]
MODEL_CALLS: Final = [(n, c) for n, c, _ in READS if n not in BYTE_READS] + MODEL_SENDS
#: A device may answer GET /app/status with the bare state string, which the model takes.
_TAKES_A_BARE_STRING: Final = {"app.get_status"}


async def _all_malformed(board: HostileBoard, calls: list[tuple[str, Call]]) -> None:
    async with board.client() as client:
        for call_name, call in calls:
            with pytest.raises(MalformedResponseError) as caught:
                await call(client)
            assert caught.value.address == client.address, call_name
            assert "answered" in str(caught.value), call_name


@pytest.mark.parametrize("name", list(NOT_JSON))
async def test_what_is_not_json_is_malformed_for_every_json_call(name: str) -> None:
    async with HostileBoard(json_answer(NOT_JSON[name])) as board:
        await _all_malformed(board, MODEL_CALLS + CHECKED_SENDS)
    assert len(board.requests) >= len(MODEL_CALLS + CHECKED_SENDS)


@pytest.mark.parametrize("name", list(NOT_A_MODEL))
async def test_json_that_is_no_model_is_malformed_for_every_call_with_a_model(name: str) -> None:
    calls = [c for c in MODEL_CALLS if name != "a bare string" or c[0] not in _TAKES_A_BARE_STRING]
    async with HostileBoard(json_answer(NOT_A_MODEL[name])) as board:
        await _all_malformed(board, calls)


@pytest.mark.parametrize("name", list(NOT_JSON))
async def test_an_error_status_with_an_undecodable_body_has_no_device_code(name: str) -> None:
    board = HostileBoard(json_answer(NOT_JSON[name], status=500))
    async with board, board.client() as client:
        calls: list[Call] = [lambda c: c.device.get_status(), lambda c: c.device.restart()]
        for call in calls:
            with pytest.raises(DeviceInternalError) as caught:
                await call(client)
            assert caught.value.status == 500
            assert caught.value.error_code is None


@pytest.mark.parametrize(
    "header", ["\u0664.\u0666.\u0660", "9" * 5000 + ".0", "4.6.0 junk", "4.6.0.1", "", "4..6"]
)
async def test_an_unreadable_version_header_is_ignored_and_never_guessed(header: str) -> None:
    answer = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n"
        b"REST-API-Version: " + header.encode() + b'\r\n\r\n{"uptime": 1}'
    )
    async with HostileBoard(lambda _: answer) as board, board.client() as client:
        assert (await client.device.get_status()).uptime == 1
        assert client.rest_api_version is None
        with pytest.raises(MalformedResponseError, match="REST-API-Version"):
            await client.image.get_abi_versions()


def _misfits_body(size: int) -> bytes:
    """A ``GET /images`` answer of about ``size`` bytes whose every component is a number."""
    count = size // 2
    return b'{"components": [' + b"1," * (count - 1) + b"1]}"


def _baseline(body: bytes) -> float:
    """Seconds to parse ``body`` with the C parser alone: what decoding it must be near."""
    started = time.perf_counter()
    json.loads(body)
    return time.perf_counter() - started


async def test_an_answer_of_a_million_misfits_fails_in_time_proportional_to_its_size() -> None:
    body = _misfits_body(2 * 1024 * 1024)  # a million misfits
    async with HostileBoard(json_answer(body)) as board, board.client() as client:
        await client.device.get_rest_api_version()
        baseline = _baseline(body)
        started = time.perf_counter()
        with pytest.raises(MalformedResponseError, match=r"\$\.components\[0\]"):
            await client.image.get_images()
        elapsed = time.perf_counter() - started
    # Collecting every misfit took minutes and gigabytes; reading 2 MiB over loopback TLS
    # and parsing it is a few times the bare parse.
    assert elapsed < 20 * baseline + 5, (elapsed, baseline)


@pytest.mark.parametrize(
    "body",
    [
        b'{"components": [' + b"{}," * (_decoding.MAX_JSON_OBJECTS + 10) + b"{}]}",
        b'{"components": [' + b"0," * (_decoding.MAX_JSON_VALUES + 10) + b"0]}",
        b'{"capabilities": [' + b'"",' * (_decoding.MAX_JSON_VALUES + 10) + b'""]}',
    ],
    ids=["too many objects", "too many numbers", "too many strings"],
)
async def test_an_answer_of_millions_of_tiny_values_is_refused_before_parsing(body: bytes) -> None:
    async with HostileBoard(json_answer(body)) as board, board.client() as client:
        await client.device.get_rest_api_version()
        baseline = _baseline(body)
        started = time.perf_counter()
        with pytest.raises(MalformedResponseError, match="more than the") as refused:
            await client.image.get_images()
        elapsed = time.perf_counter() - started
    assert "any answer of a board holds" in str(refused.value)
    # Making models of 5 million empty objects took a minute of CPU; counting them takes
    # less than parsing them.
    assert elapsed < 5 * baseline + 5, (elapsed, baseline)


async def test_memory_for_an_answer_of_misfits_stays_a_small_multiple_of_its_size() -> None:
    body = _misfits_body(512 * 1024)  # a quarter of a million misfits
    async with HostileBoard(json_answer(body)) as board, board.client() as client:
        await client.device.get_rest_api_version()
        gc.collect()
        tracemalloc.start()
        try:
            with pytest.raises(MalformedResponseError):
                await client.image.get_images()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    # The answer, its text and the parsed list of a million numbers (8 bytes each); one
    # exception per misfit cost over 1.5 KiB each, 800 times the answer.
    assert peak < 12 * len(body), peak


def _component(number: int) -> dict[str, Any]:
    return {
        "uid": f"{number:08x}-d99d-4692-82d9-ef93a7d6463c",
        "image_type": 10,
        "is_update_staged": False,
        "does_image_type_require_restart": False,
        "name": f"app{number}",
        "images": [
            {
                "uid": f"{number:08x}-0000-4692-82d9-ef93a7d6463c",
                "length_in_bytes": 12345,
                "uncompressed_length_in_bytes": 12345,
                "replica_type": 0,
            }
        ],
    }


def legal_images(size: int) -> bytes:
    """A legal ``GET /images`` answer of about ``size`` bytes."""
    one = len(json.dumps(_component(0))) + 2
    components = [_component(n) for n in range(size // one)]
    return json.dumps({"restart_required": False, "components": components}).encode()


async def test_a_large_legal_answer_decoded_off_the_loop_is_the_same_models() -> None:
    body = legal_images(4 * _decoding.ON_LOOP_BYTES)
    async with HostileBoard(json_answer(body)) as board, board.client() as client:
        images = await client.image.get_images()
    assert images == converter.structure(json.loads(body), ImageList)
    assert images.components is not None
    assert len(images.components) > 100


async def test_one_boards_large_legal_answer_does_not_time_out_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Eight healthy boards and one that answers GET /images with a large legal answer, in
    one fleet run with a 1.5 s limit per board: decoding 15 MiB of it on the loop took 6 s,
    so the healthy boards timed out and the guilty one was reported ok.

    The answer here is 200,000 small components (6 MiB): as slow to make models of as
    15 MiB of full ones, and quicker to send, so that it surely arrives within the limit.
    """
    small = [{"uid": f"{n:08x}", "name": "a"} for n in range(200_000)]
    body = json.dumps({"components": small}).encode()
    status = http_answer(200, b'{"uptime": 1}')
    ca = trustme.CA()
    guilty = HostileBoard(status_probe_or(json_answer(body)), ca=ca)
    healthy = [HostileBoard(lambda _: status, ca=ca) for _ in range(8)]
    # The healthy boards make their call once the big answer has arrived and is being
    # decoded, wherever that happens (it begins with json.loads either way).
    decoding = False
    go = anyio.Event()  # the big answer is being decoded, or its board has given up
    real_loads = json.loads

    def loads(text: str | bytes, **options: Any) -> Any:
        nonlocal decoding
        if len(text) > 1024 * 1024:
            decoding = True
            try:
                anyio.from_thread.run_sync(go.set)  # from a worker thread
            except RuntimeError:
                go.set()  # on the event loop itself
        return real_loads(text, **options)

    monkeypatch.setattr(json, "loads", loads)

    async def operation(client: DeviceClient) -> object:
        if client.address == guilty.address:
            try:
                return await client.image.get_images()
            finally:
                go.set()
        await go.wait()
        return await client.device.get_status()

    async with contextlib.AsyncExitStack() as stack:
        for board in [guilty, *healthy]:
            await stack.enter_async_context(board)
        fleet = Fleet([b.address for b in [guilty, *healthy]], ca=guilty.server.client_context())
        async with fleet:
            # Every board learns its version first, so the timed run is one call each.
            await fleet.run(lambda c: c.device.get_status(), timeout=30)
            results = await fleet.run(operation, timeout=1.5)
    assert decoding, "the big answer never arrived within its board's time limit"
    by_address = {r.address: r for r in results}
    for board in healthy:
        assert by_address[board.address].ok, by_address[board.address].error
    outcome = by_address[guilty.address]
    assert outcome.ok or isinstance(outcome.error, DeviceTimeoutError)


async def test_a_decode_left_behind_by_a_cancelled_call_stops_at_its_next_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = legal_images(4 * 1024 * 1024)
    models = body.count(b'"uid"')  # a component and its image each
    started = threading.Event()
    finished = threading.Event()
    checks = 0
    outcome: list[BaseException | None] = []
    real_decode = _decoding._decode
    real_checkpoint = converter_module.checkpoint

    def counted() -> None:
        nonlocal checks
        checks += 1
        started.set()
        real_checkpoint()

    def decode(*args: Any) -> Any:
        try:
            result = real_decode(*args)
        except BaseException as exc:
            outcome.append(exc)
            raise
        else:
            outcome.append(None)
            return result
        finally:
            finished.set()

    monkeypatch.setattr(converter_module, "checkpoint", counted)
    monkeypatch.setattr(_decoding, "checkpoint", counted)
    monkeypatch.setattr(_decoding, "_decode", decode)
    async with HostileBoard(json_answer(body)) as board:
        async with board.client() as client, anyio.create_task_group() as group:
            group.start_soon(client.image.get_images)
            await anyio.to_thread.run_sync(started.wait)
            group.cancel_scope.cancel()
        assert await anyio.to_thread.run_sync(finished.wait, 30)
    assert isinstance(outcome[0], converter_module.DecodeStopped)
    assert checks < models / 2, (checks, models)


async def test_large_answers_decode_in_few_threads_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    body = legal_images(2 * _decoding.ON_LOOP_BYTES)
    boards_count = 6
    running = entered = most = 0
    together = threading.Condition()
    real_decode = _decoding._decode

    def decode(*args: Any) -> Any:
        nonlocal running, entered, most
        with together:
            running += 1
            entered += 1
            most = max(most, running)
            together.notify_all()
            # Wait for others to join, as many as the library lets in at once (unless this
            # is the last board's).
            together.wait_for(
                lambda: running >= _decoding.DECODE_THREADS or entered == boards_count,
                timeout=5,
            )
        try:
            return real_decode(*args)
        finally:
            with together:
                running -= 1

    monkeypatch.setattr(_decoding, "_decode", decode)
    ca = trustme.CA()
    boards = [HostileBoard(json_answer(body), ca=ca) for _ in range(boards_count)]
    async with contextlib.AsyncExitStack() as stack:
        for board in boards:
            await stack.enter_async_context(board)
        async with Fleet(
            [b.address for b in boards], ca=boards[0].server.client_context()
        ) as fleet:
            results = await fleet.run(lambda c: c.image.get_images())
    assert all(r.ok for r in results)
    assert most == _decoding.DECODE_THREADS


def test_structure_errors_name_the_place_and_never_the_value() -> None:
    answers: list[Any] = [
        {"components": [{"uid": "Sup3r-S3cret-PSK-q7Z"}, {"uid": 7}]},
        {"components": "Sup3r-S3cret-PSK-q7Z"},
        ["Sup3r-S3cret-PSK-q7Z"],
        {"components": [{"images": [{"length_in_bytes": "Sup3r-S3cret-PSK-q7Z"}]}]},
        {"restart_required": "Sup3r-S3cret-PSK-q7Z"},
    ]
    for answer in answers:
        with pytest.raises(MalformedResponseError) as caught:
            _decoding.structure(answer, ImageList, "127.0.0.1", "GET /images")
        assert "Sup3r" not in str(caught.value)
        assert "$" in str(caught.value)
    with pytest.raises(
        MalformedResponseError, match=r"\$\.components\[1\]\.uid: expected a string"
    ):
        _decoding.structure(answers[0], ImageList, "127.0.0.1", "GET /images")


def _decode_peak(body: bytes, cls: type) -> tuple[BaseException | None, int]:
    """Decode ``body`` as ``cls`` the way a call does; what it raised, and the memory peak."""
    response = DeviceResponse(200, httpx.Headers({"Content-Type": "application/json"}), body)
    failure: BaseException | None = None
    gc.collect()
    tracemalloc.start()
    try:
        anyio.run(_decoding.decode_answer, response, cls, "127.0.0.1", "GET /images")
    except MalformedResponseError as exc:
        failure = exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return failure, peak


def test_memory_for_a_large_legal_answer_is_a_small_multiple_of_it() -> None:
    body = legal_images(512 * 1024)
    failure, peak = _decode_peak(body, ImageList)
    assert failure is None
    # Measured: 3.8 times the answer for real components (dicts, then models).
    assert peak < 8 * len(body), peak / len(body)


def test_an_answer_past_the_count_limits_costs_no_more_memory_than_itself() -> None:
    body = b'{"components": [' + b"{}," * (_decoding.MAX_JSON_OBJECTS + 10) + b"{}]}"
    failure, peak = _decode_peak(body, ImageList)
    assert isinstance(failure, MalformedResponseError)
    # Refused from a count of its bytes: parsing it would have cost 60 times its size.
    assert peak < 2 * len(body), peak / len(body)
