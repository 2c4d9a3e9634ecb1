"""The scenario explorer's model ("What would it take?"): prison population against useable capacity, week by week
for two years from the latest weekly bulletin, under levers a reader moves.

The model is defined here once. The browser runs the same arithmetic in _static/jct-scenario.js, so every rule is
integer arithmetic on people, with the one rounding rule (the phasing of the recall change) written out, and the
two tests (tests/test_scenario.py and tests/test_scenario_browser.py) hold the two to the same person.

For week t = 0, 1, ..., 104 after the latest bulletin (t = 0 is the bulletin itself):

    population(t) = P0 + growth * t + recall(t) - (release if t >= release_week else 0)
    recall(t)     = sign(recall) * floor(|recall| * min(t, recall_weeks) / recall_weeks)
    capacity(t)   = OC0 + (places if t >= places_week else 0) - margin
    headroom(t)   = capacity(t) - population(t)
    places_week   = ceil(places_month * 52 / 12)  (computed as (13 * places_month + 2) // 3)

where P0 is the bulletin's population and OC0 its operational capacity before the operating margin is held back:
useable operational capacity plus the bulletin's operating margin. With the margin at the bulletin's own figure,
capacity(0) is the published useable operational capacity and headroom(0) the published headroom. Headroom runs
out in the first week in which headroom(t) < 0 (the population would eat into the margin).

The default growth is the least-squares slope of the population over the latest 26 bulletins, in people a week
(x is days since the first of them divided by 7, so a missed week is spaced as it happened), rounded to a whole
person with halves away from zero. Only this default involves a fraction, and it is computed here, not in the
browser.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import pandas as pd

WEEKS = 104
TREND_BULLETINS = 26

# The estates a reader can choose: the bulletin's columns for each.
ESTATES = {
    "whole": {"label": "the whole prison estate", "name": "Whole estate", "population": "population",
              "uoc": "uoc", "margin": "operating_margin"},
    "adult-male": {"label": "the adult male estate", "name": "Adult male estate",
                   "population": "population_adult_male", "uoc": "uoc_adult_male",
                   "margin": "operating_margin_adult_male"},
}


@dataclass(frozen=True)
class Lever:
    name: str
    label: str
    unit: str
    minimum: int
    maximum: int
    default: int | None  # None: the default depends on the estate (growth and margin), see defaults()
    help: str


LEVERS = (
    Lever("growth", "Underlying growth in the population", "people a week", -500, 500, None,
          "The default is the trend of the latest 26 weekly bulletins."),
    Lever("recall", "Change in the recall population", "people", -10000, 10000, 0,
          "Negative: fewer people held on recall. Phased in evenly over the weeks below."),
    Lever("recall_weeks", "Weeks over which the recall change is phased in", "weeks", 1, WEEKS, 26,
          "The full change is reached in this week and kept after it."),
    Lever("release", "People released early, one-off", "people", 0, 20000, 0,
          "A one-off release measure: this many fewer people from the week below on."),
    Lever("release_week", "Week of the early release", "week", 1, WEEKS, 4,
          "Weeks after the latest bulletin."),
    Lever("places", "New places", "places", 0, 20000, 0,
          "No dated delivery schedule can be cited, so none is assumed; add places here."),
    Lever("places_month", "Months until the new places open", "months", 0, 24, 12,
          "Delay the places by moving this on."),
    Lever("margin", "Operating margin to keep free", "places", 0, 5000, None,
          "The default is the margin the bulletin holds back from capacity."),
)
LEVER_NAMES = tuple(lever.name for lever in LEVERS)


@dataclass(frozen=True)
class Start:
    """The latest weekly bulletin, for one estate."""

    date: str  # ISO date of the bulletin
    population: int
    uoc: int  # useable operational capacity, as published
    margin: int  # the operating margin the bulletin holds back

    @property
    def operational(self) -> int:
        return self.uoc + self.margin


@dataclass(frozen=True)
class Week:
    week: int
    date: str
    population: int
    capacity: int
    headroom: int


def round_half_away(x: float) -> int:
    """Round to a whole number, halves away from zero (2.5 -> 3, -2.5 -> -3), unlike Python's round()."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def places_week(months: int) -> int:
    """The first week the new places count: months * 52 / 12 weeks, rounded up."""
    return (13 * months + 2) // 3


