"""The estate's money on the estate page: every report figure the page uses is cited and labelled with its kind,
the places promised and delivered are drawn as they were reported, and any figure the tracker derives (money per
place) is computed from its cited inputs, not typed in."""
from __future__ import annotations

import html
import re

import pytest

from justice_tracker.chapters import estate as chapter
from justice_tracker.facts import load_facts

KIND_LABELS = {"count", "estimate", "target"}


@pytest.fixture(scope="module")
def data(config):
    return chapter.load(config, "cells_out_of_use_estate", "monthly_establishments", "prison_changes")


def _text(block: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", block))


def _page_text(data, config) -> str:
    blocks = [chapter.backlog_chart(data, config).html, chapter.places_chart(data, config).html,
              chapter.places_note(data).html, chapter.cost_examples(data).html, chapter.per_place_note(data).html,
              chapter.losses_note(data).html, chapter.reports_cited(data).html]
    return "".join(blocks)


def test_every_fact_the_page_uses_is_cited_and_kind_labelled(data, config):
    page = _page_text(data, config)
    for fid in chapter.ALL_FACTS:
        f = data.facts[fid]
        assert f.kind in KIND_LABELS, fid
        assert f.publisher and f.title and f.url.startswith("https://") and f.reference and f.published, fid
        # A figure with no quote must say it was checked only second-hand; a quote must hold the figure.
        assert f.quote or f.verification.lower().startswith("secondhand"), fid
        assert html.escape(f.url, quote=True) in page, fid
        assert chapter.fact_value(f) in _text(page), fid


def test_the_kind_of_each_places_figure_is_said_next_to_it(data):
    note = _text(chapter.places_note(data).html)
    for promise, delivered, _ in chapter.PLACES_FACTS:
        for fid in (promise, delivered):
            f = data.facts[fid]
            if fid in {"nao-2020-new-for-old-commitment", "nao-2024-places-commitment"}:
                continue  # shown on the chart and its table, not in the notes
            expected = (re.escape(f"{f.measure}: {chapter.fact_value(f)}") + r"\s*"
                        + re.escape(f"({chapter.KIND_WORDS[f.kind]};"))
            assert re.search(expected, note), fid
    assert data.facts["hansard-2025-places-delivered"].kind == "count"
    assert data.facts["hansard-2025-places-target"].kind == "target"


def test_places_chart_table_labels_promises_as_targets_and_deliveries_as_counts(data, config):
    block = chapter.places_chart(data, config).html
    assert "Promised (a target)" in block and "Delivered (a count)" in block
    for promise, delivered, _ in chapter.PLACES_FACTS:
        assert data.facts[promise].kind == "target" and data.facts[delivered].kind == "count"
        # Each delivered count is dated by the period it covers.
        assert html.escape(data.facts[delivered].period) in block


def test_money_per_place_is_the_ratio_of_its_cited_inputs(data):
    note = _text(chapter.per_place_note(data).html)
    for money_id, places_id in chapter.PER_PLACE_FACTS:
        m, n = data.facts[money_id], data.facts[places_id]
        # Both inputs from the same statement: otherwise the division would mix two sources' definitions.
        assert (m.url, m.published) == (n.url, n.published)
        assert m.unit == "GBP" and n.unit == "places"
        shown = int(re.search(r"about £([\d,]+) a place", note).group(1).replace(",", ""))
        assert shown == round(m.value / n.value, -3)
        assert chapter.fact_value(m) in note and f"{n.value:,.0f} places" in note


def test_money_per_place_follows_the_figures(data):
    # Had the statement given other figures, the page would say other things: nothing is typed into the text.
    money_id, places_id = chapter.PER_PLACE_FACTS[0]
    facts = dict(data.facts)
    facts[money_id] = facts[money_id].model_copy(update={"value": 3_000_000_000.0})
    facts[places_id] = facts[places_id].model_copy(update={"value": 12_000.0})
    other = chapter.EstateData(data.estate, data.establishments, data.changes, facts)
    note = _text(chapter.per_place_note(other).html)
    assert "about £250,000 a place" in note and "12,000 places" in note


def test_the_new_rows_are_in_the_curated_table_once_with_their_quotes():
    facts = {f.fact_id: f for f in load_facts()}
    for fid in ("hansard-2025-places-delivered", "hansard-2025-places-target", "hansard-2025-expansion-funding"):
        f = facts[fid]
        assert f.quote and f.reference and "Hansard" in f.publisher
        assert f.published == "2025-06-30"
    # The delivered count is 'almost' 2,500 in the source: the qualifier is kept when the page states it.
    assert chapter.fact_value(facts["hansard-2025-places-delivered"]).startswith("almost ")


def test_a_count_not_set_against_its_promise_gets_no_share(data, config):
    block = chapter.places_chart(data, config).html
    for promise, delivered, _ in chapter.PLACES_FACTS:
        p, d = data.facts[promise], data.facts[delivered]
        with_share = f'"label":"{d.value:,.0f} ({d.value / p.value * 100:.0f}%)"'
        assert (with_share in block) is (delivered not in chapter.NOT_A_SHARE)
    caveat = chapter.since_july_2024_caveat(data.facts)
    assert "no share" in caveat and "should not be added together" in caveat
