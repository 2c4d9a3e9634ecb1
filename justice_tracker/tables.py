"""The processed tables on disk: reading them, their manifest, and writing them all or none.

data/processed/<table>.csv is the product; data/processed/manifest.json says, per table, its checksum, columns,
the raw files and tables it was built from (with their checksums, so `make data` can tell what changed) and which
periods came from official files parsed here and which from a third party. Every reader of a processed table
goes through this module.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from .config import TrackerConfig
from .errors import TableWriteError
from .files import sha256_bytes

MANIFEST_FILE = "manifest.json"
# Where both an official file and a third party give a period and disagree: every such value, kept and set aside.
DISAGREEMENTS_FILE = "source_disagreements.csv"
# Columns read as text whatever they hold (references and free text that may look like numbers).
TEXT_COLUMNS = {"row_ref": str, "detail": str, "detail_ref": str}
BLANK_AS_TEXT = ("detail", "detail_ref", "bulletin_title", "bulletin_url", "layout", "sheet", "cell")


def manifest_path(config: TrackerConfig) -> Path:
    return config.processed_folder / MANIFEST_FILE


def read_manifest(config: TrackerConfig) -> dict:
    path = manifest_path(config)
    if not path.exists():
        return {"tables": {}}
    return json.loads(path.read_text(encoding="utf-8"))


# A page kernel runs many pages: each table is read once per kernel for the same file contents, and every caller
# gets its own copy (so a page that changes its frame cannot change the next page's).
_READ: dict[tuple, pd.DataFrame] = {}


def _read_csv(path: Path, columns: list[str] | None) -> pd.DataFrame:
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size, tuple(columns) if columns else None)
    if key not in _READ:
        if len(_READ) > 64:
            _READ.clear()
        _READ[key] = pd.read_csv(path, dtype=TEXT_COLUMNS, keep_default_na=True, usecols=columns)
    return _READ[key].copy()


def load_table(config: TrackerConfig, table_id: str, parse_dates: list[str] | None = None,
               columns: list[str] | None = None) -> pd.DataFrame:
    """A processed table for a page: text references as text, blanks in text columns as ''."""
    path = config.processed_path(table_id)
    if not path.exists():
        raise FileNotFoundError(f"processed table {path} is missing; rebuild the processed tables (make data) "
                                "with the raw files present")
    frame = _read_csv(path, columns)
    for col in BLANK_AS_TEXT:
        if col in frame.columns:
            frame[col] = frame[col].fillna("")
    for col in parse_dates or []:
        frame[col] = pd.to_datetime(frame[col], format="%Y-%m-%d")
    return frame


def read_text_table(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Every cell as the text written in the CSV (blanks as ''): for comparing values exactly as published, in
    this working tree's tables or an edition's frozen copy."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, usecols=columns)


def load_table_text(config: TrackerConfig, table_id: str, columns: list[str] | None = None) -> pd.DataFrame:
    path = config.processed_path(table_id)
    if not path.exists():
        raise FileNotFoundError(f"processed table {path} is missing; rebuild the processed tables (make data)")
    return read_text_table(path, columns)


# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(...) phones home, =cmd|...
# ran programs in old Excel), and the processed CSVs are offered for download. Text from a source file (a name,
# a label) that starts so is written with a leading apostrophe, which spreadsheets read as "this is text".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?")


def neutralise_formula(value):
    """`value` with an apostrophe in front when it is text a spreadsheet would run as a formula. Numbers, and
    text that is a plain number ("-12", "+3.5", "-4%", as a table read back as text holds them), are left alone;
    so is text that already starts with the apostrophe, so writing a table read back gives the same bytes."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with neutralise_formula applied to every text cell (the frame itself when nothing changes)."""
    changed = {}
    for name in frame.columns:
        column = frame[name]
        if not (column.dtype == object or isinstance(column.dtype, pd.StringDtype)):
            continue  # a numeric, boolean or date column: never text
        if column.map(lambda v: isinstance(v, str) and v[:1] in FORMULA_STARTS).any():
            neutral = column.map(neutralise_formula)
            if not neutral.equals(column):  # "-12" starts like a formula and stays as it is
                changed[name] = neutral
    return frame.assign(**changed) if changed else frame


