"""gate's own secret rules, written from the providers' documented token formats.

Order is priority: where two rules match overlapping text, the earlier one wins (a GitHub token
inside ``password = "ghp_..."`` is reported once, as a GitHub token). Provider formats come
first, then file formats, then the low-confidence generic shapes.

Regexes run on bytes (ASCII semantics for ``\\w``/``\\b``); every rule has a named group
``secret``. Keywords are lowercase literals that every match contains (same line unless the
rule is ``multiline``); they drive the one-pass prefilter of the detector.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping

from gate.analyzers.secrets import filters
from gate.analyzers.secrets.rule_model import SecretRule, Validator
from gate.models import Check, Rule, RuleID, Severity

CRITICAL = Severity.CRITICAL
HIGH = Severity.HIGH
MEDIUM = Severity.MEDIUM
LOW = Severity.LOW

# A token ends where the token alphabet ends; these guards keep a rule from matching the middle
# of a longer random string (base64 blobs, hashes).
_L = r"(?<![A-Za-z0-9_-])"
_R = r"(?![A-Za-z0-9_-])"
# ``key = value``, ``key: value``, ``"key": "value"``, ``key => value``, ``key := value``.
_ASSIGN = r"""["']?\s*(?:=|:=|=>|:|\|\|=)\s*["']?"""

_REMEDIATE = (
    "Revoke and rotate this credential now: it ships in every copy of the image (deleting it "
    "in a later layer does not remove it). Pass secrets at build time with BuildKit "
    "`RUN --mount=type=secret` and at run time through the orchestrator's secret store, and "
    "add the file to `.dockerignore`."
)


def _value(check: Callable[[str], bool]) -> Validator:
    """Adapt a check on the secret value alone to the validator signature."""

    def validate(groups: Mapping[str, str]) -> bool:
        return check(groups["secret"])

    return validate


def _token(
    name: str,
    title: str,
    severity: Severity,
    body: str,
    keywords: tuple[str, ...],
    *,
    entropy: float = 3.0,
    allow: frozenset[str] = frozenset(),
    uri: str | None = None,
    validator: Validator | None = None,
) -> SecretRule:
    """A self-identifying token: a documented prefix plus a fixed alphabet and length."""
    return SecretRule(
        id=f"secret/{name}",
        title=title,
        severity=severity,
        regex=_L + "(?P<secret>" + body + ")" + _R,
        keywords=keywords,
        entropy=entropy,
        allow_values=allow,
        validator=validator,
        description=f"A {title} was found. Anyone who can pull the image can use it.",
        remediation=_REMEDIATE,
        help_uri=uri,
    )


def _keyed(
    name: str,
    title: str,
    severity: Severity,
    key: str,
    value: str,
    keywords: tuple[str, ...],
    *,
    entropy: float = 3.0,
    allow: frozenset[str] = frozenset(),
    multiline: bool = False,
    requires: str | None = None,
    validator: Validator | None = None,
    uri: str | None = None,
) -> SecretRule:
    """A value without a self-identifying prefix, recognised by the name it is assigned to."""
    return SecretRule(
        id=f"secret/{name}",
        title=title,
        severity=severity,
        regex="(?i)" + key + _ASSIGN + "(?P<secret>" + value + ")" + r"(?![A-Za-z0-9/+=_-])",
        keywords=keywords,
        multiline=multiline,
        entropy=entropy,
        requires=requires,
        allow_values=allow,
        validator=validator,
        description=f"A {title} was found. Anyone who can pull the image can use it.",
        remediation=_REMEDIATE,
        help_uri=uri,
    )


# Documented example values (provider documentation); never reported.
_AWS_DOC_KEYS = frozenset(
    {
        "AKIAIOSFODNN7EXAMPLE",
        "AKIAI44QH8DHBEXAMPLE",
        "ASIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    }
)
# Azurite / Azure storage emulator well-known account key (published in Microsoft's docs).
_AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

_AWS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html"
_GITHUB = "https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/about-authentication-to-github#githubs-token-formats"
_GITLAB = "https://docs.gitlab.com/ee/security/tokens/#token-prefixes"
_SLACK = "https://api.slack.com/authentication/token-types"
_STRIPE = "https://docs.stripe.com/keys"


PROVIDER_RULES: tuple[SecretRule, ...] = (
    # --- Amazon Web Services -------------------------------------------------------------
    _token(
        "aws-access-key-id",
        "AWS access key ID",
        CRITICAL,
        r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}",
        ("akia", "asia", "abia", "acca", "a3t"),
        entropy=2.5,
        allow=_AWS_DOC_KEYS,
        uri=_AWS,
    ),
    _keyed(
        "aws-secret-access-key",
        "AWS secret access key",
        CRITICAL,
        r"(?:aws)?_?secret_?(?:access)?_?key(?:_?id)?",
        r"[A-Za-z0-9/+]{40}",
        ("secret_access_key", "secretaccesskey", "secret_key", "secretkey", "aws_secret"),
        entropy=3.5,
        allow=_AWS_DOC_KEYS,
        uri=_AWS,
    ),
    _keyed(
        "aws-session-token",
        "AWS session token",
        HIGH,
        r"(?:aws)?_?session_?token",
        r"[A-Za-z0-9/+=]{100,}",
        ("session_token", "sessiontoken"),
        entropy=4.0,
        uri=_AWS,
    ),
    # --- Google Cloud --------------------------------------------------------------------
    SecretRule(
        id="secret/gcp-service-account-key",
        title="GCP service account private key",
        severity=CRITICAL,
        # A key file (``gcloud iam service-accounts keys create``) is JSON with
        # ``"type": "service_account"`` and a PEM ``private_key`` with ``\n`` escapes.
        regex=(
            r'"private_key"\s*:\s*"(?P<secret>-----BEGIN[A-Z ]{0,20}PRIVATE KEY-----'
            r'[^"]{64,8192}?-----END[A-Z ]{0,20}PRIVATE KEY-----(?:\\n)?)"'
        ),
        keywords=("service_account",),
        multiline=True,
        requires=r'"type"\s*:\s*"service_account"',
        placeholder_filter=False,
        validator=_value(filters.pem_body_ok),
        normalize=filters.pem_body,
        description="A Google Cloud service account key file: it authenticates as the account.",
        remediation=_REMEDIATE,
        help_uri="https://cloud.google.com/iam/docs/keys-create-delete",
    ),
    _token(
        "gcp-api-key",
        "Google API key",
        HIGH,
        r"AIza[0-9A-Za-z_-]{35}",
        ("aiza",),
        entropy=3.5,
        uri="https://cloud.google.com/docs/authentication/api-keys",
    ),
    _token(
        "gcp-oauth-client-secret",
        "Google OAuth client secret",
        HIGH,
        r"GOCSPX-[A-Za-z0-9_-]{28}",
        ("gocspx-",),
    ),
    # --- Microsoft Azure -----------------------------------------------------------------
    SecretRule(
        id="secret/azure-storage-account-key",
        title="Azure storage account key",
        severity=CRITICAL,
        # Connection strings: ``DefaultEndpointsProtocol=https;AccountName=..;AccountKey=<88>``.
        regex=r"(?i)AccountKey\s*=\s*(?P<secret>[A-Za-z0-9+/]{86}==)",
        keywords=("accountkey",),
        entropy=4.0,
        allow_values=frozenset({_AZURITE_KEY}),
        description="An Azure storage account key grants full access to the account's data.",
        remediation=_REMEDIATE,
        help_uri="https://learn.microsoft.com/azure/storage/common/storage-account-keys-manage",
    ),
    SecretRule(
        id="secret/azure-entra-client-secret",
        title="Azure Entra ID client secret",
        severity=HIGH,
        # Client secrets carry ``Q~`` after three characters and a digit.
        regex=r"(?<![\w~.-])(?P<secret>[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?![\w~.-])",
        keywords=("q~",),
        entropy=3.5,
        remediation=_REMEDIATE,
    ),
    SecretRule(
        id="secret/azure-sas-token",
        title="Azure shared access signature (SAS) token",
        severity=HIGH,
        regex=r"(?i)[?&;]sig=(?P<secret>[A-Za-z0-9%+/]{40,}(?:%3D|=){0,2})",
        keywords=("sig=",),
        entropy=3.5,
        # The example SAS signature of the AWS DataSync API documentation (botocore data).
        allow_values=frozenset({"aBBKDWQvyuVcTPH9EBp%2FXTI9E%2F%2Fmq171%2BZU178wcwqU%3D"}),
        requires=r"(?i)[?&;]sv=\d{4}-\d{2}-\d{2}",
        remediation=_REMEDIATE,
        help_uri="https://learn.microsoft.com/azure/storage/common/storage-sas-overview",
    ),
    _token(
        "azure-devops-pat",
        "Azure DevOps personal access token",
        HIGH,
        # 84-character format: an ``AZDO`` signature at positions 77-80.
        r"[A-Za-z0-9]{52}JQQJ99[A-Za-z0-9]{18}AZDO[A-Za-z0-9]{4}|[A-Za-z0-9]{76}AZDO[A-Za-z0-9]{4}",
        ("azdo",),
        entropy=3.5,
    ),
    _keyed(
        "azure-devops-pat-legacy",
        "Azure DevOps personal access token",
        HIGH,
        r"(?:azure|devops|vsts|ado)[\w.-]{0,20}?(?:pat|token)",
        r"[a-z2-7]{52}",
        ("azure", "devops", "vsts"),
        entropy=3.5,
    ),
    # --- GitHub --------------------------------------------------------------------------
    _token(
        "github-pat",
        "GitHub personal access token",
        CRITICAL,
        r"ghp_[A-Za-z0-9]{36}",
        ("ghp_",),
        uri=_GITHUB,
    ),
    _token(
        "github-fine-grained-pat",
        "GitHub fine-grained personal access token",
        CRITICAL,
        r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}",
        ("github_pat_",),
        uri=_GITHUB,
    ),
    _token(
        "github-oauth-token",
        "GitHub OAuth access token",
        HIGH,
        r"gho_[A-Za-z0-9]{36}",
        ("gho_",),
        uri=_GITHUB,
    ),
    _token(
        "github-app-token",
        "GitHub App token",
        HIGH,
        r"(?:ghu|ghs)_[A-Za-z0-9]{36}",
        ("ghu_", "ghs_"),
        uri=_GITHUB,
    ),
    _token(
        "github-refresh-token",
        "GitHub refresh token",
        HIGH,
        r"ghr_[A-Za-z0-9]{36,76}",
        ("ghr_",),
        uri=_GITHUB,
    ),
    # --- GitLab --------------------------------------------------------------------------
    _token(
        "gitlab-pat",
        "GitLab personal access token",
        CRITICAL,
        r"glpat-[A-Za-z0-9_-]{20,300}(?:\.[0-9a-z]{2}\.[0-9a-z]{7,9})?",
        ("glpat-",),
        uri=_GITLAB,
    ),
    _token(
        "gitlab-deploy-token",
        "GitLab deploy token",
        HIGH,
        r"gldt-[A-Za-z0-9_-]{20,300}",
        ("gldt-",),
        uri=_GITLAB,
    ),
    _token(
        "gitlab-runner-token",
        "GitLab runner authentication token",
        HIGH,
        r"glrt-[A-Za-z0-9_-]{20,300}(?:\.[0-9a-z]{2}\.[0-9a-z]{7,9})?",
        ("glrt-",),
        uri=_GITLAB,
    ),
    _token(
        "gitlab-runner-registration-token",
        "GitLab runner registration token",
        HIGH,
        r"GR1348941[A-Za-z0-9_-]{20}",
        ("gr1348941",),
        uri=_GITLAB,
    ),
    _token(
        "gitlab-pipeline-trigger-token",
        "GitLab pipeline trigger token",
        HIGH,
        r"glptt-[0-9a-f]{40}",
        ("glptt-",),
        uri=_GITLAB,
    ),
    _token(
        "gitlab-oauth-app-secret",
        "GitLab OAuth application secret",
        HIGH,
        r"gloas-[A-Za-z0-9_-]{64}",
        ("gloas-",),
        uri=_GITLAB,
    ),
    _token(
        "gitlab-agent-token",
        "GitLab agent for Kubernetes token",
        HIGH,
        r"glagent-[A-Za-z0-9_-]{50,}",
        ("glagent-",),
        uri=_GITLAB,
    ),
    _token(
        "gitlab-scim-token",
        "GitLab SCIM token",
        HIGH,
        r"glsoat-[A-Za-z0-9_-]{20}",
        ("glsoat-",),
        uri=_GITLAB,
    ),
    _token(
        "gitlab-ci-job-token",
        "GitLab CI/CD job token",
        MEDIUM,
        r"glcbt-[0-9a-zA-Z]{1,5}_[0-9a-zA-Z_-]{20}",
        ("glcbt-",),
        uri=_GITLAB,
    ),
    _token(
        "gitlab-feed-token",
        "GitLab feed token",
        MEDIUM,
        r"glft-[A-Za-z0-9_-]{20}",
        ("glft-",),
        uri=_GITLAB,
    ),
    _token(
        "gitlab-incoming-mail-token",
        "GitLab incoming mail token",
        MEDIUM,
        r"glimt-[A-Za-z0-9_-]{25}",
        ("glimt-",),
        uri=_GITLAB,
    ),
    _token(
        "gitlab-feature-flags-token",
        "GitLab feature flags client token",
        LOW,
        r"glffct-[A-Za-z0-9_-]{20}",
        ("glffct-",),
        uri=_GITLAB,
    ),
    # --- Slack ---------------------------------------------------------------------------
    _token(
        "slack-bot-token",
        "Slack bot token",
        HIGH,
        r"xoxb-[0-9]{8,14}-(?:[0-9]{8,14}-)?[A-Za-z0-9]{18,34}",
        ("xoxb-",),
        uri=_SLACK,
    ),
    _token(
        "slack-user-token",
        "Slack user token",
        HIGH,
        r"xox[pe]-(?:[0-9]{8,14}-){2,3}[A-Za-z0-9]{18,64}",
        ("xoxp-", "xoxe-"),
        uri=_SLACK,
    ),
    _token(
        "slack-legacy-token",
        "Slack legacy token",
        HIGH,
        r"xox[aors]-(?:[0-9]{1,14}-){1,3}[A-Za-z0-9]{8,64}",
        ("xoxa-", "xoxo-", "xoxr-", "xoxs-"),
        uri=_SLACK,
    ),
    _token(
        "slack-config-token",
        "Slack configuration token",
        HIGH,
        r"xoxe\.xox[bp]-1-[A-Za-z0-9]{160,200}|xoxe-1-[A-Za-z0-9]{140,160}",
        ("xoxe.xox", "xoxe-1-"),
        uri=_SLACK,
    ),
    _token(
        "slack-app-token",
        "Slack app-level token",
        HIGH,
        r"xapp-\d-[A-Z0-9]{9,12}-\d{10,16}-[a-z0-9]{60,70}",
        ("xapp-",),
        uri=_SLACK,
    ),
    SecretRule(
        id="secret/slack-webhook-url",
        title="Slack incoming webhook URL",
        severity=HIGH,
        regex=(
            r"hooks\.slack\.com/(?:services|workflows|triggers)/"
            r"(?P<secret>[A-Za-z0-9]{8,12}/[A-Za-z0-9]{8,12}/[A-Za-z0-9]{20,40}|"
            r"T[A-Z0-9]{8,12}/[A-Za-z0-9]{8,12}/[A-Za-z0-9]{6,12}/[A-Za-z0-9]{20,40})"
        ),
        keywords=("hooks.slack.com",),
        entropy=3.0,
        remediation=_REMEDIATE,
        help_uri="https://api.slack.com/messaging/webhooks",
    ),
    # --- Payments, messaging, mail -------------------------------------------------------
    _token(
        "stripe-secret-key",
        "Stripe live secret key",
        CRITICAL,
        r"(?:sk|rk)_live_[0-9A-Za-z]{24,247}",
        ("sk_live_", "rk_live_"),
        uri=_STRIPE,
    ),
    _token(
        "stripe-test-secret-key",
        "Stripe test-mode secret key",
        LOW,
        r"(?:sk|rk)_test_[0-9A-Za-z]{24,247}",
        ("sk_test_", "rk_test_"),
        uri=_STRIPE,
    ),
    _token(
        "stripe-webhook-secret",
        "Stripe webhook signing secret",
        HIGH,
        r"whsec_[A-Za-z0-9+/]{32,88}",
        ("whsec_",),
        uri=_STRIPE,
    ),
    _token(
        "square-access-token",
        "Square access token",
        HIGH,
        r"EAAA[A-Za-z0-9_-]{60}|sq0atp-[0-9A-Za-z_-]{22}",
        ("eaaa", "sq0atp-"),
        entropy=3.5,
    ),
    _token(
        "square-application-secret",
        "Square application secret",
        HIGH,
        r"sq0csp-[0-9A-Za-z_-]{43}",
        ("sq0csp-",),
    ),
    _token(
        "shopify-token",
        "Shopify access token or shared secret",
        HIGH,
        r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}",
        ("shpat_", "shpca_", "shppa_", "shpss_"),
    ),
    SecretRule(
        id="secret/twilio-api-key",
        title="Twilio API key",
        severity=HIGH,
        regex=_L + r"(?P<secret>SK[0-9a-f]{32})" + _R,
        keywords=("twilio",),
        multiline=True,
        entropy=3.0,
        remediation=_REMEDIATE,
        help_uri="https://www.twilio.com/docs/iam/api-keys",
    ),
    _keyed(
        "twilio-auth-token",
        "Twilio auth token",
        CRITICAL,
        r"(?:twilio)?[\w.-]{0,20}?(?:auth_?token|api_?secret)",
        r"[0-9a-f]{32}",
        ("twilio",),
        multiline=True,
        uri="https://www.twilio.com/docs/iam/credentials/api",
    ),
    _token(
        "sendgrid-api-key",
        "SendGrid API key",
        CRITICAL,
        r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}",
        ("sg.",),
    ),
    _keyed(
        "mailgun-api-key",
        "Mailgun API key",
        HIGH,
        r"mailgun[\w.-]{0,25}",
        r"key-[0-9a-f]{32}|[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8}",
        ("mailgun",),
    ),
    SecretRule(
        id="secret/mailchimp-api-key",
        title="Mailchimp API key",
        severity=HIGH,
        regex=_L + r"(?P<secret>[0-9a-f]{32}-us[0-9]{1,2})" + _R,
        keywords=("mailchimp",),
        multiline=True,
        entropy=3.0,
        remediation=_REMEDIATE,
    ),
    _token(
        "sendinblue-api-key",
        "Brevo (Sendinblue) API key",
        HIGH,
        r"xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}",
        ("xkeysib-",),
    ),
    _token(
        "postman-api-key", "Postman API key", HIGH, r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}", ("pmak-",)
    ),
    _token(
        "telegram-bot-token",
        "Telegram bot token",
        HIGH,
        r"[0-9]{8,10}:AA[A-Za-z0-9_-]{33}",
        (":aa",),
    ),
    SecretRule(
        id="secret/discord-webhook-url",
        title="Discord webhook URL",
        severity=MEDIUM,
        regex=r"discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/(?P<secret>[A-Za-z0-9_-]{60,68})",
        keywords=("/api/webhooks/",),
        entropy=3.5,
        remediation=_REMEDIATE,
    ),
    # --- Package registries --------------------------------------------------------------
    _token(
        "npm-access-token",
        "npm access token",
        CRITICAL,
        r"npm_[A-Za-z0-9]{36}",
        ("npm_",),
        uri="https://docs.npmjs.com/about-access-tokens",
    ),
    _token(
        "pypi-upload-token",
        "PyPI upload token",
        CRITICAL,
        # Macaroons whose base64 starts with the location "pypi.org".
        r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}",
        ("pypi-ageichlwas5vcmc",),
        uri="https://pypi.org/help/#apitoken",
    ),
    _token(
        "testpypi-upload-token",
        "TestPyPI upload token",
        MEDIUM,
        r"pypi-AgENdGVzdC5weXBpLm9yZw[A-Za-z0-9_-]{50,}",
        ("pypi-agendgvzdc5wexbplm9yzw",),
    ),
    _token(
        "rubygems-api-token", "RubyGems API key", HIGH, r"rubygems_[a-f0-9]{48}", ("rubygems_",)
    ),
    _token(
        "docker-hub-token",
        "Docker Hub access token",
        CRITICAL,
        r"dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,}",
        ("dckr_pat_", "dckr_oat_"),
        uri="https://docs.docker.com/security/for-developers/access-tokens/",
    ),
    _token(
        "artifactory-api-key",
        "JFrog Artifactory API key",
        HIGH,
        r"AKCp[A-Za-z0-9]{69}",
        ("akcp",),
        entropy=3.5,
    ),
    _token(
        "artifactory-reference-token",
        "JFrog Artifactory reference token",
        HIGH,
        r"cmVmdGtu[A-Za-z0-9]{56}",
        ("cmvmdgtu",),
        entropy=3.5,
    ),
    _token(
        "private-packagist-token",
        "Private Packagist token",
        HIGH,
        r"packagist_[ou][ou]t_[a-f0-9]{68}",
        ("packagist_",),
    ),
    # --- Infrastructure and platforms ----------------------------------------------------
    _token(
        "vault-service-token",
        "HashiCorp Vault token",
        CRITICAL,
        r"hv[sbr]\.[A-Za-z0-9_-]{24,}",
        ("hvs.", "hvb.", "hvr."),
        uri="https://developer.hashicorp.com/vault/docs/concepts/tokens#token-prefixes",
    ),
    _keyed(
        "vault-legacy-token",
        "HashiCorp Vault token (legacy format)",
        HIGH,
        r"vault[\w.-]{0,20}",
        r"s\.[A-Za-z0-9]{24}",
        ("vault",),
    ),
    _token(
        "terraform-cloud-token",
        "Terraform Cloud / Enterprise API token",
        CRITICAL,
        r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}",
        ("atlasv1",),
    ),
    _token("pulumi-access-token", "Pulumi access token", HIGH, r"pul-[a-f0-9]{40}", ("pul-",)),
    _token(
        "doppler-token",
        "Doppler token",
        HIGH,
        r"dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44}",
        ("dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit."),
    ),
    _token(
        "digitalocean-token",
        "DigitalOcean token",
        CRITICAL,
        r"do[opr]_v1_[a-f0-9]{64}",
        ("dop_v1_", "doo_v1_", "dor_v1_"),
    ),
    _token("heroku-api-key", "Heroku API key", HIGH, r"HRKU-[A-Za-z0-9_-]{60}", ("hrku-",)),
    _keyed(
        "heroku-api-key-legacy",
        "Heroku API key",
        HIGH,
        r"heroku[\w.-]{0,20}",
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        ("heroku",),
    ),
    _token(
        "databricks-token", "Databricks access token", HIGH, r"dapi[a-f0-9]{32}(?:-\d)?", ("dapi",)
    ),
    _token(
        "atlassian-api-token",
        "Atlassian API token",
        HIGH,
        r"ATATT3[A-Za-z0-9_=-]{186}",
        ("atatt3",),
        entropy=3.5,
    ),
    _token(
        "alibaba-access-key-id",
        "Alibaba Cloud AccessKey ID",
        HIGH,
        r"LTAI[A-Za-z0-9]{12,20}",
        ("ltai",),
    ),
    _keyed(
        "okta-api-token",
        "Okta API token",
        HIGH,
        r"okta[\w.-]{0,20}",
        r"00[A-Za-z0-9_-]{40}",
        ("okta",),
        entropy=3.5,
    ),
    _token(
        "planetscale-token",
        "PlanetScale token or password",
        HIGH,
        r"pscale_(?:tkn|oauth|pw)_[A-Za-z0-9_.=-]{32,64}",
        ("pscale_",),
    ),
    _token("buildkite-token", "Buildkite agent/API token", HIGH, r"bkua_[a-f0-9]{40}", ("bkua_",)),
    _token(
        "circleci-token",
        "CircleCI personal API token",
        HIGH,
        r"CCIPAT_[A-Za-z0-9]{22}_[a-f0-9]{40}",
        ("ccipat_",),
    ),
    _token(
        "mapbox-secret-token",
        "Mapbox secret token",
        HIGH,
        r"sk\.eyJ[A-Za-z0-9_-]{50,}\.[A-Za-z0-9_-]{20,}",
        ("sk.eyj",),
    ),
    # --- Observability -------------------------------------------------------------------
    _token(
        "grafana-api-key",
        "Grafana API key",
        HIGH,
        r"eyJrIjoi[A-Za-z0-9+/]{70,400}={0,2}",
        ("eyjrijoi",),
        entropy=3.5,
    ),
    _token(
        "grafana-cloud-token",
        "Grafana Cloud API token",
        HIGH,
        r"glc_[A-Za-z0-9+/]{32,400}={0,2}",
        ("glc_",),
        entropy=3.5,
    ),
    _token(
        "grafana-service-account-token",
        "Grafana service account token",
        HIGH,
        r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}",
        ("glsa_",),
    ),
    _token(
        "new-relic-user-api-key", "New Relic user API key", HIGH, r"NRAK-[A-Z0-9]{27}", ("nrak-",)
    ),
    _token(
        "new-relic-insert-key", "New Relic insert key", HIGH, r"NRII-[A-Za-z0-9_-]{32}", ("nrii-",)
    ),
    _token("new-relic-license-key", "New Relic license key", HIGH, r"[a-f0-9]{36}NRAL", ("nral",)),
    _token(
        "new-relic-browser-key", "New Relic browser API key", LOW, r"NRJS-[a-f0-9]{19}", ("nrjs-",)
    ),
    _token(
        "sentry-org-token",
        "Sentry organization auth token",
        HIGH,
        r"sntrys_eyJ[A-Za-z0-9+/=_-]{60,}",
        ("sntrys_",),
        entropy=3.5,
    ),
    _token(
        "sentry-user-token", "Sentry user auth token", HIGH, r"sntryu_[a-f0-9]{64}", ("sntryu_",)
    ),
    # --- AI platforms and developer tools ------------------------------------------------
    _token(
        "openai-api-key",
        "OpenAI API key",
        CRITICAL,
        # ``T3BlbkFJ`` is base64 of "OpenAI", embedded in every key format so far.
        r"sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}",
        ("t3blbkfj",),
    ),
    _token(
        "openai-project-key",
        "OpenAI API key",
        CRITICAL,
        r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{58,}",
        ("sk-proj-", "sk-svcacct-", "sk-admin-"),
        entropy=3.5,
    ),
    _token(
        "anthropic-api-key",
        "Anthropic API key",
        CRITICAL,
        r"sk-ant-(?:api|admin)\d\d-[A-Za-z0-9_-]{80,120}",
        ("sk-ant-",),
        entropy=3.5,
    ),
    _token(
        "huggingface-token",
        "Hugging Face access token",
        HIGH,
        r"(?:hf_|api_org_)[A-Za-z]{34}",
        ("hf_", "api_org_"),
        entropy=3.5,
        validator=_value(lambda v: filters.char_classes(v[3:]) >= 2),
    ),
    _token("linear-api-key", "Linear API key", HIGH, r"lin_api_[A-Za-z0-9]{40}", ("lin_api_",)),
    _token(
        "age-secret-key",
        "age secret key",
        CRITICAL,
        r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
        ("age-secret-key-1",),
        uri="https://age-encryption.org/v1",
    ),
)

