"""ASGI types the mock's layers share (internal)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Protocol

__all__ = ["ConnectionHandle", "Message", "Receive", "Scope", "Send"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class ConnectionHandle(Protocol):
    """What the server lets the application do to the TCP connection of a request."""

    def abort(self) -> None:
        """Close the connection at once (unsent data is lost)."""
