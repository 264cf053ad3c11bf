#!/usr/bin/env bash
# Install Ollama 0.11.4 for modelkit, unless an `ollama` reporting >= 0.11.4 is already on PATH.
#
# Builds with `go install github.com/ollama/ollama@v0.11.4` (CPU-only; ggml and llama.cpp
# compile in through cgo) with -O3 -march=native and the version ldflag, into
# $OLLAMA_BIN_DIR (default ~/.local/bin). Idempotent: a second run only asks `ollama -v`.
# Needs Go >= 1.24, gcc/g++. A cold build takes a few minutes; the Go build cache makes
# later ones fast.
set -euo pipefail

WANT=0.11.4
BIN_DIR=${OLLAMA_BIN_DIR:-$HOME/.local/bin}
export PATH="$BIN_DIR:$PATH"

version_ge() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$2" ]; }

if command -v ollama >/dev/null 2>&1; then
  # -v prints the client version even when no server answers (point it at a dead port).
  have=$(OLLAMA_HOST=127.0.0.1:9 ollama -v 2>&1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | tail -n1 || true)
  if [ -n "$have" ] && version_ge "$have" "$WANT"; then
    echo "ollama $have already installed at $(command -v ollama)"
    exit 0
  fi
  echo "ollama at $(command -v ollama) reports '${have:-no version}' (< $WANT): building $WANT"
fi

for tool in go gcc g++; do
  command -v "$tool" >/dev/null 2>&1 || { echo "install-ollama: '$tool' is needed to build Ollama (Go >= 1.24, gcc/g++)" >&2; exit 1; }
done

mkdir -p "$BIN_DIR"
start=$(date +%s)
echo "building ollama $WANT with go install (a cold build takes minutes)..."
CGO_ENABLED=1 \
CGO_CFLAGS="-O3 -march=native" \
CGO_CXXFLAGS="-O3 -march=native" \
GOBIN="$BIN_DIR" \
GOFLAGS="${GOFLAGS:-} -buildvcs=false" \
  go install -ldflags "-X=github.com/ollama/ollama/version.Version=$WANT" "github.com/ollama/ollama@v$WANT" \
  2> >(grep -vE 'warning:|note:|^\s+\||^\s*[0-9]+ \||In function|In member function|~~~|\^' >&2)
echo "installed $("$BIN_DIR/ollama" -v 2>&1 | tail -n1) at $BIN_DIR/ollama in $(( $(date +%s) - start ))s"
