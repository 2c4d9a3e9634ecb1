"""A new MoJ release, end to end, as a maintainer takes it in: `make update`, `make data`, `make book`.

A local mirror of the GOV.UK Content API and asset host (tests/support/govuk_mirror.py, the shapes of the recorded
responses) serves a weekly bulletin for the week after the latest in the data and a monthly per-prison workbook
for the month after, both written from the documented layouts by tests/support/layouts.py, which shares no label or
constant with the parsers. The commands run through the project's own Makefile in a copy of the repository (the
real data/ and _build/ are never touched), with `CONFIG=` pointing at that copy's tracker.yml, so `--config` is
honoured from the command line to the notebook kernels and the Sphinx build. The copy's table of contents keeps
every chapter and page but one prison page instead of all of them, to keep the build short.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import yaml

from justice_tracker.files import sha256_file
from justice_tracker.paths import REPO_ROOT
from support.repo_copy import copy_checkout
from support.govuk_mirror import GovUkMirror, MirrorAttachment, MirrorPublication
from support.layouts import next_monthly_values, next_weekly_values

# One worker runs the release once (xdist_group), not every worker that runs a test of this module.
pytestmark = [pytest.mark.shared, pytest.mark.e2e, pytest.mark.xdist_group("release-flow")]

WEEKLY_PAGE = "/government/publications/prison-population-weekly-estate-figures-2026"
MONTHLY_PAGE = "/government/publications/prison-population-monthly-prison-figures-2026"
PRISON = "altcourse"  # one of the prisons whose population the monthly fixture changes
NOT_COPIED = ("data/raw/", "_build/", "book/chapters/", "book/prisons/", "_static/vendor/", "_extra/charts/")


class _Text(HTMLParser):
    """The visible text of a page (scripts and styles left out)."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style") and self._skip > 0

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def page_text(path: Path) -> str:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def _trim_toc(config: dict) -> None:
    """One prison page instead of one per prison; everything else as it is."""
    for part in config["toc"]["parts"]:
        for chapter in part["chapters"]:
            pages = chapter.pop("pages", None)
            if pages:
                part["chapters"].append({
                    "file": f"book/prisons/{PRISON}", "title": "Altcourse",
                    "notebook": {"template": pages["template"], "reads": pages["reads"],
                                 "parameters": {"prison_key": PRISON, "prison_name": "Altcourse"}}})
                return


