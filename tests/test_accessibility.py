"""Accessibility of the built site in headless Chromium.

- axe-core (the copy bundled with axe-playwright-python) finds no serious or critical violation on any kind of page,
  with JavaScript on (charts drawn by Vega) and off (the static chart images), with every disclosure in the page's
  content open so the data tables and citations are checked too.
- By keyboard alone a reader reaches, opens and scrolls each chart's data table and citation, and can see where
  the focus is.
- Without JavaScript every chart keeps its image (with alt text), its summary and its data table, and the headings
  of the page go down one level at a time.
- Every chart's Vega-Lite spec has a description, the same text as the image's alt, and it names the latest value
  drawn (checked against the chart's own CSV for a few charts).
"""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pandas as pd
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

# The same Chromium (same flags) and local http.server over the built site as tests/test_browser.py.
from test_browser import browser, server  # noqa: F401

# One page of every kind. index.html is only a redirect to book/intro.html (checked in test_home_redirects...).
PAGES = {
    "home": "book/intro.html",
    "chapter: population": "book/chapters/population-capacity.html",
    "chapter: staffing": "book/chapters/staffing.html",
    "chapter: estate": "book/chapters/estate.html",
    "chapter: recalls": "book/chapters/recalls.html",
    "key facts": "book/key-facts.html",
    "data catalogue": "book/data-catalogue.html",
    "what changed": "book/what-changed.html",
    "reconciliation": "book/reconciliation.html",
    "methodology": "book/methodology.html",
    "glossary": "book/glossary.html",
    "prisons index": "book/prisons/index.html",
    "prison page": "book/prisons/altcourse.html",
    "chart permalink": "charts/population-vs-capacity/index.html",
}
CHART_PAGES = ["book/chapters/population-capacity.html", "book/chapters/staffing.html",
               "book/chapters/estate.html", "book/chapters/recalls.html", "book/prisons/altcourse.html"]
BLOCKING = ("critical", "serious")
VIEWPORT = {"width": 1280, "height": 900}
MAX_TABS = 2000


# axe-core ---------------------------------------------------------------------------------------------------------

def _wait_for_charts(page) -> None:
    n = page.locator("figure.jct-chart").count()
    if n:
        page.wait_for_function(f"document.querySelectorAll('.jct-chart-view[data-drawn=true]').length === {n}",
                               timeout=20000)


def _open_content_disclosures(page) -> None:
    # The sidebar's own <details> stay as they are; only the page's content (data tables, citations) is opened,
    # since axe does not check what a closed <details> hides.
    page.evaluate("() => document.querySelectorAll('main details').forEach(d => { d.open = true; })")


def _shorten_long_tables(page, keep: int = 10) -> None:
    # Every body row of a data table comes from the same template row, so rows past the first few add axe time
    # (its colour-contrast rule is most of it: 4.8 s on the population chapter with 40 rows a table, 2.1 s with
    # 8), not coverage; the header, caption and first rows stay.
    page.evaluate(f"() => document.querySelectorAll('main table tbody').forEach(b => "
                  f"[...b.rows].slice({keep}).forEach(r => r.remove()))")


def _without_scripts(route) -> None:
    """Serve a page as a browser with JavaScript off would render it: no <script>, and <noscript> shown. (axe needs
    JavaScript itself, so the page's scripts are removed rather than JavaScript turned off.)"""
    response = route.fetch()
    body = response.text()
    body = re.sub(r"<script\b[^>]*>.*?</script\s*>", "", body, flags=re.S | re.I)
    body = re.sub(r"</?noscript\b[^>]*>", "", body, flags=re.I)
    route.fulfill(response=response, body=body)


def _targets(node: dict) -> str:
    # A target is a list of selectors only when the element is inside an iframe or a shadow root.
    return " >> ".join(t if isinstance(t, str) else " ".join(t) for t in node["target"])


def _describe(violation: dict, limit: int = 3) -> str:
    nodes = violation["nodes"]
    where = " | ".join(_targets(n) for n in nodes[:limit])
    more = f" (+{len(nodes) - limit} more)" if len(nodes) > limit else ""
    first = " ".join((nodes[0].get("failureSummary") or "").split()) if nodes else ""
    return (f"- {violation['id']} [{violation['impact']}] on {len(nodes)} element(s): {violation['help']} "
            f"({violation.get('helpUrl', '')})\n    at: {where}{more}" + (f"\n    first: {first}" if first else ""))


