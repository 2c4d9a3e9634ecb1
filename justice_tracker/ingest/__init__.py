"""Build the processed tables from their declared inputs, in dependency order, and write them all or none.

Each table in tracker.yml names its raw sources and the tables it is derived from. `make data` walks that graph
(inputs first) and rebuilds a table only when the content of an input changed: its key is the sha256 of its raw
files, of the tables it reads (as built in this run, or as on disk), of the code that builds tables, and of its
declaration in tracker.yml. A table whose key matches the manifest, and whose file still has the checksum the
manifest records, is left as it is.

Every table that is rebuilt is validated against its schema in memory before anything is written; then all of
them, their disagreements and the manifest are written together or not at all, so a bad raw file leaves
data/processed as it was.
"""
from __future__ import annotations

import hashlib
import importlib
import json
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from ..config import ConfigError, Table, TrackerConfig
from ..errors import IngestError, MissingRawFile
from ..paths import PACKAGE_DIR
from ..raw import list_raw, missing_raw_files
from ..tables import (DISAGREEMENTS_FILE, manifest_path, read_manifest, read_typed, table_csv_text,
                      text_sha256, write_all_or_none)
from .precedence import DISAGREEMENT_COLUMNS

__all__ = ["IngestError", "MissingRawFile", "build_tables", "write_tables", "table_csv_text", "run_data",
           "plan_data", "Inputs"]

# The code a table's content depends on: any change here rebuilds every table (a few seconds).
TABLE_CODE = ["ingest", "parsers", "schemas.py", "raw.py", "tables.py"]


class Inputs(dict):
    """The tables a builder declared in tracker.yml (`tables:`), by id. Asking for any other is an error: the
    graph is what tracker.yml says."""

    def __init__(self, table: Table, frames: dict[str, pd.DataFrame]):
        super().__init__({k: v for k, v in frames.items() if k in table.tables})
        self.table = table

    def __missing__(self, key: str):
        raise ConfigError(f"tracker.yml: table {self.table.id!r} reads table {key!r}, which it does not declare "
                          f"in `tables:` (it declares {self.table.tables})")


def _builder(table: Table):
    """The function tracker.yml names for a table. A misspelt module or function is a config error naming the
    table and the builder, not a traceback from importlib."""
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


@lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    h = hashlib.sha256()
    for top in TABLE_CODE:
        path = PACKAGE_DIR / top
        for f in sorted([path] if path.is_file() else path.rglob("*.py")):
            h.update(str(f.relative_to(PACKAGE_DIR)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def _reference_fingerprint(config: TrackerConfig) -> str:
    h = hashlib.sha256()
    folder = config.root / "data" / "reference"
    for f in sorted(folder.glob("*")) if folder.is_dir() else []:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def _raw_files(config: TrackerConfig, table: Table) -> list[tuple[str, str]]:
    return sorted({(raw.ref, raw.sha256) for sid in table.sources for raw in list_raw(config, sid)})


def _inputs_key(config: TrackerConfig, table: Table, raw_files: list[tuple[str, str]],
                upstream: dict[str, str], shared: str) -> str:
    declaration = table.model_dump()
    declaration.pop("description", None)
    curated = {}
    for rel in table.curated:
        path = config.root / rel
        if not path.is_file():
            raise ConfigError(f"tracker.yml: table {table.id!r} declares curated input {rel!r}, which does not exist")
        curated[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    payload = {"table": declaration, "raw_files": raw_files, "tables": upstream, "shared": shared}
    if curated:  # only tables that declare one: the keys of every other table stay as they were
        payload["curated"] = curated
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@dataclass
class TableRun:
    table: Table
    status: str  # "rebuilt", "unchanged" or "planned" (a dry plan)
    reason: str
    inputs_sha256: str
    raw_files: list[tuple[str, str]]
    frame: pd.DataFrame | None = None
    text: str | None = None
    seconds: float = 0.0
    disagreements: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    previous_sha256: str = ""

    @property
    def same_content(self) -> bool:
        """Rebuilt because an input changed, but to the same bytes (nothing derived from it need change)."""
        return self.text is not None and self.sha256 == self.previous_sha256

    @property
    def sha256(self) -> str | None:
        return text_sha256(self.text) if self.text is not None else None


@dataclass
class DataRun:
    tables: list[TableRun]
    seconds: float = 0.0
    written: bool = False

    def rebuilt(self) -> list[TableRun]:
        return [t for t in self.tables if t.status == "rebuilt"]

    def report(self) -> str:
        lines = []
        for t in self.tables:
            if t.status == "unchanged":
                continue
            rows = f"{len(t.frame):>6,} rows" if t.frame is not None else ""
            n = 0 if t.disagreements is None else len(t.disagreements)
            same = ", same content as before" if t.same_content else ""
            lines.append(f"  rebuilt   {t.table.id:<30} {rows}  {t.seconds:5.1f} s  ({t.reason}{same})"
                         + (f"; {n} disagreement(s) between sources, listed on the reconciliation page" if n else ""))
            lines.extend(f"            {note}" for note in t.notes)
        unchanged = [t.table.id for t in self.tables if t.status == "unchanged"]
        if unchanged:
            lines.append(f"  unchanged {len(unchanged)} table(s): {', '.join(unchanged)}")
        lines.append(f"make data: {len(self.rebuilt())} of {len(self.tables)} table(s) rebuilt in {self.seconds:.1f} s"
                     + ("" if self.written or not self.rebuilt() else " (nothing written)"))
        return "\n".join(lines)


def _check_raw_present(config: TrackerConfig, tables: list[Table]) -> None:
    needed = sorted({s for t in tables for s in t.sources if not config.source(s).optional})
    missing = missing_raw_files(config, needed)
    if missing:
        dirs = "\n  ".join(str(p) for p in config.raw_dir_paths())
        raise MissingRawFile("raw files needed to rebuild the processed tables are missing:\n  "
                             + "\n  ".join(missing) + f"\nsearched:\n  {dirs}")


def plan_data(config: TrackerConfig, only: list[str] | None = None, force: bool = False) -> list[TableRun]:
    """What `make data` would do, without building anything: each table with "planned" (and why) or
    "unchanged". A table is planned when its own inputs changed or when a table it reads is planned."""
    return _walk(config, config.build_order(only), force, build=False).tables


def run_data(config: TrackerConfig, only: list[str] | None = None, force: bool = False, write: bool = True,
             log=None) -> DataRun:
    """Rebuild what changed (everything with `force`; `only` limits the run to those tables and what is derived
    from them) and, unless `write` is False, write the rebuilt tables, the manifest and the disagreements."""
    start = time.perf_counter()
    run = _walk(config, config.build_order(only), force, build=True, log=log)
    if write and run.rebuilt():
        _write(config, run)
        run.written = True
    run.seconds = time.perf_counter() - start
    return run


def _walk(config: TrackerConfig, order: list[Table], force: bool, build: bool, log=None,
          given: dict[str, pd.DataFrame] | None = None) -> DataRun:
    given = given or {}
    builders = {t.id: _builder(t) for t in order if t.id not in given}  # every builder resolved before any work
    manifest = read_manifest(config).get("tables", {})
    shared = hashlib.sha256(f"{_code_fingerprint()}|{_reference_fingerprint(config)}".encode()).hexdigest()
    frames: dict[str, pd.DataFrame] = {}
    shas: dict[str, str] = {}
    runs: list[TableRun] = []
    changed: set[str] = set()
    for table in order:
        # Checked table by table, so the first table that cannot be built is the one the error names.
        _check_raw_present(config, [table])
        raw_files = _raw_files(config, table)
        upstream = {}
        for tid in table.tables:
            if tid not in shas:
                shas[tid] = manifest.get(tid, {}).get("sha256", "")
            upstream[tid] = shas[tid]
        key = _inputs_key(config, table, raw_files, upstream, shared)
        entry = manifest.get(table.id, {})
        path = config.processed_path(table.id)
        reason = _why(entry, key, path, raw_files, upstream, changed, table, force)
        if reason is None:
            runs.append(TableRun(table, "unchanged", "", key, raw_files))
            shas[table.id] = entry["sha256"]
            continue
        if not build:
            runs.append(TableRun(table, "planned", reason, key, raw_files))
            changed.add(table.id)
            shas[table.id] = f"planned:{key}"
            continue
        started = time.perf_counter()
        if table.id in given:
            frame = given[table.id].copy()
            frame.attrs.update(given[table.id].attrs)
        else:
            inputs = Inputs(table, {tid: frames[tid] if tid in frames else read_typed(config, tid)
                                    for tid in table.tables})
            frame = builders[table.id](config, table, inputs)
        if frame.empty:
            raise IngestError(f"table {table.id}: builder {table.builder} returned no rows")
        from ..schemas import SCHEMAS, validate

        # Builders that merge sources leave what they set aside in attrs, as plain records (attrs travel with
        # the frame, so the in-memory build_tables -> write_tables path keeps them too).
        found, notes = list(frame.attrs.get("disagreements", [])), list(frame.attrs.get("notes", []))
        # A table without a declared schema is caught by the test suite (test_every_table_has_a_schema).
        frame = validate(table.id, frame) if table.id in SCHEMAS else frame
        frame.attrs.update({"disagreements": found, "notes": notes})
        text = table_csv_text(frame)
        disagreements = pd.DataFrame(found, columns=DISAGREEMENT_COLUMNS)
        run = TableRun(table, "rebuilt", reason, key, raw_files, frame, text, time.perf_counter() - started,
                       disagreements, notes, entry.get("sha256", ""))
        runs.append(run)
        frames[table.id] = frame
        shas[table.id] = run.sha256
        if run.sha256 != entry.get("sha256"):
            changed.add(table.id)
        if log:
            log(f"  built {table.id} ({run.seconds:.1f} s)")
    return DataRun(runs)


def _why(entry: dict, key: str, path: Path, raw_files, upstream: dict[str, str], changed: set[str],
         table: Table, force: bool) -> str | None:
    """Why a table must be rebuilt, in words, or None when it need not be."""
    if force:
        return "forced"
    if not entry:
        return "not built before"
    if not path.exists():
        return f"{path.name} is missing"
    from ..files import sha256_file

    if sha256_file(path) != entry.get("sha256"):
        return f"{path.name} differs from its manifest checksum"
    if entry.get("inputs_sha256") == key:
        return None
    before = {f["file"]: f["sha256"] for f in entry.get("raw_files", [])}
    now = dict(raw_files)
    new = sorted(set(now) - set(before))
    revised = sorted(f for f in now if f in before and before[f] != now[f])
    gone = sorted(set(before) - set(now))
    parts = []
    if new:
        parts.append(f"new raw file(s): {', '.join(new[:3])}{' ...' if len(new) > 3 else ''}")
    if revised:
        parts.append(f"changed raw file(s): {', '.join(revised[:3])}")
    if gone:
        parts.append(f"raw file(s) gone: {', '.join(gone[:3])}")
    ups = [t for t in table.tables if t in changed or entry.get("tables", {}).get(t) not in (None, upstream.get(t))]
    if ups:
        parts.append(f"input table(s) changed: {', '.join(ups)}")
    return "; ".join(parts) or "code, curated input or tracker.yml declaration changed"


def _coverage(table: Table, frame: pd.DataFrame, config: TrackerConfig) -> list[dict]:
    """Per source: how many rows, and the first and last period they cover (official or third party)."""
    column = table.period_column()
    if "source_id" not in frame.columns:
        return []
    out = []
    for sid, rows in frame.groupby("source_id", sort=False):
        periods = rows[column].dropna().astype(str) if column and column in rows.columns else pd.Series([], dtype=str)
        periods = periods[periods != ""]
        source = config.source(sid)
        out.append({"source_id": sid, "official": source.official, "publisher": source.publisher,
                    "rows": int(len(rows)), "periods": int(periods.nunique()),
                    "first": periods.min() if len(periods) else "", "last": periods.max() if len(periods) else ""})
    return sorted(out, key=lambda c: (c["first"], c["source_id"]))


def _write(config: TrackerConfig, run: DataRun) -> None:
    manifest = read_manifest(config)
    entries = manifest.setdefault("tables", {})
    disagreements_path = config.processed_folder / DISAGREEMENTS_FILE
    rebuilt = {t.table.id for t in run.rebuilt()}
    old = (pd.read_csv(disagreements_path, dtype=str, keep_default_na=False) if disagreements_path.exists()
           else pd.DataFrame(columns=DISAGREEMENT_COLUMNS))
    kept = [old[~old["table_id"].isin(rebuilt)]]
    files: dict[Path, str] = {}
    for t in run.rebuilt():
        frame = t.frame
        if t.disagreements is not None and len(t.disagreements):
            kept.append(t.disagreements.astype(str))
        entries[t.table.id] = {
            "file": f"{t.table.id}.csv",
            "description": t.table.description,
            "rows": int(len(frame)),
            "columns": list(frame.columns),
            "sha256": t.sha256,
            "sources": t.table.sources,
            "tables": {tid: _sha_of(run, entries, tid) for tid in t.table.tables},
            "precedence": t.table.precedence,
            "inputs_sha256": t.inputs_sha256,
            "raw_files": [{"file": f, "sha256": h} for f, h in t.raw_files],
            "coverage": _coverage(t.table, frame, config),
            "disagreements": 0 if t.disagreements is None else int(len(t.disagreements)),
        }
        files[config.processed_path(t.table.id)] = t.text
    known = {t.id for t in config.tables}
    manifest["tables"] = {k: entries[k] for k in sorted(entries) if k in known}
    merged = pd.concat(kept, ignore_index=True)
    merged = merged[merged["table_id"].isin(known)].sort_values(["table_id", "period", "key", "column"], kind="stable")
    files[disagreements_path] = table_csv_text(merged[DISAGREEMENT_COLUMNS])
    manifest["disagreements"] = {"file": DISAGREEMENTS_FILE, "rows": int(len(merged)),
                                 "sha256": text_sha256(files[disagreements_path])}
    files[manifest_path(config)] = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    write_all_or_none(files)


def _sha_of(run: DataRun, entries: dict, table_id: str) -> str:
    for t in run.tables:
        if t.table.id == table_id and t.status == "rebuilt":
            return t.sha256
    return entries.get(table_id, {}).get("sha256", "")


# The simple forms: build in memory (everything asked for, nothing skipped), and write what was built.

def build_tables(config: TrackerConfig, only: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """Build the tables asked for (all by default) in memory, in dependency order, without writing; a table they
    are derived from that is not asked for is read from the processed tables on disk. Returns {table_id: frame}."""
    wanted = [t.id for t in config.tables] if only is None else list(only)
    unknown = sorted(set(wanted) - {t.id for t in config.tables})
    if unknown:
        raise ConfigError(f"unknown table(s) {unknown}; tracker.yml has {sorted(t.id for t in config.tables)}")
    run = _walk(config, [t for t in config.build_order() if t.id in wanted], force=True, build=True)
    return {t.table.id: t.frame for t in run.tables}


def write_tables(config: TrackerConfig, built: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Write tables built with build_tables (and their manifest entries); returns {table_id: sha256}."""
    run = _walk(config, [t for t in config.build_order() if t.id in built], force=True, build=True, given=built)
    _write(config, run)
    return {t.table.id: t.sha256 for t in run.rebuilt()}
