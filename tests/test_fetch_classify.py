"""Attachment titles -> kind and reference date, with the title quirks the publisher really produced."""
import csv

import pytest

from justice_tracker.fetch.classify import ClassifyError, classify, month_number, parse_day, parse_month, parse_year
from justice_tracker.fetch.releases import AttachmentRule


def _release(config, release_id):
    return next(r for r in config.releases if r.id == release_id)


@pytest.mark.parametrize("title, fallback_year, expected", [
    ("Population Bulletin - Weekly 28 December 2012", None, "2012-12-28"),
    ("Population bulletin: weekly 26 March 2021", None, "2021-03-26"),
    ("Population Bulletin - Weekly 07 December 2012", None, "2012-12-07"),
    ("Populaton bulletin: weekly December 7 2018", None, "2018-12-07"),  # month before day
    ("Population bulletin: weekly 20 July", 2018, "2018-07-20"),  # no year: the page title's
    ("Population bulletin: weekly 13 Jnauary 2025", None, "2025-01-13"),  # misspelt month
    ("Population bulletin: weekly: 13 August 2021", None, "2021-08-13"),
    (" Population bulletin: weekly 1 September 2025", None, "2025-09-01"),
    ("Population bulletin: weekly 1st Sept 2025", None, "2025-09-01"),
])
def test_day_dates_come_from_untidy_titles(title, fallback_year, expected):
    assert parse_day(title, fallback_year).isoformat() == expected


@pytest.mark.parametrize("title, message", [
    ("Population bulletin: weekly 20 July", "no year"),
    ("Population bulletin - Weekly 31 February 2012", "impossible date"),
    ("Prison population: data notes", "no day-month-year"),
    ("Population bulletin: weekly 5 January 2024 (replaces 29 December 2023)", "several dates"),
    ("Population bulletin: weekly 5 Juen 2024", "no day-month-year"),  # too far from any month to trust
])
def test_a_title_that_cannot_be_dated_is_an_error_not_a_guess(title, message):
    with pytest.raises(ClassifyError, match=message):
        parse_day(title)


@pytest.mark.parametrize("title, expected", [
    ("Population bulletin - Monthly December 2012", (2012, 12)),
    ("Population bulletin: monthly February 2021", (2021, 2)),
    ("Offender management statistics quarterly: April to June 2024", (2024, 6)),  # a period: its end
    ("Offender management statistics quarterly - April 2010 - September 2012", (2012, 9)),
    ("HM Prison & Probation Service workforce quarterly: December 2023", (2023, 12)),
])
def test_month_dates(title, expected):
    assert parse_month(title) == expected


def test_month_without_a_year_takes_the_fallback_and_otherwise_fails():
    assert parse_month("Population bulletin: monthly June", 2019) == (2019, 6)
    with pytest.raises(ClassifyError, match="no month and year"):
        parse_month("Population bulletin: monthly June")


def test_month_names_abbreviations_and_misspellings():
    assert [month_number(w) for w in ("January", "sept", "Jnauary", "Febuary", "decmber")] == [1, 9, 1, 2, 12]
    assert [month_number(w) for w in ("weekly", "bulletin", "ju", "Juen")] == [None, None, None, None]


def test_year_is_the_first_year_in_the_title():
    assert parse_year("Prison Population Projections: 2023 to 2028") == 2023
    with pytest.raises(ClassifyError):
        parse_year("Prison population projections")


def test_a_rule_can_date_from_the_publication_title():
    rule = AttachmentRule(title=".*", kind="omsq-tables", date="month", date_from="publication")
    got = classify(rule, "Licence recalls tables", "Offender management statistics quarterly: April to June 2024")
    assert (got.kind, got.reference_date) == ("omsq-tables", "2024-06")
    undated = AttachmentRule(title=".*", kind="notes", date="none")
    assert classify(undated, "Guide to the statistics", "Anything").describe() == "notes"


@pytest.mark.parametrize("title, kind", [
    ("Population Bulletin - Weekly 28 December 2012", "weekly"),
    ("Population bulletin: 4 November 2016", "weekly"),  # a weekly bulletin without the word
    ("Population bulletin: weeky 13 December 2019", "weekly"),
    ("Population bulletin - Monthly December 2012", "monthly"),
    ("Population bulletin: monthly February 2021", "monthly"),
])
def test_tracker_yml_rules_tell_weekly_from_monthly(config, title, kind):
    weekly, monthly = _release(config, "prison-population-weekly"), _release(config, "prison-population-monthly")
    taker, other = (weekly, monthly) if kind == "weekly" else (monthly, weekly)
    assert taker.rule_for(title, "x.ods").kind == kind
    assert other.rule_for(title, "x.ods") is None and other.ignores(title)


def test_every_published_weekly_title_2011_2026_gets_its_published_date(shared_raw, config):
    """Walk Forward Research lists every weekly bulletin with its GOV.UK title and the date it was read as.
    Where that date came from the title, the tracker.yml rule must give the same date from the same title.
    The fallback year stands in for the yearly page's title (the 2018 page holds "weekly 20 July")."""
    path = shared_raw / "processed-prisoncap" / "weekly_population_capacity.csv"
    rows = [r for r in csv.DictReader(path.open(encoding="utf-8")) if r["date_source"] == "title"]
    assert len(rows) == 783
    weekly = _release(config, "prison-population-weekly")
    wrong = []
    for row in rows:
        title = row["title"].strip()
        rule = weekly.rule_for(title, "x.ods")
        got = classify(rule, title, f"Prison population figures: {row['date'][:4]}") if rule else None
        if got is None or (got.kind, got.reference_date) != ("weekly", row["date"]):
            wrong.append((title, got, row["date"]))
    assert wrong == []
