"""The network rule, enforced: test code may open sockets to loopback addresses only.

``install()`` replaces ``socket.socket`` with a subclass whose ``connect``/``connect_ex``/
``sendto`` refuse any address outside 127.0.0.0/8 and ::1 (before a packet leaves), and makes
``getaddrinfo`` refuse names other than loopback ones, so no DNS query leaves either. Refusals
are recorded in ``VIOLATIONS`` as well as raised, because library code may turn the raised
error into a device error that a test expects; the conftest fails such a test all the same.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

VIOLATIONS: list[str] = []

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
_real_socket = socket.socket
_real_getaddrinfo = socket.getaddrinfo


class NonLoopbackConnectionError(ConnectionRefusedError):
    """A test tried to reach a non-loopback address."""


def _is_loopback_host(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str):
        return False
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(address: Any, family: int) -> None:
    if family == getattr(socket, "AF_UNIX", None):
        return
    host = address[0] if isinstance(address, tuple) and address else address
    if not _is_loopback_host(host):
        message = f"test tried to reach non-loopback address {address!r}"
        VIOLATIONS.append(message)
        raise NonLoopbackConnectionError(message)


class GuardedSocket(_real_socket):
    """A socket that refuses to reach anything but loopback."""

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
    if host is not None and not _is_loopback_host(host):
        message = f"test tried to resolve non-loopback name {host!r}"
        VIOLATIONS.append(message)
        raise NonLoopbackConnectionError(message)
    return _real_getaddrinfo(host, *args, **kwargs)


def install() -> None:
    """Put the guard in place for this process."""
    socket.socket = GuardedSocket  # type: ignore[misc]
    socket.getaddrinfo = _guarded_getaddrinfo
