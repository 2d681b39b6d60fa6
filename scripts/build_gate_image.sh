#!/usr/bin/env bash
# Builds the gate's own image from ./Dockerfile without Docker or a registry, then uses it:
#
#  1. a local base image from a Debian 12 root filesystem (debootstrap --variant=minbase
#     --include=python3,python3-venv, cached like the integration tests' rootfs), made with
#     `buildah from scratch` + copy + commit under the name localhost/gate-base:bookworm;
#  2. `buildah bud --isolation chroot --storage-driver vfs --pull=never` with that base passed
#     by digest as the BASE_IMAGE build argument (pip reaches PyPI; a TLS-intercepting proxy's
#     CA, if this machine trusts one, goes in as the build secret pip-ca, never into a layer);
#  3. exports it as an OCI image layout, $OUT/oci (tag gate);
#  4. runs the built image (`buildah run`, as its own non-root user) on the bundled insecure
#     example (examples/build_example.py) with every check: exit code 1, every report checked;
#  5. runs it on its own Dockerfile, build context and image with the default policy (every
#     check this build has, the advisory database fetched by `gate db update` from a local
#     mirror of ../shared/data's advisories): it must pass.
#
# Called by scripts/test.sh (so by .ci/run). Needs root, buildah, debootstrap; about 2 minutes
# with a warm cache (the rootfs and base image are reused), 4-5 cold.
#   GATE_IMAGE_OUT        output directory (default build/gate-image)
#   GATE_BUILDAH_DIR      buildah vfs storage (default /var/tmp/gate-buildah)
#   GATE_SELF_CHECKS      checks of the self-check (default: every check this build has)
#   GATE_SELF_CHECK_ARGS  more `gate check` options for it (the checkout is mounted read-only
#                         at /src)
#   GATE_SHARED_DATA      the shared data folder (default ../shared/data)
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

OUT=${GATE_IMAGE_OUT:-build/gate-image}
STORE=${GATE_BUILDAH_DIR:-/var/tmp/gate-buildah}
BASE=localhost/gate-base:bookworm
IMAGE=localhost/gate:dev
mkdir -p "$STORE"
OUT=$(mkdir -p "$OUT" && cd "$OUT" && pwd)

bah() { buildah --root "$STORE/root" --runroot "$STORE/run" --storage-driver vfs "$@"; }
say() { echo "build_gate_image: $*" >&2; }

for tool in buildah debootstrap; do
  command -v "$tool" >/dev/null || { say "needs $tool (scripts/test.sh installs it)"; exit 2; }
done

# One build at a time per storage (parallel checkouts share it).
exec 9>"$STORE/.lock"
flock 9

