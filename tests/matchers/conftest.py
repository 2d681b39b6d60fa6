"""Fixtures of the matcher tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def index_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One index cache per test process: each advisory source is indexed once per session."""
    return tmp_path_factory.mktemp("osv-index-cache")
