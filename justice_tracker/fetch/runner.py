"""`update`: discover what the releases in tracker.yml publish, download what is new, record it in the lock.

Call run_update() from code (it returns an UpdateSummary), or update_from_args() from the command line (it
prints the summary and returns the exit code: 0 when nothing failed, 1 otherwise).

A file is downloaded only when the lock does not already hold it: the same URL with the same size, and the
file on disk still has the locked checksum. This rests on GOV.UK serving a replaced attachment from a new
asset URL (/media/<new id>/<file name>), so a known URL with the known size is a file already fetched;
everything else is downloaded and compared by checksum. Re-downloading all ~800 weekly files every week to
catch a same-URL, same-size replacement would be impolite; a full re-check is still possible: with data/raw
emptied, every locked file is downloaded again and verified against its locked checksum (a difference is
stored beside it as a revision).
One failure (a page, a file, a title nobody can classify) is reported and the run carries on with the rest.
"""
from __future__ import annotations

import argparse
import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import requests
from tqdm import tqdm

from ..config import TrackerConfig
from ..files import sha256_file
from .govuk import Candidate, Discoverer, Discovery, Failure, GovUkApi, Skipped, printable, resolve_api_base
from .http import DEFAULT_MIN_INTERVAL, DOWNLOAD_DEADLINE, FetchError, HttpClient, allowed_hosts, user_agent
from .lock import LOCK_FILE, LockedClassification, LockedPublication, LockEntry, SourcesLock
from .releases import Release
from .store import Stored, download_into_store


@dataclass
class UpdateSummary:
    dry_run: bool
    discovery: Discovery
    to_fetch: list[Candidate] = field(default_factory=list)  # needed a download (in a dry run: would need one)
    stored: list[tuple[Candidate, Stored]] = field(default_factory=list)
    already_locked: list[tuple[Candidate, LockEntry]] = field(default_factory=list)  # unchanged, no request made
    failures: list[Failure] = field(default_factory=list)  # discovery failures first, then download failures
    skipped: list[Skipped] = field(default_factory=list)

    def with_status(self, status: str) -> list[tuple[Candidate, Stored]]:
        return [(c, s) for c, s in self.stored if s.status == status]

    @property
    def new(self) -> list[tuple[Candidate, Stored]]:
        return self.with_status("new")

    @property
    def revised(self) -> list[tuple[Candidate, Stored]]:
        return self.with_status("revised")

    @property
    def restored(self) -> list[tuple[Candidate, Stored]]:
        return self.with_status("restored")

    @property
    def unchanged_count(self) -> int:
        return len(self.already_locked) + len(self.with_status("unchanged"))

    @property
    def exit_code(self) -> int:
        return 1 if self.failures else 0

    def report(self) -> str:
        lines = []
        if self.dry_run:
            lines.append(f"dry run: {len(self.to_fetch)} file(s) would be fetched, {len(self.already_locked)} already "
                         f"in the lock, {len(self.skipped)} attachment(s) skipped, {len(self.failures)} failure(s); "
                         "nothing was written")
            page = None
            for c in self.to_fetch:
                if (c.release.id, c.publication.base_path) != page:
                    page = (c.release.id, c.publication.base_path)
                    lines.append(printable(f"[{c.release.id}] {c.publication.title} ({c.publication.base_path})"))
                lines.append("    " + printable(f"{c.title} | {c.classification.describe()} | {c.file_size:,} bytes | "
                                              f"{c.url}"))
        else:
            lines.append(f"update: {len(self.new)} new, {len(self.revised)} revised, {self.unchanged_count} unchanged, "
                         f"{len(self.restored)} restored, {len(self.failures)} failed "
                         f"({len(self.skipped)} attachment(s) skipped)")
            for c, s in self.stored:
                if s.status != "unchanged":
                    beside = f", beside {s.previous}" if s.previous else ""
                    lines.append(printable(f"  {s.status:<9}{s.path}  ({c.classification.describe()}{beside})"))
        for failure in self.failures:
            lines.append(f"  FAILED   {failure.describe()}")  # printable already
        return "\n".join(lines)


def _select(releases: list[Release], only: list[str] | None) -> list[Release]:
    if not releases:
        raise ValueError("tracker.yml has no `releases:`; there is nothing to update")
    ids = [r.id for r in releases]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate release ids in tracker.yml: {sorted({i for i in ids if ids.count(i) > 1})}")
    if not only:
        return releases
    known = {r.id for r in releases}
    unknown = [i for i in only if i not in known]
    if unknown:
        raise ValueError(f"unknown release id(s) {unknown}; tracker.yml has {sorted(known)}")
    return [r for r in releases if r.id in only]


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _lock_entry(candidate: Candidate, stored: Stored) -> LockEntry:
    p = candidate.publication
    return LockEntry(
        path=stored.path,
        url=candidate.url,
        attachment_title=candidate.title,
        publication=LockedPublication(base_path=p.base_path, title=p.title, public_updated_at=p.public_updated_at),
        bytes=stored.bytes,
        sha256=stored.sha256,
        fetched_at=_now(),
        release=candidate.release.id,
        classification=LockedClassification(
            kind=candidate.classification.kind, reference_date=candidate.classification.reference_date),
    )


