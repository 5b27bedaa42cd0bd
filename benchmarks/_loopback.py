"""The network rule for benchmark processes: traffic goes to loopback (127.0.0.0/8, ::1) only.

Every benchmark process (client jobs, sinks, mock fleets) calls :func:`install_guard` before it
imports anything that opens sockets, so a mistake (a default device address such as
192.168.35.2, a DNS name) fails with :class:`NonLoopbackError` before a packet leaves.
Addresses handed to clients are checked up front with :func:`require_loopback` as well.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

__all__ = ["NonLoopbackError", "install_guard", "is_loopback", "require_loopback"]

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class NonLoopbackError(ConnectionRefusedError):
    """A benchmark tried to reach an address outside loopback."""


def is_loopback(host: object) -> bool:
    """Whether ``host`` (an IP address text, bytes, or a loopback name) is a loopback address."""
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if not isinstance(host, str):
        return False
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0]).is_loopback
    except ValueError:
        return False


def require_loopback(address: str) -> str:
    """Return ``address`` (``host`` or ``host:port``) if its host is loopback, else raise."""
    host = address
    if address.startswith("["):
        host = address[1 : address.index("]")]
    elif address.count(":") == 1:
        host = address.split(":", 1)[0]
    if not is_loopback(host):
        raise NonLoopbackError(f"benchmarks talk to loopback only, not {address!r}")
    return address


_real_socket = socket.socket
_real_getaddrinfo = socket.getaddrinfo


# Told of every refusal before it is raised (the test suite records them: library code may
# turn the raised error into a device error that a test expects).
_on_violation: Callable[[str], None] | None = None


def _refuse(message: str) -> NonLoopbackError:
    if _on_violation is not None:
        _on_violation(message)
    return NonLoopbackError(message)


def _check(address: Any, family: int) -> None:
    if family == getattr(socket, "AF_UNIX", None):
        return
    host = address[0] if isinstance(address, tuple) and address else address
    if not is_loopback(host):
        raise _refuse(f"refused to reach non-loopback address {address!r}")


class _GuardedSocket(_real_socket):
    """A socket that refuses to connect or send anywhere but loopback."""

    def connect(self, address: Any) -> None:
        _check(address, self.family)
        super().connect(address)

    def connect_ex(self, address: Any) -> int:
        _check(address, self.family)
        return super().connect_ex(address)

    def sendto(self, data: Any, *args: Any) -> int:
        _check(args[-1], self.family)
        return super().sendto(data, *args)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if host is not None and not is_loopback(host):
        raise _refuse(f"refused to resolve non-loopback name {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


def install_guard(on_violation: Callable[[str], None] | None = None) -> None:
    """Refuse, in this process, every socket connection and name lookup outside loopback.

    ``on_violation`` hears each refusal's message before the error is raised.
    """
    global _on_violation
    _on_violation = on_violation
    socket.socket = _GuardedSocket  # type: ignore[misc]
    socket.getaddrinfo = _guarded_getaddrinfo
