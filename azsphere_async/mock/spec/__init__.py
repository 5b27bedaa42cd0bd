"""The device REST API description that the mock device is built from.

This package ships copies of the OpenAPI description of the Azure Sphere device REST API, of the
Device Communication Service API and of the device error codes.  It turns them into a route table
(which paths and methods exist, their ``x-azsphere-authorizer`` and the REST API version each
appeared in) and offers :func:`validate_response`, which checks an answer against the response
schema of the OpenAPI file so that any test suite can prove an answer is well formed.

Resolved ambiguities of the OpenAPI file (applied by :func:`validate_response`, see ``ERRATA``):

* ``GET /app/status/{componentId}`` declares a bare ``AppStatus`` string as its answer, but devices
  (and the product overview) answer ``{"state": "running"}``, the same object ``PATCH`` answers.
  The object form is what the mock sends and what the validator expects.
* ``GET /net/proxy`` declares ``oneOf`` two schemas that every proxy object matches at once (one
  is the other plus an optional field), so no answer could ever pass ``oneOf``; it is read as
  ``anyOf``.
* Error statuses a path does not list (403 everywhere, 404 on most paths, 409, 412, 415) are
  checked against the ``Error`` schema, the convention all devices follow; an empty error body
  is allowed, as devices sometimes send one.
* Formats: ``ipv4``, ``uuid``, ``int32`` and ``int64`` are checked; ``date-time`` is not, because
  devices write Wi-Fi diagnostic timestamps as ``2000-01-01t00:04:37+0000``, not RFC 3339.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

import yaml  # type: ignore[import-untyped,unused-ignore]

__all__ = [
    "API_VERSION_CHANGES",
    "ENDPOINT_SINCE",
    "ERRATA",
    "LATEST_REST_API_VERSION",
    "Operation",
    "ResponseValidationError",
    "dcs_openapi",
    "error_codes",
    "find_operation",
    "openapi",
    "operations",
    "parse_version",
    "validate_response",
]

LATEST_REST_API_VERSION: Final = "4.6.0"
"""The newest REST API version the OpenAPI file's history describes."""

_HTTP_METHODS: Final = ("get", "put", "post", "patch", "delete")

ENDPOINT_SINCE: Final[Mapping[tuple[str, str], str]] = {
    ("GET", "/log"): "1.2.0",
    ("GET", "/app/status/{componentId}"): "2.0.0",
    ("PATCH", "/app/status/{componentId}"): "2.0.0",
    ("PUT", "/update/stage"): "3.0.0",
    ("POST", "/update/install"): "3.0.0",
    ("DELETE", "/wifi/config/networks/{wifiNetworkId}"): "3.0.0",
    ("GET", "/abi_versions"): "3.1.0",
    ("GET", "/device/capabilities"): "3.1.0",
    ("GET", "/device/manufacturing_state"): "3.1.0",
    ("PUT", "/device/manufacturing_state"): "3.1.0",
    ("GET", "/app/quota/{componentId}"): "3.1.0",
    ("GET", "/telemetry"): "3.1.0",
    # Clearing error reports is not in the history; it goes with GET /telemetry.
    ("DELETE", "/telemetry"): "3.1.0",
    ("GET", "/net/status"): "3.1.0",
    ("GET", "/net/interfaces"): "3.1.0",
    ("GET", "/net/interfaces/{networkInterfaceName}"): "3.1.0",
    ("GET", "/net/firewall/rulesets"): "4.1.0",
    ("PATCH", "/net/interfaces/{networkInterfaceName}"): "4.3.0",
    ("GET", "/stats/memory/groups/applications"): "4.3.0",
    ("GET", "/osversion"): "4.5.0",
}
"""REST API version in which each call appeared; calls not listed were there from the start."""

API_VERSION_CHANGES: Final[Mapping[str, str]] = {
    "unsupported_media_type": "4.2.0",
    "restart_text_plain": "4.2.0",
    "hardware_address": "4.3.0",
    "delete_restarting_system": "4.4.0",
    "power_savings": "4.6.0",
}
"""Versions of the changes inside calls: 415 answers and text/plain restarts (4.2.0),
``hardwareAddress`` (4.3.0), ``restartingSystem`` on ``DELETE /app/image`` (4.4.0),
``enablePowerSavings``/``powerSavingsState`` on the Wi-Fi interface (4.6.0)."""

ERRATA: Final[Mapping[str, str]] = {
    "GET /app/status/{componentId}": "answer is {'state': AppStatus}, not a bare AppStatus",
    "GET /net/proxy": "oneOf of overlapping schemas read as anyOf",
    "undocumented error statuses": "checked against the Error schema; empty body allowed",
    "date-time": "not checked: devices send 2000-01-01t00:04:37+0000",
}
"""Where :func:`validate_response` departs from the literal OpenAPI file, and why."""


