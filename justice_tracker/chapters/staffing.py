"""Chapter: staffing in prisons and probation. Everything the notebook shows is computed here, from processed
tables and curated facts; no figure is typed into the text.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

import altair as alt
import pandas as pd

from ..charts import COLOURS, ChartBlock, fmt_date, render_chart
from ..config import TrackerConfig, load_config
from ..facts import Fact, load_facts
from ..ingest.staffing import BAND_DEFINITIONS
from .common import HtmlBlock, TileMeasure, attribution_html, load_table, next_release_text, observations
from .common import headline_tile as headline_tile_html
from .common import provenance_details
from .marks import LineKind, date_lines, layered

# Sources behind each part of the page (ids in tracker.yml).
FTE_SOURCES = ["wfr-officer-fte", "wfr-prisoners-per-officer"]
TARGET_SOURCES = ["wfr-officer-target"]
PRT_SOURCES = ["prt-workforce"]
PROBATION_SOURCES = ["wfr-probation-series", "wfr-probation-annual", "wfr-probation-quarterly"]
ALL_SOURCES = FTE_SOURCES + TARGET_SOURCES + PRT_SOURCES + PROBATION_SOURCES

WORKFORCE_COLLECTION = "https://www.gov.uk/government/collections/national-offender-management-service-workforce-statistics"
OMSQ_COLLECTION = "https://www.gov.uk/government/collections/offender-management-statistics-quarterly"

# Curated facts this chapter cites (data/curated/facts.csv).
FACT_OFFICER_STAFFING = "moj-2026-officer-staffing"
FACT_UNDERESTIMATE = "nao-2025-sentence-management-underestimate"
FACT_TARGETS_MET = "nao-2025-probation-targets-met"
FACT_RISK_ASSESSED = "nao-2025-risk-of-harm-assessed"
PROBATION_FACTS = [FACT_UNDERESTIMATE, FACT_TARGETS_MET, FACT_RISK_ASSESSED]
# Headline figures of the HMPPS workforce bulletins, one curated fact per bulletin, picked out by their measure.
PRISON_OFFICERS_B35 = "Band 3-5 prison officers in post (FTE)"
PRISON_LEAVING = "Leaving rate of band 3-5 prison officers, year to the date given"
PROBATION_OFFICERS_B4 = "Band 4 probation officers in post (FTE)"
PROBATION_SERVICES_OFFICERS_B3 = "Band 3 probation services officers in post (FTE)"
PROBATION_LEAVING = "Leaving rate of band 4 probation officers, year to the date given"

# Extra line colours, all >= 4.5:1 against white; lines also differ by dash pattern for greyscale.
PALETTE = [COLOURS["population"], COLOURS["capacity"], COLOURS["headroom"], "#6a3d9a"]
DASHES = [[1, 0], [6, 3], [2, 2], [8, 2, 2, 2]]

PROBATION_CHART_MEASURES = {
    "all_supervision": "All supervision",
    "all_court_orders": "Court orders (community and suspended sentence orders)",
    "all_pre_and_post_release_supervision": "Pre- and post-release supervision",
}


@dataclass(frozen=True)
class StaffingData:
    fte: pd.DataFrame        # officer_fte_quarterly
    target: pd.DataFrame     # officer_staffing_vs_target
    prt: pd.DataFrame        # officers_annual_prt
    probation: pd.DataFrame  # probation_caseload
    prisons: pd.DataFrame | None = None  # prisons (one row per prison, with its operator)


def config() -> TrackerConfig:
    return load_config()


def load(config: TrackerConfig, fte_table: str, target_table: str, prt_table: str, probation_table: str,
         prisons_table: str | None = None) -> StaffingData:
    fte = load_table(config, fte_table, parse_dates=["date"]).sort_values("date").reset_index(drop=True)
    target = load_table(config, target_table, parse_dates=["date"]).sort_values("date").reset_index(drop=True)
    prt = load_table(config, prt_table).sort_values("year").reset_index(drop=True)
    probation = load_table(config, probation_table, parse_dates=["date"])
    probation["series_break"] = probation["series_break"].fillna("")
    prisons = None if prisons_table is None else load_table(config, prisons_table, parse_dates=["report_date"])
    return StaffingData(fte, target, prt, probation, prisons)


def facts() -> dict[str, Fact]:
    return {f.fact_id: f for f in load_facts()}


# Small formatting helpers: FTE figures carry a decimal, so round before printing, never truncate.

def n(x: float) -> str:
    return f"{round(float(x)):,}"


def _moved(now: float, then: float, unit: str = "", decimals: int = 0) -> str:
    diff = round(float(now) - float(then), decimals)
    if diff == 0:
        return "unchanged"
    amount = f"{round(abs(diff)):,}" if decimals == 0 else f"{abs(diff):,.{decimals}f}"
    return f"{'up' if diff > 0 else 'down'} {amount}{unit}"


def _p(text: str) -> str:
    return f"<p>{html.escape(text)}</p>"


def caseload(probation: pd.DataFrame, measure: str = "all_supervision", sex: str = "all") -> pd.DataFrame:
    """One caseload series, oldest first: the annual figures to 2024, then the quarter ends."""
    rows = probation[(probation["measure"] == measure) & (probation["sex"] == sex)]
    if rows.empty:
        raise ValueError(f"no probation caseload rows for {measure!r} ({sex})")
    return rows.sort_values("date").reset_index(drop=True)


def _at(frame: pd.DataFrame, date: pd.Timestamp) -> pd.Series | None:
    rows = frame[frame["date"] == date]
    return None if rows.empty else rows.iloc[0]


def _ref(row: pd.Series) -> str:
    return f"{row['source_file']} {row['row_ref']}"


# Headline tiles.

def headline_tile(data: StaffingData, config: TrackerConfig) -> HtmlBlock:
    """Two tiles: prison staffing (HMPPS workforce statistics) and probation (OMSQ), each with its release."""
    fte = data.fte
    ratio = fte.dropna(subset=["prisoners_per_officer"])
    last_fte, last_ratio, last_target = fte.iloc[-1], ratio.iloc[-1], data.target.iloc[-1]
    prison = [
        TileMeasure("Band 3-4 prison officers in post (FTE)", *observations(fte, "date", "band_3_4_officers_fte")),
        TileMeasure("Prisoners per band 3-4 officer, public-sector prisons",
                    *observations(ratio, "date", "prisoners_per_officer"), fmt="{:.2f}", decimals=2,
                    kind="ratio of two counts"),
        TileMeasure("Band 3-5 officers in post as % of target staffing",
                    *observations(data.target, "date", "pct_of_target"), fmt="{:.1f}%", change_unit=" points",
                    decimals=1, kind="against a target"),
    ]
    dates = sorted({last_fte["date"], last_ratio["date"], last_target["date"]})
    release = (
        f'<a href="{WORKFORCE_COLLECTION}">HMPPS workforce statistics</a> (Ministry of Justice), staff in post at '
        f"{html.escape(' and '.join(fmt_date(d) for d in dates))}: officers and prisoners per officer from the staff "
        f"in post time series; % of target from the annex on staffing against targets (Table 4)."
        + provenance_details(f"Staff in post: {html.escape(_ref(last_fte))}; against target: "
                             f"{html.escape(_ref(last_target))}."))
    prison_tile = headline_tile_html(f"Prison staffing: latest figures, {fmt_date(dates[-1])}", prison, release,
                                     next_release_text(config, FTE_SOURCES[0], dates[-1].strftime("%Y-%m-%d")),
                                     period_word="previous quarter")

    total = caseload(data.probation)
    community = caseload(data.probation, "all_supervision_in_community")
    last = total.iloc[-1]
    probation = [
        TileMeasure("People under probation supervision (caseload)", *observations(total, "date", "value")),
        TileMeasure("of whom supervised in the community (court orders and licences)",
                    *observations(community, "date", "value")),
    ]
    release = (f'<a href="{OMSQ_COLLECTION}">Offender Management Statistics Quarterly</a>, probation caseload at '
               f"{fmt_date(last['date'])} (Ministry of Justice)." + provenance_details(f"{html.escape(_ref(last))}."))
    if last["series_break"]:
        release += (f" The {fmt_date(last['date'])} figures start a new series ({html.escape(last['series_break'])}: "
                    "a more complete count, not applied to earlier quarters), so the changes shown are partly the "
                    "new method.")
    probation_tile = headline_tile_html(f"Probation: latest caseload, {fmt_date(last['date'])}", probation, release,
                                        next_release_text(config, PROBATION_SOURCES[0],
                                                          last["date"].strftime("%Y-%m-%d")),
                                        period_word="previous figure")
    return HtmlBlock(prison_tile.html + probation_tile.html)


# Narrative: prisons.

def prison_summary(data: StaffingData) -> HtmlBlock:
    fte = data.fte
    first, last = fte.iloc[0], fte.iloc[-1]
    peak = fte.loc[fte["band_3_4_officers_fte"].idxmax()]
    _, _, year_ago = observations(fte, "date", "band_3_4_officers_fte")
    ratio = fte.dropna(subset=["prisoners_per_officer"])
    r_last, r_low = ratio.iloc[-1], ratio.loc[ratio["prisoners_per_officer"].idxmin()]
    text = (
        f"On {fmt_date(last['date'])} HMPPS had {n(last['band_3_4_officers_fte'])} band 3-4 prison officers in post, "
        f"counted as full-time equivalents (FTE)")
    if year_ago is not None:
        text += f": {_moved(last['band_3_4_officers_fte'], year_ago.value)} on a year earlier ({fmt_date(year_ago.date)})"
    if peak["date"] != last["date"]:
        text += (f", and {n(peak['band_3_4_officers_fte'] - last['band_3_4_officers_fte'])} fewer than at the peak "
                 f"of {n(peak['band_3_4_officers_fte'])} on {fmt_date(peak['date'])}")
    text += (f". The series starts on {fmt_date(first['date'])}, at {n(first['band_3_4_officers_fte'])}. "
             f"Counting every operational grade from band 2 to band 5 there were {n(last['operational_b2_b5_fte'])} "
             f"FTE, and {n(last['all_staff_fte'])} FTE of staff of all kinds in the prison service and the youth "
             f"custody service.")
    paragraph2 = (
        f"Public-sector prisons held {n(r_last['public_population'])} people on {fmt_date(r_last['date'])}: "
        f"{r_last['prisoners_per_officer']:.2f} prisoners for each band 3-4 officer (FTE)")
    if r_low["date"] != r_last["date"]:
        paragraph2 += (f", against {r_low['prisoners_per_officer']:.2f} at the lowest point, on "
                       f"{fmt_date(r_low['date'])}. Since then the public-sector population is "
                       f"{_moved(r_last['public_population'], r_low['public_population'])} and band 3-4 officers are "
                       f"{_moved(r_last['band_3_4_officers_fte'], r_low['band_3_4_officers_fte'])} FTE")
    paragraph2 += "."
    return HtmlBlock(f'<div class="jct-summary">{_p(text)}{_p(paragraph2)}</div>')


def target_summary(data: StaffingData, known: dict[str, Fact]) -> HtmlBlock:
    t = data.target
    last, best = t.iloc[-1], t.loc[t["pct_of_target"].idxmax()]
    side = "short of" if last["gap"] < 0 else "above"
    text = (
        f"On {fmt_date(last['date'])} the {int(last['establishments'])} public-sector prisons in the annex had "
        f"{n(last['officers'])} band 3-5 officers in post (hours-adjusted FTE, a count) against target staffing of "
        f"{n(last['target'])} (a target HMPPS sets for each prison): {last['pct_of_target']:.1f}% of target, "
        f"{n(abs(last['gap']))} FTE {side} it.")
    if best["date"] != last["date"]:
        best_side = "short of" if best["gap"] < 0 else "above"
        text += (f" The best position in the series was {fmt_date(best['date'])}: {best['pct_of_target']:.1f}% of "
                 f"target, {n(abs(best['gap']))} FTE {best_side} it. Since then officers in post are "
                 f"{_moved(last['officers'], best['officers'])} and the target is {_moved(last['target'], best['target'])}.")
    parts = [_p(text)]
    fact = known.get(FACT_OFFICER_STAFFING)
    if fact is not None:
        row = _at(t, pd.Timestamp(fact.period))
        if row is not None:
            agrees = round(row["pct_of_target"]) == round(fact.value)
            parts.append(_p(
                f"Cross-check: the Ministry of Justice gives {fact.value:g}% of the national target for "
                f"{fact.period} ({fact.title}, {fact.reference.lower()}); the annex figures here give "
                f"{row['pct_of_target']:.1f}% for that date, which "
                + ("rounds to the same figure." if agrees else f"does not round to it ({round(row['pct_of_target'])}%).")))
            parts.append(f'<ul class="jct-facts">{fact_item(fact)}</ul>')
    return HtmlBlock(f'<div class="jct-summary">{"".join(parts)}</div>')


def long_run_summary(data: StaffingData) -> HtmlBlock:
    prt = data.prt
    first, last = prt.iloc[0], prt.iloc[-1]
    low = prt.loc[prt["officers"].idxmin()]
    o, p = last["officers_pct_change_vs_2010"], last["population_pct_change_vs_2010"]
    text = (
        f"The Prison Reform Trust's annual series counts {n(last['officers'])} HMPPS-employed prison officers in "
        f"{int(last['year'])}, {abs(o):.1f}% {'fewer' if o < 0 else 'more'} than in {int(first['year'])} "
        f"({n(first['officers'])}), while the prison population it pairs them with was {abs(p):.1f}% "
        f"{'lower' if p < 0 else 'higher'} ({n(last['population'])} against {n(first['population'])}).")
    if low["year"] != last["year"]:
        text += (f" The fewest officers were in {int(low['year'])}: {n(low['officers'])}, "
                 f"{abs(low['officers_pct_change_vs_2010']):.1f}% below {int(first['year'])}.")
    return HtmlBlock(f'<div class="jct-summary">{_p(text)}</div>')


# Narrative: probation.

def probation_summary(data: StaffingData) -> HtmlBlock:
    total = caseload(data.probation)
    last = total.iloc[-1]
    d = last["date"]
    community = _at(caseload(data.probation, "all_supervision_in_community"), d)
    pre = _at(caseload(data.probation, "pre_release_supervision"), d)
    women = _at(caseload(data.probation, "all_supervision", "female"), d)
    _, _, year_ago = observations(total, "date", "value")
    first = total.iloc[0]
    text = f"On {fmt_date(d)} {n(last['value'])} people were under probation supervision in England and Wales (a count)"
    if community is not None and pre is not None:
        text += (f": {n(community['value'])} supervised in the community on court orders or licences, and "
                 f"{n(pre['value'])} in prison on pre-release supervision")
        if community["value"] + pre["value"] > last["value"]:
            text += " (someone can be in both groups, so the two add up to more than the total)"
    text += "."
    if women is not None:
        text += f" {n(women['value'])} of them ({women['value'] / last['value'] * 100:.1f}%) were women."
    if year_ago is not None:
        text += f" The caseload was {_moved(last['value'], year_ago.value)} on a year earlier ({fmt_date(year_ago.date)})"
        text += f"; at {fmt_date(first['date'])} it was {n(first['value'])}."
    return HtmlBlock(f'<div class="jct-summary">{_p(text)}</div>')


def series_break_effect(data: StaffingData, measure: str = "all_supervision") -> dict | None:
    """The first quarter marked as a break: its change against the mean change of the three quarters before."""
    s = caseload(data.probation, measure)
    q = s[s["series"] == "quarterly"].reset_index(drop=True)
    marked = q.index[q["series_break"] != ""]
    if len(marked) == 0 or marked[0] < 4:
        return None
    i = int(marked[0])
    change = q.loc[i, "value"] - q.loc[i - 1, "value"]
    prior = [q.loc[j, "value"] - q.loc[j - 1, "value"] for j in range(i - 3, i)]
    mean = sum(prior) / len(prior)
    return {"date": q.loc[i, "date"], "note": q.loc[i, "series_break"], "change": change, "mean_prior": mean,
            "excess": change - mean, "value": q.loc[i, "value"], "from": q.loc[i - 3, "date"]}


def break_note(data: StaffingData) -> HtmlBlock:
    e = series_break_effect(data)
    if e is None:
        return HtmlBlock("<p>No break in the probation caseload series is marked in the data.</p>")
    text = (
        f"The caseload figures for {fmt_date(e['date'])} are marked as a break in the series ({e['note']}): the "
        f"Ministry of Justice improved its data processing from that quarter, giving a more complete count, and did "
        f"not revise earlier quarters. The caseload rose by {n(e['change'])} in the quarter to "
        f"{fmt_date(e['date'])}, against an average of {n(e['mean_prior'])} a quarter over the three quarters "
        f"before. The difference, about {n(e['excess'])}, is a rough estimate of what the new method added: the "
        f"Ministry has not published the two on the same basis.")
    return HtmlBlock(f'<div class="jct-summary">{_p(text)}</div>')


def fact_series(known: dict[str, Fact], measure: str) -> pd.DataFrame:
    """The curated facts with one measure as a dated series, oldest first (period "30 June 2025" or
    "year to 30 June 2025")."""
    rows = [{"date": pd.Timestamp(f.period.removeprefix("year to ")), "value": f.value, "fact": f}
            for f in known.values() if f.measure == measure]
    frame = pd.DataFrame(rows, columns=["date", "value", "fact"])
    return frame.sort_values("date").reset_index(drop=True)


def _listing(series: pd.DataFrame, fmt) -> str:
    items = [f"{fmt(r['value'])} on {fmt_date(r['date'])}" for _, r in series.iterrows()]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def practitioner_ratios(data: StaffingData, known: dict[str, Fact]) -> pd.DataFrame:
    """People under supervision per band 3-4 probation practitioner (FTE), only where the caseload and both staff
    counts are of the same date: a caseload from a nearby date would mix two different days' counts."""
    po = fact_series(known, PROBATION_OFFICERS_B4).set_index("date")["value"]
    pso = fact_series(known, PROBATION_SERVICES_OFFICERS_B3).set_index("date")["value"]
    total = caseload(data.probation).set_index("date")
    rows = []
    for date in sorted(set(po.index) & set(pso.index)):
        staff = float(po[date] + pso[date])
        case = total["value"].get(date)
        rows.append({"date": date, "probation_officers": float(po[date]), "probation_services_officers": float(pso[date]),
                     "practitioners": staff, "caseload": None if case is None else float(case),
                     "caseload_table": None if case is None else total.loc[date, "series"],
                     "per_practitioner": None if case is None else float(case) / staff})
    return pd.DataFrame(rows)


