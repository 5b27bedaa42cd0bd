"""The run's context: its mode, folders and id, the environment of the processes it starts.

Every benchmark is a function of a :class:`Context`; the constants here (where the tree and
the results are, the units, the variable that tags the run's processes) are shared by all.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

__all__ = ["RESULTS_DIR", "ROOT", "RUN_ID_VARIABLE", "Context", "KiB", "MiB", "Mode"]

ROOT: Final = Path(__file__).resolve().parent.parent
RESULTS_DIR: Final = Path(__file__).resolve().parent / "results"
KiB: Final = 1024
MiB: Final = 1024 * 1024

#: ``tiny`` for the smoke test, ``quick`` for about a minute, ``full`` for the real figures.
Mode = Literal["tiny", "quick", "full"]

#: Every process the harness starts carries this variable, so leftovers can be found.
RUN_ID_VARIABLE: Final = "AZSPHERE_BENCH_RUN_ID"
#: Proxies from the environment that no child process may use.
_PROXY_VARIABLES: Final = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


@dataclass
class Context:
    """What every benchmark gets: its mode, where results and scratch files go, a logger."""

    mode: Mode
    out_dir: Path
    work_dir: Path
    run_id: str
    verbose: bool = True
    _certs: dict[str, Path] | None = None

    def log(self, message: str) -> None:
        """Print a progress line to standard error."""
        if self.verbose:
            print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    def pick(self, tiny: Any, quick: Any, full: Any) -> Any:
        """The value for this run's mode."""
        return {"tiny": tiny, "quick": quick, "full": full}[self.mode]

    def env(self) -> dict[str, str]:
        """The environment for a child process: ours, tagged with the run's id, no proxies."""
        env = dict(os.environ)
        env[RUN_ID_VARIABLE] = self.run_id
        for name in _PROXY_VARIABLES:
            env.pop(name, None)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
        )
        return env

    def sink_certs(self) -> dict[str, Path]:
        """A test CA and a server certificate for the sink (made once per run with trustme).

        The certificate names ``127.0.0.1`` and localhost (for curl) and the devices' wildcard
        name (for Microsoft's client, which checks the Host header's name).
        """
        if self._certs is None:
            import trustme

            ca = trustme.CA()
            cert = ca.issue_cert("127.0.0.1", "localhost", "*.devices.sphere.azure.local")
            folder = self.work_dir / "sink-certs"
            folder.mkdir(exist_ok=True)
            paths = {
                "ca": folder / "ca.pem",
                "cert": folder / "cert.pem",
                "key": folder / "key.pem",
            }
            ca.cert_pem.write_to_path(str(paths["ca"]))
            cert.cert_chain_pems[0].write_to_path(str(paths["cert"]))
            for extra in cert.cert_chain_pems[1:]:
                extra.write_to_path(str(paths["cert"]), append=True)
            cert.private_key_pem.write_to_path(str(paths["key"]))
            self._certs = paths
        return self._certs
