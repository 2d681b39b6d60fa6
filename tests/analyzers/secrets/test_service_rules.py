"""Near-misses of the service rules: what each must not report, and the edges it must.

Every rule also gets the generic checks of test_rules.py (its sample is found; the sample with
a placeholder or a truncated body is not). These tests pin the rule-specific decisions: the
key must name the provider, identifiers are not secrets, documented examples and published
test values are allowed, checksums are verified, comments and references are skipped.
"""

from __future__ import annotations

import json

import pytest

from gate.analyzers.secrets.detector import scan_bytes, scan_text
from gate.analyzers.secrets.rules import SERVICE_KEYED_RULES, SERVICE_TOKEN_RULES

from .samples import (
    ALNUM,
    B64,
    BASE32_LOWER,
    DIGITS,
    HEX,
    LOWER,
    UPPER,
    URLSAFE,
    b64,
    b64url_json,
    packagist_token,
    rand,
)


def _rules(text: str, path: str | None = None) -> list[str]:
    return [m.rule_id for m in scan_bytes(text.encode(), path=path).matches]


# --- documented examples -----------------------------------------------------------------


def test_documented_example_values_are_not_reported() -> None:
    dynatrace_docs = (
        "dt0s01." + "ST2EY72KQINMH574WMNVI7YN."
        "G3DFPBEJYMODIDAEX454M7YWBUVEFOWKPRVMWFASS64NFH52PX6BNDVFFM572RZM"
    )
    x_docs = (
        "A" * 21 + "MLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI%3D"
        "EUifiRBkKG5E2XzMDjRfl76ZC9Ub0wnz4XsNiRVBChTYbJcE3F"
    )
    stripe_docs = ["sk_" + "test_4eC39HqLyjWDarjtT1zdp7dc", "pk_" + "test_TYooMQauvdEDq54NiTphI7jx"]
    discord_docs = "MTk4NjIyNDgzNDcxOTI1MjQ4" + ".Cl2FMQ." + "ZnCjm1XVW7vRze4b7Cq4se7kKWs"
    for value in (dynatrace_docs, x_docs, *stripe_docs):
        assert scan_text(f"TOKEN={value}\n") == [], value
    assert scan_text(f'DISCORD_BOT_TOKEN = "{discord_docs}"\n') == []
    # The same shapes with other values are reported.
    assert _rules(
        "DT=dt0c01." + rand(24, UPPER + DIGITS, 1) + "." + rand(64, UPPER + DIGITS, 1)
    ) == ["secret/dynatrace-api-token"]
    assert _rules("STRIPE=sk_test_" + rand(24, ALNUM, 2)) == ["secret/stripe-test-secret-key"]


# --- keyed rules: the key must name the provider, identifiers are not secrets ----------------


@pytest.mark.parametrize(
    ("rule_id", "key", "value"),
    [
        ("secret/discord-client-secret", "DISCORD_CLIENT_SECRET", rand(32, URLSAFE, 3)),
        ("secret/fastly-api-token", "FASTLY_API_TOKEN", rand(32, URLSAFE, 4)),
        ("secret/twitch-api-token", "TWITCH_CLIENT_SECRET", rand(30, LOWER + DIGITS, 5)),
        ("secret/zendesk-api-token", "ZENDESK_API_TOKEN", rand(40, ALNUM, 6)),
        ("secret/asana-client-secret", "ASANA_CLIENT_SECRET", rand(32, LOWER + DIGITS, 7)),
        ("secret/facebook-app-secret", "FACEBOOK_APP_SECRET", rand(32, HEX, 8)),
    ],
)
def test_keyed_rules_need_the_provider_in_the_key(rule_id: str, key: str, value: str) -> None:
    assert rule_id in _rules(f'{key} = "{value}"')
    # The same value under another provider's name, or in the middle of a word, is not it.
    assert rule_id not in _rules(f'OTHER_CLIENT_SECRET = "{value}"')
    assert rule_id not in _rules(f'MY{key} = "{value}"')


