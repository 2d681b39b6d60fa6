"""The bundled example database: every record it ships matches the demo's pinned
requirements (examples/insecure-app/requirements.txt), and it is the same data as upstream."""

from __future__ import annotations

from pathlib import Path

from gate.analyzers.interface import ScanTarget
from gate.analyzers.vulnerabilities import VulnerabilitiesAnalyzer
from gate.matchers.database import DatabaseChoice

from .helpers import PYPA, inventory, pypi

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "advisories"
REQUIREMENTS = EXAMPLES.parents[0] / "insecure-app" / "requirements.txt"


def _pins() -> list[tuple[str, str]]:
    """The README demo's pins, read from the example's requirements.txt."""
    pins = []
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins.append((name, version))
    return pins


def test_the_bundled_records_are_exactly_the_ones_the_demo_needs(shared_data: Path) -> None:
    packages = inventory([pypi(name, version) for name, version in _pins()])
    run = VulnerabilitiesAnalyzer().run
    bundled = run(
        ScanTarget(options={"inventory": packages, "database": DatabaseChoice(vuln_db=(EXAMPLES,))})
    )
    full = run(
        ScanTarget(options={"inventory": packages, "database": DatabaseChoice(vuln_db=(PYPA,))})
    )
    assert [f.vulnerability_id for f in bundled.findings] == [
        f.vulnerability_id for f in full.findings
    ]
    assert len(bundled.findings) == len(list(EXAMPLES.rglob("*.json"))) == 16
    for path in EXAMPLES.rglob("*.json"):
        assert path.read_bytes() == (PYPA / path.relative_to(EXAMPLES)).read_bytes()
    assert sum(f.severity.value == "high" for f in bundled.findings) == 2
