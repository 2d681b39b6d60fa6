"""Policy loading: the brief's full layout, defaults, extends, and every kind of problem with
its exact one-line message."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from gate.errors import PolicyError
from gate.models import Check, Severity
from gate.policy.loader import load_policy, preset_names
from gate.policy.model import (
    ConfigPolicy,
    Policy,
    SecretsPolicy,
    SignaturePolicy,
    Thresholds,
    VulnerabilityPolicy,
)
from gate.policy.validation import policy_schema

FULL_LAYOUT = """
version = 1
mode = "enforce"
gate_on = "all"
[checks]
secrets = true
config = true
vulnerabilities = true
signature = true
[secrets]
thresholds = { critical = 0, high = 0, medium = 0 }
scan_context = true
scan_history = false
max_file_size = 1048576
[vulnerabilities]
thresholds = { critical = 0, high = 2 }
min_cvss = 4.5
only_fixed = true
max_db_age_days = 3
[config]
thresholds = { critical = 0, high = 0 }
pin_base_digest = true
allowed_registries = ["docker.io/library", "gcr.io/distroless"]
max_image_age_days = 30
required_labels = ["org.opencontainers.image.source"]
[config.rules."DKR-USER-001"]
enabled = true
severity = "critical"
paths = ["services/api/**"]
stages = ["final"]
[config.rules."config/DF002"]
enabled = false
[signature]
required = true
require_tlog = true
[[signature.signers]]
key = "keys/cosign.pub"
[[signature.signers]]
identity = "https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main"
issuer = "https://token.actions.githubusercontent.com"
[[signature.signers]]
identity_regexp = "^https://github.com/org/.*$"
issuer = "https://token.actions.githubusercontent.com"
[signature.all_of]
signers = [
  { key = "a.pub" },
  { identity = "release@example.com", issuer = "https://accounts.google.com" },
]
[[signature.attestations]]
predicate_type = "https://slsa.dev/provenance/v1"
conditions = { "buildDefinition.buildType" = "https://actions.github.io/buildtypes/workflow/v1" }
[[ignore]]
rule = "secret/aws-access-key-id"
fingerprint = "0123abcd"
path = "tests/**"
reason = "test fixture"
expires = 2027-01-31
[[ignore]]
rule = "CVE-2024-6119"
package = "openssl"
reason = "waiting for the base image"
expires = 2026-12-31
"""


def write(tmp_path: Path, text: str, name: str = "gate.toml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(PolicyError) as info:
        load_policy(write(tmp_path, text))
    assert info.value.path == str(tmp_path / "gate.toml")
    return info.value.problems


# -- happy paths ---------------------------------------------------------------------------


def test_full_layout_of_the_brief_loads(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, FULL_LAYOUT))
    assert policy.mode == "enforce" and policy.gate_on == "all"
    assert policy.enabled_checks() == (
        Check.SECRETS,
        Check.CONFIG,
        Check.VULNERABILITIES,
        Check.SIGNATURE,
    )
    assert policy.secrets == SecretsPolicy(
        thresholds=Thresholds(critical=0, high=0, medium=0),
        scan_context=True,
        scan_history=False,
        max_file_size=1048576,
    )
    assert policy.vulnerabilities == VulnerabilityPolicy(
        Thresholds(critical=0, high=2), 4.5, True, 3
    )
    config = policy.config
    assert config.pin_base_digest and config.max_image_age_days == 30
    assert config.allowed_registries == ("docker.io/library", "gcr.io/distroless")
    assert config.required_labels == ("org.opencontainers.image.source",)
    user = config.rules["DKR-USER-001"]
    assert (user.enabled, user.severity, user.paths, user.stages) == (
        True,
        Severity.CRITICAL,
        ("services/api/**",),
        ("final",),
    )
    assert config.rules["config/DF002"].enabled is False
    signature = policy.signature
    assert signature.required and signature.require_tlog
    key, identity, regexp = signature.signers
    assert key.key == "keys/cosign.pub" and key.key_path == tmp_path / "keys/cosign.pub"
    assert not key.keyless and identity.keyless
    assert identity.issuer == "https://token.actions.githubusercontent.com"
    assert regexp.identity_regexp == "^https://github.com/org/.*$"
    assert signature.all_of is not None and len(signature.all_of) == 2
    assert signature.all_of[0].key_path == tmp_path / "a.pub"
    (attestation,) = signature.attestations
    assert attestation.predicate_type == "https://slsa.dev/provenance/v1"
    assert dict(attestation.conditions) == {
        "buildDefinition.buildType": "https://actions.github.io/buildtypes/workflow/v1"
    }
    first, second = policy.ignore
    assert (first.index, first.rule, first.fingerprint, first.path, first.expires) == (
        0,
        "secret/aws-access-key-id",
        "0123abcd",
        "tests/**",
        dt.date(2027, 1, 31),
    )
    assert first.source == str(tmp_path / "gate.toml")
    assert (second.index, second.package, second.reason) == (
        1,
        "openssl",
        "waiting for the base image",
    )


def test_no_policy_is_the_shipped_default(tmp_path: Path) -> None:
    policy = load_policy(None)
    assert policy.source == "preset:default"
    assert policy.mode == "enforce"
    assert policy.secrets.thresholds == Thresholds(critical=0, high=0, medium=0)
    assert policy.config.thresholds == Thresholds(critical=0, high=0)
    assert policy.vulnerabilities.thresholds == Thresholds(critical=0, high=0)
    assert policy.vulnerabilities.max_db_age_days == 7
    assert policy.signature == SignaturePolicy()
    assert policy.enabled_checks() == (Check.SECRETS, Check.CONFIG, Check.VULNERABILITIES)


def test_a_minimal_file_means_the_same_as_the_default(tmp_path: Path) -> None:
    """The model's defaults and policies/default.toml say the same thing."""
    minimal = load_policy(write(tmp_path, "version = 1\n"))
    default = load_policy(None)
    strip = {"source": "", "sources": ()}
    assert dataclasses.replace(minimal, **strip) == dataclasses.replace(default, **strip)