def test_identifiers_are_not_reported_as_secrets() -> None:
    secret32 = rand(32, URLSAFE, 9)
    assert _rules(f'DISCORD_CLIENT_ID = "{secret32}"') == []
    assert _rules(f'DISCORD_PUBLIC_KEY = "{rand(64, HEX, 10)}"') == []
    assert _rules(f'FASTLY_SERVICE_ID = "{secret32}"') == []
    # A client ID is reported low under its own rule, never as the secret.
    found = scan_text(f'BITBUCKET_CLIENT_ID = "{rand(24, ALNUM, 11)}"')
    assert [(m.rule_id, m.rule.severity.value) for m in found] == [
        ("secret/bitbucket-client-id", "low")
    ]
    assert _rules(f'BITBUCKET_CLIENT_SECRET = "{rand(24, ALNUM, 11)}"') != [
        "secret/bitbucket-client-id"
    ]


@pytest.mark.parametrize(
    "text",
    [
        'FACEBOOK_APP_SECRET = "0123456789abcdef0123456789abcdef"',  # a run
        'ASANA_CLIENT_ID = "1234567890123456"',
        'DISCORD_CLIENT_ID = "111111111111111111"',
        'DISCORD_CLIENT_ID = "987654321098765432"',
        'LINKEDIN_CLIENT_SECRET = "Linkedinclientsc"',  # a word, capitalised
        'DROPBOX_APP_SECRET = "dropboxsecretky"',
        'TWITCH_CLIENT_SECRET = "your_twitch_client_secret_here"',
        'INTERCOM_ACCESS_TOKEN = "' + b64("this is not the intercom token you want") + '"',
        'ZENDESK_API_TOKEN = "ZendeskApiTokenForTheSupportDeskIntegratn"',
        'ALIBABA_CLOUD_ACCESS_KEY_SECRET = "${ALIBABA_CLOUD_ACCESS_KEY_SECRET}"',
    ],
)
def test_provider_values_that_are_words_runs_or_placeholders(text: str) -> None:
    assert _rules(text) == [], text


# --- self-identifying tokens: random bodies only ----------------------------------------------


def test_token_prefixes_inside_words_and_names_are_not_tokens() -> None:
    assert _rules("import ssl\nctx = ssl." + "create_default_context" * 7) == []
    for name in (
        "server_settings_for_the_integration_tests",
        "stream_2024_highlights_video_player_v2x",
    ):
        assert _rules(f"x = live_{name[:40]}") == [], name
    # Inside a base64 blob (after ``+`` or ``/``) ``EAA`` and runs of ``A`` are data.
    blob = rand(40, B64, 32) + "+EAA" + rand(120, ALNUM, 32) + "/" + "A" * 24 + "MLhe" + "A" * 7
    assert (
        _rules("data:font/woff2;base64," + blob + rand(40, ALNUM, 33) + "%3D" + rand(50, ALNUM, 34))
        == []
    )
    assert _rules("model = hf_" + "TokenizerConfigurationForDeepModels") == []
    assert (
        _rules(
            "EAA"
            + "GetTheFacebookAccessTokenFromTheEnvironmentAndCacheIt"
            + "ForLaterUseInTheGraphClientWrapper"
        )
        == []
    )
    # tfp_printf is a C function, not a Typeform token.
    assert _rules("tfp_printf(buf, fmt, args); tfp_format(stream);") == []


def test_github_stateless_installation_token_is_one_finding() -> None:
    jwt = (
        b64url_json({"alg": "RS256", "typ": "JWT"})
        + "."
        + b64url_json({"iss": "github", "sub": "installation", "exp": 1900000000})
        + "."
        + rand(342, URLSAFE, 12)
    )
    token = "ghs_" + rand(7, DIGITS, 12) + "_" + jwt
    assert [(m.rule_id, m.secret) for m in scan_text(f"GH_TOKEN={token}\n")] == [
        ("secret/github-app-token", token)
    ]


def test_private_packagist_checksum_is_verified() -> None:
    for kind in ("ort", "out", "uut"):
        token = packagist_token(kind, 13)
        assert _rules(f"TOKEN={token}") == ["secret/private-packagist-token"], kind
        bad = token[:-1] + ("0" if token[-1] != "0" else "1")
        assert _rules(f"TOKEN={bad}") == [], kind
    # The checksum is computed on the lower-case token; upper-case hex still verifies.
    token = packagist_token("out", 14)
    upper = token[:14] + token[14:30].upper() + token[30:]
    assert _rules(f"TOKEN={upper}") == ["secret/private-packagist-token"]