_PEM_BODY = r"(?P<secret>(?:(?!-----)[\s\S]){64,16384}?)"

KEY_RULES: tuple[SecretRule, ...] = (
    SecretRule(
        id="secret/pgp-private-key",
        title="PGP private key block",
        severity=CRITICAL,
        regex=(
            r"-----BEGIN PGP PRIVATE KEY BLOCK-----"
            + _PEM_BODY
            + r"-----END PGP PRIVATE KEY BLOCK-----"
        ),
        keywords=("pgp private key block",),
        multiline=True,
        placeholder_filter=False,
        validator=_value(filters.pem_body_ok),
        normalize=filters.pem_body,
        description="An OpenPGP secret key (RFC 4880 section 6.2 armor).",
        remediation=_REMEDIATE,
    ),
    SecretRule(
        id="secret/private-key",
        title="Private key",
        severity=CRITICAL,
        # RFC 7468 textual encoding: PKCS#8 ``PRIVATE KEY``, ``ENCRYPTED PRIVATE KEY``, the
        # legacy ``RSA``/``EC``/``DSA`` forms and ``OPENSSH PRIVATE KEY``. A body is required;
        # public keys and certificates never say PRIVATE KEY.
        regex=(
            r"-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY-----"
            + _PEM_BODY
            + r"-----END[ A-Z0-9]{0,40}PRIVATE KEY-----"
        ),
        keywords=("private key-----",),
        multiline=True,
        placeholder_filter=False,
        validator=_value(filters.pem_body_ok),
        normalize=filters.pem_body,
        description="A private key: whoever holds the image can impersonate its owner.",
        remediation=_REMEDIATE,
    ),
    SecretRule(
        id="secret/putty-private-key",
        title="PuTTY private key",
        severity=CRITICAL,
        regex=(
            r"PuTTY-User-Key-File-\d: [^\r\n]+\r?\n(?:[^\r\n]*\r?\n){0,24}?"
            r"Private-Lines: \d+\r?\n(?P<secret>(?:[A-Za-z0-9+/=]+\r?\n?){1,200})"
        ),
        keywords=("putty-user-key-file-",),
        multiline=True,
        placeholder_filter=False,
        validator=_value(
            lambda v: (
                len(filters.pem_body(v)) >= 40
                and filters.shannon_entropy(filters.pem_body(v)) >= 3.5
            )
        ),
        normalize=filters.pem_body,
        description="A PuTTY (.ppk) private key.",
        remediation=_REMEDIATE,
    ),
    _token(
        "jwt",
        "JSON Web Token",
        MEDIUM,
        r"eyJ[A-Za-z0-9_-]{10,}\.ey[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}",
        ("eyj",),
        validator=_value(filters.jwt_ok),
        uri="https://datatracker.ietf.org/doc/html/rfc7519",
    ),
)


