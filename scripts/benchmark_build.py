#!/usr/bin/env python3
"""Benchmark the site build: plain serial papermill (the baseline, measured in the same run) against the
tracker's build (parallel execution, unchanged notebooks skipped), as a full build and as a no-op rebuild.

Usage: .venv/bin/python scripts/benchmark_build.py   (prints a table; writes nothing but the normal build)
"""
from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import nbformat  # noqa: E402
import papermill as pm  # noqa: E402

from justice_tracker.build import build_site, jobs, run_notebooks  # noqa: E402
from justice_tracker.config import load_config  # noqa: E402
from justice_tracker.notebooks import fill_markdown  # noqa: E402
from justice_tracker.paths import REPO_ROOT  # noqa: E402


def serial_papermill(config) -> float:
    """Every page's template through papermill, one kernel at a time, no cache: what a plain setup does."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i, entry in enumerate(config.all_notebook_pages()):
            nb = nbformat.read(REPO_ROOT / entry.notebook.template, as_version=4)
            fill_markdown(nb, dict(entry.notebook.parameters), entry.notebook.template)
            src = Path(tmp) / f"in-{i}.ipynb"
            nbformat.write(nb, src)
            pm.execute_notebook(str(src), str(Path(tmp) / f"out-{i}.ipynb"), parameters=entry.notebook.parameters,
                                kernel_name="python3", cwd=str(REPO_ROOT), progress_bar=False, log_output=False)
    return time.perf_counter() - start


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    config = load_config()
    quiet = lambda *_: None  # noqa: E731
    n = len(config.all_notebook_pages())
    print(f"{n} notebooks; {os.cpu_count()} cores ({jobs()} workers); {platform.python_version()}; "
          f"{time.strftime('%Y-%m-%d')}")
    baseline = serial_papermill(config)
    parallel = timed(lambda: run_notebooks(config, quiet, force=True))
    noop_nb = timed(lambda: run_notebooks(config, quiet))
    full = timed(lambda: build_site(config, quiet, force=True))
    noop = timed(lambda: build_site(config, quiet))
    rows = [
        ("notebooks: plain serial papermill (baseline)", baseline, 1.0),
        ("notebooks: tracker, parallel, all executed", parallel, baseline / parallel),
        ("notebooks: tracker, nothing changed (skipped)", noop_nb, baseline / noop_nb),
        ("whole site: full build (execute all + Jupyter Book from scratch)", full, baseline / full),
        ("whole site: no-op rebuild", noop, baseline / noop),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'step':<{width}}  {'seconds':>8}  {'speed-up vs baseline':>20}")
    for name, seconds, ratio in rows:
        print(f"{name:<{width}}  {seconds:8.1f}  {ratio:19.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