def test_azure_identifiable_key_layout() -> None:
    random_part = rand(52, ALNUM, 15)
    good = random_part + "JQQJ99" + "CD" + rand(16, ALNUM, 15) + "AZEG" + rand(4, ALNUM, 15)
    assert _rules(f"KEY={good}") == ["secret/azure-identifiable-key"]
    # The month letter is A-L; a key without the JQQJ99 signature is not this format.
    assert _rules(f"KEY={good.replace('JQQJ99CD', 'JQQJ99CZ')}") == []
    assert _rules(f"KEY={good.replace('JQQJ99', 'ABCDEF')}") == []
    # Azure DevOps PATs are the same format with the AZDO signature: the specific rule wins.
    ado = random_part + "JQQJ99" + "CD" + rand(16, ALNUM, 16) + "AZDO" + rand(4, ALNUM, 16)
    assert len(ado) == 84 and _rules(f"KEY={ado}") == ["secret/azure-devops-pat"]


def test_azure_devops_legacy_pat_names() -> None:
    pat = rand(52, BASE32_LOWER, 17)
    assert _rules(f"ADO_PAT={pat}") == ["secret/azure-devops-pat-legacy"]
    assert _rules(f"AZURE_DEVOPS_TOKEN={pat}") == ["secret/azure-devops-pat-legacy"]
    assert "secret/azure-devops-pat-legacy" not in _rules(f"TORNADO_TOKEN={pat}")


def test_azure_container_registry_password_forms() -> None:
    password = rand(32, ALNUM + "+/", 18)
    for text in (
        f"docker login myreg.azurecr.io -u myreg -p {password}",
        f"registry: myreg.azurecr.io\tpassword: {password}",
        f'{{"server": "myreg.azurecr.io", "password": "{password}"}}',
    ):
        assert _rules(text) == ["secret/azure-container-registry-password"], text
    assert _rules("docker login myreg.azurecr.io -u myreg -p ${ACR_PASSWORD}") == []
    assert _rules(f"myreg.azureedge.net password: {password}") != [
        "secret/azure-container-registry-password"
    ]


def test_azure_app_configuration_needs_its_endpoint() -> None:
    secret = rand(43, B64, 19) + "="
    good = f"Endpoint=https://cfg.azconfig.io;Id=ab12-l0-s0:{rand(20, ALNUM, 19)};Secret={secret}"
    assert _rules(good) == ["secret/azure-app-config-connection-string"]
    assert "secret/azure-app-config-connection-string" not in _rules(
        good.replace("azconfig.io", "example.io")
    )


def test_aws_secret_key_under_the_names_tools_use() -> None:
    secret = rand(40, ALNUM + "+/", 20)
    for key in (
        "aws_secret_access_key",
        "AWS_SECRET_KEY",
        "aws_access_key",
        "AWS_KEY",
        "awsSecretKey",
    ):
        assert _rules(f"{key} = {secret}") == ["secret/aws-secret-access-key"], key
    # A 40-character name-like value is not a secret key.
    assert _rules("aws_access_key = " + "aws_access_key_id_from_the_environment_v") == []


def test_lob_and_gocardless_share_live_but_not_lengths() -> None:
    assert _rules("KEY=live_" + rand(35, HEX, 21)) == ["secret/lob-api-key"]
    assert _rules("KEY=live_" + rand(40, URLSAFE, 22)) == ["secret/gocardless-api-token"]
    test_key = "test_" + rand(35, HEX, 23)
    assert _rules(f'LOB_API_KEY = "{test_key}"') == ["secret/lob-test-api-key"]
    # ``blob`` and ``glob`` are not Lob.
    assert _rules(f'BLOB_KEY = "{test_key}"') == []


def test_symfony_default_secret_only_the_published_values() -> None:
    default = "ThisToken" + "IsNotSoSecret" + "ChangeIt"
    assert _rules(f"APP_SECRET={default}\n", "/app/.env") == ["secret/symfony-default-secret"]
    ez = "ThisEzPlatformToken" + "IsNotSoSecret_PleaseChangeIt"
    assert _rules(f"secret: {ez}\n") == ["secret/symfony-default-secret"]
    assert "secret/symfony-default-secret" not in _rules(f"APP_SECRET={rand(32, HEX, 24)}\n")


