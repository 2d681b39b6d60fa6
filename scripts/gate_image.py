"""Helpers of scripts/build_gate_image.sh (run with the checkout on PYTHONPATH).

    python scripts/gate_image.py mirror SHARED DIR   # osv.dev export mirror of SHARED's advisories
    python scripts/gate_image.py checks         # the checks this build of gate can run
    python scripts/gate_image.py verify-example OUT   # the reports of the run on the example
    python scripts/gate_image.py verify-self OUT      # the report of the run on gate itself

The example is the bundled one (examples/build_example.py: the insecure build context and the
real image buildah makes from its Dockerfile); the advisory mirror holds the real PyPA and Go
advisories of ../shared/data, served to ``gate db update --url`` the way an air-gapped site
mirrors osv.dev.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


sys.path.insert(0, str(REPO / "examples"))
from build_example import fake_credentials  # noqa: E402


def mirror(shared: Path, out: Path) -> None:
    """An osv.dev export mirror (``<Ecosystem>/all.zip``) of the real advisories in
    ../shared/data, as an air-gapped site keeps one, for ``gate db update --url``."""
    import zipfile

    sources = {
        "PyPI": shared / "advisories" / "pypa-advisory-database-json",
        "Go": shared / "advisories" / "golang-vulndb-osv",
    }
    for ecosystem, folder in sources.items():
        files = sorted(folder.rglob("*.json"))
        if not files:
            _fail(f"no advisories under {folder}")
        target = out / ecosystem / "all.zip"
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, path.name)
    print(out)


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
    """The reports of the image's gate on the bundled example (examples/build_example.py)."""
    report = json.loads((out / "example.json").read_text(encoding="utf-8"))
    if report["verdict"] != "fail" or report["exit_code"] != 1:
        _fail(f"the example should be blocked, verdict {report['verdict']}")
    if set(report["checks_run"]) != {"secrets", "config", "vulnerabilities"}:
        _fail(f"the example ran {report['checks_run']}, not every check of the default policy")
    located = {(f["location"]["kind"], f["location"]["path"]) for f in report["findings"]}
    expected = {
        ("image-file", "/app/.env"),
        ("image-file", "/app/config/settings.py"),
        ("image-history", "history[3]"),
        ("context", "context/config/settings.py"),
        ("context", "context/.env"),
        ("dockerfile", "context/Dockerfile"),
    }
    if not expected <= located:
        _fail(f"missing findings on the example: {sorted(expected - located)} in {located}")
    env = next(f for f in report["findings"] if f["location"]["path"] == "/app/.env")
    if env["location"]["removed_in"] is None:
        _fail("the deleted /app/.env should be reported as still extractable")
    vulns = {f["vulnerability_id"] for f in report["findings"] if f["check"] == "vulnerabilities"}
    if not {"CVE-2023-43804", "CVE-2019-10906"} <= vulns:
        _fail(f"the example's vulnerable Python packages were not all found: {sorted(vulns)}")
    sarif = json.loads((out / "example.sarif").read_text(encoding="utf-8"))
    if sarif["version"] != "2.1.0" or not sarif["runs"][0]["results"]:
        _fail("the SARIF report has no results")
    junit = ET.parse(out / "example-junit.xml").getroot()
    if int(junit.get("failures", "0")) < len(expected):
        _fail("the JUnit report should fail a testcase per blocking finding")
    for name, kind in (("gl-secret-detection-report.json", "secret_detection"),
                       ("gl-container-scanning-report.json", "container_scanning")):
        doc = json.loads((out / name).read_text(encoding="utf-8"))
        if doc["version"] != "15.0.7" or doc["scan"]["type"] != kind or not doc["vulnerabilities"]:
            _fail(f"{name}: not a GitLab {kind} report with findings")
    if not json.loads((out / "gl-code-quality-report.json").read_text()):
        _fail("the Code Quality report is empty")
    markdown = (out / "example.md").read_text(encoding="utf-8")
    if not markdown.startswith("<!-- gate:report image=docker-archive:"):
        _fail("the Markdown report has no marker")
    for path in out.iterdir():
        text = path.read_text(encoding="utf-8", errors="replace")
        for raw in fake_credentials().values():
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
    if len(argv) == 3 and argv[0] == "mirror":
        mirror(Path(argv[1]), Path(argv[2]))
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