def test_schema_defaults_equal_model_defaults() -> None:
    props = policy_schema()["properties"]
    models = {
        "secrets": SecretsPolicy(),
        "vulnerabilities": VulnerabilityPolicy(),
        "config": ConfigPolicy(),
        "signature": SignaturePolicy(),
    }
    for section, model in models.items():
        for name, spec in props[section]["properties"].items():
            if "default" not in spec:
                continue
            value = getattr(model, name)
            if isinstance(value, Thresholds):
                value = {s.value: n for s, n in value.items()}
            elif isinstance(value, tuple):
                value = list(value)
            elif not isinstance(value, (bool, int, float, str)):
                value = dict(value)
            assert value == spec["default"], f"{section}.{name}"
    assert props["mode"]["default"] == Policy().mode
    assert props["gate_on"]["default"] == Policy().gate_on
    checks = props["checks"]["properties"]
    assert {c: checks[c.value]["default"] for c in Check} == dict(Policy().checks)


def test_the_schema_is_valid_draft_2020_12() -> None:
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(policy_schema())
    assert policy_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_shipped_presets_load_and_strict_is_stricter() -> None:
    assert {"default", "strict"} <= set(preset_names())
    strict = load_policy(Path(__file__).resolve().parents[2] / "policies" / "strict.toml")
    assert strict.sources[0] == "preset:default"
    assert strict.vulnerabilities.thresholds == Thresholds(critical=0, high=0, medium=0)
    assert strict.config.pin_base_digest is True
    # strict cannot require a signature: it does not know who signs (docs/policy.md)
    assert strict.signature.required is False


def test_quoted_iso_date_is_accepted_for_expires(tmp_path: Path) -> None:
    policy = load_policy(
        write(tmp_path, '[[ignore]]\nrule = "x"\nreason = "r"\nexpires = "2027-01-31"\n')
    )
    assert policy.ignore[0].expires == dt.date(2027, 1, 31)


