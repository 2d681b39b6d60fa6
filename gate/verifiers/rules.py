"""The rules of the signature check. A failed requirement is one finding; its rule says what
kind of failure came closest to passing, its message lists every reason."""

from __future__ import annotations

from collections.abc import Mapping

from gate.models import Check, Rule, RuleID, Severity

_SIGSTORE = "https://docs.sigstore.dev/cosign/verifying/verify/"


def _rule(rule_id: str, title: str, severity: Severity, description: str, fix: str) -> Rule:
    return Rule(
        id=RuleID(rule_id),
        check=Check.SIGNATURE,
        title=title,
        severity=severity,
        description=description,
        remediation=fix,
        tags=("supply-chain", "signature"),
        help_uri=_SIGSTORE,
    )


MISSING = _rule(
    "signature/missing",
    "Image is not signed",
    Severity.HIGH,
    "No signature was found for the image digest in any place discovery looked.",
    "Sign the image by digest in CI (`cosign sign --key ... IMAGE@sha256:...` or keyless with the "
    "CI's OIDC identity) and push the signature next to the image.",
)
INVALID = _rule(
    "signature/invalid",
    "Signature does not verify",
    Severity.CRITICAL,
    "A signature was found but it does not verify for any accepted signer: wrong key, changed "
    "payload, a certificate that does not chain to the trusted root, an invalid transparency "
    "log entry, or a certificate that was not valid when the signature was made.",
    "Re-sign the image with an accepted key or identity; if the payload changed after signing, "
    "treat the image as tampered with.",
)
DIGEST_MISMATCH = _rule(
    "signature/digest-mismatch",
    "Signature is for another image",
    Severity.CRITICAL,
    "The signature verifies but signs another manifest digest: a signature copied from another "
    "image, or an image rebuilt after signing.",
    "Sign the digest that is deployed (sign by digest, after the last push).",
)
REFERENCE_MISMATCH = _rule(
    "signature/reference-mismatch",
    "Signature names another repository",
    Severity.HIGH,
    "The signature's docker-reference is not the repository `signature.docker_reference` names.",
    "Sign the image under the repository it is published to.",
)
IDENTITY_MISMATCH = _rule(
    "signature/identity-mismatch",
    "Signed by a signer the policy does not accept",
    Severity.HIGH,
    "The signature verifies, but its certificate identity, OIDC issuer or workflow claims are not "
    "those of any accepted signer.",
    "Sign from the accepted identity (e.g. the release workflow on the main branch), or add the "
    "signer to `[signature]` after review.",
)
TLOG_MISSING = _rule(
    "signature/tlog-missing",
    "Signature has no transparency log entry",
    Severity.HIGH,
    "The policy requires a Rekor transparency log entry (`require_tlog = true`), or the "
    "signature is keyless and needs one to prove its signing time, and none came with it.",
    "Sign with transparency log upload enabled (cosign's default; not `--tlog-upload=false`).",
)
ATTESTATION_MISSING = _rule(
    "attestation/missing",
    "Required attestation is missing",
    Severity.HIGH,
    "No attestation of the predicate type the policy requires was found for the image.",
    "Attach the attestation in CI (`cosign attest --type ... IMAGE@sha256:...`, "
    "`actions/attest-build-provenance` with `push-to-registry: true`).",
)
ATTESTATION_INVALID = _rule(
    "attestation/invalid",
    "Attestation does not verify",
    Severity.CRITICAL,
    "An attestation of the required type was found, but it is not signed by an accepted signer, "
    "does not verify, or is about another image.",
    "Attest the deployed digest with an accepted key or identity.",
)
ATTESTATION_CONDITION = _rule(
    "attestation/condition-failed",
    "Attestation predicate fails a policy condition",
    Severity.HIGH,
    "A verified attestation of the required type exists, but its predicate does not have the "
    "values `conditions` requires (e.g. another builder id or source repository).",
    "Build and attest the image with the required builder and source.",
)

ALL_RULES: tuple[Rule, ...] = (
    MISSING,
    INVALID,
    DIGEST_MISMATCH,
    REFERENCE_MISMATCH,
    IDENTITY_MISMATCH,
    TLOG_MISSING,
    ATTESTATION_MISSING,
    ATTESTATION_INVALID,
    ATTESTATION_CONDITION,
)
RULES_BY_ID: Mapping[str, Rule] = {r.id: r for r in ALL_RULES}

__all__ = [
    "ALL_RULES",
    "ATTESTATION_CONDITION",
    "ATTESTATION_INVALID",
    "ATTESTATION_MISSING",
    "DIGEST_MISMATCH",
    "IDENTITY_MISMATCH",
    "INVALID",
    "MISSING",
    "REFERENCE_MISMATCH",
    "RULES_BY_ID",
    "TLOG_MISSING",
]
