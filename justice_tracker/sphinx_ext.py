"""Sphinx extension: keep each page to the assets it needs, and say which edition a page belongs to.

- The 900 KB Vega bundle is linked only from pages that contain a chart.
- fontawesome.js (543 KB gzipped) and the search index (260 KB gzipped) are not loaded on every page: see
  _templates/ and _static/jct-icons.css.
- sphinx-thebe's scripts are dropped: Jupyter Book 1 always loads it, it points at unpkg.com, and it declares
  THEBE_JS_URL twice, which logs a console error on every page.
- Every page starts with an edition line. In an edition it names the edition and links to the list of all
  editions; `jct-editions.js` then reads the site's `editions.json` and, on an edition that is no longer the
  newest, adds "you are viewing the edition of X; the latest is Y" and links to the same page in every edition.
  Old editions learn they are old at view time, so their files never have to change.
- The sidebar's expand/collapse toggles get an accessible name (see `_name_nav_toggles`).
"""
from __future__ import annotations

import html
import os
from datetime import date
from pathlib import Path

from .templates import render

VEGA_BUNDLE = "vendor/vega-bundle.js"
CHARTS_JS = "jct-charts.js"
# The scenario explorer's script: only on the page that carries the explorer (data-jct-scenario).
SCENARIO_JS = "jct-scenario.js"
EDITIONS_JS = "jct-editions.js"



def _name(asset) -> str:
    return str(getattr(asset, "filename", asset) or "")


def _deferred(asset):
    from sphinx.builders.html._assets import _JavaScript

    attributes = {k: v for k, v in (getattr(asset, "attributes", {}) or {}).items() if k not in ("defer", "async")}
    return _JavaScript(_name(asset), priority=getattr(asset, "priority", 500), defer="defer", **attributes)


def _body(asset) -> str:
    attributes = getattr(asset, "attributes", {}) or {}
    return str(attributes.get("body", ""))


def _long_date(iso: str) -> str:
    try:
        d = date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{d.day} {d.strftime('%B %Y')}"


def edition_banner(pagename: str) -> str:
    edition = os.environ.get("JCT_EDITION", "")
    to_edition_root = "../" * pagename.count("/")
    return render("banner.html", edition=edition, pagename=pagename, to_edition_root=to_edition_root,
                  to_site_root=to_edition_root + "../../",
                  published=_long_date(os.environ.get("JCT_EDITION_DATE", "")) if edition else "")


def share_metatags(pagename: str, context: dict) -> str:
    """Open Graph and Twitter card tags: a page pasted into a post or a chat shows its first chart's picture (the
    front page and pages without a chart show the site's headline chart, tracker.yml site.share_chart)."""
    import re

    from .charts import share_tags
    from .config import load_config
    from .templates import render

    site = load_config().site
    body = context.get("body", "")
    found = re.search(r'<figure class="jct-chart" id="chart-[^"]*" data-chart-id="([a-z0-9-]+)"', body)
    chart = found.group(1) if found else site.share_chart
    if not chart:
        return ""
    edition = os.environ.get("JCT_EDITION", "")
    base = site.base_url.rstrip("/")
    root = f"{base}/editions/{edition}/" if base and edition else f"{base}/" if base else "../" * pagename.count("/")
    image = f"{root}charts/{chart}/{chart}.png"
    title = html.unescape(re.sub(r"<[^>]+>", "", context.get("title", ""))) or site.title
    url = f"{root}{pagename}.html" if base else ""
    tags = share_tags(f"{title} - {site.title}", " ".join(site.description.split()), image,
                      f"Chart: {chart.replace('-', ' ')}", url)
    return render("meta_tags.html", tags=tags)


def _name_toggles(soup) -> None:
    for summary in soup.select("li.has-children > details > summary"):
        if summary.get("aria-label") or summary.get_text(strip=True):
            continue
        link = summary.find_parent("li").find("a", recursive=False)
        name = link.get_text(" ", strip=True) if link is not None else ""
        summary["aria-label"] = f"Pages under {name}" if name else "Pages under this entry"


