"""The built site in headless Chromium: charts draw, nothing is fetched from another host, no console errors."""
from __future__ import annotations

import functools
import http.server
import threading
from urllib.parse import urlparse

import pytest

from justice_tracker.paths import REPO_ROOT

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
from justice_tracker.config import load_config

PAGES = ["index.html"] + [f"{c.file}.html" for c in load_config().chapters()] + [
    "book/prisons/altcourse.html", "book/prisons/dartmoor.html", "book/prisons/kennet.html"]


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


def _visit(browser, url, javascript=True):
    context = browser.new_context(java_script_enabled=javascript, viewport={"width": 1280, "height": 900})
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


CHART_PAGES = [f"{c.file}.html" for c in load_config().chapters() if c.notebook is not None
               and c.file.startswith("book/chapters/")] + ["book/prisons/altcourse.html"]


@pytest.mark.parametrize("path", CHART_PAGES)
def test_every_chart_on_each_chapter_draws(browser, server, path):
    context, page, seen = _visit(browser, f"{server}/{path}")
    n = page.locator("figure.jct-chart").count()
    assert n >= 1, f"{path} has no chart"
    page.wait_for_function(f"document.querySelectorAll('.jct-chart-view[data-drawn=true]').length === {n}",
                           timeout=20000)
    for i in range(n):
        view = page.locator("figure.jct-chart").nth(i).locator(".jct-chart-view")
        assert view.locator("svg.marks path, svg.marks line, svg.marks rect, svg.marks circle").count() > 0
    context.close()
    assert seen["errors"] == []
    assert {urlparse(u).netloc for u in seen["requests"] if not u.startswith("data:")} == {urlparse(server).netloc}


def test_every_prison_page_draws_and_stays_on_this_site(browser, server, config):
    from justice_tracker.config import load_config as _load

    cfg = _load()
    index = next(c for c in cfg.chapters() if c.pages is not None)
    pages = cfg.generated_pages(index)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems, hosts = [], set()
    page.on("request", lambda r: hosts.add(urlparse(r.url).netloc) if not r.url.startswith("data:") else None)
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    for p in pages:
        page.goto(f"{server}/{p.file}.html", wait_until="load")
        n = page.locator("figure.jct-chart").count()
        page.wait_for_function(f"document.querySelectorAll('.jct-chart-view[data-drawn=true]').length === {n}",
                               timeout=20000)
        assert page.locator("h1").first.inner_text().startswith(p.title[:20].rstrip()), p.file
    context.close()
    assert problems == []
    assert hosts == {urlparse(server).netloc}


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
