"""Fleets: one operation run over many boards at once, every board's outcome kept.

:meth:`Fleet.run` starts the operation on every board (at most ``concurrency`` at a time),
each with its own time limit, and returns one :class:`BoardResult` per board in the fleet's
order. One board failing, timing out or vanishing never cancels the others; cancelling the
run cancels every board's work and leaves nothing behind (the task group waits for all).
"""

from __future__ import annotations

import math
import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Generic, TypeVar

import anyio
import attrs
import httpx
from anyio.abc import ObjectSendStream

from .client import DeviceClient
from .discovery import DEFAULT_DCS_URL, list_attached_devices
from .errors import DeviceTimeoutError, InvalidArgumentError
from .pool import SessionPool
from .resources.sideload import Deployment
from .staging import ProgressCallback, StageProgress, inspect_image
from .tls import CAInput
from .transport import RetryPolicy, Timeouts
from .validation import check_address

__all__ = ["BoardResult", "Fleet", "FleetProgressCallback"]

T = TypeVar("T")

DEFAULT_CONCURRENCY = 64

#: Receives a board's address and its :class:`~azsphere_async.staging.StageProgress`.
FleetProgressCallback = Callable[[str, StageProgress], Awaitable[None] | None]


@attrs.frozen
class BoardResult(Generic[T]):
    """One board's outcome: the value or the exception, and how long it took (seconds)."""

    address: str
    value: T | None
    error: Exception | None
    elapsed: float

    @property
    def ok(self) -> bool:
        """Whether the operation returned normally."""
        return self.error is None

    def unwrap(self) -> T:
        """The value, or raise the board's exception."""
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


def _check_concurrency(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgumentError("concurrency", repr(value), "a whole number of at least 1")
    return value


def _check_timeout(value: object) -> float | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not value > 0
        or math.isinf(value)
    ):
        raise InvalidArgumentError("timeout", repr(value), "a positive number of seconds, or None")
    return float(value)


