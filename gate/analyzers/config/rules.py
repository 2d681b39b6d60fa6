"""gate's configuration rules, as data: id, title, severity, rationale, remediation and the
compliance controls each one evidences.

Ids are stable (``config/<name>``) and never reused. Severities are defaults; a policy re-grades
them (``[config.rules."ID"] severity = ...``). ``practice`` names the practice of the seed
documents (docs/rules.md, bench/config_bench.py) a rule checks.
"""

from __future__ import annotations

from dataclasses import dataclass

from gate.analyzers.config.compliance import tag
from gate.models import Check, Rule, RuleID, Severity

CRITICAL, HIGH, MEDIUM, LOW, INFO = (
    Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO
)  # fmt: skip

DOCKERFILE = "dockerfile"
IMAGE = "image"
CONTEXT = "context"


@dataclass(frozen=True)
class ConfigRule:
    id: str
    title: str
    severity: Severity
    rationale: str
    remediation: str
    compliance: tuple[tuple[str, str], ...]
    """(regime, control) pairs, regimes as in :mod:`.compliance`."""
    sources: tuple[str, ...]
    """What the rule reads: ``dockerfile``, ``image`` (config and layers), ``context``."""
    practice: str
    """The seed practice it checks (a key of :data:`PRACTICES`)."""

    def as_rule(self, severity: Severity | None = None) -> Rule:
        return Rule(
            id=RuleID(self.id),
            check=Check.CONFIG,
            title=self.title,
            severity=severity or self.severity,
            description=self.rationale,
            remediation=self.remediation,
            tags=tuple(tag(r, c) for r, c in self.compliance),
        )


PRACTICES = {
    "minimal-base": "Use minimal base images (alpine, distroless, slim)",
    "non-root": "Avoid running as root / least privilege in Dockerfiles",
    "multi-stage": "Multi-stage builds; no build tools or unnecessary packages at run time",
    "version-tags": "Tag images meaningfully (versions, not latest)",
    "trusted-base": "Use trusted base images (allowed sources, pinned, maintained)",
    "secrets": "No secrets hard-coded in images or environment variables",
    "verified-software": "Install only verified software (checksums, signatures, TLS)",
    "hardening": "Image hardening (permissions, exposed services, health, provenance)",
}


def _r(
    id: str,
    title: str,
    severity: Severity,
    rationale: str,
    remediation: str,
    compliance: list[tuple[str, str]],
    sources: tuple[str, ...],
    practice: str,
) -> ConfigRule:
    return ConfigRule(
        id, title, severity, rationale, remediation, tuple(compliance), sources, practice
    )


