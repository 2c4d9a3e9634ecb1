"""Fault injection: one table of faults across fetch, parse, ingest, config, build and editions, each run through
the entry point a maintainer uses and each held to the same rules:

1. a clear error that names what is wrong: the file (and sheet and cell or line), or the URL, or the page and
   cell, or the step;
2. a non-zero exit code (1, 2 for a config error, 130 for an interrupt), and no traceback;
3. data/raw, data/processed, data/sources.lock, every edition (editions/ and _build/site/editions/) and the
   published _build/html byte-for-byte as they were (sha256 of every file, before and after).

Every case runs against its own throwaway copy of the repository (tracker.yml's raw_dirs cut to the copy's own
data/raw, which holds copies of the sample files a case needs), with a frozen edition, a built edition and a
published site faked in. The CLI runs in a subprocess with PYTHONPATH=<copy>, so REPO_ROOT is the copy. Fetch
runs in-process through run_update (what `update` calls: `update` itself cannot take the no-op sleep its
retries need, nor a short read timeout) against a local HTTP server that really answers 404/500/503, resets the
connection, hangs, and sends fewer bytes than its Content-Length; one fetch case runs the real `update` CLI.

Strings from data files are escaped in every page they reach: see tests/test_prison_pages.py
(test_names_from_data_are_escaped_everywhere, test_index_escapes_names: a prison named
"<script>alert(1)</script> & Co" in every block of the prison page and the prisons index) and
tests/test_population_chapter.py::test_tile_shows_values_changes_and_escapes_titles. The one way in they leave
out, the name in the page's markdown heading, is tested at the end of this file.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import http.server
import io
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

import nbformat
import openpyxl
import pytest
import requests
import yaml

from justice_tracker.config import load_config
from justice_tracker.fetch.runner import run_update
from justice_tracker.notebooks import fill_markdown
from justice_tracker.paths import REPO_ROOT
from support.synthetic import (WeeklyBulletin, synthetic_establishments, synthetic_weekly_series,
                               write_monthly_bulletin, write_weekly_bulletin)
from support.synthetic.omsq import recall_quarters_from_totals, synthetic_recall_totals, write_recalls_workbook

pytestmark = pytest.mark.timeout(300)

SHARED_RAW = (REPO_ROOT.parent / "shared" / "data" / "raw").resolve()
PROTECTED = ["data/raw", "data/processed", "data/sources.lock", "editions", "_build/site/editions", "_build/html"]
EDITION = "2026-06"
TRACEBACK = "Traceback (most recent call last)"

# --- The copy -------------------------------------------------------------------------------------------------

# What `git ls-files -co --exclude-standard` would give (tests/test_editions.py), without running git: sources and
# committed data, none of the build output, downloads or executed notebooks (.gitignore).
COPIED_DIRS = ["justice_tracker", "notebooks", "book", "data/processed", "data/curated", "data/reference", "_static",
               "_extra"]
COPIED_FILES = ["tracker.yml", "_config.yml", "_toc.yml", "pyproject.toml", "data/sources.lock", "data/raw/README.md"]
IGNORED = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "vendor", "charts", "changes.json")


def copy_repo(dest: Path) -> None:
    for rel in COPIED_DIRS:
        ignore = IGNORED if rel != "notebooks" else shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
        if rel == "book":  # executed notebooks are build output
            ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.ipynb")
        shutil.copytree(REPO_ROOT / rel, dest / rel, ignore=ignore)
    for rel in COPIED_FILES:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / rel, dest / rel)


def edit_config(repo: Path, change: Callable[[dict], None]) -> None:
    path = repo / "tracker.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def snapshot(repo: Path) -> dict[str, str]:
    """sha256 of every protected file, a marker for every folder (hidden files included: a stray .part counts)."""
    state = {}
    for rel in PROTECTED:
        root = repo / rel
        if root.is_file():
            state[rel] = hashlib.sha256(root.read_bytes()).hexdigest()
        elif root.is_dir():
            state[rel] = "<dir>"
            for path in sorted(root.rglob("*")):
                key = path.relative_to(repo).as_posix()
                state[key] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "<dir>"
    return state


def fake_published_state(repo: Path) -> None:
    """A frozen edition, the same edition built, and a published working draft: what a fault must not touch."""
    frozen = repo / "editions" / EDITION
    (frozen / "data" / "processed").mkdir(parents=True)
    shutil.copy2(repo / "data/processed/recalls_quarterly.csv", frozen / "data/processed/recalls_quarterly.csv")
    (frozen / "edition.json").write_text(json.dumps({
        "id": EDITION, "date": "2026-06-30", "title": f"Edition {EDITION}", "previous": None, "code_commit": "",
        "code_dirty": True, "methods": {}, "tables": {}, "sources_lock": {}}, indent=1) + "\n")
    (frozen / "manifest.json").write_text('{"files": {"index.html": "0"}}\n')
    built = repo / "_build" / "site" / "editions" / EDITION
    built.mkdir(parents=True)
    (built / "index.html").write_text(f"<html><body>Edition {EDITION}</body></html>\n")
    (built / "manifest.json").write_text('{"files": {}}\n')
    site = repo / "_build" / "html"
    (site / "_static").mkdir(parents=True)
    (site / "index.html").write_text("<html><body>The published site, as it was</body></html>\n")
    (site / "_static" / "old-site.css").write_text("body { color: black }\n")


# --- A local GOV.UK -------------------------------------------------------------------------------------------

COLLECTION = "/government/collections/prison-population-statistics"
PAGE = "/government/publications/prison-population-weekly-estate-figures-2025"
PAGE_TITLE = "Prison population: weekly estate figures 2025"
RELEASE = "prison-population-weekly"
ODS_TYPE = "application/vnd.oasis.opendocument.spreadsheet"


@dataclass
class Answer:
    """What the server does for one path: answer normally, `reset` the connection (RST), `hang` for `delay`
    seconds, or `truncate`: promise `len(body) + short` bytes in Content-Length and send only the body."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    mode: str = "normal"
    delay: float = 0.0
    short: int = 0


class _Handler(http.server.BaseHTTPRequestHandler):
    def __init__(self, *args, web: "LocalWeb", **kwargs):
        self.web = web
        super().__init__(*args, **kwargs)

    def do_GET(self):  # noqa: N802 (http.server's naming)
        path = urlsplit(self.path).path.replace("//", "/")
        self.web.calls[path] += 1
        answer = self.web.routes.get(path) or Answer(404, b'{"error": "not found"}')
        if answer.mode == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()  # with SO_LINGER 0: a TCP reset, "Connection reset by peer"
            self.wfile, self.close_connection = io.BytesIO(), True
            return
        if answer.mode == "hang":
            time.sleep(answer.delay)
        try:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body) + answer.short))
            self.end_headers()
            self.wfile.write(answer.body)
        except OSError:  # the client gave up (a timeout case)
            pass
        self.close_connection = True

    def log_message(self, *args):
        pass


class LocalWeb:
    def __init__(self):
        self.routes: dict[str, Answer] = {}
        self.calls: Counter = Counter()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, web=self))
        self.server.daemon_threads = True
        self.server.handle_error = lambda *args: None  # a reset or abandoned connection is the point, not noise
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def json(self, path: str, payload) -> None:
        self.routes[path] = Answer(200, json.dumps(payload).encode(), {"Content-Type": "application/json"})

    def publish(self, attachments: list[dict]) -> None:
        """The collection lists one yearly page; the page lists these attachments."""
        self.routes.clear()
        self.calls.clear()
        self.json(f"/api/content{COLLECTION}", {
            "base_path": COLLECTION, "title": "Prison population statistics", "document_type": "document_collection",
            "links": {"documents": [{"base_path": PAGE, "title": PAGE_TITLE,
                                     "public_updated_at": "2025-01-20T11:00:00Z"}]}})
        self.json(f"/api/content{PAGE}", {
            "base_path": PAGE, "title": PAGE_TITLE, "public_updated_at": "2025-01-20T11:00:00Z",
            "details": {"attachments": attachments}})


