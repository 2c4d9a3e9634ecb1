"""One table from several sources: for each period, the rows of the strongest source that has that period.

A table that an official file and a third party's parse both cover declares `precedence:` in tracker.yml
(official first). Periods are compared whole: when the official file gives a month, every row of that month is
the official file's, so a month's rows never mix two files. Where a weaker source gives the same period, its
rows are compared with the kept ones, key by key and column by column, and every difference (a different value,
or a row only one of them has) is returned as a disagreement, to be listed on the reconciliation page with both
values and both sources: nothing is overwritten silently.
"""
from __future__ import annotations

import math

import pandas as pd

from ..config import Table

DISAGREEMENT_COLUMNS = ["table_id", "period", "key", "column", "kept_value", "kept_source_id", "kept_file",
                        "kept_ref", "other_value", "other_source_id", "other_file", "other_ref"]


def _text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _differ(a, b) -> bool:
    ta, tb = _text(a), _text(b)
    if ta == tb:
        return False
    try:
        return abs(float(ta) - float(tb)) > 1e-9
    except ValueError:
        return True


def merge(table: Table, by_source: dict[str, pd.DataFrame], period: str, compare: list[str]
          ) -> tuple[pd.DataFrame, list[dict]]:
    """(rows kept, disagreements as records with DISAGREEMENT_COLUMNS). `by_source` maps source id to its rows (with the table's columns and the
    provenance columns); sources are ranked by table.precedence, and those not named there come after it in
    tracker.yml order. `compare` lists the value columns checked where two sources give one period."""
    ranked = list(table.precedence) + [s for s in table.sources if s not in table.precedence]
    frames = {s: by_source[s] for s in ranked if s in by_source and len(by_source[s])}
    if not frames:
        raise ValueError(f"table {table.id}: no rows from any of its sources {ranked}")
    owner: dict = {}
    for source in ranked:
        if source in frames:
            for p in frames[source][period].unique():
                owner.setdefault(p, source)
    kept = [f[f[period].map(owner) == s] for s, f in frames.items()]
    out = pd.concat(kept, ignore_index=True)
    disagreements = []
    key = [c for c in table.key if c != period]
    for source, frame in frames.items():
        lost = frame[frame[period].map(owner) != source]
        if lost.empty:
            continue
        for p, theirs in lost.groupby(period, sort=True):
            ours = out[out[period] == p]
            disagreements.extend(_compare(table, p, key, compare, ours, theirs))
    return out, disagreements


def late_arrivals(table: Table, by_source: dict[str, pd.DataFrame], period: str) -> list[str]:
    """Notes for periods an official file adds before the latest period the other sources already give (a
    bulletin that was missing, arriving after later ones): placed in date order, and said so."""
    notes = []
    for source, frame in by_source.items():
        others = [f for s, f in by_source.items() if s != source and len(f)]
        if not len(frame) or not others:
            continue
        known = set(pd.concat([f[period] for f in others]))
        latest = max(known)
        for _, row in frame[(frame[period] < latest) & ~frame[period].isin(known)].iterrows():
            notes.append(f"{row['source_file']}, {row['row_ref']}: the {table.id} figures for {row[period]} arrived "
                         f"out of order (the data already ran to {latest}); placed in date order")
    return notes


def _compare(table: Table, period, key: list[str], compare: list[str], ours: pd.DataFrame,
             theirs: pd.DataFrame) -> list[dict]:
    def label(row) -> str:
        return ", ".join(f"{c}={_text(row[c])}" for c in key) if key else ""

    def side(row, prefix: str) -> dict:
        return {f"{prefix}_source_id": row["source_id"], f"{prefix}_file": row["source_file"],
                f"{prefix}_ref": _text(row["row_ref"])}

    out = []
    a = {label(r): r for _, r in ours.iterrows()}
    b = {label(r): r for _, r in theirs.iterrows()}
    for k in sorted(set(a) | set(b)):
        base = {"table_id": table.id, "period": _text(period), "key": k}
        if k not in b:
            out.append({**base, "column": "(row)", "kept_value": "present", **side(a[k], "kept"),
                        "other_value": "absent", "other_source_id": theirs.iloc[0]["source_id"],
                        "other_file": theirs.iloc[0]["source_file"], "other_ref": ""})
            continue
        if k not in a:
            out.append({**base, "column": "(row)", "kept_value": "absent", "kept_source_id": ours.iloc[0]["source_id"],
                        "kept_file": ours.iloc[0]["source_file"], "kept_ref": "", "other_value": "present",
                        **side(b[k], "other")})
            continue
        for column in compare:
            if column in a[k] and column in b[k] and _differ(a[k][column], b[k][column]):
                # A figure only one side publishes (a column the older layout lacks) is not a disagreement.
                if _text(a[k][column]) == "" or _text(b[k][column]) == "":
                    continue
                out.append({**base, "column": column, "kept_value": _text(a[k][column]), **side(a[k], "kept"),
                            "other_value": _text(b[k][column]), **side(b[k], "other")})
    return out