def test_a_required_signature_turns_the_signature_check_on(tmp_path: Path) -> None:
    policy = load_policy(
        write(tmp_path, '[signature]\nrequired = true\n[[signature.signers]]\nkey = "k.pub"\n')
    )
    assert Check.SIGNATURE in policy.enabled_checks()


def test_kms_style_key_is_not_resolved_as_a_path(tmp_path: Path) -> None:
    policy = load_policy(
        write(tmp_path, '[[signature.signers]]\nkey = "awskms:///arn:aws:kms:eu:1:key/2"\n')
    )
    assert policy.signature.signers[0].key_path is None


# -- problems: exact lines -------------------------------------------------------------------


def test_unknown_keys_everywhere_with_suggestions(tmp_path: Path) -> None:
    assert problems(
        tmp_path,
        """
verison = 1
[secrets]
thresholds = { critical = 0, hgh = 0 }
[config.rules."DKR-USER-001"]
severty = "high"
[[ignore]]
rule = "x"
reson = "r"
reason = "r"
expires = 2027-01-01
""",
    ) == [
        'verison: unknown key (did you mean "version"?)',
        'secrets.thresholds.hgh: unknown key (did you mean "high"?)',
        'config.rules.DKR-USER-001.severty: unknown key (did you mean "severity"?)',
        'ignore[0].reson: unknown key (did you mean "reason"?)',
    ]


def test_every_problem_not_just_the_first_in_document_order(tmp_path: Path) -> None:
    text = """
version = 2
mode = "block"
[secrets]
scan_context = "yes"
max_file_size = 0
thresholds = { high = -1 }
[vulnerabilities]
min_cvss = 11
[config]
allowed_registries = "docker.io"
[config.rules."secret/x"]
severity = "severe"
[[ignore]]
rule = "a"
reason = "ok"
expires = 2027-01-01
[[ignore]]
fingerprint = "b"
reason = "ok"
expires = 2027-01-01
[[ignore]]
rule = "c"
expires = 2027-01-01
"""
    assert problems(tmp_path, text) == [
        "version: must be 1 (got 2)",
        'mode: must be one of "enforce", "warn" (got "block")',
        "secrets.scan_context: must be true or false (got string)",
        "secrets.max_file_size: must be >= 1 (got 0)",
        "secrets.thresholds.high: must be >= 0 (got -1)",
        "vulnerabilities.min_cvss: must be <= 10 (got 11)",
        "config.allowed_registries: must be an array (got string)",
        'config.rules."secret/x".severity: must be one of "critical", "high", "medium", "low", '
        '"info" (got "severe")',
        "ignore[2].reason: required",
    ]


def test_policy_error_message_is_one_line_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as info:
        load_policy(write(tmp_path, 'mode = "x"\ngate_on = "y"\n'))
    assert str(info.value) == (
        f'invalid policy {tmp_path / "gate.toml"}: mode: must be one of "enforce", "warn" '
        '(got "x") (+1 more)'
    )
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "value",
    ['"soon"', "20270131", "2027-01-31T10:00:00", "10:00:00", '"2027-02-30"', '"31.01.2027"'],
)
def test_expires_must_be_a_date(tmp_path: Path, value: str) -> None:
    text = f'[[ignore]]\nrule = "x"\nreason = "r"\nexpires = {value}\n'
    assert problems(tmp_path, text) == ["ignore[0].expires: must be a date (YYYY-MM-DD)"]


def test_expires_and_reason_are_required(tmp_path: Path) -> None:
    assert problems(tmp_path, '[[ignore]]\nrule = "x"\n') == [
        "ignore[0].reason: required",
        "ignore[0].expires: required",
    ]


def test_blank_reason_is_refused(tmp_path: Path) -> None:
    text = '[[ignore]]\nrule = "x"\nreason = "  "\nexpires = 2027-01-01\n'
    assert problems(tmp_path, text) == ["ignore[0].reason: must not be empty"]