class Fleet:
    """Many boards driven together over one :class:`SessionPool`; an async context manager.

    Takes the same TLS, timeout, retry and answer-size options as :class:`DeviceClient`.
    ``concurrency`` is the default limit on boards worked on at once. ``transport_factory``
    (address -> httpx transport) replaces the network, for in-process tests.
    """

    def __init__(
        self,
        addresses: Iterable[str],
        *,
        ca: CAInput | None = None,
        timeout: float | Timeouts | None = None,
        retry: RetryPolicy | None = None,
        max_response_bytes: int | None = None,
        insecure_skip_verify: bool = False,
        concurrency: int = DEFAULT_CONCURRENCY,
        transport_factory: Callable[[str], httpx.AsyncBaseTransport] | None = None,
    ) -> None:
        self.addresses: tuple[str, ...] = tuple(addresses)
        for address in self.addresses:
            check_address(address)
        duplicates = sorted(a for a, n in Counter(self.addresses).items() if n > 1)
        if duplicates:
            raise InvalidArgumentError("addresses", repr(duplicates), "each board listed once")
        self.concurrency = _check_concurrency(concurrency)
        self.pool = SessionPool(
            ca=ca,
            timeout=timeout,
            retry=retry,
            max_response_bytes=max_response_bytes,
            insecure_skip_verify=insecure_skip_verify,
            transport_factory=transport_factory,
        )

    @classmethod
    async def attached(cls, *, dcs_url: str = DEFAULT_DCS_URL, **options: Any) -> Fleet:
        """A fleet of every board the Device Communication Service lists."""
        devices = await list_attached_devices(dcs_url=dcs_url)
        return cls([device.address for device in devices], **options)

    def __repr__(self) -> str:
        return f"<Fleet of {len(self.addresses)} boards>"

    def __len__(self) -> int:
        return len(self.addresses)

    def client(self, address: str) -> DeviceClient:
        """A client for one board of the fleet, on the pool's connection."""
        return self.pool.client(address)

    async def __aenter__(self) -> Fleet:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every board's connection."""
        await self.pool.aclose()

    def _plan(
        self, concurrency: int | None, timeout: float | None, only: Sequence[str] | None
    ) -> tuple[tuple[str, ...], anyio.CapacityLimiter, float | None]:
        """Check a run's options: the boards to work on, their limiter, the per-board timeout."""
        limit = _check_concurrency(self.concurrency if concurrency is None else concurrency)
        checked_timeout = _check_timeout(timeout)
        if only is None:
            addresses = self.addresses
        else:
            unknown = [a for a in only if a not in self.addresses]
            if unknown:
                raise InvalidArgumentError(
                    "only", repr(unknown), "addresses that belong to this fleet"
                )
            addresses = tuple(only)
        return addresses, anyio.CapacityLimiter(limit), checked_timeout

    async def _run_one(
        self,
        address: str,
        operation: Callable[[DeviceClient], Awaitable[T]],
        limiter: anyio.CapacityLimiter,
        timeout: float | None,
    ) -> BoardResult[T]:
        async with limiter:
            started = time.perf_counter()
            try:
                with anyio.fail_after(timeout):
                    value = await operation(self.pool.client(address))
            except TimeoutError:
                error: Exception = DeviceTimeoutError(
                    address, f"the operation did not finish within {timeout} s", phase="operation"
                )
                return BoardResult(address, None, error, time.perf_counter() - started)
            except Exception as exc:
                return BoardResult(address, None, exc, time.perf_counter() - started)
            return BoardResult(address, value, None, time.perf_counter() - started)

    async def run(
        self,
        operation: Callable[[DeviceClient], Awaitable[T]],
        *,
        concurrency: int | None = None,
        timeout: float | None = None,
        only: Sequence[str] | None = None,
    ) -> list[BoardResult[T]]:
        """Run ``operation(client)`` on every board; one result per board, in fleet order.

        ``timeout`` limits each board's operation (seconds); a board that runs over gets a
        :class:`~azsphere_async.errors.DeviceTimeoutError` as its result. ``only`` picks a
        subset of the fleet's boards.
        """
        addresses, limiter, timeout = self._plan(concurrency, timeout, only)
        results: dict[str, BoardResult[T]] = {}

        async def one(address: str) -> None:
            results[address] = await self._run_one(address, operation, limiter, timeout)

        async with anyio.create_task_group() as group:
            for address in addresses:
                group.start_soon(one, address, name=f"fleet:{address}")
        return [results[address] for address in addresses]

    @asynccontextmanager
    async def as_completed(
        self,
        operation: Callable[[DeviceClient], Awaitable[T]],
        *,
        concurrency: int | None = None,
        timeout: float | None = None,
        only: Sequence[str] | None = None,
    ) -> AsyncIterator[AsyncIterator[BoardResult[T]]]:
        """Like :meth:`run`, but yields each board's result as soon as it is ready.

        Use as ``async with fleet.as_completed(op) as results: async for result in results:``.
        Leaving the block early cancels the boards still working.
        """
        addresses, limiter, timeout = self._plan(concurrency, timeout, only)
        send, receive = anyio.create_memory_object_stream[BoardResult[T]](len(addresses) or 1)

        async def one(address: str, out: ObjectSendStream[BoardResult[T]]) -> None:
            async with out:
                await out.send(await self._run_one(address, operation, limiter, timeout))

        async with anyio.create_task_group() as group, receive:
            async with send:
                for address in addresses:
                    group.start_soon(one, address, send.clone(), name=f"fleet:{address}")
            try:
                yield receive
            finally:
                group.cancel_scope.cancel()

    async def deploy(
        self,
        image: str | os.PathLike[str],
        *,
        start: bool = True,
        progress: FleetProgressCallback | None = None,
        concurrency: int | None = None,
        timeout: float | None = None,
        only: Sequence[str] | None = None,
    ) -> list[BoardResult[Deployment]]:
        """Stage and install one image package on every board at once, with per-board progress.

        The package is checked before any board is contacted, so a wrong file fails at once;
        each board's stage then reads its metadata again, so that every result describes the
        file that board was sent. Each result's value is that board's
        :class:`~azsphere_async.resources.sideload.Deployment`.
        """
        inspect_image(image)

        async def deploy_one(device: DeviceClient) -> Deployment:
            board_progress: ProgressCallback | None = None
            if progress is not None:
                callback = progress

                def board_progress(update: StageProgress) -> Awaitable[None] | None:
                    return callback(device.address, update)

            return await device.sideload.deploy(image, start=start, progress=board_progress)

        return await self.run(deploy_one, concurrency=concurrency, timeout=timeout, only=only)
