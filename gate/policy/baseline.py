"""A baseline: the findings of an earlier report, to tell new findings from known ones."""

from __future__ import annotations

from dataclasses import dataclass

from gate.models import Finding


@dataclass(frozen=True)
class Baseline:
    """What evaluation needs of a previous report (``gate.reporters.json_report.load_baseline``)."""

    fingerprints: frozenset[str]
    """Fingerprints of every finding of the earlier report, whatever its status."""
    findings: tuple[Finding, ...] = ()
    """The earlier findings themselves, so the ones now gone can be listed as fixed."""
    source: str = ""
    """The report file it was read from."""

    @classmethod
    def from_findings(cls, findings: tuple[Finding, ...], source: str = "") -> Baseline:
        return cls(frozenset(f.fingerprint for f in findings), findings, source)
