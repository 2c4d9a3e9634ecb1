"""What every chapter needs: reading processed tables and crediting sources."""
from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd

from ..config import TrackerConfig
from ..release_dates import next_release_text  # noqa: F401 (re-exported for the chapters)
from ..tables import load_table  # noqa: F401 (the chapters' one way to read a table)


@dataclass
class HtmlBlock:
    html: str

    def _repr_html_(self) -> str:
        return self.html


def table_region(table_html: str, label: str) -> str:
    """A table in a box that scrolls sideways when it is wider than the page, focusable and named so a keyboard
    user can scroll it (axe: scrollable-region-focusable). Jupyter Book's own scrolling box around a cell's output
    is made focusable only by the theme's script, so without JavaScript a wide table needs a box of its own."""
    return (f'<div class="jct-table-wide" tabindex="0" role="region" aria-label="{html.escape(label, quote=True)}">'
            f"{table_html}</div>")


def html_table(caption: str, head: list[str], rows: list[list[str]], table_class: str = "jct-data-table") -> str:
    """A captioned table in a focusable region; `head` and the cells are HTML already (escape data first)."""
    th = "".join(f'<th scope="col">{h}</th>' for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return table_region(f'<table class="{table_class}"><caption>{html.escape(caption)}</caption><thead><tr>{th}</tr>'
                        f"</thead><tbody>{body}</tbody></table>", caption)


def attribution_html(config: TrackerConfig, source_ids: list[str], short: bool = False) -> str:
    """Credit the original publisher first, then any third party whose parse we use, with its licence."""
    if short:
        originals = sorted({config.source(s).original_publisher for s in source_ids})
        thirds = list({(s.publisher, s.licence): s for s in (config.source(i) for i in source_ids)
                       if s.third_party}.values())
        text = "Source: " + "; ".join(html.escape(o) for o in originals)
        if thirds:
            text += ", as parsed by " + ", ".join(
                f'<a href="{html.escape(s.url, quote=True)}">{html.escape(s.publisher)}</a> '
                f'(<a href="{html.escape(s.licence_url, quote=True)}">{html.escape(s.licence)}</a>)' for s in thirds)
        return text + "."
    items = []
    for sid in source_ids:
        s = config.source(sid)
        original = html.escape(s.original_publisher)
        if s.original_url:
            original = f'<a href="{html.escape(s.original_url, quote=True)}">{original}</a>'
        items.append(
            "<li>"
            f"<strong>{html.escape(s.title)}</strong>. Statistics: {original}"
            f"{', ' + html.escape(s.original_licence) if s.original_licence else ''}. "
            f'Parsed file: <a href="{html.escape(s.url, quote=True)}">{html.escape(s.publisher)}</a>, '
            f'<a href="{html.escape(s.licence_url, quote=True)}">{html.escape(s.licence)}</a>. '
            f"Credit: {html.escape(s.attribution)} Coverage: {html.escape(s.coverage)}."
            "</li>"
        )
    return f'<ul class="jct-sources">{"".join(items)}</ul>'


# Headline tiles: the same on every chapter (latest value, change on the previous period and on 12 months
# earlier, the release it came from, and when the next release is due).

@dataclass(frozen=True)
class Observation:
    """One published value with the date it refers to and where it came from."""

    date: pd.Timestamp
    value: float
    ref: str = ""


@dataclass(frozen=True)
class TileMeasure:
    label: str
    latest: Observation
    previous: Observation | None
    year_ago: Observation | None
    fmt: str = "{:,.0f}"
    change_unit: str = ""
    decimals: int = 0
    kind: str = "count"  # count, estimate or target: said on the tile


def observations(frame: pd.DataFrame, date_col: str, value_col: str, tolerance_days: int = 10
                 ) -> tuple[Observation, Observation | None, Observation | None]:
    """Latest, previous and nearest-to-12-months-earlier observations of one series (blanks skipped)."""
    rows = frame.dropna(subset=[value_col]).sort_values(date_col)
    if rows.empty:
        raise ValueError(f"no values in column {value_col!r}")

    def obs(r) -> Observation:
        ref = f"{r['source_file']} {r['row_ref']}" if "source_file" in r and "row_ref" in r else ""
        return Observation(pd.Timestamp(r[date_col]), float(r[value_col]), ref)

    latest = obs(rows.iloc[-1])
    previous = obs(rows.iloc[-2]) if len(rows) > 1 else None
    target = latest.date - pd.Timedelta(days=365)
    gaps = (pd.to_datetime(rows[date_col]) - target).abs()
    i = gaps.idxmin()
    year_ago = obs(rows.loc[i]) if gaps.loc[i] <= pd.Timedelta(days=tolerance_days) and rows.loc[i, date_col] != rows.iloc[-1][date_col] else None
    return latest, previous, year_ago


def change_text(now: float, then: Observation | None, unit: str = "", decimals: int = 0) -> str:
    if then is None:
        return "no comparable figure"
    diff = now - then.value
    if round(diff, decimals) == 0:
        return "unchanged"
    arrow, word = ("▲", "up") if diff > 0 else ("▼", "down")
    return f'<span aria-hidden="true">{arrow}</span> {word} {abs(diff):,.{decimals}f}{unit}'


def _day(ts: pd.Timestamp) -> str:
    return f"{ts.day} {ts.strftime('%B %Y')}"


def provenance_details(refs_html: str, summary: str = "Where these figures were read") -> str:
    """The files and rows figures were read from: for whoever checks them, so folded away from readers."""
    return (f'<details class="jct-provenance"><summary>{html.escape(summary)}</summary>{refs_html}'
            f"</details>")


def headline_tile(heading: str, measures: list[TileMeasure], release_html: str, next_release: str,
                  period_word: str = "previous figure") -> HtmlBlock:
    cards = []
    for m in measures:
        prev, ago = m.previous, m.year_ago
        kind = "" if m.kind == "count" else f' <span class="jct-kind">({html.escape(m.kind)})</span>'
        cards.append(
            '<div class="jct-tile-card">'
            f'<p class="jct-tile-label">{html.escape(m.label)}{kind}</p>'
            f'<p class="jct-tile-value">{html.escape(m.fmt.format(m.latest.value))}</p>'
            f'<p class="jct-tile-change">{change_text(m.latest.value, prev, m.change_unit, m.decimals)} on the '
            f'{html.escape(period_word)}{"" if prev is None else " (" + _day(prev.date) + ")"}</p>'
            f'<p class="jct-tile-change">{change_text(m.latest.value, ago, m.change_unit, m.decimals)} on 12 months '
            f'earlier{"" if ago is None else " (" + _day(ago.date) + ")"}</p>'
            "</div>")
    return HtmlBlock(
        f'<section class="jct-tile" aria-label="{html.escape(heading, quote=True)}">'
        f'<p class="jct-tile-date">{html.escape(heading)}</p>'
        f'<div class="jct-tile-grid">{"".join(cards)}</div>'
        f'<div class="jct-tile-source">{release_html}</div>'
        f'<p class="jct-tile-source">Next release: {html.escape(next_release)}</p></section>')
