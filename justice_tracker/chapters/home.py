"""The home page: where the crisis stands, in sentences made from the latest figures, and every chapter listed.

Nothing here states a direction that the data has not given: each change is computed from a series, and
tests/test_home.py recomputes it from the processed tables.
"""
from __future__ import annotations

import html
import posixpath
from dataclasses import dataclass, field

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


# --- the dashboard: one tile per series readers follow ---------------------------------------------------------------

SPARK_W, SPARK_H = 120, 32


@dataclass(frozen=True)
class TileSpec:
    """One dashboard tile, from tracker.yml (the home page's `dashboard` parameter): a headline by id, or a share
    of two columns of one table (`value` as a % of `per`)."""
    page: str
    headline: str = ""
    label: str = ""
    table: str = ""
    date: str = ""
    value: str = ""
    per: str = ""
    format: str = "{:,.0f}"
    unit: str = ""
    kind: str = "count"
    years: int = 3
    filter: dict = field(default_factory=dict)
    fact: str = ""


@dataclass(frozen=True)
class Tile:
    label: str
    kind: str
    value: str
    date: str
    change: str
    href: str
    points: str
    trend: str


def _spec(config: TrackerConfig, raw: dict) -> TileSpec:
    spec = TileSpec(**raw)
    if spec.headline:
        h = next((h for h in config.headlines if h.id == spec.headline), None)
        if h is None:
            raise ValueError(f"dashboard tile names headline {spec.headline!r}; tracker.yml has "
                             f"{[x.id for x in config.headlines]}")
        return TileSpec(page=spec.page, label=spec.label or h.label, table=h.table, date=h.date, value=h.value,
                        format=h.format, unit=h.unit, kind=spec.kind, years=spec.years, filter=dict(h.filter))
    return spec


def _series(config: TrackerConfig, spec: TileSpec) -> pd.DataFrame:
    frame = load_table(config, spec.table)
    for column, wanted in spec.filter.items():
        frame = frame[frame[column].astype(str) == str(wanted)]
    dates = frame[spec.date].astype(str)
    # Months ("2026-03") and quarters are dated by their first day, as the chapters do.
    frame = frame.assign(_date=pd.to_datetime(dates.where(dates.str.len() > 7, dates + "-01"), format="%Y-%m-%d"))
    value = frame[spec.value].astype(float)
    if spec.per:
        value = value / frame[spec.per].astype(float) * 100
    out = frame.assign(_value=value, _monthly=dates.str.len() == 7).dropna(subset=["_value"]).sort_values("_date")
    if out.empty:
        raise ValueError(f"dashboard tile {spec.label!r}: no values in {spec.table}.{spec.value}")
    return out[["_date", "_value", "_monthly"]]


def _points(series: pd.DataFrame) -> str:
    lo, hi = series["_value"].min(), series["_value"].max()
    t0, t1 = series["_date"].min(), series["_date"].max()
    span = (t1 - t0).total_seconds() or 1.0
    pad = 2
    xs = (series["_date"] - t0).dt.total_seconds() / span * (SPARK_W - 2 * pad) + pad
    ys = SPARK_H - pad - ((series["_value"] - lo) / ((hi - lo) or 1.0)) * (SPARK_H - 2 * pad)
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys))


def tiles(config: TrackerConfig, dashboard: list[dict]) -> list[Tile]:
    here = posixpath.dirname(config.toc.root_file)
    out = []
    for raw in dashboard:
        spec = _spec(config, raw)
        if spec.fact:
            out.append(_fact_tile(spec, here))
            continue
        series = _series(config, spec)
        latest = series.iloc[-1]
        fmt = lambda v: spec.format.format(v) + (f" {spec.unit}" if spec.unit else "")  # noqa: E731
        obs = series.rename(columns={"_date": "date", "_value": "value"})[["date", "value"]]
        _, _, year_ago = observations(obs, "date", "value", tolerance_days=45)
        if year_ago is None:
            change = "no figure for a year earlier"
        else:
            diff = latest["_value"] - year_ago.value
            step = "points" if "%" in spec.format else spec.unit
            word = "up" if diff > 0 else "down" if diff < 0 else "unchanged"
            amount = spec.format.replace("%", "").format(abs(diff)).strip()
            change = "unchanged on a year earlier" if word == "unchanged" else \
                f"{word} {amount}{' ' + step if step else ''} on a year earlier"
        recent = series[series["_date"] >= latest["_date"] - pd.DateOffset(years=spec.years)]
        first = recent.iloc[0]
        trend = (f"Trend since {_day(first['_date'])}: from {fmt(first['_value'])} to {fmt(latest['_value'])}"
                 if len(recent) > 1 else "")
        when = latest["_date"].strftime("%B %Y") if latest["_monthly"] else _day(latest["_date"])
        out.append(Tile(label=spec.label, kind=spec.kind, value=fmt(latest["_value"]), date=when,
                        change=change, href=posixpath.relpath(spec.page, here) + ".html",
                        points=_points(recent) if len(recent) > 1 else "", trend=trend))
    return out


def _fact_tile(spec: TileSpec, here: str) -> Tile:
    """A figure that exists only in a report (facts.csv): its value, kind and who gave it, with no trend."""
    from ..facts import load_facts
    from .key_facts import _value

    f = next((f for f in load_facts() if f.fact_id == spec.fact), None)
    if f is None:
        raise ValueError(f"dashboard tile names fact {spec.fact!r}, which data/curated/facts.csv does not have")
    return Tile(label=spec.label or f.measure, kind=f.kind, value=_value(f), date=f.period,
                change=f"{f.publisher}, {f.title} ({f.published})", href=posixpath.relpath(spec.page, here) + ".html",
                points="", trend="")


def dashboard(dashboard: list[dict], config: TrackerConfig | None = None) -> HtmlBlock:
    """The front page's tiles, newest figure of each series with its date, change on a year and trend line, and a
    freshness line that says how old the newest figure is rather than promising the next."""
    from ..templates import render

    config = config or load_config()
    made = tiles(config, dashboard)
    weekly = _series(config, TileSpec(page="", table="weekly_population_capacity", date="date", value="population"))
    newest = _day(weekly["_date"].iloc[-1])
    freshness = (f"Latest figures: the weekly prison population bulletin of {newest}. The Ministry of Justice "
                 f"publishes weekly, so newer figures may exist than this edition shows.")
    return HtmlBlock(render("dashboard.html", tiles=made, freshness=freshness, spark_w=SPARK_W, spark_h=SPARK_H))
