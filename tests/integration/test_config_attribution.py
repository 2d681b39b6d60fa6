"""A real image built by ``buildah bud`` from a small Dockerfile on a local Debian base: its
history strings are the builder's own, and every finding with a layer points at the Dockerfile
line that made it (console, JSON, SARIF)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.debian import debian_rootfs, run

pytestmark = pytest.mark.slow

AWS_ID = "AKIA" + "QX7RZ2" + "MVKD4PLWHN"
AWS_SECRET = "t9Vq2Lr" + "/Xk3pWz8NmYb" + "4Hc6Jd1Fg5Sa0EeRuTo7Q"
DOCKERFILE = """\
FROM localhost/base:bookworm
COPY . /app
RUN chmod 4755 /app/app.sh \\
 && echo done
ENV MODE=prod
RUN mkdir -p /data && chmod 777 /data
USER 1000
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("buildah") is None:
        pytest.fail("buildah missing (scripts/test.sh installs it)")
    rootfs = debian_rootfs()
    work = tmp_path_factory.mktemp("buildah")
    layout = work / "layout"
    bundle = work / "bundle"
    run("umoci", "init", "--layout", layout)
    run("umoci", "new", "--image", f"{layout}:base")
    run("umoci", "unpack", "--image", f"{layout}:base", bundle)
    (bundle / "rootfs").rmdir()
    run("cp", "-a", rootfs, bundle / "rootfs")
    run("umoci", "repack", "--history.created_by", "debootstrap --variant=minbase bookworm",
        "--image", f"{layout}:base", bundle)
    run("umoci", "config", "--image", f"{layout}:base", "--config.cmd", "bash")
    shutil.rmtree(bundle)
    buildah = ["buildah", "--root", str(work / "root"), "--runroot", str(work / "runroot"),
               "--storage-driver", "vfs"]
    image_id = subprocess.run([*buildah, "pull", "-q", f"oci:{layout}:base"], check=True,
                              capture_output=True, text=True).stdout.strip().splitlines()[-1]
    run(*buildah, "tag", image_id, "localhost/base:bookworm")
    ctx = work / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    (ctx / "app.sh").write_text("#!/bin/sh\necho hi\n")
    (ctx / ".env").write_text(f"AWS_ACCESS_KEY_ID={AWS_ID}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\n")
    run(*buildah, "bud", "--layers", "--isolation", "chroot", "--pull=never", "-t",
        "localhost/app", str(ctx))
    out = work / "out"
    run(*buildah, "push", "localhost/app", f"oci:{out}:app")
    shutil.rmtree(work / "root", ignore_errors=True)
    return out, ctx


def test_findings_point_at_the_dockerfile_lines(built: tuple[Path, Path], tmp_path: Path) -> None:
    out, ctx = built
    report_path, sarif_path = tmp_path / "r.json", tmp_path / "r.sarif"
    proc = subprocess.run(
        [sys.executable, "-m", "gate", "check", "--image", f"oci:{out}:app", "--context",
         str(ctx), "--repo-root", str(ctx), "--checks", "config,secrets", "--json",
         str(report_path), "--sarif", str(sarif_path), "--no-cache", "--compliance"],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 1, proc.stderr
    report = json.loads(report_path.read_text())

    def attributed(rule: str, path: str) -> tuple[int, int]:
        found = [f for f in report["findings"]
                 if f["rule_id"] == rule and f["location"]["path"] == path]
        assert found, (rule, path)
        line = found[0]["location"]["attributed_to"]
        assert line["path"] == "Dockerfile"
        return line["start_line"], line["end_line"]

    assert attributed("config/setuid-file", "/app/app.sh") == (3, 4)
    assert attributed("config/world-writable-path", "/data") == (6, 6)
    # One finding per tool family on the real Debian base, every name in its paths, at the
    # FROM line that brought it in.
    managers = [f for f in report["findings"] if f["rule_id"] == "config/package-manager-present"]
    assert [f["properties"]["tool"] for f in managers] == ["dpkg"]
    assert {"/usr/bin/apt", "/usr/bin/apt-get", "/usr/bin/dpkg"} <= set(
        managers[0]["properties"]["paths"])
    assert attributed("config/package-manager-present", managers[0]["location"]["path"]) == (1, 1)
    shells = [f for f in report["findings"] if f["rule_id"] == "config/shell-present"]
    assert [f["properties"]["tool"] for f in shells] == ["sh"]
    assert {"bash", "dash", "sh"} <= {p.rsplit("/", 1)[1] for p in shells[0]["properties"]["paths"]}
    secret = next(f for f in report["findings"] if f["check"] == "secrets"
                  and f["location"]["path"] == "/app/.env")
    assert secret["location"]["attributed_to"]["start_line"] == 2
    # The base image's setuid files (su, mount, passwd...) are not the image's own.
    setuid = {f["location"]["path"] for f in report["findings"]
              if f["rule_id"] == "config/setuid-file"}
    assert setuid == {"/app/app.sh"}
    config = next(c for c in report["checks"] if c["check"] == "config")
    assert config["stats"]["layers_attributed"] == 3

    sarif = json.loads(sarif_path.read_text())
    result = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "config/setuid-file")
    primary = result["locations"][0]["physicalLocation"]
    assert primary["artifactLocation"] == {"uri": "Dockerfile", "uriBaseId": "%SRCROOT%"}
    assert primary["region"]["startLine"] == 3
    related = result["relatedLocations"][0]["physicalLocation"]["artifactLocation"]
    assert related == {"uri": "app/app.sh", "uriBaseId": "IMAGE"}
    assert result["properties"]["imagePath"] == "/app/app.sh"

    assert "/app/app.sh (layer 3/4) <- Dockerfile:3" in proc.stdout
    assert "compliance cis-docker" in proc.stdout and "FAIL          4.8" in proc.stdout
    for secret_value in (AWS_ID, AWS_SECRET):
        assert secret_value not in proc.stdout + report_path.read_text() + sarif_path.read_text()
