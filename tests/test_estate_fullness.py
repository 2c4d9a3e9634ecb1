"""The adult male estate against the whole estate, the emergency measures and the projections marked as overtaken:
every figure and every comparison word is checked against the weekly series it comes from."""
import json
import re

import pandas as pd
import pytest

from justice_tracker.chapters import population as chapter
from justice_tracker.chapters.common import load_table
from justice_tracker.ingest.weekly import margin_effect
from support.chart_specs import only_spec


@pytest.fixture(scope="module")
def weekly(config):
    return chapter.load(config, "weekly_population_capacity", "weekly_population_prt", "definitional_breaks",
                        "2011-01-01")[0]


@pytest.fixture(scope="module")
def measures():
    return chapter.emergency_measures()


def _split_rows(weekly):
    return weekly.dropna(subset=["population_adult_male", "uoc_adult_male"])


def _synthetic(pct_pairs):
    """Weekly rows with adult male and whole-estate figures giving the (adult male %, whole estate %) asked for."""
    dates = pd.date_range("2030-01-06", periods=len(pct_pairs), freq="7D")
    uoc_am, uoc = 80000, 90000
    d = pd.DataFrame({"date": dates,
                      "population_adult_male": [round(uoc_am * a / 100) for a, _ in pct_pairs],
                      "uoc_adult_male": uoc_am,
                      "population": [round(uoc * w / 100) for _, w in pct_pairs], "uoc": uoc})
    d["bulletin_url"] = "https://example.org/b.ods"
    d["bulletin_title"] = "Population bulletin: weekly"
    d["source_file"] = "weekly.csv"
    d["row_ref"] = [f"line {i + 2}" for i in range(len(d))]
    return d


def _spec(block_html: str) -> dict:
    return only_spec(block_html)


def _rule_dates(spec: dict) -> set[str]:
    """Dates of the emergency-measure lines: the rule layers whose records carry a measure's label."""
    out = set()
    for layer in spec.get("layer", []):
        mark = layer.get("mark", {})
        if (mark if isinstance(mark, str) else mark.get("type")) == "rule" and "name" in layer.get("data", {}):
            out |= {r["date"][:10] for r in spec["datasets"][layer["data"]["name"]] if "label" in r}
    return out


def test_tile_adult_male_share_is_population_over_capacity_in_the_latest_bulletin(weekly, config):
    latest = _split_rows(weekly).iloc[-1]
    tile = chapter.fullness_tile(weekly, config).html
    assert f"{latest['population_adult_male'] / latest['uoc_adult_male'] * 100:.1f}%" in tile
    assert f"{latest['population'] / latest['uoc'] * 100:.1f}%" in tile
    assert f"{int(latest['uoc_adult_male'] - latest['population_adult_male']):,}" in tile
    assert f"{latest['date'].day} {latest['date'].strftime('%B %Y')}" in tile


def test_countdown_line_and_comparisons_match_the_series(weekly):
    split = _split_rows(weekly)
    am = split["population_adult_male"] / split["uoc_adult_male"] * 100
    whole = split["population"] / split["uoc"] * 100
    text = chapter.fullness_summary(weekly).html
    last = split.iloc[-1]
    free = int(last["uoc_adult_male"] - last["population_adult_male"])
    assert f"{free:,} places free in the adult male estate on {last['date'].day} {last['date'].strftime('%B %Y')}" in text
    fuller = int((am > whole).sum())
    if fuller == len(split):
        assert f"In every one of the {len(split)} weekly bulletins" in text
    else:
        assert f"In {fuller} of the {len(split)} weekly bulletins" in text
    assert "fuller than the estate as a whole" in text
    peak = am.idxmax()
    assert f"fullest on {split.loc[peak, 'date'].day} {split.loc[peak, 'date'].strftime('%B %Y')}: {am[peak]:.1f}% in use" in text
    assert f"whole estate was {whole[peak]:.1f}% full" in text
    assert f"{int((am >= 99).sum())} bulletins showed it 99% full or more" in text


def test_comparison_words_follow_the_data_when_the_whole_estate_is_fuller():
    w = _synthetic([(98.0, 97.0), (96.0, 97.5), (97.0, 96.0)])
    text = chapter.fullness_summary(w).html
    assert "In 2 of the 3 weekly bulletins" in text
    assert "No bulletin since then showed the adult male estate 99% full or more" in text
    assert "fullest on 6 January 2030: 98.0% in use" in text


def test_spring_2025_adult_male_estate_about_99_percent_full_but_the_whole_estate_not_97(weekly):
    """The audit's claim, checked against the weekly series for March to May 2025."""
    spring = _split_rows(weekly)
    spring = spring[(spring["date"] >= "2025-03-01") & (spring["date"] <= "2025-05-31")]
    am = spring["population_adult_male"] / spring["uoc_adult_male"] * 100
    whole = spring["population"] / spring["uoc"] * 100
    assert len(spring) >= 8
    assert round(am.max()) == 99  # the adult male estate was about 99% full
    assert (am > whole).all()  # and fuller than the whole estate every week
    # The whole estate was not about 97% full that spring: it was nearer 99% in the adult male estate's worst week.
    assert whole.loc[am.idxmax()] > 98 and whole.min() > 97.5


