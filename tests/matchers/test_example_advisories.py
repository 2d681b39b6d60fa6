"""The bundled example database: every record it ships matches the demo's pinned
requirements (examples/insecure-app/requirements.txt), and it is the same data as upstream."""

from __future__ import annotations

from pathlib import Path

from gate.analyzers.interface import ScanTarget
from gate.analyzers.vulnerabilities import VulnerabilitiesAnalyzer
from gate.matchers.database import DatabaseChoice

from .helpers import PYPA, inventory, pypi

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "advisories"
# The README demo's pins (examples/insecure-app/requirements.txt).
PINS = [("jinja2", "2.10"), ("pyyaml", "5.3"), ("requests", "2.19.0"), ("urllib3", "1.24.1")]


def test_the_bundled_records_are_exactly_the_ones_the_demo_needs(shared_data: Path) -> None:
    packages = inventory([pypi(name, version) for name, version in PINS])
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
    assert len(bundled.findings) == len(list(EXAMPLES.rglob("*.json"))) == 13
    for path in EXAMPLES.rglob("*.json"):
        assert path.read_bytes() == (PYPA / path.relative_to(EXAMPLES)).read_bytes()
    assert sum(f.severity.value == "high" for f in bundled.findings) == 1
