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



def _named(
    name: str,
    title: str,
    severity: Severity,
    provider: str,
    value: str,
    keywords: tuple[str, ...],
    *,
    entropy: float = 3.0,
    key_has: str | None = None,
    key_not: str | None = None,
    check: Callable[[str], bool] = filters.provider_value_ok,
    allow: frozenset[str] = frozenset(),
    uri: str | None = None,
) -> SecretRule:
    """A generic-shaped value (32 hex, 24 alphanumerics...) recognised by the provider its key
    names: ``DISCORD_CLIENT_SECRET = "..."``, ``"fastly_api_token": "..."``. The provider name
    must start a word of the key; ``key_has``/``key_not`` (case-insensitive regexes on the key)
    tell a secret from the same provider's public identifiers. The value must pass the rule's
    entropy floor and ``check`` (by default :func:`filters.provider_value_ok`: no placeholder,
    sample, word or identifier)."""
    must = re.compile(key_has, re.IGNORECASE) if key_has else None
    must_not = re.compile(key_not, re.IGNORECASE) if key_not else None

    def validate(groups: Mapping[str, str]) -> bool:
        key = groups.get("key", "")
        if must is not None and must.search(key) is None:
            return False
        if must_not is not None and must_not.search(key) is not None:
            return False
        return check(groups["secret"])

    return SecretRule(
        id=f"secret/{name}",
        title=title,
        severity=severity,
        regex=(
            r"(?<![A-Za-z0-9])(?P<key>(?i:" + provider + r")[\w.-]{0,30}?)" + _ASSIGN
            + "(?P<secret>" + value + ")" + r"(?![A-Za-z0-9/+=_-])"
        ),
        keywords=keywords,
        entropy=entropy,
        allow_values=allow,
        validator=validate,
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


def _hf_body_ok(value: str) -> bool:
    body = value.split("_", 2)[-1] if value.startswith("api_org_") else value[3:]
    return filters.char_classes(body) >= 2 and not filters.looks_like_identifier(body)


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
        # ``aws_secret_access_key`` (the CLI's name) and the names SDKs and tools use:
        # ``AWS_SECRET_KEY``, ``aws_access_key``, ``aws_key`` holding the 40-character secret.
        r"(?:(?:aws)?_?secret_?(?:access)?_?key(?:_?id)?|aws_?(?:sec_?)?(?:access_?)?key)",
        r"[A-Za-z0-9/+]{40}",
        ("secret_access_key", "secretaccesskey", "secret_key", "secretkey", "aws_secret",
         "access_key", "accesskey", "aws_key", "awskey", "aws_sec"),
        entropy=3.5,
        allow=_AWS_DOC_KEYS,
        validator=_value(lambda v: filters.char_classes(v) >= 3),
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
        r"(?<![A-Za-z])(?:azure|devops|vsts|ado)[\w.-]{0,20}?(?:pat|token)",
        r"[a-z2-7]{52}",
        ("azure", "devops", "vsts", "ado_", "ado-"),
        entropy=3.5,
    ),
    # --- GitHub --------------------------------------------------------------------------
    _token("github-pat", "GitHub personal access token", CRITICAL,
           r"ghp_[A-Za-z0-9]{36}", ("ghp_",), uri=_GITHUB),
    _token("github-fine-grained-pat", "GitHub fine-grained personal access token", CRITICAL,
           r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}", ("github_pat_",), uri=_GITHUB),
    _token("github-oauth-token", "GitHub OAuth access token", HIGH,
           r"gho_[A-Za-z0-9]{36}", ("gho_",), uri=_GITHUB),
    _token("github-app-token", "GitHub App token", HIGH,
           # Since 2026-04-27 installation tokens may be stateless: ``ghs_<APP ID>_<JWT>``
           # (about 520 characters; GitHub docs, "Generating an installation access token").
           r"(?:ghu|ghs)_[A-Za-z0-9]{36}|ghs_[0-9]{1,12}_eyJ[A-Za-z0-9_-]{10,}\.eyJ"
           r"[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,}", ("ghu_", "ghs_"), uri=_GITHUB),
    _token("github-refresh-token", "GitHub refresh token", HIGH,
           r"ghr_[A-Za-z0-9]{36,76}", ("ghr_",), uri=_GITHUB),
    # --- GitLab --------------------------------------------------------------------------
    _token("gitlab-pat", "GitLab personal access token", CRITICAL,
           r"glpat-[A-Za-z0-9_-]{20,300}(?:\.[0-9a-z]{2}\.[0-9a-z]{7,9})?", ("glpat-",),
           uri=_GITLAB),
    _token("gitlab-deploy-token", "GitLab deploy token", HIGH,
           r"gldt-[A-Za-z0-9_-]{20,300}", ("gldt-",), uri=_GITLAB),
    _token("gitlab-runner-token", "GitLab runner authentication token", HIGH,
           r"glrt-[A-Za-z0-9_-]{20,300}(?:\.[0-9a-z]{2}\.[0-9a-z]{7,9})?", ("glrt-",),
           uri=_GITLAB),
    _token("gitlab-runner-registration-token", "GitLab runner registration token", HIGH,
           r"GR1348941[A-Za-z0-9_-]{20}", ("gr1348941",), uri=_GITLAB),
    _token("gitlab-pipeline-trigger-token", "GitLab pipeline trigger token", HIGH,
           r"glptt-[0-9a-f]{40}", ("glptt-",), uri=_GITLAB),
    _token("gitlab-oauth-app-secret", "GitLab OAuth application secret", HIGH,
           r"gloas-[A-Za-z0-9_-]{64}", ("gloas-",), uri=_GITLAB),
    _token("gitlab-agent-token", "GitLab agent for Kubernetes token", HIGH,
           r"glagent-[A-Za-z0-9_-]{50,}", ("glagent-",), uri=_GITLAB),
    _token("gitlab-scim-token", "GitLab SCIM token", HIGH,
           r"glsoat-[A-Za-z0-9_-]{20}", ("glsoat-",), uri=_GITLAB),
    _token("gitlab-ci-job-token", "GitLab CI/CD job token", MEDIUM,
           r"glcbt-[0-9a-zA-Z]{1,5}_[0-9a-zA-Z_-]{20}", ("glcbt-",), uri=_GITLAB),
    _token("gitlab-feed-token", "GitLab feed token", MEDIUM,
           r"glft-[A-Za-z0-9_-]{20}", ("glft-",), uri=_GITLAB),
    _token("gitlab-incoming-mail-token", "GitLab incoming mail token", MEDIUM,
           r"glimt-[A-Za-z0-9_-]{25}", ("glimt-",), uri=_GITLAB),
    _token("gitlab-feature-flags-token", "GitLab feature flags client token", LOW,
           r"glffct-[A-Za-z0-9_-]{20}", ("glffct-",), uri=_GITLAB),
    # --- Slack ---------------------------------------------------------------------------
    _token("slack-bot-token", "Slack bot token", HIGH,
           r"xoxb-[0-9]{8,14}-(?:[0-9]{8,14}-)?[A-Za-z0-9]{18,34}", ("xoxb-",), uri=_SLACK),
    _token("slack-user-token", "Slack user token", HIGH,
           r"xox[pe]-(?:[0-9]{8,14}-){2,3}[A-Za-z0-9]{18,64}", ("xoxp-", "xoxe-"), uri=_SLACK),
    _token("slack-legacy-token", "Slack legacy token", HIGH,
           r"xox[aors]-(?:[0-9]{1,14}-){1,3}[A-Za-z0-9]{8,64}",
           ("xoxa-", "xoxo-", "xoxr-", "xoxs-"), uri=_SLACK),
    _token("slack-config-token", "Slack configuration token", HIGH,
           r"xoxe\.xox[bp]-1-[A-Za-z0-9]{160,200}|xoxe-1-[A-Za-z0-9]{140,160}",
           ("xoxe.xox", "xoxe-1-"), uri=_SLACK),
    _token("slack-app-token", "Slack app-level token", HIGH,
           r"xapp-\d-[A-Z0-9]{9,12}-\d{10,16}-[a-z0-9]{60,70}", ("xapp-",), uri=_SLACK),
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
    _token("stripe-secret-key", "Stripe live secret key", CRITICAL,
           r"(?:sk|rk)_live_[0-9A-Za-z]{24,247}", ("sk_live_", "rk_live_"), uri=_STRIPE),
    _token("stripe-test-secret-key", "Stripe test-mode secret key", LOW,
           r"(?:sk|rk)_test_[0-9A-Za-z]{24,247}", ("sk_test_", "rk_test_"),
           allow=filters.STRIPE_DOC_KEYS, uri=_STRIPE),
    _token("stripe-publishable-key", "Stripe publishable key (public by design)", LOW,
           # Publishable keys are meant for browsers and apps; reported low, as an inventory.
           r"pk_(?:live|test)_[0-9A-Za-z]{24,247}", ("pk_live_", "pk_test_"),
           allow=filters.STRIPE_DOC_KEYS, uri=_STRIPE),
    _token("stripe-webhook-secret", "Stripe webhook signing secret", HIGH,
           r"whsec_[A-Za-z0-9+/]{32,88}", ("whsec_",), uri=_STRIPE),
    _token("square-access-token", "Square access token", HIGH,
           r"EAAA[A-Za-z0-9_-]{60}|sq0atp-[0-9A-Za-z_-]{22}", ("eaaa", "sq0atp-"),
           entropy=3.5),
    _token("square-application-secret", "Square application secret", HIGH,
           r"sq0csp-[0-9A-Za-z_-]{43}", ("sq0csp-",)),
    _token("shopify-token", "Shopify access token or shared secret", HIGH,
           r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}", ("shpat_", "shpca_", "shppa_", "shpss_")),
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
    _token("sendgrid-api-key", "SendGrid API key", CRITICAL,
           r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}", ("sg.",)),
    _keyed(
        "mailgun-api-key",
        "Mailgun API key",
        HIGH,
        r"mailgun[\w.-]{0,25}",
        # Private API keys ``key-<32 hex>`` (and the public validation ``pubkey-``), newer
        # keys and webhook signing keys ``<32 hex>-<8 hex>-<8 hex>``.
        r"(?:pub)?key-[0-9a-f]{32}|[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8}",
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
    _token("sendinblue-api-key", "Brevo (Sendinblue) API key", HIGH,
           r"xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}", ("xkeysib-",)),
    _token("postman-api-key", "Postman API key", HIGH,
           r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}", ("pmak-",)),
    _token("telegram-bot-token", "Telegram bot token", HIGH,
           r"[0-9]{8,10}:AA[A-Za-z0-9_-]{33}", (":aa",)),
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
    _token("npm-access-token", "npm access token", CRITICAL,
           r"npm_[A-Za-z0-9]{36}", ("npm_",),
           uri="https://docs.npmjs.com/about-access-tokens"),
    _token("pypi-upload-token", "PyPI upload token", CRITICAL,
           # Macaroons whose base64 starts with the location "pypi.org".
           r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}", ("pypi-ageichlwas5vcmc",),
           uri="https://pypi.org/help/#apitoken"),
    _token("testpypi-upload-token", "TestPyPI upload token", MEDIUM,
           r"pypi-AgENdGVzdC5weXBpLm9yZw[A-Za-z0-9_-]{50,}", ("pypi-agendgvzdc5wexbplm9yzw",)),
    _token("rubygems-api-token", "RubyGems API key", HIGH,
           r"rubygems_[a-f0-9]{48}", ("rubygems_",)),
    _token("docker-hub-token", "Docker Hub access token", CRITICAL,
           r"dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,}", ("dckr_pat_", "dckr_oat_"),
           uri="https://docs.docker.com/security/for-developers/access-tokens/"),
    _token("artifactory-api-key", "JFrog Artifactory API key", HIGH,
           r"AKCp[A-Za-z0-9]{69}", ("akcp",), entropy=3.5),
    _token("artifactory-reference-token", "JFrog Artifactory reference token", HIGH,
           r"cmVmdGtu[A-Za-z0-9]{56}", ("cmvmdgtu",), entropy=3.5),
    _token("private-packagist-token", "Private Packagist token", HIGH,
           # ``packagist_`` + kind (``ort``/``out`` organisation read-only/update, ``uut``
           # user) + 60 hex + the CRC32 of all that as 8 hex: the checksum is verified.
           r"packagist_[a-z]{2}t_[a-fA-F0-9]{68}", ("packagist_",),
           validator=_value(filters.crc32_hex_suffix_ok),
           uri="https://packagist.com/docs/composer-authentication#token-format"),
    # --- Infrastructure and platforms ----------------------------------------------------
    _token("vault-service-token", "HashiCorp Vault token", CRITICAL,
           r"hv[sbr]\.[A-Za-z0-9_-]{24,}", ("hvs.", "hvb.", "hvr."),
           uri="https://developer.hashicorp.com/vault/docs/concepts/tokens#token-prefixes"),
    _keyed(
        "vault-legacy-token",
        "HashiCorp Vault token (legacy format)",
        HIGH,
        r"vault[\w.-]{0,20}",
        r"s\.[A-Za-z0-9]{24}",
        ("vault",),
    ),
    _token("terraform-cloud-token", "Terraform Cloud / Enterprise API token", CRITICAL,
           r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}", ("atlasv1",)),
    _token("pulumi-access-token", "Pulumi access token", HIGH,
           r"pul-[a-f0-9]{40}", ("pul-",)),
    _token("doppler-token", "Doppler token", HIGH,
           r"dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44}",
           ("dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit.")),
    _token("digitalocean-token", "DigitalOcean token", CRITICAL,
           r"do[opr]_v1_[a-f0-9]{64}", ("dop_v1_", "doo_v1_", "dor_v1_")),
    _token("heroku-api-key", "Heroku API key", HIGH,
           r"HRKU-[A-Za-z0-9_-]{60}", ("hrku-",)),
    _keyed(
        "heroku-api-key-legacy",
        "Heroku API key",
        HIGH,
        r"heroku[\w.-]{0,20}",
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        ("heroku",),
    ),
    _token("databricks-token", "Databricks access token", HIGH,
           r"dapi[a-f0-9]{32}(?:-\d)?", ("dapi",)),
    _token("atlassian-api-token", "Atlassian API token", HIGH,
           r"ATATT3[A-Za-z0-9_=-]{186}", ("atatt3",), entropy=3.5),
    _token("alibaba-access-key-id", "Alibaba Cloud AccessKey ID", HIGH,
           r"LTAI[A-Za-z0-9]{12,20}", ("ltai",)),
    _keyed(
        "okta-api-token",
        "Okta API token",
        HIGH,
        r"okta[\w.-]{0,20}",
        r"00[A-Za-z0-9_-]{40}",
        ("okta",),
        entropy=3.5,
    ),
    _token("planetscale-token", "PlanetScale token or password", HIGH,
           r"pscale_(?:tkn|oauth|pw)_[A-Za-z0-9_.=-]{32,64}", ("pscale_",)),
    _token("buildkite-token", "Buildkite agent/API token", HIGH,
           r"bkua_[a-f0-9]{40}", ("bkua_",)),
    _token("circleci-token", "CircleCI personal API token", HIGH,
           r"CCIPAT_[A-Za-z0-9]{22}_[a-f0-9]{40}", ("ccipat_",)),
    _token("mapbox-secret-token", "Mapbox secret token", HIGH,
           r"sk\.eyJ[A-Za-z0-9_-]{50,}\.[A-Za-z0-9_-]{20,}", ("sk.eyj",)),
    # --- Observability -------------------------------------------------------------------
    _token("grafana-api-key", "Grafana API key", HIGH,
           # base64 of ``{"k":"<32 random>","n":"<key name>","id":<org>}``: the prefix is
           # ``{"k":"`` encoded, so 40 more characters already hold most of the key.
           r"eyJrIjoi[A-Za-z0-9+/]{40,400}={0,2}", ("eyjrijoi",), entropy=3.5),
    _token("grafana-cloud-token", "Grafana Cloud API token", HIGH,
           r"glc_[A-Za-z0-9+/]{32,400}={0,2}", ("glc_",), entropy=3.5),
    _token("grafana-service-account-token", "Grafana service account token", HIGH,
           r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}", ("glsa_",)),
    _token("new-relic-user-api-key", "New Relic user API key", HIGH,
           r"NRAK-[A-Z0-9]{27}", ("nrak-",)),
    _token("new-relic-insert-key", "New Relic insert key", HIGH,
           r"NRII-[A-Za-z0-9_-]{32}", ("nrii-",)),
    _token("new-relic-license-key", "New Relic license key", HIGH,
           r"[a-f0-9]{36}NRAL", ("nral",)),
    _token("new-relic-browser-key", "New Relic browser API key", LOW,
           r"NRJS-[a-f0-9]{19}", ("nrjs-",)),
    _token("sentry-org-token", "Sentry organization auth token", HIGH,
           r"sntrys_eyJ[A-Za-z0-9+/=_-]{60,}", ("sntrys_",), entropy=3.5),
    _token("sentry-user-token", "Sentry user auth token", HIGH,
           r"sntryu_[a-f0-9]{64}", ("sntryu_",)),
    # --- AI platforms and developer tools ------------------------------------------------
    _token("openai-api-key", "OpenAI API key", CRITICAL,
           # ``T3BlbkFJ`` is base64 of "OpenAI", embedded in every key format so far.
           r"sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}",
           ("t3blbkfj",)),
    _token("openai-project-key", "OpenAI API key", CRITICAL,
           r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{58,}",
           ("sk-proj-", "sk-svcacct-", "sk-admin-"), entropy=3.5),
    _token("anthropic-api-key", "Anthropic API key", CRITICAL,
           r"sk-ant-(?:api|admin)\d\d-[A-Za-z0-9_-]{80,120}", ("sk-ant-",), entropy=3.5),
    _token("huggingface-token", "Hugging Face access token", HIGH,
           # User access tokens are ``hf_`` plus 34 random letters (some tools also issue
           # digits and up to 40 characters); organisation tokens ``api_org_``.
           r"(?:hf_|api_org_)[A-Za-z0-9]{34,40}", ("hf_", "api_org_"), entropy=3.5,
           validator=_value(_hf_body_ok),
           uri="https://huggingface.co/docs/hub/security-tokens"),
    _token("linear-api-key", "Linear API key", HIGH,
           r"lin_api_[A-Za-z0-9]{40}", ("lin_api_",)),
    _token("age-secret-key", "age secret key", CRITICAL,
           r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}", ("age-secret-key-1",),
           uri="https://age-encryption.org/v1"),
)

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# Key names that carry a secret, and those that carry a public identifier.
_SECRET_NAME = r"secret|token|passw|pwd|api[_.-]?key|access[_.-]?key|private"
_ID_NAME = r"(?:^|[_.-])(?:client|app|application|consumer)?[_.-]?id$|client[_.-]?id|app[_.-]?id"


