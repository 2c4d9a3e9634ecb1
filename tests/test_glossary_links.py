"""Terms explained where they appear: the first use of a glossary term in a page's running text links to its entry."""
from __future__ import annotations

import re
from pathlib import Path

from justice_tracker.glossary_links import link_first_uses
from justice_tracker.paths import REPO_ROOT

GLOSSARY = REPO_ROOT / "book" / "glossary.md"
LINK = re.compile(r'<a class="jct-term" href="([^"#]+)#([^"]+)">([^<]*)</a>')


def _unlinked(html: str) -> str:
    return LINK.sub(lambda m: m.group(3), html)


def test_only_the_first_use_in_running_text_is_linked_and_nothing_else_changes():
    page = ('<h2>Headroom</h2><p class="jct-tile-label">Headroom</p>'
            '<p>Headroom is what is left of the UOC; <a href="x.html">headroom</a> again.</p>'
            '<table><tr><td>UOC</td></tr></table><details><p>FTE</p></details>'
            '<ul><li>Staff in post (FTE) and headroom once more, and In Use CNA.</li></ul>')
    out = link_first_uses(page, "book/chapters/staffing", GLOSSARY)
    links = LINK.findall(out)
    assert [(href, text) for href, _, text in links] == [("../glossary.html", "Headroom"), ("../glossary.html", "UOC"),
                                                         ("../glossary.html", "FTE"),
                                                         ("../glossary.html", "In Use CNA")]
    assert _unlinked(out) == page


def test_every_term_link_on_the_site_lands_on_a_glossary_entry(site):
    glossary = (site / "book" / "glossary.html").read_text(encoding="utf-8")
    ids = set(re.findall(r'<dt id="([^"]+)"', glossary))
    terms = [line for line, nxt in zip(GLOSSARY.read_text().splitlines(), GLOSSARY.read_text().splitlines()[1:])
             if line and not line.startswith(("#", ":", " ")) and nxt.startswith(": ")]
    assert len(ids) == len(terms) >= 20
    targets, pages_with_links = set(), 0
    for page in (site / "book").rglob("*.html"):
        found = LINK.findall(page.read_text(encoding="utf-8"))
        pages_with_links += bool(found)
        for href, anchor, _ in found:
            assert (page.parent / href).resolve() == (site / "book" / "glossary.html").resolve(), page
            targets.add(anchor)
    assert targets <= ids, targets - ids
    assert pages_with_links > 100


def test_the_population_chapter_explains_its_capacity_terms(site):
    page = (site / "book" / "chapters" / "population-capacity.html").read_text(encoding="utf-8")
    anchors = [a for _, a, _ in LINK.findall(page)]
    assert len(anchors) == len(set(anchors))
    assert {"term-useable-operational-capacity-uoc", "term-headroom"} <= set(anchors)
