"""Charts that travel: every exported image says what it shows, whose figures they are, which edition and where to
find it; every chart and chapter page has share tags with a picture; copy-link and embed work in the browser."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from urllib.parse import urljoin, urlparse

import pytest

from justice_tracker.config import load_config
from test_browser import _visit, browser, server  # noqa: F401

SVG = "{http://www.w3.org/2000/svg}"


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _chart_folders(site):
    folders = sorted(p for p in (site / "charts").iterdir() if (p / f"{p.name}.csl.json").is_file())
    assert len(folders) > 150
    return folders


class _Head(HTMLParser):
    def __init__(self):
        super().__init__()
        self.meta: dict[str, str] = {}
        self.h1 = ""
        self._in_h1 = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and (a.get("property") or a.get("name")):
            self.meta[a.get("property") or a.get("name")] = a.get("content", "")
        self._in_h1 = self._in_h1 or tag == "h1"

    def handle_endtag(self, tag):
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._in_h1:
            self.h1 += data


def _head(path) -> _Head:
    parser = _Head()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_every_exported_image_is_landscape_and_carries_title_source_edition_and_address(site):
    for folder in _chart_folders(site):
        chart = folder.name
        width, height = _png_size((folder / f"{chart}.png").read_bytes())
        assert width >= 1200 and width > height, (chart, width, height)
        citation = json.loads((folder / f"{chart}.csl.json").read_text())[0]
        root = ET.fromstring((folder / f"{chart}.svg").read_text(encoding="utf-8"))
        assert float(root.get("width")) > float(root.get("height")), chart
        # The lines the export wrote itself (the chart's own text is inside its nested <svg>).
        own = " ".join(t.text or "" for t in root.findall(f"{SVG}text"))
        assert citation["title"] in own, (chart, citation["title"], own[:300])
        assert re.search(r"\bSources?:", own) and citation["note"].removeprefix("Data: ")[:40] in own, (chart, own)
        assert re.search(r"working draft|edition \S+", own), (chart, own)
        assert citation["URL"] in own, (chart, citation["URL"], own)
        assert root.find(f"{SVG}svg") is not None, f"{chart}: the chart itself is missing from its export"


def test_chart_pages_have_share_tags_whose_picture_is_the_chart(site):
    for folder in _chart_folders(site):
        head = _head(folder / "index.html")
        meta = head.meta
        assert meta["twitter:card"] == "summary_large_image", folder.name
        assert meta["og:title"] == head.h1.strip() and meta["og:description"], folder.name
        image = urlparse(meta["og:image"]).path.rsplit("/", 1)[-1]
        assert image == f"{folder.name}.png" and (folder / image).is_file()
        width, height = _png_size((folder / image).read_bytes())
        assert (meta["og:image:width"], meta["og:image:height"]) == (str(width), str(height))


def test_every_chapter_and_the_front_page_share_a_chart_picture(site):
    config = load_config()
    pages = [f"{config.toc.root.file}.html"] + [f"{c.file}.html" for c in config.chapters()]
    for page in pages:
        meta = _head(site / page).meta
        assert meta.get("twitter:card") == "summary_large_image", page
        target = (site / page).parent / meta["og:image"]
        assert target.resolve().is_file(), (page, meta["og:image"])
        html = (site / page).read_text(encoding="utf-8")
        first = re.search(r'<figure class="jct-chart" id="chart-([a-z0-9-]+)"', html)
        if first:  # a page with charts shows its first one
            assert target.name == f"{first.group(1)}.png", (page, target.name)


@pytest.mark.browser
def test_copy_link_and_embed_give_the_charts_own_page(browser, server):
    context, page, seen = _visit(browser, f"{server}/book/chapters/staffing.html")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    figure = page.locator("figure.jct-chart").first
    chart = figure.get_attribute("data-chart-id")
    title = figure.locator("figcaption").inner_text()
    button = figure.locator("button.jct-copy-link")
    button.click()
    status = figure.locator(".jct-copy-status")
    status.filter(has_text="http").wait_for(timeout=5000)
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"{server}/charts/{chart}/", copied
    assert copied in status.inner_text()
    figure.locator("details.jct-embed summary").click()
    code = figure.locator(".jct-embed-code").inner_text()
    src = re.fullmatch(r'<iframe src="([^"]+)" title="([^"]+)" width="100%" height="\d+" style="border:0" '
                       r'loading="lazy"></iframe>', code.strip())
    assert src, code
    assert src.group(1) == copied and src.group(2) == title.replace("&", "&amp;")
    # The citation names the chart by a full address a briefing can use (the build has no site address here).
    apa = figure.locator("details.jct-cite p").first.text_content()
    assert f"{server}/book/chapters/staffing.html#chart-{chart}." in apa, apa
    # The snippet, pasted into another page, shows the chart.
    embed = context.new_page()
    embed.set_content(f"<!DOCTYPE html><html><body>{code}</body></html>")
    frame = embed.frame_locator("iframe")
    assert frame.locator("h1").inner_text() == title
    assert frame.locator("img").first.evaluate("img => img.complete && img.naturalWidth > 600")
    context.close()
    assert seen["errors"] == []


@pytest.mark.browser
def test_without_javascript_no_copy_button_shows(browser, server):
    context, page, _ = _visit(browser, f"{server}/book/chapters/staffing.html", javascript=False)
    assert page.locator("button.jct-copy-link").count() > 0
    assert page.locator("button.jct-copy-link:visible").count() == 0
    context.close()
