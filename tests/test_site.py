"""Checks on the built HTML (the browser test checks what a reader sees)."""
import re
from html.parser import HTMLParser

from justice_tracker.paths import REPO_ROOT

CHAPTER = "book/chapters/population-capacity.html"


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(path):
    p = _Tags()
    p.feed(path.read_text(encoding="utf-8"))
    return p.tags


def test_no_page_loads_anything_from_another_host(site):
    pages = list(site.rglob("*.html"))
    assert len(pages) >= 4
    for page in pages:
        for tag, attrs in _tags(page):
            for attr in ("src", "href") if tag in {"script", "img", "iframe", "link", "source"} else ("src",):
                value = attrs.get(attr) or ""
                if tag == "link" and attrs.get("rel") not in ("stylesheet", "preload", "icon", "modulepreload"):
                    continue
                assert not re.match(r"(https?:)?//", value), f"{page.relative_to(site)}: <{tag} {attr}={value}>"
        text = page.read_text(encoding="utf-8")
        assert "unpkg.com" not in text and "cdn.jsdelivr" not in text and "tex-mml-chtml" not in text


def test_vega_bundle_is_wrapped_and_loaded_only_where_charts_are(site):
    bundle = (site / "_static" / "vendor" / "vega-bundle.js").read_text(encoding="utf-8")
    assert "(function(){" in bundle[:200] and bundle.rstrip().endswith("})();")
    chapter = (site / CHAPTER).read_text(encoding="utf-8")
    assert "vendor/vega-bundle.js" in chapter
    assert "vendor/vega-bundle.js" not in (site / "book" / "glossary.html").read_text(encoding="utf-8")


def test_the_vega_bundle_never_blocks_the_first_paint(site):
    """900 KB of script in the <head> held up the first paint (11 s on slow 4G): every page that loads it defers it,
    and defers the script that draws the charts from their specs too (it waits for the bundle, never gives up on it)."""
    import re

    pages = [p for p in site.rglob("*.html") if "vendor/vega-bundle.js" in p.read_text(encoding="utf-8")]
    assert len(pages) > 150
    for page in pages:
        text = page.read_text(encoding="utf-8")
        tags = re.findall(r"<script\b[^>]*vega-bundle\.js[^>]*>", text)
        assert tags and all(re.search(r"\bdefer\b", t) for t in tags), f"{page}: {tags}"
        charts = re.findall(r"<script\b[^>]*jct-charts\.js[^>]*>", text)
        if 'class="jct-chart"' in text:
            assert charts and all(re.search(r"\bdefer\b", t) for t in charts), f"{page}: {charts}"


def test_headings_come_from_markdown_and_parameters_never_show(site):
    html = (site / CHAPTER).read_text(encoding="utf-8")
    assert re.search(r"<h1>Prison population and capacity", html)
    for heading in ("Population against capacity", "Headroom", "Breaks in the series", "Sources"):
        assert re.search(rf"<h2>{heading}<a", html), heading
        assert f'href="#{heading.lower().replace(" ", "-")}"' in html, f"{heading} missing from the page TOC"
    assert "weekly_table" not in html and "injected" not in html
    assert not re.search(r"\{\{\s*[a-z_][a-z0-9_]*\s*\}\}", html), "an unfilled markdown placeholder"


def test_chapter_credits_moj_and_the_third_parties(site):
    html = (site / CHAPTER).read_text(encoding="utf-8")
    for who in ("Ministry of Justice", "Walk Forward Research", "Prison Reform Trust", "CC BY 4.0",
                "Open Government Licence"):
        assert who in html, who


def test_every_img_has_alt(site):
    for page in site.rglob("*.html"):
        for tag, attrs in _tags(page):
            if tag == "img":
                assert attrs.get("alt"), f"{page.relative_to(site)}: <img> without alt"


def test_executed_notebook_is_in_the_book_tree_not_committed():
    assert (REPO_ROOT / "book/chapters/population-capacity.ipynb").exists()
    ignored = (REPO_ROOT / ".gitignore").read_text()
    assert "book/**/*.ipynb" in ignored
