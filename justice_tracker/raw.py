"""Finding raw files: data/raw/<slug>/ first (what `update` downloads), then the other configured raw dirs."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .config import Source, TrackerConfig
from .files import sha256_file
from .errors import MissingRawFile  # noqa: F401 (re-exported)


@dataclass(frozen=True)
class RawFile:
    source: Source
    name: str
    path: Path

    @property
    def ref(self) -> str:
        """Stable, machine-independent name: <slug>/<file>."""
        return f"{self.source.slug}/{self.name}"

    @cached_property
    def sha256(self) -> str:
        return sha256_file(self.path)


def find_raw(config: TrackerConfig, source_id: str, name: str | None = None) -> RawFile:
    source = config.source(source_id)
    if name is None:
        if len(source.files) != 1:
            raise ValueError(f"source {source_id!r} has {len(source.files)} files; name the one you want")
        name = source.files[0]
    tried = []
    for base in config.raw_dir_paths():
        candidate = base / source.slug / name
        tried.append(str(candidate))
        if candidate.is_file():
            return RawFile(source=source, name=name, path=candidate)
    raise MissingRawFile(
        f"raw file {source.slug}/{name} (source {source_id!r}) not found; looked in:\n  " + "\n  ".join(tried)
    )


def _is_pattern(name: str) -> bool:
    return any(ch in name for ch in "*?[")


def list_raw(config: TrackerConfig, source_id: str) -> list[RawFile]:
    """Every raw file of a source, sorted by name. `files` entries may be glob patterns ("*.rtf"), matched in the
    first raw directory that has the source's folder; together they must match at least one file, unless the
    source is optional (official downloads a fresh clone does not have)."""
    source = config.source(source_id)
    found: dict[str, RawFile] = {}
    for entry in source.files:
        if not _is_pattern(entry):
            raw = find_raw(config, source_id, entry)
            found[raw.name] = raw
            continue
        folders = [base / source.slug for base in config.raw_dir_paths() if (base / source.slug).is_dir()]
        matches = sorted(p for p in folders[0].glob(entry) if p.is_file()) if folders else []
        for path in matches:
            found.setdefault(path.name, RawFile(source=source, name=path.name, path=path))
    if not found and not source.optional:
        where = " or ".join(str(b / source.slug) for b in config.raw_dir_paths())
        raise MissingRawFile(f"no raw file matches {source.files} (source {source_id!r}) in {where}")
    return [found[k] for k in sorted(found)]


def missing_raw_files(config: TrackerConfig, source_ids: list[str]) -> list[str]:
    missing = []
    for sid in source_ids:
        source = config.source(sid)
        for name in source.files:
            if not _is_pattern(name):
                try:
                    find_raw(config, sid, name)
                except MissingRawFile:
                    missing.append(f"{source.slug}/{name}")
        if any(_is_pattern(n) for n in source.files):
            try:
                list_raw(config, sid)
            except MissingRawFile:
                missing.append(f"{source.slug}/{{{', '.join(source.files)}}}")
    return missing
