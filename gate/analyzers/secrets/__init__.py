"""Secrets check: rules, detector, the layer-walk file analyzer and the check analyzer."""

from __future__ import annotations

from gate.analyzers.secrets.analyzer import SecretsAnalyzer
from gate.analyzers.secrets.detector import Match, ScanOutcome, scan_bytes, scan_text
from gate.analyzers.secrets.file_analyzer import SecretFileAnalyzer
from gate.analyzers.secrets.rules import RULES, RULESET_VERSION, all_rules

__all__ = [
    "RULES",
    "RULESET_VERSION",
    "Match",
    "ScanOutcome",
    "SecretFileAnalyzer",
    "SecretsAnalyzer",
    "all_rules",
    "scan_bytes",
    "scan_text",
]
