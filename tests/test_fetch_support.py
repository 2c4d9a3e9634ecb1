"""Replay helpers shared by the test_fetch_* modules (this module holds no tests).

FakeWeb answers every request made through `requests` (via the `responses` library), so no test touches the
network: recorded GOV.UK responses are loaded from ../shared/data/raw/gov-uk-content-api, and small responses
of the same shape are built here for editions that were never recorded. A URL nobody registered gets a 404.
"""
from __future__ import annotations

import copy
import functools
import hashlib
import io
import json
import re
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses
import yaml

from justice_tracker.fetch.runner import run_update

API = "https://www.gov.uk"
ASSETS = "https://assets.publishing.service.gov.uk/media"
PRISON_COLLECTION = "/government/collections/prison-population-statistics"
RECORDED_ON = "2024-11-20"
ODS_TYPE = "application/vnd.oasis.opendocument.spreadsheet"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def normalise(url: str) -> tuple[str, str, tuple]:
    """(host, path, sorted query): the recording's paths have '//' after /api/content; query order is free."""
    parts = urlsplit(url)
    return parts.netloc.lower(), re.sub(r"/{2,}", "/", parts.path), tuple(sorted(parse_qsl(parts.query)))


class FakeWeb:
    """Routes registered by URL. A body may be bytes, text, JSON-able data or an exception to raise."""

    def __init__(self) -> None:
        self.routes: dict[tuple, list[tuple[int, dict[str, str], Any]]] = {}
        self.calls: Counter = Counter()
        self.user_agents: list[str] = []

    def add(self, url: str, body: Any = b"", status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.routes[normalise(url)] = [(status, headers or {}, body)]

    def add_sequence(self, url: str, answers: list[tuple[int, dict[str, str], Any]]) -> None:
        """Answer with each (status, headers, body) in turn; the last one repeats."""
        self.routes[normalise(url)] = list(answers)

    def add_content(self, base_path: str, payload: Any) -> None:
        self.add(f"{API}/api/content{base_path}", payload)

    def calls_to(self, url: str) -> int:
        return self.calls[normalise(url)]

    def __call__(self, request):
        key = normalise(request.url)
        self.calls[key] += 1
        self.user_agents.append(request.headers.get("User-Agent", ""))
        answers = self.routes.get(key, [(404, {}, b"not recorded")])
        status, headers, body = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(body, Exception):
            raise body
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        return status, headers, body


@pytest.fixture
def web():
    fake = FakeWeb()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, re.compile(r"https?://.*"), callback=fake)
        yield fake


# The real recording --------------------------------------------------------------------------------------

def recorded(shared_raw: Path, name: str) -> Any:
    return json.loads((shared_raw / "gov-uk-content-api" / name).read_text(encoding="utf-8"))


def recorded_collection(shared_raw: Path, slug: str) -> dict:
    return recorded(shared_raw, f"collection__{slug}__{RECORDED_ON}.json")


def recorded_2012_page(shared_raw: Path) -> dict:
    return recorded(shared_raw, "publication__prison-population-2012__reconstructed.json")


@functools.lru_cache(maxsize=1)
def _cassette(path: Path) -> dict:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def replay_cassette(web: FakeWeb, shared_raw: Path) -> int:
    """Register every interaction of the VCR cassette (the search and 51 collections); returns how many."""
    cassette = _cassette(shared_raw / "gov-uk-content-api" / "fetch_moj_publications.yaml")
    for interaction in cassette["interactions"]:
        response = interaction["response"]
        web.add(interaction["request"]["uri"], response["body"]["string"], status=response["status"]["code"])
    return len(cassette["interactions"])


# Responses of the recorded shape, for editions nobody recorded --------------------------------------------

def document_link(base_path: str, title: str, public_updated_at: str, document_type: str = "transparency") -> dict:
    return {
        "api_path": f"/api/content{base_path}", "api_url": f"{API}/api/content{base_path}", "base_path": base_path,
        "content_id": hashlib.md5(base_path.encode()).hexdigest(), "document_type": document_type, "links": {},
        "locale": "en", "public_updated_at": public_updated_at, "schema_name": "publication", "title": title,
        "web_url": f"{API}{base_path}", "withdrawn": False,
    }


def collection(base_path: str, title: str, documents: list[dict]) -> dict:
    return {"base_path": base_path, "title": title, "document_type": "document_collection",
            "schema_name": "document_collection", "links": {"documents": documents}}


def attachment(title: str, filename: str, size: int, content_type: str = ODS_TYPE, media: str = "") -> dict:
    media = media or hashlib.sha1(f"{title}{filename}".encode()).hexdigest()[:24]
    return {"accessible": False, "attachment_type": "file", "content_type": content_type, "file_size": size,
            "filename": filename, "id": media[:6], "title": title, "url": f"{ASSETS}/{media}/{filename}"}


def publication(base_path: str, title: str, public_updated_at: str, attachments: list[dict],
                document_type: str = "transparency") -> dict:
    return {"base_path": base_path, "title": title, "document_type": document_type, "schema_name": "publication",
            "public_updated_at": public_updated_at, "details": {"attachments": attachments}}


def derived_page(recorded_page: dict, base_path: str, title: str, public_updated_at: str,
                 attachments: list[dict]) -> dict:
    """A later edition: the recorded page's shape with another slug, title, date and attachment list."""
    page = copy.deepcopy(recorded_page)
    page.update(base_path=base_path, title=title, public_updated_at=public_updated_at)
    page["details"]["attachments"] = attachments
    return page


# Bodies ------------------------------------------------------------------------------------------------

def ole_body(size: int, seed: str) -> bytes:
    """Bytes that sniff as an OLE (.xls/.doc) container, exactly `size` long."""
    filler = hashlib.sha256(seed.encode()).digest() * (size // 32 + 1)
    return (OLE_MAGIC + filler)[:size]


def ods_body(text: str) -> bytes:
    """A minimal OpenDocument spreadsheet container (sniffs as 'ods')."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), ODS_TYPE)
        z.writestr("content.xml", f"<office:document-content>{text}</office:document-content>")
    return buffer.getvalue()


# Running -------------------------------------------------------------------------------------------------

def run(config, tmp_path: Path, **kwargs):
    """run_update with everything written under tmp_path, no progress bars, no rate limit and no real sleeps
    (pass sleep=some_list.append to see the backoff waits)."""
    kwargs.setdefault("raw_root", tmp_path / "raw")
    kwargs.setdefault("lock_path", tmp_path / "sources.lock")
    kwargs.setdefault("sleep", lambda seconds: None)
    return run_update(config, progress=False, min_interval=0, **kwargs)


def snapshot(tmp_path: Path) -> dict[str, str]:
    """sha256 of every file and a marker for every folder under tmp_path: equal snapshots, untouched store."""
    state = {}
    for path in sorted(tmp_path.rglob("*")):
        rel = path.relative_to(tmp_path).as_posix()
        state[rel] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "<dir>"
    return state
