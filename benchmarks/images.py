"""Image files for the benchmarks: valid packages of any size, built on the demo package."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Final

from .context import ROOT, MiB

__all__ = ["DEMO_PACKAGE", "make_image"]

DEMO_PACKAGE: Final = ROOT / "azsphere_async" / "data" / "demo" / "azure_sphere_blink.imagepackage"


def make_image(folder: Path, size: int, *, name: str | None = None, seed: int = 1) -> Path:
    """Write a valid image package of exactly ``size`` bytes into ``folder``.

    Random payload followed by the whole demo package: the metadata is read from the end, so
    the mock and the library accept it; the payload is incompressible. Sizes smaller than the
    demo package give the demo package itself.
    """
    demo = DEMO_PACKAGE.read_bytes()
    path = folder / (name or f"image-{size}.imagepackage")
    if path.exists() and path.stat().st_size == max(size, len(demo)):
        return path
    rng = random.Random(seed)
    remaining = max(0, size - len(demo))
    with path.open("wb") as handle:
        while remaining > 0:
            step = min(remaining, 8 * MiB)
            handle.write(rng.randbytes(step))
            remaining -= step
        handle.write(demo)
    return path
