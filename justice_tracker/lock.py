"""One command at a time per project: the commands that write shared output hold an exclusive lock.

`build`, `data`, `edition`, `site` and `verify-edition` write what the others read (data/processed, book/,
_build/html, editions/, _build/site); two at once mixed their files or ended in a Sphinx traceback. Each takes an
exclusive, non-blocking `flock` on _build/justice-tracker.lock before anything else: the second fails at once,
naming the lock file and the holder's pid. The kernel releases a flock when its holder's process ends, however it
ends, so a killed command never leaves a stale lock (the pid written in the file is only what the message shows).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
from pathlib import Path

from .errors import BuildError

LOCK_NAME = "justice-tracker.lock"
# The commands that write shared output. `toc` rewrites one file atomically; `parse` and `publish-check` only read.
LOCKED_COMMANDS = ("build", "data", "edition", "site", "verify-edition")


class ProjectBusy(BuildError):
    """Another command holds the project's lock."""


def lock_path() -> Path:
    from .paths import BUILD_DIR

    return BUILD_DIR / LOCK_NAME


@contextlib.contextmanager
def project_lock(command: str, path: Path | None = None):
    """Hold the project's lock while the block runs; ProjectBusy at once if another process holds it."""
    path = path or lock_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Not O_TRUNC: the holder's pid must survive another process opening the file to ask.
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ProjectBusy(_busy_message(command, path, fd)) from None
        os.ftruncate(fd, 0)
        started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        os.pwrite(fd, f"{os.getpid()} {command} {started}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _busy_message(command: str, path: Path, fd: int) -> str:
    holder = os.pread(fd, 200, 0).decode("utf-8", "replace").split(maxsplit=2)
    # The holder writes its line just after it takes the lock: a reader in between sees an empty file.
    if len(holder) == 3 and holder[0].isdigit():
        pid, other, started = holder[0], holder[1], holder[2].strip()
        who = f"`{other}` (pid {pid}, started {started})"
        advice = f"wait for it to finish, or stop it with: kill {pid}"
    else:
        who, advice = "another command (pid not yet recorded)", "wait for it to finish"
    return (f"{command}: another {who} is running in this project and holds {path}; {advice}. Nothing was "
            f"changed. (The lock is released when that process ends, even if it is killed.)")
