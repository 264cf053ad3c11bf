#!/usr/bin/env bash
# The main job: build the shipped report models and print their comparison table.
#
# Installs what is missing (scripts/bootstrap.sh), starts `ollama serve` in the background when
# no server answers at OLLAMA_HOST (default 127.0.0.1:11434), builds every target of
# modelkit.toml (unchanged ones are skipped), then benchmarks them on the report prompt.
# Extra arguments go to `modelkit bench`, e.g. scripts/report.sh --format markdown
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export PATH="${OLLAMA_BIN_DIR:-$HOME/.local/bin}:$PATH"
mk=.venv/bin/modelkit

$mk server start          # no-op when a server already answers
$mk lint
$mk build
$mk bench --targets "$@"
