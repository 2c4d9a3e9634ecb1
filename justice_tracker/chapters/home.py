"""The home page: where the crisis stands, in sentences made from the latest figures, and every chapter listed.

Nothing here states a direction that the data has not given: each change is computed from a series, and
tests/test_home.py recomputes it from the processed tables.
"""
from __future__ import annotations

import html
import posixpath
from dataclasses import dataclass

import pandas as pd

from ..config import TrackerConfig, load_config
from .common import HtmlBlock, load_table, observations


@dataclass(frozen=True)
class Change:
    """A figure against the same figure a year earlier."""
    now: float
    then: float
    now_label: str
    then_label: str

    @property
    def percent(self) -> float:
        return (self.now - self.then) / self.then * 100

    def phrase(self) -> str:
        p = round(self.percent, 1)
        if p == 0:
            return f"about the same as in {self.then_label}"
        return f"{'up' if p > 0 else 'down'} {abs(p):.1f}% on {self.then_label}"


def _day(ts: pd.Timestamp) -> str:
    return f"{ts.day} {ts.strftime('%B %Y')}"


def year_on_year(frame: pd.DataFrame, date_col: str, value_col: str, label) -> Change | None:
    latest, _, year_ago = observations(frame, date_col, value_col, tolerance_days=16)
    if year_ago is None:
        return None
    return Change(latest.value, year_ago.value, label(latest.date), label(year_ago.date))


def population_sentence(config: TrackerConfig) -> str:
    weekly = load_table(config, "weekly_population_capacity")
    row = weekly.dropna(subset=["population", "uoc"]).sort_values("date").iloc[-1]
    when = _day(pd.Timestamp(row["date"]))
    text = (f"On {when} there were {row['population']:,.0f} people in prison in England and Wales: "
            f"{row['population'] / row['uoc'] * 100:.1f}% of useable operational capacity, "
            f"leaving {row['uoc'] - row['population']:,.0f} places free")
    if pd.notna(row.get("population_adult_male")) and pd.notna(row.get("uoc_adult_male")):
        text += (f" (the adult men's prisons, where space is tightest, were "
                 f"{row['population_adult_male'] / row['uoc_adult_male'] * 100:.1f}% full)")
    return text + "."


def recall_sentence(config: TrackerConfig) -> str:
    recalls = load_table(config, "recall_population_monthly")
    frame = recalls.assign(date=pd.to_datetime(recalls["month"] + "-01"))
    latest = frame.dropna(subset=["recall_population"]).sort_values("date").iloc[-1]
    text = (f"{latest['recall_population']:,.0f} people were in prison on a licence recall in "
            f"{pd.Timestamp(latest['date']).strftime('%B %Y')}")
    change = year_on_year(frame, "date", "recall_population", lambda d: d.strftime("%B %Y"))
    return text + (f", {change.phrase()}." if change else ".")


def staffing_sentence(config: TrackerConfig) -> str:
    target = load_table(config, "officer_staffing_vs_target").dropna(subset=["pct_of_target"]).sort_values("date")
    row = target.iloc[-1]
    return (f"On {_day(pd.Timestamp(row['date']))} public-sector prisons had {row['pct_of_target']:.1f}% of the prison "
            f"officers (bands 3 to 5) they aim to have in post.")


def caseload_sentence(config: TrackerConfig) -> str:
    cases = load_table(config, "probation_caseload")
    rows = cases[(cases["measure"] == "all_supervision") & (cases["sex"] == "all")].dropna(subset=["value"])
    row = rows.sort_values("date").iloc[-1]
    return (f"Probation supervised {row['value']:,.0f} people on {_day(pd.Timestamp(row['date']))}.")


def where_it_stands(config: TrackerConfig | None = None) -> HtmlBlock:
    config = config or load_config()
    items = [population_sentence(config), staffing_sentence(config), recall_sentence(config),
             caseload_sentence(config)]
    body = "".join(f"<li>{html.escape(s)}</li>" for s in items)
    return HtmlBlock(f'<ul class="jct-home-latest">{body}</ul>')


def chapter_list(config: TrackerConfig | None = None) -> HtmlBlock:
    """Every page in the table of contents, part by part, each with what it shows."""
    config = config or load_config()
    here = posixpath.dirname(config.toc.root_file)
    parts = []
    for part in config.toc.parts:
        items = []
        for c in part.chapters:
            href = posixpath.relpath(c.file, here) + ".html"
            summary = f": {html.escape(c.summary)}" if c.summary else ""
            items.append(f'<li><a href="{html.escape(href, quote=True)}">{html.escape(c.title)}</a>{summary}</li>')
        parts.append(f"<h3>{html.escape(part.caption)}</h3><ul>{''.join(items)}</ul>")
    return HtmlBlock(f'<div class="jct-home-chapters">{"".join(parts)}</div>')
