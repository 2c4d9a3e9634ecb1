"""`update --dry-run` and `parse` as a maintainer runs them: the real CLI in a subprocess, against a local HTTP
replay of the recorded GOV.UK Content API (pages that were never recorded answer 404)."""
from __future__ import annotations

import functools
import http.server
import json
import subprocess
import sys
import threading

import pytest

from justice_tracker.files import sha256_file
from justice_tracker.paths import REPO_ROOT

RECORDED = {
    "/api/content/government/collections/prison-population-statistics":
        "collection__prison-population-statistics__2024-11-20.json",
    "/api/content/government/statistics/prison-population-2012": "publication__prison-population-2012__reconstructed.json",
}


class _Replay(http.server.BaseHTTPRequestHandler):
    def __init__(self, *args, folder, **kwargs):
        self.folder = folder
        super().__init__(*args, **kwargs)

    def do_GET(self):  # noqa: N802 (http.server's naming)
        name = RECORDED.get(self.path.split("?")[0].replace("//", "/"))
        body = (self.folder / name).read_bytes() if name else b'{"error": "not found"}'
        self.send_response(200 if name else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def replay(shared_raw):
    handler = functools.partial(_Replay, folder=shared_raw / "gov-uk-content-api")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "justice_tracker", *args], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120)


def _tree_hashes(folder):
    return {str(p.relative_to(folder)): sha256_file(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def test_dry_run_against_a_local_replay_lists_the_recorded_attachments_and_writes_nothing(replay):
    raw, lock = REPO_ROOT / "data" / "raw", REPO_ROOT / "data" / "sources.lock"
    before = (_tree_hashes(raw), lock.read_bytes() if lock.exists() else None)
    result = _cli("update", "--dry-run", "--no-progress", "--only", "prison-population-weekly",
                  "--only", "prison-population-monthly", "--api-base", replay)
    out = result.stdout + result.stderr
    assert "Population Bulletin - Weekly 28 December 2012" in out
    assert "prison-population-281212.xls" in out
    assert "Population bulletin - Monthly December 2012" in out
    # The other yearly pages were not recorded: each is a failure naming the page, so the exit code is 1.
    assert "prison-population-figures-2021" in out and result.returncode == 1
    assert (_tree_hashes(raw), lock.read_bytes() if lock.exists() else None) == before


def test_parse_prints_csv_for_a_real_legacy_bulletin_and_fails_clearly_on_html(shared_raw, tmp_path):
    ok = _cli("parse", str(shared_raw / "prison-population-monthly-legacy" / "prison-population-monthly-july2012.docx"))
    assert ok.returncode == 0
    lines = ok.stdout.splitlines()
    assert lines[0].startswith("report_date,") and lines[1].startswith("2012-06-29,")  # the file named July is June
    html = tmp_path / "prison-pop-7-sept-2026.ods"
    html.write_text("<!DOCTYPE html><html><body>Service unavailable</body></html>")
    bad = _cli("parse", str(html))
    assert bad.returncode == 1 and "prison-pop-7-sept-2026.ods" in bad.stderr and "HTML page" in bad.stderr
    assert bad.stdout == ""
