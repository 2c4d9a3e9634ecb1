"""A local HTTP server that plays the GOV.UK Content API, the Search API, the asset host and the
data.justice.gov.uk publication calendar, for end-to-end tests of discovery and download.

Shapes come from the recorded responses in ../shared/data/raw (see shared/data/PROVENANCE.md):
- collections: the recorded collection JSON (gov-uk-content-api/collection__<slug>__2024-11-20.json), loaded
  as recorded and with `links.documents` (and `details.collection_groups[0].documents`) replaced by the
  publications given for that collection, so every other key stays as recorded;
- publication pages: the top-level keys and attachment objects of the recorded publication
  (publication__prison-population-2012__reconstructed.json), with `details.attachments` built from the
  files given: `attachment_type` "file", the real `file_size` of the served file, `url` pointing at this
  server (`<base_url>/media/<24 hex>/<filename>`), so assets come from the API base's own host;
- the Search API (/api/search.json): the recorded top-level keys (results, total, start, aggregates, ...) and
  result objects (description, document_collections, link, public_timestamp, title, ...), for the
  publications listed in SEARCH; `start` and `count` are honoured so paging works;
- /api/publications and /api: the recorded data.justice.gov.uk bodies (justice-data-api/fetch_justice_data.yaml),
  or a calendar given to the constructor, so the same server can be JCT_JUSTICE_DATA_API_BASE.
Anything else: 404 with a JSON body. Every request is recorded (`requests`: the paths, in order).

    with GovUkMirror([MirrorPublication(...), ...]) as mirror:
        run_update(config, api_base=mirror.base_url, ...)
        assert "/api/content/government/collections/prison-population-statistics" in mirror.requests

By default (quiet=True) each release the test does not serve gets one publication with no attachments
(quiet_publications()): OMSQ, HMPPS workforce and projections then find their page, no candidates and no
failure.
"""
from __future__ import annotations

import copy
import functools
import hashlib
import json
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_RAW = (REPO_ROOT.parent / "shared" / "data" / "raw").resolve()
RECORDED_ON = "2024-11-20"

PRISON_POPULATION = "prison-population-statistics"
OMSQ = "offender-management-statistics-quarterly"
WORKFORCE = "national-offender-management-service-workforce-statistics"
SEARCH = "search"  # `listed_in` value for pages found through the Search API, not a collection
# The collections tracker.yml's releases read (always served, with no documents unless given some).
RELEASE_COLLECTIONS = (PRISON_POPULATION, OMSQ, WORKFORCE)

ODS = "application/vnd.oasis.opendocument.spreadsheet"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class MirrorAttachment:
    """A file to serve as an attachment of a publication page."""

    title: str
    filename: str
    path: Path  # the local file whose bytes are served
    content_type: str = ODS
    media_id: str | None = None  # 24 hex digits; derived from the title and filename when not given

    def resolved_media_id(self) -> str:
        return self.media_id or hashlib.sha1(f"{self.title}\0{self.filename}".encode()).hexdigest()[:24]

    @property
    def media_path(self) -> str:
        return f"/media/{self.resolved_media_id()}/{self.filename}"


@dataclass(frozen=True)
class MirrorPublication:
    """A publication page, listed in a collection (its slug) or in the Search API results (SEARCH)."""

    base_path: str
    title: str
    public_updated_at: str
    attachments: tuple[MirrorAttachment, ...] | list[MirrorAttachment] = ()
    listed_in: str = PRISON_POPULATION
    document_type: str = "transparency"  # "official_statistics" / "national_statistics" for /government/statistics
    description: str = ""

    @property
    def content_id(self) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://www.gov.uk{self.base_path}"))


def quiet_publications() -> list[MirrorPublication]:
    """One page per release the end-to-end test does not care about, each with no attachments, titled so that
    the release's `publications` pattern in tracker.yml matches it: OMSQ, HMPPS workforce, projections."""
    return [
        MirrorPublication(
            "/government/statistics/offender-management-statistics-quarterly-january-to-march-2026",
            "Offender management statistics quarterly: January to March 2026", "2026-07-30T09:30:00.000+01:00",
            listed_in=OMSQ, document_type="official_statistics"),
        MirrorPublication(
            "/government/statistics/hm-prison-and-probation-service-workforce-quarterly-june-2026",
            "HM Prison and Probation Service workforce quarterly: June 2026", "2026-08-13T09:30:00.000+01:00",
            listed_in=WORKFORCE, document_type="official_statistics"),
        MirrorPublication(
            "/government/statistics/prison-population-projections-2025-to-2030",
            "Prison population projections: 2025 to 2030", "2026-01-29T09:30:00.000+00:00",
            listed_in=SEARCH, document_type="official_statistics"),
    ]


# --- Recorded shapes -------------------------------------------------------------------------------------------

