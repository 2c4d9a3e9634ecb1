"""Every way a download or a response can go wrong: a clear error naming the URL or file, a non-zero exit, and
data/raw plus the lock exactly as they were (compared by checksum before and after)."""
import re

import pytest
import requests

from justice_tracker.fetch.http import DEFAULT_TIMEOUT, MAX_ATTEMPTS, HttpClient, project_version
from test_fetch_support import (  # noqa: F401  (web is a fixture)
    API, PRISON_COLLECTION, attachment, collection, document_link, ods_body, ole_body, publication, run, snapshot, web,
)

PAGE = "/government/publications/prison-population-weekly-estate-figures-2025"
PAGE_TITLE = "Prison population: weekly estate figures 2025"
ONLY = ["prison-population-weekly"]
GOOD_BODY = ods_body("6 January 2025")
BAD_BODY = ods_body("13 January 2025, a longer bulletin" * 20)
GOOD = attachment("Population bulletin: weekly 6 January 2025", "prison-pop-6-jan-2025.ods", len(GOOD_BODY))
BAD = attachment("Population bulletin: weekly 13 January 2025", "prison-pop-13-jan-2025.ods", len(BAD_BODY))


def serve(web, attachments):
    web.add_content(PRISON_COLLECTION, collection(PRISON_COLLECTION, "Prison population statistics",
                                                  [document_link(PAGE, PAGE_TITLE, "2025-01-20T11:00:00Z")]))
    web.add_content(PAGE, publication(PAGE, PAGE_TITLE, "2025-01-20T11:00:00Z", attachments))


@pytest.fixture
def stocked(web, config, tmp_path):
    """A store after one good run (one bulletin stored and locked); returns its snapshot."""
    serve(web, [GOOD])
    web.add(GOOD["url"], GOOD_BODY)
    first = run(config, tmp_path, only=ONLY)
    assert [s.status for _, s in first.stored] == ["new"]
    return snapshot(tmp_path)


CONNECTION_RESET = requests.exceptions.ConnectionError(ConnectionResetError(104, "Connection reset by peer"))
HTML_PAGE = b"<!DOCTYPE html><html><body><h1>Sorry, we're experiencing technical difficulties</h1></body></html>"


@pytest.mark.parametrize("status, body, reason, attempts", [
    (404, b"Not Found", r"^HTTP 404 Not Found$", 1),  # other 4xx fail at once
    (500, b"oops", rf"HTTP 500 Internal Server Error; gave up after {MAX_ATTEMPTS} attempts", MAX_ATTEMPTS),
    (200, requests.exceptions.ReadTimeout("read timed out"), r"timed out .*gave up after", MAX_ATTEMPTS),
    (200, CONNECTION_RESET, r"connection failed .*Connection reset by peer.*gave up after", MAX_ATTEMPTS),
    (200, BAD_BODY[:-300], rf"got {len(BAD_BODY) - 300:,} bytes, the publisher lists {len(BAD_BODY):,}", 1),
    (200, HTML_PAGE, r"an HTML page was served instead of prison-pop-13-jan-2025\.ods", 1),
    (200, b"", r"empty body \(expected .* bytes of prison-pop-13-jan-2025\.ods\)", 1),
    (200, ole_body(len(BAD_BODY), "an xls"), r"should be application/vnd\.oasis\.opendocument\.spreadsheet, but its "
                                             r"bytes look like 'ole'", 1),
], ids=["http-404", "http-500", "timeout", "connection-reset", "truncated", "html-for-ods", "empty", "wrong-type"])
def test_a_failed_download_changes_nothing(stocked, web, config, tmp_path, status, body, reason, attempts):
    serve(web, [GOOD, BAD])
    web.add(BAD["url"], body, status=status)
    sleeps = []
    summary = run(config, tmp_path, only=ONLY, sleep=sleeps.append)

    [failure] = summary.failures
    assert failure.url == BAD["url"] and failure.title == BAD["title"]
    assert re.search(reason, failure.reason), failure.reason
    assert web.calls_to(BAD["url"]) == attempts
    assert sleeps == [1.0, 2.0, 4.0][: attempts - 1]  # exponential backoff between attempts
    assert summary.unchanged_count == 1 and summary.exit_code == 1
    assert f"FAILED   [prison-population-weekly] {BAD['title']!r} {BAD['url']}" in summary.report()
    assert snapshot(tmp_path) == stocked