def table_csv_text(frame: pd.DataFrame) -> str:
    """Deterministic CSV: same frame, same bytes (LF endings, no index, blanks for missing), with text that a
    spreadsheet would run as a formula neutralised (neutralise_formula)."""
    return neutralise_formulas(frame).to_csv(index=False, lineterminator="\n", na_rep="")


def read_typed(config: TrackerConfig, table_id: str) -> pd.DataFrame:
    """A processed table as its builder made it (column types from its declared schema), for a table derived
    from it when it was not rebuilt in this run. Writing the result again gives the same bytes (tested)."""
    from .schemas import SCHEMAS

    path = config.processed_path(table_id)
    if not path.exists():
        raise FileNotFoundError(f"processed table {path} is missing; rebuild it (make data)")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    schema = SCHEMAS.get(table_id)
    if schema is None:
        return frame
    for name, column in schema.columns.items():
        if name not in frame.columns:
            continue
        dtype = str(column.dtype)
        blank = frame[name] == ""
        if dtype == "int64":
            frame[name] = pd.to_numeric(frame[name]).astype("int64")
        elif dtype == "Int64":
            frame[name] = pd.to_numeric(frame[name].mask(blank)).astype("Int64")
        elif dtype.startswith("float"):
            frame[name] = pd.to_numeric(frame[name].mask(blank)).astype("float64")
        elif dtype == "bool":
            frame[name] = frame[name].map({"True": True, "False": False})
        elif column.nullable:
            frame[name] = frame[name].mask(blank)
    return frame


def write_all_or_none(files: dict[Path, str]) -> None:
    """Write every file or none, in the order given (the manifest last). All are first written to temporary files
    beside their targets, so a full or read-only disk fails before any target changes; then each is renamed into
    place, and if a rename fails the ones already renamed are put back from hard-linked copies of the old files.
    A failure is a TableWriteError naming the file; no temporary file is left behind."""
    staged: list[tuple[str, Path]] = []
    backups: dict[Path, str | None] = {}  # target -> a link to its old version (None: there was none)
    replaced: list[Path] = []
    path = None
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            staged.append((tmp, path))
            with os.fdopen(fd, "wb") as f:
                f.write(text.encode("utf-8"))
                f.flush()
                os.fsync(f.fileno())
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        step = "keeping a copy of"
        for tmp, path in staged:
            backups[path] = None
            if path.exists():
                backups[path] = f"{tmp}.old"
                try:
                    os.link(path, backups[path])
                except OSError:  # a file system without hard links
                    shutil.copy2(path, backups[path])
        step = "replacing"
        for tmp, path in staged:
            os.replace(tmp, path)
            replaced.append(path)
    except BaseException as e:
        for done in reversed(replaced):  # put back what was already renamed: all or none
            old = backups.get(done)
            with contextlib.suppress(OSError):
                if old:
                    os.replace(old, done)
                else:
                    os.unlink(done)
        for leftover in [t for t, _ in staged] + [b for b in backups.values() if b]:
            with contextlib.suppress(OSError):
                os.unlink(leftover)
        if isinstance(e, OSError) and path is not None:
            doing = "writing" if not backups else step
            names = [p.name for p in files]
            listed = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
            raise TableWriteError(f"{doing} {path}: {e.strerror or e}; nothing was changed: the {len(names)} "
                                  f"file(s) of this run ({listed}) are written all or none") from None
        raise
    for old in backups.values():
        if old:
            with contextlib.suppress(OSError):
                os.unlink(old)


def text_sha256(text: str) -> str:
    return sha256_bytes(text.encode("utf-8"))
