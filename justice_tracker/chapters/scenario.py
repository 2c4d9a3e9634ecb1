"""Page: "What would it take?", the scenario explorer. The model is justice_tracker/scenario.py; this module lays out
the page: the levers (shown by _static/jct-scenario.js), the default scenario as a static chart, and how the model
works, with every default and its source."""
from __future__ import annotations

import json

import altair as alt
import pandas as pd
from markupsafe import Markup

from .. import scenario as model
from ..charts import CHARTS_DIR, COLOURS, ChartBlock, _script_json, chart_files_prefix, render_chart
from ..config import TrackerConfig, load_config
from ..facts import load_facts
from ..templates import render
from .common import HtmlBlock, attribution_html, load_table

CHART_ID = "scenario"
# The page's inputs as a file a reader can take away (and the page carries the same JSON inline for its script).
FILES_ID = "scenario-explorer"
INPUTS_FILE = "scenario-inputs.json"
# Facts (data/curated/facts.csv) the page quotes on new places: a target and progress, but no dated schedule.
PLACES_FACTS = ("moj-2024-capacity-strategy-places", "hansard-2025-places-delivered")


def config() -> TrackerConfig:
    return load_config()


def load(config: TrackerConfig, weekly_table: str, projections_table: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    return load_table(config, weekly_table), load_table(config, projections_table)


def _default(weekly: pd.DataFrame, estate: str = "whole"):
    levers = model.defaults(weekly, estate)
    weeks = model.project(model.start_of(weekly, estate), levers)
    return levers, weeks


def _source_html(config: TrackerConfig) -> str:
    return attribution_html(config, ["wfr-weekly", "wfr-projections"], short=True)


def explorer(weekly: pd.DataFrame, projections: pd.DataFrame) -> HtmlBlock:
    """The levers, the result (the default scenario's until the script runs) and the page's inputs as JSON."""
    data = model.inputs(weekly, projections)
    from ..files import atomic_write_text

    atomic_write_text(CHARTS_DIR / FILES_ID / INPUTS_FILE, json.dumps(data, indent=1, sort_keys=True) + "\n",
                      durable=False)
    levers, weeks = _default(weekly)
    result = model.outcome(weeks)
    estate = data["estates"]["whole"]
    ranges = {lv.name: f"{lv.minimum:,} to {lv.maximum:,}" for lv in model.LEVERS}
    return HtmlBlock(render(
        "scenario_explorer.html", levers=model.LEVERS, values=levers, ranges=ranges, estates=model.ESTATES,
        trend=estate["trend"], runs_out=_runs_out_text(result), lowest=_lowest_text(result),
        sentence=model.sentence("whole", weeks, levers["margin"]), inputs_json=_script_json(data),
        inputs_href=chart_files_prefix(FILES_ID) + INPUTS_FILE, inputs_file=f"{FILES_ID}/{INPUTS_FILE}",
        chart_id=CHART_ID))


def _runs_out_text(result: model.Outcome) -> str:
    w = result.runs_out
    if w is None:
        return "not within two years"
    return f"week of {model.fmt_day(w.date)} ({w.week} weeks on)"


def _lowest_text(result: model.Outcome) -> str:
    w = result.lowest
    return f"{model.fmt_people(w.headroom)} places, week of {model.fmt_day(w.date)}"


def default_chart(weekly: pd.DataFrame, projections: pd.DataFrame, config: TrackerConfig) -> ChartBlock:
    """The default scenario (whole estate) as a chart every reader gets; the script redraws it from the same spec
    as the levers move, replacing only its data."""
    data = model.inputs(weekly, projections)
    levers, weeks = _default(weekly)
    rows = model.chart_rows(data, "whole", weeks)
    colours = [COLOURS["population"], COLOURS["capacity"], COLOURS["break"], COLOURS["population"],
               COLOURS["capacity"]]
    dashes = [[1, 0], [1, 0], [2, 2], [6, 3], [6, 3]]
    domain = list(model.SERIES)
    base = alt.Chart(alt.NamedData("series"))
    lines = base.mark_line(strokeWidth=1.8).encode(
        x=alt.X("date:T", title=None),
        y=alt.Y("people:Q", title="People / places", scale=alt.Scale(zero=False)),
        color=alt.Color("series:N", title=None, scale=alt.Scale(domain=domain, range=colours),
                        legend=alt.Legend(orient="top", columns=2)),
        strokeDash=alt.StrokeDash("series:N", legend=None, scale=alt.Scale(domain=domain, range=dashes)),
        tooltip=[alt.Tooltip("date:T", title="Week", format="%d %b %Y"), alt.Tooltip("series:N", title="Series"),
                 alt.Tooltip("people:Q", title="People / places", format=",")],
    )
    points = base.transform_filter(alt.datum.series == model.SERIES[2]).mark_point(
        filled=True, size=40, color=COLOURS["break"]).encode(x="date:T", y="people:Q")
    chart = (lines + points).properties(width="container", height=340, datasets={"series": rows})
    table = pd.DataFrame([{"week": w.week, "date": w.date, "population": w.population,
                           "useable_capacity": w.capacity, "headroom": w.headroom} for w in weeks])
    sentence = model.sentence("whole", weeks, levers["margin"])
    alt_text = (f"Line chart of the default scenario for the whole prison estate, from the weekly bulletin of "
                f"{model.fmt_day(weeks[0].date)} ({model.fmt_people(weeks[0].population)} people, "
                f"{model.fmt_people(weeks[0].capacity)} useable places) two years ahead, with the latest year of "
                f"bulletins and MoJ's {data['projection_edition']} central projection. {sentence}")
    return render_chart(chart, chart_id=CHART_ID,
                        title="What would it take? Population against useable capacity, two years ahead "
                              "(illustrative scenario, not a forecast)",
                        alt_text=alt_text, table=table, source_html=_source_html(config),
                        table_formats={"population": "{:,}", "useable_capacity": "{:,}", "headroom": "{:,}"})


def method(weekly: pd.DataFrame, projections: pd.DataFrame) -> HtmlBlock:
    """How the model works: every formula and default, with its source."""
    data = model.inputs(weekly, projections)
    latest = weekly.sort_values("date").iloc[-1]
    facts = {f.fact_id: f for f in load_facts() if f.fact_id in PLACES_FACTS}
    estates = []
    for key, e in data["estates"].items():
        s = e["start"]
        estates.append(dict(name=e["name"], date=model.fmt_day(s["date"]), population=s["population"],
                            uoc=s["uoc"], margin=s["margin"], operational=s["uoc"] + s["margin"],
                            trend=e["trend"], trend_from=model.fmt_day(e["trend"]["from"])))
    projection = data["estates"]["whole"]["projection"]
    return HtmlBlock(render(
        "scenario_method.html", estates=estates, bulletin_title=str(latest["bulletin_title"]),
        bulletin_url=str(latest["bulletin_url"]), weeks=model.WEEKS, trend_bulletins=model.TREND_BULLETINS,
        edition=data["projection_edition"],
        projection=[dict(date=model.fmt_day(p["date"]), people=p["people"], kind=p["kind"]) for p in projection],
        facts=[facts[i] for i in PLACES_FACTS if i in facts], levers=model.LEVERS,
        source_html=Markup(_source_html(load_config()))))
