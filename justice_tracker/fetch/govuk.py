"""Discovery through the GOV.UK Content API (and the Search API for pages that belong to no collection).

    <api base>/api/content<collection base path>   -> links.documents: the publication pages
    <api base>/api/content<publication base path>  -> details.attachments: the files
    <api base>/api/search.json?filter_...          -> results[].link: pages outside any collection

URLs are always built from the configured API base and a base_path, never taken from the `api_url` fields in
the responses, so a mirror or a local replay (JCT_GOVUK_API_BASE) sees every request. Publication pages are
chosen by title; attachments are classified by title (see classify.py). Nothing found is silently dropped:
every attachment ends up as a candidate, a skip (with its reason) or a failure. An attachment served from a
host outside http.allowed_hosts, or whose file name is not a bare name, is a failure before any request for it.
"""
from __future__ import annotations

import datetime as dt
import os
import unicodedata
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Callable, TypeVar
from urllib.parse import urljoin

from pydantic import BaseModel, ConfigDict, ValidationError

from .classify import Classification, ClassifyError, classify
from .http import FetchError, HttpClient, allowed_hosts, is_allowed, origin
from .releases import Release

DEFAULT_API_BASE = "https://www.gov.uk"
API_BASE_ENV = "JCT_GOVUK_API_BASE"
SEARCH_FIELDS = ["description", "document_collections", "link", "public_timestamp", "title", "first_published_at"]

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def resolve_api_base(api_base: str | None = None) -> str:
    """The argument if given, else $JCT_GOVUK_API_BASE, else https://www.gov.uk (no trailing slash)."""
    return (api_base or os.environ.get(API_BASE_ENV) or DEFAULT_API_BASE).rstrip("/")


# Response shapes. Only the fields used are declared; GOV.UK adds fields freely, so extras are ignored.
class _Response(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class DocumentLink(_Response):
    base_path: str
    title: str
    public_updated_at: str | None = None


class _CollectionLinks(_Response):
    documents: list[DocumentLink] = []


class CollectionPage(_Response):
    base_path: str
    title: str
    links: _CollectionLinks = _CollectionLinks()


class Attachment(_Response):
    title: str
    url: str
    attachment_type: str | None = None
    filename: str | None = None
    file_size: int | None = None
    content_type: str | None = None


class _PublicationDetails(_Response):
    attachments: list[Attachment] = []


class PublicationPage(_Response):
    base_path: str
    title: str
    public_updated_at: str | None = None
    details: _PublicationDetails = _PublicationDetails()


class SearchResult(_Response):
    link: str
    title: str
    public_timestamp: str | None = None


class SearchPage(_Response):
    results: list[SearchResult]
    total: int
    start: int = 0


class GovUkApi:
    def __init__(self, client: HttpClient, api_base: str | None = None):
        self.client = client
        self.api_base = resolve_api_base(api_base)
        self.allowed = allowed_hosts(self.api_base)  # where its attachments may be fetched from

    def content_url(self, base_path: str) -> str:
        return f"{self.api_base}/api/content{base_path}"

    def _get(self, url: str, model: type[M], params: dict[str, Any] | None = None) -> M:
        payload = self.client.get_json(url, params)
        try:
            return model.model_validate(payload)
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(top level)"
            raise FetchError(url, f"unexpected response shape at {where}: {first['msg']}") from e

    def collection(self, base_path: str) -> CollectionPage:
        return self._get(self.content_url(base_path), CollectionPage)

    def publication(self, base_path: str) -> PublicationPage:
        return self._get(self.content_url(base_path), PublicationPage)

    def search(self, filters: dict[str, str | list[str]], page_size: int) -> list[SearchResult]:
        """Every result of a query, following `start` until `total` is reached."""
        url = f"{self.api_base}/api/search.json"
        results: list[SearchResult] = []
        while True:
            params = {**filters, "fields": SEARCH_FIELDS, "count": page_size, "start": len(results)}
            page = self._get(url, SearchPage, params)
            results.extend(page.results)
            if not page.results or len(results) >= page.total:
                return results


@dataclass(frozen=True)
class Publication:
    """A publication page as recorded in the lock."""

    base_path: str
    title: str
    public_updated_at: str | None


@dataclass(frozen=True)
class Candidate:
    """A file a release wants: where it is, what it is, and which raw folder it goes to."""

    release: Release
    publication: Publication
    title: str
    url: str
    filename: str
    file_size: int
    content_type: str | None
    classification: Classification


@dataclass(frozen=True)
class Skipped:
    release: str
    publication: str
    title: str
    reason: str


@dataclass(frozen=True)
class Failure:
    release: str
    url: str
    reason: str
    title: str = ""  # the attachment or page the failure is about, when there is one

    def describe(self) -> str:
        about = f"{self.title!r} " if self.title else ""
        return printable(f"[{self.release}] {about}{self.url}: {self.reason}")


@dataclass
class Discovery:
    candidates: list[Candidate] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


def _timestamp(value: str | None) -> dt.datetime:
    """For ordering only: a missing or unreadable timestamp sorts as the oldest."""
    try:
        parsed = dt.datetime.fromisoformat(value or "")
    except ValueError:
        return dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def _newest(listed: list[tuple[str, str, str | None]], latest: int | None) -> list[tuple[str, str, str | None]]:
    if latest is None:
        return listed
    return sorted(listed, key=lambda item: _timestamp(item[2]), reverse=True)[:latest]


# Characters that end or reorder a line on a terminal or in a log: control characters (newline, carriage
# return, escape), line and paragraph separators, and format characters such as the bidi overrides.
_UNPRINTABLE = ("Cc", "Cf", "Zl", "Zp")


def printable(text: str) -> str:
    """`text` with every character that could end, rewrite or reorder a report line shown as an escape
    (`\\n`, `\\u202e`), so a title, URL or reason from the API can never forge a line of the report."""
    if not any(unicodedata.category(ch) in _UNPRINTABLE for ch in text):
        return text
    return "".join(ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch) in _UNPRINTABLE else ch
                   for ch in text)


