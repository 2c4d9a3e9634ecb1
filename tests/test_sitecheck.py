"""Tests for justice_tracker.sitecheck on small fixture sites built here, plus one run on the real built site."""
from __future__ import annotations

import hashlib
import json
import shutil
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from justice_tracker import sitecheck
from justice_tracker.paths import SITE_DIR
from justice_tracker.sitecheck import (
    check_editions,
    check_feed,
    check_img_alt,
    check_links,
    file_manifest,
    publish_check,
    verify_manifest,
)

ATOM = "http://www.w3.org/2005/Atom"


# --------------------------------------------------------------------------------------------------
# Fixture helpers


def _html(body: str, head: str = "", title: str = "Page") -> str:
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{title}</title>\n'
            f"{head}\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def _write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _edition_pages(folder: Path, ident: str) -> list[str]:
    """A small edition: an index, a chapter, a stylesheet, an image; all links good."""
    _write(folder / "index.html", _html(
        f'<h1 id="top-heading">Edition {ident}</h1>\n'
        '<a href="chapters/staffing.html#vacancies">Staffing</a>\n'
        '<a href="../../index.html">Working draft</a>\n'
        '<img src="_static/logo.png" alt="Logo">',
        head='<link rel="stylesheet" href="_static/site.css">'))
    _write(folder / "chapters" / "staffing.html", _html(
        '<h2 id="vacancies">Vacancies</h2>\n<a href="../index.html#top-heading">Back</a>'))
    _write(folder / "_static" / "site.css", "body { color: black; }\n")
    _write(folder / "_static" / "logo.png", b"\x89PNG\r\n\x1a\nfake")
    return ["index.html", "chapters/staffing.html"]


def _write_manifest(folder: Path, ident: str) -> str:
    manifest = {"edition": ident, "files": file_manifest(folder)}
    data = json.dumps(manifest, indent=2, sort_keys=True).encode()
    (folder / "manifest.json").write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def _write_feed(site: Path, entries: list[dict], *, feed_id: str = "urn:jct:feed") -> None:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = "Justice Crisis Tracker"
    if feed_id:
        ET.SubElement(feed, f"{{{ATOM}}}id").text = feed_id
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = "2026-12-02T00:00:00Z"
    ET.SubElement(feed, f"{{{ATOM}}}link", href="https://example.org/tracker/", rel="alternate")
    for e in entries:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        for key in ("id", "title", "updated", "summary"):
            if key in e:
                ET.SubElement(entry, f"{{{ATOM}}}{key}").text = e[key]
        if "href" in e:
            ET.SubElement(entry, f"{{{ATOM}}}link", href=e["href"], rel="alternate", type="text/html")
    ET.ElementTree(feed).write(site / "feed.xml", encoding="utf-8", xml_declaration=True)


EDITIONS = [("2026-12", "2026-12-02", "2026-09"), ("2026-09", "2026-09-03", None)]


