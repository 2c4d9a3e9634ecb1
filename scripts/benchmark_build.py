#!/usr/bin/env python3
"""Benchmark the site build: plain serial papermill (the baseline, measured in the same run) against the
tracker's build (pages run on a pool of long-lived kernels, unchanged notebooks skipped), as a full build from
scratch, a no-op rebuild, and a rebuild after one processed table changed (only the pages reading it run).

Plain serial papermill over every page takes about 9 minutes on a 2-core machine, so by default the baseline
runs over a stratified sample and is scaled up: the pages are grouped by notebook template, every page of a
template used by at most --serial-sample pages is run (the chapters and reference pages: each has its own
template), and --serial-sample pages, evenly spaced, of a bigger group (the prison pages); the estimate for all
pages is the sum over templates of (mean seconds per page measured) x (pages using it). The output says which
figures are estimates. `--serial-all` runs the baseline over every page instead (measured, not estimated).

The tracker's figures are all measured over every page: the full build (`build_site(force=True)`, whose
notebook phase and Jupyter Book phase are timed separately), then the no-op notebook pass and no-op rebuild.

Usage: .venv/bin/python scripts/benchmark_build.py [--serial-sample N | --serial-all]
       (prints a table; writes nothing but the normal build into _build/html; scripts/benchmark.py runs this too)
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import nbformat  # noqa: E402
import papermill as pm  # noqa: E402

from justice_tracker import build as build_module  # noqa: E402
from justice_tracker.build import build_site, jobs, run_notebooks  # noqa: E402
from justice_tracker.charts import RENDER_CACHE  # noqa: E402
from justice_tracker.config import load_config  # noqa: E402
from justice_tracker.notebooks import fill_markdown  # noqa: E402
from justice_tracker.paths import REPO_ROOT  # noqa: E402

DEFAULT_SERIAL_SAMPLE = 10


def serial_papermill(entries) -> dict[str, float]:
    """Each page's template through papermill, one kernel at a time, no cache: what a plain setup does.
    Returns {page: seconds}."""
    seconds = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, entry in enumerate(entries):
            start = time.perf_counter()
            nb = nbformat.read(REPO_ROOT / entry.notebook.template, as_version=4)
            fill_markdown(nb, dict(entry.notebook.parameters), entry.notebook.template)
            src = Path(tmp) / f"in-{i}.ipynb"
            nbformat.write(nb, src)
            pm.execute_notebook(str(src), str(Path(tmp) / f"out-{i}.ipynb"), parameters=entry.notebook.parameters,
                                kernel_name="python3", cwd=str(REPO_ROOT), progress_bar=False, log_output=False)
            seconds[entry.file] = time.perf_counter() - start
    return seconds


def stratified_sample(entries, per_template: int | None):
    """({template: [entries run]}, {template: number of pages}); per_template=None runs every page."""
    groups = defaultdict(list)
    for e in entries:
        groups[e.notebook.template].append(e)
    chosen = {}
    for template, members in groups.items():
        if per_template is None or len(members) <= per_template:
            chosen[template] = members
        else:  # evenly spaced, first and last included: deterministic, and not just the alphabet's start
            step = (len(members) - 1) / (per_template - 1) if per_template > 1 else 0
            chosen[template] = [members[round(i * step)] for i in range(per_template)]
    return chosen, {t: len(m) for t, m in groups.items()}


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# A table only the recalls chapter (and the pages over every table) read, and the one every prison page reads.
CHANGED_TABLES = ["recalls_quarterly", "monthly_establishments"]


def one_table_changed(config, table: str, quiet, log) -> dict:
    """Change one value of a processed table, rebuild (only the pages reading it run), then put the table back
    and rebuild again, so the site is left as it was. Returns the pages re-executed and the seconds."""
    path = config.processed_path(table)
    original = path.read_bytes()
    lines = original.decode("utf-8").split("\n")
    header, last = lines[0].split(","), lines[-2].split(",")
    column = next(i for i, c in enumerate(header) if c in ("recalls", "population"))
    last[column] = str(int(float(last[column])) + 1)
    lines[-2] = ",".join(last)
    log(f"tracker: one table changed ({table}) ...")
    try:
        path.write_text("\n".join(lines), encoding="utf-8")
        todo, _, _, _ = build_module.plan_notebooks(config)
        seconds = timed(lambda: build_site(config, quiet))
    finally:
        path.write_bytes(original)
        build_site(config, quiet)
    return {"table": table, "pages": len(todo), "seconds": seconds}


def run(serial_sample: int | None = DEFAULT_SERIAL_SAMPLE, log=print) -> dict:
    """Run the build benchmark; returns every figure (and prints as it goes). serial_sample=None: the baseline
    runs over every page."""
    config = load_config()
    quiet = lambda *_: None  # noqa: E731
    entries = config.all_notebook_pages()
    n = len(entries)
    log(f"{n} notebooks; {os.cpu_count()} cores ({jobs()} workers); {platform.python_version()}; "
        f"{time.strftime('%Y-%m-%d')}")

    chosen, counts = stratified_sample(entries, serial_sample)
    sample = [e for members in chosen.values() for e in members]
    # Both the baseline and the full build start with no drawing cache: each chart is drawn from scratch.
    shutil.rmtree(RENDER_CACHE, ignore_errors=True)
    log(f"baseline: plain serial papermill over {len(sample)} of {n} notebooks ...")
    per_page = serial_papermill(sample)
    measured = sum(per_page.values())
    strata = []
    for template, members in chosen.items():
        mean = sum(per_page[e.file] for e in members) / len(members)
        strata.append({"template": template, "pages": counts[template], "run": len(members),
                       "mean_seconds": mean, "estimated_seconds": mean * counts[template]})
    estimated = len(sample) < n
    baseline = sum(s["estimated_seconds"] for s in strata)
    for s in strata:
        if s["run"] < s["pages"]:
            log(f"  {s['template']}: {s['run']} of {s['pages']} pages run, {s['mean_seconds']:.2f} s each "
                f"-> {s['estimated_seconds']:.1f} s estimated for all {s['pages']}")
    others = [s for s in strata if s["run"] == s["pages"]]
    if others:
        log(f"  {sum(s['pages'] for s in others)} other pages ({len(others)} templates) all run: "
            f"{sum(s['estimated_seconds'] for s in others):.1f} s")
    log(f"  measured {measured:.1f} s for {len(sample)} notebooks ({measured / len(sample):.2f} s each)"
        + (f"; estimate for all {n}: {baseline:.1f} s" if estimated else ""))

    # The full build: time its two phases by wrapping the functions build_site calls (behaviour unchanged).
    phases = {}
    original_run, original_jb = build_module.run_notebooks, build_module.jupyter_book

    def timed_run(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original_run(*args, **kwargs)
        finally:
            phases["notebooks"] = time.perf_counter() - start

    def timed_jb(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original_jb(*args, **kwargs)
        finally:
            phases["jupyter_book"] = time.perf_counter() - start

    log("tracker: full build from scratch (no drawing cache, every notebook on the kernel pool, Jupyter Book "
        "from scratch) ...")
    shutil.rmtree(RENDER_CACHE, ignore_errors=True)
    build_module.run_notebooks, build_module.jupyter_book = timed_run, timed_jb
    try:
        full = timed(lambda: build_site(config, quiet, force=True))
    finally:
        build_module.run_notebooks, build_module.jupyter_book = original_run, original_jb
    log("tracker: no-op notebook pass and no-op rebuild ...")
    noop_nb = timed(lambda: run_notebooks(config, quiet))
    noop = timed(lambda: build_site(config, quiet))
    changed = [one_table_changed(config, table, quiet, log) for table in CHANGED_TABLES]

    base_label = (f"notebooks: plain serial papermill (baseline; ESTIMATED from {len(sample)} of {n} run, "
                  f"{measured:.1f} s measured)" if estimated else "notebooks: plain serial papermill (baseline)")
    per_page_baseline = baseline / n
    rows = [
        (base_label, baseline, 1.0),
        ("notebooks: tracker, parallel, all executed (phase of the full build)", phases["notebooks"],
         baseline / phases["notebooks"]),
        ("notebooks: tracker, nothing changed (skipped)", noop_nb, baseline / noop_nb),
        ("whole site: full build (execute all + Jupyter Book from scratch)", full, baseline / full),
        ("  of which Jupyter Book", phases["jupyter_book"], None),
        ("whole site: no-op rebuild", noop, baseline / noop),
    ] + [(f"one table changed ({c['table']}): {c['pages']} page(s) re-executed, rebuild (baseline: those pages "
           f"alone)", c["seconds"], per_page_baseline * c["pages"] / c["seconds"]) for c in changed]
    width = max(len(r[0]) for r in rows)
    log(f"{'step':<{width}}  {'seconds':>8}  {'speed-up vs baseline':>20}")
    for name, seconds, ratio in rows:
        log(f"{name:<{width}}  {seconds:8.1f}  " + (f"{ratio:19.1f}x" if ratio is not None else f"{'':>20}"))
    if estimated:
        log(f"(the baseline is an estimate: {len(sample)} of {n} notebooks were run serially and scaled per "
            "template; run with --serial-all to measure it over every notebook, about 9 minutes more)")
    return {
        "notebooks": n, "workers": jobs(),
        "baseline_serial_papermill_seconds": baseline, "baseline_is_estimate": estimated,
        "baseline_sample_notebooks": len(sample), "baseline_sample_measured_seconds": measured,
        "baseline_strata": strata,
        "parallel_all_executed_seconds": phases["notebooks"], "noop_notebooks_seconds": noop_nb,
        "full_build_seconds": full, "full_build_jupyter_book_seconds": phases["jupyter_book"],
        "noop_rebuild_seconds": noop,
        "one_table_changed": changed,
        # The baseline each ratio is against: every notebook, or (one table changed) the re-executed pages alone.
        "rows": [{"step": name, "seconds": s, "speedup": r, "baseline_seconds": s * r if r else None}
                 for name, s, r in rows],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--serial-sample", type=int, default=DEFAULT_SERIAL_SAMPLE, metavar="N",
                       help=f"pages per big template in the serial baseline (default {DEFAULT_SERIAL_SAMPLE})")
    group.add_argument("--serial-all", action="store_true", help="run the serial baseline over every notebook")
    args = ap.parse_args(argv)
    if not args.serial_all and args.serial_sample < 1:
        ap.error("--serial-sample must be at least 1")
    run(None if args.serial_all else args.serial_sample)
    return 0


if __name__ == "__main__":
    sys.exit(main())