def probation_staffing(data: StaffingData, known: dict[str, Fact]) -> HtmlBlock:
    """Probation officers in post over time (HMPPS workforce bulletins), and the caseload per practitioner only
    where a caseload count has the same date as the staff counts."""
    parts = []
    po = fact_series(known, PROBATION_OFFICERS_B4)
    pso = fact_series(known, PROBATION_SERVICES_OFFICERS_B3)
    if not po.empty:
        text = (f"HMPPS's workforce statistics count band 4 probation officers in post (FTE, counts): "
                f"{_listing(po, n)}")
        if len(po) > 1:
            text += f": {_moved(po['value'].iloc[-1], po['value'].iloc[0])} between the first and the latest date"
        text += "."
        if not pso.empty:
            text += (f" Band 3 probation services officers, who include trainee probation officers: "
                     f"{_listing(pso, n)}")
            if len(pso) > 1:
                text += f": {_moved(pso['value'].iloc[-1], pso['value'].iloc[0])} over the same dates"
            text += "."
        parts.append(_p(text))
    ratios = practitioner_ratios(data, known)
    if not ratios.empty:
        matched = ratios.dropna(subset=["per_practitioner"])
        unmatched = ratios[ratios["per_practitioner"].isna()]
        quarterly_from = data.probation.loc[data.probation["series"] == "quarterly", "date"].min()
        if not matched.empty:
            said = [f"{fmt_date(r['date'])}: {n(r['caseload'])} people under supervision and "
                    f"{n(r['practitioners'])} band 3-4 probation practitioners ({n(r['probation_officers'])} probation "
                    f"officers and {n(r['probation_services_officers'])} probation services officers), about "
                    f"{r['per_practitioner']:.0f} people per practitioner"
                    for _, r in matched.iterrows()]
            parts.append(_p(
                "Where the caseload and the staff counts are of the same date, the two can be divided. "
                + "; ".join(said) + ". This is an average made here from two counts of the same day, not a caseload "
                "HMPPS publishes: the caseload includes people still in prison on pre-release supervision, senior "
                "probation officers and other grades also hold or oversee cases, practitioners also write court "
                "reports, and FTE is not headcount."))
        if not unmatched.empty:
            parts.append(_p(
                "No ratio is shown for " + " or ".join(fmt_date(d) for d in unmatched["date"])
                + ": the tracker has no caseload count for that date (the annual caseload is counted at 31 December, "
                f"the quarterly one from {fmt_date(quarterly_from)})."))
    items = "".join(fact_item(r["fact"]) for s_ in (po, pso) for _, r in s_.iterrows())
    items += "".join(fact_item(known[f]) for f in PROBATION_FACTS if f in known)
    if items:
        parts.append(f'<ul class="jct-facts">{items}</ul>')
    if not parts:
        return HtmlBlock("<p>No curated figures on probation staffing are available.</p>")
    return HtmlBlock(f'<div class="jct-summary">{"".join(parts)}</div>')


