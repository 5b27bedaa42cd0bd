"""Records out of the database: JSON lines, CSV and JUnit XML (what MES and CI tools read)."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Final

from .store import RunRecord

__all__ = ["EXPORT_FORMATS", "export_runs", "to_csv", "to_json_lines", "to_junit_xml"]

_CSV_RUN_COLUMNS: Final = (
    "run_uid",
    "station",
    "recipe",
    "slot",
    "device_id",
    "serial",
    "os_version",
    "images",
    "started_at",
    "ended_at",
    "elapsed",
    "outcome",
    "detail",
)
_CSV_STEP_COLUMNS: Final = ("step", "step_name", "step_outcome", "step_elapsed", "step_detail")


def to_json_lines(runs: Sequence[RunRecord]) -> str:
    """One JSON document per run, its steps nested."""
    return "".join(json.dumps(run.as_dict(), sort_keys=True) + "\n" for run in runs)


def to_csv(runs: Sequence[RunRecord]) -> str:
    """One row per step (a run without steps: one row), the run's fields on every row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_CSV_RUN_COLUMNS + _CSV_STEP_COLUMNS)
    for run in runs:
        data = run.as_dict()
        data["images"] = " ".join(run.images)
        base = ["" if data[c] is None else data[c] for c in _CSV_RUN_COLUMNS]
        if not run.steps:
            writer.writerow(base + [""] * len(_CSV_STEP_COLUMNS))
        for step in run.steps:
            writer.writerow(
                [*base, step.position, step.name, step.outcome, step.elapsed, step.detail]
            )
    return out.getvalue()


def to_junit_xml(runs: Sequence[RunRecord]) -> str:
    """A JUnit ``testsuites`` document: a suite per run (board), a test case per step.

    A failed step is a ``failure``, an interrupted one an ``error``, a skipped one
    ``skipped``; an interrupted run with no step in flight gets an ``error`` case of its own.
    """
    root = ET.Element("testsuites", name="azsphere-async station")
    for run in runs:
        name = f"{run.serial or run.device_id} @ {run.slot}"
        suite = ET.SubElement(
            root,
            "testsuite",
            name=name,
            timestamp=run.started_at,
            time=f"{run.elapsed or 0.0:.3f}",
            tests=str(len(run.steps)),
            failures=str(sum(step.outcome == "failed" for step in run.steps)),
            errors=str(sum(step.outcome in ("interrupted", "running") for step in run.steps)),
            skipped=str(sum(step.outcome == "skipped" for step in run.steps)),
        )
        properties = ET.SubElement(suite, "properties")
        for key in ("device_id", "serial", "os_version", "recipe", "station", "run_uid"):
            value = getattr(run, key)
            if value:
                ET.SubElement(properties, "property", name=key, value=str(value))
        ET.SubElement(properties, "property", name="outcome", value=run.outcome)
        for step in run.steps:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"station.{run.slot}",
                name=step.name,
                time=f"{step.elapsed or 0.0:.3f}",
            )
            if step.outcome == "failed":
                ET.SubElement(case, "failure", message=step.detail or "failed")
            elif step.outcome in ("interrupted", "running"):
                ET.SubElement(case, "error", message=step.detail or "interrupted")
            elif step.outcome == "skipped":
                ET.SubElement(case, "skipped", message=step.detail)
        if run.outcome != "passed" and not any(s.outcome != "passed" for s in run.steps):
            case = ET.SubElement(suite, "testcase", classname=f"station.{run.slot}", name="run")
            tag = "failure" if run.outcome == "failed" else "error"
            ET.SubElement(case, tag, message=run.detail or run.outcome)
            suite.set("tests", str(len(run.steps) + 1))
            suite.set(tag + "s", str(int(suite.get(tag + "s", "0")) + 1))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


EXPORT_FORMATS: Final = {"jsonl": to_json_lines, "csv": to_csv, "junit": to_junit_xml}
"""Every export format, by the name ``azsphere-async records --format`` takes."""


def export_runs(runs: Sequence[RunRecord], format: str) -> str:
    """``runs`` in ``format`` (one of :data:`EXPORT_FORMATS`)."""
    try:
        return EXPORT_FORMATS[format](runs)
    except KeyError:
        raise ValueError(
            f"unknown export format {format!r}; formats: {', '.join(EXPORT_FORMATS)}"
        ) from None
