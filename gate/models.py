"""Plain data passed between the stages of the gate.

sources -> analyzers -> matchers / verifiers -> policy -> reporters. Every stage takes and
returns these frozen dataclasses; none of them reads CLI flags.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NewType

RuleID = NewType("RuleID", str)
"""A stable rule identifier, e.g. ``secret/aws-access-key-id`` or ``config/DF001``."""

Fingerprint = NewType("Fingerprint", str)
"""A stable identity of one finding across runs (hex). For a secret, a keyed hash of the value."""

PropertyValue = str | int | float | bool | None | tuple[str, ...]


class Check(str, enum.Enum):
    """The four checks of the gate. Values are the names used by ``--checks`` and the policy."""

    SECRETS = "secrets"
    CONFIG = "config"
    VULNERABILITIES = "vulnerabilities"
    SIGNATURE = "signature"


class Severity(str, enum.Enum):
    """Finding severity, ordered by :attr:`rank` (higher is worse)."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    @property
    def security_severity(self) -> str:
        """GitHub code scanning's ``security-severity`` (a CVSS-like score as a string)."""
        return _SECURITY_SEVERITY[self]

    @classmethod
    def from_cvss(cls, score: float) -> Severity:
        """CVSS v3/v4 qualitative rating scale (FIRST CVSS v3.1 specification, section 5)."""
        if score >= 9.0:
            return cls.CRITICAL
        if score >= 7.0:
            return cls.HIGH
        if score >= 4.0:
            return cls.MEDIUM
        if score > 0.0:
            return cls.LOW
        return cls.INFO


_SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}
_SECURITY_SEVERITY = {
    Severity.INFO: "0.0",
    Severity.LOW: "3.0",
    Severity.MEDIUM: "5.5",
    Severity.HIGH: "8.0",
    Severity.CRITICAL: "9.5",
}


@dataclass(frozen=True)
class Rule:
    """Metadata of one rule; reporters render it (SARIF ``reportingDescriptor``)."""

    id: RuleID
    """Stable identifier; never reused for another meaning."""
    check: Check
    """Which check owns the rule."""
    title: str
    """One line, e.g. "AWS access key ID"."""
    severity: Severity
    """Default severity; the policy may re-grade it."""
    description: str = ""
    """Why it matters (SARIF ``fullDescription``)."""
    remediation: str = ""
    """What to do (SARIF ``help``), Markdown allowed."""
    tags: tuple[str, ...] = ()
    """Free tags; compliance controls are tagged as ``compliance:<regime>:<control>``."""
    help_uri: str | None = None


@dataclass(frozen=True)
class LayerRef:
    """One filesystem layer of an image, as findings refer to it."""

    index: int
    """0-based position in the manifest's layer list."""
    digest: str
    """Digest of the layer blob as stored (compressed)."""
    diff_id: str
    """Digest of the uncompressed tar (from the config's ``rootfs.diff_ids``)."""
    created_by: str | None = None
    """The history entry that made this layer (empty-layer entries skipped)."""


class LocationKind(str, enum.Enum):
    CONTEXT = "context"
    """A file of the build context; ``path`` is relative to the repository/context root."""
    DOCKERFILE = "dockerfile"
    """A line range of a Dockerfile; ``path`` is repository-relative."""
    IMAGE_FILE = "image-file"
    """A file inside the image; ``path`` is absolute in the image (``/app/.env``)."""
    IMAGE_CONFIG = "image-config"
    """A field of the image config; ``path`` names it (``Env``, ``Labels.foo``, ``User``)."""
    IMAGE_HISTORY = "image-history"
    """A history entry; ``path`` is ``history[N]``."""
    IMAGE = "image"
    """The image as a whole (signature, OS end of life); ``path`` is the image reference."""
    POLICY = "policy"
    """The policy file itself (e.g. a stale advisory database)."""


@dataclass(frozen=True)
class Location:
    """Where a finding is. Image locations carry the layer that holds the evidence."""

    kind: LocationKind
    path: str
    start_line: int | None = None
    end_line: int | None = None
    layer: LayerRef | None = None
    """The layer that added (or last changed) the evidence."""
    removed_in: LayerRef | None = None
    """A later layer that deleted or overwrote the evidence; it is still extractable."""
    attributed_to: Location | None = None
    """The Dockerfile line that made ``layer`` (configuration issue: attribution)."""


@dataclass(frozen=True)
class PackageRef:
    """An installed package a finding is about."""

    name: str
    version: str
    ecosystem: str
    """OSV ecosystem name, with release for distros (``Debian:12``, ``PyPI``)."""
    purl: str | None = None
    source_name: str | None = None
    """Source package (dpkg ``Source:``, apk origin): distro advisories name these."""
    source_version: str | None = None


@dataclass(frozen=True)
class InstalledPackage:
    """One package of the inventory (vulnerability check; ``gate sbom``)."""

    package: PackageRef
    found_in: str
    """The file it was read from, absolute in the image (``/var/lib/dpkg/status``)."""
    layer: LayerRef | None = None
    """The layer that added it (None for an SBOM input)."""
    kind: str = "os"
    """``os`` or ``language``."""
    licenses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    """One problem found by one rule at one location."""

    check: Check
    rule_id: RuleID
    severity: Severity
    """Effective severity (the rule's, or the one the data gives, e.g. CVSS)."""
    message: str
    """One line for humans. Must never contain a secret in full."""
    location: Location
    fingerprint: Fingerprint
    """Stable identity across runs; exceptions and baselines match on it."""
    evidence: str | None = None
    """Redacted evidence (``AKIA****``); never the raw value."""
    package: PackageRef | None = None
    vulnerability_id: str | None = None
    aliases: tuple[str, ...] = ()
    cvss_score: float | None = None
    fixed_versions: tuple[str, ...] = ()
    properties: Mapping[str, PropertyValue] = field(default_factory=dict)
    """Extra, check-specific facts rendered in reports (SARIF ``properties``)."""


