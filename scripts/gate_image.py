"""Helpers of scripts/build_gate_image.sh (run with the checkout on PYTHONPATH).

    python scripts/gate_image.py example DIR    # DIR/context and DIR/app.tar: the example
    python scripts/gate_image.py checks         # the checks this build of gate can run
    python scripts/gate_image.py verify-example OUT   # the reports of the run on the example
    python scripts/gate_image.py verify-self OUT      # the report of the run on gate itself

The example is the bundled insecure build context (examples/insecure-app when the checkout
has it, else a small stand-in written here) with fake credentials assembled at run time from
pieces in their providers' real formats, and the image its Dockerfile describes, written as
a real ``docker save`` archive by gate.testing.image_writer: the context copied to /app, the
.env deleted again in a later layer (still extractable), a token passed as a build argument
(recorded in the history), a password in ENV.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gate.testing.image_writer import (  # noqa: E402
    WHITEOUT,
    File,
    History,
    ImageSpec,
    write_docker_archive,
)

AWS_KEY = "AKIA" + "R4TQ8ZKX" + "2MVB7PLW"
AWS_SECRET = "w9Tq2Lr" + "/Xk3pWz8NmYb" + "4Hc6Jd1Fg5Sa0EeRuToZQ"
GITHUB_PAT = "ghp_" + "M7q2Kx9Rw4Zt" + "1Lp8Vn3Bc6Yh5Jd0Fs2Ga" + "w4T"
GITLAB_TOKEN = "glpat-" + "Qy7Kq2Mv9Lp" + "4Rz8Tn3B" + "x"
DB_PASSWORD = "hunter2-" + "prod-db"

_STAND_IN_DOCKERFILE = """\
# A deliberately insecure build (stand-in for examples/insecure-app). Do not copy.
FROM python:3.11
ARG DEPLOY_TOKEN
ENV DB_PASSWORD=hunter2-prod-db
COPY . /app
RUN rm /app/.env
EXPOSE 22 8000
CMD ["python", "/app/src/app.py"]
"""


def _context(target: Path) -> Path:
    source = REPO / "examples" / "insecure-app"
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        (target / "src").mkdir(parents=True)
        (target / "Dockerfile").write_text(_STAND_IN_DOCKERFILE, encoding="utf-8")
        (target / "src" / "app.py").write_text('print("hello")\n', encoding="utf-8")
    (target / ".env").write_text(
        f"AWS_ACCESS_KEY_ID={AWS_KEY}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\n", encoding="utf-8"
    )
    (target / "config").mkdir(exist_ok=True)
    (target / "config" / "settings.py").write_text(
        f'GITHUB_TOKEN = "{GITHUB_PAT}"\nDEBUG = False\n', encoding="utf-8"
    )
    return target


def example(out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    context = _context(out / "context")
    app = {}
    for path in sorted(context.rglob("*")):
        if path.is_file():
            app["/app/" + path.relative_to(context).as_posix()] = File(path.read_bytes())
    base = {
        "/etc/os-release": File(
            b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'
            b"VERSION_CODENAME=bookworm\n"
        ),
        "/usr/local/bin/python3": File(b"#!/bin/sh\n", mode=0o755),
    }
    spec = ImageSpec(
        layers=[base, app, {"/app/.env": WHITEOUT}],
        config={
            "Env": ["PATH=/usr/local/bin:/usr/bin:/bin", f"DB_PASSWORD={DB_PASSWORD}"],
            "ExposedPorts": {"22/tcp": {}, "8000/tcp": {}},
            "Cmd": ["python", "/app/src/app.py"],
        },
        history=[
            History("/bin/sh -c #(nop) ADD file:debian-bookworm in /"),
            History("ARG DEPLOY_TOKEN", empty_layer=True),
            History(f"ENV DB_PASSWORD={DB_PASSWORD}", empty_layer=True),
            History("COPY . /app # buildkit"),
            History(f"|1 DEPLOY_TOKEN={GITLAB_TOKEN} /bin/sh -c rm /app/.env"),
            History("EXPOSE map[22/tcp:{} 8000/tcp:{}]", empty_layer=True),
        ],
    )
    write_docker_archive(out / "app.tar", [(spec, ["example/insecure-app:latest"])])
    for path in (out / "app.tar", *out.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)
    print(out / "app.tar")


def checks() -> None:
    """Each check this build can run: ``gate check --checks X`` on an empty context is 0, an
    unavailable one is 2 ("not available in this build")."""
    available = []
    with tempfile.TemporaryDirectory() as empty:
        for name in ("secrets", "config", "vulnerabilities", "signature"):
            proc = subprocess.run(
                [sys.executable, "-m", "gate", "check", "--context", empty, "--checks", name,
                 "--no-cache", "--quiet"],
                capture_output=True, text=True, cwd=REPO, timeout=120,
            )
            if proc.returncode == 0:
                available.append(name)
            elif "not available in this build" not in proc.stderr:
                sys.exit(f"gate_image.py: probing the {name} check failed: {proc.stderr.strip()}")
    print(",".join(available))


def _fail(message: str) -> None:
    sys.exit(f"gate_image.py: {message}")


def verify_example(out: Path) -> None:
    report = json.loads((out / "example.json").read_text(encoding="utf-8"))
    if report["verdict"] != "fail" or report["exit_code"] != 1:
        _fail(f"the example should be blocked, verdict {report['verdict']}")
    located = {(f["location"]["kind"], f["location"]["path"]) for f in report["findings"]}
    expected = {
        ("image-file", "/app/.env"),
        ("image-file", "/app/config/settings.py"),
        ("image-history", "history[4]"),
        ("context", "config/settings.py"),
        ("context", ".env"),
    }
    if not expected <= located:
        _fail(f"missing findings on the example: {sorted(expected - located)}")
    env = next(f for f in report["findings"] if f["location"]["path"] == "/app/.env")
    if env["location"]["removed_in"] is None:
        _fail("the deleted /app/.env should be reported as still extractable")
    sarif = json.loads((out / "example.sarif").read_text(encoding="utf-8"))
    if sarif["version"] != "2.1.0" or not sarif["runs"][0]["results"]:
        _fail("the SARIF report has no results")
    junit = ET.parse(out / "example-junit.xml").getroot()
    if int(junit.get("failures", "0")) < len(expected):
        _fail("the JUnit report should fail a testcase per blocking finding")
    for name, kind in (("gl-secret-detection-report.json", "secret_detection"),
                       ("gl-container-scanning-report.json", "container_scanning")):
        doc = json.loads((out / name).read_text(encoding="utf-8"))
        if doc["version"] != "15.0.7" or doc["scan"]["type"] != kind:
            _fail(f"{name}: not a GitLab {kind} report")
    secret_doc = json.loads((out / "gl-secret-detection-report.json").read_text())
    if not secret_doc["vulnerabilities"]:
        _fail("the GitLab secret detection report is empty")
    if not json.loads((out / "gl-code-quality-report.json").read_text()):
        _fail("the Code Quality report is empty")
    markdown = (out / "example.md").read_text(encoding="utf-8")
    if not markdown.startswith("<!-- gate:report image=docker-archive:"):
        _fail("the Markdown report has no marker")
    for path in out.iterdir():
        text = path.read_text(encoding="utf-8", errors="replace")
        for raw in (AWS_KEY, AWS_SECRET, GITHUB_PAT, GITLAB_TOKEN):
            if raw in text:
                _fail(f"{path.name} holds a secret in full")
    print(f"example: exit 1, {len(report['findings'])} findings, every report written")


def verify_self(out: Path) -> None:
    report = json.loads((out / "self.json").read_text(encoding="utf-8"))
    if report["verdict"] != "pass":
        problems = "; ".join(v["message"] for v in report["violations"])
        _fail(f"gate does not pass its own default policy: {problems}")
    print(
        f"self-check: pass ({', '.join(report['checks_run'])}; "
        f"{report['summary']['findings']} finding(s) within thresholds)"
    )


def main(argv: list[str]) -> None:
    if len(argv) == 2 and argv[0] == "example":
        example(Path(argv[1]))
    elif argv == ["checks"]:
        checks()
    elif len(argv) == 2 and argv[0] == "verify-example":
        verify_example(Path(argv[1]))
    elif len(argv) == 2 and argv[0] == "verify-self":
        verify_self(Path(argv[1]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
