"""Key facts, glossary and methodology pages: generated from the curated table, complete and cited."""
import re

from justice_tracker.facts import load_facts

GLOSSARY_TERMS = ["UOC", "CNA", "Headroom", "Operating margin", "SDS40", "HDC", "FTR", "PQiP", "OMiC", "PDU",
                  "Bands 3-5", "Operation Safeguard"]


def test_every_curated_fact_is_on_the_key_facts_page_with_its_source(site):
    html = (site / "book" / "key-facts.html").read_text(encoding="utf-8")
    for f in load_facts():
        assert f'id="fact-{f.fact_id}"' in html, f.fact_id
        assert f.url.replace("&", "&amp;") in html
    assert "916m" in html  # the NAO 2020 backlog, formatted from the table's value


def test_glossary_defines_the_terms_readers_meet(site):
    html = (site / "book" / "glossary.html").read_text(encoding="utf-8")
    terms = re.findall(r"<dt[^>]*>(.*?)</dt>", html, re.S)
    text = " ".join(terms)
    for term in GLOSSARY_TERMS:
        assert term in text, term


def test_methodology_covers_breaks_suppression_revisions_and_third_party_parses(site):
    html = " ".join((site / "book" / "methodology.html").read_text(encoding="utf-8").lower().split())
    for topic in ("definitional breaks", "suppressed", "revised", "third-party parses", "reconciliation",
                  "not yet verified against a published file"):
        assert topic in html, topic