def _name_nav_toggles(context) -> None:
    """pydata-sphinx-theme gives each sidebar entry that has sub-pages (here: Prisons) a <summary> holding only a
    chevron icon, so a screen reader announces an unnamed disclosure button (axe: summary-name, serious). Name it
    after its entry, aria-label="Pages under Prisons"; the reader adds "collapsed" or "expanded". The theme builds
    the sidebar when the template calls generate_toctree_html, after this hook has run, so the function is wrapped
    rather than the body edited. It returns a BeautifulSoup (cached per page): naming it twice changes nothing."""
    generate = context.get("generate_toctree_html")
    if generate is None or getattr(generate, "jct_named", False):
        return

    def named(*args, **kwargs):
        soup = generate(*args, **kwargs)
        if hasattr(soup, "select"):
            _name_toggles(soup)
        return soup

    named.jct_named = True
    context["generate_toctree_html"] = named


# Stylesheets for what a page may not contain: highlighted code (Pygments; copybutton puts its buttons on code
# blocks), toggles and dropdowns (sphinx-togglebutton), sphinx-design's grids, cards and tabs.
_ONLY_WITH = {"pygments.css": r'class="highlight', "copybutton.css": r'class="highlight',
              "togglebutton.css": r'class="[^"]*\b(toggle|dropdown)\b', "sphinx-design.min.css": r'class="[^"]*\bsd-'}


def _documentation_options(outdir) -> str:
    """Sphinx's own documentation_options.js as this build wrote it (static files are copied before the pages
    are written), or "" when it is not there or could not be inlined safely."""
    path = Path(outdir) / "_static" / "documentation_options.js"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    return "" if "</" in text else text


def _unblock_first_paint(app, templatename, context) -> None:
    """A page paints nothing until every stylesheet and classic <script src> in its <head> has arrived, and on a
    slow phone connection (Lighthouse's "Slow 4G": 562.5 ms a request, six requests at a time to one host) the
    theme's 11 stylesheets and 8 scripts took four rounds of requests: every chapter painted at 3.3-3.9 s, over the
    3 s budget (tests/test_first_paint.py). What is left blocking is six stylesheets, one round (with
    _templates/static/webpack-macros.html, which links basic.css directly and drops two script preloads):
    - the scripts are deferred, which keeps their order: none has to run before the page is parsed (each waits
      for DOMContentLoaded or works on its own elements: the copy, toggle and tab buttons, search-word
      highlighting);
    - documentation_options.js, which the inline scripts after it extend, is written into the page instead;
    - the stylesheets for code, toggles and sphinx-design are linked only from pages that have any;
    - a script linked twice is linked once.
    The search page is left alone: its searchtools.js, loaded in its body, calls doctools.js at once."""
    if templatename != "page.html":
        return
    import re

    from sphinx.builders.html._assets import _JavaScript

    body = context.get("body", "")

    def wanted(stylesheet) -> bool:
        pattern = _ONLY_WITH.get(_name(stylesheet).rsplit("/", 1)[-1])
        return pattern is None or re.search(pattern, body) is not None

    if context.get("css_files") is not None:
        context["css_files"] = [c for c in context["css_files"] if wanted(c)]
    options = _documentation_options(app.outdir)
    scripts, seen = [], set()
    for asset in context["script_files"]:
        name = _name(asset)
        # Jupyter Book links every script in _static/ and setup() links jct-editions.js again, deferred. While the
        # first copy ran in <head>, before the page had an edition line, it did nothing; deferred, both would
        # add the "newer edition" notice.
        if name and name in seen:
            continue
        seen.add(name)
        if name.endswith("documentation_options.js") and options:
            asset = _JavaScript("", priority=getattr(asset, "priority", 500), body=options)
        elif name and not _body(asset) and not {"defer", "async"} & set(getattr(asset, "attributes", {}) or {}):
            asset = _deferred(asset)
        scripts.append(asset)
    context["script_files"] = scripts


