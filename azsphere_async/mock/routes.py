"""The device's routes: one Starlette route per operation of the OpenAPI description.

Each route checks what every call shares (the REST API version that brought it, the
authorizer) and hands the parsed request to the method of the :class:`~.state.DeviceState`
part that serves its ``operationId`` (:data:`HANDLERS`); a :class:`~.errors.DeviceRefusal`
becomes ``{"error": code}``.  Nothing here knows about faults, links or sockets (see :mod:`.app`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, Final

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from . import spec
from .errors import Code, DeviceRefusal
from .state import DeviceState

__all__ = ["HANDLERS", "JSON", "OCTETS", "Handler", "build_routes", "error_response"]

JSON: Final = "application/json"
OCTETS: Final = "application/octet-stream"

Handler = Callable[[Request, DeviceState], Awaitable[Response]]
"""Serves one operation: the request and the device's state in, the answer out."""


def json_response(
    body: Any, status: int = 200, background: BackgroundTask | None = None
) -> Response:
    """A compact JSON answer, as devices write them (``/`` escaped as ``\\/``)."""
    # "/" only ever appears inside strings, so the plain replace escapes exactly those.
    content = json.dumps(body, separators=(",", ":")).replace("/", "\\/").encode()
    return Response(content, status, media_type=JSON, background=background)


def error_response(status: int, code: int) -> Response:
    """A refusal: ``status`` with ``{"error": code}``."""
    return json_response({"error": code}, status)


def _forbidden_code(op: spec.Operation) -> int:
    """The code a locked device sends: staging and app calls have their own."""
    if op.path.startswith("/update/"):
        return Code.STAGE_NOT_PERMITTED
    if op.path.startswith(("/app/", "/stats/")):
        return Code.APP_NOT_PERMITTED
    return Code.EACCES


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    if length is not None:
        return length.strip() not in ("", "0")
    return "transfer-encoding" in request.headers


async def _read_json(request: Request, state: DeviceState, *, required: bool) -> Any:
    """The JSON body, enforcing ``Content-Type: application/json`` (415) like a device."""
    wants_json = state.feature("unsupported_media_type")
    if wants_json and _has_body(request) and _media_type(request) != JSON:
        raise DeviceRefusal(415, Code.EINVAL)
    limit = state.config.max_json_body
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise DeviceRefusal(400, Code.CONTENT_TOO_LARGE)
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise DeviceRefusal(400, Code.CONTENT_TOO_LARGE)
    if not raw.strip():
        if required:
            raise DeviceRefusal(400, Code.EINVAL)
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise DeviceRefusal(400, Code.EINVAL) from exc


def _simple(method: Callable[[DeviceState], dict[str, Any]]) -> Handler:
    async def handler(request: Request, state: DeviceState) -> Response:
        return json_response(method(state))

    return handler


def _with_param(name: str, method: Callable[[DeviceState, str], dict[str, Any]]) -> Handler:
    async def handler(request: Request, state: DeviceState) -> Response:
        return json_response(method(state, request.path_params[name]))

    return handler


def _with_body(method: Callable[[DeviceState, Any], dict[str, Any]], status: int = 200) -> Handler:
    async def handler(request: Request, state: DeviceState) -> Response:
        body = await _read_json(request, state, required=True)
        return json_response(method(state, body), status)

    return handler


def _with_param_and_body(
    name: str, method: Callable[[DeviceState, str, Any], dict[str, Any]]
) -> Handler:
    async def handler(request: Request, state: DeviceState) -> Response:
        param = request.path_params[name]
        body = await _read_json(request, state, required=True)
        return json_response(method(state, param, body))

    return handler


async def _restart_later(state: DeviceState) -> None:
    # A coroutine, so Starlette runs it on the event loop once the answer is out.
    state.request_restart()


async def _get_log(request: Request, state: DeviceState) -> Response:
    return Response(state.get_log(), media_type=OCTETS)


async def _get_telemetry(request: Request, state: DeviceState) -> Response:
    return Response(state.get_telemetry(), media_type=OCTETS)


async def _restart(request: Request, state: DeviceState) -> Response:
    # Since 4.2.0 a restart carries text/plain or nothing; JSON is refused with 415.
    checked = state.feature("restart_text_plain") and _has_body(request)
    if checked and _media_type(request) not in ("text/plain", ""):
        raise DeviceRefusal(415, Code.EINVAL)
    async for _ in request.stream():
        pass
    return json_response(
        {"restartingSystem": True}, background=BackgroundTask(_restart_later, state)
    )


async def _stage(request: Request, state: DeviceState) -> Response:
    if state.feature("unsupported_media_type") and _media_type(request) != OCTETS:
        raise DeviceRefusal(415, Code.EINVAL)
    length = request.headers.get("content-length", "")
    upload = state.images.begin_stage(int(length) if length.isdigit() else None)
    async for chunk in request.stream():
        if chunk:
            upload.feed(chunk)
    return json_response(upload.finish())


async def _remove_component(request: Request, state: DeviceState) -> Response:
    answer, restart = state.images.remove_component(request.path_params["componentId"])
    return json_response(
        answer, background=BackgroundTask(_restart_later, state) if restart else None
    )


async def _install(request: Request, state: DeviceState) -> Response:
    body = await _read_json(request, state, required=False)
    answer, restart = state.images.install(body)
    return json_response(
        answer, background=BackgroundTask(_restart_later, state) if restart else None
    )