def attachment(title: str, filename: str, size: int, content_type: str = ODS_TYPE) -> dict:
    media = hashlib.sha1(f"{title}{filename}".encode()).hexdigest()[:24]
    return {"attachment_type": "file", "content_type": content_type, "file_size": size, "filename": filename,
            "title": title, "url": f"/media/{media}/{filename}"}


@functools.lru_cache(maxsize=None)
def bulletin_bytes(day: str, suffix: str = ".ods") -> bytes:
    """A synthetic weekly bulletin (layout B) as its file's bytes."""
    bulletin = synthetic_weekly_series("B", 3)[-1]
    bulletin = WeeklyBulletin(dt.date.fromisoformat(day), "B", bulletin.values)
    with tempfile.TemporaryDirectory(prefix="jct-faults-") as tmp:
        return write_weekly_bulletin(Path(tmp) / f"bulletin{suffix}", bulletin).read_bytes()


GOOD_BODY = bulletin_bytes("2025-01-06")
BAD_BODY = bulletin_bytes("2025-01-13")
# A legacy .xls (OLE) weekly bulletin, committed: the writers no longer write .xls (tests/fixtures/README.md).
XLS_BODY = (Path(__file__).parent / "fixtures" / "weekly-a1-sample.xls").read_bytes()
GOOD = attachment("Population bulletin: weekly 6 January 2025", "prison-pop-6-jan-2025.ods", len(GOOD_BODY))
BAD = attachment("Population bulletin: weekly 13 January 2025", "prison-pop-13-jan-2025.ods", len(BAD_BODY))
HTML_PAGE = b"<!DOCTYPE html><html><body><h1>Sorry, we're experiencing technical difficulties</h1></body></html>"


class QuickTimeouts(requests.Session):
    """Read timeouts of 0.3 s instead of 60 s, so four attempts against a hung server take a second."""

    def request(self, method, url, **kwargs):
        kwargs["timeout"] = (5.0, 0.3)
        return super().request(method, url, **kwargs)


# --- Running a case -------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    code: int
    message: str


@dataclass
class Ctx:
    repo: Path
    web: LocalWeb
    vars: dict[str, str] = field(default_factory=dict)
    waits: list[float] = field(default_factory=list)


def subprocess_env(repo: Path, web: LocalWeb, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(repo), "JCT_JOBS": "1",
           # Nothing a case runs may reach the real GOV.UK or data.justice.gov.uk.
           "JCT_GOVUK_API_BASE": web.url, "JCT_JUSTICE_DATA_API_BASE": web.url, **extra}
    for name in ("JCT_EDITION", "JCT_EDITION_DATE", "JCT_PREVIOUS_EDITION"):
        env.pop(name, None)
    return env


def run_cli(ctx: Ctx, *args: str, timeout: float = 240) -> Outcome:
    proc = subprocess.run([sys.executable, "-m", "justice_tracker", *args], cwd=ctx.repo,
                          env=subprocess_env(ctx.repo, ctx.web), capture_output=True, text=True, timeout=timeout)
    return Outcome(proc.returncode, proc.stdout + proc.stderr)


def cli(*args: str) -> Callable[[Ctx], Outcome]:
    return lambda ctx: run_cli(ctx, *[a.format_map(ctx.vars) for a in args])


def fetch(ctx: Ctx, session: requests.Session | None = None) -> Outcome:
    """`update --only prison-population-weekly` in-process: run_update as update_from_args calls it, with the
    copy's data/raw and lock, no rate limit, and the backoff waits recorded instead of slept."""
    summary = run_update(load_config(ctx.repo / "tracker.yml"), api_base=ctx.web.url, only=[RELEASE],
                         raw_root=ctx.repo / "data" / "raw", lock_path=ctx.repo / "data" / "sources.lock",
                         progress=False, min_interval=0, sleep=ctx.waits.append, session=session)
    return Outcome(summary.exit_code, summary.report())


@dataclass(frozen=True)
class Case:
    id: str
    run: Callable[[Ctx], Outcome]
    expect: str  # a regex the message must contain
    names: tuple[str, ...] = ()  # literal texts the message must contain, formatted with ctx.vars
    code: int = 1
    setup: Callable[[Ctx], None] | None = None
    then: Callable[[Ctx], None] | None = None  # more checks after the common ones
    needs_shared: bool = False

    def __str__(self) -> str:
        return self.id


# --- Fetch cases ----------------------------------------------------------------------------------------------

def fetch_case(id: str, answer: Answer | None, expect: str, *, attempts: int, waits: list[float] = (),
               bad: dict | None = None, session: type[requests.Session] | None = None) -> Case:
    bad = bad or BAD

    def setup(ctx: Ctx) -> None:
        ctx.web.publish([GOOD, bad])
        if answer is not None:
            ctx.web.routes[bad["url"]] = answer
        ctx.vars.update(url=ctx.web.url + bad["url"], title=bad["title"])

    def then(ctx: Ctx) -> None:
        assert ctx.web.calls[bad["url"]] == attempts, f"requests for {bad['url']}"
        assert ctx.waits == list(waits), "backoff between attempts"
        assert ctx.web.calls[GOOD["url"]] == 0, "a locked file is not downloaded again"

    return Case(id, lambda ctx: fetch(ctx, session() if session else None), expect,
                names=("FAILED   [prison-population-weekly] '{title}' {url}: ",), setup=setup, then=then)


def _malformed_page(ctx: Ctx) -> None:
    ctx.web.publish([GOOD, BAD])
    ctx.web.routes[f"/api/content{PAGE}"] = Answer(200, b'{"base_path": "/government/publications/prison-pop',
                                                   {"Content-Type": "application/json"})
    ctx.vars["url"] = f"{ctx.web.url}/api/content{PAGE}"


def _cli_update_404(ctx: Ctx) -> None:
    ctx.web.publish([GOOD, BAD])
    ctx.web.routes[BAD["url"]] = Answer(404, b"Not Found")
    ctx.vars.update(url=ctx.web.url + BAD["url"], title=BAD["title"])