def prison_headline(data: StaffingData, known: dict[str, Fact]) -> HtmlBlock:
    """HMPPS's own headline (band 3-5 prison officers) next to the two series drawn on this page."""
    heads = fact_series(known, PRISON_OFFICERS_B35)
    if heads.empty:
        return HtmlBlock("<p>No HMPPS headline figures for prison officers are available.</p>")
    last = heads.iloc[-1]
    text = (f"HMPPS's own headline measure is band 3-5 prison officers in post ({BAND_DEFINITIONS['band_3_5_officers']}), "
            f"counted as FTE: {_listing(heads, n)}")
    if len(heads) > 1:
        text += f"; {_moved(last['value'], heads['value'].iloc[0])} between the first and the latest of these dates"
    text += "."
    same = []
    fte_row, target_row = _at(data.fte, last["date"]), _at(data.target, last["date"])
    if fte_row is not None:
        same.append(f"{n(fte_row['band_3_4_officers_fte'])} band 3-4 officers in the quarterly series drawn above "
                    f"({BAND_DEFINITIONS['band_3_4_officers_fte']})")
    if target_row is not None:
        same.append(f"{n(target_row['officers'])} band 3-5 officers in the annex on staffing against targets "
                    f"(hours-adjusted FTE, public-sector prisons only)")
    if same:
        text += (f" For {fmt_date(last['date'])} this page also shows " + " and ".join(same)
                 + ": three measures of the same day on different definitions, so they differ.")
    items = "".join(fact_item(r["fact"]) for _, r in heads.iterrows())
    return HtmlBlock(f'<div class="jct-summary">{_p(text)}<ul class="jct-facts">{items}</ul></div>')


