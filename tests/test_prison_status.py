"""Prison status (open, temporarily closed, closed, merged, no longer reported) and operators: derived from the
monthly bulletins, the MoJ list of changes and the cited change log; shown first on each prison's page and in the
index. Checks run against the committed tables, recomputing what they can from the monthly series."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from justice_tracker.chapters import prisons_index as index
from justice_tracker.ingest import IngestError
from justice_tracker.ingest import prisons as ingest
from justice_tracker.ingest.prison_status import (LIST_NAME, MIN_EMPTY_BULLETINS, STATUS_LOG, Event, derive_status,
                                                  load_status_log)
from justice_tracker.paths import REPO_ROOT


@pytest.fixture(scope="module")
def prisons(config):
    return pd.read_csv(config.processed_path("prisons"), dtype=str, keep_default_na=False).set_index("prison_key")


@pytest.fixture(scope="module")
def both(config):
    """Both monthly per-prison tables as one series: prison_key, month, population."""
    recent = pd.read_csv(config.processed_path("monthly_establishments"))
    legacy = pd.read_csv(config.processed_path("monthly_establishments_legacy")).rename(
        columns={"bulletin_month": "month"})
    cols = ["prison_key", "month", "population"]
    return pd.concat([legacy[cols], recent[cols]], ignore_index=True).sort_values(["prison_key", "month"])


@pytest.fixture(scope="module")
def latest_month(config):
    return str(pd.read_csv(config.processed_path("monthly_establishments"), usecols=["month"])["month"].max())


def _series(months: list[str], population: list) -> pd.DataFrame:
    return pd.DataFrame({"month": months, "population": population})


MONTHS = ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]


# Derivation from the data -----------------------------------------------------------------------------------------

def test_empty_in_every_bulletin_since_a_month_is_temporarily_closed_from_that_month():
    s = derive_status("x", "X", _series(MONTHS, [300, 250, 0, 0, 0, 0]), "2025-06", [], [])
    assert (s.status, s.since, s.empty_since, s.empty_bulletins, s.last_held_month) == (
        "temporarily closed", "2025-03", "2025-03", 4, "2025-02")
    assert s.in_latest


def test_a_short_empty_run_is_not_a_closure_and_a_refill_reopens():
    short = [300] * (len(MONTHS) - MIN_EMPTY_BULLETINS + 1) + [0] * (MIN_EMPTY_BULLETINS - 1)
    assert derive_status("x", "X", _series(MONTHS, short), "2025-06", [], []).status == "open"
    refilled = [0, 0, 0, 0, 0, 12]
    assert derive_status("x", "X", _series(MONTHS, refilled), "2025-06", [], []).status == "open"


def test_absent_from_the_latest_bulletin_takes_the_recorded_status_or_says_it_is_no_longer_reported():
    gone = _series(MONTHS[:3], [300, 200, 100])
    closed = Event("2025-04", "closed", "", LIST_NAME, "Closed")
    assert derive_status("x", "X", gone, "2025-06", [closed], []).status == "closed"
    merged = Event("2025-04", "merged", "y", LIST_NAME, "X and Y merged")
    s = derive_status("x", "X", gone, "2025-06", [merged], [])
    assert (s.status, s.into, s.since) == ("merged", "y", "2025-04")
    s = derive_status("x", "X", gone, "2025-06", [], [])
    assert (s.status, s.since, s.in_latest) == ("no longer reported", "2025-03", False)


def test_a_closure_before_a_bulletin_that_still_shows_people_stops_the_build_naming_both_facts():
    closed = Event("2025-02", "closed", "", LIST_NAME, "Closed")
    with pytest.raises(IngestError) as e:
        derive_status("x", "Exampleton", _series(MONTHS[:4], [300, 200, 150, 90]), "2025-06", [closed], [])
    message = str(e.value)
    assert "Exampleton" in message and "February 2025" in message and "April 2025" in message and "90" in message
    # A recorded reopening between the closure and the later bulletin reconciles them.
    reopened = Event("2025-03", "open", "", LIST_NAME, "Reopened")
    assert derive_status("x", "X", _series(MONTHS, [300, 0, 150, 150, 150, 150]), "2025-06",
                         [closed, reopened], []).status == "open"


def test_the_list_and_the_log_disagreeing_stops_the_build_naming_both():
    listed = Event("2025-04", "temporarily closed", "", LIST_NAME, "Temporarily closed")
    logged = Event("2025-04-10", "closed", "", "Ministry of Justice, a statement (2025)", "Closed for good")
    with pytest.raises(IngestError, match=r"Exampleton.*temporarily closed.*closed"):
        derive_status("x", "Exampleton", _series(MONTHS[:3], [300, 200, 100]), "2025-06", [listed], [logged])


def test_a_logged_operator_that_contradicts_the_register_stops_the_build():
    p = ingest._Prison("x", register={"operator": "PSP"}, contracted=False,
                       logged_operator=("private", "Some Company", "run by Some Company under contract: a source"))
    with pytest.raises(IngestError, match=r"x: .*'public'.*'private'"):
        ingest._operator(p)
    p = ingest._Prison("y", logged_operator=("private", "Some Company", "run by Some Company under contract: a source"))
    assert ingest._operator(p)[:2] == ("private", "Some Company")


# The committed table against the committed series ------------------------------------------------------------------

def test_every_status_agrees_with_the_monthly_series(prisons, both, latest_month):
    for key, rows in both.groupby("prison_key"):
        row = prisons.loc[key]
        pop = rows["population"].fillna(0).tolist()
        in_latest = rows["month"].iloc[-1] == latest_month
        assert row["in_latest"] == ("yes" if in_latest else "no"), key
        held = rows.loc[rows["population"] > 0, "month"]
        assert row["last_held_month"] == (held.iloc[-1] if len(held) else ""), key
        if in_latest and pop[-1] > 0:
            assert row["status"] == "open", key
        else:
            assert row["status"] != "open", key
        if row["status"] in ("closed", "temporarily closed", "merged") and len(held):
            # No one is counted in any bulletin after the month the status took effect.
            assert held.iloc[-1] <= (row["status_since"] + "-12")[:7], key


def test_dartmoor_is_temporarily_closed_and_has_held_no_one_since_its_last_occupied_bulletin(prisons, both,
                                                                                            latest_month):
    rows = both[both["prison_key"] == "dartmoor"].reset_index(drop=True)
    occupied = rows.index[rows["population"] > 0]
    first_empty = rows.loc[occupied[-1] + 1, "month"]
    assert (rows.loc[occupied[-1] + 1:, "population"] == 0).all()
    assert len(rows) - occupied[-1] - 1 >= MIN_EMPTY_BULLETINS
    row = prisons.loc["dartmoor"]
    assert row["status"] == "temporarily closed"
    assert row["empty_since"] == first_empty and row["last_held_month"] == rows.loc[occupied[-1], "month"]
    assert row["in_latest"] == "yes" and rows["month"].iloc[-1] == latest_month
    logged = [r for r in load_status_log() if r.prison_key == "dartmoor" and r.change == "temporarily closed"]
    assert [row["status_since"]] == [r.date for r in logged]
    # The announcement comes before the first empty bulletin, and the MoJ list's month is shown beside it.
    assert logged[0].date[:7] < first_empty
    assert "MoJ list of changes to the estate: September 2024, Temporarily closed" in row["status_basis"]


def test_holloway_is_closed_after_its_last_bulletin(prisons, both):
    row = prisons.loc["holloway"]
    rows = both[both["prison_key"] == "holloway"]
    assert row["status"] == "closed" and row["status_since"] == "2016-06-17"
    assert rows["month"].max() < row["status_since"][:7] and row["in_latest"] == "no"


def test_mergers_name_an_establishment_that_exists(prisons):
    merged = prisons[prisons["status"] == "merged"]
    assert len(merged) and set(merged["status_into"]) <= set(prisons.index)
    assert prisons.loc["everthorpe", "status_into"] == prisons.loc["wolds", "status_into"] == "humber"


# The change log ------------------------------------------------------------------------------------------------------

def test_the_change_log_is_declared_as_an_input_of_the_prisons_table(config):
    assert str(STATUS_LOG.relative_to(REPO_ROOT)) in config.table("prisons").curated


def test_every_change_log_row_is_cited_and_shows_in_the_table(prisons):
    rows = load_status_log()
    assert rows
    for r in rows:
        assert r.url.startswith(("https://", "http://")) and len(r.reference) >= 3 and len(r.quote) >= 10, r
        assert r.publisher and r.title and r.verification, r
        row = prisons.loc[r.prison_key]
        if r.change == "operator":
            assert (row["operator"], row["contractor"]) == (r.operator, r.contractor), r.prison_key
            assert r.title in row["operator_basis"], r.prison_key
        else:
            assert r.quote in row["status_basis"], r.prison_key


def test_prisons_opened_since_2022_have_an_operator_or_are_reported_missing(prisons):
    new = prisons[prisons["first_month"] >= "2022-01"]
    assert {"five-wells", "millsike"} <= set(new.index)
    known = new[new["operator"] != ""]
    assert set(known.index) >= {"five-wells", "millsike"}
    assert (known.loc[["five-wells", "millsike"], "contractor"] != "").all()


# Pages -----------------------------------------------------------------------------------------------------------

def test_a_prison_page_that_is_not_open_shows_its_status_before_its_headline_figures(site, prisons):
    not_open = prisons[prisons["status"] != "open"]
    assert len(not_open) >= 10
    for key, row in not_open.iterrows():
        text = (site / "book" / "prisons" / f"{key}.html").read_text(encoding="utf-8")
        status_at = text.find(f'data-status="{row["status"]}"')
        tile_at = text.find('class="jct-tile"')
        assert 0 <= status_at < tile_at, key
        tile = re.search(r'<p class="jct-tile-date">(.*?)</p>', text, re.S).group(1)
        assert "latest monthly figures" not in tile or row["in_latest"] == "yes", key
        if row["in_latest"] == "no":
            assert "last monthly figures" in tile and "not current" in tile, key
    dartmoor = (site / "book" / "prisons" / "dartmoor.html").read_text(encoding="utf-8")
    month = pd.Timestamp(prisons.loc["dartmoor", "empty_since"] + "-01").strftime("%B %Y")
    assert (f"Temporarily closed since 25 July 2024. The monthly bulletins have shown no one held here since "
            f"{month}") in dartmoor


def test_an_open_prison_page_says_so_first(site, prisons):
    key = prisons[prisons["status"] == "open"].index[0]
    text = (site / "book" / "prisons" / f"{key}.html").read_text(encoding="utf-8")
    assert 0 <= text.find('data-status="open"') < text.find('class="jct-tile"')


def test_the_index_marks_every_prison_that_is_not_open(site, prisons):
    text = (site / "book" / "prisons" / "index.html").read_text(encoding="utf-8")
    open_table = re.search(r'<table[^>]*id="jct-prisons-open".*?</table>', text, re.S).group(0)
    closed_table = re.search(r'<table[^>]*id="jct-prisons-closed".*?</table>', text, re.S).group(0)
    names = dict(zip(prisons.index, prisons["prison_name"]))
    for key, row in prisons.iterrows():
        link = f'<a href="{key}.html">'
        if row["status"] == "open":
            assert link in open_table and link not in closed_table, key
            continue
        assert link in closed_table and link not in open_table, key
        tr = re.search(r"<tr\b[^>]*>(?:(?!</tr>).)*" + re.escape(link) + r".*?</tr>", closed_table, re.S).group(0)
        label = index.status_label(row.rename({"prison_key": key}), names)
        assert f'data-v="{row["status"]}"><span class="jct-status-mark">{label.replace("&", "&amp;")}</span>' in tr, key