def _recorded_dir() -> Path:
    if not SHARED_RAW.is_dir():
        raise FileNotFoundError(f"the recorded GOV.UK responses are not at {SHARED_RAW}")
    return SHARED_RAW


@functools.lru_cache(maxsize=None)
def _recorded_json(relative: str) -> Any:
    return json.loads((_recorded_dir() / relative).read_text(encoding="utf-8"))


def recorded_collection(slug: str) -> dict:
    return copy.deepcopy(_recorded_json(f"gov-uk-content-api/collection__{slug}__{RECORDED_ON}.json"))


def recorded_search() -> dict:
    return copy.deepcopy(_recorded_json(f"gov-uk-content-api/search__moj-official-national-statistics__{RECORDED_ON}.json"))


def recorded_publication() -> dict:
    return copy.deepcopy(_recorded_json("gov-uk-content-api/publication__prison-population-2012__reconstructed.json"))


@functools.lru_cache(maxsize=None)
def _justice_data_bodies() -> dict[str, str]:
    cassette = yaml.safe_load((_recorded_dir() / "justice-data-api" / "fetch_justice_data.yaml").read_text("utf-8"))
    return {urlsplit(i["request"]["uri"]).path: i["response"]["body"]["string"] for i in cassette["interactions"]}


def recorded_justice_data(path: str = "/api/publications") -> Any:
    """A recorded data.justice.gov.uk body, decoded: '/api/publications' (the calendar) or '/api' (the tree)."""
    return json.loads(_justice_data_bodies()[path])


# --- The server ------------------------------------------------------------------------------------------------