# Assembled at run time: neither the source of the rules nor its bytecode may hold the values
# they report (CPython folds "a" + "b" into one constant of the .pyc; a join it does not fold).
_SYMFONY_DEFAULT_SECRETS = (
    "".join(("ThisToken", "IsNotSoSecret", "ChangeIt")),
    "".join(("ThisEzPlatformToken", "IsNotSoSecret", "_PleaseChangeIt")),
)


def _lob_body_ok(value: str) -> bool:
    return filters.provider_value_ok(value.rpartition("_")[2])


def _random_token(value: str) -> bool:
    """A self-identifying token that is random, not a name (``tfp_printf_format_...``)."""
    return filters.provider_value_ok(value)


def _random_mixed_token(value: str) -> bool:
    """A token behind a short, common prefix (``live_``, ``EAA``): its 40+ random characters
    always mix upper case, lower case and digits, which names (``live_stream_2024_...``)
    and base64 of binary data rarely do together with the other filters."""
    return (
        _random_token(value)
        and any(c.isupper() for c in value)
        and any(c.islower() for c in value)
        and any(c.isdigit() for c in value)
    )


SERVICE_TOKEN_RULES: tuple[SecretRule, ...] = (
    # Self-identifying tokens of further services: a documented prefix or structure, so no
    # context is needed. Live and test credentials get separate rules (test keys reach only
    # sandbox data: low).
    # --- Microsoft Azure: identifiable keys ----------------------------------------------
    _token(
        "azure-identifiable-key",
        "Azure identifiable key (common annotated security key format)",
        HIGH,
        # Microsoft's common annotated key format: 52 random characters, the ``JQQJ99``
        # signature (``JQQJ9D``/``JQQJ9H`` for derived keys), a year and month letter, 16
        # platform/provider characters, a 4-character provider signature (``AZCR`` container
        # registry, ``ACOG`` AI services, ``AZEG`` Event Grid...) and a 4-character checksum.
        r"[A-Za-z0-9+/]{52}JQQJ9[9DH][A-Z][A-L][A-Za-z0-9+/]{24}(?:[A-Za-z0-9+/]{2}==)?",
        ("jqqj9",),
        entropy=4.0,
        uri="https://github.com/microsoft/security-utilities/blob/main/docs/ReleaseHistory.md",
    ),
    _token(
        "azure-container-registry-key",
        "Azure Container Registry access key",
        CRITICAL,
        # Identifiable registry keys: 42 base64 characters, the ``+ACR`` signature, a
        # version letter and 5 more characters (52 in all).
        r"[A-Za-z0-9+/]{42}\+ACR[A-D][A-Za-z0-9+/]{5}",
        ("+acr",),
        entropy=4.0,
        uri="https://learn.microsoft.com/azure/container-registry/container-registry-authentication",
    ),
    # --- Social and identity platforms -----------------------------------------------------
    _token(
        "facebook-access-token",
        "Facebook / Meta access token",
        HIGH,
        # Graph API user, page and app tokens start with ``EAA`` and are long random strings.
        # Not right after ``+``/``/``: that is the inside of a base64 blob.
        r"(?<![+/])EAA[A-Za-z0-9]{90,400}",
        ("eaa",),
        entropy=4.0,
        validator=_value(_random_mixed_token),
        uri="https://developers.facebook.com/docs/facebook-login/guides/access-tokens",
    ),
    _token(
        "twitter-bearer-token",
        "X (Twitter) app bearer token",
        HIGH,
        # App-only bearer tokens: a run of ``A``, the app ID, ``A`` padding, then a
        # URL-encoded secret holding an encoded ``=`` (``%3D``).
        r"(?<![+/])A{20,28}[A-Za-z0-9]{2,12}A{4,12}[A-Za-z0-9%+/]{20,80}(?:%3D|=)"
        r"[A-Za-z0-9]{30,60}",
        ("a" * 20,),
        entropy=3.5,
        allow=frozenset({filters.X_DOC_BEARER_TOKEN}),
        uri="https://developer.x.com/en/docs/authentication/oauth-2-0/bearer-tokens",
    ),
    _token("adobe-client-secret", "Adobe Developer Console client secret", HIGH,
           r"p8e-[A-Za-z0-9_-]{32}", ("p8e-",), entropy=3.5,
           uri="https://developer.adobe.com/developer-console/docs/guides/authentication/"),
    # --- Atlassian -----------------------------------------------------------------------
    _token("atlassian-access-token", "Atlassian / Bitbucket access token", HIGH,
           # Repository, project and workspace access tokens (``ATCTT3...``).
           r"ATCTT3[A-Za-z0-9_=-]{100,300}", ("atctt3",), entropy=3.5,
           uri="https://support.atlassian.com/bitbucket-cloud/docs/access-tokens/"),
    _token("bitbucket-app-password", "Bitbucket app password", HIGH,
           r"ATBB[A-Za-z0-9]{28,40}", ("atbb",), entropy=3.5,
           validator=_value(_random_token),
           uri="https://support.atlassian.com/bitbucket-cloud/docs/app-passwords/"),
    # --- Developer platforms and package registries ----------------------------------------
    _token("clojars-api-token", "Clojars deploy token", HIGH,
           r"CLOJARS_[A-Za-z0-9]{60}", ("clojars_",), entropy=3.5,
           uri="https://github.com/clojars/clojars-web/wiki/Deploy-Tokens"),
    _token("contentful-personal-access-token", "Contentful personal access token", HIGH,
           r"CFPAT-[A-Za-z0-9_-]{43}", ("cfpat-",), entropy=3.5,
           uri="https://www.contentful.com/developers/docs/references/authentication/"),
    _token("dropbox-short-lived-token", "Dropbox short-lived access token", HIGH,
           r"sl\.(?:[A-Za-z]\.)?[A-Za-z0-9_-]{130,1400}", ("sl.",), entropy=4.0,
           uri="https://developers.dropbox.com/oauth-guide"),
    _token("dynatrace-api-token", "Dynatrace API / access token", HIGH,
           # ``dt0c01`` (API token), ``dt0s01``... then a 24-character public part and a
           # 64-character secret part, upper-case base32.
           r"dt0[a-z][0-9]{2}\.[A-Z0-9]{24}\.[A-Z0-9]{64}", ("dt0",), entropy=3.5,
           allow=frozenset({filters.DYNATRACE_DOC_TOKEN}),
           uri="https://docs.dynatrace.com/docs/dynatrace-api/basics/dynatrace-api-authentication"),
    _token("frameio-api-token", "Frame.io developer token", HIGH,
           r"fio-u-[A-Za-z0-9_=-]{64}", ("fio-u-",), entropy=3.5,
           uri="https://developer.frame.io/docs/getting-started/authentication"),
    _token("hubspot-private-app-token", "HubSpot private app access token", HIGH,
           r"pat-(?:na|eu|ap)[0-9]-" + _UUID, ("pat-na", "pat-eu", "pat-ap"),
           uri="https://developers.hubspot.com/docs/api/private-apps"),
    _token("typeform-api-token", "Typeform personal access token", HIGH,
           r"tfp_[A-Za-z0-9_.=-]{40,64}", ("tfp_",), entropy=3.5,
           validator=_value(_random_token),
           uri="https://www.typeform.com/developers/get-started/personal-access-token/"),
    _token("openai-realtime-client-secret", "OpenAI Realtime ephemeral client secret", LOW,
           # Ephemeral keys for browser clients: they expire a minute after issue.
           r"ek_[a-f0-9]{32}", ("ek_",),
           uri="https://platform.openai.com/docs/api-reference/realtime-sessions"),
    _token("mapbox-public-token", "Mapbox public access token (public by design)", LOW,
           r"pk\.eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}", ("pk.eyj",), entropy=3.5,
           uri="https://docs.mapbox.com/help/getting-started/access-tokens/"),
    # --- Payments, shipping, travel --------------------------------------------------------
    _token("duffel-api-token", "Duffel live API token", HIGH,
           r"duffel_live_[A-Za-z0-9_-]{43}", ("duffel_",), entropy=3.5,
           uri="https://duffel.com/docs/api/overview/making-requests/authentication"),
    _token("duffel-test-token", "Duffel test-mode API token", LOW,
           r"duffel_test_[A-Za-z0-9_-]{43}", ("duffel_",), entropy=3.5,
           uri="https://duffel.com/docs/api/overview/making-requests/authentication"),
    _token("easypost-api-key", "EasyPost production API key", HIGH,
           r"EZAK[A-Za-z0-9]{54}", ("ezak",), entropy=3.5,
           uri="https://docs.easypost.com/docs/authentication"),
    _token("easypost-test-api-key", "EasyPost test API key", LOW,
           r"EZTK[A-Za-z0-9]{54}", ("eztk",), entropy=3.5,
           uri="https://docs.easypost.com/docs/authentication"),
    _token("flutterwave-secret-key", "Flutterwave live secret key", CRITICAL,
           r"FLWSECK-[a-fA-F0-9]{32}-X", ("flwseck",),
           uri="https://developer.flutterwave.com/docs/api-keys"),
    _token("flutterwave-test-secret-key", "Flutterwave test secret key", LOW,
           r"FLWSECK_TEST-[a-fA-F0-9]{32}-X", ("flwseck",),
           uri="https://developer.flutterwave.com/docs/api-keys"),
    _token("flutterwave-encryption-key", "Flutterwave encryption key", MEDIUM,
           r"FLWSECK(?:_TEST)?[a-fA-F0-9]{12}", ("flwseck",),
           uri="https://developer.flutterwave.com/docs/api-keys"),
    _token("flutterwave-public-key", "Flutterwave public key (public by design)", LOW,
           r"FLWPUBK(?:_TEST)?-[a-fA-F0-9]{32}-X", ("flwpubk",),
           uri="https://developer.flutterwave.com/docs/api-keys"),
    _token("gocardless-api-token", "GoCardless live access token", HIGH,
           r"live_[A-Za-z0-9_=-]{40}", ("live_",), entropy=3.5,
           validator=_value(_random_mixed_token),
           uri="https://developer.gocardless.com/getting-started/api/making-your-first-request/"),
    _token("gocardless-sandbox-token", "GoCardless sandbox access token", LOW,
           r"sandbox_[A-Za-z0-9_=-]{40}", ("sandbox_",), entropy=3.5,
           validator=_value(_random_mixed_token),
           uri="https://developer.gocardless.com/getting-started/api/making-your-first-request/"),
    _token("lob-api-key", "Lob live API key", HIGH,
           r"live_[a-f0-9]{35}", ("live_",),
           uri="https://docs.lob.com/#section/Authentication"),
    _token("shippo-api-token", "Shippo live API token", HIGH,
           r"shippo_live_[a-f0-9]{40}", ("shippo_",),
           uri="https://docs.goshippo.com/docs/guides_general/authentication/"),
    _token("shippo-test-token", "Shippo test API token", LOW,
           r"shippo_test_[a-f0-9]{40}", ("shippo_",),
           uri="https://docs.goshippo.com/docs/guides_general/authentication/"),
    # --- Frameworks with a published default secret ----------------------------------------
    SecretRule(
        id="secret/symfony-default-secret",
        title="Symfony application secret left at its published default",
        severity=HIGH,
        # The values Symfony and eZ Platform shipped as ``APP_SECRET`` / ``secret``: anyone can
        # forge the signed cookies, CSRF tokens and login links of an app that kept them.
        regex=_L + "(?P<secret>" + "|".join(_SYMFONY_DEFAULT_SECRETS) + ")" + _R,
        keywords=("tokenisnotsosecret",),
        placeholder_filter=False,
        description=(
            "The framework's published default secret is in use: every signature the app "
            "makes with it can be forged."
        ),
        remediation="Generate a random secret (`php bin/console secrets:generate-keys`, or "
        "`openssl rand -hex 32`) and inject it at run time.",
        help_uri="https://symfony.com/doc/current/reference/configuration/framework.html#secret",
    ),
)