def _make_site(root: Path) -> Path:
    """A complete, valid site: root working-draft pages, two editions, editions.json and feed.xml."""
    site = root / "site"
    _write(site / "index.html", _html(
        '<h1 id="intro">Justice Crisis Tracker</h1>\n'
        '<a href="chapters/staffing.html#vacancies">Staffing</a>\n'
        '<a href="chapters/">Chapters (a directory link)</a>\n'
        '<a href="data/weekly%20population.csv?download=1">Data</a>\n'
        '<a href="#intro">Up</a> <a href="#">Top</a> <a href="">Self</a>\n'
        '<a href="https://www.gov.uk/">GOV.UK</a> <a href="mailto:a@example.org">Mail</a>\n'
        '<a href="//example.org/x">Protocol-relative page link</a> <a href="tel:+441234">Tel</a>\n'
        '<a href="javascript:void(0)">JS</a>\n'
        '<img src="_static/logo.png" alt="">\n'
        '<img src="data:image/png;base64,AAAA" alt="dot">\n'
        '<svg role="img" aria-label="A chart"><rect/></svg>\n'
        '<svg role="img"><title>Another chart</title><rect/></svg>\n'
        '<svg><rect/></svg>\n'
        '<a name="legacy-anchor"></a>',
        head='<link rel="stylesheet" href="_static/site.css?digest=abc">\n'
             '<link rel="canonical" href="https://example.org/tracker/">\n'
             '<script src="_static/app.js"></script>'))
    _write(site / "chapters" / "index.html", _html('<a href="staffing.html">Staffing</a>'))
    _write(site / "chapters" / "staffing.html", _html(
        '<h2 id="vacancies">Vacancies</h2>\n'
        '<a href="../index.html#legacy-anchor">Home</a>\n'
        '<a href="/index.html#intro">Home from the root</a>\n'
        '<a href="../caf%C3%A9.html#men%C3%BA">Café</a>\n'
        '<iframe src="../embed/chart.html" title="chart"></iframe>\n'
        '<picture><source srcset="../_static/logo.png 1x, ../_static/logo.png 2x"><img src="../_static/logo.png" '
        'alt="Logo"></picture>'))
    _write(site / "café.html", _html('<h2 id="menú">Menú</h2>'))
    _write(site / "embed" / "chart.html", _html("<p>chart</p>"))
    _write(site / "old.html", _html("<p>Moved</p>", head='<meta http-equiv="refresh" content="0; url=chapters/">'))
    _write(site / "data" / "weekly population.csv", "date,population\n2026-09-07,88000\n")
    _write(site / "_static" / "site.css", "body {}\n")
    _write(site / "_static" / "app.js", "console.log(1);\n")
    _write(site / "_static" / "logo.png", b"\x89PNG\r\n\x1a\nfake")

    editions = []
    for ident, date, previous in EDITIONS:
        folder = site / "editions" / ident
        pages = _edition_pages(folder, ident)
        checksum = _write_manifest(folder, ident)
        editions.append({
            "id": ident, "date": date, "title": f"Edition {ident}", "path": f"editions/{ident}/",
            "manifest": f"editions/{ident}/manifest.json", "checksum": checksum, "previous": previous,
            "code_commit": "0123456789abcdef0123456789abcdef01234567", "summary": [f"Edition {ident}."],
            "releases": [{"table": "weekly_population_capacity", "latest_period": "2026-09-07", "rows": 788,
                          "sha256": hashlib.sha256(b"table").hexdigest()}],
            "pages": pages,
        })
    _write_editions(site, {"title": "Justice Crisis Tracker", "latest": "2026-12", "editions": editions})
    _write_feed(site, [
        {"id": f"urn:jct:edition:{ident}", "title": f"Edition {ident}", "updated": f"{date}T00:00:00Z",
         "summary": f"Edition {ident}.", "href": f"editions/{ident}/"}
        for ident, date, _ in EDITIONS
    ])
    return site


def _write_editions(site: Path, data: dict) -> None:
    (site / "editions.json").write_text(json.dumps(data, indent=2), encoding="utf-8")


def _editions(site: Path) -> dict:
    return json.loads((site / "editions.json").read_text(encoding="utf-8"))


@pytest.fixture
def site(tmp_path) -> Path:  # shadows conftest's real-site fixture on purpose: these tests build their own
    return _make_site(tmp_path)


def _one(problems: list[str], *needles: str) -> str:
    """The single problem that contains every needle (fails, showing all problems, otherwise)."""
    hits = [p for p in problems if all(n in p for n in needles)]
    assert len(hits) == 1, f"expected one problem containing {needles}, got {hits} in {problems}"
    return hits[0]


# --------------------------------------------------------------------------------------------------
# check_links


def test_good_site_passes_every_check(site):
    assert check_links(site) == []
    assert check_img_alt(site) == []
    assert check_editions(site) == []
    assert check_feed(site) == []
    assert publish_check(site) == []


