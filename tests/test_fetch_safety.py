"""Downloads are safe: files only from the publisher's hosts (or the mirror's), redirects checked hop by hop, only
bare file names, and no body larger than promised. Each refusal names the attachment or URL, and data/raw plus
the lock stay exactly as they were."""
import io
import re

import pytest

from justice_tracker.fetch.classify import Classification
from justice_tracker.fetch.govuk import Candidate, Publication, filename_problem
from justice_tracker.fetch.http import (
    CHUNK, MAX_REDIRECTS, FetchError, HttpClient, allowed_hosts, is_allowed, origin,
)
from justice_tracker.fetch.lock import SourcesLock
from justice_tracker.fetch.store import download_into_store
from test_fetch_support import (  # noqa: F401  (web is a fixture)
    API, ASSETS, PRISON_COLLECTION, attachment, collection, document_link, ods_body, publication, run, snapshot, web,
)

PAGE = "/government/publications/prison-population-weekly-estate-figures-2025"
PAGE_TITLE = "Prison population: weekly estate figures 2025"
ONLY = ["prison-population-weekly"]
GOOD_BODY = ods_body("6 January 2025")
BAD_BODY = ods_body("13 January 2025, a longer bulletin" * 20)
GOOD = attachment("Population bulletin: weekly 6 January 2025", "prison-pop-6-jan-2025.ods", len(GOOD_BODY))
BAD = attachment("Population bulletin: weekly 13 January 2025", "prison-pop-13-jan-2025.ods", len(BAD_BODY))
EVIL = "https://evil.test"


def serve(web, attachments, base=API):
    web.add(f"{base}/api/content{PRISON_COLLECTION}", collection(
        PRISON_COLLECTION, "Prison population statistics", [document_link(PAGE, PAGE_TITLE, "2025-01-20T11:00:00Z")]))
    web.add(f"{base}/api/content{PAGE}", publication(PAGE, PAGE_TITLE, "2025-01-20T11:00:00Z", attachments))


def hosts_called(web):
    return {host for (host, _, _), n in web.calls.items() if n}


@pytest.fixture
def stocked(web, config, tmp_path):
    """A store after one good run (one bulletin stored and locked); returns its snapshot."""
    serve(web, [GOOD])
    web.add(GOOD["url"], GOOD_BODY)
    assert [s.status for _, s in run(config, tmp_path, only=ONLY).stored] == ["new"]
    return snapshot(tmp_path)


def refused(summary, title=BAD["title"]):
    """The one failure of a run, which must name the attachment; returns it."""
    [failure] = summary.failures
    assert failure.title == title and summary.exit_code == 1
    assert f"{title!r}" in summary.report()
    return failure


class CountingBody(io.RawIOBase):
    """An endless-looking body (`size` bytes) that counts what was read from it, to see a client stop early."""

    def __init__(self, size):
        self.left, self.served = size, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.left)
        buffer[:n] = b"\0" * n
        self.left -= n
        self.served += n
        return n


# Hosts ---------------------------------------------------------------------------------------------------

def test_the_allow_list():
    assert allowed_hosts() == {"https://assets.publishing.service.gov.uk", "https://www.gov.uk"}
    assert allowed_hosts("https://www.gov.uk/") == allowed_hosts()
    assert allowed_hosts("http://127.0.0.1:8123") == allowed_hosts() | {"http://127.0.0.1:8123"}
    assert allowed_hosts("http://[::1]:8123/") == allowed_hosts() | {"http://[::1]:8123"}
    assert origin("HTTPS://Assets.Publishing.Service.GOV.UK:443/media/x") == "https://assets.publishing.service.gov.uk"
    for url in ("https://www.gov.uk@evil.test/x.ods", "http://www.gov.uk/x.ods", "https://www.gov.uk:8443/x.ods",
                "https://www.gov.uk.evil.test/x.ods", "https://www.gov.uk:nope/x.ods", "/media/x.ods", ""):
        assert not is_allowed(url, allowed_hosts()), url


