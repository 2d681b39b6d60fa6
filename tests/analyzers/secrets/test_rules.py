"""Every rule finds its positive sample and misses its near-misses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gate.analyzers.secrets import filters
from gate.analyzers.secrets.detector import scan_bytes, scan_text
from gate.analyzers.secrets.rules import RULES, RULES_BY_ID, RULESET_VERSION, all_rules
from gate.models import Check, Severity

from .samples import ALNUM, B64, Sample, b64, b64url_json, pem_lines, rand, samples

SAMPLES = samples()


def _ids(sample: Sample) -> str:
    return sample.rule_id


def _scan(text: str, path: str | None) -> list[tuple[str, str]]:
    return [(m.rule_id, m.secret) for m in scan_bytes(text.encode(), path=path).matches]


def test_every_rule_has_a_sample() -> None:
    assert {s.rule_id for s in SAMPLES} == {r.id for r in RULES}


def test_rule_metadata() -> None:
    assert len({r.id for r in RULES}) == len(RULES)
    for rule in RULES:
        assert rule.id.startswith("secret/") and rule.title and rule.keywords
        assert re.fullmatch(r"secret/[a-z0-9-]+", rule.id)
    exported = all_rules()
    assert {r.id for r in exported} == {r.id for r in RULES}
    assert all(r.check is Check.SECRETS for r in exported)
    assert RULESET_VERSION.startswith("2+")


@pytest.mark.parametrize("sample", SAMPLES, ids=_ids)
def test_positive_sample(sample: Sample) -> None:
    found = _scan(sample.text, sample.path)
    rule = RULES_BY_ID[sample.rule_id]
    hits = [secret for rule_id, secret in found if rule_id == sample.rule_id]
    assert hits, f"{sample.rule_id} missed its sample; found {[r for r, _ in found]}"
    expected = rule.normalize(sample.body) if rule.normalize else sample.body
    assert any(expected in secret or secret in sample.text for secret in hits)
    # The specific rule wins over the generic shapes on the same text: one finding per secret.
    spans = [secret for _, secret in found]
    assert len(spans) == len(set(spans)), found


@pytest.mark.parametrize("sample", SAMPLES, ids=_ids)
def test_placeholder_body_is_not_reported(sample: Sample) -> None:
    placeholder = re.sub(r"[A-Za-z0-9]", "x", sample.body)
    found = _scan(sample.with_body(placeholder), sample.path)
    assert sample.rule_id not in [r for r, _ in found]


@pytest.mark.parametrize("sample", [s for s in SAMPLES if s.truncate_misses], ids=_ids)
def test_truncated_body_is_not_reported(sample: Sample) -> None:
    short = sample.body[: len(sample.body) // 2]
    found = _scan(sample.with_body(short), sample.path)
    assert sample.rule_id not in [r for r, _ in found]


def test_path_scoped_rules_need_their_path() -> None:
    for rule_id in ("secret/pypirc-password", "secret/git-credentials", "secret/dotenv-secret"):
        sample = next(s for s in SAMPLES if s.rule_id == rule_id)
        found = _scan(sample.text, "/app/notes.txt")
        assert rule_id not in [r for r, _ in found]


def test_documented_examples_are_not_reported() -> None:
    aws_doc = "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = " + (
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    )
    assert scan_text(aws_doc) == []
    azurite = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey="
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
    )
    assert scan_text(azurite) == []
    rfc6749 = "Authorization: Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW"
    assert scan_text(rfc6749) == []


@pytest.mark.parametrize(
    "text",
    [
        'password = "${DB_PASSWORD}"',
        "password: <your-password-here>",
        'api_key = "your_api_key"',
        'token = "xxxxxxxxxxxxxxxxxxxx"',
        'secret = "changeme"',
        'GITHUB_TOKEN="ghp_' + "x" * 36 + '"',
        "ghp_" + "A" * 36,
        'password = "%(password)s"',
        'password = os.environ["DB_PASSWORD"]',
        "password = get_password(user)",
        'token = "{{ .Values.token }}"',
        "AKIA" + "X" * 16,
        "https://user:password@example.com/",
        "https://${USER}:${PASS}@registry.internal.io/",
        "postgres://postgres:postgres@db/app",
        "secret_key = settings.SECRET_KEY",
        'api_key = "1234567890123456"',
        "password_file = /run/secrets/db_password",
        "token_url = https://auth.internal.io/oauth/token",
    ],
)
def test_placeholders_and_references_are_not_reported(text: str) -> None:
    assert scan_text(text) == [], text


def test_generic_entropy_filter() -> None:
    random_value = rand(20, ALNUM, 21)
    assert [m.rule_id for m in scan_text(f'db_password = "{random_value}"')] == [
        "secret/generic-secret"
    ]
    for low in ("aaaaaaaaaaaa", "abababababab", "Password", "geheim$parole"):
        assert scan_text(f'db_password = "{low}"') == [], low
    assert filters.shannon_entropy("aaaa") == 0.0
    assert filters.shannon_entropy("abcd") == 2.0
    assert filters.generic_value_ok(random_value)
    assert not filters.generic_value_ok("1111111111")


def test_generic_config_rule_ignores_code_expressions() -> None:
    code = "token_number = self.tokens_taken+len(self.tokens)\nsecret = compute(a, b)\n"
    assert scan_text(code) == []
    config = "client_secret = " + rand(24, ALNUM, 22) + "\n"
    assert [m.rule_id for m in scan_text(config)] == ["secret/generic-secret-config"]


def test_public_keys_and_certificates_are_not_private_keys() -> None:
    body = pem_lines(rand(600, B64, 23))
    for label in ("PUBLIC KEY", "CERTIFICATE", "RSA PUBLIC KEY", "PGP PUBLIC KEY BLOCK"):
        assert scan_text(f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n") == []


def test_private_key_without_a_body_is_not_reported() -> None:
    for body in ("...", "<your key here>", "MIIE...", "xxxx" * 20):
        text = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\n"
        assert scan_text(text) == [], body


def test_private_key_fingerprint_ignores_line_breaks_and_json_escapes() -> None:
    body = rand(640, B64, 24)
    pem = "-----BEGIN PRIVATE KEY-----\n" + pem_lines(body) + "\n-----END PRIVATE KEY-----\n"
    escaped = pem.replace("\n", "\\n")
    crlf = pem.replace("\n", "\r\n")
    prints = {scan_text(t)[0].fingerprint for t in (pem, escaped, crlf)}
    assert len(prints) == 1


def test_jwt_requires_json_header_with_alg_and_real_claims() -> None:
    sig = rand(43, ALNUM, 25)
    good = b64url_json({"alg": "RS256"}) + "." + b64url_json({"iss": "ci", "exp": 2}) + "." + sig
    assert [m.rule_id for m in scan_text(good)] == ["secret/jwt"]
    no_alg = b64url_json({"typ": "JWT"}) + "." + b64url_json({"iss": "ci"}) + "." + sig
    sample = b64url_json({"alg": "HS256"}) + "." + b64url_json({"some": "payload"}) + "." + sig
    jwt_io = (
        b64url_json({"alg": "HS256"})
        + "."
        + b64url_json({"sub": "1234567890", "name": "John Doe", "iat": 1516239022})
        + "."
        + sig
    )
    for text in (no_alg, sample, jwt_io):
        assert scan_text(text) == []


def test_docker_auth_must_decode_to_user_and_password() -> None:
    ok = '{"auths": {"r.io": {"auth": "' + b64("ci:" + rand(16, ALNUM, 26)) + '"}}}'
    assert [m.rule_id for m in scan_text(ok)] == ["secret/docker-config-auth"]
    no_colon = '{"auths": {"r.io": {"auth": "' + b64("justatoken" + rand(8)) + '"}}}'
    assert scan_text(no_colon) == []


def test_url_credentials() -> None:
    password = rand(16, ALNUM, 27)
    found = scan_text(f"amqp://worker:{password}@rabbit.internal.io:5672/")
    assert [(m.rule_id, m.secret) for m in found] == [("secret/url-credentials", password)]
    assert scan_text("see https://docs.python.org:443/3/ and ssh://git@host:22") == []


def test_twilio_needs_context() -> None:
    key = "SK" + rand(32, "0123456789abcdef", 28)
    assert scan_text(f"KEY={key}") == []
    assert [m.rule_id for m in scan_text(f"TWILIO_KEY={key}")] == ["secret/twilio-api-key"]


def test_severities_grade_live_above_test_keys() -> None:
    assert RULES_BY_ID["secret/stripe-secret-key"].severity is Severity.CRITICAL
    assert RULES_BY_ID["secret/stripe-test-secret-key"].severity.rank < Severity.HIGH.rank
    assert RULES_BY_ID["secret/generic-secret"].severity is Severity.MEDIUM
    assert RULES_BY_ID["secret/private-key"].severity is Severity.CRITICAL


def test_docs_list_every_rule() -> None:
    docs = (Path(__file__).resolve().parents[3] / "docs" / "secrets.md").read_text()
    missing = [r.id for r in RULES if f"`{r.id}`" not in docs]
    assert missing == []
