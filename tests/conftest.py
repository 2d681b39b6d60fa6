"""Fixtures shared by every test package."""

from __future__ import annotations

from pathlib import Path

import pytest

# The real registry on loopback (docker-registry), its token issuer and the fault proxy.
pytest_plugins = ("tests.registry_fixtures",)

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT / ".." / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``/work/shared/data``: real data sets (see its SOURCES.md files), read-only."""
    path = SHARED_DATA.resolve()
    if not path.is_dir():
        pytest.fail(f"shared data directory {path} is missing")
    return path
