"""Chapter: prison population and capacity. Everything the notebook shows is computed here, from processed tables."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

import altair as alt
import pandas as pd

from ..charts import COLOURS, ChartBlock, fmt_date, fmt_int, render_chart
from ..config import TrackerConfig, load_config
from .common import HtmlBlock, TileMeasure, attribution_html, load_table, next_release_text, observations
from .common import headline_tile as headline_tile_html
from .common import provenance_details
from .common import table_region
from .marks import DateLines, LineKind, date_lines, joined, layered


@dataclass(frozen=True)
class Headline:
    latest: pd.Series
    previous: pd.Series
    year_ago: pd.Series | None


def load(config: TrackerConfig, weekly_table: str, prt_table: str, breaks_table: str, since: str):
    weekly = load_table(config, weekly_table, parse_dates=["date"])
    weekly = weekly[weekly["date"] >= pd.Timestamp(since)].reset_index(drop=True)
    prt = load_table(config, prt_table, parse_dates=["date"])
    breaks = load_table(config, breaks_table, parse_dates=["date"])
    return weekly, prt, breaks


def headline(weekly: pd.DataFrame) -> Headline:
    """Latest bulletin, the one before, and the bulletin nearest to 52 weeks earlier (within 10 days)."""
    if len(weekly) < 2:
        raise ValueError("need at least two weekly bulletins for a headline")
    latest, previous = weekly.iloc[-1], weekly.iloc[-2]
    target = latest["date"] - pd.Timedelta(days=364)
    gaps = (weekly["date"] - target).abs()
    i = int(gaps.idxmin())
    year_ago = weekly.loc[i] if gaps.loc[i] <= pd.Timedelta(days=10) else None
    return Headline(latest, previous, year_ago)


def _weekly_tile(frame: pd.DataFrame, config: TrackerConfig, heading: str, rows: list[tuple], about: str = ""
                 ) -> HtmlBlock:
    """A tile of figures from the latest weekly bulletin: (label, column, format, change unit, decimals) each."""
    latest = frame.iloc[-1]
    measures = []
    for label, col, fmt, unit, dec in rows:
        now, prev, ago = observations(frame, "date", col, tolerance_days=10)
        measures.append(TileMeasure(label, now, prev, ago, fmt=fmt, change_unit=unit, decimals=dec))
    release = (
        f'Bulletin of {fmt_date(latest["date"])}: '
        f'<a href="{html.escape(latest["bulletin_url"], quote=True)}">{html.escape(latest["bulletin_title"])}</a> '
        f'(Ministry of Justice){about}.'
        + provenance_details(f'{html.escape(latest["source_file"])} {html.escape(latest["row_ref"])}.')
    )
    nxt = next_release_text(config, "wfr-weekly", latest["date"].strftime("%Y-%m-%d"), weekly=True)
    return headline_tile_html(f"{heading}: {fmt_date(latest['date'])}", measures, release, nxt,
                              period_word="previous bulletin")


def headline_tile(weekly: pd.DataFrame, config: TrackerConfig) -> HtmlBlock:
    return _weekly_tile(weekly, config, "Latest weekly bulletin",
                        [("Prison population", "population", "{:,.0f}", "", 0),
                         ("Useable operational capacity", "uoc", "{:,.0f}", "", 0),
                         ("Headroom (places free)", "headroom", "{:,.0f}", "", 0),
                         ("Capacity in use", "pct_uoc_in_use", "{:.1f}%", " points", 1)])


def summary(weekly: pd.DataFrame) -> HtmlBlock:
    first, last = weekly.iloc[0], weekly.iloc[-1]
    low = weekly.loc[weekly["headroom"].idxmin()]
    pop_dir = "rose" if last["population"] > first["population"] else "fell"
    text = (
        f"On {fmt_date(last['date'])} the prisons of England and Wales held {fmt_int(last['population'])} people "
        f"against a useable operational capacity of {fmt_int(last['uoc'])}: {fmt_int(last['headroom'])} places of "
        f"headroom, with {last['pct_uoc_in_use']:.1f}% of capacity in use. Since the first bulletin of "
        f"{first['date'].year} ({fmt_date(first['date'])}: {fmt_int(first['population'])} people, "
        f"{fmt_int(first['headroom'])} places free) the population {pop_dir} by "
        f"{fmt_int(abs(last['population'] - first['population']))}. Headroom was lowest on "
        f"{fmt_date(low['date'])}, at {fmt_int(low['headroom'])} places ({low['pct_uoc_in_use']:.1f}% in use)."
    )
    return HtmlBlock(f'<p class="jct-summary">{html.escape(text)}</p>')


def alt_text_population(weekly: pd.DataFrame) -> str:
    first, last = weekly.iloc[0], weekly.iloc[-1]
    peak = weekly.loc[weekly["population"].idxmax()]
    verb = "rose" if last["population"] > first["population"] else "fell"
    return (
        f"Line chart of the weekly prison population and useable operational capacity in England and Wales, "
        f"{fmt_date(first['date'])} to {fmt_date(last['date'])}. The population {verb} from "
        f"{fmt_int(first['population'])} to {fmt_int(last['population'])}, peaking at {fmt_int(peak['population'])} "
        f"on {fmt_date(peak['date'])}; capacity went from {fmt_int(first['uoc'])} to {fmt_int(last['uoc'])}. "
        f"Latest headroom: {fmt_int(last['headroom'])} places ({last['pct_uoc_in_use']:.1f}% in use)."
    )


def alt_text_headroom(weekly: pd.DataFrame, lines: DateLines) -> str:
    last = weekly.iloc[-1]
    low = weekly.loc[weekly["headroom"].idxmin()]
    high = weekly.loc[weekly["headroom"].idxmax()]
    return (
        f"Line chart of weekly headroom (useable operational capacity minus population), "
        f"{fmt_date(weekly.iloc[0]['date'])} to {fmt_date(last['date'])}. Highest {fmt_int(high['headroom'])} on "
        f"{fmt_date(high['date'])}, lowest {fmt_int(low['headroom'])} on {fmt_date(low['date'])}, latest "
        f"{fmt_int(last['headroom'])} on {fmt_date(last['date'])}. " + lines.sentence(BREAKS_WHAT)
    )


def _dated(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as ISO day strings: a third of the size of timestamps in the embedded spec."""
    out = frame.copy()
    out["date"] = out["date"].dt.strftime("%Y-%m-%d")
    return out