def _triage(summary: UpdateSummary, lock: SourcesLock, raw_root: Path) -> None:
    """Split the candidates into already locked (and intact on disk), to fetch, and locally damaged."""
    seen: dict[tuple[str, str], Candidate] = {}
    for c in summary.discovery.candidates:
        key = (c.release.slug, c.url)
        if key in seen:
            first = seen[key].publication.base_path
            summary.skipped.append(Skipped(c.release.id, c.publication.base_path, c.title, f"same file as on {first}"))
            continue
        seen[key] = c
        entry = lock.known_download(c.url, c.file_size, c.release.slug)
        path = raw_root / entry.path if entry else None
        if path is None or not path.exists():
            summary.to_fetch.append(c)
        elif sha256_file(path) == entry.sha256:
            summary.already_locked.append((c, entry))
        else:
            summary.failures.append(Failure(c.release.id, c.url, f"{path} no longer has its locked sha256 "
                                            f"{entry.sha256}: raw files are never edited; restore it", c.title))


def run_update(
    config: TrackerConfig,
    *,
    api_base: str | None = None,
    dry_run: bool = False,
    raw_root: Path | None = None,
    lock_path: Path | None = None,
    session: requests.Session | None = None,
    progress: bool = True,
    only: list[str] | None = None,
    min_interval: float = DEFAULT_MIN_INTERVAL,
    sleep: Callable[[float], None] = time.sleep,
    deadline: float | None = DOWNLOAD_DEADLINE,
) -> UpdateSummary:
    """Discover, then (unless dry_run) download what is new into raw_root and record it in lock_path.

    raw_root defaults to the first of tracker.yml's raw_dirs (data/raw), lock_path to data/sources.lock.
    A dry run makes the same GOV.UK requests but writes nothing. The lock is saved once at the end (also when
    the run is interrupted), with an entry for each file that was stored; failed files leave no trace.
    `deadline`: seconds one download may take in all (a stalled or dripping server fails with its URL).
    """
    releases = _select(config.releases, only)
    raw_root = Path(raw_root) if raw_root is not None else config.download_dir()
    lock_path = Path(lock_path) if lock_path is not None else LOCK_FILE
    lock = SourcesLock.load(lock_path)
    api_base = resolve_api_base(api_base)
    # Files only from the publisher's hosts, or the mirror's when the API base is one: the same list as discovery.
    client = HttpClient(session, agent=user_agent(config.site.repository_url), min_interval=min_interval, sleep=sleep,
                        allowed=allowed_hosts(api_base), deadline=deadline)
    api = GovUkApi(client, api_base)

    with tqdm(desc="reading GOV.UK pages", unit="page", disable=not progress, leave=False) as pages:
        discovery = Discoverer(api, on_page=pages.update).discover(releases)
    summary = UpdateSummary(dry_run=dry_run, discovery=discovery, failures=list(discovery.failures),
                            skipped=list(discovery.skipped))
    _triage(summary, lock, raw_root)
    if dry_run:
        return summary

    before = lock.dumps()
    try:
        for candidate in tqdm(summary.to_fetch, desc="downloading", unit="file", disable=not progress):
            try:
                stored = download_into_store(client, candidate, raw_root, lock)
            except FetchError as e:
                summary.failures.append(Failure(candidate.release.id, e.url, e.reason, candidate.title))
                continue
            except OSError as e:
                summary.failures.append(Failure(candidate.release.id, candidate.url, f"could not store: {e}",
                                                candidate.title))
                continue
            summary.stored.append((candidate, stored))
            lock.add(_lock_entry(candidate, stored))  # new, revised, or an unrecorded file found in place
    finally:
        if lock.dumps() != before:
            lock.save(lock_path)
    return summary


def update_from_args(config: TrackerConfig, args: argparse.Namespace) -> int:
    """Run `update` with parsed options, print the summary, return the exit code (0 ok, 1 something failed)."""
    summary = run_update(config, api_base=args.api_base, dry_run=args.dry_run, only=args.only,
                         progress=not args.no_progress,
                         deadline=getattr(args, "download_deadline", None) or DOWNLOAD_DEADLINE)
    print(summary.report())
    return summary.exit_code
