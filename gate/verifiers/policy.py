"""Who must have signed: small composable policy objects in the style of sigstore-python's
``sigstore.verify.policy`` (``Identity``, ``AnyOf``, ``AllOf``), built from ``[signature]``.

Two differences from sigstore-python, both on purpose:

* nothing raises at the first failure: a signer's :meth:`check` returns an
  :class:`~gate.verifiers.verification.Outcome` with every reason, and a requirement keeps every
  attempt (each signature against each signer), so a failing gate can say everything at once;
* identities are matched exactly or by a regular expression that must match the whole value
  (``re.fullmatch``: ``.*@example\\.com`` does not accept ``evil@example.com.attacker.io``).

An empty :class:`AnyOf` or :class:`AllOf` is refused when it is built (a
:class:`~gate.errors.PolicyError`): "any of nobody" and "all of nobody" are not policies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from gate.errors import PolicyError, SignatureError
from gate.policy.model import AttestationSpec, SignaturePolicy, SignerSpec
from gate.verifiers import fulcio
from gate.verifiers.keys import PublicKey, describe_key, load_public_key
from gate.verifiers.material import Material, Role
from gate.verifiers.verification import Outcome, Reason, ReasonKind, VerifyContext

# -- matching one value ------------------------------------------------------------------------


class Matcher(Protocol):
    def matches(self, value: str) -> bool: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class Exact:
    value: str

    def matches(self, value: str) -> bool:
        return value == self.value

    def describe(self) -> str:
        return self.value


@dataclass(frozen=True)
class Pattern:
    """A regular expression that must match the entire value."""

    pattern: str

    def matches(self, value: str) -> bool:
        return re.fullmatch(self.pattern, value) is not None

    def describe(self) -> str:
        return f"regexp {self.pattern}"


# -- signers -----------------------------------------------------------------------------------


class Signer(Protocol):
    def describe(self) -> str: ...

    def check(self, material: Material, ctx: VerifyContext) -> Outcome: ...


@dataclass(frozen=True)
class Key:
    """A public key (cosign ``--key``)."""

    key: PublicKey
    label: str
    """How the policy names it: ``key keys/cosign.pub``."""

    def describe(self) -> str:
        return self.label

    def check(self, material: Material, ctx: VerifyContext) -> Outcome:
        return ctx.binding(material) + ctx.with_key(material, self.key)


@dataclass(frozen=True)
class Identity:
    """A keyless signer: certificate identity (SAN) and OIDC issuer, and optional claims."""

    identity: Matcher
    issuer: Matcher
    claims: tuple[tuple[str, Matcher], ...] = ()

    def describe(self) -> str:
        text = f"identity {self.identity.describe()} (issuer {self.issuer.describe()})"
        for name, matcher in self.claims:
            text += f" with {name} {matcher.describe()}"
        return text

    def check(self, material: Material, ctx: VerifyContext) -> Outcome:
        outcome = ctx.binding(material)
        if material.kind is None:
            return outcome
        cert = material.certificate
        if cert is None:
            return outcome + Outcome(
                (
                    Reason(
                        ReasonKind.IDENTITY,
                        f"it is signed with a key, not with a certificate for {self.describe()}",
                    ),
                )
            )
        outcome += ctx.keyless(material)
        who = fulcio.identity_of(cert)
        found: list[Reason] = []
        if not any(self.identity.matches(name) for name in who.sans):
            shown = ", ".join(who.sans) or "(none)"
            found.append(
                Reason(
                    ReasonKind.IDENTITY,
                    f"identity {shown} not allowed (allowed: {self.identity.describe()})",
                )
            )
        if who.issuer is None:
            found.append(Reason(ReasonKind.IDENTITY, "the certificate names no OIDC issuer"))
        elif not self.issuer.matches(who.issuer):
            found.append(
                Reason(
                    ReasonKind.IDENTITY,
                    f"issuer {who.issuer} not allowed (allowed: {self.issuer.describe()})",
                )
            )
        for name, matcher in self.claims:
            value = who.claims.get(name)
            if value is None:
                found.append(
                    Reason(
                        ReasonKind.IDENTITY,
                        f"the certificate has no {name} (required: {matcher.describe()})",
                    )
                )
            elif not matcher.matches(value):
                found.append(
                    Reason(
                        ReasonKind.IDENTITY,
                        f"{name} {value} not allowed (allowed: {matcher.describe()})",
                    )
                )
        return outcome + Outcome(tuple(found), (f"signed by {who.describe()}",))


# -- requirements ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    material: Material
    signer: Signer
    outcome: Outcome


@dataclass(frozen=True)
class Requirement:
    """The result of one thing the policy requires (one of the signers, one all_of member,
    one attestation)."""

    title: str
    signers: tuple[Signer, ...]
    attempts: tuple[Attempt, ...]
    satisfied_by: Attempt | None

    @property
    def ok(self) -> bool:
        return self.satisfied_by is not None


def _evaluate(
    title: str,
    signers: Sequence[Signer],
    materials: Iterable[Material],
    ctx: VerifyContext,
    extra: Callable[[Material], Outcome] | None = None,
) -> Requirement:
    attempts = []
    for material in materials:
        for signer in signers:
            outcome = signer.check(material, ctx)
            if extra is not None and material.kind is not None:
                outcome += extra(material)
            attempts.append(Attempt(material, signer, outcome))
    satisfied = next((a for a in attempts if a.outcome.ok), None)
    return Requirement(title, tuple(signers), tuple(attempts), satisfied)


class AnyOf:
    """Any one signer suffices. Empty is refused."""

    def __init__(self, signers: Sequence[Signer], *, title: str, source: str = "policy") -> None:
        if not signers:
            raise PolicyError(
                source, [f"{title}: an empty list of signers cannot be satisfied by anyone"]
            )
        self.signers = tuple(signers)
        self.title = title

    def evaluate(self, materials: Sequence[Material], ctx: VerifyContext) -> Requirement:
        signatures = [m for m in materials if m.role in (Role.SIGNATURE, None)]
        return _evaluate(self.title, self.signers, signatures, ctx)


class AllOf:
    """Every signer must have signed. Empty is refused (it would accept any image)."""

    def __init__(self, signers: Sequence[Signer], *, title: str, source: str = "policy") -> None:
        if not signers:
            raise PolicyError(
                source, [f"{title}: must not be empty (an empty all_of would accept any image)"]
            )
        self.signers = tuple(signers)
        self.title = title

    def evaluate(self, materials: Sequence[Material], ctx: VerifyContext) -> list[Requirement]:
        signatures = [m for m in materials if m.role in (Role.SIGNATURE, None)]
        return [
            _evaluate(f"{self.title}[{i}]", (signer,), signatures, ctx)
            for i, signer in enumerate(self.signers)
        ]


class Attestation:
    """An attestation of one predicate type, signed by any of ``signers``, about this image,
    whose predicate meets every condition."""

    def __init__(self, spec: AttestationSpec, signers: Sequence[Signer], *, title: str) -> None:
        self.spec = spec
        self.signers = tuple(signers)
        self.title = title

    def candidates(self, materials: Sequence[Material]) -> list[Material]:
        return [
            m
            for m in materials
            if m.role is Role.ATTESTATION
            and m.statement is not None
            and m.statement.predicate_type == self.spec.predicate_type
        ]

    def evaluate(self, materials: Sequence[Material], ctx: VerifyContext) -> Requirement:
        return _evaluate(
            self.title, self.signers, self.candidates(materials), ctx, self._conditions
        )

    def _conditions(self, material: Material) -> Outcome:
        assert material.statement is not None
        found = [
            Reason(ReasonKind.PREDICATE, text)
            for text in condition_problems(material.statement.predicate, self.spec.conditions)
        ]
        return Outcome(tuple(found))


_MISSING = object()


def predicate_value(predicate: Any, path: str) -> Any:
    """The value at a dotted path (``builder.id``, ``materials.0.uri``) or ``_MISSING``. Keys
    that contain dots themselves (cosign's vuln predicate has ``invocation."builder.id"``) are
    found too: at each level the longest key matching the rest of the path wins."""
    return _lookup(predicate, path.split("."))


def _lookup(node: Any, parts: list[str]) -> Any:
    if not parts:
        return node
    if isinstance(node, Mapping):
        for end in range(len(parts), 0, -1):
            key = ".".join(parts[:end])
            if key in node:
                found = _lookup(node[key], parts[end:])
                if found is not _MISSING:
                    return found
    elif isinstance(node, list) and parts[0].isdigit() and int(parts[0]) < len(node):
        return _lookup(node[int(parts[0])], parts[1:])
    return _MISSING


def _same(actual: Any, wanted: str | int | float | bool) -> bool:
    # JSON true is not 1: booleans only equal booleans, numbers compare by value.
    if isinstance(wanted, bool) or isinstance(actual, bool):
        return isinstance(wanted, bool) and isinstance(actual, bool) and actual is wanted
    if isinstance(wanted, int | float):
        return isinstance(actual, int | float) and actual == wanted
    return isinstance(actual, str) and actual == wanted


def condition_problems(
    predicate: Any, conditions: Mapping[str, str | int | float | bool]
) -> list[str]:
    problems = []
    for path, wanted in conditions.items():
        actual = predicate_value(predicate, path)
        if actual is _MISSING:
            problems.append(f"predicate {path} is missing (policy requires {wanted!r})")
        elif not _same(actual, wanted):
            scalar = isinstance(actual, str | int | float | bool)
            shown = actual if scalar else type(actual).__name__
            problems.append(f"predicate {path} is {shown!r} (policy requires {wanted!r})")
    return problems


# -- from the policy model ---------------------------------------------------------------------


@dataclass(frozen=True)
class SignaturePolicyObjects:
    any_of: AnyOf | None
    all_of: AllOf | None
    attestations: tuple[Attestation, ...]


def _matcher(exact: str | None, pattern: str | None) -> Matcher | None:
    if exact is not None:
        return Exact(exact)
    if pattern is not None:
        return Pattern(pattern)
    return None


def build_signer(spec: SignerSpec, where: str) -> Signer:
    if spec.key is not None:
        if spec.key_path is None or "://" in spec.key:
            raise SignatureError(
                f"{where}.key: {spec.key!r}: KMS and other key URIs are not supported",
                hint="export the public key to a PEM file (cosign public-key --key URI)",
            )
        key = load_public_key(spec.key_path, f"{where}.key")
        return Key(key, f"key {spec.key} ({describe_key(key)})")
    identity = _matcher(spec.identity, spec.identity_regexp)
    issuer = _matcher(spec.issuer, spec.issuer_regexp)
    if identity is None or issuer is None:
        # The loader refuses such a signer; this is the last line of defence.
        raise SignatureError(f"{where}: a keyless signer needs an identity and an issuer")
    claims = tuple((name, Exact(value)) for name, value in sorted(spec.claims.items()))
    return Identity(identity=identity, issuer=issuer, claims=claims)


def build_policy(policy: SignaturePolicy, source: str = "policy") -> SignaturePolicyObjects:
    signers = [build_signer(s, f"signature.signers[{i}]") for i, s in enumerate(policy.signers)]
    all_signers: list[Signer] = []
    all_of = None
    if policy.all_of is not None:
        all_signers = [
            build_signer(s, f"signature.all_of.signers[{i}]") for i, s in enumerate(policy.all_of)
        ]
        all_of = AllOf(all_signers, title="signature.all_of.signers", source=source)
    any_of = AnyOf(signers, title="signature.signers", source=source) if signers else None
    if policy.required and any_of is None and all_of is None:
        raise PolicyError(
            source, ["signature.required: true needs signature.signers or signature.all_of"]
        )
    accepted = signers + all_signers
    if policy.attestations and not accepted:
        raise PolicyError(
            source,
            ["signature.attestations: needs signature.signers or all_of (who must have signed?)"],
        )
    attestations = tuple(
        Attestation(spec, accepted, title=f"signature.attestations[{i}]")
        for i, spec in enumerate(policy.attestations)
    )
    return SignaturePolicyObjects(any_of, all_of, attestations)


__all__ = [
    "AllOf",
    "AnyOf",
    "Attempt",
    "Attestation",
    "Exact",
    "Identity",
    "Key",
    "Matcher",
    "Pattern",
    "Requirement",
    "SignaturePolicyObjects",
    "Signer",
    "build_policy",
    "build_signer",
    "condition_problems",
    "predicate_value",
]