def axe_problems(page, label: str, skip_rules: tuple[str, ...] = ()) -> str | None:
    """Run axe on the page; None if nothing serious or critical, else a report of every violation."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"resultTypes": ["violations"], "rules": {r: {"enabled": False} for r in skip_rules}}
    violations = Axe().run(page, options=options).response["violations"]
    blocking = [v for v in violations if v.get("impact") in BLOCKING]
    if not blocking:
        return None
    other = [v for v in violations if v.get("impact") not in BLOCKING]
    report = [f"{label}: {len(blocking)} serious or critical axe violation(s):"] + [_describe(v) for v in blocking]
    if other:
        report += ["Also found (moderate or minor, not failing the test):"] + [_describe(v) for v in other]
    return "\n".join(report)


@pytest.mark.browser
@pytest.mark.parametrize("path", list(PAGES.values()), ids=list(PAGES))
def test_axe_finds_no_serious_violations(browser, server, path):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(f"{server}/{path}", wait_until="load")
    _wait_for_charts(page)
    _open_content_disclosures(page)
    _shorten_long_tables(page)
    problems = axe_problems(page, f"{path} (JavaScript on)")
    context.close()
    if problems:
        pytest.fail(problems, pytrace=False)


@pytest.mark.browser
@pytest.mark.parametrize("path", list(PAGES.values()), ids=list(PAGES))
def test_without_javascript_axe_finds_nothing_serious_and_headings_go_down_one_level(browser, server, path):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.route(re.compile(r".*(\.html|/)(#.*)?$"), _without_scripts)
    page.goto(f"{server}/{path}", wait_until="load")
    assert page.locator("script").count() == 0
    # Headings as a reader without JavaScript meets them (one page load serves both checks).
    headings = page.evaluate(HEADINGS)
    # The data tables and citations inside the page's <details> are the same HTML with JavaScript on or off, and
    # the run with JavaScript on opens and checks them; this run checks what changes without it (static images,
    # no script-made content), so it leaves them closed (axe on the longest tables takes tens of seconds).
    _shorten_long_tables(page)
    # Colour contrast is most of axe's time, and the text and styles are the same HTML and CSS with JavaScript on
    # or off: the run with JavaScript on checks it (the static chart images are pictures, which it does not read).
    problems = axe_problems(page, f"{path} (JavaScript off)", skip_rules=("color-contrast",))
    context.close()
    heading_problems = _heading_problems(headings)
    if heading_problems:
        problems = (problems + "\n" if problems else "") + (
            f"{path} headings (JavaScript off): " + "; ".join(heading_problems) + f"\nheadings: {headings}")
    if problems:
        pytest.fail(problems, pytrace=False)


@pytest.mark.browser
def test_home_redirects_to_the_introduction(browser, server):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(f"{server}/index.html")
    page.wait_for_url("**/book/intro.html", timeout=10000)
    page.wait_for_load_state("load")
    assert page.locator("main h1:visible").count() >= 1
    context.close()


# Keyboard ---------------------------------------------------------------------------------------------------------

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const s = getComputedStyle(el), fig = el.closest('figure.jct-chart'), det = el.closest('details');
  return {tag: el.tagName.toLowerCase(), cls: String(el.className || ''), figure: fig ? fig.id : null,
          details: det ? String(det.className || '') : null, open: det ? det.open : null,
          text: (el.innerText || el.getAttribute('aria-label') || '').trim().slice(0, 60),
          outline: `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`, outlineStyle: s.outlineStyle,
          outlineWidth: parseFloat(s.outlineWidth) || 0, boxShadow: s.boxShadow,
          focusVisible: el.matches(':focus-visible'),
          scrollable: el.scrollHeight > el.clientHeight, scrollTop: el.scrollTop};
}"""


def _visible_focus(f: dict) -> str | None:
    shown = (f["outlineStyle"] != "none" and f["outlineWidth"] > 0) or f["boxShadow"] not in ("", "none")
    if f["focusVisible"] and shown:
        return None
    return (f"no visible focus on <{f['tag']} class={f['cls']!r}> {f['text']!r} in #{f['figure']}: "
            f":focus-visible={f['focusVisible']}, outline {f['outline']}, box-shadow {f['boxShadow']}")


def _kind(f: dict) -> str | None:
    if f["tag"] != "summary" or not f["figure"] or f["details"] is None:
        return None
    if "jct-chart-data" in f["details"]:
        return "data"
    if "jct-cite" in f["details"]:
        return "cite"
    return None


