"""The scenario explorer's model (justice_tracker/scenario.py): a small case worked by hand, the rounding rules the
browser must copy, and the defaults read from the weekly bulletins."""
from __future__ import annotations

import pandas as pd
import pytest

from justice_tracker import scenario as model
from justice_tracker.paths import REPO_ROOT

SMALL = model.Start("2026-01-05", population=1000, uoc=1100, margin=50)
SMALL_LEVERS = dict(growth=10, recall=-7, recall_weeks=3, release=20, release_week=2, places=100, places_month=1,
                    margin=50)


def test_a_small_case_matches_the_hand_worked_weeks():
    weeks = model.project(SMALL, SMALL_LEVERS)
    # By hand: operational capacity 1,100 + 50 = 1,150; the margin of 50 gives 1,100 useable places until the 100
    # new places count from week (13 * 1 + 2) // 3 = 5. The recall change of -7 over 3 weeks: -2, -4, -7.
    by_week = {w.week: (w.population, w.capacity, w.headroom) for w in weeks}
    assert by_week[0] == (1000, 1100, 100)
    assert by_week[1] == (1000 + 10 - 2, 1100, 92)
    assert by_week[2] == (1000 + 20 - 4 - 20, 1100, 104)
    assert by_week[3] == (1000 + 30 - 7 - 20, 1100, 97)
    assert by_week[4] == (1013, 1100, 87)
    assert by_week[5] == (1023, 1200, 177)
    assert by_week[104] == (1000 + 1040 - 7 - 20, 1200, 1200 - 2013)
    assert [w.date for w in weeks[:3]] == ["2026-01-05", "2026-01-12", "2026-01-19"]
    assert len(weeks) == model.WEEKS + 1
    # 1,000 + 10t - 27 first exceeds 1,200 at t = 23 (1,203); at t = 22 it is 1,193.
    result = model.outcome(weeks)
    assert result.runs_out.week == 23 and result.runs_out.headroom == -3
    assert by_week[22][2] == 7
    assert model.sentence("whole", weeks, 50) == (
        "On these settings the whole prison estate runs out of places in the week of 15 June 2026, 23 weeks after "
        "the latest bulletin: 1,203 people for 1,200 places, keeping an operating margin of 50.")


def test_rounding_rules():
    assert [model.round_half_away(x) for x in (2.5, -2.5, 0.49, -0.5, 38.83, -38.83)] == [3, -3, 0, -1, 39, -39]
    assert [model.places_week(m) for m in (0, 1, 2, 3, 12, 24)] == [0, 5, 9, 13, 52, 104]
    # Towards zero both ways, never past the full change, and kept after it.
    assert [model.recall_change(10, 3, t) for t in range(6)] == [0, 3, 6, 10, 10, 10]
    assert [model.recall_change(-10, 3, t) for t in range(6)] == [0, -3, -6, -10, -10, -10]
    assert [model.recall_change(5, 1, t) for t in range(3)] == [0, 5, 5]


def test_levers_are_clamped_and_all_required():
    wild = dict(SMALL_LEVERS, growth=10**6, recall=-10**6, recall_weeks=0, margin=-5)
    assert model.clamp(wild) == dict(wild, growth=500, recall=-10000, recall_weeks=1, margin=0)
    assert model.project(SMALL, wild) == model.project(SMALL, model.clamp(wild))
    with pytest.raises(ValueError, match="places_month"):
        model.project(SMALL, {k: v for k, v in SMALL_LEVERS.items() if k != "places_month"})


def test_the_three_kinds_of_sentence():
    already = model.project(SMALL, dict(SMALL_LEVERS, margin=200))
    assert model.outcome(already).runs_out.week == 0
    assert model.sentence("adult-male", already, 200).startswith(
        "With an operating margin of 200 places, the adult male estate is already short of places at the latest "
        "bulletin (5 January 2026): 1,000 people for 950 places.")
    never = model.project(SMALL, dict(SMALL_LEVERS, growth=-1))
    result = model.outcome(never)
    assert result.runs_out is None
    # Falling by a person a week, the lowest headroom is the bulletin's own (100 places in week 0; 103 in week 1).
    assert (result.lowest.week, result.lowest.headroom) == (0, 100)
    assert model.sentence("whole", never, 50).startswith(
        "On these settings the whole prison estate does not run out of places within two years: headroom is lowest "
        "at 100 places in the week of 5 January 2026, and is ")


def test_trend_is_a_least_squares_slope_in_people_a_week_with_gaps_spaced_as_they_happened():
    dates = pd.Series(pd.to_datetime(["2026-01-05", "2026-01-12", "2026-01-26", "2026-02-02"]))
    # 30 people a week on the true calendar: the missing week must not be squeezed out.
    values = pd.Series([100, 130, 190, 220])
    assert model.trend_slope(dates, values) == pytest.approx(30.0)


@pytest.fixture(scope="module")
def weekly() -> pd.DataFrame:
    return pd.read_csv(REPO_ROOT / "data" / "processed" / "weekly_population_capacity.csv")


def test_defaults_start_from_the_published_bulletin(weekly):
    latest = weekly.sort_values("date").iloc[-1]
    for estate, suffix in (("whole", ""), ("adult-male", "_adult_male")):
        levers = model.defaults(weekly, estate)
        weeks = model.project(model.start_of(weekly, estate), levers)
        # With the bulletin's own margin, week 0 is the bulletin: its population, UOC and headroom.
        assert weeks[0].date == latest["date"]
        assert weeks[0].population == latest[f"population{suffix}"]
        assert weeks[0].capacity == latest[f"uoc{suffix}"]
        assert weeks[0].headroom == latest[f"headroom{suffix}"]
        assert levers["margin"] == latest[f"operating_margin{suffix}"]
        last26 = weekly.dropna(subset=[f"population{suffix}"]).sort_values("date").tail(26)
        slope = model.trend_slope(last26["date"], last26[f"population{suffix}"])
        assert levers["growth"] == model.round_half_away(slope)
        trend = model.trends(weekly, f"population{suffix}")
        assert trend["low"] <= levers["growth"] <= trend["high"]
        assert levers["recall"] == levers["release"] == levers["places"] == 0


def test_inputs_carry_the_latest_projection_edition_for_the_whole_estate_only(weekly):
    projections = pd.read_csv(REPO_ROOT / "data" / "processed" / "projections.csv")
    data = model.inputs(weekly, projections)
    latest = projections.sort_values("edition_year").iloc[-1]["edition"]
    assert data["projection_edition"] == latest
    central = projections[(projections["edition"] == latest) & (projections["scenario"] == "central")]
    assert sorted(p["people"] for p in data["estates"]["whole"]["projection"] if p["kind"] == "central") == \
        sorted(central["total"].astype(int))
    assert data["estates"]["adult-male"]["projection"] == []
    assert [lv["name"] for lv in data["levers"]] == list(model.LEVER_NAMES)
    weeks = model.project(model.start_of(weekly, "whole"), model.defaults(weekly, "whole"))
    rows = model.chart_rows(data, "whole", weeks)
    assert {r["series"] for r in rows} == set(model.SERIES)
    # The bulletins drawn are the latest year's, up to the bulletin the scenario starts from.
    actual = [r["date"] for r in rows if r["series"] == model.SERIES[0]]
    assert max(actual) == weeks[0].date and len(actual) == len(data["estates"]["whole"]["history"]) > 40
