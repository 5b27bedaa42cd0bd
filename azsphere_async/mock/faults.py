"""Fault injection: make a device misbehave on chosen requests, or at random with a seed.

Faults are queued on a device's :class:`FaultInjector` (``device.faults``) and consumed by the
requests that match them.  Transport faults (``DROP``, ``DROP_UPLOAD``, ``TRUNCATED_BODY``,
``STALL`` ending in a drop) act on the TCP connection when the device is served over sockets;
served in-process through ``httpx.ASGITransport`` they raise ``ConnectionResetError`` instead.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

__all__ = ["Fault", "FaultInjector", "FaultKind", "FaultRecord"]


class FaultKind(StrEnum):
    """What goes wrong."""

    DROP = "drop"
    """Close the connection without answering."""
    DROP_UPLOAD = "drop_upload"
    """Close the connection once ``after_bytes`` of the request body have arrived."""
    ERROR = "error"
    """Answer ``status`` (500) with ``{"error": code}`` instead of handling the request."""
    STALL = "stall"
    """Accept the request and say nothing for ``seconds`` (``None``: until the client leaves);
    then answer normally, or drop the connection if ``then_drop``."""
    MALFORMED_JSON = "malformed_json"
    """Handle the request, then send its JSON answer with a syntax error."""
    TRUNCATED_JSON = "truncated_json"
    """Handle the request, then send only the first half of its JSON answer (well-formed HTTP)."""
    TRUNCATED_BODY = "truncated_body"
    """Announce the full ``Content-Length``, send half the body, close the connection."""
    WRONG_CONTENT_TYPE = "wrong_content_type"
    """Send the real answer labelled ``content_type`` (``text/html``)."""
    EMPTY_BODY = "empty_body"
    """Send the real status with an empty body."""
    GIANT_BODY = "giant_body"
    """Send a JSON answer of ``size`` bytes (50 MiB) instead of the real one."""


@dataclass(frozen=True)
class Fault:
    """One fault and its parameters (only those of its kind matter)."""

    kind: FaultKind
    status: int = 500
    code: int | None = None
    """Error code for ``ERROR``; ``None`` uses the device's ``error_500_code``."""
    after_bytes: int = 0
    seconds: float | None = None
    then_drop: bool = False
    size: int = 50 * 1024 * 1024
    content_type: str = "text/html; charset=utf-8"


@dataclass(frozen=True)
class FaultRecord:
    """A fault that was applied: to which request (device-wide request number)."""

    request_number: int
    method: str
    path: str
    kind: FaultKind


@dataclass
class _Pending:
    fault: Fault
    remaining: int
    skip: int
    method: str | None
    path: str | None

    def matches(self, method: str, path: str, template: str | None) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path is None or self.path in (path, template)


class FaultInjector:
    """The faults waiting for one device's requests.  Settable at runtime from tests."""

    def __init__(self) -> None:
        self._pending: list[_Pending] = []
        self._random: random.Random | None = None
        self._probability = 0.0
        self._random_kinds: tuple[Fault, ...] = ()
        self.history: list[FaultRecord] = []
        """Every fault applied so far, oldest first."""

    def inject(
        self,
        fault: Fault | FaultKind | str,
        *,
        count: int = 1,
        skip: int = 0,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Apply ``fault`` to ``count`` matching requests after letting ``skip`` of them pass.

        ``path`` matches a concrete path or a template (``/app/status/{componentId}``); with
        ``method`` and ``path`` both ``None`` every request matches.  ``skip=k-1`` hits the
        k-th matching request from now.
        """
        if not isinstance(fault, Fault):
            fault = Fault(FaultKind(fault))
        if count < 1 or skip < 0:
            raise ValueError("count must be at least 1 and skip at least 0")
        self._pending.append(_Pending(fault, count, skip, method, path))

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 500,
        code: int | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Answer the next ``count`` matching requests with ``status`` and ``{"error": code}``."""
        self.inject(
            Fault(FaultKind.ERROR, status=status, code=code), count=count, method=method, path=path
        )

    def fail_request(self, k: int, *, status: int = 500, code: int | None = None) -> None:
        """Answer the k-th request from now (1 is the next one) with ``status``."""
        self.inject(Fault(FaultKind.ERROR, status=status, code=code), skip=k - 1)

    def drop_next(
        self, count: int = 1, *, method: str | None = None, path: str | None = None
    ) -> None:
        """Close the connection instead of answering the next ``count`` matching requests."""
        self.inject(Fault(FaultKind.DROP), count=count, method=method, path=path)

    def drop_upload_after(self, nbytes: int, *, path: str | None = "/update/stage") -> None:
        """Close the connection once ``nbytes`` of the next upload (to ``path``) arrived."""
        self.inject(Fault(FaultKind.DROP_UPLOAD, after_bytes=nbytes), path=path)

    def stall_next(
        self,
        seconds: float | None = None,
        *,
        then_drop: bool = False,
        count: int = 1,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Hold the next matching requests unanswered for ``seconds`` (``None``: forever)."""
        self.inject(
            Fault(FaultKind.STALL, seconds=seconds, then_drop=then_drop),
            count=count,
            method=method,
            path=path,
        )

    def set_random(
        self,
        probability: float,
        *,
        seed: int | None = None,
        kinds: Iterable[Fault | FaultKind | str] = (
            FaultKind.DROP,
            FaultKind.ERROR,
            FaultKind.MALFORMED_JSON,
        ),
    ) -> None:
        """Give each request a ``probability`` of one of ``kinds`` (chosen with ``seed``)."""
        if not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        self._random = random.Random(seed)
        self._probability = probability
        self._random_kinds = tuple(
            kind if isinstance(kind, Fault) else Fault(FaultKind(kind)) for kind in kinds
        )
        if not self._random_kinds and probability > 0:
            raise ValueError("no fault kinds to choose from")

    def clear(self) -> None:
        """Forget queued faults and stop random ones (the history stays)."""
        self._pending.clear()
        self._random = None
        self._probability = 0.0

    @property
    def pending(self) -> int:
        """How many queued fault applications are left."""
        return sum(p.remaining for p in self._pending)

    def take(
        self, request_number: int, method: str, path: str, template: str | None
    ) -> Fault | None:
        """The fault for this request, if any (used by the device; consumes it)."""
        for pending in self._pending:
            if not pending.matches(method, path, template):
                continue
            if pending.skip > 0:
                pending.skip -= 1
                continue
            pending.remaining -= 1
            if pending.remaining <= 0:
                self._pending.remove(pending)
            return self._record(request_number, method, path, pending.fault)
        if self._random is not None and self._random.random() < self._probability:
            fault = self._random.choice(self._random_kinds)
            if fault.kind is FaultKind.DROP_UPLOAD:
                fault = replace(fault, after_bytes=self._random.randrange(0, 1 << 16))
            return self._record(request_number, method, path, fault)
        return None

    def _record(self, number: int, method: str, path: str, fault: Fault) -> Fault:
        self.history.append(FaultRecord(number, method, path, fault.kind))
        return fault
