#!/usr/bin/env python3
"""The repository's benchmarks, in one script: every section prints absolute times (or sizes) and a ratio
against a baseline measured in the same run, and the end prints a Markdown summary for README's Performance
section. (`make benchmark` is to run this script; it used to run scripts/benchmark_build.py alone.)

Sections, in the order they run (all by default):
  ingest   every sample raw file (data/raw, ../shared/data/raw) through parsers.registry.parse_file, by kind,
           then the full ingest.build_tables(config) in memory (nothing is written). Baseline: reading the
           same files' bytes (page cache warm), so the ratio is the parse cost relative to the I/O.
  readers  realistic workbooks written with tests/support/synthetic (52 weekly bulletins in one workbook; a
           130-prison monthly sheet), each as .xlsx and .ods, read with pandas engine="calamine" and with
           engine="openpyxl" (.xlsx) / engine="odf" (.ods); median of --repeats reads. Baseline: calamine, so
           the ratio is how many times slower the pure-Python reader is. The frames must be equal across
           engines (same sheets, shape and values), or the section fails.
  pages    page weight: the built site (_build/html, or --site) served by a local http.server, pages loaded in
           headless Chromium with Playwright, every request recorded; a request's weight is the gzip (level 6)
           size of the file on disk, since the local server does not compress. First visit = all a page's
           requests from an empty cache; further page = the requests whose URL the home page did not already
           fetch (a warm HTTP cache). Targets: first visit <= 700 KB, further page <= 50 KB (KB = 1,000 bytes);
           the ratio is "x of target".
           Then first paint: the front page (from the site's root, which redirects to it, and on its own) and
           every chapter (tracker.yml's toc entries under book/chapters/), each loaded --paint-runs times from
           an empty cache under Lighthouse's mobile "Slow 4G" emulation (CDP: 562.5 ms a request, 1.6 Mbit/s x
           0.9 down, 750 kbit/s x 0.9 up, the CPU slowed --cpu-slowdown times, 4 as Lighthouse; the site served
           gzipped; see tests/support/first_paint.py). First Contentful Paint, median, against a 3 s budget.
  build    scripts/benchmark_build.py: plain serial papermill (baseline, estimated from a stratified sample of
           the notebooks unless --serial-all) against the tracker's parallel full build and no-op rebuild.
           It rebuilds _build/html (as `make book` does) and takes about 6 minutes on 2 cores.

Usage:
  .venv/bin/python scripts/benchmark.py                         # everything, about 9 minutes on 2 cores
  .venv/bin/python scripts/benchmark.py --skip-build            # ingest, readers, pages (about 3 minutes)
  .venv/bin/python scripts/benchmark.py --only pages --site _build/site/2026-12
  .venv/bin/python scripts/benchmark.py --only readers --repeats 9 --json /tmp/bench.json
The pages section needs a built site (make book) and Debian's chromium (make browser).
"""
from __future__ import annotations

import argparse
import datetime as dt
import functools
import gzip
import http.server
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import unquote, urlparse

SCRIPTS = Path(__file__).resolve().parent
sys.path.insert(0, str(SCRIPTS.parent))
# The synthetic workbook writers are test support (tests/support/synthetic), importable as `support.synthetic`
# with tests/ on the path, as pytest's pythonpath = ["tests"] (pyproject.toml) does for the tests.
sys.path.insert(1, str(SCRIPTS.parent / "tests"))

from justice_tracker.paths import REPO_ROOT  # noqa: E402

SECTIONS = ["ingest", "readers", "pages", "build"]
TIME_BUDGET = 600.0  # seconds: the whole run should stay under 10 minutes
KB = 1000
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]  # as tests/test_browser.py


class BenchmarkFailure(RuntimeError):
    """A check inside a benchmark failed (frames differ, a supported raw file does not parse, ...)."""


# --- Output helpers ---------------------------------------------------------------------------------------------


def heading(text: str) -> None:
    print(f"\n== {text} " + "=" * max(0, 100 - len(text)), flush=True)


