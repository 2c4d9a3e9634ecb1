"""Page: the data catalogue, generated from tracker.yml, the processed-table manifest, data/sources.lock and the
MoJ publication calendar. One row per source, one per release `update` watches, one per parser."""
from __future__ import annotations

import fnmatch
import importlib


from ..charts import fmt_date
from ..config import Source, TrackerConfig, load_config
from ..fetch.lock import SourcesLock
from ..parsers.registry import PARSER_MODULES
from ..paths import REPO_ROOT
from ..release_dates import calendar as release_calendar
from ..release_dates import next_release, weekly_next
from ..tables import load_table, read_manifest
from ..templates import render
from .common import HtmlBlock, html_table

DATE_COLUMNS = ("date", "report_date", "month", "bulletin_month", "quarter_start", "year", "current_publish_date")


def config() -> TrackerConfig:
    return load_config()


def parser_status(module_name: str) -> str:
    if not module_name:
        return "no parser"
    module = importlib.import_module(module_name)
    if getattr(module, "VERIFIED_AGAINST_PUBLISHED_FILE", False):
        return "checked on the real files"
    return "not yet verified against a published file"


def _manifest() -> dict:
    return read_manifest(load_config())


def _files_used(source: Source, manifest: dict) -> list[str]:
    used = set()
    for table in manifest["tables"].values():
        for f in table["raw_files"]:
            slug, _, name = f["file"].partition("/")
            if slug == source.slug and any(fnmatch.fnmatch(name, p) for p in source.files):
                used.add(f["file"])
    return sorted(used)


def _latest_data(config: TrackerConfig, source: Source) -> str:
    latest = ""
    for table in config.tables:
        if source.id not in table.sources or not config.processed_path(table.id).exists():
            continue
        frame = load_table(config, table.id)
        if "source_id" in frame.columns:
            frame = frame[frame["source_id"] == source.id]
        for col in DATE_COLUMNS:
            if col in frame.columns:
                values = frame[col].dropna().astype(str)
                values = values[values != ""]
                if len(values):
                    latest = max(latest, values.max())
                break
    return latest


def sources_table(config: TrackerConfig) -> HtmlBlock:
    manifest, calendar = _manifest(), release_calendar(config)
    head = ["Source", "Latest data used", "Next release", "Parser"]
    rows = []
    for s in config.sources:
        files = _files_used(s, manifest)
        latest = _latest_data(config, s)
        nxt = next_release(calendar, s.schedule_id, latest)
        if s.id == "wfr-weekly" and latest:
            nxt = weekly_next(latest) + "; " + nxt
        rows.append({"source": s, "files": files[0] if len(files) == 1 else f"{len(files)} files",
                     "latest": (fmt_date(latest[:10]) if len(latest) >= 10 else latest) or "—", "next": nxt,
                     "parsers": [_parser(p) for p in (s.parsers or [s.parser])]})
    return HtmlBlock(_table("Sources the book uses", head, rows, "catalogue_sources.html"))


def _parser(module_name: str) -> dict:
    return {"name": module_name.rsplit(".", 1)[-1], "status": parser_status(module_name)}


def _period_text(value: str) -> str:
    return fmt_date(value[:10]) if len(value) >= 10 else value


def _span(c: dict) -> str:
    first, last = _period_text(str(c["first"])), _period_text(str(c["last"]))
    span = first if first == last else f"{first} to {last}"
    return f"{span} ({c['periods']:,} period{'s' * (c['periods'] != 1)}, {c['rows']:,} rows)"


def tables_table(config: TrackerConfig) -> HtmlBlock:
    """Per processed table: its latest period and the file that period came from, and which periods come from
    official files parsed here and which from a third party's parse."""
    manifest = _manifest()["tables"]
    head = ["Table", "Latest period, and the file it came from", "From official files parsed here",
            "From a third party's parse", "Sources disagree"]
    rows = []
    for table in config.tables:
        entry = manifest.get(table.id)
        if entry is None:
            continue
        frame = load_table(config, table.id)
        column = table.period_column()
        latest, files = "", []
        if column and column in frame.columns and "source_file" in frame.columns:
            periods = frame[column].dropna().astype(str)
            periods = periods[periods != ""]
            if len(periods):
                latest = periods.max()
                files = sorted(frame.loc[frame[column].astype(str) == latest, "source_file"].unique())
        coverage = entry.get("coverage", [])
        no_official = ("none yet: no official file here covers it"
                       if any(config.source(s).official for s in table.sources) else "not read from official files")
        rows.append({"id": table.id, "description": table.description,
                     "latest": _period_text(latest) if latest else "", "files": files,
                     "official": [_span(c) for c in coverage if c["official"]], "no_official": no_official,
                     "third": [{"publisher": c["publisher"], "span": _span(c)} for c in coverage if not c["official"]],
                     "disagreements": f"{entry.get('disagreements', 0):,}"})
    return HtmlBlock(_table("Processed tables: where each period comes from", head, rows,
                            "catalogue_tables.html"))


