"""The image rules: the image config (User, Env, ExposedPorts, Healthcheck, Labels, created)
and the merged filesystem of the layers (setuid/setgid, world-writable paths, compilers,
package managers, shells, the OS release and its end of life). No Dockerfile is needed; when
one is given, config findings are attributed to the instruction that sets the field.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field

from gate.analyzers.config.dockerfile_checks import remote_shell_ports
from gate.analyzers.config.eol import EOL_TABLE_DATE, eol_status
from gate.analyzers.config.file_analyzer import PASSWD, ConfigFileAnalyzer, passwd_uids
from gate.analyzers.config.hits import Hit
from gate.analyzers.filesystem import FilesystemView
from gate.analyzers.interface import LayerScan
from gate.models import LayerRef, Location, LocationKind, OSInfo, PropertyValue, Severity
from gate.redact import fingerprint, mask
from gate.sources.dockerfile import Dockerfile, Instruction, Stage, name_values
from gate.sources.image.model import EntryType, ImageConfig

MAX_PATH_FINDINGS = 100
"""Per rule, at most this many path findings are listed; the rest are counted in a note."""

_BIN_DIRS = re.compile(
    r"^/(?:usr/(?:local/)?)?s?bin/[^/]+$|^/usr/local/go/bin/[^/]+$|^/usr/lib/jvm/[^/]+/bin/"
    r"[^/]+$|^/(?:root|usr/local)/\.?cargo/bin/[^/]+$|^/opt/[^/]+/bin/[^/]+$"
)
@dataclass(frozen=True)
class ToolFamily:
    """The names one tool, or one toolchain, is installed under: ``pip``, ``pip3`` and
    ``pip3.11`` are one pip; ``apt``, ``apt-get`` and ``dpkg`` one Debian package system; ``sh``,
    ``bash`` and ``dash`` one Bourne shell family. A family present is one finding, whatever
    the number of its names."""

    rule_id: str
    name: str
    """The finding's ``tool`` property, and what its fingerprint is made of."""
    members: re.Pattern[str]
    """Basenames of the family's executables (versioned names included)."""


_VERSION = r"(?:-\d+(?:\.\d+)*)?"
_COMPILER, _MANAGER, _SHELL = (
    "config/compiler-present", "config/package-manager-present", "config/shell-present")
TOOL_FAMILIES: tuple[ToolFamily, ...] = tuple(
    ToolFamily(rule_id, name, re.compile(pattern)) for rule_id, name, pattern in (
        # C and C++ compilers: cc and c++ are alternatives of gcc or clang, so one family.
        (_COMPILER, "cc", rf"^(?:gcc|g\+\+|cc|c\+\+|clang|clang\+\+|tcc){_VERSION}$"
                          r"|^[a-z0-9_]+-linux-gnu-(?:gcc|g\+\+)(?:-\d+)?$"),
        (_COMPILER, "gfortran", rf"^gfortran{_VERSION}$"),
        (_COMPILER, "go", rf"^go{_VERSION}$"),
        (_COMPILER, "rust", rf"^(?:rustc|cargo){_VERSION}$"),
        (_COMPILER, "javac", rf"^javac{_VERSION}$"),
        (_COMPILER, "make", rf"^g?make{_VERSION}$"),
        (_COMPILER, "cmake", rf"^cmake{_VERSION}$"),
        (_COMPILER, "ninja", rf"^ninja{_VERSION}$"),
        # One package database each: dpkg's (apt and apt-get are its front ends), rpm's
        # (yum, dnf, microdnf, tdnf, zypper), apk's, pip's, the npm registry's clients.
        (_MANAGER, "dpkg", r"^(?:apt|apt-get|dpkg)$"),
        (_MANAGER, "rpm", r"^(?:rpm|yum|dnf|microdnf|tdnf|zypper)$"),
        (_MANAGER, "apk", r"^apk$"),
        (_MANAGER, "pip", r"^pip(?:3(?:\.\d+)?)?$"),
        (_MANAGER, "npm", r"^(?:npm|yarn|pnpm)$"),
        (_MANAGER, "gem", r"^gem$"),
        (_MANAGER, "composer", r"^composer$"),
        (_MANAGER, "conda", r"^(?:conda|mamba)$"),
        # Shell families: Bourne (busybox is one as its sh applet), C shell, fish.
        (_SHELL, "sh", r"^(?:sh|bash|dash|ash|zsh|ksh|mksh|busybox)$"),
        (_SHELL, "csh", r"^(?:csh|tcsh)$"),
        (_SHELL, "fish", r"^fish$"),
    )
)
TOOL_RULES = (_COMPILER, _MANAGER, _SHELL)
_KIND = {
    _COMPILER: "compiler/build tool",
    _MANAGER: "package manager",
    _SHELL: "shell",
}
TMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock")


