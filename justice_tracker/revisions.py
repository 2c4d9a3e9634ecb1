"""What changed between two vintages of the processed data (two editions, or an edition and the working draft).

Everything here is derived from the two copies of data/processed; nothing is written by hand. The result
(`Changes`) is plain data, rendered elsewhere.

The method
----------
Rows are matched between the vintages on the table's `key` in tracker.yml (compared as the text in the CSV).
A table's *value columns* are its numeric columns that are neither key nor provenance (`PROVENANCE_COLUMNS`).
A row is *dated* by the table's `period` column, or else by its first date-like key column (`date`, `month`,
`year`, `quarter`, `quarter_start`, or a name ending in `_date`, `_month`, `_year` or `_start`); a table with
neither is undated. A vintage's *latest* is the latest date among its rows.

Two values are the same when both are blank or they differ by less than a tiny tolerance (1e-9, absolute and
relative), so a float written as 94.38000000000001 is not a revision. The "publisher's provenance" of a row is
its `PUBLISHER_COLUMNS`: which source, file, URL and file hash the figure came from, and the bulletin it names
(row and line references are left out: they move when our parser changes, not when the publisher does). The
"file" of a row is the part of that naming the file we read (`FILE_COLUMNS`), shared by many rows.

Each change gets one reason from `REASONS`:

* A row whose key is in both vintages, with a value that differs:
  ``method-change`` if the table's method version (`method` in tracker.yml, frozen per edition) differs between
  the vintages; else ``revised-by-publisher`` if the row's publisher's provenance differs (the publisher, or the
  third party whose file we read, reissued the figure); else ``correction`` (same source, so our processing
  changed: a fix). One reason per row, shared by all its changed values.
* A row only in the current vintage (added): ``new-period`` if it is dated after the previous vintage's latest;
  else ``method-change`` if the method version differs; else ``revised-by-publisher`` if its file appears in no
  row of the previous vintage's table (it came from a new or reissued file); else ``correction`` (the same
  files, read differently).
* A row only in the previous vintage (removed): ``method-change`` if the method version differs; else
  ``revised-by-publisher`` if its file appears in no row of the current vintage's table (the file it came from
  was replaced); else ``correction``.
* A table in only one vintage: all its rows are added (or removed), as ``method-change``: the tracker began (or
  stopped) deriving the table, which says nothing about the publisher's figures.
* A headline (tracker.yml `headlines`) is the row with the latest date among the rows matching its filter that
  have a value. If the current date is later than the previous one, ``new-period``; same date and same value,
  ``unchanged``; same date and a different value, that row's reason as above. With no previous figure it takes
  the reason of an added row, with no current figure (or an earlier one) the reason of the removed row.
  `previous_period_now` is the current vintage's figure for the previous headline's date, when it differs from
  what the previous vintage said (a revision of the figure readers last saw); else null.

Limits: when a publisher reissues a file and our processing changes in the same edition, the provenance rule says
``revised-by-publisher``; bump the table's method version to say otherwise. Text columns are not compared. A
table listed in tracker.yml whose key is not unique in either vintage is an error.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd

from .tables import read_text_table
from .config import PERIOD_NAMES, PERIOD_SUFFIXES, Headline, Table, TrackerConfig

REASONS = ("new-period", "revised-by-publisher", "correction", "method-change", "unchanged")
DEFAULT_METHOD = "1"

# Columns that say where a row came from, never figures to compare. The first five are on every table; the
# others are table-specific references (weekly bulletin title and URL, line references, derivation notes).
PROVENANCE_COLUMNS = frozenset({
    "source_id", "source_file", "source_url", "raw_sha256", "row_ref",
    "bulletin_url", "bulletin_title", "detail_ref", "published_total_ref", "derived_from", "derivation",
    "source_column",
})
# The part of the provenance that changes when the publisher reissues a figure. Line and column references and
# our derivation notes are left out: they change when our processing does.
FILE_COLUMNS = ("source_id", "source_file", "source_url", "raw_sha256")
PUBLISHER_COLUMNS = FILE_COLUMNS + ("bulletin_url", "bulletin_title")

_DATE_NAMES = PERIOD_NAMES
_DATE_SUFFIXES = PERIOD_SUFFIXES
_TOLERANCE = 1e-9
_REMOVED_EXAMPLES = 10
_REASON_WORDS = {"new-period": "new period", "revised-by-publisher": "revised by the publisher",
                 "correction": "correction", "method-change": "method changed", "unchanged": "unchanged"}


@dataclass(frozen=True)
class Vintage:
    label: str               # edition id, e.g. "2026-09", or "working draft"
    processed_dir: Path      # a folder holding the table CSVs + manifest.json
    methods: dict[str, str] = field(default_factory=dict)  # table id -> method version (missing => "1")

    def method(self, table_id: str) -> str:
        return str(self.methods.get(table_id, DEFAULT_METHOD))


def config_methods(config: TrackerConfig) -> dict[str, str]:
    """The method versions tracker.yml declares now: what an edition being made, or the working draft, uses."""
    return {t.id: t.method for t in config.tables}


@dataclass
class Changes:
    previous: str
    current: str
    headlines: list[dict]
    revisions: list[dict]
    tables: list[dict]
    removed: list[dict]

    def to_json(self) -> str:
        # Sorted keys and values already cleaned by _number: the same inputs give the same bytes.
        return json.dumps(asdict(self), sort_keys=True, indent=1, ensure_ascii=False, allow_nan=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "Changes":
        data = json.loads(text)
        names = {f.name for f in fields(cls)}
        if not isinstance(data, dict) or set(data) != names:
            got = sorted(data) if isinstance(data, dict) else type(data).__name__
            raise ValueError(f"not a Changes document: expected keys {sorted(names)}, got {got}")
        return cls(**data)


# --- reading a vintage --------------------------------------------------------------------------------------------

def _table_path(folder: Path, table_id: str) -> Path:
    """The table's CSV, as named in the vintage's own manifest when it has one (an edition is self-describing)."""
    manifest = folder / "manifest.json"
    if manifest.exists():
        entry = json.loads(manifest.read_text(encoding="utf-8")).get("tables", {}).get(table_id)
        if entry and entry.get("file"):
            return folder / entry["file"]
    return folder / f"{table_id}.csv"


def _read(vintage: Vintage, table: Table) -> pd.DataFrame | None:
    path = _table_path(Path(vintage.processed_dir), table.id)
    if not path.exists():
        return None
    # All text, blanks as "": key values are compared and reported exactly as written in the CSV.
    frame = read_text_table(path)
    missing = [c for c in table.key if c not in frame.columns]
    if missing:
        raise ValueError(f"table {table.id} ({vintage.label}): key column(s) {missing} not in {path.name}")
    dupes = frame[frame.duplicated(table.key, keep=False)]
    if not dupes.empty:
        first = dupes.iloc[0]
        key = {c: first[c] for c in table.key}
        n = int((frame[table.key] == first[table.key]).all(axis=1).sum())
        raise ValueError(f"table {table.id} ({vintage.label}): key {table.key} is not unique; "
                         f"{key} appears {n} times ({len(dupes)} rows share a key)")
    return frame


def _numbers(column: pd.Series) -> pd.Series:
    return pd.to_numeric(column.replace("", np.nan), errors="coerce").astype(float)


def _is_numeric(column: pd.Series) -> bool:
    """Every non-blank cell is a number (an all-blank column counts: it holds no text)."""
    filled = column[column != ""]
    return bool(_numbers(filled).notna().all())


def _iso_day(text: str) -> str:
    """The first day a period string stands for, as YYYY-MM-DD, or "" (2026 -> 2026-01-01, 2026Q2 -> 2026-04-01)."""
    text = text.strip()
    if m := re.fullmatch(r"(\d{4})", text):
        return f"{m[1]}-01-01"
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        return f"{m[1]}-{m[2]}-01"
    if m := re.fullmatch(r"(\d{4}) ?-?Q([1-4])", text):
        return f"{m[1]}-{3 * int(m[2]) - 2:02d}-01"
    if m := re.match(r"(\d{4}-\d{2}-\d{2})", text):
        return m[1]
    return ""


def _periods(column: pd.Series) -> pd.Series:
    # Explicit forms only, never pandas' guessing, so a value parses the same way in every vintage.
    return pd.to_datetime(column.astype(str).map(_iso_day), format="%Y-%m-%d", errors="coerce")


def _is_date_name(name: str) -> bool:
    return name in _DATE_NAMES or name.endswith(_DATE_SUFFIXES)


def _period_column(table: Table) -> str | None:
    return table.period_column()


def latest_period(table: Table, csv_path: Path) -> str | None:
    """The newest period a table's rows refer to, as printed (what "data up to" means for that table); None for
    a table with no period column (a register, a calendar)."""
    found = period_range(table, csv_path)
    return found[1] if found else None


def period_range(table: Table, csv_path: Path) -> tuple[str, str] | None:
    """(first, last) period a table's rows refer to, as printed; None for a table with no period column."""
    column = _period_column(table)
    if column is None:
        return None
    values = read_text_table(csv_path, [column])[column]
    values = values[values.str.strip() != ""]
    if values.empty:
        return None
    periods = _periods(values)
    return str(values.loc[periods.idxmin()]), str(values.loc[periods.idxmax()])