# Both kinds of break change what a figure counts, not what happened: the legend says so, and which it was.
BREAK_KINDS = {
    "layout": LineKind("Bulletin layout (what is counted)", COLOURS["break"], (4, 3)),
    "operating_margin": LineKind("Operating margin (capacity)", "#6a3d9a", (2, 2)),
}
BREAKS_LEGEND = "Changes in how figures are counted"
BREAK_WORDS = {"layout": "layout", "operating_margin": "margin"}
BREAKS_WHAT = "breaks in the series (bulletin layout and operating margin changes)"
_FROM_TO = re.compile(r"(\S+) to ([^;\s]+)")


def break_short_label(kind: str, label: str) -> str:
    """A break's label on the chart: what its full label says the margin or layout became ('Operating margin 2,750
    to 2,500' is 'margin 2,500'; 'Bulletin layout A2 to B; reporting day Friday to Monday' is 'layout B')."""
    found = _FROM_TO.search(label)
    return f"{BREAK_WORDS[kind]} {found[2]}" if found else BREAK_WORDS[kind]


def _break_group_label(rows: pd.DataFrame) -> str:
    """Breaks of one kind too close to label one by one: how many, and what the last one made it."""
    if len(rows) == 1 or rows["kind"].nunique() > 1 or rows["to"].isna().any():
        return joined(list(rows["short"]))
    return f"{BREAK_WORDS[rows['kind'].iloc[0]]} ×{len(rows)} to {rows['to'].iloc[-1]}"


def break_lines(breaks: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp) -> DateLines:
    found = [_FROM_TO.search(label) for label in breaks["label"]]
    marks = pd.DataFrame({"date": breaks["date"], "kind": breaks["kind"], "label": breaks["label"],
                          "short": [break_short_label(k, la) for k, la in zip(breaks["kind"], breaks["label"])],
                          "to": [f[2] if f else None for f in found]})
    # Margin changes came every few months in 2021-23: on a chart of fifteen years they share one label.
    return date_lines(marks, BREAK_KINDS, lo, hi, legend_title=BREAKS_LEGEND, label_title="Break in the series",
                      merge_px=12, combine=_break_group_label)


def _two_lines(frame: pd.DataFrame, names: dict[str, str], stroke: float, value: str, y_title: str,
               series_title: str, value_title: str, value_format: str, above=alt.Undefined
               ) -> tuple[pd.DataFrame, alt.Chart]:
    """Two weekly series in long form, and their chart: the first solid, the second dashed (told apart by line
    style, not colour alone). Their legend is `above` pixels above the plot (over the labels of dated lines)."""
    long = _dated(frame[["date", *names]]).melt(id_vars=["date"], value_vars=list(names), var_name="series",
                                                value_name=value)
    long["series"] = long["series"].map(names)
    domain = list(names.values())
    return long, alt.Chart(long).mark_line(strokeWidth=stroke).encode(
        x=alt.X("date:T", title=None),
        y=alt.Y(f"{value}:Q", title=y_title, scale=alt.Scale(zero=False)),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="top", offset=above),
                        scale=alt.Scale(domain=domain, range=[COLOURS["population"], COLOURS["capacity"]])),
        strokeDash=alt.StrokeDash("series:N", legend=None, scale=alt.Scale(domain=domain, range=[[1, 0], [6, 3]])),
        tooltip=[alt.Tooltip("date:T", title="Bulletin", format="%d %b %Y"),
                 alt.Tooltip("series:N", title=series_title),
                 alt.Tooltip(f"{value}:Q", title=value_title, format=value_format)],
    )


def _population_lines(weekly: pd.DataFrame, stroke: float, above) -> alt.Chart:
    """Population (solid) and useable operational capacity (dashed)."""
    return _two_lines(weekly, {"population": "Population", "uoc": "Useable operational capacity"}, stroke,
                      "people", "People / places", "Series", "Value", ",", above)[1]


def population_chart(weekly: pd.DataFrame, breaks: pd.DataFrame, config: TrackerConfig) -> ChartBlock:
    marks = break_lines(breaks, weekly["date"].min(), weekly["date"].max())
    lines = _population_lines(weekly, stroke=1.6, above=marks.legend_offset)
    chart = layered(marks, lines).properties(width="container", height=320)
    return render_chart(
        chart, chart_id="population-vs-capacity",
        tables=["weekly_population_capacity", "definitional_breaks"],
        title="Prison population against useable operational capacity, England and Wales, weekly",
        alt_text=alt_text_population(weekly) + " " + marks.sentence(BREAKS_WHAT), table=_table(weekly),
        table_formats=TABLE_FORMATS, source_html=attribution_html(config, ["wfr-weekly"], short=True),
    )


