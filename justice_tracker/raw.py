"""Finding raw files: data/raw/<slug>/ first (what `update` downloads), then the other configured raw dirs."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .config import Source, TrackerConfig
from .files import sha256_file


class MissingRawFile(FileNotFoundError):
    """A raw file a table needs is in none of the raw directories."""


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


def missing_raw_files(config: TrackerConfig, source_ids: list[str]) -> list[str]:
    missing = []
    for sid in source_ids:
        for name in config.source(sid).files:
            try:
                find_raw(config, sid, name)
            except MissingRawFile:
                missing.append(f"{config.source(sid).slug}/{name}")
    return missing