def _number(x) -> int | float | None:
    """A value for the JSON: None for blank/NaN, whole numbers as int (so 1136 and 1136.0 render alike), other
    floats rounded to 10 decimal places (so float noise never shows)."""
    if x is None:
        return None
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        return None
    if x.is_integer() and abs(x) < 2 ** 53:
        return int(x)
    return round(x, 10)


def _same(a: float, b: float) -> bool:
    if math.isnan(a) and math.isnan(b):
        return True
    return math.isclose(a, b, rel_tol=_TOLERANCE, abs_tol=_TOLERANCE)


def _ref(row: pd.Series) -> str:
    file, line = row.get("source_file", ""), row.get("row_ref", "")
    if file:
        return f"{file} {line}".strip()
    return row.get("source_url", "") or row.get("bulletin_url", "")


# --- one table in two vintages ------------------------------------------------------------------------------------

class _TablePair:
    """One table as it is in the previous and the current vintage, with the reason rules applied to its rows."""

    def __init__(self, table: Table, previous: Vintage, current: Vintage):
        self.table = table
        self.prev = _read(previous, table)
        self.cur = _read(current, table)
        self.method_changed = previous.method(table.id) != current.method(table.id)
        self.methods = (previous.method(table.id), current.method(table.id))
        self.period = _period_column(table)
        for frame, vintage in ((self.prev, previous), (self.cur, current)):
            if frame is not None and self.period and self.period not in frame.columns:
                raise ValueError(f"table {table.id} ({vintage.label}): period column {self.period!r} not found")
        present = [f for f in (self.prev, self.cur) if f is not None]
        both = [c for c in present[-1].columns if all(c in f.columns for f in present)] if present else []
        skip = set(table.key) | PROVENANCE_COLUMNS
        self.value_columns = [c for c in both if c not in skip and all(_is_numeric(f[c]) for f in present)]
        self.publisher_columns = [c for c in PUBLISHER_COLUMNS if c in both]
        # Added and removed rows are judged by file, not by bulletin: each weekly row names its own bulletin, so a
        # row our parser had missed would otherwise always look new to the publisher.
        self.file_columns = [c for c in FILE_COLUMNS if c in both]
        self.prev_latest = self._latest(self.prev)
        self.cur_latest = self._latest(self.cur)

    def _latest(self, frame: pd.DataFrame | None) -> tuple[pd.Timestamp, str] | None:
        """The latest date of a vintage's rows, with the text it is written as."""
        if frame is None or not self.period or frame.empty:
            return None
        dates = _periods(frame[self.period])
        if dates.isna().all():
            return None
        i = dates.idxmax()
        return dates[i], frame.at[i, self.period]

    def _files(self, frame: pd.DataFrame) -> list[tuple]:
        return list(frame[self.file_columns].itertuples(index=False, name=None))

    def matched_reasons(self, prev_rows: pd.DataFrame, cur_rows: pd.DataFrame) -> pd.Series:
        """Reason for each pair of rows (aligned by position) that share a key and differ in a value."""
        if self.method_changed:
            return pd.Series("method-change", index=cur_rows.index)
        moved = pd.Series(False, index=cur_rows.index)
        for c in self.publisher_columns:
            moved |= prev_rows[c].to_numpy() != cur_rows[c].to_numpy()
        return moved.map({True: "revised-by-publisher", False: "correction"})

    def added_reasons(self, rows: pd.DataFrame) -> pd.Series:
        if self.prev is None:
            return pd.Series("method-change", index=rows.index)
        reasons = pd.Series("correction", index=rows.index, dtype=object)
        known = set(self._files(self.prev))
        reasons[[f not in known for f in self._files(rows)]] = "revised-by-publisher"
        if self.method_changed:
            reasons[:] = "method-change"
        if self.period and self.prev_latest is not None:
            reasons[_periods(rows[self.period]) > self.prev_latest[0]] = "new-period"
        return reasons

    def removed_reasons(self, rows: pd.DataFrame) -> pd.Series:
        if self.cur is None or self.method_changed:
            return pd.Series("method-change", index=rows.index)
        known = set(self._files(self.cur))
        return pd.Series(["correction" if f in known else "revised-by-publisher" for f in self._files(rows)],
                         index=rows.index)

    def compare(self) -> tuple[dict, list[dict], dict | None]:
        """The table's summary, its revised cells and its removed-rows summary."""
        key = self.table.key
        prev = self.prev if self.prev is not None else pd.DataFrame(columns=self.cur.columns)
        cur = self.cur if self.cur is not None else pd.DataFrame(columns=prev.columns)
        prev_pos = {k: i for i, k in enumerate(prev[key].itertuples(index=False, name=None))}
        cur_keys = list(cur[key].itertuples(index=False, name=None))
        cur_pos = {k: i for i, k in enumerate(cur_keys)}
        # Current row order (usually chronological) keeps the output stable and readable.
        common = [k for k in cur_keys if k in prev_pos]
        added = cur.iloc[[i for i, k in enumerate(cur_keys) if k not in prev_pos]]
        removed = prev.iloc[[i for k, i in prev_pos.items() if k not in cur_pos]]

        p = prev.iloc[[prev_pos[k] for k in common]].reset_index(drop=True)
        c = cur.iloc[[cur_pos[k] for k in common]].reset_index(drop=True)
        changed = {}
        for col in self.value_columns:
            a, b = _numbers(p[col]).to_numpy(), _numbers(c[col]).to_numpy()
            same = (np.isnan(a) & np.isnan(b)) | np.isclose(a, b, rtol=_TOLERANCE, atol=_TOLERANCE)
            changed[col] = (~same, a, b)
        any_changed = np.zeros(len(common), dtype=bool)
        for mask, _, _ in changed.values():
            any_changed |= mask
        rows = np.flatnonzero(any_changed)
        reasons = self.matched_reasons(p.iloc[rows], c.iloc[rows]) if len(rows) else pd.Series(dtype=object)

        revisions = []
        for i in rows:
            for col in self.value_columns:
                mask, a, b = changed[col]
                if mask[i]:
                    revisions.append({
                        "table": self.table.id,
                        "key": {k: c.at[i, k] for k in key},
                        "column": col,
                        "previous": _number(a[i]),
                        "current": _number(b[i]),
                        "reason": reasons[i],
                        "ref": _ref(c.iloc[i]),
                        "previous_ref": _ref(p.iloc[i]),
                    })

        added_reasons = self.added_reasons(added) if len(added) else pd.Series(dtype=object)
        removed_reasons = self.removed_reasons(removed) if len(removed) else pd.Series(dtype=object)
        summary = {
            "table": self.table.id,
            "rows_previous": None if self.prev is None else len(self.prev),
            "rows_current": None if self.cur is None else len(self.cur),
            "added": len(added),
            "removed": len(removed),
            "revised_cells": len(revisions),
            "revised_rows": len(rows),
            "latest_previous": None if self.prev_latest is None else self.prev_latest[1],
            "latest_current": None if self.cur_latest is None else self.cur_latest[1],
            "method_previous": self.methods[0],
            "method_current": self.methods[1],
            "value_columns": list(self.value_columns),
            # Added and removed count rows, revised counts changed cells.
            "reason_counts": {
                "added": _counts(added_reasons),
                "removed": _counts(removed_reasons),
                "revised": _counts(pd.Series([r["reason"] for r in revisions], dtype=object)),
            },
        }
        removed_summary = None
        if len(removed):
            removed_summary = {
                "table": self.table.id,
                "rows": len(removed),
                "reason_counts": _counts(removed_reasons),
                "examples": [{"key": {k: row[k] for k in key}, "reason": removed_reasons[i], "ref": _ref(row)}
                             for i, row in removed.head(_REMOVED_EXAMPLES).iterrows()],
            }
        return summary, revisions, removed_summary


