"""The command line around the signature check: ``--trusted-root``, bad inputs as one stderr
line and exit 2, and no heavy import at start-up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gate.cli import EXIT_ERROR, main
from gate.testing import image_writer


@pytest.fixture
def layout(tmp_path: Path) -> str:
    path = tmp_path / "layout"
    image_writer.write_oci_layout(path, image_writer.ImageSpec(layers=[{"/app/VERSION": b"1\n"}]))
    return f"oci:{path}:latest"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    code = main(["check", "--checks", "signature", "--no-cache", *args])
    return code, capsys.readouterr().err.splitlines()


def policy(tmp_path: Path, key: str = "keys/release.pub") -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(f'[signature]\nrequired = true\n[[signature.signers]]\nkey = "{key}"\n')
    return path


def test_missing_trusted_root_file(
    tmp_path: Path, layout: str, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.json"
    code, err = run(
        capsys, "--image", layout, "--policy", str(policy(tmp_path)), "--trusted-root", str(missing)
    )
    assert code == EXIT_ERROR
    assert err == [f"gate: error: --trusted-root {missing}: no such file"]


def test_unreadable_trusted_root(
    tmp_path: Path, layout: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from gate.testing import signature_writer as w

    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "release.pub").write_bytes(w.public_pem(w.generate_key("p256")))
    root = tmp_path / "root.json"
    root.write_text("[]")
    code, err = run(
        capsys, "--image", layout, "--policy", str(policy(tmp_path)), "--trusted-root", str(root)
    )
    assert code == EXIT_ERROR
    assert err == [f"gate: error: trusted root {root}: not a JSON object"]


def test_missing_key_file_names_the_policy_field(
    tmp_path: Path, layout: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run(capsys, "--image", layout, "--policy", str(policy(tmp_path)))
    assert code == EXIT_ERROR
    assert len(err) == 1
    key = tmp_path / "keys" / "release.pub"
    assert err[0].startswith(f"gate: error: signature.signers[0].key: cannot read key {key}")


def test_help_documents_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    assert "--trusted-root FILE" in capsys.readouterr().out


def test_start_up_imports_no_crypto_library() -> None:
    code = (
        "import sys, gate.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sigstore', 'cryptography')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
