#!/usr/bin/env bash
# The browser tests drive Debian's chromium (Playwright's own browser download cannot work offline).
set -euo pipefail
for b in chromium chromium-browser; do
  if command -v "$b" >/dev/null 2>&1; then exit 0; fi
done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium with apt-get (about 30 s) ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "chromium is not installed and cannot be installed here (needs root and apt-get)."
echo "Install it (Debian/Ubuntu: sudo apt-get install chromium) or the browser tests will be skipped."
