"""data/sources.lock: what every raw file is, where it came from, and its checksum.

data/raw is not committed; the lock is. It has one entry per raw file, keyed by the file's path under the raw
root (`<slug>/<file name>`, machine independent), and is written as JSON with sorted keys so the same store
always gives the same bytes. Entries are only ever added: a revised file gets a new entry beside the old one.
A corrupt lock stops the run rather than being overwritten.
"""
from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..files import atomic_write_text
from ..paths import REPO_ROOT
from ..errors import LockError  # noqa: F401 (re-exported)

LOCK_FILE = REPO_ROOT / "data" / "sources.lock"
LOCK_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LockedPublication(_Strict):
    base_path: str
    title: str
    public_updated_at: str | None


class LockedClassification(_Strict):
    kind: str
    reference_date: str | None


class LockEntry(_Strict):
    path: str = Field(description="<slug>/<file name> under the raw root")
    url: str
    attachment_title: str
    publication: LockedPublication
    bytes: int
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    fetched_at: str
    release: str
    classification: LockedClassification


class _LockFile(_Strict):
    version: int
    files: dict[str, LockEntry]


class SourcesLock:
    def __init__(self, entries: dict[str, LockEntry] | None = None):
        self.entries: dict[str, LockEntry] = dict(entries or {})

    @classmethod
    def load(cls, path: Path) -> "SourcesLock":
        if not path.exists():
            return cls()
        try:
            data = _LockFile.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, ValidationError) as e:
            raise LockError(f"{path}: not a valid sources.lock ({e}); fix or restore it before updating") from e
        if data.version != LOCK_VERSION:
            raise LockError(f"{path}: lock version {data.version}, this code reads version {LOCK_VERSION}")
        for key, entry in data.files.items():
            if key != entry.path:
                raise LockError(f"{path}: entry {key!r} records path {entry.path!r}")
        return cls(data.files)

    def get(self, path: str) -> LockEntry | None:
        return self.entries.get(path)

    def known_download(self, url: str, size: int, slug: str) -> LockEntry | None:
        """The newest entry in this folder fetched from this URL with this size: the file needs no new download."""
        matches = [e for e in self.entries.values()
                   if e.url == url and e.bytes == size and e.path.startswith(f"{slug}/")]
        return max(matches, key=lambda e: e.fetched_at, default=None)

    def same_attachment(self, slug: str, base_path: str, title: str) -> list[LockEntry]:
        """Earlier files of the same attachment (same page, same title): a new file for it is a revision."""
        return sorted((e for e in self.entries.values()
                       if e.path.startswith(f"{slug}/") and e.publication.base_path == base_path
                       and e.attachment_title == title), key=lambda e: e.fetched_at)

    def add(self, entry: LockEntry) -> bool:
        """Record a file not yet in the lock (True). A locked path keeps its entry as it is (False): entries
        describe the first fetch of those bytes and are never rewritten."""
        if entry.path in self.entries:
            return False
        self.entries[entry.path] = entry
        return True

    def dumps(self) -> str:
        data = {"version": LOCK_VERSION, "files": {k: v.model_dump() for k, v in self.entries.items()}}
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    def save(self, path: Path) -> None:
        atomic_write_text(path, self.dumps())