def leaving_rates(known: dict[str, Fact]) -> HtmlBlock:
    parts, items = [], ""
    for measure, who in ((PRISON_LEAVING, "band 3-5 prison officers"), (PROBATION_LEAVING, "band 4 probation officers")):
        rates = fact_series(known, measure)
        if rates.empty:
            continue
        listed = ", ".join(f"{r['value']:g}% in the year to {fmt_date(r['date'])}" for _, r in rates.iterrows())
        text = f"Leaving rate of {who}: {listed}"
        if len(rates) > 1:
            text += (f" ({_moved(rates['value'].iloc[-1], rates['value'].iloc[0], ' percentage points', 1)} "
                     f"from the first to the latest)")
        parts.append(_p(text + "."))
        items += "".join(fact_item(r["fact"]) for _, r in rates.iterrows())
    if not parts:
        return HtmlBlock("<p>No leaving rates are available.</p>")
    return HtmlBlock(f'<div class="jct-summary">{"".join(parts)}<ul class="jct-facts">{items}</ul></div>')


def _fact_value(f: Fact) -> str:
    if f.unit.startswith("%"):
        return f"{f.value:g}{f.unit}"  # 26% of targets
    return f"{f.value:,.0f} {f.unit}"


def fact_item(f: Fact) -> str:
    quote = f" “{html.escape(f.quote)}”" if f.quote else ""
    return (
        f'<li id="fact-{html.escape(f.fact_id, quote=True)}"><strong>{html.escape(f.measure)}: '
        f"{html.escape(_fact_value(f))}</strong> ({html.escape(f.period)}; {html.escape(f.kind)}).{quote} "
        f'<span class="jct-ref">{html.escape(f.publisher)}, <a href="{html.escape(f.url, quote=True)}">'
        f"<cite>{html.escape(f.title)}</cite></a>, {html.escape(f.published)}, {html.escape(f.reference)}. "
        f"Checked: {html.escape(f.verification)}.</span></li>")