def _url_credentials_ok(groups: Mapping[str, str]) -> bool:
    password = groups["secret"]
    if password == groups.get("user") or not filters.url_password_ok(password):
        return False
    if filters.placeholder_host(groups.get("host", "")):
        return False
    return not filters.is_placeholder(groups.get("user", "") + "@" + groups.get("host", ""))


_DOTENV_KEY = (
    r"[A-Za-z0-9_]*(?:PASSWORD|PASSWD|PWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|"
    r"CREDENTIALS?|AUTH)[A-Za-z0-9_]*"
)
_SECRET_WORDS = (
    "password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "api-key",
    "access_key", "accesskey", "access-key", "private_key", "privatekey", "credential", "auth",
)  # fmt: skip

FILE_FORMAT_RULES: tuple[SecretRule, ...] = (
    SecretRule(
        id="secret/npmrc-auth",
        title="npm registry credential (.npmrc)",
        severity=HIGH,
        regex=(
            r"(?i)(?:^|[\s:\"'])_(?:authToken|auth|password)\s*=\s*[\"']?"
            r"(?P<secret>[^\s\"'$]{8,})"
        ),
        keywords=("_authtoken", "_auth", "_password"),
        entropy=2.5,
        validator=_value(lambda v: not filters.is_code_or_word(v)),
        remediation=_REMEDIATE,
        help_uri="https://docs.npmjs.com/cli/configuring-npm/npmrc#auth-related-configuration",
    ),
    SecretRule(
        id="secret/pypirc-password",
        title="Python package index password (.pypirc)",
        severity=HIGH,
        regex=r"(?im)^[ \t]*password[ \t]*[:=][ \t]*(?P<secret>\S{4,})[ \t]*\r?$",
        keywords=("password",),
        paths=r"(?:^|/)\.pypirc$",
        validator=_value(lambda v: not filters.is_code_or_word(v)),
        remediation=_REMEDIATE,
        help_uri="https://packaging.python.org/specifications/pypirc/",
    ),
    SecretRule(
        id="secret/docker-config-auth",
        title="Container registry credential (Docker config.json auth)",
        severity=CRITICAL,
        regex=r'"auth"\s*:\s*"(?P<secret>[A-Za-z0-9+/]{6,}={0,2})"',
        keywords=('"auth"',),
        validator=_value(filters.docker_auth_ok),
        remediation=_REMEDIATE,
        help_uri="https://docs.docker.com/reference/cli/docker/login/#credential-stores",
    ),
    SecretRule(
        id="secret/docker-config-identitytoken",
        title="Container registry identity token (Docker config.json)",
        severity=HIGH,
        regex=r'"(?:identitytoken|registrytoken)"\s*:\s*"(?P<secret>[^"\s]{16,})"',
        keywords=('"identitytoken"', '"registrytoken"'),
        entropy=3.0,
        remediation=_REMEDIATE,
    ),
    SecretRule(
        id="secret/git-credentials",
        title="Git credential store entry (.git-credentials)",
        severity=CRITICAL,
        regex=r"[a-z][a-z0-9+.-]*://(?P<user>[^:@/\s]*):(?P<secret>[^@\s]+)@(?P<host>[^\s/]+)",
        keywords=("://",),
        paths=r"(?:^|/)\.git-credentials$",
        validator=_url_credentials_ok,
        remediation=_REMEDIATE,
        help_uri="https://git-scm.com/docs/git-credential-store#_storage_format",
    ),
    SecretRule(
        id="secret/kubeconfig-client-key",
        title="Kubernetes client private key (kubeconfig client-key-data)",
        severity=CRITICAL,
        regex=r"client-key-data\"?\s*:\s*[\"']?(?P<secret>[A-Za-z0-9+/=]{40,})",
        keywords=("client-key-data",),
        placeholder_filter=False,
        validator=_value(filters.base64_private_key_ok),
        remediation=_REMEDIATE,
    ),
    SecretRule(
        id="secret/kubeconfig-credential",
        title="Kubernetes credential (kubeconfig token/password)",
        severity=HIGH,
        regex=r"(?m)^[ \t]+(?:token|password):[ \t]*[\"']?(?P<secret>[^\s\"']{8,})",
        keywords=("token:", "password:"),
        multiline=True,
        # Starts with a literal so the search is a fast scan; ``kind: Config`` is the
        # kubeconfig document's own kind (a ``v1`` Config object).
        requires=r"kind:[ \t]*[\"']?Config\b",
        validator=_value(filters.env_value_ok),
        remediation=_REMEDIATE,
    ),
    SecretRule(
        id="secret/dotenv-secret",
        title="Secret in a .env file",
        severity=HIGH,
        regex=(
            r"(?im)^[ \t]*(?:export[ \t]+)?(?P<key>" + _DOTENV_KEY + r")[ \t]*=[ \t]*"
            r"(?P<q>[\"']?)(?P<secret>[^\s\"'#]{6,})(?P=q)"
        ),
        keywords=_SECRET_WORDS,
        paths=r"(?:^|/)\.env(?:\.[\w.-]+)?$|\.env$",
        validator=_value(filters.env_value_ok),
        remediation=_REMEDIATE,
    ),
    SecretRule(
        id="secret/connection-string-password",
        title="Password in a database connection string",
        severity=HIGH,
        # ADO.NET / ODBC / OLE DB: ``Server=db;User Id=sa;Password=...;``.
        regex=(
            r"(?i)(?:server|data source|host|hostname|user id|uid|database|initial catalog)"
            r"\s*=[^;\"'<>\n]*;[^\"'<>\n]*?(?<![\w])(?:password|pwd)\s*=\s*"
            r"(?P<secret>[^;\"'<>\s]{4,128})(?=[;\"'<>\s]|$)"
        ),
        keywords=("password=", "pwd=", "password =", "pwd ="),
        validator=_value(filters.env_value_ok),
        remediation=_REMEDIATE,
    ),
    SecretRule(
        id="secret/jdbc-url-password",
        title="Password in a JDBC URL",
        severity=HIGH,
        regex=r"(?i)jdbc:[a-z0-9]+:[^\s\"'<>]*?[?&;]password=(?P<secret>[^&;\s\"'<>]{4,128})",
        keywords=("jdbc:",),
        validator=_value(filters.env_value_ok),
        remediation=_REMEDIATE,
    ),
    SecretRule(
        id="secret/basic-auth-header",
        title="HTTP Basic authorization header",
        severity=HIGH,
        regex=r"(?i)authorization[\"']?\s*[:=]\s*[\"']?basic\s+(?P<secret>[A-Za-z0-9+/]{8,}={0,2})",
        keywords=("authorization",),
        # RFC 6749 section 2.3.1's example client credentials (s6BhdRkqt3:gX1fBat3bV).
        allow_values=frozenset({"czZCaGRSa3F0MzpnWDFmQmF0M2JW"}),
        validator=_value(filters.docker_auth_ok),
        remediation=_REMEDIATE,
    ),
    SecretRule(
        id="secret/bearer-token",
        title="HTTP Bearer authorization header",
        severity=MEDIUM,
        regex=r"(?i)authorization[\"']?\s*[:=]\s*[\"']?bearer\s+(?P<secret>[A-Za-z0-9._~+/-]{20,}=*)",
        keywords=("authorization",),
        entropy=3.5,
        remediation=_REMEDIATE,
    ),
)

