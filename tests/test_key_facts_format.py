"""Key facts read as a reader would write them: an audit found "2,031 year" and "40 % of prisons (more than)".
Checked on the built page, so any fact added later is held to the same rules."""
from __future__ import annotations

import html
import re

FIGURE = re.compile(r"<strong>(?P<measure>.*?): (?P<value>.*?)</strong> \((?P<period>.*?); (?P<kind>\w+)\)", re.S)
NUMBER_WITHOUT_SEPARATOR = re.compile(r"(?<![\d.,£-])\d{5,}\b")


def _facts(site) -> list[dict]:
    page = (site / "book" / "key-facts.html").read_text(encoding="utf-8")
    return [{k: html.unescape(v) for k, v in m.groupdict().items()} for m in FIGURE.finditer(page)]


def test_every_fact_value_is_written_plainly(site):
    facts = _facts(site)
    assert len(facts) >= 20
    problems = []
    for f in facts:
        value, measure = f["value"], f["measure"]
        if re.search(r"\d,\d{3} years?\b", value):
            problems.append(f"{measure}: a year written as a count ({value!r})")
        if re.search(r"\d %", value):
            problems.append(f"{measure}: a space before the per cent sign ({value!r})")
        if re.search(r"\((more than|at least|about|over|under|up to)\)", value):
            problems.append(f"{measure}: the qualifier trails the figure ({value!r})")
        for text in (value, measure):
            if NUMBER_WITHOUT_SEPARATOR.search(text.replace("2,0", "")) and not re.fullmatch(r".*\b(19|20)\d\d\b.*", text):
                problems.append(f"{measure}: a number without thousands separators ({text!r})")
    assert problems == []


def test_every_fact_says_whether_it_is_a_count_an_estimate_or_a_target(site):
    kinds = {f["kind"] for f in _facts(site)}
    assert kinds <= {"count", "estimate", "target"}, kinds