# 1. The base image, rebuilt when the cached root filesystem changes.
rootfs=$(python3 -c 'from tests.integration.debian import debian_rootfs
print(debian_rootfs("python3,python3-venv"))')
stamp=$(stat -c %Y "$rootfs/.complete")
if [ "$(cat "$STORE/base.stamp" 2>/dev/null)" != "$stamp" ] || ! bah inspect --type image "$BASE" >/dev/null 2>&1; then
  say "base image $BASE from $rootfs"
  bah rmi -f "$BASE" >/dev/null 2>&1 || true
  ctr=$(bah from scratch)
  mnt=$(bah mount "$ctr")
  cp -a "$rootfs/." "$mnt/"
  rm -f "$mnt/.complete"
  bah umount "$ctr" >/dev/null
  bah config --created-by "debootstrap --variant=minbase --include=python3,python3-venv bookworm" \
    --cmd /bin/sh "$ctr"
  bah commit -q "$ctr" "$BASE" >/dev/null
  bah rm "$ctr" >/dev/null
  echo "$stamp" >"$STORE/base.stamp"
fi
base_digest=$(bah images --format '{{.Digest}}' "$BASE")

# 2. The gate image, the base passed by digest.
secret=()
if [ -n "${PIP_CERT:-}" ] && [ -s "$PIP_CERT" ]; then
  secret=(--secret "id=pip-ca,src=$PIP_CERT")
fi
version=$(python3 -c 'import gate; print(gate.__version__)')
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
bah rmi -f "$IMAGE" >/dev/null 2>&1 || true
say "building $IMAGE on localhost/gate-base@$base_digest"
start=$EPOCHREALTIME
bah bud --isolation chroot --pull=never --format docker --layers=false -q \
  "${secret[@]}" \
  --build-arg "BASE_IMAGE=localhost/gate-base@$base_digest" \
  --build-arg "GATE_VERSION=$version" \
  --build-arg "VCS_REF=$revision" \
  -t "$IMAGE" -f Dockerfile . >/dev/null
build_seconds=$(python3 -c "print($EPOCHREALTIME - $start)")
bah rmi --prune >/dev/null 2>&1 || true

# 3. Export.
rm -rf "$OUT/oci" "$OUT/run"
bah push -q "$IMAGE" "oci:$OUT/oci:gate" >/dev/null
chmod -R a+rX "$OUT/oci"

# 4. The built image on the bundled example (examples/build_example.py builds its context and
#    the real image of its Dockerfile), every check of the default policy, every report.
python3 examples/build_example.py --out "$OUT/example" >/dev/null 2>"$OUT/example-build.log" || {
  say "examples/build_example.py failed"; tail -5 "$OUT/example-build.log" >&2; exit 1; }
chmod -R a+rX "$OUT/example"
mkdir -p "$OUT/run"
chmod 0777 "$OUT/run"
ctr=$(bah from --pull-never "$IMAGE")
trap 'bah rm "$ctr" >/dev/null 2>&1 || true' EXIT
set +e
start=$EPOCHREALTIME
bah run --isolation chroot --workingdir /work \
  -v "$OUT/example:/work:ro" -v "$PWD/examples/advisories:/advisories:ro" -v "$OUT/run:/out" \
  "$ctr" -- \
  gate check --image docker-archive:/work/insecure-app.tar --context /work/context \
  --dockerfile /work/context/Dockerfile --repo-root /work --vuln-db /advisories --no-progress \
  --json /out/example.json --sarif /out/example.sarif --junit /out/example-junit.xml \
  --markdown /out/example.md --codequality /out/gl-code-quality-report.json \
  --gitlab-secret-detection /out/gl-secret-detection-report.json \
  --gitlab-container-scanning /out/gl-container-scanning-report.json \
  --quiet >"$OUT/run/example.txt" 2>&1
rc=$?
run_seconds=$(python3 -c "print($EPOCHREALTIME - $start)")
set -e
if [ "$rc" -ne 1 ]; then
  say "gate in the image on the example: exit $rc, expected 1"; cat "$OUT/run/example.txt" >&2; exit 1
fi
python3 scripts/gate_image.py verify-example "$OUT/run"

# 5. The gate on itself: its Dockerfile, its build context (.dockerignore applied) and its
#    image, with the default policy and every check this build has. The advisory database
#    comes the air-gapped way: `gate db update` from a local mirror of osv.dev's export layout
#    holding the real PyPA and Go advisories of ../shared/data.
checks=${GATE_SELF_CHECKS:-$(python3 scripts/gate_image.py checks)}
shared=${GATE_SHARED_DATA:-$PWD/../shared/data}
rm -rf "$OUT/mirror" "$OUT/db"
python3 scripts/gate_image.py mirror "$shared" "$OUT/mirror" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$OUT/mirror" "$port" >/dev/null 2>&1 &
mirror_pid=$!
trap 'kill "$mirror_pid" 2>/dev/null || true; bah rm "$ctr" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 50); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/')" \
    2>/dev/null && break
  sleep 0.1
done
python3 -m gate db update --url "http://127.0.0.1:$port" --ecosystems PyPI,Go \
  --db-dir "$OUT/db" --no-progress >&2
kill "$mirror_pid" 2>/dev/null || true
chmod -R a+rX "$OUT/db"
# shellcheck disable=SC2206  # word splitting of the extra options is intended
extra=(${GATE_SELF_CHECK_ARGS:-})
set +e
bah run --isolation chroot --workingdir /src \
  -v "$PWD:/src:ro" -v "$OUT:/self:ro" -v "$OUT/run:/out" "$ctr" -- \
  gate check --image oci:/self/oci:gate --context /src --dockerfile /src/Dockerfile \
  --repo-root /src --checks "$checks" --db-dir /self/db --no-progress --json /out/self.json \
  "${extra[@]}" >"$OUT/run/self.txt" 2>&1
rc=$?
set -e
if [ "$rc" -ne 0 ]; then
  say "gate in the image on itself: exit $rc, expected 0"; cat "$OUT/run/self.txt" >&2; exit 1
fi
python3 scripts/gate_image.py verify-self "$OUT/run"

python3 - "$OUT/oci" "$IMAGE" "$build_seconds" "$run_seconds" <<'EOF'
import json, sys
from pathlib import Path
root, image, build, run = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
index = json.loads((root / "index.json").read_text())
blob = lambda digest: root / "blobs" / "sha256" / digest.split(":")[1]
manifest = json.loads(blob(index["manifests"][0]["digest"]).read_text())
size = sum(layer["size"] for layer in manifest["layers"])
print(f"build_gate_image: {image} built in {build:.0f} s; {len(manifest['layers'])} layers, "
      f"{size / 1e6:.1f} MB compressed; one gate run on the example inside it {run:.2f} s "
      "(buildah run)", file=sys.stderr)
EOF
