"""Read a board's diagnostic log (``GET /log``): records with their text, priority and time.

The log is binary (see :mod:`~azsphere_async.devicelog.layout`); what its numbers mean comes
from the manifest of the board's OS release. **This package ships no real release's
manifest.** Microsoft publishes them, with a decoding script, under the MIT licence in
``ParseDeviceLog/`` of the public repository Azure/azure-sphere-tools (releases 22.07 to
24.06). Import them once from your checkout::

    git clone https://github.com/Azure/azure-sphere-tools
    python -m azsphere_async.devicelog import azure-sphere-tools

Then::

    store = ManifestStore()  # or ManifestStore("dir"), or AZSPHERE_LOG_MANIFESTS=dir
    log = store.decode(raw_bytes, os_version="24.06")
    for line in log.lines():
        print(line)

or, from a board, ``await read_board_log(client)``. Without manifests the log still decodes:
every record with its time, priority and raw IDs and bytes. Nothing in a log makes the
decoder raise; what it could not read is in ``log.problems`` and each record's ``problem``.
The mock device's own release (its messages are ours) ships with the mock, in
``azsphere_async.mock``.
"""

from __future__ import annotations

from .board import board_os_version, read_board_log
from .convert import ImportedRelease, import_manifests
from .decoder import decode_log
from .layout import ParamKind, Priority
from .manifest import (
    Category,
    ErrorCategory,
    ErrorName,
    Manifest,
    ManifestError,
    Message,
    ParamSpec,
    load_manifest,
    write_manifest,
)
from .records import Bank, DecodedLog, LogProblem, LogRecord, Parameter
from .store import (
    MANIFESTS_VARIABLE,
    ManifestStore,
    ReleaseChoice,
    choose_release,
    default_manifest_dir,
)

__all__ = [
    "MANIFESTS_VARIABLE",
    "Bank",
    "Category",
    "DecodedLog",
    "ErrorCategory",
    "ErrorName",
    "ImportedRelease",
    "LogProblem",
    "LogRecord",
    "Manifest",
    "ManifestError",
    "ManifestStore",
    "Message",
    "ParamKind",
    "ParamSpec",
    "Parameter",
    "Priority",
    "ReleaseChoice",
    "board_os_version",
    "choose_release",
    "decode_log",
    "default_manifest_dir",
    "import_manifests",
    "load_manifest",
    "read_board_log",
    "write_manifest",
]