def _counts(reasons: pd.Series) -> dict[str, int]:
    return {r: int(n) for r, n in sorted(reasons.value_counts().items())}


# --- headlines ----------------------------------------------------------------------------------------------------

def _headline_rows(frame: pd.DataFrame | None, spec: Headline, label: str) -> pd.DataFrame:
    """The rows of one headline series that have a value, with their parsed dates in column `_when`."""
    if frame is None:
        return pd.DataFrame(columns=["_when"])
    needed = [spec.date, spec.value, *spec.filter]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"headline {spec.id}: table {spec.table} ({label}) has no column(s) {missing}")
    rows = frame
    for col, want in spec.filter.items():
        rows = rows[rows[col] == want]
    rows = rows.assign(_value=_numbers(rows[spec.value]), _when=_periods(rows[spec.date]))
    return rows.dropna(subset=["_value", "_when"])


def _one_at(rows: pd.DataFrame, when: pd.Timestamp, spec: Headline, label: str) -> pd.Series | None:
    at = rows[rows["_when"] == when]
    if at.empty:
        return None
    if len(at) > 1:
        raise ValueError(f"headline {spec.id}: {len(at)} rows of {spec.table} ({label}) dated "
                         f"{at.iloc[0][spec.date]}; give a filter that picks one")
    return at.iloc[0]


