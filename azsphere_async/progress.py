"""What a deploy's progress says: its phase, the bytes the board received, rates, time left.

:class:`StageProgress` is what progress callbacks hear, from staging
(:func:`~azsphere_async.staging.stage_image`) and from deploys
(:func:`~azsphere_async.deploy.deploy`, :func:`~azsphere_async.deploy.deploy_fleet`).
:class:`RateWindow` is the sliding window its rate comes from, and :class:`FleetProgress`
sums the boards of a fleet (a total, a count per phase, the time left for the slowest).
"""

from __future__ import annotations

import enum
import inspect
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Final

import attrs

__all__ = [
    "RATE_WINDOW",
    "FleetProgress",
    "Phase",
    "RateWindow",
    "StageProgress",
    "tell_now",
]

#: Seconds of samples a rate is measured over.
RATE_WINDOW: Final = 5.0
# A rate needs samples spanning this many seconds before it is given.
_MIN_SPAN: Final = 1.0


class Phase(enum.Enum):
    """Where a board's deploy is, in the order the phases come."""

    CONNECTING = "connecting"
    """Before the first byte of the image: connecting, learning the REST API version."""
    UPLOADING = "uploading"
    """The board is receiving the image."""
    WAITING = "waiting"
    """The board has every byte and has not answered the upload yet (it is checking it)."""
    INSTALLING = "installing"
    """The board is installing the staged image (and restarting, if the install needs it)."""
    CONFIRMING = "confirming"
    """Reading back what the board now has (its images, the application's state)."""

    @property
    def label(self) -> str:
        """The phase as a person reads it: ``waiting for the board``."""
        return _LABELS[self]


_LABELS: Final = {
    Phase.CONNECTING: "connecting",
    Phase.UPLOADING: "uploading",
    Phase.WAITING: "waiting for the board",
    Phase.INSTALLING: "installing",
    Phase.CONFIRMING: "confirming",
}


@attrs.frozen(init=False)
class StageProgress:
    """How far a board's upload (or deploy) has got.

    ``bytes_sent`` counts bytes the board has acknowledged receiving (its TCP stack's
    acknowledgements; see :mod:`azsphere_async.acknowledged` for how close that is), not
    bytes handed to the operating system. Where acknowledgements cannot be read,
    ``acknowledged`` is false and ``bytes_sent`` counts bytes handed to the connection.
    ``elapsed`` is seconds since the upload began; ``recent_rate`` bytes per second over
    the last :data:`RATE_WINDOW` seconds (``None`` until a second of it has passed).
    """

    bytes_sent: int
    total_bytes: int
    elapsed: float
    phase: Phase = Phase.UPLOADING
    recent_rate: float | None = None
    acknowledged: bool = True

    def __init__(
        self,
        bytes_sent: int,
        total_bytes: int,
        elapsed: float,
        phase: Phase = Phase.UPLOADING,
        recent_rate: float | None = None,
        acknowledged: bool = True,
    ) -> None:
        # A deploy makes one per board once a second: set through the slots' descriptors,
        # about a fifth cheaper than attrs' frozen __init__ (object.__setattr__ per field).
        _set_bytes_sent(self, bytes_sent)
        _set_total_bytes(self, total_bytes)
        _set_elapsed(self, elapsed)
        _set_phase(self, phase)
        _set_recent_rate(self, recent_rate)
        _set_acknowledged(self, acknowledged)

    @property
    def rate(self) -> float:
        """Bytes per second: the recent rate, or the average since the upload began."""
        if self.recent_rate is not None:
            return self.recent_rate
        return self.bytes_sent / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def fraction(self) -> float:
        """The share received, from 0.0 to 1.0."""
        return self.bytes_sent / self.total_bytes if self.total_bytes else 1.0

    @property
    def time_left(self) -> float | None:
        """Seconds until the board has the whole image at the recent rate (``None``: unknown)."""
        remaining = self.total_bytes - self.bytes_sent
        if remaining <= 0:
            return 0.0
        if not self.recent_rate:
            return None
        return remaining / self.recent_rate


(
    _set_bytes_sent,
    _set_total_bytes,
    _set_elapsed,
    _set_phase,
    _set_recent_rate,
    _set_acknowledged,
) = (StageProgress.__dict__[field.name].__set__ for field in attrs.fields(StageProgress))


