"""What a shell command does with packages: install, remove, update the index, clean caches.

Covers the OS package managers of the common base images (apt/apt-get, apk, yum, dnf, microdnf,
zypper) and the language installers (pip, npm/yarn/pnpm, gem). Option parsing follows each
tool's manual: an option that takes a value consumes the next word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gate.analyzers.config.shell import SimpleCommand

OS_MANAGERS = frozenset({"apt-get", "apt", "apk", "yum", "dnf", "microdnf", "zypper", "tdnf"})
LANGUAGE_MANAGERS = frozenset({"pip", "pip3", "npm", "yarn", "pnpm", "gem"})

# Packages that are build tooling, not runtime: compilers, build systems, headers.
_BUILD_PACKAGES = re.compile(
    r"^(?:build-essential|build-base|alpine-sdk|gcc(?:-\d+)?|g\+\+(?:-\d+)?|gcc-c\+\+|cpp|"
    r"clang(?:-\d+)?|llvm(?:-\d+)?|make|cmake|ninja(?:-build)?|autoconf|automake|libtool|"
    r"pkg-?config|pkgconf|bison|flex|golang(?:-go)?|go|rustc|cargo|rust|"
    r"openjdk-\d+-jdk(?:-headless)?|java-\d+-openjdk-devel|maven|gradle|musl-dev|"
    r"linux-headers|kernel-headers|[a-z0-9][a-z0-9.+_-]*-dev|[a-z0-9][a-z0-9.+_-]*-devel|"
    r"python3?-pip|py3-pip|npm|yarn|composer)$"
)
_APT_VALUE_OPTIONS = frozenset({"-o", "-c", "-t", "--target-release", "--option", "--config-file"})
_APK_VALUE_OPTIONS = frozenset(
    {"-t", "--virtual", "-X", "--repository", "-p", "--root", "--arch", "--cache-dir",
     "--keys-dir", "--repositories-file"}
)  # fmt: skip
_RPM_VALUE_OPTIONS = frozenset(
    {"--setopt", "--enablerepo", "--disablerepo", "--installroot", "--releasever", "-c",
     "--config", "--exclude", "-x", "--repo", "--repofrompath", "--nodocs-x"}
)  # fmt: skip
_PIP_VALUE_OPTIONS = frozenset(
    {"-r", "--requirement", "-c", "--constraint", "-i", "--index-url", "--extra-index-url",
     "-f", "--find-links", "--trusted-host", "-t", "--target", "--prefix", "--root",
     "--platform", "--python-version", "--implementation", "--abi", "--src", "--cache-dir",
     "--progress-bar", "--upgrade-strategy", "--only-binary", "--no-binary", "-e",
     "--editable", "--config-settings", "-C", "--global-option", "--log", "--timeout",
     "--retries", "--proxy", "--cert", "--client-cert", "--report"}
)  # fmt: skip


@dataclass
class PackageAction:
    manager: str
    action: str
    """install, remove, update (index refresh), upgrade, clean."""
    packages: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    """Every option word as written (``--no-install-recommends``, ``-o`` values included)."""
    group: str | None = None
    """``apk add --virtual NAME``: the virtual package that groups these."""
    command: SimpleCommand | None = None

    def has(self, *names: str) -> bool:
        return any(o == n or o.startswith(n + "=") for o in self.options for n in names)


def _strip_wrappers(argv: list[str]) -> list[str]:
    """Drop ``sudo``/``env``/``nice``/``xargs``-style prefixes and ``python -m pip``."""
    words = list(argv)
    while words:
        name = words[0].rsplit("/", 1)[-1]
        if name in ("sudo", "doas", "env", "nice", "nohup", "time", "command", "exec", "xargs",
                    "eatmydata", "fakeroot"):  # fmt: skip
            words = words[1:]
            while words and (words[0].startswith("-") or "=" in words[0]):
                words = words[1:]
            continue
        break
    if len(words) >= 3 and re.fullmatch(r"python[0-9.]*", words[0].rsplit("/", 1)[-1]) and \
            words[1] == "-m" and words[2] in ("pip", "pip3"):
        words = ["pip", *words[3:]]
    return words


def package_action(command: SimpleCommand) -> PackageAction | None:
    argv = _strip_wrappers(command.argv)
    if not argv:
        return None
    name = argv[0].rsplit("/", 1)[-1]
    if re.fullmatch(r"pip[0-9.]*", name):
        name = "pip"
    args = argv[1:]
    action: PackageAction | None
    if name in ("apt-get", "apt"):
        action = _generic(name, args, _APT_VALUE_OPTIONS, {
            "install": "install", "remove": "remove", "purge": "remove",
            "autoremove": "remove", "update": "update", "upgrade": "upgrade",
            "dist-upgrade": "upgrade", "full-upgrade": "upgrade", "clean": "clean",
            "autoclean": "clean", "distclean": "clean",
        })
    elif name == "apk":
        action = _generic(name, args, _APK_VALUE_OPTIONS, {
            "add": "install", "del": "remove", "update": "update", "upgrade": "upgrade",
            "cache": "clean",
        })
        if action is not None and action.action == "clean" and "clean" not in args:
            action.action = "cache"
        if action is not None:
            for i, word in enumerate(args):
                if word in ("-t", "--virtual") and i + 1 < len(args):
                    action.group = args[i + 1]
                elif word.startswith("--virtual="):
                    action.group = word.split("=", 1)[1]
    elif name in ("yum", "dnf", "microdnf", "tdnf"):
        action = _generic(name, args, _RPM_VALUE_OPTIONS, {
            "install": "install", "reinstall": "install", "groupinstall": "install",
            "remove": "remove", "erase": "remove", "autoremove": "remove",
            "makecache": "update", "check-update": "update", "update": "upgrade",
            "upgrade": "upgrade", "clean": "clean",
        })
    elif name == "zypper":
        action = _generic(name, args, frozenset({"-r", "--repo", "--root", "-R"}), {
            "install": "install", "in": "install", "remove": "remove", "rm": "remove",
            "refresh": "update", "ref": "update", "update": "upgrade", "up": "upgrade",
            "dist-upgrade": "upgrade", "dup": "upgrade", "clean": "clean", "cc": "clean",
        })
    elif name == "pip":
        action = _generic("pip", args, _PIP_VALUE_OPTIONS, {
            "install": "install", "uninstall": "remove",
        })
        if action is not None:
            action.packages = [p for p in action.packages if _pip_requirement(p)]
    elif name in ("npm", "pnpm"):
        action = _generic(name, args, frozenset({"--prefix", "--registry", "-C"}), {
            "install": "install", "i": "install", "add": "install", "uninstall": "remove",
            "remove": "remove", "rm": "remove", "ci": "install-locked",
        })
        if action is not None:
            action.packages = [p for p in action.packages if _npm_package(p)]
    elif name == "yarn":
        action = _generic(name, args, frozenset({"--cwd"}), {
            "add": "install", "global": "install", "remove": "remove", "install": "install-locked",
        })
        if action is not None:
            action.packages = [p for p in action.packages if p != "add" and _npm_package(p)]
    elif name == "gem":
        action = _generic(name, args, frozenset({"-v", "--version", "-i", "--install-dir",
                                                 "-n", "--bindir", "--source"}), {
            "install": "install", "uninstall": "remove",
        })
    else:
        return None
    if action is not None:
        action.command = command
    return action


def _generic(
    manager: str, args: list[str], value_options: frozenset[str], actions: dict[str, str]
) -> PackageAction | None:
    verb: str | None = None
    packages: list[str] = []
    options: list[str] = []
    skip = False
    for word in args:
        if skip:
            options.append(word)
            skip = False
            continue
        if word.startswith("-") and word != "-":
            options.append(word)
            if word in value_options and "=" not in word:
                skip = True
            elif manager in ("yum", "dnf", "microdnf", "tdnf") and word == "-y":
                pass
            continue
        if verb is None:
            if word not in actions:
                return None
            verb = actions[word]
            continue
        if verb == "clean" and word in ("all", "-y"):
            continue
        packages.append(word)
    if verb is None:
        return None
    return PackageAction(manager=manager, action=verb, packages=packages, options=options)


def _pip_requirement(word: str) -> bool:
    """A requirement named on the command line (not a path, URL, archive or ``.``)."""
    if word in (".", "..") or word.startswith((".", "/", "~", "$")) or "://" in word:
        return False
    return not word.endswith((".whl", ".tar.gz", ".zip", ".txt"))


def _npm_package(word: str) -> bool:
    return not word.startswith((".", "/", "~", "$")) and "://" not in word and \
        not word.endswith((".tgz", ".tar.gz"))


def is_pinned(manager: str, package: str, action: PackageAction) -> bool:
    """Whether a package argument names a version (each manager's own syntax)."""
    if "$" in package:
        return True  # a version from a build argument: pinned where the argument is set
    if manager in ("apt-get", "apt", "zypper"):
        return "=" in package or package.endswith(".deb") or package.endswith(".rpm")
    if manager == "apk":
        return bool(re.search(r"[=~<>]", package))
    if manager in ("yum", "dnf", "microdnf", "tdnf"):
        return bool(re.search(r"-\d[\w.+~^]*(?:-[\w.+~^]+)?$", package)) or \
            package.endswith(".rpm") or bool(re.search(r"[<>=]", package))
    if manager == "pip":
        return bool(re.search(r"(==|===|~=|<=|>=|<|>|@)", package))
    if manager in ("npm", "pnpm", "yarn"):
        return "@" in package.lstrip("@")
    if manager == "gem":
        return ":" in package or action.has("-v", "--version")
    return True


def build_tool(package: str) -> bool:
    name = re.split(r"[=<>~@:]", package, maxsplit=1)[0].lower()
    return bool(_BUILD_PACKAGES.match(name))
