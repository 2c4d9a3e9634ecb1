"""Chapter: licence recalls. Everything the notebook shows is computed here, from processed tables and the curated
table of dated rule changes (data/curated/recall_rule_changes.csv).

Periods: the recall population is one figure a month, labelled with the first day of the month (the source gives
the month, not the day of the count); quarterly figures cover a calendar quarter and are drawn at mid-quarter (bars
span the quarter); annual figures cover a calendar year.
"""
from __future__ import annotations

import csv
import datetime as dt
import html
import re
from dataclasses import dataclass
from pathlib import Path

import altair as alt
import pandas as pd

from ..charts import COLOURS, ChartBlock, fmt_date, fmt_int, render_chart
from ..config import TrackerConfig, load_config
from ..paths import REPO_ROOT
from .common import HtmlBlock, TileMeasure, attribution_html, load_table, next_release_text, observations
from .common import headline_tile as headline_tile_html
from .common import provenance_details
from .marks import DateLines, LineKind, date_lines, layered

RULES_FILE = REPO_ROOT / "data" / "curated" / "recall_rule_changes.csv"
RULE_COLUMNS = ["date", "kind", "label", "short_label", "detail", "publisher", "title", "url", "reference",
                "verification"]
RULE_KINDS = {"rule-change": "Rule change", "series-break": "Break in the series"}
# How each kind is drawn and what the legend says it means; short_label names a change beside its line.
RULE_LINES = {"rule-change": LineKind("Recall or release rule changed", "#00665e"),
              "series-break": LineKind("Break in the series", COLOURS["break"], (4, 3))}
SHORT_LABEL_MAX = 18  # characters: a chart is drawn as narrow as 230 px
OMSQ_URL = "https://www.gov.uk/government/collections/offender-management-statistics-quarterly"

# Sources by table, for the source line under each chart.
SOURCE_IDS = {
    "recall_population_monthly": ["prt-recall-population"],
    "recalls_quarterly": ["wfr-recalls-quarterly"],
    "recall_loop_quarterly": ["wfr-recall-loop"],
    "releases_recalls_annual": ["wfr-releases-recalls-annual"],
    "monthly_estate_totals": ["wfr-monthly"],
}
ALL_SOURCES = ["prt-recall-population", "wfr-recalls-quarterly", "wfr-recall-loop", "wfr-releases-recalls-annual",
               "wfr-monthly"]
COLOUR_RECALLS = COLOURS["capacity"]
COLOUR_RELEASES = COLOURS["population"]
COLOUR_GAP = "#d9d9d9"


class RuleChangesError(ValueError):
    """The curated rule-changes table is malformed; the message names the file and line."""


@dataclass(frozen=True)
class RecallData:
    population: pd.DataFrame  # month, date (first of month), recall_population, ...
    quarterly: pd.DataFrame  # quarter_start, quarter, recalls, quarter_end, quarter_mid
    loop: pd.DataFrame  # quarter_start, quarter, determinate_releases, recalls, recalls_per_100_releases, ...
    annual: pd.DataFrame  # year, recalls, releases, recalls_per_100_releases, ...
    estate: pd.DataFrame  # month, sum_population (monthly per-prison bulletin)
    rules: pd.DataFrame  # date, kind, label, detail, publisher, title, url, reference, verification


def config() -> TrackerConfig:
    return load_config()


# --- loading -----------------------------------------------------------------------------------------------------

