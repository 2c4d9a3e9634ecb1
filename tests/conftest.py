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


# Test tiers: `make test-fast` runs what needs neither a built site, a browser nor a build of its own (about a
# minute); `make test` runs everything. A test is slow when it uses the built site or the browser, or builds (the
# site, an edition, or every table from every raw file).
SLOW_FIXTURES = {"site", "chromium"}
# Tests that start notebook kernels (the build's own machinery).
SLOW_TESTS = {"test_a_notebook_that_raises_names_template_and_cell_and_writes_nothing",
              "test_pages_on_one_kernel_each_start_from_a_fresh_namespace",
              "test_a_kernel_that_dies_is_replaced_and_the_page_runs_again",
              "test_a_page_past_its_time_budget_is_stopped_and_named"}
SLOW_MODULES = {"test_editions", "test_published_site", "test_release_flow", "test_accessibility", "test_browser",
                "test_sitecheck"}
# Fault cases that build: the site, an edition, or every table twice (a disk fault in `make data`, then the rerun).
SLOW_FAULT_CASES = ("[build-", "[edition-", "[data-disk-full-", "[data-processed-read-only]", "[data-rename-fails-")


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.module.__name__ if item.module else ""
        if (SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or module in SLOW_MODULES
                or item.get_closest_marker("browser") or item.get_closest_marker("e2e")
                or item.originalname in SLOW_TESTS
                or (module == "test_faults" and any(c in item.name for c in SLOW_FAULT_CASES))):
            item.add_marker(pytest.mark.slow)
    # Start the groups that share an expensive fixture (each runs on one worker, see test_test_runner.py) first,
    # longest first, so that no worker is left with one at the end while the other idles. The order is the same
    # in every worker, as xdist requires.
    first = {"editions": 0, "published-site": 1, "release-flow": 2}
    items.sort(key=lambda item: min((first.get(m.args[0], 2) for m in item.iter_markers("xdist_group")), default=2))
