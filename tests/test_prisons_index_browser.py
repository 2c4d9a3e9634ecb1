"""The prisons index in headless Chromium on a phone-sized screen: the finder filters the tables, the page never
scrolls sideways, and ticking prisons draws them on one chart. Without JavaScript the finder is hidden and every
prison is listed."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from justice_tracker.paths import REPO_ROOT
from test_browser import browser, server  # noqa: F401

PAGE = "book/prisons/index.html"
PHONE = {"width": 390, "height": 844}
ROWS = "table.jct-prisons-table tbody tr"
VISIBLE_ROWS = f"{ROWS}:visible"


@pytest.fixture(scope="module")
def prisons() -> pd.DataFrame:
    return pd.read_csv(REPO_ROOT / "data" / "processed" / "prisons.csv", keep_default_na=False)


def _open(browser, server, javascript=True):
    context = browser.new_context(viewport=PHONE, java_script_enabled=javascript)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"HTTP {r.status} for {r.url}") if r.status >= 400 else None)
    page.goto(f"{server}/{PAGE}", wait_until="load")
    return context, page, errors


def _no_sideways_scroll(page) -> None:
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"the page is {width}px wide in a {inner}px viewport"


def _visible_names(page) -> list[str]:
    return page.locator(VISIBLE_ROWS).evaluate_all("rs => rs.map(r => r.getAttribute('data-name'))")


def test_typing_a_name_filters_to_that_prison_on_a_phone(browser, server, prisons):
    context, page, errors = _open(browser, server)
    _no_sideways_scroll(page)
    assert page.locator(VISIBLE_ROWS).count() == len(prisons)
    # Part of a name that no other prison's name contains, typed in capitals: the search has exactly one answer.
    names = prisons["prison_name"].tolist()
    name = next(n for n in sorted(names) if len(n) > 6 and sum(n[1:-1].lower() in m.lower() for m in names) == 1)
    page.get_by_label("Prison name contains").fill(name[1:-1].upper())
    assert _visible_names(page) == [name]
    assert re.match(r"^1 prison matches", page.locator("#jct-find-count").inner_text())
    # Crowding % of the one row is on screen, not in a column scrolled or hidden away.
    row = page.locator(VISIBLE_ROWS).first
    cell = row.locator("td").nth(6)
    assert cell.is_visible()
    box = cell.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    expected = prisons.loc[prisons["prison_name"] == name, "crowding_pct"].iloc[0]
    assert cell.inner_text().strip() == (f"{float(expected):.1f}" if expected != "" else "—")
    page.get_by_label("Prison name contains").fill("")
    assert page.locator(VISIBLE_ROWS).count() == len(prisons)
    assert page.locator("#jct-find-count").inner_text().startswith(f"{len(prisons)} prisons match")
    _no_sideways_scroll(page)
    context.close()
    assert errors == []


def test_status_filter_shows_only_temporarily_closed_prisons(browser, server, prisons):
    context, page, errors = _open(browser, server)
    page.get_by_label("Status").select_option(label="Temporarily closed")
    expected = sorted(prisons.loc[prisons["status"] == "temporarily closed", "prison_name"])
    assert expected, "the data has no temporarily closed prison to filter for"
    shown = page.locator(VISIBLE_ROWS).evaluate_all("rs => rs.map(r => r.querySelector('th a').textContent)")
    assert sorted(shown) == expected
    assert page.locator("#jct-find-count").inner_text().startswith(
        f"{len(expected)} prison{'s match' if len(expected) != 1 else ' matches'}")
    # The open table has none: it says so rather than showing an empty table silently.
    assert page.locator("#jct-prisons-open-none").is_visible()
    page.get_by_label("Operator").select_option(label="Private (contracted out)")
    private = prisons[(prisons["status"] == "temporarily closed") & (prisons["operator"] == "private")]
    assert page.locator(VISIBLE_ROWS).count() == len(private)
    _no_sideways_scroll(page)
    context.close()
    assert errors == []


def test_ticking_two_prisons_draws_them_on_one_chart(browser, server, prisons):
    context, page, errors = _open(browser, server)
    first, second = page.locator(VISIBLE_ROWS).nth(0), page.locator(VISIBLE_ROWS).nth(1)
    names = [r.locator("th a").inner_text() for r in (first, second)]
    first.get_by_label(f"Compare {names[0]}").check()
    assert "one more" in page.locator("#jct-compare-status").inner_text()
    second.get_by_label(f"Compare {names[1]}").check()
    page.wait_for_selector("#jct-compare-view[data-series='2'] svg", timeout=20000)
    legend = page.locator("#jct-compare-view svg .role-legend-label text").all_text_contents()
    assert sorted(legend) == sorted(names)
    assert page.locator("#jct-compare-view svg .mark-line path").count() >= 2
    assert page.locator("#jct-compare-view svg").get_attribute("aria-label").endswith(", ".join(names))
    # A reader ticking in the tables is taken back up to the chart by a link above each table.
    jump = page.get_by_role("link", name="See the chart of the 2 ticked prisons").first
    jump.click()
    assert page.locator("#jct-compare-view svg").is_visible()
    box = page.locator("#jct-compare").bounding_box()
    assert box["y"] < PHONE["height"], box
    _no_sideways_scroll(page)
    page.get_by_role("button", name="Clear the ticks").click()
    assert page.locator("#jct-compare-view svg").count() == 0
    assert errors == []
    # The drawn chart, tick boxes and finder on a phone: nothing serious for axe. (Last: axe's own fetches of
    # stylesheets log 404s that are not the page's.)
    from test_accessibility import axe_problems

    first.get_by_label(f"Compare {names[0]}").check()
    second.get_by_label(f"Compare {names[1]}").check()
    page.wait_for_selector("#jct-compare-view[data-series='2'] svg", timeout=20000)
    page.get_by_label("Status").select_option(label="Open")
    problems = axe_problems(page, f"{PAGE} at 390 px with two prisons compared")
    context.close()
    assert problems is None, problems


def test_without_javascript_the_finder_is_hidden_and_every_prison_listed(browser, server, prisons):
    context, page, errors = _open(browser, server, javascript=False)
    assert not page.locator("#jct-finder").is_visible()
    assert page.locator(VISIBLE_ROWS).count() == len(prisons)
    assert page.locator("table.jct-prisons-table tbody th a").count() == len(prisons)
    _no_sideways_scroll(page)
    context.close()


def test_the_compare_file_holds_each_prisons_latest_crowding_and_the_gaps_it_names(site, prisons):
    import json

    data = json.loads((site / "charts" / "prisons-index" / "crowding-by-month.json").read_text())
    with_figure = prisons[prisons["crowding_pct"] != ""]
    assert set(with_figure["prison_key"]) <= set(data["prisons"])
    for _, row in with_figure.iterrows():
        entry = data["prisons"][row["prison_key"]]
        last = max(i for i, v in enumerate(entry["crowding"]) if v is not None)
        assert data["months"][entry["start"] + last] == row["last_month"], row["prison_key"]
        assert entry["crowding"][last] == pytest.approx(float(row["crowding_pct"]), abs=0.05), row["prison_key"]
    # Every month the page says has no figures is in neither monthly table, and the month after each gap is.
    recent = pd.read_csv(REPO_ROOT / "data/processed/monthly_establishments.csv", usecols=["month"])["month"]
    legacy = pd.read_csv(REPO_ROOT / "data/processed/monthly_establishments_legacy.csv",
                         usecols=["bulletin_month"])["bulletin_month"]
    months = set(recent) | set(legacy)
    from justice_tracker.chapters.prisons_index import empty_spans

    spans = empty_spans(data)
    for first, last in spans:
        gap = pd.period_range(first, last, freq="M").strftime("%Y-%m")
        assert not months & set(gap)
        assert str(pd.Period(last, "M") + 1) in months
    page = (site / PAGE).read_text()
    assert all(pd.Period(first, "M").strftime("%B %Y") in page for first, _ in spans)