class RateWindow:
    """Bytes per second over the last ``window`` seconds of samples."""

    def __init__(self, window: float = RATE_WINDOW) -> None:
        self._window = window
        self._samples: deque[tuple[float, int]] = deque()

    def add(self, now: float, count: int) -> float | None:
        """Note that ``count`` bytes (a running total) had arrived at time ``now``; returns
        the :meth:`rate` with it."""
        samples = self._samples
        samples.append((now, count))
        # Keep one sample older than the window, so the window is always spanned.
        oldest = now - self._window
        while len(samples) > 2 and samples[1][0] <= oldest:
            samples.popleft()
        # rate(), with this sample the last (a fleet's every board, once a second).
        start, first = samples[0]
        span = now - start
        if span < _MIN_SPAN:
            return None
        return max(0, count - first) / span

    def reset(self) -> None:
        """Forget every sample (the measured flow starts afresh)."""
        self._samples.clear()

    def rate(self) -> float | None:
        """Bytes per second over the window (``None`` before it spans a second)."""
        samples = self._samples
        if len(samples) < 2:
            return None
        (start, first), (end, last) = samples[0], samples[-1]
        span = end - start
        if span < _MIN_SPAN:
            return None
        return max(0, last - first) / span


@attrs.define
class FleetProgress:
    """Every board's latest :class:`StageProgress`, summed; feed it with :meth:`update`.

    ``boards`` maps each board's address to its latest progress (``None`` before the first);
    boards whose deploy has ended are :meth:`finish`-ed and counted by outcome.
    """

    total_bytes: int
    boards: dict[str, StageProgress | None]
    finished: dict[str, bool] = attrs.field(factory=dict)

    @classmethod
    def of(cls, addresses: Iterable[str], image_size: int) -> FleetProgress:
        """A fleet's progress before anything happened: ``image_size`` bytes per board."""
        boards: dict[str, StageProgress | None] = dict.fromkeys(addresses)
        return cls(image_size * len(boards), boards)

    def update(self, address: str, progress: StageProgress) -> None:
        """A board's latest progress."""
        if address in self.boards and address not in self.finished:
            self.boards[address] = progress

    def finish(self, address: str, ok: bool) -> None:
        """A board's deploy ended, well (``ok``) or not."""
        if address in self.boards:
            self.finished[address] = ok

    @property
    def bytes_sent(self) -> int:
        """Bytes every board has received, together (a finished board counts whole)."""
        size = self.total_bytes // len(self.boards) if self.boards else 0
        return sum(
            size if self.finished.get(a) else (p.bytes_sent if p is not None else 0)
            for a, p in self.boards.items()
        )

    @property
    def rate(self) -> float:
        """Bytes per second, the uploading boards' recent rates together."""
        return sum(
            p.rate
            for a, p in self.boards.items()
            if p is not None and p.phase is Phase.UPLOADING and a not in self.finished
        )

    @property
    def time_left(self) -> float | None:
        """Seconds until the last uploading board has its image (``None``: unknown)."""
        lefts = [
            None if p is None else p.time_left
            for a, p in self.boards.items()
            if a not in self.finished and (p is None or p.phase in _BEFORE_INSTALL)
        ]
        if not lefts:
            return 0.0
        if any(left is None for left in lefts):
            return None
        return max(left for left in lefts if left is not None)

    def phase_of(self, address: str) -> str:
        """``done``, ``failed``, ``waiting to start`` or the board's phase's label."""
        if address in self.finished:
            return "done" if self.finished[address] else "failed"
        progress = self.boards.get(address)
        return "waiting to start" if progress is None else progress.phase.label

    def counts(self) -> dict[str, int]:
        """How many boards are in each phase (and done, failed), in the phases' order."""
        order = ["waiting to start", *(p.label for p in Phase), "done", "failed"]
        tally = dict.fromkeys(order, 0)
        for address in self.boards:
            tally[self.phase_of(address)] += 1
        return {name: n for name, n in tally.items() if n}


_BEFORE_INSTALL: Final = frozenset({Phase.CONNECTING, Phase.UPLOADING})


def tell_now(
    callback: Callable[[StageProgress], Awaitable[None] | None], update: StageProgress
) -> Awaitable[None] | None:
    """Call a progress callback; returns what is left to await of a coroutine function's
    call (``None`` for a plain function, which is done)."""
    result = callback(update)
    if result is not None and inspect.isawaitable(result):
        return result
    return None
