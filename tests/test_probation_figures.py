"""Probation and prison staffing figures (issue 13): the NAO's 3,150 is never shown as staff in post, a caseload is
divided only by staff counted on the same day, the bulletin figures carry their citations, the band definitions the
page prints are the ones the ingest code applies, and every stated direction follows the series."""
from __future__ import annotations

import csv
import dataclasses
import html as htmllib
import re

import pandas as pd
import pytest

from justice_tracker.chapters import staffing as chapter
from justice_tracker.facts import FACTS_FILE
from justice_tracker.ingest import staffing as ingest

TABLES = ["officer_fte_quarterly", "officer_staffing_vs_target", "officers_annual_prt", "probation_caseload",
          "prisons"]
BULLETIN_PREFIX = "hmpps-wf-"


@pytest.fixture(scope="module")
def data(config):
    return chapter.load(config, *TABLES)


@pytest.fixture(scope="module")
def known():
    return chapter.facts()


def _text(markup: str) -> str:
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", markup))


def _with_values(known, measure, values):
    """A copy of the facts where the series for `measure` takes `values` (oldest first)."""
    series = chapter.fact_series(known, measure)
    out = dict(known)
    for (_, row), v in zip(series.iterrows(), values):
        out[row["fact"].fact_id] = row["fact"].model_copy(update={"value": float(v)})
    return out


# The NAO's 3,150.

def _gap_figure(text: str) -> list[str]:
    return [text[max(0, m.start() - 200):m.end() + 200] for m in re.finditer(r"\b3,?150\b", text)]


def test_no_built_page_presents_3150_as_staff_in_post(site):
    for page in site.rglob("*.html"):
        for around in _gap_figure(_text(page.read_text(encoding="utf-8"))):
            assert not re.search(r"in post|staff in post|leaves about", around), (page, around)