_GENERIC_KEY = (
    r"[A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|"
    r"auth[_-]?key|private[_-]?key|client[_-]?secret|credentials?)[A-Za-z0-9_.-]*"
)
# Names that hold something about a secret, not the secret (a path, a length, a prompt...).
_GENERIC_KEY_REJECT = re.compile(
    r"(?i)(?:_|-|\.|^)(?:file|path|dir|url|uri|endpoint|env|name|names|len|length|size|type|"
    r"field|prompt|header|min|max|id|ids|format|regex|pattern|policy|count|expir\w*|timeout|"
    r"ttl|hash|salt|algorithm|algo|mode|char|chars|label|help|description|hint|example|"
    r"placeholder|command|cmd|store|provider|class|module|key_id|endpoint|namespace|ns|"
    r"prefix|suffix|scope|realm|issuer|audience|version|param|arg|var|key_name)$|"
    r"^(?:public|pub|no|is|has|use|show|enable|disable|require|reset|forgot|new|old)[_-]|"
    r"public[_-]?key|tokenizer|tokenize|csrf|xsrf|token_?type|hashed|digest|checksum"
)


_GENERIC_KEYWORDS = (
    "password", "passwd", "pwd", "secret", "token", "api_key", "api-key", "apikey",
    "access_key", "access-key", "accesskey", "auth_key", "authkey", "private_key",
    "privatekey", "credential",
)  # fmt: skip


