"""Editions end to end: two editions built from two vintages of the data, in a throwaway copy of the repository.

Vintage 1 is the weekly series as it stood on 30 June 2026, with one historical week as the publisher first
printed it (different value, different source file); vintage 2 is the committed series. Both keep three prisons
so that each edition builds in about a minute (a prison page per row of prisons.csv is what takes the time);
everything else is the committed data.
"""
from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

from justice_tracker.paths import REPO_ROOT
from support.repo_copy import copy_checkout

OLD, NEW = "2026-06", "2026-09"
OLD_DATE, NEW_DATE = "2026-06-30", "2026-09-08"
CUTOFF = "2026-06-30"
REVISED_DATE = "2019-03-29"
PRISONS = ["altcourse", "dartmoor", "kennet"]
# One worker builds both editions once (xdist_group), not every worker that runs a test of this module.
pytestmark = [pytest.mark.timeout(1800), pytest.mark.xdist_group("editions")]


def run(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(repo)}
    for k in ("JCT_EDITION", "JCT_EDITION_DATE", "JCT_PREVIOUS_EDITION"):
        env.pop(k, None)
    proc = subprocess.run([sys.executable, "-m", "justice_tracker", *args], cwd=repo, env=env,
                          capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid", *args],
                          cwd=repo, check=True, capture_output=True, text=True).stdout


def update_manifest(repo: Path, table: str) -> None:
    manifest_path = repo / "data" / "processed" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    path = repo / "data" / "processed" / f"{table}.csv"
    manifest["tables"][table]["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest["tables"][table]["rows"] = len(pd.read_csv(path))
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, lineterminator="\n")


def tree_checksums(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def copy_repo(dest: Path) -> None:
    copy_checkout(dest, skip=("editions/",))


@pytest.fixture(scope="module")
def two_editions(tmp_path_factory):
    repo = tmp_path_factory.mktemp("editions") / "repo"
    copy_repo(repo)
    processed = repo / "data" / "processed"
    prisons = pd.read_csv(processed / "prisons.csv", dtype=str, keep_default_na=False)
    prisons = prisons[prisons["prison_key"].isin(PRISONS)]
    prisons["related_keys"] = ""
    write_csv(prisons, processed / "prisons.csv")
    update_manifest(repo, "prisons")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "three prisons")

    weekly_path = processed / "weekly_population_capacity.csv"
    committed = weekly_path.read_bytes()
    weekly = pd.read_csv(weekly_path, dtype=str, keep_default_na=False)
    old = weekly[weekly["date"] <= CUTOFF].copy()
    i = old.index[old["date"] == REVISED_DATE][0]
    first_printed = int(old.at[i, "population"]) - 250
    old.at[i, "population"] = str(first_printed)
    old.at[i, "raw_sha256"] = "0" * 64
    old.at[i, "source_url"] = old.at[i, "source_url"] + "?first-issue"
    write_csv(old, weekly_path)
    update_manifest(repo, "weekly_population_capacity")
    git(repo, "commit", "-q", "-am", "weekly series as at 30 June 2026")
    run(repo, "edition", "--id", OLD, "--date", OLD_DATE)
    site = repo / "_build" / "site"
    old_files = tree_checksums(site / "editions" / OLD)

    weekly_path.write_bytes(committed)
    update_manifest(repo, "weekly_population_capacity")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "weekly series as at September 2026 and edition " + OLD)
    run(repo, "edition", "--id", NEW, "--date", NEW_DATE)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "edition " + NEW)
    return {"repo": repo, "site": site, "old_files": old_files, "weekly": weekly, "old_weekly": old,
            "first_printed": first_printed}


def test_old_edition_is_byte_for_byte_unchanged_by_the_new_one(two_editions):
    site = two_editions["site"]
    assert tree_checksums(site / "editions" / OLD) == two_editions["old_files"]
    recorded = json.loads((two_editions["repo"] / "editions" / OLD / "manifest.json").read_text())["files"]
    assert recorded == {k: v for k, v in two_editions["old_files"].items() if k != "manifest.json"}


def test_no_build_path_or_clock_time_leaks_into_an_edition(two_editions):
    """What would stop a rebuild in another clone, or on another day, from matching the manifest."""
    repo = str(two_editions["repo"]).encode()
    leaks = [p for p in (two_editions["site"] / "editions" / NEW).rglob("*")
             if p.is_file() and p.suffix in {".html", ".js", ".json", ".csv", ".svg", ".txt", ".xml"}
             and repo in p.read_bytes()]
    assert leaks == []


