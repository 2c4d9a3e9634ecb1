"""Page: key facts from reports (NAO, PAC, MoJ), each with its citation, generated from data/curated/facts.csv."""
from __future__ import annotations

import html
import re

from ..facts import Fact, load_facts
from .common import HtmlBlock

TOPICS = {"population": "Prison population and capacity", "estate": "Estate and maintenance",
          "staffing": "Staffing", "probation": "Probation", "recalls": "Recalls", "early_release": "Early release"}
KIND_WORDS = {"count": "count", "estimate": "estimate", "target": "target"}


def facts() -> list[Fact]:
    return load_facts()


# A unit may end with how the source qualified the figure: "% of prisons (more than)", "GBP (at least)".
_QUALIFIED = re.compile(r"(?P<unit>.*?)\s*\((?P<qualifier>more than|at least|about|up to|over|under)\)")


def _value(f: Fact) -> str:
    """The figure as a reader would write it: "£4.2bn", "more than 40% of prisons", "2031", "£194m a year"."""
    unit, qualifier = f.unit.strip(), ""
    m = _QUALIFIED.fullmatch(unit)
    if m:
        unit, qualifier = m["unit"], m["qualifier"] + " "

    def number(v: float) -> str:
        if unit.startswith("GBP"):
            return f"£{v / 1e9:,.1f}bn" if v >= 1e9 else f"£{v / 1e6:,.0f}m" if v >= 1e6 else f"£{v:,.0f}"
        if unit == "year":
            return f"{v:.0f}"
        text = f"{v:,.0f}" if v == int(v) else f"{v:,}"
        return text + "%" if unit.startswith("%") else text

    text = number(f.value) + (f" to {number(f.value_high)}" if f.value_high is not None else "")
    rest = unit[3:] if unit.startswith("GBP") else "" if unit == "year" else unit[1:] if unit.startswith("%") else \
        " " + unit
    return qualifier + text + (" " + rest.strip() if rest.strip() else "")


def facts_by_topic(topic: str) -> HtmlBlock:
    rows = [f for f in facts() if f.topic == topic]
    if not rows:
        return HtmlBlock("<p>No curated facts on this topic yet.</p>")
    items = []
    for f in rows:
        quote = f" “{html.escape(f.quote)}”" if f.quote else ""
        items.append(
            f'<li id="fact-{html.escape(f.fact_id, quote=True)}"><strong>{html.escape(f.measure)}: '
            f"{html.escape(_value(f))}</strong> ({html.escape(f.period)}; {KIND_WORDS[f.kind]}).{quote} "
            f'<span class="jct-ref">{html.escape(f.publisher)}, <a href="{html.escape(f.url, quote=True)}">'
            f"<cite>{html.escape(f.title)}</cite></a>, {html.escape(f.published)}, {html.escape(f.reference)}. "
            f"Checked: {html.escape(f.verification)}.</span></li>")
    return HtmlBlock(f'<ul class="jct-facts">{"".join(items)}</ul>')


def topics_present() -> list[str]:
    present = {f.topic for f in facts()}
    return [t for t in TOPICS if t in present]
