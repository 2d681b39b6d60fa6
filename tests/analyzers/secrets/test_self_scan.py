"""gate's own package, as its image ships it (sources and compiled .pyc files), holds nothing
its secret rules report: the rules spell documented default values so that even the folded
constants of the bytecode do not spell them."""

from __future__ import annotations

import compileall
import shutil
from pathlib import Path

import gate
from gate.analyzers.secrets.detector import scan_bytes

PACKAGE = Path(gate.__file__).resolve().parent


def test_gate_package_and_its_bytecode_hold_no_secret(tmp_path: Path) -> None:
    copy = tmp_path / "gate"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert compileall.compile_dir(str(copy), quiet=1, legacy=False)
    files = [p for p in copy.rglob("*") if p.is_file()]
    assert sum(p.suffix == ".pyc" for p in files) > 50
    found = {
        (str(p.relative_to(tmp_path)), m.rule_id)
        for p in files
        for m in scan_bytes(p.read_bytes(), path=str(p)).matches
    }
    assert found == set()