RULES: tuple[ConfigRule, ...] = (
    _r(
        "config/user-root",
        "Container runs as root",
        HIGH,
        "The final stage never sets USER, or sets root / UID 0 (and the image config's User is "
        "empty, 0 or root): the application runs with root privileges, so a compromise of the "
        "process is root inside the container and one kernel or runtime flaw away from the host.",
        "Create an unprivileged user and switch to it in the final stage: `RUN useradd -r -u "
        "10001 app` then `USER 10001` (a numeric UID lets Kubernetes' runAsNonRoot verify it).",
        [("cis-docker", "4.1"), ("nist-800-53", "AC-6"), ("pci-dss", "7.2.2"),
         ("hipaa", "164.312(a)(1)"), ("iso-27001", "A.8.2")],
        (DOCKERFILE, IMAGE),
        "non-root",
    ),
    _r(
        "config/base-image-latest",
        "Base image tag is latest or missing",
        MEDIUM,
        "`FROM image` without a tag means `:latest`: every build may get a different base, "
        "builds are not reproducible and an untested upstream change ships silently.",
        "Use a version tag (`python:3.12.4-slim-bookworm`) and, better, pin its digest "
        "(`python:3.12.4-slim-bookworm@sha256:...`), updated by a bot such as Renovate.",
        [("nist-800-53", "CM-2"), ("pci-dss", "2.2.1"), ("iso-27001", "A.8.9")],
        (DOCKERFILE,),
        "version-tags",
    ),
    _r(
        "config/base-image-not-pinned",
        "Base image not pinned by digest",
        MEDIUM,
        "A tag is mutable: the registry can serve different content for the same tag tomorrow "
        "(a re-push, a compromised account). Only a digest names exact content. Checked when "
        "the policy sets `config.pin_base_digest = true`.",
        "Pin the base image: `FROM debian:12.5-slim@sha256:<digest>` (`docker buildx imagetools "
        "inspect IMAGE` prints it) and let a dependency bot update it.",
        [("nist-800-53", "SI-7"), ("nist-800-53", "CM-2"), ("pci-dss", "6.3.2"),
         ("cis-docker", "4.2"), ("iso-27001", "A.5.21")],
        (DOCKERFILE,),
        "trusted-base",
    ),
    _r(
        "config/base-image-untrusted-registry",
        "Base image not from an allowed registry",
        HIGH,
        "The policy lists the registries/repositories base images may come from "
        "(`config.allowed_registries`); an image from anywhere else has not been vetted.",
        "Use a base image from an allowed source (an internal mirror or a verified publisher), "
        "or add the source to `config.allowed_registries` after review.",
        [("cis-docker", "4.2"), ("nist-800-53", "SR-3"), ("pci-dss", "6.3.2"),
         ("iso-27001", "A.5.21")],
        (DOCKERFILE,),
        "trusted-base",
    ),
    _r(
        "config/base-image-not-minimal",
        "Non-minimal base image where a smaller variant exists",
        LOW,
        "Full distribution images carry compilers, shells, package managers and hundreds of "
        "packages the application never uses: more vulnerabilities to patch and more tools for "
        "an attacker. A slim, alpine or distroless variant of the same image exists.",
        "Switch the final stage to the suggested variant (e.g. `python:3.12-slim`, "
        "`gcr.io/distroless/static`, `ubi9/ubi-minimal`); build in a full image in an earlier "
        "stage if needed.",
        [("cis-docker", "4.3"), ("nist-800-53", "CM-7"), ("pci-dss", "2.2.4"),
         ("iso-27001", "A.8.19")],
        (DOCKERFILE,),
        "minimal-base",
    ),
    _r(
        "config/build-tools-in-final-stage",
        "Build tools installed in the final image",
        MEDIUM,
        "Compilers, build systems, -dev headers or language package managers installed in the "
        "stages the image is built from (and not removed in the same RUN) stay in the runtime "
        "image: they let an attacker build and fetch tooling inside the container.",
        "Use a multi-stage build: install and build in a `builder` stage and `COPY --from=builder` "
        "only the artifacts into a minimal final stage; or remove build dependencies in the same "
        "RUN that installs them (`apk add --virtual .build-deps ... && apk del .build-deps`).",
        [("cis-docker", "4.3"), ("nist-800-53", "CM-7"), ("pci-dss", "2.2.4"),
         ("iso-27001", "A.8.19")],
        (DOCKERFILE,),
        "multi-stage",
    ),
    _r(
        "config/add-instead-of-copy",
        "ADD used where COPY fits",
        LOW,
        "ADD silently extracts local archives and fetches URLs; COPY does only what it says. "
        "With local sources COPY is the predictable choice.",
        "Replace `ADD src dest` by `COPY src dest`; extract archives explicitly with `RUN tar` "
        "where that is intended.",
        [("cis-docker", "4.9"), ("nist-800-53", "CM-6")],
        (DOCKERFILE,),
        "verified-software",
    ),
    _r(
        "config/add-remote-url",
        "ADD of a remote URL without a checksum",
        MEDIUM,
        "`ADD https://...` (or a git URL) downloads at build time with nothing verifying what was "
        "received: a compromised or changed upstream ends up in the image.",
        "Use `ADD --checksum=sha256:<digest> URL dest` (BuildKit), or download in a RUN step and "
        "verify with `sha256sum -c` / a signature before use.",
        [("cis-docker", "4.9"), ("cis-docker", "4.11"), ("nist-800-53", "SI-7"),
         ("nist-800-53", "SR-11"), ("hipaa", "164.308(a)(5)(ii)(B)")],
        (DOCKERFILE,),
        "verified-software",
    ),
    _r(
        "config/curl-pipe-shell",
        "Download piped into a shell",
        HIGH,
        "`curl ... | sh` runs whatever the server sends, unverified, as the build user (usually "
        "root); a compromised host or a man in the middle owns the image.",
        "Download to a file, verify its checksum or signature (`sha256sum -c`, `gpg --verify`), "
        "then run it; or install the tool from a signed package repository.",
        [("cis-docker", "4.11"), ("nist-800-53", "SI-7"), ("nist-800-53", "SR-11"),
         ("hipaa", "164.308(a)(5)(ii)(B)"), ("iso-27001", "A.8.19")],
        (DOCKERFILE,),
        "verified-software",
    ),
    _r(
        "config/download-without-checksum",
        "Download without checksum verification",
        MEDIUM,
        "A RUN step fetches a file with curl or wget and nothing in the same step verifies it "
        "(no sha256sum/shasum -c, gpg --verify, cosign verify...): the build trusts the network.",
        "Verify every download in the step that fetches it: `echo \"<sha256>  file\" | "
        "sha256sum -c -`, or verify a detached signature with a pinned key.",
        [("cis-docker", "4.11"), ("nist-800-53", "SI-7"), ("nist-800-53", "SR-11"),
         ("hipaa", "164.308(a)(5)(ii)(B)")],
        (DOCKERFILE,),
        "verified-software",
    ),
    _r(
        "config/verification-disabled",
        "TLS or signature verification disabled",
        HIGH,
        "`curl -k`, `wget --no-check-certificate`, `pip --trusted-host`, `apk --allow-untrusted`, "
        "`apt-get --allow-unauthenticated`, `npm config set strict-ssl false` and the like turn "
        "off the check that the software comes from who it claims.",
        "Remove the flag; fix the trust store instead (install the CA certificate, import the "
        "repository key).",
        [("cis-docker", "4.11"), ("nist-800-53", "SI-7"), ("hipaa", "164.312(e)(1)"),
         ("pci-dss", "2.2.6")],
        (DOCKERFILE,),
        "verified-software",
    ),
    _r(
        "config/secret-in-env",
        "Secret in an environment variable",
        HIGH,
        "An ENV value (or the image config's Env) that is a credential: it is stored in the image "
        "config, visible to anyone who can pull the image (`docker inspect`) and inherited by "
        "every process and child image.",
        "Remove it from the image; pass secrets at run time from the orchestrator's secret store, "
        "and at build time with `RUN --mount=type=secret,id=NAME` (BuildKit). Rotate the "
        "exposed credential.",
        [("cis-docker", "4.10"), ("nist-800-53", "IA-5"), ("pci-dss", "8.6.2"),
         ("hipaa", "164.308(a)(5)(ii)(D)"), ("iso-27001", "A.5.17")],
        (DOCKERFILE, IMAGE),
        "secrets",
    ),
    _r(
        "config/secret-build-arg",
        "Secret passed as a build argument",
        MEDIUM,
        "An ARG (or an ENV set from one) whose name says it holds a credential: build arguments "
        "are recorded in the image history of every RUN that uses them (`docker history`), and "
        "an ENV copy lands in the image config.",
        "Use a BuildKit secret mount instead: `RUN --mount=type=secret,id=token "
        "TOKEN=$(cat /run/secrets/token) ...` with `docker build --secret id=token,env=TOKEN`.",
        [("cis-docker", "4.10"), ("nist-800-53", "IA-5"), ("pci-dss", "8.6.2"),
         ("hipaa", "164.308(a)(5)(ii)(D)"), ("iso-27001", "A.5.17")],
        (DOCKERFILE,),
        "secrets",
    ),
    _r(
        "config/copy-context-unfiltered",
        "Whole build context copied without a .dockerignore",
        MEDIUM,
        "`COPY . .` with no .dockerignore sends and bakes in everything in the directory: VCS "
        "history, local .env files, keys, build output.",
        "Add a .dockerignore that excludes at least `.git`, `.env*`, `*.pem`, `*.key`, "
        "credentials and build output, or copy only the paths the image needs.",
        [("cis-docker", "4.10"), ("nist-800-53", "CM-7"), ("iso-27001", "A.8.9")],
        (DOCKERFILE, CONTEXT),
        "secrets",
    ),
    _r(
        "config/sensitive-file-in-context",
        "Sensitive file copied from the build context",
        HIGH,
        "A COPY/ADD of the build context takes a file that holds credentials or history "
        "(`.git`, `.env`, private keys, `.npmrc`, cloud credentials), and .dockerignore does not "
        "exclude it: it ends up in a layer of the image.",
        "Exclude the file in .dockerignore (or narrow the COPY); if it held credentials, rotate "
        "them.",
        [("cis-docker", "4.10"), ("nist-800-53", "IA-5"), ("pci-dss", "8.6.2"),
         ("hipaa", "164.308(a)(5)(ii)(D)"), ("iso-27001", "A.5.17")],
        (DOCKERFILE, CONTEXT),
        "secrets",
    ),
    _r(
        "config/package-cache-left",
        "Package manager cache left in the layer",
        LOW,
        "apt lists, apk, yum, dnf or zypper caches written by an install step and not removed in "
        "the same RUN stay in the layer: larger images, stale metadata shipped.",
        "Clean in the same RUN: `rm -rf /var/lib/apt/lists/*`, `apk add --no-cache`, "
        "`dnf clean all`/`yum clean all`, `zypper clean -a`; or use "
        "`RUN --mount=type=cache,target=/var/cache/apt`.",
        [("cis-docker", "4.3"), ("nist-800-53", "CM-7")],
        (DOCKERFILE,),
        "minimal-base",
    ),
    _r(
        "config/apt-no-install-recommends",
        "apt-get install without --no-install-recommends",
        LOW,
        "apt installs recommended packages by default: more packages, more vulnerabilities, none "
        "of them asked for.",
        "Use `apt-get install -y --no-install-recommends PACKAGES`.",
        [("cis-docker", "4.3"), ("nist-800-53", "CM-7"), ("pci-dss", "2.2.4")],
        (DOCKERFILE,),
        "minimal-base",
    ),
    _r(
        "config/update-alone",
        "Package index update alone in a RUN",
        LOW,
        "`apt-get update` (or `apk update`, `yum makecache`) in its own RUN is cached as a layer: "
        "a later install RUN reuses a stale index and installs outdated packages.",
        "Update and install in the same RUN: `apt-get update && apt-get install -y ...`.",
        [("cis-docker", "4.7"), ("nist-800-53", "SI-2")],
        (DOCKERFILE,),
        "minimal-base",
    ),
    _r(
        "config/sudo",
        "sudo used in the build",
        MEDIUM,
        "sudo in a RUN means sudo is installed in the image and a user may escalate to root: the "
        "non-root USER is then no barrier.",
        "Run the step as root (`USER root` ... `USER app`) instead, and do not install sudo.",
        [("nist-800-53", "AC-6"), ("pci-dss", "7.2.2"), ("iso-27001", "A.8.2")],
        (DOCKERFILE,),
        "non-root",
    ),
    _r(
        "config/exposed-remote-shell-port",
        "Remote shell port exposed (SSH 22, telnet 23)",
        MEDIUM,
        "An image exposing SSH or telnet runs a remote login daemon: a second way in that "
        "bypasses the orchestrator's access control (telnet in clear text).",
        "Remove the daemon and the EXPOSE; use `docker exec` / `kubectl exec` for access.",
        [("nist-800-53", "CM-7"), ("nist-800-53", "SC-7"), ("pci-dss", "2.2.4"),
         ("pci-dss", "2.2.5"), ("pci-dss", "2.2.7"), ("hipaa", "164.312(e)(1)")],
        (DOCKERFILE, IMAGE),
        "hardening",
    ),
    _r(
        "config/no-healthcheck",
        "No HEALTHCHECK",
        LOW,
        "Without a HEALTHCHECK the engine cannot tell a hung container from a healthy one.",
        "Add `HEALTHCHECK CMD <probe>` (or rely on orchestrator probes and disable the rule for "
        "Kubernetes-only images).",
        [("cis-docker", "4.6")],
        (DOCKERFILE, IMAGE),
        "hardening",
    ),
    _r(
        "config/chmod-world-writable",
        "World-writable permissions set in the build",
        MEDIUM,
        "`chmod 777` (`a+w`, `o+w`, `COPY --chmod=777`) lets any user of the container, and any "
        "compromised process, change those files: code or configuration can be replaced.",
        "Grant the least permission needed (`755` for programs, `644` for data) and own files "
        "by the runtime user (`COPY --chown=app`).",
        [("nist-800-53", "AC-6"), ("nist-800-53", "CM-6"), ("pci-dss", "2.2.6")],
        (DOCKERFILE,),
        "non-root",
    ),
    _r(
        "config/unpinned-package",
        "Package installed without a pinned version",
        INFO,
        "apt/apk/yum/dnf/pip/npm/gem installs without a version make builds irreproducible: the "
        "same Dockerfile yields different software on different days.",
        "Pin versions (`curl=8.5.0-2`, `pip install flask==3.0.3`) or install from a lock file "
        "(`pip install -r requirements.txt --require-hashes`, `npm ci`).",
        [("nist-800-53", "CM-2"), ("pci-dss", "6.3.2")],
        (DOCKERFILE,),
        "version-tags",
    ),
    _r(
        "config/setuid-file",
        "setuid/setgid file added by the image's own layers",
        MEDIUM,
        "A setuid or setgid executable runs with its owner's privileges whoever starts it: the "
        "classic local privilege escalation. Files the base image ships are its business; these "
        "were added by this image's layers.",
        "Remove the bit (`chmod u-s,g-s FILE`) or the file in the same RUN that installs it.",
        [("cis-docker", "4.8"), ("nist-800-53", "AC-6"), ("pci-dss", "2.2.6"),
         ("iso-27001", "A.8.2")],
        (IMAGE,),
        "non-root",
    ),
    _r(
        "config/world-writable-path",
        "World-writable file or directory in the image",
        MEDIUM,
        "A world-writable path outside the temporary directories (/tmp, /var/tmp, /dev/shm, "
        "/run/lock) lets any process in the container replace or plant content there.",
        "Remove the write bit for others (`chmod o-w PATH`) and give the runtime user ownership "
        "of what it must write.",
        [("nist-800-53", "AC-6"), ("nist-800-53", "CM-6"), ("pci-dss", "2.2.6")],
        (IMAGE,),
        "non-root",
    ),
    _r(
        "config/compiler-present",
        "Compiler or build tool in the final image",
        MEDIUM,
        "A compiler (gcc, cc, clang, go, rustc, javac...) or build tool (make, cmake) in the "
        "runtime filesystem lets an attacker build exploits and tools inside the container.",
        "Build in an earlier stage and copy only the artifacts into a minimal final stage.",
        [("cis-docker", "4.3"), ("nist-800-53", "CM-7"), ("pci-dss", "2.2.4"),
         ("iso-27001", "A.8.19")],
        (IMAGE,),
        "multi-stage",
    ),
    _r(
        "config/package-manager-present",
        "Package manager in the final image",
        LOW,
        "A package manager (apt, dpkg, apk, yum, dnf, rpm, pip, npm, gem...) in the runtime image "
        "lets an attacker install tooling; distroless and scratch images carry none.",
        "Use a distroless/minimal runtime base, or remove the package manager in the last step.",
        [("cis-docker", "4.3"), ("nist-800-53", "CM-7"), ("pci-dss", "2.2.4")],
        (IMAGE,),
        "multi-stage",
    ),
    _r(
        "config/shell-present",
        "Shell in the final image",
        INFO,
        "A shell (sh, bash, ash, busybox...) makes command injection and interactive intrusion "
        "easy; distroless and scratch images have none.",
        "Use a shell-less runtime base (`gcr.io/distroless/*`, scratch) where the application "
        "does not need one.",
        [("nist-800-53", "CM-7"), ("pci-dss", "2.2.4")],
        (IMAGE,),
        "minimal-base",
    ),
    _r(
        "config/os-end-of-life",
        "Operating system past end of life",
        HIGH,
        "The image's distribution release (from /etc/os-release) no longer gets security "
        "updates: new vulnerabilities will never be fixed. Dates come from gate's dated EOL table "
        "(the table's date is in the report).",
        "Rebuild on a supported release of the distribution (e.g. Debian 12, Alpine 3.22, "
        "Ubuntu 24.04, UBI 9).",
        [("nist-800-53", "SA-22"), ("pci-dss", "12.3.4"), ("pci-dss", "6.3.3"),
         ("cis-docker", "4.4"), ("hipaa", "164.308(a)(1)(ii)(B)"), ("iso-27001", "A.8.8")],
        (IMAGE,),
        "trusted-base",
    ),
    _r(
        "config/image-too-old",
        "Image older than the policy allows",
        MEDIUM,
        "The image was created longer ago than `config.max_image_age_days`: it has not been "
        "rebuilt with the security updates published since.",
        "Rebuild the image regularly (scheduled pipeline) so base image and package updates land.",
        [("cis-docker", "4.4"), ("nist-800-53", "SI-2"), ("pci-dss", "6.3.3")],
        (IMAGE,),
        "trusted-base",
    ),
    _r(
        "config/missing-provenance-label",
        "Missing OCI provenance label",
        LOW,
        "Without `org.opencontainers.image.source` and `.revision` (OCI image-spec "
        "annotations.md) nobody can trace an image back to the code and commit it was built "
        "from. The policy's `config.required_labels` lists the labels required.",
        "Set them at build time: `LABEL org.opencontainers.image.source=$REPO_URL` and "
        "`--label org.opencontainers.image.revision=$GIT_SHA` (docker/metadata-action does both).",
        [("nist-800-53", "CM-8"), ("pci-dss", "6.3.2"), ("iso-27001", "A.8.9")],
        (IMAGE,),
        "hardening",
    ),
)

RULES_BY_ID = {rule.id: rule for rule in RULES}
IMAGE_ONLY = frozenset(r.id for r in RULES if r.sources == (IMAGE,))
