"""The network rule, enforced: test code may open sockets to loopback addresses only.

The guard is the benchmarks' own (``benchmarks/_loopback.py``): ``socket.socket`` becomes a
subclass whose ``connect``/``connect_ex``/``sendto`` refuse any address outside 127.0.0.0/8
and ::1 before a packet leaves, and ``getaddrinfo`` refuses names other than loopback ones, so
no DNS query leaves either. Here refusals are also recorded in ``VIOLATIONS``, because library
code may turn the raised error into a device error that a test expects; the conftest fails
such a test all the same.
"""

from __future__ import annotations

from benchmarks._loopback import NonLoopbackError, install_guard

__all__ = ["VIOLATIONS", "NonLoopbackError", "install"]

VIOLATIONS: list[str] = []


def install() -> None:
    """Put the guard in place for this process, recording every refusal."""
    install_guard(on_violation=VIOLATIONS.append)