def test_broken_link_and_broken_anchor_name_the_file_and_link(site):
    page = site / "chapters" / "staffing.html"
    _write(page, _html(
        '<h2 id="vacancies">Vacancies</h2>\n'
        '<a href="../missing.html">Gone</a>\n'
        '<a href="../index.html#no-such-id">Bad anchor</a>\n'
        '<a href="#nowhere">Bad local anchor</a>\n'
        '<a href="#vacancies">Good local anchor</a>'))
    problems = check_links(site)
    assert len(problems) == 3, problems
    p = _one(problems, '<a href="../missing.html">')
    assert p.startswith("chapters/staffing.html: ") and "missing.html does not exist" in p and "(line " in p
    p = _one(problems, '<a href="../index.html#no-such-id">')
    assert p.startswith("chapters/staffing.html: ") and 'no element with id "no-such-id" in index.html' in p
    p = _one(problems, '<a href="#nowhere">')
    assert 'no element with id "nowhere" in chapters/staffing.html' in p


def test_link_leaving_the_site_root_is_a_problem(site, tmp_path):
    _write(tmp_path / "outside.html", _html("<p>outside</p>"))  # exists, but not in the site
    _write(site / "chapters" / "index.html", _html(
        '<a href="../../outside.html">Out</a>\n<a href="/../outside.html">Out via root</a>'))
    problems = check_links(site)
    assert len(problems) == 2, problems
    assert all(p.startswith("chapters/index.html: ") and "leaves the site root" in p for p in problems)
    assert '<a href="../../outside.html">' in problems[0]


def test_symlink_out_of_the_site_is_a_problem(site, tmp_path):
    _write(tmp_path / "secret.txt", "x")
    (site / "secret.txt").symlink_to(tmp_path / "secret.txt")
    _write(site / "chapters" / "index.html", _html('<a href="../secret.txt">Secret</a>'))
    p = _one(check_links(site), '<a href="../secret.txt">')
    assert p.startswith("chapters/index.html: ") and "leaves the site root" in p


def test_remote_script_and_stylesheet_are_problems_but_remote_page_links_are_not(site):
    _write(site / "chapters" / "index.html", _html(
        '<a href="https://example.org/">fine</a> <img src="https://example.org/x.png" alt="remote image">',
        head='<script src="https://cdn.example.org/vega.js"></script>\n'
             '<script src="//cdn.example.org/lib.js"></script>\n'
             '<link rel="stylesheet" href="HTTPS://cdn.example.org/site.css">\n'
             '<link rel="preconnect" href="https://cdn.example.org">'))
    problems = check_links(site)
    assert len(problems) == 3, problems
    assert all(p.startswith("chapters/index.html: ") and "the site must work offline" in p for p in problems)
    _one(problems, '<script src="https://cdn.example.org/vega.js">')
    _one(problems, '<script src="//cdn.example.org/lib.js">')
    _one(problems, '<link href="HTTPS://cdn.example.org/site.css">')


def test_missing_local_script_stylesheet_image_and_iframe(site):
    _write(site / "chapters" / "index.html", _html(
        '<img src="../_static/nope.png" alt="x"><iframe src="frames/x.html" title="x"></iframe>'
        '<video><source src="../media/clip.mp4"></video>',
        head='<script src="../_static/gone.js"></script><link rel="stylesheet" href="../_static/gone.css">'))
    problems = check_links(site)
    assert len(problems) == 5, problems
    for needle, target in [('<script src="../_static/gone.js">', "_static/gone.js"),
                           ('<link href="../_static/gone.css">', "_static/gone.css"),
                           ('<img src="../_static/nope.png">', "_static/nope.png"),
                           ('<iframe src="frames/x.html">', "chapters/frames/x.html"),
                           ('<source src="../media/clip.mp4">', "media/clip.mp4")]:
        p = _one(problems, needle)
        assert p.startswith("chapters/index.html: ") and f"target {target} does not exist" in p


def test_meta_refresh_target_is_checked(site):
    _write(site / "old.html", _html("<p>Moved</p>", head="<meta http-equiv=\"Refresh\" content=\"0;URL='moved.html'\">"))
    p = _one(check_links(site), "moved.html")
    assert p.startswith("old.html: ") and "meta" in p and "target moved.html does not exist" in p


