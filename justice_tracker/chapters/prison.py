"""Page per prison: one establishment's figures 2011-2026. Everything the notebook shows is computed here, from the
processed tables `prisons`, `monthly_establishments` (2018 on) and `monthly_establishments_legacy` (2011-2016).

The template runs once per establishment, so this module reads only the columns it needs and draws one chart.
Every string that comes from data (names above all) is escaped before it reaches HTML.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

import altair as alt
import pandas as pd

from ..charts import COLOURS, ChartBlock, fmt_date, fmt_int, render_chart
from ..config import TrackerConfig, load_config
from ..tables import load_table, load_table_text
from .common import HtmlBlock, TileMeasure, attribution_html, next_release_text, observations
from .common import headline_tile as headline_tile_html
from .common import provenance_details

PRISONS, RECENT, LEGACY = "prisons", "monthly_establishments", "monthly_establishments_legacy"
SOURCES = ["moj-monthly", "wfr-monthly", "moj-monthly-legacy", "prison-register", "prison-register-codes", "wfr-prison-changes",
           "wfr-staffing-capacity"]
MEASURES = ["population", "op_cap", "in_use_cna", "baseline_cna"]
# Where each month's figures were read, by the source of the row (official files are parsed here).
PARSE_LABELS = {"moj-monthly-legacy": "MoJ bulletin (Word/RTF), parsed here",
                "moj-monthly": "MoJ bulletin, parsed here",
                "wfr-monthly": "Walk Forward Research's parse"}
CHART_PARSE = {"moj-monthly-legacy": "tracker (MoJ bulletins)", "moj-monthly": "tracker (MoJ bulletins)",
               "wfr-monthly": "Walk Forward Research"}
SERIES_NAMES = {"population": "Population", "op_cap": "Operational capacity", "in_use_cna": "In Use CNA"}


@dataclass
class PrisonData:
    """One establishment: its row of `prisons`, its monthly rows from both parses, and the latest month of the
    2018-2026 series (which says whether it is still open)."""

    row: dict
    series: pd.DataFrame
    latest_month: str

    @property
    def name(self) -> str:
        return str(self.row["prison_name"])


def config() -> TrackerConfig:
    return load_config()


def _read(config: TrackerConfig, table_id: str, columns: list[str]) -> pd.DataFrame:
    return load_table(config, table_id, columns=columns)


def monthly_series(recent: pd.DataFrame, legacy: pd.DataFrame) -> pd.DataFrame:
    """Both parses as one monthly series: month, report date, the four counts, cells out of use, crowding, the
    parse it came from and the raw row (file and line) each figure was read from."""
    lg = legacy.rename(columns={"bulletin_month": "month"})
    out = pd.concat([lg, recent], ignore_index=True).sort_values("month", kind="stable").reset_index(drop=True)
    out["period"] = out["source_id"].map(PARSE_LABELS).fillna(out["source_id"])
    for c in MEASURES:
        out[c] = out[c].astype("Float64")
    out["cells_out_of_use"] = out["baseline_cna"] - out["in_use_cna"]
    in_use = out["in_use_cna"].where(out["in_use_cna"] > 0)
    out["crowding_pct"] = (out["population"] / in_use * 100).round(1)
    out["report_date"] = pd.to_datetime(out["report_date"], format="%Y-%m-%d")
    out["source_row"] = out["source_file"] + " " + out["row_ref"]
    return out


def load(config: TrackerConfig, prison_key: str) -> PrisonData:
    prisons = load_table_text(config, PRISONS)
    match = prisons[prisons["prison_key"] == prison_key]
    if len(match) != 1:
        raise KeyError(f"prison_key {prison_key!r} is not (once) in table {PRISONS}")
    row = match.iloc[0].to_dict()
    cols = ["month", "report_date", "prison_key", *MEASURES, "source_id", "source_file", "row_ref"]
    recent = _read(config, RECENT, cols)
    latest_month = str(recent["month"].max())
    recent = recent[recent["prison_key"] == prison_key].drop(columns="prison_key")
    legacy = _read(config, LEGACY, ["bulletin_month", *cols[1:]])
    legacy = legacy[legacy["prison_key"] == prison_key].drop(columns="prison_key")
    return PrisonData(_typed_row(row), monthly_series(recent, legacy), latest_month)


def _typed_row(row: dict) -> dict:
    """A row of `prisons` read as text: numbers back to numbers (None when blank), text columns as str."""
    out = {k: ("" if v is None else str(v)) for k, v in row.items()}
    for c in ("population", "op_cap", "in_use_cna", "baseline_cna", "cells_out_of_use", "months_legacy",
              "months_recent"):
        out[c] = None if out.get(c, "") in ("", None) else int(out[c])
    for c in ("crowding_pct", "officer_fte_change"):
        out[c] = None if out.get(c, "") in ("", None) else float(out[c])
    return out


def _month(month: str) -> str:
    """'2026-07' -> 'July 2026'."""
    return pd.Timestamp(f"{month}-01").strftime("%B %Y")


def _e(text) -> str:
    return html.escape(str(text))


def _latest(data: PrisonData) -> pd.Series:
    return data.series.iloc[-1]


def _is_open(data: PrisonData) -> bool:
    return data.row["status"] == "open"


def _in_latest(data: PrisonData) -> bool:
    return data.row["in_latest"] == "yes"


# Status ------------------------------------------------------------------------------------------------------------

STATUS_LABELS = {"open": "Open", "temporarily closed": "Temporarily closed", "closed": "Closed",
                 "merged": "Merged", "no longer reported": "No longer reported separately"}


def _when(value: str) -> str:
    """'2024-07-25' -> '25 July 2024'; '2016-06' -> 'June 2016'; '2011' -> '2011'."""
    parts = value.split("-")
    if len(parts) == 1:
        return value
    text = _month("-".join(parts[:2]))
    return f"{int(parts[2])} {text}" if len(parts) == 3 else text


def status_text(data: PrisonData, titles: dict[str, str] | None = None) -> str:
    """The establishment's status in one or two sentences, from its row of `prisons`: what was recorded (MoJ list
    of changes, the cited change log) and what the monthly bulletins show, side by side."""
    r, name = data.row, data.name
    status, since, latest = r["status"], r["status_since"], data.latest_month
    if status == "open":
        return f"Open: {name} is in the latest monthly bulletin ({_month(latest)}) and holds people."
    if status == "merged":
        into = (titles or {}).get(r["status_into"], r["status_into"])
        text = f"Merged into {into} ({_when(since)})."
    elif status == "no longer reported":
        text = (f"No longer reported separately: {name} was last in the monthly bulletins in "
                f"{_month(r['last_month'])}, and no closure or merger is recorded for it.")
    else:
        text = f"{STATUS_LABELS[status]} since {_when(since)}."
    if _in_latest(data) and r["empty_since"]:
        months = (pd.Period(latest, freq="M") - pd.Period(r["empty_since"], freq="M")).n + 1
        text += (f" The monthly bulletins have shown no one held here since {_month(r['empty_since'])}: the "
                 f"population was 0 in every bulletin from {_month(r['empty_since'])} to {_month(latest)} "
                 f"({months} bulletins)")
        text += f"; the last people were counted in {_month(r['last_held_month'])}." if r["last_held_month"] else "."
    elif status != "no longer reported":
        text += (f" It was last in the monthly bulletins in {_month(r['last_month'])}, and is not in the latest "
                 f"({_month(latest)}).")
    return text


def status(data: PrisonData, titles: dict[str, str] | None = None) -> HtmlBlock:
    """Status first: a prison that holds no one is never presented as if it were running. The sources the status
    rests on are listed under it."""
    r = data.row
    items = "".join(f"<li>{_e(b)}</li>" for b in r["status_basis"].split(" | ") if b)
    css = "open" if _is_open(data) else "closed"
    return HtmlBlock(
        f'<div class="jct-prison-status jct-status-{css}" data-status="{_e(r["status"])}">'
        f"<p><strong>Status:</strong> {_e(status_text(data, titles))}</p>"
        f"<details><summary>What the status rests on</summary><ul>{items}</ul></details></div>")


# Tile -------------------------------------------------------------------------------------------------------------

TILE = [("Population", "population", "{:,.0f}", "", 0),
        ("Operational capacity", "op_cap", "{:,.0f}", "", 0),
        ("In Use CNA (uncrowded places in use)", "in_use_cna", "{:,.0f}", "", 0),
        ("Crowding: population as % of In Use CNA", "crowding_pct", "{:.1f}%", " points", 1),
        ("Places out of use (Baseline minus In Use CNA)", "cells_out_of_use", "{:,.0f}", "", 0)]


def tile_measures(data: PrisonData) -> tuple[list[TileMeasure], list[str]]:
    """A card for each measure the latest bulletin gives; the labels of those it does not give."""
    series, latest = data.series, _latest(data)
    measures, missing = [], []
    for label, col, fmt, unit, dec in TILE:
        if pd.isna(latest[col]):
            missing.append(label)
            continue
        upto = series[["report_date", col, "source_file", "row_ref"]].dropna(subset=[col])
        now, prev, ago = observations(upto, "report_date", col, tolerance_days=20)
        measures.append(TileMeasure(label, now, prev, ago, fmt=fmt, change_unit=unit, decimals=dec))
    return measures, missing


def tile_heading(data: PrisonData, date: str) -> str:
    """Figures of a prison that is not open are labelled as its last (or, still printed but empty, as those of a
    prison that holds no one), never as the current figures of a running prison."""
    label = STATUS_LABELS[data.row["status"]].lower()
    if _is_open(data):
        return f"{data.name}: latest monthly figures, {date}"
    if _in_latest(data):
        return f"{data.name} ({label}): latest monthly figures, {date}, with no one held"
    return f"{data.name} ({label}): last monthly figures, {date}; not current"


def headline_tile(data: PrisonData, config: TrackerConfig) -> HtmlBlock:
    latest = _latest(data)
    measures, missing = tile_measures(data)
    refs = [f"latest {latest['source_row']}"]
    if measures:
        m = measures[0]
        for word, obs in (("previous", m.previous), ("12 months earlier", m.year_ago)):
            if obs is not None:
                refs.append(f"{word} {obs.ref}")
    # The rows behind the figures are for whoever checks them, so they sit in a disclosure, not in the reader's text.
    release = (f"Monthly per-prison bulletin of {fmt_date(latest['report_date'])} (Ministry of Justice). "
               + provenance_details(f"{_e('; '.join(refs))}."))
    if missing:
        release += f" Not given for {_e(data.name)} in this bulletin: {_e(', '.join(missing))}."
    if _in_latest(data):
        nxt = next_release_text(config, "wfr-monthly", latest["report_date"].strftime("%Y-%m-%d"))
    else:
        nxt = (f"none for {data.name}: it is not in the latest bulletin ({_month(data.latest_month)}); "
               f"last reported {_month(data.row['last_month'])}")
    heading = tile_heading(data, fmt_date(latest["report_date"]))
    return headline_tile_html(heading, measures, release, nxt, period_word="previous bulletin")


# Chart ------------------------------------------------------------------------------------------------------------

def _segments(series: pd.DataFrame) -> pd.Series:
    """A new line segment wherever a month is missing, so gaps in the bulletins (above all June 2016 to February
    2018, when neither source has per-prison figures) are drawn as gaps, never bridged."""
    months = pd.PeriodIndex(series["month"], freq="M")
    steps = pd.Series([0] + [int((b - a).n) for a, b in zip(months[:-1], months[1:])], index=series.index)
    return (steps != 1).cumsum()


def chart_frame(data: PrisonData) -> pd.DataFrame:
    """Long form for the chart: month, measure, places, the run of consecutive months it belongs to, whether that
    run is a single month (drawn as a point, since a line needs two), and the parse (short label)."""
    s = data.series.assign(segment=_segments(data.series).values,
                           parse=data.series["source_id"].map(CHART_PARSE).fillna(data.series["source_id"]))
    long = s.melt(id_vars=["month", "segment", "parse"], value_vars=list(SERIES_NAMES), var_name="measure",
                  value_name="places").dropna(subset=["places"])
    long["measure"] = long["measure"].map(SERIES_NAMES)
    long["places"] = long["places"].astype(int)
    long["single"] = long.groupby(["measure", "segment"])["month"].transform("size") == 1
    return long.reset_index(drop=True)


def _gap(data: PrisonData) -> tuple[str, str] | None:
    """The months with no per-prison figures between the two parses, if the establishment is in both."""
    last_legacy, first_recent = data.row["last_legacy_month"], data.row["first_recent_month"]
    if not last_legacy or not first_recent:
        return None
    start = (pd.Period(last_legacy, freq="M") + 1).strftime("%Y-%m")
    end = (pd.Period(first_recent, freq="M") - 1).strftime("%Y-%m")
    return (start, end) if start <= end else None


def alt_text(data: PrisonData) -> str:
    s = data.series
    first, last = s.iloc[0], s.iloc[-1]
    text = (f"Line chart of the monthly population, operational capacity and In Use CNA of {data.name}, "
            f"{_month(first['month'])} to {_month(last['month'])}, from {len(s)} monthly bulletins")
    gap = _gap(data)
    text += (f"; there are no per-prison figures from {_month(gap[0])} to {_month(gap[1])}, shown as a gap. "
             if gap else ". ")
    pop = s.dropna(subset=["population"])
    if len(pop):
        peak = pop.loc[pop["population"].idxmax()]
        text += (f"The population went from {fmt_int(pop.iloc[0]['population'])} ({_month(pop.iloc[0]['month'])}) "
                 f"to {fmt_int(pop.iloc[-1]['population'])} ({_month(pop.iloc[-1]['month'])}), highest "
                 f"{fmt_int(peak['population'])} in {_month(peak['month'])}. ")
    for col, label in (("op_cap", "Operational capacity"), ("in_use_cna", "In Use CNA")):
        v = s.dropna(subset=[col])
        if len(v):
            text += f"{label} went from {fmt_int(v.iloc[0][col])} to {fmt_int(v.iloc[-1][col])}. "
    both = s.dropna(subset=["crowding_pct"])
    if len(both):
        over = int((both["crowding_pct"] > 100).sum())
        text += (f"The population was above In Use CNA (over 100% crowded) in {over} of the {len(both)} months "
                 f"with both figures.")
    return text.strip()


TABLE_FORMATS = {"Population": "{:,.0f}", "Operational capacity": "{:,.0f}", "In Use CNA": "{:,.0f}",
                 "Baseline CNA": "{:,.0f}", "Crowding %": "{:.1f}", "Places out of use": "{:,.0f}"}


def chart_table(data: PrisonData) -> pd.DataFrame:
    t = data.series[["month", "population", "op_cap", "in_use_cna", "baseline_cna", "crowding_pct",
                     "cells_out_of_use", "period", "source_row"]].copy()
    t.columns = ["Month", "Population", "Operational capacity", "In Use CNA", "Baseline CNA", "Crowding %",
                 "Places out of use", "Parse", "Source row"]
    return t.iloc[::-1].reset_index(drop=True)


def chart_id(prison_key: str) -> str:
    return f"prison-{prison_key}-population"


def population_chart(data: PrisonData, config: TrackerConfig) -> ChartBlock:
    long = chart_frame(data)
    domain = list(SERIES_NAMES.values())
    colour = alt.Color("measure:N", title=None, legend=alt.Legend(orient="top"),
                       scale=alt.Scale(domain=domain,
                                       range=[COLOURS["population"], COLOURS["capacity"], COLOURS["headroom"]]))
    tooltip = [alt.Tooltip("month:T", title="Month", format="%b %Y"), alt.Tooltip("measure:N", title="Series"),
               alt.Tooltip("places:Q", title="Value", format=","), alt.Tooltip("parse:N", title="Parse")]
    x = alt.X("month:T", title=None)
    y = alt.Y("places:Q", title="People / places", scale=alt.Scale(zero=False))
    base = alt.Chart(long[["month", "measure", "places", "segment", "parse", "single"]])
    lines = base.transform_filter("!datum.single").mark_line(strokeWidth=1.6).encode(
        x=x, y=y, color=colour, detail="segment:N", tooltip=tooltip,
        strokeDash=alt.StrokeDash("measure:N", legend=None,
                                  scale=alt.Scale(domain=domain, range=[[1, 0], [6, 3], [2, 2]])))
    if long["single"].any():  # a month with no bulletin either side: a point, as a line needs two months
        lines = lines + base.transform_filter("datum.single").mark_point(filled=True, size=20).encode(
            x=x, y=y, color=colour, tooltip=tooltip)
    layers = lines
    gap = _gap(data)
    if gap:
        # Shaded from the last month of one parse to the first of the other: exactly where the lines stop.
        band = pd.DataFrame({"start": [data.row["last_legacy_month"]], "end": [data.row["first_recent_month"]],
                             "label": ["No per-prison figures in either source"]})
        shade = alt.Chart(band).mark_rect(color=COLOURS["break"], opacity=0.12).encode(
            x="start:T", x2="end:T", tooltip=[alt.Tooltip("label:N", title="Gap")])
        layers = shade + lines
    chart = layers.properties(width="container", height=300)
    return render_chart(
        chart, chart_id=chart_id(str(data.row["prison_key"])),
        tables=["monthly_establishments", "monthly_establishments_legacy"],
        title=f"{data.name}: population against operational capacity and In Use CNA, monthly",
        alt_text=alt_text(data), table=chart_table(data), table_formats=TABLE_FORMATS,
        source_html=attribution_html(config, ["wfr-monthly", "moj-monthly-legacy"], short=True),
    )


# Prose ------------------------------------------------------------------------------------------------------------

def crowding_text(data: PrisonData) -> str:
    s, latest = data.series, _latest(data)
    when = _month(latest["month"])
    name = data.name
    pop, in_use, base, out = (latest[c] for c in ("population", "in_use_cna", "baseline_cna", "cells_out_of_use"))
    parts = []
    if pd.notna(in_use) and in_use == 0:
        parts.append(f"In {when} {name} had no places in use (In Use CNA 0"
                     + (f" against a Baseline CNA of {fmt_int(base)}" if pd.notna(base) else "") + ")"
                     + (f" and held {fmt_int(pop)} people." if pd.notna(pop) else "."))
    elif pd.notna(pop) and pd.notna(in_use):
        pct = latest["crowding_pct"]
        verdict = "so it was overcrowded" if pct > 100 else "within its uncrowded capacity"
        parts.append(f"In {when} {name} held {fmt_int(pop)} people in {fmt_int(in_use)} places of In Use CNA (its "
                     f"uncrowded capacity): a crowding rate of {pct:.1f}%, {verdict}.")
    else:
        parts.append(f"The bulletin of {when} gives no population or no In Use CNA for {name}, so its crowding "
                     "that month is not known.")
    if pd.notna(out) and pd.notna(base) and base > 0:
        if out > 0:
            parts.append(f"{fmt_int(out)} of its {fmt_int(base)} Baseline CNA places ({out / base * 100:.1f}%) were "
                         "out of use (Baseline CNA minus In Use CNA).")
        elif out == 0:
            parts.append(f"None of its {fmt_int(base)} Baseline CNA places were out of use.")
        else:
            parts.append(f"Its In Use CNA was {fmt_int(-out)} above its Baseline CNA of {fmt_int(base)}.")
    both = s.dropna(subset=["crowding_pct"])
    if len(both) > 1:
        over = int((both["crowding_pct"] > 100).sum())
        peak = both.loc[both["crowding_pct"].idxmax()]
        parts.append(f"Over {_month(both.iloc[0]['month'])} to {_month(both.iloc[-1]['month'])} it was over 100% "
                     f"in {over} of {len(both)} months with figures; the highest was {peak['crowding_pct']:.1f}% in "
                     f"{_month(peak['month'])}.")
    return " ".join(parts)


def crowding(data: PrisonData) -> HtmlBlock:
    return HtmlBlock(f'<p class="jct-summary">{_e(crowding_text(data))}</p>')


OPERATOR_WORDS = {"public": "public sector (HM Prison and Probation Service)",
                  "private": "privately run (contracted out)"}


def profile(data: PrisonData) -> HtmlBlock:
    """Status, operator, function, region and code, each with where it comes from."""
    r = data.row
    status = f"{STATUS_LABELS[r['status']]} (see the top of the page)"
    if r["section"] == "irc":
        status += "; listed among the immigration removal centres run by the prison service in its latest bulletin"
    run_by = f", run by {r['contractor']}" if r.get("contractor") else ""
    operator = (f"{OPERATOR_WORDS[r['operator']]}{run_by}. Basis: {r['operator_basis']}" if r["operator"] else
                f"not known. Basis: {r['operator_basis']}")
    items = [
        ("Status", status),
        ("Operator", operator),
        ("Predominant function", f"{r['predominant_function']} (2016-17 register)" if r["predominant_function"]
         else "not in the 2016-17 register"),
        ("Region", f"{r['region']} (NOMS region, 2016-17 register)" if r["region"] else "not in the 2016-17 register"),
        ("NOMIS code", r["nomis_code"] or "not in the register"),
        ("Monthly figures", f"{r['months_legacy']} months in the 2011-2016 bulletins and {r['months_recent']} in the "
                            f"spreadsheets since 2017, {_month(r['first_month'])} to {_month(r['last_month'])}"),
    ]
    body = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items)
    return HtmlBlock(f'<dl class="jct-prison-profile">{body}</dl>')


def staffing_text(data: PrisonData) -> str:
    r, name = data.row, data.name
    if r["officer_fte_change"] is None:
        if r["operator"] == "private":
            why = f"{name} is privately run, and the figures cover public-sector prisons only"
        elif r["last_month"] < "2023-03":
            why = (f"{name} was last reported in {_month(r['last_month'])}, before the period the figures cover "
                   "(March 2023 to June 2026)")
        else:
            why = f"{name} is not among the public-sector prisons listed in the figures"
        return ("No change in prison officer numbers is published for this establishment: " + why + ".")
    change = r["officer_fte_change"]
    verb = "rose" if change > 0 else "fell" if change < 0 else "did not change"
    amount = f" by {abs(change):,.1f} FTE" if change else ""
    text = (f"Between March 2023 and June 2026 the number of band 3-5 prison officers at {name}, in full-time "
            f"equivalents (FTE), {verb}{amount}. This is a change, not a level, derived by Walk Forward Research "
            "from the HMPPS workforce statistics; it covers public-sector prisons only.")
    if r["officer_fte_note"]:
        text += " " + r["officer_fte_note"]
    return text


def staffing(data: PrisonData) -> HtmlBlock:
    return HtmlBlock(f"<p>{_e(staffing_text(data))}</p>")


def series_join_text(data: PrisonData) -> str:
    r, name = data.row, data.name
    last_legacy, first_recent = r["last_legacy_month"], r["first_recent_month"]
    if last_legacy and first_recent:
        gap = _gap(data)
        months = (pd.Period(first_recent, freq="M") - pd.Period(last_legacy, freq="M")).n - 1
        text = (f"The figures to {_month(last_legacy)} are the tracker's own parse of the MoJ monthly bulletins "
                f"(Word and RTF files); those from {_month(first_recent)} are {_recent_parses(data)} of the "
                "later spreadsheets. No month is in both, so the two parses cannot be checked against each other "
                f"for {name}")
        text += (f"; the {months} months between ({_month(gap[0])} to {_month(gap[1])}) have no per-prison "
                 "figures in either source." if gap else ".")
        return text
    if last_legacy:
        return (f"All of {name}'s figures come from the tracker's own parse of the MoJ monthly bulletins, "
                f"{_month(r['first_month'])} to {_month(last_legacy)}; it is not in the spreadsheets published "
                "since 2017.")
    return (f"All of {name}'s figures come from {_recent_parses(data)} of the MoJ monthly spreadsheets, "
            f"{_month(first_recent)} to {_month(r['last_month'])}; it is not in the 2011-2016 bulletins.")


def _recent_parses(data: PrisonData) -> str:
    """Who read the spreadsheet-era months: Walk Forward Research, the tracker itself (official files downloaded
    here), or both, with the months each covers."""
    recent = data.series[data.series["source_id"] != "moj-monthly-legacy"]
    parts = []
    for source, rows in recent.groupby("source_id", sort=False):
        who = "the tracker's own parse" if source == "moj-monthly" else "Walk Forward Research's parse"
        span = _month(rows["month"].min()) + ("" if rows["month"].nunique() == 1 else f" to {_month(rows['month'].max())}")
        parts.append(f"{who} ({span})" if recent["source_id"].nunique() > 1 else who)
    return " and ".join(parts)


def series_join(data: PrisonData) -> HtmlBlock:
    return HtmlBlock(f"<p>{_e(series_join_text(data))}</p>")


def history(data: PrisonData, titles: dict[str, str] | None = None) -> HtmlBlock:
    """Names printed, notes on combined or renamed rows, changes to the estate, and linked establishments."""
    r = data.row
    parts = [f"<p><strong>Names printed in the bulletins:</strong> {_e(r['names_printed'])}.</p>"]
    if r["notes"]:
        items = "".join(f"<li>{_e(n)}</li>" for n in r["notes"].split(" | "))
        parts.append(f"<p><strong>How the bulletins report it:</strong></p><ul>{items}</ul>")
    if r["estate_changes"]:
        items = "".join(f"<li>{_e(n)}</li>" for n in r["estate_changes"].split(" | "))
        parts.append(f"<p><strong>Changes to the estate (MoJ list):</strong></p><ul>{items}</ul>")
    if r["related_keys"]:
        titles = titles or {}
        links = ", ".join(f'<a href="{html.escape(k, quote=True)}.html">{_e(titles.get(k, k))}</a>'
                          for k in r["related_keys"].split())
        parts.append(f"<p><strong>Reported with or replaced by:</strong> {links}.</p>")
    return HtmlBlock('<div class="jct-prison-history">' + "".join(parts) + "</div>")


def related_titles(config: TrackerConfig, data: PrisonData) -> dict[str, str]:
    keys = data.row["related_keys"].split() + ([data.row["status_into"]] if data.row["status_into"] else [])
    if not keys:
        return {}
    prisons = load_table_text(config, PRISONS, ["prison_key", "prison_name"])
    return dict(zip(prisons["prison_key"], prisons["prison_name"]))


def sources(config: TrackerConfig) -> HtmlBlock:
    own = ("<p>The figures for January 2011 to May 2016 are the Justice Crisis Tracker's own parse of the Ministry of "
           "Justice's monthly bulletins, published under the Open Government Licence v3.0; later months come from the "
           "MoJ's monthly spreadsheets, read by the tracker where it has the file and otherwise from Walk Forward "
           "Research's parse of them, licensed CC BY 4.0. The statistics are the Ministry of Justice's throughout."
           "</p>")
    return HtmlBlock(own + attribution_html(config, SOURCES))


def row_sources(data: PrisonData) -> HtmlBlock:
    """Every row this page's summary line was built from (the `row_ref` of its row in `prisons`)."""
    items = "".join(f"<li>{_e(ref)}</li>" for ref in str(data.row["row_ref"]).split("; "))
    return HtmlBlock(f'<details class="jct-row-refs"><summary>Rows this page is built from</summary><ul>{items}</ul>'
                     "</details>")



def check_title(data: PrisonData, prison_name: str) -> None:
    """The page heading comes from the `prison_name` parameter; it must be this establishment's name."""
    if prison_name != data.name:
        raise ValueError(f"parameter prison_name={prison_name!r} but table {PRISONS} names {data.row['prison_key']!r} "
                         f"{data.name!r}; pass the row's prison_name column")
