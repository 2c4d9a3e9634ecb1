"""The project's real discovery and download, end to end, against a local GOV.UK mirror (tests/support/
govuk_mirror.py) serving the recorded response shapes with a 2026 weekly and a 2026 monthly page whose
attachments are independent fixtures (tests/support/layouts.py)."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

if str(Path(__file__).resolve().parent) not in sys.path:  # until pyproject's pythonpath = ["tests"] lands
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from justice_tracker.config import load_config  # noqa: E402
from justice_tracker.fetch.http import HttpClient  # noqa: E402
from justice_tracker.fetch.runner import run_update  # noqa: E402
from justice_tracker.fetch.schedule import by_id, fetch_schedule  # noqa: E402
from justice_tracker.parsers.registry import parse_file  # noqa: E402
from support.govuk_mirror import (  # noqa: E402
    OMSQ, PRISON_POPULATION, GovUkMirror, MirrorAttachment, MirrorPublication,
    recorded_collection, recorded_publication, recorded_search,
)
from support.layouts import next_monthly_values, next_weekly_values  # noqa: E402

WEEKLY_PAGE = "/government/publications/prison-population-weekly-estate-figures-2026"
MONTHLY_PAGE = "/government/publications/prison-population-monthly-prison-figures-2026"
WEEKLY_TITLE = "Population bulletin: weekly 14 September 2026"
MONTHLY_TITLE = "Population bulletin: monthly August 2026"


@pytest.fixture(scope="module")
def shared_recordings():
    from support.govuk_mirror import SHARED_RAW

    if not (SHARED_RAW / "gov-uk-content-api").is_dir():
        pytest.skip(f"needs the recorded GOV.UK responses in {SHARED_RAW}")
    return SHARED_RAW


@pytest.fixture
def fixtures(tmp_path):
    weekly, monthly = next_weekly_values(), next_monthly_values()
    files = tmp_path / "served"
    return weekly, monthly, weekly.write(files / weekly.filename), monthly.write(files / monthly.filename)


@pytest.fixture
def mirror(shared_recordings, fixtures):
    _, _, weekly_file, monthly_file = fixtures
    publications = [
        MirrorPublication(WEEKLY_PAGE, "Prison population: weekly estate figures 2026", "2026-09-14T09:30:00.000+01:00",
                          [MirrorAttachment(WEEKLY_TITLE, weekly_file.name, weekly_file)]),
        MirrorPublication(MONTHLY_PAGE, "Prison population: monthly prison figures 2026",
                          "2026-09-10T09:30:00.000+01:00",
                          [MirrorAttachment(MONTHLY_TITLE, monthly_file.name, monthly_file)]),
    ]
    with GovUkMirror(publications) as served:
        yield served


def test_dry_run_lists_exactly_the_two_bulletins(tmp_path, mirror, fixtures):
    _, _, weekly_file, monthly_file = fixtures
    summary = run_update(load_config(), api_base=mirror.base_url, dry_run=True, progress=False, min_interval=0,
                         raw_root=tmp_path / "raw", lock_path=tmp_path / "sources.lock")

    assert summary.failures == []
    found = sorted((c.release.id, c.publication.base_path, c.title, c.classification.kind,
                    c.classification.reference_date) for c in summary.discovery.candidates)
    assert found == [
        ("prison-population-monthly", MONTHLY_PAGE, MONTHLY_TITLE, "monthly", "2026-08"),
        ("prison-population-weekly", WEEKLY_PAGE, WEEKLY_TITLE, "weekly", "2026-09-14"),
    ]
    assert sorted(c.title for c in summary.to_fetch) == [MONTHLY_TITLE, WEEKLY_TITLE]
    for candidate, served in ((c, weekly_file if "weekly" in c.title else monthly_file) for c in summary.to_fetch):
        assert urlsplit(candidate.url).netloc == urlsplit(mirror.base_url).netloc  # assets from the API's own host
        assert candidate.file_size == served.stat().st_size
        assert candidate.filename == served.name
    # each release skips the other's bulletin, by its ignore pattern
    assert sorted((s.release, s.title) for s in summary.skipped) == [
        ("prison-population-monthly", WEEKLY_TITLE), ("prison-population-weekly", MONTHLY_TITLE)]

    # what was read: every release's listing and page, each once; no file downloaded in a dry run
    assert sorted(mirror.requests) == sorted([
        "/api/content/government/collections/prison-population-statistics",
        f"/api/content{WEEKLY_PAGE}", f"/api/content{MONTHLY_PAGE}",
        "/api/content/government/collections/offender-management-statistics-quarterly",
        "/api/content/government/statistics/offender-management-statistics-quarterly-january-to-march-2026",
        "/api/content/government/collections/national-offender-management-service-workforce-statistics",
        "/api/content/government/statistics/hm-prison-and-probation-service-workforce-quarterly-june-2026",
        "/api/search.json",
        "/api/content/government/statistics/prison-population-projections-2025-to-2030",
    ])
    assert mirror.errors == []
    assert not (tmp_path / "raw").exists() and not (tmp_path / "sources.lock").exists()


def test_update_downloads_from_the_mirror_and_the_files_parse(tmp_path, mirror, fixtures):
    """The same discovery without dry_run: both files are fetched from the mirror's asset paths into
    tmp_path/raw, locked in tmp_path/sources.lock, and read back by the registry to the fixtures' figures."""
    weekly, monthly, _, _ = fixtures
    raw, lock = tmp_path / "raw", tmp_path / "sources.lock"
    summary = run_update(load_config(), api_base=mirror.base_url, progress=False, min_interval=0,
                         raw_root=raw, lock_path=lock)

    assert summary.failures == []
    assert sorted((c.release.slug, s.status) for c, s in summary.stored) == [
        ("prison-population-monthly", "new"), ("prison-population-weekly", "new")]
    assert sum(p.startswith("/media/") for p in mirror.requests) == 2
    entries = json.loads(lock.read_text())["files"]
    assert {e["classification"]["reference_date"] for e in entries.values()} == {"2026-09-14", "2026-08"}

    stored = {c.classification.kind: raw / s.path for c, s in summary.stored}
    weekly_parsed, monthly_parsed = parse_file(stored["weekly"]), parse_file(stored["monthly"])
    assert weekly_parsed.meta["bulletin_date"] == weekly.bulletin_date
    this_week = weekly_parsed.table[weekly_parsed.table["period"] == "this_week"]
    population = this_week[this_week["measure"] == "population"].set_index("group")["value"].to_dict()
    assert population == weekly.this_week.population
    assert monthly_parsed.meta["report_date"] == monthly.report_date
    assert monthly_parsed.meta["total"]["op_cap"] == monthly.useable_operational_capacity

    again = run_update(load_config(), api_base=mirror.base_url, progress=False, min_interval=0,
                       raw_root=raw, lock_path=lock)
    assert again.failures == [] and again.stored == [] and len(again.already_locked) == 2