def headroom_chart(weekly: pd.DataFrame, breaks: pd.DataFrame, config: TrackerConfig) -> ChartBlock:
    marks = break_lines(breaks, weekly["date"].min(), weekly["date"].max())
    line = alt.Chart(_dated(weekly[["date", "headroom", "pct_uoc_in_use"]])).mark_line(color=COLOURS["headroom"], strokeWidth=1.6).encode(
        x=alt.X("date:T", title=None),
        y=alt.Y("headroom:Q", title="Places free (UOC minus population)"),
        tooltip=[alt.Tooltip("date:T", title="Bulletin", format="%d %b %Y"),
                 alt.Tooltip("headroom:Q", title="Headroom", format=","),
                 alt.Tooltip("pct_uoc_in_use:Q", title="% of UOC in use", format=".1f")],
    )
    zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="#000000").encode(y="y:Q")
    chart = layered(marks, zero, line).properties(width="container", height=260)
    return render_chart(
        chart, chart_id="headroom",
        tables=["weekly_population_capacity", "definitional_breaks"],
        title="Headroom: useable operational capacity minus population, England and Wales, weekly",
        alt_text=alt_text_headroom(weekly, marks), table=_table(weekly),
        table_formats=TABLE_FORMATS, source_html=attribution_html(config, ["wfr-weekly"], short=True),
    )


TABLE_FORMATS = {"Population": "{:,}", "UOC": "{:,}", "Headroom": "{:,}", "% in use": "{:.1f}"}


def _table(weekly: pd.DataFrame) -> pd.DataFrame:
    t = weekly[["date", "population", "uoc", "headroom", "pct_uoc_in_use", "row_ref"]].copy()
    t["date"] = t["date"].dt.strftime("%Y-%m-%d")
    t.columns = ["Bulletin date", "Population", "UOC", "Headroom", "% in use", "Source row"]
    return t.iloc[::-1].reset_index(drop=True)


def breaks_note(breaks: pd.DataFrame) -> HtmlBlock:
    items = []
    for _, b in breaks.iterrows():
        detail = f" {html.escape(b['detail'])}" if b["detail"] else ""
        ref = html.escape(b["source_file"] + " " + b["row_ref"])
        if b["detail_ref"]:
            ref += "; " + html.escape(b["detail_ref"])
        items.append(f"<li><strong>{fmt_date(b['date'])}: {html.escape(b['label'])}.</strong>{detail} "
                     + provenance_details(ref, "Where this was read") + "</li>")
    return HtmlBlock(f'<ol class="jct-breaks">{"".join(items)}</ol>')


def series_origin(weekly: pd.DataFrame, config: TrackerConfig) -> HtmlBlock:
    """Who read each week's figures: the tracker, from the MoJ's own files, or a third party's parse."""
    parts = []
    for source_id, rows in weekly.groupby("source_id", sort=False):
        source = config.source(source_id)
        who = ("read by the tracker from the Ministry of Justice's own files" if source.official
               else f"from {source.publisher}'s parse of every bulletin")
        span = fmt_date(rows["date"].min()) + ("" if len(rows) == 1 else f" to {fmt_date(rows['date'].max())}")
        parts.append(f"{len(rows):,} ({span}) {who}")
    text = f"Of the {len(weekly):,} weekly bulletins shown here, " + "; ".join(parts) + "."
    return HtmlBlock(f"<p>{html.escape(text)}</p>")


def crosschecks(results: pd.DataFrame) -> HtmlBlock:
    """For each check that involves the weekly figures: how many dates agree, and every date that does not."""
    from ..reconcile import CHECKS, summary

    if results.empty:
        return HtmlBlock("<p>No second source is available for these figures.</p>")
    items = []
    for _, s in summary(results).iterrows():
        check = CHECKS[s["check_id"]]
        rows = results[(results["check_id"] == s["check_id"]) & (results["status"] == "mismatch")]
        text = (f"{check.description} {s['compared']:,} dates compared ({fmt_date(s['from'])} to {fmt_date(s['to'])}): "
                f"{s['match']:,} agree exactly")
        text += (f"; {s['mismatch']:,} differ by more than the tolerance of {s['tolerance']}, by at most "
                 f"{s['largest_difference']:,}." if s["mismatch"] else ".")
        if s["no_counterpart"]:
            text += f" {s['no_counterpart']} date(s) have no counterpart in the other source."
        detail = "".join(
            f"<li>{fmt_date(r['date'])}: {fmt_int(r['value_a'])} ({html.escape(r['source_a'])}, "
            f"{html.escape(r['ref_a'])}) against {fmt_int(r['value_b'])} ({html.escape(r['source_b'])}, "
            f"{html.escape(r['ref_b'])}); difference {int(r['difference']):+,}</li>" for _, r in rows.iterrows())
        flag = ('<span class="jct-flag">Mismatch</span> ' if s["mismatch"] else "")
        items.append(f"<li>{flag}{html.escape(text)}"
                     + (f"<details><summary>Dates that differ ({len(rows)})</summary><ul>{detail}</ul></details>"
                        if len(rows) else "") + "</li>")
    return HtmlBlock(f'<ul class="jct-crosscheck">{"".join(items)}</ul>')


