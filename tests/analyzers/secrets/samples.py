"""One positive sample per secret rule, assembled at run time from pieces.

The repository holds no live-looking credential: every token is a documented prefix plus a
deterministic pseudo-random body made here (``Random(seed)``), so nothing in the source matches
a rule by itself. A sample is ``prefix + body + suffix``; tests derive near-misses from it by
replacing the body (placeholder, truncated).
"""

from __future__ import annotations

import base64
import json
import random
import string
import uuid
import zlib
from dataclasses import dataclass

UPPER = string.ascii_uppercase
LOWER = string.ascii_lowercase
DIGITS = string.digits
HEX = "0123456789abcdef"
ALNUM = UPPER + LOWER + DIGITS
URLSAFE = ALNUM + "_-"
B64 = ALNUM + "+/"
BECH32 = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"
BASE32_LOWER = LOWER + "234567"


def rand(n: int, alphabet: str = ALNUM, seed: int = 0) -> str:
    """A deterministic pseudo-random string (never a real credential)."""
    rng = random.Random(f"{seed}:{n}:{alphabet}")
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def b64url_json(obj: object) -> str:
    raw = json.dumps(obj, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def pem_lines(body: str, width: int = 64, sep: str = "\n") -> str:
    return sep.join(body[i : i + width] for i in range(0, len(body), width))


@dataclass(frozen=True)
class Sample:
    rule_id: str
    prefix: str
    body: str
    suffix: str = ""
    path: str | None = None
    truncate_misses: bool = True
    """Cutting the body in half must make the rule miss (fixed/minimum length formats)."""

    @property
    def text(self) -> str:
        return self.prefix + self.body + self.suffix

    def with_body(self, body: str) -> str:
        return self.prefix + body + self.suffix


def _pem(label: str, seed: int) -> tuple[str, str, str]:
    body = pem_lines(rand(600, B64, seed))
    return f"-----BEGIN {label}-----\n", body, f"\n-----END {label}-----\n"


def _jwt() -> str:
    header = b64url_json({"alg": "HS256", "typ": "JWT"})
    payload = b64url_json({"sub": "svc-build", "iat": 1700000000, "exp": 1900000000})
    return f"{header}.{payload}.{rand(43, URLSAFE, 7)}"


def samples() -> list[Sample]:
    gcp_key_prefix, gcp_body, gcp_key_suffix = _pem("PRIVATE KEY", 11)
    gcp_json_body = pem_lines(rand(640, B64, 11), sep="\\n")
    kube_key = b64("-----BEGIN RSA PRIVATE KEY-----\n" + pem_lines(rand(300, B64, 12)) + "\n")
    return [
        Sample("secret/aws-access-key-id", "aws_access_key_id = AKIA", rand(16, UPPER + DIGITS)),
        Sample("secret/aws-secret-access-key", "aws_secret_access_key = ", rand(40, B64)),
        Sample(
            "secret/aws-session-token",
            "aws_session_token = ",
            rand(300, B64),
            truncate_misses=False,
        ),
        Sample(
            "secret/gcp-service-account-key",
            '{"type": "service_account", "project_id": "p", "private_key": '
            '"-----BEGIN PRIVATE KEY-----\\n',
            gcp_json_body,
            '\\n-----END PRIVATE KEY-----\\n", "client_email": "a@p.iam.gserviceaccount.com"}',
            truncate_misses=False,
        ),
        Sample("secret/gcp-api-key", "GOOGLE_API_KEY=AIza", rand(35, URLSAFE)),
        Sample("secret/gcp-oauth-client-secret", "client_secret: GOCSPX-", rand(28, URLSAFE)),
        Sample(
            "secret/azure-storage-account-key",
            "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=",
            rand(86, B64),
            "==;EndpointSuffix=core.windows.net",
        ),
        Sample(
            "secret/azure-entra-client-secret",
            "AZURE_CLIENT_SECRET=",
            rand(3, ALNUM, 2) + "8Q~" + rand(34, ALNUM + "_-", 2),
        ),
        Sample(
            "secret/azure-sas-token",
            "https://acct.blob.core.windows.net/c/b.txt?sv=2022-11-02&ss=b&srt=o&sp=r"
            "&se=2030-01-01T00:00:00Z&sig=",
            rand(43, ALNUM),
            "%3D",
        ),
        Sample(
            "secret/azure-devops-pat",
            "ADO_PAT=",
            rand(52, ALNUM, 3) + "JQQJ99" + rand(18, ALNUM, 3) + "AZDO" + rand(4, ALNUM, 3),
        ),
        Sample("secret/azure-devops-pat-legacy", "AZURE_DEVOPS_PAT=", rand(52, BASE32_LOWER)),
        Sample("secret/github-pat", "GITHUB_TOKEN=ghp_", rand(36)),
        Sample(
            "secret/github-fine-grained-pat",
            "token: github_pat_",
            rand(22, ALNUM, 4) + "_" + rand(59, ALNUM, 4),
        ),
        Sample("secret/github-oauth-token", "oauth=gho_", rand(36, ALNUM, 5)),
        Sample("secret/github-app-token", "installation=ghs_", rand(36, ALNUM, 6)),
        Sample(
            "secret/github-refresh-token", "refresh=ghr_", rand(76, ALNUM, 7), truncate_misses=False
        ),
        Sample("secret/gitlab-pat", "GITLAB_TOKEN=glpat-", rand(20, URLSAFE)),
        Sample("secret/gitlab-deploy-token", "deploy=gldt-", rand(20, URLSAFE, 1)),
        Sample("secret/gitlab-runner-token", "token = glrt-", rand(20, URLSAFE, 2)),
        Sample("secret/gitlab-runner-registration-token", "reg=GR1348941", rand(20, URLSAFE)),
        Sample("secret/gitlab-pipeline-trigger-token", "trigger=glptt-", rand(40, HEX)),
        Sample("secret/gitlab-oauth-app-secret", "secret=gloas-", rand(64, URLSAFE)),
        Sample("secret/gitlab-agent-token", "agent=glagent-", rand(50, URLSAFE)),
        Sample("secret/gitlab-scim-token", "scim=glsoat-", rand(20, URLSAFE, 3)),
        Sample("secret/gitlab-ci-job-token", "job=glcbt-1_", rand(20, URLSAFE, 4)),
        Sample("secret/gitlab-feed-token", "feed=glft-", rand(20, URLSAFE, 5)),
        Sample("secret/gitlab-incoming-mail-token", "mail=glimt-", rand(25, URLSAFE)),
        Sample("secret/gitlab-feature-flags-token", "ff=glffct-", rand(20, URLSAFE, 6)),
        Sample(
            "secret/slack-bot-token",
            "SLACK_BOT_TOKEN=xoxb-",
            rand(12, DIGITS) + "-" + rand(13, DIGITS) + "-" + rand(24),
        ),
        Sample(
            "secret/slack-user-token",
            "SLACK_USER_TOKEN=xoxp-",
            rand(12, DIGITS, 1)
            + "-"
            + rand(12, DIGITS, 2)
            + "-"
            + rand(13, DIGITS)
            + "-"
            + rand(32, HEX),
        ),
        Sample(
            "secret/slack-legacy-token",
            "legacy=xoxs-",
            rand(10, DIGITS) + "-" + rand(10, DIGITS, 1) + "-" + rand(20, ALNUM, 1),
            truncate_misses=False,
        ),
        Sample("secret/slack-config-token", "cfg=xoxe.xoxp-1-", rand(170)),
        Sample(
            "secret/slack-app-token",
            "SLACK_APP_TOKEN=xapp-1-A",
            rand(10, UPPER + DIGITS) + "-" + rand(13, DIGITS) + "-" + rand(64, HEX),
        ),
        Sample(
            "secret/slack-webhook-url",
            "url: https://hooks.slack.com/services/",
            "T" + rand(10, UPPER + DIGITS) + "/B" + rand(10, UPPER + DIGITS, 1) + "/" + rand(24),
        ),
        Sample("secret/stripe-secret-key", "STRIPE_KEY=sk_live_", rand(24)),
        Sample("secret/stripe-test-secret-key", "STRIPE_KEY=sk_test_", rand(24, ALNUM, 1)),
        Sample("secret/stripe-webhook-secret", "STRIPE_WEBHOOK=whsec_", rand(32)),
        Sample("secret/square-access-token", "SQUARE_TOKEN=EAAA", rand(60, URLSAFE)),
        Sample("secret/square-application-secret", "SQUARE_SECRET=sq0csp-", rand(43, URLSAFE)),
        Sample("secret/shopify-token", "SHOPIFY_TOKEN=shpat_", rand(32, HEX)),
        Sample("secret/twilio-api-key", "# twilio\nTWILIO_API_KEY=SK", rand(32, HEX)),
        Sample("secret/twilio-auth-token", "TWILIO_AUTH_TOKEN=", rand(32, HEX, 1)),
        Sample(
            "secret/sendgrid-api-key",
            "SENDGRID_API_KEY=SG.",
            rand(22, URLSAFE) + "." + rand(43, URLSAFE),
        ),
        Sample("secret/mailgun-api-key", "MAILGUN_API_KEY=key-", rand(32, HEX, 2)),
        Sample("secret/mailchimp-api-key", "mailchimp_key = '", rand(32, HEX, 3), "-us14'"),
        Sample(
            "secret/sendinblue-api-key",
            "BREVO=xkeysib-",
            rand(64, HEX) + "-" + rand(16),
        ),
        Sample(
            "secret/postman-api-key",
            "POSTMAN=PMAK-",
            rand(24, HEX) + "-" + rand(34, HEX),
        ),
        Sample(
            "secret/telegram-bot-token",
            "TELEGRAM_BOT_TOKEN=",
            rand(10, DIGITS) + ":AA" + rand(33, URLSAFE),
        ),
        Sample(
            "secret/discord-webhook-url",
            "https://discord.com/api/webhooks/" + rand(18, DIGITS) + "/",
            rand(68, URLSAFE),
        ),
        Sample("secret/npm-access-token", "NPM_TOKEN=npm_", rand(36)),
        Sample("secret/pypi-upload-token", "password = pypi-AgEIcHlwaS5vcmc", rand(70, URLSAFE)),
        Sample(
            "secret/testpypi-upload-token",
            "password = pypi-AgENdGVzdC5weXBpLm9yZw",
            rand(70, URLSAFE),
        ),
        Sample("secret/rubygems-api-token", "GEM_HOST_API_KEY=rubygems_", rand(48, HEX)),
        Sample("secret/docker-hub-token", "DOCKERHUB_TOKEN=dckr_pat_", rand(27, URLSAFE)),
        Sample("secret/artifactory-api-key", "ARTIFACTORY=AKCp", rand(69)),
        Sample("secret/artifactory-reference-token", "JFROG=cmVmdGtu", rand(56)),
        Sample(
            "secret/private-packagist-token",
            "PACKAGIST=",
            packagist_token("uut"),
            truncate_misses=True,
        ),
        Sample(
            "secret/vault-service-token",
            "VAULT_TOKEN=hvs.",
            rand(90, URLSAFE),
            truncate_misses=False,
        ),
        Sample("secret/vault-legacy-token", "VAULT_TOKEN=s.", rand(24)),
        Sample("secret/terraform-cloud-token", "token = ", rand(14) + ".atlasv1." + rand(67)),
        Sample("secret/pulumi-access-token", "PULUMI_ACCESS_TOKEN=pul-", rand(40, HEX)),
        Sample("secret/doppler-token", "DOPPLER_TOKEN=dp.st.", rand(43)),
        Sample("secret/digitalocean-token", "DO_TOKEN=dop_v1_", rand(64, HEX)),
        Sample("secret/heroku-api-key", "HEROKU=HRKU-", rand(60, URLSAFE)),
        Sample(
            "secret/heroku-api-key-legacy",
            "HEROKU_API_KEY=",
            str(uuid.UUID(int=random.Random(8).getrandbits(128), version=4)),
        ),
        Sample("secret/databricks-token", "DATABRICKS_TOKEN=dapi", rand(32, HEX)),
        Sample("secret/atlassian-api-token", "JIRA_TOKEN=ATATT3", rand(186, URLSAFE)),
        Sample("secret/alibaba-access-key-id", "ALIBABA_ID=LTAI", rand(20)),
        Sample("secret/okta-api-token", "OKTA_API_TOKEN=00", rand(40, URLSAFE)),
        Sample("secret/planetscale-token", "PLANETSCALE=pscale_tkn_", rand(43, URLSAFE)),
        Sample("secret/buildkite-token", "BUILDKITE=bkua_", rand(40, HEX)),
        Sample("secret/circleci-token", "CIRCLE=CCIPAT_", rand(22) + "_" + rand(40, HEX, 1)),
        Sample("secret/mapbox-secret-token", "MAPBOX=sk.eyJ", rand(60) + "." + rand(22, ALNUM, 1)),
        Sample(
            "secret/grafana-api-key",
            "GRAFANA=eyJrIjoi",
            b64(json.dumps({"k": rand(32), "n": "ci-deploy", "id": 1}, separators=(",", ":")))[8:],
        ),
        Sample("secret/grafana-cloud-token", "GRAFANA_CLOUD=glc_", rand(60, B64)),
        Sample(
            "secret/grafana-service-account-token",
            "GRAFANA_SA=glsa_",
            rand(32) + "_" + rand(8, HEX),
        ),
        Sample("secret/new-relic-user-api-key", "NEW_RELIC=NRAK-", rand(27, UPPER + DIGITS)),
        Sample("secret/new-relic-insert-key", "NR_INSERT=NRII-", rand(32, URLSAFE)),
        Sample("secret/new-relic-license-key", "NEW_RELIC_LICENSE_KEY=", rand(36, HEX), "NRAL"),
        Sample("secret/new-relic-browser-key", "NR_BROWSER=NRJS-", rand(19, HEX)),
        Sample("secret/sentry-org-token", "SENTRY_AUTH_TOKEN=sntrys_eyJ", rand(90)),
        Sample("secret/sentry-user-token", "SENTRY_AUTH_TOKEN=sntryu_", rand(64, HEX)),
        Sample(
            "secret/openai-api-key",
            "OPENAI_API_KEY=sk-proj-",
            rand(40, URLSAFE) + "T3BlbkFJ" + rand(40, URLSAFE, 1),
        ),
        Sample(
            "secret/openai-project-key",
            "OPENAI_API_KEY=sk-proj-",
            rand(120, URLSAFE),
            truncate_misses=False,
        ),
        Sample(
            "secret/anthropic-api-key", "ANTHROPIC_API_KEY=sk-ant-api03-", rand(93, URLSAFE), "AA"
        ),
        Sample("secret/huggingface-token", "HF_TOKEN=hf_", rand(34, UPPER + LOWER)),
        Sample("secret/linear-api-key", "LINEAR=lin_api_", rand(40)),
        Sample("secret/age-secret-key", "AGE-SECRET-KEY-1", rand(58, BECH32)),
        Sample(
            "secret/pgp-private-key",
            "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n",
            pem_lines(rand(900, B64, 9)),
            "\n=Ab1c\n-----END PGP PRIVATE KEY BLOCK-----\n",
            truncate_misses=False,
        ),
        Sample(
            "secret/private-key", gcp_key_prefix, gcp_body, gcp_key_suffix, truncate_misses=False
        ),
        Sample(
            "secret/putty-private-key",
            "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: ci\nPublic-Lines: 2\n"
            + pem_lines(rand(96, B64, 1))
            + "\nPrivate-Lines: 1\n",
            rand(44, B64, 2),
            "\nPrivate-MAC: " + rand(64, HEX) + "\n",
            truncate_misses=False,
        ),
        Sample("secret/jwt", "Authorization-Token: ", _jwt(), truncate_misses=False),
        Sample(
            "secret/npmrc-auth",
            "//registry.npmjs.org/:_authToken=",
            rand(36, ALNUM, 5),
            path="/home/app/.npmrc",
            truncate_misses=False,
        ),
        Sample(
            "secret/pypirc-password",
            "[pypi]\nusername = deploy\npassword = ",
            rand(20, ALNUM + "!#%", 3),
            "\n",
            path="/root/.pypirc",
            truncate_misses=False,
        ),
        Sample(
            "secret/docker-config-auth",
            '{"auths": {"registry.internal.io": {"auth": "',
            b64("deploy:" + rand(18, ALNUM, 6)),
            '"}}}',
            path="/root/.docker/config.json",
            truncate_misses=False,
        ),
        Sample(
            "secret/docker-config-identitytoken",
            '{"auths": {"r.io": {}}, "identitytoken": "',
            rand(40, ALNUM, 7),
            '"}',
            truncate_misses=False,
        ),
        Sample(
            "secret/git-credentials",
            "https://deploy:",
            rand(20, ALNUM, 8),
            "@git.internal.io\n",
            path="/root/.git-credentials",
            truncate_misses=False,
        ),
        Sample(
            "secret/kubeconfig-client-key",
            "users:\n- name: admin\n  user:\n    client-key-data: ",
            kube_key,
            truncate_misses=False,
        ),
        Sample(
            "secret/kubeconfig-credential",
            "apiVersion: v1\nkind: Config\nusers:\n- name: ci\n  user:\n    token: ",
            rand(40, ALNUM, 9),
            "\n",
            truncate_misses=False,
        ),
        Sample(
            "secret/dotenv-secret",
            "APP_ENV=production\nDB_PASSWORD=",
            rand(12, ALNUM, 10),
            "\n",
            path="/app/.env",
            truncate_misses=False,
        ),
        Sample(
            "secret/connection-string-password",
            '<add connectionString="Server=db.internal;Database=app;User Id=sa;Password=',
            rand(14, ALNUM + "!", 16),
            ';" />',
            truncate_misses=False,
        ),
        Sample(
            "secret/jdbc-url-password",
            "url=jdbc:mysql://db.internal:3306/app?user=app&password=",
            rand(14, ALNUM, 17),
            "&useSSL=true",
            truncate_misses=False,
        ),
        Sample(
            "secret/basic-auth-header",
            "curl -H 'Authorization: Basic ",
            b64("admin:" + rand(14, ALNUM, 11)),
            "' https://api.internal.io",
            truncate_misses=False,
        ),
        Sample(
            "secret/bearer-token",
            "Authorization: Bearer ",
            rand(40, ALNUM + "._-", 12),
            truncate_misses=False,
        ),
        Sample(
            "secret/url-credentials",
            "DATABASE_URL=postgres://app:",
            rand(14, ALNUM, 13),
            "@db.internal.io:5432/app",
            truncate_misses=False,
        ),
        Sample(
            "secret/generic-secret",
            'client = Client(api_key="',
            rand(24, ALNUM, 14),
            '")',
            truncate_misses=False,
        ),
        Sample(
            "secret/generic-secret-config",
            "database:\n  host: db\n  db_password: ",
            rand(16, ALNUM + "!@%", 15),
            "\n",
            truncate_misses=False,
        ),
        *service_samples(),
    ]


def packagist_token(kind: str, seed: int = 0) -> str:
    """``packagist_<kind>_`` + 60 hex + the CRC32 of both (the documented checksum)."""
    head = f"packagist_{kind}_" + rand(60, HEX, seed)
    return head + f"{zlib.crc32(head.encode()):08x}"


def uuid4(seed: int) -> str:
    return str(uuid.UUID(int=random.Random(seed).getrandbits(128), version=4))


def discord_bot_token(seed: int = 0) -> str:
    """base64(snowflake user ID) . base64(timestamp) . HMAC, as Discord issues them."""
    user_id = str(random.Random(seed).randrange(10**17, 10**19))
    head = base64.b64encode(user_id.encode()).decode().rstrip("=")
    return head + "." + rand(6, URLSAFE, seed) + "." + rand(27, URLSAFE, seed)


def _quoted(rule_id: str, key: str, body: str, **kwargs: object) -> Sample:
    """``KEY = "body"``: how code and configuration files assign a provider credential."""
    return Sample(rule_id, f'{key} = "', body, '"', **kwargs)  # type: ignore[arg-type]


def service_samples() -> list[Sample]:
    """Samples of the rules for the services Trivy's built-in rules also cover."""
    hex32 = rand(32, HEX, 40)
    lower_alnum = LOWER + DIGITS
    return [
        Sample(
            "secret/stripe-publishable-key", "STRIPE_PUBLISHABLE_KEY=pk_live_", rand(24, ALNUM, 42)
        ),
        Sample(
            "secret/azure-identifiable-key",
            "AZURE_AI_KEY=",
            rand(52, ALNUM, 43)
            + "JQQJ99"
            + "CD"
            + rand(16, ALNUM, 43)
            + "ACOG"
            + rand(4, ALNUM, 4),
        ),
        Sample(
            "secret/azure-container-registry-key",
            "ACR_PASSWORD=",
            rand(42, B64, 44) + "+ACR" + "B" + rand(5, ALNUM, 44),
        ),
        Sample("secret/facebook-access-token", "FB_ACCESS_TOKEN=EAA", rand(150, ALNUM, 45)),
        Sample(
            "secret/twitter-bearer-token",
            "X_BEARER_TOKEN=",
            "A" * 21
            + rand(4, UPPER + LOWER, 46)
            + "A" * 7
            + rand(30, ALNUM, 46)
            + "%3D"
            + rand(50, ALNUM, 47),
        ),
        Sample("secret/adobe-client-secret", "ADOBE_CLIENT_SECRET=p8e-", rand(32, URLSAFE, 48)),
        Sample(
            "secret/atlassian-access-token", "BITBUCKET_REPO_TOKEN=ATCTT3", rand(186, URLSAFE, 49)
        ),
        Sample("secret/bitbucket-app-password", "BITBUCKET_APP_PASSWORD=ATBB", rand(32, ALNUM, 50)),
        Sample(
            "secret/clojars-api-token", "CLOJARS_DEPLOY_TOKEN=CLOJARS_", rand(60, lower_alnum, 51)
        ),
        Sample(
            "secret/contentful-personal-access-token",
            "CONTENTFUL_MANAGEMENT_TOKEN=CFPAT-",
            rand(43, URLSAFE, 52),
        ),
        Sample("secret/dropbox-short-lived-token", "DROPBOX_TOKEN=sl.", rand(140, URLSAFE, 53)),
        Sample(
            "secret/dynatrace-api-token",
            "DT_API_TOKEN=dt0c01.",
            rand(24, UPPER + DIGITS, 54) + "." + rand(64, UPPER + DIGITS, 54),
        ),
        Sample("secret/frameio-api-token", "FRAMEIO_TOKEN=fio-u-", rand(64, URLSAFE, 55)),
        Sample("secret/hubspot-private-app-token", "HUBSPOT_TOKEN=pat-na1-", uuid4(56)),
        Sample("secret/typeform-api-token", "TYPEFORM_TOKEN=tfp_", rand(59, URLSAFE, 57)),
        Sample("secret/openai-realtime-client-secret", "EPHEMERAL_KEY=ek_", rand(32, HEX, 58)),
        Sample(
            "secret/mapbox-public-token",
            "MAPBOX_PUBLIC_TOKEN=pk.eyJ",
            rand(60, ALNUM, 59) + "." + rand(22, ALNUM, 59),
        ),
        Sample("secret/duffel-api-token", "DUFFEL_TOKEN=duffel_live_", rand(43, URLSAFE, 60)),
        Sample("secret/duffel-test-token", "DUFFEL_TOKEN=duffel_test_", rand(43, URLSAFE, 61)),
        Sample("secret/easypost-api-key", "EASYPOST_API_KEY=EZAK", rand(54, ALNUM, 62)),
        Sample("secret/easypost-test-api-key", "EASYPOST_TEST_KEY=EZTK", rand(54, ALNUM, 63)),
        Sample("secret/flutterwave-secret-key", "FLW_SECRET_KEY=FLWSECK-", rand(32, HEX, 64), "-X"),
        Sample(
            "secret/flutterwave-test-secret-key",
            "FLW_SECRET_KEY=FLWSECK_TEST-",
            rand(32, HEX, 65),
            "-X",
        ),
        Sample(
            "secret/flutterwave-encryption-key",
            "FLW_ENCRYPTION_KEY=FLWSECK_TEST",
            rand(12, HEX, 66),
        ),
        Sample("secret/flutterwave-public-key", "FLW_PUBLIC_KEY=FLWPUBK-", rand(32, HEX, 67), "-X"),
        Sample(
            "secret/gocardless-api-token", "GOCARDLESS_ACCESS_TOKEN=live_", rand(40, URLSAFE, 68)
        ),
        Sample(
            "secret/gocardless-sandbox-token",
            "GOCARDLESS_ACCESS_TOKEN=sandbox_",
            rand(40, URLSAFE, 69),
        ),
        Sample("secret/lob-api-key", "LOB_KEY=live_", rand(35, HEX, 70)),
        Sample("secret/shippo-api-token", "SHIPPO_API_TOKEN=shippo_live_", rand(40, HEX, 71)),
        Sample("secret/shippo-test-token", "SHIPPO_API_TOKEN=shippo_test_", rand(40, HEX, 72)),
        Sample(
            "secret/symfony-default-secret",
            "APP_ENV=prod\nAPP_SECRET=",
            "ThisToken" + "IsNotSoSecret" + "ChangeIt",
            "\n",
        ),
        Sample(
            "secret/azure-container-registry-password",
            "docker login myregistry.azurecr.io --username myregistry --password ",
            rand(32, B64, 73),
        ),
        Sample(
            "secret/azure-app-config-connection-string",
            "Endpoint=https://appcfg.azconfig.io;Id="
            + rand(4, ALNUM, 74)
            + "-l0-s0:"
            + rand(20, ALNUM, 74)
            + ";Secret=",
            rand(43, B64, 75) + "=",
        ),
        _quoted("secret/facebook-app-secret", "FACEBOOK_APP_SECRET", hex32),
        _quoted(
            "secret/twitter-api-credential",
            "TWITTER_API_SECRET",
            rand(50, ALNUM, 76),
            truncate_misses=False,
        ),
        _quoted("secret/adobe-client-id", "ADOBE_CLIENT_ID", rand(32, HEX, 77)),
        _quoted(
            "secret/alibaba-access-key-secret",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            rand(30, ALNUM, 78),
        ),
        _quoted(
            "secret/asana-access-token",
            "ASANA_PAT",
            "2/" + rand(16, DIGITS, 79) + "/" + rand(16, DIGITS, 80) + ":" + rand(32, HEX, 79),
        ),
        _quoted("secret/asana-client-secret", "ASANA_CLIENT_SECRET", rand(32, lower_alnum, 81)),
        _quoted("secret/asana-client-id", "ASANA_CLIENT_ID", rand(16, DIGITS, 82)),
        _quoted("secret/atlassian-api-token-legacy", "JIRA_API_TOKEN", rand(24, ALNUM, 83)),
        _quoted("secret/bitbucket-client-secret", "BITBUCKET_CLIENT_SECRET", rand(32, URLSAFE, 84)),
        _quoted("secret/bitbucket-client-id", "BITBUCKET_CLIENT_ID", rand(18, ALNUM, 85)),
        _quoted("secret/beamer-api-key", "BEAMER_API_KEY", "b_" + rand(44, URLSAFE, 86)),
        _quoted(
            "secret/contentful-delivery-token", "CONTENTFUL_DELIVERY_TOKEN", rand(43, URLSAFE, 87)
        ),
        _quoted("secret/discord-bot-token", "DISCORD_BOT_TOKEN", discord_bot_token(88)),
        _quoted("secret/discord-client-secret", "DISCORD_CLIENT_SECRET", rand(32, URLSAFE, 89)),
        _quoted("secret/discord-client-id", "DISCORD_CLIENT_ID", rand(18, DIGITS, 90)),
        _quoted(
            "secret/dropbox-long-lived-token",
            "DROPBOX_ACCESS_TOKEN",
            rand(11, ALNUM, 91) + "A" * 10 + rand(43, URLSAFE, 91),
        ),
        _quoted("secret/dropbox-app-secret", "DROPBOX_APP_SECRET", rand(15, lower_alnum, 92)),
        _quoted("secret/fastly-api-token", "FASTLY_API_TOKEN", rand(32, URLSAFE, 93)),
        _quoted("secret/finicity-client-secret", "FINICITY_PARTNER_SECRET", rand(20, ALNUM, 94)),
        _quoted("secret/finicity-app-key", "FINICITY_APP_KEY", rand(32, HEX, 95)),
        _quoted("secret/hubspot-api-key", "HUBSPOT_API_KEY", uuid4(96)),
        _quoted(
            "secret/intercom-access-token",
            "INTERCOM_ACCESS_TOKEN",
            b64("tok:" + uuid4(97) + ":1:0"),
        ),
        _quoted("secret/intercom-client-secret", "INTERCOM_CLIENT_SECRET", uuid4(98)),
        _quoted("secret/ionic-api-token", "IONIC_TOKEN", "ion_" + rand(42, ALNUM, 99)),
        _quoted("secret/linear-client-secret", "LINEAR_CLIENT_SECRET", rand(32, HEX, 100)),
        _quoted("secret/linkedin-client-secret", "LINKEDIN_CLIENT_SECRET", rand(16, ALNUM, 101)),
        _quoted("secret/linkedin-client-id", "LINKEDIN_CLIENT_ID", rand(14, lower_alnum, 102)),
        _quoted("secret/lob-test-api-key", "LOB_API_KEY", "test_" + rand(35, HEX, 103)),
        _quoted(
            "secret/lob-publishable-key", "LOB_PUBLISHABLE_KEY", "live_pub_" + rand(31, HEX, 104)
        ),
        _quoted("secret/messagebird-api-key", "MESSAGEBIRD_ACCESS_KEY", rand(25, ALNUM, 105)),
        _quoted("secret/messagebird-client-id", "MESSAGEBIRD_CLIENT_ID", uuid4(106)),
        _quoted("secret/new-relic-api-key-legacy", "NEW_RELIC_LICENSE_KEY", rand(40, HEX, 107)),
        _quoted("secret/sumologic-access-key", "SUMO_ACCESS_KEY", rand(64, ALNUM, 108)),
        _quoted("secret/sumologic-access-id", "SUMO_ACCESS_ID", "su" + rand(12, ALNUM, 109)),
        _quoted("secret/twitch-api-token", "TWITCH_CLIENT_SECRET", rand(30, lower_alnum, 110)),
        _quoted("secret/zendesk-api-token", "ZENDESK_API_TOKEN", rand(40, ALNUM, 111)),
        Sample(
            "secret/kubernetes-docker-config-secret",
            "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/dockerconfigjson\ndata:\n"
            "  .dockerconfigjson: ",
            b64(
                json.dumps(
                    {
                        "auths": {
                            "registry.internal.io": {"auth": b64("deploy:" + rand(20, ALNUM, 112))}
                        }
                    }
                )
            ),
            "\n",
        ),
        Sample(
            "secret/maven-settings-password",
            "<settings>\n  <servers>\n    <server>\n      <id>internal</id>\n"
            "      <username>deploy</username>\n      <password>",
            rand(20, ALNUM + "!#%", 113),
            "</password>\n    </server>\n  </servers>\n</settings>\n",
            path="/root/.m2/settings.xml",
            truncate_misses=False,
        ),
        Sample(
            "secret/maven-settings-security-master",
            "<settingsSecurity>\n  <master>{",
            rand(44, B64, 114),
            "}</master>\n</settingsSecurity>\n",
            path="/root/.m2/settings-security.xml",
            truncate_misses=False,
        ),
    ]