@dataclass
class ImageChecks:
    config: ImageConfig
    layers: Sequence[LayerScan]
    reference: str
    today: dt.date
    own_from: int
    """Index of the first layer the image itself added (layers before it are the base's)."""
    own_rule: str
    """How :attr:`own_from` was decided (reported)."""
    max_image_age_days: int = 0
    required_labels: tuple[str, ...] = ()
    dockerfile: Dockerfile | None = None
    dockerfile_path: str | None = None
    chain: tuple[Stage, ...] = ()
    os: OSInfo | None = None
    hits: list[Hit] = field(default_factory=list)
    evaluated: set[str] = field(default_factory=set)
    notes: dict[str, tuple[int, str]] = field(default_factory=dict)
    metadata: dict[str, PropertyValue] = field(default_factory=dict)

    def run(self, view: FilesystemView) -> list[Hit]:
        self._user(view)
        self._env()
        self._ports()
        self._healthcheck()
        self._labels()
        self._age()
        if self.layers:
            self._setuid(view)
            self._world_writable(view)
            self._tools(view)
            self._eol()
        return self.hits

    # -- helpers ----------------------------------------------------------------------

    def _config_hit(
        self,
        rule_id: str,
        field_name: str,
        message: str,
        identity: str,
        instruction: Instruction | None,
        *,
        evidence: str | None = None,
        severity: Severity | None = None,
        **props: PropertyValue,
    ) -> None:
        self.hits.append(
            Hit(
                rule_id=rule_id,
                message=message,
                kind=LocationKind.IMAGE_CONFIG,
                path=field_name,
                identity=identity,
                evidence=evidence,
                severity=severity,
                attributed_to=self._line(instruction),
                properties={"source": "image-config", **props},
            )
        )

    def _line(self, instruction: Instruction | None) -> Location | None:
        if instruction is None or self.dockerfile_path is None:
            return None
        return Location(
            kind=LocationKind.DOCKERFILE,
            path=self.dockerfile_path,
            start_line=instruction.start_line,
            end_line=instruction.end_line,
        )

    def _last(self, keyword: str, name: str | None = None) -> Instruction | None:
        found = None
        for stage in self.chain:
            for instruction in stage.instructions:
                if instruction.keyword != keyword:
                    continue
                if name is None or any(n == name for n, _r, _v in name_values(instruction)):
                    found = instruction
        return found

    def _from(self, root: bool = False) -> Instruction | None:
        if not self.chain:
            return None
        return (self.chain[0] if root else self.chain[-1]).from_instruction

    def _file_hit(
        self, rule_id: str, path: str, layer: LayerRef, message: str, identity: str,
        evidence: str | None = None, severity: Severity | None = None,
        fingerprint_path: str | None = None, **props: PropertyValue,
    ) -> None:
        self.hits.append(
            Hit(
                rule_id=rule_id,
                message=message,
                kind=LocationKind.IMAGE_FILE,
                path=path,
                identity=identity,
                evidence=evidence,
                severity=severity,
                layer=layer,
                properties={"layer_index": layer.index, "layer_digest": layer.digest, **props},
                fingerprint_path=fingerprint_path,
            )
        )

    # -- config rules -----------------------------------------------------------------

    def _user(self, view: FilesystemView) -> None:
        self.evaluated.add("config/user-root")
        user = self.config.user.strip()
        name = user.split(":", 1)[0]
        root = False
        detail = ""
        if not name:
            root, detail = True, "User is empty (defaults to root)"
        elif name in ("0", "root"):
            root, detail = True, f"User is {user}"
        elif not name.isdigit():
            uids = self._passwd(view)
            uid = uids.get(name)
            if uid == 0:
                root, detail = True, f"User {name} has UID 0 in {PASSWD}"
        if root:
            self._config_hit(
                "config/user-root", "User", f"the image runs as root: {detail}",
                "user-root", self._last("USER") or self._from(), user=user,
            )

    def _passwd(self, view: FilesystemView) -> dict[str, int]:
        final = view.final(PASSWD)
        if final is None:
            return {}
        layer = final[1].index
        for scan in self.layers:
            if scan.layer.index == layer:
                for record in scan.records.get(ConfigFileAnalyzer.name, ()):
                    if record.get("path") == PASSWD:
                        return passwd_uids(str(record.get("text", "")))
        return {}

    def _env(self) -> None:
        from gate.analyzers.secrets.analyzer import named_secret_pairs
        from gate.analyzers.secrets.detector import scan_text

        self.evaluated.add("config/secret-in-env")
        for entry in self.config.env:
            name, _eq, value = entry.partition("=")
            if not value:
                continue
            if not (named_secret_pairs([(name, value)]) or scan_text(f"{name}={value}")):
                continue
            self._config_hit(
                "config/secret-in-env", "Env",
                f"Env {name}={mask(value)}: a credential in the image config (docker inspect "
                "shows it to anyone who can pull the image)",
                f"env\0{name}\0{fingerprint(value)}",
                self._last("ENV", name) or self._from(root=True),
                evidence=mask(value), variable=name,
            )

    def _ports(self) -> None:
        self.evaluated.add("config/exposed-remote-shell-port")
        for port in remote_shell_ports(list(self.config.exposed_ports)):
            self._config_hit(
                "config/exposed-remote-shell-port", "ExposedPorts",
                f"ExposedPorts has {port}: {'telnet' if port == 23 else 'SSH'} exposed",
                f"port\0{port}", self._last("EXPOSE") or self._from(), port=port,
                severity=Severity.HIGH if port == 23 else None,
            )

    def _healthcheck(self) -> None:
        self.evaluated.add("config/no-healthcheck")
        check = self.config.healthcheck
        if check and check[0].upper() != "NONE":
            return
        self._config_hit(
            "config/no-healthcheck", "Healthcheck",
            "the image config has no Healthcheck" + (" (NONE)" if check else ""),
            "no-healthcheck", self._last("HEALTHCHECK") or self._from(),
        )

    def _labels(self) -> None:
        if not self.required_labels:
            return
        self.evaluated.add("config/missing-provenance-label")
        for label in self.required_labels:
            if self.config.labels.get(label, "").strip():
                continue
            self._config_hit(
                "config/missing-provenance-label", f"Labels.{label}",
                f"label {label} is missing (config.required_labels)", f"label\0{label}",
                self._from(), label=label,
            )

    def _age(self) -> None:
        limit = self.max_image_age_days
        if limit <= 0:
            return
        self.evaluated.add("config/image-too-old")
        created = _parse_time(self.config.created)
        if created is None:
            self.notes["image-created-unknown"] = (
                1, "the image config has no readable `created` time: its age is unknown")
            return
        age = (self.today - created).days
        if age > limit:
            self._config_hit(
                "config/image-too-old", "created",
                f"the image was created {created.isoformat()}, {age} days ago "
                f"(config.max_image_age_days = {limit})",
                "too-old", self._from(), age_days=age, created=created.isoformat(),
            )

    # -- filesystem rules -------------------------------------------------------------

    def _setuid(self, view: FilesystemView) -> None:
        self.evaluated.add("config/setuid-file")
        self.metadata["own_layers_from"] = self.own_from
        self.metadata["own_layers_rule"] = self.own_rule
        found = 0
        for meta, layer in view.final_entries():
            if meta.type is not EntryType.FILE or not meta.mode & (stat.S_ISUID | stat.S_ISGID):
                continue
            if layer.index < self.own_from:
                continue
            found += 1
            if found > MAX_PATH_FINDINGS:
                continue
            bits = "setuid" if meta.mode & stat.S_ISUID else "setgid"
            if meta.mode & stat.S_ISUID and meta.mode & stat.S_ISGID:
                bits = "setuid+setgid"
            root = meta.mode & stat.S_ISUID and meta.uid == 0
            self._file_hit(
                "config/setuid-file", meta.path, layer,
                f"{bits} file {meta.path} (mode {stat.S_IMODE(meta.mode):04o}, uid {meta.uid}) "
                f"added in layer {layer.index + 1}",
                f"setuid\0{meta.path}", evidence=f"{stat.S_IMODE(meta.mode):04o}",
                severity=Severity.HIGH if root else None, mode=f"{stat.S_IMODE(meta.mode):04o}",
            )
        self._overflow("config/setuid-file", found)

    def _world_writable(self, view: FilesystemView) -> None:
        self.evaluated.add("config/world-writable-path")
        found = 0
        for meta, layer in view.final_entries():
            if meta.type not in (EntryType.FILE, EntryType.DIR) or not meta.mode & stat.S_IWOTH:
                continue
            if any(meta.path == d or meta.path.startswith(d + "/") for d in TMP_DIRS):
                continue
            found += 1
            if found > MAX_PATH_FINDINGS:
                continue
            kind = "directory" if meta.type is EntryType.DIR else "file"
            self._file_hit(
                "config/world-writable-path", meta.path, layer,
                f"world-writable {kind} {meta.path} (mode {stat.S_IMODE(meta.mode):04o})",
                f"writable\0{meta.path}", evidence=f"{stat.S_IMODE(meta.mode):04o}",
                mode=f"{stat.S_IMODE(meta.mode):04o}",
            )
        self._overflow("config/world-writable-path", found)

    def _overflow(self, rule_id: str, found: int) -> None:
        if found > MAX_PATH_FINDINGS:
            self.notes[f"{rule_id}-more"] = (
                found - MAX_PATH_FINDINGS,
                f"{rule_id}: more paths than the {MAX_PATH_FINDINGS} listed",
            )

    def _tools(self, view: FilesystemView) -> None:
        self.evaluated.update(TOOL_RULES)
        found: dict[ToolFamily, list[tuple[str, LayerRef]]] = {}
        for meta, layer in view.final_entries():
            if meta.type not in (EntryType.FILE, EntryType.SYMLINK, EntryType.HARDLINK):
                continue
            if not _BIN_DIRS.match(meta.path):
                continue
            if meta.type is EntryType.FILE and not meta.mode & 0o111:
                continue
            base = posixpath.basename(meta.path)
            for family in TOOL_FAMILIES:
                if family.members.match(base):
                    found.setdefault(family, []).append((meta.path, layer))
        for family in TOOL_FAMILIES:
            if family not in found:
                continue
            # Located at the name the earliest layer added (/usr/bin/ first: merged /usr),
            # so the finding is attributed to the layer that brought the family in.
            entries = sorted(found[family], key=_first_name)
            path, layer = entries[0]
            paths = tuple(sorted(p for p, _layer in entries))
            self._file_hit(
                family.rule_id, path, layer,
                f"{_KIND[family.rule_id]} {family.name} present in the final image "
                f"({', '.join(paths)})",
                f"tool\0{family.name}", evidence=family.name, fingerprint_path="",
                tool=family.name, paths=paths,
            )

    def _eol(self) -> None:
        self.evaluated.add("config/os-end-of-life")
        self.metadata["os_eol_table_date"] = EOL_TABLE_DATE
        info = self.os
        if info is None:
            self.notes["os-unknown"] = (
                1, "no /etc/os-release or release file: the OS end of life was not checked")
            return
        self.metadata["os"] = f"{info.id} {info.version_id}".strip()
        status = eol_status(info, self.today)
        if status is None:
            self.notes["os-eol-unknown"] = (
                1, f"{info.pretty_name or info.id} {info.version_id} is not in gate's EOL table "
                f"of {EOL_TABLE_DATE}: its end of life was not checked")
            return
        if not status.past:
            self.metadata["os_eol"] = status.eol.isoformat() if status.eol else None
            return
        when = f"on {status.eol.isoformat()}" if status.eol else "before every listed release"
        layer = info.layer
        name = info.pretty_name or f"{info.id} {info.version_id}"
        hit_layer = layer or (self.layers[0].layer if self.layers else None)
        assert hit_layer is not None
        self._file_hit(
            "config/os-end-of-life", info.found_in, hit_layer,
            f"{name} reached end of life {when} (gate EOL table of {EOL_TABLE_DATE}): no more "
            "security updates", f"eol\0{info.id}\0{status.release}",
            evidence=f"{info.id} {info.version_id}", os=info.id, os_version=info.version_id,
            eol=status.eol.isoformat() if status.eol else None, eol_table_date=EOL_TABLE_DATE,
        )


def _first_name(entry: tuple[str, LayerRef]) -> tuple[int, bool, str]:
    path, layer = entry
    return layer.index, not path.startswith("/usr/bin/"), path


def _parse_time(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        cleaned = re.sub(r"(\.\d{6})\d+", r"\1", text.replace("Z", "+00:00"))
        return dt.datetime.fromisoformat(cleaned).date()
    except ValueError:
        return None