def test_fullness_chart_draws_both_series_and_the_measures_in_its_range(weekly, measures, config):
    block = chapter.fullness_chart(weekly, measures, config).html
    spec = _spec(block)
    split = _split_rows(weekly)
    dates = pd.to_datetime(measures["date"])
    inside = measures[(dates >= split["date"].min()) & (dates <= split["date"].max())]
    assert _rule_dates(spec) == set(inside["date"])
    assert len(inside) > 0
    series = {r["series"] for records in spec["datasets"].values() for r in records if "series" in r}
    assert series == {"Adult male estate", "Whole estate"}


def test_every_emergency_measure_is_drawn_on_its_date(weekly, measures, config):
    block = chapter.recent_chart(weekly, measures, config).html
    assert _rule_dates(_spec(block)) == set(measures.loc[pd.to_datetime(measures["date"]) >= "2022-07-01", "date"])
    assert {"ecsl", "sds40", "hdc", "operation-safeguard"} <= set(measures["measure"])


def test_curated_measures_are_cited_and_their_counts_are_in_the_quote(measures):
    for _, m in measures.iterrows():
        assert m["url"].startswith("https://") and len(m["reference"]) >= 3 and len(m["title"]) >= 5
        assert m["quote"] or "no quotation taken" in m["verification"], m["label"]
        for count in re.findall(r"([\d,]+) [^.]*\(a count\)", m["detail"]):
            assert count in m["quote"], (m["label"], count)
    hdc_365 = measures[measures["label"].str.contains("180 to 365")]
    assert list(hdc_365["date"]) == ["2025-06-03"] and "3rd June 2025" in hdc_365["quote"].iloc[0]
    ecsl = measures[measures["measure"] == "ecsl"].sort_values("date")
    assert list(ecsl["date"]) == ["2023-10-17", "2024-09-09"]
    assert "17 October 2023" in ecsl["quote"].iloc[0] and "9 September 2024" in ecsl["quote"].iloc[1]


def test_operating_margin_notes_state_the_direction_from_the_margins(config, weekly):
    breaks = load_table(config, "definitional_breaks", parse_dates=["date"])
    margins = breaks[breaks["kind"] == "operating_margin"]
    assert len(margins) > 5
    for _, b in margins.iterrows():
        before, after = (int(x.replace(",", "")) for x in re.findall(r"[\d,]+", b["label"]))
        if after > before:
            assert f"Raising the margin by {after - before:,} places lowers published" in b["detail"]
            assert "raises published headroom" not in b["detail"]
        else:
            assert f"Lowering the margin by {before - after:,} places raises published" in b["detail"]
    # The July 2025 rise against the weekly bulletins' own margin rows: the margin went up, so headroom went down.
    july = margins[margins["date"] == "2025-07-28"].iloc[0]
    was = weekly.loc[weekly["date"] < july["date"], "operating_margin"].iloc[-1]
    now = weekly.loc[weekly["date"] == july["date"], "operating_margin"].iloc[0]
    assert now > was and f"Raising the margin by {int(now - was):,} places lowers" in july["detail"]
    assert "lowers" in margin_effect(1350, 1640) and "raises" in margin_effect(2000, 1950)


def test_projections_overtaken_by_a_later_release_policy_are_marked(weekly, measures, config):
    projections = load_table(config, "projections")
    starts = chapter.policy_starts(measures)
    assert set(starts["measure"]) == {"ecsl", "sds40"}
    editions = chapter.overtaken_editions(projections, measures)
    for _, e in editions.iterrows():
        later = starts[(starts["start"] > e["base_date"]) & (starts["start"] <= e["last_date"])]
        assert (e["overtaken_by"] != "") == (len(later) > 0), e["edition"]
    marked = editions[editions["overtaken_by"] != ""]
    assert len(marked) > 0 and len(marked) < len(editions)

    scores = chapter.projection_scores(weekly, projections, measures)
    after = scores[scores["after_policy"] != ""]
    assert set(after["edition"]) <= set(marked["edition"])
    for _, s in after.iterrows():
        start = starts.loc[starts["policy"] == s["after_policy"].split("; ")[-1], "start"].iloc[0]
        assert s["target_date"] >= start
    card = chapter.scorecard(scores).html
    rest = scores[scores["after_policy"] == ""]
    assert f"{len(after)} of the scored dates fall after a release policy" in card
    assert f"Leaving them out, the mean error is {rest['error'].mean():+,.0f} people" in card

    block = chapter.projections_chart(weekly, projections, config, measures).html
    assert "assumes the policy in force when it was made" in block
    for edition in marked["edition"]:
        assert edition in chapter.projections_note(projections, measures).html
    ringed = {r["edition"] for records in _spec(block)["datasets"].values() for r in records
              if r.get("after_policy") not in (None, "none") and "total" in r}
    assert ringed == set(marked["edition"])