@dataclass(frozen=True)
class ScanNote:
    """Something the scan did on purpose that a reader must know (never silently)."""

    kind: str
    """e.g. ``skipped-large-file``, ``binary-printable-runs``, ``dockerignore-excluded``."""
    count: int
    detail: str


@dataclass(frozen=True)
class CheckResult:
    """The output of one analyzer/verifier for one check."""

    check: Check
    findings: tuple[Finding, ...]
    rules: tuple[Rule, ...]
    """Every rule the check ran (reporters list them; a rule with no finding passed)."""
    notes: tuple[ScanNote, ...] = ()
    stats: Mapping[str, int] = field(default_factory=dict)
    """Counters for the report, e.g. ``files_scanned``, ``bytes_scanned``, ``packages``."""
    metadata: Mapping[str, PropertyValue] = field(default_factory=dict)
    """Facts about the run of the check (e.g. advisory database name and date)."""


@dataclass(frozen=True)
class ImageSummary:
    """What the reports say about the scanned image."""

    reference: str
    manifest_digest: str
    config_digest: str
    platform: str
    layers: tuple[LayerRef, ...]
    created: str | None = None


class FindingStatus(str, enum.Enum):
    """What the policy made of a finding."""

    BLOCKING = "blocking"
    """Counts against a threshold that is exceeded: the gate fails because of it."""
    ALLOWED = "allowed"
    """Reported, but within the policy's thresholds (or the policy is in warn mode)."""
    SUPPRESSED = "suppressed"
    """Matched by a valid policy exception: shown as suppressed, never counted."""


class Verdict(str, enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"

    @property
    def exit_code(self) -> int:
        return {Verdict.PASS: 0, Verdict.FAIL: 1, Verdict.ERROR: 2}[self]


@dataclass(frozen=True)
class ExceptionRef:
    """A policy exception (``[[ignore]]``) as reports show it."""

    index: int
    """Position in the policy file's ``ignore`` array (0-based)."""
    reason: str
    expires: str | None
    rule: str | None = None
    fingerprint: str | None = None
    path: str | None = None
    expired: bool = False


@dataclass(frozen=True)
class EvaluatedFinding:
    finding: Finding
    status: FindingStatus
    reason: str = ""
    """Why it blocks / is allowed / is suppressed, in one line."""
    exception: ExceptionRef | None = None
    baseline: str | None = None
    """``new`` or ``unchanged`` when a baseline report was given."""


@dataclass(frozen=True)
class Violation:
    """One broken policy rule; a failing decision lists every one of them."""

    check: Check | None
    message: str


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    mode: str
    """``enforce`` or ``warn`` (warn reports violations but passes)."""
    violations: tuple[Violation, ...]
    findings: tuple[EvaluatedFinding, ...]
    expired_exceptions: tuple[ExceptionRef, ...] = ()
    unused_exceptions: tuple[ExceptionRef, ...] = ()
    checks_run: tuple[Check, ...] = ()
    fixed: tuple[Finding, ...] = ()
    """Findings of the baseline report that are gone (when a baseline was given)."""


@dataclass(frozen=True)
class ControlResult:
    """One compliance control, as the policy decision leaves it (configuration issue)."""

    regime: str
    """``cis-docker``, ``nist-800-53``, ``pci-dss``, ``hipaa``, ``iso-27001``."""
    control: str
    title: str
    status: str
    """``pass``, ``fail`` (a finding against it is not suppressed) or ``not-evaluated`` (no
    rule or check for it ran)."""
    rules: tuple[str, ...] = ()
    """The rules (and checks) that evaluate it in this run."""
    findings: tuple[Fingerprint, ...] = ()
    """Fingerprints of the findings behind a failure."""
    suppressed: int = 0
    """Findings against it that policy exceptions suppressed."""


@dataclass(frozen=True)
class Report:
    """Everything a reporter may render. Reporters only render; they decide nothing."""

    tool_version: str
    generated_at: str
    """RFC 3339 UTC."""
    policy_path: str
    image: ImageSummary | None
    context_path: str | None
    checks: tuple[CheckResult, ...]
    decision: Decision
    duration_seconds: float = 0.0
    compliance: tuple[ControlResult, ...] = ()
    """Per-control pass/fail for the regimes the run reports on."""


@dataclass(frozen=True)
class OSInfo:
    """The operating system of an image (``/etc/os-release`` or its fallbacks)."""

    id: str
    """``ID`` of os-release, lower case: ``debian``, ``ubuntu``, ``alpine``, ``rhel``, ``amzn``."""
    version_id: str = ""
    """``VERSION_ID``: ``12``, ``22.04``, ``3.19.1``; empty when the file has none (sid, edge)."""
    pretty_name: str = ""
    version_codename: str = ""
    id_like: tuple[str, ...] = ()
    found_in: str = "/etc/os-release"
    """The file it was read from, absolute in the image."""
    layer: LayerRef | None = None


@dataclass(frozen=True)
class Inventory:
    """Every package an image (or an SBOM) ships: the input of vulnerability matching."""

    source: str
    """What was inventoried: the image reference, or ``sbom:<file>``."""
    os: OSInfo | None
    packages: tuple[InstalledPackage, ...]
    notes: tuple[ScanNote, ...] = ()
    """Databases that could not be read, formats seen but not supported, ..."""