def test_an_exception_must_name_a_rule_fingerprint_or_package(tmp_path: Path) -> None:
    text = '[[ignore]]\npath = "tests/**"\nreason = "r"\nexpires = 2027-01-01\n'
    assert problems(tmp_path, text) == [
        "ignore[0]: needs rule, fingerprint or package (an exception must name what it excepts)"
    ]


def test_an_exception_version_range_is_checked_and_needs_a_package(tmp_path: Path) -> None:
    text = '[[ignore]]\nrule = "CVE-1"\nversions = "~2.0"\nreason = "r"\nexpires = 2027-01-01\n'
    assert problems(tmp_path, text) == [
        "ignore[0].versions: needs package (whose versions?)",
        "ignore[0].versions: '~2.0' is not OPERATOR VERSION (<, <=, >, >=, ==, !=)",
    ]


def test_a_date_outside_expires_is_refused(tmp_path: Path) -> None:
    text = '[[ignore]]\nrule = "x"\nreason = 2027-01-01\nexpires = 2027-01-01\n'
    assert problems(tmp_path, text) == ["ignore[0].reason: a TOML date is not allowed here"]


def test_signer_shapes(tmp_path: Path) -> None:
    text = """
[[signature.signers]]
issuer = "https://issuer"
[[signature.signers]]
key = "a.pub"
identity = "me@example.com"
[[signature.signers]]
identity = "me@example.com"
[[signature.signers]]
key = "b.pub"
issuer = "https://issuer"
[[signature.signers]]
identity_regexp = "(unclosed"
issuer = "https://issuer"
[[signature.signers]]
identity = "me@example.com"
identity_regexp = ".*"
issuer = "https://issuer"
issuer_regexp = ".*"
[[signature.signers]]
kee = "c.pub"
"""
    assert problems(tmp_path, text) == [
        "signature.signers[0]: needs key, or identity/identity_regexp with issuer",
        "signature.signers[1]: key and identity are exclusive (one signer is a key OR a keyless "
        "identity)",
        "signature.signers[2].issuer: required for a keyless signer (or issuer_regexp)",
        "signature.signers[3].issuer: only for keyless signers (identity)",
        "signature.signers[4].identity_regexp: invalid regular expression: missing ), "
        "unterminated subpattern at position 0",
        "signature.signers[5]: identity and identity_regexp are exclusive",
        "signature.signers[5]: issuer and issuer_regexp are exclusive",
        "signature.signers[6]: needs key, or identity/identity_regexp with issuer",
        'signature.signers[6].kee: unknown key (did you mean "key"?)',
    ]


def test_empty_all_of_is_refused(tmp_path: Path) -> None:
    text = "[signature]\nrequired = true\n[signature.all_of]\nsigners = []\n"
    assert problems(tmp_path, text) == [
        "signature.all_of.signers: must not be empty (an empty all_of would accept any image)"
    ]


def test_all_of_needs_signers(tmp_path: Path) -> None:
    assert problems(tmp_path, "[signature.all_of]\n") == ["signature.all_of.signers: required"]


def test_required_signature_needs_signers(tmp_path: Path) -> None:
    assert problems(tmp_path, "[signature]\nrequired = true\n") == [
        "signature.required: true needs signature.signers or signature.all_of (who must have "
        "signed?)"
    ]


def test_required_signature_cannot_be_switched_off(tmp_path: Path) -> None:
    text = (
        "[checks]\nsignature = false\n[signature]\nrequired = true\n"
        '[[signature.signers]]\nkey = "k.pub"\n'
    )
    assert problems(tmp_path, text) == [
        "checks.signature: false contradicts signature.required = true"
    ]


def test_attestation_needs_predicate_type(tmp_path: Path) -> None:
    text = '[[signature.attestations]]\nconditions = { a = "b", c = [1] }\n'
    assert problems(tmp_path, text) == [
        "signature.attestations[0].predicate_type: required",
        "signature.attestations[0].conditions.c: must be a string or a number or true or false "
        "(got array)",
    ]


