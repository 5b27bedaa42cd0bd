"""One client measurement, alone in its process: ``python -m benchmarks._client_job JOB PARAMS``.

``PARAMS`` is a JSON object. The job installs the loopback guard, imports what it needs, notes
its memory after the imports (the baseline), warms up (connection, first request, backends),
then times the measured work with ``time.perf_counter`` and ``resource.getrusage(RUSAGE_SELF)``
(user + system CPU of every thread of the process). It prints one line ``RESULT {json}``:

- ``samples``: one entry per timed repetition (``wall``, ``cpu`` seconds, and job details);
- ``rss_after_imports_kib``: the process's peak RSS (``VmHWM``) once its imports were done;
- ``peak_rss_kib`` / ``rss_growth_kib``: the peak at the end, and its growth over the baseline.

Every address is checked to be loopback before use, and every loop is bounded in count and time.
The jobs live in ``benchmarks/_jobs/``, one module per benchmark; this module runs one.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

from ._jobs.fleet import (
    deploy_library,
    deploy_requests,
    sweep_httpx,
    sweep_library,
    sweep_official,
)
from ._jobs.get import (
    get_aiohttp,
    get_httpx,
    get_library,
    get_library_typed,
    get_official,
    get_raw,
)
from ._jobs.measure import Params, Result
from ._jobs.stage import stage_curl, stage_library, stage_official, stage_raw
from ._loopback import install_guard

__all__ = ["JOBS", "main"]

JOBS: dict[str, Callable[[Params], Result]] = {
    "stage_library": stage_library,
    "stage_raw": stage_raw,
    "stage_curl": stage_curl,
    "stage_official": stage_official,
    "get_library": get_library,
    "get_library_typed": get_library_typed,
    "get_httpx": get_httpx,
    "get_aiohttp": get_aiohttp,
    "get_raw": get_raw,
    "get_official": get_official,
    "sweep_library": sweep_library,
    "sweep_official": sweep_official,
    "sweep_httpx": sweep_httpx,
    "deploy_requests": deploy_requests,
    "deploy_library": deploy_library,
}


def main(argv: list[str] | None = None) -> None:
    """Run the job named in ``argv[0]`` with the JSON parameters in ``argv[1]``."""
    install_guard()
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] not in JOBS:
        raise SystemExit(f"usage: python -m benchmarks._client_job {{{','.join(JOBS)}}} PARAMS")
    result = JOBS[args[0]](json.loads(args[1]))
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
