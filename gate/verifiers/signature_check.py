"""The signature check (``Check.SIGNATURE``): discovery's artifacts + ``[signature]`` -> findings.

Data flow: a :class:`~gate.verifiers.artifacts.SignatureSource` (registry, OCI layout) finds the
artifacts of the image digest; each is unpacked (:mod:`gate.verifiers.material`); the policy
objects (:mod:`gate.verifiers.policy`) try every artifact against every accepted signer; each
requirement that no artifact satisfies becomes one finding at the image, whose message lists
every reason of every attempt. Verified signatures are reported as notes. Whether the findings
block is the policy evaluation's decision (``signature.required``), not this module's.

Options (``ScanTarget.options``, filled by the pipeline): ``signature_policy``
(:class:`~gate.policy.model.SignaturePolicy`), ``signature_source``, ``trusted_root`` (a path, or
None for the sigstore public-good root embedded in sigstore-python), ``policy_source``.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from gate.analyzers.interface import ScanTarget
from gate.errors import SignatureError
from gate.models import (
    Check,
    CheckResult,
    Finding,
    Fingerprint,
    Location,
    LocationKind,
    PropertyValue,
    Rule,
    ScanNote,
)
from gate.policy.model import SignaturePolicy
from gate.verifiers import rules
from gate.verifiers.artifacts import DiscoveryResult, SignatureSource
from gate.verifiers.material import SCHEME_NAMES, Material, Role, unpack
from gate.verifiers.policy import Attempt, Requirement, build_policy
from gate.verifiers.trust import TrustRoot, load_trust_root
from gate.verifiers.verification import Reason, ReasonKind, VerifyContext


class SignatureVerifier:
    """The signature check: an :class:`~gate.analyzers.interface.Analyzer`."""

    check = Check.SIGNATURE

    def run(self, target: ScanTarget) -> CheckResult:
        options = target.options
        policy = options.get("signature_policy")
        if not isinstance(policy, SignaturePolicy):
            policy = SignaturePolicy()
        if target.image is None:
            note = ScanNote(
                "signature-not-checked", 1, "no image was given; only an image carries signatures"
            )
            return CheckResult(Check.SIGNATURE, (), rules.ALL_RULES, notes=(note,))
        source = options.get("signature_source")
        if source is None:
            from gate.sources.signatures.factory import signature_source_for

            source = signature_source_for(target.image, options.get("registry"))
        trusted_root = options.get("trusted_root")
        return verify_image(
            target.image.manifest_digest,
            target.image.reference,
            source,
            policy,
            trusted_root=Path(trusted_root) if trusted_root else None,
            policy_source=str(options.get("policy_source") or "policy"),
            index_digest=target.image.index_digest,
        )


def verify_image(
    digest: str,
    reference: str,
    source: SignatureSource | None,
    policy: SignaturePolicy,
    *,
    trusted_root: Path | None = None,
    policy_source: str = "policy",
    index_digest: str | None = None,
) -> CheckResult:
    """Verify the signatures and attestations of the image ``digest`` against ``policy``.

    The policy's keys and an explicit trusted root are loaded first, so a bad input is reported
    as such before any discovery (and whatever discovery would have found)."""
    objects = build_policy(policy, policy_source)
    explicit_root = load_trust_root(trusted_root) if trusted_root is not None else None
    if source is None:
        raise SignatureError(
            f"cannot check the signature of {reference}: no signature source for this image",
            hint="the image source must provide signature discovery",
        )
    loaded: list[TrustRoot] = []

    def trust() -> TrustRoot:
        root = explicit_root or load_trust_root(None)
        loaded.append(root)
        return root

    discovery = _discover(source, digest, index_digest)
    materials = [unpack(i + 1, artifact) for i, artifact in enumerate(discovery.artifacts)]
    ctx = VerifyContext(
        image_digest=digest,
        image_reference=reference,
        trust_loader=trust,
        require_tlog=policy.require_tlog,
        docker_reference=policy.docker_reference,
        index_digest=index_digest if index_digest != digest else None,
    )
    report = _Report(digest, reference, discovery, materials)
    if objects.any_of is not None:
        report.signature(objects.any_of.evaluate(materials, ctx), "any")
    if objects.all_of is not None:
        for requirement in objects.all_of.evaluate(materials, ctx):
            report.signature(requirement, "all")
    for attestation in objects.attestations:
        report.attestation(attestation.evaluate(materials, ctx), attestation.spec.predicate_type)
    if objects.any_of is None and objects.all_of is None and not objects.attestations:
        report.notes.append(
            ScanNote(
                "signature-not-verified",
                1,
                f"{report.count(Role.SIGNATURE)} signature(s), "
                f"{report.count(Role.ATTESTATION)} attestation(s) found; [signature] names no "
                "signers, so none was verified",
            )
        )
    return report.result(loaded[0].name if loaded else None)


def _discover(source: SignatureSource, digest: str, index_digest: str | None) -> DiscoveryResult:
    """The artifacts of the image, and of the index it was picked from (if any)."""
    results = [source.discover(digest)]
    if index_digest and index_digest != digest:
        results.append(source.discover(index_digest))
    for result, asked in zip(results, (digest, index_digest), strict=False):
        if result.subject_digest != asked:
            raise SignatureError(
                f"{source.describe()} returned signatures of {result.subject_digest}, "
                f"but asked for {asked}"
            )
    if len(results) == 1:
        return results[0]
    index = results[1]
    return replace(
        results[0],
        artifacts=results[0].artifacts + index.artifacts,
        schemes_tried=tuple(dict.fromkeys(results[0].schemes_tried + index.schemes_tried)),
        notes=results[0].notes + index.notes,
    )


class _Report:
    def __init__(
        self,
        digest: str,
        reference: str,
        discovery: DiscoveryResult,
        materials: Sequence[Material],
    ) -> None:
        self.digest = digest
        self.reference = reference
        self.discovery = discovery
        self.materials = materials
        self.findings: list[Finding] = []
        self.notes: list[ScanNote] = [
            ScanNote("signature-discovery", 1, note) for note in discovery.notes
        ]
        self.verified = 0
        unreadable = [m for m in materials if m.problems]
        if unreadable:
            self.notes.append(
                ScanNote(
                    "unreadable-signature-artifact",
                    len(unreadable),
                    "; ".join(f"{m.label}: {m.problems[0]}" for m in unreadable),
                )
            )

    def count(self, role: Role) -> int:
        return sum(1 for m in self.materials if m.role is role)

    def looked_at(self) -> str:
        names = [SCHEME_NAMES.get(s, s.value) for s in self.discovery.schemes_tried]
        return ", ".join(names) or "nowhere"

    # -- one requirement -> a note or a finding ----------------------------------------------

    def signature(self, requirement: Requirement, mode: str) -> None:
        if requirement.satisfied_by is not None:
            self._verified("signature-verified", requirement, requirement.satisfied_by)
            return
        rule = _signature_rule(requirement)
        who = requirement.signers[0].describe() if mode == "all" else ""
        if not requirement.attempts:
            head = f"no signature found (looked at: {self.looked_at()})"
            others = self.count(Role.ATTESTATION)
            if others:
                head += f"; {others} attestation(s) found, which are not signatures"
            if who:
                head = f"{who} ({requirement.title}) has not signed: " + head
            if self.discovery.notes:
                head += "; " + "; ".join(self.discovery.notes)
        elif mode == "all":
            head = f"{who} ({requirement.title}) has not signed this image"
        else:
            accepted = ", ".join(s.describe() for s in requirement.signers)
            head = f"no signature verifies for an accepted signer ({accepted})"
        self._finding(rule, requirement, head)

    def attestation(self, requirement: Requirement, predicate_type: str) -> None:
        if requirement.satisfied_by is not None:
            self._verified("attestation-verified", requirement, requirement.satisfied_by)
            return
        if not requirement.attempts:
            types = sorted(
                {
                    m.statement.predicate_type
                    for m in self.materials
                    if m.role is Role.ATTESTATION and m.statement is not None
                }
            )
            found = f"found: {', '.join(types)}" if types else "no attestation found"
            unreadable = sum(
                1
                for m in self.materials
                if m.role in (Role.ATTESTATION, None) and m.statement is None
            )
            if unreadable:
                found += f"; {unreadable} unreadable attestation(s)"
            head = (
                f"no attestation of type {predicate_type} ({found}; looked at: {self.looked_at()})"
            )
            self._finding(rules.ATTESTATION_MISSING, requirement, head)
            return
        kinds = _attempt_kinds(requirement.attempts)
        rule = (
            rules.ATTESTATION_CONDITION
            if any(k and k <= {ReasonKind.PREDICATE} for k in kinds)
            else rules.ATTESTATION_INVALID
        )
        head = f"no attestation of type {predicate_type} verifies for an accepted signer"
        self._finding(rule, requirement, head)

    def _verified(self, kind: str, requirement: Requirement, attempt: Attempt) -> None:
        self.verified += 1
        facts = "; ".join(dict.fromkeys(attempt.outcome.facts))
        detail = f"{requirement.title}: {attempt.material.label} verified"
        detail += f" for {attempt.signer.describe()}" + (f" ({facts})" if facts else "")
        self.notes.append(ScanNote(kind, 1, detail))

    def _finding(self, rule: Rule, requirement: Requirement, head: str) -> None:
        lines = _reason_lines(requirement.attempts)
        message = head + (": " + "; ".join(lines) if lines else "")
        key = f"{rule.id}|{self.digest}|{requirement.title}"
        properties: dict[str, PropertyValue] = {
            "requirement": requirement.title,
            "image_digest": self.digest,
            "reasons": tuple(lines),
            "looked_at": tuple(SCHEME_NAMES.get(s, s.value) for s in self.discovery.schemes_tried),
            "artifacts_found": len(self.materials),
        }
        self.findings.append(
            Finding(
                check=Check.SIGNATURE,
                rule_id=rule.id,
                severity=rule.severity,
                message=message,
                location=Location(kind=LocationKind.IMAGE, path=self.reference),
                fingerprint=Fingerprint(hashlib.sha256(key.encode()).hexdigest()[:40]),
                properties=properties,
            )
        )

    def result(self, trust_name: str | None) -> CheckResult:
        metadata: dict[str, PropertyValue] = {
            "image_digest": self.digest,
            "looked_at": tuple(SCHEME_NAMES.get(s, s.value) for s in self.discovery.schemes_tried),
        }
        if trust_name is not None:
            metadata["trusted_root"] = trust_name
        stats = Counter(
            {
                "artifacts_found": len(self.materials),
                "signatures_found": self.count(Role.SIGNATURE),
                "attestations_found": self.count(Role.ATTESTATION),
                "requirements_verified": self.verified,
            }
        )
        return CheckResult(
            check=Check.SIGNATURE,
            findings=tuple(self.findings),
            rules=rules.ALL_RULES,
            notes=tuple(self.notes),
            stats=dict(stats),
            metadata=metadata,
        )


def _attempt_kinds(attempts: Sequence[Attempt]) -> list[set[ReasonKind]]:
    return [{r.kind for r in a.outcome.reasons} for a in attempts]


def _signature_rule(requirement: Requirement) -> Rule:
    """The failure that came closest to passing: an attempt whose only problem is the signer's
    identity is an identity mismatch, one whose only problem is the digest signed is a copied
    signature, and so on; anything else is an invalid signature."""
    if not requirement.attempts:
        return rules.MISSING
    kinds = _attempt_kinds(requirement.attempts)

    def some(allowed: set[ReasonKind]) -> bool:
        return any(k and k <= allowed for k in kinds)

    if some({ReasonKind.IDENTITY}):
        return rules.IDENTITY_MISMATCH
    if some({ReasonKind.TLOG_MISSING}):
        return rules.TLOG_MISSING
    if some({ReasonKind.REFERENCE}):
        return rules.REFERENCE_MISMATCH
    if some({ReasonKind.DIGEST, ReasonKind.REFERENCE}):
        return rules.DIGEST_MISMATCH
    return rules.INVALID


def _reason_lines(attempts: Sequence[Attempt]) -> list[str]:
    """One line per artifact: the reasons every signer shares (what the artifact signs, its
    format), then each signer's own reasons, after the signer's name."""
    by_material: dict[int, list[Attempt]] = {}
    for attempt in attempts:
        by_material.setdefault(attempt.material.number, []).append(attempt)
    lines = []
    for group in by_material.values():
        material = group[0].material
        shared = (
            set.intersection(*(set(a.outcome.reasons) for a in group)) if len(group) > 1 else set()
        )
        ordered_shared = [r for r in group[0].outcome.reasons if r in shared]
        parts = [_texts(ordered_shared)] if ordered_shared else []
        for attempt in group:
            own = [r for r in attempt.outcome.reasons if r not in shared]
            if own:
                parts.append(f"for {attempt.signer.describe()}: {_texts(own)}")
        lines.append(f"{material.label}: " + "; ".join(parts))
    return lines


def _texts(reasons: Sequence[Reason]) -> str:
    return ", ".join(dict.fromkeys(r.text for r in reasons))


__all__ = ["SignatureVerifier", "verify_image"]
