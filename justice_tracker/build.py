"""Build the site: table of contents, Vega bundle, executed notebooks, then Jupyter Book.

Jupyter Book writes into a staging folder; `_build/html` is replaced only when the whole build succeeded, so a
failed or interrupted build leaves the last good site in place.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

from .charts import write_vega_bundle
from .config import TrackerConfig
from .files import atomic_write_text
from .notebooks import execute
from .paths import BUILD_DIR, REPO_ROOT, SITE_DIR

TOC_FILE = REPO_ROOT / "_toc.yml"
TOC_HEADER = "# Generated from the toc section of tracker.yml by `make toc`; edit tracker.yml, not this file.\n"


class BuildError(RuntimeError):
    pass


def toc_text(config: TrackerConfig) -> str:
    toc = {
        "format": "jb-book",
        "root": config.toc.root,
        "parts": [
            {"caption": part.caption, "chapters": [{"file": c.file, "title": c.title} for c in part.chapters]}
            for part in config.toc.parts
        ],
    }
    return TOC_HEADER + yaml.safe_dump(toc, sort_keys=False, allow_unicode=True)


def write_toc(config: TrackerConfig) -> bool:
    text = toc_text(config)
    if TOC_FILE.exists() and TOC_FILE.read_text(encoding="utf-8") == text:
        return False
    atomic_write_text(TOC_FILE, text)
    return True


def run_notebooks(config: TrackerConfig, log=print) -> list[Path]:
    outputs = []
    for entry in config.notebook_pages():
        start = time.perf_counter()
        outputs.append(execute(entry))
        log(f"  executed {entry.notebook.template} -> {entry.file}.ipynb ({time.perf_counter() - start:.1f} s)")
    return outputs


def jupyter_book(staging: Path) -> None:
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb), "build", str(REPO_ROOT), "--path-output", str(staging), "-W", "-n", "--keep-going", "-q"]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-40:])
        raise BuildError(f"jupyter-book build failed (exit {proc.returncode}); the previous site in "
                         f"{SITE_DIR} is unchanged.\n{tail}")


def build_site(config: TrackerConfig, log=print) -> Path:
    if write_toc(config):
        log("  _toc.yml regenerated from tracker.yml")
    if write_vega_bundle():
        log("  wrote _static/vendor/vega-bundle.js")
    run_notebooks(config, log)
    staging = BUILD_DIR / "staging"
    shutil.rmtree(staging, ignore_errors=True)
    start = time.perf_counter()
    jupyter_book(staging)
    built = staging / "_build" / "html"
    if not (built / "index.html").exists():
        raise BuildError(f"jupyter-book reported success but {built}/index.html is missing")
    log(f"  jupyter-book build ({time.perf_counter() - start:.1f} s)")
    old = BUILD_DIR / "html.previous"
    shutil.rmtree(old, ignore_errors=True)
    if SITE_DIR.exists():
        os.replace(SITE_DIR, old)
    os.replace(built, SITE_DIR)
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(staging, ignore_errors=True)
    return SITE_DIR