@pytest.mark.parametrize("url", [
    f"{EVIL}/media/1/prison-pop-13-jan-2025.ods",
    "http://assets.publishing.service.gov.uk/media/1/prison-pop-13-jan-2025.ods",  # not https
    "https://assets.publishing.service.gov.uk.evil.test/media/1/prison-pop-13-jan-2025.ods",
    "https://assets.publishing.service.gov.uk@evil.test/media/1/prison-pop-13-jan-2025.ods",
    "//evil.test/media/1/prison-pop-13-jan-2025.ods",  # protocol-relative: resolved against the API base
], ids=["other-host", "plain-http", "lookalike-host", "userinfo", "protocol-relative"])
def test_an_attachment_on_another_host_is_refused_at_discovery(stocked, web, config, tmp_path, url):
    serve(web, [GOOD, {**BAD, "url": url}])
    summary = run(config, tmp_path, only=ONLY)
    failure = refused(summary)
    assert failure.url.endswith("/media/1/prison-pop-13-jan-2025.ods") and failure.url in summary.report()
    assert "not one of the allowed hosts" in failure.reason and BAD["title"] in failure.reason
    assert hosts_called(web) == {"www.gov.uk", "assets.publishing.service.gov.uk"}  # the API and the good file only
    assert summary.to_fetch == [] and snapshot(tmp_path) == stocked


def test_the_client_refuses_another_host_whoever_asks(web, tmp_path):
    """Defence in depth: even a caller that skips discovery cannot fetch from elsewhere."""
    out = io.BytesIO()
    with pytest.raises(FetchError, match=rf"^{EVIL}/x\.ods: https://evil\.test is not an allowed host"):
        HttpClient(min_interval=0).download(f"{EVIL}/x.ods", out)
    assert web.calls_to(f"{EVIL}/x.ods") == 0 and out.getvalue() == b""


def test_a_mirror_serves_its_own_assets_and_only_it(web, config, tmp_path):
    mirror = "http://mirror.test:8080"
    relative = attachment("Population bulletin: weekly 20 January 2025", "prison-pop-20-jan-2025.ods", len(GOOD_BODY))
    relative["url"] = "/media/20/prison-pop-20-jan-2025.ods"
    on_mirror = {**BAD, "url": f"{mirror}/media/13/prison-pop-13-jan-2025.ods"}
    other_port = attachment("Population bulletin: weekly 27 January 2025", "prison-pop-27-jan-2025.ods", 9)
    other_port["url"] = "http://mirror.test:9999/media/27/prison-pop-27-jan-2025.ods"
    serve(web, [on_mirror, relative, other_port], base=mirror)
    web.add(on_mirror["url"], BAD_BODY)
    web.add(f"{mirror}{relative['url']}", GOOD_BODY)

    summary = run(config, tmp_path, only=ONLY, api_base=mirror)
    assert sorted(s.path for _, s in summary.new) == [
        "prison-population-weekly/prison-pop-13-jan-2025.ods", "prison-population-weekly/prison-pop-20-jan-2025.ods"]
    failure = refused(summary, other_port["title"])
    assert failure.url == other_port["url"] and "http://mirror.test:9999" in failure.reason
    assert hosts_called(web) == {"mirror.test:8080"}

    # Without the mirror as the API base, the mirror is just another host.
    client = HttpClient(min_interval=0)
    with pytest.raises(FetchError, match="not an allowed host"):
        client.download(on_mirror["url"], io.BytesIO())


# Redirects -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", [
    f"{EVIL}/prison-pop-13-jan-2025.ods",
    "http://assets.publishing.service.gov.uk/media/1/prison-pop-13-jan-2025.ods",  # a downgrade to http
], ids=["other-host", "plain-http"])
def test_a_redirect_to_another_host_is_refused(stocked, web, config, tmp_path, target):
    serve(web, [GOOD, BAD])
    web.add(BAD["url"], b"", status=302, headers={"Location": target})
    summary = run(config, tmp_path, only=ONLY)
    failure = refused(summary)
    assert failure.url == BAD["url"]
    assert re.search(rf"redirected to {re.escape(target)}, and .* is not an allowed host", failure.reason)
    assert web.calls_to(BAD["url"]) == 1 and web.calls_to(target) == 0  # refused, not retried
    assert snapshot(tmp_path) == stocked


def test_a_redirect_between_the_publisher_hosts_is_followed(web, config, tmp_path):
    old = "https://www.gov.uk/government/uploads/system/uploads/attachment_data/file/1/prison-pop-13-jan-2025.ods"
    serve(web, [{**BAD, "url": old}])
    web.add(old, b"", status=301, headers={"Location": BAD["url"]})
    web.add(BAD["url"], b"", status=302, headers={"Location": "/media/moved/prison-pop-13-jan-2025.ods"})  # relative
    web.add(f"{ASSETS}/moved/prison-pop-13-jan-2025.ods", BAD_BODY)
    summary = run(config, tmp_path, only=ONLY)
    assert [s.status for _, s in summary.stored] == ["new"] and summary.exit_code == 0
    assert (tmp_path / "raw" / "prison-population-weekly" / BAD["filename"]).read_bytes() == BAD_BODY