def filename_problem(name: str) -> str | None:
    """Why `name` is not a bare file name, or None when it is. The publisher's file name becomes a path under
    data/raw (and a line in the lock), so a folder part, '..', a hidden name or a control character (a newline
    would split the lock's and the report's lines) must never get that far."""
    if not name:
        return "the file name is empty"
    if "/" in name or "\\" in name or PurePosixPath(name).name != name:
        return "the file name has a path in it"
    if name.startswith("."):
        return "the file name starts with a dot (hidden, or '..')"
    if any(unicodedata.category(ch) in _UNPRINTABLE for ch in name):
        return "the file name has a control character in it"
    return None


class Discoverer:
    """Reads each collection, search and publication page once per run, however many releases share it (the
    weekly and monthly releases read the same pages); a failed request is remembered too, not retried again."""

    def __init__(self, api: GovUkApi, on_page: Callable[[], None] = lambda: None):
        self.api = api
        self.on_page = on_page
        self._answers: dict[Any, Any] = {}

    def _once(self, key: Any, fetch: Callable[[], T]) -> T:
        if key not in self._answers:
            try:
                self._answers[key] = fetch()
            except FetchError as e:
                self._answers[key] = e
            self.on_page()
        answer = self._answers[key]
        if isinstance(answer, FetchError):
            raise answer
        return answer

    def listed_pages(self, release: Release) -> list[tuple[str, str, str | None]]:
        """(base_path, title, public_updated_at) of the pages the release wants, from its collection or search."""
        if release.collection is not None:
            collection = self._once(("collection", release.collection),
                                    lambda: self.api.collection(release.collection))
            listed = [(d.base_path, d.title, d.public_updated_at) for d in collection.links.documents]
        else:
            query = release.search
            results = self._once(("search", query.model_dump_json()),
                                 lambda: self.api.search(query.filters, query.page_size))
            listed = [(r.link, r.title, r.public_timestamp) for r in results if r.link.startswith("/")]
        wanted = [item for item in listed if release.wants_publication(item[1])]
        return _newest(wanted, release.latest)

    def discover(self, releases: list[Release]) -> Discovery:
        found = Discovery()
        for release in releases:
            try:
                listed = self.listed_pages(release)
            except FetchError as e:
                found.failures.append(Failure(release.id, e.url, e.reason, title=release.collection or "search"))
                continue
            if not listed:
                where = (self.api.content_url(release.collection) if release.collection
                         else f"{self.api.api_base}/api/search.json")
                found.failures.append(Failure(
                    release.id, where, f"no publication title matches {release.publications!r}: has the publisher "
                    "renamed its pages?"))
                continue
            for base_path, _, _ in listed:
                try:
                    page = self._once(("page", base_path), lambda: self.api.publication(base_path))
                except FetchError as e:
                    found.failures.append(Failure(release.id, e.url, e.reason, title=base_path))
                    continue
                publication = Publication(page.base_path, page.title, page.public_updated_at)
                for attachment in page.details.attachments:
                    self._consider(release, publication, attachment, found)
        return found

    def _consider(self, release: Release, publication: Publication, attachment: Attachment, found: Discovery) -> None:
        title = attachment.title.strip()
        url = urljoin(self.api.api_base + "/", attachment.url)
        if attachment.attachment_type not in (None, "file"):
            found.skipped.append(Skipped(release.id, publication.base_path, title,
                                         f"{attachment.attachment_type} attachment, not a file"))
            return
        rule = release.rule_for(title, attachment.filename or "")
        if rule is None:
            if release.ignores(title):
                found.skipped.append(Skipped(release.id, publication.base_path, title, "ignored by the release"))
            elif release.unmatched == "skip":
                found.skipped.append(Skipped(release.id, publication.base_path, title, "matches no attachment rule"))
            else:
                found.failures.append(Failure(
                    release.id, url, f"unknown attachment title format on {publication.base_path} "
                    f"({publication.title!r}); add a rule or an ignore pattern to the release", title=title))
            return
        if attachment.filename is None or attachment.file_size is None or attachment.file_size < 0:
            found.failures.append(Failure(
                release.id, url, f"file attachment on {publication.base_path} without a usable filename and "
                f"file_size (filename={attachment.filename!r}, file_size={attachment.file_size!r})", title=title))
            return
        problem = filename_problem(attachment.filename)
        if problem:
            found.failures.append(Failure(
                release.id, url, f"refused attachment {title!r} on {publication.base_path}: {problem} "
                f"({attachment.filename!r}); nothing fetched", title=title))
            return
        if not is_allowed(url, self.api.allowed):
            found.failures.append(Failure(
                release.id, url, f"refused attachment {title!r} on {publication.base_path}: {url} is on "
                f"{origin(url) or 'no readable host'}, not one of the allowed hosts "
                f"({', '.join(sorted(self.api.allowed))}); nothing fetched", title=title))
            return
        try:
            classification = classify(rule, title, publication.title)
        except ClassifyError as e:
            found.failures.append(Failure(
                release.id, url, f"cannot classify on {publication.base_path} ({publication.title!r}): {e}",
                title=title))
            return
        found.candidates.append(Candidate(
            release, publication, title, url, attachment.filename, attachment.file_size,
            attachment.content_type, classification))
