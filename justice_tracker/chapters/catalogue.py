"""Page: the data catalogue, generated from tracker.yml, the processed-table manifest, data/sources.lock and the
MoJ publication calendar. One row per source, one per release `update` watches, one per parser."""
from __future__ import annotations

import datetime as dt
import fnmatch
import html
import importlib
import json

import pandas as pd

from ..charts import fmt_date
from ..config import Source, TrackerConfig, load_config
from ..fetch.lock import SourcesLock
from ..parsers.registry import PARSER_MODULES
from ..paths import REPO_ROOT
from .common import HtmlBlock, html_table, load_table

DATE_COLUMNS = ("date", "report_date", "month", "bulletin_month", "quarter_start", "year", "current_publish_date")


def config() -> TrackerConfig:
    return load_config()


def _link(text: str, url: str) -> str:
    return f'<a href="{html.escape(url, quote=True)}">{html.escape(text)}</a>' if url else html.escape(text)


def parser_status(module_name: str) -> str:
    if not module_name:
        return "no parser"
    module = importlib.import_module(module_name)
    if getattr(module, "VERIFIED_AGAINST_PUBLISHED_FILE", False):
        return "checked on the real files"
    return "not yet verified against a published file"


def _manifest() -> dict:
    path = REPO_ROOT / "data" / "processed" / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"tables": {}}


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


def _calendar(config: TrackerConfig) -> pd.DataFrame:
    if "release_calendar" not in {t.id for t in config.tables}:
        return pd.DataFrame(columns=["series_id"])
    return load_table(config, "release_calendar").fillna("")


def next_release(calendar: pd.DataFrame, schedule_id: str, latest: str) -> str:
    """The announced next release, said plainly when the announcement is older than the data shown."""
    if not schedule_id:
        return "not in the MoJ publication calendar"
    row = calendar[calendar["series_id"] == schedule_id]
    if row.empty:
        return f"series {schedule_id!r} not in the saved calendar"
    r = row.iloc[0]
    recorded = fmt_date(r["recorded_on"])
    if not r["next_publish_date"]:
        text = f"no date announced (calendar saved {recorded})"
    else:
        text = f"{fmt_date(r['next_publish_date'][:10])} (announced; calendar saved {recorded})"
    if latest and r["recorded_on"] < latest[:10]:
        text += "; the saved calendar is older than the data: run `make update` to refresh it"
    return text


def _weekly_next(latest: str) -> str:
    nxt = dt.date.fromisoformat(latest[:10]) + dt.timedelta(days=7)
    return f"weekly; next bulletin expected {fmt_date(nxt.isoformat())} (7 days after the latest)"


def sources_table(config: TrackerConfig) -> HtmlBlock:
    manifest, calendar = _manifest(), _calendar(config)
    head = ["Source", "Latest data used", "Next release", "Parser"]
    rows = []
    for s in config.sources:
        files = _files_used(s, manifest)
        latest = _latest_data(config, s)
        nxt = next_release(calendar, s.schedule_id, latest)
        if s.id == "wfr-weekly" and latest:
            nxt = _weekly_next(latest) + "; " + nxt
        origin = ("A third party's parse of files published by " if s.third_party else "Statistics: ")
        files_text = html.escape(files[0]) if len(files) == 1 else f"{len(files)} files"
        cells = [
            f"<strong>{_link(s.title, s.url)}</strong><br>{html.escape(s.publisher)}, "
            f"{_link(s.licence, s.licence_url)}. {origin}{_link(s.original_publisher, s.original_url)}.<br>"
            f"Coverage: {html.escape(s.coverage)}. Raw: {files_text}.",
            html.escape(fmt_date(latest[:10]) if len(latest) >= 10 else latest) or "—",
            html.escape(nxt),
            f"{html.escape(parser_status(s.parser))} (<code>{html.escape(s.parser.rsplit('.', 1)[-1])}</code>)",
        ]
        rows.append(cells)
    return HtmlBlock(_table("Sources the book uses", head, rows))


def releases_table(config: TrackerConfig) -> HtmlBlock:
    lock = SourcesLock.load(REPO_ROOT / "data" / "sources.lock")
    calendar = _calendar(config)
    head = ["Release", "Files fetched", "Next release", "Parsers"]
    rows = []
    for r in config.releases:
        entries = [e for e in lock.entries.values() if e.path.startswith(f"{r.slug}/")]
        newest = max(entries, key=lambda e: (e.classification.reference_date or "", e.fetched_at), default=None)
        where = f"collection {r.collection}" if r.collection else "GOV.UK Search API (pages outside any collection)"
        newest_text = (f"{newest.attachment_title} (published {newest.publication.public_updated_at[:10]})"
                       if newest else "none fetched yet")
        parsers = "<br>".join(f"<code>{html.escape(p.rsplit('.', 1)[1])}</code>: {html.escape(parser_status(p))}"
                              for p in r.parsers) or "none"
        rows.append([f"<strong>{html.escape(r.id)}</strong>: {html.escape(r.description)}. Looks in: "
                     f"{html.escape(where)}.",
                     f"{len(entries)} in data/sources.lock; newest: {html.escape(newest_text)}",
                     html.escape(next_release(calendar, r.schedule_id, "")), parsers])
    return HtmlBlock(_table("MoJ releases the update command watches", head, rows))


def parsers_table() -> HtmlBlock:
    head = ["Parser", "Reads", "Status"]
    rows = []
    for name in PARSER_MODULES:
        module = importlib.import_module(name)
        doc = (module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else ""
        rows.append([f"<code>{html.escape(module.KIND)}</code>", html.escape(doc), html.escape(parser_status(name))])
    return HtmlBlock(_table("Parsers, one per kind of raw file", head, rows))


def _table(caption: str, head: list[str], rows: list[list[str]]) -> str:
    return html_table(caption, head, rows, "jct-catalogue")
