"""The one HTTP client every fetch goes through, so politeness and failure handling live in one place.

- A User-Agent naming the project, so the publisher can see (and contact) who is fetching.
- A timeout on every request: a hung connection must not hang `make update`.
- A minimum interval between requests (a rate limit), 0 in tests.
- Bounded retries with exponential backoff on what is usually transient (5xx, 429, timeouts, dropped
  connections); any other 4xx fails at once, because asking again gives the same answer.
- The sleep and the clock are injectable so tests of the retry path take no time.
- Files come only from the publisher's asset hosts (allowed_hosts), and redirects are followed by hand, each
  hop checked against the same list: requests would otherwise follow a redirect anywhere, and a file fetched
  from elsewhere would be stored (and published) as MoJ data.
- Every body has a ceiling (the size the publisher lists, else a cap), checked against Content-Length before
  reading and while streaming, so a wrong or hostile server cannot fill the disk or the memory.
- Every download has an overall deadline (retries, redirects and all): the read timeout only bounds the wait for
  the next byte, so a server that drips one byte a second would otherwise never time out. The body is read with
  read1 (whatever has arrived, up to a chunk), so the deadline is checked at least once per read timeout.
"""
from __future__ import annotations

import json
import time
from importlib.metadata import PackageNotFoundError, version
from typing import IO, Any, Callable, Iterable, Iterator, TypeVar
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions

from ..errors import FetchError  # noqa: F401 (re-exported)

DEFAULT_TIMEOUT = (10.0, 60.0)  # (connect, read) seconds
DEFAULT_MIN_INTERVAL = 0.5  # seconds between two requests
MAX_ATTEMPTS = 4  # one try and three retries
BACKOFF_BASE = 1.0  # seconds: waits of 1, 2, 4 between the attempts
MAX_WAIT = 60.0  # cap on any single wait, including a server's Retry-After
CHUNK = 1 << 16
MAX_DOWNLOAD_BYTES = 200 * 1024 * 1024  # generous: every sample file in ../shared is under 3 MB
MAX_JSON_BYTES = 20 * 1024 * 1024  # generous: the whole recorded cassette of API answers is 3 MB
MAX_REDIRECTS = 5
# The slowest sample file (3 MB) takes seconds; ten minutes is a slow line, not a stalled or hostile server.
DOWNLOAD_DEADLINE = 600.0
# Where the publisher serves attachments: its asset host, and www.gov.uk for the old /government/uploads/ URLs.
PUBLISHER_HOSTS = ("assets.publishing.service.gov.uk", "www.gov.uk")
_DEFAULT_PORTS = {"http": 80, "https": 443}

T = TypeVar("T")


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def project_version() -> str:
    try:
        return version("justice-tracker")
    except PackageNotFoundError:  # running from a checkout that was never `pip install -e`'d
        return "unknown"


def user_agent(repository_url: str = "") -> str:
    """justice-crisis-tracker/<version> (+<repository url>); the URL part is left out when none is configured."""
    agent = f"justice-crisis-tracker/{project_version()}"
    return f"{agent} (+{repository_url})" if repository_url else agent


def origin(url: str) -> str:
    """scheme://host[:port] of a URL, lower case and without a default port, so equal origins compare equal.
    The host is urlsplit's hostname, so `https://www.gov.uk@evil.test/` is evil.test, as a browser would see it.
    An unreadable URL gives "", which no allow-list holds."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # e.g. a port that is not a number
        return ""
    if not parts.scheme or not parts.hostname:
        return ""
    scheme, host = parts.scheme.lower(), parts.hostname.lower()
    host = f"[{host}]" if ":" in host else host  # an IPv6 address, bracketed again as in the URL
    shown_port = f":{port}" if port is not None and port != _DEFAULT_PORTS.get(scheme) else ""
    return f"{scheme}://{host}{shown_port}"


def allowed_hosts(api_base: str | None = None) -> frozenset[str]:
    """The origins files may be fetched from: the publisher's hosts over https, plus the API base's own origin
    (scheme, host and port), which is how a mirror or local replay (--api-base, $JCT_GOVUK_API_BASE) serves
    assets. The one allow-list: discovery refuses attachments elsewhere and HttpClient refuses to go there."""
    hosts = {f"https://{host}" for host in PUBLISHER_HOSTS}
    if api_base and origin(api_base):
        hosts.add(origin(api_base))
    return frozenset(hosts)


def is_allowed(url: str, allowed: Iterable[str]) -> bool:
    """Whether the URL's origin is in `allowed` (from allowed_hosts); a URL without a readable host never is."""
    found = origin(url)
    return bool(found) and found in allowed


