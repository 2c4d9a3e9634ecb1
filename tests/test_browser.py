"""The built site in headless Chromium: charts draw, nothing is fetched from another host, no console errors."""
from __future__ import annotations

import functools
import json
import re
import http.server
import threading
from urllib.parse import urlparse

import pytest

from justice_tracker.paths import REPO_ROOT
from support.chart_specs import chart_specs

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
from justice_tracker.config import load_config

CHART_PAGES = [f"{c.file}.html" for c in load_config().chapters() if c.notebook is not None
               and c.file.startswith("book/chapters/")] + ["book/prisons/altcourse.html"]
# Pages with charts are checked for console errors and outside requests by the tests that draw their charts (one
# page load each); these are the rest, and a prison page outside the sample drawn below.
PAGES = [p for p in ["index.html", "book/intro.html"] + [f"{c.file}.html" for c in load_config().chapters()]
         if p not in CHART_PAGES] + ["book/prisons/kennet.html"]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _visit(browser, url, javascript=True, viewport=None):
    context = browser.new_context(java_script_enabled=javascript, viewport=viewport or {"width": 1280, "height": 900})
    page = context.new_page()
    seen = {"requests": [], "errors": []}
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("response", lambda r: seen["errors"].append(f"HTTP {r.status} for {r.url}") if r.status >= 400 else None)
    page.goto(url, wait_until="load")
    return context, page, seen


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_with_no_console_errors_and_no_outside_requests(browser, server, path):
    context, page, seen = _visit(browser, f"{server}/{path}")
    page.wait_for_timeout(300)
    context.close()
    hosts = {urlparse(u).netloc for u in seen["requests"] if not u.startswith("data:")}
    assert hosts == {urlparse(server).netloc}, f"requests to other hosts: {hosts}"
    assert seen["errors"] == []


# Drawn at a phone's width (the desktop width is drawn by the accessibility tests): every chart draws, every time axis
# names the year on each label (Vega's own labels name it only at a year's first tick: "April, July, October"), and
# no chart text is smaller than 11 px.
TIME_AXES = """() => [...document.querySelectorAll('.jct-chart-view svg g[aria-label^="X-axis"]')]
  .filter(g => g.getAttribute('aria-label').includes('time scale'))
  .map(g => [g.closest('figure').dataset.chartId,
             [...g.querySelectorAll('g.role-axis-label text')].map(t => t.textContent)])"""
# Vega names each axis's range in its aria-label ("... for a linear scale with values from 76,000 to 92,000").
CUT_AXES = """() => [...document.querySelectorAll('.jct-chart-view svg g[aria-label^="Y-axis"]')]
  .map(g => [g.closest('figure'), g.getAttribute('aria-label').match(/linear scale with values from (-?[\\d,.]+) to/)])
  .filter(([f, m]) => m && parseFloat(m[1].replace(/,/g, '')) > 0)
  .map(([f, m]) => [f.dataset.chartId, m[1], !!f.querySelector('.jct-axis-note')])"""
SMALL_TEXT = """() => [...document.querySelectorAll('.jct-chart-view svg text')]
  .filter(t => t.textContent.trim() && parseFloat(getComputedStyle(t).fontSize) < 11)
  .map(t => t.closest('figure').dataset.chartId + ': ' + t.textContent)"""


@pytest.mark.parametrize("path", CHART_PAGES)
def test_every_chart_on_each_chapter_draws_on_a_phone_with_years_on_its_time_axes_and_cut_axes_announced(browser, server, path):
    context, page, seen = _visit(browser, f"{server}/{path}", viewport={"width": 390, "height": 844})
    n = page.locator("figure.jct-chart").count()
    assert n >= 1, f"{path} has no chart"
    page.wait_for_function(f"document.querySelectorAll('.jct-chart-view[data-drawn=true]').length === {n}",
                           timeout=20000)
    for i in range(n):
        view = page.locator("figure.jct-chart").nth(i).locator(".jct-chart-view")
        assert view.locator("svg.marks path, svg.marks line, svg.marks rect, svg.marks circle").count() > 0
    axes = page.evaluate(TIME_AXES)
    small = page.evaluate(SMALL_TEXT)
    cut = page.evaluate(CUT_AXES)
    context.close()
    assert axes, f"{path}: no time axis found"
    # A count or rate drawn on an axis cut above zero says so on the page.
    assert [c for c in cut if not c[2]] == [], f"{path}: axes not from zero, unannounced: {cut}"
    no_year = {chart: labels for chart, labels in axes if not labels or
               not all(re.search(r"\b(19|20)\d\d\b", label) for label in labels)}
    assert no_year == {}, f"time-axis labels without a year: {no_year}"
    assert small == []
    assert seen["errors"] == []
    assert {urlparse(u).netloc for u in seen["requests"] if not u.startswith("data:")} == {urlparse(server).netloc}


