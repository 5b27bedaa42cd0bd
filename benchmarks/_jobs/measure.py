"""How a job measures: wall and CPU time of timed sections, and the process's peak memory."""

from __future__ import annotations

import resource
import time
from typing import Any

__all__ = ["Params", "Probe", "Result", "cpu_seconds", "peak_rss_kib", "rss_kib"]

#: A job's parameters (the JSON object of its command line) and the figures it prints.
Params = dict[str, Any]
Result = dict[str, Any]


def cpu_seconds() -> float:
    """User plus system CPU seconds of every thread of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_kib(pid: int | str = "self") -> int:
    """The process's peak resident set (``VmHWM``), in KiB; 0 once the process is gone.

    Not ``ru_maxrss``: Linux carries a parent's peak into a child across ``fork``/``exec``, so
    a small process started by a large one reports the large one's peak.
    """
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_kib() -> int:
    """The process's resident set now (``VmRSS``), in KiB, after a garbage collection."""
    import gc

    gc.collect()
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Probe:
    """Baseline memory after the imports, then timed sections.

    Make it once the job's imports are done: its peak memory then is the baseline.
    """

    def __init__(self) -> None:
        self.rss_after_imports = peak_rss_kib()
        self.samples: list[dict[str, Any]] = []

    def start(self) -> tuple[float, float]:
        """Start a timed section; hand what it returns to :meth:`stop`."""
        return time.perf_counter(), cpu_seconds()

    def stop(self, started: tuple[float, float], **extra: Any) -> dict[str, Any]:
        """End a timed section: its wall and CPU seconds (and ``extra``) become a sample."""
        wall = time.perf_counter() - started[0]
        cpu = cpu_seconds() - started[1]
        sample = {"wall": wall, "cpu": cpu, **extra}
        self.samples.append(sample)
        return sample

    def result(self, **extra: Any) -> Result:
        """The job's figures: the samples, the baseline and peak memory, and ``extra``."""
        peak = peak_rss_kib()
        return {
            "samples": self.samples,
            "rss_after_imports_kib": self.rss_after_imports,
            "peak_rss_kib": peak,
            "rss_growth_kib": peak - self.rss_after_imports,
            **extra,
        }