# Caveats whose figures come from the data.

def operator_split(data: StaffingData) -> dict | None:
    """The population of open prisons by operator in the tracker's prison table, to set against the third party's
    public-sector population (the denominator of prisoners per officer) at the nearest quarter end."""
    if data.prisons is None:
        return None
    open_ = data.prisons[data.prisons["status"] == "open"]
    if open_.empty:
        return None
    by = open_.groupby(open_["operator"].fillna("unknown"))["population"].sum()
    unknown = open_[open_["operator"].isna()]
    when = open_["report_date"].max()
    ratio = data.fte.dropna(subset=["public_population"])
    nearest = ratio.loc[(ratio["date"] - when).abs().idxmin()]
    return {"date": when, "public": float(by.get("public", 0)), "private": float(by.get("private", 0)),
            "unknown": float(by.get("unknown", 0)), "unknown_names": sorted(unknown["prison_name"]),
            "total": float(by.sum()), "third_party_date": nearest["date"],
            "third_party_public": float(nearest["public_population"]),
            "third_party_total": float(nearest["population"])}


def caveats(data: StaffingData) -> HtmlBlock:
    fte, t = data.fte, data.target
    items = []
    common = sorted(set(fte["date"]) & set(t["date"]))
    if common:
        d = common[-1]
        a, b = _at(fte, d), _at(t, d)
        items.append(
            f"<strong>FTE, not headcount; two definitions of FTE.</strong> Both series count full-time equivalents, "
            f"not people. The quarterly series counts a full-time officer as 1 FTE whatever the contract and covers "
            f"band 3-4 officers ({BAND_DEFINITIONS['band_3_4_officers_fte']}); the annex on staffing against targets "
            f"adjusts for contract hours (37 hours = 0.95, 39 = 1, 41 = 1.05) and covers band 3-5 officers "
            f"({BAND_DEFINITIONS['band_3_5_officers']}). Operational staff are "
            f"{BAND_DEFINITIONS['operational_b2_b5_fte']}. On {fmt_date(d)} they give {n(a['band_3_4_officers_fte'])} and "
            f"{n(b['officers'])}: the two are not comparable, and neither is the Prison Reform Trust's annual count.")
    ratio = fte.dropna(subset=["public_population"])
    if not ratio.empty:
        r = ratio.iloc[-1]
        private = r["population"] - r["public_population"]
        items.append(
            f"<strong>Private prisons are left out.</strong> Staff of privately managed prisons are not employed by "
            f"HMPPS and are in none of these counts, and the annex excludes those prisons by design. On "
            f"{fmt_date(r['date'])} about {n(private)} of the {n(r['population'])} prisoners "
            f"({private / r['population'] * 100:.1f}%) were outside the public-sector prisons (Walk Forward "
            f"Research's split), so prisoners per officer uses the public-sector population only.")
        split = operator_split(data)
        if split is not None:
            tp_private = split["third_party_total"] - split["third_party_public"]
            items.append(
                f"<strong>Two public/private splits.</strong> The tracker's own table of prisons (population on "
                f"{fmt_date(split['date'])}, operator from the 2016-17 register of prisons and the Ministry's list "
                f"of changes to the estate) gives {n(split['public'])} people in publicly run prisons and "
                f"{n(split['private'])} in privately run ones, with {n(split['unknown'])} in prisons the register "
                f"predates ({html.escape(', '.join(split['unknown_names']))}), whose operator it does not record. "
                f"Walk Forward Research's split for {fmt_date(split['third_party_date'])} gives "
                f"{n(split['third_party_public'])} public and {n(tp_private)} outside the public sector. The two "
                f"differ because they are of different days and from different sources (a weekly total "
                f"interpolated to the quarter end against a monthly count by prison), and because the register "
                f"cannot place the newer prisons; prisoners per officer keeps the third party's split, which "
                f"covers every quarter.")
        items.append(
            f"<strong>Where the series start.</strong> The quarterly staff series starts on "
            f"{fmt_date(fte['date'].iloc[0])}, the first date of HMPPS's consistent time series; the public-sector "
            f"population, and so prisoners per officer, starts on {fmt_date(ratio['date'].iloc[0])}. The annex series "
            f"has {len(t)} dates: {', '.join(fmt_date(x) for x in t['date'])}.")
    e = series_break_effect(data)
    if e is not None:
        items.append(
            f"<strong>Probation series break, {fmt_date(e['date'])} ({html.escape(e['note'])}).</strong> Figures from "
            f"that date are on a new, more complete basis; compare them with earlier ones with care (see above).")
    annual = data.probation[data.probation["series"] == "annual"]
    if not annual.empty:
        items.append(
            f"<strong>Annual, then quarterly.</strong> The probation caseload to {annual['date'].max().year} is the "
            f"count at 31 December of each year (from the annual tables); from "
            f"{fmt_date(data.probation[data.probation['series'] == 'quarterly']['date'].min())} it is the count at each "
            f"quarter end. The {annual['date'].max().year} annual figures were compiled with the Ministry's new "
            f"probation data pipeline.")
    items.append(
        "<strong>One probation measure left out.</strong> The two files of the latest quarter disagree on people on "
        "pre-Criminal Justice Act 2003 orders (a few dozen people), so that measure is not in the tracker's table.")
    return HtmlBlock(f'<ul class="jct-caveats">{"".join(f"<li>{i}</li>" for i in items)}</ul>')