def test_editions_json_lists_both_with_checksums_and_releases(two_editions):
    from justice_tracker.sitecheck import check_editions

    site = two_editions["site"]
    index = json.loads((site / "editions.json").read_text())
    assert index["latest"] == NEW
    assert [e["id"] for e in index["editions"]] == [NEW, OLD]
    new, old = index["editions"]
    assert new["previous"] == OLD and old["previous"] is None
    assert new["checksum"] == hashlib.sha256((site / new["manifest"]).read_bytes()).hexdigest()
    weekly = {r["table"]: r for r in old["releases"]}["weekly_population_capacity"]
    assert weekly["latest_period"] == two_editions["old_weekly"]["date"].max()
    assert {r["table"]: r for r in new["releases"]}["weekly_population_capacity"]["latest_period"] == \
        two_editions["weekly"]["date"].max()
    assert check_editions(site) == []


def test_what_changed_page_reports_the_new_period_and_the_publisher_revision(two_editions):
    site, weekly, old = two_editions["site"], two_editions["weekly"], two_editions["old_weekly"]
    changes = json.loads((site / "editions" / NEW / "changes.json").read_text())
    assert changes["previous"] == OLD and changes["current"] == NEW
    pop = {h["id"]: h for h in changes["headlines"]}["prison-population"]
    assert pop["reason"] == "new-period"
    assert pop["previous"]["date"] == old["date"].max()
    assert pop["previous"]["value"] == int(old.loc[old["date"] == old["date"].max(), "population"].iloc[0])
    assert pop["current"]["date"] == weekly["date"].max()
    revised = [r for r in changes["revisions"] if r["table"] == "weekly_population_capacity"
               and r["key"] == {"date": REVISED_DATE} and r["column"] == "population"]
    assert len(revised) == 1
    assert revised[0]["previous"] == two_editions["first_printed"]
    assert revised[0]["current"] == int(weekly.loc[weekly["date"] == REVISED_DATE, "population"].iloc[0])
    assert revised[0]["reason"] == "revised-by-publisher"
    page = (site / "editions" / NEW / "book" / "what-changed.html").read_text()
    assert "new-period" in page and "revised-by-publisher" in page and REVISED_DATE in page
    first = (site / "editions" / OLD / "book" / "what-changed.html").read_text()
    assert "first edition" in first


def test_revision_log_and_feed(two_editions):
    import feedparser

    site = two_editions["site"]
    log = json.loads((site / "revisions.json").read_text())["revisions"]
    assert any(r["edition"] == NEW and r["key"] == {"date": REVISED_DATE} for r in log)
    assert REVISED_DATE in (site / "editions" / "index.html").read_text()
    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert [e.title.split(" (")[0] for e in feed.entries] == [f"Edition {NEW}", f"Edition {OLD}"]
    assert "new period" in feed.entries[0].summary
    for entry in feed.entries:
        assert (site / entry.link).exists()


def test_publish_check_passes_and_catches_a_tampered_edition(two_editions):
    from justice_tracker.sitecheck import publish_check

    site = two_editions["site"]
    assert publish_check(site) == []
    victim = site / "editions" / OLD / "book" / "intro.html"
    original = victim.read_bytes()
    try:
        victim.write_bytes(original.replace(b"</body>", b"<p>edited</p></body>"))
        proc = run(two_editions["repo"], "publish-check", check=False)
        assert proc.returncode == 1
        assert f"editions/{OLD}/book/intro.html" in proc.stderr
    finally:
        victim.write_bytes(original)


def test_an_existing_edition_is_never_overwritten(two_editions):
    repo, site = two_editions["repo"], two_editions["site"]
    before = tree_checksums(site / "editions" / OLD)
    proc = run(repo, "edition", "--id", OLD, "--date", NEW_DATE, check=False)
    assert proc.returncode == 1
    assert f"edition {OLD} already exists" in proc.stderr
    assert tree_checksums(site / "editions" / OLD) == before


