"""Models of the application calls: status, storage quota and memory statistics."""

from __future__ import annotations

import attrs

from ._wire import TolerantStrEnum, wire

__all__ = [
    "AppControlMode",
    "AppMemoryDetails",
    "AppQuota",
    "AppState",
    "AppStatus",
    "AppStatusChange",
    "AppStatusRequest",
    "AppTrigger",
    "HeapUsage",
    "InstallRequest",
    "MemoryStatistics",
    "MemoryStatsDetails",
    "ProcessMemoryDetails",
]


class AppState(TolerantStrEnum):
    """The state of an application on the device."""

    RUNNING = "running"
    NOT_PRESENT = "notPresent"
    STOPPED = "stopped"
    DEBUGGING = "debugging"


class AppTrigger(TolerantStrEnum):
    """What ``PATCH /app/status/{componentId}`` asks an application to do."""

    START = "start"
    START_DEBUG = "startDebug"
    STOP = "stop"


class AppControlMode(TolerantStrEnum):
    """How installed applications start: ``Manual`` keeps them from starting by themselves."""

    MANUAL = "Manual"


# The API description types GET /app/status as a bare state string; devices send an object.
@wire(bare_string="state")
@attrs.frozen(kw_only=True)
class AppStatus:
    """``GET /app/status/{componentId}``: the application's state."""

    state: AppState


@wire()
@attrs.frozen(kw_only=True)
class AppStatusChange:
    """``PATCH /app/status/{componentId}``: the state after the change, and the core it runs on."""

    state: AppState
    real_time_core: int | None = None


@wire()
@attrs.frozen(kw_only=True)
class AppStatusRequest:
    """The body of ``PATCH /app/status/{componentId}``."""

    trigger: AppTrigger


@wire()
@attrs.frozen(kw_only=True)
class InstallRequest:
    """The body of ``POST /update/install``; ``Manual`` keeps the installed apps from starting."""

    app_control_mode: AppControlMode | None = None


@wire(usage_kb="UsageKB", limit_kb="LimitKB")
@attrs.frozen(kw_only=True)
class AppQuota:
    """``GET /app/quota/{componentId}``: mutable storage used and allowed, in KiB."""

    usage_kb: int | None = None
    limit_kb: int | None = None


@wire()
@attrs.frozen(kw_only=True)
class MemoryStatsDetails:
    """Memory used by applications, in bytes."""

    current_memory_usage_in_bytes: int | None = None
    user_mode_memory_usage_in_bytes: int | None = None
    peak_user_mode_memory_usage_in_bytes: int | None = None


@wire()
@attrs.frozen(kw_only=True)
class HeapUsage:
    """Heap bytes allocated by one caller (for example a library) inside a process."""

    name: str | None = None
    usage_in_bytes: int | None = None


@wire()
@attrs.frozen(kw_only=True)
class ProcessMemoryDetails:
    """One process of an application and its heap use by caller."""

    pid: int | None = None
    heap_usage_by_caller: tuple[HeapUsage, ...] | None = None


@wire()
@attrs.frozen(kw_only=True)
class AppMemoryDetails:
    """The processes of one application, by component ID."""

    component_id: str | None = None
    processes: tuple[ProcessMemoryDetails, ...] | None = None


@wire()
@attrs.frozen(kw_only=True)
class MemoryStatistics:
    """``GET /stats/memory/groups/applications``: totals and per-application details."""

    memory_stats: MemoryStatsDetails | None = None
    apps: tuple[AppMemoryDetails, ...] | None = None