_ATLASSIAN_DOCS = "https://support.atlassian.com/atlassian-account/docs/manage-api-tokens-for-your-atlassian-account/"

SERVICE_KEYED_RULES: tuple[SecretRule, ...] = (
    # Services whose credentials have no self-identifying prefix: the key must name the
    # service (its name starts a word of the key) and the value has the service's
    # documented length and alphabet, an entropy floor and the provider-value filters.
    # Public identifiers (client IDs) are reported low, for the inventory.
    SecretRule(
        id="secret/azure-container-registry-password",
        title="Azure Container Registry password",
        severity=CRITICAL,
        # A registry host ``<name>.azurecr.io`` and, on the same line, a password: the admin
        # user's (32 characters, legacy format, or the identifiable ``+ACR`` key) as
        # ``password = ...`` or ``docker login <name>.azurecr.io -u <user> -p <password>``.
        regex=(
            r"(?i)azurecr\.io[^\n]{0,100}?(?:password|passwd|pwd|(?<=\s)-p)[\"']?"
            r"(?:\s*[:=]\s*|\s+)[\"']?(?P<secret>[A-Za-z0-9+/=]{32}|"
            r"[A-Za-z0-9+/]{42}\+ACR[A-D][A-Za-z0-9+/]{5})(?![A-Za-z0-9/+=_-])"
        ),
        keywords=("azurecr.io",),
        entropy=3.5,
        validator=_value(filters.provider_value_ok),
        remediation=_REMEDIATE,
        help_uri="https://learn.microsoft.com/azure/container-registry/container-registry-authentication",
    ),
    SecretRule(
        id="secret/azure-app-config-connection-string",
        title="Azure App Configuration connection string secret",
        severity=CRITICAL,
        regex=(
            r"(?i)Endpoint\s*=\s*https://[A-Za-z0-9-]+\.azconfig\.io/?\s*;\s*Id\s*=\s*[^;\s]+"
            r"\s*;\s*Secret\s*=\s*(?P<secret>[A-Za-z0-9+/=]{32,88})"
        ),
        keywords=("azconfig.io",),
        entropy=3.5,
        remediation=_REMEDIATE,
        help_uri="https://learn.microsoft.com/azure/azure-app-configuration/howto-disable-access-key-authentication",
    ),
    _named("facebook-app-secret", "Facebook app secret or app access token", HIGH,
           r"facebook", r"[a-f0-9]{32}|[0-9]{10,20}\|[A-Za-z0-9_-]{20,64}",
           ("facebook",), key_not=_ID_NAME,
           uri="https://developers.facebook.com/docs/facebook-login/guides/access-tokens#apptokens"),
    _named("twitter-api-credential", "X (Twitter) API key, secret or access token", HIGH,
           r"twitter",
           # API key (25), API key secret (50), access token ``<user id>-<40>`` and its
           # secret (45), bearer tokens; some tools store the hex forms (35-44).
           r"[0-9]{5,20}-[A-Za-z0-9]{20,50}|[A-Za-z0-9]{25}|[A-Za-z0-9]{35,50}|"
           r"A{10,}[A-Za-z0-9%+/=]{60,200}",
           ("twitter",), entropy=3.5, key_not=_ID_NAME,
           uri="https://developer.x.com/en/docs/authentication/oauth-1-0a/api-key-and-secret"),
    _named("adobe-client-id", "Adobe Developer Console client ID (API key)", LOW,
           r"adobe", r"[a-f0-9]{32}", ("adobe",),
           uri="https://developer.adobe.com/developer-console/docs/guides/authentication/"),
    _named("alibaba-access-key-secret", "Alibaba Cloud AccessKey secret", CRITICAL,
           r"alibaba|aliyun|alicloud|access_?key_?secret", r"[A-Za-z0-9]{30}",
           ("alibaba", "aliyun", "alicloud", "access_key", "accesskey"),
           entropy=3.5, key_not=_ID_NAME,
           uri="https://www.alibabacloud.com/help/en/ram/user-guide/create-an-accesskey-pair"),
    _named("asana-access-token", "Asana personal access token", HIGH,
           # ``1/<user id>:<32 hex>`` and the current ``2/<user id>/<app id>:<32 hex>``.
           r"asana", r"[12]/[0-9]{10,20}(?:/[0-9]{10,20})?:[a-f0-9]{32}", ("asana",),
           check=lambda v: filters.shannon_entropy(v.rpartition(":")[2]) >= 3.0,
           uri="https://developers.asana.com/docs/personal-access-token"),
    _named("asana-client-secret", "Asana OAuth client secret", HIGH,
           r"asana", r"[A-Za-z0-9]{32}", ("asana",), key_not=_ID_NAME,
           uri="https://developers.asana.com/docs/oauth"),
    _named("asana-client-id", "Asana OAuth client ID", LOW,
           r"asana", r"[0-9]{16}", ("asana",), entropy=2.5, check=filters.numeric_id_ok,
           uri="https://developers.asana.com/docs/oauth"),
    _named("atlassian-api-token-legacy", "Atlassian API token (legacy format)", HIGH,
           r"atlassian|jira|confluence", r"[A-Za-z0-9]{24}",
           ("atlassian", "jira", "confluence"), entropy=3.5, key_has=_SECRET_NAME,
           uri=_ATLASSIAN_DOCS),
    _named("bitbucket-client-secret", "Bitbucket OAuth consumer secret", HIGH,
           r"bitbucket", r"[A-Za-z0-9_-]{32}|[A-Za-z0-9_-]{64}", ("bitbucket",),
           entropy=3.5, key_has=_SECRET_NAME,
           uri="https://support.atlassian.com/bitbucket-cloud/docs/use-oauth-on-bitbucket-cloud/"),
    _named("bitbucket-client-id", "Bitbucket OAuth consumer key", LOW,
           r"bitbucket", r"[A-Za-z0-9]{18,32}", ("bitbucket",), entropy=3.5,
           key_not=r"secret|token|passw|pwd",
           uri="https://support.atlassian.com/bitbucket-cloud/docs/use-oauth-on-bitbucket-cloud/"),
    _named("beamer-api-key", "Beamer API key", MEDIUM,
           r"beamer", r"b_[A-Za-z0-9_=-]{44}", ("beamer",), entropy=3.5,
           uri="https://www.getbeamer.com/api"),
    _named("contentful-delivery-token", "Contentful Content Delivery / Preview API token", MEDIUM,
           r"contentful", r"[A-Za-z0-9_-]{43}", ("contentful",), entropy=3.5,
           key_not=r"space|environment|(?:^|[_.-])id$",
           uri="https://www.contentful.com/developers/docs/references/authentication/"),
    _named("discord-bot-token", "Discord bot token", HIGH,
           # base64(user ID) . base64(timestamp) . HMAC.
           r"discord", r"[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}",
           ("discord",), entropy=3.5, check=lambda v: True,
           allow=frozenset({filters.DISCORD_DOC_BOT_TOKEN}),
           uri="https://discord.com/developers/docs/reference#authentication"),
    _named("discord-client-secret", "Discord client secret or API key", HIGH,
           r"discord", r"[A-Za-z0-9_-]{32}|[a-f0-9]{64}", ("discord",), entropy=3.5,
           key_not=r"public|" + _ID_NAME,
           uri="https://discord.com/developers/docs/topics/oauth2"),
    _named("discord-client-id", "Discord application (client) ID", LOW,
           r"discord", r"[0-9]{17,20}", ("discord",), entropy=2.5,
           key_not=r"secret|token|passw|pwd", check=filters.numeric_id_ok,
           uri="https://discord.com/developers/docs/topics/oauth2"),
    _named("dropbox-long-lived-token", "Dropbox long-lived access token", HIGH,
           r"dropbox", r"[A-Za-z0-9]{11}AAAAAAAAAA[A-Za-z0-9_=-]{43}", ("dropbox",),
           entropy=3.5, uri="https://developers.dropbox.com/oauth-guide"),
    _named("dropbox-app-secret", "Dropbox app key or secret", MEDIUM,
           r"dropbox", r"[a-z0-9]{15}", ("dropbox",), entropy=3.0,
           uri="https://developers.dropbox.com/oauth-guide"),
    _named("fastly-api-token", "Fastly API token", HIGH,
           r"fastly", r"[A-Za-z0-9_-]{32}", ("fastly",), entropy=3.5, key_not=_ID_NAME,
           uri="https://docs.fastly.com/en/guides/using-api-tokens"),
    _named("finicity-client-secret", "Finicity (Mastercard Open Banking) partner secret", HIGH,
           r"finicity", r"[A-Za-z0-9]{20}", ("finicity",), entropy=3.5, key_not=_ID_NAME,
           uri="https://developer.mastercard.com/open-banking-us/documentation/"),
    _named("finicity-app-key", "Finicity (Mastercard Open Banking) app key", MEDIUM,
           r"finicity", r"[a-f0-9]{32}", ("finicity",), key_not=_ID_NAME,
           uri="https://developer.mastercard.com/open-banking-us/documentation/"),
    _named("hubspot-api-key", "HubSpot API key (legacy)", HIGH,
           r"hubspot|hapikey", _UUID, ("hubspot", "hapikey"), key_not=r"portal|" + _ID_NAME,
           uri="https://developers.hubspot.com/docs/api/migrate-an-api-key-integration-to-a-private-app"),
    _named("intercom-access-token", "Intercom access token", HIGH,
           r"intercom", r"[A-Za-z0-9+/_-]{58,120}={0,2}", ("intercom",), entropy=3.5,
           key_not=_ID_NAME,
           uri="https://developers.intercom.com/docs/build-an-integration/learn-more/authentication"),
    _named("intercom-client-secret", "Intercom client secret", MEDIUM,
           r"intercom", _UUID, ("intercom",), key_not=r"workspace|" + _ID_NAME,
           uri="https://developers.intercom.com/docs/build-an-integration/learn-more/authentication"),
    _named("ionic-api-token", "Ionic Appflow personal access token", HIGH,
           r"ionic", r"ion_[A-Za-z0-9]{42}", ("ionic",), entropy=3.5,
           uri="https://ionic.io/docs/appflow/personal-access-tokens"),
    _named("linear-client-secret", "Linear OAuth client secret or webhook secret", HIGH,
           # "linear" alone is an English word: the key must say what it holds.
           r"linear_(?:client|oauth|secret|webhook|api)", r"[a-f0-9]{32}|lin_wh_[A-Za-z0-9]{32,64}",
           ("linear_",),
           key_has=r"secret|token|key",
           uri="https://developers.linear.app/docs/oauth/authentication"),
    _named("linkedin-client-secret", "LinkedIn client secret", HIGH,
           r"linkedin", r"[A-Za-z0-9]{16}|WPL_AP[0-9]\.[A-Za-z0-9]{16}\.[A-Za-z0-9+/=]{8,}",
           ("linkedin",), entropy=3.0, key_not=_ID_NAME,
           uri="https://learn.microsoft.com/linkedin/shared/authentication/client-credentials-flow"),
    _named("linkedin-client-id", "LinkedIn client ID", LOW,
           r"linkedin", r"[A-Za-z0-9]{14}", ("linkedin",), entropy=3.0,
           key_not=r"secret|token|passw|pwd",
           uri="https://learn.microsoft.com/linkedin/shared/authentication/client-credentials-flow"),
    _named("lob-test-api-key", "Lob test API key", LOW,
           r"lob(?:[_-]|api|key)", r"test_[a-f0-9]{35}", ("lob_", "lob-", "lobapi", "lobkey"),
           check=_lob_body_ok, uri="https://docs.lob.com/#section/Authentication"),
    _named("lob-publishable-key", "Lob publishable API key (public by design)", LOW,
           r"lob(?:[_-]|api|key)", r"(?:live|test)_pub_[a-f0-9]{31}",
           ("lob_", "lob-", "lobapi", "lobkey"),
           check=_lob_body_ok, uri="https://docs.lob.com/#section/Authentication"),
    _named("messagebird-api-key", "MessageBird (Bird) API access key", HIGH,
           r"message_?bird", r"[A-Za-z0-9]{25}",
           ("messagebird", "message_bird"), entropy=3.5, key_not=_ID_NAME,
           uri="https://developers.messagebird.com/api/#authentication"),
    _named("messagebird-client-id", "MessageBird (Bird) client ID", LOW,
           r"message_?bird", _UUID,
           ("messagebird", "message_bird"),
           uri="https://developers.messagebird.com/api/#authentication"),
    _named("new-relic-api-key-legacy", "New Relic license or API key", HIGH,
           # License keys (40 hex without the ``NRAL`` suffix of the current format) and the
           # 64-character keys some agents store.
           r"new[_-]?relic", r"[a-f0-9]{40}|[A-Z0-9]{64}",
           ("newrelic", "new_relic", "new-relic"), key_not=r"account|" + _ID_NAME,
           uri="https://docs.newrelic.com/docs/apis/intro-apis/new-relic-api-keys/"),
    _named("sumologic-access-key", "Sumo Logic access key", HIGH,
           r"sumo", r"[A-Za-z0-9]{64}", ("sumo",), entropy=3.5, key_not=_ID_NAME,
           uri="https://help.sumologic.com/docs/manage/security/access-keys/"),
    _named("sumologic-access-id", "Sumo Logic access ID", LOW,
           r"sumo", r"su[A-Za-z0-9]{12}", ("sumo",), entropy=3.0,
           key_not=r"secret|token|passw|pwd|access_?key$",
           uri="https://help.sumologic.com/docs/manage/security/access-keys/"),
    _named("twitch-api-token", "Twitch OAuth token or client secret", HIGH,
           r"twitch", r"(?:oauth:)?[a-z0-9]{30}", ("twitch",), entropy=3.5, key_not=_ID_NAME,
           uri="https://dev.twitch.tv/docs/authentication/"),
    _named("zendesk-api-token", "Zendesk API token", HIGH,
           r"zendesk", r"[A-Za-z0-9]{40}", ("zendesk",), entropy=3.5, key_not=_ID_NAME,
           uri="https://support.zendesk.com/hc/en-us/articles/4408889192858"),
)