def test_directory_link_without_index_and_trailing_slash_on_a_file(site):
    (site / "chapters" / "index.html").unlink()  # index.html links to chapters/, old.html refreshes to it
    _write(site / "about.html", _html('<a href="chapters">dir without slash</a><a href="old.html/">bad</a>'))
    problems = check_links(site)
    assert len(problems) == 4, problems
    _one(problems, "index.html: ", '<a href="chapters/">', "target chapters/index.html does not exist")
    _one(problems, "old.html: ", "target chapters/index.html does not exist")
    _one(problems, "about.html: ", '<a href="chapters">', "target chapters/index.html does not exist")
    _one(problems, "about.html: ", '<a href="old.html/">', "target old.html/index.html does not exist")


def test_percent_encoded_names_must_decode_to_a_real_file(site):
    (site / "data" / "weekly population.csv").rename(site / "data" / "weekly_population.csv")
    p = _one(check_links(site), "weekly%20population.csv")
    assert p.startswith("index.html: ") and "target data/weekly population.csv does not exist" in p
    (site / "café.html").rename(site / "cafe.html")
    p = _one(check_links(site), "caf%C3%A9.html")
    assert p.startswith("chapters/staffing.html: ") and "café.html does not exist" in p


def test_unsupported_scheme_is_reported(site):
    _write(site / "chapters" / "index.html", _html('<a href="file:///etc/passwd">local file</a>'))
    p = _one(check_links(site), "file:///etc/passwd")
    assert p.startswith("chapters/index.html: ") and "unsupported URL scheme 'file'" in p


def test_pages_subset_only_checks_those_pages_but_follows_anchors_into_others(site):
    _write(site / "embed" / "chart.html", _html('<a href="nope.html">broken</a>'))
    _write(site / "chapters" / "index.html", _html('<a href="../index.html#gone">bad anchor</a>'))
    assert check_links(site, [site / "index.html"]) == []
    problems = check_links(site, [Path("chapters/index.html")])
    assert len(problems) == 1 and problems[0].startswith("chapters/index.html: ")
    assert 'no element with id "gone" in index.html' in problems[0]
    assert len(check_links(site)) == 2
    assert "no such page" in _one(check_links(site, [Path("nope.html")]), "nope.html")


def test_check_links_is_fast_on_a_larger_site(tmp_path):
    site = tmp_path / "big"
    filler = "\n".join(f'<p id="p{i}">Row {i} <a href="page{(i % 50)}.html#p{i % 200}">x</a></p>' for i in range(4000))
    for n in range(50):
        _write(site / f"page{n}.html", _html(filler))  # ~250 KB each, 200,000 links in all
    start = time.perf_counter()
    assert check_links(site) == []
    assert time.perf_counter() - start < 20


# --------------------------------------------------------------------------------------------------
# check_img_alt


def test_img_without_alt_and_unnamed_svg_are_reported(site):
    _write(site / "chapters" / "index.html", _html(
        '<img src="../_static/logo.png">\n<img src="../_static/logo.png" alt="">\n'
        '<svg role="img" id="chart-1" class="vega"><rect/></svg>\n'
        '<svg role="img" aria-labelledby="cap"><rect/></svg><p id="cap">Caption</p>\n'
        '<svg role="img"><title>  </title></svg>'))
    problems = check_img_alt(site)
    assert len(problems) == 3, problems
    assert _one(problems, '<img src="../_static/logo.png"> has no alt').startswith("chapters/index.html: ")
    assert _one(problems, '<svg role="img" id="chart-1" class="vega">').startswith("chapters/index.html: ")
    _one(problems, '<svg role="img"> has no aria-label, aria-labelledby or <title>')


# --------------------------------------------------------------------------------------------------
# file_manifest / verify_manifest


def test_file_manifest_is_sorted_deterministic_and_excludes_the_manifest(site):
    folder = site / "editions" / "2026-12"
    manifest = file_manifest(folder)
    assert list(manifest) == sorted(manifest)
    assert "manifest.json" not in manifest and "chapters/staffing.html" in manifest
    assert manifest["_static/site.css"] == hashlib.sha256(b"body { color: black; }\n").hexdigest()
    assert file_manifest(folder) == manifest
    assert "index.html" not in file_manifest(folder, exclude={"manifest.json", "index.html"})
    assert verify_manifest(folder, manifest) == []