def recall_change(recall: int, recall_weeks: int, t: int) -> int:
    """The recall change reached by week t: a straight line from 0 at t = 0 to the full change at recall_weeks,
    each week's value rounded towards zero (so it never overshoots)."""
    share = abs(recall) * min(t, recall_weeks) // recall_weeks
    return share if recall >= 0 else -share


def clamp(levers: dict[str, int]) -> dict[str, int]:
    """Each lever held within its range (a shared link may carry any number)."""
    bounds = {lever.name: lever for lever in LEVERS}
    return {k: min(max(int(v), bounds[k].minimum), bounds[k].maximum) for k, v in levers.items()}


def project(start: Start, levers: dict[str, int]) -> list[Week]:
    """Weeks 0 to 104 under the levers (every lever named in LEVERS must be given, as whole numbers)."""
    missing = set(LEVER_NAMES) - set(levers)
    if missing:
        raise ValueError(f"levers missing: {sorted(missing)}")
    lv = clamp({k: levers[k] for k in LEVER_NAMES})
    opens = places_week(lv["places_month"])
    first = pd.Timestamp(start.date)
    weeks = []
    for t in range(WEEKS + 1):
        population = (start.population + lv["growth"] * t + recall_change(lv["recall"], lv["recall_weeks"], t)
                      - (lv["release"] if t >= lv["release_week"] else 0))
        capacity = start.operational + (lv["places"] if t >= opens else 0) - lv["margin"]
        date = (first + pd.Timedelta(days=7 * t)).date().isoformat()
        weeks.append(Week(t, date, population, capacity, capacity - population))
    return weeks


@dataclass(frozen=True)
class Outcome:
    runs_out: Week | None  # the first week with headroom below zero
    lowest: Week  # the first week with the lowest headroom
    end: Week


def outcome(weeks: list[Week]) -> Outcome:
    runs_out = next((w for w in weeks if w.headroom < 0), None)
    lowest = min(weeks, key=lambda w: (w.headroom, w.week))
    return Outcome(runs_out, lowest, weeks[-1])


def fmt_people(n: int) -> str:
    return f"{n:,}"


def fmt_day(iso: str) -> str:
    ts = pd.Timestamp(iso)
    return f"{ts.day} {ts.strftime('%B %Y')}"


def sentence(estate: str, weeks: list[Week], margin: int) -> str:
    """The result in words. jct-scenario.js writes the same sentence, word for word."""
    label = ESTATES[estate]["label"]
    result = outcome(weeks)
    w = result.runs_out
    if w is not None and w.week == 0:
        return (f"With an operating margin of {fmt_people(margin)} places, {label} is already short of places at "
                f"the latest bulletin ({fmt_day(w.date)}): {fmt_people(w.population)} people for "
                f"{fmt_people(w.capacity)} places.")
    if w is not None:
        return (f"On these settings {label} runs out of places in the week of {fmt_day(w.date)}, {w.week} weeks "
                f"after the latest bulletin: {fmt_people(w.population)} people for {fmt_people(w.capacity)} "
                f"places, keeping an operating margin of {fmt_people(margin)}.")
    low, end = result.lowest, result.end
    return (f"On these settings {label} does not run out of places within two years: headroom is lowest at "
            f"{fmt_people(low.headroom)} places in the week of {fmt_day(low.date)}, and is "
            f"{fmt_people(end.headroom)} in the week of {fmt_day(end.date)}.")


def trend_slope(dates: pd.Series, values: pd.Series) -> float:
    """Least-squares slope of values against time, in units a week."""
    x = (pd.to_datetime(dates) - pd.to_datetime(dates).min()).dt.days.to_numpy(dtype=float) / 7
    y = values.to_numpy(dtype=float)
    dx = x - x.mean()
    return float((dx * (y - y.mean())).sum() / (dx * dx).sum())


def _series(weekly: pd.DataFrame, column: str) -> pd.DataFrame:
    frame = weekly[["date", column]].dropna().copy()
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.sort_values("date").reset_index(drop=True)


