#!/usr/bin/env bash
# Debian packages the test suite uses (real peers, not stand-ins):
#   docker-registry  an OCI registry on loopback for push/pull tests
#   chromium         headless browser that screenshots the HTML benchmark report
set -euo pipefail
PACKAGES=(docker-registry chromium)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && { echo "system packages present: ${PACKAGES[*]}"; exit 0; }
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "installing ${missing[*]}..."
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# the package starts a registry service on :5000 where it can; tests run their own
$SUDO systemctl disable --now docker-registry >/dev/null 2>&1 || true
