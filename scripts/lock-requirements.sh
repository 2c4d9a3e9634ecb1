#!/usr/bin/env bash
# Pin every package, with its sha256 hashes, from the direct dependencies pyproject.toml declares:
#   requirements.txt       [project] dependencies and everything they pull in (what `make book`/`data`/`update` use)
#   requirements-test.txt  the same plus the `test` extra, compiled with `-c requirements.txt`, so the test packages
#                          install on top of the runtime pins without changing any of them
#   requirements-bootstrap.txt  uv, the installer scripts/install-packages.sh uses (its version: UV_VERSION below)
# pip-compile (pip-tools) runs in a throwaway virtual environment.
#
# Usage: scripts/lock-requirements.sh            re-resolve everything to the newest versions (`make lock`)
#        scripts/lock-requirements.sh --keep     keep the current pins; only add or drop what pyproject.toml changed
#        scripts/lock-requirements.sh -P NAME    re-resolve NAME only (pip-compile's --upgrade-package; repeatable)
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  "") upgrade=(--upgrade) ;;
  --keep) upgrade=() ;;
  *) upgrade=("$@") ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q pip-tools==7.6.2 2> >(grep -v "WARNING: Location" >&2)
compile() {
  CUSTOM_COMPILE_COMMAND="scripts/lock-requirements.sh" "$tmp/venv/bin/pip-compile" --quiet --generate-hashes \
    --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links --no-emit-trusted-host \
    ${upgrade[@]+"${upgrade[@]}"} "$@" pyproject.toml 2> >(grep -v "WARNING: Location" >&2)
}
compile --output-file requirements.txt
compile --extra test --constraint requirements.txt --output-file requirements-test.txt
UV_VERSION=0.13.9
(cd "$tmp" && echo "uv==$UV_VERSION" > requirements-bootstrap.in &&
  CUSTOM_COMPILE_COMMAND="scripts/lock-requirements.sh" "$tmp/venv/bin/pip-compile" --quiet --generate-hashes \
    --allow-unsafe --no-emit-index-url --no-emit-find-links --output-file requirements-bootstrap.txt \
    requirements-bootstrap.in 2> >(grep -v "WARNING: Location" >&2))
cp "$tmp/requirements-bootstrap.txt" requirements-bootstrap.txt
count() { grep -c '^[A-Za-z0-9]' "$1"; }
echo "requirements.txt: $(count requirements.txt) packages pinned; requirements-test.txt: $(count requirements-test.txt)"
