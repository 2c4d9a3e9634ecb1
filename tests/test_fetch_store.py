"""Downloads into the immutable raw store, and the lock that records them (bodies generated here; the page and
its attachment metadata are the recorded 2012 page, cut down to two files)."""
import copy
import hashlib
import json

import pytest

from justice_tracker.fetch.lock import LockError, SourcesLock
from justice_tracker.fetch.store import revision_name
from test_fetch_support import (  # noqa: F401  (web is a fixture)
    PRISON_COLLECTION, attachment, collection, document_link, ods_body, ole_body, publication,
    recorded_2012_page, recorded_collection, run, snapshot, web,
)

PAGE_2012 = "/government/statistics/prison-population-2012"
WEEKLY_TITLE = "Population Bulletin - Weekly 28 December 2012"
MONTHLY_TITLE = "Population bulletin - Monthly December 2012"
ONLY = ["prison-population-weekly", "prison-population-monthly"]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def publisher(shared_raw, web):
    """The recorded prison-population collection narrowed to the 2012 page, which keeps two of its attachments
    (their recorded sizes, URLs and content types), with generated bodies of exactly those sizes."""
    recorded = recorded_collection(shared_raw, "prison-population-statistics")
    docs = [d for d in recorded["links"]["documents"] if d["base_path"] == PAGE_2012]
    web.add_content(PRISON_COLLECTION, {**recorded, "links": {**recorded["links"], "documents": docs}})
    page = recorded_2012_page(shared_raw)
    page["details"]["attachments"] = [a for a in page["details"]["attachments"]
                                      if a["title"] in (WEEKLY_TITLE, MONTHLY_TITLE)]

    class Publisher:
        def __init__(self):
            self.bodies = {}  # url -> bytes served there

        def publish(self, page):
            self.page = page
            web.add_content(PAGE_2012, page)
            for a in page["details"]["attachments"]:
                body = self.bodies.setdefault(a["url"], ole_body(a["file_size"], a["url"]))
                web.add(a["url"], body)

        def attachment(self, title):
            return next(a for a in self.page["details"]["attachments"] if a["title"] == title)

    p = Publisher()
    p.publish(page)
    return p


def test_new_then_unchanged_then_revised(publisher, web, config, tmp_path):
    raw, lock_path = tmp_path / "raw", tmp_path / "sources.lock"
    weekly, monthly = publisher.attachment(WEEKLY_TITLE), publisher.attachment(MONTHLY_TITLE)
    weekly_body, monthly_body = publisher.bodies[weekly["url"]], publisher.bodies[monthly["url"]]

    first = run(config, tmp_path, only=ONLY)
    assert (len(first.new), len(first.failures), first.exit_code) == (2, 0, 0)
    weekly_path = raw / "prison-population-weekly" / "prison-population-281212.xls"
    assert weekly_path.read_bytes() == weekly_body
    assert (raw / "prison-population-monthly" / "prison-population-monthly-dec2012.doc").read_bytes() == monthly_body
    lock = json.loads(lock_path.read_text())
    entry = lock["files"]["prison-population-weekly/prison-population-281212.xls"]
    assert entry == {
        "path": "prison-population-weekly/prison-population-281212.xls",
        "url": weekly["url"],
        "attachment_title": WEEKLY_TITLE,
        "publication": {"base_path": PAGE_2012, "title": "Prison population figures: 2012",
                        "public_updated_at": "2013-01-11T00:00:00+00:00"},
        "bytes": 28672,
        "sha256": sha(weekly_body),
        "fetched_at": entry["fetched_at"],
        "release": "prison-population-weekly",
        "classification": {"kind": "weekly", "reference_date": "2012-12-28"},
    }
    assert lock["files"]["prison-population-monthly/prison-population-monthly-dec2012.doc"]["classification"] == {
        "kind": "monthly", "reference_date": "2012-12"}
    locked_text = lock_path.read_text()

    second = run(config, tmp_path, only=ONLY)
    assert (second.unchanged_count, len(second.stored), second.exit_code) == (2, 0, 0)
    assert web.calls_to(weekly["url"]) == 1  # known URL and size: not downloaded again
    assert lock_path.read_text() == locked_text

    # The publisher replaces the weekly file: new bytes at a new asset URL, the page's date moves on.
    page = copy.deepcopy(publisher.page)
    page["public_updated_at"] = "2013-02-01T10:00:00+00:00"
    replaced = next(a for a in page["details"]["attachments"] if a["title"] == WEEKLY_TITLE)
    new_body = ole_body(29184, "corrected")
    replaced.update(url=replaced["url"].replace("5a7c77d8ed915d6969f45155", "65b000000000000000000001"),
                    file_size=len(new_body))
    publisher.bodies[replaced["url"]] = new_body
    publisher.publish(page)

    third = run(config, tmp_path, only=ONLY)
    [(candidate, stored)] = third.revised
    revised_name = f"prison-population-281212__rev-{sha(new_body)[:12]}.xls"
    assert stored.path == f"prison-population-weekly/{revised_name}"
    assert stored.previous == "prison-population-weekly/prison-population-281212.xls"
    assert (third.unchanged_count, third.exit_code) == (1, 0)
    assert (raw / "prison-population-weekly" / revised_name).read_bytes() == new_body
    assert sha(weekly_path.read_bytes()) == sha(weekly_body)  # the old file is untouched
    lock = json.loads(lock_path.read_text())
    assert lock["files"]["prison-population-weekly/prison-population-281212.xls"] == entry  # old entry kept
    new_entry = lock["files"][f"prison-population-weekly/{revised_name}"]
    assert (new_entry["sha256"], new_entry["url"], new_entry["publication"]["public_updated_at"]) == (
        sha(new_body), replaced["url"], "2013-02-01T10:00:00+00:00")
    assert len(lock["files"]) == 3
    assert "revised  prison-population-weekly/" + revised_name in third.report()


