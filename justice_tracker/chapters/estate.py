"""Chapter: estate and maintenance. Everything the notebook shows is computed here, from processed tables and the
curated report figures in data/curated/facts.csv; no figure is typed into the template."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

import altair as alt
import pandas as pd

from ..charts import COLOURS, ChartBlock, data_table_html, fmt_date, fmt_int, render_chart
from ..config import TrackerConfig, load_config
from ..facts import Fact, load_facts
from .common import HtmlBlock, TileMeasure, attribution_html, load_table, next_release_text, observations
from .common import provenance_details, table_region
from .common import headline_tile as headline_tile_html

# The report figures this page shows, by section. Each id must exist in data/curated/facts.csv.
BACKLOG_FACTS = ["nao-2020-maintenance-backlog", "pac-2020-maintenance-backlog", "pac-2025-remediation-need"]
# (promise, delivered, new completion date or None) for each building commitment
PLACES_FACTS = [("nao-2020-new-for-old-commitment", "nao-2020-new-for-old-places-built", None),
                ("nao-2024-places-commitment", "nao-2024-places-delivered", "nao-2024-completion-year"),
                ("hansard-2025-places-target", "hansard-2025-places-delivered", None)]
# Delivered counts that the source does not say were counted against the promise beside them: no share is shown
NOT_A_SHARE = {"hansard-2025-places-delivered"}
STRATEGY_FACT = "moj-2024-capacity-strategy-places"
LOSS_FACTS = ["nao-2020-cells-out-of-use", "nao-2020-places-lost-a-year", "nao-2020-prisons-needing-major-repair"]
# (money, places) pairs that come from the same sentence of the same source, so dividing one by the other is fair
PER_PLACE_FACTS = [("hansard-2025-expansion-funding", "hansard-2025-places-target")]
COST_FACTS = ["hansard-2025-expansion-funding", "nao-2024-expansion-cost", "nao-2024-cost-overrun", "nao-2020-fm-overspend", "pac-2020-maintenance-spend",
              "pac-2020-construction-spend", "pac-2020-extra-maintenance-funding", "pac-2020-maintenance-liability"]
ALL_FACTS = list(dict.fromkeys(BACKLOG_FACTS + [i for t in PLACES_FACTS for i in t if i] + [STRATEGY_FACT] + LOSS_FACTS
                               + COST_FACTS + [i for t in PER_PLACE_FACTS for i in t]))

PARSE_LABELS = {"legacy": "2011-2016, parsed by this tracker",
                "wfr": "2018-2026, parsed by Walk Forward Research"}
PARSE_SOURCES = {"legacy": "moj-monthly-legacy", "wfr": "wfr-monthly"}
# Money spent is a count; money promised or allocated, a target; money expected to be needed, an estimate.
KIND_WORDS = {"count": "a count", "estimate": "an estimate", "target": "a target"}
SHORT_PUBLISHER = {"National Audit Office": "NAO", "House of Commons Committee of Public Accounts": "PAC",
                   "Ministry of Justice": "MoJ", "House of Commons (Hansard)": "Minister in Parliament"}


@dataclass(frozen=True)
class EstateData:
    estate: pd.DataFrame          # cells_out_of_use_estate, one row per monthly bulletin
    establishments: pd.DataFrame  # monthly_establishments, per prison per month (2018 on)
    changes: pd.DataFrame         # prison_changes
    facts: dict[str, Fact]


def config() -> TrackerConfig:
    return load_config()


def load(config: TrackerConfig, estate_table: str, establishments_table: str, changes_table: str) -> EstateData:
    estate = load_table(config, estate_table, parse_dates=["report_date"])
    establishments = load_table(config, establishments_table, parse_dates=["report_date"])
    changes = load_table(config, changes_table)
    changes["month"] = changes["month"].fillna("")
    return EstateData(estate, establishments, changes, facts_by_id(ALL_FACTS))


def facts_by_id(ids: list[str]) -> dict[str, Fact]:
    known = {f.fact_id: f for f in load_facts()}
    missing = [i for i in ids if i not in known]
    if missing:
        raise KeyError(f"fact(s) {missing} are not in data/curated/facts.csv")
    return {i: known[i] for i in ids}


# Formatting report figures -------------------------------------------------------------------------------------

def money(value: float) -> str:
    if value >= 1e9:
        return f"£{value / 1e9:,.1f} billion"
    if value >= 1e6:
        m = value / 1e6
        return f"£{m:,.0f} million" if m == int(m) else f"£{m:,.1f} million"
    return f"£{value:,.0f}"


def fact_value(f: Fact) -> str:
    """The figure as a reader would say it: '£9.4 billion to £10.1 billion', '6,518 places', '2031'."""
    if f.unit.startswith("GBP"):
        text = money(f.value) + (f" to {money(f.value_high)}" if f.value_high is not None else "")
        if "at least" in f.unit:
            text = "at least " + text
        if "a year" in f.unit:
            text += " a year"
        return text
    if f.unit == "year":
        return f"{f.value:.0f}"
    number = f"{f.value:,.0f}" if f.value == int(f.value) else f"{f.value:,}"
    unit, prefix = f.unit, ""
    for qualifier in ("more than", "at least", "almost"):
        if f"({qualifier})" in unit:
            unit, prefix = unit.replace(f"({qualifier})", "").strip(), qualifier + " "
    return f"{prefix}{number}{unit}" if unit.startswith("%") else f"{prefix}{number} {unit}"


def published_text(f: Fact) -> str:
    parts = f.published.split("-")
    if len(parts) == 3:
        return fmt_date(f.published)
    if len(parts) == 2:
        return pd.Timestamp(f.published + "-01").strftime("%B %Y")
    return f.published


def short_source(f: Fact, month_format: str = "%B %Y") -> str:
    """'NAO, February 2020'; evidence given to a committee is said so."""
    if "oral evidence" in f.publisher.lower():
        who = "MoJ to the PAC"
    else:
        who = SHORT_PUBLISHER.get(f.publisher, f.publisher)
    day = f.published if len(f.published) > 7 else f.published + "-01"
    return f"{who}, {pd.Timestamp(day).strftime(month_format)}"


def is_secondhand(f: Fact) -> bool:
    return f.verification.lower().startswith("secondhand")


def citation_html(f: Fact) -> str:
    """Publisher, linked title, date, where in the document, and how far the wording was checked."""
    text = (f'{html.escape(f.publisher)}, <a href="{html.escape(f.url, quote=True)}"><cite>{html.escape(f.title)}'
            f'</cite></a>, {html.escape(published_text(f))}; {html.escape(f.reference)}.')
    if is_secondhand(f):
        text += (' <span class="jct-ref">Checked only against a secondary copy: '
                 f'{html.escape(f.verification.split(":", 1)[1].strip())}.</span>')
    return text


def fact_sentence(f: Fact) -> str:
    quote = f" &ldquo;{html.escape(f.quote)}&rdquo;" if f.quote else ""
    return (f"<li><strong>{html.escape(f.measure)}: {html.escape(fact_value(f))}</strong> "
            f"({html.escape(KIND_WORDS[f.kind])}; {html.escape(f.period)}).{quote} "
            f'<span class="jct-ref">Source: {citation_html(f)}</span></li>')


# Headline tile and summary -------------------------------------------------------------------------------------

def headline_tile(data: EstateData, config: TrackerConfig) -> HtmlBlock:
    estate = data.estate
    latest = estate.sort_values("report_date").iloc[-1]
    measures = []
    for label, col in [("Places out of use (Baseline CNA minus In Use CNA)", "cells_out_of_use"),
                       ("Baseline CNA (places when all are in use)", "baseline_cna"),
                       ("In Use CNA (places in use)", "in_use_cna")]:
        now, prev, ago = observations(estate, "report_date", col, tolerance_days=10)
        measures.append(TileMeasure(label, now, prev, ago))
    source = config.source(PARSE_SOURCES[latest["parse"]])
    release = (
        f"Monthly per-prison bulletin of {fmt_date(latest['report_date'])} (Ministry of Justice), as parsed by "
        f'<a href="{html.escape(source.url, quote=True)}">{html.escape(source.publisher)}</a>: '
        f"{html.escape(latest['source_file'])} {html.escape(latest['row_ref'])}, "
        f"{fmt_int(latest['establishments'])} establishments summed by the tracker.")
    nxt = next_release_text(config, source.id, latest["report_date"].strftime("%Y-%m-%d"))
    return headline_tile_html(f"Latest monthly bulletin: {fmt_date(latest['report_date'])}", measures, release, nxt,
                              period_word="previous month")


def summary(data: EstateData) -> HtmlBlock:
    estate = data.estate.sort_values("report_date")
    last, first = estate.iloc[-1], estate.iloc[0]
    peak = estate.loc[estate["cells_out_of_use"].idxmax()]
    share = last["cells_out_of_use"] / last["baseline_cna"] * 100
    text = (
        f"In the bulletin of {fmt_date(last['report_date'])}, {fmt_int(last['cells_out_of_use'])} places in the "
        f"prisons of England and Wales were out of use: a Baseline CNA of {fmt_int(last['baseline_cna'])} against "
        f"{fmt_int(last['in_use_cna'])} places in use ({share:.1f}% of Baseline CNA). "
        f"In the first bulletin in the series ({fmt_date(first['report_date'])}) the figure was "
        f"{fmt_int(first['cells_out_of_use'])}; the highest in any bulletin in the sources was "
        f"{fmt_int(peak['cells_out_of_use'])}, on {fmt_date(peak['report_date'])}. These are counts taken from "
        f"the bulletins, a snapshot on the report date: places come back into use as well as going out of it."
    )
    return HtmlBlock(f'<p class="jct-summary">{html.escape(text)}</p>')


# Maintenance backlog -------------------------------------------------------------------------------------------

def _backlog_frame(facts: dict[str, Fact]) -> pd.DataFrame:
    rows = []
    for fid in BACKLOG_FACTS:
        f = facts[fid]
        rows.append({"published": f.published, "label": short_source(f), "axis": short_source(f, "%b %Y"),
                     "value_m": f.value / 1e6,
                     "amount": fact_value(f), "measure": f.measure, "kind": f.kind, "fact": f})
    return pd.DataFrame(rows).sort_values("published", kind="stable").reset_index(drop=True)


def alt_text_backlog(facts: dict[str, Fact]) -> str:
    b = _backlog_frame(facts)
    items = "; ".join(f"{r['label']}: {r['amount']}" for _, r in b.iterrows())
    return (f"Bar chart of the prison maintenance backlog as {len(b)} reports or evidence sessions gave it, in "
            f"the order they were published. {items}. Each is an estimate made on its own basis, not a point in "
            f"one consistent series.")


def backlog_chart(data: EstateData, config: TrackerConfig) -> ChartBlock:
    b = _backlog_frame(data.facts)
    plot = b[["label", "axis", "value_m", "amount", "measure"]]
    order = list(plot["axis"])
    base = alt.Chart(plot).encode(
        y=alt.Y("axis:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("value_m:Q", title="£ million", scale=alt.Scale(domainMax=float(plot["value_m"].max()) * 1.7)),
    )
    bars = base.mark_bar(color=COLOURS["capacity"], height=28).encode(
        tooltip=[alt.Tooltip("label:N", title="Source"), alt.Tooltip("amount:N", title="Estimate"),
                 alt.Tooltip("measure:N", title="What was estimated")])
    labels = base.mark_text(align="left", dx=4, color="#000000").encode(text="amount:N")
    chart = (bars + labels).properties(width="container", height=50 * len(plot) + 20)
    table = pd.DataFrame({
        "Published": [published_text(f) for f in b["fact"]],
        "Source": [f"{f.publisher}, {f.title}; {f.reference}" for f in b["fact"]],
        "What was estimated": b["measure"],
        "Estimate": b["amount"],
        "Kind": [KIND_WORDS[k] for k in b["kind"]],
        "How the wording was checked": [f.verification for f in b["fact"]],
    })
    sources = "Sources: " + " ".join(citation_html(f) for f in b["fact"])
    return render_chart(chart, chart_id="maintenance-backlog",
                        title="The prison maintenance backlog, as each report gave it (estimates, not one series)",
                        alt_text=alt_text_backlog(data.facts), table=table, source_html=sources)


def backlog_note(data: EstateData) -> HtmlBlock:
    b = _backlog_frame(data.facts)
    first, last = b.iloc[0], b.iloc[-1]
    ratio = last["value_m"] / first["value_m"]
    kinds = sorted({KIND_WORDS[k] for k in b["kind"]})
    kind_text = f"All {len(b)} are {kinds[0].split(' ', 1)[1]}s." if len(kinds) == 1 else \
        "They are of different kinds: " + ", ".join(kinds) + "."
    text = (f"The earliest figure here, {first['amount']} ({first['label']}), and the latest, {last['amount']} "
            f"({last['label']}), differ by a factor of {ratio:.1f}, but they do not measure the same thing: the "
            f"first is the {first['measure'][0].lower() + first['measure'][1:]}, the latest the "
            f"{last['measure'][0].lower() + last['measure'][1:]}. Different reports define and cost the backlog "
            f"differently, so the bars are not a trend. {kind_text}")
    return HtmlBlock(f'<p class="jct-summary">{html.escape(text)}</p>')


# Places out of use over time -----------------------------------------------------------------------------------

def _month_index(month: str) -> int:
    y, m = month.split("-")
    return int(y) * 12 + int(m) - 1


def segments(estate: pd.DataFrame) -> pd.Series:
    """A new line segment wherever a month is missing or the parse changes, so no gap is drawn across."""
    e = estate.sort_values("month")
    idx = e["month"].map(_month_index)
    new = (idx.diff() != 1) | (e["parse"] != e["parse"].shift())
    return new.cumsum().rename("segment").reindex(estate.index)


def gap(estate: pd.DataFrame) -> tuple[str, str]:
    """First and last month with no bulletin between the two parses (YYYY-MM)."""
    last_legacy = estate.loc[estate["parse"] == "legacy", "month"].max()
    first_wfr = estate.loc[estate["parse"] == "wfr", "month"].min()
    start = (pd.Period(last_legacy, "M") + 1).strftime("%Y-%m")
    end = (pd.Period(first_wfr, "M") - 1).strftime("%Y-%m")
    return start, end


def missing_months(estate: pd.DataFrame) -> list[str]:
    """Months between the first and last bulletin with no bulletin in either source."""
    have = set(estate["month"])
    span = pd.period_range(estate["month"].min(), estate["month"].max(), freq="M")
    return [p.strftime("%Y-%m") for p in span if p.strftime("%Y-%m") not in have]


def _month_name(month: str) -> str:
    return pd.Period(month, "M").strftime("%B %Y")


def alt_text_cells(estate: pd.DataFrame) -> str:
    e = estate.sort_values("month")
    g0, g1 = gap(e)
    parts = []
    for parse in ("legacy", "wfr"):
        p = e[e["parse"] == parse]
        first, last = p.iloc[0], p.iloc[-1]
        peak = p.loc[p["cells_out_of_use"].idxmax()]
        parts.append(
            f"{PARSE_LABELS[parse]} ({len(p)} monthly bulletins): {fmt_int(first['cells_out_of_use'])} in "
            f"{_month_name(first['month'])}, {fmt_int(last['cells_out_of_use'])} in {_month_name(last['month'])}, "
            f"highest {fmt_int(peak['cells_out_of_use'])} in {_month_name(peak['month'])}.")
    return (f"Line chart of places out of use across the prison estate of England and Wales (Baseline CNA minus "
            f"In Use CNA), monthly, {_month_name(e.iloc[0]['month'])} to {_month_name(e.iloc[-1]['month'])}, in "
            f"two parts. {parts[0]} There is no per-prison bulletin in the sources from {_month_name(g0)} to "
            f"{_month_name(g1)}: the chart leaves that stretch empty, shaded, rather than joining across it. "
            f"{parts[1]} Months with no bulletin are breaks in the line.")


CELLS_TABLE_FORMATS = {"Baseline CNA": "{:,.0f}", "In Use CNA": "{:,.0f}", "Places out of use": "{:,.0f}"}


def cells_table(estate: pd.DataFrame) -> pd.DataFrame:
    """Every month from the first bulletin to the latest; months with no bulletin are shown, with no figures."""
    e = estate.set_index("month")
    span = pd.period_range(estate["month"].min(), estate["month"].max(), freq="M").strftime("%Y-%m")
    rows = []
    for m in span:
        if m in e.index:
            r = e.loc[m]
            rows.append([m, r["report_date"].strftime("%Y-%m-%d"), PARSE_LABELS[r["parse"]], r["baseline_cna"],
                         r["in_use_cna"], r["cells_out_of_use"], f"{r['source_file']} {r['row_ref']}"])
        else:
            rows.append([m, "", "no bulletin in the sources", None, None, None, ""])
    t = pd.DataFrame(rows, columns=["Month", "Report date", "Parse", "Baseline CNA", "In Use CNA",
                                    "Places out of use", "Source rows"])
    return t.iloc[::-1].reset_index(drop=True)


def cells_chart(data: EstateData, config: TrackerConfig) -> ChartBlock:
    e = data.estate.sort_values("month").copy()
    e["segment"] = segments(e)
    e["series"] = e["parse"].map(PARSE_LABELS)
    e["date"] = e["report_date"].dt.strftime("%Y-%m-%d")
    plot = e[["date", "month", "series", "segment", "cells_out_of_use", "baseline_cna", "in_use_cna"]]
    domain = [PARSE_LABELS["legacy"], PARSE_LABELS["wfr"]]
    colour = alt.Color("series:N", title=None, legend=alt.Legend(orient="top", direction="vertical", labelLimit=400),
                       scale=alt.Scale(domain=domain, range=[COLOURS["population"], COLOURS["capacity"]]))
    tooltip = [alt.Tooltip("date:T", title="Bulletin", format="%d %b %Y"), alt.Tooltip("series:N", title="Parse"),
               alt.Tooltip("cells_out_of_use:Q", title="Places out of use", format=","),
               alt.Tooltip("baseline_cna:Q", title="Baseline CNA", format=","),
               alt.Tooltip("in_use_cna:Q", title="In Use CNA", format=",")]
    x = alt.X("date:T", title=None)
    y = alt.Y("cells_out_of_use:Q", title="Places out of use", scale=alt.Scale(zero=True))
    lines = alt.Chart(plot).mark_line(strokeWidth=1.6).encode(x=x, y=y, color=colour, detail="segment:N")
    points = alt.Chart(plot).mark_point(filled=True, size=18).encode(
        x=x, y=y, color=colour, shape=alt.Shape("series:N", legend=None, scale=alt.Scale(domain=domain,
                                                                                         range=["circle", "square"])),
        tooltip=tooltip)
    last_legacy = e.loc[e["parse"] == "legacy", "date"].max()
    first_wfr = e.loc[e["parse"] == "wfr", "date"].min()
    g0, g1 = gap(e)
    middle = (pd.Timestamp(last_legacy) + (pd.Timestamp(first_wfr) - pd.Timestamp(last_legacy)) / 2)
    band_data = pd.DataFrame({"start": [last_legacy], "end": [first_wfr], "middle": [middle.strftime("%Y-%m-%d")],
                              "label": [f"No bulletin {pd.Period(g0, 'M').strftime('%b %Y')}-"
                                        f"{pd.Period(g1, 'M').strftime('%b %Y')}"]})
    band = alt.Chart(band_data).mark_rect(color="#e6e6e6").encode(x="start:T", x2="end:T")
    band_text = alt.Chart(band_data).mark_text(align="center", baseline="top", dy=4, color="#333333",
                                               fontSize=10).encode(x="middle:T", text="label:N", y=alt.value(0))
    chart = (band + band_text + lines + points).properties(width="container", height=300)
    sources = attribution_html(config, ["moj-monthly-legacy", "wfr-monthly"], short=True)
    return render_chart(chart, chart_id="cells-out-of-use",
                        tables=["cells_out_of_use_estate"],
                        title="Places out of use across the prison estate (Baseline CNA minus In Use CNA), monthly",
                        alt_text=alt_text_cells(data.estate), table=cells_table(data.estate),
                        table_formats=CELLS_TABLE_FORMATS, source_html=sources)


def cells_note(data: EstateData) -> HtmlBlock:
    """What the series counts, where it breaks, and the months it cannot see."""
    e = data.estate.sort_values("month")
    g0, g1 = gap(e)
    missing = [m for m in missing_months(e) if not (g0 <= m <= g1)]
    blank = e[e["blank_in_use"] > 0]
    irc = e[e["irc_establishments"] > 0]
    est = data.establishments.dropna(subset=["cells_out_of_use"])
    negative = est[est["cells_out_of_use"] < 0]
    items = [
        f"The figure is the estate's Baseline CNA (certified normal accommodation: the places a prison holds "
        f"without crowding) minus its In Use CNA (those places less any out of use for damage, repair, "
        f"refurbishment or closure). It counts places, not cells, and it is a count on the report date, not a "
        f"total lost over time.",
        f"The two parts come from different files and different parsers: {len(e[e['parse'] == 'legacy'])} "
        f"MoJ Word/RTF bulletins from {_month_name(e[e['parse'] == 'legacy']['month'].min())} to "
        f"{_month_name(e[e['parse'] == 'legacy']['month'].max())}, parsed by this tracker and checked against "
        f"each bulletin's own Total row; and Walk Forward Research's parse of "
        f"{len(e[e['parse'] == 'wfr'])} bulletins from {_month_name(e[e['parse'] == 'wfr']['month'].min())}.",
        f"No per-prison bulletin from {_month_name(g0)} to {_month_name(g1)} is in either source, so those "
        f"months are a gap. Within the 2011-2016 part, {len(missing)} more months have no bulletin in the "
        f"sources (for example {', '.join(_month_name(m) for m in missing[:3])}); the line breaks there too.",
        f"An establishment listed with no In Use CNA (closed or mothballed) counts as having all its places out "
        f"of use, as in the bulletins' own Total rows; that happens in {len(blank)} month(s): "
        f"{', '.join(_month_name(m) for m in blank['month'])}.",
        f"Immigration removal centres run by the prison service are included while the bulletins list them "
        f"({_month_name(irc['month'].min())} to {_month_name(irc['month'].max())}).",
        f"The estate total nets off establishments whose In Use CNA is above their Baseline CNA (more places in "
        f"use than certified): {len(negative):,} of the {len(est):,} establishment-months from "
        f"{_month_name(est['month'].min())} to {_month_name(est['month'].max())}, at "
        f"{negative['prison_key'].nunique()} establishments.",
    ]
    return HtmlBlock('<ul class="jct-notes">' + "".join(f"<li>{html.escape(t)}</li>" for t in items) + "</ul>")


def losses_note(data: EstateData) -> HtmlBlock:
    """What the NAO said about places lost to poor condition: a different measure from the monthly count."""
    items = "".join(fact_sentence(data.facts[i]) for i in LOSS_FACTS)
    return HtmlBlock(f'<ul class="jct-facts">{items}</ul>')


# Top establishments --------------------------------------------------------------------------------------------

TOP_FORMATS = {"Baseline CNA": "{:,.0f}", "In Use CNA": "{:,.0f}", "Places out of use": "{:,.0f}",
               "% of Baseline CNA": "{:.1f}", "Operational capacity": "{:,.0f}"}


def top_establishments(establishments: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    latest = establishments[establishments["month"] == establishments["month"].max()].copy()
    latest = latest.dropna(subset=["cells_out_of_use"])
    latest = latest.sort_values(["cells_out_of_use", "prison"], ascending=[False, True], kind="stable").head(n)
    t = pd.DataFrame({
        "Establishment": latest["prison"],
        "Baseline CNA": latest["baseline_cna"].astype(float),
        "In Use CNA": latest["in_use_cna"].astype(float),
        "Places out of use": latest["cells_out_of_use"].astype(float),
        "% of Baseline CNA": (latest["cells_out_of_use"] / latest["baseline_cna"] * 100).astype(float).round(1),
        "Operational capacity": latest["op_cap"].astype(float),
        "Source row": latest["source_file"] + " " + latest["row_ref"],
    })
    return t.reset_index(drop=True)


def top_establishments_block(data: EstateData, config: TrackerConfig, n: int = 10) -> HtmlBlock:
    est = data.establishments
    latest = est[est["month"] == est["month"].max()]
    t = top_establishments(est, n)
    top_sum = t["Places out of use"].sum()
    total = data.estate.loc[data.estate["month"] == latest["month"].iloc[0], "cells_out_of_use"].iloc[0]
    with_any = int((latest["cells_out_of_use"] > 0).sum())
    first = t.iloc[0]
    text = (f"In the bulletin of {fmt_date(latest['report_date'].iloc[0])}, {with_any} of {len(latest)} "
            f"establishments had places out of use. The {len(t)} with the most accounted for {fmt_int(top_sum)} of the "
            f"estate's {fmt_int(total)} ({top_sum / total * 100:.0f}%). The most was at {first['Establishment']}: "
            f"{fmt_int(first['Places out of use'])} of its {fmt_int(first['Baseline CNA'])} places "
            f"({first['% of Baseline CNA']:.1f}%).")
    caption = f"The {len(t)} establishments with the most places out of use, {fmt_date(latest['report_date'].iloc[0])}"
    table = data_table_html(t.drop(columns=["Source row"]), caption, TOP_FORMATS)
    source = attribution_html(config, ["wfr-monthly"], short=True)
    rows = "; ".join(f"{r['Establishment']}: {r['Source row']}" for _, r in t.iterrows())
    return HtmlBlock(f'<p class="jct-summary">{html.escape(text)}</p>{table_region(table, caption)}'
                     f'<p class="jct-chart-source">{source}</p>{provenance_details(html.escape(rows) + ".")}')


# Openings and closures -----------------------------------------------------------------------------------------

def changes_by_year(changes: pd.DataFrame) -> pd.DataFrame:
    """Openings (reopenings included) and closures (temporary ones included) per year, every year in the span."""
    years = range(int(changes["year"].min()), int(changes["year"].max()) + 1)
    counts = changes[changes["change_kind"].isin(["opened", "closed"])].groupby(["year", "change_kind"]).size()
    return pd.DataFrame([{"year": y, "opened": int(counts.get((y, "opened"), 0)),
                          "closed": int(counts.get((y, "closed"), 0))} for y in years])


def _reopened(changes: pd.DataFrame) -> pd.Series:
    return (changes["change_kind"] == "opened") & changes["change"].str.match(r"(?i)reopened")


def alt_text_changes(changes: pd.DataFrame) -> str:
    by_year = changes_by_year(changes)
    opened = changes[changes["change_kind"] == "opened"]
    closed = changes[changes["change_kind"] == "closed"]
    worst = by_year.loc[by_year["closed"].idxmax()]
    return (f"Bar chart of prison openings (upwards) and closures (downwards) in England and Wales by year, "
            f"{by_year['year'].min()} to {by_year['year'].max()}, as listed by the Ministry of Justice: "
            f"{len(opened)} openings ({int(_reopened(changes).sum())} of them reopenings) and {len(closed)} closures "
            f"({int(closed['temporary'].sum())} of them temporary). The most closures in one year were "
            f"{worst['closed']} in {worst['year']}. Re-roles, mergers and changes of operator "
            f"({len(changes) - len(opened) - len(closed)}) are listed in the table, not drawn.")


CHANGE_LABELS = {"opened": "Opened", "closed": "Closed"}


def changes_table(changes: pd.DataFrame) -> pd.DataFrame:
    c = changes.copy()
    c["_m"] = c["month"].replace("", "0000-00")
    c = c.sort_values(["year", "_m"], kind="stable")
    return pd.DataFrame({
        "Year": c["year"].astype(str),
        "Month": [pd.Period(m, "M").strftime("%B") if m else "" for m in c["month"]],
        "Establishment": c["establishment"],
        "Change (as published)": c["change"],
        "Kind": c["change_kind"] + c["temporary"].map({True: " (temporary)", False: ""}),
        "Source row": c["source_file"] + " " + c["row_ref"],
    }).iloc[::-1].reset_index(drop=True)


def changes_chart(data: EstateData, config: TrackerConfig) -> ChartBlock:
    by_year = changes_by_year(data.changes)
    long = pd.concat([
        pd.DataFrame({"year": by_year["year"], "kind": CHANGE_LABELS["opened"], "count": by_year["opened"]}),
        pd.DataFrame({"year": by_year["year"], "kind": CHANGE_LABELS["closed"], "count": -by_year["closed"]}),
    ], ignore_index=True)
    long = long[long["count"] != 0]
    long["number"] = long["count"].abs()
    domain = [CHANGE_LABELS["opened"], CHANGE_LABELS["closed"]]
    bars = alt.Chart(long).mark_bar().encode(
        x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=-90),
                scale=alt.Scale(domain=[int(y) for y in by_year["year"]])),
        y=alt.Y("count:Q", title="Prisons (closures below 0)", axis=alt.Axis(tickMinStep=1)),
        color=alt.Color("kind:N", title=None, legend=alt.Legend(orient="top", labelLimit=300),
                        scale=alt.Scale(domain=domain, range=[COLOURS["headroom"], COLOURS["capacity"]])),
        tooltip=[alt.Tooltip("year:O", title="Year"), alt.Tooltip("kind:N", title="Change"),
                 alt.Tooltip("number:Q", title="Establishments")],
    )
    zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="#000000").encode(y="y:Q")
    chart = (bars + zero).properties(width="container", height=240)
    return render_chart(chart, chart_id="prison-openings-closures",
                        tables=["prison_changes"],
                        title="Prisons opened (including reopened) and closed (including temporarily), England and Wales, by year",
                        alt_text=alt_text_changes(data.changes), table=changes_table(data.changes),
                        source_html=attribution_html(config, ["wfr-prison-changes"], short=True))


def changes_note(data: EstateData) -> HtmlBlock:
    c = data.changes
    since = 2010
    recent = c[c["year"] >= since]
    opened = recent[recent["change_kind"] == "opened"]
    closed = recent[recent["change_kind"] == "closed"]
    newest = c[(c["change_kind"] == "opened") & ~_reopened(c)].tail(4)
    names = ", ".join(f"{r['establishment']} ({pd.Period(r['month'], 'M').strftime('%B %Y') if r['month'] else r['year']})"
                      for _, r in newest.iterrows())
    last = c.iloc[-1]
    text = (f"From {since} to {c['year'].max()} the list records {len(opened)} openings and {len(closed)} closures "
            f"({int(closed['temporary'].sum())} temporary). The latest new prisons in the list: {names}. The list "
            f"counts establishments, not places: a large new prison and the closure of a small one count "
            f"the same. It ends with the latest change transcribed ({last['establishment']}, "
            f"{pd.Period(last['month'], 'M').strftime('%B %Y') if last['month'] else last['year']}).")
    return HtmlBlock(f'<p class="jct-summary">{html.escape(text)}</p>')


# Places promised against delivered -----------------------------------------------------------------------------

def _places_frame(facts: dict[str, Fact]) -> pd.DataFrame:
    rows = []
    for promise_id, delivered_id, due_id in PLACES_FACTS:
        promise, delivered = facts[promise_id], facts[delivered_id]
        year = re.search(r"(19|20)\d\d", promise.period).group(0)
        label = f"{year} commitment: {promise.value:,.0f} places"
        rows.append({"commitment": label, "axis": f"{year} commitment", "promised": promise.value,
                     "delivered": delivered.value,
                     "pct": None if delivered_id in NOT_A_SHARE else delivered.value / promise.value * 100,
                     "as_at": delivered.period,
                     "reported": short_source(delivered),
                     "due": fact_value(facts[due_id]) if due_id else "", "promise": promise,
                     "delivered_fact": delivered, "due_fact": facts[due_id] if due_id else None})
    return pd.DataFrame(rows)


def alt_text_places(facts: dict[str, Fact]) -> str:
    p = _places_frame(facts)
    parts = []
    for _, r in p.iterrows():
        due = f"; now due in {r['due']}" if r["due"] else ""
        share = "not reported as a share of this promise" if pd.isna(r["pct"]) else f"{r['pct']:.0f}%"
        parts.append(f"{r['commitment']} promised, {fact_value(r['delivered_fact'])} delivered ({share}, "
                     f"{r['reported']}){due}")
    reporters = " and ".join(dict.fromkeys(_reporter(f) for f in p["delivered_fact"]))
    return ("Bar chart of prison places promised (targets, pale bars) against places delivered (counts, dark bars) "
            f"for each prison-building commitment, as {reporters} reported them. " + "; ".join(parts) + ".")


def _reporter(f: Fact) -> str:
    return "ministers in Parliament" if f.publisher == "House of Commons (Hansard)" else f"the {f.publisher}"


def places_chart(data: EstateData, config: TrackerConfig) -> ChartBlock:
    p = _places_frame(data.facts)
    long = pd.concat([
        pd.DataFrame({"commitment": p["axis"], "measure": "Promised (a target)", "places": p["promised"],
                      "label": [f"{v:,.0f}" for v in p["promised"]], "reported": p["reported"]}),
        pd.DataFrame({"commitment": p["axis"], "measure": "Delivered (a count)", "places": p["delivered"],
                      "label": [f"{d:,.0f}" if pd.isna(pc) else f"{d:,.0f} ({pc:.0f}%)"
                                for d, pc in zip(p["delivered"], p["pct"])],
                      "reported": p["reported"]}),
    ], ignore_index=True)
    measures = ["Promised (a target)", "Delivered (a count)"]
    base = alt.Chart(long).encode(
        x=alt.X("commitment:N", sort=list(p["axis"]), title=None, axis=alt.Axis(labelAngle=0, labelLimit=200)),
        xOffset=alt.XOffset("measure:N", sort=measures),
        y=alt.Y("places:Q", title="Prison places", scale=alt.Scale(domainMax=float(p["promised"].max()) * 1.12)),
    )
    bars = base.mark_bar().encode(
        color=alt.Color("measure:N", title=None, sort=measures, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=measures, range=["#9fb6cc", COLOURS["population"]])),
        tooltip=[alt.Tooltip("commitment:N", title="Commitment"), alt.Tooltip("measure:N", title="Bar"),
                 alt.Tooltip("places:Q", title="Places", format=","), alt.Tooltip("reported:N", title="Reported by")])
    text = base.mark_text(dy=-6, color="#000000", fontSize=10).encode(text="label:N")
    chart = (bars + text).properties(width="container", height=260)
    table = pd.DataFrame({
        "Commitment": p["commitment"],
        "Promised (target)": [fact_value(f) for f in p["promise"]],
        "Delivered (count)": [fact_value(f) for f in p["delivered_fact"]],
        "Delivered as at": p["as_at"],
        "Share delivered": ["not a share (see the notes)" if pd.isna(v) else f"{v:.0f}%" for v in p["pct"]],
        "Now due": p["due"].replace("", "—"),
        "Source": [f"{f.publisher}, {f.title}, {published_text(f)}; {f.reference}" for f in p["delivered_fact"]],
    })
    cited = list(dict.fromkeys([f for f in p["delivered_fact"]] + [f for f in p["due_fact"] if f is not None]))
    sources = "Sources: " + " ".join(citation_html(f) for f in cited)
    return render_chart(chart, chart_id="places-promised-delivered",
                        title="Prison places promised against places delivered, as reported by the National Audit Office "
                              "and ministers in Parliament",
                        alt_text=alt_text_places(data.facts), table=table, source_html=sources)


def places_note(data: EstateData) -> HtmlBlock:
    f = data.facts
    strategy = f[STRATEGY_FACT]
    delivered = f["nao-2024-places-delivered"]
    promise = f["nao-2024-places-commitment"]
    lost = f["nao-2020-places-lost-a-year"]
    items = [
        fact_sentence(f["nao-2020-new-for-old-places-built"]),
        fact_sentence(delivered),
        fact_sentence(f["nao-2024-completion-year"]),
        fact_sentence(strategy),
        fact_sentence(f["hansard-2025-places-delivered"]),
        fact_sentence(f["hansard-2025-places-target"]),
        "<li>" + html.escape(since_july_2024_caveat(f)) + "</li>",
        "<li>" + html.escape(
            f"The {strategy.value:,.0f} places of the 10-Year Prison Capacity Strategy are not on top of the "
            f"{promise.value:,.0f}: the Ministry of Justice describes them as the remainder of the "
            f"{promise.value:,.0f}-place programmes. {delivered.value:,.0f} delivered plus {strategy.value:,.0f} "
            f"still to come is {delivered.value + strategy.value:,.0f}, close to but not exactly {promise.value:,.0f}; "
            f"the two figures come from different documents with different cut-off dates.") + "</li>",
        "<li>" + html.escape(
            f"Places built are not the same as places gained. The estate also loses places to poor condition (the "
            f"NAO reported an expected {fact_value(lost)}, an estimate), so the net change in places is smaller "
            f"than the number built. Press reports of a net figure are not used here because their primary source "
            f"and period could not be checked.") + "</li>",
    ]
    return HtmlBlock(f'<ul class="jct-facts">{"".join(items)}</ul>')


# Costs ----------------------------------------------------------------------------------------------------------

def cost_examples(data: EstateData) -> HtmlBlock:
    facts = sorted((data.facts[i] for i in COST_FACTS), key=lambda f: (f.published, f.fact_id), reverse=True)
    head = "".join(f'<th scope="col">{h}</th>' for h in ("What", "Amount", "Kind", "Period", "Source"))
    body = "".join(
        f"<tr><th scope=\"row\">{html.escape(f.measure)}</th><td>{html.escape(fact_value(f))}</td>"
        f"<td>{html.escape(KIND_WORDS[f.kind])}</td><td>{html.escape(f.period)}</td><td>{citation_html(f)}</td></tr>"
        for f in facts)
    caption = "Costs of the prison estate in the reports cited (not adjusted for inflation)"
    return HtmlBlock(table_region(f'<table class="jct-catalogue"><caption>{caption}</caption><thead><tr>{head}</tr>'
                                  f"</thead><tbody>{body}</tbody></table>", caption))


def per_place(money_fact: Fact, places_fact: Fact) -> float:
    return money_fact.value / places_fact.value


def per_place_note(data: EstateData) -> HtmlBlock:
    """Money per place, divided here from two figures given together; nobody published the result."""
    items = []
    for money_id, places_id in PER_PLACE_FACTS:
        m, n = data.facts[money_id], data.facts[places_id]
        each = per_place(m, n)
        items.append(
            f"{fact_value(m)} for {n.value:,.0f} places works out at about £{round(each, -3):,.0f} a place. This is "
            f"the tracker's division of two figures given in the same sentence ({short_source(m)}), not a figure "
            f"anyone published, and not the cost of building one place: the statement does not say what else the "
            f"money pays for.")
    return HtmlBlock('<ul class="jct-facts">' + "".join(f"<li>{html.escape(t)}</li>" for t in items) + "</ul>")


def since_july_2024_caveat(facts: dict[str, Fact]) -> str:
    delivered, target = facts["hansard-2025-places-delivered"], facts["hansard-2025-places-target"]
    nao = facts["nao-2024-places-delivered"]
    return (f"The minister gave the places delivered ({fact_value(delivered)}) and the {target.value:,.0f} to come "
            f"in one sentence, without saying whether the first count towards the second, so the chart shows no "
            f"share for that pair. The {delivered.value:,.0f} are places opened from {delivered.period}; the NAO's "
            f"count of {nao.value:,.0f} runs to {nao.period.split(' to ')[-1]}, so the two overlap for a few months "
            f"and should not be added together.")


# Sources --------------------------------------------------------------------------------------------------------

def sources(config: TrackerConfig, source_ids: list[str]) -> HtmlBlock:
    return HtmlBlock(attribution_html(config, source_ids))


def reports_cited(data: EstateData) -> HtmlBlock:
    """Every report or statement a figure on this page comes from, once, newest first."""
    seen: dict[tuple, list[Fact]] = {}
    for f in data.facts.values():
        seen.setdefault((f.publisher, f.title, f.published), []).append(f)
    items = []
    for (publisher, title, published), fs in sorted(seen.items(), key=lambda kv: kv[0][2], reverse=True):
        urls = list(dict.fromkeys(f.url for f in fs))
        links = " ".join(f'<a href="{html.escape(u, quote=True)}">{html.escape(u)}</a>' for u in urls)
        ids = ", ".join(f.fact_id for f in fs)
        checked = "; ".join(sorted({f.verification for f in fs}))
        items.append(f"<li>{html.escape(publisher)}, <cite>{html.escape(title)}</cite>, "
                     f"{html.escape(published_text(fs[0]))}: {links}. "
                     f'<span class="jct-ref">Figures: {html.escape(ids)}. How checked: {html.escape(checked)}.</span></li>')
    return HtmlBlock(f'<ul class="jct-reports">{"".join(items)}</ul>')
