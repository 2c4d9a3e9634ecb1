"""The population chapter's figures are computed from the processed table, not typed in."""
import re

import pandas as pd
import pytest

from justice_tracker.chapters import population as chapter
from justice_tracker.charts import MAX_TABLE_ROWS
from support.chart_specs import assert_charts_run_no_inline_code


@pytest.fixture(scope="module")
def data(config):
    return chapter.load(config, "weekly_population_capacity", "weekly_population_prt", "definitional_breaks", "2011-01-01")


def _synthetic(dates, pops, uocs):
    d = pd.DataFrame({"date": pd.to_datetime(dates), "population": pops, "uoc": uocs})
    d["headroom"] = d["uoc"] - d["population"]
    d["pct_uoc_in_use"] = (d["population"] / d["uoc"] * 100).round(2)
    d["bulletin_url"] = "https://example.org/b.ods"
    d["bulletin_title"] = "Population bulletin: weekly <test>"
    d["source_file"] = "processed-prisoncap/weekly_population_capacity.csv"
    d["row_ref"] = [f"line {i + 2}" for i in range(len(d))]
    return d


def test_headline_uses_latest_previous_and_year_earlier_bulletins(data):
    weekly = data[0]
    h = chapter.headline(weekly)
    assert h.latest["date"] == weekly["date"].max()
    assert h.previous["date"] == weekly["date"].iloc[-2]
    assert abs((h.latest["date"] - h.year_ago["date"]).days - 364) <= 10


def test_headline_has_no_year_ago_when_no_bulletin_is_near(data, config):
    w = _synthetic(["2024-01-05", "2025-06-01", "2025-06-08"], [100, 110, 120], [200, 200, 200])
    assert chapter.headline(w).year_ago is None
    tile = chapter.headline_tile(w, config).html
    assert "no comparable figure on 12 months earlier" in tile
    assert "Next release: weekly bulletin expected 15 June 2025" in tile


def test_tile_shows_values_changes_and_escapes_titles(config):
    w = _synthetic(["2025-06-06", "2026-05-29", "2026-06-05"], [85000, 86000, 86100], [88000, 88500, 88400])
    tile = chapter.headline_tile(w, config).html
    assert "86,100" in tile and "88,400" in tile and "2,300" in tile and "97.4%" in tile
    assert "up 100 on the previous bulletin" in tile
    assert "down 100 on the previous bulletin" in tile  # UOC 88,500 -> 88,400
    assert "up 1,100 on 12 months earlier" in tile
    assert "<test>" not in tile and "&lt;test&gt;" in tile


def test_alt_text_is_generated_from_the_data(data):
    weekly = data[0]
    text = chapter.alt_text_population(weekly)
    first, last = weekly.iloc[0], weekly.iloc[-1]
    assert f"{first['population']:,}" in text and f"{last['population']:,}" in text
    assert f"{weekly['population'].max():,}" in text
    w = _synthetic(["2020-01-03", "2020-01-10"], [900, 800], [1000, 1000])
    assert "fell from 900 to 800" in chapter.alt_text_population(w)


def test_crosschecks_flag_every_mismatch_with_both_rows(config):
    from justice_tracker.reconcile import reconcile

    results = reconcile(config)
    html = chapter.crosschecks(results).html
    bad = results[results["status"] == "mismatch"]
    assert html.count("<li>", html.index("<details>")) >= len(bad) > 0
    for _, r in bad.iterrows():
        assert r["ref_a"] in html and r["ref_b"] in html
    assert 'class="jct-flag"' in html


def test_chart_block_has_view_static_svg_alt_table_and_source(data, config):
    weekly, _, breaks = data
    block = chapter.population_chart(weekly, breaks, config).html
    assert 'id="vis-population-vs-capacity"' in block
    assert re.search(r'<noscript><img class="jct-chart-static" src="(\.\./)*charts/population-vs-capacity/'
                     r'population-vs-capacity\.svg" alt="Line chart', block)
    assert block.count("<tr>") == min(len(weekly), MAX_TABLE_ROWS) + 1
    assert f"the latest {MAX_TABLE_ROWS} of {len(weekly):,} rows" in block
    assert "Ministry of Justice" in block and "Walk Forward Research" in block
    assert '"description":"Line chart' in block
    assert_charts_run_no_inline_code(block)


def test_projection_scores_compare_each_passed_central_projection_with_the_nearest_bulletin(data, config):
    from justice_tracker.chapters.common import load_table

    weekly = data[0]
    projections = load_table(config, "projections")
    scores = chapter.projection_scores(weekly, projections)
    assert len(scores) > 50
    assert (scores["error"] == scores["projected"] - scores["outturn"]).all()
    assert ((scores["outturn_date"] - scores["target_date"]).abs() <= pd.Timedelta(days=7)).all()
    assert (scores["target_date"] <= weekly["date"].max()).all()
    row = scores.iloc[0]
    assert weekly.loc[weekly["date"] == row["outturn_date"], "population"].iloc[0] == row["outturn"]
    html = chapter.scorecard(scores).html
    assert f"{(scores['error'] > 0).mean() * 100:.0f}% of all scored projections were above" in html


def test_countdown_extrapolates_the_headroom_trend(config):
    dates = pd.date_range("2026-01-05", periods=30, freq="7D")
    w = _synthetic(dates, [88000 + 100 * i for i in range(30)], [90000] * 30)  # headroom falls 100 a week
    text = chapter.countdown(w).html
    last = w.iloc[-1]
    weeks_left = last["headroom"] / 100
    zero = last["date"] + pd.Timedelta(days=weeks_left * 7)
    assert "fell by about 100 places a week" in text
    assert f"{zero.day} {zero.strftime('%B %Y')}" in text
    rising = _synthetic(dates, [88000 - 50 * i for i in range(30)], [90000] * 30)
    assert "would not reach zero" in chapter.countdown(rising).html


def test_emergency_measures_are_dated_cited_and_drawn(data, config):
    measures = chapter.emergency_measures()
    assert {"sds40", "operation-safeguard", "hdc"} <= set(measures["measure"])
    assert measures["url"].str.startswith("https://").all() and (measures["verification"].str.len() > 10).all()
    block = chapter.recent_chart(data[0], measures, config).html
    shown = measures[pd.to_datetime(measures["date"]) >= pd.Timestamp("2022-07-01")]
    assert f"with {len(shown)} emergency measures marked" in block
    note = chapter.measures_note(measures).html
    for _, m in measures.iterrows():
        assert m["url"] in note


def test_crowding_chart_leaves_the_2016_2018_gap_and_uses_in_use_cna(config):
    from justice_tracker.chapters.common import load_table

    legacy, monthly = load_table(config, "monthly_totals_legacy"), load_table(config, "monthly_estate_totals")
    block = chapter.crowding_chart(legacy, monthly, config).html
    assert "with a gap between 27 May 2016 and 23 March 2018" in block
    latest = monthly.iloc[-1]
    assert f"{latest['sum_population'] / latest['sum_in_use_cna'] * 100:.1f}%" in block