# Charts.

def _dated(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["date"] = out["date"].dt.strftime("%Y-%m-%d")
    return out


def _lines(long: pd.DataFrame, x: alt.X, y_title: str, value_format: str, points: bool = False,
           zero: bool = False, x_tooltip: alt.Tooltip | None = None, legend_offset=alt.Undefined) -> alt.Chart:
    domain = list(dict.fromkeys(long["series"]))
    base = alt.Chart(long).encode(
        x=x,
        y=alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=zero)),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="top", columns=1, labelLimit=400,
                                                                  offset=legend_offset),
                        scale=alt.Scale(domain=domain, range=PALETTE[:len(domain)])),
        strokeDash=alt.StrokeDash("series:N", legend=None, scale=alt.Scale(domain=domain, range=DASHES[:len(domain)])),
        tooltip=[x_tooltip or alt.Tooltip("date:T", title="Date", format="%d %b %Y"),
                 alt.Tooltip("series:N", title="Series"), alt.Tooltip("value:Q", title="Value", format=value_format)],
    )
    chart = base.mark_line(strokeWidth=1.8)
    if points:
        chart = chart + base.mark_point(filled=True, size=40)
    return chart


def alt_text_officers(fte: pd.DataFrame) -> str:
    first, last = fte.iloc[0], fte.iloc[-1]
    peak = fte.loc[fte["band_3_4_officers_fte"].idxmax()]
    return (
        f"Line chart of HMPPS prison staff in post, full-time equivalent, quarterly, {fmt_date(first['date'])} to "
        f"{fmt_date(last['date'])}. Band 3-4 prison officers went from {n(first['band_3_4_officers_fte'])} to "
        f"{n(last['band_3_4_officers_fte'])}, peaking at {n(peak['band_3_4_officers_fte'])} on "
        f"{fmt_date(peak['date'])}; operational staff (bands 2-5) from {n(first['operational_b2_b5_fte'])} to "
        f"{n(last['operational_b2_b5_fte'])}; all prison service and youth custody staff from "
        f"{n(first['all_staff_fte'])} to {n(last['all_staff_fte'])}.")


FTE_LABELS = {"band_3_4_officers_fte": "Band 3-4 prison officers", "operational_b2_b5_fte": "Operational staff, bands 2-5",
              "all_staff_fte": "All prison service and youth custody staff"}


def officers_fte_chart(data: StaffingData, config: TrackerConfig) -> ChartBlock:
    fte = data.fte
    long = _dated(fte).melt(id_vars=["date"], value_vars=list(FTE_LABELS), var_name="series", value_name="value")
    long["series"] = long["series"].map(FTE_LABELS)
    chart = _lines(long, alt.X("date:T", title=None), "Staff in post (FTE)", ",.1f", zero=True)
    table = fte[["date", *FTE_LABELS, "row_ref"]].copy()
    table["date"] = table["date"].dt.strftime("%Y-%m-%d")
    table.columns = ["Date", "Band 3-4 officers (FTE)", "Operational staff (FTE)", "All staff (FTE)", "Source row"]
    return render_chart(
        chart.properties(width="container", height=320), chart_id="officers-fte",
        tables=["officer_fte_quarterly"],
        title="Prison staff in post (full-time equivalent), HMPPS, England and Wales, quarterly",
        alt_text=alt_text_officers(fte), table=table.iloc[::-1].reset_index(drop=True),
        table_formats={c: "{:,.1f}" for c in table.columns[1:4]},
        source_html=attribution_html(config, FTE_SOURCES[:1], short=True))


