"""Build the site: table of contents, Vega bundle, executed notebooks, then Jupyter Book.

Notebooks run in parallel across the cores, and a notebook whose inputs are unchanged is not run again: its
key is the hash of its template, its parameters, the processed tables it reads and the package code (not
jupyter-cache, whose key ignores data files). Jupyter Book builds incrementally in `_build/jupyter-book`;
`_build/html` is replaced only when the whole build succeeded, so a failed or interrupted build leaves the
last good site in place.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import yaml

from .charts import write_vega_bundle
from .config import TocEntry, TrackerConfig
from .files import atomic_write_text, sha256_file
from .notebooks import NotebookError, execute, output_path
from .paths import BUILD_DIR, PACKAGE_DIR, REPO_ROOT, SITE_DIR
from .errors import BuildError, BuildInterrupted  # noqa: F401 (re-exported)

TOC_FILE = REPO_ROOT / "_toc.yml"
TOC_HEADER = "# Generated from the toc section of tracker.yml by `make toc`; edit tracker.yml, not this file.\n"
CACHE_FILE = BUILD_DIR / "notebook-cache.json"
JB_DIR = BUILD_DIR / "jupyter-book"
# What a chapter may read besides its processed tables: hashed into every notebook's key (the package's code
# wherever it is installed, and the project's curated and reference data).
SHARED_INPUTS = ["data/curated", "data/reference"]
EDITION_ENV = ("JCT_EDITION", "JCT_EDITION_DATE", "JCT_PREVIOUS_EDITION")
EDITIONS_DIR = REPO_ROOT / "editions"


def check_templates(config: TrackerConfig) -> None:
    """Every page's template exists. Checked before anything runs: a toc entry naming a missing notebook was an
    OSError naming only the path, after the Vega bundle had been written."""
    missing = [f"page {e.file}: template {e.notebook.template} not found" for e in config.all_notebook_pages()
               if not (REPO_ROOT / e.notebook.template).is_file()]
    if missing:
        raise BuildError("tracker.yml toc names notebooks that do not exist:\n  " + "\n  ".join(dict.fromkeys(missing)))


def toc_text(config: TrackerConfig) -> str:
    def chapter(c: TocEntry) -> dict:
        item = {"file": c.file, "title": c.title}
        sections = config.generated_pages(c)
        if sections:
            item["sections"] = [{"file": s.file, "title": s.title} for s in sections]
        return item

    toc = {
        "format": "jb-book",
        "root": config.toc.root,
        "parts": [{"caption": part.caption, "chapters": [chapter(c) for c in part.chapters]}
                  for part in config.toc.parts],
    }
    return TOC_HEADER + yaml.safe_dump(toc, sort_keys=False, allow_unicode=True)


def write_toc(config: TrackerConfig) -> bool:
    text = toc_text(config)
    if TOC_FILE.exists() and TOC_FILE.read_text(encoding="utf-8") == text:
        return False
    atomic_write_text(TOC_FILE, text)
    return True


def code_fingerprint() -> str:
    h = hashlib.sha256()
    for top in [PACKAGE_DIR, *(REPO_ROOT / t for t in SHARED_INPUTS)]:
        for path in sorted(top.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(top.parent)).encode())
                h.update(sha256_file(path).encode())
    return h.hexdigest()


def notebook_key(config: TrackerConfig, entry: TocEntry, fingerprint: str) -> str:
    run = entry.notebook
    h = hashlib.sha256()
    h.update(sha256_file(REPO_ROOT / run.template).encode())
    h.update(json.dumps(run.parameters, sort_keys=True, default=str).encode())
    reads = [t.id for t in config.tables] if "*" in run.reads else run.reads
    for tid in sorted(reads):
        h.update(tid.encode())
        h.update(sha256_file(config.processed_path(tid)).encode())
    h.update(fingerprint.encode())
    # The edition being built is printed on every page and in every citation.
    h.update(json.dumps({k: os.environ.get(k, "") for k in EDITION_ENV}, sort_keys=True).encode())
    if run.editions:
        for path in sorted(EDITIONS_DIR.glob("*/edition.json")):
            h.update(path.parent.name.encode())
            h.update(sha256_file(path).encode())
    return h.hexdigest()


KERNEL_LOG = BUILD_DIR / "notebook-kernels.log"


def _quiet_kernels() -> None:
    """Worker start-up: kernels inherit stderr and print start-up warnings; keep them in a log, not the console.
    A notebook's own errors still reach the build through papermill."""
    KERNEL_LOG.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(KERNEL_LOG, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    os.close(fd)


def _execute(entry: TocEntry) -> tuple[str, float]:
    start = time.perf_counter()
    execute(entry)
    return entry.file, time.perf_counter() - start


def jobs() -> int:
    return max(1, int(os.environ.get("JCT_JOBS", os.cpu_count() or 1)))


def plan_notebooks(config: TrackerConfig, force: bool = False):
    """(pages to execute, pages unchanged, their keys, the cache): what a build would run, without running it."""
    entries = config.all_notebook_pages()
    cache = json.loads(CACHE_FILE.read_text()) if CACHE_FILE.exists() and not force else {}
    fingerprint = code_fingerprint()
    keys = {e.file: notebook_key(config, e, fingerprint) for e in entries}
    todo = [e for e in entries if force or cache.get(e.file) != keys[e.file] or not output_path(e).exists()]
    skipped = [e.file for e in entries if e not in todo]
    return todo, skipped, keys, cache


def run_notebooks(config: TrackerConfig, log=print, force: bool = False, workers: int | None = None) -> dict:
    """Execute what changed; returns {"executed": [...], "skipped": [...], "seconds": float}."""
    entries = config.all_notebook_pages()
    todo, skipped, keys, cache = plan_notebooks(config, force)
    _remove_stale_outputs({output_path(e) for e in entries})
    start = time.perf_counter()
    failures = []
    workers = workers or jobs()
    if todo:
        log(f"  executing {len(todo)} notebook(s) with {min(workers, len(todo))} worker(s); "
            f"{len(skipped)} unchanged")
        with ProcessPoolExecutor(max_workers=min(workers, len(todo)), initializer=_quiet_kernels) as pool:
            futures = {pool.submit(_execute, e): e for e in todo}
            for future in as_completed(futures):
                entry = futures[future]
                try:
                    _, seconds = future.result()
                except NotebookError as e:
                    failures.append(str(e))
                    continue
                cache[entry.file] = keys[entry.file]
                if len(todo) <= 10:
                    log(f"  executed {entry.notebook.template} -> {entry.file}.ipynb ({seconds:.1f} s)")
        CACHE_FILE.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(CACHE_FILE, json.dumps(cache, indent=1, sort_keys=True) + "\n")
    else:
        log(f"  all {len(entries)} notebooks unchanged")
    if failures:
        raise BuildError(f"{len(failures)} notebook(s) failed; the site was not rebuilt:\n  " + "\n  ".join(failures))
    return {"executed": [e.file for e in todo], "skipped": skipped, "seconds": time.perf_counter() - start}


def _remove_stale_outputs(wanted: set[Path]) -> None:
    """Executed notebooks for pages no longer in the toc (a prison removed from the table, a renamed page)."""
    for path in (REPO_ROOT / "book").rglob("*.ipynb"):
        if path not in wanted and ".ipynb_checkpoints" not in path.parts:
            path.unlink()


def jupyter_book() -> Path:
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb), "build", str(REPO_ROOT), "--path-output", str(JB_DIR), "-W", "-n", "--keep-going", "-q"]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-40:])
        raise BuildError(f"jupyter-book build failed (exit {proc.returncode}); the previous site in "
                         f"{SITE_DIR} is unchanged.\n{tail}")
    built = JB_DIR / "_build" / "html"
    if not (built / "index.html").exists():
        raise BuildError(f"jupyter-book reported success but {built}/index.html is missing")
    return built


