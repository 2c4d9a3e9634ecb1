"""Build every processed table from raw files, then write them all, or nothing.

All tables are built and checked in memory before the first write, so a bad raw file leaves the
committed tables as they were.
"""
from __future__ import annotations

import importlib
import inspect
import json

import pandas as pd

from ..config import ConfigError, Table, TrackerConfig
from ..files import atomic_write_text, sha256_bytes
from ..paths import REPO_ROOT
from ..raw import MissingRawFile, list_raw, missing_raw_files
from .common import IngestError

__all__ = ["IngestError", "MissingRawFile", "build_tables", "write_tables", "table_csv_text"]


def _builder(table: Table):
    """The function tracker.yml names for a table. A misspelt module or function is a config error naming the
    table and the builder, not a traceback from importlib (which it was)."""
    module_name, _, func = table.builder.partition(":")
    try:
        builder = getattr(importlib.import_module(module_name), func) if module_name and func else None
    except ImportError as e:
        raise ConfigError(f"tracker.yml: table {table.id!r}: builder {table.builder!r} cannot be imported: "
                          f"{e}") from None
    except AttributeError:
        builder = None
    if not callable(builder):
        raise ConfigError(f"tracker.yml: table {table.id!r}: builder {table.builder!r} is not a function in "
                          f"{module_name or '(no module)'}; expected 'package.module:function'")
    return builder


def build_tables(config: TrackerConfig, only: list[str] | None = None) -> dict[str, pd.DataFrame]:
    tables = [t for t in config.tables if only is None or t.id in only]
    builders = {table.id: _builder(table) for table in tables}  # every builder resolved before any work
    needed = sorted({s for t in tables for s in t.sources})
    missing = missing_raw_files(config, needed)
    if missing:
        dirs = "\n  ".join(str(p) for p in config.raw_dir_paths())
        raise MissingRawFile("raw files needed to rebuild the processed tables are missing:\n  "
                             + "\n  ".join(missing) + f"\nsearched:\n  {dirs}")
    built: dict[str, pd.DataFrame] = {}
    for table in tables:
        builder = builders[table.id]
        # A builder that takes a third argument derives its table from tables built before it (in tracker.yml
        # order), so nothing is parsed twice and nothing reads a stale file from data/processed.
        wants_built = len(inspect.signature(builder).parameters) >= 3
        frame = builder(config, table, built) if wants_built else builder(config, table)
        if frame.empty:
            raise IngestError(f"table {table.id}: builder {table.builder} returned no rows")
        from ..schemas import SCHEMAS, validate

        # A table without a declared schema is caught by the test suite (test_every_table_has_a_schema).
        built[table.id] = validate(table.id, frame) if table.id in SCHEMAS else frame
    return built


def table_csv_text(frame: pd.DataFrame) -> str:
    """Deterministic CSV: same frame, same bytes (LF endings, no index, blanks for missing)."""
    return frame.to_csv(index=False, lineterminator="\n", na_rep="")


def write_tables(config: TrackerConfig, built: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Write each table and the manifest atomically; returns {table_id: sha256}."""
    texts = {tid: table_csv_text(frame) for tid, frame in built.items()}
    manifest_path = REPO_ROOT / config.processed_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"tables": {}}
    for tid, text in texts.items():
        frame = built[tid]
        raw_files = sorted({(raw.ref, raw.sha256) for sid in config.table(tid).sources for raw in list_raw(config, sid)})
        manifest["tables"][tid] = {
            "file": f"{tid}.csv",
            "description": config.table(tid).description,
            "rows": int(len(frame)),
            "columns": list(frame.columns),
            "sha256": sha256_bytes(text.encode("utf-8")),
            "sources": config.table(tid).sources,
            "raw_files": [{"file": f, "sha256": h} for f, h in raw_files],
        }
    manifest["tables"] = {k: manifest["tables"][k] for k in sorted(manifest["tables"]) if k in {t.id for t in config.tables}}
    for tid, text in texts.items():
        atomic_write_text(config.processed_path(tid), text)
    atomic_write_text(manifest_path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return {tid: manifest["tables"][tid]["sha256"] for tid in texts}