FETCH_CASES = [
    fetch_case("fetch-http-404", Answer(404, b"Not Found"), r": HTTP 404 Not Found$", attempts=1),
    fetch_case("fetch-http-500", Answer(500, b"oops"), r": HTTP 500 Internal Server Error; gave up after 4 attempts",
               attempts=4, waits=[1.0, 2.0, 4.0]),
    fetch_case("fetch-http-503-retry-exhausted", Answer(503, b"busy", {"Retry-After": "7"}),
               r": HTTP 503 Service Unavailable; gave up after 4 attempts", attempts=4, waits=[7.0, 7.0, 7.0]),
    fetch_case("fetch-timeout", Answer(200, BAD_BODY, mode="hang", delay=1.5),
               r": timed out .*gave up after 4 attempts", attempts=4, waits=[1.0, 2.0, 4.0], session=QuickTimeouts),
    fetch_case("fetch-connection-reset", Answer(mode="reset"),
               r": connection failed .*(reset|aborted).*gave up after 4 attempts", attempts=4, waits=[1.0, 2.0, 4.0]),
    fetch_case("fetch-truncated-content-length", Answer(200, BAD_BODY[:-700], short=700),
               r": connection dropped while reading the body .*gave up after 4 attempts", attempts=4,
               waits=[1.0, 2.0, 4.0]),
    fetch_case("fetch-size-differs-from-api", Answer(200, BAD_BODY[:-300]),
               rf": got {len(BAD_BODY) - 300:,} bytes, the publisher lists {len(BAD_BODY):,} for "
               r"prison-pop-13-jan-2025\.ods", attempts=1),
    fetch_case("fetch-html-error-page-as-ods", Answer(200, HTML_PAGE, {"Content-Type": "text/html"}),
               r": an HTML page was served instead of prison-pop-13-jan-2025\.ods", attempts=1,
               bad={**BAD, "file_size": len(HTML_PAGE)}),
    fetch_case("fetch-empty-file", Answer(200, b""), r": empty body \(expected [\d,]+ bytes of prison-pop-13-jan",
               attempts=1),
    fetch_case("fetch-xls-bytes-for-ods", Answer(200, XLS_BODY),
               r": prison-pop-13-jan-2025\.ods should be application/vnd\.oasis\.opendocument\.spreadsheet, but "
               r"its bytes look like 'ole'", attempts=1,
               bad={**BAD, "file_size": len(XLS_BODY)}),
    fetch_case("fetch-unknown-attachment-title", Answer(200, BAD_BODY),
               rf": unknown attachment title format on {PAGE} \('{PAGE_TITLE}'\); add a rule", attempts=0,
               bad={**BAD, "title": "Prison population: estate notes, January 2025"}),
    Case("fetch-malformed-json", fetch, r"response is not valid JSON .*first bytes: b'\{\"base_path\"",
         names=("FAILED   [prison-population-weekly] '" + PAGE + "' {url}: ",), setup=_malformed_page),
    # The real `update` command, in a subprocess, against the same server (the calendar answers 404 too).
    Case("fetch-cli-update-http-404", cli("update", "--no-progress", "--only", RELEASE),
         r"update: 0 new, 0 revised, 1 unchanged, 0 restored, 1 failed", setup=_cli_update_404,
         names=("FAILED   [prison-population-weekly] '{title}' {url}: HTTP 404 Not Found",
                "error: publication calendar not updated: ")),
]


# --- Parse cases (`parse FILE`) ---------------------------------------------------------------------------------

MONTH_END = dt.date(2025, 3, 31)
MARGIN = 1350  # documented for March 2025


def monthly(path: Path, establishments=None, **options) -> Path:
    return write_monthly_bulletin(path, MONTH_END, establishments or synthetic_establishments(8), MARGIN, **options)


def with_figure(index: int, **figures):
    rows = synthetic_establishments(8)
    rows[index] = dataclasses.replace(rows[index], **figures)
    return rows


def weekly(path: Path, day: dt.date | None = None, **values) -> Path:
    bulletin = synthetic_weekly_series("B", 3)[-1]
    cells = {**bulletin.values, **{("this_week", m, "total"): v for m, v in values.items()}}
    return write_weekly_bulletin(path, WeeklyBulletin(day or bulletin.bulletin_date, "B", cells))


def recalls(path: Path, mutate: Callable[[openpyxl.Workbook], None] | None = None) -> Path:
    """An OMSQ licence-recall workbook (.xlsx), then changed with openpyxl as a publisher's edit would."""
    write_recalls_workbook(path, recall_quarters_from_totals(synthetic_recall_totals(6)))
    if mutate:
        book = openpyxl.load_workbook(path)
        mutate(book)
        book.save(path)
    return path


def _header_row(sheet) -> int:
    return next(r for r in range(1, 20) if sheet.cell(r, 1).value == "Quarter")


def _unknown_symbol(book) -> None:
    sheet = book["Table_5_Q_1"]
    sheet.cell(_header_row(sheet) + 2, 3).value = "1,234 [y]"  # C: Standard recalls


def _repeated_quarter(book) -> None:
    sheet = book["Table_5_Q_1"]
    row = _header_row(sheet) + 3
    sheet.cell(row, 1).value = sheet.cell(row - 1, 1).value


def _relabelled(book) -> None:
    sheet = book["Table_5_Q_1"]
    cell = next(c for c in sheet[_header_row(sheet)] if str(c.value).startswith("Standard recalls"))
    cell.value = "Standard determinate recalls [note 11]"


def renamed_as(path: Path, write: Callable[[Path], Path], suffix: str) -> Path:
    """Write a real workbook of another format, then give it this file's name."""
    write(path.with_suffix(suffix)).rename(path)
    return path