def test_an_unknown_title_fails_without_a_request(stocked, web, config, tmp_path):
    odd = {**BAD, "title": "Prison population: estate notes, January 2025"}
    serve(web, [GOOD, odd])
    web.add(odd["url"], BAD_BODY)
    summary = run(config, tmp_path, only=ONLY)
    [failure] = summary.failures
    assert failure.title == odd["title"] and "unknown attachment title format on " + PAGE in failure.reason
    assert web.calls_to(odd["url"]) == 0 and summary.exit_code == 1
    assert snapshot(tmp_path) == stocked


@pytest.mark.parametrize("where, body, reason", [
    (PAGE, b'{"base_path": "/government/publications/prison-pop', r"response is not valid JSON"),
    (PAGE, b"<html>Service unavailable</html>", r"response is not valid JSON.*<html>"),
    (PRISON_COLLECTION, b'{"links": {"documents": [{"title": 5}]}}', r"unexpected response shape at base_path"),
], ids=["truncated-json", "html-instead-of-json", "wrong-shape"])
def test_a_malformed_api_response_changes_nothing(stocked, web, config, tmp_path, where, body, reason):
    web.add(f"{API}/api/content{where}", body)
    summary = run(config, tmp_path, only=ONLY)
    [failure] = summary.failures
    assert failure.url == f"{API}/api/content{where}"
    assert re.search(reason, failure.reason), failure.reason
    assert summary.exit_code == 1 and snapshot(tmp_path) == stocked


def test_good_files_of_a_failing_run_are_kept_and_the_bad_one_leaves_no_trace(web, config, tmp_path):
    serve(web, [GOOD, BAD])
    web.add(GOOD["url"], GOOD_BODY)
    web.add(BAD["url"], BAD_BODY[:100])
    summary = run(config, tmp_path, only=ONLY)
    assert summary.exit_code == 1 and [s.path for _, s in summary.new] == ["prison-population-weekly/" + GOOD["filename"]]
    assert sorted(p.name for p in (tmp_path / "raw" / "prison-population-weekly").iterdir()) == [GOOD["filename"]]
    assert (tmp_path / "sources.lock").read_text().count('"sha256"') == 1


def test_a_first_download_that_fails_leaves_no_folder_behind(web, config, tmp_path):
    serve(web, [BAD])
    web.add(BAD["url"], HTML_PAGE)
    summary = run(config, tmp_path, only=ONLY)
    assert summary.exit_code == 1 and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("status, headers, waits", [
    (503, {"Retry-After": "7"}, [7.0]),  # the server's Retry-After is honoured
    (429, {}, [1.0]),
], ids=["503-retry-after", "429"])
def test_a_transient_error_is_retried_and_then_stored(web, config, tmp_path, status, headers, waits):
    serve(web, [BAD])
    web.add_sequence(BAD["url"], [(status, headers, b""), (200, {}, BAD_BODY)])
    sleeps = []
    summary = run(config, tmp_path, only=ONLY, sleep=sleeps.append)
    assert [s.status for _, s in summary.stored] == ["new"] and summary.exit_code == 0
    assert sleeps == waits and web.calls_to(BAD["url"]) == 2


def test_every_request_has_a_timeout_and_names_the_project(web, config, tmp_path):
    class RecordingSession(requests.Session):
        def __init__(self):
            super().__init__()
            self.seen = []

        def get(self, url, **kwargs):
            self.seen.append(kwargs)
            return super().get(url, **kwargs)

    serve(web, [GOOD])
    web.add(GOOD["url"], GOOD_BODY)
    session = RecordingSession()
    config = config.model_copy(update={"site": config.site.model_copy(update={"repository_url": "https://x.test/jct"})})
    run(config, tmp_path, only=ONLY, session=session)
    assert len(session.seen) == 3  # collection, page, file
    assert all(kw["timeout"] == DEFAULT_TIMEOUT for kw in session.seen)
    assert {kw["headers"]["User-Agent"] for kw in session.seen} == {
        f"justice-crisis-tracker/{project_version()} (+https://x.test/jct)"}


def test_requests_are_spaced_by_the_minimum_interval(web):
    web.add(f"{API}/api/content/a", {"ok": 1})
    now, sleeps = [100.0], []

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    client = HttpClient(min_interval=0.5, sleep=sleep, clock=lambda: now[0])
    client.get_json(f"{API}/api/content/a")
    now[0] += 0.2
    client.get_json(f"{API}/api/content/a")
    assert sleeps == [pytest.approx(0.3)]
