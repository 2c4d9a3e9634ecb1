"""No script from data: every page carries a Content-Security-Policy that allows only the site's own script files and
the inline scripts it was built with (by hash); data sits in pages only as JSON data blocks. Read with an HTML parser,
as a browser splits a page, and checked in Chromium: a script that data smuggled in does not run."""
from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest

from support.chart_specs import scripts
from test_browser import _visit, browser, server  # noqa: F401

CSP = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">')


def _pages(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 300
    return pages


def test_every_page_allows_only_its_own_scripts(site):
    for path in _pages(site):
        text = path.read_text(encoding="utf-8")
        if "<head" not in text:
            continue
        policies = CSP.findall(text)
        assert len(policies) == 1, f"{path}: {len(policies)} policies"
        head_start = text.index("<head")
        assert text.index("Content-Security-Policy") < text.find("<script", head_start) or "<script" not in text
        policy = dict(part.strip().split(" ", 1) for part in policies[0].split(";"))
        assert "'unsafe-inline'" not in policy["script-src"], path
        allowed = set(re.findall(r"'sha256-([^']+)'", policy["script-src"]))
        for attrs, body in scripts(text):
            if "src" in attrs:
                assert not re.match(r"(https?:)?//", attrs["src"]), f"{path}: script from another host {attrs['src']}"
                continue
            if attrs.get("type") == "application/json":
                assert "<" not in body, f"{path}: a data block with '<' in it"
                json.loads(body)
                continue
            digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
            assert digest in allowed, f"{path}: an inline script the policy does not allow: {body[:80]!r}"


@pytest.mark.browser
def test_a_script_smuggled_into_a_page_does_not_run(browser, server, site, tmp_path):
    chapter = (site / "book/chapters/population-capacity.html").read_text(encoding="utf-8")
    smuggled = ('<p>HMP <script>window.pwned = "inline"</script> & Co '
                '<img src="x" onerror="window.pwned = \'onerror\'"></p>')
    name = "book/chapters/_smuggled.html"
    target = site / name
    target.write_text(chapter.replace("</main>", smuggled + "</main>", 1), encoding="utf-8")
    try:
        context, page, seen = _visit(browser, f"{server}/{name}")
        n = page.locator("figure.jct-chart").count()
        # The page's own scripts still run (its charts draw) ...
        page.wait_for_function(f"document.querySelectorAll('.jct-chart-view[data-drawn=true]').length === {n}",
                               timeout=20000)
        pwned = page.evaluate("window.pwned === undefined ? null : window.pwned")
        context.close()
    finally:
        target.unlink()
    # ... the smuggled ones do not, and the browser says why.
    assert pwned is None
    assert any("Content Security Policy" in e for e in seen["errors"]), seen["errors"]