def _retry_after_seconds(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.strip().isdigit() else None


class _Deadline:
    """The time one download may take in all, on the client's clock; `None` seconds means no deadline."""

    def __init__(self, seconds: float | None, clock: Callable[[], float]):
        self.seconds, self.clock = seconds, clock
        self.ends = None if seconds is None else clock() + seconds

    def passed(self) -> bool:
        return self.ends is not None and self.clock() >= self.ends

    def check(self, shown: str, received: int | None = None) -> None:
        if self.passed():
            got = "" if received is None else f" ({received:,} bytes received)"
            raise FetchError(shown, f"not finished within the {self.seconds:g} s allowed for one download{got}; "
                                    "stopped: the server is too slow or stalled")


def _chunks(response: requests.Response) -> Iterator[bytes]:
    """The body as it arrives: each read returns what the socket has (at most CHUNK bytes) instead of waiting
    for a full chunk, so a caller between two reads sees a slow body. urllib3's errors become requests' own,
    as iter_content would raise them."""
    read1 = getattr(response.raw, "read1", None)
    if read1 is None:  # not a urllib3 response (a test double): iter_content is all there is
        yield from response.iter_content(CHUNK)
        return
    try:
        while True:
            chunk = read1(CHUNK, decode_content=True)
            if not chunk:
                return
            yield chunk
    except urllib3.exceptions.ReadTimeoutError as e:
        raise requests.exceptions.ReadTimeout(e) from e
    except (urllib3.exceptions.ProtocolError, urllib3.exceptions.SSLError) as e:
        raise requests.exceptions.ChunkedEncodingError(e) from e
    except urllib3.exceptions.DecodeError as e:
        raise requests.exceptions.ContentDecodingError(e) from e


def _capped(response: requests.Response, shown: str, limit: int, what: str,
            deadline: _Deadline | None = None) -> Iterator[bytes]:
    """The body in chunks, stopping with a FetchError at the first chunk that would pass `limit` bytes, so an
    oversized body is never read (let alone stored) to its end. `what` says whose limit it is, for the message.
    A Content-Length already over the limit fails before any byte is read; it is only trusted when the body is
    not compressed, because then it counts the bytes that will be written. Past the deadline, the next chunk
    fails too."""
    declared = response.headers.get("Content-Length", "").strip()
    encoded = response.headers.get("Content-Encoding", "identity").strip().lower() not in ("", "identity")
    if declared.isdigit() and not encoded and int(declared) > limit:
        raise FetchError(shown, f"Content-Length is {int(declared):,} bytes, more than {what}; not downloaded")
    received = 0
    for chunk in _chunks(response):
        received += len(chunk)
        if received > limit:
            raise FetchError(shown, f"the body is larger than {what}: stopped reading at {received:,} bytes")
        if deadline is not None:
            deadline.check(shown, received)
        yield chunk


class HttpClient:
    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        agent: str | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        min_interval: float = DEFAULT_MIN_INTERVAL,
        max_attempts: int = MAX_ATTEMPTS,
        backoff: float = BACKOFF_BASE,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        allowed: Iterable[str] | None = None,
        max_download: int = MAX_DOWNLOAD_BYTES,
        max_json: int = MAX_JSON_BYTES,
        deadline: float | None = DOWNLOAD_DEADLINE,
    ):
        """`allowed`: the origins files may come from, allowed_hosts(api_base) (default: the publisher's only).
        `deadline`: seconds one download (or one JSON answer) may take in all, retries included; None: no limit."""
        if deadline is not None and not deadline > 0:
            raise ValueError(f"deadline must be a positive number of seconds, got {deadline}")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        self.session = session or requests.Session()
        self.agent = agent or user_agent()
        self.timeout = timeout
        self.min_interval = min_interval
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.sleep = sleep
        self.clock = clock
        self.allowed = frozenset(allowed) if allowed is not None else allowed_hosts()
        self.max_download = max_download
        self.max_json = max_json
        self.deadline = deadline
        self._last_request: float | None = None

    def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        """GET and decode JSON. A body that is not JSON is a FetchError (not retried: it is what the server says).
        Redirects may stay on the URL's own host (the API's: GOV.UK redirects moved pages) or go to an allowed
        host, nowhere else; the body is capped at max_json bytes."""
        allowed = self.allowed | ({origin(url)} - {""})
        deadline = _Deadline(self.deadline, self.clock)
        body = self._get(url, params, allowed, lambda response, shown: b"".join(
            _capped(response, shown, self.max_json, f"the {self.max_json:,} bytes allowed for a JSON answer",
                    deadline)), deadline)
        try:
            return json.loads(body)
        except ValueError as e:
            raise FetchError(url, f"response is not valid JSON ({e}); first bytes: {body[:80]!r}") from e

    def download(self, url: str, out: IO[bytes], expected: int | None = None, name: str = "") -> int:
        """Stream the body into `out` and return the byte count. Each retry starts `out` again from empty.

        The URL and every redirect must be on an allowed host: checked here as well as at discovery, so no
        caller can fetch a file from elsewhere. The body may not pass `expected` (the publisher's file_size for
        `name`) nor max_download; the check comes before each write, so `out` never holds more than the limit.
        The whole download, retries included, must end within `deadline` seconds, else a FetchError."""
        if not is_allowed(url, self.allowed):
            raise FetchError(url, f"{origin(url) or 'this URL'} is not an allowed host for files "
                                  f"({', '.join(sorted(self.allowed))}); not fetched")
        if expected is not None and expected <= self.max_download:
            limit, what = expected, f"the {expected:,} bytes the publisher lists for {name or 'this file'}"
        else:
            limit, what = self.max_download, f"the download cap of {self.max_download:,} bytes"
        deadline = _Deadline(self.deadline, self.clock)

        def stream(response: requests.Response, shown: str) -> int:
            out.seek(0)
            out.truncate()
            written = 0
            for chunk in _capped(response, shown, limit, what, deadline):
                out.write(chunk)
                written += len(chunk)
            return written

        return self._get(url, None, self.allowed, stream, deadline)

    def _throttle(self, url: str) -> None:
        # The pause is politeness to the publisher; a mirror on this machine (tests, a local copy) needs none.
        if urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1"):
            return
        if self._last_request is not None and self.min_interval > 0:
            wait = self.min_interval - (self.clock() - self._last_request)
            if wait > 0:
                self.sleep(wait)
        self._last_request = self.clock()

    def _send(self, url: str, params: dict[str, Any] | None) -> requests.Response:
        """One request, redirects not followed (the caller checks where they lead first)."""
        self._throttle(url)
        try:
            return self.session.get(url, params=params, timeout=self.timeout, stream=True, allow_redirects=False,
                                    headers={"User-Agent": self.agent})
        except requests.Timeout as e:
            raise _Retryable(f"timed out ({e})") from e
        except requests.ConnectionError as e:
            raise _Retryable(f"connection failed ({e})") from e

    def _attempt(self, url: str, shown: str, params: dict[str, Any] | None, allowed: frozenset[str],
                 consume: Callable[[requests.Response, str], T]) -> T:
        """One try: the request and any redirects (at most MAX_REDIRECTS, each to an allowed host, no loops)."""
        visited = [shown]
        while True:
            with self._send(url, params if len(visited) == 1 else None) as response:
                location = self.session.get_redirect_target(response)
                if location is None:
                    return self._take(response, shown, visited[-1], consume)
                url = urljoin(response.url or visited[-1], location)
            if url in visited:
                raise FetchError(shown, f"redirect loop: {visited[-1]} redirects back to {url}")
            if len(visited) > MAX_REDIRECTS:
                raise FetchError(shown, f"more than {MAX_REDIRECTS} redirects (the last one to {url}); not followed")
            if not is_allowed(url, allowed):
                raise FetchError(shown, f"redirected to {url}, and {origin(url) or 'that'} is not an allowed host "
                                        f"({', '.join(sorted(allowed))}); not followed")
            visited.append(url)

    def _take(self, response: requests.Response, shown: str, final: str,
              consume: Callable[[requests.Response, str], T]) -> T:
        status = response.status_code
        status_text = f"HTTP {status} {response.reason or ''}".rstrip()
        if final != shown:  # say where it went wrong when it was not the URL asked for
            status_text += f" at {final}"
        if status == 429 or status >= 500:
            raise _Retryable(status_text, _retry_after_seconds(response))
        if status >= 300:  # a 4xx, or a 3xx that is no redirect (no Location): asking again gives the same
            raise FetchError(shown, status_text)
        try:
            return consume(response, shown)
        except requests.Timeout as e:
            raise _Retryable(f"timed out while reading the body ({e})") from e
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as e:
            raise _Retryable(f"connection dropped while reading the body ({e})") from e

    def _get(self, url: str, params: dict[str, Any] | None, allowed: frozenset[str],
             consume: Callable[[requests.Response, str], T], deadline: _Deadline) -> T:
        shown = requests.Request("GET", url, params=params).prepare().url or url  # the URL with its query string
        attempt = 1
        while True:
            try:
                return self._attempt(url, shown, params, allowed, consume)
            except _Retryable as problem:
                if attempt >= self.max_attempts:
                    raise FetchError(shown, f"{problem.reason}; gave up after {attempt} attempts") from problem
                wait = self.backoff * 2 ** (attempt - 1)
                if problem.retry_after is not None:
                    wait = max(wait, problem.retry_after)
                wait = min(wait, MAX_WAIT)
                if deadline.ends is not None and deadline.clock() + wait >= deadline.ends:
                    raise FetchError(shown, f"{problem.reason}; no time left for another attempt within the "
                                            f"{deadline.seconds:g} s allowed for one download") from problem
                self.sleep(wait)
                attempt += 1
