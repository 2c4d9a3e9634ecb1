"""A throwaway copy of this checkout for the tests that run update, data, book or edition in a repository of their
own: what git tracks or would track (sources, committed data), none of the ignored build output or downloads."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from justice_tracker.paths import REPO_ROOT


def copy_checkout(dest: Path, skip: tuple[str, ...] = ()) -> None:
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO_ROOT, check=True,
                           capture_output=True, text=True).stdout.split("\0")
    for rel in files:
        if not rel or (skip and rel.startswith(skip)) or not (REPO_ROOT / rel).is_file():
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / rel, dest / rel)
    # The chart images this checkout's own build has drawn: a cache keyed by what each was drawn from, so it saves
    # the copy's builds time and cannot change what they write.
    cache = REPO_ROOT / "_build" / "chart-cache"
    if cache.is_dir():
        shutil.copytree(cache, dest / "_build" / "chart-cache")