def _prison_pages():
    from justice_tracker.config import load_config as _load

    cfg = _load()
    return cfg.generated_pages(next(c for c in cfg.chapters() if c.pages is not None))


def test_every_prison_chart_draws_in_the_browser(browser, server, site):
    """Every prison page's chart, as the page gives it to Vega (the spec in its script), run by Vega in Chromium:
    one page load runs them all. Vega's headless renderer ('none') builds each chart's scene (every mark, placed)
    without painting it, so the set costs seconds; painting is the same code for every prison, and the sample
    pages below are painted in full."""
    specs = {}
    for p in _prison_pages():
        html = (site / f"{p.file}.html").read_text(encoding="utf-8")
        found = chart_specs(html)
        assert len(found) == 1, f"{p.file}: {len(found)} chart specs"
        specs[p.file] = next(iter(found.values()))
    context, page, seen = _visit(browser, f"{server}/book/prisons/altcourse.html")
    drawn = page.evaluate("""async specs => {
        // Items of the data marks (lines, points, areas, bars, rules) in a view's scene: axes, legends and titles
        // have other roles.
        const dataItems = node => {
            let n = 0;
            for (const item of (node.items || [])) {
                if (item.marktype && item.role === 'mark' && item.marktype !== 'group') n += (item.items || []).length;
                n += dataItems(item);
            }
            return n;
        };
        const out = {};
        for (const [name, spec] of Object.entries(specs)) {
            const el = document.createElement('div');
            el.style.width = '900px';
            document.body.appendChild(el);
            try {
                const result = await window.vegaEmbed(el, spec, {actions: false, renderer: 'none'});
                out[name] = dataItems(result.view.scenegraph().root);
                result.finalize();
            } catch (e) { out[name] = 'error: ' + e; }
            el.remove();
        }
        return out;
    }""", specs)
    context.close()
    assert len(drawn) == len(specs) > 100
    assert {k: v for k, v in drawn.items() if not isinstance(v, int) or v == 0} == {}
    assert seen["errors"] == []


# Pages that differ in shape: the first and last, a closed prison, one that changed name, one with a gap.
SAMPLE_PRISONS = ["altcourse", "wormwood-scrubs", "holloway", "hatfield", "dartmoor", "five-wells", "wandsworth"]


@pytest.mark.parametrize("key", SAMPLE_PRISONS)
def test_prison_pages_draw_and_stay_on_this_site(browser, server, key):
    page_entry = next(p for p in _prison_pages() if p.file.endswith(f"/{key}"))
    context, page, seen = _visit(browser, f"{server}/{page_entry.file}.html")
    n = page.locator("figure.jct-chart").count()
    page.wait_for_function(f"document.querySelectorAll('.jct-chart-view[data-drawn=true]').length === {n}",
                           timeout=20000)
    assert page.locator("h1").first.inner_text().startswith(page_entry.title[:20].rstrip())
    context.close()
    assert seen["errors"] == []
    assert {urlparse(u).netloc for u in seen["requests"] if not u.startswith("data:")} == {urlparse(server).netloc}


def test_every_chart_draws_with_marks(browser, server):
    context, page, seen = _visit(browser, f"{server}/book/chapters/population-capacity.html")
    figures = page.locator("figure.jct-chart")
    n = figures.count()
    assert n >= 2
    page.wait_for_function(f"document.querySelectorAll('.jct-chart-view[data-drawn=true]').length === {n}",
                           timeout=15000)
    for i in range(n):
        view = figures.nth(i).locator(".jct-chart-view")
        assert view.locator('[aria-roledescription="visualization"], svg.marks').count() >= 1
        marks = view.locator("svg.marks path, svg.marks line").count()
        assert marks > 0, f"chart {i} has no marks"
        assert view.locator("svg.marks").get_attribute("aria-label").startswith("Line chart")
    headroom = page.locator(".jct-tile-card").nth(2).locator(".jct-tile-value").inner_text()
    assert headroom.replace(",", "").isdigit()
    out = REPO_ROOT / "_build" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 1700})
    page.wait_for_timeout(300)
    page.screenshot(path=str(out / "population-capacity.png"), full_page=False)
    context.close()
    assert seen["errors"] == []


def test_without_javascript_the_static_chart_and_table_remain(browser, server):
    context, page, _ = _visit(browser, f"{server}/book/chapters/population-capacity.html", javascript=False)
    static = page.locator("img.jct-chart-static")
    assert static.count() >= 2
    assert static.first.is_visible()
    assert static.first.evaluate("img => img.naturalWidth") > 100
    assert static.first.get_attribute("alt").startswith("Line chart")
    details = page.locator("details.jct-chart-data").first
    details.locator("summary").click()
    assert details.locator("tbody tr").first.is_visible()
    context.close()