@pytest.mark.browser
@pytest.mark.parametrize("path", ["book/chapters/population-capacity.html", "book/prisons/altcourse.html"])
def test_keyboard_reaches_opens_and_scrolls_each_charts_data_and_citation(browser, server, path):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(f"{server}/{path}", wait_until="load")
    _wait_for_charts(page)
    figures = page.eval_on_selector_all("figure.jct-chart", "fs => fs.map(f => f.id)")
    assert figures, f"{path} has no chart"
    wanted = {(fid, kind) for fid in figures for kind in ("data", "cite")}
    reached: set[tuple[str, str]] = set()
    problems: list[str] = []
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press("Tab")
        f = page.evaluate(FOCUSED)
        if f is None:
            break  # off the end of the page
        kind = _kind(f)
        if kind is None or (f["figure"], kind) in reached:
            if reached == wanted:
                break
            continue
        reached.add((f["figure"], kind))
        if (problem := _visible_focus(f)) is not None:
            problems.append(problem)
        if f["open"]:
            problems.append(f"#{f['figure']}: the {kind} <details> was already open before Enter")
        page.keyboard.press("Enter")
        if not page.evaluate("() => document.activeElement.closest('details').open"):
            problems.append(f"#{f['figure']}: Enter on {f['text']!r} did not open its <details>")
            continue
        if kind == "data":
            page.keyboard.press("Tab")
            g = page.evaluate(FOCUSED)
            if g is None or "jct-table-scroll" not in g["cls"] or g["figure"] != f["figure"]:
                problems.append(f"#{f['figure']}: Tab after opening the data did not reach its scrollable table "
                                f"(focus on {g and (g['tag'], g['cls'], g['text'])})")
                continue
            if (problem := _visible_focus(g)) is not None:
                problems.append(problem)
            if g["scrollable"]:
                page.keyboard.press("PageDown")  # scrolls smoothly: give it a moment
                try:
                    page.wait_for_function("top => document.activeElement.scrollTop > top", arg=g["scrollTop"],
                                           timeout=3000)
                except PlaywrightTimeout:
                    problems.append(f"#{f['figure']}: PageDown on the focused data table did not scroll it")
    context.close()
    missing = sorted(wanted - reached)
    assert not missing, (f"{path}: after {presses} Tab presses these were never focused: "
                         + ", ".join(f"#{fid} {'data' if k == 'data' else 'citation'} summary" for fid, k in missing))
    assert problems == [], "\n".join(problems)


# Without JavaScript -----------------------------------------------------------------------------------------------

HEADINGS = """() => [...document.querySelectorAll('main h1, main h2, main h3, main h4, main h5, main h6')]
  .filter(h => h.getClientRects().length > 0)
  .map(h => [Number(h.tagName[1]), h.textContent.replace('#', '').trim().slice(0, 60)])"""


def _heading_problems(headings: list) -> list[str]:
    problems = []
    if not headings:
        return ["no visible heading in <main>"]
    if headings[0][0] != 1:
        problems.append(f"the first heading is h{headings[0][0]} {headings[0][1]!r}, not h1")
    for (a, ta), (b, tb) in zip(headings, headings[1:]):
        if b > a + 1:
            problems.append(f"h{a} {ta!r} is followed by h{b} {tb!r}: h{a + 1} skipped")
    return problems


def _spec_description(site, chart_id: str) -> str:
    return json.loads((site / "charts" / chart_id / f"{chart_id}.vl.json").read_text(encoding="utf-8")).get(
        "description", "")


@pytest.mark.browser
@pytest.mark.parametrize("path", CHART_PAGES)
def test_without_javascript_each_chart_keeps_its_image_summary_and_table(browser, server, site, path):
    context = browser.new_context(java_script_enabled=False, viewport=VIEWPORT)
    page = context.new_page()
    page.goto(f"{server}/{path}", wait_until="load")
    figures = page.locator("figure.jct-chart")
    n = figures.count()
    assert n >= 1, f"{path} has no chart"
    problems = []
    for i in range(n):
        fig = figures.nth(i)
        fid = fig.get_attribute("id")
        img = fig.locator("img.jct-chart-static")
        if img.count() != 1 or not img.is_visible():
            problems.append(f"#{fid}: no visible static image ({img.count()} img.jct-chart-static)")
        else:
            alt = (img.get_attribute("alt") or "").strip()
            if not alt:
                problems.append(f"#{fid}: the static image has no alt text")
            elif alt != _spec_description(site, fig.get_attribute("data-chart-id")):
                problems.append(f"#{fid}: the alt text is not the Vega-Lite spec's description")
            if not img.evaluate("i => i.complete && i.naturalWidth > 0"):
                problems.append(f"#{fid}: the static image did not load ({img.get_attribute('src')[:80]})")
        summary = fig.locator("p.jct-chart-summary")
        if summary.count() != 1 or not summary.is_visible() or not summary.inner_text().strip():
            problems.append(f"#{fid}: no visible summary paragraph")
        details = fig.locator("details.jct-chart-data")
        if details.count() != 1:
            problems.append(f"#{fid}: no data <details>")
            continue
        details.locator("summary").click()
        row = details.locator("table tbody tr").first
        if details.locator("table tbody tr").count() == 0 or not row.is_visible():
            problems.append(f"#{fid}: the data table does not show when its <summary> is clicked")
    context.close()
    assert problems == [], f"{path} without JavaScript:\n" + "\n".join(problems)


