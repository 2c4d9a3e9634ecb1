"""Charts that work offline: a Vega-Lite spec drawn by the vendored Vega bundle, a static SVG for readers without
JavaScript, alt text generated from the data, and the chart's data as a table a reader can open.
"""
from __future__ import annotations

import hashlib
import html
import json
import os
import re
from dataclasses import dataclass
from importlib.metadata import version

import altair as alt
import pandas as pd
import vl_convert as vlc

from .paths import BUILD_DIR, CHART_CACHE_DIR, REPO_ROOT, VENDOR_DIR

VEGA_BUNDLE = VENDOR_DIR / "vega-bundle.js"

# Colours chosen for contrast against white (all >= 4.5:1) and to stay distinct in greyscale.
COLOURS = {"population": "#1f4e79", "capacity": "#b03a2e", "headroom": "#1b7a3e", "break": "#6b6b6b"}


def write_vega_bundle() -> bool:
    """Write vl-convert's Vega + Vega-Lite + vega-embed bundle into _static/vendor/, wrapped in an IIFE.

    Unwrapped, the bundle's top-level `const _` collides with Sphinx's doctools.js and no chart draws.
    Returns True if the file was (re)written.
    """
    # Making the bundle takes two seconds; the first line names the vl-convert release it came from, so a bundle
    # already written by this release is kept as it is.
    stamp = f"/* vega, vega-lite, vega-embed: bundled by vl-convert-python {_RENDERER.split()[-1]}; licences inside. */\n"
    if VEGA_BUNDLE.exists():
        with open(VEGA_BUNDLE, encoding="utf-8") as f:
            if f.readline() == stamp:
                return False
    text = stamp + "(function(){\n" + vlc.javascript_bundle() + "\n})();\n"
    from .files import atomic_write_text
    atomic_write_text(VEGA_BUNDLE, text, durable=False)
    return True


# Drawing a chart (Vega in vl-convert's JavaScript engine) is the slow part of a page. Each picture is kept in
# _build/chart-cache under the sha256 of what it was drawn from (and the drawing library's version), so a chart
# whose spec has not changed is never drawn again, in this build or the next (and an edition's build reuses them).
RENDER_CACHE = CHART_CACHE_DIR
_RENDERER = f"vl-convert {version('vl-convert-python')}"


def _cached_render(kind: str, source: bytes, draw) -> bytes:
    key = hashlib.sha256(_RENDERER.encode() + b"\0" + kind.encode() + b"\0" + source).hexdigest()
    path = RENDER_CACHE / f"{key}.{kind}"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    data = draw()
    try:
        from .files import atomic_write_bytes

        atomic_write_bytes(path, data, durable=False)
    except OSError:  # a read-only build folder costs time, not correctness
        pass
    return data


def render_svg(spec: dict) -> str:
    source = json.dumps(spec, sort_keys=True, separators=(",", ":")).encode()
    return _cached_render("svg", source, lambda: vlc.vegalite_to_svg(spec).encode("utf-8")).decode("utf-8")


def render_png(svg: str) -> bytes:
    """The PNG download, at twice the SVG's size, from the SVG itself (the same pixels as drawing the spec again,
    at a fifth of the cost)."""
    return _cached_render("png", svg.encode("utf-8"), lambda: vlc.svg_to_png(svg, scale=2))


@dataclass
class ChartBlock:
    """What a notebook cell displays for one chart."""

    html: str

    def _repr_html_(self) -> str:
        return self.html


def _script_json(obj) -> str:
    # "</" would end the <script> element early; "<!--" would start an HTML comment inside it.
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).replace("</", "<\\/").replace("<!--", "<\\!--")


