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

from markupsafe import Markup

from .paths import CHART_CACHE_DIR, REPO_ROOT, VENDOR_DIR
from .templates import render

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
    """The PNG download, at twice the SVG's size (the export SVG is at least 600 wide, so the PNG is at least 1,200
    pixels), from the SVG itself: the same pixels as drawing the spec again, at a fifth of the cost."""
    return _cached_render("png", svg.encode("utf-8"), lambda: vlc.svg_to_png(svg, scale=2))


@dataclass
class ChartBlock:
    """What a notebook cell displays for one chart."""

    html: str

    def _repr_html_(self) -> str:
        return self.html


def _script_json(obj) -> Markup:
    """JSON to sit inside a <script type="application/json"> element: "</script>" or "<!--" in the data would end
    the element or start a comment, so every <, > and & is written as a JSON escape (still the same JSON)."""
    text = json.dumps(obj, separators=(",", ":"), sort_keys=True)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def data_table_html(table: pd.DataFrame, caption: str, formats: dict[str, str] | None = None) -> Markup:
    formats = formats or {}

    def texts(col) -> list[str]:
        fmt = formats.get(col)
        return ["—" if pd.isna(v) else fmt.format(v) if fmt else str(v) for v in table[col].astype(object).tolist()]

    columns = [texts(col) for col in table.columns]  # column by column: a page has thousands of cells
    return Markup(render("data_table.html", caption=caption, columns=[str(c) for c in table.columns],
                         rows=list(zip(*columns))))


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


# A y-axis cut above zero makes a small change look large: where a chart does so (to show a change that a zero
# baseline would flatten), its axis title and the page say it.
AXIS_NOTE = "The vertical axis does not start at zero, so differences look larger than they are."
AXIS_TITLE_SUFFIX = " (axis not from zero)"


def _y_values(spec: dict, field: str) -> list[float]:
    values = []
    for rows in (spec.get("datasets") or {}).values():
        for row in rows:
            v = row.get(field) if isinstance(row, dict) else None
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                values.append(v)
    return values


def mark_cut_axes(spec: dict) -> bool:
    """Find every quantitative y-axis told not to start at zero (scale zero false, or a domain above zero) whose
    data are all above zero, and add the note to its title. True if there was one."""
    found = False

    def cut(y: dict) -> bool:
        scale = y.get("scale") or {}
        domain = scale.get("domain")
        told = scale.get("zero") is False or (
            isinstance(domain, list) and len(domain) == 2 and all(isinstance(d, (int, float)) for d in domain)
            and min(domain) > 0)
        if not told or y.get("type") != "quantitative":
            return False
        values = _y_values(spec, y.get("field", ""))
        return bool(values) and min(values) > 0

    def walk(node) -> None:
        nonlocal found
        if isinstance(node, dict):
            y = (node.get("encoding") or {}).get("y")
            if isinstance(y, dict) and cut(y):
                found = True
                title = y.get("title")
                if isinstance(title, str) and not title.endswith(AXIS_TITLE_SUFFIX):
                    y["title"] = title + AXIS_TITLE_SUFFIX
            for key, value in node.items():
                if key not in ("datasets", "data", "encoding"):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(spec)
    return found


def subtitle_from(alt_text: str) -> str:
    """The chart's subtitle in its exports: the first sentence of its alt text, which says what is drawn, over
    what period ("Line chart of the weekly prison population ..., 7 January 2011 to 7 September 2026.")."""
    first = re.split(r"(?<=[a-z0-9)%])\. (?=[A-Z0-9])", alt_text.strip(), maxsplit=1)[0].rstrip(".")
    first = re.sub(r"^(Line|Bar|Area|Scatter|Dot)( chart| plot)?( with points)? of (the )?", "", first)
    return (first[:1].upper() + first[1:] + ".") if first else ""


# The downloadable images: landscape, the chart drawn at a fixed width with the title and subtitle above it and the
# source, edition and permalink below it, so a copy pasted into a briefing still says what and whose it is.
EXPORT_PLOT_WIDTH = 720
EXPORT_MIN_PNG_WIDTH = 1200
_PAD = 20
_CHAR_EM = 0.5  # a sans-serif character's average width, in ems: for wrapping lines in the SVG


def _wrap(text: str, size: float, width: float) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width=max(20, int(width / (size * _CHAR_EM)))) if text else []