def test_verify_manifest_reports_changed_missing_and_extra_files(site):
    folder = site / "editions" / "2026-12"
    manifest = file_manifest(folder)
    old = manifest["chapters/staffing.html"]
    (folder / "chapters" / "staffing.html").write_text("tampered", encoding="utf-8")
    (folder / "_static" / "logo.png").unlink()
    _write(folder / "stray.txt", "extra")
    problems = verify_manifest(folder, manifest)
    assert len(problems) == 3, problems
    new = hashlib.sha256(b"tampered").hexdigest()
    assert _one(problems, "chapters/staffing.html") == (
        f"chapters/staffing.html: changed (expected {old[:12]}, actual {new[:12]})")
    assert _one(problems, "_static/logo.png").endswith("missing (listed in the manifest)")
    assert _one(problems, "stray.txt") == "stray.txt: extra file not in the manifest"


# --------------------------------------------------------------------------------------------------
# check_editions


def test_tampered_edition_file_is_named_with_its_site_path(site):
    (site / "editions" / "2026-09" / "chapters" / "staffing.html").write_text("tampered", encoding="utf-8")
    problems = check_editions(site)
    assert len(problems) == 1, problems
    assert problems[0].startswith("editions/2026-09/chapters/staffing.html: changed (expected ")


def test_wrong_checksum(site):
    data = _editions(site)
    data["editions"][0]["checksum"] = "0" * 64
    _write_editions(site, data)
    p = _one(check_editions(site), "checksum")
    assert p.startswith("editions/2026-12/manifest.json: ") and "expected 000000000000" in p


def test_manifest_edited_without_updating_checksum(site):
    path = site / "editions" / "2026-12" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["edition"] = "2026-11"
    path.write_text(json.dumps(manifest))
    problems = check_editions(site)
    assert len(problems) == 2, problems
    _one(problems, "editions/2026-12/manifest.json: checksum does not match")
    _one(problems, "editions/2026-12/manifest.json: edition is '2026-11', expected '2026-12'")


def test_latest_wrong(site):
    data = _editions(site)
    data["latest"] = "2026-09"
    _write_editions(site, data)
    assert check_editions(site) == [
        "editions.json: latest is '2026-09' but the newest edition is '2026-12' (2026-12-02)"]


def test_missing_edition_folder(site):
    shutil.rmtree(site / "editions" / "2026-09")
    p = _one(check_editions(site), "2026-09")
    assert p == "editions.json: edition 2026-09: folder editions/2026-09/ does not exist"


def test_order_previous_ids_and_dates(site):
    data = _editions(site)
    data["editions"].reverse()
    _write_editions(site, data)
    _one(check_editions(site), "editions.json: editions are not sorted newest first: 2026-09")

    data = _editions(site)
    data["editions"].reverse()
    data["editions"][0]["previous"] = "2025-01"
    data["editions"][1]["previous"] = "2026-12"
    data["editions"][1]["date"] = "2026-02-30"
    _write_editions(site, data)
    problems = check_editions(site)
    _one(problems, "edition 2026-12: previous '2025-01' is not an edition")
    _one(problems, "edition 2026-09: date '2026-02-30' is not a valid ISO date")

    data = _editions(site)
    data["editions"][1]["date"] = "2026-09-03"
    data["editions"][1]["id"] = "2026-12"
    data["editions"][0]["id"] = "Dec 2026"
    _write_editions(site, data)
    problems = check_editions(site)
    _one(problems, "edition Dec 2026: id does not match")


def test_duplicate_id_and_missing_keys_and_bad_types(site):
    data = _editions(site)
    data["editions"][1]["id"] = "2026-12"
    del data["editions"][0]["pages"]
    data["editions"][0]["releases"][0]["rows"] = "788"
    _write_editions(site, data)
    problems = check_editions(site)
    _one(problems, "edition 2026-12: duplicate id")
    _one(problems, "edition 2026-12: missing key 'pages'")
    _one(problems, "releases[0]: 'rows' should be int, not str")