# --- file formats ---------------------------------------------------------------------------

_SETTINGS = """<settings>
  <!-- servers
   | Specifies the authentication information to use when deploying to a particular server.
   |
  <server>
    <id>deploymentRepo</id>
    <username>repouser</username>
    <password>{commented}</password>
  </server>
  -->
  <servers>
    <server>
      <id>internal</id>
      <username>deploy</username>
      <password>{live}</password>
    </server>
    <server>
      <id>encrypted</id>
      <password>{{COQLCE6DU6GtcS5P=}}</password>
    </server>
    <server>
      <id>from-env</id>
      <password>${{env.MAVEN_REPO_PASS}}</password>
      <passphrase>${{gpg.passphrase}}</passphrase>
    </server>
    <server>
      <id>siteServer</id>
      <privateKey>/path/to/private/key</privateKey>
      <passphrase>optional; leave empty if not used.</passphrase>
    </server>
    <server><id>empty</id><password></password><passphrase>  </passphrase></server>
  </servers>
  <proxies><proxy><id>p</id><username>u</username><password>{proxy}</password></proxy></proxies>
</settings>
"""


def test_maven_settings_reports_only_live_plaintext_passwords() -> None:
    live, proxy = rand(18, ALNUM + "#!", 25), rand(16, ALNUM, 26)
    text = _SETTINGS.format(commented=rand(18, ALNUM, 27), live=live, proxy=proxy)
    found = scan_bytes(text.encode(), path="/usr/share/maven/conf/settings.xml").matches
    assert [(m.rule_id, m.secret) for m in found] == [
        ("secret/maven-settings-password", live),
        ("secret/maven-settings-password", proxy),
    ]
    # Only settings.xml files: the same elements in another XML file are not Maven settings.
    assert _rules(text, "/app/config.xml") == []


def test_maven_master_password() -> None:
    master = "{" + rand(44, B64, 28) + "}"
    text = f"<settingsSecurity>\n  <master>{master}</master>\n</settingsSecurity>\n"
    found = scan_bytes(text.encode(), path="/root/.m2/settings-security.xml").matches
    assert [(m.rule_id, m.secret) for m in found] == [
        ("secret/maven-settings-security-master", master)
    ]
    assert _rules(text, "/root/.m2/settings.xml") == []
    commented = (
        "<settingsSecurity>\n<!-- <master>" + master + "</master> -->\n</settingsSecurity>\n"
    )
    assert _rules(commented, "/root/.m2/settings-security.xml") == []


def _secret_manifest(config: object, key: str = ".dockerconfigjson") -> str:
    blob = b64(json.dumps(config))
    return f"apiVersion: v1\nkind: Secret\ndata:\n  {key}: {blob}\n"


def test_kubernetes_docker_config_secret_must_hold_a_credential() -> None:
    auth = b64("ci:" + rand(20, ALNUM, 29))
    assert _rules(_secret_manifest({"auths": {"r.internal.io": {"auth": auth}}})) == [
        "secret/kubernetes-docker-config-secret"
    ]
    password = {"username": "ci", "password": rand(20, ALNUM, 30)}
    assert _rules(_secret_manifest({"auths": {"r.internal.io": password}})) == [
        "secret/kubernetes-docker-config-secret"
    ]
    # Legacy kubernetes.io/dockercfg: the registries at the top level.
    assert _rules(_secret_manifest({"r.internal.io": {"auth": auth}}, ".dockercfg")) == [
        "secret/kubernetes-docker-config-secret"
    ]
    for empty in (
        {"auths": {"r.internal.io": {}}},
        {"credsStore": "desktop", "auths": {"r.internal.io": {}}},
        {"auths": {"r.internal.io": {"username": "ci", "password": "password"}}},
    ):
        assert _rules(_secret_manifest(empty)) == [], empty
    assert _rules("data:\n  .dockerconfigjson: eyE" + rand(9, ALNUM, 31) + "\n") == []


def test_every_service_rule_names_the_providers_documentation() -> None:
    for rule in SERVICE_TOKEN_RULES + SERVICE_KEYED_RULES:
        assert rule.help_uri and rule.help_uri.startswith("https://"), rule.id
        assert rule.keywords and all(len(k) >= 3 for k in rule.keywords), rule.id