@pytest.mark.parametrize("hops, reason", [
    (["/a", "/b", "/a"], r"^redirect loop: \S+/loop/b/\S+ redirects back to \S+/loop/a/\S+$"),
    (["/a", "/a"], r"^redirect loop: \S+/loop/a/\S+ redirects back to \S+/loop/a/\S+$"),
    ([f"/{i}" for i in range(MAX_REDIRECTS + 2)],
     rf"^more than {MAX_REDIRECTS} redirects \(the last one to \S+/loop/6/\S+\); not followed$"),
], ids=["loop", "self", "too-many"])
def test_redirect_loops_and_chains_fail_clearly(stocked, web, config, tmp_path, hops, reason):
    urls = [f"{ASSETS}/loop{hop}/prison-pop-13-jan-2025.ods" for hop in hops]
    serve(web, [GOOD, {**BAD, "url": urls[0]}])
    for here, there in zip(urls, urls[1:]):
        web.add(here, b"", status=302, headers={"Location": there})
    summary = run(config, tmp_path, only=ONLY)
    failure = refused(summary)
    assert failure.url == urls[0] and re.search(reason, failure.reason), failure.reason
    assert web.calls_to(urls[0]) == 1  # not retried
    assert sum(n for (host, path, _), n in web.calls.items() if path.startswith("/media/loop")) == min(
        len(set(urls)), MAX_REDIRECTS + 1)
    assert snapshot(tmp_path) == stocked


def test_an_api_redirect_stays_on_allowed_hosts(web):
    moved, elsewhere = f"{API}/api/content/moved", f"{EVIL}/api/content/x"
    web.add(f"{API}/api/content/old", b"", status=301, headers={"Location": "/api/content/moved"})
    web.add(moved, {"ok": 1})
    client = HttpClient(min_interval=0)
    assert client.get_json(f"{API}/api/content/old") == {"ok": 1}  # GOV.UK redirects pages that moved

    web.add(f"{API}/api/content/away", b"", status=301, headers={"Location": elsewhere})
    with pytest.raises(FetchError, match=rf"^{API}/api/content/away: redirected to {elsewhere}, .* not an allowed"):
        client.get_json(f"{API}/api/content/away")
    assert web.calls_to(elsewhere) == 0

    mirror = "http://mirror.test"  # a mirror's API may redirect on its own host, but not away from it
    web.add(f"{mirror}/api/content/old", b"", status=302, headers={"Location": "/api/content/new"})
    web.add(f"{mirror}/api/content/new", {"ok": 2})
    assert client.get_json(f"{mirror}/api/content/old") == {"ok": 2}


def test_a_redirect_to_another_host_in_the_api_fails_the_release(stocked, web, config, tmp_path):
    web.add(f"{API}/api/content{PAGE}", b"", status=301, headers={"Location": f"{EVIL}/api/content{PAGE}"})
    summary = run(config, tmp_path, only=ONLY)
    [failure] = summary.failures
    assert failure.url == f"{API}/api/content{PAGE}" and f"redirected to {EVIL}/api/content{PAGE}" in failure.reason
    assert "evil.test" not in hosts_called(web) and snapshot(tmp_path) == stocked


# File names ----------------------------------------------------------------------------------------------

BAD_NAMES = ["../x.ods", "a/b.ods", "a\\b.ods", "/etc/x.ods", "x\n.ods", "x\t.ods", "x\x00.ods", "", ".x.ods", ".."]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_file_name_that_is_not_a_bare_name_is_refused_at_discovery(stocked, web, config, tmp_path, name):
    serve(web, [GOOD, {**BAD, "filename": name}])
    web.add(BAD["url"], BAD_BODY)
    summary = run(config, tmp_path, only=ONLY)
    failure = refused(summary)
    assert failure.url == BAD["url"] and BAD["title"] in failure.reason and repr(name) in failure.reason
    assert re.search(r"the file name (is empty|has a path|starts with a dot|has a control character)", failure.reason)
    assert web.calls_to(BAD["url"]) == 0 and snapshot(tmp_path) == stocked


def _candidate(config, filename, size, url=BAD["url"]):
    release = next(r for r in config.releases if r.id == "prison-population-weekly")
    return Candidate(release, Publication(PAGE, PAGE_TITLE, None), BAD["title"], url, filename, size,
                     BAD["content_type"], Classification("weekly", "2025-01-13"))