def _latest(rows: pd.DataFrame, spec: Headline, label: str) -> pd.Series | None:
    return None if rows.empty else _one_at(rows, rows["_when"].max(), spec, label)


def _figure(row: pd.Series | None, spec: Headline) -> dict | None:
    if row is None:
        return None
    return {"date": row[spec.date], "value": _number(row["_value"]), "ref": _ref(row)}


def _headline(spec: Headline, pair: _TablePair, previous: Vintage, current: Vintage) -> dict:
    prev_rows = _headline_rows(pair.prev, spec, previous.label)
    cur_rows = _headline_rows(pair.cur, spec, current.label)
    p, c = _latest(prev_rows, spec, previous.label), _latest(cur_rows, spec, current.label)

    if p is None and c is None:
        reason = "unchanged"
    elif p is None:
        reason = pair.added_reasons(c.to_frame().T).iloc[0]
    elif c is None or c["_when"] < p["_when"]:
        reason = pair.removed_reasons(p.to_frame().T).iloc[0]
    elif c["_when"] > p["_when"]:
        reason = "new-period"
    elif _same(p["_value"], c["_value"]):
        reason = "unchanged"
    else:
        reason = pair.matched_reasons(p.to_frame().T, c.to_frame().T).iloc[0]

    # What the current vintage now says for the date the previous headline showed.
    revised = None
    if p is not None:
        now = _one_at(cur_rows, p["_when"], spec, current.label)
        if now is None:
            revised = {"date": p[spec.date], "value": None, "ref": None,
                       "reason": pair.removed_reasons(p.to_frame().T).iloc[0]}
        elif not _same(p["_value"], now["_value"]):
            revised = {**_figure(now, spec), "reason": pair.matched_reasons(p.to_frame().T, now.to_frame().T).iloc[0]}

    return {"id": spec.id, "label": spec.label, "table": spec.table, "unit": spec.unit, "format": spec.format,
            "previous": _figure(p, spec), "current": _figure(c, spec), "reason": reason,
            "previous_period_now": revised}