# Chart descriptions ----------------------------------------------------------------------------------------------

class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.alts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.alts.append(dict(attrs).get("alt") or "")


CHART_KIND = re.compile(r"^(Line|Bar|Area|Scatter|Stacked bar|Dot) chart\b")


@pytest.mark.browser
def test_every_chart_spec_has_a_description_that_is_its_alt_text(site):
    # A chart has its own page; a folder without one holds a page's data file (the prisons index's compare data).
    folders = sorted(p for p in (site / "charts").iterdir() if p.is_dir() and (p / "index.html").exists())
    assert len(folders) >= 10, f"only {len(folders)} chart folders in {site / 'charts'}"
    problems = []
    for folder in folders:
        chart_id = folder.name
        spec_file = folder / f"{chart_id}.vl.json"
        if not spec_file.exists():
            problems.append(f"{chart_id}: no {spec_file.name}")
            continue
        description = _spec_description(site, chart_id).strip()
        if len(description) < 60:
            problems.append(f"{chart_id}: description missing or too short to say what the chart shows: "
                            f"{description!r}")
            continue
        if not CHART_KIND.match(description):
            problems.append(f"{chart_id}: the description does not start by saying what kind of chart it is: "
                            f"{description[:60]!r}")
        if not re.search(r"\d", description):
            problems.append(f"{chart_id}: the description gives no figure")
        images = _Images()
        images.feed((folder / "index.html").read_text(encoding="utf-8"))
        if description not in [a.strip() for a in images.alts]:
            problems.append(f"{chart_id}: the chart's own page has no image whose alt is the spec's description")
    assert problems == [], "\n".join(problems)


def _day(ts: pd.Timestamp) -> str:
    return f"{ts.day} {ts.strftime('%B %Y')}"


def _latest(site, chart_id: str, date_col: str) -> pd.Series:
    table = pd.read_csv(site / "charts" / chart_id / f"{chart_id}.csv")
    table[date_col] = pd.to_datetime(table[date_col])
    return table.sort_values(date_col).iloc[-1]


def _count(v) -> str:
    return f"{int(round(float(v))):,}"


# The alt text of each chart names its latest value as a reader would read it (e.g. "86,868"), found here from the
# latest row of the CSV of exactly the data drawn. Each entry: chart id, the CSV's date column, what must appear.
LATEST_VALUES = {
    "population-vs-capacity": ("Bulletin date", lambda r: [_count(r["Population"]), _count(r["UOC"]),
                                                           _count(r["Headroom"]), _day(r["Bulletin date"])]),
    "headroom": ("Bulletin date", lambda r: [f"latest {_count(r['Headroom'])} on {_day(r['Bulletin date'])}"]),
    "crowding-estate": ("Report date", lambda r: [f"{float(r['% of In Use CNA']):.1f}% on {_day(r['Report date'])}"]),
    "prison-altcourse-population": ("Month", lambda r: [f"to {_count(r['Population'])} ({r['Month']:%B %Y})"]),
}


@pytest.mark.browser
@pytest.mark.parametrize("chart_id", list(LATEST_VALUES))
def test_alt_text_states_the_latest_value_in_the_charts_data(site, chart_id):
    date_col, expected = LATEST_VALUES[chart_id]
    latest = _latest(site, chart_id, date_col)
    description = _spec_description(site, chart_id)
    missing = [text for text in expected(latest) if text not in description]
    assert not missing, (f"{chart_id}: the alt text does not state {missing} from the latest row of its CSV "
                         f"({latest.to_dict()}):\n{description}")