@pytest.mark.parametrize("name", BAD_NAMES)
def test_the_store_refuses_such_a_name_too(web, config, tmp_path, name):
    web.add(BAD["url"], BAD_BODY)
    with pytest.raises(FetchError, match=re.escape(f"refused attachment {BAD['title']!r}")):
        download_into_store(HttpClient(min_interval=0), _candidate(config, name, len(BAD_BODY)), tmp_path / "raw",
                            SourcesLock.load(tmp_path / "sources.lock"))
    assert filename_problem(name) and web.calls_to(BAD["url"]) == 0 and list(tmp_path.iterdir()) == []


def test_ordinary_publisher_names_are_fine():
    for name in ("PSWEBREPORT.ods", "6_January_PSWEBREPORT.ods", "prison-population-monthly-dec2012.doc",
                 "OMSQ tables Apr-Jun 2024.xlsx", "file..ods"):
        assert filename_problem(name) is None, name


# Sizes ---------------------------------------------------------------------------------------------------

def test_a_body_longer_than_file_size_is_cut_off_while_streaming(stocked, web, config, tmp_path):
    body = CountingBody(50 * CHUNK)  # no Content-Length: only the stream can tell
    serve(web, [GOOD, BAD])
    web.add(BAD["url"], io.BufferedReader(body))
    summary = run(config, tmp_path, only=ONLY)
    failure = refused(summary)
    assert failure.url == BAD["url"]
    assert re.search(rf"the body is larger than the {len(BAD_BODY):,} bytes the publisher lists for "
                     rf"{re.escape(BAD['filename'])}: stopped reading at [\d,]+ bytes", failure.reason), failure.reason
    assert body.served <= len(BAD_BODY) + 2 * CHUNK  # stopped early, not read to the end
    assert web.calls_to(BAD["url"]) == 1 and snapshot(tmp_path) == stocked  # no .part left, nothing locked


def test_the_output_never_holds_more_than_the_limit(web):
    class Recording(io.BytesIO):
        largest = 0

        def write(self, data):
            written = super().write(data)
            Recording.largest = max(Recording.largest, self.tell())
            return written

    web.add(BAD["url"], io.BufferedReader(CountingBody(10 * CHUNK)))
    with pytest.raises(FetchError, match=rf"^{re.escape(BAD['url'])}: the body is larger than the 1,000 bytes"):
        HttpClient(min_interval=0).download(BAD["url"], Recording(), 1000, BAD["filename"])
    assert Recording.largest <= 1000


def test_the_absolute_cap_holds_whatever_the_publisher_lists(web, config, tmp_path):
    body = CountingBody(50 * CHUNK)
    web.add(BAD["url"], io.BufferedReader(body))
    client = HttpClient(min_interval=0, max_download=2 * CHUNK)
    with pytest.raises(FetchError, match=rf"^{re.escape(BAD['url'])}: the body is larger than the download cap of "
                                         rf"{2 * CHUNK:,} bytes: stopped reading at [\d,]+ bytes"):
        download_into_store(client, _candidate(config, BAD["filename"], 10 * CHUNK), tmp_path / "raw",
                            SourcesLock.load(tmp_path / "sources.lock"))
    assert body.served <= 4 * CHUNK and list(tmp_path.iterdir()) == []


def test_a_json_answer_over_the_cap_is_refused(web):
    web.add(f"{API}/api/content/big", {"padding": "x" * 5000}, headers={"Content-Length": "5015"})
    with pytest.raises(FetchError, match=rf"^{API}/api/content/big: Content-Length is 5,015 bytes, more than the "
                                         r"1,000 bytes allowed for a JSON answer"):
        HttpClient(min_interval=0, max_json=1000).get_json(f"{API}/api/content/big")
    web.add(f"{API}/api/content/streamed", io.BufferedReader(CountingBody(10 * CHUNK)))
    with pytest.raises(FetchError, match=r"larger than the 1,000 bytes allowed for a JSON answer: stopped reading"):
        HttpClient(min_interval=0, max_json=1000).get_json(f"{API}/api/content/streamed")


def test_a_content_length_over_file_size_is_refused_before_reading(stocked, web, config, tmp_path):
    body = CountingBody(len(BAD_BODY) + 1)
    serve(web, [GOOD, BAD])
    web.add(BAD["url"], io.BufferedReader(body), headers={"Content-Length": str(len(BAD_BODY) + 1)})
    summary = run(config, tmp_path, only=ONLY)
    failure = refused(summary)
    assert failure.url == BAD["url"] and failure.reason == (
        f"Content-Length is {len(BAD_BODY) + 1:,} bytes, more than the {len(BAD_BODY):,} bytes the publisher lists "
        f"for {BAD['filename']}; not downloaded")
    assert body.served == 0 and snapshot(tmp_path) == stocked