HANDLERS: Final[dict[str, Handler]] = {
    # the device as a whole
    "getAbiVersions": _simple(DeviceState.get_abi_versions),
    "getDeviceCapabilities": _simple(DeviceState.get_capabilities),
    "getDeviceSecurityState": _simple(DeviceState.get_security_state),
    "getDeviceManufacturingState": _simple(DeviceState.get_manufacturing_state),
    "setDeviceManufacturingState": _with_body(DeviceState.set_manufacturing_state),
    "getLog": _get_log,
    "restartDevice": _restart,
    "getDeviceStatus": _simple(DeviceState.get_status),
    "getOsVersion": _simple(DeviceState.get_os_version),
    "getErrorReportData": _get_telemetry,
    "clearErrorReportData": _simple(DeviceState.clear_telemetry),
    # applications and images
    "getAppStatus": _with_param("componentId", lambda s, c: s.images.get_app_status(c)),
    "setAppStatus": _with_param_and_body(
        "componentId", lambda s, c, body: s.images.set_app_status(c, body)
    ),
    "removeComponent": _remove_component,
    "getAppQuota": _with_param("componentId", lambda s, c: s.images.get_app_quota(c)),
    "getImages": _simple(lambda s: s.images.get_images()),
    "getMemoryStats": _simple(lambda s: s.images.get_memory_stats()),
    "installStagedImages": _install,
    "stageImage": _stage,
    # the certificate store
    "getCertIdentifiers": _simple(lambda s: s.certificates.list_certificates()),
    "getCertInformation": _with_param("identifier", lambda s, i: s.certificates.get_certificate(i)),
    "addCert": _with_param_and_body(
        "identifier", lambda s, i, body: s.certificates.add_certificate(i, body)
    ),
    "removeCert": _with_param("identifier", lambda s, i: s.certificates.remove_certificate(i)),
    "getCertAvailableSpace": _simple(lambda s: s.certificates.get_space()),
    # networking
    "getAllNetworkFirewallRulesets": _simple(lambda s: s.network.get_firewall_rulesets()),
    "getAllNetworkInterfaceStatus": _simple(lambda s: s.network.list_interfaces()),
    "getNetworkInterfaceStatus": _with_param(
        "networkInterfaceName", lambda s, name: s.network.get_interface(name)
    ),
    "setNetworkInterfaceAttributes": _with_param_and_body(
        "networkInterfaceName", lambda s, name, body: s.network.change_interface(name, body)
    ),
    "getNetProxy": _simple(lambda s: s.network.get_proxy()),
    "configNetworkProxy": _with_body(lambda s, body: s.network.set_proxy(body)),
    "deleteNetworkProxy": _simple(lambda s: s.network.delete_proxy()),
    "getNetworkStatus": _simple(lambda s: s.network.get_status()),
    # Wi-Fi
    "getConfiguredWifiNetworks": _simple(lambda s: s.wifi.list_networks()),
    "addConfiguredWifiNetwork": _with_body(lambda s, body: s.wifi.add_network(body), 201),
    "getConfiguredWifiNetwork": _with_param("wifiNetworkId", lambda s, n: s.wifi.get_network(n)),
    "changeConfiguredWifiNetwork": _with_param_and_body(
        "wifiNetworkId", lambda s, n, body: s.wifi.change_network(n, body)
    ),
    "removeConfiguredWifiNetwork": _with_param(
        "wifiNetworkId", lambda s, n: s.wifi.remove_network(n)
    ),
    "getAllNetworkConnectionFailureLogs": _simple(lambda s: s.wifi.get_failures()),
    "getANetworksConnectionFailureLog": _with_param(
        "networkId", lambda s, n: s.wifi.get_failure(n)
    ),
    "getWifiInterfaceState": _simple(lambda s: s.wifi.get_interface()),
    "changeWifiInterfaceStatus": _with_body(lambda s, body: s.wifi.change_interface(body)),
    "getWifiScanResults": _simple(lambda s: s.wifi.get_scan()),
}
"""The handler of each ``operationId`` of the OpenAPI description."""


def _endpoint(op: spec.Operation, state: DeviceState) -> Callable[[Request], Awaitable[Response]]:
    handler = HANDLERS[op.operation_id]

    async def endpoint(request: Request) -> Response:
        if not op.available_in(state.rest_api_version):
            return error_response(404, Code.INVALID_URI)
        if op.authorizer is not None and not state.allows(op.authorizer):
            return _refused(state, request, 403, _forbidden_code(op))
        try:
            return await handler(request, state)
        except DeviceRefusal as exc:
            return _refused(state, request, exc.status, exc.code)
        except ClientDisconnect:
            return Response(status_code=499)

    return endpoint


def _refused(state: DeviceState, request: Request, status: int, code: int) -> Response:
    """A refusal, also written to the diagnostic log (as boards note what they refused)."""
    state.log.record("rest", "RequestRefused", request.method, request.url.path, status, code)
    return error_response(status, code)


async def _not_found(request: Request, exc: Exception) -> Response:
    return error_response(404, Code.INVALID_URI)


def build_routes(state: DeviceState) -> Starlette:
    """The Starlette application of ``state``'s routes (no faults, no link, no headers)."""
    missing = {op.operation_id for op in spec.operations()} - set(HANDLERS)
    if missing:
        raise RuntimeError(f"operations without a handler: {sorted(missing)}")
    routes = [Route(op.path, _endpoint(op, state), methods=[op.method]) for op in spec.operations()]
    return Starlette(routes=routes, exception_handlers={HTTPException: _not_found})
