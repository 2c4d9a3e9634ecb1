"""The published site, made as the publishing workflow makes it (.github/workflows/publish.yml): `make site` builds
every committed edition from its own commit and frozen data and checks it byte for byte against its manifest, then
`make publish-check` vets the whole site (links, anchors, alt text, editions.json, the feed, every manifest).

Run in this repository, as the workflow runs it: _build/site is build output. An edition already built there is
checked against its manifest instead of rebuilt (on a fresh clone, and on CI, each is rebuilt). The edition's build
uses every core, so this runs in a group of its own, started early, beside the rest of the suite.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from justice_tracker.paths import REPO_ROOT

pytestmark = [pytest.mark.timeout(1200), pytest.mark.xdist_group("published-site")]


def committed_editions() -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((REPO_ROOT / "editions").glob("*/edition.json"))]


def missing_commits(editions: list[dict]) -> list[str]:
    """The editions whose code commit this checkout's history does not hold (a shallow clone, an unpacked archive)."""
    missing = []
    for edition in (e for e in editions if e.get("code_commit")):
        found = subprocess.run(["git", "cat-file", "-e", f"{edition['code_commit']}^{{commit}}"], cwd=REPO_ROOT,
                               capture_output=True)
        if found.returncode != 0:
            missing.append(f"{edition['id']} (commit {edition['code_commit'][:12]})")
    return missing


def run(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JCT_EDITION") and k != "JCT_PREVIOUS_EDITION"}
    return subprocess.run([sys.executable, "-m", "justice_tracker", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=1100)


def test_every_committed_edition_rebuilds_byte_for_byte_and_the_published_site_passes_its_checks():
    editions = committed_editions()
    if not editions:
        pytest.skip("no edition is committed in editions/ yet")
    missing = missing_commits(editions)
    if missing:
        pytest.skip("the commits of these editions are not in this clone's history, so they cannot be rebuilt "
                    f"(a shallow clone? `git fetch --unshallow`): {', '.join(missing)}")

    site = run("site")
    assert site.returncode == 0, f"make site failed:\n{site.stdout}\n{site.stderr}"
    for edition in editions:
        rebuilt = f"edition {edition['id']}: rebuilt from commit {(edition.get('code_commit') or '')[:12]}"
        kept = f"edition {edition['id']}: already built, matches its manifest"
        assert (rebuilt in site.stdout and "matches its manifest" in site.stdout) or kept in site.stdout, site.stdout
    published = json.loads((REPO_ROOT / "_build" / "site" / "editions.json").read_text(encoding="utf-8"))
    assert [e["id"] for e in published["editions"]] == sorted((e["id"] for e in editions), reverse=True)

    check = run("publish-check")
    assert check.returncode == 0, f"make publish-check failed:\n{check.stdout}\n{check.stderr}"