# Machine-made tokens are long and random; people choose passwords: a lower bar for those.
_PASSWORD_KEY = re.compile(r"(?i)pass(?:word|wd)?|pwd")


def _generic_ok(groups: Mapping[str, str]) -> bool:
    key = groups.get("key", "")
    if _GENERIC_KEY_REJECT.search(key):
        return False
    if _PASSWORD_KEY.search(key):
        return filters.generic_value_ok(groups["secret"], min_entropy=3.0, min_length=8)
    # Machine-made tokens and keys are long; short values under these names are samples.
    return filters.generic_value_ok(groups["secret"], min_entropy=3.5, min_length=16)


def _generic_config_ok(groups: Mapping[str, str]) -> bool:
    return _generic_ok(groups) and filters.unquoted_value_ok(groups["secret"])


URL_AND_GENERIC_RULES: tuple[SecretRule, ...] = (
    SecretRule(
        id="secret/url-credentials",
        title="Credentials in a URL",
        severity=HIGH,
        # Starts with the literal "://" so the whole-content search is a fast literal scan;
        # the lookbehind then checks that a scheme character precedes it.
        regex=(
            r"://(?<=[A-Za-z0-9]://)(?P<user>[^\s:@/\"'<>\\`]{1,128}):"
            r"(?P<secret>[^\s:@/\"'<>\\`]{3,128})@(?P<host>[A-Za-z0-9][A-Za-z0-9.-]*)"
        ),
        keywords=("://",),
        multiline=True,
        generic=True,
        validator=_url_credentials_ok,
        description="A URL embeds a user name and password (RFC 3986 section 3.2.1 deprecates it).",
        remediation=_REMEDIATE,
    ),
    SecretRule(
        id="secret/generic-secret",
        title="Secret assigned in code or configuration",
        severity=MEDIUM,
        # A quoted literal assigned to a secret-named key, anywhere in a line (code, JSON).
        regex=(
            r"(?i)(?<![A-Za-z0-9_.-])(?P<key>" + _GENERIC_KEY + r")[\"'`]?\s*"
            r"(?:=|:=|=>|:|\|\|=)\s*(?P<q>[\"'`])(?P<secret>[^\s\"'`]{8,200})(?P=q)"
        ),
        keywords=_GENERIC_KEYWORDS,
        anchor="word",
        generic=True,
        validator=_generic_ok,
        description=(
            "A value with the randomness of a credential is assigned to a name that says it "
            "is one (password, secret, token, api_key...)."
        ),
        remediation=_REMEDIATE,
    ),
    SecretRule(
        id="secret/generic-secret-config",
        title="Secret assigned in a configuration file",
        severity=MEDIUM,
        # Config style, unquoted: ``key = value`` / ``key: value`` / ``export KEY=value`` /
        # ``- KEY=value`` opening a line and running to its end (INI, YAML, .properties,
        # shell). Unquoted right-hand sides in the middle of a line are code, not data.
        regex=(
            r"(?i)[ \t]*(?:export[ \t]+|set[ \t]+|-[ \t]+|ENV[ \t]+|ARG[ \t]+)?[\"']?"
            r"(?P<key>" + _GENERIC_KEY + r")[\"']?[ \t]*[=:][ \t]*"
            r"(?P<secret>[^\s\"'`]{7,199}[^\s\"'`;,])(?:[ \t]+[#;].*)?[ \t]*[;,]?\r?$"
        ),
        keywords=_GENERIC_KEYWORDS,
        anchor="line",
        generic=True,
        validator=_generic_config_ok,
        description=(
            "A value with the randomness of a credential is assigned to a name that says it "
            "is one, in a configuration or environment file."
        ),
        remediation=_REMEDIATE,
    ),
)