def test_a_fresh_checkout_restores_the_locked_files(publisher, config, tmp_path):
    run(config, tmp_path, only=ONLY)
    locked = (tmp_path / "sources.lock").read_text()
    for path in sorted((tmp_path / "raw").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()

    again = run(config, tmp_path, only=ONLY)
    assert (len(again.restored), again.exit_code) == (2, 0)
    assert (tmp_path / "sources.lock").read_text() == locked
    for name, entry in json.loads(locked)["files"].items():
        assert sha((tmp_path / "raw" / name).read_bytes()) == entry["sha256"]


def test_a_raw_file_edited_on_disk_is_reported_and_left_alone(publisher, config, tmp_path):
    run(config, tmp_path, only=ONLY)
    edited = tmp_path / "raw" / "prison-population-weekly" / "prison-population-281212.xls"
    edited.write_bytes(b"edited by hand")
    before = snapshot(tmp_path)
    summary = run(config, tmp_path, only=ONLY)
    [failure] = summary.failures
    assert "no longer has its locked sha256" in failure.reason and str(edited) in failure.reason
    assert summary.exit_code == 1 and snapshot(tmp_path) == before


def test_one_file_name_for_two_different_bulletins_is_not_a_revision(web, config, tmp_path):
    """GOV.UK really has two weekly bulletins named PSWEBREPORT.ods (22 December 2023 and 3 March 2025)."""
    pages = [("/government/publications/prison-population-figures-2023", "Prison population figures: 2023",
              "Population bulletin: weekly 22 December 2023 ", "658562b0fc07f3000d8d46d4"),
             ("/government/publications/prison-population-weekly-estate-figures-2025",
              "Prison population: weekly estate figures 2025", "Population bulletin: weekly 3 March 2025 ",
              "67c592b2a0f0c95a498d21a8")]
    web.add_content(PRISON_COLLECTION, collection(PRISON_COLLECTION, "Prison population statistics",
                                                  [document_link(p, t, "2025-03-03T12:00:00Z") for p, t, _, _ in pages]))
    for base_path, title, bulletin, media in pages:
        body = ods_body(bulletin)
        a = attachment(bulletin, "PSWEBREPORT.ods", len(body), media=media)
        web.add_content(base_path, publication(base_path, title, "2025-03-03T12:00:00Z", [a]))
        web.add(a["url"], body)

    summary = run(config, tmp_path, only=["prison-population-weekly"])
    assert [s.status for _, s in summary.stored] == ["new", "new"]
    lock = SourcesLock.load(tmp_path / "sources.lock")
    dates = {e.path: e.classification.reference_date for e in lock.entries.values()}
    second_name = revision_name("PSWEBREPORT.ods", sha(ods_body("Population bulletin: weekly 3 March 2025 ")))
    assert dates == {"prison-population-weekly/PSWEBREPORT.ods": "2023-12-22",
                     f"prison-population-weekly/{second_name}": "2025-03-03"}


def test_the_lock_is_deterministic_and_a_corrupt_one_stops_the_run(publisher, config, tmp_path):
    run(config, tmp_path, only=ONLY)
    lock_path = tmp_path / "sources.lock"
    text = lock_path.read_text()
    assert SourcesLock.load(lock_path).dumps() == text
    assert list(json.loads(text)["files"]) == sorted(json.loads(text)["files"])

    lock_path.write_text(text[: len(text) // 2])
    before = snapshot(tmp_path)
    with pytest.raises(LockError, match="not a valid sources.lock"):
        run(config, tmp_path, only=ONLY)
    assert snapshot(tmp_path) == before
