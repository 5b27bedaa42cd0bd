"""The mock never imports the client library: a mistake in the client cannot hide in it."""

from __future__ import annotations

import ast
from pathlib import Path

import azsphere_async.mock as mock


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
