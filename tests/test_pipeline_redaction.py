"""No check leaks a secret through the layer history it carries: build arguments and ENV
values are recorded verbatim in ``created_by``, and every layer finding carries its layer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gate.testing.image_writer import Dir, File, History, ImageSpec, write_oci_layout

# A GitLab personal access token (glpat- + 20), assembled from pieces.
TOKEN = "glpat-" + "Xk4Vq9Mw3Lp" + "7Zy2Tn5B" + "h"


def test_config_findings_carry_masked_layer_history(tmp_path: Path) -> None:
    spec = ImageSpec(
        layers=[
            {"/etc/os-release": b"ID=debian\nVERSION_ID=12\n"},
            {"/app": Dir(mode=0o777), "/app/run": File(b"#!/bin/sh\n", mode=0o4755)},
        ],
        history=[
            History("debootstrap bookworm"),
            History(f"|1 DEPLOY_TOKEN={TOKEN} /bin/sh -c chmod 777 /app && chmod u+s /app/run"),
        ],
    )
    write_oci_layout(tmp_path / "img", spec, tag="t")
    outputs = {name: tmp_path / name for name in ("gate.json", "gate.sarif", "gate.md")}
    proc = subprocess.run(
        [sys.executable, "-m", "gate", "check", "--image", f"oci:{tmp_path / 'img'}:t",
         "--checks", "config", "--no-cache", "--json", str(outputs["gate.json"]),
         "--sarif", str(outputs["gate.sarif"]), "--markdown", str(outputs["gate.md"])],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    texts = [proc.stdout, proc.stderr, *(p.read_text() for p in outputs.values())]
    # The layer's finding is there, with its (masked) history line.
    assert "world-writable" in outputs["gate.json"].read_text()
    assert "DEPLOY_TOKEN=glpa****" in outputs["gate.sarif"].read_text()
    for text in texts:
        assert TOKEN not in text