def test_a_failed_edition_build_leaves_nothing_behind(two_editions):
    repo, site = two_editions["repo"], two_editions["site"]
    before = tree_checksums(site)
    template = repo / "notebooks" / "glossary_missing.ipynb"
    config = repo / "tracker.yml"
    original = config.read_text()
    try:
        # A page whose template does not exist: the build fails after freezing, before installing.
        config.write_text(original.replace("template: notebooks/what_changed.ipynb",
                                           f"template: notebooks/{template.name}"))
        git(repo, "commit", "-q", "-am", "broken template")
        proc = run(repo, "edition", "--id", "2026-10", "--date", "2026-10-05", check=False)
        assert proc.returncode == 1
        assert template.name in proc.stderr and "nothing was installed" in proc.stderr
        assert not (repo / "editions" / "2026-10").exists()
        assert not (site / "editions" / "2026-10").exists()
        assert tree_checksums(site) == before
    finally:
        config.write_text(original)
        git(repo, "commit", "-q", "-am", "template restored")


def test_an_edition_rebuilt_from_the_repo_matches_its_manifest(two_editions):
    """Deterministic build: the old edition, rebuilt from its own commit and frozen data, is identical."""
    proc = run(two_editions["repo"], "verify-edition", OLD)
    assert "matches its manifest" in proc.stdout


def test_chart_permalink_and_citation_name_the_edition(two_editions):
    site = two_editions["site"]
    charts = site / "editions" / NEW / "charts"
    chart = charts / "population-vs-capacity"
    page = (chart / "index.html").read_text()
    assert "edition 2026-09" in page and "population-vs-capacity.csv" in page
    csl = json.loads((chart / "population-vs-capacity.csl.json").read_text())[0]
    assert csl["version"] == NEW and csl["URL"].endswith(f"editions/{NEW}/charts/population-vs-capacity/")
    assert csl["issued"] == {"date-parts": [[2026, 9, 8]]}
    old_csl = json.loads((site / "editions" / OLD / "charts" / "population-vs-capacity" /
                          "population-vs-capacity.csl.json").read_text())[0]
    assert old_csl["version"] == OLD


def test_each_edition_has_its_data_package_in_the_repo_the_site_and_latest(two_editions):
    from test_datapackage import CHANGES_SCHEMA, frictionless_errors

    import jsonschema
    import feedparser

    repo, site = two_editions["repo"], two_editions["site"]
    for edition_id in (OLD, NEW):
        frozen = repo / "editions" / edition_id / "data" / "datapackage.json"
        assert frictionless_errors(frozen) == []
        assert json.loads(frozen.read_text())["version"] == edition_id
        built = site / "editions" / edition_id / "data" / "datapackage.json"
        assert built.read_bytes() == frozen.read_bytes()
        files = json.loads((repo / "editions" / edition_id / "manifest.json").read_text())["files"]
        assert "data/datapackage.json" in files and "data/processed/weekly_population_capacity.csv" in files
    assert tree_checksums(site / "latest" / "data") == tree_checksums(site / "editions" / NEW / "data")
    schema = json.loads(CHANGES_SCHEMA.read_text())
    for edition_id in (OLD, NEW):
        jsonschema.validate(json.loads((site / "editions" / edition_id / "changes.json").read_text()), schema)
    # The feed entry of the new edition carries its headline changes.
    entry = feedparser.parse((site / "feed.xml").read_bytes()).entries[0]
    assert "Prison population:" in entry.summary and "revised" in entry.summary


def _refused(two_editions, table: str, edit, message: str) -> None:
    """Commit a bad processed table, ask for an edition: refused with `message`, nothing written anywhere."""
    repo, site = two_editions["repo"], two_editions["site"]
    path = repo / "data" / "processed" / f"{table}.csv"
    original = path.read_bytes()
    manifest = (repo / "data" / "processed" / "manifest.json").read_bytes()
    before = tree_checksums(site)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        write_csv(edit(frame), path)
        update_manifest(repo, table)
        git(repo, "commit", "-q", "-am", f"bad {table}")
        proc = run(repo, "edition", "--id", "2026-11", "--date", "2026-11-05", check=False)
        assert proc.returncode == 1 and message in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr
        assert not (repo / "editions" / "2026-11").exists()
        assert not any(p.name.startswith(".2026-11") for p in (repo / "editions").iterdir())
        assert tree_checksums(site) == before
        assert git(repo, "status", "--porcelain") == ""
    finally:
        path.write_bytes(original)
        (repo / "data" / "processed" / "manifest.json").write_bytes(manifest)
        git(repo, "commit", "-q", "-am", f"{table} restored")