def data_table_html(table: pd.DataFrame, caption: str, formats: dict[str, str] | None = None) -> str:
    formats = formats or {}
    head = "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in table.columns)

    def texts(col) -> list[str]:
        fmt = formats.get(col)
        return [html.escape("—" if pd.isna(v) else fmt.format(v) if fmt else str(v))
                for v in table[col].astype(object).tolist()]

    columns = [texts(col) for col in table.columns]  # column by column: a page has thousands of cells
    body = ["<tr>" + "".join((f'<th scope="row">{c}</th>' if i == 0 else f"<td>{c}</td>")
                             for i, c in enumerate(cells)) + "</tr>" for cells in zip(*columns)]
    return (f'<table class="jct-data-table"><caption>{html.escape(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


# A page carries at most this many rows of a chart's data (the latest); its own page carries them all. The
# weekly series since 2011 is ~800 rows a chart: inline, the tables were a quarter of the population chapter.
MAX_TABLE_ROWS = 120


# A period written the ISO way (2026, 2026-09, 2026-09-08, 2026Q1, 2025-26, 2008-2015) sorts as text; a date written
# out ("7 February 2020") is read as one.
_ISO_PERIOD = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?|Q[1-4]|-\d{2}|-\d{4}|/\d{2})?")


def period_sort_key(values: pd.Series) -> pd.Series | None:
    """A key that orders a table's period column, or None if the column is not a period."""
    if pd.api.types.is_datetime64_any_dtype(values) or pd.api.types.is_integer_dtype(values):
        return values
    text = values.astype(str).str.strip()
    if len(text) and text.str.fullmatch(_ISO_PERIOD).all():
        return text
    written = pd.to_datetime(text, format="%d %B %Y", errors="coerce")
    return written if len(text) and written.notna().all() else None


def latest_first(table: pd.DataFrame, chart_id: str) -> pd.DataFrame:
    """The chart's data with the latest period (its first column) first: a reader opening the table, or a page that
    shows only its first rows, sees the latest figures. Rows of the same period keep their order."""
    if table.empty:
        return table
    key = period_sort_key(table.iloc[:, 0])
    if key is None:
        if len(table) > MAX_TABLE_ROWS:
            raise ValueError(f"chart {chart_id}: its data table has {len(table):,} rows (a page shows at most "
                             f"{MAX_TABLE_ROWS}, the latest) but its first column {table.columns[0]!r} is not a period "
                             f"(e.g. {table.iloc[0, 0]!r}), so the latest rows cannot be chosen")
        return table
    order = key.reset_index(drop=True).sort_values(ascending=False, kind="stable").index
    return table.iloc[order]


# Vega's own time labels name the year only at a year's first tick, so a short series or a narrow screen can show
# "April, July, October" with no year at all. Every label here carries its year: "2024" for January, else "Apr 2024".
TIME_LABEL = "month(datum.value) == 0 && date(datum.value) == 1 ? timeFormat(datum.value, '%Y') : " \
             "timeFormat(datum.value, '%b %Y')"
# Text on a phone stays readable: Vega's default labels are 10 px.
MIN_FONT_PX = 11


def with_reader_axes(spec: dict) -> dict:
    """Chart-wide axis settings every chart shares (a chart's own axis settings still win)."""
    config = spec.setdefault("config", {})
    config.setdefault("axisTemporal", {}).setdefault("labelExpr", TIME_LABEL)
    axis = config.setdefault("axis", {})
    for key in ("labelFontSize", "titleFontSize"):
        axis[key] = max(axis.get(key, 0), MIN_FONT_PX)
    legend = config.setdefault("legend", {})
    for key in ("labelFontSize", "titleFontSize"):
        legend[key] = max(legend.get(key, 0), MIN_FONT_PX)
    config.setdefault("text", {}).setdefault("fontSize", MIN_FONT_PX)
    _raise_small_text(spec)
    return spec


