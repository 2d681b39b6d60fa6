"""``gate check --image 127.0.0.1:PORT/team/app:v1 --checks secrets`` end to end through the
CLI: layers stream from the real registry into worker processes, the planted secret is found
in the layer that added it, the report names the registry's digest."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from gate.cli import main
from gate.testing.image_writer import History, ImageSpec, build
from tests.conftest import REPO_ROOT
from tests.registry_fixtures import RegistryServer, push_image

pytestmark = pytest.mark.slow

# A fake AWS key with the provider's real format, assembled at run time.
AWS_ID = "AKIA" + "Z7QX2LMV" + "9KDP4WHN"


def _gate(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "gate", "check", *args], capture_output=True,
                          text=True, env=full_env, check=False, timeout=120)


def test_secrets_check_of_a_registry_image(plain_registry: RegistryServer,
                                           tmp_path: Path) -> None:
    spec = ImageSpec(
        layers=[{"/etc/os-release": b"ID=debian\n", "/usr/share/doc/readme": b"hello " * 500},
                {"/app/": b"", "/app/.env": f"AWS_ACCESS_KEY_ID={AWS_ID}\n".encode()}],
        history=[History("ADD rootfs.tar /"), History("COPY .env /app/.env # buildkit")],
    )
    built = build(spec)
    repo = f"team/app-{secrets.token_hex(3)}"
    digest = push_image(plain_registry, f"{repo}:v1", built, tmp_path)
    report_path = tmp_path / "report.json"
    done = _gate("--image", f"{plain_registry.host}/{repo}:v1", "--checks", "secrets",
                 "--no-cache", "--jobs", "2", "--json", str(report_path))
    assert done.returncode == 1, done.stderr
    assert AWS_ID not in done.stdout and AWS_ID not in report_path.read_text()
    report = json.loads(report_path.read_text())
    assert report["target"]["image"]["manifest_digest"] == digest
    findings = report["findings"]
    located = {(f["location"]["path"], f["location"]["layer"]["digest"]) for f in findings}
    assert ("/app/.env", built.layers[1].digest) in located


def test_bad_registry_options_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for args, message in (
        (["--registry-timeout", "0"], "--registry-timeout must be more than 0"),
        (["--registry-retries", "-1"], "--registry-retries must be between 0 and 20"),
        (["--registry-ca-bundle", str(tmp_path / "none.pem")], "no such file"),
        (["--signature-source", "team/app"], "expected REGISTRY/REPO"),
        (["--signature-source", "ghcr.io/team/app:v1"], "without a tag or digest"),
    ):
        assert main(["check", "--image", "127.0.0.1:1/team/app:v1", *args]) == 2
        assert message in capsys.readouterr().err
