#!/usr/bin/env bash
# Run the test suite against a real Ollama server with real weights (installs what is missing).
# Extra arguments go to pytest, e.g. scripts/test.sh -k bench -x
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --test
export PATH="${OLLAMA_BIN_DIR:-$HOME/.local/bin}:$PATH"
exec .venv/bin/python -m pytest "$@"