def load_rule_changes(path: Path = RULES_FILE) -> pd.DataFrame:
    """The curated rule changes, checked: every row dated, labelled, cited and with how it was verified."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != RULE_COLUMNS:
            raise RuleChangesError(f"{path.name} line 1: expected columns {RULE_COLUMNS}; found {reader.fieldnames}")
        rows = list(reader)
    seen = set()
    for line, row in enumerate(rows, start=2):
        where = f"{path.name} line {line}"
        if None in row or any(v is None for v in row.values()):
            raise RuleChangesError(f"{where}: wrong number of cells (an unquoted comma?)")
        try:
            dt.date.fromisoformat(row["date"])
        except ValueError:
            raise RuleChangesError(f"{where}: date {row['date']!r} is not a date like 2026-03-31") from None
        if row["kind"] not in RULE_KINDS:
            raise RuleChangesError(f"{where}: kind {row['kind']!r}; expected one of {sorted(RULE_KINDS)}")
        if not re.match(r"^https?://\S+$", row["url"]):
            raise RuleChangesError(f"{where}: url {row['url']!r} is not a web address")
        for col in ("label", "short_label", "detail", "publisher", "title", "reference"):
            if not row[col].strip():
                raise RuleChangesError(f"{where}: column {col} is empty")
        if len(row["short_label"]) > SHORT_LABEL_MAX:
            raise RuleChangesError(f"{where}: short_label {row['short_label']!r} is longer than {SHORT_LABEL_MAX} "
                                   f"characters")
        if len(row["verification"].strip()) < 10:
            raise RuleChangesError(f"{where}: say in column verification how the row was checked")
        if (row["date"], row["label"]) in seen:
            raise RuleChangesError(f"{where}: duplicate rule change {row['date']} {row['label']!r}")
        seen.add((row["date"], row["label"]))
    frame = pd.DataFrame(rows, columns=RULE_COLUMNS)
    frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d")
    return frame.sort_values("date", kind="stable").reset_index(drop=True)


def _quarter_dates(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["quarter_start"] = pd.to_datetime(out["quarter_start"], format="%Y-%m-%d")
    out["quarter_end"] = out["quarter_start"] + pd.DateOffset(months=3) - pd.Timedelta(days=1)
    out["quarter_mid"] = out["quarter_start"] + (out["quarter_end"] - out["quarter_start"]) / 2
    return out


def load(config: TrackerConfig, population_table: str = "recall_population_monthly",
         quarterly_table: str = "recalls_quarterly", loop_table: str = "recall_loop_quarterly",
         annual_table: str = "releases_recalls_annual", estate_table: str = "monthly_estate_totals",
         rules_file: Path | str = RULES_FILE) -> RecallData:
    population = load_table(config, population_table, parse_dates=["date"])
    quarterly = _quarter_dates(load_table(config, quarterly_table))
    loop = _quarter_dates(load_table(config, loop_table))
    annual = load_table(config, annual_table)
    estate = load_table(config, estate_table)[["month", "report_date", "sum_population", "source_file", "row_ref"]]
    return RecallData(population, quarterly, loop, annual, estate, load_rule_changes(Path(rules_file)))


# --- words for periods ----------------------------------------------------------------------------------------------

def month_text(d) -> str:
    return pd.Timestamp(d).strftime("%B %Y")


def quarter_text(start) -> str:
    s = pd.Timestamp(start)
    e = s + pd.DateOffset(months=2)
    return f"{s.strftime('%B')} to {e.strftime('%B')} {s.year}"


def pct(a: float, b: float) -> float:
    return (a - b) / b * 100


def _up_down(diff: float) -> str:
    return "up" if diff > 0 else "down" if diff < 0 else "unchanged"


# --- figures the text uses (each a function of the tables, so no figure goes stale) ----------------------------------

def monthly_start(data: RecallData) -> pd.Series:
    """The first figure of the longest unbroken run of monthly figures (the series is annual before it)."""
    pop = data.population.dropna(subset=["recall_population"]).reset_index(drop=True)
    seg = _segments(pop["date"], 1)
    longest = seg.value_counts().idxmax()
    return pop[seg == longest].iloc[0]


def population_share(data: RecallData) -> pd.DataFrame:
    """Recall population as a share of everyone in prison, for months where both are published: the recall figure
    for the month over the population in that month's per-prison bulletin (its report date, the last Friday of the
    month or so, is not the day of the recall count, so the share is approximate)."""
    pop = data.population.dropna(subset=["recall_population"])
    merged = pop.merge(data.estate, on="month", how="inner", suffixes=("", "_estate"))
    merged["share_pct"] = (merged["recall_population"] / merged["sum_population"] * 100).round(1)
    return merged


def largest_monthly_fall(data: RecallData) -> pd.Series | None:
    """The largest fall between two consecutive calendar months (months not next to each other are not compared)."""
    p = data.population.dropna(subset=["recall_population"]).sort_values("date").reset_index(drop=True)
    prev_date = p["date"].shift(1)
    consecutive = (p["date"] - pd.DateOffset(months=1)) == prev_date
    change = p["recall_population"].astype(float) - p["recall_population"].shift(1).astype(float)
    p = p.assign(change=change.where(consecutive), previous_date=prev_date)
    falls = p.dropna(subset=["change"])
    falls = falls[falls["change"] < 0]
    return None if falls.empty else falls.loc[falls["change"].idxmin()]


def rolling_year_recalls(data: RecallData) -> tuple[int, int | None, pd.Series, pd.Series]:
    """Recalls in the latest four quarters and in the four before (None unless all eight quarters are present)."""
    q = data.quarterly.sort_values("quarter_start").reset_index(drop=True)
    last4 = q.tail(4)
    eight = q.tail(8)
    contiguous = len(eight) == 8 and all(
        b == a + pd.DateOffset(months=3) for a, b in zip(eight["quarter_start"], eight["quarter_start"].iloc[1:]))
    before = int(eight.head(4)["recalls"].sum()) if contiguous else None
    return int(last4["recalls"].sum()), before, last4.iloc[0], last4.iloc[-1]


def implied_months_in_custody(data: RecallData) -> pd.DataFrame:
    """A rough estimate of the average time a recall keeps someone in prison: the mean of the 12 monthly recall
    population figures of a calendar year, divided by that year's recalls, times 12 (stock over flow). Years without
    all 12 monthly figures are left out."""
    p = data.population.dropna(subset=["recall_population"]).copy()
    p["year"] = p["date"].dt.year
    months = p.groupby("year")["recall_population"].agg(["count", "mean"])
    months = months[months["count"] == 12]
    a = data.annual.set_index("year")
    years = [y for y in months.index if y in a.index]
    out = pd.DataFrame({"year": [int(y) for y in years],
                        "mean_population": [float(months.loc[y, "mean"]) for y in years],
                        "recalls": [int(a.loc[y, "recalls"]) for y in years]})
    out["months"] = (out["mean_population"] / out["recalls"] * 12).round(1)
    return out


def missing_quarters(frame: pd.DataFrame) -> list[pd.Timestamp]:
    """Quarter starts between the first and last row that have no row."""
    have = set(frame["quarter_start"])
    q, out = frame["quarter_start"].min(), []
    while q <= frame["quarter_start"].max():
        if q not in have:
            out.append(q)
        q = q + pd.DateOffset(months=3)
    return out


def quarter_end_text(start) -> str:
    """'March 2026' for the quarter starting 1 January 2026."""
    return (pd.Timestamp(start) + pd.DateOffset(months=2)).strftime("%B %Y")


def _quarter_span(quarters: list[pd.Timestamp]) -> str:
    """'April to June 2024' for one quarter; 'April 2024 to December 2024' for several."""
    if not quarters:
        return ""
    if len(quarters) == 1:
        return quarter_text(quarters[0])
    return f"{pd.Timestamp(quarters[0]).strftime('%B %Y')} to {quarter_end_text(quarters[-1])}"


# --- headline tile ---------------------------------------------------------------------------------------------------

def headline_tile(data: RecallData, config: TrackerConfig) -> HtmlBlock:
    pop = data.population
    q = data.quarterly.rename(columns={"quarter_start": "date"})
    loop = data.loop.rename(columns={"quarter_start": "date"})
    measures = [
        TileMeasure("People in prison on recall (month)", *observations(pop, "date", "recall_population", tolerance_days=10)),
        TileMeasure("Licence recalls in the quarter", *observations(q, "date", "recalls", tolerance_days=10)),
        TileMeasure("Recalls per 100 determinate releases", *observations(loop, "date", "recalls_per_100_releases",
                                                                          tolerance_days=10),
                    fmt="{:.1f}", decimals=1),
    ]
    p_last = pop.dropna(subset=["recall_population"]).iloc[-1]
    q_last = data.quarterly.iloc[-1]
    l_last = data.loop.dropna(subset=["recalls_per_100_releases"]).iloc[-1]
    release = (
        f'Latest figures: recall population for {month_text(p_last["date"])}; recalls for '
        f'{quarter_text(q_last["quarter_start"])}; recalls and determinate releases for '
        f'{quarter_text(l_last["quarter_start"])}. The statistics are the Ministry of '
        f'Justice\'s, from <a href="{OMSQ_URL}">Offender Management Statistics Quarterly</a>. Dates on the '
        f'tile are the first day of the month or quarter a figure is for.'
        + provenance_details(
            f'Recall population: {html.escape(p_last["source_file"])} {html.escape(p_last["row_ref"])}; recalls: '
            f'{html.escape(q_last["source_file"])} {html.escape(q_last["row_ref"])}; recalls and releases: '
            f'{html.escape(l_last["source_file"])} {html.escape(l_last["row_ref"])}.')
    )
    latest_end = max(q_last["quarter_end"], p_last["date"] + pd.DateOffset(months=1) - pd.Timedelta(days=1))
    nxt = next_release_text(config, "wfr-recalls-quarterly", latest_end.strftime("%Y-%m-%d"))
    heading = (f"Latest figures: {month_text(p_last['date'])} (people on recall), "
               f"{quarter_text(q_last['quarter_start'])} (recalls)")
    return headline_tile_html(heading, measures, release, "Offender Management Statistics Quarterly, " + nxt)


# --- narrative -------------------------------------------------------------------------------------------------------

def summary(data: RecallData) -> HtmlBlock:
    pop = data.population.dropna(subset=["recall_population"])
    last = pop.iloc[-1]
    peak = pop.loc[pop["recall_population"].idxmax()]
    first = monthly_start(data)
    _, _, year_ago = observations(pop, "date", "recall_population", tolerance_days=10)
    share = population_share(data)
    share_last = share[share["month"] == last["month"]]
    sentences = []
    s = (f"At the latest count, for {month_text(last['date'])}, {fmt_int(last['recall_population'])} people were in "
         f"prison in England and Wales because they had been recalled while on licence")
    if len(share_last):
        r = share_last.iloc[0]
        s += (f": {r['share_pct']:.1f}% of the {fmt_int(r['sum_population'])} people in prison in that month's "
              f"per-prison bulletin")
    sentences.append(s + ".")
    if year_ago is not None:
        diff = last["recall_population"] - year_ago.value
        sentences.append(f"That is {_up_down(diff)} {fmt_int(abs(diff))} ({abs(pct(last['recall_population'], year_ago.value)):.1f}%) "
                         f"on {month_text(year_ago.date)}.")
    if peak["date"] != last["date"]:
        sentences.append(f"The highest figure in the series was {fmt_int(peak['recall_population'])} in "
                         f"{month_text(peak['date'])}.")
    ratio = last["recall_population"] / first["recall_population"]
    sentences.append(f"In {month_text(first['date'])} the figure was {fmt_int(first['recall_population'])}: "
                     f"the recall population is now {ratio:.1f} times that.")
    p1 = " ".join(sentences)

    q = data.quarterly
    q_first, q_last = q.iloc[0], q.iloc[-1]
    last4, before4, f4, l4 = rolling_year_recalls(data)
    recall_growth = pct(q_last["recalls"], q_first["recalls"])
    p2 = (f"In {quarter_text(q_last['quarter_start'])} there were {fmt_int(q_last['recalls'])} licence recalls, against "
          f"{fmt_int(q_first['recalls'])} in {quarter_text(q_first['quarter_start'])} ({recall_growth:+.0f}%). "
          f"In the four quarters from {quarter_text(f4['quarter_start'])} to {quarter_text(l4['quarter_start'])} there "
          f"were {fmt_int(last4)} recalls")
    p2 += (f", {_up_down(last4 - before4)} {abs(pct(last4, before4)):.0f}% on the four quarters before ({fmt_int(before4)})."
           if before4 else ".")
    # The recall population at the end of the same span (the last month of the first and last quarters).
    by_month = pop.set_index("date")["recall_population"]
    m0 = q_first["quarter_start"] + pd.DateOffset(months=2)
    m1 = q_last["quarter_start"] + pd.DateOffset(months=2)
    if m0 in by_month.index and m1 in by_month.index:
        stock_growth = pct(by_month[m1], by_month[m0])
        p2 += (f" Over the same period the number of people in prison on recall went from {fmt_int(by_month[m0])} "
               f"({month_text(m0)}) to {fmt_int(by_month[m1])} ({month_text(m1)}), {stock_growth:+.0f}%.")
        # "Grew faster" only reads true when recalls did grow; a smaller fall is not faster growth.
        if recall_growth > 0 and recall_growth > stock_growth:
            p2 += (" Recalls grew faster than the number of people held on recall, so on average each recall "
                   "now keeps someone in prison for less time than at the start of the period.")
    loop = data.loop.dropna(subset=["recalls_per_100_releases"])
    l_last = loop.iloc[-1]
    more = l_last["recalls"] > l_last["determinate_releases"]
    p3 = (f"In {quarter_text(l_last['quarter_start'])}, {fmt_int(l_last['recalls'])} recalls set against "
          f"{fmt_int(l_last['determinate_releases'])} releases from determinate sentences make "
          f"{l_last['recalls_per_100_releases']:.1f} recalls for every 100 releases"
          + (": there were more recalls than releases from determinate sentences." if more else "."))
    a = data.annual.dropna(subset=["recalls_per_100_releases"])
    if len(a) >= 2:
        a_first, a_last = a.iloc[0], a.iloc[-1]
        p3 += (f" Over whole years the ratio went from {a_first['recalls_per_100_releases']:.1f} recalls per 100 "
               f"releases in {a_first['year']} to {a_last['recalls_per_100_releases']:.1f} in {a_last['year']}, as "
               f"releases {'fell' if a_last['releases'] < a_first['releases'] else 'rose'} from "
               f"{fmt_int(a_first['releases'])} to {fmt_int(a_last['releases'])} and recalls "
               f"{'rose' if a_last['recalls'] > a_first['recalls'] else 'fell'} from {fmt_int(a_first['recalls'])} to "
               f"{fmt_int(a_last['recalls'])}.")
    paras = "".join(f'<p class="jct-summary">{html.escape(p)}</p>' for p in (p1, p2, p3))
    return HtmlBlock(paras)


def population_note(data: RecallData) -> HtmlBlock:
    """What the recall population chart shows beyond the summary: the largest monthly fall, and the share trend."""
    parts = []
    fall = largest_monthly_fall(data)
    if fall is not None:
        drawn = data.rules[(data.rules["date"] > fall["previous_date"]) &
                           (data.rules["date"] <= fall["date"] + pd.DateOffset(months=1))]
        text = (f"The largest fall from one month to the next was from {month_text(fall['previous_date'])} to "
                f"{month_text(fall['date'])}: {fmt_int(abs(fall['change']))} fewer people on recall.")
        if drawn.empty:
            text += (" No rule change in this page's table of dated changes falls in that month; changes to recall "
                     "in 2025 whose start date the tracker has not yet confirmed from a primary source are not drawn "
                     "(see the caveats).")
        parts.append(text)
    share = population_share(data)
    if len(share) >= 2:
        s0, s1 = share.iloc[0], share.iloc[-1]
        parts.append(f"As a share of everyone in prison, the recall population went from {s0['share_pct']:.1f}% in "
                     f"{month_text(s0['date'])} to {s1['share_pct']:.1f}% in {month_text(s1['date'])} "
                     f"(highest {share['share_pct'].max():.1f}%, in "
                     f"{month_text(share.loc[share['share_pct'].idxmax(), 'date'])}).")
    return HtmlBlock("".join(f"<p>{html.escape(p)}</p>" for p in parts))


EFFECT_MONTHS = 6


@dataclass(frozen=True)
class RuleEffect:
    """The recall population either side of one dated rule change: the figure for the month before the change's
    month (the count for the change's own month may fall before or after the day) and the figure `months` months
    after that, or the latest figure if the series stops sooner; `after` is None when no month after exists yet."""
    date: pd.Timestamp
    label: str
    before_date: pd.Timestamp | None
    before: int | None
    after_date: pd.Timestamp | None
    after: int | None

    @property
    def change(self) -> int | None:
        return None if self.before is None or self.after is None else self.after - self.before

    @property
    def direction(self) -> str | None:
        c = self.change
        return None if c is None else "rose" if c > 0 else "fell" if c < 0 else "did not change"


def rule_change_effects(data: RecallData, months: int = EFFECT_MONTHS) -> list[RuleEffect]:
    """For each rule change (not series breaks) within the monthly series, the population before and after it."""
    pop = data.population.dropna(subset=["recall_population"]).set_index("date")["recall_population"]
    first, last = pop.index.min(), pop.index.max()
    out = []
    for _, r in data.rules[data.rules["kind"] == "rule-change"].iterrows():
        change_month = r["date"].to_period("M").to_timestamp()
        before_date = change_month - pd.DateOffset(months=1)
        if r["date"] < first or r["date"] > last + pd.DateOffset(months=1):
            continue
        before = int(pop[before_date]) if before_date in pop.index else None
        after_month = change_month + pd.DateOffset(months=months)
        candidates = pop[(pop.index > change_month) & (pop.index <= after_month)]
        after_date = candidates.index.max() if len(candidates) else None
        after = int(candidates[after_date]) if after_date is not None else None
        out.append(RuleEffect(r["date"], r["label"], before_date if before is not None else None, before,
                              after_date, after))
    return out


def rule_effects_note(data: RecallData, months: int = EFFECT_MONTHS) -> HtmlBlock:
    """What the recall population did after each dated rule change, in words generated from the series."""
    items = []
    effects = rule_change_effects(data, months)
    for e in effects:
        head = f"{fmt_date(e.date)}, {e.label}: "
        if e.before is None:
            items.append(head + "the series has no figure for the month before, so there is nothing to compare.")
        elif e.after is None:
            latest = data.population.dropna(subset=["recall_population"])["date"].max()
            items.append(head + f"the series has no monthly figure after it yet (the latest is for "
                                f"{month_text(latest)}), so it cannot show what happened next.")
        else:
            span = (e.after_date.year - e.before_date.year) * 12 + e.after_date.month - e.before_date.month
            amount = "" if e.change == 0 else (f" by {fmt_int(abs(e.change))} "
                                                f"({abs(pct(e.after, e.before)):.1f}%)")
            text = (head + f"the number of people in prison on recall {e.direction}{amount}, from "
                           f"{fmt_int(e.before)} in {month_text(e.before_date)} to {fmt_int(e.after)} in "
                           f"{month_text(e.after_date)} ({span} months).")
            overlapping = [o for o in effects if e.date < o.date < e.after_date + pd.DateOffset(months=1)]
            if overlapping:
                text += (" That stretch also takes in " + "; ".join(f"{o.label} ({fmt_date(o.date)})"
                                                                     for o in overlapping)
                         + ", so the difference cannot be put down to this rule alone.")
            items.append(text)
    caution = (f"Each comparison runs from the month before the change took effect to {months} months after the "
               f"month it took effect, or to the latest month if the series ends sooner. Other things "
               "move the recall population at the same time (the number of people released on licence, other "
               "rule changes, how often probation recalls), so a rise or fall after a date does not by itself show "
               "that the change caused it.")
    lis = "".join(f"<li>{html.escape(t)}</li>" for t in items)
    return HtmlBlock(f'<ul class="jct-notes">{lis}</ul><p>{html.escape(caution)}</p>')


def reader_questions(data: RecallData) -> HtmlBlock:
    """The readers' questions about recalls (facts-from-the-field.md section 4, questions 26-29 and 35), each answered
    from the data where the tracker has it, and otherwise with what is missing and why."""
    last4, before4, _, l4 = rolling_year_recalls(data)
    share = population_share(data)
    months = implied_months_in_custody(data)
    pop = data.population.dropna(subset=["recall_population"])
    last = pop.iloc[-1]
    _, _, year_ago = observations(pop, "date", "recall_population", tolerance_days=10)
    items = []

    a = (f"{fmt_int(data.quarterly.iloc[-1]['recalls'])} in {quarter_text(data.quarterly.iloc[-1]['quarter_start'])}, "
         f"and {fmt_int(last4)} in the year to {quarter_end_text(l4['quarter_start'])}.")
    if year_ago is not None:
        diff = last["recall_population"] - year_ago.value
        a += (f" The number of people in prison on recall {'rose' if diff > 0 else 'fell' if diff < 0 else 'did not change'}"
              f"{' by ' + fmt_int(abs(diff)) if diff else ''} in the 12 months to {month_text(last['date'])}")
    if len(share):
        s1 = share.iloc[-1]
        a += f"; it was {s1['share_pct']:.1f}% of all prisoners in {month_text(s1['date'])}."
    else:
        a += "."
    items.append(("How many people are recalled each quarter, and how is the recall population changing as a "
                  "share of all prisoners?", a))

    items.append(("Why are people recalled, and how does that vary by region?",
                  "Not yet in the tracker. OMSQ's licence recall tables give reasons for recall, but none of the files "
                  "the tracker reads has them, and no OMSQ recall workbook has been downloaded yet (the parser for it, "
                  "omsq_recalls, is written but not yet checked against a published file). When they arrive, note that "
                  "one recall can have several reasons, so reasons do not add up to the total."))

    if len(months):
        m_last, m_first = months.iloc[-1], months.iloc[0]
        m_top = months.loc[months["months"].idxmax()]
        a = (f"The tracker has no published figure for time spent in custody on recall. A rough estimate, the average "
             f"recall population over a year divided by that year's recalls, gives about {m_last['months']:.1f} months "
             f"for {int(m_last['year'])} ({fmt_int(round(m_last['mean_population']))} people on recall on average, "
             f"{fmt_int(m_last['recalls'])} recalls), against {m_first['months']:.1f} months for {int(m_first['year'])} and "
             f"a high of {m_top['months']:.1f} months in {int(m_top['year'])}. This counts recalls, not people (one person "
             f"can be recalled more than once), and people on long standard recalls stay in the count for years, so read "
             f"it as an order of magnitude. The number re-released under the early re-release policy for recalled "
             f"prisoners reported in March 2025 is not published in any source the tracker reads.")
    else:
        a = "Not yet in the tracker."
    items.append(("How long do recalled prisoners stay in?", a))

    items.append(("What are the recall rates of people released early (SDS40, home detention curfew) against others?",
                  "Not in the tracker: no source here splits recalls by the route of release. The dated lines on the "
                  "charts show when the release rules changed, but a rise after a date does not by itself show the "
                  "change caused it."))
    html_items = "".join(f"<li><strong>{html.escape(q)}</strong> {html.escape(a)}</li>" for q, a in items)
    return HtmlBlock(f'<ul class="jct-questions">{html_items}</ul>')


# --- charts ----------------------------------------------------------------------------------------------------------

def _iso(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series).dt.strftime("%Y-%m-%d")


def _rule_lines(rules: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp, data_span: tuple) -> DateLines:
    """The rule changes between lo and hi, each a labelled line, on a chart whose data run over `data_span`."""
    marks = pd.DataFrame({"date": rules["date"], "kind": rules["kind"], "short": rules["short_label"],
                          "label": rules["label"]})
    return date_lines(marks, RULE_LINES, lo, hi, legend_title="Dated changes", label_title="Change",
                      data_span=data_span)


def rules_in_range(rules: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
    return rules[(rules["date"] >= lo) & (rules["date"] <= hi)]


def _rules_sentence(rules: pd.DataFrame) -> str:
    if rules.empty:
        return "No dated rule change falls within the chart."
    names = "; ".join(f"{fmt_date(r['date'])}, {r['label']} (labelled {r['short_label']})" for _, r in rules.iterrows())
    word = "change is" if len(rules) == 1 else "changes are"
    return f"{len(rules)} dated rule {word} marked with labelled vertical lines: {names}."


def _segments(dates: pd.Series, months: int) -> pd.Series:
    """A run number that changes wherever a period is missing, so lines break instead of bridging a gap."""
    d = pd.to_datetime(dates).reset_index(drop=True)
    breaks = (d - pd.DateOffset(months=months)) != d.shift(1)
    return breaks.cumsum().astype(int).set_axis(dates.index)


def _gap_band(starts: list[pd.Timestamp], months: int, label: str) -> alt.Chart | None:
    if not starts:
        return None
    g = pd.DataFrame({"start": starts})
    g["end"] = g["start"] + pd.DateOffset(months=months)
    g["label"] = label
    g["start"], g["end"] = _iso(g["start"]), _iso(g["end"])
    return alt.Chart(g).mark_rect(color=COLOUR_GAP, opacity=0.5).encode(
        x="start:T", x2="end:T", tooltip=[alt.Tooltip("label:N", title="Gap")])


def alt_text_population(data: RecallData) -> str:
    pop = data.population.dropna(subset=["recall_population"])
    first, last = pop.iloc[0], pop.iloc[-1]
    peak = pop.loc[pop["recall_population"].idxmax()]
    low = pop.loc[pop["recall_population"].idxmin()]
    verb = "rose" if last["recall_population"] > first["recall_population"] else "fell"
    return (f"Line chart of the number of people in prison on a licence recall, England and Wales, monthly, "
            f"{month_text(first['date'])} to {month_text(last['date'])}. It {verb} from "
            f"{fmt_int(first['recall_population'])} to {fmt_int(last['recall_population'])}; lowest "
            f"{fmt_int(low['recall_population'])} in {month_text(low['date'])}, highest "
            f"{fmt_int(peak['recall_population'])} in {month_text(peak['date'])}. "
            + _rules_sentence(rules_in_range(data.rules, first["date"], last["date"] + pd.DateOffset(months=1))))


def recall_population_chart(data: RecallData, config: TrackerConfig) -> ChartBlock:
    pop = data.population.dropna(subset=["recall_population"]).copy()
    pop["segment"] = _segments(pop["date"], 1)
    sizes = pop.groupby("segment")["segment"].transform("size")
    d = pop[["date", "month", "recall_population", "segment"]].assign(date=_iso(pop["date"]))
    enc = dict(x=alt.X("date:T", title=None), y=alt.Y("recall_population:Q", title="People in prison on recall"),
               tooltip=[alt.Tooltip("month:N", title="Month"),
                        alt.Tooltip("recall_population:Q", title="On recall", format=",")])
    line = alt.Chart(d).mark_line(color=COLOUR_RECALLS, strokeWidth=1.8).encode(detail="segment:N", **enc)
    alone = alt.Chart(d[(sizes == 1).values]).mark_point(color=COLOUR_RECALLS, filled=True, size=30).encode(**enc)
    lo, hi = pop["date"].min(), pop["date"].max() + pd.DateOffset(months=1)
    marks = _rule_lines(data.rules, lo, hi, (lo, pop["date"].max()))
    chart = layered(marks, line, alone).properties(width="container", height=300)
    table = pop[["month", "recall_population", "row_ref"]].iloc[::-1].reset_index(drop=True)
    table.columns = ["Month", "People on recall", "Source row"]
    return render_chart(chart, chart_id="recall-population",
                        tables=["recall_population_monthly"],
                        title="People in prison on a licence recall, England and Wales, monthly",
                        alt_text=alt_text_population(data), table=table, table_formats={"People on recall": "{:,}"},
                        source_html=attribution_html(config, SOURCE_IDS["recall_population_monthly"], short=True))


def alt_text_share(data: RecallData) -> str:
    share = population_share(data)
    s0, s1 = share.iloc[0], share.iloc[-1]
    top = share.loc[share["share_pct"].idxmax()]
    return (f"Line chart of people on recall as a percentage of everyone in prison, England and Wales, monthly, "
            f"{month_text(s0['date'])} to {month_text(s1['date'])}: {s0['share_pct']:.1f}% at the start, "
            f"{s1['share_pct']:.1f}% at the end, highest {top['share_pct']:.1f}% in {month_text(top['date'])}. "
            + _rules_sentence(rules_in_range(data.rules, s0["date"], s1["date"] + pd.DateOffset(months=1))))


def recall_share_chart(data: RecallData, config: TrackerConfig) -> ChartBlock:
    share = population_share(data).copy()
    share["segment"] = _segments(share["date"], 1)
    d = share[["date", "month", "share_pct", "recall_population", "sum_population", "segment"]].assign(
        date=_iso(share["date"]))
    line = alt.Chart(d).mark_line(color=COLOUR_RECALLS, strokeWidth=1.8).encode(
        x=alt.X("date:T", title=None), y=alt.Y("share_pct:Q", title="% of people in prison who are on recall"),
        detail="segment:N",
        tooltip=[alt.Tooltip("month:N", title="Month"), alt.Tooltip("share_pct:Q", title="% on recall", format=".1f"),
                 alt.Tooltip("recall_population:Q", title="On recall", format=","),
                 alt.Tooltip("sum_population:Q", title="In prison", format=",")])
    lo, hi = share["date"].min(), share["date"].max() + pd.DateOffset(months=1)
    marks = _rule_lines(data.rules, lo, hi, (lo, share["date"].max()))
    chart = layered(marks, line).properties(width="container", height=240)
    table = share[["month", "recall_population", "sum_population", "share_pct", "row_ref", "row_ref_estate"]]
    table = table.iloc[::-1].reset_index(drop=True)
    table.columns = ["Month", "People on recall", "People in prison", "% on recall", "Source row (recalls)",
                     "Source rows (population)"]
    return render_chart(chart, chart_id="recall-share-of-population",
                        tables=["recall_population_monthly", "monthly_estate_totals"],
                        title="People on recall as a share of everyone in prison, England and Wales, monthly",
                        alt_text=alt_text_share(data), table=table,
                        table_formats={"People on recall": "{:,}", "People in prison": "{:,}", "% on recall": "{:.1f}"},
                        source_html=attribution_html(config, ["prt-recall-population", "wfr-monthly"], short=True))


def alt_text_quarterly(data: RecallData) -> str:
    q = data.quarterly
    first, last = q.iloc[0], q.iloc[-1]
    top = q.loc[q["recalls"].idxmax()]
    return (f"Bar chart of licence recalls per quarter, England and Wales, {quarter_text(first['quarter_start'])} to "
            f"{quarter_text(last['quarter_start'])}: {fmt_int(first['recalls'])} in the first quarter, "
            f"{fmt_int(last['recalls'])} in the latest, highest {fmt_int(top['recalls'])} in "
            f"{quarter_text(top['quarter_start'])}. "
            + _rules_sentence(rules_in_range(data.rules, first["quarter_start"], last["quarter_end"])))


def recalls_per_quarter_chart(data: RecallData, config: TrackerConfig) -> ChartBlock:
    q = data.quarterly.copy()
    d = pd.DataFrame({"start": _iso(q["quarter_start"]), "end": _iso(q["quarter_start"] + pd.DateOffset(months=3)),
                      "quarter": q["quarter"], "recalls": q["recalls"]})
    bars = alt.Chart(d).mark_bar(color=COLOUR_RECALLS, stroke="#ffffff", strokeWidth=1).encode(
        x=alt.X("start:T", title=None), x2="end:T", y=alt.Y("recalls:Q", title="Licence recalls in the quarter"),
        y2=alt.datum(0),
        tooltip=[alt.Tooltip("quarter:N", title="Quarter"), alt.Tooltip("recalls:Q", title="Recalls", format=",")])
    lo, hi = q["quarter_start"].min(), q["quarter_end"].max()
    marks = _rule_lines(data.rules, lo, hi, (lo, q["quarter_start"].max() + pd.DateOffset(months=3)))
    chart = layered(marks, under=(bars,)).properties(width="container", height=260)
    table = q[["quarter", "recalls", "row_ref"]].iloc[::-1].reset_index(drop=True)
    table.columns = ["Quarter", "Recalls", "Source row"]
    return render_chart(chart, chart_id="recalls-per-quarter",
                        tables=["recalls_quarterly"],
                        title="Licence recalls per quarter, England and Wales",
                        alt_text=alt_text_quarterly(data), table=table, table_formats={"Recalls": "{:,}"},
                        source_html=attribution_html(config, SOURCE_IDS["recalls_quarterly"], short=True))


def alt_text_loop(data: RecallData) -> str:
    loop = data.loop
    have = loop.dropna(subset=["recalls_per_100_releases"])
    first, last = have.iloc[0], have.iloc[-1]
    gaps = missing_quarters(loop)
    crossed = have[have["recalls"] > have["determinate_releases"]]
    text = (f"Line chart of determinate-sentence releases and licence recalls per quarter, England and Wales, "
            f"{quarter_text(first['quarter_start'])} to {quarter_text(last['quarter_start'])}. Releases went from "
            f"{fmt_int(first['determinate_releases'])} to {fmt_int(last['determinate_releases'])}, recalls from "
            f"{fmt_int(first['recalls'])} to {fmt_int(last['recalls'])}: {first['recalls_per_100_releases']:.1f} and then "
            f"{last['recalls_per_100_releases']:.1f} recalls per 100 releases.")
    if len(crossed):
        text += (f" Recalls exceed releases in {len(crossed)} of the {len(have)} quarters in the file: "
                 + ", ".join(quarter_text(x) for x in crossed["quarter_start"]) + ".")
    if gaps:
        text += (f" {len(gaps)} quarters ({_quarter_span(gaps)}) are not in the source file and are shaded; the lines "
                 f"break there rather than join up.")
    return text + " " + _rules_sentence(rules_in_range(data.rules, loop["quarter_start"].min(), loop["quarter_end"].max()))


def recalls_vs_releases_chart(data: RecallData, config: TrackerConfig) -> ChartBlock:
    loop = data.loop.copy()
    loop["segment"] = _segments(loop["quarter_start"], 3)
    gap_starts = missing_quarters(loop)
    span = (min([loop["quarter_mid"].min(), *gap_starts]),
            max([loop["quarter_mid"].max(), *(g + pd.DateOffset(months=3) for g in gap_starts)]))
    marks = _rule_lines(data.rules, loop["quarter_start"].min(), loop["quarter_end"].max(), span)
    long = loop.melt(id_vars=["quarter_mid", "quarter", "segment", "recalls_per_100_releases"],
                     value_vars=["determinate_releases", "recalls"], var_name="series", value_name="count")
    long = long.dropna(subset=["count"])
    names = {"determinate_releases": "Determinate releases", "recalls": "Recalls"}
    long["series"] = long["series"].map(names)
    long["quarter_mid"] = _iso(long["quarter_mid"])
    domain = list(names.values())
    enc = dict(
        x=alt.X("quarter_mid:T", title=None),
        y=alt.Y("count:Q", title="Number in the quarter", scale=alt.Scale(zero=False)),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="top", labelLimit=0, offset=marks.legend_offset),
                        scale=alt.Scale(domain=domain, range=[COLOUR_RELEASES, COLOUR_RECALLS])),
        tooltip=[alt.Tooltip("quarter:N", title="Quarter"), alt.Tooltip("series:N", title="Series"),
                 alt.Tooltip("count:Q", title="Number", format=","),
                 alt.Tooltip("recalls_per_100_releases:Q", title="Recalls per 100 releases", format=".1f")])
    lines = alt.Chart(long).mark_line(strokeWidth=1.8).encode(
        detail="segment:N",
        strokeDash=alt.StrokeDash("series:N", legend=None, scale=alt.Scale(domain=domain, range=[[6, 3], [1, 0]])),
        **enc)
    points = alt.Chart(long).mark_point(filled=True, size=28).encode(
        shape=alt.Shape("series:N", legend=None, scale=alt.Scale(domain=domain, range=["square", "circle"])), **enc)
    gaps = _gap_band(gap_starts, 3, "Quarter not in the source file (missing, not zero)")
    lo = loop["quarter_start"].min()
    chart = layered(marks, lines, points, under=(gaps,)).properties(width="container", height=280)
    starts, q = [], lo
    while q <= loop["quarter_start"].max():
        starts.append(q)
        q = q + pd.DateOffset(months=3)
    full = pd.DataFrame({"quarter_start": starts}).merge(loop.drop(columns=["quarter"]), on="quarter_start", how="left")
    full["quarter"] = (full["quarter_start"].dt.year.astype(str) + "Q"
                       + ((full["quarter_start"].dt.month - 1) // 3 + 1).astype(str))
    full["row_ref"] = full["row_ref"].fillna("not in the source file")
    table = full[["quarter", "determinate_releases", "recalls", "recalls_per_100_releases", "row_ref"]]
    table = table.iloc[::-1].reset_index(drop=True)
    table.columns = ["Quarter", "Determinate releases", "Recalls", "Recalls per 100 releases", "Source row"]
    return render_chart(chart, chart_id="recalls-vs-releases",
                        tables=["recall_loop_quarterly"],
                        title="Licence recalls against releases from determinate sentences, England and Wales, per quarter",
                        alt_text=alt_text_loop(data), table=table,
                        table_formats={"Determinate releases": "{:,}", "Recalls": "{:,}",
                                       "Recalls per 100 releases": "{:.1f}"},
                        source_html=attribution_html(config, SOURCE_IDS["recall_loop_quarterly"], short=True))


def alt_text_annual(data: RecallData) -> str:
    a = data.annual
    have = a.dropna(subset=["recalls_per_100_releases"])
    first, last = have.iloc[0], have.iloc[-1]
    missing = a[a["recalls_per_100_releases"].isna()]
    text = (f"Bar chart of licence recalls per 100 releases from custody, England and Wales, each year "
            f"{first['year']} to {last['year']}: {first['recalls_per_100_releases']:.1f} in {first['year']} "
            f"({fmt_int(first['recalls'])} recalls, {fmt_int(first['releases'])} releases), "
            f"{last['recalls_per_100_releases']:.1f} in {last['year']} ({fmt_int(last['recalls'])} recalls, "
            f"{fmt_int(last['releases'])} releases).")
    if len(missing):
        years = ", ".join(str(y) for y in missing["year"])
        text += f" No ratio for {years}: the file has recalls but no releases for that year (shaded)."
    lo = pd.Timestamp(f"{a['year'].min()}-01-01")
    hi = pd.Timestamp(f"{a['year'].max()}-12-31")
    return text + " " + _rules_sentence(rules_in_range(data.rules, lo, hi))


def recalls_per_100_annual_chart(data: RecallData, config: TrackerConfig) -> ChartBlock:
    a = data.annual.copy()
    a["start"] = a["year"].astype(str) + "-01-01"
    a["end"] = (a["year"] + 1).astype(str) + "-01-01"
    have = a.dropna(subset=["recalls_per_100_releases"])
    bars = alt.Chart(have[["start", "end", "year", "recalls_per_100_releases", "recalls", "releases"]]).mark_bar(
        color=COLOUR_RECALLS, stroke="#ffffff", strokeWidth=1).encode(
        x=alt.X("start:T", title=None), x2="end:T",
        y=alt.Y("recalls_per_100_releases:Q", title="Recalls per 100 releases"), y2=alt.datum(0),
        tooltip=[alt.Tooltip("year:O", title="Year"),
                 alt.Tooltip("recalls_per_100_releases:Q", title="Recalls per 100 releases", format=".1f"),
                 alt.Tooltip("recalls:Q", title="Recalls", format=","),
                 alt.Tooltip("releases:Q", title="Releases", format=",")])
    gaps = _gap_band([pd.Timestamp(s) for s in a.loc[a["recalls_per_100_releases"].isna(), "start"]], 12,
                     "No release figure for this year in the source file")
    lo, hi = pd.Timestamp(a["start"].min()), pd.Timestamp(a["end"].max()) - pd.Timedelta(days=1)
    marks = _rule_lines(data.rules, lo, hi, (lo, hi))
    chart = layered(marks, under=(gaps, bars)).properties(width="container", height=260)
    table = a[["year", "recalls", "releases", "recalls_per_100_releases", "sentence_length_months", "time_served_months",
               "row_ref"]].iloc[::-1].reset_index(drop=True)
    table.columns = ["Year", "Recalls", "Releases", "Recalls per 100 releases", "Mean sentence (months)",
                     "Mean time served (months)", "Source row"]
    return render_chart(chart, chart_id="recalls-per-100-releases-annual",
                        tables=["releases_recalls_annual"],
                        title="Licence recalls per 100 releases from custody, England and Wales, per year",
                        alt_text=alt_text_annual(data), table=table,
                        table_formats={"Recalls": "{:,}", "Releases": "{:,}", "Recalls per 100 releases": "{:.1f}",
                                       "Mean sentence (months)": "{:.2f}", "Mean time served (months)": "{:.2f}"},
                        source_html=attribution_html(config, SOURCE_IDS["releases_recalls_annual"], short=True))


# --- rule changes, checks, caveats, sources -------------------------------------------------------------------------

def rule_changes_note(data: RecallData) -> HtmlBlock:
    items = []
    for _, r in data.rules.iterrows():
        cite = (f'{html.escape(r["publisher"])}, <a href="{html.escape(r["url"], quote=True)}">'
                f'{html.escape(r["title"])}</a>, {html.escape(r["reference"])}')
        items.append(f'<li><strong>{fmt_date(r["date"])}: {html.escape(r["label"])}</strong> '
                     f'({html.escape(RULE_KINDS[r["kind"]].lower())}). {html.escape(r["detail"])} '
                     f'<span class="jct-ref">Source: {cite}.</span>'
                     + provenance_details(html.escape(r["verification"]) + ".", "How this was checked") + "</li>")
    return HtmlBlock(f'<ol class="jct-breaks">{"".join(items)}</ol>')


def crosschecks(data: RecallData) -> HtmlBlock:
    """Where two files give the same figure, do they agree? Each check says how many figures were compared."""
    items = []
    # 1. Recalls in the recalls-vs-releases file against the quarterly recalls file.
    m = data.loop.dropna(subset=["recalls"]).merge(data.quarterly, on="quarter", suffixes=("_loop", ""))
    bad = m[m["recalls_loop"] != m["recalls"]]
    text = (f"Recalls per quarter in the releases-and-recalls file against the quarterly recalls file: "
            f"{len(m)} quarters compared, {len(m) - len(bad)} agree exactly.")
    if len(bad):
        text += " Differ: " + "; ".join(f"{r['quarter']} {fmt_int(r['recalls_loop'])} against {fmt_int(r['recalls'])}"
                                        for _, r in bad.iterrows()) + "."
    items.append((text, len(bad)))
    # 2. Annual recalls against the sum of the four quarters, for complete years.
    q = data.quarterly.assign(year=data.quarterly["quarter_start"].dt.year)
    sums = q.groupby("year")["recalls"].agg(["sum", "count"])
    sums = sums[sums["count"] == 4]
    a = data.annual.set_index("year")
    years = [y for y in sums.index if y in a.index]
    bad_years = [y for y in years if int(a.loc[y, "recalls"]) != int(sums.loc[y, "sum"])]
    text = (f"Annual recalls against the sum of that year's four quarters: {len(years)} years compared "
            f"({', '.join(str(y) for y in years)}), {len(years) - len(bad_years)} agree exactly.")
    if bad_years:
        text += " Differ: " + "; ".join(f"{y}: {fmt_int(a.loc[y, 'recalls'])} against {fmt_int(sums.loc[y, 'sum'])}"
                                        for y in bad_years) + "."
    items.append((text, len(bad_years)))
    # 3. The annual file's recall population (at each projection edition's reference date) against the monthly series.
    pop = data.population.dropna(subset=["recall_population"]).assign(year=lambda f: f["date"].dt.year)
    stock = data.annual.dropna(subset=["recall_population_at_projection_date"])
    unmatched = []
    for _, r in stock.iterrows():
        same_year = pop[pop["year"] == r["year"]]
        hit = same_year[same_year["recall_population"] == r["recall_population_at_projection_date"]]
        if hit.empty:
            near = same_year.iloc[(same_year["recall_population"] - r["recall_population_at_projection_date"]).abs().argsort()[:1]]
            unmatched.append(f"{r['year']}: {fmt_int(r['recall_population_at_projection_date'])} matches no month "
                             + (f"(nearest {month_text(near.iloc[0]['date'])}, {fmt_int(near.iloc[0]['recall_population'])})"
                                if len(near) else ""))
    text = (f"Recall population in the annual file (the figure at the reference date of each year's population "
            f"projections) against the monthly series: {len(stock)} years compared, {len(stock) - len(unmatched)} equal "
            f"the monthly figure for one month of the same year.")
    if unmatched:
        text += " " + "; ".join(unmatched) + "."
    items.append((text, len(unmatched)))
    flag = '<span class="jct-flag">Mismatch</span> '
    lis = "".join(f"<li>{flag if n else ''}{html.escape(t)}</li>" for t, n in items)
    return HtmlBlock(f'<ul class="jct-crosscheck">{lis}</ul>')


def caveats(data: RecallData) -> HtmlBlock:
    gaps = missing_quarters(data.loop)
    no_release_years = data.annual.loc[data.annual["releases"].isna(), "year"].tolist()
    items = [
        "Recalls count recall decisions, not people: one person can be recalled more than once in a quarter or a "
        "year. The recall population counts people in prison on recall on one day of the month.",
        "The monthly recall population is labelled with the first day of its month because the source gives the month "
        "only; the count itself is taken on one day of that month.",
        "The share of prisoners on recall divides the recall figure for a month by the population in that month's "
        "per-prison bulletin (dated near the end of the month), so it is approximate.",
        "Releases in the quarterly comparison are releases from determinate sentences only; releases in the annual "
        "comparison are all releases from custody in the source's annual table. The two ratios are not the same measure.",
    ]
    if gaps:
        items.append(f"The quarterly releases-and-recalls file has no rows for {_quarter_span(gaps)}: these quarters "
                     f"are missing, not zero, and are shaded on the chart. The quarterly recalls file does cover them.")
    if no_release_years:
        items.append(f"The annual file has recalls but no releases for {', '.join(str(y) for y in no_release_years)}, "
                     f"so there is no ratio for that year yet.")
    items += [
        "Breakdowns by type of recall (fixed-term or standard) are not comparable across July 2025, and from 31 March "
        "2026 the fixed-term categories change; this page shows totals only, which these breaks do not affect.",
        "Not drawn on the charts: the Criminal Justice Act 2003 (Suitability for Fixed Term Recall) Order 2025, which "
        "widened 28-day fixed-term recall in 2025, because its start date could not be confirmed from a primary source; "
        "the End of Custody Supervised Licence scheme (October 2023 to 2024), because the sources found disagree on when "
        "it was extended; and the early re-release of recalled prisoners reported in March 2025, which is known only "
        "from press reports.",
        "All figures are third parties' parses of the Ministry of Justice's tables, not the MoJ's own files; each row "
        "keeps the file and line it came from. MoJ figures can be revised in later editions without a marker.",
    ]
    return HtmlBlock('<ul class="jct-caveats">' + "".join(f"<li>{html.escape(t)}</li>" for t in items) + "</ul>")


def sources(config: TrackerConfig, source_ids: list[str] | None = None) -> HtmlBlock:
    return HtmlBlock(attribution_html(config, source_ids or ALL_SOURCES))
