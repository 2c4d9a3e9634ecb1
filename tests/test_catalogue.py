"""The data catalogue is generated from the config, the manifest, the lock file and the publication calendar."""
import html as html_lib
import importlib

import pandas as pd

from justice_tracker.chapters import catalogue
from justice_tracker.parsers.registry import PARSER_MODULES


def test_every_source_and_release_appears_with_its_status(config, site):
    html = (site / "book" / "data-catalogue.html").read_text(encoding="utf-8")
    for s in config.sources:
        assert s.title.split(":")[0] in html_lib.unescape(html), s.id
    for r in config.releases:
        assert f"<strong>{r.id}</strong>" in html
    assert html.count("not yet verified against a published file") >= 5
    assert "checked on the real files" in html


def test_parsers_without_a_real_file_are_marked_unverified():
    status = {name.rsplit(".", 1)[1]: catalogue.parser_status(name) for name in PARSER_MODULES}
    assert status["legacy_monthly"] == "checked on the real files"
    for name in ("weekly_bulletin", "monthly_ods", "omsq_recalls", "workforce", "projections"):
        assert status[name] == "not yet verified against a published file"
        assert importlib.import_module(f"justice_tracker.parsers.{name}").VERIFIED_AGAINST_PUBLISHED_FILE is False


def test_next_release_says_when_the_saved_calendar_is_older_than_the_data():
    cal = pd.DataFrame([{"series_id": "omsq", "next_publish_date": "2024-07-25T09:30:00+01:00",
                         "recorded_on": "2024-07-30"}])
    assert catalogue.next_release(cal, "omsq", "2024-06-30").startswith("25 July 2024 (announced")
    assert "older than the data" in catalogue.next_release(cal, "omsq", "2026-06-30")
    assert catalogue.next_release(cal, "", "") == "not in the MoJ publication calendar"
    assert "not in the saved calendar" in catalogue.next_release(cal, "nope", "")


def test_release_calendar_comes_from_the_recorded_response(config):
    cal = pd.read_csv(config.processed_path("release_calendar"), keep_default_na=False)
    omsq = cal[cal["series_id"] == "omsq"].iloc[0]
    assert omsq["next_publish_date"].startswith("2024-07-25") and omsq["recorded_on"] == "2024-07-30"
