"""Real binaries and package trees for the inventory tests, built with the real tools:
``go build`` (a module with a vendored dependency and a replacement, cross-compiled to ELF,
PE and Mach-O), esbuild releases from npm (built with Go 1.17: the pre-1.18 pointer format),
``rustc`` (a ``.dep-v0`` section as cargo-auditable embeds it) and ``composer install`` (from
local path repositories, offline). Results are cached under ``$GATE_TEST_CACHE`` (default
/var/tmp/gate-tests) and built under a lock, as tests/integration/debian.py does."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tarfile
import zlib
from pathlib import Path

from tests.analyzers.packages.helpers import require_tool

GO_TARGETS = ("linux/amd64", "linux/386", "linux/arm64", "windows/amd64", "darwin/arm64")
ESBUILD = {"esbuild-linux-64": "bin/esbuild", "esbuild-windows-64": "esbuild.exe",
           "esbuild-darwin-64": "bin/esbuild"}
ESBUILD_VERSION = "0.13.15"  # November 2021, built with go1.17.2


def _cache(name: str) -> Path:
    root = Path(os.environ.get("GATE_TEST_CACHE", "/var/tmp/gate-tests")) / name
    root.parent.mkdir(parents=True, exist_ok=True)
    return root


def _locked_build(name: str, build: object) -> Path:
    root = _cache(name)
    with open(root.parent / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / ".complete").exists():
            if root.exists():
                shutil.rmtree(root)
            root.mkdir(parents=True)
            assert callable(build)
            build(root)
            (root / ".complete").write_text("ok")
    return root


def go_binaries() -> Path:
    """``app-<os>-<arch>`` binaries of module example.com/app (deps: example.com/greet
    v1.4.2, example.com/colour v0.3.0 replaced by example.com/colour-fork v0.3.1)."""
    go = require_tool("go", "golang-go")

    def build(root: Path) -> None:
        src = root / "src"
        # Vendored code lives under the import path; modules.txt records the replacement.
        for module in ("greet", "colour"):
            (src / "vendor/example.com" / module).mkdir(parents=True)
        (src / "go.mod").write_text(
            "module example.com/app\n\ngo 1.19\n\nrequire (\n\texample.com/greet v1.4.2\n"
            "\texample.com/colour v0.3.0\n)\n\nreplace example.com/colour => "
            "example.com/colour-fork v0.3.1\n")
        (src / "main.go").write_text(
            'package main\n\nimport (\n\t"example.com/colour"\n\t"example.com/greet"\n)\n\n'
            "func main() { println(greet.Hello(), colour.Name()) }\n")
        (src / "vendor/example.com/greet/greet.go").write_text(
            'package greet\n\nfunc Hello() string { return "hi" }\n')
        (src / "vendor/example.com/colour/colour.go").write_text(
            'package colour\n\nfunc Name() string { return "red" }\n')
        (src / "vendor/modules.txt").write_text(
            "# example.com/colour v0.3.0 => example.com/colour-fork v0.3.1\n## explicit\n"
            "example.com/colour\n# example.com/greet v1.4.2\n## explicit\nexample.com/greet\n"
            "# example.com/colour => example.com/colour-fork v0.3.1\n")
        env = {**os.environ, "GOFLAGS": "-mod=vendor", "GOPROXY": "off", "GOTOOLCHAIN": "local",
               "GOCACHE": str(root / ".gocache"), "GOPATH": str(root / ".gopath"),
               "CGO_ENABLED": "0"}
        for target in GO_TARGETS:
            goos, goarch = target.split("/")
            subprocess.run([go, "build", "-trimpath", "-o",
                            str(root / f"app-{goos}-{goarch}"), "."],
                           cwd=src, env={**env, "GOOS": goos, "GOARCH": goarch}, check=True,
                           capture_output=True)
        shutil.rmtree(root / ".gocache", ignore_errors=True)
        subprocess.run(["chmod", "-R", "u+w", str(root / ".gopath")], check=False)
        shutil.rmtree(root / ".gopath", ignore_errors=True)

    return _locked_build("go-binaries-v2", build)


def go_version_m(binary: Path) -> list[tuple[str, str]]:
    """(module, version) as ``go version -m`` prints them (``=>`` replacements applied)."""
    go = require_tool("go", "golang-go")
    out = subprocess.run([go, "version", "-m", str(binary)], check=True, capture_output=True,
                         text=True).stdout
    lines = out.splitlines()
    rows: list[tuple[str, str]] = [("stdlib", lines[0].split(": ", 1)[1].strip())]
    for line in lines[1:]:
        fields = line.strip().split("\t")
        if fields[0] in ("mod", "dep"):
            rows.append((fields[1], fields[2]))
        elif fields[0] == "=>":
            rows[-1] = (fields[1], fields[2] if len(fields) > 2 else "")
    return rows


def esbuild_binaries() -> Path:
    """The esbuild 0.13.15 release binaries for Linux, Windows and macOS (from npm)."""
    npm = require_tool("npm", "npm")

    def build(root: Path) -> None:
        for package, member in ESBUILD.items():
            subprocess.run([npm, "pack", "-q", f"{package}@{ESBUILD_VERSION}"], cwd=root,
                           check=True, capture_output=True, timeout=300)
            tarball = root / f"{package}-{ESBUILD_VERSION}.tgz"
            with tarfile.open(tarball) as archive:
                data = archive.extractfile(f"package/{member}")
                assert data is not None
                (root / package).write_bytes(data.read())
            # go version -m refuses files without an execute bit.
            (root / package).chmod(0o755)
            tarball.unlink()

    return _locked_build(f"esbuild-{ESBUILD_VERSION}-v2", build)


AUDIT_DATA = {
    "packages": [
        {"name": "hello", "version": "0.1.0", "source": "local", "root": True,
         "dependencies": [1, 2, 3]},
        {"name": "serde", "version": "1.0.188", "source": "crates.io"},
        {"name": "regex", "version": "1.9.5", "source": "crates.io", "dependencies": [4]},
        {"name": "cc", "version": "1.0.83", "source": "crates.io", "kind": "build"},
        {"name": "aho-corasick", "version": "1.1.1", "source": "crates.io"},
    ],
}


def rust_auditable_binary() -> Path:
    """A Rust executable carrying cargo-auditable's section: zlib JSON in ``.dep-v0``,
    linked in the way cargo-auditable injects it (a ``#[used] #[link_section]`` static)."""
    rustc = require_tool("rustc", "rustc")

    def build(root: Path) -> None:
        (root / "deps.zlib").write_bytes(zlib.compress(json.dumps(AUDIT_DATA).encode(), 9))
        (root / "main.rs").write_text(
            "#[used]\n#[link_section = \".dep-v0\"]\n"
            "static AUDITABLE_VERSION_INFO: [u8; include_bytes!(\"deps.zlib\").len()] = "
            "*include_bytes!(\"deps.zlib\");\nfn main() { println!(\"hello\"); }\n")
        subprocess.run([rustc, "-O", "main.rs", "-o", "hello"], cwd=root, check=True,
                       capture_output=True)

    return _locked_build("rust-auditable-v1", build) / "hello"


def composer_project() -> Path:
    """A ``vendor/`` tree written by ``composer install`` from two local path packages."""
    composer = require_tool("composer", "composer")

    def build(root: Path) -> None:
        for name, doc in (
            ("acme-log", {"name": "acme/log", "version": "1.4.2", "license": "MIT"}),
            ("acme-http", {"name": "acme/http", "version": "v2.0.1",
                           "license": ["Apache-2.0", "MIT"], "require": {"acme/log": "^1.4"}}),
        ):
            (root / "pkgs" / name).mkdir(parents=True)
            (root / "pkgs" / name / "composer.json").write_text(json.dumps(doc))
        (root / "app").mkdir()
        (root / "app/composer.json").write_text(json.dumps({
            "name": "acme/app", "require": {"acme/http": "^2.0"},
            "repositories": [{"packagist.org": False},
                             {"type": "path", "url": "../pkgs/*",
                              "options": {"symlink": False}}],
        }))
        env = {**os.environ, "COMPOSER_HOME": str(root / ".home"),
               "COMPOSER_CACHE_DIR": str(root / ".cache"), "COMPOSER_ALLOW_SUPERUSER": "1"}
        subprocess.run([composer, "install", "--no-interaction", "--no-progress"],
                       cwd=root / "app", env=env, check=True, capture_output=True, timeout=300)

    return _locked_build("composer-project-v1", build) / "app"
