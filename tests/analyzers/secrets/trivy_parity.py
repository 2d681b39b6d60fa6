"""One case per rule of Trivy's built-in secret set, and the gate rule that must report it.

Trivy's rule list (``pkg/fanal/secret/builtin-rules.go`` of aquasecurity/trivy, main branch as
of June 2026, and the ids compiled into the Trivy 0.76 binary) names the credential types a
container scanner is expected to find. Each case below is a file as a project would hold that
credential, written from the provider's documented format (never from Trivy's regexes) and
assembled at run time from pieces, so the repository holds no live-looking value.

``tests/analyzers/secrets/test_trivy_parity.py`` checks that gate reports each case with the
named rule; ``bench/secrets_trivy_parity.py`` runs the real Trivy binary on the same files to
show that every case is one Trivy's rule reports, and writes the coverage table of
docs/secrets.md. Cases with ``gate_rule=None`` are values Trivy reports and gate deliberately
does not, each with the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .samples import (
    ALNUM,
    B64,
    BASE32_LOWER,
    BECH32,
    DIGITS,
    HEX,
    LOWER,
    UPPER,
    URLSAFE,
    b64,
    b64url_json,
    packagist_token,
    pem_lines,
    rand,
    uuid4,
)

LOWER_ALNUM = LOWER + DIGITS
UPPER_ALNUM = UPPER + DIGITS


@dataclass(frozen=True)
class TrivyCase:
    trivy_rule: str
    """Trivy built-in rule id."""
    provider: str
    """Provider or format, for the coverage table."""
    text: str
    """The file content."""
    gate_rule: str | None
    """The gate rule that reports it; None: gate deliberately reports nothing (see ``reason``)."""
    path: str = "config.txt"
    """File name (relative): Trivy's and gate's path-scoped rules look at it."""
    reason: str = ""

    @property
    def label(self) -> str:
        return f"{self.trivy_rule}->{self.gate_rule or 'none'}"


def _q(key: str, value: str) -> str:
    """``key = "value"``: the assignment shape keyword-scoped rules of both tools read."""
    return f'{key} = "{value}"\n'


def _jwt(claims: dict[str, object], seed: int) -> str:
    return (
        b64url_json({"alg": "HS256", "typ": "JWT"})
        + "."
        + b64url_json(claims)
        + "."
        + rand(43, URLSAFE, seed)
    )


def _pem(label: str, seed: int) -> str:
    body = pem_lines(rand(600, B64, seed))
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"


def _docker_config(seed: int) -> str:
    auth = b64("deploy:" + rand(20, ALNUM, seed))
    return b64(json.dumps({"auths": {"registry.internal.io": {"auth": auth}}}))


def _cask(signature_middle: str, seed: int) -> str:
    """Microsoft common annotated key: 52 random, JQQJ99, year/month, 24 more."""
    return rand(52, ALNUM, seed) + "JQQJ99" + "CB" + signature_middle + rand(4, ALNUM, seed)


def _openai(kind: str, seed: int, alphabet: str = URLSAFE, n: int = 40) -> str:
    return f"sk-{kind}" + rand(n, alphabet, seed) + "T3BlbkFJ" + rand(n, alphabet, seed + 1)


def cases() -> list[TrivyCase]:
    c = TrivyCase
    gcp_key = (
        json.dumps(
            {
                "type": "service_account",
                "project_id": "build",
                "private_key_id": rand(40, HEX, 1),
                "private_key": _pem("PRIVATE KEY", 2),
                "client_email": "ci@build.iam.gserviceaccount.com",
            },
            indent=2,
        )
        + "\n"
    )
    return [
        # --- AWS -------------------------------------------------------------------------
        c(
            "aws-access-key-id",
            "AWS",
            "AWS_ACCESS_KEY_ID=AKIA" + rand(16, UPPER_ALNUM, 3) + "\n",
            "secret/aws-access-key-id",
        ),
        c(
            "aws-access-key-id",
            "AWS (IAM unique IDs)",
            '"UserId": "AIDA' + rand(16, UPPER_ALNUM, 4) + '"\n',
            None,
            reason="AIDA/AROA/AGPA/ANPA/ANVA/AIPA start IAM unique IDs: identifiers of users, "
            "roles, groups and policies, not credentials (and AWS issues them 21 characters "
            "long, which Trivy's 20-character pattern does not match)",
        ),
        c(
            "aws-secret-access-key",
            "AWS",
            "aws_secret_access_key = " + rand(40, B64, 5) + "\n",
            "secret/aws-secret-access-key",
        ),
        # --- GitHub, GitLab ----------------------------------------------------------------
        c(
            "github-pat",
            "GitHub",
            "GITHUB_TOKEN=ghp_" + rand(36, ALNUM, 6) + "\n",
            "secret/github-pat",
        ),
        c(
            "github-oauth",
            "GitHub",
            "token=gho_" + rand(36, ALNUM, 7) + "\n",
            "secret/github-oauth-token",
        ),
        c(
            "github-app-token",
            "GitHub",
            "GH_INSTALLATION_TOKEN=ghs_" + rand(36, ALNUM, 8) + "\n",
            "secret/github-app-token",
        ),
        c(
            "github-app-token",
            "GitHub (stateless installation token)",
            "GH_TOKEN=ghs_"
            + rand(7, DIGITS, 9)
            + "_"
            + _jwt({"iss": "github", "exp": 1900000000, "sub": "inst-1"}, 9)
            + "\n",
            "secret/github-app-token",
        ),
        c(
            "github-refresh-token",
            "GitHub",
            "refresh_token=ghr_" + rand(76, ALNUM, 10) + "\n",
            "secret/github-refresh-token",
        ),
        c(
            "github-fine-grained-pat",
            "GitHub",
            "GH_PAT=github_pat_" + rand(22, ALNUM, 11) + "_" + rand(59, ALNUM, 11) + "\n",
            "secret/github-fine-grained-pat",
        ),
        c(
            "gitlab-pat",
            "GitLab",
            "GITLAB_TOKEN=glpat-" + rand(20, URLSAFE, 12) + "\n",
            "secret/gitlab-pat",
        ),
        # --- Keys, tokens, files -------------------------------------------------------------
        c(
            "hugging-face-access-token",
            "Hugging Face",
            "HF_TOKEN=hf_" + rand(34, UPPER + LOWER, 13) + "\n",
            "secret/huggingface-token",
        ),
        c("private-key", "Private keys", _pem("RSA PRIVATE KEY", 14), "secret/private-key"),
        c(
            "private-key",
            "Private keys (PGP)",
            _pem("PGP PRIVATE KEY BLOCK", 15),
            "secret/pgp-private-key",
        ),
        c(
            "jwt-token",
            "JWT",
            "jwt: " + _jwt({"iss": "auth.internal", "sub": "svc-ci", "exp": 1900000000}, 16) + "\n",
            "secret/jwt",
        ),
        c(
            "jwt-token",
            "JWT (jwt.io sample)",
            "jwt: " + _jwt({"sub": "1234567890", "name": "John Doe", "iat": 1516239022}, 17) + "\n",
            None,
            reason="the jwt.io documentation sample (sub 1234567890, John Doe) is not a credential",
        ),
        c(
            "gcp-service-account",
            "Google Cloud",
            gcp_key,
            "secret/gcp-service-account-key",
            path="sa.json",
        ),
        c(
            "gcp-service-account",
            "Google Cloud (no key)",
            '{"type": "service_account", "project_id": "build"}\n',
            None,
            path="sa.json",
            reason='a file saying "type": "service_account" without a private key holds no '
            "credential",
        ),
        c(
            "age-secret-key",
            "age",
            "AGE-SECRET-KEY-1" + rand(58, BECH32, 18) + "\n",
            "secret/age-secret-key",
        ),
        c(
            "dockerconfig-secret",
            "Kubernetes docker-registry Secret",
            "kind: Secret\ndata:\n  .dockerconfigjson: " + _docker_config(19) + "\n",
            "secret/kubernetes-docker-config-secret",
            path="secret.yaml",
        ),
        c(
            "dockerconfig-secret",
            "Kubernetes docker-registry Secret (not a config)",
            "data:\n  .dockerconfigjson: eyE" + rand(9, ALNUM, 20) + "\n",
            None,
            path="secret.yaml",
            reason="the value does not decode to a Docker config with a credential",
        ),
        c(
            "maven-settings-password",
            "Maven",
            "<settings><servers><server>\n<id>repo</id>\n<username>deploy</username>\n<password>"
            + rand(18, ALNUM, 21)
            + "</password>\n</server></servers></settings>\n",
            "secret/maven-settings-password",
            path="settings.xml",
        ),
        c(
            "maven-settings-passphrase",
            "Maven",
            "<settings><servers><server>\n<id>signing</id>\n<passphrase>"
            + rand(18, ALNUM, 22)
            + "</passphrase>\n</server></servers></settings>\n",
            "secret/maven-settings-password",
            path="settings.xml",
        ),
        c(
            "maven-settings-password",
            "Maven (commented example)",
            "<settings>\n<!--\n<server>\n<id>deploymentRepo</id>\n<username>repouser</username>\n"
            "<password>" + rand(10, LOWER, 23) + "</password>\n</server>\n-->\n</settings>\n",
            None,
            path="settings.xml",
            reason="inside an XML comment: the sample servers Maven's default settings.xml ships",
        ),
        c(
            "maven-settings-security-master",
            "Maven",
            "<settingsSecurity>\n<master>{"
            + rand(44, B64, 24)
            + "}</master>\n</settingsSecurity>\n",
            "secret/maven-settings-security-master",
            path="settings-security.xml",
        ),
        c(
            "symfony-default-secret",
            "Symfony",
            "APP_SECRET=" + "ThisToken" + "IsNotSoSecret" + "ChangeIt" + "\n",
            "secret/symfony-default-secret",
            path="app.env",
        ),
        # --- Azure -------------------------------------------------------------------------
        c(
            "azure-storage-account-key",
            "Azure",
            "DefaultEndpointsProtocol=https;AccountName=data;AccountKey="
            + rand(86, B64, 25)
            + "==;EndpointSuffix=core.windows.net\n",
            "secret/azure-storage-account-key",
        ),
        c(
            "azure-sas-token",
            "Azure",
            "https://data.blob.core.windows.net/c/f?sv=2024-08-04&ss=b&srt=o&sp=r"
            "&se=2030-01-01T00:00:00Z&sig=" + rand(43, ALNUM, 26) + "%3D\n",
            "secret/azure-sas-token",
        ),
        c(
            "azure-devops-pat",
            "Azure DevOps",
            _q("azure_devops_pat", rand(52, BASE32_LOWER, 27)),
            "secret/azure-devops-pat-legacy",
        ),
        c(
            "azure-entra-client-secret",
            "Azure Entra ID",
            _q("client_secret", rand(3, ALNUM, 28) + "8Q~" + rand(34, URLSAFE, 28)),
            "secret/azure-entra-client-secret",
        ),
        c(
            "azure-container-registry-credential",
            "Azure Container Registry",
            "ACR_TOKEN=" + _cask("ACYeBjFEqg7NAAAB" + "AZCR", 29) + "\n",
            "secret/azure-identifiable-key",
        ),
        c(
            "azure-container-registry-password",
            "Azure Container Registry",
            "registry: myreg.azurecr.io password: " + rand(32, ALNUM, 30) + "\n",
            "secret/azure-container-registry-password",
        ),
        c(
            "azure-app-config-connection-string",
            "Azure App Configuration",
            "Endpoint=https://cfg.azconfig.io;Id="
            + rand(4, ALNUM, 31)
            + "-l0-s0:"
            + rand(20, ALNUM, 31)
            + ";Secret="
            + rand(43, B64, 31)
            + "=\n",
            "secret/azure-app-config-connection-string",
        ),
        c(
            "azure-ai-services-key",
            "Azure AI services",
            "AZURE_OPENAI_KEY="
            + _cask(rand(7, ALNUM, 32) + "XJ3w3" + rand(4, ALNUM, 32) + "ACOG", 32)
            + "\n",
            "secret/azure-identifiable-key",
        ),
        # --- Slack, Stripe, PyPI, Heroku, Twilio, Shopify ---------------------------------------
        c(
            "shopify-token",
            "Shopify",
            "SHOPIFY_TOKEN=shpat_" + rand(32, HEX, 33) + "\n",
            "secret/shopify-token",
        ),
        c(
            "slack-access-token",
            "Slack",
            "SLACK_BOT_TOKEN=xoxb-"
            + rand(12, DIGITS, 34)
            + "-"
            + rand(13, DIGITS, 34)
            + "-"
            + rand(24, ALNUM, 34)
            + "\n",
            "secret/slack-bot-token",
        ),
        c(
            "slack-web-hook",
            "Slack",
            "url: https://hooks.slack.com/services/T"
            + rand(10, UPPER_ALNUM, 35)
            + "/B"
            + rand(10, UPPER_ALNUM, 35)
            + "/"
            + rand(24, ALNUM, 35)
            + "\n",
            "secret/slack-webhook-url",
        ),
        c(
            "stripe-secret-token",
            "Stripe",
            "STRIPE_KEY=sk_live_" + rand(24, ALNUM, 36) + "\n",
            "secret/stripe-secret-key",
        ),
        c(
            "stripe-publishable-token",
            "Stripe",
            "STRIPE_PK=pk_live_" + rand(24, ALNUM, 37) + "\n",
            "secret/stripe-publishable-key",
        ),
        c(
            "pypi-upload-token",
            "PyPI",
            "password = pypi-AgEIcHlwaS5vcmc" + rand(70, URLSAFE, 38) + "\n",
            "secret/pypi-upload-token",
        ),
        c(
            "heroku-api-key",
            "Heroku",
            ' export HEROKU_API_KEY="' + uuid4(39) + '"\n',
            "secret/heroku-api-key-legacy",
        ),
        c(
            "twilio-api-key",
            "Twilio",
            "TWILIO_API_KEY=SK" + rand(32, HEX, 40) + "\n",
            "secret/twilio-api-key",
        ),
        # --- Social, identity, collaboration -------------------------------------------------
        c(
            "facebook-token",
            "Facebook / Meta",
            _q("facebook_app_secret", rand(32, HEX, 41)),
            "secret/facebook-app-secret",
        ),
        c(
            "twitter-token",
            "X (Twitter)",
            _q("twitter_api_secret", rand(40, HEX, 42)),
            "secret/twitter-api-credential",
        ),
        c(
            "adobe-client-id",
            "Adobe",
            _q("adobe_client_id", rand(32, HEX, 43)),
            "secret/adobe-client-id",
        ),
        c(
            "adobe-client-secret",
            "Adobe",
            "ADOBE_SECRET=p8e-" + rand(32, ALNUM, 44) + "\n",
            "secret/adobe-client-secret",
        ),
        c(
            "alibaba-access-key-id",
            "Alibaba Cloud",
            "ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI" + rand(20, ALNUM, 45) + "\n",
            "secret/alibaba-access-key-id",
        ),
        c(
            "alibaba-secret-key",
            "Alibaba Cloud",
            _q("alibaba_secret_key", rand(30, LOWER_ALNUM, 46)),
            "secret/alibaba-access-key-secret",
        ),
        c(
            "asana-client-id",
            "Asana",
            _q("asana_client_id", rand(16, DIGITS, 47)),
            "secret/asana-client-id",
        ),
        c(
            "asana-client-secret",
            "Asana",
            _q("asana_client_secret", rand(32, LOWER_ALNUM, 48)),
            "secret/asana-client-secret",
        ),
        c(
            "atlassian-api-token",
            "Atlassian",
            _q("atlassian_api_token", rand(24, LOWER_ALNUM, 49)),
            "secret/atlassian-api-token-legacy",
        ),
        c(
            "bitbucket-client-id",
            "Bitbucket",
            _q("bitbucket_client_id", rand(32, LOWER_ALNUM, 50)),
            "secret/bitbucket-client-id",
        ),
        c(
            "bitbucket-client-secret",
            "Bitbucket",
            _q("bitbucket_client_secret", rand(64, LOWER_ALNUM + "_-", 51)),
            "secret/bitbucket-client-secret",
        ),
        c(
            "beamer-api-token",
            "Beamer",
            _q("beamer_api_token", "b_" + rand(44, LOWER_ALNUM, 52)),
            "secret/beamer-api-key",
        ),
        c(
            "clojars-api-token",
            "Clojars",
            "CLOJARS_TOKEN=CLOJARS_" + rand(60, LOWER_ALNUM, 53) + "\n",
            "secret/clojars-api-token",
        ),
        c(
            "contentful-delivery-api-token",
            "Contentful",
            _q("contentful_delivery_token", rand(43, LOWER_ALNUM + "_-", 54)),
            "secret/contentful-delivery-token",
        ),
        c(
            "discord-api-token",
            "Discord",
            _q("discord_api_key", rand(64, HEX, 55)),
            "secret/discord-client-secret",
        ),
        c(
            "discord-client-id",
            "Discord",
            _q("discord_client_id", rand(18, DIGITS, 56)),
            "secret/discord-client-id",
        ),
        c(
            "discord-client-secret",
            "Discord",
            _q("discord_client_secret", rand(32, LOWER_ALNUM + "_-", 57)),
            "secret/discord-client-secret",
        ),
        c(
            "dropbox-api-secret",
            "Dropbox",
            _q("dropbox_app_secret", rand(15, LOWER_ALNUM, 59)),
            "secret/dropbox-app-secret",
        ),
        c(
            "dropbox-short-lived-api-token",
            "Dropbox",
            _q("dropbox_token", "sl." + rand(135, URLSAFE, 60)),
            "secret/dropbox-short-lived-token",
        ),
        c(
            "dropbox-long-lived-api-token",
            "Dropbox",
            _q("dropbox_token", rand(11, LOWER_ALNUM, 61) + "A" * 10 + rand(43, LOWER_ALNUM, 61)),
            "secret/dropbox-long-lived-token",
        ),
        c(
            "hubspot-api-token",
            "HubSpot",
            _q("hubspot_api_key", uuid4(62)),
            "secret/hubspot-api-key",
        ),
        c(
            "intercom-api-token",
            "Intercom",
            _q("intercom_api_token", rand(60, LOWER_ALNUM, 63)),
            "secret/intercom-access-token",
        ),
        c(
            "intercom-client-secret",
            "Intercom",
            _q("intercom_client_secret", uuid4(64)),
            "secret/intercom-client-secret",
        ),
        c(
            "linear-api-token",
            "Linear",
            "LINEAR_API_KEY=lin_api_" + rand(40, ALNUM, 65) + "\n",
            "secret/linear-api-key",
        ),
        c(
            "linear-client-secret",
            "Linear",
            _q("linear_client_secret", rand(32, HEX, 66)),
            "secret/linear-client-secret",
        ),
        c(
            "linkedin-client-secret",
            "LinkedIn",
            _q("linkedin_client_secret", rand(16, UPPER + LOWER, 67)),
            "secret/linkedin-client-secret",
        ),
        c(
            "linkedin-client-id",
            "LinkedIn",
            _q("linkedin_client_id", rand(14, LOWER_ALNUM, 68)),
            "secret/linkedin-client-id",
        ),
        c(
            "messagebird-api-token",
            "MessageBird",
            _q("messagebird_api_key", rand(25, LOWER_ALNUM, 69)),
            "secret/messagebird-api-key",
        ),
        c(
            "messagebird-client-id",
            "MessageBird",
            _q("messagebird_client_id", uuid4(70)),
            "secret/messagebird-client-id",
        ),
        c(
            "twitch-api-token",
            "Twitch",
            _q("twitch_api_token", rand(30, LOWER_ALNUM, 71)),
            "secret/twitch-api-token",
        ),
        c(
            "typeform-api-token",
            "Typeform",
            _q("typeform_api_token", "tfp_" + rand(59, LOWER_ALNUM + "_-", 72)),
            "secret/typeform-api-token",
        ),
        # --- Developer platforms and infrastructure --------------------------------------------
        c(
            "databricks-api-token",
            "Databricks",
            "DATABRICKS_TOKEN=dapi" + rand(32, HEX, 73) + "\n",
            "secret/databricks-token",
        ),
        c(
            "doppler-api-token",
            "Doppler",
            _q("DOPPLER_TOKEN", "dp.pt." + rand(43, ALNUM, 74)),
            "secret/doppler-token",
        ),
        c(
            "dynatrace-api-token",
            "Dynatrace",
            _q(
                "DT_API_TOKEN",
                "dt0c01." + rand(24, UPPER_ALNUM, 75) + "." + rand(64, UPPER_ALNUM, 75),
            ),
            "secret/dynatrace-api-token",
        ),
        c(
            "fastly-api-token",
            "Fastly",
            _q("fastly_api_token", rand(32, LOWER_ALNUM + "_-", 76)),
            "secret/fastly-api-token",
        ),
        c(
            "frameio-api-token",
            "Frame.io",
            "FRAMEIO_TOKEN=fio-u-" + rand(64, URLSAFE, 77) + "\n",
            "secret/frameio-api-token",
        ),
        c(
            "grafana-api-token",
            "Grafana",
            _q(
                "GRAFANA_TOKEN",
                b64(
                    json.dumps(
                        {"k": rand(32, ALNUM, 78), "n": "deploy-pipeline-key", "id": 1},
                        separators=(",", ":"),
                    )
                ),
            ),
            "secret/grafana-api-key",
        ),
        c(
            "hashicorp-tf-api-token",
            "Terraform Cloud",
            _q("token", rand(14, ALNUM, 79) + ".atlasv1." + rand(67, ALNUM, 79)),
            "secret/terraform-cloud-token",
        ),
        c(
            "ionic-api-token",
            "Ionic",
            _q("ionic_token", "ion_" + rand(42, ALNUM, 80)),
            "secret/ionic-api-token",
        ),
        c(
            "mapbox-api-token",
            "Mapbox",
            "MAPBOX_TOKEN=pk.eyJ" + rand(57, ALNUM, 81) + "." + rand(22, ALNUM, 81) + "\n",
            "secret/mapbox-public-token",
        ),
        c(
            "new-relic-user-api-key",
            "New Relic",
            _q("NEW_RELIC_API_KEY", "NRAK-" + rand(27, UPPER_ALNUM, 82)),
            "secret/new-relic-user-api-key",
        ),
        c(
            "new-relic-user-api-id",
            "New Relic",
            _q("newrelic_api_key", rand(64, UPPER_ALNUM, 83)),
            "secret/new-relic-api-key-legacy",
        ),
        c(
            "new-relic-browser-api-token",
            "New Relic",
            _q("NR_BROWSER_KEY", "NRJS-" + rand(19, HEX, 84)),
            "secret/new-relic-browser-key",
        ),
        c(
            "npm-access-token",
            "npm",
            _q("NPM_TOKEN", "npm_" + rand(36, ALNUM, 85)),
            "secret/npm-access-token",
        ),
        c(
            "planetscale-password",
            "PlanetScale",
            "DATABASE_PASSWORD=pscale_pw_" + rand(43, URLSAFE, 86) + "\n",
            "secret/planetscale-token",
        ),
        c(
            "planetscale-api-token",
            "PlanetScale",
            "PLANETSCALE_TOKEN=pscale_tkn_" + rand(43, URLSAFE, 87) + "\n",
            "secret/planetscale-token",
        ),
        c(
            "private-packagist-token",
            "Private Packagist",
            "COMPOSER_AUTH_TOKEN=" + packagist_token("ort", 88) + "\n",
            "secret/private-packagist-token",
        ),
        c(
            "postman-api-token",
            "Postman",
            "POSTMAN_API_KEY=PMAK-" + rand(24, HEX, 89) + "-" + rand(34, HEX, 89) + "\n",
            "secret/postman-api-key",
        ),
        c(
            "pulumi-api-token",
            "Pulumi",
            "PULUMI_ACCESS_TOKEN=pul-" + rand(40, HEX, 90) + "\n",
            "secret/pulumi-access-token",
        ),
        c(
            "rubygems-api-token",
            "RubyGems",
            "GEM_HOST_API_KEY=rubygems_" + rand(48, HEX, 91) + "\n",
            "secret/rubygems-api-token",
        ),
        # --- Mail, messaging, payments, shipping ---------------------------------------------
        c(
            "sendgrid-api-token",
            "SendGrid",
            "SENDGRID_API_KEY=SG." + rand(22, URLSAFE, 92) + "." + rand(43, URLSAFE, 92) + "\n",
            "secret/sendgrid-api-key",
        ),
        c(
            "sendinblue-api-token",
            "Brevo (Sendinblue)",
            "BREVO_KEY=xkeysib-" + rand(64, HEX, 93) + "-" + rand(16, ALNUM, 93) + "\n",
            "secret/sendinblue-api-key",
        ),
        c(
            "mailchimp-api-key",
            "Mailchimp",
            _q("mailchimp_api_key", rand(32, HEX, 94) + "-us20"),
            "secret/mailchimp-api-key",
        ),
        c(
            "mailgun-token",
            "Mailgun",
            _q("mailgun_api_key", "key-" + rand(32, HEX, 95)),
            "secret/mailgun-api-key",
        ),
        c(
            "mailgun-signing-key",
            "Mailgun",
            _q(
                "mailgun_signing_key",
                rand(32, HEX, 96) + "-" + rand(8, HEX, 96) + "-" + rand(8, HEX, 97),
            ),
            "secret/mailgun-api-key",
        ),
        c(
            "duffel-api-token",
            "Duffel",
            _q("DUFFEL_TOKEN", "duffel_live_" + rand(43, URLSAFE, 98)),
            "secret/duffel-api-token",
        ),
        c(
            "easypost-api-token",
            "EasyPost",
            _q("EASYPOST_KEY", "EZAK" + rand(54, ALNUM, 99)),
            "secret/easypost-api-key",
        ),
        c(
            "finicity-client-secret",
            "Finicity",
            _q("finicity_client_secret", rand(20, ALNUM, 100)),
            "secret/finicity-client-secret",
        ),
        c(
            "finicity-api-token",
            "Finicity",
            _q("finicity_api_token", rand(32, HEX, 101)),
            "secret/finicity-app-key",
        ),
        c(
            "flutterwave-public-key",
            "Flutterwave",
            "FLW_SECRET_KEY=FLWSECK_TEST-" + rand(32, HEX, 102) + "-X\n",
            "secret/flutterwave-test-secret-key",
        ),
        c(
            "flutterwave-public-key",
            "Flutterwave (public key)",
            "FLW_PUBLIC_KEY=FLWPUBK_TEST-" + rand(32, HEX, 103) + "-X\n",
            "secret/flutterwave-public-key",
        ),
        c(
            "flutterwave-enc-key",
            "Flutterwave",
            "FLW_ENCRYPTION_KEY=FLWSECK_TEST" + rand(12, HEX, 104) + "\n",
            "secret/flutterwave-encryption-key",
        ),
        c(
            "gocardless-api-token",
            "GoCardless",
            _q("GOCARDLESS_TOKEN", "live_" + rand(40, URLSAFE, 105)),
            "secret/gocardless-api-token",
        ),
        c(
            "lob-api-key",
            "Lob",
            _q("lob_api_key", "live_" + rand(35, HEX, 106)),
            "secret/lob-api-key",
        ),
        c(
            "lob-api-key",
            "Lob (test key)",
            _q("lob_api_key", "test_" + rand(35, HEX, 107)),
            "secret/lob-test-api-key",
        ),
        c(
            "lob-pub-api-key",
            "Lob",
            _q("lob_pub_key", "test_pub_" + rand(31, HEX, 108)),
            "secret/lob-publishable-key",
        ),
        c(
            "shippo-api-token",
            "Shippo",
            "SHIPPO_TOKEN=shippo_live_" + rand(40, HEX, 109) + "\n",
            "secret/shippo-api-token",
        ),
        # --- AI platforms --------------------------------------------------------------------
        c(
            "openai-project-api-key",
            "OpenAI",
            "OPENAI_API_KEY=" + _openai("proj-", 110) + "\n",
            "secret/openai-api-key",
        ),
        c(
            "openai-service-account-key",
            "OpenAI",
            "OPENAI_API_KEY=" + _openai("svcacct-", 111) + "\n",
            "secret/openai-api-key",
        ),
        c(
            "openai-admin-api-key",
            "OpenAI",
            "OPENAI_ADMIN_KEY=" + _openai("admin-", 112) + "\n",
            "secret/openai-api-key",
        ),
        c(
            "openai-legacy-api-key",
            "OpenAI",
            "OPENAI_API_KEY=" + _openai("", 113, ALNUM, 20) + "\n",
            "secret/openai-api-key",
        ),
        c(
            "openai-service-api-key",
            "OpenAI",
            "OPENAI_API_KEY="
            + "sk-service-build-bot-"
            + rand(20, ALNUM, 114)
            + "T3BlbkFJ"
            + rand(20, ALNUM, 115)
            + "\n",
            "secret/openai-api-key",
        ),
        c(
            "openai-realtime-client-secret",
            "OpenAI",
            "EPHEMERAL=ek_" + rand(32, HEX, 116) + "\n",
            "secret/openai-realtime-client-secret",
        ),
    ]


def trivy_rule_ids() -> set[str]:
    return {case.trivy_rule for case in cases()}
