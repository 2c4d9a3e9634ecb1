"""Sphinx extension: keep each page to the assets it needs, and nothing that reaches for another host.

- The 900 KB Vega bundle is linked only from pages that contain a chart.
- sphinx-thebe's scripts are dropped: Jupyter Book 1 always loads it, it points at unpkg.com, and it declares
  THEBE_JS_URL twice, which logs a console error on every page.
"""
from __future__ import annotations

VEGA_BUNDLE = "vendor/vega-bundle.js"


def _name(asset) -> str:
    return str(getattr(asset, "filename", asset) or "")


def _body(asset) -> str:
    attributes = getattr(asset, "attributes", {}) or {}
    return str(attributes.get("body", ""))


def _prune_assets(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if scripts is None:
        return
    has_chart = 'class="jct-chart"' in context.get("body", "")
    kept = []
    for asset in scripts:
        name, body = _name(asset), _body(asset)
        if "thebe" in name.lower() or "THEBE" in body:
            continue
        if name.endswith(VEGA_BUNDLE) and not has_chart:
            continue
        kept.append(asset)
    context["script_files"] = kept
    css = context.get("css_files")
    if css is not None:
        context["css_files"] = [c for c in css if "thebe" not in _name(c).lower()]


def setup(app):
    app.connect("html-page-context", _prune_assets, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