def test_toml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    assert problems(tmp_path, 'version = 1\nmode = "enforce\n') == [
        "TOML syntax error at line 2, column 16: illegal character '\\n'"
    ]
    assert problems(tmp_path, "version = 1\n[secrets\n") == [
        "TOML syntax error at line 2, column 9: expected ']' at the end of a table declaration"
    ]


def test_structural_type_errors(tmp_path: Path) -> None:
    text = "checks = 3\n[[secrets]]\n[signature.attestations]\n[config.rules.\"\"]\n"
    assert problems(tmp_path, text) == [
        "checks: must be a table (got integer)",
        "secrets: must be a table (got array)",
        "signature.attestations: must be an array (got table)",
        'config.rules: an empty key ("") is not allowed here',
    ]


def test_truncated_file_is_a_syntax_error_at_the_end(tmp_path: Path) -> None:
    # tomllib (3.11) says "end of document"; newer tomli (3.10) gives the position
    assert problems(tmp_path, "mode =")[0] in (
        "TOML syntax error at end of document: invalid value",
        "TOML syntax error at line 1, column 7: invalid value",
    )


def test_duplicate_key_is_a_syntax_error(tmp_path: Path) -> None:
    (line,) = problems(tmp_path, 'mode = "warn"\nmode = "enforce"\n')
    assert line.startswith("TOML syntax error at line 2, column 17: ")


def test_unreadable_files(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(PolicyError) as info:
        load_policy(missing)
    assert info.value.problems == ["cannot read: No such file or directory"]
    assert str(missing) in str(info.value)
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"mode = '\xff'\n")
    with pytest.raises(PolicyError) as info:
        load_policy(binary)
    assert info.value.problems == ["not UTF-8 text (byte 8)"]
    with pytest.raises(PolicyError) as info:
        load_policy(tmp_path)
    assert info.value.problems == ["cannot read: Is a directory"]


# -- extends --------------------------------------------------------------------------------