def test_mirror_answers_in_the_recorded_shapes(mirror):
    def get(path, **params):
        response = requests.get(mirror.url(path), params=params, timeout=10)
        return response.status_code, response.json()

    status, collection = get("/api/content/government/collections/prison-population-statistics")
    recorded = recorded_collection(PRISON_POPULATION)
    assert status == 200 and collection.keys() == recorded.keys()
    assert collection["links"].keys() == recorded["links"].keys()
    assert [d.keys() for d in collection["links"]["documents"]] == [recorded["links"]["documents"][0].keys()] * 2
    assert [d["base_path"] for d in collection["links"]["documents"]] == [WEEKLY_PAGE, MONTHLY_PAGE]
    assert collection["details"]["collection_groups"][0]["documents"] == [
        d["content_id"] for d in collection["links"]["documents"]]

    status, omsq = get(f"/api/content{recorded_collection(OMSQ)['base_path']}")
    assert status == 200 and len(omsq["links"]["documents"]) == 1

    status, page = get(f"/api/content{WEEKLY_PAGE}")
    template = recorded_publication()
    assert status == 200 and page.keys() == template.keys()
    assert page["details"].keys() == template["details"].keys()
    (attachment,) = page["details"]["attachments"]
    assert attachment.keys() == template["details"]["attachments"][0].keys()
    assert attachment["attachment_type"] == "file"
    assert attachment["content_type"] == "application/vnd.oasis.opendocument.spreadsheet"
    media = urlsplit(attachment["url"]).path
    assert media.startswith("/media/") and len(media.split("/")[2]) == 24
    asset = requests.get(attachment["url"], timeout=10)
    assert asset.status_code == 200 and len(asset.content) == attachment["file_size"]
    assert page["links"]["document_collections"][0]["base_path"] == "/government/collections/prison-population-statistics"

    status, search = get("/api/search.json", count=1, start=0)
    assert status == 200 and search.keys() == recorded_search().keys()
    assert search["total"] == 1 and search["results"][0].keys() == recorded_search()["results"][0].keys()
    assert search["results"][0]["link"] == "/government/statistics/prison-population-projections-2025-to-2030"

    status, missing = get("/api/content/government/publications/no-such-page")
    assert status == 404 and missing["error"]["code"] == "not_found"
    assert "/api/content/government/publications/no-such-page" in mirror.errors


def test_mirror_serves_the_justice_data_calendar(mirror):
    calendar = by_id(fetch_schedule(HttpClient(min_interval=0), base=mirror.base_url))
    assert {"prison-population", "omsq", "hmpps-workforce"} <= set(calendar)
    assert mirror.requests[-1] == "/api/publications"
