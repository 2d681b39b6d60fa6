"""Images written by the real tools - umoci, skopeo, buildah - read by every source, and the
layered filesystem view (issue 2, part 2) checked on real whiteouts written by umoci.

The root filesystem is a small hand-made tree (these tests are about the formats, not about
Debian: tests/integration/test_debian_image.py covers a real Debian image); every image below
is produced by the tools themselves, exactly as a pipeline would produce it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from gate.analyzers.filesystem import FilesystemView, PathAction
from gate.layer_walk import WalkOptions, walk_layers
from gate.sources.image import open_image
from gate.sources.image.model import EntryType, Image, LayerCompression
from gate.testing.rootfs import missing_tools
from tests.gate_cli import assert_one_error_line, check_image
from tests.integration.debian import build_layered_image
from tests.sources.image.helpers import read_all

pytestmark = pytest.mark.slow

# Fake credentials with their providers' real formats, assembled at run time.
AWS_ID = "AKIA" + "QX7RZ2" + "MVKD4PLWHN"
AWS_SECRET = "t9Vq2Lr" + "/Xk3pWz8NmYb" + "4Hc6Jd1Fg5Sa0EeRuTo7Q"
GITHUB_PAT = "ghp_" + "R7m2Kx9Qw4Zt" + "1Lp8Vn3Bc6Yh5Jd0Fs2Ga" + "k4T"


def _require(*tools: str) -> None:
    missing = missing_tools(*tools)
    if missing:
        pytest.fail(f"tools missing: {', '.join(missing)} (scripts/test.sh installs them)")


def _run(*cmd: str | Path) -> str:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, check=False,
                          timeout=300)
    if proc.returncode != 0:
        pytest.fail(f"{cmd[0]} {cmd[1]} failed: {proc.stderr.strip()[-500:]}")
    return proc.stdout


def _small_rootfs(root: Path) -> Path:
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "os-release").write_text('ID=gate-test\nVERSION_ID="1"\n')
    (root / "bin").mkdir()
    (root / "bin" / "busybox").write_bytes(b"\x7fELF" + bytes(range(256)) * 16)
    os.symlink("busybox", root / "bin" / "sh")
    (root / "usr" / "share" / "doc").mkdir(parents=True)
    (root / "usr" / "share" / "doc" / "README").write_text("documentation\n" * 50)
    return root


def _add_app(root: Path) -> None:
    (root / "app" / "config").mkdir(parents=True)
    (root / "app" / ".env").write_text(f"AWS_ACCESS_KEY_ID={AWS_ID}\n"
                                       f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}\n")
    (root / "app" / "config" / "settings.py").write_text("DEBUG = False\n")
    os.link(root / "app" / "config" / "settings.py", root / "app" / "config" / "settings.link")
    (root / "app" / "cache" / "sub").mkdir(parents=True)
    (root / "app" / "cache" / "a.bin").write_bytes(b"a" * 100)
    (root / "app" / "cache" / "sub" / "b.bin").write_bytes(b"b" * 100)
    (root / "opt" / "tool" / "bin").mkdir(parents=True)
    (root / "opt" / "tool" / "bin" / "run").write_text("#!/bin/sh\n")


def _clean_up(root: Path) -> None:
    (root / "app" / ".env").unlink()
    shutil.rmtree(root / "app" / "cache")
    with open(root / "etc" / "os-release", "a") as handle:
        handle.write("VARIANT=patched\n")
    shutil.rmtree(root / "opt" / "tool")
    (root / "opt" / "tool").write_text("now a file\n")


def _add_env_again(root: Path) -> None:
    (root / "app" / ".env").write_text("LOG_LEVEL=info\n")


STEPS = [("COPY . /app", _add_app),
         ("RUN rm -rf /app/.env /app/cache /opt/tool && touch /opt/tool", _clean_up),
         ("COPY .env /app/.env", _add_env_again)]


@pytest.fixture(scope="module")
def umoci_layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _require("umoci", "skopeo")
    work = tmp_path_factory.mktemp("umoci")
    rootfs = _small_rootfs(work / "rootfs")
    build_layered_image(work / "layout", rootfs, STEPS,
                        config=["--config.cmd", "/bin/sh", "--config.user", "1000"])
    return work / "layout"


def _view(image: Image) -> FilesystemView:
    return FilesystemView.from_layers(walk_layers(image, [], WalkOptions(jobs=1)))


def test_layered_view_on_real_umoci_whiteouts(umoci_layout: Path) -> None:
    image = open_image(f"oci:{umoci_layout}:app")
    assert [layer.ref.created_by for layer in image.layers] == [
        "debootstrap --variant=minbase bookworm", *(name for name, _ in STEPS)]
    layers = read_all(image)
    # umoci writes real .wh. files for what step 2 deleted (a file, two directories).
    whiteouts = {m.path for m, _ in layers[2] if m.whiteout}
    assert whiteouts == {"/app/.env", "/app/cache", "/opt/tool/bin"}
    # ... and a real hard link for the linked pair of step 1.
    links = [m for m, _ in layers[1] if m.type is EntryType.HARDLINK]
    assert len(links) == 1 and {links[0].path, links[0].link_target} == {
        "/app/config/settings.py", "/app/config/settings.link"}

    view = _view(image)
    history = {path: [(e.layer_index, e.action) for e in view.history(path)]
               for path in ("/app/.env", "/app/cache/sub/b.bin", "/etc/os-release",
                            "/opt/tool", "/opt/tool/bin/run", "/bin/sh")}
    assert history == {
        "/app/.env": [(1, PathAction.ADDED), (2, PathAction.DELETED), (3, PathAction.ADDED)],
        "/app/cache/sub/b.bin": [(1, PathAction.ADDED), (2, PathAction.DELETED)],
        "/etc/os-release": [(0, PathAction.ADDED), (2, PathAction.MODIFIED)],
        "/opt/tool": [(1, PathAction.ADDED), (2, PathAction.MODIFIED)],
        "/opt/tool/bin/run": [(1, PathAction.ADDED), (2, PathAction.DELETED)],
        "/bin/sh": [(0, PathAction.ADDED)],
    }
    assert view.removed_in("/app/.env", 1) == image.layers[2].ref
    assert view.removed_in("/app/.env", 3) is None
    assert view.removed_in("/etc/os-release", 0) == image.layers[2].ref
    assert view.removed_in("/app/cache/a.bin", 1) == image.layers[2].ref
    assert view.removed_in("/bin/busybox", 0) is None
    final = view.final("/opt/tool")
    assert final is not None and final[0].type is EntryType.FILE and final[1].index == 2
    final = view.final("/app/.env")
    assert final is not None and final[1].created_by == "COPY .env /app/.env"
    assert not view.exists("/app/cache") and view.exists("/app/config/settings.link")


def _entries(image: Image) -> list[list[tuple[str, str, bool, bytes]]]:
    return [[(m.path, m.type.value, m.whiteout, data) for m, data in layer]
            for layer in read_all(image)]


@pytest.fixture(scope="module")
def skopeo_exports(umoci_layout: Path) -> dict[str, Path]:
    out = umoci_layout.parent / "exports"
    out.mkdir()
    source = f"oci:{umoci_layout}:app"
    _run("skopeo", "copy", "-q", source, f"docker-archive:{out / 'app.tar'}:example/app:1.0")
    _run("skopeo", "copy", "-q", source, f"oci-archive:{out / 'app-oci.tar'}:v1")
    _run("skopeo", "copy", "-q", "--dest-compress", "--dest-compress-format", "zstd", source,
         f"oci:{out / 'zstd'}:v1")
    _run("skopeo", "copy", "-q", "--format", "v2s2", source, f"oci:{out / 'v2s2'}:v1")
    return {"docker-archive": out / "app.tar", "oci-archive": out / "app-oci.tar",
            "zstd": out / "zstd", "v2s2": out / "v2s2"}


def test_skopeo_exports_read_like_the_layout(umoci_layout: Path,
                                            skopeo_exports: dict[str, Path]) -> None:
    layout = open_image(f"oci:{umoci_layout}:app")
    expected = _entries(layout)
    diff_ids = [layer.ref.diff_id for layer in layout.layers]
    refs = {
        "docker-archive": f"docker-archive:{skopeo_exports['docker-archive']}",
        "docker-archive-tag": f"docker-archive:{skopeo_exports['docker-archive']}:example/app:1.0",
        "oci-archive": f"oci-archive:{skopeo_exports['oci-archive']}:v1",
        "zstd": f"oci:{skopeo_exports['zstd']}:v1",
        "v2s2": f"oci:{skopeo_exports['v2s2']}:v1",
    }
    for name, ref in refs.items():
        image = open_image(ref)
        assert [layer.ref.diff_id for layer in image.layers] == diff_ids, name
        assert _entries(image) == expected, name
        assert image.config.user == "1000" and image.config.cmd == ("/bin/sh",), name
    assert open_image(refs["oci-archive"]).manifest_digest == layout.manifest_digest
    assert {layer.compression for layer in open_image(refs["zstd"]).layers} == {
        LayerCompression.ZSTD}
    assert open_image(refs["v2s2"]).layers[0].media_type == (
        "application/vnd.docker.image.rootfs.diff.tar.gzip")
    # skopeo writes <diff_id>.tar files and <id>/layer.tar symlinks to them.
    archive = open_image(refs["docker-archive"])
    assert {layer.compression for layer in archive.layers} == {LayerCompression.NONE}


def test_docker_archive_digest_is_the_one_skopeo_reports(skopeo_exports: dict[str, Path]) -> None:
    ref = f"docker-archive:{skopeo_exports['docker-archive']}"
    inspected = json.loads(_run("skopeo", "inspect", ref))
    image = open_image(ref)
    assert image.manifest_digest == inspected["Digest"]
    assert [layer.ref.digest for layer in image.layers] == inspected["Layers"]


def test_gate_check_on_the_skopeo_docker_archive(skopeo_exports: dict[str, Path],
                                                 tmp_path: Path) -> None:
    report = tmp_path / "gate.json"
    proc = check_image(f"docker-archive:{skopeo_exports['docker-archive']}", "--json", report)
    assert proc.returncode == 1, proc.stderr
    findings = json.loads(report.read_text())["findings"]
    located = {(f["location"]["path"], f["location"]["layer"]["index"],
                (f["location"]["removed_in"] or {}).get("index")) for f in findings}
    # The deleted .env is still in layer 1, reported with the layer that deleted it.
    assert located == {("/app/.env", 1, 2)}
    assert AWS_SECRET not in proc.stdout + report.read_text()


def test_truncated_skopeo_archive(skopeo_exports: dict[str, Path], tmp_path: Path) -> None:
    cut = tmp_path / "cut.tar"
    data = skopeo_exports["docker-archive"].read_bytes()
    cut.write_bytes(data[: len(data) // 2 + 100])
    assert_one_error_line(check_image(f"docker-archive:{cut}"), f"image archive {cut}",
                          "truncated")


@pytest.fixture(scope="module")
def buildah_images(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    _require("buildah")
    work = tmp_path_factory.mktemp("buildah")
    rootfs = _small_rootfs(work / "rootfs")
    base = ["buildah", "--root", str(work / "storage"), "--runroot", str(work / "run"),
            "--storage-driver", "vfs"]

    def buildah(*args: str | Path) -> str:
        return _run(*base, *args).strip()

    container = buildah("from", "scratch")
    buildah("copy", container, f"{rootfs}/", "/")
    buildah("config", "--cmd", "/bin/sh", "--env", "APP_ENV=production", container)
    buildah("commit", "-q", container, "localhost/base:1")
    container = buildah("from", "localhost/base:1")
    mounted = Path(buildah("mount", container))
    (mounted / "usr" / "share" / "doc" / "README").unlink()
    (mounted / "srv").mkdir()
    (mounted / "srv" / "token.txt").write_text(f"{GITHUB_PAT}\n")
    buildah("umount", container)
    buildah("commit", "-q", container, "localhost/app:v1")
    out = work / "out"
    out.mkdir()
    buildah("push", "-q", "localhost/app:v1", f"docker-archive:{out / 'app.tar'}:localhost/app:v1")
    buildah("push", "-q", "localhost/app:v1", f"oci-archive:{out / 'app-oci.tar'}:v1")
    # buildah writes the whole name as the ref.name annotation: "localhost/app:v1".
    buildah("push", "-q", "localhost/app:v1", f"oci:{out / 'layout'}:localhost/app:v1")
    # A real manifest list: the app image annotated as arm64 next to the amd64 base.
    buildah("manifest", "create", "localhost/multi")
    buildah("manifest", "add", "--os", "linux", "--arch", "arm64", "--variant", "v8",
            "localhost/multi", "localhost/app:v1")
    buildah("manifest", "add", "localhost/multi", "localhost/base:1")
    buildah("manifest", "push", "-q", "--all", "localhost/multi", f"oci:{out / 'multi'}:multi")
    yield {"docker-archive": out / "app.tar", "oci-archive": out / "app-oci.tar",
           "layout": out / "layout", "multi": out / "multi"}
    subprocess.run([*base, "rm", "-a"], capture_output=True, check=False)
    subprocess.run([*base, "rmi", "-a", "-f"], capture_output=True, check=False)


def test_buildah_pushes(buildah_images: dict[str, Path]) -> None:
    refs = [f"docker-archive:{buildah_images['docker-archive']}",
            f"docker-archive:{buildah_images['docker-archive']}:localhost/app:v1",
            f"oci-archive:{buildah_images['oci-archive']}:v1",
            f"oci:{buildah_images['layout']}:localhost/app:v1"]
    images = [open_image(ref) for ref in refs]
    expected = _entries(images[0])
    for ref, image in zip(refs, images, strict=True):
        assert len(image.layers) == 2, ref
        assert image.config.env == ("APP_ENV=production",), ref
        assert _entries(image) == expected, ref
    # buildah's commit of the mounted container: a real whiteout for the deleted README.
    assert ("/usr/share/doc/README", "file", True, b"") in expected[1]
    view = _view(images[2])
    assert view.removed_in("/usr/share/doc/README", 0) == images[2].layers[1].ref
    assert [e.action for e in view.history("/srv/token.txt")] == [PathAction.ADDED]


def test_buildah_manifest_list_platforms(buildah_images: dict[str, Path]) -> None:
    ref = f"oci:{buildah_images['multi']}:multi"
    app = open_image(ref, "linux/arm64")
    assert len(app.layers) == 2
    for wanted in ("linux/arm64/v8", "linux/aarch64"):
        assert open_image(ref, wanted).manifest_digest == app.manifest_digest
    base = open_image(ref, "linux/amd64")
    assert len(base.layers) == 1 and base.manifest_digest != app.manifest_digest
    if os.uname().machine == "x86_64":
        assert open_image(ref).manifest_digest == base.manifest_digest
    proc = check_image(ref, "--platform", "linux/s390x")
    assert_one_error_line(proc, "no image for platform linux/s390x; available: linux/amd64, "
                                "linux/arm64/v8 (choose one with --platform)")


def test_gate_check_on_buildah_archives(buildah_images: dict[str, Path]) -> None:
    for ref in (f"docker-archive:{buildah_images['docker-archive']}",
                f"oci-archive:{buildah_images['oci-archive']}:v1"):
        proc = check_image(ref)
        assert proc.returncode == 1, proc.stderr
        assert "/srv/token.txt" in proc.stdout and GITHUB_PAT not in proc.stdout
