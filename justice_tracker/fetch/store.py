"""The raw store: data/raw/<slug>/<file>, written once and never overwritten.

A download streams into a temporary file in the target folder and is checked before it gets a name: not
empty, not an HTML page where a spreadsheet was promised, exactly `file_size` bytes, and magic bytes that fit
the promised type. Only then is it hard-linked into place, which fails rather than replace a file that
appeared in the meantime. Any failure deletes the temporary file (and any folder it created), so a failed
download leaves the store as it was. A body longer than `file_size` is cut off by the client while it streams
(it never fills the disk), and a file name that is not a bare name is refused before anything is created.

Names: the publisher's file name. A name already taken by other bytes (on disk, or in the lock for a file not
yet restored on this machine) sends the new bytes to `<stem>__rev-<first 12 hex of sha256><suffix>`, a
deterministic name, so the same bytes always land on the same path. Publisher file names repeat across
years (`PSWEBREPORT.ods` is two different weekly bulletins), so whether the new file is a *revision* is
decided by the lock (same page, same attachment title), not by the name; parsers should read kind and
reference date from the lock, not from names.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..files import sha256_file
from ..parsers.base import ParseError, sniff_container
from .govuk import Candidate, filename_problem
from .http import FetchError, HttpClient
from .lock import SourcesLock

# What the first bytes may be for each promised type. A .doc may really be RTF (seven of the 2011-16 monthly
# bulletins are), so it allows both. Types not listed are only checked for being empty or HTML.
EXPECTED_CONTAINERS = {
    "application/vnd.oasis.opendocument.spreadsheet": {"ods"},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"xlsx"},
    "application/vnd.ms-excel": {"ole"},
    "application/msword": {"ole", "rtf"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {"docx"},
    "application/rtf": {"rtf"},
    "text/rtf": {"rtf"},
    "application/pdf": {"pdf"},
    "application/zip": {"zip", "ods", "xlsx", "docx"},
    "text/csv": {"csv-or-text"},
}
SUFFIX_TYPES = {
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xls": "application/vnd.ms-excel",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".rtf": "application/rtf",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
    ".csv": "text/csv",
}


@dataclass(frozen=True)
class Stored:
    status: str  # "new", "revised", "unchanged" or "restored" (a locked file missing here, downloaded again)
    path: str  # <slug>/<file name>, as in the lock
    sha256: str
    bytes: int
    previous: str | None = None  # for a revision: the earlier file of the same attachment


def expected_type(content_type: str | None, filename: str) -> str | None:
    """The promised MIME type: the attachment's content_type, else what the file name's suffix implies."""
    if content_type:
        return content_type.split(";")[0].strip().lower()
    return SUFFIX_TYPES.get(PurePosixPath(filename).suffix.lower())


def sniff(path: Path) -> str:
    """sniff_container, plus PDF (which the parsers never need to recognise)."""
    with open(path, "rb") as f:
        if f.read(5) == b"%PDF-":
            return "pdf"
    return sniff_container(path)


def check_download(path: Path, received: int, candidate: Candidate) -> None:
    """Raise FetchError (naming the URL) unless the temporary file is the complete file that was promised."""
    url, promised = candidate.url, expected_type(candidate.content_type, candidate.filename)
    if received == 0:
        raise FetchError(url, f"empty body (expected {candidate.file_size:,} bytes of {candidate.filename})")
    try:
        container = sniff(path)
    except ParseError as e:  # a zip bomb (the limits in parsers.base): not stored, so no parser ever meets it
        raise FetchError(url, f"{candidate.filename}: {str(e).split(': ', 1)[-1]}") from e
    if container == "html" and promised != "text/html":
        raise FetchError(url, f"an HTML page was served instead of {candidate.filename} "
                              f"({promised or 'a file'}): probably an error or login page")
    if received != candidate.file_size:
        raise FetchError(url, f"got {received:,} bytes, the publisher lists {candidate.file_size:,} for "
                              f"{candidate.filename}: truncated or changed download")
    allowed = EXPECTED_CONTAINERS.get(promised or "")
    if allowed is not None and container not in allowed:
        raise FetchError(url, f"{candidate.filename} should be {promised}, but its bytes look like {container!r}")


def revision_name(filename: str, sha256: str) -> str:
    name = PurePosixPath(filename)
    return f"{name.stem}__rev-{sha256[:12]}{name.suffix}"


def _new_dirs(folder: Path) -> list[Path]:
    """The folders that creating `folder` would create, deepest first, so a failure can remove them again."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    return missing


def _place(tmp: Path, target: Path) -> None:
    """Give the verified temporary file its final name without ever replacing an existing file."""
    os.link(tmp, target)  # FileExistsError if the name was taken meanwhile; the caller's cleanup runs
    tmp.unlink()


def download_into_store(client: HttpClient, candidate: Candidate, raw_root: Path, lock: SourcesLock) -> Stored:
    """Download one candidate into raw_root/<slug>/ and say what happened; FetchError (or OSError) leaves the
    store exactly as it was. The lock is only read here: recording the file is the caller's job."""
    problem = filename_problem(candidate.filename)  # discovery refuses these too; a name is a path here
    if problem:
        raise FetchError(candidate.url, f"refused attachment {candidate.title!r}: {problem} "
                                        f"({candidate.filename!r}); nothing written")
    slug = candidate.release.slug
    folder = raw_root / slug
    created = _new_dirs(folder)
    tmp: Path | None = None
    # Everything from the first folder made is inside the try: an interrupt (Ctrl-C, or SIGTERM, which the
    # `update` command turns into one) at any point still removes the partial file and the new folders.
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{candidate.filename[:100]}.", suffix=".part")
        tmp = Path(tmp_name)
        with os.fdopen(fd, "wb") as out:
            received = client.download(candidate.url, out, candidate.file_size, candidate.filename)
            out.flush()
            os.fsync(out.fileno())
        check_download(tmp, received, candidate)
        return _settle(tmp, candidate, folder, lock, sha256_file(tmp), received)
    finally:
        if tmp is not None and tmp.exists():
            tmp.unlink()
        for made in created:
            if made.exists() and not any(made.iterdir()):
                made.rmdir()


def _settle(tmp: Path, candidate: Candidate, folder: Path, lock: SourcesLock, digest: str, size: int) -> Stored:
    """Decide the verified file's name and status against what the store and the lock already hold."""
    slug = candidate.release.slug
    earlier = lock.same_attachment(slug, candidate.publication.base_path, candidate.title)
    for name in (candidate.filename, revision_name(candidate.filename, digest)):
        target = folder / name
        rel = f"{slug}/{name}"
        locked = lock.get(rel)
        taken_by = sha256_file(target) if target.exists() else (locked.sha256 if locked else None)
        if taken_by == digest:
            if target.exists():
                return Stored("unchanged", rel, digest, size)
            _place(tmp, target)
            return Stored("restored", rel, digest, size)
        if taken_by is None:
            _place(tmp, target)
            previous = next((e.path for e in reversed(earlier) if e.sha256 != digest), None)
            return Stored("revised" if previous else "new", rel, digest, size, previous)
    raise FetchError(candidate.url, f"both {candidate.filename} and its revision name hold other bytes in {folder}")
