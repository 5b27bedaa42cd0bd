"""Fixtures of the reliability tests (helpers live in ``tests.reliability.reliability_helpers``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.shared_data import big_package


@pytest.fixture(scope="session")
def big_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An 8 MiB image package the mock accepts (random payload, blink's metadata)."""
    return big_package(tmp_path_factory.mktemp("images"), 8 * 1024 * 1024)
