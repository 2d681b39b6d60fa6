"""How the pipeline hands the inventory to the vulnerability check: the image's packages
(package and os-release analyzers in the walk) or the SBOM given with ``check --sbom``."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate import pipeline
from gate.cli import build_parser
from gate.errors import InputError
from gate.layer_walk import WalkOptions, walk_layers
from gate.models import Check
from gate.policy.loader import load_policy
from gate.reporters.cyclonedx import render_sbom
from gate.sources.image import open_image
from gate.testing.image_writer import ImageSpec, write_oci_layout
from tests.analyzers.packages.helpers import PKGDB

ALPINE = "trivy-image-extracts/alpine-310"


@pytest.fixture
def image(shared_data: Path, tmp_path: Path) -> str:
    base = shared_data / PKGDB / ALPINE
    write_oci_layout(tmp_path / "layout", ImageSpec(layers=[{
        "/etc/os-release": (base / "etc/os-release").read_bytes(),
        "/lib/apk/db/installed": (base / "lib/apk/db/installed").read_bytes()}]))
    return f"oci:{tmp_path / 'layout'}:latest"


def test_vulnerability_check_gets_the_image_inventory(image: str) -> None:
    request = pipeline.GateRequest(policy=load_policy(None), policy_path="default",
                                   image_ref=image, checks=(Check.VULNERABILITIES,),
                                   walk=WalkOptions(jobs=1))
    analyzers = pipeline._file_analyzers([Check.VULNERABILITIES], request)
    assert sorted(a.name for a in analyzers) == ["os-release", "packages"]
    assert pipeline._file_analyzers([Check.SECRETS], request)[0].name == "secrets"
    assert all(a.name != "packages" for a in pipeline._file_analyzers([Check.SECRETS], request))
    layers = walk_layers(open_image(image), analyzers, request.walk)
    inventory = pipeline._check_options(Check.VULNERABILITIES, request, layers)["inventory"]
    assert len(inventory.packages) == 14
    assert {i.package.ecosystem for i in inventory.packages} == {"Alpine:v3.10"}


def test_vulnerability_check_gets_the_sbom(image: str, tmp_path: Path) -> None:
    inventory, summary = pipeline.run_inventory(image, walk=WalkOptions(jobs=1))
    sbom = tmp_path / "sbom.json"
    sbom.write_text(render_sbom(inventory, summary))
    args = build_parser().parse_args(["check", "--sbom", str(sbom)])
    assert args.sbom == sbom
    request = pipeline.GateRequest(policy=load_policy(None), policy_path="default",
                                   extra={"sbom": str(args.sbom)})
    # An SBOM replaces the image's inventory: no package analyzer in the walk.
    assert pipeline._file_analyzers([Check.VULNERABILITIES], request) == []
    from_sbom = pipeline._check_options(Check.VULNERABILITIES, request, ())["inventory"]
    assert from_sbom.source == f"sbom:{sbom}"
    assert sorted(i.package.purl for i in from_sbom.packages) == sorted(
        i.package.purl for i in inventory.packages)
    sbom.write_text("{}")
    with pytest.raises(InputError, match=str(sbom)):
        pipeline._check_options(Check.VULNERABILITIES, request, ())


def test_sbom_without_the_vulnerability_check_is_refused(tmp_path: Path) -> None:
    from gate.errors import UsageError

    request = pipeline.GateRequest(policy=load_policy(None), policy_path="default",
                                   checks=(Check.SECRETS,), extra={"sbom": str(tmp_path)})
    with pytest.raises(UsageError, match="--sbom"):
        pipeline.run_gate(request)