def _raise_small_text(node) -> None:
    """Any font size a chart sets below the minimum (an annotation at 9 or 10 px) is raised to it."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("datasets", "data"):
                continue
            if key.endswith(("fontSize", "FontSize")) and isinstance(value, (int, float)) and value < MIN_FONT_PX:
                node[key] = MIN_FONT_PX
            else:
                _raise_small_text(value)
    elif isinstance(node, list):
        for item in node:
            _raise_small_text(item)


def rows_text(shown: int, total: int) -> str:
    return f"{total:,} rows" if shown == total else f"the latest {shown:,} of {total:,} rows"


def render_chart(chart: alt.TopLevelMixin, *, chart_id: str, title: str, alt_text: str, table: pd.DataFrame,
                 table_formats: dict[str, str] | None = None, source_html: str = "") -> ChartBlock:
    """One chart as HTML: interactive view, static SVG fallback, visible summary, data table, source line."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", chart_id):
        raise ValueError(f"chart id {chart_id!r} must be lower-case words joined by hyphens")
    # Not validated here (a third of the chart's cost): tests/test_chart_downloads.py validates every spec the
    # build writes against the Vega-Lite schema.
    spec = with_reader_axes(chart.properties(description=alt_text).to_dict(validate=False))
    svg = render_svg(spec)
    view_id = f"vis-{chart_id}"
    esc_alt = html.escape(alt_text, quote=True)
    csv_table = table
    table = latest_first(table, chart_id)
    shown = table.head(MAX_TABLE_ROWS)
    caption = f"Data for the chart: {title}"
    if len(shown) < len(table):
        caption += f" (the latest {len(shown):,} of {len(table):,} rows; every row is on the chart's own page and in the CSV)"
    table_html = data_table_html(shown, caption, table_formats)
    full_table_html = data_table_html(table, f"Data for the chart: {title}", table_formats)
    # The static SVG is the chart's own file, shown by <noscript> when JavaScript is off and put in by the script
    # if the Vega bundle cannot draw; with JavaScript on it costs nothing (inlined it was a third of a page).
    static = (f'<img class="jct-chart-static" src="{chart_files_prefix(chart_id)}{chart_id}.svg" alt="{esc_alt}" '
              f'width="100%">')
    parts = [
        f'<figure class="jct-chart" id="chart-{chart_id}" data-chart-id="{chart_id}">',
        f'<figcaption class="jct-chart-title">{html.escape(title)}</figcaption>',
        f'<div class="jct-chart-view" id="{view_id}"><noscript>{static}</noscript></div>',
        f'<p class="jct-chart-summary">{html.escape(alt_text)}</p>',
        f'<details class="jct-chart-data"><summary>Show the data behind this chart ({rows_text(len(shown), len(table))})'
        f'</summary><div class="jct-table-scroll" tabindex="0" role="region" '
        f'aria-label="Data for {html.escape(title, quote=True)}">{table_html}</div>'
        + (f'<p><a href="{chart_files_prefix(chart_id)}index.html">All {len(table):,} rows</a> on the chart\'s own page; '
           f'<a href="{chart_files_prefix(chart_id)}{chart_id}.csv">CSV</a>.</p>' if len(shown) < len(table) else "")
        + "</details>",
    ]
    if source_html:
        parts.append(f'<p class="jct-chart-source">{source_html}</p>')
    parts.append(downloads_and_citation(chart_id, title, spec, svg, csv_table, source_html, alt_text, full_table_html))
    parts.append("</figure>")
    parts.append(
        "<script>(function(){var el=document.getElementById(" + json.dumps(view_id) + ");"
        "function still(){if(!el.querySelector('img')){el.insertAdjacentHTML('beforeend'," + json.dumps(static) + ");}}"
        # The Vega bundle is deferred: it has run by DOMContentLoaded, so the chart is drawn then (or at once if
        # it is already there); if it never arrives, the static image stays.
        "function draw(){if(!window.vegaEmbed){still();return;}"
        "window.vegaEmbed(el," + _script_json(spec) + ",{actions:false,renderer:\"svg\"})"
        ".then(function(r){el.setAttribute('data-drawn','true');"
        "var svg=el.querySelector('svg');if(svg){svg.setAttribute('role','img');"
        "svg.setAttribute('aria-label'," + json.dumps(alt_text) + ");}})"
        ".catch(function(e){still();console.error('chart " + chart_id + ": '+e);});}"
        "if(window.vegaEmbed||document.readyState!=='loading'){draw();}"
        "else{document.addEventListener('DOMContentLoaded',draw);}})();</script>"
    )
    return ChartBlock("\n".join(parts))


CHARTS_DIR = REPO_ROOT / "_extra" / "charts"  # html_extra_path: copied to <site>/charts/<chart-id>/
PUBLISHER = "Justice Crisis Tracker"