# --- the comparison -----------------------------------------------------------------------------------------------

def compare(previous: Vintage, current: Vintage, config: TrackerConfig) -> Changes:
    """Compare every table in tracker.yml, and every headline, between two vintages."""
    pairs = {t.id: _TablePair(t, previous, current) for t in config.tables}
    tables, revisions, removed = [], [], []
    for table in config.tables:
        pair = pairs[table.id]
        if pair.prev is None and pair.cur is None:
            continue  # in neither vintage: nothing to say
        summary, cells, gone = pair.compare()
        tables.append(summary)
        revisions.extend(cells)
        if gone:
            removed.append(gone)
    headlines = [_headline(h, pairs[h.table], previous, current) for h in config.headlines]
    return Changes(previous=previous.label, current=current.label, headlines=headlines, revisions=revisions,
                   tables=tables, removed=removed)


# --- plain-English lines ------------------------------------------------------------------------------------------

def _when(text: str) -> str:
    """A headline date as words: 'on 5 Sep 2026', 'in Jul 2026', 'in Jan-Mar 2026', 'in 2026'."""
    text = str(text).strip()
    if m := re.fullmatch(r"(\d{4}) ?-?Q([1-4])", text):
        q = int(m[2])
        first, last = pd.Timestamp(year=2000, month=3 * q - 2, day=1), pd.Timestamp(year=2000, month=3 * q, day=1)
        return f"in {first:%b}-{last:%b} {m[1]}"
    if re.fullmatch(r"\d{4}", text):
        return f"in {text}"
    if re.fullmatch(r"\d{4}-\d{2}", text):
        return f"in {pd.Timestamp(text + '-01'):%b %Y}"
    if iso := _iso_day(text):
        ts = pd.Timestamp(iso)
        return f"on {ts.day} {ts:%b %Y}"
    return f"at {text}"