def test_a_table_that_fails_its_schema_stops_the_edition(two_editions):
    def negative(frame):
        frame.loc[frame.index[0], "recalls"] = "-5"
        return frame

    _refused(two_editions, "recalls_quarterly", negative, "recalls_quarterly.csv fails its schema")


def test_a_data_package_that_does_not_validate_stops_the_edition(two_editions):
    # The schema allows a repeated date (two breaks can share one), but not the key date + kind twice.
    _refused(two_editions, "definitional_breaks", lambda f: pd.concat([f, f.iloc[[0]]]), "does not validate")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.mark.browser
def test_old_edition_shows_banner_and_switcher_in_the_browser(two_editions, chromium):
    from playwright.sync_api import sync_playwright

    from test_browser import CHROMIUM_ARGS

    handler = functools.partial(_Quiet, directory=str(two_editions["site"]))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    page_path = "book/chapters/population-capacity.html"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(f"{base}/editions/{OLD}/{page_path}")
            old = page.locator(".jct-edition-old")
            old.wait_for()
            assert "You are viewing the edition of 30 June 2026; the latest is 8 September 2026" in old.inner_text()
            switch = page.locator("nav.jct-edition-switch a")
            assert switch.count() == 1 and switch.first.get_attribute("href").endswith(f"editions/{NEW}/{page_path}")
            old.locator("a").click()
            page.wait_for_url(f"**/editions/{NEW}/{page_path}")
            page.locator("nav.jct-edition-switch").wait_for()
            assert page.locator(".jct-edition-old").count() == 0
            assert page.locator("nav.jct-edition-switch [aria-current=page]").inner_text() == NEW
            page.goto(base + "/")
            # The root redirects to the newest edition, whose index redirects to its first page: wait for both.
            page.wait_for_url(f"**/editions/{NEW}/book/intro.html")
            page.goto(f"{base}/latest/{page_path}")
            page.wait_for_url(f"**/editions/{NEW}/{page_path}")
            nojs = browser.new_page(java_script_enabled=False)
            nojs.goto(f"{base}/editions/{OLD}/{page_path}")
            assert f"Edition {OLD}" in nojs.locator(".jct-edition").inner_text()
            assert nojs.locator(".jct-edition a", has_text="All editions").count() == 1
            browser.close()
    finally:
        httpd.shutdown()


@pytest.mark.parametrize("args, message", [
    (["--id", "2026-13"], "must look like 2026-11 or 2026-11-23"),
    (["--id", "latest"], "must look like 2026-11 or 2026-11-23"),
    (["--id", "2026-07-01", "--date", "2026-07-01"], "would be older than edition 2026-09"),
    (["--id", "2026-12", "--date", "2026-12-32"], "is not an ISO date"),
])
def test_bad_edition_requests_are_refused_before_anything_is_written(two_editions, args, message):
    repo = two_editions["repo"]
    before = sorted(p.name for p in (repo / "editions").iterdir())
    proc = run(repo, "edition", *args, check=False)
    assert proc.returncode == 1 and message in proc.stderr
    assert sorted(p.name for p in (repo / "editions").iterdir()) == before


def test_uncommitted_code_is_refused_so_every_edition_can_be_rebuilt(two_editions):
    repo = two_editions["repo"]
    readme = repo / "README.md"
    original = readme.read_text()
    try:
        readme.write_text(original + "\nlocal edit\n")
        proc = run(repo, "edition", "--id", "2026-12", "--date", "2026-12-01", check=False)
        assert proc.returncode == 1 and "uncommitted changes" in proc.stderr
        assert not (repo / "editions" / "2026-12").exists()
    finally:
        readme.write_text(original)


def test_publishing_workflow_builds_checks_and_deploys_on_edition_tags():
    import yaml

    workflow = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "publish.yml").read_text())
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on` as true
    assert triggers["push"]["tags"] == ["edition-*"]
    steps = workflow["jobs"]["build"]["steps"]
    runs = [s.get("run") for s in steps if "run" in s]
    assert runs == ["make site", "make publish-check"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_build/site"
    assert workflow["jobs"]["deploy"]["needs"] == "build"
    # Write access to Pages and the OIDC token belong to the deploy job alone: the build job runs the repo's code.
    assert not workflow.get("permissions"), "no permission is granted to every job"
    assert workflow["jobs"]["build"]["permissions"] == {"contents": "read"}
    assert workflow["jobs"]["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    for name, job in workflow["jobs"].items():
        if name != "deploy":
            assert not {"pages", "id-token"} & set(job.get("permissions") or {}), name
