"""Fleets: one operation run over many boards at once, every board's outcome kept.

:meth:`Fleet.run` starts the operation on every board (at most ``concurrency`` at a time),
each with its own time limit, and returns one :class:`BoardResult` per board in the fleet's
order. One board failing, timing out or vanishing never cancels the others; cancelling the
run cancels every board's work and leaves nothing behind (the task group waits for all).

A bug in the operation itself is not a board's failure: a ``TypeError``, ``AttributeError`` or
``NameError`` it raises (a wrong call, a misspelt name) stops the whole run, cancelling the
other boards' work, and propagates unchanged from ``run``, ``as_completed`` and the deploys,
with a note naming the board, so that it cannot pass for a hundred failed boards.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager, nullcontext
from typing import Final, Generic, TypeVar, Unpack

import anyio
import attrs
from anyio.abc import ObjectSendStream

from .applying import ApplyResult, FleetApplyProgressCallback, apply_fleet, plan_fleet
from .client import DeviceClient
from .deploy import DeployablePackage, Deployment, DeploySettings, deploy_fleet
from .discovery import DEFAULT_DCS_URL, list_attached_devices
from .errors import DeviceTimeoutError, InvalidArgumentError
from .options import DEFAULT_CONCURRENCY, ClientOptions, OptionShortcuts
from .planning import Plan
from .pool import SessionPool
from .recipe import PreparedRecipe, Recipe
from .staging import FleetProgressCallback
from .ticker import BOARD_SCOPE
from .validation import DeviceAddress, check_address, check_concurrency, check_optional_seconds

__all__ = ["PROGRAMMING_ERRORS", "BoardResult", "Fleet"]

# What a run uses as its limiter when every board may run at once.
_UNLIMITED: AbstractAsyncContextManager[object] = nullcontext()

T = TypeVar("T")

#: Exceptions that mean the operation itself is wrong, whatever the board: they stop a run.
PROGRAMMING_ERRORS: Final = (TypeError, AttributeError, NameError)


@contextmanager
def _bugs_propagate_unchanged() -> Iterator[None]:
    """Turn a task group's group of programming errors back into the first of them."""
    try:
        yield
    except BaseExceptionGroup as group:
        bugs, rest = group.split(PROGRAMMING_ERRORS)
        if bugs is None or rest is not None:
            raise
        first: BaseException = bugs
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from first.__cause__


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


