"""Build the site: table of contents, Vega bundle, executed notebooks, then Jupyter Book.

Notebooks run in parallel across the cores, and a notebook whose inputs are unchanged is not run again: its
key is the hash of its template, its parameters, the processed tables it reads and the package code (not
jupyter-cache, whose key ignores data files). Jupyter Book builds incrementally in `_build/jupyter-book`;
`_build/html` is replaced only when the whole build succeeded, so a failed or interrupted build leaves the
last good site in place.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import re
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import yaml

from .charts import write_vega_bundle
from .datapackage import write_site_package
from .config import TocEntry, TrackerConfig, check_templates
from .files import atomic_write_text
from .files import sha256_file as _sha256_file
from .notebooks import NotebookError, output_path, run_page
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


def toc_text(config: TrackerConfig) -> str:
    def chapter(c: TocEntry) -> dict:
        item = {"file": c.file, "title": c.title}
        sections = [s for s in config.generated_pages(c) if not s.notebook.orphan]
        if sections:
            item["sections"] = [{"file": s.file, "title": s.title} for s in sections]
        return item

    toc = {
        "format": "jb-book",
        "root": config.toc.root_file,
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
                h.update(_sha256_file(path).encode())
    return h.hexdigest()


def notebook_key(config: TrackerConfig, entry: TocEntry, fingerprint: str, digests: dict | None = None) -> str:
    """The hash of everything a page's output depends on. `digests` remembers file hashes across the pages of one
    plan (150 pages read the same tables)."""
    digests = {} if digests is None else digests

    def sha256_file(path: Path) -> str:
        if path not in digests:
            digests[path] = _sha256_file(path)
        return digests[path]

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


def jobs() -> int:
    return max(1, int(os.environ.get("JCT_JOBS", os.cpu_count() or 1)))


CHART_ID = re.compile(r'data-chart-id="([a-z0-9][a-z0-9-]*)"')
# Where the page kernels write chart files (charts.CHARTS_DIR as the kernels see it).
CHART_OUTPUTS_DIR = REPO_ROOT / "_extra" / "charts"
# Other files a page writes there for its own script (the prisons index's compare data), named on the page.
DATA_FILE = re.compile(r'data-jct-file="([a-z0-9][a-z0-9-]*/[a-z0-9][a-z0-9.-]*)"')
CHART_FILES = ("index.html", "{id}.png", "{id}.svg", "{id}.csv", "{id}.vl.json", "{id}.csl.json")


def chart_outputs(notebook_path: Path) -> list[str]:
    """The chart download files an executed page made (paths under _extra/charts/): outputs of the build like the
    page itself, so a page whose files are gone is executed again."""
    if not notebook_path.exists():
        return []
    nb = json.loads(notebook_path.read_text(encoding="utf-8"))
    html_outputs = ["".join(o.get("data", {}).get("text/html", "")) for c in nb["cells"] for o in c.get("outputs", [])]
    ids = sorted({i for text in html_outputs for i in CHART_ID.findall(text)})
    files = sorted({f for text in html_outputs for f in DATA_FILE.findall(text)})
    return [f"{i}/{name.format(id=i)}" for i in ids for name in CHART_FILES] + files


def _cached(cache: dict, file: str) -> dict:
    entry = cache.get(file)
    return entry if isinstance(entry, dict) else {"key": entry, "outputs": []}


def plan_notebooks(config: TrackerConfig, force: bool = False):
    """(pages to execute, pages unchanged, their keys, the cache): what a build would run, without running it. A
    page runs again when its key changed, or its executed notebook or one of its chart files is missing."""
    entries = config.all_notebook_pages()
    cache = json.loads(CACHE_FILE.read_text()) if CACHE_FILE.exists() and not force else {}
    fingerprint = code_fingerprint()
    digests: dict = {}
    keys = {e.file: notebook_key(config, e, fingerprint, digests) for e in entries}

    def fresh(e) -> bool:
        entry = _cached(cache, e.file)
        return (entry["key"] == keys[e.file] and output_path(e).exists()
                and all((CHART_OUTPUTS_DIR / f).exists() for f in entry["outputs"]))

    todo = [e for e in entries if force or not fresh(e)]
    skipped = [e.file for e in entries if e not in todo]
    return todo, skipped, keys, cache


def run_notebooks(config: TrackerConfig, log=print, force: bool = False, workers: int | None = None) -> dict:
    """Execute what changed on a pool of long-lived kernels, one per worker; returns {"executed": [...],
    "skipped": [...], "seconds": float, "kernels": int}."""
    from .kernels import KernelPool

    entries = config.all_notebook_pages()
    todo, skipped, keys, cache = plan_notebooks(config, force)
    _remove_stale_outputs({output_path(e) for e in entries})
    start = time.perf_counter()
    failures = []
    workers = min(workers or jobs(), max(1, len(todo)))
    stats = {"kernels": 0}
    if todo:
        log(f"  executing {len(todo)} notebook(s) on {workers} kernel(s); {len(skipped)} unchanged")
        # Longest first, so the last pages to finish are short ones and both kernels stay busy to the end.
        order = sorted(todo, key=lambda e: e.notebook.template == config_pages_template(config))
        with KernelPool() as pool, ThreadPoolExecutor(max_workers=workers) as threads:
            def run(entry):
                started = time.perf_counter()
                run_page(entry, pool.worker())
                return time.perf_counter() - started

            futures = {threads.submit(run, e): e for e in order}
            try:
                for future in as_completed(futures):
                    entry = futures[future]
                    try:
                        seconds = future.result()
                    except NotebookError as e:
                        failures.append(str(e))
                        continue
                    cache[entry.file] = {"key": keys[entry.file], "outputs": chart_outputs(output_path(entry))}
                    if len(todo) <= 10:
                        log(f"  executed {entry.notebook.template} -> {entry.file}.ipynb ({seconds:.1f} s)")
            except KeyboardInterrupt:
                for f in futures:
                    f.cancel()
                raise
            finally:
                stats = pool.stats()
        CACHE_FILE.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(CACHE_FILE, json.dumps(cache, indent=1, sort_keys=True) + "\n")
    else:
        log(f"  all {len(entries)} notebooks unchanged")
    if failures:
        raise BuildError(f"{len(failures)} notebook(s) failed; the site was not rebuilt:\n  " + "\n  ".join(failures))
    return {"executed": [e.file for e in todo], "skipped": skipped, "seconds": time.perf_counter() - start,
            "kernels": stats["kernels"]}


def config_pages_template(config: TrackerConfig) -> str:
    """The template of the generated pages (one per prison): many short pages, run after the chapters."""
    return next((c.pages.template for c in config.chapters() if c.pages is not None), "")


def _remove_stale_outputs(wanted: set[Path]) -> None:
    """Executed notebooks for pages no longer in the toc (a prison removed from the table, a renamed page)."""
    for path in (REPO_ROOT / "book").rglob("*.ipynb"):
        if path not in wanted and ".ipynb_checkpoints" not in path.parts:
            path.unlink()


def jupyter_book() -> Path:
    """Jupyter Book's Sphinx build (as `jupyter-book build -W -n --keep-going`), reading and writing pages on every
    core (justice_tracker/sphinx_build.py)."""
    cmd = [sys.executable, "-m", "justice_tracker.sphinx_build", str(REPO_ROOT), str(JB_DIR), str(jobs())]
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
    """Make <site>/charts exactly _extra/charts (and <site>/data exactly _extra/data). Sphinx copies
    html_extra_path over its previous output and never deletes there (nor copies again what it thinks it has), so
    a chart removed since the last build would stay in the site, and a deleted output folder would not come back."""
    for folder in ("charts", "data"):
        source = REPO_ROOT / "_extra" / folder
        target = built / folder
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


def base_url_warning(config: TrackerConfig) -> str | None:
    """A published chart is cited by its address: without site.base_url that address is relative, useless in a
    briefing. A working draft may do without; an edition should not."""
    if config.site.base_url:
        return None
    edition = os.environ.get("JCT_EDITION")
    where = f"edition {edition}" if edition else "this working draft"
    return (f"warning: site.base_url is not set in tracker.yml, so the citations and chart links in {where} are "
            f"relative addresses; set it to the published site's address before making an edition")


@contextlib.contextmanager
def _ctrl_c_noted():
    """Ctrl-C raises KeyboardInterrupt as Python's own handler does, and is remembered: the build checks before it
    publishes. Python's handler is not enough, as asyncio (under jupyter_client's kernel calls) swaps it for one
    that cancels its task, and a Ctrl-C landing there was seen to vanish: the build published anyway (exit 0)."""
    received: list[int] = []

    def note(signum, frame):
        received.append(signum)
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield received
        return
    previous = signal.signal(signal.SIGINT, note)
    try:
        yield received
    finally:
        signal.signal(signal.SIGINT, previous)


def build_site(config: TrackerConfig, log=print, force: bool = False) -> Path:
    with _ctrl_c_noted() as ctrl_c:
        return _build_site(config, log, force, ctrl_c)


def _build_site(config: TrackerConfig, log, force: bool, ctrl_c: list[int]) -> Path:
    check_templates(config)
    warning = base_url_warning(config)
    if warning:
        log("  " + warning)
    step = "writing _toc.yml and the Vega bundle"
    try:
        if write_toc(config):
            log("  _toc.yml regenerated from tracker.yml")
        step = "writing the data package"
        write_site_package(config, REPO_ROOT / "_extra", log)
        step = "writing the Vega bundle"
        # The bundle (two seconds, when vl-convert changed) is made while the first kernels start.
        with ThreadPoolExecutor(max_workers=1) as side:
            bundle = side.submit(write_vega_bundle)
            step = "executing the notebooks"
            ran = run_notebooks(config, log, force=force)
            if bundle.result():
                log("  wrote _static/vendor/vega-bundle.js")
        if ran["executed"]:
            log(f"  executed {len(ran['executed'])} notebook(s) in {ran['seconds']:.1f} s on {ran['kernels']} kernel(s)")
        if force:
            shutil.rmtree(JB_DIR, ignore_errors=True)
        step = "running jupyter-book"
        start = time.perf_counter()
        built = jupyter_book()
        sync_chart_files(built)
        log(f"  jupyter-book build ({time.perf_counter() - start:.1f} s)")
        step = "publishing"
        if ctrl_c:
            raise KeyboardInterrupt
        publish(built)
    except BuildInterrupted:
        raise
    except KeyboardInterrupt:
        # Ctrl-C is not a crash: one line naming the step, not a traceback. Nothing is published before the
        # final swap, so the site in _build/html is the previous one.
        raise BuildInterrupted(f"build interrupted while {step}; the site in {SITE_DIR} was not replaced") from None
    return SITE_DIR