def test_listed_page_missing_and_invalid_json(site):
    data = _editions(site)
    data["editions"][0]["pages"].append("chapters/recalls.html")
    _write_editions(site, data)
    assert check_editions(site) == ["editions/2026-12/chapters/recalls.html: missing (listed in pages of edition "
                                    "2026-12)"]
    (site / "editions.json").write_text("{not json", encoding="utf-8")
    assert _one(check_editions(site), "invalid JSON").startswith("editions.json: ")
    (site / "editions.json").unlink()
    assert check_editions(site) == ["editions.json: missing"]


# --------------------------------------------------------------------------------------------------
# check_feed


def test_feed_with_a_missing_entry(site):
    _write_feed(site, [{"id": "urn:jct:edition:2026-12", "title": "Edition 2026-12",
                        "updated": "2026-12-02T00:00:00Z", "summary": "s", "href": "editions/2026-12/"}])
    assert check_feed(site) == ["feed.xml: 1 entries but editions.json lists 2 editions"]


def test_feed_malformed_xml(site):
    text = (site / "feed.xml").read_text(encoding="utf-8")
    (site / "feed.xml").write_text(text[: len(text) // 2], encoding="utf-8")
    p = _one(check_feed(site), "not a well-formed feed")
    assert p.startswith("feed.xml: ")


def test_feed_entry_fields_and_links(site):
    _write_feed(site, [
        {"id": "urn:jct:edition:2026-12", "title": "Edition 2026-12", "updated": "2026-12-02T00:00:00Z",
         "href": "editions/2026-11/"},
        {"id": "urn:jct:edition:2026-09", "title": "Edition 2026-09", "updated": "2026-09-03T00:00:00Z",
         "summary": "s", "href": "https://example.org/tracker/editions/2026-09/index.html"},
    ], feed_id="")
    problems = check_feed(site)
    _one(problems, "feed.xml: the feed has no id")
    _one(problems, "feed.xml: entry urn:jct:edition:2026-12: no summary")
    _one(problems, "entry urn:jct:edition:2026-12", "target editions/2026-11/index.html does not exist")
    _one(problems, "entry urn:jct:edition:2026-09", "is not under the site URL (none given)")
    assert len(problems) == 4, problems
    # With the site URL, the absolute link maps into the site.
    assert len(check_feed(site, "https://example.org/tracker")) == 3
    assert not [p for p in check_feed(site, "https://example.org/tracker/") if "2026-09" in p]


def test_publish_check_collects_everything(site):
    _write(site / "editions" / "2026-12" / "chapters" / "staffing.html", _html('<img src="x.png">'))
    problems = publish_check(site)
    _one(problems, "editions/2026-12/chapters/staffing.html: ", "has no alt")
    _one(problems, "editions/2026-12/chapters/staffing.html: ", "target editions/2026-12/chapters/x.png does not exist")
    _one(problems, "editions/2026-12/index.html: ", 'no element with id "vacancies"')
    _one(problems, "editions/2026-12/chapters/staffing.html: changed")
    assert len(problems) == 4, problems


# --------------------------------------------------------------------------------------------------
# The real built site (last in this file: it is the slow one)


def test_zz_real_built_site_links_anchors_and_alt_text(site):
    """The link check CI runs on the built site: every internal link and anchor resolves, every image has alt."""
    cache = sitecheck._Site(SITE_DIR)
    start = time.perf_counter()
    links = check_links(SITE_DIR, _cache=cache)
    took = time.perf_counter() - start
    alt = check_img_alt(SITE_DIR, _cache=cache)
    pages = len(cache.html_pages())
    print(f"\ncheck_links on {pages} pages took {took:.2f}s")
    problems = links + alt
    assert not problems, f"{len(problems)} problems on the built site:\n" + "\n".join(problems[:200])