def _svg_size(svg: str) -> tuple[float, float]:
    root = re.search(r"<svg\b[^>]*>", svg)
    w = re.search(r'\bwidth="([\d.]+)"', root.group(0)) if root else None
    h = re.search(r'\bheight="([\d.]+)"', root.group(0)) if root else None
    if not (w and h):
        raise ValueError("the chart's SVG has no width and height")
    return float(w.group(1)), float(h.group(1))


def export_svg(spec: dict, title: str, subtitle: str, footer: list[str]) -> str:
    chart_spec = dict(spec, width=EXPORT_PLOT_WIDTH)
    chart = render_svg(chart_spec)
    cw, ch = _svg_size(chart)
    width = max(cw + 2 * _PAD, EXPORT_MIN_PNG_WIDTH / 2)
    texts, y = [], _PAD
    for lines, size, bold, colour, gap in ((_wrap(title, 20, width - 2 * _PAD), 20, True, "#111111", 6),
                                           (_wrap(subtitle, 14, width - 2 * _PAD), 14, False, "#444444", 4)):
        for line in lines:
            y += size
            texts.append({"x": _PAD, "y": y, "size": size, "bold": bold, "colour": colour, "text": line})
            y += gap
    chart_top = y + 8
    nested = re.sub(r"^<svg\b", f'<svg x="{(width - cw) / 2:g}" y="{chart_top:g}"', chart.lstrip(), count=1)
    y = chart_top + ch + 8
    for line in (w for text in footer for w in _wrap(text, 12, width - 2 * _PAD)):
        y += 12
        texts.append({"x": _PAD, "y": y, "size": 12, "bold": False, "colour": "#444444", "text": line})
        y += 4
    height = y + _PAD
    return render("export.svg", width=f"{width:g}", height=f"{height:g}", title=title, texts=texts,
                  chart=Markup(nested))


def edition_line() -> str:
    ed = os.environ.get("JCT_EDITION", "")
    if not ed:
        return "working draft (not a published edition)"
    published = os.environ.get("JCT_EDITION_DATE", "")
    return f"edition {ed}, published {fmt_date(published)}" if published else f"edition {ed}"


def share_url(chart_id: str) -> str:
    """The chart's own page: absolute when the site's address is known, else relative to the page being built."""
    from .config import load_config

    base = load_config().site.base_url.rstrip("/")
    if not base:
        return chart_files_prefix(chart_id)
    ed = os.environ.get("JCT_EDITION", "")
    return f"{base}/{'editions/' + ed + '/' if ed else ''}charts/{chart_id}/"


def rows_text(shown: int, total: int) -> str:
    return f"{total:,} rows" if shown == total else f"the latest {shown:,} of {total:,} rows"