def releases_table(config: TrackerConfig) -> HtmlBlock:
    lock = SourcesLock.load(REPO_ROOT / "data" / "sources.lock")
    calendar = release_calendar(config)
    head = ["Release", "Files fetched", "Next release", "Parsers"]
    rows = []
    for r in config.releases:
        entries = [e for e in lock.entries.values() if e.path.startswith(f"{r.slug}/")]
        newest = max(entries, key=lambda e: (e.classification.reference_date or "", e.fetched_at), default=None)
        where = f"collection {r.collection}" if r.collection else "GOV.UK Search API (pages outside any collection)"
        newest_text = (f"{newest.attachment_title} (published {newest.publication.public_updated_at[:10]})"
                       if newest else "none fetched yet")
        rows.append({"id": r.id, "description": r.description, "where": where, "fetched": len(entries),
                     "newest": newest_text, "next": next_release(calendar, r.schedule_id, ""),
                     "parsers": [_parser(p) for p in r.parsers]})
    return HtmlBlock(_table("MoJ releases the update command watches", head, rows, "catalogue_releases.html"))


def parsers_table() -> HtmlBlock:
    head = ["Parser", "Reads", "Status"]
    rows = []
    for name in PARSER_MODULES:
        module = importlib.import_module(name)
        doc = (module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else ""
        rows.append({"kind": module.KIND, "reads": doc, "status": parser_status(name)})
    return HtmlBlock(_table("Parsers, one per kind of raw file", head, rows, "catalogue_parsers.html"))


def _coverage_text(value: str) -> str:
    """A period for readers: 7 September 2026, July 2026, 2026Q1 and 2026 as printed."""
    if len(value) == 7 and value[4] == "-":
        return fmt_date(value + "-01").split(" ", 1)[1]
    return _period_text(value)


def data_downloads(config: TrackerConfig) -> HtmlBlock:
    """The Data section: every processed table with its description, coverage, rows and licence, and links to its
    CSV and to the package's datapackage.json (relative links into the site's data/ folder, which the build
    writes), with examples of reading them in pandas and R. Each row's id is the anchor a chart's page links to."""
    from ..charts import page_path
    from ..datapackage import DESCRIPTOR, LICENCE_IDS, LICENCE_TITLES, SITE_DATA_DIR, TABLES_FOLDER, licences
    from ..datapackage import table_sources
    from ..revisions import period_range

    to_data = "../" * page_path().count("/") + f"{SITE_DATA_DIR}/"
    manifest = _manifest()["tables"]
    rows = []
    for table in config.tables:
        path = config.processed_path(table.id)
        if not path.exists():
            continue
        span = period_range(table, path)
        count = manifest.get(table.id, {}).get("rows", 0)
        seen = {}
        for sid in table_sources(config, table.id):
            for lic in licences(config.source(sid)):
                name = LICENCE_TITLES.get(lic.get("name", ""), lic["title"])
                seen.setdefault(name, lic["path"])
        rows.append({"id": table.id, "resource": table.id.replace("_", "-"), "description": table.description,
                     "first": _coverage_text(span[0]) if span else "", "last": _coverage_text(span[1]) if span else "",
                     "rows": f"{count:,}", "licences": [{"title": t, "url": u} for t, u in seen.items()],
                     "csv": f"{to_data}{TABLES_FOLDER}/{path.name}"})
    base = config.site.base_url.rstrip("/")
    address = f"{base}/latest/{SITE_DATA_DIR}/" if base else f"<site>/latest/{SITE_DATA_DIR}/"
    example = rows[0] if rows else None
    return HtmlBlock(render("catalogue_data.html", rows=rows, descriptor=f"{to_data}{DESCRIPTOR}",
                            address=address, example=example, folder=TABLES_FOLDER, descriptor_name=DESCRIPTOR,
                            licence_ids=sorted(LICENCE_IDS.values())))


def _table(caption: str, head: list[str], rows: list[dict], template: str) -> str:
    return html_table(caption, head, rows, "jct-catalogue", template)
