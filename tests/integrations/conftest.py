"""Fixtures of the CI integration tests: a fake forge on loopback, fake tokens assembled at
run time with the providers' real formats, a build context with real-format fake secrets."""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integrations.fake_forge import FakeForge
from tests.reporters.ci_samples import secrets_context

_ALPHABET = string.ascii_letters + string.digits


def _random(n: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


@pytest.fixture
def github_token() -> str:
    # A GitHub Actions installation token: "ghs_" and 36 alphanumerics (40 characters).
    return "ghs" + "_" + _random(36)


@pytest.fixture
def gitlab_token() -> str:
    # A GitLab personal/project access token: "glpat-" and 20 characters.
    return "glpat" + "-" + _random(20)


@pytest.fixture
def forge(github_token: str, gitlab_token: str) -> Iterator[FakeForge]:
    server = FakeForge(github_token, gitlab_token).start()
    yield server
    server.stop()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    secrets_context(root / "ctx")
    return root


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No CI variable of the machine running the tests leaks into them."""
    import os

    for name in list(os.environ):
        if name.startswith(("GITHUB_", "GATE_", "CI_", "INPUT_", "GITLAB_")) or name == "CI":
            monkeypatch.delenv(name)
    return monkeypatch
