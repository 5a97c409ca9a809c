#!/usr/bin/env bash
# install-deps.sh — install the Debian 12 packages needed to build, test and run
# cchc.  Idempotent: does nothing (not even apt-get update) when all are present.
#   bash deploy/install-deps.sh          build + test + run dependencies
#   bash deploy/install-deps.sh --runtime   only what the binaries need at run time
set -euo pipefail

runtime=(libzmq5 libmsgpackc2 libsodium23 libsqlite3-0 libinih1 libjansson4
         libmicrohttpd12 libcsv3 libxlsxwriter4 libcairo2 libpango-1.0-0
         libpangocairo-1.0-0 fonts-dejavu-core sqlite3)
build=(build-essential cmake pkg-config clang git
       libzmq3-dev libmsgpack-dev libsodium-dev libsqlite3-dev libinih-dev
       libjansson-dev libmicrohttpd-dev libcsv-dev libxlsxwriter-dev
       libcairo2-dev libpango1.0-dev
       sqlite3 procps psmisc curl unzip python3 universal-ctags clang-format chromium fonts-dejavu-core poppler-utils)

if [ "${1:-}" = "--runtime" ]; then want=("${runtime[@]}"); else want=("${build[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run as root (or with sudo)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
