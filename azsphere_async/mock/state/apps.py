"""Applications and images: flash storage, staging, installing, and the apps that run.

:class:`ImageStore` keeps what ``GET /images`` lists (the OS components, then installed image
packages) and what is staged, counts flash space, and runs the ``/update``, ``/app`` and
``/stats`` calls.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Final

from ..config import DEBUG_SERVER, MockDeviceConfig, OsComponent
from ..errors import Code, DeviceRefusal
from ..images import ImagePackageSink, NotAnImagePackage, PackageMetadata, is_nil_uid
from ._common import ApiLevel, check_component_id, invalid, require_object
from .records import DiagnosticLog, ErrorReports

__all__ = ["ImageStore", "InstalledImage", "StagingUpload"]

_GDB_PORT: Final = 2345
_OUTPUT_PORT: Final = 2342


@dataclass
class InstalledImage:
    """An installed image package (an application, or a system component update)."""

    metadata: PackageMetadata
    manual: bool = False
    """Installed with ``appControlMode: Manual`` (does not start by itself)."""
    state: str = "stopped"
    pid: int | None = None
    usage_kb: int = 0
    """Mutable storage in use (tests may set it)."""

    @property
    def is_application(self) -> bool:
        """Whether this is an application."""
        return self.metadata.is_application


class StagingUpload:
    """One ``PUT /update/stage`` in progress: feed it the body, then :meth:`finish` it."""

    def __init__(self, store: ImageStore, expected_length: int | None) -> None:
        self._store = store
        self._sink = ImagePackageSink()
        # Which component this is shows only at the end, and it may replace a staged copy
        # of itself: until then only the installed images are sure to stay.
        self._free = store.space_for_staging
        if expected_length is not None and expected_length > self._free:
            raise DeviceRefusal(400, Code.NO_FREE_SPACE)

    @property
    def received(self) -> int:
        """Bytes received so far."""
        return self._sink.length

    def feed(self, chunk: bytes) -> None:
        """Take the next chunk; refuses once the package outgrows the free space."""
        self._sink.feed(chunk)
        if self._sink.length > self._free:
            raise DeviceRefusal(400, Code.NO_FREE_SPACE)

    def finish(self) -> dict[str, Any]:
        """Parse the package metadata and stage it."""
        try:
            metadata = self._sink.finish()
        except NotAnImagePackage as exc:
            raise DeviceRefusal(400, Code.STAGE_INVALID_PACKAGE) from exc
        if is_nil_uid(metadata.component_id):
            raise DeviceRefusal(400, Code.INVALID_COMPONENT_ID)
        store = self._store
        # A staged copy of the same component is replaced: its space is counted once.
        others = sum(
            staged.length
            for component_id, staged in store.staged.items()
            if component_id != metadata.component_id
        )
        if metadata.length > store.space_for_staging - others:
            raise DeviceRefusal(400, Code.NO_FREE_SPACE)
        store.staged[metadata.component_id] = metadata
        store.log.record(
            "update", "ImageStaged", metadata.component_id, metadata.image_id, metadata.length
        )
        return {}


class ImageStore:
    """Installed and staged images, the flash they take, and the applications' states."""

    def __init__(
        self,
        config: MockDeviceConfig,
        api: ApiLevel,
        log: DiagnosticLog,
        reports: ErrorReports,
    ) -> None:
        self.config = config
        self.api = api
        self.log = log
        self.reports = reports
        self.components: dict[str, InstalledImage] = {}
        """Installed image packages by component ID (the OS components are not here)."""
        self.staged: dict[str, PackageMetadata] = {}
        """Staged image packages by component ID, installed by the next install."""
        self.ota_update_in_progress = False
        """While true, staging answers 409 with 7340071."""
        self._next_pid = 100

    # -- flash --------------------------------------------------------------------------

    @property
    def storage_used(self) -> int:
        """Bytes of application storage used by installed and staged images."""
        installed = sum(c.metadata.length for c in self.components.values())
        return installed + sum(metadata.length for metadata in self.staged.values())

    @property
    def free_space(self) -> int:
        """Bytes of application storage left."""
        return max(0, self.config.storage_capacity - self.storage_used)

    @property
    def space_for_staging(self) -> int:
        """Bytes a new stage may take: everything but the installed images."""
        installed = sum(c.metadata.length for c in self.components.values())
        return max(0, self.config.storage_capacity - installed)

    # -- staging and installing ---------------------------------------------------------

    def begin_stage(self, expected_length: int | None) -> StagingUpload:
        """Start ``PUT /update/stage`` (``expected_length`` from ``Content-Length``)."""
        if self.ota_update_in_progress:
            raise DeviceRefusal(409, Code.OTA_IN_PROGRESS)
        return StagingUpload(self, expected_length)

    def install(self, body: Any) -> tuple[dict[str, Any], bool]:
        """``POST /update/install``: install all staged images.  Returns (answer, restart?)."""
        manual = False
        if body is not None:
            mode = require_object(body).get("appControlMode")
            if mode not in (None, "Manual", "Auto"):
                raise invalid()
            manual = mode == "Manual"
        restart = False
        if self.staged:
            self.log.record("update", "InstallStarted", len(self.staged))
        for component_id, metadata in list(self.staged.items()):
            component = InstalledImage(metadata, manual=manual)
            old = self.components.get(component_id)
            if old is not None:
                component.usage_kb = old.usage_kb
            self.components[component_id] = component
            self.log.record("update", "ImageInstalled", component_id, metadata.image_id)
            if metadata.is_application:
                self._set_running(component, not manual)
            else:
                restart = True
        self.staged.clear()
        if restart:
            self.log.record("update", "RestartNeeded")
        return ({"restartingSystem": True} if restart else {}), restart

    def reboot(self) -> None:
        """What a restart does here: staged images vanish, apps start again per their mode."""
        self.staged.clear()
        for component in self.components.values():
            if component.is_application:
                # The boot's own records list the apps that came up.
                self._set_running(component, not component.manual, logged=False)

    # -- GET /images --------------------------------------------------------------------

    def _image_json(
        self,
        component_id: str,
        *,
        image_id: str,
        image_type: int,
        length: int,
        name: str,
        requires_restart: bool,
    ) -> dict[str, Any]:
        """One entry of ``GET /images``'s ``components``."""
        return {
            "uid": component_id,
            "image_type": image_type,
            "is_update_staged": component_id in self.staged,
            "does_image_type_require_restart": requires_restart,
            "images": [
                {
                    "uid": image_id,
                    "length_in_bytes": length,
                    "uncompressed_length_in_bytes": length,
                    "replica_type": 0,
                }
            ],
            "name": name,
        }

    def _preinstalled(self) -> tuple[OsComponent, ...]:
        """The OS components, and the debug server where development enabled it."""
        extra = (DEBUG_SERVER,) if self.config.debug_server else ()
        return (*self.config.os_components, *extra)

    def get_images(self) -> dict[str, Any]:
        """``GET /images``: OS components (unless replaced by an update), then installed images."""
        components = [
            self._image_json(
                os_component.component_id,
                image_id=os_component.image_id,
                image_type=os_component.image_type,
                length=os_component.length,
                name=os_component.name,
                requires_restart=os_component.requires_restart,
            )
            for os_component in self._preinstalled()
            if os_component.component_id not in self.components
        ]
        components += [
            self._image_json(
                component_id,
                image_id=component.metadata.image_id,
                image_type=component.metadata.image_type,
                length=component.metadata.length,
                name=component.metadata.name,
                requires_restart=not component.metadata.is_application,
            )
            for component_id, component in self.components.items()
        ]
        return {
            "is_ota_update_in_progress": self.ota_update_in_progress,
            "has_staged_updates": bool(self.staged),
            "restart_required": False,
            "components": components,
        }

    # -- applications -------------------------------------------------------------------

    def _app(self, component_id: str) -> InstalledImage | None:
        component = self.components.get(check_component_id(component_id))
        return component if component is not None and component.is_application else None

    def _set_running(
        self, component: InstalledImage, running: bool, *, logged: bool = True
    ) -> None:
        """Start (a new process, the old one stopped) or stop an app, logging what changed."""
        component_id = component.metadata.component_id
        if logged and component.pid is not None:
            self.log.record("appman", "AppStopped", component_id, 0)
        if running:
            component.state = "running"
            component.pid = self._next_pid
            self._next_pid += 1
            if logged:
                self.log.record("appman", "AppStarted", component_id, component.pid)
        else:
            component.state = "stopped"
            component.pid = None

    def get_app_status(self, component_id: str) -> dict[str, Any]:
        """``GET /app/status/{componentId}``: ``notPresent`` for unknown components."""
        app = self._app(component_id)
        return {"state": app.state if app is not None else "notPresent"}

    def set_app_status(self, component_id: str, body: Any) -> dict[str, Any]:
        """``PATCH /app/status/{componentId}``: start, stop or startDebug."""
        app = self._app(component_id)
        trigger = require_object(body).get("trigger")
        if trigger not in ("start", "stop", "startDebug"):
            raise invalid()
        if app is None:
            raise DeviceRefusal(409, Code.APP_NOT_PRESENT)
        if trigger == "startDebug" and not self.config.debug_server:
            raise DeviceRefusal(400, Code.DEBUG_SERVER_MISSING)
        if trigger == "stop":
            if app.state != "stopped":
                self.reports.add(3, f"app {app.metadata.component_id} exited: stopped by request")
            self._set_running(app, False)
        elif trigger == "start" and app.state != "running":
            self._set_running(app, True)
        elif trigger == "startDebug":
            self._set_running(app, False)
            self._set_running(app, True, logged=False)
            app.state = "debugging"
            pid = app.pid if app.pid is not None else 0
            self.log.record("appman", "AppDebugStarted", app.metadata.component_id, pid)
        answer: dict[str, Any] = {"state": app.state}
        if app.state == "debugging":
            answer["gdbPort"], answer["outPort"] = _GDB_PORT, _OUTPUT_PORT
        if app.metadata.is_real_time:
            answer["realTimeCore"] = 0
        return answer

    def remove_component(self, component_id: str) -> tuple[dict[str, Any], bool]:
        """``DELETE /app/image/{componentId}``.  Returns (answer, restart?).

        ``{}`` whether or not the component was there (a staged copy goes too); removing a
        system component restarts the device, and since 4.4.0 the answer says so.
        """
        component_id = check_component_id(component_id)
        removed = self.components.pop(component_id, None)
        self.staged.pop(component_id, None)
        if removed is None:
            return {}, False
        self.log.record("update", "ImageRemoved", component_id)
        if removed.is_application:
            return {}, False
        says = self.api.feature("delete_restarting_system")
        return ({"restartingSystem": True} if says else {}), True

    def get_app_quota(self, component_id: str) -> dict[str, Any]:
        """``GET /app/quota/{componentId}``."""
        app = self._app(component_id)
        if app is None:
            raise DeviceRefusal(404, Code.APP_NOT_PRESENT)
        return {"UsageKB": app.usage_kb, "LimitKB": app.metadata.mutable_storage_kb}

    def get_memory_stats(self) -> dict[str, Any]:
        """``GET /stats/memory/groups/applications``: figures for running apps."""
        apps = []
        total = user = peak = 0
        for component_id, component in self.components.items():
            if not component.is_application or component.pid is None:
                continue
            seed = int.from_bytes(hashlib.sha256(component_id.encode()).digest()[:4], "little")
            used = 32_768 + (seed % 16) * 4096
            user += used
            peak += used + 16_384
            total += used + 49_152
            apps.append(
                {
                    "componentId": component_id.upper(),
                    "processes": [
                        {
                            "pid": component.pid,
                            "heapUsageByCaller": [
                                {
                                    "name": component.metadata.name or "app",
                                    "usageInBytes": used // 2,
                                }
                            ],
                        }
                    ],
                }
            )
        return {
            "memoryStats": {
                "currentMemoryUsageInBytes": total,
                "userModeMemoryUsageInBytes": user,
                "peakUserModeMemoryUsageInBytes": peak,
            },
            "apps": apps,
        }