def truncated(path: Path) -> Path:
    data = monthly(path.with_suffix(".full.ods")).read_bytes()
    path.with_suffix(".full.ods").unlink()
    path.write_bytes(data[: len(data) // 2])
    return path


def corrupt_member(path: Path) -> Path:
    """A zip whose directory is intact but whose content.xml stops half-way."""
    source = monthly(path.with_suffix(".full.ods"))
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w") as out:
        for info in src.infolist():
            data = src.read(info.filename)
            out.writestr(info, data[: len(data) // 2] if info.filename == "content.xml" else data)
    source.unlink()
    return path


def parse_case(id: str, slug: str, name: str, write: Callable[[Path], Path], expect: str,
               names: tuple[str, ...] = ()) -> Case:
    rel = f"data/raw/{slug}/{name}"

    def setup(ctx: Ctx) -> None:
        (ctx.repo / rel).parent.mkdir(parents=True, exist_ok=True)
        write(ctx.repo / rel)

    def then(ctx: Ctx) -> None:
        assert not re.search(r"^[a-z_]+,", ctx.vars["stdout"], re.M), "no CSV is printed for a bad file"

    def run(ctx: Ctx) -> Outcome:
        proc = subprocess.run([sys.executable, "-m", "justice_tracker", "parse", rel], cwd=ctx.repo,
                              env=subprocess_env(ctx.repo, ctx.web), capture_output=True, text=True, timeout=120)
        ctx.vars["stdout"] = proc.stdout
        return Outcome(proc.returncode, proc.stdout + proc.stderr)

    return Case(id, run, expect, names=(f"error: {name}", *names), setup=setup, then=then)


MONTHLY, WEEKLY, OMSQ = "prison-population-monthly", "prison-population-weekly", "omsq"
PARSE_CASES = [
    parse_case("parse-sheet-renamed", MONTHLY, "monthly-mar-2025.ods",
               lambda p: monthly(p, sheet_name="Monthly Bulletin March"),
               r"no parser recognises this ods file \(sheets: \['Monthly Bulletin March'\]\); each looks for: .*"
               r"monthly_ods: a sheet 'MonthlyBulletin'"),
    parse_case("parse-header-row-moved", MONTHLY, "monthly-mar-2025.ods", lambda p: monthly(p, origin=(25, 0)),
               r"sheet 'MonthlyBulletin': no header row holding 'Prison Name' and 'CNA' in the first 25 rows"),
    parse_case("parse-column-label-changed", MONTHLY, "monthly-mar-2025.ods",
               lambda p: monthly(p, column_labels={"in_use_cna": "In Use Cert. Normal Accommodation"}),
               r"sheet 'MonthlyBulletin': header row 4: expected columns .*missing \['In Use CNA'\]; found .*"
               r"'In Use Cert\. Normal Accommodation'"),
    parse_case("parse-column-label-changed-omsq", OMSQ, "recalls-apr-jun-2024.xlsx",
               lambda p: recalls(p, _relabelled),
               r"recalls_by_type: no table sheet has a header row with the labels \['Quarter', 'Total recalls', "
               r"'Standard recalls'.*'Table_5_Q_1': \[.*'Standard determinate recalls'"),
    # Markers the parsers know ('1,234*', '1,234[x]', '5 [rev]') are deliberate: unknown ones must fail.
    parse_case("parse-footnote-marker-unknown", WEEKLY, "prison-pop-20-jan-2025.ods",
               lambda p: weekly(p, population="87,123#"),
               r"sheet 'Data': cell B5 holds '87,123#' where a number was expected"),
    parse_case("parse-symbol-unknown", OMSQ, "recalls-apr-jun-2024.xlsx", lambda p: recalls(p, _unknown_symbol),
               r"sheet 'Table_5_Q_1': cell Table_5_Q_1!C\d+: unknown symbol '\[y\]' in '1,234 \[y\]'"),
    parse_case("parse-suppressed-c-where-required", MONTHLY, "monthly-mar-2025.ods",
               lambda p: monthly(p, total_uoc="[c]"),
               r"sheet 'MonthlyBulletin': the Total row \(A\d+:E\d+\) has no operational capacity figure"),
    parse_case("parse-suppressed-dots-where-required", MONTHLY, "monthly-mar-2025.ods",
               lambda p: monthly(p, total_uoc=".."),
               r"sheet 'MonthlyBulletin': the Total row \(A\d+:E\d+\) has no operational capacity figure"),
    parse_case("parse-duplicate-dates", OMSQ, "recalls-apr-jun-2024.xlsx", lambda p: recalls(p, _repeated_quarter),
               r"sheet 'Table_5_Q_1': row 7 repeats the row label\(s\) of row 6: \['Apr to Jun 2023'\]"),
    parse_case("parse-date-in-future", WEEKLY, "prison-pop-5-jan-2099.ods",
               lambda p: weekly(p, day=dt.date(2099, 1, 5)),
               r"sheet 'Data': bulletin date 2099-01-05 \(from text 'Figures as at 5 January 2099' in A2\) is in "
               r"the future"),
    parse_case("parse-date-in-future-monthly", MONTHLY, "monthly-mar-2095.ods",
               lambda p: write_monthly_bulletin(p, dt.date(2095, 3, 31), synthetic_establishments(8), 2000),
               r"sheet 'MonthlyBulletin': cell A2: report date 2095-03-31 is in the future"),
    parse_case("parse-negative-population", MONTHLY, "monthly-mar-2025.ods",
               lambda p: monthly(p, with_figure(3, population=-120)),
               r"sheet 'MonthlyBulletin': cell E8: population is -120; a count cannot be negative"),
    parse_case("parse-negative-population-weekly", WEEKLY, "prison-pop-20-jan-2025.ods",
               lambda p: weekly(p, population=-87123),
               r"sheet 'Data': cell B5: population \(total, this_week\) is -87,123; a count cannot be negative"),
    parse_case("parse-xlsx-bytes-named-ods", OMSQ, "recalls-apr-jun-2024.ods",
               lambda p: renamed_as(p, recalls, ".xlsx"),
               r"the name ends \.ods, but the bytes are 'xlsx', not 'ods'"),
    parse_case("parse-xls-bytes-named-ods", MONTHLY, "monthly-mar-2025.ods", lambda p: p.write_bytes(XLS_BODY),
               r"the name ends \.ods, but the bytes are 'ole', not 'ods'"),
    parse_case("parse-zero-byte-file", MONTHLY, "monthly-mar-2025.ods", lambda p: p.write_bytes(b""),
               r"this is an empty file, not a file any parser reads"),
    parse_case("parse-truncated-zip", MONTHLY, "monthly-mar-2025.ods", truncated,
               r"this is an unrecognised binary file, not a file any parser reads"),
    parse_case("parse-corrupt-zip-member", MONTHLY, "monthly-mar-2025.ods", corrupt_member,
               r"ods container could not be read as a spreadsheet: "),
]


# --- Ingest cases (`data`) --------------------------------------------------------------------------------------

WEEKLY_CSV = "processed-prisoncap/weekly_population_capacity.csv"
WEEKLY_TABLE = "weekly_population_capacity"


def edit_weekly_csv(change: Callable[[list[list[str]]], None]) -> Callable[[Ctx], None]:
    """Change the copy's real weekly CSV (cells as text, so what is not changed stays byte-identical)."""
    import csv

    def setup(ctx: Ctx) -> None:
        path = ctx.repo / "data" / "raw" / WEEKLY_CSV
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        change(rows)
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        path.write_text(buffer.getvalue(), encoding="utf-8")

    return setup


def _set(column: str, line: int, value: str):
    def change(rows: list[list[str]]) -> None:
        rows[line - 1][rows[0].index(column)] = value
    return change


def _implausible_capacity(rows: list[list[str]]) -> None:
    header, row = rows[0], rows[199]  # line 200
    row[header.index("uoc_total")] = str(float(row[header.index("pop_total")]) * 3)
    row[header.index("headroom")] = ""


def data_case(id: str, setup: Callable[[Ctx], None], expect: str, names: tuple[str, ...] = (),
              table: str = WEEKLY_TABLE) -> Case:
    return Case(id, cli("data", "--table", table), expect, names=("error: ", *names), setup=setup,
                needs_shared=True)


def _legacy_truncated_docx(ctx: Ctx) -> None:
    source = sorted((SHARED_RAW / "prison-population-monthly-legacy").glob("*.docx"))[0]
    folder = ctx.repo / "data" / "raw" / "prison-population-monthly-legacy"
    folder.mkdir(parents=True)
    (folder / source.name).write_bytes(source.read_bytes()[:4000])
    ctx.vars["name"] = source.name


DATA_CASES = [
    data_case("data-duplicate-date", edit_weekly_csv(lambda rows: rows.insert(100, list(rows[99]))),
              r"line 101: date (\S+) is not after the previous row's \1 \(duplicate or out of order\)", (WEEKLY_CSV,)),
    data_case("data-date-in-future", edit_weekly_csv(_set("date", 789, "2099-01-05")),
              r"line 789: date 2099-01-05 is in the future", (WEEKLY_CSV,)),
    data_case("data-negative-population", edit_weekly_csv(_set("pop_total", 50, "-84000.0")),
              r"line 50: population -84000 / UOC \d+ must be positive", (WEEKLY_CSV,)),
    data_case("data-suppressed-value", edit_weekly_csv(_set("pop_total", 60, "[c]")),
              r"line 60 column pop_total: expected a whole number, found '\[c\]'", (WEEKLY_CSV,)),
    data_case("data-column-renamed", edit_weekly_csv(_set("pop_total", 1, "population_total")),
              r"line 1: expected column\(s\) \['pop_total'\]; found \['date', 'population_total'", (WEEKLY_CSV,)),
    data_case("data-zero-byte-file", lambda ctx: (ctx.repo / "data/raw" / WEEKLY_CSV).write_bytes(b""),
              r": file is empty", (WEEKLY_CSV,)),
    data_case("data-value-out-of-range", edit_weekly_csv(_implausible_capacity),
              r"table weekly_population_capacity does not match its schema:(.|\n)*pct_uoc_in_use(.|\n)*"
              rf"{re.escape(WEEKLY_CSV)} line 200", ()),
    data_case("data-raw-file-missing", lambda ctx: (ctx.repo / "data/raw" / WEEKLY_CSV).unlink(),
              r"raw files needed to rebuild the processed tables are missing:\n  " + re.escape(WEEKLY_CSV)),
    data_case("data-legacy-truncated-docx", _legacy_truncated_docx,
              r"expected a Word document \(\.doc, \.rtf or \.docx\); found 'unknown' content",
              ("error: prison-population-monthly-legacy/{name} (official source 'moj-monthly-legacy') cannot be read",),
              table="monthly_totals_legacy"),
]


# --- Config cases ---------------------------------------------------------------------------------------------

def _table(data: dict, table_id: str) -> dict:
    return next(t for t in data["tables"] if t["id"] == table_id)


def _config(change: Callable[[dict], None]) -> Callable[[Ctx], None]:
    return lambda ctx: edit_config(ctx.repo, change)


CONFIG_CASES = [
    Case("config-unknown-key", cli("data", "--table", WEEKLY_TABLE),
         r"tracker\.yml: invalid config\n  tables\.0\.buildr: Extra inputs are not permitted", code=2,
         setup=_config(lambda d: _table(d, WEEKLY_TABLE).update(buildr="x"))),
    Case("config-builder-function-missing", cli("data", "--table", WEEKLY_TABLE),
         r"error: tracker\.yml: table 'weekly_population_capacity': builder "
         r"'justice_tracker\.ingest\.weekly:build_weekly_population_capcity' is not a function in "
         r"justice_tracker\.ingest\.weekly", code=2,
         setup=_config(lambda d: _table(d, WEEKLY_TABLE).update(
             builder="justice_tracker.ingest.weekly:build_weekly_population_capcity"))),
    Case("config-builder-module-missing", cli("data", "--table", WEEKLY_TABLE),
         r"error: tracker\.yml: table 'weekly_population_capacity': builder "
         r"'justice_tracker\.ingest\.weekli:build_weekly_population_capacity' cannot be imported: No module named "
         r"'justice_tracker\.ingest\.weekli'", code=2,
         setup=_config(lambda d: _table(d, WEEKLY_TABLE).update(
             builder="justice_tracker.ingest.weekli:build_weekly_population_capacity"))),
]


# --- Build cases (a tiny book: the intro and one or two small pages) --------------------------------------------

def page(file: str, template: str, title: str = "Key facts") -> dict:
    return {"file": file, "title": title,
            "notebook": {"template": template, "parameters": {"page_title": title}, "reads": []}}


def tiny_book(*chapters: dict, plain_intro: bool = True) -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        edit_config(ctx.repo, lambda d: d.update(toc={"root": "book/intro", "parts": [
            {"caption": "Fault tests", "chapters": list(chapters)}]}))
        intro = "# Justice Crisis Tracker\n\nA tiny book for the fault tests.\n"
        if not plain_intro:  # a link to a chapter the tiny book leaves out
            intro += "\n- {doc}`chapters/population-capacity`: the population chapter\n"
        (ctx.repo / "book" / "intro.md").write_text(intro, encoding="utf-8")
    return setup


def _broken_notebook(ctx: Ctx) -> None:
    tiny_book(page("book/broken", "notebooks/broken.ipynb", "Broken"))(ctx)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# {{ page_title }}"),
                nbformat.v4.new_code_cell("page_title = ''", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("rows = 0"),
                nbformat.v4.new_code_cell("raise ValueError('table prisons has no rows')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, ctx.repo / "notebooks" / "broken.ipynb")


def signalled_cli(ctx: Ctx, args: list[str], ready: Callable[[], bool], sig: int, seen=lambda: None,
                  wait: float = 120) -> tuple[Outcome, bool, object]:
    """Run the CLI in its own process group and send `sig` to the group (as a terminal or a CI runner does) once
    `ready()` holds. Returns the outcome, whether it was still running when signalled, and `seen()` at that moment."""
    proc = subprocess.Popen([sys.executable, "-m", "justice_tracker", *args], cwd=ctx.repo,
                            env=subprocess_env(ctx.repo, ctx.web), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + wait
        while not ready() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        running, at_signal = proc.poll() is None, seen()
        if running:
            os.killpg(proc.pid, sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    return Outcome(proc.returncode, out + err), running, at_signal


def interrupted_build(ctx: Ctx) -> Outcome:
    """`build`, interrupted with Ctrl-C (SIGINT to its process group, as a terminal sends it) once the first of
    its two notebooks has been written, while the second runs."""
    outputs = [ctx.repo / "book" / "key-facts.ipynb", ctx.repo / "book" / "key-facts-again.ipynb"]
    outcome, running, done = signalled_cli(ctx, ["build"], lambda: any(p.exists() for p in outputs), signal.SIGINT,
                                           seen=lambda: [p.name for p in outputs if p.exists()])
    assert running, f"the build ended before it could be interrupted:\n{outcome.message}"
    assert len(done) == 1, f"expected one notebook done and one running when interrupted; done: {done}\n" \
                           f"{outcome.message}"
    return outcome


def _rerun_builds_the_site(ctx: Ctx) -> None:
    def editions() -> dict[str, str]:
        return {k: v for k, v in snapshot(ctx.repo).items() if k.startswith(("editions", "_build/site/editions"))}

    frozen = editions()
    again = run_cli(ctx, "build")
    assert again.code == 0, again.message
    intro = (ctx.repo / "_build/html/book/intro.html").read_text(encoding="utf-8")
    assert "A tiny book for the fault tests" in intro
    assert "book/intro.html" in (ctx.repo / "_build/html/index.html").read_text(encoding="utf-8")
    assert not (ctx.repo / "_build/html/_static/old-site.css").exists(), "the new site replaces the old whole"
    assert (ctx.repo / "_build/html/book/key-facts-again.html").exists()
    assert editions() == frozen


KEY_FACTS = page("book/key-facts", "notebooks/key_facts.ipynb")
BUILD_CASES = [
    Case("config-toc-template-missing", cli("build"),
         r"error: tracker\.yml toc names notebooks that do not exist:\n  page book/key-facts: template "
         r"notebooks/key_fact\.ipynb not found",
         setup=tiny_book(page("book/key-facts", "notebooks/key_fact.ipynb"))),
    Case("build-notebook-raises", cli("build"),
         r"error: 1 notebook\(s\) failed; the site was not rebuilt:\n  notebooks/broken\.ipynb \(page book/broken\) "
         r"failed in cell 4 of the template \(.raise ValueError\(.table prisons has no rows.\).\): ValueError: "
         r"table prisons has no rows", setup=_broken_notebook),
    Case("build-interrupted", interrupted_build,
         r"error: build interrupted while executing the notebooks; the site in \S+/_build/html was not replaced",
         code=130, setup=tiny_book(KEY_FACTS, page("book/key-facts-again", "notebooks/key_facts.ipynb", "Again")),
         then=_rerun_builds_the_site),
    # The intro links to a chapter this book leaves out: with -W, Sphinx's warning fails the build.
    Case("build-jupyter-book-fails", cli("build"),
         r"error: jupyter-book build failed \(exit \d+\); the previous site in \S+/_build/html is unchanged\.",
         names=("book/intro.md:5: WARNING: unknown document: 'chapters/population-capacity'",),
         setup=tiny_book({"file": "book/glossary", "title": "Glossary"}, plain_intro=False)),
]


# --- Edition cases --------------------------------------------------------------------------------------------

def _orphan_built_edition(ctx: Ctx) -> None:
    built = ctx.repo / "_build" / "site" / "editions" / "2026-11"
    built.mkdir(parents=True)
    (built / "index.html").write_text("<html><body>Edition 2026-11</body></html>\n")


EDITION_CASES = [
    Case("edition-id-exists", cli("edition", "--id", EDITION, "--date", "2026-12-01"),
         rf"error: edition {EDITION} already exists in editions/{EDITION}; editions are never overwritten"),
    Case("edition-id-already-built", cli("edition", "--id", "2026-11", "--date", "2026-12-01"),
         r"error: a built edition 2026-11 already exists in \S+/_build/site/editions; it is never overwritten",
         setup=_orphan_built_edition),
    Case("edition-older-than-newest", cli("edition", "--id", "2026-05", "--date", "2026-05-31"),
         rf"error: edition 2026-05 dated 2026-05-31 would be older than edition {EDITION} \(2026-06-30\)"),
]

def _leftover_incoming(ctx: Ctx) -> None:
    left = ctx.repo / "editions" / ".2026-12.incoming"
    shutil.copytree(ctx.repo / "editions" / EDITION / "data", left / "data")
    (left / "edition.json").write_text('{"id": "2026-12"}\n')


def _half_edition(ctx: Ctx) -> None:
    half = ctx.repo / "editions" / "2026-10"
    shutil.copytree(ctx.repo / "editions" / EDITION, half)
    (half / "manifest.json").unlink()
    meta = json.loads((half / "edition.json").read_text())
    (half / "edition.json").write_text(json.dumps({**meta, "id": "2026-10", "date": "2026-10-31"}) + "\n")


def _frozen_table_changed(ctx: Ctx) -> None:
    """The edition records its table's checksum; then someone edits the frozen CSV."""
    frozen = ctx.repo / "editions" / EDITION
    csv_path = frozen / "data" / "processed" / "recalls_quarterly.csv"
    meta = json.loads((frozen / "edition.json").read_text())
    meta["tables"] = {"recalls_quarterly": {"file": "recalls_quarterly.csv", "rows": None, "raw_files": [],
                                            "sha256": hashlib.sha256(csv_path.read_bytes()).hexdigest()}}
    (frozen / "edition.json").write_text(json.dumps(meta, indent=1) + "\n")
    csv_path.write_text(csv_path.read_text().replace(",", ";", 1))


def _committed(ctx: Ctx) -> None:
    """The copy as a git checkout, so `edition` gets as far as building the site (it copies the tracked files)."""
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "the code"]):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=ctx.repo,
                       check=True, capture_output=True)


def terminated_edition(ctx: Ctx) -> Outcome:
    """`edition`, sent SIGTERM (a cancelled CI job) once it has frozen the data and is building the site."""
    today = dt.date.today().isoformat()
    # The edition's source tree is copied after the freeze: once its config is there, the build is under way.
    started = ctx.repo / "_build" / "edition-src" / "2026-12" / "tracker.yml"
    outcome, running, _ = signalled_cli(ctx, ["edition", "--id", "2026-12", "--date", today, "--allow-dirty"],
                                        started.exists, signal.SIGTERM, wait=60)
    assert running, f"the edition ended before it could be stopped:\n{outcome.message}"
    return outcome


def _no_edition_left(ctx: Ctx) -> None:
    assert sorted(p.name for p in (ctx.repo / "editions").iterdir()) == [EDITION]


EDITION_CASES += [
    Case("edition-date-in-future", cli("edition", "--id", "2099-01", "--date", "2099-01-01"),
         r"error: edition date 2099-01-01 is in the future \(today is \d{4}-\d{2}-\d{2}\): an edition is dated the "
         r"day it is published"),
    Case("edition-leftover-of-an-interrupted-edition", cli("edition", "--id", "2026-12", "--date", "2026-12-01"),
         r"error: editions/\.2026-12\.incoming is what an interrupted `make edition` left behind \(not an edition\); "
         r"remove it with: rm -rf editions/\.2026-12\.incoming", setup=_leftover_incoming),
    Case("edition-leftover-stops-the-site-build", cli("site"),
         r"error: editions/\.2026-12\.incoming is what an interrupted `make edition` left behind",
         setup=_leftover_incoming),
    Case("edition-half-edition-without-manifest", cli("site"),
         r"error: editions/2026-10 has no manifest\.json: a half edition left by an interrupted `make edition`; "
         r"remove it with: rm -rf editions/2026-10", setup=_half_edition),
    Case("edition-half-edition-is-never-previous", cli("edition", "--id", "2026-12", "--date", "2026-12-01"),
         r"error: editions/2026-10 has no manifest\.json", setup=_half_edition),
    Case("edition-frozen-data-changed", cli("verify-edition", EDITION),
         rf"error: edition {EDITION}: editions/{EDITION}/data/processed/recalls_quarterly\.csv \(table "
         r"recalls_quarterly\) does not match edition\.json \(sha256 \w{12} != \w{12}\): the frozen data was changed",
         setup=_frozen_table_changed),
    Case("edition-stopped-by-sigterm", terminated_edition,
         r"error: edition interrupted by SIGTERM; nothing half-written was kept", code=130, setup=_committed,
         then=_no_edition_left),
]

# --- Hardening: the project lock, a full or read-only disk during `data`, config that would run code or write
# outside the project, a page that never finishes ------------------------------------------------------------

LOCK_FILE = "_build/justice-tracker.lock"


def while_another_command_runs(*args: str, holder: tuple[str, ...] = ("build",)) -> Callable[[Ctx], Outcome]:
    """Run `args` while another command (a real `build`, by default) holds the project's lock: it is started,
    stopped (SIGSTOP) as soon as the lock file names its pid, and killed once `args` has run."""
    def run(ctx: Ctx) -> Outcome:
        lock = ctx.repo / LOCK_FILE
        proc = subprocess.Popen([sys.executable, "-m", "justice_tracker", *holder], cwd=ctx.repo,
                                env=subprocess_env(ctx.repo, ctx.web), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while proc.poll() is None and time.monotonic() < deadline:
                if lock.exists() and lock.read_text().split()[:1] == [str(proc.pid)]:
                    break
                time.sleep(0.01)
            assert proc.poll() is None and time.monotonic() < deadline, "the first command never took the lock"
            os.killpg(proc.pid, signal.SIGSTOP)
            ctx.vars.update(pid=str(proc.pid), lock=str(lock))
            return run_cli(ctx, *args)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)  # killed outright: the lock must not outlive it
            proc.wait()
    return run


def _lock_released(ctx: Ctx) -> None:
    """The holder was killed with SIGKILL: its lock went with it (no stale lock), and the file is a lock again."""
    import fcntl

    fd = os.open(ctx.repo / LOCK_FILE, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(fd)


def busy(command: str) -> str:
    return (rf"error: {command}: another `build` \(pid \d+, started [\d-]+ [\d:]+ UTC\) is running in this project "
            rf"and holds \S+/_build/justice-tracker\.lock; wait for it to finish, or stop it with: kill \d+\. "
            r"Nothing was changed")


LOCK_CASES = [
    Case("build-two-builds-at-once", while_another_command_runs("build"), busy("build"),
         names=("pid {pid}", "holds {lock}", "kill {pid}"), setup=tiny_book(KEY_FACTS), then=_lock_released),
    Case("data-while-a-build-runs", while_another_command_runs("data", "--table", WEEKLY_TABLE), busy("data"),
         names=("pid {pid}", "holds {lock}"), setup=tiny_book(KEY_FACTS), then=_lock_released),
    Case("edition-while-a-build-runs",
         while_another_command_runs("edition", "--id", "2026-12", "--date", dt.date.today().isoformat()),
         busy("edition"), names=("pid {pid}",), setup=tiny_book(KEY_FACTS), then=_lock_released),
    Case("edition-site-while-a-build-runs", while_another_command_runs("site"), busy("site"),
         names=("pid {pid}",), setup=tiny_book(KEY_FACTS), then=_lock_released),
]

# `data` with an OS error injected where a table is written: the tests run as root, for whom chmod blocks nothing,
# so the driver raises what a full disk (ENOSPC), a read-only mount (EROFS) or a failing disk (EIO) would raise,
# at the call that meets it: fsync of the temporary file, its creation, or the rename into place.
FAULT_DRIVER = """
import errno, os, sys
fault, name, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
processed = os.path.realpath("data/processed")


def hit(path, prefix):
    path = os.path.realpath(path)
    return os.path.dirname(path) == processed and os.path.basename(path).startswith(prefix)


def failure(code, path=None):
    return OSError(code, os.strerror(code), *([path] if path else []))


if fault == "enospc":  # the disk fills while the temporary file of `name` is flushed
    real_fsync = os.fsync
    def fsync(fd):
        if hit(os.readlink(f"/proc/self/fd/{fd}"), "." + name + "."):
            raise failure(errno.ENOSPC)
        return real_fsync(fd)
    os.fsync = fsync
elif fault == "erofs":  # data/processed is on a read-only mount: no file can be created there
    real_open = os.open
    def open_(path, flags, *args, **kwargs):
        if flags & os.O_CREAT and hit(path, ""):
            raise failure(errno.EROFS, path)
        return real_open(path, flags, *args, **kwargs)
    os.open = open_
elif fault == "eio-rename":  # every file staged, then renaming `name` into place fails
    real_replace = os.replace
    def replace(src, dst, **kwargs):
        if hit(dst, name) and os.path.basename(dst) == name and str(src).endswith(".tmp"):
            raise failure(errno.EIO, str(dst))
        return real_replace(src, dst, **kwargs)
    os.replace = replace
from justice_tracker.cli import main
sys.exit(main(argv))
"""


def data_with_fault(fault: str, name: str) -> Callable[[Ctx], Outcome]:
    def run(ctx: Ctx) -> Outcome:
        proc = subprocess.run([sys.executable, "-c", FAULT_DRIVER, fault, name, "data", "--table", WEEKLY_TABLE],
                              cwd=ctx.repo, env=subprocess_env(ctx.repo, ctx.web), capture_output=True, text=True,
                              timeout=240)
        return Outcome(proc.returncode, proc.stdout + proc.stderr)
    return run


def _weekly_title_edited(ctx: Ctx) -> None:
    """A raw change that `data` turns into a new weekly table (and manifest): so a half write would show. The
    tables derived from the weekly one need the third party's other files."""
    for path in (SHARED_RAW / "processed-prisoncap").iterdir():
        if not (ctx.repo / "data" / "raw" / "processed-prisoncap" / path.name).exists():
            shutil.copy2(path, ctx.repo / "data" / "raw" / "processed-prisoncap" / path.name)
    edit_weekly_csv(_set("title", 50, "Population Bulletin - Weekly 23 December 2011 (corrected)"))(ctx)
    ctx.vars["processed"] = str(ctx.repo / "data" / "processed")


def _read_only_processed(ctx: Ctx) -> None:
    _weekly_title_edited(ctx)
    (ctx.repo / "data" / "processed").chmod(0o555)  # blocks an ordinary user; the driver blocks root too


def _then_data_writes_all(ctx: Ctx) -> None:
    """Without the fault the same run writes the new table and a manifest that agrees with it: the fault case
    really had something to write, and nothing of it was left half done."""
    (ctx.repo / "data" / "processed").chmod(0o755)
    table = ctx.repo / "data" / "processed" / f"{WEEKLY_TABLE}.csv"
    before = hashlib.sha256(table.read_bytes()).hexdigest()
    again = run_cli(ctx, "data", "--table", WEEKLY_TABLE)
    assert again.code == 0, again.message
    after = hashlib.sha256(table.read_bytes()).hexdigest()
    assert after != before, "the edited raw file changed the table"
    manifest = json.loads((ctx.repo / "data" / "processed" / "manifest.json").read_text())
    assert manifest["tables"][WEEKLY_TABLE]["sha256"] == after
    assert not [p.name for p in (ctx.repo / "data" / "processed").iterdir() if p.name.startswith(".")]


NOTHING_WRITTEN = r"; nothing was changed: the \d+ file\(s\) of this run \(.*weekly_population_capacity\.csv.*\) " \
                  r"are written all or none"
DISK_CASES = [
    Case("data-disk-full-at-the-manifest", data_with_fault("enospc", "manifest.json"),
         r"error: writing \S+/data/processed/manifest\.json: No space left on device" + NOTHING_WRITTEN,
         names=("{processed}/manifest.json",), setup=_weekly_title_edited, then=_then_data_writes_all,
         needs_shared=True),
    Case("data-disk-full-at-the-first-table", data_with_fault("enospc", f"{WEEKLY_TABLE}.csv"),
         rf"error: writing \S+/data/processed/{WEEKLY_TABLE}\.csv: No space left on device" + NOTHING_WRITTEN,
         setup=_weekly_title_edited, then=_then_data_writes_all, needs_shared=True),
    Case("data-processed-read-only", data_with_fault("erofs", ""),
         rf"error: writing \S+/data/processed/{WEEKLY_TABLE}\.csv: Read-only file system" + NOTHING_WRITTEN,
         setup=_read_only_processed, then=_then_data_writes_all, needs_shared=True),
    Case("data-rename-fails-after-the-tables", data_with_fault("eio-rename", "manifest.json"),
         r"error: replacing \S+/data/processed/manifest\.json: Input/output error" + NOTHING_WRITTEN,
         setup=_weekly_title_edited, then=_then_data_writes_all, needs_shared=True),
]


def _key_facts_with(change: Callable[[dict], None]) -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        entry = json.loads(json.dumps(KEY_FACTS))
        change(entry)
        tiny_book(entry)(ctx)
        ctx.vars["outside"] = str(ctx.repo.parent / "outside")
        (ctx.repo.parent / "outside").mkdir(exist_ok=True)
    return setup


def _nothing_outside(ctx: Ctx) -> None:
    outside = ctx.repo.parent / "outside"
    left = sorted(p.name for p in outside.rglob("*")) if outside.exists() else []
    assert left in ([], ["page.ipynb"]), f"written outside the project: {left}"
    assert not (ctx.repo / "PWNED").exists(), "a parameter name ran as code"
    assert not (ctx.repo / "book" / "key-facts.ipynb").exists(), "refused at load: no page ran"


def _symlink_out(ctx: Ctx) -> None:
    _key_facts_with(lambda e: e.update(file="book/elsewhere/escaped"))(ctx)
    (ctx.repo / "book" / "elsewhere").symlink_to(ctx.repo.parent / "outside", target_is_directory=True)


def _template_outside(ctx: Ctx) -> None:
    _key_facts_with(lambda e: e["notebook"].update(template="../outside/page.ipynb"))(ctx)
    shutil.copy2(ctx.repo / "notebooks" / "key_facts.ipynb", ctx.repo.parent / "outside" / "page.ipynb")


def _generated_key_climbs_out(ctx: Ctx) -> None:
    path = ctx.repo / "data" / "processed" / "prisons.csv"
    header, first, *rest = path.read_text(encoding="utf-8").split("\n")
    cells = first.split(",")
    cells[header.split(",").index("prison_key")] = "../../../outside/escaped"
    path.write_text("\n".join([header, ",".join(cells), *rest]), encoding="utf-8")


REFUSED = r"error: \S+/tracker\.yml: invalid config\n  toc\.parts\.0\.chapters\.0: Value error, page "
TOC_CASES = [
    Case("config-parameter-name-is-code", cli("build"),
         REFUSED + r"'book/key-facts': parameter name \"x=open\('PWNED', 'w'\); y\" is not a Python identifier",
         code=2, setup=_key_facts_with(lambda e: e["notebook"]["parameters"].update({"x=open('PWNED', 'w'); y": 1})),
         then=_nothing_outside),
    Case("config-parameter-name-is-a-statement", cli("build"),
         REFUSED + r"'book/key-facts': parameter name 'a; import os' is not a Python identifier", code=2,
         setup=_key_facts_with(lambda e: e["notebook"]["parameters"].update({"a; import os": 1})),
         then=_nothing_outside),
    Case("config-parameter-name-is-a-keyword", cli("build"),
         REFUSED + r"'book/key-facts': parameter name 'import' is not a Python identifier", code=2,
         setup=_key_facts_with(lambda e: e["notebook"]["parameters"].update({"import": "os"}))),
    # An unquoted date in YAML is a date object, not text: papermill would pass its str() silently.
    Case("config-parameter-value-not-plain-data", cli("build"),
         REFUSED + r"'book/key-facts': parameter 'since': value datetime\.date\(2020, 1, 1\) of type date is not "
         r"plain data .*quote a date in tracker\.yml", code=2,
         setup=_key_facts_with(lambda e: e["notebook"]["parameters"].update({"since": dt.date(2020, 1, 1)}))),
    Case("config-toc-file-climbs-out", cli("build"),
         REFUSED + r"'\.\./outside/escaped': file '\.\./outside/escaped' climbs out with '\.\.'", code=2,
         setup=_key_facts_with(lambda e: e.update(file="../outside/escaped")), then=_nothing_outside),
    Case("config-toc-file-absolute", cli("build"),
         REFUSED + r"'/\S+/outside/escaped': file '/\S+/outside/escaped' is an absolute path", code=2,
         setup=lambda ctx: _key_facts_with(lambda e: e.update(file=str(ctx.repo.parent / "outside" / "escaped")))(ctx),
         then=_nothing_outside),
    Case("config-toc-file-through-a-symlink", cli("build"),
         REFUSED + r"'book/elsewhere/escaped': file 'book/elsewhere/escaped' leads outside the project root",
         code=2, setup=_symlink_out, then=_nothing_outside),
    Case("config-toc-template-outside", cli("build"),
         REFUSED + r"'book/key-facts': notebook\.template '\.\./outside/page\.ipynb' climbs out", code=2,
         setup=_template_outside, then=_nothing_outside),
    # A generated page's path comes from a table row (the prisons' keys): a key that climbs out is refused too.
    Case("config-generated-page-key-climbs-out", cli("build"),
         r"error: prisons\.csv line 2: page key '\.\./\.\./\.\./outside/escaped' would put a page outside "
         r"book/prisons/", code=2, setup=_generated_key_climbs_out, then=_nothing_outside),
    Case("config-toc-home-page-outside", cli("build"),
         r"error: \S+/tracker\.yml: invalid config\n  toc: Value error, home page '\.\./outside/home': file "
         r"'\.\./outside/home' climbs out", code=2,
         setup=lambda ctx: edit_config(ctx.repo, lambda d: d["toc"].update(root="../outside/home"))),
]


def _never_finishes(ctx: Ctx) -> None:
    tiny_book(page("book/spin", "notebooks/spin.ipynb", "Spin"))(ctx)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("page_title = ''", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("while True:\n    pass")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, ctx.repo / "notebooks" / "spin.ipynb")


def build_with_budget(seconds: int) -> Callable[[Ctx], Outcome]:
    def run(ctx: Ctx) -> Outcome:
        started = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "justice_tracker", "build"], cwd=ctx.repo,
                              env=subprocess_env(ctx.repo, ctx.web, JCT_PAGE_TIMEOUT=str(seconds)),
                              capture_output=True, text=True, timeout=240)
        ctx.vars["seconds"] = str(time.monotonic() - started)
        return Outcome(proc.returncode, proc.stdout + proc.stderr)
    return run


def _stopped_in_time(ctx: Ctx) -> None:
    assert float(ctx.vars["seconds"]) < 120, f"the build took {ctx.vars['seconds']} s"
    assert not (ctx.repo / "book" / "spin.ipynb").exists()


HANG_CASES = [
    Case("build-page-never-finishes", build_with_budget(5),
         r"error: 1 notebook\(s\) failed; the site was not rebuilt:\n  notebooks/spin\.ipynb \(page book/spin\) ran "
         r"past its time budget of 5 s and was stopped", setup=_never_finishes, then=_stopped_in_time),
]

HARDENING_CASES = LOCK_CASES + DISK_CASES + TOC_CASES + HANG_CASES

CASES = FETCH_CASES + PARSE_CASES + DATA_CASES + CONFIG_CASES + BUILD_CASES + EDITION_CASES + HARDENING_CASES


# --- The test -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def web():
    local = LocalWeb()
    thread = threading.Thread(target=local.server.serve_forever, daemon=True)
    thread.start()
    yield local
    local.server.shutdown()
    local.server.server_close()


@pytest.fixture(scope="module")
def template(tmp_path_factory, web) -> Path:
    """The copy every case starts from: raw files only from its own data/raw, the published state faked, and
    one weekly bulletin already fetched and in the lock (by a real run against the local server)."""
    repo = tmp_path_factory.mktemp("faults") / "template"
    copy_repo(repo)
    edit_config(repo, lambda d: d.update(raw_dirs=["data/raw"]))
    fake_published_state(repo)
    if SHARED_RAW.is_dir():
        for rel in [WEEKLY_CSV, *(f"prison-register/{p.name}" for p in (SHARED_RAW / "prison-register").iterdir())]:
            (repo / "data/raw" / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(SHARED_RAW / rel, repo / "data/raw" / rel)
    web.publish([GOOD])
    web.routes[GOOD["url"]] = Answer(200, GOOD_BODY, {"Content-Type": ODS_TYPE})
    first = fetch(Ctx(repo, web))
    assert first.code == 0 and f"new      {RELEASE}/{GOOD['filename']}" in first.message, first.message
    return repo


def test_case_ids_are_distinct_and_enough():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)) and len(ids) >= 30
    for prefix in ("fetch-", "parse-", "data-", "config-", "build-", "edition-"):
        assert any(i.startswith(prefix) for i in ids), prefix


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_fault_fails_clearly_and_changes_nothing(case: Case, template, web, tmp_path):
    if case.needs_shared and not SHARED_RAW.is_dir():
        pytest.skip(f"needs the sample files in ../shared/data/raw beside the clone; not found at {SHARED_RAW}")
    repo = tmp_path / "repo"
    shutil.copytree(template, repo, symlinks=True)
    ctx = Ctx(repo, web)
    if case.setup:
        case.setup(ctx)
    before = snapshot(repo)

    outcome = case.run(ctx)

    message = outcome.message
    assert outcome.code == case.code, f"exit code {outcome.code}, expected {case.code}:\n{message}"
    assert TRACEBACK not in message, message
    assert re.search(case.expect, message, re.M), f"expected /{case.expect}/ in:\n{message}"
    for text in case.names:
        assert text.format_map(ctx.vars) in message, f"expected {text.format_map(ctx.vars)!r} in:\n{message}"
    after = snapshot(repo)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"protected files changed: {changed}"
    if case.then:
        case.then(ctx)


def test_a_name_from_the_data_is_escaped_in_its_page_heading():
    """A prison's name also fills the markdown heading of its page ({{ prison_name }} in notebooks/prison.ipynb),
    and MyST passes raw HTML through: it must arrive escaped, as text."""
    evil = "<script>alert(1)</script> & Co"
    nb = nbformat.read(REPO_ROOT / "notebooks" / "prison.ipynb", as_version=4)
    fill_markdown(nb, {"prison_key": "altcourse", "prison_name": evil}, "notebooks/prison.ipynb")
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in markdown.splitlines()[0]
    assert "<script" not in markdown
