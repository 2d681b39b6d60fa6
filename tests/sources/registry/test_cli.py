"""``gate check --image 127.0.0.1:PORT/team/app:v1 --checks secrets`` end to end through the
CLI: layers stream from the real registry into worker processes, the planted secret is found
in the layer that added it, the report names the registry's digest."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from gate.cli import main
from gate.testing.image_writer import History, ImageSpec, build
from tests.conftest import REPO_ROOT
from tests.registry_fixtures import FaultProxy, RegistryServer, push_image

pytestmark = pytest.mark.slow

# A fake AWS key with the provider's real format, assembled at run time.
AWS_ID = "AKIA" + "Z7QX2LMV" + "9KDP4WHN"


def _gate(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "gate", "check", *args], capture_output=True,
                          text=True, env=full_env, check=False, timeout=120)


def test_secrets_check_of_a_registry_image(plain_registry: RegistryServer,
                                           tmp_path: Path) -> None:
    spec = ImageSpec(
        layers=[{"/etc/os-release": b"ID=debian\n", "/usr/share/doc/readme": b"hello " * 500},
                {"/app/": b"", "/app/.env": f"AWS_ACCESS_KEY_ID={AWS_ID}\n".encode()}],
        history=[History("ADD rootfs.tar /"), History("COPY .env /app/.env # buildkit")],
    )
    built = build(spec)
    repo = f"team/app-{secrets.token_hex(3)}"
    digest = push_image(plain_registry, f"{repo}:v1", built, tmp_path)
    report_path = tmp_path / "report.json"
    done = _gate("--image", f"{plain_registry.host}/{repo}:v1", "--checks", "secrets",
                 "--no-cache", "--jobs", "2", "--json", str(report_path))
    assert done.returncode == 1, done.stderr
    assert AWS_ID not in done.stdout and AWS_ID not in report_path.read_text()
    report = json.loads(report_path.read_text())
    assert report["target"]["image"]["manifest_digest"] == digest
    findings = report["findings"]
    located = {(f["location"]["path"], f["location"]["layer"]["digest"]) for f in findings}
    assert ("/app/.env", built.layers[1].digest) in located


def test_bad_registry_options_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for args, message in (
        (["--registry-timeout", "0"], "--registry-timeout must be more than 0"),
        (["--registry-retries", "-1"], "--registry-retries must be between 0 and 20"),
        (["--registry-ca-bundle", str(tmp_path / "none.pem")], "no such file"),
        (["--signature-source", "team/app"], "expected REGISTRY/REPO"),
        (["--signature-source", "ghcr.io/team/app:v1"], "without a tag or digest"),
    ):
        assert main(["check", "--image", "127.0.0.1:1/team/app:v1", *args]) == 2
        assert message in capsys.readouterr().err


# -- gate sbom: the same registry options -----------------------------------------------------

PACKAGED = ImageSpec(layers=[{
    "/etc/os-release": b"ID=debian\nVERSION_ID=12\n",
    "/usr/lib/python3/dist-packages/Jinja2-2.10.dist-info/METADATA":
        b"Metadata-Version: 2.1\nName: Jinja2\nVersion: 2.10\n",
}])


def _sbom(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATE_")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    return subprocess.run([sys.executable, "-m", "gate", "sbom", "--no-cache", *args],
                          capture_output=True, text=True, env=env, check=False, timeout=120)


def _purls(path: Path) -> set[str]:
    return {c["purl"] for c in json.loads(path.read_text())["components"] if "purl" in c}


def test_sbom_of_a_tls_registry_image(tls_registry: RegistryServer, tmp_path: Path) -> None:
    assert tls_registry.ca_bundle is not None
    repo = f"team/sbom-{secrets.token_hex(3)}"
    digest = push_image(tls_registry, f"{repo}:v1", PACKAGED, tmp_path)
    ref, out = f"{tls_registry.host}/{repo}:v1", tmp_path / "sbom.json"
    untrusted = _sbom("--image", ref, "--output", str(out))
    assert untrusted.returncode == 2 and not out.exists()
    (line,) = untrusted.stderr.splitlines()
    assert line.startswith("gate: error:") and "--registry-ca-bundle" in line
    done = _sbom("--image", ref, "--registry-ca-bundle", str(tls_registry.ca_bundle),
                 "--registry-timeout", "20", "--registry-retries", "1", "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert "pkg:pypi/jinja2@2.10" in _purls(out)
    assert digest.split(":")[1] in out.read_text()  # the SBOM names the pulled digest


def test_sbom_over_plain_http_only_when_allowed(plain_registry: RegistryServer,
                                               tmp_path: Path) -> None:
    """``127.1`` is 127.0.0.1 to the resolver (inet_aton) but no loopback literal to gate, so it
    stands here for a plain-HTTP registry that is not on loopback."""
    repo = f"team/sbom-{secrets.token_hex(3)}"
    push_image(plain_registry, f"{repo}:v1", PACKAGED, tmp_path)
    port = plain_registry.host.rsplit(":", 1)[1]
    ref, out = f"127.1:{port}/{repo}:v1", tmp_path / "sbom.json"
    refused = _sbom("--image", ref, "--registry-retries", "0", "--output", str(out))
    assert refused.returncode == 2 and not out.exists()
    assert len(refused.stderr.splitlines()) == 1 and "gate: error:" in refused.stderr
    done = _sbom("--image", ref, "--insecure-registry", f"127.1:{port}", "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert "pkg:pypi/jinja2@2.10" in _purls(out)


def test_sbom_bad_registry_options_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for args, message in (
        (["--registry-timeout", "0"], "--registry-timeout must be more than 0"),
        (["--registry-retries", "21"], "--registry-retries must be between 0 and 20"),
        (["--registry-ca-bundle", str(tmp_path / "none.pem")], "no such file"),
    ):
        assert main(["sbom", "--image", "127.0.0.1:1/team/app:v1", *args]) == 2
        assert message in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:  # argparse: no signatures in an SBOM
        main(["sbom", "--image", "x", "--signature-source", "r.invalid/a/b"])
    assert exited.value.code == 2
    assert "unrecognized arguments: --signature-source" in capsys.readouterr().err


def test_base_image_from_a_tls_registry_uses_the_registry_options(
    tls_registry: RegistryServer, tmp_path: Path
) -> None:
    """``--base-image`` is pulled with the same options as ``--image``: the setuid file of
    the base's layer is the base's, not the checked image's own."""
    from gate.testing.image_writer import File, write_oci_layout

    assert tls_registry.ca_bundle is not None
    base_layer = {"/usr/bin/passwd": File(b"\x7fELF" + b"\0" * 60, mode=0o4755)}
    repo = f"team/base-{secrets.token_hex(3)}"
    push_image(tls_registry, f"{repo}:v1", ImageSpec(layers=[base_layer]), tmp_path)
    layout = tmp_path / "app"
    write_oci_layout(layout, ImageSpec(layers=[base_layer, {"/app/run": b"echo hi\n"}]),
                     tag="v1")

    def setuid_findings(*extra: str) -> tuple[int, list[str]]:
        report = tmp_path / "report.json"
        done = _gate("--image", f"oci:{layout}:v1", "--checks", "config", "--no-cache",
                     "--json", str(report), *extra)
        if done.returncode == 2:
            return 2, done.stderr.splitlines()
        rules = [f["location"]["path"] for f in json.loads(report.read_text())["findings"]
                 if f["rule_id"] == "config/setuid-file"]
        return done.returncode, rules

    assert setuid_findings()[1] == ["/usr/bin/passwd"]  # no base known: the image's own
    base = f"{tls_registry.host}/{repo}:v1"
    code, lines = setuid_findings("--base-image", base)
    assert code == 2 and len(lines) == 1 and "--registry-ca-bundle" in lines[0]
    code, found = setuid_findings("--base-image", base,
                                  "--registry-ca-bundle", str(tls_registry.ca_bundle))
    assert code in (0, 1) and found == []


