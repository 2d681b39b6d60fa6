"""The loaded policy: typed, frozen, defaults filled in.

:mod:`gate.policy.loader` builds these from a validated TOML file; every other stage reads them
and nothing else (no stage sees the raw TOML). Defaults here equal the ``default`` keywords of
``schema.json`` (a test holds them together).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from gate.models import Check, ExceptionRef, Severity

Mode = Literal["enforce", "warn"]
GateOn = Literal["all", "new"]


@dataclass(frozen=True)
class Thresholds:
    """Maximum number of findings allowed per severity (exact severity, not "and above")."""

    critical: int | None = None
    """At most this many critical findings; None = unlimited."""
    high: int | None = None
    """At most this many high findings; None = unlimited."""
    medium: int | None = None
    """At most this many medium findings; None = unlimited."""
    low: int | None = None
    """At most this many low findings; None = unlimited."""
    info: int | None = None
    """At most this many informational findings; None = unlimited."""

    def limit(self, severity: Severity) -> int | None:
        value: int | None = getattr(self, severity.value)
        return value

    def items(self) -> tuple[tuple[Severity, int], ...]:
        """The set limits, worst severity first."""
        pairs = [(s, self.limit(s)) for s in Severity]
        return tuple((s, n) for s, n in pairs if n is not None)

    def with_fail_on(self, severity: Severity) -> Thresholds:
        """Limit 0 for ``severity`` and every worse one (``--fail-on``); lower limits stay."""
        changes = {s.value: 0 for s in Severity if s.rank >= severity.rank}
        current = {s.value: self.limit(s) for s in Severity}
        current.update(changes)
        return Thresholds(**current)


@dataclass(frozen=True)
class SecretsPolicy:
    """``[secrets]``."""

    thresholds: Thresholds = Thresholds(critical=0, high=0, medium=0)
    """Findings allowed per severity before the gate fails."""
    scan_context: bool = True
    """Scan the build context files a ``COPY . .`` would send."""
    scan_history: bool = True
    """Scan the image history (``created_by``, build arguments)."""
    max_file_size: int = 33554432
    """Bytes; larger files get a printable-run scan of their head and a counted note."""


@dataclass(frozen=True)
class VulnerabilityPolicy:
    """``[vulnerabilities]``."""

    thresholds: Thresholds = Thresholds(critical=0, high=0)
    """Findings allowed per severity before the gate fails."""
    min_cvss: float = 0.0
    """Vulnerabilities whose known CVSS score is below this are dropped (unknown scores stay)."""
    only_fixed: bool = False
    """Drop vulnerabilities that have no fixed version."""
    max_db_age_days: int = 7
    """An advisory database older than this is a violation; 0 = no limit."""


@dataclass(frozen=True)
class RuleOverride:
    """``[config.rules."ID"]``: one rule re-graded, scoped or turned off."""

    rule_id: str
    """The rule it overrides (the table's key)."""
    enabled: bool = True
    """False drops every finding of the rule."""
    severity: Severity | None = None
    """New severity for the rule's findings; None keeps the rule's."""
    paths: tuple[str, ...] = ()
    """Globs (``**`` crosses directories): the rule applies only to findings at these paths."""
    stages: tuple[str, ...] = ()
    """Build stages (names, or ``final``) the rule applies to; empty = every stage."""


@dataclass(frozen=True)
class ConfigPolicy:
    """``[config]``."""

    thresholds: Thresholds = Thresholds(critical=0, high=0)
    """Findings allowed per severity before the gate fails."""
    pin_base_digest: bool = False
    """Require every ``FROM`` to pin its base image by digest."""
    allowed_registries: tuple[str, ...] = ()
    """Allowed base image prefixes (``docker.io/library``); empty = any."""
    max_image_age_days: int = 0
    """Older images are a finding; 0 = off."""
    required_labels: tuple[str, ...] = (
        "org.opencontainers.image.source",
        "org.opencontainers.image.revision",
    )
    """Labels the image config must carry."""
    rules: Mapping[str, RuleOverride] = field(default_factory=dict)
    """Per-rule overrides keyed by rule id."""
    compliance: tuple[str, ...] = ()
    """Compliance regimes the reports summarise per control (``cis-docker``, ...)."""


SIGNER_CLAIMS: tuple[str, ...] = (
    "github_workflow_repository",
    "github_workflow_ref",
    "github_workflow_trigger",
    "github_workflow_sha",
    "github_workflow_name",
    "build_config_uri",
    "build_signer_uri",
    "source_repository_uri",
    "runner_environment",
)
"""Fulcio certificate claims a keyless signer may require (``[[signature.signers]]`` keys)."""


@dataclass(frozen=True)
class SignerSpec:
    """One accepted signer: a public key, or a keyless (Fulcio certificate) identity."""

    key: str | None = None
    """Public key reference as written: a PEM file path or a KMS-style URI (``scheme://...``)."""
    key_path: Path | None = None
    """``key`` resolved against the directory of the policy file that names it (files only)."""
    identity: str | None = None
    """Exact certificate identity (SAN), e.g. a workflow URI or an e-mail."""
    identity_regexp: str | None = None
    """Regular expression the certificate identity must fully match (instead of ``identity``)."""
    issuer: str | None = None
    """Exact OIDC issuer of the certificate (keyless)."""
    issuer_regexp: str | None = None
    """Regular expression the OIDC issuer must fully match (instead of ``issuer``)."""
    claims: Mapping[str, str] = field(default_factory=dict)
    """Keyless: certificate claims that must equal these values (``SIGNER_CLAIMS`` names, e.g.
    ``github_workflow_ref = "refs/heads/main"``)."""

    @property
    def keyless(self) -> bool:
        return self.key is None


@dataclass(frozen=True)
class AttestationSpec:
    """``[[signature.attestations]]``: an attestation the image must carry."""

    predicate_type: str
    """in-toto predicate type URI, e.g. ``https://slsa.dev/provenance/v1``."""
    conditions: Mapping[str, str | int | float | bool] = field(default_factory=dict)
    """Dotted predicate field -> required value."""


@dataclass(frozen=True)
class SignaturePolicy:
    """``[signature]``."""

    required: bool = False
    """A missing or unverified signature blocks the gate."""
    require_tlog: bool = False
    """Require a transparency log inclusion proof."""
    signers: tuple[SignerSpec, ...] = ()
    """Any one of these suffices."""
    all_of: tuple[SignerSpec, ...] | None = None
    """All of these must have signed; None when not set (an empty set is refused at load)."""
    attestations: tuple[AttestationSpec, ...] = ()
    """Attestations the image must carry."""
    docker_reference: str | None = None
    """Repository the signatures must name (simple-signing ``docker-reference``, in-toto
    subject name), tag and digest ignored; None = not checked."""


@dataclass(frozen=True)
class IgnoreRule:
    """``[[ignore]]``: an exception. All given criteria must match; it lapses after ``expires``."""

    index: int
    """Position in the merged ``ignore`` array (base policy entries first)."""
    reason: str
    """Why the exception is acceptable (shown in every report)."""
    expires: dt.date
    """Last day the exception applies."""
    rule: str | None = None
    """Rule id, vulnerability id or any alias of it."""
    fingerprint: str | None = None
    """One finding (for a secret: one secret value wherever it appears)."""
    path: str | None = None
    """Glob on the finding's path (``**`` crosses directories; image paths with or without
    their leading ``/``)."""
    package: str | None = None
    """Package name (binary or source) the finding is about."""
    versions: str | None = None
    """Version range of the package (``">=2.10, <2.11.3"``), in its ecosystem's ordering."""
    source: str = ""
    """The policy file that declared it."""

    def is_expired(self, today: dt.date) -> bool:
        return today > self.expires

    def ref(self, today: dt.date) -> ExceptionRef:
        return ExceptionRef(
            index=self.index,
            reason=self.reason,
            expires=self.expires.isoformat(),
            rule=self.rule,
            fingerprint=self.fingerprint,
            path=self.path,
            expired=self.is_expired(today),
        )


_DEFAULT_CHECKS: Mapping[Check, bool] = {
    Check.SECRETS: True,
    Check.CONFIG: True,
    Check.VULNERABILITIES: True,
    Check.SIGNATURE: False,
}


@dataclass(frozen=True)
class Policy:
    """A whole policy, ``extends`` chain merged."""

    version: int = 1
    """Policy format version."""
    mode: Mode = "enforce"
    """``enforce`` fails on violations; ``warn`` reports them and passes."""
    gate_on: GateOn = "all"
    """``new``: with a baseline, only findings absent from it count against thresholds."""
    checks: Mapping[Check, bool] = field(default_factory=lambda: dict(_DEFAULT_CHECKS))
    """Which checks run when the command line does not say."""
    secrets: SecretsPolicy = SecretsPolicy()
    """``[secrets]``."""
    vulnerabilities: VulnerabilityPolicy = VulnerabilityPolicy()
    """``[vulnerabilities]``."""
    config: ConfigPolicy = ConfigPolicy()
    """``[config]``."""
    signature: SignaturePolicy = SignaturePolicy()
    """``[signature]``."""
    ignore: tuple[IgnoreRule, ...] = ()
    """Exceptions, base policy entries first."""
    source: str = ""
    """The file loaded (or ``preset:NAME``)."""
    sources: tuple[str, ...] = ()
    """Every file merged, base first."""

    def enabled_checks(self) -> tuple[Check, ...]:
        """Checks the policy turns on, in the order of :class:`~gate.models.Check`."""
        return tuple(c for c in Check if self.checks.get(c, False))

    def thresholds(self, check: Check) -> Thresholds | None:
        """The thresholds of a check; None for a check without thresholds (signature)."""
        if check is Check.SECRETS:
            return self.secrets.thresholds
        if check is Check.VULNERABILITIES:
            return self.vulnerabilities.thresholds
        if check is Check.CONFIG:
            return self.config.thresholds
        return None


__all__ = [
    "SIGNER_CLAIMS",
    "AttestationSpec",
    "ConfigPolicy",
    "GateOn",
    "IgnoreRule",
    "Mode",
    "Policy",
    "RuleOverride",
    "SecretsPolicy",
    "SignaturePolicy",
    "SignerSpec",
    "Thresholds",
    "VulnerabilityPolicy",
]