def alt_text_ratio(fte: pd.DataFrame) -> str:
    r = fte.dropna(subset=["prisoners_per_officer"])
    first, last = r.iloc[0], r.iloc[-1]
    low, high = r.loc[r["prisoners_per_officer"].idxmin()], r.loc[r["prisoners_per_officer"].idxmax()]
    def extreme(word: str, row: pd.Series) -> str:
        at = {first["date"]: "at the start", last["date"]: "at the latest date"}.get(row["date"], f"on {fmt_date(row['date'])}")
        return f"{word} {row['prisoners_per_officer']:.2f} {at}"
    return (
        f"Line chart of prisoners per band 3-4 prison officer (FTE) in public-sector prisons, quarterly, "
        f"{fmt_date(first['date'])} to {fmt_date(last['date'])}: {first['prisoners_per_officer']:.2f} at the start, "
        f"{extreme('highest', high)}, {extreme('lowest', low)}, latest {last['prisoners_per_officer']:.2f}.")


def prisoners_per_officer_chart(data: StaffingData, config: TrackerConfig) -> ChartBlock:
    r = data.fte.dropna(subset=["prisoners_per_officer"])
    long = _dated(r)[["date", "prisoners_per_officer"]].rename(columns={"prisoners_per_officer": "value"})
    long["series"] = "Prisoners per band 3-4 officer"
    chart = _lines(long, alt.X("date:T", title=None), "Prisoners per officer (FTE)", ".3f")
    table = r[["date", "public_population", "band_3_4_officers_fte", "prisoners_per_officer", "row_ref"]].copy()
    table["date"] = table["date"].dt.strftime("%Y-%m-%d")
    table.columns = ["Date", "Public-sector population", "Band 3-4 officers (FTE)", "Prisoners per officer",
                     "Source row"]
    return render_chart(
        chart.properties(width="container", height=260), chart_id="prisoners-per-officer",
        tables=["officer_fte_quarterly"],
        title="Prisoners per band 3-4 prison officer (FTE), public-sector prisons, quarterly",
        alt_text=alt_text_ratio(data.fte), table=table.iloc[::-1].reset_index(drop=True),
        table_formats={"Public-sector population": "{:,.1f}", "Band 3-4 officers (FTE)": "{:,.1f}",
                       "Prisoners per officer": "{:.3f}"},
        source_html=attribution_html(config, FTE_SOURCES, short=True))


def alt_text_target(target: pd.DataFrame) -> str:
    first, last = target.iloc[0], target.iloc[-1]
    best = target.loc[target["pct_of_target"].idxmax()]
    return (
        f"Line chart with points of band 3-5 prison officers in post against target staffing (hours-adjusted FTE), "
        f"public-sector prisons, {len(target)} dates from {fmt_date(first['date'])} to {fmt_date(last['date'])}. "
        f"Officers in post went from {n(first['officers'])} to {n(last['officers'])}; the target from "
        f"{n(first['target'])} to {n(last['target'])}. In post was {last['pct_of_target']:.1f}% of target at the "
        f"latest date, and highest, {best['pct_of_target']:.1f}%, on {fmt_date(best['date'])}.")


def officers_vs_target_chart(data: StaffingData, config: TrackerConfig) -> ChartBlock:
    t = data.target
    long = _dated(t).melt(id_vars=["date"], value_vars=["officers", "target"], var_name="series", value_name="value")
    long["series"] = long["series"].map({"officers": "Band 3-5 officers in post", "target": "Target staffing"})
    # From zero: cut at 21,200 the gap of a twelfth looked like a collapse.
    chart = _lines(long, alt.X("date:T", title=None), "Full-time equivalent (hours-adjusted)", ",.1f", points=True,
                   zero=True)
    table = t[["date", "officers", "target", "gap", "pct_of_target", "establishments", "row_ref"]].copy()
    table["date"] = table["date"].dt.strftime("%Y-%m-%d")
    table.columns = ["Date", "In post (FTE)", "Target (FTE)", "Difference (FTE)", "% of target", "Establishments",
                     "Source row"]
    return render_chart(
        chart.properties(width="container", height=280), chart_id="officers-vs-target",
        tables=["officer_staffing_vs_target"],
        title="Band 3-5 prison officers in post against target staffing, public-sector prisons",
        alt_text=alt_text_target(t), table=table.iloc[::-1].reset_index(drop=True),
        table_formats={"In post (FTE)": "{:,.1f}", "Target (FTE)": "{:,.1f}", "Difference (FTE)": "{:+,.1f}",
                       "% of target": "{:.1f}"},
        source_html=attribution_html(config, TARGET_SOURCES, short=True))


def alt_text_long_run(prt: pd.DataFrame) -> str:
    first, last = prt.iloc[0], prt.iloc[-1]
    low = prt.loc[prt["officers_pct_change_vs_2010"].idxmin()]
    return (
        f"Line chart of the percentage change since {int(first['year'])} in HMPPS-employed prison officers and in "
        f"the prison population, {int(first['year'])} to {int(last['year'])} (Prison Reform Trust). Officers: "
        f"{last['officers_pct_change_vs_2010']:+.1f}% by {int(last['year'])} ({n(first['officers'])} to "
        f"{n(last['officers'])}), lowest {low['officers_pct_change_vs_2010']:+.1f}% in {int(low['year'])}. "
        f"Population: {last['population_pct_change_vs_2010']:+.1f}% ({n(first['population'])} to "
        f"{n(last['population'])}).")


