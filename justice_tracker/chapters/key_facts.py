"""Page: key facts from reports (NAO, PAC, MoJ), each with its citation, generated from data/curated/facts.csv."""
from __future__ import annotations

import re

from ..facts import Fact, load_facts
from ..templates import render
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
    rows = [{**f.model_dump(), "value": _value(f), "kind": KIND_WORDS[f.kind]} for f in facts() if f.topic == topic]
    return HtmlBlock(render("facts.html", facts=rows))


def topics_present() -> list[str]:
    present = {f.topic for f in facts()}
    return [t for t in TOPICS if t in present]
