"""Build the bundled insecure example: its build context and the real image its Dockerfile makes.

No Docker engine is needed. The steps:

1. ``examples/build/context/``: a copy of ``examples/insecure-app/`` plus what a careless
   developer leaves in a build context: a ``.env`` with AWS keys, a settings file with a GitHub
   token, an ``.npmrc`` with an npm token, an SSH private key, and the wheels the Dockerfile
   installs. The credentials are fakes in their providers' real formats, assembled here from
   pieces so the repository itself holds none.
2. A local stand-in for ``python:3.11`` (Docker Hub is not reachable offline): a real Debian 12
   root filesystem (``debootstrap``, with python3, pip and curl) committed by ``buildah`` under
   that name.
3. ``buildah bud --layers`` builds ``examples/insecure-app/Dockerfile`` exactly as written, one
   layer per instruction, with a GitLab token passed as ``--build-arg DEPLOY_TOKEN`` (it leaks
   into the image history, as build arguments do).
4. The image is exported as an OCI layout (``examples/build/oci``, tag ``insecure-app``) and a
   ``docker save`` archive (``examples/build/insecure-app.tar``).

Needs root, ``debootstrap`` and ``buildah`` (Debian packages), the Debian mirror and PyPI for the
first run (about two minutes; later runs reuse the cached root filesystem and build layers).

    python3 examples/build_example.py [--out examples/build]
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from gate.testing import rootfs  # noqa: E402

APP = HERE / "insecure-app"
BASE_NAME = "docker.io/library/python:3.11"
IMAGE_NAME = "localhost/gate-example/insecure-app:latest"
BASE_PACKAGES = "python3,python3-pip,curl"


def fake_credentials() -> dict[str, str]:
    """Provider formats: AWS key id (AKIA + 16), secret (40), GitHub classic PAT (ghp_ + 36),
    npm (npm_ + 36), GitLab PAT (glpat- + 20). Split so no scanner flags this file."""
    return {
        "aws_id": "AKIA" + "Z7QW2M" + "XK4RPL9VTN",
        "aws_secret": "w8Hq3Lr" + "/Jm2pVz7NkYc" + "5Gd1Tf6Sa9Xe0RuBo4WqK",
        "github": "ghp_" + "N4m8Qx2Wv6Zt" + "3Lk9Rp5Bc7Yh1Jd0Fs4Ga" + "e2T",
        "npm": "npm_" + "b7Kd3Lq8Zx5Vm" + "2Nc9Rt4Yp6Hw1Jb0Ge7S" + "q5W",
        "gitlab": "glpat-" + "Rk3Vq8Mw2Lp" + "6Zx9Tn4B" + "d",
    }


def sh(*cmd: str | Path, cwd: Path | None = None) -> None:
    print("+", " ".join(str(c) for c in cmd), file=sys.stderr)
    subprocess.run([str(c) for c in cmd], check=True, cwd=cwd)


def assemble_context(context: Path, wheels_cache: Path) -> None:
    if context.exists():
        shutil.rmtree(context)
    shutil.copytree(APP, context, ignore=shutil.ignore_patterns("README.md", "__pycache__"))
    creds = fake_credentials()
    (context / ".env").write_text(
        f"AWS_ACCESS_KEY_ID={creds['aws_id']}\nAWS_SECRET_ACCESS_KEY={creds['aws_secret']}\n"
        "AWS_DEFAULT_REGION=eu-west-1\n"
    )
    (context / "config").mkdir()
    (context / "config" / "settings.py").write_text(
        f'GITHUB_TOKEN = "{creds["github"]}"\nDEBUG = False\n'
    )
    (context / ".npmrc").write_text(f"//registry.npmjs.org/:_authToken={creds['npm']}\n")
    deploy = context / "deploy"
    deploy.mkdir()
    sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "deploy@example",
       "-f", deploy / "id_ed25519")

    # The wheels the Dockerfile installs offline (pyyaml 5.3 is an sdist: built here once).
    if not any(wheels_cache.glob("*.whl")):
        wheels_cache.mkdir(parents=True, exist_ok=True)
        sh(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", wheels_cache,
           "-r", APP / "requirements.txt")
    shutil.copytree(wheels_cache, context / "wheels")

    # An archive for `ADD` to auto-extract (the "ADD where COPY fits" mistake).
    (context / "vendor").mkdir()
    payload = b"#!/bin/sh\necho vendor tool\n"
    with tarfile.open(context / "vendor" / "tool.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo("tool/bin/tool")
        info.size, info.mode, info.mtime = len(payload), 0o755, 1704067200
        tar.addfile(info, io.BytesIO(payload))


def build(out: Path) -> None:
    missing = rootfs.missing_tools("debootstrap", "buildah", "ssh-keygen")
    if missing:
        sys.exit(f"build_example: missing {', '.join(missing)} "
                 "(apt-get install debootstrap buildah openssh-client)")
    store = rootfs.cache_root() / "example-buildah"
    bud = ["buildah", "--root", store / "root", "--runroot", store / "run",
           "--storage-driver", "vfs"]

    context = out / "context"
    assemble_context(context, rootfs.cache_root() / "example-wheels")

    have_base = subprocess.run([*map(str, bud), "inspect", "--type", "image", BASE_NAME],
                               capture_output=True).returncode == 0
    if not have_base:
        root = rootfs.debian_rootfs(BASE_PACKAGES)
        container = subprocess.run([*map(str, bud), "from", "scratch"], check=True,
                                   capture_output=True, text=True).stdout.strip()
        mount = subprocess.run([*map(str, bud), "mount", container], check=True,
                               capture_output=True, text=True).stdout.strip()
        sh("cp", "-a", f"{root}/.", mount)
        Path(mount, ".complete").unlink(missing_ok=True)
        sh(*bud, "config", "--created-by",
           f"debootstrap --variant=minbase --include={BASE_PACKAGES} bookworm",
           "--cmd", "python3", "--env",
           "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", container)
        sh(*bud, "commit", "--quiet", container, BASE_NAME)
        sh(*bud, "rm", container)

    sh(*bud, "bud", "--quiet", "--layers", "--isolation", "chroot", "--pull=never",
       "--build-arg", f"DEPLOY_TOKEN={fake_credentials()['gitlab']}",
       "-f", APP / "Dockerfile", "-t", IMAGE_NAME, context)

    layout = out / "oci"
    archive = out / "insecure-app.tar"
    if layout.exists():
        shutil.rmtree(layout)
    archive.unlink(missing_ok=True)
    sh(*bud, "push", "--quiet", IMAGE_NAME, f"oci:{layout}:insecure-app")
    sh(*bud, "push", "--quiet", IMAGE_NAME,
       f"docker-archive:{archive}:gate-example/insecure-app:latest")
    print(f"built {IMAGE_NAME}\n  context  {context}\n  oci      oci:{layout}:insecure-app\n"
          f"  archive  docker-archive:{archive}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "build")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        build(args.out.resolve())
    except (subprocess.CalledProcessError, rootfs.RootfsError) as exc:
        sys.exit(f"build_example: {exc}")


if __name__ == "__main__":
    main()
