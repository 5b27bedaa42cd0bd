"""The session pool: exactly one keep-alive HTTPS connection per device address."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Unpack

import anyio

from .client import DeviceClient
from .options import ClientOptions, OptionShortcuts, Timeouts
from .session import DeviceSession
from .validation import DeviceAddress, check_address

__all__ = ["SessionPool"]


class SessionPool:
    """One :class:`DeviceSession` (one connection) per device address, shared by all callers.

    Sessions are created on first use and closed when the pool closes. Calls to the same
    board queue on its connection; calls to different boards run in parallel. Every session
    shares the pool's :class:`~azsphere_async.options.ClientOptions` (given as ``options``,
    or as keyword shortcuts), and so one SSL context.
    """

    def __init__(
        self, options: ClientOptions | None = None, **shortcuts: Unpack[OptionShortcuts]
    ) -> None:
        self.options = ClientOptions.build(options, **shortcuts)
        # Keyed by the normalised address: two spellings of one board share its session.
        self._sessions: dict[DeviceAddress, DeviceSession] = {}
        self._clients: dict[DeviceSession, DeviceClient] = {}
        self._closed = False

    def __repr__(self) -> str:
        return f"<SessionPool of {len(self._sessions)} devices>"

    def __len__(self) -> int:
        return len(self._sessions)

    def __iter__(self) -> Iterator[str]:
        return iter([session.address for session in self._sessions.values()])

    @property
    def timeout(self) -> Timeouts:
        """The time limits every session of the pool uses."""
        return self.options.timeouts

    def session(self, address: str, *, checked: DeviceAddress | None = None) -> DeviceSession:
        """The session for ``address``, created (without any traffic) on first use.

        Spellings of one board (``"127.0.0.1"`` and ``"127.0.0.1:443"``) share one session.
        ``checked`` is the address already checked by the caller (a fleet checks its
        addresses once, when it is made).
        """
        if self._closed:
            raise RuntimeError("the session pool is closed")
        target = checked if checked is not None else check_address(address)
        session = self._sessions.get(target)
        if session is None:
            session = DeviceSession(address, self.options, checked=target)
            self._sessions[target] = session
        return session

    def client(self, address: str, *, checked: DeviceAddress | None = None) -> DeviceClient:
        """The client for ``address`` on the pool's session (made once per session, not per
        call); closing it leaves the session open."""
        session = self.session(address, checked=checked)
        client = self._clients.get(session)
        if client is None:
            client = DeviceClient(address, session=session)
            self._clients[session] = client
        return client

    async def discard(self, address: str) -> None:
        """Close and forget one board's session (a later call opens a new one)."""
        session = self._sessions.pop(check_address(address), None)
        if session is not None:
            self._clients.pop(session, None)
            await session.aclose()

    async def __aenter__(self) -> SessionPool:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every session; shielded so that cancellation cannot leak a connection."""
        self._closed = True
        sessions, self._sessions = list(self._sessions.values()), {}
        self._clients = {}
        with anyio.CancelScope(shield=True):
            for session in sessions:
                await session.aclose()
