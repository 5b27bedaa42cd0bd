"""The session pool: exactly one keep-alive HTTPS connection per device address."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import anyio
import httpx

from .client import DeviceClient
from .tls import CAInput, make_ssl_context
from .transport import DeviceSession, RetryPolicy, Timeouts, check_max_response_bytes
from .validation import check_address

__all__ = ["SessionPool"]


class SessionPool:
    """One :class:`DeviceSession` (one connection) per device address, shared by all callers.

    Sessions are created on first use and closed when the pool closes. Calls to the same
    board queue on its connection; calls to different boards run in parallel. One SSL context
    serves every connection. ``transport_factory`` (address -> httpx transport) replaces the
    network, for in-process tests.
    """

    def __init__(
        self,
        *,
        ca: CAInput | None = None,
        timeout: float | Timeouts | None = None,
        retry: RetryPolicy | None = None,
        max_response_bytes: int | None = None,
        insecure_skip_verify: bool = False,
        transport_factory: Callable[[str], httpx.AsyncBaseTransport] | None = None,
    ) -> None:
        self._ssl_context = make_ssl_context(ca, insecure_skip_verify=insecure_skip_verify)
        self._timeout = Timeouts() if timeout is None else Timeouts.of(timeout)
        self._retry = retry
        self._max_response_bytes = check_max_response_bytes(max_response_bytes)
        self._transport_factory = transport_factory
        self._sessions: dict[str, DeviceSession] = {}
        self._closed = False

    def __repr__(self) -> str:
        return f"<SessionPool of {len(self._sessions)} devices>"

    def __len__(self) -> int:
        return len(self._sessions)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._sessions))

    @property
    def timeout(self) -> Timeouts:
        """The time limits every session of the pool uses."""
        return self._timeout

    def session(self, address: str) -> DeviceSession:
        """The session for ``address``, created (without any traffic) on first use."""
        if self._closed:
            raise RuntimeError("the session pool is closed")
        session = self._sessions.get(address)
        if session is None:
            check_address(address)
            session = DeviceSession(
                address,
                ca=self._ssl_context,
                timeout=self._timeout,
                retry=self._retry,
                max_response_bytes=self._max_response_bytes,
                transport=self._transport_factory(address) if self._transport_factory else None,
            )
            self._sessions[address] = session
        return session

    def client(self, address: str) -> DeviceClient:
        """A client for ``address`` on the pool's session; closing it leaves the session open."""
        return DeviceClient(address, session=self.session(address))

    async def discard(self, address: str) -> None:
        """Close and forget one board's session (a later call opens a new one)."""
        session = self._sessions.pop(address, None)
        if session is not None:
            await session.aclose()

    async def __aenter__(self) -> SessionPool:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every session; shielded so that cancellation cannot leak a connection."""
        self._closed = True
        sessions, self._sessions = list(self._sessions.values()), {}
        with anyio.CancelScope(shield=True):
            for session in sessions:
                await session.aclose()