class GovUkMirror:
    """Serves the publications given on 127.0.0.1 (a free port) from a daemon thread until close().

    Attributes: base_url ('http://127.0.0.1:<port>', no trailing slash), requests (every request path, in
    order, without the query string), queries (the same requests as (path, {param: [values]})), errors (the
    paths answered 404).
    """

    def __init__(self, publications: list[MirrorPublication] | tuple[MirrorPublication, ...] = (), *,
                 quiet: bool = True, calendar: list[dict] | None = None):
        publications = list(publications)
        if quiet:
            given = {p.listed_in for p in publications}
            publications += [p for p in quiet_publications() if p.listed_in not in given]
        paths = [p.base_path for p in publications]
        if len(set(paths)) != len(paths):
            raise ValueError(f"duplicate base paths: {sorted({p for p in paths if paths.count(p) > 1})}")
        self.publications = publications
        self.collections = list(dict.fromkeys(
            [*RELEASE_COLLECTIONS, *(p.listed_in for p in publications if p.listed_in != SEARCH)]))
        for slug in self.collections:
            recorded_collection(slug)  # fail now, naming the file, if a collection was never recorded
        self.calendar = calendar
        self.media: dict[str, MirrorAttachment] = {}
        for publication in publications:
            for attachment in publication.attachments:
                if not Path(attachment.path).is_file():
                    raise FileNotFoundError(f"attachment {attachment.title!r}: no file at {attachment.path}")
                if attachment.media_path in self.media:
                    raise ValueError(f"two attachments at {attachment.media_path}")
                self.media[attachment.media_path] = attachment
        self.requests: list[str] = []
        self.queries: list[tuple[str, dict[str, list[str]]]] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="govuk-mirror", daemon=True)
        self._thread.start()

    # context manager
    def __enter__(self) -> "GovUkMirror":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def content_paths(self) -> list[str]:
        """The Content API pages requested (their base paths), in order."""
        return [p[len("/api/content"):] for p in self.requests if p.startswith("/api/content/")]

    # --- response bodies ---------------------------------------------------------------------------------------

    def _document_link(self, publication: MirrorPublication) -> dict:
        """A links.documents[] entry, with the recorded keys."""
        return {
            "api_path": f"/api/content{publication.base_path}",
            "api_url": self.url(f"/api/content{publication.base_path}"),
            "base_path": publication.base_path,
            "content_id": publication.content_id,
            "document_type": publication.document_type,
            "links": {},
            "locale": "en",
            "public_updated_at": publication.public_updated_at,
            "schema_name": "publication",
            "title": publication.title,
            "web_url": self.url(publication.base_path),
            "withdrawn": False,
        }

    def collection_body(self, slug: str) -> dict:
        body = recorded_collection(slug)
        listed = [p for p in self.publications if p.listed_in == slug]
        body["links"]["documents"] = [self._document_link(p) for p in listed]
        groups = body["details"].get("collection_groups") or [{"title": "Documents", "body": ""}]
        body["details"]["collection_groups"] = [{**groups[0], "documents": [p.content_id for p in listed]}]
        return body

    def _collection_link(self, slug: str) -> dict:
        recorded = recorded_collection(slug)
        return {
            "api_path": f"/api/content{recorded['base_path']}",
            "api_url": self.url(f"/api/content{recorded['base_path']}"),
            "base_path": recorded["base_path"],
            "content_id": recorded["content_id"],
            "document_type": recorded["document_type"],
            "links": {},
            "locale": recorded.get("locale", "en"),
            "public_updated_at": recorded["public_updated_at"],
            "schema_name": recorded["schema_name"],
            "title": recorded["title"],
            "web_url": self.url(recorded["base_path"]),
            "withdrawn": False,
        }

    def attachment_body(self, attachment: MirrorAttachment, index: int) -> dict:
        template = recorded_publication()["details"]["attachments"][0]
        media_id = attachment.resolved_media_id()
        return {
            **template,
            "attachment_type": "file",
            "content_type": attachment.content_type,
            "file_size": Path(attachment.path).stat().st_size,
            "filename": attachment.filename,
            "id": str(int(media_id[:6], 16) + index),
            "title": attachment.title,
            "url": self.url(attachment.media_path),
        }

    def publication_body(self, publication: MirrorPublication) -> dict:
        body = recorded_publication()
        attachments = [self.attachment_body(a, i) for i, a in enumerate(publication.attachments)]
        body.update({
            "base_path": publication.base_path,
            "content_id": publication.content_id,
            "description": publication.description or publication.title,
            "document_type": publication.document_type,
            "first_published_at": publication.public_updated_at,
            "public_updated_at": publication.public_updated_at,
            "title": publication.title,
            "updated_at": publication.public_updated_at,
        })
        details = body["details"]
        details.update({
            "attachments": attachments,
            "body": f'<div class="govspeak"><p>{publication.title}</p>\n</div>',
            "change_history": [{"note": "First published.", "public_timestamp": publication.public_updated_at}],
            "documents": [],
            "featured_attachments": [a["id"] for a in attachments],
            "first_public_at": publication.public_updated_at,
        })
        links = body["links"]
        links["available_translations"] = [self._document_link(publication)]
        links["document_collections"] = ([self._collection_link(publication.listed_in)]
                                         if publication.listed_in != SEARCH else [])
        links.pop("suggested_ordered_related_items", None)
        return body

    def _search_result(self, publication: MirrorPublication) -> dict:
        template = recorded_search()["results"][0]
        return {
            **template,
            "description": publication.description or publication.title,
            "document_collections": [],
            "link": publication.base_path,
            "public_timestamp": publication.public_updated_at,
            "title": publication.title,
            "_id": publication.base_path,
        }

    def search_body(self, query: dict[str, list[str]]) -> dict:
        body = recorded_search()
        results = [self._search_result(p) for p in self.publications if p.listed_in == SEARCH]
        start = int((query.get("start") or ["0"])[0])
        count = int((query.get("count") or [str(len(results) or 1)])[0])
        body.update({"results": results[start:start + count], "total": len(results), "start": start})
        return body

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, str, bytes]:
        """(status, content type, body) for a GET of `path`."""
        if path.startswith("/api/content/"):
            base_path = path[len("/api/content"):]
            for slug in self.collections:
                if base_path == f"/government/collections/{slug}":
                    return _json(200, self.collection_body(slug))
            for publication in self.publications:
                if base_path == publication.base_path:
                    return _json(200, self.publication_body(publication))
        elif path == "/api/search.json":
            return _json(200, self.search_body(query))
        elif path == "/api/publications":
            return _json(200, self.calendar if self.calendar is not None else recorded_justice_data("/api/publications"))
        elif path == "/api":
            return _json(200, recorded_justice_data("/api"))
        elif path in self.media:
            attachment = self.media[path]
            return 200, attachment.content_type, Path(attachment.path).read_bytes()
        return _json(404, {"error": {"code": "not_found", "message": f"Could not find {path} on the mirror"}})


def _json(status: int, payload: Any) -> tuple[int, str, bytes]:
    return status, "application/json; charset=utf-8", json.dumps(payload, ensure_ascii=False).encode("utf-8")


def _handler_for(mirror: GovUkMirror) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _respond(self, with_body: bool) -> None:
            parts = urlsplit(self.path)
            path, query = unquote(parts.path), parse_qs(parts.query)
            with mirror._lock:
                mirror.requests.append(path)
                mirror.queries.append((path, query))
            try:
                status, content_type, body = mirror.answer(path, query)
            except Exception as e:  # a bug in the mirror: say so as a 500 rather than hang the client
                status, content_type, body = _json(500, {"error": {"code": "mirror_error", "message": repr(e)}})
            if status == 404:
                with mirror._lock:
                    mirror.errors.append(path)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802
            self._respond(with_body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._respond(with_body=False)

        def log_message(self, format: str, *args) -> None:  # keep test output clean
            pass

    return Handler
