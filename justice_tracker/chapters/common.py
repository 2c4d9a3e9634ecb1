"""What every chapter needs: reading processed tables and crediting sources."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from markupsafe import Markup

from ..config import TrackerConfig
from ..release_dates import next_release_text  # noqa: F401 (re-exported for the chapters)
from ..tables import load_table  # noqa: F401 (the chapters' one way to read a table)
from ..templates import render


@dataclass
class HtmlBlock:
    html: str

    def _repr_html_(self) -> str:
        return self.html


def table_region(table_html: str, label: str) -> str:
    """A table in a box that scrolls sideways when it is wider than the page, focusable and named so a keyboard
    user can scroll it (axe: scrollable-region-focusable). Jupyter Book's own scrolling box around a cell's output
    is made focusable only by the theme's script, so without JavaScript a wide table needs a box of its own.
    `table_html` is HTML; `label` is text."""
    return render("table_region.html", table=Markup(table_html), label=label)


def html_table(caption: str, head: list[str], rows: list, table_class: str = "jct-data-table",
               template: str = "table.html") -> str:
    """A captioned table in a focusable region. `head` and the cells are text and are escaped here; a cell that
    holds markup (a link, a line break) is passed as markupsafe.Markup, built with Markup(...).format(...) so its
    own text is escaped too. A table whose rows need more markup names a template that extends table.html and
    lays out each row (a dict, say) in its `cells` block."""
    return table_region(render(template, caption=caption, head=head, rows=rows, table_class=table_class), caption)


def attribution_html(config: TrackerConfig, source_ids: list[str], short: bool = False) -> str:
    """Credit the original publisher first, then any third party whose parse we use, with its licence."""
    sources = [config.source(s) for s in source_ids]
    if short:
        originals = sorted({s.original_publisher for s in sources})
        thirds = list({(s.publisher, s.licence): s for s in sources if s.third_party}.values())
        return render("source_line.html", originals=originals, thirds=thirds)
    return render("sources.html", sources=sources)


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


@dataclass(frozen=True)
class Change:
    """A value's change on an earlier one, in words: "up 1,100", "unchanged", "no comparable figure"."""

    words: str
    arrow: str = ""  # ▲ or ▼, shown beside the words and hidden from screen readers (the words say it)


def change(now: float, then: Observation | None, unit: str = "", decimals: int = 0) -> Change:
    if then is None:
        return Change("no comparable figure")
    diff = now - then.value
    if round(diff, decimals) == 0:
        return Change("unchanged")
    arrow, word = ("▲", "up") if diff > 0 else ("▼", "down")
    return Change(f"{word} {abs(diff):,.{decimals}f}{unit}", arrow)


def _day(ts: pd.Timestamp) -> str:
    return f"{ts.day} {ts.strftime('%B %Y')}"


def provenance_details(refs_html: str, summary: str = "Where these figures were read") -> str:
    """The files and rows figures were read from: for whoever checks them, so folded away from readers.
    `refs_html` is HTML (escape the file names first); `summary` is text."""
    return render("provenance.html", refs=Markup(refs_html), summary=summary)


def headline_tile(heading: str, measures: list[TileMeasure], release_html: str, next_release: str,
                  period_word: str = "previous figure") -> HtmlBlock:
    """`release_html` is HTML (the release's name and its provenance_details); everything else is text."""
    cards = []
    for m in measures:
        against = [(m.previous, f"the {period_word}"), (m.year_ago, "12 months earlier")]
        changes = [{**vars(change(m.latest.value, then, m.change_unit, m.decimals)), "against": words,
                    "date": "" if then is None else _day(then.date)} for then, words in against]
        cards.append({"label": m.label, "kind": m.kind, "value": m.fmt.format(m.latest.value), "changes": changes})
    return HtmlBlock(render("tile.html", heading=heading, cards=cards, release=Markup(release_html),
                            next_release=next_release))
