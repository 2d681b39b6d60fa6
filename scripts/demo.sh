#!/usr/bin/env bash
# The README's demo command: installs what it needs, builds the bundled insecure example (its build
# context and a real image made from its Dockerfile) and runs the gate on both. The gate is expected
# to block this build: the script exits with the gate's exit code (1 = blocked by policy).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pair in debootstrap:debootstrap buildah:buildah ssh-keygen:openssh-client; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "scripts/demo.sh: needs root to install: ${need[*]}" >&2
    exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check -e .

python3 examples/build_example.py >/dev/null
out=examples/build/reports
mkdir -p "$out"
set +e
python3 -m gate check \
  --image docker-archive:examples/build/insecure-app.tar \
  --context examples/build/context \
  --dockerfile examples/insecure-app/Dockerfile \
  --vuln-db examples/advisories \
  --sarif "$out/gate.sarif" --json "$out/gate.json" "$@"
rc=$?
set -e
echo "reports: $out/gate.sarif $out/gate.json (exit code $rc)" >&2
exit "$rc"
