"""Citable charts: every chart offers PNG, SVG, CSV, Vega-Lite JSON and CSL-JSON downloads that resolve, and a
citation whose BibTeX parses and which credits the data's publishers."""
from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest

from justice_tracker.charts import MAX_TABLE_ROWS
from justice_tracker.config import load_config

CHAPTERS = [f"{c.file}.html" for c in load_config().chapters()
            if c.notebook is not None and c.file.startswith("book/chapters/")] + ["book/prisons/altcourse.html"]


class _Figures(HTMLParser):
    """Download links and BibTeX blocks, per chart figure."""

    def __init__(self):
        super().__init__()
        self.charts: dict[str, dict] = {}
        self.current = None
        self.in_bibtex = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "figure" and "jct-chart" in (a.get("class") or ""):
            self.current = a["data-chart-id"]
            self.charts[self.current] = {"links": [], "bibtex": "", "rows": 0}
        elif tag == "a" and self.current and "download" in a:
            self.charts[self.current]["links"].append(a["href"])
        elif tag == "pre" and self.current and "jct-bibtex" in (a.get("class") or ""):
            self.in_bibtex = True
        elif tag == "tr" and self.current:
            self.charts[self.current]["rows"] += 1

    def handle_endtag(self, tag):
        if tag == "pre":
            self.in_bibtex = False
        if tag == "figure":
            self.current = None

    def handle_data(self, data):
        if self.in_bibtex and self.current:
            self.charts[self.current]["bibtex"] += data


def _figures(path):
    p = _Figures()
    p.feed(path.read_text(encoding="utf-8"))
    return p.charts


@pytest.mark.parametrize("page", CHAPTERS)
def test_every_download_link_of_every_chart_resolves_to_its_file(site, page):
    charts = _figures(site / page)
    assert charts, f"{page}: no charts"
    for chart_id, info in charts.items():
        kinds = sorted(h.rsplit(".", 2)[-2] + "." + h.rsplit(".", 1)[1] if h.endswith(".json") else h.rsplit(".", 1)[1]
                       for h in info["links"])
        assert kinds == ["csl.json", "csv", "png", "svg", "vl.json"], (chart_id, kinds)
        for href in info["links"]:
            target = (site / page).parent / href
            target = target.resolve()
            assert target.is_file() and target.stat().st_size > 0, f"{page}: {href} does not resolve"
            if href.endswith(".png"):
                assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            if href.endswith(".svg"):
                assert target.read_text().lstrip().startswith("<svg")
            if href.endswith(".vl.json"):
                spec = json.loads(target.read_text())
                assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/") and spec["description"]
            if href.endswith(".csv"):
                rows = list(csv.reader(io.StringIO(target.read_text())))
                # Exactly the data behind the chart: the same rows as its full data table (header + body) on the
                # chart's own page; the chapter shows the latest MAX_TABLE_ROWS of them.
                full = (target.parent / "index.html").read_text().count("<tr>")
                assert len(rows) == full, (chart_id, len(rows), full)
                assert info["rows"] == min(full - 1, MAX_TABLE_ROWS) + 1, (chart_id, info["rows"], full)
            if href.endswith(".csl.json"):
                item = json.loads(target.read_text())[0]
                assert item["type"] == "figure" and item["author"][0]["literal"] == "Justice Crisis Tracker"
                assert item["title"] and item["URL"].endswith(f"#chart-{chart_id}") and "Data:" in item["note"]


def test_bibtex_of_every_chart_parses_and_credits_the_data_publishers(site):
    import bibtexparser

    for page in CHAPTERS:
        for chart_id, info in _figures(site / page).items():
            library = bibtexparser.parse_string(info["bibtex"])
            assert len(library.entries) == 1 and not library.failed_blocks, (page, chart_id, info["bibtex"])
            entry = library.entries[0]
            assert entry.entry_type == "misc" and chart_id in entry.key
            note = entry.fields_dict["note"].value
            assert re.search(r"Ministry of Justice|National Audit Office|HM Prison|Committee", note), (chart_id, note)


def test_every_chart_spec_the_build_writes_is_valid_vega_lite(site):
    """The build turns charts into specs without Altair's validation (a third of a chart's cost); every spec it
    wrote is validated here against the Vega-Lite schema Altair carries."""
    import jsonschema
    from altair.vegalite.v6.schema import core

    schema = core.load_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    specs = sorted((site / "charts").glob("*/*.vl.json"))
    assert len(specs) > 150

    def shape(path):
        # The schema says nothing about how many rows a dataset has: three of each are enough to check.
        spec = json.loads(path.read_text())
        spec["datasets"] = {k: v[:3] for k, v in spec.get("datasets", {}).items()}
        return spec

    invalid = {}
    for path in specs:
        errors = list(validator.iter_errors(shape(path)))
        if errors:
            invalid[path.name] = errors[0].message[:200]
    assert invalid == {}
