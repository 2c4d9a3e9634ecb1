"""Page: key facts from reports (NAO, PAC, MoJ), each with its citation, generated from data/curated/facts.csv."""
from __future__ import annotations

import html

from ..facts import Fact, load_facts
from .common import HtmlBlock

TOPICS = {"population": "Prison population and capacity", "estate": "Estate and maintenance",
          "staffing": "Staffing", "probation": "Probation", "recalls": "Recalls", "early_release": "Early release"}
KIND_WORDS = {"count": "count", "estimate": "estimate", "target": "target", "cost": "cost"}


def facts() -> list[Fact]:
    return load_facts()


def _value(f: Fact) -> str:
    def one(v: float) -> str:
        if f.unit.startswith("GBP"):
            return f"£{v / 1e9:,.1f}bn" if v >= 1e9 else f"£{v / 1e6:,.0f}m" if v >= 1e6 else f"£{v:,.0f}"
        return f"{v:,.0f}" if v == int(v) else f"{v:,}"
    text = one(f.value) + (f" to {one(f.value_high)}" if f.value_high is not None else "")
    unit = "" if f.unit.startswith("GBP") else f" {f.unit}"
    return text + unit


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