def _previous_edition(project: Path) -> None:
    """The What changed page compares the draft with the newest edition. When the repository has none yet, freeze
    the committed data as one, the way `make edition` lays it out (edition.json and manifest.json beside a copy of
    data/)."""
    if list((project / "editions").glob("*/edition.json")):
        return
    target = project / "editions" / "2026-11"
    shutil.copytree(project / "data" / "processed", target / "data" / "processed")
    (target / "edition.json").write_text(json.dumps({
        "id": "2026-11", "date": "2026-11-30", "title": "Edition 2026-11", "previous": None, "code_commit": None,
        "code_dirty": True, "methods": {}, "tables": {}, "sources_lock": {}}), encoding="utf-8")
    # A whole edition has its manifest (without one it is a half edition, which every command refuses).
    (target / "manifest.json").write_text(json.dumps({"edition": "2026-11", "files": {}}) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def release(tmp_path_factory, shared_raw):
    """Run update, data and book in a copy of the repository against the mirror; returns what they produced."""
    root = tmp_path_factory.mktemp("release")
    project = root / "project"
    copy_checkout(project, skip=NOT_COPIED)
    config = yaml.safe_load((project / "tracker.yml").read_text(encoding="utf-8"))
    config["raw_dirs"] = ["data/raw", str(shared_raw)]
    _trim_toc(config)
    (project / "tracker.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    _previous_edition(project)

    weekly, monthly = next_weekly_values(), next_monthly_values(report_weekday=0)
    served = root / "served"
    weekly_file = weekly.write(served / weekly.filename)
    monthly_file = monthly.write(served / monthly.filename)
    publications = [
        MirrorPublication(WEEKLY_PAGE, "Prison population: weekly estate figures 2026",
                          f"{weekly.bulletin_date.isoformat()}T09:30:00.000+01:00",
                          [MirrorAttachment(weekly.attachment_title, weekly_file.name, weekly_file)]),
        MirrorPublication(MONTHLY_PAGE, "Prison population: monthly prison figures 2026",
                          f"{monthly.report_date.isoformat()}T09:30:00.000+01:00",
                          [MirrorAttachment(monthly.attachment_title, monthly_file.name, monthly_file)]),
    ]
    real = {p: sha256_file(p) for p in sorted((REPO_ROOT / "data").rglob("*")) if p.is_file()}
    with GovUkMirror(publications) as mirror:
        env = {k: v for k, v in os.environ.items() if k not in ("JCT_CONFIG", "JCT_PROJECT_ROOT", "PYTHONPATH")}
        env.update({"JCT_GOVUK_API_BASE": mirror.base_url, "JCT_JUSTICE_DATA_API_BASE": mirror.base_url})
        runs = {}
        for target in ("update", "data", "book"):
            # The Makefile's own targets, with the test's interpreter; -o skips the install step (the packages are
            # installed already), CONFIG points the commands at the copy.
            runs[target] = subprocess.run(
                ["make", "-C", str(project), "-o", ".venv/.installed", target, f"PY={sys.executable}",
                 "CONFIG=tracker.yml", "NO_PROGRESS=1"],
                capture_output=True, text=True, env=env, timeout=1200)
            if runs[target].returncode != 0:
                pytest.fail(f"make {target} failed:\n{runs[target].stdout[-4000:]}\n{runs[target].stderr[-4000:]}")
    assert {p: sha256_file(p) for p in sorted((REPO_ROOT / "data").rglob("*")) if p.is_file()} == real, \
        "the real data/ folder changed"
    return {"project": project, "weekly": weekly, "monthly": monthly, "runs": runs,
            "site": project / "_build" / "html"}


def test_update_downloads_and_locks_both_files_and_says_what_data_will_rebuild(release):
    out = release["runs"]["update"].stdout
    assert "update: 2 new, 0 revised" in out
    lock = json.loads((release["project"] / "data" / "sources.lock").read_text())["files"]
    weekly = lock[f"prison-population-weekly/{release['weekly'].filename}"]
    assert weekly["classification"] == {"kind": "weekly", "reference_date": release["weekly"].bulletin_date.isoformat()}
    assert weekly["sha256"] == sha256_file(release["project"] / "data" / "raw" / weekly["path"])
    plan = out[out.index("make data will rebuild"):]
    for table in ("weekly_population_capacity", "monthly_establishments", "monthly_estate_totals", "prisons",
                  "cells_out_of_use_estate", "definitional_breaks"):
        assert table in plan
    assert "new raw file(s): prison-population-weekly/" in plan
    assert "recalls_quarterly" not in plan  # nothing it reads changed


def test_data_takes_the_new_week_from_the_official_file_with_its_cells(release):
    weekly = release["weekly"]
    table = pd.read_csv(release["project"] / "data" / "processed" / "weekly_population_capacity.csv", dtype=str,
                        keep_default_na=False)
    latest = table.iloc[-1]
    assert latest["date"] == weekly.bulletin_date.isoformat()
    assert int(latest["population"]) == weekly.this_week.population["total"]
    assert int(latest["uoc"]) == weekly.this_week.uoc["total"]
    assert int(latest["population_adult_male"]) == weekly.this_week.population["adult_male"]
    assert int(latest["uoc_adult_male"]) == weekly.this_week.uoc["adult_male"]
    assert int(latest["headroom_ycs"]) == weekly.this_week.headroom["ycs"]
    assert int(latest["operating_margin_female"]) == weekly.margins["female"]
    assert latest["source_id"] == "moj-weekly"
    assert latest["source_file"] == f"prison-population-weekly/{weekly.filename}"
    assert re.fullmatch(r"sheet Data, cells [A-Z]+\d+ \(population\), [A-Z]+\d+ \(UOC\)", latest["row_ref"])
    assert latest["raw_sha256"] == sha256_file(release["project"] / "data" / "raw" / latest["source_file"])
    assert latest["source_url"].startswith("http://127.0.0.1:") and latest["bulletin_title"] == weekly.attachment_title
    # Every earlier week is still the third party's, line by line.
    assert set(table.iloc[:-1]["source_id"]) == {"wfr-weekly"}
    assert int(latest["week_gap_days"]) == 7


def test_data_takes_the_new_month_for_every_prison_from_the_official_workbook(release):
    monthly = release["monthly"]
    table = pd.read_csv(release["project"] / "data" / "processed" / "monthly_establishments.csv", dtype=str,
                        keep_default_na=False)
    month = table[table["month"] == monthly.month]
    assert len(month) == len(monthly.all_establishments) and set(month["source_id"]) == {"moj-monthly"}
    before, now = monthly.changed["Altcourse"]
    row = month[month["prison_key"] == PRISON].iloc[0]
    assert int(row["population"]) == now != before
    assert row["report_date"] == monthly.report_date.isoformat()
    assert row["row_ref"].startswith("sheet MonthlyBulletin, cells A")
    totals = pd.read_csv(release["project"] / "data" / "processed" / "monthly_estate_totals.csv", dtype=str)
    total = totals[totals["month"] == monthly.month].iloc[0]
    assert int(total["published_uoc"]) == monthly.useable_operational_capacity
    assert int(total["sum_population"]) == monthly.total_population
    prisons = pd.read_csv(release["project"] / "data" / "processed" / "prisons.csv", dtype=str, keep_default_na=False)
    assert prisons.set_index("prison_key").loc[PRISON, "last_month"] == monthly.month


def test_data_rebuilt_only_what_the_new_files_feed(release):
    out = release["runs"]["data"].stdout
    rebuilt = set(re.findall(r"^  rebuilt\s+(\w+)", out, re.M))
    assert {"weekly_population_capacity", "monthly_establishments", "monthly_estate_totals", "prisons"} <= rebuilt
    assert not rebuilt & {"recalls_quarterly", "probation_caseload", "projections", "officers_annual_prt"}
    # update also saved the day's publication calendar, which the calendar table reads.
    assert re.search(r"rebuilt\s+release_calendar .*new raw file\(s\): justice-data-api/publications-", out)
    # The 2011-2016 table reads the same download folder (old bulletins are Word files there): it is rebuilt,
    # to the same bytes, and says so.
    assert re.search(r"rebuilt\s+monthly_establishments_legacy .*same content as before", out)
    manifest = json.loads((release["project"] / "data" / "processed" / "manifest.json").read_text())
    coverage = {c["source_id"]: c for c in manifest["tables"]["weekly_population_capacity"]["coverage"]}
    assert coverage["moj-weekly"]["official"] and coverage["moj-weekly"]["first"] == coverage["moj-weekly"]["last"]
    assert coverage["wfr-weekly"]["first"] == "2011-01-07" and not coverage["wfr-weekly"]["official"]


def test_the_built_pages_show_the_new_week_and_month(release):
    site, weekly, monthly = release["site"], release["weekly"], release["monthly"]
    population = page_text(site / "book" / "chapters" / "population-capacity.html")
    day = f"{weekly.bulletin_date.day} {weekly.bulletin_date:%B %Y}"
    assert f"{weekly.this_week.population['total']:,}" in population and day in population
    prison = page_text(site / "book" / "prisons" / f"{PRISON}.html")
    assert f"{monthly.changed['Altcourse'][1]:,}" in prison and f"{monthly.report_date:%B %Y}" in prison
    catalogue = page_text(site / "book" / "data-catalogue.html")
    assert weekly.filename in catalogue and monthly.filename in catalogue


def test_what_changed_reports_the_new_period(release):
    changes = json.loads((release["site"] / "changes.json").read_text())
    headline = next(h for h in changes["headlines"] if h["id"] == "prison-population")
    assert headline["reason"] == "new-period"
    assert headline["current"]["value"] == release["weekly"].this_week.population["total"]
    text = page_text(release["site"] / "book" / "what-changed.html")
    assert f"{release['weekly'].this_week.population['total']:,}" in text
