"""The station's records: every run, its steps and the board's identity, in SQLite.

- :mod:`~azsphere_async.records.store`: :class:`RecordStore`, which writes them;
- :mod:`~azsphere_async.records.reading`: the runs and steps as models (:func:`query_records`),
  and each outbox target's position (:func:`query_targets`), read without writing;
- :mod:`~azsphere_async.records.export`: JSON lines, CSV and JUnit XML;
- :mod:`~azsphere_async.records.outbox`: the events for the line, and each target's position.
"""

from .export import EXPORT_FORMATS, export_runs, to_csv, to_json_lines, to_junit_xml
from .reading import query_targets
from .store import (
    DEFAULT_RECORDS_PATH,
    OUTCOMES,
    OutboxEvent,
    RecordStore,
    RecordsUnavailableError,
    RunOutcome,
    RunQuery,
    RunRecord,
    StepOutcome,
    StepRecord,
    TargetPosition,
    query_records,
)

__all__ = [
    "DEFAULT_RECORDS_PATH",
    "EXPORT_FORMATS",
    "OUTCOMES",
    "OutboxEvent",
    "RecordStore",
    "RecordsUnavailableError",
    "RunOutcome",
    "RunQuery",
    "RunRecord",
    "StepOutcome",
    "StepRecord",
    "TargetPosition",
    "export_runs",
    "query_records",
    "query_targets",
    "to_csv",
    "to_json_lines",
    "to_junit_xml",
]