RULES: tuple[SecretRule, ...] = (
    PROVIDER_RULES + KEY_RULES + FILE_FORMAT_RULES + URL_AND_GENERIC_RULES
)
"""Every rule, in priority order."""


def _ruleset_digest() -> str:
    """Hash of the rules' data: any edit to a regex, keyword or threshold changes it."""
    h = hashlib.sha256()
    for r in RULES:
        h.update(
            repr(
                (r.id, r.regex, r.keywords, r.multiline, r.entropy, r.paths, r.requires,
                 sorted(r.allow_values), r.allow_regexes, r.placeholder_filter, r.generic,
                 r.severity.value)
            ).encode()
        )  # fmt: skip
    return h.hexdigest()[:10]


RULESET_BASE_VERSION = "1"
"""Bump when detector or filter code changes results (the digest covers the rule data)."""

RULESET_VERSION = f"{RULESET_BASE_VERSION}+{_ruleset_digest()}"
"""Enters the layer cache key: cached records of an older rule set are not reused."""


def all_rules() -> tuple[Rule, ...]:
    """The rules as :class:`gate.models.Rule` metadata for reports (one per distinct id)."""
    return tuple(
        Rule(
            id=RuleID(r.id),
            check=Check.SECRETS,
            title=r.title,
            severity=r.severity,
            description=r.description,
            remediation=r.remediation,
            tags=("security", "secret"),
            help_uri=r.help_uri,
        )
        for r in RULES
    )


RULES_BY_ID: dict[str, SecretRule] = {r.id: r for r in RULES}
