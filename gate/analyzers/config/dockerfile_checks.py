"""The Dockerfile rules: one function per rule, each reading the parsed Dockerfile.

Scope: rules about what ends up in the image (user, build tools, caches, health check, exposed
ports, permissions) read the stages the image is built from (the target stage and the stages
it is ``FROM``); supply-chain and secret rules read every stage (a builder stage that pipes a
download into a shell compromises the artifacts it hands on).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from gate.analyzers.config.base_images import BaseImage, minimal_variant, parse_base
from gate.analyzers.config.hits import Hit
from gate.analyzers.config.packages import build_tool, is_pinned, package_action
from gate.analyzers.config.scripts import RunScript, run_scripts
from gate.analyzers.config.shell import SimpleCommand
from gate.analyzers.interface import BuildContext
from gate.models import LocationKind, PropertyValue, Severity
from gate.redact import fingerprint, mask
from gate.sources.dockerfile import Dockerfile, Instruction, Stage, name_values

_DOWNLOADERS = frozenset({"curl", "wget", "fetch", "aria2c", "http", "https"})
_INTERPRETERS = re.compile(
    r"^(?:sh|bash|dash|ash|zsh|ksh|mksh|fish|busybox|python[0-9.]*|perl|ruby|node|php|pwsh)$"
)
_VERIFIERS = re.compile(
    r"^(?:sha(?:1|224|256|384|512)sum|shasum|md5sum|b2sum|cksum|gpg2?|gpgv2?|cosign|minisign|"
    r"signify|sigstore|openssl|rpm|rpmkeys|slsa-verifier|Get-FileHash|certutil)$",
    re.IGNORECASE,
)
_ARCHIVERS = frozenset({"tar", "bsdtar", "unzip", "gunzip", "gzip", "xz", "bunzip2", "zcat",
                        "unxz", "zstd", "dpkg", "rpm", "apk", "install", "tee", "dd"})
_URL = re.compile(r"^(?:https?|ftp)://", re.IGNORECASE)
_REMOTE_SOURCE = re.compile(r"^(?:https?://|git@|git://|ssh://)|\.git(?:#.*)?$", re.IGNORECASE)
_ARCHIVE = re.compile(r"\.(?:tar|tgz|tbz2?|txz|tar\.(?:gz|bz2|xz|zst|lz4)|gz|bz2|xz|zst)$")
_ROOT_USERS = frozenset({"root", "0"})
_NONROOT_TAG = re.compile(r"(?:^|[-_.])nonroot(?:$|[-_.])")
_POWERSHELL_IEX = re.compile(
    r"(?i)\b(?:iex|invoke-expression)\b.*\b(?:iwr|irm|invoke-webrequest|invoke-restmethod|"
    r"downloadstring)\b|\b(?:iwr|irm|invoke-webrequest|invoke-restmethod|downloadstring)\b"
    r"[^|;]*\|\s*(?:iex|invoke-expression)\b"
)
_INSECURE_TEXT = (
    (re.compile(r"\[trusted=yes\]"), "apt source marked [trusted=yes]"),
    (re.compile(r"(?i)AllowInsecureRepositories\s*[= ]\s*\"?(?:true|1)"),
     "apt AllowInsecureRepositories"),
    (re.compile(r"(?i)AllowUnauthenticated\s*[= ]\s*\"?(?:true|1)"), "apt AllowUnauthenticated"),
    (re.compile(r"(?i)\bgpgcheck\s*=\s*0\b"), "yum/dnf gpgcheck=0"),
    (re.compile(r"(?i)strict-ssl\s+false"), "npm/yarn strict-ssl false"),
    (re.compile(r"(?i)http\.sslverify\s*[= ]\s*false"), "git http.sslVerify false"),
)
_INSECURE_ENV = {
    "NODE_TLS_REJECT_UNAUTHORIZED": re.compile(r"^0$"),
    "GIT_SSL_NO_VERIFY": re.compile(r"^(?:1|true|yes)$", re.IGNORECASE),
    "PYTHONHTTPSVERIFY": re.compile(r"^0$"),
    "GOSUMDB": re.compile(r"^off$"),
    "GOINSECURE": re.compile(r".+"),
    "GOFLAGS": re.compile(r"-insecure"),
    "PIP_TRUSTED_HOST": re.compile(r".+"),
    "NPM_CONFIG_STRICT_SSL": re.compile(r"^false$", re.IGNORECASE),
    "CURL_INSECURE": re.compile(r".+"),
}
_SENSITIVE = (
    (re.compile(r"(?:^|/)\.git(?:/|$)"), "Git repository (.git): full history"),
    (re.compile(r"(?:^|/)\.env(?:\.(?!(?:example|sample|template|dist|defaults?)$)[^/]+)?$"),
     "environment file (.env)"),
    (re.compile(r"(?:^|/)id_(?:rsa|dsa|ecdsa|ed25519)$"), "SSH private key"),
    (re.compile(r"\.(?:pem|key|p12|pfx|jks|keystore|kdbx|ppk)$"), "private key or key store"),
    (re.compile(r"(?:^|/)\.(?:npmrc|pypirc|netrc|git-credentials|htpasswd|pgpass)$"),
     "credentials file"),
    (re.compile(r"(?:^|/)\.aws/credentials$"), "AWS credentials"),
    (re.compile(r"(?:^|/)\.docker/config\.json$"), "Docker registry credentials"),
    (re.compile(r"(?:^|/)\.kube/config$|(?:^|/)kubeconfig$"), "Kubernetes credentials"),
    (re.compile(r"\.tfstate(?:\.backup)?$"), "Terraform state (holds secrets)"),
    (re.compile(r"(?:^|/)(?:credentials|service-account[^/]*|client_secret[^/]*)\.json$"),
     "cloud service credentials"),
)
_TMP_MODES = re.compile(r"^[0-7]?[0-7]{3}$")


@dataclass
class DockerfileChecks:
    """Runs every Dockerfile rule over one parsed Dockerfile."""

    dockerfile: Dockerfile
    path: str
    """Repository-relative path (locations, fingerprints)."""
    target: str | None = None
    context: BuildContext | None = None
    pin_base_digest: bool = False
    allowed_registries: tuple[str, ...] = ()
    image_present: bool = False
    """An image is checked too: facts the image config decides (user, env, ports, health)
    are taken from it, not from the Dockerfile."""
    hits: list[Hit] = field(default_factory=list)
    evaluated: set[str] = field(default_factory=set)
    _parsed: dict[tuple[int, int], list[RunScript]] = field(default_factory=dict)

    def run(self) -> list[Hit]:
        self.chain = self.dockerfile.final_chain(self.target)
        self.chain_ids = {s.index for s in self.chain}
        self.shells = {s.index: _stage_shell(self.dockerfile, s) for s in self.dockerfile.stages}
        checks = [
            self._base_images,
            self._minimal_base,
            self._build_tools,
            self._add,
            self._downloads,
            self._verification_disabled,
            self._secrets,
            self._context_copies,
            self._package_hygiene,
            self._sudo,
            self._permissions,
        ]
        if not self.image_present:
            checks += [self._user, self._ports, self._healthcheck]
        for check in checks:
            check()
        return self.hits

    # -- helpers ----------------------------------------------------------------------

    def _hit(
        self,
        rule_id: str,
        message: str,
        instruction: Instruction,
        stage: Stage | None,
        identity: str,
        *,
        line: int | None = None,
        evidence: str | None = None,
        severity: Severity | None = None,
        **props: PropertyValue,
    ) -> None:
        properties: dict[str, PropertyValue] = {"instruction": instruction.keyword}
        if stage is not None:
            properties["stage"] = stage.label
            properties["final_stage"] = stage.index in self.chain_ids
        properties.update(props)
        start = line if line is not None else instruction.start_line
        end = line if line is not None else instruction.end_line
        self.hits.append(
            Hit(
                rule_id=rule_id,
                message=message,
                kind=LocationKind.DOCKERFILE,
                path=self.path,
                start_line=start,
                end_line=end,
                identity=f"{stage.label if stage else '-'}\0{identity}",
                evidence=evidence,
                severity=severity,
                properties=properties,
            )
        )

    def _scripts(self, stages: Sequence[Stage]) -> Iterator[tuple[Stage, RunScript]]:
        for stage in stages:
            for instruction in stage.instructions:
                run = instruction.trigger if instruction.keyword == "ONBUILD" else instruction
                if run is None or run.keyword != "RUN":
                    continue
                key = (stage.index, run.start_line)
                if key not in self._parsed:
                    self._parsed[key] = run_scripts(run, self.shells.get(stage.index))
                for script in self._parsed[key]:
                    yield stage, script

    def _stage_of(self, index: int) -> Stage:
        return self.dockerfile.stages[index]

    # -- rules ------------------------------------------------------------------------

    def _user(self) -> None:
        self.evaluated.add("config/user-root")
        last: tuple[Stage, Instruction] | None = None
        for stage in self.chain:
            for instruction in stage.instructions:
                if instruction.keyword == "USER":
                    last = (stage, instruction)
        target = self.chain[-1]
        root_stage = self.chain[0]
        if last is None:
            base = parse_base(root_stage.base_resolved or root_stage.base)
            if base is not None and base.tag and _NONROOT_TAG.search(base.tag):
                return
            self._hit(
                "config/user-root",
                f"stage {target.label} never sets USER: the container runs as the base "
                f"image's user ({root_stage.base}: root unless it sets another)",
                root_stage.from_instruction if root_stage is target else target.from_instruction,
                target,
                "no-user",
            )
            return
        stage, instruction = last
        user = instruction.args.split(":", 1)[0].strip()
        if user.lower() in _ROOT_USERS:
            self._hit(
                "config/user-root",
                f"USER {instruction.args} is the last USER of the final image: the container "
                "runs as root",
                instruction,
                stage,
                "user-root",
            )

    def _base_images(self) -> None:
        self.evaluated.add("config/base-image-latest")
        if self.pin_base_digest:
            self.evaluated.add("config/base-image-not-pinned")
        if self.allowed_registries:
            self.evaluated.add("config/base-image-untrusted-registry")
        for stage, instruction, reference in self._external_images():
            base = parse_base(reference)
            if base is None:
                continue
            where = "FROM" if instruction.keyword == "FROM" else "COPY --from"
            if base.digest is None and (base.tag is None or base.tag == "latest"):
                shown = "no tag (means latest)" if base.tag is None else "tag latest"
                self._hit(
                    "config/base-image-latest",
                    f"{where} {reference}: {shown}; builds are not reproducible",
                    instruction, stage, f"latest\0{base.name}", image=base.name,
                )
            if self.pin_base_digest and base.digest is None:
                self._hit(
                    "config/base-image-not-pinned",
                    f"{where} {reference} is not pinned by digest (config.pin_base_digest)",
                    instruction, stage, f"pin\0{base.name}:{base.tag}", image=base.name,
                )
            if self.allowed_registries and not _allowed(base, self.allowed_registries):
                allowed = ", ".join(self.allowed_registries)
                self._hit(
                    "config/base-image-untrusted-registry",
                    f"{where} {reference} ({base.name}) is not from an allowed registry "
                    f"(config.allowed_registries: {allowed})",
                    instruction, stage, f"registry\0{base.name}", image=base.name,
                )

    def _external_images(self) -> Iterator[tuple[Stage, Instruction, str]]:
        names = {s.name for s in self.dockerfile.stages if s.name}
        for stage in self.dockerfile.stages:
            if stage.external_base and stage.base_resolved is not None:
                yield stage, stage.from_instruction, stage.base_resolved
            for instruction in stage.instructions:
                if instruction.keyword not in ("COPY", "ADD"):
                    continue
                source = instruction.flag("from")
                if not source or source.lower() in names or source.isdigit():
                    continue
                if "$" in source:
                    continue
                yield stage, instruction, source

    def _minimal_base(self) -> None:
        self.evaluated.add("config/base-image-not-minimal")
        root = self.chain[0]
        if not root.external_base or root.base_resolved is None:
            return
        base = parse_base(root.base_resolved)
        if base is None:
            return
        suggestion = minimal_variant(base)
        if suggestion:
            self._hit(
                "config/base-image-not-minimal",
                f"the final image is built on {root.base_resolved}, a full image: {suggestion}",
                root.from_instruction, root, f"minimal\0{base.name}", image=base.name,
            )

    def _build_tools(self) -> None:
        self.evaluated.add("config/build-tools-in-final-stage")
        installed: dict[str, tuple[Stage, RunScript, SimpleCommand, str | None]] = {}
        groups: dict[str, list[str]] = {}
        for stage, script in self._scripts(self.chain):
            for command in script.script.commands():
                action = package_action(command)
                if action is None:
                    continue
                if action.action == "install":
                    tools = [p for p in action.packages if build_tool(p)]
                    for tool in tools:
                        installed[_package_name(tool)] = (stage, script, command, action.group)
                    if action.group:
                        groups.setdefault(action.group, []).extend(
                            _package_name(t) for t in tools
                        )
                elif action.action == "remove":
                    for package in action.packages:
                        for name in groups.pop(package, []):
                            installed.pop(name, None)
                        installed.pop(_package_name(package), None)
        multi = len(self.dockerfile.stages) > 1
        by_run: dict[tuple[int, int], list[str]] = {}
        where: dict[tuple[int, int], tuple[Stage, RunScript, SimpleCommand]] = {}
        for name, (stage, script, command, _group) in installed.items():
            key = (script.instruction.start_line, script.line_of(command.offset))
            by_run.setdefault(key, []).append(name)
            where[key] = (stage, script, command)
        for key, names in sorted(by_run.items()):
            stage, script, command = where[key]
            hint = ("" if multi else " without a multi-stage build")
            shown = ", ".join(sorted(names)[:6]) + ("..." if len(names) > 6 else "")
            self._hit(
                "config/build-tools-in-final-stage",
                f"build tools installed in the final image{hint} and not removed: {shown}",
                script.instruction, stage, "tools\0" + " ".join(sorted(names)),
                line=script.line_of(command.offset), evidence=shown,
                multi_stage=multi,
            )

    def _add(self) -> None:
        self.evaluated.update({"config/add-instead-of-copy", "config/add-remote-url"})
        for stage in self.dockerfile.stages:
            for instruction in stage.instructions:
                if instruction.keyword != "ADD" or instruction.flag("from"):
                    continue
                sources = _copy_sources(instruction)
                remote = [s for s in sources if _REMOTE_SOURCE.search(s)]
                local = [s for s in sources if s not in remote]
                if remote and instruction.flag("checksum") is None:
                    self._hit(
                        "config/add-remote-url",
                        f"ADD {remote[0]} downloads at build time without --checksum",
                        instruction, stage, "add-url\0" + " ".join(remote), evidence=remote[0],
                    )
                if local or instruction.heredocs:
                    archives = [s for s in local if _ARCHIVE.search(s)]
                    what = (f"ADD of local archive {archives[0]} (extracted implicitly)"
                            if archives else f"ADD {' '.join(local) or '<<heredoc'}")
                    self._hit(
                        "config/add-instead-of-copy",
                        f"{what}: use COPY (and an explicit RUN tar for archives)",
                        instruction, stage, "add-local\0" + " ".join(local),
                    )

    def _downloads(self) -> None:
        self.evaluated.update({"config/curl-pipe-shell", "config/download-without-checksum"})
        for stage, script in self._scripts(self.dockerfile.stages):
            if script.shell == "powershell":
                m = _POWERSHELL_IEX.search(script.text)
                if m:
                    self._hit(
                        "config/curl-pipe-shell",
                        "a download is executed directly (Invoke-Expression of a web request)",
                        script.instruction, stage, "iex\0" + m.group(0)[:80],
                        line=script.line_of(m.start()),
                    )
                continue
            piped = False
            for pipeline in script.script.all_pipelines():
                names = [_command_name(c) for c in pipeline.commands]
                for i, name in enumerate(names):
                    if name in _DOWNLOADERS and any(
                        _INTERPRETERS.match(n) for n in names[i + 1 :]
                    ):
                        command = pipeline.commands[i]
                        url = _first_url(command) or command.argv[-1]
                        shell_name = next(n for n in names[i + 1 :] if _INTERPRETERS.match(n))
                        self._hit(
                            "config/curl-pipe-shell",
                            f"{name} {url} | {shell_name}: the download runs unverified",
                            script.instruction, stage, f"pipe\0{url}",
                            line=script.line_of(command.offset), evidence=url,
                        )
                        piped = True
                        break
            for command in script.script.commands():
                if _INTERPRETERS.match(_command_name(command)) and any(
                    _command_name(n) in _DOWNLOADERS
                    for nested in command.nested for n in nested.commands()
                ):
                    self._hit(
                        "config/curl-pipe-shell",
                        f"{_command_name(command)} runs the output of a download "
                        "(command or process substitution)",
                        script.instruction, stage, "subst\0" + " ".join(command.argv)[:80],
                        line=script.line_of(command.offset),
                    )
                    piped = True
            if piped:
                continue
            self._unverified_downloads(stage, script)

    def _unverified_downloads(self, stage: Stage, script: RunScript) -> None:
        downloads: list[tuple[SimpleCommand, str]] = []
        verified = False
        for command in script.script.commands():
            name = _command_name(command)
            argv = _unwrapped(command)
            if name in ("curl", "wget", "aria2c", "fetch"):
                url = _first_url(command)
                if url and not re.search(r"\.(?:asc|sig|sha256|sha512|sha256sum|md5)$", url):
                    downloads.append((command, url))
            elif _VERIFIERS.match(name) and _verifies(name, argv):
                verified = True
        if verified or not downloads:
            return
        command, url = downloads[0]
        more = f" (+{len(downloads) - 1} more)" if len(downloads) > 1 else ""
        self._hit(
            "config/download-without-checksum",
            f"{_command_name(command)} {url}{more}: nothing in this RUN verifies a checksum "
            "or signature",
            script.instruction, stage, f"download\0{url}",
            line=script.line_of(command.offset), evidence=url,
        )

    def _verification_disabled(self) -> None:
        self.evaluated.add("config/verification-disabled")
        for stage, script in self._scripts(self.dockerfile.stages):
            reasons: list[tuple[str, int]] = []
            for command in script.script.commands():
                reason = _insecure_command(command)
                if reason:
                    reasons.append((reason, script.line_of(command.offset)))
            for pattern, reason in _INSECURE_TEXT:
                m = pattern.search(script.text)
                if m:
                    reasons.append((reason, script.line_of(m.start())))
            for reason, line in reasons[:1]:
                self._hit(
                    "config/verification-disabled",
                    f"{reason}: TLS/signature verification is turned off",
                    script.instruction, stage, f"insecure\0{reason}", line=line,
                )
        for stage in self.dockerfile.stages:
            for instruction in stage.instructions:
                if instruction.keyword not in ("ENV", "ARG"):
                    continue
                for name, _raw, value in name_values(instruction, self.dockerfile.escape):
                    insecure = _INSECURE_ENV.get(name.upper())
                    if insecure and value and insecure.search(value):
                        self._hit(
                            "config/verification-disabled",
                            f"{instruction.keyword} {name}={value}: TLS/signature verification "
                            "is turned off for every later step",
                            instruction, stage, f"insecure-env\0{name}",
                        )

    def _secrets(self) -> None:
        from gate.analyzers.secrets.analyzer import named_secret_pairs, secret_name

        self.evaluated.update({"config/secret-in-env", "config/secret-build-arg"})
        for stage, instruction in self._all_instructions():
            if instruction.keyword not in ("ENV", "ARG"):
                continue
            in_chain = stage is not None and stage.index in self.chain_ids
            for name, raw, value in name_values(instruction, self.dockerfile.escape):
                literal = bool(value) and "$" not in raw
                if instruction.keyword == "ENV":
                    if self.image_present and in_chain:
                        continue  # the image config's Env is checked instead (image checks)
                    if literal and (named_secret_pairs([(name, value)]) or _detected(name, value)):
                        self._hit(
                            "config/secret-in-env",
                            f"ENV {name}={mask(value)}: a credential stored in the image config",
                            instruction, stage, f"env\0{name}\0{fingerprint(value)}",
                            evidence=mask(value), variable=name,
                        )
                    elif "$" in raw and secret_name(name):
                        self._hit(
                            "config/secret-build-arg",
                            f"ENV {name}={raw}: a secret-named variable copied into the image "
                            "config from a build argument",
                            instruction, stage, f"env-from-arg\0{name}", variable=name,
                        )
                elif secret_name(name) or (literal and _detected(name, value)):
                    if literal and (named_secret_pairs([(name, value)]) or _detected(name, value)):
                        self._hit(
                            "config/secret-build-arg",
                            f"ARG {name}={mask(value)}: the default is a literal credential, "
                            "stored in the Dockerfile and the image history",
                            instruction, stage, f"arg\0{name}\0{fingerprint(value)}",
                            evidence=mask(value), severity=Severity.HIGH, variable=name,
                        )
                    elif secret_name(name):
                        self._hit(
                            "config/secret-build-arg",
                            f"ARG {name}: build arguments are recorded in the image history; "
                            "pass secrets with RUN --mount=type=secret",
                            instruction, stage, f"arg\0{name}", variable=name,
                        )

    def _all_instructions(self) -> Iterator[tuple[Stage | None, Instruction]]:
        for instruction in self.dockerfile.global_args:
            yield None, instruction
        for stage in self.dockerfile.stages:
            for instruction in stage.instructions:
                yield stage, instruction

    def _context_copies(self) -> None:
        if self.context is None:
            return
        self.evaluated.update(
            {"config/copy-context-unfiltered", "config/sensitive-file-in-context"}
        )
        files = [f.path for f in self.context.files]
        for stage in self.dockerfile.stages:
            for instruction in stage.instructions:
                if instruction.keyword not in ("COPY", "ADD") or instruction.flag("from"):
                    continue
                sources = [s for s in _copy_sources(instruction) if not _REMOTE_SOURCE.search(s)]
                whole = any(_normal_source(s) in ("", ".", "*") for s in sources)
                if whole and self.context.dockerignore is None:
                    self._hit(
                        "config/copy-context-unfiltered",
                        f"{instruction.keyword} {instruction.args}: copies the whole build "
                        "context and there is no .dockerignore",
                        instruction, stage, "unfiltered",
                    )
                reported: set[str] = set()
                for path in files:
                    if not any(_source_covers(s, path) for s in sources):
                        continue
                    for pattern, what in _SENSITIVE:
                        m = pattern.search(path)
                        if not m:
                            continue
                        shown = path[: m.end()].rstrip("/") if what.startswith("Git") else path
                        if shown in reported:
                            break
                        reported.add(shown)
                        self._hit(
                            "config/sensitive-file-in-context",
                            f"{instruction.keyword} {instruction.args} copies {shown} "
                            f"({what}) from the build context into the image",
                            instruction, stage, f"sensitive\0{shown}", evidence=shown,
                            context_file=shown,
                        )
                        break

    def _package_hygiene(self) -> None:
        self.evaluated.update(
            {"config/package-cache-left", "config/apt-no-install-recommends",
             "config/update-alone", "config/unpinned-package"}
        )  # fmt: skip
        recommends_off = False
        for stage, script in self._scripts(self.dockerfile.stages):
            if re.search(r"Install-Recommends\s*\"?(?:false|0)", script.text, re.IGNORECASE):
                recommends_off = True
            in_chain = stage.index in self.chain_ids
            actions = [a for a in map(package_action, script.script.commands()) if a]
            installs = [a for a in actions if a.action in ("install",)]
            updates = [a for a in actions if a.action == "update"]
            if updates and not installs and not any(a.action == "upgrade" for a in actions):
                first = updates[0]
                assert first.command is not None
                self._hit(
                    "config/update-alone",
                    f"{first.manager} update alone in a RUN: a later RUN installs from a "
                    "cached, stale index",
                    script.instruction, stage, f"update\0{first.manager}",
                    line=script.line_of(first.command.offset),
                )
            for action in installs:
                assert action.command is not None
                line = script.line_of(action.command.offset)
                unpinned = [p for p in action.packages if not is_pinned(action.manager, p, action)]
                if unpinned:
                    shown = ", ".join(unpinned[:5]) + ("..." if len(unpinned) > 5 else "")
                    self._hit(
                        "config/unpinned-package",
                        f"{action.manager} install without versions: {shown}",
                        script.instruction, stage,
                        f"unpinned\0{action.manager}\0{' '.join(sorted(unpinned))}",
                        line=line, evidence=shown,
                    )
                if not in_chain:
                    continue
                if action.manager in ("apt-get", "apt") and not recommends_off and not (
                    action.has("--no-install-recommends")
                    or any(re.search(r"Install-Recommends=(?:false|0)", o, re.I)
                           for o in action.options)
                ):
                    self._hit(
                        "config/apt-no-install-recommends",
                        f"{action.manager} install without --no-install-recommends",
                        script.instruction, stage, f"recommends\0{' '.join(action.packages)}",
                        line=line,
                    )
                if not _cache_cleaned(action, script, actions):
                    self._hit(
                        "config/package-cache-left",
                        f"{action.manager} install leaves its cache in the layer "
                        f"({_CACHE_HINT.get(action.manager, 'clean it in the same RUN')})",
                        script.instruction, stage, f"cache\0{action.manager}\0"
                        + " ".join(action.packages),
                        line=line,
                    )

    def _sudo(self) -> None:
        self.evaluated.add("config/sudo")
        for stage, script in self._scripts(self.dockerfile.stages):
            for command in script.script.commands():
                if command.name in ("sudo", "doas"):
                    self._hit(
                        "config/sudo",
                        f"{command.name} {' '.join(command.argv[1:3])}...: sudo in the image "
                        "lets a user escalate to root",
                        script.instruction, stage, "sudo\0" + " ".join(command.argv[1:3]),
                        line=script.line_of(command.offset),
                    )
                    break

    def _permissions(self) -> None:
        self.evaluated.add("config/chmod-world-writable")
        for stage, script in self._scripts(self.chain):
            for command in script.script.commands():
                if command.name != "chmod":
                    continue
                modes = [a for a in command.argv[1:] if not a.startswith("-") or
                         re.fullmatch(r"-[rwxXst]+", a) is None]
                mode = next((m for m in modes if _world_writable_mode(m)), None)
                if mode:
                    self._hit(
                        "config/chmod-world-writable",
                        f"chmod {mode} makes files writable by every user",
                        script.instruction, stage, f"chmod\0{' '.join(command.argv[1:])}",
                        line=script.line_of(command.offset), evidence=mode,
                    )
                    break
        for stage in self.chain:
            for instruction in stage.instructions:
                mode = instruction.flag("chmod") if instruction.keyword in ("COPY", "ADD") \
                    else None
                if mode and _world_writable_mode(mode):
                    self._hit(
                        "config/chmod-world-writable",
                        f"{instruction.keyword} --chmod={mode} makes files writable by every user",
                        instruction, stage, f"copy-chmod\0{mode}", evidence=mode,
                    )

    def _ports(self) -> None:
        self.evaluated.add("config/exposed-remote-shell-port")
        for stage in self.chain:
            for instruction in stage.instructions:
                if instruction.keyword != "EXPOSE":
                    continue
                for port in remote_shell_ports(instruction.args.split()):
                    self._hit(
                        "config/exposed-remote-shell-port",
                        f"EXPOSE {port}: {_PORT_NAMES[port]} exposed",
                        instruction, stage, f"port\0{port}", port=port,
                        severity=Severity.HIGH if port == 23 else None,
                    )

    def _healthcheck(self) -> None:
        self.evaluated.add("config/no-healthcheck")
        last: Instruction | None = None
        for stage in self.chain:
            for instruction in stage.instructions:
                if instruction.keyword == "HEALTHCHECK":
                    last = instruction
        if last is not None and last.args.strip().upper() != "NONE":
            return
        target = self.chain[-1]
        self._hit(
            "config/no-healthcheck",
            f"stage {target.label} defines no HEALTHCHECK"
            + (" (HEALTHCHECK NONE)" if last is not None else ""),
            last or target.from_instruction, target, "no-healthcheck",
        )


_PORT_NAMES = {22: "SSH (port 22)", 23: "telnet (port 23, clear text)"}
_CACHE_HINT = {
    "apt-get": "rm -rf /var/lib/apt/lists/*",
    "apt": "rm -rf /var/lib/apt/lists/*",
    "apk": "apk add --no-cache",
    "yum": "yum clean all",
    "dnf": "dnf clean all",
    "microdnf": "microdnf clean all",
    "tdnf": "tdnf clean all",
    "zypper": "zypper clean -a",
}
_CACHE_DIRS = {
    "apt-get": ("/var/lib/apt/lists", "/var/lib/apt"),
    "apt": ("/var/lib/apt/lists", "/var/lib/apt"),
    "apk": ("/var/cache/apk", "/etc/apk/cache"),
    "yum": ("/var/cache/yum",),
    "dnf": ("/var/cache/dnf", "/var/cache/yum"),
    "microdnf": ("/var/cache/dnf", "/var/cache/yum"),
    "tdnf": ("/var/cache/tdnf",),
    "zypper": ("/var/cache/zypp",),
}


def _cache_cleaned(action: object, script: RunScript, actions: Sequence[object]) -> bool:
    from gate.analyzers.config.packages import PackageAction

    assert isinstance(action, PackageAction)
    manager = action.manager
    if manager not in _CACHE_DIRS:
        return True  # language installers: not this rule
    if manager == "apk" and action.has("--no-cache"):
        return True
    dirs = _CACHE_DIRS[manager]
    for mount in script.instruction.flag_values("mount"):
        if "type=cache" in mount and any(d in mount for d in dirs):
            return True
    for other in actions:
        if isinstance(other, PackageAction) and other.manager == manager and \
                other.action == "clean" and manager not in ("apt-get", "apt"):
            return True
    for command in script.script.commands():
        if command.name == "rm" and any(a.startswith(d) for a in command.argv for d in dirs):
            return True
        if command.name == "find" and any(a.startswith(d) for a in command.argv for d in dirs):
            return True
    return False


def remote_shell_ports(words: Sequence[str]) -> list[int]:
    found = []
    for word in words:
        spec = word.split("/", 1)[0]
        low, _, high = spec.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            continue
        start, end = int(low), int(high or low)
        found += [p for p in (22, 23) if start <= p <= end]
    return found


def _world_writable_mode(mode: str) -> bool:
    if _TMP_MODES.match(mode):
        digits = mode.zfill(4)
        sticky = int(digits[0]) & 1
        return bool(int(digits[-1]) & 2) and not sticky
    for clause in mode.split(","):
        m = re.fullmatch(r"([ugoa]*)([+=])([rwxXst]*)", clause)
        if m and "w" in m.group(3) and (not m.group(1) or "o" in m.group(1) or "a" in m.group(1)):
            if not m.group(1):
                continue  # "+w" obeys the umask: not world-writable by itself
            return True
    return False


def _stage_shell(dockerfile: Dockerfile, stage: Stage) -> tuple[str, ...] | None:
    shell = None
    chain = dockerfile.final_chain(stage.label) if True else ()
    for member in chain:
        for instruction in member.instructions:
            if instruction.keyword == "SHELL" and instruction.exec_form:
                shell = instruction.exec_form
    return shell


def _command_name(command: SimpleCommand) -> str:
    argv = _unwrapped(command)
    return argv[0].rsplit("/", 1)[-1] if argv else ""


def _unwrapped(command: SimpleCommand) -> list[str]:
    argv = list(command.argv)
    while argv and argv[0].rsplit("/", 1)[-1] in ("sudo", "env", "exec", "command", "time",
                                                   "nice", "nohup", "doas"):
        argv = argv[1:]
        while argv and (argv[0].startswith("-") or "=" in argv[0]):
            argv = argv[1:]
    return argv


def _first_url(command: SimpleCommand) -> str | None:
    for word in command.argv[1:]:
        if _URL.match(word) or (word.startswith("$") and "url" in word.lower()):
            return word
    return None


def _verifies(name: str, argv: Sequence[str]) -> bool:
    lower = name.lower()
    if lower.endswith("sum") or lower in ("shasum", "cksum"):
        return True
    if lower.startswith("gpg"):
        return any(a in ("--verify", "--verify-files") for a in argv) or lower.startswith("gpgv")
    if lower in ("cosign", "sigstore", "slsa-verifier"):
        return any(a.startswith("verify") for a in argv)
    if lower == "minisign":
        return "-V" in argv
    if lower == "signify":
        return "-V" in argv or "-C" in argv
    if lower == "openssl":
        return any(a in ("dgst", "sha256", "sha512") for a in argv)
    if lower in ("rpm", "rpmkeys"):
        return any(a in ("-K", "--checksig") for a in argv)
    return lower in ("get-filehash", "certutil")


def _insecure_command(command: SimpleCommand) -> str | None:
    argv = _unwrapped(command)
    if not argv:
        return None
    name = argv[0].rsplit("/", 1)[-1]
    args = argv[1:]
    if name == "curl" and any(a == "--insecure" or re.fullmatch(r"-[a-zA-Z]*k[a-zA-Z]*", a)
                              for a in args):
        return "curl --insecure"
    if name == "wget" and "--no-check-certificate" in args:
        return "wget --no-check-certificate"
    if re.fullmatch(r"pip[0-9.]*", name) and any(a.startswith("--trusted-host") for a in args):
        return "pip --trusted-host"
    if name == "apk" and "--allow-untrusted" in args:
        return "apk --allow-untrusted"
    if name in ("apt-get", "apt") and any(
        a in ("--allow-unauthenticated", "--allow-insecure-repositories", "--force-yes")
        for a in args
    ):
        return f"{name} --allow-unauthenticated"
    if name in ("yum", "dnf", "microdnf", "tdnf") and any(
        a in ("--nogpgcheck", "--no-gpgchecks") or a.startswith("--setopt=gpgcheck=0")
        for a in args
    ):
        return f"{name} --nogpgcheck"
    if name == "rpm" and any(a in ("--nosignature", "--nodigest") for a in args):
        return "rpm --nosignature"
    if name == "git" and any("sslverify=false" in a.lower() for a in args):
        return "git http.sslVerify=false"
    if name in ("npm", "yarn") and "strict-ssl" in args and "false" in args:
        return f"{name} strict-ssl false"
    return None


def _detected(name: str, value: str) -> bool:
    from gate.analyzers.secrets.detector import scan_text

    return bool(scan_text(f"{name}={value}"))


def _package_name(package: str) -> str:
    return re.split(r"[=<>~@:]", package, maxsplit=1)[0].lower()


def _copy_sources(instruction: Instruction) -> list[str]:
    words = list(instruction.exec_form) if instruction.exec_form else instruction.args.split()
    words = [w for w in words if not w.startswith("<<")]
    return words[:-1] if len(words) > 1 else []


def _normal_source(source: str) -> str:
    text = source.strip()
    while text.startswith("./"):
        text = text[2:]
    text = text.lstrip("/")
    return text.rstrip("/") if text not in ("", ".") else text


def _source_covers(source: str, path: str) -> bool:
    import fnmatch

    norm = _normal_source(source)
    if norm in ("", ".", "*"):
        return True
    if any(c in norm for c in "*?["):
        parts = norm.split("/")
        path_parts = path.split("/")
        if len(path_parts) < len(parts):
            return False
        return all(fnmatch.fnmatchcase(p, q) for p, q in zip(path_parts, parts, strict=False))
    return path == norm or path.startswith(norm + "/")


def _allowed(base: BaseImage, allowed: Sequence[str]) -> bool:
    name = base.name
    for prefix in allowed:
        wanted = prefix.rstrip("/")
        normal = parse_base(wanted)
        candidates = {wanted}
        if normal is not None:
            candidates.add(normal.name)
        if any(name == c or name.startswith(c + "/") for c in candidates):
            return True
    return False
