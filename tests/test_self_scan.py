"""gate's own package, as its image ships it (the sources and the bytecode pip compiles from
them), holds no secret that gate reports: the fast form of the gate image's self-check
(scripts/build_gate_image.sh), which builds and scans the real image.

CPython folds constant expressions (``"ab" + "cd"`` is stored as ``"abcd"``), so a value
assembled from pieces in the source can still stand whole in the ``.pyc``."""

from __future__ import annotations

import marshal
from pathlib import Path

from gate.analyzers.secrets.detector import scan_bytes

PACKAGE = Path(__file__).resolve().parents[1] / "gate"


def test_gate_sources_and_bytecode_hold_no_reported_secret() -> None:
    found = []
    for source in sorted(PACKAGE.rglob("*.py")):
        text = source.read_bytes()
        code = marshal.dumps(compile(text, str(source), "exec", dont_inherit=True))
        relative = source.relative_to(PACKAGE.parent)
        for data, where in ((text, str(relative)), (code, f"{relative} (bytecode)")):
            for match in scan_bytes(data, path=where).matches:
                found.append(f"{where}: {match.rule_id}")
    assert found == []
