#!/usr/bin/env bash
# Render a modelkit HTML benchmark report in headless Chromium and save a PNG screenshot.
#
#   scripts/screenshot-report.sh REPORT.html OUT.png [WIDTH,HEIGHT]
#
# The report is self-contained (inline CSS and SVG, no scripts, no network), so it renders
# offline. Chromium: $CHROMIUM, else `chromium` / `chromium-browser` / `google-chrome` on PATH.
set -euo pipefail

if [[ $# -lt 2 ]]; then
    echo "usage: $0 REPORT.html OUT.png [WIDTH,HEIGHT]" >&2
    exit 2
fi
html=$(realpath "$1")
out=$(realpath -m "$2")
size=${3:-1280,1100}

browser=${CHROMIUM:-}
if [[ -z "$browser" ]]; then
    for b in chromium chromium-browser google-chrome; do
        if command -v "$b" >/dev/null 2>&1; then browser=$(command -v "$b"); break; fi
    done
fi
if [[ -z "$browser" ]]; then
    echo "$0: no Chromium found (install Debian's \`chromium\` or set CHROMIUM=/path/to/chrome)" >&2
    exit 1
fi

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$profile"
       --screenshot="$out" --window-size="$size")
if [[ $(id -u) -eq 0 ]]; then flags+=(--no-sandbox); fi

rm -f "$out"
timeout 120 "$browser" "${flags[@]}" "file://$html" >"$profile/chromium.log" 2>&1 || {
    echo "$0: chromium failed:" >&2; tail -20 "$profile/chromium.log" >&2; exit 1; }
if [[ ! -s "$out" ]]; then
    echo "$0: chromium wrote no screenshot" >&2; tail -20 "$profile/chromium.log" >&2; exit 1
fi
echo "$out"
