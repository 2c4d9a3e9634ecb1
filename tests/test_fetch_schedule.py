"""The data.justice.gov.uk release calendar, from the recorded response (a VCR cassette, recorded 2024-07-30)."""
import datetime as dt
import json

import pytest
import yaml

from justice_tracker.fetch.http import HttpClient
from justice_tracker.fetch.schedule import (
    LONDON, ScheduleError, by_id, fetch_schedule, parse_publications, parse_text_date, read_schedule,
)
from test_fetch_support import web  # noqa: F401  (a fixture)


@pytest.fixture(scope="module")
def recorded_body(shared_raw) -> str:
    text = (shared_raw / "justice-data-api" / "fetch_justice_data.yaml").read_text(encoding="utf-8")
    cassette = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    [interaction] = [i for i in cassette["interactions"]
                     if i["request"]["uri"] == "https://data.justice.gov.uk/api/publications"]
    return interaction["response"]["body"]["string"]


def test_next_release_dates_from_the_recorded_calendar(recorded_body):
    releases = parse_publications(json.loads(recorded_body))
    assert len(releases) == 22
    calendar = by_id(releases)
    # "25 July 2024 9:30am" is UK time: 08:30 UTC in summer (the API's AsDateTime field says 09:30Z)
    assert calendar["omsq"].next_publish_date == dt.datetime(2024, 7, 25, 9, 30, tzinfo=LONDON)
    assert calendar["omsq"].next_publish_date.astimezone(dt.timezone.utc).hour == 8
    assert calendar["hmpps-workforce"].as_record() == {
        "id": "hmpps-workforce",
        "name": "HM Prison & Probation Service workforce quarterly",
        "indexUri": "https://www.gov.uk/government/collections/national-offender-management-service-workforce-statistics",
        "frequency": "Quarterly",
        "currentPublishDate": "2024-05-16",
        "nextPublishDate": "2024-08-15T09:30:00+01:00",
    }
    prison = calendar["prison-population"]  # annual, and no next date announced in the recording
    assert (prison.current_publish_date, prison.next_publish_date) == (dt.date(2024, 1, 12), None)
    # courts-civil has no currentPublishDateAsDate, only the text "6 June 2024"
    assert calendar["courts-civil"].current_publish_date == dt.date(2024, 6, 6)


def test_the_calendar_is_read_back_from_a_saved_file(recorded_body, tmp_path):
    path = tmp_path / "publications.json"
    path.write_text(recorded_body)
    assert read_schedule(path) == parse_publications(json.loads(recorded_body))


def test_the_live_calendar_uses_the_same_client_and_can_be_saved(recorded_body, web, tmp_path):
    web.add("http://justice-mirror.test/api/publications", recorded_body)
    saved = tmp_path / "schedule" / "publications.json"
    live = fetch_schedule(HttpClient(min_interval=0), base="http://justice-mirror.test/", save_to=saved)
    assert by_id(live)["omsq"].current_publish_date == dt.date(2024, 4, 25)
    assert read_schedule(saved) == live
    assert web.user_agents[0].startswith("justice-crisis-tracker/")


def test_text_dates():
    assert parse_text_date("16 May 2024") == dt.date(2024, 5, 16)
    assert parse_text_date("15 January 2025 9:30am").isoformat() == "2025-01-15T09:30:00+00:00"  # GMT
    assert parse_text_date("3 October 2024 12:15pm").isoformat() == "2024-10-03T12:15:00+01:00"
    assert parse_text_date("sometime in autumn") is None


def test_a_response_that_is_not_a_list_of_publications_is_an_error(tmp_path):
    with pytest.raises(ScheduleError, match="expected a JSON list"):
        parse_publications({"publications": []})
    with pytest.raises(ScheduleError, match="without a string id"):
        parse_publications([{"name": "no id"}])
    broken = tmp_path / "publications.json"
    broken.write_text("[{")
    with pytest.raises(ScheduleError, match="not JSON"):
        read_schedule(broken)
