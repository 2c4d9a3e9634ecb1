"""Terms explained where they appear: the first use of a glossary term (UOC, CNA, headroom, FTE, recall ...) in a
page's running text links to its entry on the glossary page, whose entries get anchors for it.

The terms are read from book/glossary.md itself (a definition list: a term line, then ": definition"), so a term
added there is linked everywhere without a second list to keep. Only running text is linked (paragraphs and list
items), never headings, links, tables, figures or folded-away detail.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

GLOSSARY_PAGE = "book/glossary"
PROTECTED = re.compile(r"<(figure|details|table|script|style|svg|pre)\b.*?</\1\s*>", re.S | re.I)


@dataclass(frozen=True)
class Term:
    anchor: str
    pattern: re.Pattern


def _slug(text: str) -> str:
    return "term-" + re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _is_abbreviation(text: str) -> bool:
    return bool(re.fullmatch(r"[A-Z][A-Za-z0-9]*[A-Z0-9]", text)) and sum(c.isupper() for c in text) >= 2


def _words(text: str) -> str:
    # An abbreviation matches as written; words match in any case, in the singular or plural.
    if _is_abbreviation(text):
        return rf"\b{re.escape(text)}\b"
    return rf"(?i:\b{re.escape(text)}s?\b)"


@lru_cache(maxsize=4)
def terms(glossary_md: Path) -> tuple[Term, ...]:
    lines = glossary_md.read_text(encoding="utf-8").splitlines()
    found = []
    for term, following in zip(lines, lines[1:]):
        if not term.strip() or term.startswith(("#", ":", " ")) or not following.startswith(": "):
            continue
        m = re.fullmatch(r"(.+?)\s*\((.+)\)", term.strip())
        names = [term.strip()]
        if m:
            main, aside = m.group(1), m.group(2)
            names = [main] + ([aside] if _is_abbreviation(main) or _is_abbreviation(aside) else [])
        found.append(Term(_slug(term.strip()), re.compile("|".join(_words(n) for n in names))))
    # Longer names first, so "In Use CNA" is not taken for a shorter term inside it.
    return tuple(sorted(found, key=lambda t: -len(t.pattern.pattern)))


def anchor_glossary(body: str) -> str:
    """The glossary page: each <dt> gets the id the links point at."""
    def add_id(m: re.Match) -> str:
        text = re.sub(r"<[^>]+>", "", m.group(2)).strip()
        return f'<dt id="{_slug(text)}"{m.group(1)}>{m.group(2)}</dt>'
    return re.sub(r"<dt(?![^>]*\bid=)([^>]*)>(.*?)</dt>", add_id, body, flags=re.S)


BLOCK = re.compile(r"<(p|li)\b([^>]*)>(.*?)</\1\s*>", re.S)
TAG = re.compile(r"(<[^>]+>)")
NOT_INSIDE = {"a", "code", "abbr", "cite", "button", "label", "summary", "sup", "kbd"}


def link_first_uses(body: str, pagename: str, glossary_md: Path) -> str:
    """The page's HTML with the first use of each glossary term in its running text linked. Text is matched
    between tags, so the rest of the page is left byte for byte as it was."""
    known = terms(glossary_md)
    if not known or not any(t.pattern.search(body) for t in known):
        return body
    # Tables, figures and folded-away detail are never linked: set aside first, they cost nothing to skip (a prison
    # page is 110 KB, nearly all of it data tables).
    kept: list[str] = []

    def keep(m: re.Match) -> str:
        kept.append(m.group(0))
        return f"\0{len(kept) - 1}\0"

    body = PROTECTED.sub(keep, body)
    href_base = posixpath.relpath(f"{GLOSSARY_PAGE}.html", posixpath.dirname(pagename) or ".")
    linked: set[str] = set()

    def link_text(text: str) -> str:
        hits = []
        for t in known:  # longest first: a term linked already still keeps a shorter one out of its words
            m = t.pattern.search(text)
            if m and not any(m.start() < e and s < m.end() for s, e, _ in hits):
                hits.append((m.start(), m.end(), t))
        hits = sorted((h for h in hits if h[2].anchor not in linked), key=lambda h: h[0])
        out, at = [], 0
        for s, e, t in hits:
            out.append(text[at:s] + f'<a class="jct-term" href="{href_base}#{t.anchor}">{text[s:e]}</a>')
            linked.add(t.anchor)
            at = e
        return "".join(out) + text[at:]

    def in_block(m: re.Match) -> str:
        classes = re.search(r'class="([^"]*)"', m.group(2))
        if classes and "jct-" in classes.group(1) and "jct-summary" not in classes.group(1):
            return m.group(0)  # tiles, sources and references: labels, not running text
        parts = TAG.split(m.group(3))
        skipping = 0
        for i, part in enumerate(parts):
            if part.startswith("<"):
                name = re.match(r"</?([a-zA-Z0-9]+)", part)
                if name and name.group(1).lower() in NOT_INSIDE and not part.endswith("/>"):
                    skipping += -1 if part.startswith("</") else 1
                continue
            if skipping <= 0 and part.strip() and "\0" not in part:
                parts[i] = link_text(part)
        return f"<{m.group(1)}{m.group(2)}>{''.join(parts)}</{m.group(1)}>"

    body = BLOCK.sub(in_block, body)
    return re.sub(r"\0(\d+)\0", lambda m: kept[int(m.group(1))], body)
