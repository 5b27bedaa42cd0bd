"""Charts of the results as PNG files (matplotlib, when it is installed; none otherwise)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["bar_chart", "line_chart"]


def _pyplot() -> Any | None:
    """``matplotlib.pyplot`` drawing off-screen, or ``None`` when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def _finish(
    plt: Any, fig: Any, ax: Any, path: Path, *, title: str, ylabel: str, log_y: bool, grid: str
) -> str:
    """Label, legend and grid the chart (``grid`` names the axes), save it, return its name."""
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if log_y:
        ax.set_yscale("log")
    ax.legend(fontsize="small")
    ax.grid(axis=grid, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path.name


def bar_chart(
    path: Path,
    title: str,
    ylabel: str,
    groups: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    log_y: bool = False,
) -> str | None:
    """A grouped bar chart as PNG; ``None`` when matplotlib is not installed."""
    plt = _pyplot()
    if plt is None:
        return None
    fig, ax = plt.subplots(figsize=(8, 4.5))
    count = max(1, len(series))
    width = 0.8 / count
    for index, (label, values) in enumerate(series.items()):
        xs = [g + (index - (count - 1) / 2) * width for g in range(len(groups))]
        ys = [v if v is not None else 0.0 for v in values]
        ax.bar(xs, ys, width=width, label=label)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(list(groups))
    return _finish(plt, fig, ax, path, title=title, ylabel=ylabel, log_y=log_y, grid="y")


def line_chart(
    path: Path,
    title: str,
    xlabel: str,
    ylabel: str,
    series: Mapping[str, tuple[Sequence[float], Sequence[float | None]]],
    *,
    log_x: bool = False,
    log_y: bool = False,
) -> str | None:
    """A line chart as PNG; ``None`` when matplotlib is not installed."""
    plt = _pyplot()
    if plt is None:
        return None
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for label, (xs, ys) in series.items():
        points = [(x, y) for x, y in zip(xs, ys, strict=True) if y is not None]
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label)
    ax.set_xlabel(xlabel)
    if log_x:
        ax.set_xscale("log", base=2)
    return _finish(plt, fig, ax, path, title=title, ylabel=ylabel, log_y=log_y, grid="both")