def sources(config: TrackerConfig, source_ids: list[str]) -> HtmlBlock:
    return HtmlBlock(attribution_html(config, source_ids))


def config() -> TrackerConfig:
    return load_config()


# Emergency measures, projections, capacity countdown and the monthly (per-prison) series.

def emergency_measures() -> pd.DataFrame:
    from ..facts import load_emergency_measures

    return pd.DataFrame([m.model_dump() for m in load_emergency_measures()])


# The curated measures say which kind each is (data/curated/emergency_measures.csv, column kind).
MEASURE_KINDS = {
    "early-release": LineKind("Prisoners released early", "#8a1c1c"),
    "extra-places": LineKind("Police cells used as prison places", "#8f4a00", (6, 3)),
}


def measure_lines(measures: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp) -> DateLines:
    marks = pd.DataFrame({"date": pd.to_datetime(measures["date"]), "kind": measures["kind"],
                          "short": measures["short_label"], "label": measures["label"]})
    return date_lines(marks, MEASURE_KINDS, lo, hi, legend_title="Emergency measures",
                      label_title="Emergency measure")


def _measures_words(shown: pd.DataFrame) -> str:
    """Each measure on the chart: its date, what it was and its label beside the line."""
    return "; ".join(f"{fmt_date(r['date'])} {r['label']} (labelled {r['short_label']})" for _, r in shown.iterrows())


def recent_chart(weekly: pd.DataFrame, measures: pd.DataFrame, config: TrackerConfig,
                 since: str = "2022-07-01") -> ChartBlock:
    """Population and capacity since mid-2022 with each emergency measure drawn on its date."""
    recent = weekly[weekly["date"] >= pd.Timestamp(since)]
    shown = measures[pd.to_datetime(measures["date"]).between(recent["date"].min(), recent["date"].max())]
    marks = measure_lines(shown, recent["date"].min(), recent["date"].max())
    lines = _population_lines(recent, stroke=1.8, above=marks.legend_offset)
    chart = layered(marks, lines).properties(width="container", height=300)
    low = recent.loc[recent["headroom"].idxmin()]
    alt_text = (f"Line chart of the weekly prison population and useable operational capacity, "
                f"{fmt_date(recent.iloc[0]['date'])} to {fmt_date(recent.iloc[-1]['date'])}, with {len(shown)} "
                f"emergency measures marked by labelled vertical lines (red for early release, brown dashed for "
                f"police cells): " + _measures_words(shown)
                + f". Headroom was lowest on {fmt_date(low['date'])} at {fmt_int(low['headroom'])} places.")
    return render_chart(chart, chart_id="population-emergency-measures",
                        tables=["weekly_population_capacity"],
                        title="Population, capacity and the emergency measures, weekly since July 2022",
                        alt_text=alt_text, table=_table(recent), table_formats=TABLE_FORMATS,
                        source_html=attribution_html(config, ["wfr-weekly"], short=True))


def measures_note(measures: pd.DataFrame) -> HtmlBlock:
    items = []
    for _, m in measures.iterrows():
        items.append(
            f"<li><strong>{fmt_date(m['date'])}: {html.escape(m['label'])}.</strong> {html.escape(m['detail'])} "
            f'Source: {html.escape(m["publisher"])}, <a href="{html.escape(m["url"], quote=True)}">'
            f"{html.escape(m['title'])}</a> ({html.escape(m['reference'])})"
            + (f": “{html.escape(m['quote'])}” " if m["quote"] else ". ") +
            f'<span class="jct-ref">({html.escape(m["verification"])})</span></li>')
    return HtmlBlock(f'<ol class="jct-measures">{"".join(items)}</ol>')


def _outturn_near(weekly: pd.DataFrame, date: pd.Timestamp, days: int = 7):
    gaps = (weekly["date"] - date).abs()
    i = gaps.idxmin()
    return weekly.loc[i] if gaps.loc[i] <= pd.Timedelta(days=days) else None


# Release policies that moved the release point of many prisoners at once. MoJ projections assume the policy in
# force when each edition was made, so an edition made before one of these projected the old release point: its
# miss after that date is the policy change, not a forecasting error.
OVERTAKING_POLICIES = {"ecsl": "End of Custody Supervised Licence (ECSL)", "sds40": "SDS40 (release at 40%)"}


def policy_starts(measures: pd.DataFrame) -> pd.DataFrame:
    """The first date of each overtaking release policy among the emergency measures."""
    m = measures[measures["measure"].isin(list(OVERTAKING_POLICIES))].copy()
    m["date"] = pd.to_datetime(m["date"])
    first = m.sort_values("date").groupby("measure", sort=False).head(1)
    return pd.DataFrame({"measure": first["measure"], "policy": first["measure"].map(OVERTAKING_POLICIES),
                         "start": first["date"], "kind": first["kind"], "short_label": first["short_label"]}
                        ).sort_values("start").reset_index(drop=True)


def _policies_after(base_date: pd.Timestamp, ref_date: pd.Timestamp, starts: pd.DataFrame) -> list[str]:
    """Policies that began after the edition's base date and on or before the projected date."""
    hit = starts[(starts["start"] > base_date) & (starts["start"] <= ref_date)]
    return list(hit["policy"])


