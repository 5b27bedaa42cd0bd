"""What a benchmark reports: targets, tables and results, and the files they are written to.

Each benchmark's :class:`BenchResult` goes to ``<name>.json`` (raw samples and the machine
included) and ``<name>.md``; ``summary.md`` gathers every result found in the folder.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .context import Mode

__all__ = [
    "BenchResult",
    "Spread",
    "Table",
    "Target",
    "fmt",
    "median",
    "spread",
    "write_result",
    "write_summary",
]


def median(values: Sequence[float]) -> float:
    """The median of a non-empty sequence."""
    if not values:
        raise ValueError("median of nothing")
    return float(statistics.median(values))


@dataclass
class Spread:
    """How a figure varied over the runs that measured it: min, median and max of ``runs``."""

    low: float
    mid: float
    high: float
    runs: int

    def text(self, unit: str = "") -> str:
        """``0.31 / 0.38 / 0.45 x over 5 runs`` (min / median / max)."""
        unit = f" {unit}" if unit else ""
        return f"{fmt(self.low)} / {fmt(self.mid)} / {fmt(self.high)}{unit} over {self.runs} runs"


def spread(values: Sequence[float]) -> Spread:
    """The min, median and max of a non-empty sequence of runs' figures."""
    return Spread(min(values), median(values), max(values), len(values))


def fmt(value: Any) -> str:
    """A number for a table: about three significant figures, thousands separated."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        magnitude = abs(value)
        if magnitude >= 100:
            return f"{value:,.0f}"
        if magnitude >= 10:
            return f"{value:.1f}"
        if magnitude >= 1:
            return f"{value:.2f}"
        if magnitude == 0:
            return "0"
        return f"{value:.3g}"
    return str(value)


@dataclass
class Target:
    """One requirement of the issue, with the figure measured against it."""

    name: str
    requirement: str
    value: float | None
    limit: float
    higher_is_better: bool
    unit: str = "x"
    note: str = ""
    #: What the figure is a ratio to, with its own value measured in the same run.
    baseline: str = ""
    #: The figure over the runs (the value is its median, or a ratio of medians).
    spread: Spread | None = None

    @property
    def status(self) -> str:
        """``PASS``, ``MISS``, or ``N/A`` when the figure could not be measured."""
        if self.value is None:
            return "N/A"
        ok = self.value >= self.limit if self.higher_is_better else self.value <= self.limit
        return "PASS" if ok else "MISS"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly form."""
        return {
            "name": self.name,
            "requirement": self.requirement,
            "value": self.value,
            "limit": self.limit,
            "higher_is_better": self.higher_is_better,
            "unit": self.unit,
            "status": self.status,
            "note": self.note,
            "baseline": self.baseline,
            "spread": None if self.spread is None else vars(self.spread),
        }

    def line(self) -> str:
        """One line for a person: status, name, value, requirement, spread and baseline."""
        measured = "n/a" if self.value is None else f"{fmt(self.value)} {self.unit}".strip()
        parts = [f"{self.status:4}  {self.name}: {measured} ({self.requirement})"]
        if self.spread is not None:
            parts.append(f"min / median / max {self.spread.text(self.unit)}")
        if self.baseline:
            parts.append(f"baseline: {self.baseline}")
        if self.note:
            parts.append(self.note)
        return "; ".join(parts)


@dataclass
class Table:
    """A table of figures: ``columns`` are ``(key, header)`` pairs picked from each row."""

    title: str
    columns: list[tuple[str, str]]
    rows: list[dict[str, Any]]

    def markdown(self) -> str:
        """The table in Markdown."""
        head = "| " + " | ".join(h for _, h in self.columns) + " |"
        rule = "| " + " | ".join("---" for _ in self.columns) + " |"
        body = [
            "| " + " | ".join(fmt(row.get(key)) for key, _ in self.columns) + " |"
            for row in self.rows
        ]
        return "\n".join([f"**{self.title}**", "", head, rule, *body])


