"""Helpers of the package inventory tests: real data sets of ../shared/data/os-pkgdb and the
real tools (dpkg-query, rpm) that read the same files."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

PKGDB = "os-pkgdb"


def txtar(path: Path) -> dict[str, bytes]:
    """The files of a txtar archive (golang.org/x/tools/txtar: ``-- name --`` lines)."""
    text = path.read_text()
    parts = re.split(r"^-- (.+) --$\n", text, flags=re.MULTILINE)
    pairs = zip(parts[1::2], parts[2::2], strict=True)
    return {name.strip(): body.encode() for name, body in pairs}


def require_tool(name: str, package: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing: apt-get install {package} (scripts/test.sh does)")
    return found


def dpkg_query(status: bytes, tmp: Path) -> list[tuple[str, str, str, str, str]]:
    """What dpkg itself lists from a status file: (name, version, source, source version,
    arch) of every package whose files are on disk (not ``config-files``/``not-installed``)."""
    require_tool("dpkg-query", "dpkg")
    admin = tmp / "dpkg-admin"
    (admin / "updates").mkdir(parents=True, exist_ok=True)
    (admin / "status").write_bytes(status)
    out = subprocess.run(
        ["dpkg-query", "-W", f"--admindir={admin}", "-f",
         "${Package}\\t${Version}\\t${source:Package}\\t${source:Version}\\t${Architecture}"
         "\\t${db:Status-Abbrev}\\n"],
        check=True, capture_output=True, text=True,
    ).stdout
    rows = []
    for line in out.splitlines():
        name, version, source, source_version, arch, abbrev = line.split("\t")
        if abbrev[1:2] in ("c", "n"):
            continue
        rows.append((name, version, source, source_version, arch))
    return sorted(rows)


def rpm_query(db_file: Path, filename: str, backend: str, tmp: Path) -> list[tuple[str, str, str]]:
    """``rpm -qa`` on a copy of one rpm database: (name, [epoch:]version-release, arch)."""
    require_tool("rpm", "rpm")
    dbpath = tmp / f"rpmdb-{backend}"
    dbpath.mkdir(exist_ok=True)
    shutil.copy(db_file, dbpath / filename)
    out = subprocess.run(
        ["rpm", "-qa", "--dbpath", str(dbpath), "--define", f"_db_backend {backend}",
         "--qf", "%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}-%{RELEASE}\\t%{ARCH}\\n"],
        check=True, capture_output=True, text=True,
    ).stdout
    rows = []
    for line in out.splitlines():
        name, epoch, vr, arch = line.split("\t")
        if name == "gpg-pubkey":
            continue
        rows.append((name, f"{epoch}:{vr}" if epoch != "0" else vr, arch))
    return sorted(rows)
