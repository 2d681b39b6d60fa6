#!/usr/bin/env bash
# The test command of the README: installs what it needs, lints, type-checks and runs the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -e '.[dev]'
ruff check gate tests
mypy --strict gate/
set +e
python3 -m pytest -q -n 2
rc=$?
set -e
# pytest exits 5 when no test was collected: treat as failure, a gate that tests nothing is no gate.
exit $rc