def test_sbom_retries_and_timeouts_reach_the_client(
    plain_registry: RegistryServer, fault_proxy: FaultProxy, tmp_path: Path
) -> None:
    """Two 500 answers then the real registry: --registry-retries 2 pulls, 0 gives up; a
    stalled manifest ends at --registry-timeout."""
    repo = f"team/sbom-{secrets.token_hex(3)}"
    push_image(plain_registry, f"{repo}:v1", PACKAGED, tmp_path)
    ref, out = f"{fault_proxy.host}/{repo}:v1", tmp_path / "sbom.json"
    fault_proxy.add(rf"/v2/{repo}/manifests/v1$", "status", times=2, status=500)
    given_up = _sbom("--image", ref, "--registry-retries", "0", "--output", str(out))
    assert given_up.returncode == 2 and "HTTP 500 after 1 attempt(s)" in given_up.stderr
    assert len(fault_proxy.requests_to(rf"/v2/{repo}/manifests/v1$")) == 1
    done = _sbom("--image", ref, "--registry-retries", "2", "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert "pkg:pypi/jinja2@2.10" in _purls(out)
    fault_proxy.add(rf"/v2/{repo}/manifests/v1$", "stall", times=None, seconds=8)
    stalled = _sbom("--image", ref, "--registry-timeout", "1", "--registry-retries", "0",
                    "--output", str(tmp_path / "never.json"))
    assert stalled.returncode == 2 and "timed out" in stalled.stderr
