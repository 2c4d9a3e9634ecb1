"""The scenario explorer in headless Chromium: every lever moves the page's numbers to exactly what the Python model
gives for the same inputs, the levers are labelled controls a keyboard can move, the result is announced, the
address carries the scenario, and a bad address is clamped or ignored, and said so, without running anything."""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest

from justice_tracker import scenario as model
from justice_tracker.paths import REPO_ROOT
from test_browser import _visit, browser, server  # noqa: F401

PAGE = "book/chapters/scenario.html"


@pytest.fixture(scope="module")
def weekly() -> pd.DataFrame:
    return pd.read_csv(REPO_ROOT / "data" / "processed" / "weekly_population_capacity.csv")


def _label(name: str) -> str:
    lever = next(lv for lv in model.LEVERS if lv.name == name)
    return f"{lever.label} ({lever.unit})"


def _drawn(page) -> None:
    page.wait_for_selector(".jct-chart-view[data-drawn-count]", timeout=20000)


def _matches_model(page, weekly, estate: str, levers: dict) -> None:
    weeks = model.project(model.start_of(weekly, estate), levers)
    shown = json.loads(page.locator("#jct-scenario").get_attribute("data-weeks"))
    assert shown == [[w.population, w.capacity] for w in weeks]
    text = model.sentence(estate, weeks, levers["margin"])
    assert page.locator("#jct-scenario-sentence").inner_text() == text
    assert page.locator("#chart-scenario .jct-chart-summary").inner_text().endswith(text)
    result = model.outcome(weeks)
    assert page.locator("#jct-scenario-lowest").inner_text() == (
        f"{result.lowest.headroom:,} places, week of {model.fmt_day(result.lowest.date)}")
    runs_out = page.locator("#jct-scenario-runs-out").inner_text()
    if result.runs_out is None:
        assert runs_out == "not within two years"
    else:
        assert runs_out.startswith(f"week of {model.fmt_day(result.runs_out.date)} ({result.runs_out.week} weeks")


def _form_values(page) -> dict:
    return {name: int(page.get_by_label(_label(name), exact=True).input_value()) for name in model.LEVER_NAMES}


def test_each_lever_moves_the_numbers_to_the_models_and_the_address_reproduces_the_scenario(browser, server, weekly):
    context, page, seen = _visit(browser, f"{server}/{PAGE}")
    _drawn(page)
    levers = model.defaults(weekly, "whole")
    assert _form_values(page) == levers
    _matches_model(page, weekly, "whole", levers)
    assert page.locator("#jct-scenario-sentence").get_attribute("aria-live") == "polite"
    # Every lever by the keyboard: focus it by Tab from the one before, then type or use the arrow keys.
    page.get_by_label("Estate", exact=True).focus()
    settings = dict(growth=120, recall=-4000, recall_weeks=10, release=3000, release_week=30, places=2500,
                    places_month=9, margin=2000)
    for name in model.LEVER_NAMES:
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.name") == name
        page.keyboard.press("Control+A")
        page.keyboard.type(str(settings[name]))
        page.keyboard.press("ArrowUp")  # a number input steps by one under the arrow keys
        levers[name] = settings[name] + 1
        _matches_model(page, weekly, "whole", levers)
    # One of these settings runs out, so the sentence names the week.
    assert "runs out of places in the week of" in page.locator("#jct-scenario-sentence").inner_text()
    # The adult male estate: growth and margin take that estate's defaults, and the model agrees.
    page.get_by_label("Estate", exact=True).select_option("adult-male")
    am = model.defaults(weekly, "adult-male")
    levers.update(growth=am["growth"], margin=am["margin"])
    _matches_model(page, weekly, "adult-male", levers)
    query = {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}
    assert query == {"estate": "adult-male", **{k: str(v) for k, v in levers.items()}}
    assert page.locator("#jct-scenario-link").get_attribute("href") == "?" + urlparse(page.url).query
    csv_href = page.locator("#jct-scenario-csv").get_attribute("href")
    assert csv_href.startswith("blob:")
    csv_text = page.evaluate("u => fetch(u).then(r => r.text())", csv_href)
    weeks = model.project(model.start_of(weekly, "adult-male"), levers)
    assert csv_text.splitlines()[1:] == [f"{w.week},{w.date},{w.population},{w.capacity},{w.headroom},adult-male"
                                         for w in weeks]
    with page.expect_download() as png:
        page.get_by_role("button", name="Download this chart (PNG)").click()
    assert png.value.suggested_filename == "scenario-adult-male.png"
    assert open(png.value.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    url = page.url
    context.close()
    assert seen["errors"] == []
    # The address alone brings the same scenario back.
    context, page, seen = _visit(browser, url)
    _drawn(page)
    assert page.get_by_label("Estate", exact=True).input_value() == "adult-male"
    assert _form_values(page) == levers
    _matches_model(page, weekly, "adult-male", levers)
    assert page.locator("#jct-scenario-messages").is_hidden()
    context.close()
    assert seen["errors"] == []


def test_a_bad_address_is_clamped_or_ignored_and_said_so_and_runs_nothing(browser, server, weekly):
    hostile = "<img src=x onerror=window.__owned=1>"
    url = (f"{server}/{PAGE}?estate=<b>x</b>&growth=9999&recall=-99999&release=abc&margin={hostile}"
           f"&places=1.5&places_month=7")
    context, page, seen = _visit(browser, url)
    _drawn(page)
    levers = dict(model.defaults(weekly, "whole"), growth=500, recall=-10000, places_month=7)
    assert _form_values(page) == levers
    _matches_model(page, weekly, "whole", levers)
    said = page.locator("#jct-scenario-messages").inner_text()
    assert "9,999 in the link is outside the range -500 to 500, so 500 was used" in said
    assert "-99,999 in the link is outside the range -10,000 to 10,000, so -10,000 was used" in said
    assert "\u201cabc\u201d in the link is not a whole number, so it was ignored" in said
    assert "\u201c1.5\u201d in the link is not a whole number" in said
    assert f"\u201c{hostile}\u201d in the link is not a whole number" in said  # shown as text, not markup
    assert "The estate \u201c<b>x</b>\u201d in the link is not one this page knows" in said
    assert page.evaluate("window.__owned") is None
    assert page.locator("#jct-scenario img[src='x'], #jct-scenario b").count() == 0
    context.close()
    assert seen["errors"] == []


def test_without_javascript_the_default_scenario_is_a_static_chart_with_its_sentence(browser, server, weekly):
    context, page, seen = _visit(browser, f"{server}/{PAGE}", javascript=False)
    levers = model.defaults(weekly, "whole")
    weeks = model.project(model.start_of(weekly, "whole"), levers)
    assert page.locator("#jct-scenario-sentence").inner_text() == model.sentence("whole", weeks, levers["margin"])
    assert page.locator("#jct-scenario-form").is_hidden()
    assert page.locator("figure#chart-scenario noscript").count() == 1
    assert "Illustrative, not a forecast." in page.locator(".jct-scenario-warning").inner_text()
    context.close()
