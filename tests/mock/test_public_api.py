"""The public names of ``azsphere_async.mock``, pinned (in the style of httpx's
``tests/test_exported_members.py``): adding, renaming or dropping one is a decision."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import azsphere_async.mock as mock

MOCK_API = [
    "DEFAULT_DCS_PORT",
    "Code",
    "DeviceApp",
    "DeviceRefusal",
    "DeviceState",
    "DeviceStats",
    "Fault",
    "FaultInjector",
    "FaultKind",
    "FirewallEntry",
    "LinkSettings",
    "MockCA",
    "MockDevice",
    "MockDeviceCommunicationService",
    "MockDeviceConfig",
    "MockFleet",
    "OsComponent",
    "WifiScanEntry",
    "build_image_package",
    "cli_main",
    "create_app",
    "image_package_chunks",
    "image_package_size",
    "parse_rate",
    "parse_size",
    "serve_fleet",
    "spec",
    "validate_response",
]


def test_the_mock_exports_exactly_these_names() -> None:
    assert mock.__all__ == MOCK_API


def test_every_exported_name_resolves_inside_the_mock() -> None:
    for name in mock.__all__:
        value = getattr(mock, name)
        home = value.__name__ if inspect.ismodule(value) else getattr(value, "__module__", None)
        if home is not None:
            assert home.startswith("azsphere_async.mock"), (name, home)


def test_nothing_public_is_left_out() -> None:
    public = {
        name
        for name, value in vars(mock).items()
        if not name.startswith("_") and not inspect.ismodule(value) and name != "annotations"
    }
    assert public == set(mock.__all__) - {"spec"}


def test_the_mock_never_imports_the_library() -> None:
    package = Path(mock.__file__).parent
    for source in sorted(package.rglob("*.py")):
        depth = len(source.relative_to(package).parts) - 1  # 0 for modules of the package
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    assert node.level <= depth + 1, (source, node.lineno, "relative import")
                    continue
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                outside = name.startswith("azsphere_async") and not name.startswith(
                    "azsphere_async.mock"
                )
                assert not outside, (source, node.lineno, name)
