"""Chapter: prison population and capacity. Everything the notebook shows is computed here, from processed tables."""
from __future__ import annotations

import html
from dataclasses import dataclass

import altair as alt
import pandas as pd

from ..charts import COLOURS, ChartBlock, fmt_date, fmt_int, render_chart
from ..config import TrackerConfig, load_config
from .common import HtmlBlock, TileMeasure, attribution_html, load_table, next_release_text, observations
from .common import headline_tile as headline_tile_html


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


def headline_tile(weekly: pd.DataFrame, config: TrackerConfig) -> HtmlBlock:
    latest = weekly.iloc[-1]
    measures = []
    for label, col, fmt, unit, dec in [("Prison population", "population", "{:,.0f}", "", 0),
                                       ("Useable operational capacity", "uoc", "{:,.0f}", "", 0),
                                       ("Headroom (places free)", "headroom", "{:,.0f}", "", 0),
                                       ("Capacity in use", "pct_uoc_in_use", "{:.1f}%", " points", 1)]:
        now, prev, ago = observations(weekly, "date", col, tolerance_days=10)
        measures.append(TileMeasure(label, now, prev, ago, fmt=fmt, change_unit=unit, decimals=dec))
    release = (
        f'Bulletin of {fmt_date(latest["date"])}: '
        f'<a href="{html.escape(latest["bulletin_url"], quote=True)}">{html.escape(latest["bulletin_title"])}</a> '
        f'(Ministry of Justice), via {html.escape(latest["source_file"])} {html.escape(latest["row_ref"])}.'
    )
    nxt = next_release_text(config, "wfr-weekly", latest["date"].strftime("%Y-%m-%d"), weekly=True)
    return headline_tile_html(f"Latest weekly bulletin: {fmt_date(latest['date'])}", measures, release, nxt,
                              period_word="previous bulletin")


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


def alt_text_headroom(weekly: pd.DataFrame, breaks: pd.DataFrame) -> str:
    last = weekly.iloc[-1]
    low = weekly.loc[weekly["headroom"].idxmin()]
    high = weekly.loc[weekly["headroom"].idxmax()]
    return (
        f"Line chart of weekly headroom (useable operational capacity minus population), "
        f"{fmt_date(weekly.iloc[0]['date'])} to {fmt_date(last['date'])}. Highest {fmt_int(high['headroom'])} on "
        f"{fmt_date(high['date'])}, lowest {fmt_int(low['headroom'])} on {fmt_date(low['date'])}, latest "
        f"{fmt_int(last['headroom'])} on {fmt_date(last['date'])}. {len(breaks)} definitional breaks are marked "
        f"with vertical lines."
    )


def _dated(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as ISO day strings: a third of the size of timestamps in the embedded spec."""
    out = frame.copy()
    out["date"] = out["date"].dt.strftime("%Y-%m-%d")
    return out


def _break_rules(breaks: pd.DataFrame, lo: pd.Timestamp) -> alt.Chart:
    b = _dated(breaks.loc[breaks["date"] >= lo, ["date", "kind", "label"]])
    b["kind_label"] = b["kind"].map({"layout": "Bulletin layout change", "operating_margin": "Operating margin change"})
    return alt.Chart(b).mark_rule(strokeDash=[4, 3], color=COLOURS["break"], opacity=0.8).encode(
        x="date:T",
        tooltip=[alt.Tooltip("date:T", title="Date", format="%d %b %Y"), alt.Tooltip("label:N", title="Break")],
    )


def population_chart(weekly: pd.DataFrame, breaks: pd.DataFrame, config: TrackerConfig) -> ChartBlock:
    long = _dated(weekly).melt(id_vars=["date"], value_vars=["population", "uoc"], var_name="series",
                               value_name="people")
    long["series"] = long["series"].map({"population": "Population", "uoc": "Useable operational capacity"})
    lines = alt.Chart(long).mark_line(strokeWidth=1.6).encode(
        x=alt.X("date:T", title=None),
        y=alt.Y("people:Q", title="People / places", scale=alt.Scale(zero=False)),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=["Population", "Useable operational capacity"],
                                        range=[COLOURS["population"], COLOURS["capacity"]])),
        strokeDash=alt.StrokeDash("series:N", legend=None,
                                  scale=alt.Scale(domain=["Population", "Useable operational capacity"],
                                                  range=[[1, 0], [6, 3]])),
        tooltip=[alt.Tooltip("date:T", title="Bulletin", format="%d %b %Y"), alt.Tooltip("series:N", title="Series"),
                 alt.Tooltip("people:Q", title="Value", format=",")],
    )
    chart = (_break_rules(breaks, weekly["date"].min()) + lines).properties(width="container", height=320)
    return render_chart(
        chart, chart_id="population-vs-capacity",
        title="Prison population against useable operational capacity, England and Wales, weekly",
        alt_text=alt_text_population(weekly), table=_table(weekly),
        table_formats=TABLE_FORMATS, source_html=attribution_html(config, ["wfr-weekly"], short=True),
    )


def headroom_chart(weekly: pd.DataFrame, breaks: pd.DataFrame, config: TrackerConfig) -> ChartBlock:
    line = alt.Chart(_dated(weekly[["date", "headroom", "pct_uoc_in_use"]])).mark_line(color=COLOURS["headroom"], strokeWidth=1.6).encode(
        x=alt.X("date:T", title=None),
        y=alt.Y("headroom:Q", title="Places free (UOC minus population)"),
        tooltip=[alt.Tooltip("date:T", title="Bulletin", format="%d %b %Y"),
                 alt.Tooltip("headroom:Q", title="Headroom", format=","),
                 alt.Tooltip("pct_uoc_in_use:Q", title="% of UOC in use", format=".1f")],
    )
    zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="#000000").encode(y="y:Q")
    chart = (_break_rules(breaks, weekly["date"].min()) + zero + line).properties(width="container", height=260)
    return render_chart(
        chart, chart_id="headroom",
        title="Headroom: useable operational capacity minus population, England and Wales, weekly",
        alt_text=alt_text_headroom(weekly, breaks), table=_table(weekly),
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
                     f'<span class="jct-ref">(Source: {ref})</span></li>')
    return HtmlBlock(f'<ol class="jct-breaks">{"".join(items)}</ol>')


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
