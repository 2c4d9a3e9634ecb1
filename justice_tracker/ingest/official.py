"""The publisher's own files, parsed here: the middle of the one straight line
raw store -> parsed official files -> processed tables -> pages.

An official source in tracker.yml names the folder its files are in (its slug, under any raw directory), the
file patterns it reads and the parser modules that read them. Every matching file is parsed by the first of
those parsers that recognises it; a file none recognises is an error naming it (a changed layout must be noticed),
unless the source says `unrecognised: skip` (a release page full of workbooks of which one is wanted), when it is
listed instead. Files in the folder that match no pattern (the 2011 Word weekly bulletins, which no parser reads)
are listed as not read.

Parsing is the slow part of `make data`, so each result is kept in _build/parsed/, keyed by the file's sha256 and
a fingerprint of the parser code and name lists: after a one-file update only the new file is parsed. Files come
with their lock entry (data/sources.lock), which gives the asset URL, the attachment title and the publisher's
timestamp that provenance and revision handling need.
"""
from __future__ import annotations

import fnmatch
import hashlib
import pickle
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from ..config import Source, TrackerConfig
from ..errors import IngestError, ParseError
from ..fetch.lock import LOCK_FILE, LockEntry, SourcesLock
from ..files import atomic_write_bytes, sha256_file
from ..parsers.base import Parsed
from ..parsers.prison_names import ALIASES_FILE, REGISTER_SOURCE, PrisonNames, load_prison_names
from ..parsers.registry import parse_file, parse_with
from ..paths import PACKAGE_DIR, PARSE_CACHE_DIR
from ..raw import RawFile, list_raw


@dataclass(frozen=True)
class OfficialFile:
    raw: RawFile
    parsed: Parsed
    lock: LockEntry | None

    @property
    def kind(self) -> str:
        return self.parsed.kind

    @property
    def url(self) -> str:
        """The asset URL it was downloaded from; for a sample file that was not downloaded here, the source's page."""
        return self.lock.url if self.lock else self.raw.source.url

    @property
    def title(self) -> str:
        return self.lock.attachment_title if self.lock else ""

    @property
    def published(self) -> str:
        """The publisher's timestamp of the page it came from ('' when unknown): the newer of two files for one
        period is the revision."""
        return (self.lock.publication.public_updated_at or "") if self.lock else ""

    def newness(self) -> tuple:
        return (self.published, self.lock.fetched_at if self.lock else "", self.raw.name)


@dataclass
class OfficialFiles:
    source: Source
    files: list[OfficialFile] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why): not recognised, source says skip
    not_read: list[str] = field(default_factory=list)  # files in the folder that match none of the patterns

    def of_kind(self, *kinds: str) -> list[OfficialFile]:
        return [f for f in self.files if f.kind in kinds]


@lru_cache(maxsize=1)
def _parser_fingerprint() -> str:
    h = hashlib.sha256()
    for path in sorted((PACKAGE_DIR / "parsers").glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _names_fingerprint(config: TrackerConfig) -> str:
    h = hashlib.sha256(sha256_file(ALIASES_FILE).encode())
    for raw in list_raw(config, REGISTER_SOURCE):
        h.update(raw.sha256.encode())
    return h.hexdigest()


class _Unrecognised:
    """A cached 'no parser recognises this file' (kept so a skipped file is not parsed again every run)."""

    def __init__(self, message: str):
        self.message = message


def _parse_cached(raw: RawFile, modules: list[str], names: PrisonNames, fingerprint: str, direct: bool = False):
    key = hashlib.sha256(f"{raw.sha256}|{'|'.join(modules)}|{direct}|{fingerprint}".encode()).hexdigest()
    cached = PARSE_CACHE_DIR / f"{key}.pickle"
    if cached.exists():
        try:
            return pickle.loads(cached.read_bytes())
        except Exception:  # a damaged cache entry is parsed again, never trusted
            pass
    try:
        result = parse_with(modules[0], raw.path, names) if direct else parse_file(raw.path, names=names,
                                                                                     modules=modules)
    except ParseError as e:
        if "no parser recognises" not in str(e):
            raise
        result = _Unrecognised(str(e))
    try:
        atomic_write_bytes(cached, pickle.dumps(result), durable=False)
    except OSError:  # a read-only build folder costs time, not correctness
        pass
    return result


def _lock() -> SourcesLock:
    return SourcesLock.load(LOCK_FILE)


def official_files(config: TrackerConfig, source_id: str) -> OfficialFiles:
    """Every file of an official source, parsed (from the cache when the same bytes were parsed before)."""
    source = config.source(source_id)
    if not source.parsers:
        raise ValueError(f"source {source_id!r} declares no parsers; it is not an official source read here")
    out = OfficialFiles(source)
    raws = list_raw(config, source_id)
    if not raws:
        return out
    folder = raws[0].path.parent
    out.not_read = sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
                          and not any(fnmatch.fnmatch(p.name, pat) for pat in source.files))
    names = load_prison_names(config)
    fingerprint = hashlib.sha256(f"{_parser_fingerprint()}|{_names_fingerprint(config)}".encode()).hexdigest()
    lock = _lock()
    for raw in raws:
        try:
            # One kind of file and no skipping: that parser's own error is the clearest.
            direct = len(source.parsers) == 1 and source.unrecognised == "error"
            result = _parse_cached(raw, source.parsers, names, fingerprint, direct)
        except ParseError as e:
            raise IngestError(f"{raw.ref} (official source {source_id!r}) cannot be read: {e}") from None
        if isinstance(result, _Unrecognised):
            if source.unrecognised == "skip":
                out.skipped.append((raw.ref, result.message))
                continue
            raise IngestError(f"{raw.ref} (official source {source_id!r}): {result.message}")
        out.files.append(OfficialFile(raw, result, lock.get(raw.ref)))
    return out


def newest_rows(files: list[OfficialFile], frame_of, key: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Rows of several editions of a time series (each OMSQ or workforce release repeats earlier quarters): for
    each key, the row of the newest publication. `frame_of(file)` gives a file's rows (with source_file, sheet and
    cell); the notes say how many earlier rows a newer edition revised."""
    kept: dict[tuple, dict] = {}
    notes = []
    seen_sha: set[str] = set()
    for f in sorted(files, key=lambda f: f.newness()):
        if f.raw.sha256 in seen_sha:
            continue
        seen_sha.add(f.raw.sha256)
        revised = 0
        for row in frame_of(f).to_dict("records"):
            k = tuple(row[c] for c in key)
            if k in kept and kept[k].get("value") != row.get("value"):
                revised += 1
            kept[k] = row
        if revised:
            notes.append(f"{f.raw.ref} revises {revised} figure(s) an earlier edition here gave")
    return pd.DataFrame(list(kept.values())), notes


def cell_ref(sheet: str, cell: str) -> str:
    return f"sheet {sheet}, cell {cell}"


def newest_per_period(files: list[OfficialFile], period_of) -> tuple[dict, list[tuple[OfficialFile, OfficialFile]]]:
    """{period: the newest file for it}, and the (set aside, kept) pairs where two files give the same period:
    the newer publication wins (a revised file), and the older is listed, not silently dropped. Identical bytes
    found in two places count once."""
    chosen: dict = {}
    replaced: list[tuple[OfficialFile, OfficialFile]] = []
    seen_sha: set[str] = set()
    for f in sorted(files, key=lambda f: f.newness()):
        if f.raw.sha256 in seen_sha:
            continue
        seen_sha.add(f.raw.sha256)
        period = period_of(f)
        if period in chosen:
            replaced.append((chosen[period], f))
        chosen[period] = f
    return chosen, replaced