class Fleet:
    """Many boards driven together over one :class:`SessionPool`; an async context manager.

    Takes the same ``options`` (or keyword shortcuts) as :class:`DeviceClient`, checked once
    for every board. ``concurrency`` is the default limit on boards worked on at once (256,
    so every board of a fleet: see :data:`~azsphere_async.options.DEFAULT_CONCURRENCY`).
    Every address is checked when the fleet is made, and each board may be listed only once.

    Whatever an operation raises on one board is that board's :class:`BoardResult`, except a
    programming error (:data:`PROGRAMMING_ERRORS`: ``TypeError``, ``AttributeError``,
    ``NameError``), which stops the run, cancels the other boards' work and propagates itself,
    with a note naming the board.
    """

    def __init__(
        self,
        addresses: Iterable[str],
        *,
        options: ClientOptions | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        **shortcuts: Unpack[OptionShortcuts],
    ) -> None:
        self.addresses: tuple[str, ...] = tuple(addresses)
        self._checked: dict[str, DeviceAddress] = {a: check_address(a) for a in self.addresses}
        # One board under two spellings ("h" and "h:443") is listed twice.
        boards = Counter(self._checked[a] for a in self.addresses)
        duplicates = sorted({a for a in self.addresses if boards[self._checked[a]] > 1})
        if duplicates:
            raise InvalidArgumentError(
                "addresses", repr(duplicates), "each board listed once (under one spelling)"
            )
        self.concurrency = check_concurrency(concurrency)
        self.pool = SessionPool(ClientOptions.build(options, **shortcuts))

    @classmethod
    async def attached(
        cls,
        *,
        dcs_url: str = DEFAULT_DCS_URL,
        options: ClientOptions | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        **shortcuts: Unpack[OptionShortcuts],
    ) -> Fleet:
        """A fleet of every board the Device Communication Service lists."""
        devices = await list_attached_devices(dcs_url=dcs_url)
        return cls(
            [device.address for device in devices],
            options=options,
            concurrency=concurrency,
            **shortcuts,
        )

    @property
    def options(self) -> ClientOptions:
        """The options every board's connection uses."""
        return self.pool.options

    def __repr__(self) -> str:
        return f"<Fleet of {len(self.addresses)} boards>"

    def __len__(self) -> int:
        return len(self.addresses)

    def client(self, address: str) -> DeviceClient:
        """A client for one board of the fleet, on the pool's connection."""
        return self.pool.client(address, checked=self._checked.get(address))

    async def __aenter__(self) -> Fleet:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every board's connection."""
        await self.pool.aclose()

    def _plan(
        self, concurrency: int | None, timeout: float | None, only: Sequence[str] | None
    ) -> tuple[tuple[str, ...], AbstractAsyncContextManager[object], float | None]:
        """Check a run's options: the boards to work on, their limiter, the per-board timeout.

        A limit no smaller than the run's boards limits nothing, so it costs nothing either.
        """
        limit = check_concurrency(self.concurrency if concurrency is None else concurrency)
        checked_timeout = check_optional_seconds(timeout, "timeout")
        if only is None:
            addresses = self.addresses
        else:
            unknown = [a for a in only if a not in self._checked]
            if unknown:
                raise InvalidArgumentError(
                    "only", repr(unknown), "addresses that belong to this fleet"
                )
            addresses = tuple(only)
        limiter = anyio.CapacityLimiter(limit) if limit < len(addresses) else _UNLIMITED
        return addresses, limiter, checked_timeout

    async def _run_one(
        self,
        address: str,
        operation: Callable[[DeviceClient], Awaitable[T]],
        limiter: AbstractAsyncContextManager[object],
        timeout: float | None,
    ) -> BoardResult[T]:
        async with limiter:
            started = time.perf_counter()
            try:
                client = self.client(address)
                if timeout is None:
                    value = await operation(client)
                else:
                    with anyio.fail_after(timeout) as scope:
                        token = BOARD_SCOPE.set(scope)
                        try:
                            value = await operation(client)
                        finally:
                            BOARD_SCOPE.reset(token)
            except PROGRAMMING_ERRORS as bug:
                bug.add_note(
                    f"raised by the fleet's operation on {address}: a bug in the operation, "
                    "so the run stopped and the other boards' work was cancelled"
                )
                raise
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
        subset of the fleet's boards. A programming error in ``operation`` (a ``TypeError``,
        ``AttributeError`` or ``NameError``) is raised from here instead, after the other
        boards' work is cancelled.
        """
        addresses, limiter, timeout = self._plan(concurrency, timeout, only)
        results: dict[str, BoardResult[T]] = {}

        async def one(address: str) -> None:
            results[address] = await self._run_one(address, operation, limiter, timeout)

        with _bugs_propagate_unchanged():
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

        with _bugs_propagate_unchanged():
            async with anyio.create_task_group() as group, receive:
                async with send:
                    for address in addresses:
                        group.start_soon(one, address, send.clone(), name=f"fleet:{address}")
                try:
                    yield receive
                finally:
                    group.cancel_scope.cancel()

    def deploy_as_completed(
        self,
        image: DeployablePackage,
        *,
        progress: FleetProgressCallback | None = None,
        concurrency: int | None = None,
        timeout: float | None = None,
        only: Sequence[str] | None = None,
        **settings: Unpack[DeploySettings],
    ) -> AbstractAsyncContextManager[AsyncIterator[BoardResult[Deployment]]]:
        """Deploy one image package to every board at once, yielding results as boards finish.

        Use as ``async with fleet.deploy_as_completed(image) as results:``; ``settings`` are
        :class:`~azsphere_async.deploy.DeploySettings`; see
        :func:`azsphere_async.deploy.deploy_fleet`.
        """
        return deploy_fleet(
            self,
            image,
            progress=progress,
            concurrency=concurrency,
            timeout=timeout,
            only=only,
            **settings,
        )

    async def deploy(
        self,
        image: DeployablePackage,
        *,
        progress: FleetProgressCallback | None = None,
        concurrency: int | None = None,
        timeout: float | None = None,
        only: Sequence[str] | None = None,
        **settings: Unpack[DeploySettings],
    ) -> list[BoardResult[Deployment]]:
        """Stage and install one image package on every board at once, with per-board progress.

        The package and the settings are checked once, before any board is contacted, and the
        package is read once for every board. Returns one result per board, in fleet order;
        each value is that board's :class:`~azsphere_async.deploy.Deployment`.
        """
        return await self._in_fleet_order(
            self.deploy_as_completed(
                image,
                progress=progress,
                concurrency=concurrency,
                timeout=timeout,
                only=only,
                **settings,
            ),
            only,
        )

    async def plan(
        self,
        recipe: Recipe | PreparedRecipe,
        *,
        concurrency: int | None = None,
        timeout: float | None = None,
        only: Sequence[str] | None = None,
    ) -> list[BoardResult[Plan]]:
        """What would bring every board to ``recipe``, read at once; one plan per board.

        The recipe is prepared once (its files and secrets checked) before any board is
        contacted; see :func:`azsphere_async.planning.plan`.
        """
        return await plan_fleet(self, recipe, concurrency=concurrency, timeout=timeout, only=only)

    def apply_as_completed(
        self,
        recipe: Recipe | PreparedRecipe,
        *,
        irreversible_ok: bool = False,
        progress: FleetApplyProgressCallback | None = None,
        concurrency: int | None = None,
        timeout: float | None = None,
        only: Sequence[str] | None = None,
    ) -> AbstractAsyncContextManager[AsyncIterator[BoardResult[ApplyResult]]]:
        """Apply ``recipe`` to every board at once, yielding results as boards finish.

        Use as ``async with fleet.apply_as_completed(recipe) as results:``; see
        :func:`azsphere_async.applying.apply_fleet`.
        """
        return apply_fleet(
            self,
            recipe,
            irreversible_ok=irreversible_ok,
            progress=progress,
            concurrency=concurrency,
            timeout=timeout,
            only=only,
        )

    async def apply(
        self,
        recipe: Recipe | PreparedRecipe,
        *,
        irreversible_ok: bool = False,
        progress: FleetApplyProgressCallback | None = None,
        concurrency: int | None = None,
        timeout: float | None = None,
        only: Sequence[str] | None = None,
    ) -> list[BoardResult[ApplyResult]]:
        """Bring every board to ``recipe`` at once; one result per board, in fleet order.

        The recipe is prepared once (each package read once) before any board is contacted;
        the manufacturing state moves only with ``irreversible_ok=True`` (see
        :func:`azsphere_async.applying.apply`).
        """
        return await self._in_fleet_order(
            self.apply_as_completed(
                recipe,
                irreversible_ok=irreversible_ok,
                progress=progress,
                concurrency=concurrency,
                timeout=timeout,
                only=only,
            ),
            only,
        )

    async def _in_fleet_order(
        self,
        started: AbstractAsyncContextManager[AsyncIterator[BoardResult[T]]],
        only: Sequence[str] | None,
    ) -> list[BoardResult[T]]:
        """Every result of an as-completed run, in the fleet's order (or ``only``'s)."""
        results: dict[str, BoardResult[T]] = {}
        async with started as finished:
            async for result in finished:
                results[result.address] = result
        return [results[address] for address in (self.addresses if only is None else only)]