def _value_text(h: dict, value) -> str:
    if value is None:
        return "no figure"
    text = h["format"].format(value)
    return f"{text} {h['unit']}" if h["unit"] else text


def summary_lines(changes: Changes) -> list[str]:
    """Short lines for a feed entry: each headline, revisions of the figures last shown, then per-table counts."""
    lines = []
    for h in changes.headlines:
        p, c, why = h["previous"], h["current"], _REASON_WORDS[h["reason"]]
        if c is None and p is None:
            continue
        if p is None:
            lines.append(f"{h['label']}: {_value_text(h, c['value'])} {_when(c['date'])} ({why})")
        elif c is None:
            lines.append(f"{h['label']}: no longer published, was {_value_text(h, p['value'])} {_when(p['date'])} "
                         f"({why})")
        elif h["reason"] == "unchanged":
            lines.append(f"{h['label']}: {_value_text(h, c['value'])} {_when(c['date'])} (unchanged)")
        else:
            lines.append(f"{h['label']}: {_value_text(h, p['value'])} {_when(p['date'])} → "
                         f"{_value_text(h, c['value'])} {_when(c['date'])} ({why})")
        r = h["previous_period_now"]
        # The same-date case is already the line above.
        if r is not None and (c is None or r["date"] != c["date"]):
            now = "withdrawn" if r["value"] is None else f"now {_value_text(h, r['value'])}"
            lines.append(f"{h['label']} {_when(p['date'])}: was {_value_text(h, p['value'])}, {now} "
                         f"({_REASON_WORDS[r['reason']]})")
    for t in changes.tables:
        counts = t["reason_counts"]
        parts = []
        if t["revised_cells"]:
            parts.append(f"{t['revised_cells']} figure{'s' if t['revised_cells'] != 1 else ''} revised"
                         f" ({_reasons_text(counts['revised'])})")
        earlier = {r: n for r, n in counts["added"].items() if r != "new-period"}
        if earlier:
            n = sum(earlier.values())
            parts.append(f"{n} row{'s' if n != 1 else ''} added for earlier periods ({_reasons_text(earlier)})")
        if t["removed"]:
            parts.append(f"{t['removed']} row{'s' if t['removed'] != 1 else ''} removed "
                         f"({_reasons_text(counts['removed'])})")
        if parts:
            lines.append(f"{t['table']}: " + "; ".join(parts))
    return lines


def _reasons_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {_REASON_WORDS[r]}" for r, n in counts.items())
