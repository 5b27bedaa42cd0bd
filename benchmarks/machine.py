"""The machine a run measured on: CPU, cores, memory, Python, OpenSSL, packages, commit."""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
import ssl
import subprocess
import time
from pathlib import Path
from typing import Any, Final

from .context import ROOT

__all__ = ["machine_info"]


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / (1024 * 1024)
    return None


def _output(*command: str) -> str | None:
    """What ``command`` printed (run in the tree, at most 5 s), or ``None`` when it failed."""
    try:
        out = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout


def _git_commit() -> str | None:
    return (_output("git", "rev-parse", "--short", "HEAD") or "").strip() or None


def _uncommitted() -> list[str]:
    """Tracked files changed but not committed (outside benchmarks/), as the run saw them."""
    status = _output("git", "status", "--porcelain", "--untracked-files=no") or ""
    paths = [line[3:] for line in status.splitlines() if len(line) > 3]
    return [p for p in paths if not p.startswith("benchmarks/")]


def _curl_version() -> str | None:
    version = _output("curl", "--version")
    return version.splitlines()[0] if version else None


_PACKAGES: Final = (
    "httpx",
    "httpcore",
    "h11",
    "anyio",
    "sniffio",
    "uvicorn",
    "starlette",
    "requests",
    "azuresphere-device-api",
    "aiohttp",
    "matplotlib",
)


def machine_info() -> dict[str, Any]:
    """Cores, CPU model, memory, Python, OpenSSL, package versions and the tree's commit."""
    packages: dict[str, str] = {}
    for name in _PACKAGES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            packages[name] = importlib.metadata.version(name)
    memory = _memory_gib()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "cores": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": round(memory, 1) if memory is not None else None,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "openssl": ssl.OPENSSL_VERSION,
        "curl": _curl_version(),
        "commit": _git_commit(),
        "uncommitted": _uncommitted(),
        "packages": packages,
    }