def test_no_fact_row_reads_3150_as_a_staff_count():
    with open(FACTS_FILE, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        if float(r["value"]) == 3150:
            assert "in post" not in r["measure"].lower() and r["kind"] == "estimate", r["fact_id"]


# Caseload per practitioner.

def test_ratio_rows_pair_a_caseload_and_staff_counts_of_the_same_day(data, known):
    ratios = chapter.practitioner_ratios(data, known)
    total = chapter.caseload(data.probation).set_index("date")["value"]
    matched = ratios.dropna(subset=["per_practitioner"])
    assert not matched.empty
    for _, r in matched.iterrows():
        assert r["caseload"] == total[r["date"]]
        assert r["per_practitioner"] == pytest.approx(total[r["date"]] / r["practitioners"])
    for _, r in ratios[ratios["per_practitioner"].isna()].iterrows():
        assert r["date"] not in total.index


def test_a_caseload_one_day_off_gives_no_ratio(data, known):
    ratios = chapter.practitioner_ratios(data, known).dropna(subset=["per_practitioner"])
    moved = data.probation.copy()
    moved.loc[moved["date"].isin(ratios["date"]), "date"] += pd.Timedelta(days=1)
    shifted = dataclasses.replace(data, probation=moved)
    assert chapter.practitioner_ratios(shifted, known)["per_practitioner"].isna().all()
    assert "people per practitioner" not in chapter.probation_staffing(shifted, known).html


# The bulletin figures.

def test_bulletin_facts_are_cited_counts_whose_quote_holds_the_value(known):
    bulletin = [f for f in known.values() if f.fact_id.startswith(BULLETIN_PREFIX)]
    assert len(bulletin) >= 4
    for f in bulletin:
        assert f.kind in {"count", "estimate", "target"}
        assert f.url.startswith("https://") and "gov.uk" in f.url
        assert f.reference and f.quote
        shown = f"{f.value:g}%" if f.unit == "%" else f"{f.value:,.0f}"
        assert shown in f.quote, (f.fact_id, shown, f.quote)
        assert pd.Timestamp(f.period.removeprefix("year to ")) <= pd.Timestamp(f.published)


# Band definitions.

def test_band_patterns_match_the_grades_the_definitions_name():
    for grade in ingest.BAND_3_4_GRADES:
        assert ingest.BAND_3_4_OFFICER.search(grade), grade
        assert ingest.OPERATIONAL_2_5.search(grade), grade
    for grade in ingest.BAND_5_GRADES + ingest.OPERATIONAL_SUPPORT_GRADES:
        assert not ingest.BAND_3_4_OFFICER.search(grade), grade
        assert ingest.OPERATIONAL_2_5.search(grade), grade
    b34 = ingest.BAND_DEFINITIONS["band_3_4_officers_fte"].lower()
    assert all(g.lower() + "s" in b34 for g in ingest.BAND_3_4_GRADES)
    assert "without band 5 custodial managers" in b34
    b35 = ingest.BAND_DEFINITIONS["band_3_5_officers"].lower()
    assert all(g.lower() + "s" in b35 for g in ingest.BAND_3_4_GRADES + ingest.BAND_5_GRADES)


def test_chapter_prints_the_ingest_definitions(data, known):
    caveats = _text(chapter.caveats(data).html)
    for key in ("band_3_4_officers_fte", "band_3_5_officers", "operational_b2_b5_fte"):
        assert ingest.BAND_DEFINITIONS[key] in caveats
    assert ingest.BAND_DEFINITIONS["band_3_5_officers"] in _text(chapter.prison_headline(data, known).html)


def test_built_staffing_page_uses_the_definitions(site):
    page = _text((site / "book" / "chapters" / "staffing.html").read_text(encoding="utf-8"))
    assert ingest.BAND_DEFINITIONS["band_3_4_officers_fte"] in page
    assert "Bands 3-4 are prison officers (including specialists)" not in page


# Directions, from the series, and flipped when the series is.

def _direction(text: str, lead: str) -> str:
    return re.search(lead + r".*?\b(up|down|unchanged)\b", text, re.S).group(1)


@pytest.mark.parametrize("measure,lead", [
    (chapter.PROBATION_OFFICERS_B4, "band 4 probation officers in post"),
    (chapter.PROBATION_SERVICES_OFFICERS_B3, "Band 3 probation services officers"),
])
def test_probation_directions_follow_the_series(data, known, measure, lead):
    values = list(chapter.fact_series(known, measure)["value"])
    for vals in (values, values[::-1]):
        text = _text(chapter.probation_staffing(data, _with_values(known, measure, vals)).html)
        want = "up" if vals[-1] > vals[0] else "down" if vals[-1] < vals[0] else "unchanged"
        assert _direction(text, lead) == want
        if want != "unchanged":
            assert f"{want} {round(abs(vals[-1] - vals[0])):,}" in text


def test_prison_headline_direction_and_same_day_figures(data, known):
    series = chapter.fact_series(known, chapter.PRISON_OFFICERS_B35)
    values = list(series["value"])
    for vals in (values, values[::-1]):
        text = _text(chapter.prison_headline(data, _with_values(known, chapter.PRISON_OFFICERS_B35, vals)).html)
        want = "up" if vals[-1] > vals[0] else "down"
        assert f"{want} {round(abs(vals[-1] - vals[0])):,} between the first and the latest" in text
    last = series["date"].iloc[-1]
    text = _text(chapter.prison_headline(data, known).html)
    row = data.fte[data.fte["date"] == last]
    if not row.empty:
        assert f"{round(row['band_3_4_officers_fte'].iloc[0]):,} band 3-4 officers" in text


@pytest.mark.parametrize("measure,who", [(chapter.PRISON_LEAVING, "band 3-5 prison officers"),
                                         (chapter.PROBATION_LEAVING, "band 4 probation officers")])
def test_leaving_rate_direction_follows_the_series(known, measure, who):
    values = list(chapter.fact_series(known, measure)["value"])
    assert len(values) >= 2
    for vals in (values, values[::-1]):
        text = _text(chapter.leaving_rates(_with_values(known, measure, vals)).html)
        sentence = text.split(f"Leaving rate of {who}:", 1)[1].split("Leaving rate of", 1)[0]
        want = "up" if vals[-1] > vals[0] else "down"
        assert f"({want} {abs(vals[-1] - vals[0]):.1f} percentage points" in sentence


# Public/private split.

def test_operator_split_adds_up_the_prison_table(data):
    split = chapter.operator_split(data)
    open_ = data.prisons[data.prisons["status"] == "open"]
    assert split["public"] == open_.loc[open_["operator"] == "public", "population"].sum()
    assert split["private"] == open_.loc[open_["operator"] == "private", "population"].sum()
    assert split["public"] + split["private"] + split["unknown"] == pytest.approx(open_["population"].sum())
    text = _text(chapter.caveats(data).html)
    assert f"{round(split['public']):,} people in publicly run prisons" in text
    assert f"{round(split['third_party_public']):,} public" in text


def test_chapter_labels_follow_the_parser_columns(data, known):
    from justice_tracker.parsers import workforce
    annex_label = next(k for k, v in workforce.ANNEX_VALUES.items() if v == "staff_in_post")
    assert annex_label.lower().startswith("band 3-5 prison officers")
    assert "band 3-5 officers in post" in _text(chapter.target_summary(data, known).html)
    assert chapter.FTE_LABELS["band_3_4_officers_fte"].lower().startswith("band 3-4")
    assert "band 3-4" in _text(chapter.prison_summary(data).html)
