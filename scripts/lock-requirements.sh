#!/usr/bin/env bash
# Re-resolve requirements.in in a throwaway virtual environment and pin every package into requirements.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q -r requirements.in 2> >(grep -v "^WARNING: Location" >&2)
{
  echo "# Every package pinned to an exact version. Generated from requirements.in by scripts/lock-requirements.sh."
  "$tmp/venv/bin/pip" freeze --exclude-editable | grep -v '^-e ' | LC_ALL=C sort -f
} > requirements.txt
echo "requirements.txt: $(grep -vc '^#' requirements.txt) packages pinned"