def chart_files_prefix(chart_id: str) -> str:
    """From the page being built to the chart's folder of files (<site>/charts/<chart-id>/)."""
    return "../" * page_path().count("/") + f"charts/{chart_id}/"


def page_path() -> str:
    """The page being executed (set by the notebook runner), e.g. book/chapters/population-capacity."""
    return os.environ.get("JCT_PAGE", "")


def edition() -> str:
    return os.environ.get("JCT_EDITION", "working draft")


def plain_text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def chart_permalink(chart_id: str) -> str:
    """Where a chart is cited from: its own page in its edition (stable for ever), or, in a working draft, its
    anchor on the page it is drawn on."""
    from .config import load_config

    base = load_config().site.base_url.rstrip("/")
    ed = os.environ.get("JCT_EDITION", "")
    path = f"editions/{ed}/charts/{chart_id}/" if ed else f"{page_path()}.html#chart-{chart_id}"
    return f"{base}/{path}" if base else path


def chart_citation(chart_id: str, title: str, source_html: str) -> dict:
    """APA, Harvard and BibTeX text and a CSL-JSON item. The original publishers of the data come first in the
    data credit, so a briefing that cites the chart also credits them."""
    ed = edition()
    published = os.environ.get("JCT_EDITION_DATE", "")
    year = (published or ed)[:4] if (published or ed)[:4].isdigit() else "n.d."
    url = chart_permalink(chart_id)
    data = plain_text(source_html).removeprefix("Source: ") or "Ministry of Justice"
    apa = (f"{PUBLISHER}. ({year}). {title} [Chart]. Edition: {ed}. {url}. Data: {data} "
           f"Accessed [date].")
    harvard = (f"{PUBLISHER} ({year}) {title} [chart], edition {ed}. Available at: {url} "
               f"(Accessed: [date]). Data: {data}")
    key = re.sub(r"[^a-z0-9]+", "-", f"jct-{chart_id}-{ed}".lower()).strip("-")

    def bib(value: str) -> str:
        value = value.replace("\\", "/").replace("{", "(").replace("}", ")")
        return re.sub(r"([&%#_$])", r"\\\1", value)

    bibtex = (f"@misc{{{key},\n  author = {{{{{PUBLISHER}}}}},\n  title = {{{bib(title)}}},\n"
              f"  year = {{{year}}},\n  howpublished = {{\\url{{{url}}}}},\n"
              f"  note = {{Chart, edition {bib(ed)}. Data: {bib(data)} Accessed [date]}}\n}}")
    if published:
        issued = {"date-parts": [[int(x) for x in published.split("-")]]}
    elif year.isdigit():
        issued = {"date-parts": [[int(year)]]}
    else:
        issued = {"literal": "n.d."}
    csl = {"id": key, "type": "figure", "title": title, "author": [{"literal": PUBLISHER}],
           "issued": issued, "version": ed, "URL": url, "note": f"Data: {data}", "medium": "Chart"}
    return {"apa": apa, "harvard": harvard, "bibtex": bibtex, "csl": csl, "url": url}


def write_chart_files(chart_id: str, spec: dict, svg: str, table: pd.DataFrame, citation: dict) -> dict[str, str]:
    """PNG, SVG, the CSV of exactly the data drawn, the Vega-Lite spec and a CSL-JSON citation."""
    from .files import atomic_write_bytes, atomic_write_text

    folder = CHARTS_DIR / chart_id
    names = {k: f"{chart_id}.{k}" for k in ("png", "svg", "csv")}
    names["vl"] = f"{chart_id}.vl.json"
    names["csl"] = f"{chart_id}.csl.json"
    atomic_write_bytes(folder / names["png"], render_png(svg), durable=False)
    atomic_write_text(folder / names["svg"], svg, durable=False)
    atomic_write_text(folder / names["csv"], table.to_csv(index=False, lineterminator="\n"), durable=False)
    atomic_write_text(folder / names["vl"], json.dumps(spec, indent=1, sort_keys=True) + "\n", durable=False)
    atomic_write_text(folder / names["csl"], json.dumps([citation["csl"]], indent=1, sort_keys=True) + "\n",
                      durable=False)
    return names