def trends(weekly: pd.DataFrame, column: str) -> dict:
    """The default growth (the trend of the latest 26 bulletins) and the range of the 26-bulletin trends ending
    on each bulletin of the latest year."""
    frame = _series(weekly, column)
    if len(frame) < TREND_BULLETINS:
        raise ValueError(f"{column}: {len(frame)} bulletins, fewer than the {TREND_BULLETINS} the trend needs")
    latest = frame["date"].iloc[-1]
    slopes = []
    for end in range(TREND_BULLETINS, len(frame) + 1):
        if frame["date"].iloc[end - 1] > latest - pd.Timedelta(days=365):
            window = frame.iloc[end - TREND_BULLETINS:end]
            slopes.append(trend_slope(window["date"], window[column]))
    return {"growth": round_half_away(slopes[-1]), "slope": round(slopes[-1], 2),
            "low": round_half_away(min(slopes)), "high": round_half_away(max(slopes)), "windows": len(slopes),
            "from": frame["date"].iloc[-TREND_BULLETINS].date().isoformat(), "to": latest.date().isoformat()}


def start_of(weekly: pd.DataFrame, estate: str) -> Start:
    cols = ESTATES[estate]
    frame = weekly.dropna(subset=[cols["population"], cols["uoc"], cols["margin"]])
    row = frame.sort_values("date").iloc[-1]
    return Start(pd.Timestamp(row["date"]).date().isoformat(), int(row[cols["population"]]), int(row[cols["uoc"]]),
                 int(row[cols["margin"]]))


def defaults(weekly: pd.DataFrame, estate: str) -> dict[str, int]:
    levers = {lever.name: lever.default for lever in LEVERS}
    levers["growth"] = trends(weekly, ESTATES[estate]["population"])["growth"]
    levers["margin"] = start_of(weekly, estate).margin
    return clamp(levers)


# The chart's series, in the order of its legend; the browser builds the same rows.
SERIES = ("Population, actual", "Useable capacity, actual", "MoJ central projection", "Population, scenario",
          "Useable capacity, scenario")
HISTORY_WEEKS = 52


def latest_projection(projections: pd.DataFrame) -> tuple[str, list[dict]]:
    """The latest edition's central projection, with the outturn it starts from."""
    frame = projections.copy()
    frame["ref_date"] = pd.to_datetime(frame["ref_date"])
    edition = frame.sort_values(["edition_year", "edition"]).iloc[-1]["edition"]
    rows = frame[(frame["edition"] == edition) & frame["scenario"].isin(["central", "actual"])].sort_values("ref_date")
    return str(edition), [{"date": d.date().isoformat(), "people": int(v), "kind": k}
                          for d, v, k in zip(rows["ref_date"], rows["total"], rows["scenario"])]


def inputs(weekly: pd.DataFrame, projections: pd.DataFrame) -> dict:
    """Everything the page's script needs: the levers, each estate's start, defaults, trend range, the latest
    year of bulletins, and MoJ's latest central projection (whole estate only: MoJ projects no estate split)."""
    edition, projection = latest_projection(projections)
    estates = {}
    for key, cols in ESTATES.items():
        start = start_of(weekly, key)
        hist = _series(weekly, cols["population"]).merge(_series(weekly, cols["uoc"]), on="date")
        hist = hist[hist["date"] > pd.Timestamp(start.date) - pd.Timedelta(weeks=HISTORY_WEEKS)]
        estates[key] = {
            "label": cols["label"], "name": cols["name"], "start": asdict(start),
            "defaults": defaults(weekly, key), "trend": trends(weekly, cols["population"]),
            "history": [[d.date().isoformat(), int(p), int(c)]
                        for d, p, c in zip(hist["date"], hist[cols["population"]], hist[cols["uoc"]])],
            "projection": projection if key == "whole" else [],
        }
    return {"weeks": WEEKS, "projection_edition": edition, "series": list(SERIES), "estates": estates,
            "levers": [asdict(lever) for lever in LEVERS]}


def chart_rows(data: dict, estate: str, weeks: list[Week]) -> list[dict]:
    """The chart's data in long form: the latest year of bulletins, MoJ's projection within the chart's dates,
    and the scenario. The browser builds the same rows (jct-scenario.js rows())."""
    e = data["estates"][estate]
    last = weeks[-1].date
    first = e["history"][0][0] if e["history"] else weeks[0].date
    rows = [{"date": d, "series": SERIES[0], "people": p} for d, p, _ in e["history"]]
    rows += [{"date": d, "series": SERIES[1], "people": c} for d, _, c in e["history"]]
    rows += [{"date": p["date"], "series": SERIES[2], "people": p["people"]} for p in e["projection"]
             if first <= p["date"] <= last]
    rows += [{"date": w.date, "series": SERIES[3], "people": w.population} for w in weeks]
    rows += [{"date": w.date, "series": SERIES[4], "people": w.capacity} for w in weeks]
    return rows
