"""docs/image-sources.md states the layer limits gate really applies."""

from __future__ import annotations

import dataclasses
import re

from gate.sources.image.layer_tar import LayerLimits
from tests.gate_cli import REPO_ROOT


def test_documented_limits_are_the_defaults() -> None:
    text = (REPO_ROOT / "docs" / "image-sources.md").read_text()
    section = text.split("### Limits", 1)[1].split("\n## ", 1)[0]
    documented = {name: int(value) for name, value in
                  re.findall(r"^\| `(\w+)` \| (\d+)", section, flags=re.MULTILINE)}
    defaults = {f.name: getattr(LayerLimits(), f.name) for f in dataclasses.fields(LayerLimits)}
    assert documented == defaults