def long_run_chart(data: StaffingData, config: TrackerConfig) -> ChartBlock:
    prt = data.prt
    long = prt.melt(id_vars=["year"], value_vars=["officers_pct_change_vs_2010", "population_pct_change_vs_2010"],
                    var_name="series", value_name="value")
    long["series"] = long["series"].map({"officers_pct_change_vs_2010": "HMPPS-employed prison officers",
                                         "population_pct_change_vs_2010": "Prison population"})
    x = alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0, values=[int(y) for y in prt["year"] if y % 5 == 0]))
    lines = _lines(long, x, f"% change since {int(prt['year'].iloc[0])}", "+.1f", points=True, zero=True,
                   x_tooltip=alt.Tooltip("year:O", title="Year"))
    zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="#000000").encode(y="y:Q")
    table = prt[["year", "officers", "officers_pct_change_vs_2010", "population", "population_pct_change_vs_2010",
                 "row_ref"]].copy()
    table.columns = ["Year", "Prison officers", "Officers, % on 2010", "Prison population", "Population, % on 2010",
                     "Source rows"]
    return render_chart(
        (zero + lines).properties(width="container", height=280), chart_id="officers-long-run",
        tables=["officers_annual_prt"],
        title="Prison officers and the prison population since 2010: % change, England and Wales, annual",
        alt_text=alt_text_long_run(prt), table=table.iloc[::-1].reset_index(drop=True),
        table_formats={"Prison officers": "{:,}", "Prison population": "{:,}", "Officers, % on 2010": "{:+.1f}",
                       "Population, % on 2010": "{:+.1f}"},
        source_html=attribution_html(config, PRT_SOURCES, short=True))


def _probation_wide(probation: pd.DataFrame) -> pd.DataFrame:
    rows = probation[(probation["sex"] == "all") & probation["measure"].isin(PROBATION_CHART_MEASURES)]
    out = []
    for date, g in rows.groupby("date", sort=True):
        by = {r["measure"]: r for _, r in g.iterrows()}
        first = by.get("all_supervision", g.iloc[0])
        lines = sorted({int(r["row_ref"].split()[1]) for r in by.values()})
        where = (f"line {lines[0]}" if len(lines) == 1 else "lines " + ", ".join(str(x) for x in lines))
        if first["series"] == "annual":
            where += ", " + first["source_column"].split(" (")[0]
        out.append({"date": date, "series": first["series"],
                    **{m: by[m]["value"] if m in by else float("nan") for m in PROBATION_CHART_MEASURES},
                    "series_break": first["series_break"], "source": f"{first['source_file']} {where}"})
    return pd.DataFrame(out)


def alt_text_probation(probation: pd.DataFrame) -> str:
    wide = _probation_wide(probation)
    first, last = wide.iloc[0], wide.iloc[-1]
    low = wide.loc[wide["all_supervision"].idxmin()]
    high = wide.loc[wide["all_supervision"].idxmax()]
    annual = wide[wide["series"] == "annual"]
    quarterly = wide[wide["series"] == "quarterly"]

    def extreme(word: str, row: pd.Series) -> str:
        at = {first["date"]: "at the start", last["date"]: "at the latest date"}.get(row["date"], f"on {fmt_date(row['date'])}")
        return f"{word} {n(row['all_supervision'])} {at}"
    text = (
        f"Line chart with points of the probation caseload, England and Wales: at 31 December "
        f"{annual['date'].min().year} to {annual['date'].max().year}, then at each quarter end from "
        f"{fmt_date(quarterly['date'].min())} to {fmt_date(quarterly['date'].max())}. All supervision went from "
        f"{n(first['all_supervision'])} to {n(last['all_supervision'])} ({extreme('lowest', low)}, "
        f"{extreme('highest', high)}); court orders "
        f"from {n(first['all_court_orders'])} to {n(last['all_court_orders'])}; pre- and post-release supervision "
        f"from {n(first['all_pre_and_post_release_supervision'])} to "
        f"{n(last['all_pre_and_post_release_supervision'])}.")
    breaks = wide[wide["series_break"] != ""]
    if not breaks.empty:
        b = breaks.iloc[0]
        text += (f" A dashed vertical line, labelled {_break_label(b['series_break'])}, marks the break in series at "
                 f"{fmt_date(b['date'])} ({b['series_break']}).")
    return text


# A break in the probation series: how the caseload is counted changed (the MoJ's note says how).
PROBATION_BREAK = {"series-break": LineKind("Break in the series", COLOURS["break"], (4, 3))}


def _break_label(note: str) -> str:
    """A break's label beside its line: the MoJ note that describes it."""
    return f"break ({note})"


def probation_chart(data: StaffingData, config: TrackerConfig) -> ChartBlock:
    wide = _probation_wide(data.probation)
    long = _dated(wide).melt(id_vars=["date"], value_vars=list(PROBATION_CHART_MEASURES), var_name="series",
                             value_name="value").dropna(subset=["value"])
    long["series"] = long["series"].map(PROBATION_CHART_MEASURES)
    breaks = wide[wide["series_break"] != ""]
    marks = date_lines(pd.DataFrame({"date": breaks["date"], "kind": "series-break", "label": breaks["series_break"],
                                     "short": [_break_label(b) for b in breaks["series_break"]]}),
                       PROBATION_BREAK, wide["date"].min(), wide["date"].max(), legend_title="Dated changes",
                       label_title="Note")
    chart = layered(marks, _lines(long, alt.X("date:T", title=None), "People", ",.0f", points=True, zero=True,
                                  legend_offset=marks.legend_offset))
    table = wide.copy()
    table["date"] = table["date"].dt.strftime("%Y-%m-%d")
    table = table[["date", "series", *PROBATION_CHART_MEASURES, "series_break", "source"]]
    table.columns = ["Date", "Table", "All supervision", "Court orders", "Pre- and post-release", "Break in series",
                     "Source"]
    return render_chart(
        chart.properties(width="container", height=300), chart_id="probation-caseload",
        tables=["probation_caseload"],
        title="Probation caseload by type of supervision, England and Wales",
        alt_text=alt_text_probation(data.probation), table=table.iloc[::-1].reset_index(drop=True),
        table_formats={c: "{:,.0f}" for c in ("All supervision", "Court orders", "Pre- and post-release")},
        source_html=attribution_html(config, PROBATION_SOURCES[:2], short=True))


def sources(config: TrackerConfig, source_ids: list[str] | None = None) -> HtmlBlock:
    return HtmlBlock(attribution_html(config, source_ids or ALL_SOURCES))
