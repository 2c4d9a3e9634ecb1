"""Reader pages speak of publications, dates and people: the commands and the file-and-line references a maintainer
needs sit inside a <details> element (or on the methodology, data catalogue and reconciliation pages, which are for
checking the data)."""
from __future__ import annotations

import re

MAINTAINER_WORDS = re.compile(r"\bmake (update|data|book|test)\b|[\w-]+/[\w-]+\.(csv|ods|xlsx|json) line \d+"
                              r"|\bdata/(raw|processed)/")
FOR_CHECKING = re.compile(r"(methodology|data-catalogue|reconciliation|genindex|search)\.html$")


def _reader_text(page: str) -> str:
    page = re.sub(r"<details\b.*?</details>", " ", page, flags=re.S)
    page = re.sub(r"<(script|style)\b[^>]*>.*?</\1>", " ", page, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def test_no_reader_page_shows_commands_or_file_rows_outside_a_disclosure(site):
    pages = [p for p in sorted(site.rglob("*.html")) if not FOR_CHECKING.search(p.name)]
    assert len(pages) > 300
    found = []
    for p in pages:
        text = _reader_text(p.read_text(encoding="utf-8"))
        m = MAINTAINER_WORDS.search(text)
        if m:
            found.append(f"{p.relative_to(site)}: …{text[max(0, m.start() - 60):m.end() + 20]}…")
    assert found == [], f"{len(found)} page(s):\n" + "\n".join(found[:10])