@dataclass
class BenchResult:
    """Everything one benchmark measured: tables, targets, notes, raw samples, charts."""

    name: str
    title: str
    mode: Mode
    description: str
    tables: list[Table] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    charts: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly form, raw samples included."""
        return {
            "name": self.name,
            "title": self.title,
            "mode": self.mode,
            "description": self.description,
            "elapsed_seconds": self.elapsed,
            "targets": [t.as_dict() for t in self.targets],
            "tables": [
                {"title": t.title, "columns": [list(c) for c in t.columns], "rows": t.rows}
                for t in self.tables
            ],
            "notes": self.notes,
            "charts": self.charts,
            "data": self.data,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BenchResult:
        """Rebuild a result from its JSON form (as :meth:`as_dict` wrote it)."""
        tables = [
            Table(t["title"], [(k, h) for k, h in t["columns"]], list(t["rows"]))
            for t in data.get("tables", [])
        ]
        targets = [
            Target(
                t["name"],
                t["requirement"],
                t["value"],
                t["limit"],
                t["higher_is_better"],
                t.get("unit", "x"),
                t.get("note", ""),
                t.get("baseline", ""),
                Spread(**t["spread"]) if t.get("spread") else None,
            )
            for t in data.get("targets", [])
        ]
        return cls(
            name=data["name"],
            title=data["title"],
            mode=data["mode"],
            description=data["description"],
            tables=tables,
            targets=targets,
            notes=list(data.get("notes", [])),
            data=dict(data.get("data", {})),
            charts=list(data.get("charts", [])),
            elapsed=float(data.get("elapsed_seconds", 0.0)),
        )

    def targets_markdown(self) -> str:
        """The targets as a Markdown table."""
        if not self.targets:
            return ""
        lines = [
            "| target | requirement | measured | min / median / max | baseline (same run) "
            "| status | note |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for t in self.targets:
            measured = "n/a" if t.value is None else f"{fmt(t.value)} {t.unit}".strip()
            shown = t.spread.text(t.unit) if t.spread is not None else ""
            lines.append(
                f"| {t.name} | {t.requirement} | {measured} | {shown} | {t.baseline} "
                f"| {t.status} | {t.note} |"
            )
        return "\n".join(lines)

    def markdown(self, *, level: int = 1) -> str:
        """The whole result as Markdown."""
        hashes = "#" * level
        parts = [f"{hashes} {self.title}", "", self.description, ""]
        if self.targets:
            parts += [self.targets_markdown(), ""]
        for table in self.tables:
            parts += [table.markdown(), ""]
        for chart in self.charts:
            parts += [f"![{Path(chart).stem}]({Path(chart).name})", ""]
        parts += [f"_Mode {self.mode}; took {self.elapsed:.0f} s._", ""]
        if self.notes:
            parts += ["Notes:", ""] + [f"- {note}" for note in self.notes] + [""]
        return "\n".join(parts)


def write_result(result: BenchResult, out_dir: Path, machine: Mapping[str, Any]) -> None:
    """Write ``<name>.json`` (with the machine) and ``<name>.md`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    payload = result.as_dict()
    payload["machine"] = dict(machine)
    (out_dir / f"{result.name}.json").write_text(json.dumps(payload, indent=2) + "\n")
    (out_dir / f"{result.name}.md").write_text(result.markdown() + "\n")


def write_summary(results: Sequence[tuple[BenchResult, Mapping[str, Any]]], out_dir: Path) -> Path:
    """Write ``summary.md``: the machine, every target with PASS/MISS, every table.

    ``results`` pairs each result with the machine record of the run that produced it (the
    summary may gather results of several runs, e.g. after ``--only``).
    """
    lines = ["# Benchmark summary", ""]
    lines += [
        "Produced by `python -m benchmarks` (`nox -s bench`). Every ratio compares figures "
        "measured in the same run; targets are from the issue. Per-benchmark details, raw "
        "samples and charts are in the `<name>.json` / `<name>.md` files beside this one.",
        "",
    ]
    machines: dict[str, Mapping[str, Any]] = {}
    for _, machine in results:
        machines.setdefault(json.dumps(machine, sort_keys=True, default=str), machine)
    for machine in machines.values():
        lines += ["| machine | |", "| --- | --- |"]
        for key in (
            "date",
            "cpu_model",
            "cores",
            "memory_gib",
            "python",
            "platform",
            "openssl",
            "curl",
            "commit",
        ):
            lines.append(f"| {key} | {fmt(machine.get(key))} |")
        changed = machine.get("uncommitted") or []
        lines.append(f"| uncommitted changes | {', '.join(changed) if changed else 'none'} |")
        packages = ", ".join(f"{k} {v}" for k, v in machine.get("packages", {}).items())
        lines += [f"| packages | {packages} |", ""]
    lines += [
        "## Targets",
        "",
        "| benchmark | mode | target | requirement | measured | min / median / max "
        "| baseline (same run) | status |",
    ]
    lines.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for result, _ in results:
        for t in result.targets:
            measured = "n/a" if t.value is None else f"{fmt(t.value)} {t.unit}".strip()
            shown = t.spread.text(t.unit) if t.spread is not None else ""
            lines.append(
                f"| {result.name} | {result.mode} | {t.name} | {t.requirement} | {measured} "
                f"| {shown} | {t.baseline} | {t.status} |"
            )
    lines.append("")
    for result, _ in results:
        lines += [result.markdown(level=2), ""]
    path = out_dir / "summary.md"
    path.write_text("\n".join(lines))
    return path