def overtaken_editions(projections: pd.DataFrame, measures: pd.DataFrame) -> pd.DataFrame:
    """Each central edition, and the release policies that began after its base date within its horizon."""
    starts = policy_starts(measures)
    central = projections[projections["scenario"] == "central"].copy()
    central["ref_date"] = pd.to_datetime(central["ref_date"])
    central["base_date"] = pd.to_datetime(central["base_date"])
    rows = []
    for edition, p in central.groupby("edition", sort=True):
        base, last = p["base_date"].iloc[0], p["ref_date"].max()
        policies = _policies_after(base, last, starts)
        rows.append({"edition": edition, "base_date": base, "last_date": last,
                     "overtaken_by": "; ".join(policies)})
    return pd.DataFrame(rows)


def projection_scores(weekly: pd.DataFrame, projections: pd.DataFrame,
                      measures: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every central projection whose date has passed, against the weekly population nearest that date.

    With the emergency measures given, `after_policy` names any release policy that began after the edition's
    base date and on or before the projected date (blank when none)."""
    starts = policy_starts(measures) if measures is not None else None
    central = projections[(projections["scenario"] == "central")].copy()
    central["ref_date"] = pd.to_datetime(central["ref_date"])
    rows = []
    for _, p in central.iterrows():
        if p["ref_date"] > weekly["date"].max():
            continue
        actual = _outturn_near(weekly, p["ref_date"])
        if actual is None:
            continue
        error = int(p["total"] - actual["population"])
        rows.append({"edition": p["edition"], "target_date": p["ref_date"], "years_ahead":
                     round((p["ref_date"] - pd.Timestamp(p["base_date"])).days / 365.25, 1),
                     "projected": int(p["total"]), "outturn": int(actual["population"]),
                     "outturn_date": actual["date"], "error": error,
                     "pct_error": round(error / actual["population"] * 100, 1),
                     "projection_ref": f"{p['source_file']} {p['row_ref']}",
                     "outturn_ref": f"{actual['source_file']} {actual['row_ref']}",
                     "after_policy": "" if starts is None else
                     "; ".join(_policies_after(pd.Timestamp(p["base_date"]), p["ref_date"], starts))})
    return pd.DataFrame(rows)


def scorecard(scores: pd.DataFrame) -> HtmlBlock:
    g = scores.groupby("edition", sort=True)
    table = pd.DataFrame({
        "Edition": list(g.groups),
        "Dates scored": g.size().values,
        "Mean error (people)": g["error"].mean().round().astype(int).values,
        "Mean error (%)": g["pct_error"].mean().round(1).values,
        "Largest miss (people)": g["error"].apply(lambda e: int(e.loc[e.abs().idxmax()])).values,
        "Too high": g["error"].apply(lambda e: f"{int((e > 0).sum())} of {len(e)}").values,
    })
    too_high = int((table["Mean error (people)"] > 0).sum())
    share = (scores["error"] > 0).mean() * 100
    text = (f"{len(scores):,} projected dates from {table.shape[0]} editions have passed and can be scored against "
            f"the weekly bulletin nearest each date. On average {too_high} of {table.shape[0]} editions projected "
            f"too high, and {share:.0f}% of all scored projections were above the outturn. The mean error across "
            f"all of them is {scores['error'].mean():+,.0f} people ({scores['pct_error'].mean():+.1f}%).")
    if "after_policy" in scores:
        after = scores["after_policy"] != ""
        table["Dates after a later release policy"] = g["after_policy"].apply(lambda a: int((a != "").sum())).values
        if after.any():
            rest = scores[~after]
            text += (f" {int(after.sum())} of the scored dates fall after a release policy that began after the "
                     f"edition was made ({', '.join(sorted(set('; '.join(scores.loc[after, 'after_policy']).split('; '))))}"
                     f"), so the edition could not have assumed it and part of the miss on those dates is the policy "
                     f"change, not a forecasting error. Leaving them out, the mean error is {rest['error'].mean():+,.0f} people "
                     f"({rest['pct_error'].mean():+.1f}%).")
    from ..charts import data_table_html

    caption = "Projection scorecard: central projections against outturn, by edition"
    return HtmlBlock(f'<p class="jct-summary">{html.escape(text)}</p>'
                     + table_region(data_table_html(table, caption, {"Mean error (people)": "{:+,}",
                                                                     "Largest miss (people)": "{:+,}",
                                                                     "Mean error (%)": "{:+.1f}"}), caption))


# The latest edition, the earlier ones and the outturn: blue, light grey, black.
PROJECTION_COLOURS = [COLOURS["population"], "#aaaaaa", "#000000"]


def projections_chart(weekly: pd.DataFrame, projections: pd.DataFrame, config: TrackerConfig,
                      measures: pd.DataFrame | None = None) -> ChartBlock:
    measures = emergency_measures() if measures is None else measures
    central = projections[projections["scenario"] == "central"][["edition", "edition_year", "ref_date", "total",
                                                                   "base_date"]].copy()
    starts = policy_starts(measures)
    central["after_policy"] = [
        "; ".join(_policies_after(pd.Timestamp(b), pd.Timestamp(r), starts)) or "none"
        for b, r in zip(central["base_date"], central["ref_date"])]
    outturn = _dated(weekly[["date", "population"]]).rename(columns={"date": "ref_date", "population": "total"})
    outturn["edition"] = "Outturn (weekly bulletin)"
    # Eighteen editions in eighteen colours could not be told apart: the latest is in colour, the rest grey, and a
    # reader finds any one of them by its tooltip (or in the table).
    latest = central.loc[pd.to_datetime(central["base_date"]).idxmax(), "edition"]
    roles = [f"Latest projection ({latest} edition)", "Earlier projections (one grey line each)",
             "Outturn (weekly bulletin)"]
    central["shown_as"] = [roles[0] if e == latest else roles[1] for e in central["edition"]]
    outturn["shown_as"] = roles[2]
    x = alt.X("ref_date:T", title=None)
    dates = pd.concat([pd.to_datetime(central["ref_date"]), pd.to_datetime(outturn["ref_date"])])
    marks = date_lines(starts.assign(date=starts["start"], short=starts["short_label"], label=starts["policy"]),
                       MEASURE_KINDS, dates.min(), dates.max(), x="ref_date", label_title="Release policy began",
                       legend_title="Emergency release policy began")
    colour = alt.Color("shown_as:N", title=None, scale=alt.Scale(domain=roles, range=PROJECTION_COLOURS),
                       legend=alt.Legend(orient="top", direction="vertical", labelLimit=0, offset=marks.legend_offset,
                                         symbolType="stroke", symbolStrokeWidth=3))
    y = alt.Y("total:Q", title="Prison population", scale=alt.Scale(zero=False))
    tooltip = [alt.Tooltip("edition:N", title="Edition"), alt.Tooltip("ref_date:T", title="Date", format="%b %Y"),
               alt.Tooltip("total:Q", title="Projected", format=","),
               alt.Tooltip("after_policy:N", title="Later release policy it could not assume")]
    data = central.drop(columns="base_date")
    earlier = alt.Chart(data[data["edition"] != latest]).mark_line(
        point=alt.OverlayMarkDef(size=12), strokeWidth=1).encode(x=x, y=y, color=colour, detail="edition:N",
                                                                  tooltip=tooltip)
    newest = alt.Chart(data[data["edition"] == latest]).mark_line(
        point=alt.OverlayMarkDef(size=36), strokeWidth=2.4).encode(x=x, y=y, color=colour, tooltip=tooltip)
    # A hollow ring on each projected date that a later release policy overtook: marked by shape, not colour.
    overtaken = alt.Chart(central[central["after_policy"] != "none"].drop(columns="base_date")).mark_point(
        shape="circle", size=90, filled=False, color="#8a1c1c", strokeWidth=1.5).encode(
        x=x, y=y,
        tooltip=[alt.Tooltip("edition:N", title="Edition"), alt.Tooltip("ref_date:T", title="Date", format="%b %Y"),
                 alt.Tooltip("after_policy:N", title="Overtaken by")])
    actual = alt.Chart(outturn).mark_line(strokeWidth=2).encode(
        x=x, y=y, color=colour, tooltip=[alt.Tooltip("ref_date:T", title="Bulletin", format="%d %b %Y"),
                                         alt.Tooltip("total:Q", title="Population", format=",")])
    chart = layered(marks, earlier, newest, overtaken, actual).properties(width="container", height=340)
    scores = projection_scores(weekly, projections, measures)
    worst = scores.loc[scores["error"].abs().idxmax()]
    hit = overtaken_editions(projections, measures)
    hit = hit[hit["overtaken_by"] != ""]
    alt_text = (f"Line chart of {central['edition'].nunique()} editions of the MoJ central prison population "
                f"projection against the weekly outturn (black line): the latest edition, {latest}, in blue and the "
                f"earlier ones in grey. Each edition assumes the policy in force when "
                f"it was made; labelled red vertical lines mark the start of "
                + " and ".join(f"{r['policy']} on {fmt_date(r['start'])} ({r['short_label']})"
                               for _, r in starts.iterrows())
                + f", and red rings mark the projected dates of the {len(hit)} editions made before them "
                f"({', '.join(hit['edition'])}) that fall after them. The largest miss was the {worst['edition']} "
                f"edition's projection for {fmt_date(worst['target_date'])}: {fmt_int(worst['projected'])} against "
                f"an outturn of {fmt_int(worst['outturn'])} ({worst['error']:+,}).")
    table = central.drop(columns=["base_date", "shown_as"]).copy()
    table["after_policy"] = table["after_policy"].replace("none", "")
    table.columns = ["Edition", "Edition year", "Date", "Central projection", "Later release policy it could not assume"]
    return render_chart(chart, chart_id="projections-vs-outturn",
                        tables=["projections", "weekly_population_capacity"],
                        title="Every MoJ central projection of the prison population against what happened",
                        alt_text=alt_text, table=table, table_formats={"Central projection": "{:,}"},
                        source_html=attribution_html(config, ["wfr-projections", "wfr-weekly"], short=True))


def countdown(weekly: pd.DataFrame) -> HtmlBlock:
    """When would headroom reach zero if the trend of the last 12 or 26 weeks went on? A naive extrapolation."""
    last = weekly.iloc[-1]
    items = []
    for weeks in (12, 26):
        window = weekly[weekly["date"] > last["date"] - pd.Timedelta(weeks=weeks)]
        days = (window["date"] - window["date"].iloc[0]).dt.days.astype(float)
        x, y = days - days.mean(), window["headroom"] - window["headroom"].mean()
        slope = float((x * y).sum() / (x * x).sum()) * 7  # places per week
        if slope >= 0:
            when = (f"headroom rose by about {slope:,.0f} places a week, so at that trend it would not reach zero")
        else:
            zero = last["date"] + pd.Timedelta(days=float(last["headroom"] / -slope * 7))
            when = (f"headroom fell by about {-slope:,.0f} places a week; at that trend it would reach zero around "
                    f"{fmt_date(zero)}")
        items.append(f"<li>Over the last {weeks} weeks ({len(window)} bulletins, from "
                     f"{fmt_date(window['date'].iloc[0])}): {html.escape(when)}.</li>")
    return HtmlBlock(
        f'<p>Latest headroom: {fmt_int(last["headroom"])} places on {fmt_date(last["date"])}.</p>'
        f'<ul class="jct-countdown">{"".join(items)}</ul>'
        '<p class="jct-caveat">This is a straight-line extrapolation, not a forecast: the population has a strong '
        "seasonal cycle, capacity moves with maintenance and new places, and the operating margin can be changed, so "
        "short trends are a warning light, not a date to plan by.</p>")


def crowding_chart(legacy: pd.DataFrame, monthly: pd.DataFrame, config: TrackerConfig) -> ChartBlock:
    """Estate population against In Use CNA (uncrowded capacity), monthly, 2011-2016 and 2018-2026."""
    a = pd.DataFrame({"date": legacy["report_date"], "population": legacy["published_population"],
                      "in_use_cna": legacy["published_in_use_cna"], "series": "2011-2016 (our parse of MoJ bulletins)",
                      "row": legacy["source_file"] + " " + legacy["row_ref"]})
    b = pd.DataFrame({"date": monthly["report_date"], "population": monthly["sum_population"],
                      "in_use_cna": monthly["sum_in_use_cna"], "series": "2018-2026 (Walk Forward Research parse)",
                      "row": monthly["source_file"] + " " + monthly["row_ref"]})
    both = pd.concat([a, b], ignore_index=True)
    both["date"] = pd.to_datetime(both["date"])
    both["crowding_pct"] = (both["population"] / both["in_use_cna"] * 100).round(1)
    data = _dated(both[["date", "crowding_pct", "series"]])
    line = alt.Chart(data).mark_line(point=True, color=COLOURS["capacity"]).encode(
        x=alt.X("date:T", title=None), y=alt.Y("crowding_pct:Q", title="Population as % of In Use CNA",
                                                 scale=alt.Scale(zero=False)),
        detail="series:N",
        tooltip=[alt.Tooltip("date:T", format="%d %b %Y"), alt.Tooltip("crowding_pct:Q", title="% of In Use CNA"),
                 alt.Tooltip("series:N", title="Source")])
    hundred = alt.Chart(pd.DataFrame({"y": [100]})).mark_rule(color="#000000").encode(y="y:Q")
    chart = (hundred + line).properties(width="container", height=260)
    latest = both.iloc[-1]
    alt_text = (f"Line chart of the prison population as a percentage of In Use Certified Normal Accommodation, "
                f"monthly, {fmt_date(both['date'].min())} to {fmt_date(both['date'].max())}, with a gap between "
                f"{fmt_date(a['date'].max())} and {fmt_date(b['date'].min())} where no monthly bulletin is in the "
                f"tracker. Latest: {latest['crowding_pct']:.1f}% on {fmt_date(latest['date'])}; above 100% means "
                f"more prisoners than uncrowded places.")
    table = both[["date", "population", "in_use_cna", "crowding_pct", "series", "row"]].copy()
    table["date"] = table["date"].dt.strftime("%Y-%m-%d")
    table.columns = ["Report date", "Population", "In Use CNA", "% of In Use CNA", "Source", "Source row"]
    return render_chart(chart, chart_id="crowding-estate",
                        title="Crowding: the population as a share of uncrowded capacity (In Use CNA), monthly",
                        alt_text=alt_text, table=table.iloc[::-1], table_formats={"Population": "{:,}",
                                                                                  "In Use CNA": "{:,}"},
                        source_html=attribution_html(config, ["moj-monthly-legacy", "wfr-monthly"], short=True))


def projections_note(projections: pd.DataFrame, measures: pd.DataFrame) -> HtmlBlock:
    """Which editions were overtaken by a release policy that began after they were made."""
    hit = overtaken_editions(projections, measures)
    hit = hit[hit["overtaken_by"] != ""]
    text = ("Each edition projects the population under the sentencing and release policy in force when it was "
            "made; it does not guess at later changes. ")
    if hit.empty:
        text += "No edition shown here was overtaken by a later release policy."
    else:
        text += (f"{len(hit)} editions were made before a release policy changed when prisoners leave prison, "
                 "so their projections after that date (ringed in red) assume the old release point: "
                 + "; ".join(f"{r['edition']} (base date {fmt_date(r['base_date'])}: overtaken by "
                             f"{r['overtaken_by']})" for _, r in hit.iterrows())
                 + ". Part of the gap between those projections and the outturn is the policy change, not a "
                 "forecasting error.")
    return HtmlBlock(f"<p>{html.escape(text)}</p>")


# The tightest part of the estate: the adult male estate, given separately since the bulletin of 21 October 2024.

def estate_split(weekly: pd.DataFrame) -> pd.DataFrame:
    """Bulletins that give the adult male estate separately, with the share of capacity in use in it and overall."""
    split = weekly.dropna(subset=["population_adult_male", "uoc_adult_male"]).copy()
    split = split[split["uoc_adult_male"] > 0]
    split["free_adult_male"] = (split["uoc_adult_male"] - split["population_adult_male"]).astype(int)
    split["pct_adult_male"] = split["population_adult_male"] / split["uoc_adult_male"] * 100
    split["pct_estate"] = split["population"] / split["uoc"] * 100
    return split.reset_index(drop=True)


def fullness_tile(weekly: pd.DataFrame, config: TrackerConfig) -> HtmlBlock:
    split = estate_split(weekly)
    latest = split.iloc[-1]
    return _weekly_tile(split, config, "The adult male estate against the whole estate",
                        [("Adult male estate: capacity in use", "pct_adult_male", "{:.1f}%", " points", 1),
                         ("Whole estate: capacity in use", "pct_estate", "{:.1f}%", " points", 1),
                         ("Adult male estate: places free", "free_adult_male", "{:,.0f}", "", 0)],
                        about=f": adult male population {fmt_int(latest['population_adult_male'])} against a useable "
                              f"operational capacity of {fmt_int(latest['uoc_adult_male'])}")


FULL_PCT = 99.0  # the level ministers called "over 99 percent capacity" in July 2024


def fullness_summary(weekly: pd.DataFrame) -> HtmlBlock:
    """The countdown line and every comparison between the adult male estate and the whole estate, from the data."""
    split = estate_split(weekly)
    last, first = split.iloc[-1], split.iloc[0]
    peak = split.loc[split["pct_adult_male"].idxmax()]
    fuller = int((split["pct_adult_male"] > split["pct_estate"]).sum())
    n = len(split)
    over = split[split["pct_adult_male"] >= FULL_PCT]
    countdown_line = (f"{fmt_int(last['free_adult_male'])} places free in the adult male estate on "
                      f"{fmt_date(last['date'])}: {last['pct_adult_male']:.1f}% of its useable operational capacity "
                      f"in use, against {last['pct_estate']:.1f}% across the whole estate.")
    if fuller == n:
        share = f"In every one of the {n} weekly bulletins since {fmt_date(first['date'])}"
    else:
        share = f"In {fuller} of the {n} weekly bulletins since {fmt_date(first['date'])}"
    comparison = (f"{share} the adult male estate was fuller than the estate as a whole. It was fullest on "
                  f"{fmt_date(peak['date'])}: {peak['pct_adult_male']:.1f}% in use, {fmt_int(peak['free_adult_male'])} "
                  f"places free, when the whole estate was {peak['pct_estate']:.1f}% full.")
    if over.empty:
        comparison += f" No bulletin since then showed the adult male estate {FULL_PCT:.0f}% full or more."
    else:
        comparison += (f" {len(over)} bulletins showed it {FULL_PCT:.0f}% full or more, the first on "
                       f"{fmt_date(over['date'].iloc[0])} and the last on {fmt_date(over['date'].iloc[-1])}.")
    return HtmlBlock(f'<p class="jct-countdown-line"><strong>{html.escape(countdown_line)}</strong></p>'
                     f'<p>{html.escape(comparison)}</p>')


def fullness_chart(weekly: pd.DataFrame, measures: pd.DataFrame, config: TrackerConfig) -> ChartBlock:
    """Share of useable operational capacity in use, adult male estate and whole estate, weekly since the split."""
    split = estate_split(weekly)
    rounded = split.assign(pct_adult_male=split["pct_adult_male"].round(2), pct_estate=split["pct_estate"].round(2))
    shown = measures[pd.to_datetime(measures["date"]).between(split["date"].min(), split["date"].max())]
    marks = measure_lines(shown, split["date"].min(), split["date"].max())
    long, lines = _two_lines(rounded, {"pct_adult_male": "Adult male estate", "pct_estate": "Whole estate"}, 1.8,
                             "pct", "% of useable operational capacity in use", "Estate", "% in use", ".1f",
                             marks.legend_offset)
    full = alt.Chart(pd.DataFrame({"y": [100]})).mark_rule(color="#000000").encode(y="y:Q")
    chart = layered(marks, full, lines).properties(width="container", height=280)
    last = split.iloc[-1]
    peak = split.loc[split["pct_adult_male"].idxmax()]
    alt_text = (f"Line chart of the share of useable operational capacity in use in the adult male estate (solid) "
                f"and the whole estate (dashed), weekly, {fmt_date(split['date'].iloc[0])} to "
                f"{fmt_date(last['date'])}, with {len(shown)} emergency measures marked by labelled vertical lines"
                + ("" if shown.empty else ": " + _measures_words(shown))
                + f". The adult male estate peaked at {peak['pct_adult_male']:.1f}% on {fmt_date(peak['date'])}; "
                f"latest {last['pct_adult_male']:.1f}% against {last['pct_estate']:.1f}% for the whole estate.")
    t = split[["date", "population_adult_male", "uoc_adult_male", "free_adult_male", "pct_adult_male",
               "population", "uoc", "pct_estate", "row_ref"]].copy()
    t["date"] = t["date"].dt.strftime("%Y-%m-%d")
    t.columns = ["Bulletin date", "Adult male population", "Adult male UOC", "Adult male places free",
                 "Adult male % in use", "Population", "UOC", "Whole estate % in use", "Source row"]
    formats = {"Adult male population": "{:,.0f}", "Adult male UOC": "{:,.0f}", "Adult male places free": "{:,}",
               "Adult male % in use": "{:.1f}", "Population": "{:,}", "UOC": "{:,}", "Whole estate % in use": "{:.1f}"}
    return render_chart(chart, chart_id="adult-male-estate-fullness",
                        tables=["weekly_population_capacity"],
                        title="How full: the adult male estate against the whole estate, weekly",
                        alt_text=alt_text, table=t.iloc[::-1].reset_index(drop=True), table_formats=formats,
                        source_html=attribution_html(config, ["wfr-weekly"], short=True))
