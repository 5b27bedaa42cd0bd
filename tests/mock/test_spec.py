"""The route table read from the OpenAPI file, and the response validator."""

from __future__ import annotations

import pytest

from azsphere_async.mock import spec
from azsphere_async.mock.routes import HANDLERS


def test_every_operation_has_a_handler() -> None:
    ops = spec.operations()
    assert len(ops) == 42
    assert {op.operation_id for op in ops} == set(HANDLERS)


def test_authorizers_follow_operation_then_path_then_global() -> None:
    open_ops = {(op.method, op.path) for op in spec.operations() if op.authorizer is None}
    assert open_ops == {
        ("GET", "/abi_versions"),
        ("GET", "/device/capabilities"),
        ("GET", "/device/security_state"),
        ("GET", "/device/manufacturing_state"),
        ("GET", "/net/status"),
        ("GET", "/status"),
        ("GET", "/osversion"),
    }
    memory = spec.find_operation("GET", "/stats/memory/groups/applications")
    assert memory is not None
    assert memory.authorizer == "IsAppDevelopmentAllowed"
    put_state = spec.find_operation("PUT", "/device/manufacturing_state")
    assert put_state is not None
    assert put_state.authorizer == "IsRESTAllowed"


@pytest.mark.parametrize(
    ("method", "path", "since"),
    [
        ("GET", "/log", "1.2.0"),
        ("PATCH", "/app/status/{componentId}", "2.0.0"),
        ("PUT", "/update/stage", "3.0.0"),
        ("GET", "/net/interfaces/{networkInterfaceName}", "3.1.0"),
        ("GET", "/net/firewall/rulesets", "4.1.0"),
        ("PATCH", "/net/interfaces/{networkInterfaceName}", "4.3.0"),
        ("GET", "/osversion", "4.5.0"),
        ("GET", "/status", "1.0.0"),
    ],
)
def test_versions_of_calls(method: str, path: str, since: str) -> None:
    op = spec.find_operation(method, path)
    assert op is not None
    assert op.since == since
    assert op.available_in("4.6.0")
    assert not op.available_in("0.9.0")


def test_find_operation_by_concrete_path() -> None:
    op = spec.find_operation("patch", "/wifi/config/networks/3")
    assert op is not None
    assert op.operation_id == "changeConfiguredWifiNetwork"
    assert spec.find_operation("GET", "/nothing") is None


def test_error_codes_loaded() -> None:
    codes = spec.error_codes()
    assert codes[7340050].startswith("image could not be staged")
    assert codes[14680082] == "not enough free space on the device"


def test_validator_accepts_good_answers() -> None:
    spec.validate_response("GET", "/status", 200, {"uptime": 5})
    spec.validate_response("GET", "/status", 403, {"error": 13})
    spec.validate_response("GET", "/status", 500, b"")
    spec.validate_response("GET", "/app/status/{componentId}", 200, {"state": "running"})
    spec.validate_response("GET", "/net/proxy", 200, {"enabled": True, "address": "a", "port": 1})
    spec.validate_response("GET", "/log", 200, b"\x00\x01", content_type="application/octet-stream")
    spec.validate_response("GET", "/unknown/path", 404, {"error": 15728642})


@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [
        ("GET", "/status", 200, {"uptime": "5"}),
        ("GET", "/status", 200, b"{not json"),
        ("GET", "/status", 403, {"error": "13"}),
        ("GET", "/status", 201, {}),
        ("GET", "/app/status/{componentId}", 200, {"state": "sleeping"}),
        ("GET", "/wifi/interface", 200, {"ip_address": "902.21.11.1"}),
        ("GET", "/images", 200, {"components": [{"uid": "not-a-uid"}]}),
        ("GET", "/certstore/space", 200, {"AvailableSpace": 24514}),
        ("POST", "/wifi/config/networks", 201, {"id": 0}),
        ("GET", "/log", 200, {"not": "bytes"}),
        ("GET", "/unknown/path", 200, {}),
    ],
)
def test_validator_refuses_bad_answers(method: str, path: str, status: int, body: object) -> None:
    with pytest.raises(spec.ResponseValidationError):
        spec.validate_response(method, path, status, body)


def test_validator_checks_content_type() -> None:
    with pytest.raises(AssertionError):
        spec.validate_response("GET", "/status", 200, {"uptime": 1}, content_type="text/html")
