"""Fixtures of the reliability tests (helpers live in ``reliability_helpers``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

# The tests import their shared helpers as ``reliability_helpers``, whatever pytest's import mode.
sys.path.insert(0, str(Path(__file__).resolve().parent))

if TYPE_CHECKING:  # mypy names the modules here from the repository root
    from tests.reliability.reliability_helpers import big_package
else:
    from reliability_helpers import big_package


@pytest.fixture(scope="session")
def big_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An 8 MiB image package the mock accepts (random payload, blink's metadata)."""
    return big_package(tmp_path_factory.mktemp("images"), 8 * 1024 * 1024)