DOWNLOAD_LABELS = [("png", "PNG image"), ("svg", "SVG image"), ("csv", "CSV of the data drawn"),
                   ("vl", "Vega-Lite JSON"), ("csl", "CSL-JSON citation")]


def citation_html(citation: dict) -> str:
    return (f"<p><strong>APA:</strong> {html.escape(citation['apa'])}</p>"
            f"<p><strong>Harvard:</strong> {html.escape(citation['harvard'])}</p>"
            f'<p><strong>BibTeX:</strong></p><pre class="jct-bibtex">{html.escape(citation["bibtex"])}</pre>'
            f"<p>Please also credit the publishers of the data named above.</p>")


def downloads_and_citation(chart_id: str, title: str, spec: dict, svg: str, table: pd.DataFrame,
                           source_html: str, alt_text: str = "", table_html: str = "") -> str:
    citation = chart_citation(chart_id, title, source_html)
    names = write_chart_files(chart_id, spec, svg, table, citation)
    write_chart_page(chart_id, title, alt_text, source_html, names, citation, table_html)
    prefix = chart_files_prefix(chart_id)
    links = " · ".join(f'<a href="{prefix}{names[k]}" download>{label}</a>' for k, label in DOWNLOAD_LABELS)
    return (f'<p class="jct-chart-downloads">Download: {links} · <a href="{prefix}index.html">Permalink: '
            f'this chart on its own page</a> · <a href="#chart-{chart_id}">Link to this chart here</a></p>'
            f'<details class="jct-cite"><summary>Cite this chart</summary>{citation_html(citation)}</details>')


def write_chart_page(chart_id: str, title: str, alt_text: str, source_html: str, names: dict[str, str],
                     citation: dict, table_html: str = "") -> None:
    """<site>/charts/<chart-id>/index.html: the chart's permalink in its edition, with its downloads and citation,
    so a briefing can link to one chart and find everything it needs to reuse it."""
    from .files import atomic_write_text

    ed = edition()
    back = f"../../{page_path()}.html#chart-{chart_id}"
    links = "".join(f'<li><a href="{names[k]}" download>{label}</a></li>' for k, label in DOWNLOAD_LABELS)
    t = html.escape(title)
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{t} - {PUBLISHER}</title>"
        '<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222;'
        'line-height:1.5}a{color:#1f4e79}img{max-width:100%;height:auto}pre{white-space:pre-wrap;'
        'background:#f4f6f8;padding:.5rem}table{border-collapse:collapse}th,td{border:1px solid #bbb;'
        'padding:.2rem .5rem;text-align:right}caption{text-align:left;font-weight:600}</style></head><body><main>'
        f'<p>{PUBLISHER} · edition {html.escape(ed)}</p><h1>{t}</h1>'
        f'<figure><img src="{names["svg"]}" alt="{html.escape(alt_text, quote=True)}">'
        f"<figcaption>{html.escape(alt_text)}</figcaption></figure>"
        + (f"<p>{source_html}</p>" if source_html else "")
        + f'<p><a href="{html.escape(back, quote=True)}">See this chart on its page, with its data table</a></p>'
        f"<h2>Downloads</h2><ul>{links}</ul><h2>Cite this chart</h2>{citation_html(citation)}"
        # Open, as this page is for the data; in a disclosure, as its rows name the files each figure was read from.
        + (f'<h2>The data behind the chart</h2><details open><summary>Every row, with where each figure was read'
           f'</summary><div class="jct-table-scroll" tabindex="0" role="region" '
           f'aria-label="Data for {html.escape(title, quote=True)}">{table_html}</div></details>' if table_html else "")
        + "</main></body></html>\n")
    atomic_write_text(CHARTS_DIR / chart_id / "index.html", page, durable=False)


def fmt_int(n) -> str:
    return f"{int(n):,}"


def fmt_date(d) -> str:
    ts = pd.Timestamp(d)
    return f"{ts.day} {ts.strftime('%B %Y')}"
