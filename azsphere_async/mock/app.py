"""The mock device as an ASGI application (Starlette), built from the OpenAPI route table.

:func:`create_app` wraps one :class:`~.state.DeviceState`.  The same application serves
in-process through ``httpx.ASGITransport`` and over sockets (see :mod:`.server`).  Around the
Starlette routes sits :class:`DeviceApp`, which does what every answer shares: the
``REST-API-Version`` header, accounting, link latency and bandwidth, and fault injection.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final, Protocol

import anyio
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from . import spec
from .errors import Code, DeviceError
from .faults import Fault, FaultKind
from .state import DeviceState

__all__ = ["ConnectionHandle", "DeviceApp", "create_app"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

logger = logging.getLogger(__name__)

_JSON: Final = "application/json"
_OCTETS: Final = "application/octet-stream"
_GIANT_CHUNK: Final = 64 * 1024


class ConnectionHandle(Protocol):
    """What the server lets the application do to the TCP connection of a request."""

    def abort(self) -> None:
        """Close the connection at once (unsent data is lost)."""


def _json_response(
    body: Any, status: int = 200, background: BackgroundTask | None = None
) -> Response:
    content = json.dumps(body, separators=(",", ":")).encode()
    return Response(content, status, media_type=_JSON, background=background)


def _error_response(status: int, code: int) -> Response:
    return _json_response({"error": code}, status)


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
    if wants_json and _has_body(request) and _media_type(request) != _JSON:
        raise DeviceError(415, Code.EINVAL)
    limit = state.config.max_json_body
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise DeviceError(400, Code.CONTENT_TOO_LARGE)
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise DeviceError(400, Code.CONTENT_TOO_LARGE)
    if not raw.strip():
        if required:
            raise DeviceError(400, Code.EINVAL)
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise DeviceError(400, Code.EINVAL) from exc


Handler = Callable[[Request, DeviceState], Awaitable[Response]]


def _simple(method: Callable[[DeviceState], dict[str, Any]]) -> Handler:
    async def handler(request: Request, state: DeviceState) -> Response:
        return _json_response(method(state))

    return handler


def _with_param(name: str, method: Callable[[DeviceState, str], dict[str, Any]]) -> Handler:
    async def handler(request: Request, state: DeviceState) -> Response:
        return _json_response(method(state, request.path_params[name]))

    return handler


def _with_body(method: Callable[[DeviceState, Any], dict[str, Any]], status: int = 200) -> Handler:
    async def handler(request: Request, state: DeviceState) -> Response:
        body = await _read_json(request, state, required=True)
        return _json_response(method(state, body), status)

    return handler


def _with_param_and_body(
    name: str, method: Callable[[DeviceState, str, Any], dict[str, Any]]
) -> Handler:
    async def handler(request: Request, state: DeviceState) -> Response:
        param = request.path_params[name]
        body = await _read_json(request, state, required=True)
        return _json_response(method(state, param, body))

    return handler


async def _restart_later(state: DeviceState) -> None:
    # A coroutine, so Starlette runs it on the event loop once the answer is out.
    state.request_restart()


async def _get_log(request: Request, state: DeviceState) -> Response:
    return Response(state.get_log(), media_type=_OCTETS)


async def _get_telemetry(request: Request, state: DeviceState) -> Response:
    return Response(state.get_telemetry(), media_type=_OCTETS)


async def _restart(request: Request, state: DeviceState) -> Response:
    # Since 4.2.0 a restart carries text/plain or nothing; JSON is refused with 415.
    checked = state.feature("restart_text_plain") and _has_body(request)
    if checked and _media_type(request) not in ("text/plain", ""):
        raise DeviceError(415, Code.EINVAL)
    async for _ in request.stream():
        pass
    return _json_response(
        {"restartingSystem": True}, background=BackgroundTask(_restart_later, state)
    )


async def _stage(request: Request, state: DeviceState) -> Response:
    if state.feature("unsupported_media_type") and _media_type(request) != _OCTETS:
        raise DeviceError(415, Code.EINVAL)
    length = request.headers.get("content-length", "")
    upload = state.begin_stage(int(length) if length.isdigit() else None)
    async for chunk in request.stream():
        if chunk:
            upload.feed(chunk)
    return _json_response(upload.finish())


async def _install(request: Request, state: DeviceState) -> Response:
    body = await _read_json(request, state, required=False)
    answer, restart = state.install(body)
    return _json_response(
        answer, background=BackgroundTask(_restart_later, state) if restart else None
    )


HANDLERS: Final[dict[str, Handler]] = {
    "getAbiVersions": _simple(DeviceState.get_abi_versions),
    "getAppStatus": _with_param("componentId", DeviceState.get_app_status),
    "setAppStatus": _with_param_and_body("componentId", DeviceState.set_app_status),
    "removeComponent": _with_param("componentId", DeviceState.remove_component),
    "getAppQuota": _with_param("componentId", DeviceState.get_app_quota),
    "getCertIdentifiers": _simple(DeviceState.list_certificates),
    "getCertInformation": _with_param("identifier", DeviceState.get_certificate),
    "addCert": _with_param_and_body("identifier", DeviceState.add_certificate),
    "removeCert": _with_param("identifier", DeviceState.remove_certificate),
    "getCertAvailableSpace": _simple(DeviceState.get_cert_space),
    "getDeviceCapabilities": _simple(DeviceState.get_capabilities),
    "getDeviceSecurityState": _simple(DeviceState.get_security_state),
    "getDeviceManufacturingState": _simple(DeviceState.get_manufacturing_state),
    "setDeviceManufacturingState": _with_body(DeviceState.set_manufacturing_state),
    "getImages": _simple(DeviceState.get_images),
    "getLog": _get_log,
    "getAllNetworkFirewallRulesets": _simple(DeviceState.get_firewall_rulesets),
    "getAllNetworkInterfaceStatus": _simple(DeviceState.list_interfaces),
    "getNetworkInterfaceStatus": _with_param("networkInterfaceName", DeviceState.get_interface),
    "setNetworkInterfaceAttributes": _with_param_and_body(
        "networkInterfaceName", DeviceState.change_interface
    ),
    "getNetProxy": _simple(DeviceState.get_proxy),
    "configNetworkProxy": _with_body(DeviceState.set_proxy),
    "deleteNetworkProxy": _simple(DeviceState.delete_proxy),
    "getNetworkStatus": _simple(DeviceState.get_net_status),
    "restartDevice": _restart,
    "getDeviceStatus": _simple(DeviceState.get_status),
    "getOsVersion": _simple(DeviceState.get_os_version),
    "getMemoryStats": _simple(DeviceState.get_memory_stats),
    "getErrorReportData": _get_telemetry,
    "clearErrorReportData": _simple(DeviceState.clear_telemetry),
    "installStagedImages": _install,
    "stageImage": _stage,
    "getConfiguredWifiNetworks": _simple(DeviceState.list_wifi_networks),
    "addConfiguredWifiNetwork": _with_body(DeviceState.add_wifi_network, 201),
    "getConfiguredWifiNetwork": _with_param("wifiNetworkId", DeviceState.get_wifi_network),
    "changeConfiguredWifiNetwork": _with_param_and_body(
        "wifiNetworkId", DeviceState.change_wifi_network
    ),
    "removeConfiguredWifiNetwork": _with_param("wifiNetworkId", DeviceState.remove_wifi_network),
    "getAllNetworkConnectionFailureLogs": _simple(DeviceState.get_wifi_failures),
    "getANetworksConnectionFailureLog": _with_param("networkId", DeviceState.get_wifi_failure),
    "getWifiInterfaceState": _simple(DeviceState.get_wifi_interface),
    "changeWifiInterfaceStatus": _with_body(DeviceState.change_wifi_interface),
    "getWifiScanResults": _simple(DeviceState.get_wifi_scan),
}
"""The handler of each ``operationId`` of the OpenAPI description."""


def _endpoint(op: spec.Operation, state: DeviceState) -> Callable[[Request], Awaitable[Response]]:
    handler = HANDLERS[op.operation_id]

    async def endpoint(request: Request) -> Response:
        if not op.available_in(state.rest_api_version):
            return _error_response(404, Code.INVALID_URI)
        if op.authorizer is not None and not state.development_mode:
            return _error_response(403, _forbidden_code(op))
        try:
            return await handler(request, state)
        except DeviceError as exc:
            return _error_response(exc.status, exc.code)
        except ClientDisconnect:
            return Response(status_code=499)

    return endpoint


async def _not_found(request: Request, exc: Exception) -> Response:
    return _error_response(404, Code.INVALID_URI)


def _build_starlette(state: DeviceState) -> Starlette:
    missing = {op.operation_id for op in spec.operations()} - set(HANDLERS)
    if missing:
        raise RuntimeError(f"operations without a handler: {sorted(missing)}")
    routes = [Route(op.path, _endpoint(op, state), methods=[op.method]) for op in spec.operations()]
    return Starlette(routes=routes, exception_handlers={HTTPException: _not_found})


async def _wait_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


class _Captured:
    """A response caught on its way out, so a fault can rewrite it."""

    def __init__(self) -> None:
        self.status = 200
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = bytearray()

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")

    def headers_with(self, content_type: bytes | None, length: int) -> list[tuple[bytes, bytes]]:
        headers = [
            (k, v) for k, v in self.headers if k.lower() not in (b"content-length", b"content-type")
        ]
        headers.append((b"content-length", str(length).encode()))
        if content_type is not None:
            headers.append((b"content-type", content_type))
        return headers


class DeviceApp:
    """The ASGI application of one mock device (see :func:`create_app`)."""

    def __init__(self, state: DeviceState) -> None:
        self.state = state
        self.routes = _build_starlette(state)
        """The inner Starlette application (routes only, no faults or headers)."""
        self.connection_lookup: Callable[[Any], ConnectionHandle | None] | None = None
        """Set by a socket server: finds the connection of a request from ``scope["client"]``."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI request."""
        if scope["type"] != "http":
            await self.routes(scope, receive, send)
            return
        state = self.state
        if state.is_down():
            raise ConnectionRefusedError("the mock device is restarting")
        stats = state.stats
        stats.requests += 1
        number = stats.requests
        method: str = scope["method"]
        path: str = scope["path"]
        op = spec.find_operation(method, path)
        template = op.path if op is not None else None
        stats.requests_by_path[path] += 1
        stats.requests_by_operation[f"{method} {template or path}"] += 1
        fault = state.faults.take(number, method, path, template)
        if fault is not None:
            stats.faults_injected[fault.kind.value] += 1
        link = state.link
        await link.delay_request()

        async def counted_receive() -> Message:
            message = await receive()
            body = message.get("body")
            if body:
                stats.body_bytes_received += len(body)
                await link.pace_upload(len(body))
            return message

        version = state.rest_api_version.encode()

        async def device_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"rest-api-version", version)]
                stats.responses_by_status[int(message["status"])] += 1
            elif message["type"] == "http.response.body":
                body = message.get("body", b"")
                if body and link.bandwidth:
                    await self._send_paced(send, body, bool(message.get("more_body")))
                    return
                stats.body_bytes_sent += len(body)
            await send(message)

        if fault is None:
            await self._run(scope, counted_receive, device_send)
        else:
            await self._faulty(fault, scope, counted_receive, device_send)

    async def _send_paced(self, send: Send, body: bytes, more_body: bool) -> None:
        link = self.state.link
        step = max(1024, int((link.bandwidth or 0) / 50))
        view = memoryview(body)
        for start in range(0, len(body), step):
            piece = bytes(view[start : start + step])
            await link.pace_download(len(piece))
            self.state.stats.body_bytes_sent += len(piece)
            last = start + step >= len(body)
            await send(
                {"type": "http.response.body", "body": piece, "more_body": more_body or not last}
            )

    async def _run(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.routes(scope, receive, watch)
        except (ConnectionError, anyio.get_cancelled_exc_class()):
            raise
        except Exception:
            logger.exception("mock device failed on %s %s", scope["method"], scope["path"])
            if not started:
                body = json.dumps({"error": Code.EIO}).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [(b"content-type", _JSON.encode())],
                    }
                )
                await send({"type": "http.response.body", "body": body})

    def _drop_now(self, scope: Scope) -> bool:
        """Abort the request's connection; ``False`` when served in-process (no socket)."""
        lookup = self.connection_lookup
        handle = lookup(scope.get("client")) if lookup is not None else None
        if handle is None:
            return False
        handle.abort()
        return True

    async def _drop(self, scope: Scope, receive: Receive) -> None:
        if not self._drop_now(scope):
            raise ConnectionResetError("mock device dropped the connection (fault injection)")
        await _wait_disconnect(receive)

    async def _faulty(self, fault: Fault, scope: Scope, receive: Receive, send: Send) -> None:
        kind = fault.kind
        if kind is FaultKind.DROP:
            await self._drop(scope, receive)
        elif kind is FaultKind.ERROR:
            code = fault.code if fault.code is not None else self.state.config.error_500_code
            await _error_response(fault.status, code)(scope, receive, send)
        elif kind is FaultKind.DROP_UPLOAD:
            await self._run(scope, self._dropping_receive(fault, scope, receive), send)
        elif kind is FaultKind.STALL:
            replay = await self._stall(fault, receive)
            if replay is None:
                return
            if fault.then_drop:
                await self._drop(scope, replay)
                return
            await self._run(scope, replay, send)
        elif kind is FaultKind.GIANT_BODY:
            await self._giant(fault, scope, receive, send)
        else:
            await self._rewrite(fault, scope, receive, send)

    def _dropping_receive(self, fault: Fault, scope: Scope, receive: Receive) -> Receive:
        received = 0

        async def dropping() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if message["type"] == "http.request" and received >= fault.after_bytes:
                if not self._drop_now(scope):
                    raise ConnectionResetError("mock device dropped the upload (fault injection)")
                await _wait_disconnect(receive)
                return {"type": "http.disconnect"}
            return message

        return dropping

    async def _stall(self, fault: Fault, receive: Receive) -> Receive | None:
        """Say nothing for a while.  ``None`` if the client left; else a replaying receive."""
        buffered: list[Message] = []
        body_done = False
        with anyio.move_on_after(fault.seconds):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return None
                if not body_done:
                    buffered.append(message)
                    body_done = not message.get("more_body", False)

        async def replay() -> Message:
            if buffered:
                return buffered.pop(0)
            return await receive()

        return replay

    async def _giant(self, fault: Fault, scope: Scope, receive: Receive, send: Send) -> None:
        prefix, suffix = b'{"padding":"', b'"}'
        size = max(fault.size, len(prefix) + len(suffix))
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", _JSON.encode()),
                    (b"content-length", str(size).encode()),
                ],
            }
        )
        filler = b"x" * _GIANT_CHUNK
        remaining = size - len(prefix) - len(suffix)
        await send({"type": "http.response.body", "body": prefix, "more_body": True})
        while remaining > 0:
            piece = filler[: min(remaining, _GIANT_CHUNK)]
            remaining -= len(piece)
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": suffix, "more_body": False})

    async def _rewrite(self, fault: Fault, scope: Scope, receive: Receive, send: Send) -> None:
        captured = _Captured()
        await self._run(scope, receive, captured.send)
        body = bytes(captured.body)
        content_type: bytes | None = None
        kind = fault.kind
        if kind is FaultKind.MALFORMED_JSON:
            stripped = body.rstrip()
            body = stripped[:-1] + b",,}" if stripped.endswith(b"}") else b'{"' + stripped
            content_type = _JSON.encode()
        elif kind is FaultKind.TRUNCATED_JSON:
            body = body[: max(1, len(body) // 2)]
        elif kind is FaultKind.WRONG_CONTENT_TYPE:
            content_type = fault.content_type.encode()
        elif kind is FaultKind.EMPTY_BODY:
            body = b""
        if kind is FaultKind.TRUNCATED_BODY:
            full = len(body)
            await send(
                {
                    "type": "http.response.start",
                    "status": captured.status,
                    "headers": captured.headers_with(None, full),
                }
            )
            await send({"type": "http.response.body", "body": body[: full // 2], "more_body": True})
            await self._drop(scope, receive)
            return
        await send(
            {
                "type": "http.response.start",
                "status": captured.status,
                "headers": captured.headers_with(content_type, len(body)),
            }
        )
        await send({"type": "http.response.body", "body": body, "more_body": False})


def create_app(state: DeviceState | None = None) -> DeviceApp:
    """The ASGI application of a device holding ``state`` (a fresh device if omitted).

    Use it in-process with ``httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
    base_url="https://device")``, or serve it with :class:`~.server.MockDevice`.
    """
    return DeviceApp(state if state is not None else DeviceState())
