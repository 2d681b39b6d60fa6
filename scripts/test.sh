#!/usr/bin/env bash
# The test command of the README (and of .ci/run): installs what the tests need, then lints,
# type-checks and runs the whole suite, the slow integration tests included.
set -euo pipefail
cd "$(dirname "$0")/.."

# System tools the integration tests drive: real Debian images (debootstrap, umoci, skopeo,
# buildah), a real OCI registry on loopback (docker-registry, htpasswd); the package inventory
# compares with rpm (also the matcher's reference RPM version ordering), builds Go binaries (golang-go) and a composer vendor tree (composer, php),
# adds sections to executables (llvm-objcopy).
apt_packages=()
for pair in debootstrap:debootstrap umoci:umoci skopeo:skopeo buildah:buildah \
            docker-registry:docker-registry htpasswd:apache2-utils \
            rpm:rpm go:golang-go composer:composer php:php-cli llvm-objcopy:llvm; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || apt_packages+=("${pair#*:}")
done
# A real jar for the Java archive tests of the package inventory.
[ -f /usr/share/java/commons-lang3.jar ] || apt_packages+=(libcommons-lang3-java)
if [ ${#apt_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "scripts/test.sh: needs root to install: ${apt_packages[*]}" >&2
    exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi

python3 -m pip install -q --disable-pip-version-check -e '.[dev,github,gitlab]'

ruff check gate tests bench
mypy --strict gate/

# pytest exits 5 when it collected no test: a suite that tests nothing must not pass.
set +e
python3 -m pytest -q -n 2 "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "scripts/test.sh: no tests were collected" >&2
fi
# The gate's own image: built with buildah from ./Dockerfile, run on the example and on itself.
if [ "$rc" -eq 0 ]; then
  bash scripts/build_gate_image.sh || rc=$?
fi
exit "$rc"
