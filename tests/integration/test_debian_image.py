"""End to end on a real Debian image: planted secrets are found, untouched Debian files are not.

The image is a real ``debootstrap`` root filesystem packed by ``umoci`` with application layers
on top (one of them deletes a secret again), exported by ``skopeo`` as a ``docker save`` archive,
and checked through the CLI exactly as a pipeline would run it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.integration.debian import build_layered_image, debian_rootfs, run

pytestmark = pytest.mark.slow

# Fake credentials assembled from pieces at run time: the repository holds none.
AWS_ID = "AKIA" + "QX7RZ2" + "MVKD4PLWHN"
AWS_SECRET = "t9Vq2Lr" + "/Xk3pWz8NmYb" + "4Hc6Jd1Fg5Sa0EeRuTo7Q"
GITHUB_PAT = "ghp_" + "R7m2Kx9Qw4Zt" + "1Lp8Vn3Bc6Yh5Jd0Fs2Ga" + "k4T"
NPM_TOKEN = "npm_" + "a8Kd2Lq9Zx4Vm" + "7Nc1Rt6Yp3Hw5Jb0Ge8S" + "u2W"
STRIPE_KEY = "sk_live_" + "51HqZ2LkT9xVbW3" + "mN7pQ4rS8uY1cD6eF0gJ2hK5"
GITLAB_TOKEN = "glpat-" + "Xy7Kq2Mv9Lp" + "4Rz8Tn3B" + "c"


def _private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture(scope="module")
def debian_app_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rootfs = debian_rootfs()
    work = tmp_path_factory.mktemp("debian-image")
    layout = work / "layout"

    def add_app(root: Path) -> None:
        app = root / "app"
        (app / "config").mkdir(parents=True)
        (app / ".env").write_text(
            f"AWS_ACCESS_KEY_ID={AWS_ID}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\n"
        )
        (app / "config" / "settings.py").write_text(
            f'GITHUB_TOKEN = "{GITHUB_PAT}"\nDEBUG = False\n'
        )
        (app / ".npmrc").write_text(f"//registry.npmjs.org/:_authToken={NPM_TOKEN}\n")
        ssh = root / "root" / ".ssh"
        ssh.mkdir(parents=True, exist_ok=True)
        (ssh / "id_rsa").write_text(_private_key_pem())

    def remove_env(root: Path) -> None:
        (root / "app" / ".env").unlink()

    build_layered_image(
        layout,
        rootfs,
        [
            ("COPY . /app # buildkit", add_app),
            (f"|1 GITLAB_TOKEN={GITLAB_TOKEN} /bin/sh -c rm /app/.env", remove_env),
        ],
        config=[
            "--config.env",
            f"STRIPE_API_KEY={STRIPE_KEY}",
            "--config.user",
            "1000",
            "--history.created_by",
            f"ENV STRIPE_API_KEY={STRIPE_KEY}",
        ],
    )
    archive = work / "app.tar"
    run("skopeo", "copy", f"oci:{layout}:app", f"docker-archive:{archive}:example/app:latest")
    return archive


def test_gate_finds_exactly_the_planted_secrets(debian_app_image: Path, tmp_path: Path) -> None:
    report_path = tmp_path / "gate.json"
    sarif_path = tmp_path / "gate.sarif"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "gate",
            "check",
            "--image",
            f"docker-archive:{debian_app_image}",
            "--checks",
            "secrets",
            "--json",
            str(report_path),
            "--sarif",
            str(sarif_path),
            "--no-cache",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 1, proc.stderr
    report = json.loads(report_path.read_text())
    findings = report["findings"]
    located = {(f["location"]["kind"], f["location"]["path"]) for f in findings}
    assert located == {
        ("image-file", "/app/.env"),
        ("image-file", "/app/config/settings.py"),
        ("image-file", "/app/.npmrc"),
        ("image-file", "/root/.ssh/id_rsa"),
        ("image-config", "Env"),
        ("image-history", "history[2]"),  # the build argument of the `rm` step
        ("image-history", "history[3]"),  # the ENV instruction
    }

    by_path: dict[str, list[str]] = {}
    for finding in findings:
        by_path.setdefault(finding["location"]["path"], []).append(finding["rule_id"])
    assert len(by_path["/app/.env"]) == 2 and all("aws" in r for r in by_path["/app/.env"])
    assert any("github" in r for r in by_path["/app/config/settings.py"])
    assert any("npm" in r for r in by_path["/app/.npmrc"])
    assert any("private-key" in r for r in by_path["/root/.ssh/id_rsa"])
    assert any("stripe" in r for r in by_path["Env"])
    assert any("gitlab" in r for r in by_path["history[2]"])
    assert any("stripe" in r for r in by_path["history[3]"])

    # The deleted .env is reported as still extractable from the layer that added it.
    env_findings = [f for f in findings if f["location"]["path"] == "/app/.env"]
    assert all(f["location"]["removed_in"] is not None for f in env_findings)
    assert all(f["location"]["layer"]["index"] == 1 for f in env_findings)

    # Nothing at all in the untouched Debian base layer.
    assert not [
        f for f in findings if f["location"].get("layer") and f["location"]["layer"]["index"] == 0
    ]

    # No secret in full anywhere in the outputs.
    outputs = proc.stdout + proc.stderr + report_path.read_text() + sarif_path.read_text()
    for secret in (AWS_ID, AWS_SECRET, GITHUB_PAT, NPM_TOKEN, STRIPE_KEY, GITLAB_TOKEN):
        assert secret not in outputs
