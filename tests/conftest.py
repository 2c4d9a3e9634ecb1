"""Shared fixtures. Tests that need the real sample files skip, naming what is missing, when ../shared is absent."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from justice_tracker.config import load_config
from justice_tracker.paths import REPO_ROOT, SITE_DIR

SHARED_RAW = (REPO_ROOT.parent / "shared" / "data" / "raw").resolve()
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def config():
    return load_config()


@pytest.fixture(scope="session")
def shared_raw() -> Path:
    if not SHARED_RAW.is_dir():
        pytest.skip(f"needs the project's sample files in ../shared/data/raw beside the clone; not found at {SHARED_RAW}")
    return SHARED_RAW


@pytest.fixture(scope="session")
def site() -> Path:
    if not (SITE_DIR / "index.html").exists():
        pytest.fail(f"no built site at {SITE_DIR}: run `make book` first (`make test` does)")
    return SITE_DIR


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        message = "needs Debian's chromium for the browser tests (make browser installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session", autouse=True)
def _chart_files_in_tmp(tmp_path_factory):
    """Chapter functions called by tests write chart downloads and changes.json; keep them out of the real
    _extra/, which the site build copies into the site. (Session scope: module fixtures render charts too.)"""
    from justice_tracker import charts
    from justice_tracker.chapters import what_changed

    extra = tmp_path_factory.mktemp("extra")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(charts, "CHARTS_DIR", extra / "charts")
        mp.setattr(what_changed, "CHANGES_FILE", extra / "changes.json")
        yield extra
