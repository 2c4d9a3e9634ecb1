"""The Vega-Lite specs a built page (or a chart block) gives its charts, read with an HTML parser: each chart's spec
is a <script type="application/json" id="spec-<chart id>"> element."""
from __future__ import annotations

import json
from html.parser import HTMLParser


class _Specs(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.specs: dict[str, dict] = {}
        self._id: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("type") == "application/json" and (a.get("id") or "").startswith("spec-"):
            self._id, self._text = a["id"][5:], []

    def handle_data(self, data):
        if self._id is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._id is not None:
            self.specs[self._id] = json.loads("".join(self._text))
            self._id = None


def chart_specs(html: str) -> dict[str, dict]:
    parser = _Specs()
    parser.feed(html)
    parser.close()
    return parser.specs


def only_spec(html: str) -> dict:
    specs = chart_specs(html)
    assert len(specs) == 1, f"expected one chart spec, found {sorted(specs)}"
    return next(iter(specs.values()))


class _Scripts(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.scripts: list[tuple[dict, str]] = []
        self._attrs: dict | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._attrs, self._text = dict(attrs), []

    def handle_data(self, data):
        if self._attrs is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._attrs is not None:
            self.scripts.append((self._attrs, "".join(self._text)))
            self._attrs = None


def scripts(html: str) -> list[tuple[dict, str]]:
    """Every <script> element as a browser would split them: its attributes and its raw text."""
    parser = _Scripts()
    parser.feed(html)
    parser.close()
    return parser.scripts


def assert_charts_run_no_inline_code(block: str) -> list[dict]:
    """A chart block's only scripts are its specs, as JSON data with no "<" that could end the element early (the
    drawing code is the site's own deferred file). Returns the specs."""
    found = scripts(block)
    assert found, "no chart spec in the block"
    for attrs, text in found:
        assert attrs.get("type") == "application/json" and attrs.get("id", "").startswith("spec-"), attrs
        assert "<" not in text, text[:200]
    return [json.loads(text) for _, text in found]