def render_chart(chart: alt.TopLevelMixin, *, chart_id: str, title: str, alt_text: str, table: pd.DataFrame,
                 table_formats: dict[str, str] | None = None, source_html: str = "", subtitle: str = "",
                 tables: list[str] | None = None) -> ChartBlock:
    """One chart as HTML: interactive view, static SVG fallback, visible summary, data table, source line, and the
    files a reader takes away (images with their title, source and address inside, the data, the citation).
    `tables`: the processed tables (tracker.yml ids) the chart draws from; its own page links to each one's entry
    on the Data page."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", chart_id):
        raise ValueError(f"chart id {chart_id!r} must be lower-case words joined by hyphens")
    # Not validated here (a third of the chart's cost): tests/test_chart_downloads.py validates every spec the
    # build writes against the Vega-Lite schema Altair carries.
    spec = with_reader_axes(chart.properties(description=alt_text).to_dict(validate=False))
    axis_note = AXIS_NOTE if mark_cut_axes(spec) else ""
    csv_table = table
    table = latest_first(table, chart_id)
    shown = table.head(MAX_TABLE_ROWS)
    caption = f"Data for the chart: {title}"
    if len(shown) < len(table):
        caption += f" (the latest {len(shown):,} of {len(table):,} rows; every row is on the chart's own page and in the CSV)"
    citation = chart_citation(chart_id, title, source_html)
    source_text = plain_text(source_html)
    svg = export_svg(spec, title, subtitle or subtitle_from(alt_text),
                     [t for t in (source_text, axis_note, f"{PUBLISHER}, {edition_line()}.", citation["url"]) if t])
    files = write_chart_files(chart_id, spec, svg, csv_table, citation)
    url = share_url(chart_id)
    embed_code = render("embed.html", src=url, title=title, height=EMBED_HEIGHT).strip()
    context = dict(id=chart_id, title=title, alt=alt_text, axis_note=axis_note, files=files,
                   downloads=DOWNLOAD_LABELS, citation=citation, share_url=url, embed_code=embed_code,
                   source_html=Markup(source_html), tables=processed_table_links(tables or []))
    write_chart_page(chart_id, context, data_table_html(table, f"Data for the chart: {title}", table_formats))
    html_text = render("chart_block.html", prefix=chart_files_prefix(chart_id), spec_json=_script_json(spec),
                       site_root="../" * page_path().count("/") + ("../../" if os.environ.get("JCT_EDITION") else ""),
                       rows_text=rows_text(len(shown), len(table)), truncated=len(shown) < len(table),
                       total_rows=len(table), table_html=data_table_html(shown, caption, table_formats), **context)
    return ChartBlock(html_text)


EMBED_HEIGHT = 720
DATA_PAGE_TEMPLATE = "notebooks/data_catalogue.ipynb"  # the page listing every processed table (the Data page)


def processed_table_links(table_ids: list[str]) -> list[dict]:
    """[{"id", "description", "href"}]: from a chart's own page (<site>/charts/<id>/) to each table's entry on the
    Data page. An id tracker.yml does not know is an error, so a renamed table cannot leave a dead link."""
    from .config import load_config

    if not table_ids:
        return []
    config = load_config()
    # The Data page is a chapter, not one of the pages a table generates (expanding those read prisons.csv and
    # checked 156 page paths for every chart drawn).
    page = next((e.file for e in config.notebook_pages() if e.notebook.template == DATA_PAGE_TEMPLATE), None)
    if page is None:
        raise ValueError(f"no page in tracker.yml is made from {DATA_PAGE_TEMPLATE}: nowhere to link tables to")
    return [{"id": t, "description": config.table(t).description, "href": f"../../{page}.html#data-{t}"}
            for t in table_ids]


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


def png_size(png: bytes) -> tuple[int, int]:
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def share_tags(title: str, description: str, image: str, image_alt: str, url: str,
               image_size: tuple[int, int] | None = None) -> list[tuple[str, str]]:
    """Open Graph and Twitter card tags: a link to the chart pasted into a post or a chat shows its picture."""
    tags = [("og:type", "article"), ("og:site_name", PUBLISHER), ("og:title", title),
            ("og:description", description), ("og:image", image), ("og:image:alt", image_alt)]
    if image_size:
        tags += [("og:image:width", str(image_size[0])), ("og:image:height", str(image_size[1]))]
    if url:
        tags.append(("og:url", url))
    return tags + [("twitter:card", "summary_large_image"), ("twitter:title", title),
                   ("twitter:description", description), ("twitter:image", image),
                   ("twitter:image:alt", image_alt)]


def write_chart_page(chart_id: str, context: dict, table_html: str = "") -> None:
    """<site>/charts/<chart-id>/index.html: the chart's permalink in its edition, with its downloads and citation,
    so a briefing can link to one chart and find everything it needs to reuse it."""
    from .files import atomic_write_text

    files = context["files"]
    url = context["share_url"]
    absolute = url.startswith(("https://", "http://"))
    image = (url + files["png"]) if absolute else files["png"]
    size = png_size((CHARTS_DIR / chart_id / files["png"]).read_bytes())
    tags = share_tags(context["title"], context["alt"], image, context["alt"], url if absolute else "", size)
    embed = context["embed_code"] if absolute else render("embed.html", src="./", title=context["title"],
                                                          height=EMBED_HEIGHT).strip()
    page = render("chart_page.html", publisher=PUBLISHER, edition_line=edition_line(), share_tags=tags,
                  canonical=url if absolute else "", back=f"../../{page_path()}.html#chart-{chart_id}",
                  static_root="../../", table_html=table_html, **dict(context, embed_code=embed))
    from .csp import with_policy

    atomic_write_text(CHARTS_DIR / chart_id / "index.html", with_policy(page), durable=False)


def fmt_int(n) -> str:
    return f"{int(n):,}"


def fmt_date(d) -> str:
    ts = pd.Timestamp(d)
    return f"{ts.day} {ts.strftime('%B %Y')}"