_PEM_BODY = r"(?P<secret>(?:(?!-----)[\s\S]){64,16384}?)"

KEY_RULES: tuple[SecretRule, ...] = (
    SecretRule(
        id="secret/pgp-private-key",
        title="PGP private key block",
        severity=CRITICAL,
        regex=(
            r"-----BEGIN PGP PRIVATE KEY BLOCK-----" + _PEM_BODY
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
            r"-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY-----" + _PEM_BODY
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
            lambda v: len(filters.pem_body(v)) >= 40
            and filters.shannon_entropy(filters.pem_body(v)) >= 3.5
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
        id="secret/kubernetes-docker-config-secret",
        title="Registry credential in a Kubernetes Secret (.dockerconfigjson / .dockercfg)",
        severity=CRITICAL,
        # ``kubernetes.io/dockerconfigjson`` Secrets hold base64 of a Docker config.json under
        # ``data.".dockerconfigjson"`` (``.dockercfg`` for the legacy type); the value must
        # decode to a config with a real credential.
        regex=(
            r"\.docker(?:configjson|cfg)[\"']?\s*:\s*[\"']?"
            r"(?P<secret>e[wy][A-Za-z0-9+/]{20,}={0,2})"
        ),
        keywords=(".dockerconfigjson", ".dockercfg"),
        validator=_value(filters.docker_config_blob_ok),
        remediation=_REMEDIATE,
        help_uri="https://kubernetes.io/docs/concepts/configuration/secret/#docker-config-secrets",
    ),
    SecretRule(
        id="secret/maven-settings-password",
        title="Password or passphrase in Maven settings.xml",
        severity=HIGH,
        # ``<server>``/``<proxy>`` ``<password>`` and ``<passphrase>`` of a settings file
        # (maven.apache.org/settings.html#servers). Encrypted ``{...}`` values, ``${...}``
        # references and anything inside an XML comment (the shipped examples) are skipped:
        # the match must not be followed by a ``-->`` before the next ``<!--``.
        regex=(
            r"<(?P<tag>password|passphrase)>[ \t]*(?P<secret>[^<>\s{$][^<>]{0,254}?)[ \t]*"
            r"</(?P=tag)>(?!(?:(?!<!--)[\s\S])*?-->)"
        ),
        keywords=("password", "<passphrase>"),
        multiline=True,
        paths=r"(?:^|/)settings\.xml$",
        validator=_value(filters.xml_secret_ok),
        remediation=_REMEDIATE,
        help_uri="https://maven.apache.org/guides/mini/guide-encryption.html",
    ),
    SecretRule(
        id="secret/maven-settings-security-master",
        title="Maven master password (settings-security.xml)",
        severity=HIGH,
        # The master password is encrypted with a fixed, published key: whoever has the file
        # can decrypt it, and with it every encrypted password of settings.xml.
        regex=(
            r"<master>[ \t]*(?P<secret>\{[A-Za-z0-9+/=]{16,}\}|[^<>\s{$][^<>\s]{7,254})[ \t]*"
            r"</master>(?!(?:(?!<!--)[\s\S])*?-->)"
        ),
        keywords=("<master>",),
        multiline=True,
        paths=r"(?:^|/)settings-security\.xml$",
        remediation=_REMEDIATE,
        help_uri="https://maven.apache.org/guides/mini/guide-encryption.html",
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
        # The regex matches at the start of the word holding a keyword, and that whole word
        # is the key (it ends where the assignment starts): after any keyword in it come the
        # rest of the name, the assignment, a quote and at least 8 value characters. Most
        # occurrences in code (``tokens.push(``, ``this.token = t``) fail this at once.
        keyword_context=r"""[A-Za-z0-9_.-]*["'`]?\s*(?:=|:=|=>|:|\|\|=)\s*["'`][^\s"'`]{8}""",
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
    PROVIDER_RULES + SERVICE_TOKEN_RULES + KEY_RULES + SERVICE_KEYED_RULES + FILE_FORMAT_RULES
    + URL_AND_GENERIC_RULES
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


RULESET_BASE_VERSION = "2"
"""Bump when detector or filter code changes results (the digest covers the rule data).
2: service rules at least as broad as Trivy's built-in set; provider-value filters."""

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
