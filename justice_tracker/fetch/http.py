"""The one HTTP client every fetch goes through, so politeness and failure handling live in one place.

- A User-Agent naming the project, so the publisher can see (and contact) who is fetching.
- A timeout on every request: a hung connection must not hang `make update`.
- A minimum interval between requests (a rate limit), 0 in tests.
- Bounded retries with exponential backoff on what is usually transient (5xx, 429, timeouts, dropped
  connections); any other 4xx fails at once, because asking again gives the same answer.
- The sleep and the clock are injectable so tests of the retry path take no time.
"""
from __future__ import annotations

import json
import time
from importlib.metadata import PackageNotFoundError, version
from typing import IO, Any, Callable, TypeVar

import requests

DEFAULT_TIMEOUT = (10.0, 60.0)  # (connect, read) seconds
DEFAULT_MIN_INTERVAL = 0.5  # seconds between two requests
MAX_ATTEMPTS = 4  # one try and three retries
BACKOFF_BASE = 1.0  # seconds: waits of 1, 2, 4 between the attempts
MAX_WAIT = 60.0  # cap on any single wait, including a server's Retry-After
CHUNK = 1 << 16

T = TypeVar("T")


class FetchError(Exception):
    """A request failed for good. The message starts with the URL so a log line says what to look at."""

    def __init__(self, url: str, reason: str):
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")


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


def _retry_after_seconds(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.strip().isdigit() else None


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
    ):
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
        self._last_request: float | None = None

    def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        """GET and decode JSON. A body that is not JSON is a FetchError (not retried: it is what the server says)."""
        body = self._get(url, params, lambda response: response.content)
        try:
            return json.loads(body)
        except ValueError as e:
            raise FetchError(url, f"response is not valid JSON ({e}); first bytes: {body[:80]!r}") from e

    def download(self, url: str, out: IO[bytes]) -> int:
        """Stream the body into `out` and return the byte count. Each retry starts `out` again from empty."""

        def stream(response: requests.Response) -> int:
            out.seek(0)
            out.truncate()
            written = 0
            for chunk in response.iter_content(CHUNK):
                out.write(chunk)
                written += len(chunk)
            return written

        return self._get(url, None, stream)

    def _throttle(self) -> None:
        if self._last_request is not None and self.min_interval > 0:
            wait = self.min_interval - (self.clock() - self._last_request)
            if wait > 0:
                self.sleep(wait)
        self._last_request = self.clock()

    def _attempt(
        self, url: str, shown: str, params: dict[str, Any] | None, consume: Callable[[requests.Response], T]
    ) -> T:
        self._throttle()
        try:
            response = self.session.get(
                url, params=params, timeout=self.timeout, stream=True, headers={"User-Agent": self.agent}
            )
        except requests.Timeout as e:
            raise _Retryable(f"timed out ({e})") from e
        except requests.ConnectionError as e:
            raise _Retryable(f"connection failed ({e})") from e
        with response:
            status = response.status_code
            if status == 429 or status >= 500:
                raise _Retryable(f"HTTP {status} {response.reason or ''}".rstrip(), _retry_after_seconds(response))
            if status >= 400:
                raise FetchError(shown, f"HTTP {status} {response.reason or ''}".rstrip())
            try:
                return consume(response)
            except requests.Timeout as e:
                raise _Retryable(f"timed out while reading the body ({e})") from e
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as e:
                raise _Retryable(f"connection dropped while reading the body ({e})") from e

    def _get(self, url: str, params: dict[str, Any] | None, consume: Callable[[requests.Response], T]) -> T:
        shown = requests.Request("GET", url, params=params).prepare().url or url  # the URL with its query string
        attempt = 1
        while True:
            try:
                return self._attempt(url, shown, params, consume)
            except _Retryable as problem:
                if attempt >= self.max_attempts:
                    raise FetchError(shown, f"{problem.reason}; gave up after {attempt} attempts") from problem
                wait = self.backoff * 2 ** (attempt - 1)
                if problem.retry_after is not None:
                    wait = max(wait, problem.retry_after)
                self.sleep(min(wait, MAX_WAIT))
                attempt += 1