class ResponseValidationError(AssertionError):
    """An answer does not match the OpenAPI description."""


def parse_version(version: str) -> tuple[int, int, int]:
    """Parse ``MAJOR.MINOR.PATCH`` into a tuple that compares in version order."""
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", version.strip())
    if match is None:
        raise ValueError(f"not a MAJOR.MINOR.PATCH version: {version!r}")
    return int(match[1]), int(match[2]), int(match[3])


def _read_text(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


@functools.cache
def openapi() -> dict[str, Any]:
    """The device REST API OpenAPI document (parsed once; do not mutate it)."""
    document = yaml.safe_load(_read_text("device-rest-api.openapi.yaml"))
    return _stringify_keys(document)  # type: ignore[no-any-return]


@functools.cache
def dcs_openapi() -> dict[str, Any]:
    """The Device Communication Service OpenAPI document (parsed once; do not mutate it)."""
    document = yaml.safe_load(_read_text("device-communication-service.openapi.yaml"))
    return _stringify_keys(document)  # type: ignore[no-any-return]


@functools.cache
def error_codes() -> dict[int, str]:
    """Device error codes and their short meanings, from ``device-error-codes.json``."""
    raw = json.loads(_read_text("device-error-codes.json"))
    return {int(code): str(meaning) for code, meaning in raw["codes"].items()}


def _stringify_keys(node: Any) -> Any:
    # YAML reads the response keys (200, 400, ...) as integers; JSON Schema needs strings.
    if isinstance(node, dict):
        return {str(key): _stringify_keys(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_stringify_keys(item) for item in node]
    return node


@dataclass(frozen=True)
class Operation:
    """One method on one path of the device REST API."""

    method: str
    """Upper-case HTTP method."""
    path: str
    """Path template as written in the OpenAPI file, e.g. ``/app/status/{componentId}``."""
    operation_id: str
    """The ``operationId``, used by the mock to pick its handler."""
    authorizer: str | None
    """``x-azsphere-authorizer``: ``None`` means open to any device."""
    since: str
    """REST API version in which the call appeared."""
    request_content_types: tuple[str, ...]
    """Media types of the request body (empty when the call takes none)."""
    request_body_required: bool
    """Whether the OpenAPI file marks the request body required."""
    statuses: tuple[str, ...]
    """Documented response statuses."""
    pattern: re.Pattern[str]
    """Regular expression matching concrete request paths."""

    @property
    def since_tuple(self) -> tuple[int, int, int]:
        """:attr:`since` parsed for comparisons."""
        return parse_version(self.since)

    def available_in(self, version: str) -> bool:
        """Whether a device speaking REST API ``version`` offers this call."""
        return parse_version(version) >= self.since_tuple


def _template_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    regex = "".join(
        f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part) for part in parts
    )
    return re.compile(f"^{regex}$")


@functools.cache
def operations() -> tuple[Operation, ...]:
    """Every operation of the OpenAPI description, in file order."""
    document = openapi()
    global_authorizer = document.get("x-global", {}).get("x-azsphere-authorizer")
    result: list[Operation] = []
    for template, path_item in document["paths"].items():
        path_authorizer = path_item.get("x-azsphere-authorizer", global_authorizer)
        for method in _HTTP_METHODS:
            op = path_item.get(method)
            if op is None:
                continue
            authorizer = op.get("x-azsphere-authorizer", path_authorizer)
            body = op.get("requestBody") or {}
            result.append(
                Operation(
                    method=method.upper(),
                    path=template,
                    operation_id=op["operationId"],
                    authorizer=None if authorizer in (None, "None") else str(authorizer),
                    since=ENDPOINT_SINCE.get((method.upper(), template), "1.0.0"),
                    request_content_types=tuple(body.get("content", {})),
                    request_body_required=bool(body.get("required", False)),
                    statuses=tuple(op.get("responses", {})),
                    pattern=_template_pattern(template),
                )
            )
    return tuple(result)


def find_operation(method: str, path: str) -> Operation | None:
    """The operation for ``method`` on ``path`` (a template or a concrete path), or ``None``."""
    method = method.upper()
    path = path.split("?", 1)[0]
    for op in operations():
        if op.method == method and op.path == path:
            return op
    for op in operations():
        if op.method == method and op.pattern.match(path):
            return op
    return None


def _resolve(document: Mapping[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"unsupported reference {ref!r}")
        target: Any = document
        for part in ref[2:].split("/"):
            target = target[part]
        node = target
    return node


def _one_of_to_any_of(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            ("anyOf" if key == "oneOf" else key): _one_of_to_any_of(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_one_of_to_any_of(item) for item in node]
    return node


_APP_STATUS_OBJECT: Final = {
    "type": "object",
    "properties": {"state": {"$ref": "#/components/schemas/AppStatus"}},
    "required": ["state"],
}


def _response_entry(op: Operation, status: int) -> tuple[str, dict[str, Any] | None] | None:
    """The media type and schema documented for ``status`` (``None`` if undocumented)."""
    document = openapi()
    responses = document["paths"][op.path][op.method.lower()]["responses"]
    entry = responses.get(str(status))
    if entry is None:
        return None
    entry = _resolve(document, entry)
    content = entry.get("content")
    if not content:
        return ("", None)
    media_type, media = next(iter(content.items()))
    schema = media.get("schema")
    if op.method == "GET" and op.path == "/app/status/{componentId}" and status == 200:
        schema = _APP_STATUS_OBJECT
    if op.path == "/net/proxy":
        schema = _one_of_to_any_of(schema)
    return media_type, copy.deepcopy(schema)


@functools.cache
def _format_checker() -> Any:
    from jsonschema import FormatChecker
    from openapi_schema_validator import oas30_format_checker

    wanted = {"ipv4", "uuid", "int32", "int64"}
    checker = FormatChecker(formats=())
    for name, (func, raises) in oas30_format_checker.checkers.items():
        if name in wanted:
            checker.checks(name, raises)(func)
    return checker


@functools.lru_cache(maxsize=256)
def _validator(schema_json: str) -> Any:
    from openapi_schema_validator import OAS30Validator

    root = json.loads(schema_json)
    # References in the OpenAPI file point at "#/components/...": embed them at the root.
    root["components"] = openapi()["components"]
    return OAS30Validator(root, format_checker=_format_checker())


def _check_schema(schema: dict[str, Any], body: Any, where: str) -> None:
    validator = _validator(json.dumps(schema, sort_keys=True))
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        details = "; ".join(
            f"{'/'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
            for error in errors[:5]
        )
        raise ResponseValidationError(f"{where}: answer does not match the schema: {details}")


def validate_response(
    method: str,
    path: str,
    status: int,
    body: Any,
    *,
    content_type: str | None = None,
) -> None:
    """Check one answer of the device against the OpenAPI description.

    ``path`` is a path template (``/app/status/{componentId}``) or a concrete request path.
    ``body`` is the parsed JSON value, or the raw ``bytes`` of the answer (parsed here when the
    documented media type is JSON; ``b""`` stands for an empty body).  ``content_type``, when
    given, is checked against the documented media type.  Raises
    :class:`ResponseValidationError` (an ``AssertionError``) on any mismatch.  Needs
    ``openapi-schema-validator`` (a test dependency).
    """
    op = find_operation(method, path)
    where = f"{method.upper()} {path} -> {status}"
    if op is None:
        if status == 404:
            _check_error_body(body, where)
            return
        raise ResponseValidationError(f"{where}: no such operation in the OpenAPI description")
    entry = _response_entry(op, status)
    if entry is None:
        if status >= 400:
            _check_error_body(body, where)
            return
        raise ResponseValidationError(f"{where}: status {status} is not documented")
    media_type, schema = entry
    if content_type is not None and media_type:
        actual = content_type.split(";", 1)[0].strip().lower()
        if actual != media_type:
            raise ResponseValidationError(
                f"{where}: content type {actual!r}, expected {media_type!r}"
            )
    if media_type == "application/octet-stream":
        if not isinstance(body, bytes | bytearray):
            raise ResponseValidationError(f"{where}: expected raw bytes")
        return
    if isinstance(body, bytes | bytearray):
        if not body and status >= 400:
            return
        try:
            body = json.loads(body)
        except ValueError as exc:
            raise ResponseValidationError(f"{where}: body is not JSON: {exc}") from exc
    if schema is not None:
        _check_schema(schema, body, where)


def _check_error_body(body: Any, where: str) -> None:
    if isinstance(body, bytes | bytearray):
        if not body:
            return
        try:
            body = json.loads(body)
        except ValueError as exc:
            raise ResponseValidationError(f"{where}: error body is not JSON: {exc}") from exc
    if body is None:
        return
    _check_schema({"$ref": "#/components/schemas/Error"}, body, where)
    if not isinstance(body, dict) or not isinstance(body.get("error"), int):
        raise ResponseValidationError(f"{where}: error body lacks an integer 'error': {body!r}")