def _page_context(app, pagename, templatename, context, doctree):
    _name_nav_toggles(context)
    scripts = context.get("script_files")
    if scripts is None:
        return
    body = context.get("body", "")
    # A page that draws a chart in its own script (the prisons index's compare chart) marks itself data-jct-vega.
    has_chart = 'class="jct-chart"' in body or "data-jct-vega" in body
    editioned = bool(os.environ.get("JCT_EDITION"))
    kept = []
    for asset in scripts:
        name, script = _name(asset), _body(asset)
        if "thebe" in name.lower() or "THEBE" in script:
            continue
        if name.endswith((VEGA_BUNDLE, CHARTS_JS)):
            if not has_chart:
                continue
            # 900 KB of Vega must not hold up the first paint: deferred, it runs after the page is parsed and
            # before DOMContentLoaded, when jct-charts.js draws each chart from its spec.
            asset = _deferred(asset)
        if name.endswith(EDITIONS_JS) and not editioned:
            continue
        if name.endswith(SCENARIO_JS):
            if "data-jct-scenario" not in body:
                continue
            asset = _deferred(asset)
        kept.append(asset)
    context["script_files"] = kept
    _unblock_first_paint(app, templatename, context)
    css = context.get("css_files")
    if css is not None:
        context["css_files"] = [c for c in css if "thebe" not in _name(c).lower()]
    if "body" in context and templatename == "page.html":
        from .glossary_links import GLOSSARY_PAGE, anchor_glossary, link_first_uses

        glossary = Path(app.srcdir) / f"{GLOSSARY_PAGE}.md"
        if pagename == GLOSSARY_PAGE:
            body = anchor_glossary(body)
        elif glossary.exists():
            body = link_first_uses(body, pagename, glossary)
        context["body"] = edition_banner(pagename) + body
        context["metatags"] = context.get("metatags", "") + share_metatags(pagename, context)


def _parallel_safe(app) -> None:
    """Two extensions Jupyter Book always loads do not say whether they are parallel-safe, so Sphinx would read
    every page on one process. sphinx_multitoc_numbering only replaces how section numbers are assigned, once,
    after all pages are read (and this book numbers nothing); sphinx_jupyterbook_latex acts only for LaTeX."""
    for name in ("sphinx_multitoc_numbering", "sphinx_jupyterbook_latex"):
        extension = app.extensions.get(name)
        if extension is not None:
            extension.parallel_read_safe = extension.parallel_write_safe = True


def _remembered_stems() -> None:
    """The search index stems every word of every page, and the Porter stemmer is pure Python: a third of the
    Sphinx build went on stemming the same few thousand words (figures and names) again and again. Same stems,
    each worked out once."""
    from functools import lru_cache

    from sphinx.search.en import SearchEnglish

    if getattr(SearchEnglish.stem, "_jct_remembered", False):
        return
    original = SearchEnglish.stem
    cached = lru_cache(maxsize=200_000)(lambda self, word: original(self, word))

    def stem(self, word: str) -> str:
        return cached(self, word)

    stem._jct_remembered = True
    SearchEnglish.stem = stem


def _build_generated_pages(app, config) -> None:
    """only_build_toc_files excludes every page not in the table of contents; the pages generated per table row
    (tracker.yml `pages:`) are not in it, by design, but are built. Runs after sphinx-external-toc's exclusion."""
    from .config import load_config

    generated = {f"{e.file}.ipynb" for e in load_config().all_notebook_pages() if e.notebook.orphan}
    config.exclude_patterns = [p for p in config.exclude_patterns if p not in generated]


def _html_fingerprint() -> str:
    """What every page's HTML also depends on besides its own source: this extension, the glossary linker, the
    glossary's terms and the site's styles. As a config value it makes Sphinx rewrite every page when one of them changes (it would
    otherwise rewrite only the pages whose sources changed, leaving the rest linked to yesterday's terms)."""
    import hashlib

    from .glossary_links import GLOSSARY_PAGE
    from .paths import REPO_ROOT

    h = hashlib.sha256()
    # The site's own styles and templates too: Sphinx copies static files only when some page is rewritten.
    styles = sorted(p for top in ("_static", "_templates") for p in (REPO_ROOT / top).rglob("*")
                    if p.is_file() and "vendor" not in p.parts)
    # The templates too: the edition line and the share tags on every page come from them.
    templates = sorted(p for p in Path(__file__).with_name("templates").rglob("*") if p.is_file()
                       and "__pycache__" not in p.parts)
    for path in (Path(__file__), Path(__file__).with_name("glossary_links.py"), REPO_ROOT / f"{GLOSSARY_PAGE}.md",
                 *styles, *templates):
        h.update(str(path).encode() + b"\0" + (path.read_bytes() if path.exists() else b""))
    return h.hexdigest()


def _content_security_policy(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        from .csp import add_policies

        add_policies(Path(app.outdir))


def setup(app):
    app.add_config_value("jct_html_fingerprint", _html_fingerprint(), "html")
    _remembered_stems()
    app.connect("config-inited", _build_generated_pages, priority=950)
    app.connect("builder-inited", _parallel_safe)  # both are loaded by then
    app.add_js_file(EDITIONS_JS, loading_method="defer")
    app.add_css_file("jct-icons.css")
    app.connect("html-page-context", _page_context, priority=900)
    app.connect("build-finished", _content_security_policy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