def test_extends_a_path_merges_tables_replaces_arrays_concatenates_ignore(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
version = 1
mode = "warn"
[secrets]
thresholds = { critical = 0 }
scan_history = false
[config]
required_labels = ["a", "b"]
[config.rules."config/DF001"]
severity = "low"
paths = ["x/**"]
[[ignore]]
rule = "base-rule"
reason = "from base"
expires = 2027-01-01
""",
        "base/base.toml",
    )
    child = write(
        tmp_path,
        """
extends = "base/base.toml"
[secrets]
max_file_size = 10
[config]
required_labels = ["c"]
[config.rules."config/DF001"]
enabled = false
[[ignore]]
rule = "child-rule"
reason = "from child"
expires = 2027-01-01
""",
    )
    policy = load_policy(child)
    assert policy.mode == "warn"
    assert policy.secrets.thresholds == Thresholds(critical=0)
    assert policy.secrets.scan_history is False and policy.secrets.max_file_size == 10
    assert policy.config.required_labels == ("c",)
    rule = policy.config.rules["config/DF001"]
    assert (rule.enabled, rule.severity, rule.paths) == (False, Severity.LOW, ("x/**",))
    assert [(i.index, i.rule, i.source) for i in policy.ignore] == [
        (0, "base-rule", str(tmp_path / "base" / "base.toml")),
        (1, "child-rule", str(child)),
    ]
    assert policy.sources == (str(tmp_path / "base" / "base.toml"), str(child))


def test_thresholds_tables_merge_per_severity(tmp_path: Path) -> None:
    write(tmp_path, "[secrets]\nthresholds = { critical = 0, high = 0 }\n", "base.toml")
    child = write(tmp_path, 'extends = "base.toml"\n[secrets]\nthresholds = { low = 5 }\n')
    assert load_policy(child).secrets.thresholds == Thresholds(critical=0, high=0, low=5)


def test_extends_a_preset_by_name(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, 'extends = "strict"\nmode = "warn"\n'))
    assert policy.mode == "warn"
    assert policy.config.pin_base_digest is True
    assert policy.sources == ("preset:default", "preset:strict", str(tmp_path / "gate.toml"))


def test_unknown_preset(tmp_path: Path) -> None:
    (line,) = problems(tmp_path, 'extends = "nist-9000"\n')
    assert line.startswith('extends: unknown preset "nist-9000" (available: ')
    assert "default" in line and "strict" in line


def test_missing_base_file_names_the_base(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as info:
        load_policy(write(tmp_path, 'extends = "missing.toml"\n'))
    assert info.value.path == str(tmp_path / "missing.toml")
    assert info.value.problems == ["cannot read: No such file or directory"]


def test_an_invalid_base_is_reported_against_the_base_file(tmp_path: Path) -> None:
    write(tmp_path, "[secrets]\nthresholds = { hihg = 0 }\n", "base.toml")
    with pytest.raises(PolicyError) as info:
        load_policy(write(tmp_path, 'extends = "base.toml"\n'))
    assert info.value.path == str(tmp_path / "base.toml")
    assert info.value.problems == ['secrets.thresholds.hihg: unknown key (did you mean "high"?)']


def test_extends_cycles_are_detected(tmp_path: Path) -> None:
    a = write(tmp_path, 'extends = "b.toml"\n', "a.toml")
    write(tmp_path, 'extends = "c.toml"\n', "b.toml")
    write(tmp_path, 'extends = "a.toml"\n', "c.toml")
    with pytest.raises(PolicyError) as info:
        load_policy(a)
    assert info.value.problems == [
        f"extends: cycle {a} -> {tmp_path / 'b.toml'} -> {tmp_path / 'c.toml'} -> "
        f"{tmp_path / 'a.toml'}"
    ]
    itself = write(tmp_path, 'extends = "self.toml"\n', "self.toml")
    with pytest.raises(PolicyError, match="extends: cycle"):
        load_policy(itself)


def test_signature_requirement_may_come_from_the_base(tmp_path: Path) -> None:
    write(tmp_path, '[[signature.signers]]\nkey = "keys/k.pub"\n', "org/base.toml")
    policy = load_policy(
        write(tmp_path, 'extends = "org/base.toml"\n[signature]\nrequired = true\n')
    )
    assert policy.signature.required
    # a key path is relative to the file that names it
    assert policy.signature.signers[0].key_path == tmp_path / "org" / "keys" / "k.pub"


def test_private_annotations_cannot_be_forged(tmp_path: Path) -> None:
    text = '[[ignore]]\nrule = "x"\nreason = "r"\nexpires = 2027-01-01\n__source__ = "evil"\n'
    assert problems(tmp_path, text) == ["ignore[0].__source__: unknown key"]


def test_policy_schema_is_plain_json() -> None:
    json.dumps(policy_schema())


def test_a_policy_crosses_process_boundaries(tmp_path: Path) -> None:
    import pickle

    policy = load_policy(write(tmp_path, FULL_LAYOUT))
    assert pickle.loads(pickle.dumps(policy)) == policy


def test_every_shipped_preset_is_schema_valid() -> None:
    # The loader trusts the shipped presets (it skips the JSON Schema pass on them at run
    # time); this is the check that makes that safe.
    import tomllib

    from gate.policy.loader import presets_dir
    from gate.policy.validation import json_document, schema_problems

    files = sorted(presets_dir().rglob("*.toml"))
    assert len(files) >= len(preset_names()) >= 5
    for file in files:
        doc, temporal = json_document(tomllib.loads(file.read_text(encoding="utf-8")))
        assert schema_problems(doc, temporal) == [], file.name


def test_shipped_policy_runs_without_jsonschema_and_user_files_are_validated(
    tmp_path: Path,
) -> None:
    import subprocess
    import sys

    user = write(tmp_path, 'mode = "enforce"\n')
    probe = (
        "import sys; from pathlib import Path; from gate.policy.loader import load_policy; "
        "load_policy(None); print('jsonschema' in sys.modules); "
        f"load_policy(Path({str(user)!r})); print('jsonschema' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", "True"]
    with pytest.raises(PolicyError, match="modee"):
        load_policy(write(tmp_path, 'modee = "enforce"\n'))
