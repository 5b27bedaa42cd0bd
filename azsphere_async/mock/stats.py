"""Accounting of one mock device: connections, requests and bytes, counted where they happen."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DeviceStats"]


@dataclass
class DeviceStats:
    """Counters of one device; read them from tests, or print :meth:`summary`.

    ``connections_accepted`` counts TCP accepts on the listening socket (before any TLS
    handshake); ``bytes_received`` counts every byte the HTTP layer received (headers and
    bodies, after TLS).  Request counters are keyed by concrete path (``requests_by_path``)
    and by ``"METHOD /template"`` (``requests_by_operation``).
    """

    connections_accepted: int = 0
    connections_open: int = 0
    requests: int = 0
    requests_by_path: Counter[str] = field(default_factory=Counter)
    requests_by_operation: Counter[str] = field(default_factory=Counter)
    responses_by_status: Counter[int] = field(default_factory=Counter)
    bytes_received: int = 0
    body_bytes_received: int = 0
    body_bytes_sent: int = 0
    restarts: int = 0
    faults_injected: Counter[str] = field(default_factory=Counter)

    def reset(self) -> None:
        """Zero every counter (``connections_open`` stays: it is a level, not a count)."""
        open_now = self.connections_open
        fresh = DeviceStats()
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(fresh, name))
        self.connections_open = open_now

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly copy of the counters."""
        return {
            "connections_accepted": self.connections_accepted,
            "connections_open": self.connections_open,
            "requests": self.requests,
            "requests_by_path": dict(self.requests_by_path),
            "requests_by_operation": dict(self.requests_by_operation),
            "responses_by_status": {str(k): v for k, v in self.responses_by_status.items()},
            "bytes_received": self.bytes_received,
            "body_bytes_received": self.body_bytes_received,
            "body_bytes_sent": self.body_bytes_sent,
            "restarts": self.restarts,
            "faults_injected": dict(self.faults_injected),
        }

    def summary(self) -> str:
        """One line for humans."""
        paths = ", ".join(f"{p} {n}" for p, n in self.requests_by_path.most_common(5))
        return (
            f"connections {self.connections_accepted}, requests {self.requests}, "
            f"received {self.bytes_received} B, sent {self.body_bytes_sent} B body, "
            f"restarts {self.restarts}, faults {sum(self.faults_injected.values())}"
            + (f" [{paths}]" if paths else "")
        )