def sync_chart_files(built: Path) -> None:
    """Make <site>/charts exactly _extra/charts. Sphinx copies html_extra_path over its previous output and
    never deletes there (nor copies again what it thinks it has), so a chart removed since the last build would
    stay in the site, and a deleted output folder would not come back."""
    source = REPO_ROOT / "_extra" / "charts"
    target = built / "charts"
    shutil.rmtree(target, ignore_errors=True)
    if source.is_dir():
        shutil.copytree(source, target)


def publish(built: Path) -> None:
    """Copy the finished build into place, then swap it in with renames: readers never see half a site."""
    incoming = BUILD_DIR / "html.incoming"
    old = BUILD_DIR / "html.previous"
    for p in (incoming, old):
        shutil.rmtree(p, ignore_errors=True)
    # The themes copy their Jinja macro files into _static; they are templates, not pages.
    shutil.copytree(built, incoming, ignore=shutil.ignore_patterns(".buildinfo", ".doctrees", "*webpack-macros.html"))
    if SITE_DIR.exists():
        os.replace(SITE_DIR, old)
    os.replace(incoming, SITE_DIR)
    shutil.rmtree(old, ignore_errors=True)


def build_site(config: TrackerConfig, log=print, force: bool = False) -> Path:
    check_templates(config)
    step = "writing _toc.yml and the Vega bundle"
    try:
        if write_toc(config):
            log("  _toc.yml regenerated from tracker.yml")
        if write_vega_bundle():
            log("  wrote _static/vendor/vega-bundle.js")
        step = "executing the notebooks"
        run_notebooks(config, log, force=force)
        if force:
            shutil.rmtree(JB_DIR, ignore_errors=True)
        step = "running jupyter-book"
        start = time.perf_counter()
        built = jupyter_book()
        sync_chart_files(built)
        log(f"  jupyter-book build ({time.perf_counter() - start:.1f} s)")
        step = "publishing"
        publish(built)
    except BuildInterrupted:
        raise
    except KeyboardInterrupt:
        # Ctrl-C is not a crash: one line naming the step, not a traceback. Nothing is published before the
        # final swap, so the site in _build/html is the previous one.
        raise BuildInterrupted(f"build interrupted while {step}; the site in {SITE_DIR} was not replaced") from None
    return SITE_DIR