def table(headers: list[str], rows: list[list], align: str | None = None) -> None:
    """A plain-text table; `align` is one 'l' or 'r' per column (default: first left, the rest right)."""
    align = align or "l" + "r" * (len(headers) - 1)
    cells = [[str(c) for c in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(r):
        return "  ".join(c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(r, widths, align)).rstrip()

    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for r in cells[1:]:
        print(line(r))
    sys.stdout.flush()


def secs(s: float) -> str:
    if s < 0.01:
        return f"{s * 1000:.2f} ms"
    if s < 1:
        return f"{s * 1000:.0f} ms"
    return f"{s:.2f} s"


def kb(n: float) -> str:
    return f"{n / KB:,.1f}"


def ratio(x: float, base: float) -> str:
    return f"{x / base:,.1f}x" if base else "n/a"


def median_time(fn, repeats: int) -> tuple[float, list[float], object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result


def machine() -> dict:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) * 1024
    except OSError:
        pass
    import pandas as pd

    return {"date": dt.datetime.now().astimezone().isoformat(timespec="seconds"), "cpus": os.cpu_count(),
            "cpu_model": model, "ram_bytes": ram, "python": platform.python_version(),
            "platform": platform.platform(), "pandas": pd.__version__}


# --- 1. ingest --------------------------------------------------------------------------------------------------


def _raw_files(config) -> list[Path]:
    files, seen = [], set()
    for base in config.raw_dir_paths():
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if not path.is_file() or path.name.startswith(".") or path.parent == base and path.name == "README.md":
                continue
            if path.resolve() not in seen:
                seen.add(path.resolve())
                files.append(path)
    return files


def _container(path: Path) -> str:
    from justice_tracker.parsers.base import ole_kind, sniff_container

    kind = sniff_container(path)
    if kind == "ole":
        try:
            return ole_kind(path)
        except Exception:
            return "ole"
    return kind


def _supported(path: Path) -> bool:
    """What parse_file would accept: a container some parser reads, recognised by some parser's identify()."""
    from justice_tracker.parsers.base import sniff_container
    from justice_tracker.parsers.registry import parsers

    if sniff_container(path) in {"empty", "html", "unknown"}:
        return False
    for module in parsers():
        try:
            if module.identify(path):
                return True
        except Exception:
            pass
    return False


def section_ingest(args) -> dict:
    from justice_tracker.config import load_config
    from justice_tracker.ingest import build_tables
    from justice_tracker.parsers.base import ParseError
    from justice_tracker.parsers.prison_names import load_prison_names
    from justice_tracker.parsers.registry import parse_file, parsers
    from justice_tracker.raw import list_raw

    config = load_config()
    names = load_prison_names(config)  # the legacy bulletins name establishments; the registry needs the list
    parsers()  # import every parser module before timing
    files = _raw_files(config)
    print(f"{len(files)} files under {', '.join(str(d) for d in config.raw_dir_paths())}; "
          f"each parsed {args.ingest_repeats}x (median); baseline: Path.read_bytes() of the same file")
    parsed, skipped, failed = [], [], []
    for path in files:
        size = path.stat().st_size
        container = _container(path)
        read_s, _, _ = median_time(path.read_bytes, args.ingest_repeats)
        start = time.perf_counter()
        try:
            result = parse_file(path, names)
        except ParseError as e:
            seconds = time.perf_counter() - start
            entry = {"file": str(path), "bytes": size, "container": container, "seconds": seconds, "error": str(e)}
            (failed if _supported(path) else skipped).append(entry)
            continue
        first = time.perf_counter() - start
        rest = [first]
        if args.ingest_repeats > 1:
            rest += median_time(lambda: parse_file(path, names), args.ingest_repeats - 1)[1]
        parsed.append({"file": str(path), "name": path.name, "bytes": size, "container": container,
                       "kind": result.kind, "rows": len(result.table), "seconds": statistics.median(rest),
                       "read_seconds": read_s})

    by_kind = defaultdict(list)
    for p in parsed:
        by_kind[f"{p['kind']} ({p['container']})"].append(p)
    rows, kinds = [], {}
    for kind, ps in sorted(by_kind.items()):
        s, b, r = sum(p["seconds"] for p in ps), sum(p["bytes"] for p in ps), sum(p["read_seconds"] for p in ps)
        kinds[kind] = {"files": len(ps), "bytes": b, "seconds": s, "read_seconds": r,
                       "rows": sum(p["rows"] for p in ps)}
        rows.append([kind, len(ps), f"{b / 1e6:.2f}", secs(s), f"{len(ps) / s:.1f}", f"{b / 1e6 / s:.2f}",
                     f"{s / len(ps) * 1000:.1f}", secs(r), ratio(s, r)])
    total_s = sum(p["seconds"] for p in parsed)
    total_b = sum(p["bytes"] for p in parsed)
    total_r = sum(p["read_seconds"] for p in parsed)
    if parsed:
        rows.append(["all parsed", len(parsed), f"{total_b / 1e6:.2f}", secs(total_s), f"{len(parsed) / total_s:.1f}",
                     f"{total_b / 1e6 / total_s:.2f}", f"{total_s / len(parsed) * 1000:.1f}", secs(total_r),
                     ratio(total_s, total_r)])
        table(["kind (container)", "files", "MB", "parse", "files/s", "MB/s", "ms/file", "read bytes",
               "parse / read"], rows)
    skip_counts = Counter(f"{Path(s['file']).suffix.lstrip('.') or '?'} ({s['container']})" for s in skipped)
    skip_s = sum(s["seconds"] for s in skipped)
    print(f"skipped {len(skipped)} files no parser supports (parse_file rejects them in {secs(skip_s)} in all): "
          + ", ".join(f"{n} {k}" for k, n in sorted(skip_counts.items())))
    if failed:
        print(f"FAILED: {len(failed)} supported file(s) did not parse:")
        for f in failed:
            print(f"  {f['file']}: {f['error']}")
    slow = sorted(parsed, key=lambda p: -p["seconds"])[:5]
    if slow:
        print("slowest 5 files:")
        table(["file", "kind (container)", "KB", "rows", "parse", "read bytes", "parse / read"],
              [[p["name"], f"{p['kind']} ({p['container']})", kb(p["bytes"]), p["rows"], secs(p["seconds"]),
                secs(p["read_seconds"]), ratio(p["seconds"], p["read_seconds"])] for p in slow])

    # The whole ingest, in memory: every table built and validated, nothing written.
    needed = sorted({s for t in config.tables for s in t.sources})
    sources = sorted({raw.path for sid in needed for raw in list_raw(config, sid)})
    src_bytes = sum(p.stat().st_size for p in sources)
    src_read = min(median_time(lambda: [p.read_bytes() for p in sources], 3)[1])
    start = time.perf_counter()
    built = build_tables(config)
    bt = time.perf_counter() - start
    n_rows = sum(len(f) for f in built.values())
    print(f"build_tables(config): {len(built)} tables, {n_rows:,} rows from {len(sources)} raw files "
          f"({src_bytes / 1e6:.2f} MB) in {secs(bt)} ({len(sources) / bt:.1f} files/s, {src_bytes / 1e6 / bt:.2f} "
          f"MB/s); reading those files' bytes: {secs(src_read)} -> {ratio(bt, src_read)} the I/O "
          "(one run; write_tables not called)")
    if failed:
        raise BenchmarkFailure(f"{len(failed)} supported raw file(s) failed to parse (listed above)")
    return {"files": len(files), "parsed": len(parsed), "skipped": len(skipped), "failed": len(failed),
            "skipped_by_type": dict(skip_counts), "skipped_reject_seconds": skip_s,
            "parse_seconds": total_s, "parse_bytes": total_b, "read_seconds": total_r,
            "files_per_second": len(parsed) / total_s if total_s else None,
            "mb_per_second": total_b / 1e6 / total_s if total_s else None,
            "parse_over_read": total_s / total_r if total_r else None, "kinds": kinds,
            "slowest": [{k: p[k] for k in ("file", "kind", "bytes", "seconds")} for p in slow],
            "per_file": parsed, "errors": failed,
            "build_tables": {"seconds": bt, "tables": len(built), "rows": n_rows, "raw_files": len(sources),
                             "raw_bytes": src_bytes, "read_seconds": src_read, "over_read": bt / src_read}}


# --- 2. readers -------------------------------------------------------------------------------------------------


def _captured_sheets(write) -> list:
    """The (sheet name, Grid) list a synthetic writer would save, without saving it."""
    from support.synthetic import monthly, weekly

    captured = []

    def capture(path, sheets):
        captured.extend(sheets)
        return Path(path)

    saved = weekly.save_workbook, monthly.save_workbook
    weekly.save_workbook = monthly.save_workbook = capture
    try:
        write()
    finally:
        weekly.save_workbook, monthly.save_workbook = saved
    return captured


def _save(path: Path, sheets) -> Path:
    """As synthetic.weekly.save_workbook writes .ods (pandas ExcelWriter), for .ods and .xlsx alike."""
    import pandas as pd

    engine = {".ods": "odf", ".xlsx": "openpyxl"}[path.suffix]
    with pd.ExcelWriter(path, engine=engine) as writer:
        for name, grid in sheets:
            pd.DataFrame(grid.dense()).to_excel(writer, sheet_name=name, header=False, index=False)
    return path


def _fixtures(tmp: Path) -> dict[str, dict]:
    from support.synthetic import (synthetic_establishments, synthetic_weekly_series, write_monthly_bulletin,
                                   write_weekly_bulletin)

    weekly_sheets = []
    for bulletin in synthetic_weekly_series("B", n_weeks=52, first_date=dt.date(2025, 1, 6)):
        [(_, grid)] = _captured_sheets(lambda: write_weekly_bulletin(tmp / "x.ods", bulletin))
        weekly_sheets.append((f"Data {bulletin.bulletin_date:%Y-%m-%d}", grid))
    monthly_sheets = _captured_sheets(lambda: write_monthly_bulletin(
        tmp / "x.ods", dt.date(2026, 10, 31), synthetic_establishments(130), 1460))
    out = {}
    for label, stem, sheets in [("weekly, 52 bulletins (layout B), one sheet each", "weekly-52", weekly_sheets),
                                ("monthly, 130 prisons, one sheet", "monthly-130", monthly_sheets)]:
        cells = sum(len(g.cells) for _, g in sheets)
        for suffix in (".xlsx", ".ods"):
            path = _save(tmp / f"{stem}{suffix}", sheets)
            out[f"{stem}{suffix}"] = {"label": label, "path": path, "sheets": len(sheets), "cells": cells,
                                      "bytes": path.stat().st_size}
    return out


def _read(path: Path, engine: str):
    import pandas as pd

    return pd.read_excel(path, sheet_name=None, header=None, engine=engine)


def _compare(name: str, a: dict, b: dict, engines: tuple[str, str]) -> None:
    """Raise BenchmarkFailure unless both readers gave the same sheets with the same shape and values."""
    import pandas as pd

    if list(a) != list(b):
        raise BenchmarkFailure(f"{name}: sheet names differ: {engines[0]} {list(a)[:5]}... vs {engines[1]} "
                               f"{list(b)[:5]}...")
    for sheet in a:
        fa, fb = a[sheet], b[sheet]
        if fa.shape != fb.shape:
            raise BenchmarkFailure(f"{name}, sheet {sheet!r}: shape {fa.shape} with {engines[0]} but {fb.shape} "
                                   f"with {engines[1]}")
        try:
            pd.testing.assert_frame_equal(fa, fb, check_dtype=False, check_exact=True)
        except AssertionError as e:
            raise BenchmarkFailure(f"{name}, sheet {sheet!r}: values differ between {engines[0]} and "
                                   f"{engines[1]}:\n{e}") from e


def section_readers(args) -> dict:
    from justice_tracker.parsers.registry import parse_file

    results = {}
    with tempfile.TemporaryDirectory(prefix="jct-bench-readers-") as tmp:
        start = time.perf_counter()
        fixtures = _fixtures(Path(tmp))
        print(f"fixtures written with support.synthetic in {secs(time.perf_counter() - start)}; each read "
              f"{args.repeats}x after one untimed read (sheet_name=None, header=None); times are medians")
        rows = []
        for name, fx in fixtures.items():
            other = "openpyxl" if name.endswith(".xlsx") else "odf"
            frames = {e: _read(fx["path"], e) for e in ("calamine", other)}  # warm-up, and the equality check
            _compare(name, frames["calamine"], frames[other], ("calamine", other))
            cal, cal_all, _ = median_time(lambda: _read(fx["path"], "calamine"), args.repeats)
            oth, oth_all, _ = median_time(lambda: _read(fx["path"], other), args.repeats)
            results[name] = {"fixture": fx["label"], "sheets": fx["sheets"], "cells": fx["cells"],
                             "bytes": fx["bytes"], "calamine_seconds": cal, "calamine_all": cal_all,
                             "other_engine": other, "other_seconds": oth, "other_all": oth_all,
                             "ratio": oth / cal, "frames_equal": True}
            rows.append([name, fx["sheets"], f"{fx['cells']:,}", kb(fx["bytes"]), secs(cal), f"{other} {secs(oth)}",
                         ratio(oth, cal), "yes"])
        table(["fixture", "sheets", "cells", "KB", "calamine", "pure-Python engine", "engine / calamine",
               "frames equal"], rows)
        # The same workbooks written in the two formats: informative only (ODS and XLSX type cells differently).
        for stem in ("weekly-52", "monthly-130"):
            try:
                _compare(stem, _read(fixtures[f"{stem}.xlsx"]["path"], "calamine"),
                         _read(fixtures[f"{stem}.ods"]["path"], "calamine"), (".xlsx", ".ods"))
                same = "identical"
            except BenchmarkFailure as e:
                same = "differ: " + str(e).splitlines()[0]
            print(f"{stem}: .xlsx and .ods frames (calamine) {same}")
            results[f"{stem}.xlsx_vs_ods"] = same
        # What the project's parser costs on top of the raw read (it reads with python-calamine itself).
        for name in ("monthly-130.ods", "monthly-130.xlsx"):
            path = fixtures[name]["path"]
            parsed = parse_file(path)
            p, _, _ = median_time(lambda: parse_file(path), args.repeats)
            results[name]["parse_file_seconds"] = p
            print(f"parse_file({name}) -> {parsed.kind}, {len(parsed.table)} rows: {secs(p)} "
                  f"= {ratio(p, results[name]['calamine_seconds'])} the pandas calamine read")
    return results


# --- 3. pages ---------------------------------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _page_types(site: Path) -> list[tuple[str, str, str | None]]:
    """(label, path to load, path the page redirects to or None)."""
    pages = [("home (index.html -> book/intro.html)", "index.html", "book/intro.html")]
    pages += [(f"chapter: {p.stem}", f"book/chapters/{p.name}", None)
              for p in sorted((site / "book" / "chapters").glob("*.html"))]
    pages += [("key facts", "book/key-facts.html", None), ("data catalogue", "book/data-catalogue.html", None),
              ("what changed", "book/what-changed.html", None),
              ("prison page (altcourse)", "book/prisons/altcourse.html", None),
              ("prisons index", "book/prisons/index.html", None),
              ("chart permalink (population-vs-capacity)", "charts/population-vs-capacity/index.html", None)]
    return pages


@functools.lru_cache(maxsize=None)
def _file_weight(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    return len(data), len(gzip.compress(data, compresslevel=6, mtime=0))


def _weigh(site: Path, host: str, url: str) -> dict:
    u = urlparse(url)
    if u.scheme in ("data", "blob", "about"):
        return {"local": False, "inline": True, "raw": 0, "gz": 0, "path": None}
    if u.netloc != host:
        return {"local": False, "inline": False, "raw": 0, "gz": 0, "path": None}
    rel = unquote(u.path).lstrip("/")
    path = site / rel
    if rel == "" or rel.endswith("/") or path.is_dir():
        path = path / "index.html"
    if not path.is_file():
        return {"local": True, "inline": False, "raw": 0, "gz": 0, "path": rel, "missing": True}
    raw, gz = _file_weight(path)
    return {"local": True, "inline": False, "raw": raw, "gz": gz, "path": str(path.relative_to(site))}


def _visit(browser, site: Path, base: str, path: str, redirect: str | None, scroll: bool) -> dict:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    page = context.new_page()
    requests: dict[str, dict] = {}

    def on_request(r):
        requests.setdefault(r.url, {"url": r.url, "type": r.resource_type, "status": None})

    def on_response(r):
        if r.url in requests:
            requests[r.url]["status"] = r.status

    def on_failed(r):
        if r.url in requests:
            requests[r.url]["failed"] = r.failure

    page.on("request", on_request)
    page.on("response", on_response)
    page.on("requestfailed", on_failed)
    start = time.perf_counter()
    page.goto(f"{base}/{path}", wait_until="load")
    if redirect:  # index.html is a meta-refresh redirect to the intro; wait for it (a site without one: go on)
        try:
            page.wait_for_url(f"**/{redirect}", timeout=5000)
            page.wait_for_load_state("load")
        except PlaywrightTimeout:
            pass
    for _ in range(2 if scroll else 1):
        try:
            page.wait_for_load_state("networkidle", timeout=15000)
        except PlaywrightTimeout:
            pass
        if scroll:  # step down the page so lazy images and charts drawn on scroll are counted too
            page.evaluate("""async () => {
                for (let y = 0; y < document.documentElement.scrollHeight; y += window.innerHeight) {
                    window.scrollTo(0, y); await new Promise(r => setTimeout(r, 40)); }
                window.scrollTo(0, document.documentElement.scrollHeight); }""")
            scroll = False
    seconds = time.perf_counter() - start
    final_url = page.url
    context.close()
    host = urlparse(base).netloc
    out = []
    for r in requests.values():
        out.append({**r, **_weigh(site, host, r["url"])})
    return {"path": path, "final_url": final_url, "seconds": seconds, "requests": out}


def _short(url: str, base: str) -> str:
    return url[len(base) + 1:] if url.startswith(base) else url


def _first_paints(browser, site: Path, args) -> dict:
    from support import first_paint as fp

    pages = [(f"front page, from the root ({fp.FRONT_PAGE[0]} -> {fp.FRONT_PAGE[1]})", *fp.FRONT_PAGE),
             (f"front page ({fp.FRONT_PAGE[1]})", fp.FRONT_PAGE[1], None)]
    pages += [(f"chapter: {Path(page).stem}", page, None) for page in fp.CHAPTER_PAGES]
    out = {}
    with fp.serve_gzipped(site) as base:
        for label, page, lands_on in pages:
            if not (site / page).is_file():
                print(f"  {page}: not in the site, skipped")
                continue
            runs = [fp.measure(browser, base, page, lands_on, cpu_slowdown=args.cpu_slowdown)
                    for _ in range(args.paint_runs)]
            fcp = statistics.median(r["fcp_ms"] for r in runs)
            typical = min(runs, key=lambda r: abs(r["fcp_ms"] - fcp))
            out[label] = {"page": page, "lands_on": lands_on, "fcp_ms": fcp, "runs_ms": [r["fcp_ms"] for r in runs],
                          "own_fcp_ms": statistics.median(r["own_fcp_ms"] for r in runs),
                          "x_budget": fcp / fp.BUDGET_MS, "pass": fcp <= fp.BUDGET_MS,
                          "bytes_before_paint": typical["bytes_before_paint"],
                          "requests_before_paint": typical["requests_before_paint"],
                          "render_blocking": [_short(u, base) for u in typical["render_blocking"]]}
    return {"budget_ms": fp.BUDGET_MS, "cpu_slowdown": args.cpu_slowdown, "runs": args.paint_runs,
            "network": dict(fp.SLOW_4G), "pages": out}


def _print_first_paints(paints: dict, args) -> None:
    net = paints["network"]
    print(f"\nFirst Contentful Paint on slow 4G (CDP: {net['latency']} ms a request, "
          f"{net['downloadThroughput'] * 8 / 1024:,.2f} kbit/s down, {net['uploadThroughput'] * 8 / 1024:,.0f} kbit/s up "
          "(kbit = 1,024 bits, as Lighthouse), "
          f"CPU slowed {paints['cpu_slowdown']:g}x; site served gzipped over HTTP/1.0, six connections; median of "
          f"{paints['runs']} loads from an empty cache; budget {paints['budget_ms'] / 1000:g} s; 'before paint' = "
          "what had arrived by the paint, typical run)")
    table(["page", "FCP", "runs", "page's own FCP", "x of 3 s", "budget", "KB before paint", "reqs before paint",
           "render-blocking reqs"],
          [[label, secs(r["fcp_ms"] / 1000), " ".join(f"{x / 1000:.2f}" for x in r["runs_ms"]),
            secs(r["own_fcp_ms"] / 1000), f"{r['x_budget']:.2f}", "PASS" if r["pass"] else "OVER",
            kb(r["bytes_before_paint"]), r["requests_before_paint"], len(r["render_blocking"])]
           for label, r in paints["pages"].items()])
    blocking = {u for r in paints["pages"].values() for u in r["render_blocking"]}
    print("render-blocking on some page: " + (", ".join(sorted(u.split("?")[0] for u in blocking)) or "none"))


def section_pages(args) -> dict:
    site = Path(args.site).resolve() if args.site else REPO_ROOT / "_build" / "html"
    if not (site / "index.html").is_file():
        raise BenchmarkFailure(f"no built site in {site} (run make book first, or give --site DIR)")
    from playwright.sync_api import sync_playwright

    chromium = args.chromium
    if not Path(chromium).exists():
        raise BenchmarkFailure(f"{chromium} not found (make browser installs Debian's chromium, or give --chromium)")
    first_target, further_target = args.first_target * KB, args.further_target * KB
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    pages = _page_types(site)
    visits = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                for label, path, redirect in pages:
                    if not (site / path).is_file():
                        print(f"  {path}: not in the site, skipped")
                        continue
                    visits[label] = _visit(browser, site, base, path, redirect, not args.no_scroll)
                paints = _first_paints(browser, site, args)
            finally:
                browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()

    home_label = pages[0][0]
    if home_label not in visits:
        raise BenchmarkFailure("the home page could not be loaded")
    home_urls = {r["url"] for r in visits[home_label]["requests"]}
    # The home page's own "further page" figure: arriving from the first chapter instead.
    second = next((label for label in visits if label != home_label), None)
    # A steadier figure beside the brief's: a further page once the home page and a chapter (which loads the
    # chart library) are cached; for the first chapter itself, the second chapter.
    chapters = [label for label in visits if label.startswith("chapter: ")]

    def urls(label):
        return {r["url"] for r in visits[label]["requests"]} if label else set()

    results, rows, problems = {}, [], []
    types = ["document", "stylesheet", "script", "font", "image", "fetch/xhr", "other"]
    for label, v in visits.items():
        reqs = [r for r in v["requests"] if not r.get("inline")]
        seen = ({r["url"] for r in visits[second]["requests"]} if label == home_label and second else home_urls)
        new = [r for r in reqs if r["url"] not in seen]
        first_gz = sum(r["gz"] for r in reqs)
        further_gz = sum(r["gz"] for r in new)
        warm_ref = next((c for c in chapters if c != label), None)
        warm_seen = urls(warm_ref) if label == home_label else home_urls | urls(warm_ref)
        warm_gz = sum(r["gz"] for r in reqs if r["url"] not in warm_seen)
        by_type = Counter()
        for r in reqs:
            t = r["type"] if r["type"] in types else ("fetch/xhr" if r["type"] in ("fetch", "xhr") else "other")
            by_type[t] += r["gz"]
        for r in reqs:
            if not r["local"]:
                problems.append(f"{label}: request to another host: {r['url']}")
            elif r.get("missing") or (r["status"] or 0) >= 400 or r.get("failed"):
                problems.append(f"{label}: HTTP {r['status']} ({r.get('failed') or 'no file'}) for "
                                f"{_short(r['url'], base)}")
        results[label] = {
            "path": v["path"], "final_url": _short(v["final_url"], base), "requests": len(reqs), "first_visit_gz": first_gz,
            "first_visit_raw": sum(r["raw"] for r in reqs), "further_page_gz": further_gz,
            "further_page_requests": len(new), "further_relative_to": second if label == home_label else home_label,
            "after_home_and_chapter_gz": warm_gz, "after_home_and_chapter_relative_to": [home_label, warm_ref],
            "first_x_target": first_gz / first_target, "further_x_target": further_gz / further_target,
            "first_pass": first_gz <= first_target, "further_pass": further_gz <= further_target,
            "by_type_gz": dict(by_type), "load_seconds": v["seconds"],
            "heaviest": [{"url": _short(r["url"], base), "type": r["type"], "gz": r["gz"], "raw": r["raw"],
                          "shared_with_home": r["url"] in home_urls}
                         for r in sorted(reqs, key=lambda r: -r["gz"])[:5]],
            "heaviest_new": [{"url": _short(r["url"], base), "type": r["type"], "gz": r["gz"], "raw": r["raw"]}
                             for r in sorted(new, key=lambda r: -r["gz"])[:5]],
            "all_requests": [{"url": _short(r["url"], base), "type": r["type"], "status": r["status"],
                              "gz": r["gz"], "raw": r["raw"]} for r in reqs],
        }
        rows.append([label, len(reqs), kb(first_gz), f"{first_gz / first_target:.2f}",
                     "PASS" if first_gz <= first_target else "OVER", len(new), kb(further_gz),
                     f"{further_gz / further_target:.2f}", "PASS" if further_gz <= further_target else "OVER",
                     kb(warm_gz),
                     *(kb(by_type.get(t, 0)) for t in types)])
    print(f"site {site}; Chromium {args.chromium}; sizes are gzip -6 of the files on disk, KB = 1,000 bytes; "
          f"first visit = empty cache; further page = URLs the home page had not fetched "
          f"(for the home page itself: not fetched by {second!r}); "
          + ("pages scrolled to the bottom before counting" if not args.no_scroll else "pages not scrolled")
          + f"; 'after a chapter' = URLs neither the home page nor {chapters[0] if chapters else 'a chapter'!r} "
          f"(for that chapter: {chapters[1] if len(chapters) > 1 else 'none'!r}; for the home page: that chapter "
          "alone) had fetched")
    table(["page", "reqs", "first KB", f"x of {args.first_target}", "first", "new reqs", "further KB",
           f"x of {args.further_target}", "further", "after a chapter KB",
           *(f"{t} KB" for t in types)], rows)
    for label, r in results.items():
        print(f"\n{label} ({r['final_url']}): first visit {kb(r['first_visit_gz'])} KB gzipped "
              f"({kb(r['first_visit_raw'])} KB raw) in {r['requests']} requests; further page "
              f"{kb(r['further_page_gz'])} KB in {r['further_page_requests']}")
        print("  heaviest on a first visit:" + "".join(
            f"\n    {kb(h['gz']):>8} KB  {h['type']:<10} {h['url']}" + ("  (shared)" if h["shared_with_home"] else "")
            for h in r["heaviest"]))
        print("  heaviest new on a further page:" + ("".join(
            f"\n    {kb(h['gz']):>8} KB  {h['type']:<10} {h['url']}" for h in r["heaviest_new"]) or " none"))
    # The resources every page pays for on a first visit: what the home page loads, heaviest first.
    shared = sorted((r for r in visits[home_label]["requests"] if not r.get("inline")), key=lambda r: -r["gz"])
    largest = shared[0] if shared else None
    if problems:
        print("\nrequests that went wrong:\n  " + "\n  ".join(dict.fromkeys(problems)))
    _print_first_paints(paints, args)
    return {"site": str(site), "first_target_bytes": first_target, "further_target_bytes": further_target,
            "pages": results, "problems": list(dict.fromkeys(problems)), "first_paint": paints,
            "largest_shared_asset": {"url": _short(largest["url"], base), "gz": largest["gz"]} if largest else None}


# --- 4. build ---------------------------------------------------------------------------------------------------


def section_build(args) -> dict:
    sys.path.insert(0, str(SCRIPTS))
    import benchmark_build

    return benchmark_build.run(None if args.serial_all else args.serial_sample)


# --- Summary ----------------------------------------------------------------------------------------------------


def markdown_summary(info: dict, results: dict, timings: dict) -> str:
    cpu = f"{info['cpus']} CPUs ({info['cpu_model']}), {info['ram_bytes'] / 2**30:.0f} GiB RAM" \
        if info["ram_bytes"] else f"{info['cpus']} CPUs ({info['cpu_model']})"
    lines = [f"Measured by `scripts/benchmark.py` on {info['date'][:10]}: {cpu}, Python {info['python']}, "
             f"pandas {info['pandas']}. Each baseline is measured in the same run.", "",
             "| benchmark | measured | baseline (same run) | ratio |", "|---|---|---|---|"]
    ing = results.get("ingest")
    if isinstance(ing, dict) and ing.get("parsed"):
        lines.append(f"| ingest: `parse_file` on {ing['parsed']} sample raw files ({ing['parse_bytes'] / 1e6:.1f} MB; "
                     f"{ing['skipped']} unsupported skipped) | {ing['parse_seconds']:.2f} s "
                     f"({ing['files_per_second']:.0f} files/s, {ing['mb_per_second']:.1f} MB/s) | reading their bytes: "
                     f"{secs(ing['read_seconds'])} | {ing['parse_over_read']:,.0f}x |")
        for kind, k in ing["kinds"].items():
            lines.append(f"| ingest: {kind}, {k['files']} files | {k['seconds']:.2f} s "
                         f"({k['seconds'] / k['files'] * 1000:.0f} ms/file) | reading: {secs(k['read_seconds'])} | "
                         f"{k['seconds'] / k['read_seconds']:,.0f}x |")
        bt = ing["build_tables"]
        lines.append(f"| ingest: `build_tables` in memory ({bt['tables']} tables, {bt['rows']:,} rows, "
                     f"{bt['raw_files']} raw files) | {bt['seconds']:.1f} s | reading those files: "
                     f"{secs(bt['read_seconds'])} | {bt['over_read']:,.0f}x |")
    rd = results.get("readers")
    if isinstance(rd, dict):
        for name, r in rd.items():
            if isinstance(r, dict) and "calamine_seconds" in r:
                lines.append(f"| read {name} ({r['sheets']} sheet{'s' if r['sheets'] > 1 else ''}, {r['cells']:,} "
                             f"cells) with pandas `engine=\"{r['other_engine']}\"` | {secs(r['other_seconds'])} | "
                             f"`engine=\"calamine\"`: {secs(r['calamine_seconds'])} | {r['ratio']:.1f}x slower |")
    bd = results.get("build")
    if isinstance(bd, dict):
        base = bd["baseline_serial_papermill_seconds"]
        est = " (estimated from a sample)" if bd["baseline_is_estimate"] else ""
        for row in bd["rows"][1:]:
            if row["speedup"] is None:
                continue
            row_base = row.get("baseline_seconds") or base
            lines.append(f"| build ({bd['notebooks']} notebooks): {row['step']} | {row['seconds']:.1f} s | serial "
                         f"papermill{est}: {row_base:.1f} s | {row['speedup']:.1f}x faster |")
    pg = results.get("pages")
    if isinstance(pg, dict):
        lines += ["", f"Page weight (gzip -6 of every file a page requests in headless Chromium; KB = 1,000 bytes; "
                      f"targets: first visit <= {pg['first_target_bytes'] // KB} KB, further page <= "
                      f"{pg['further_target_bytes'] // KB} KB):", "",
                  "| page | first visit, KB | x of target | further page, KB | x of target | further, after a chapter, "
                  "KB | heaviest on a first visit | heaviest new on a further page |",
                  "|---|---|---|---|---|---|---|---|"]

        def res(items):
            return f"`{items[0]['url'].split('?')[0]}` {kb(items[0]['gz'])} KB" if items else "none"

        for label, r in pg["pages"].items():
            first = kb(r["first_visit_gz"]) + ("" if r["first_pass"] else " (over)")
            further = kb(r["further_page_gz"]) + ("" if r["further_pass"] else " (over)")
            lines.append(f"| {label} | {first} | {r['first_x_target']:.2f} | {further} | {r['further_x_target']:.2f} "
                         f"| {kb(r['after_home_and_chapter_gz'])} | {res(r['heaviest'])} | {res(r['heaviest_new'])} |")
    fp = pg.get("first_paint") if isinstance(pg, dict) else None
    if fp:
        net = fp["network"]
        lines += ["", f"First Contentful Paint on slow 4G (Chromium, CDP emulation as Lighthouse's mobile Slow 4G: "
                      f"{net['latency']} ms a request, {net['downloadThroughput'] * 8 / 1024:,.2f} kbit/s down, CPU "
                      f"slowed {fp['cpu_slowdown']:g}x; median of {fp['runs']} loads from an empty cache; budget "
                      f"{fp['budget_ms'] / 1000:g} s):", "",
                  "| page | first contentful paint | x of budget | budget | KB before paint | render-blocking requests |",
                  "|---|---|---|---|---|---|"]
        for label, r in fp["pages"].items():
            lines.append(f"| {label} | {r['fcp_ms'] / 1000:.2f} s | {r['x_budget']:.2f} | "
                         f"{'pass' if r['pass'] else 'over'} | {kb(r['bytes_before_paint'])} | "
                         f"{len(r['render_blocking'])} |")
    lines += ["", "| section | run time |", "|---|---|"]
    lines += [f"| {s} | {t:.1f} s |" for s, t in timings.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="The repository's benchmarks (see the module docstring).",
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--only", help=f"comma-separated sections to run, of {','.join(SECTIONS)}")
    ap.add_argument("--skip", default="", help="comma-separated sections to leave out")
    ap.add_argument("--skip-build", action="store_true", help="leave out the build section (same as --skip build)")
    ap.add_argument("--json", metavar="PATH", help="write every figure to this JSON file")
    ap.add_argument("--ingest-repeats", type=int, default=3, help="parses per raw file, median taken (default 3)")
    ap.add_argument("--repeats", type=int, default=5, help="reads per workbook and engine, median (default 5)")
    ap.add_argument("--site", help="built site to weigh (default _build/html)")
    ap.add_argument("--chromium", default="/usr/bin/chromium", help="Chromium binary (default /usr/bin/chromium)")
    ap.add_argument("--no-scroll", action="store_true", help="count only what loads without scrolling")
    ap.add_argument("--first-target", type=int, default=700, help="first-visit target, KB (default 700)")
    ap.add_argument("--further-target", type=int, default=50, help="further-page target, KB (default 50)")
    ap.add_argument("--paint-runs", type=int, default=3, help="pages: loads per page for first paint, median (default 3)")
    ap.add_argument("--cpu-slowdown", type=float, default=4,
                    help="pages: CPU throttling for first paint, as Lighthouse's mobile (default 4)")
    ap.add_argument("--serial-sample", type=int, default=10, metavar="N",
                    help="build: pages per big notebook template in the serial baseline (default 10)")
    ap.add_argument("--serial-all", action="store_true",
                    help="build: run the serial papermill baseline over every notebook (about 9 minutes more)")
    args = ap.parse_args(argv)

    def names(text: str) -> list[str]:
        out = [s.strip() for s in text.split(",") if s.strip()]
        unknown = [s for s in out if s not in SECTIONS]
        if unknown:
            ap.error(f"unknown section(s) {unknown}; sections are {SECTIONS}")
        return out

    chosen = names(args.only) if args.only else list(SECTIONS)
    skip = set(names(args.skip)) | ({"build"} if args.skip_build else set())
    chosen = [s for s in SECTIONS if s in chosen and s not in skip]
    if min(args.repeats, args.ingest_repeats, args.paint_runs) < 1 or args.serial_sample < 1:
        ap.error("repeat counts, --paint-runs and --serial-sample must be at least 1")
    if args.cpu_slowdown < 1:
        ap.error("--cpu-slowdown must be at least 1 (1 = no throttling)")

    info = machine()
    print(f"Justice Crisis Tracker benchmarks, {info['date']}")
    print(f"machine: {info['cpus']} CPUs, {info['cpu_model']}, "
          + (f"{info['ram_bytes'] / 2**30:.1f} GiB RAM" if info["ram_bytes"] else "RAM unknown")
          + f"; {info['platform']}; Python {info['python']}; pandas {info['pandas']}")
    print(f"sections: {', '.join(chosen) or 'none'}")
    funcs = {"ingest": section_ingest, "readers": section_readers, "pages": section_pages, "build": section_build}
    results, timings, failures = {}, {}, []
    overall = time.perf_counter()
    for name in chosen:
        heading(name)
        start = time.perf_counter()
        try:
            results[name] = funcs[name](args)
        except BenchmarkFailure as e:
            failures.append(f"{name}: {e}")
            results[name] = {"failed": str(e)}
            print(f"\nFAILED ({name}): {e}")
        except Exception as e:  # a crash in one section should not hide the others' figures
            failures.append(f"{name}: {type(e).__name__}: {e}")
            results[name] = {"failed": f"{type(e).__name__}: {e}"}
            traceback.print_exc()
            print(f"\nFAILED ({name}): {type(e).__name__}: {e}")
        timings[name] = time.perf_counter() - start
        print(f"-- {name}: {timings[name]:.1f} s", flush=True)
    total = time.perf_counter() - overall

    heading("summary (Markdown, for README's Performance section)")
    print(markdown_summary(info, results, timings))
    print(f"\ntotal {total:.1f} s" + (f"  (over the {TIME_BUDGET / 60:.0f}-minute budget)" if total > TIME_BUDGET
                                       else ""))
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "sections": results, "section_seconds": timings,
                                               "total_seconds": total, "failures": failures},
                                              indent=1, default=str) + "\n")
        print(f"figures written to {args.json}")
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
