"""Monthly per-prison figures, 2018 on: Walk Forward Research's parse of every MoJ monthly per-prison bulletin.

One row per establishment per month, plus one row per month of estate totals (the published useable
operational capacity and the sums of the establishment rows) for reconciliation with the weekly series.
"""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from ..config import Table, TrackerConfig
from ..raw import find_raw
from .common import IngestError, provenance_columns, read_csv_text, to_int

# Tested on the real sample files (tests/test_ingest.py re-derives the committed tables from them).
VERIFIED_AGAINST_PUBLISHED_FILE = True

COLUMNS = ["month", "report_date", "prison", "section", "published_uoc", "baseline_cna", "in_use_cna", "op_cap",
           "population", "prison_key", "cells_out_of_use", "crowding"]


def _rows(config: TrackerConfig, table: Table):
    raw = find_raw(config, table.sources[0], "monthly_establishments.csv")
    frame = read_csv_text(raw, required=COLUMNS)
    seen = set()
    today = dt.date.today()
    for line, rec in frame.iterrows():
        where = f"{raw.ref} line {line}"
        try:
            month = dt.date.fromisoformat(rec["month"])
            report = dt.date.fromisoformat(rec["report_date"])
        except ValueError:
            raise IngestError(f"{where}: month/report_date {rec['month']!r}/{rec['report_date']!r} are not dates") from None
        if report > today:
            raise IngestError(f"{where}: report date {report} is in the future")
        if (report.year, report.month) != (month.year, month.month):
            raise IngestError(f"{where}: report date {report} is not in month {month:%Y-%m}")
        if rec["section"] not in ("prison", "irc"):
            raise IngestError(f"{where}: section {rec['section']!r}; expected prison or irc")
        key = (rec["month"], rec["prison_key"])
        if key in seen:
            raise IngestError(f"{where}: {rec['prison_key']} appears twice in {rec['month'][:7]}")
        seen.add(key)
        values = {c: to_int(rec[c], f"{where} column {c}") for c in
                  ("published_uoc", "baseline_cna", "in_use_cna", "op_cap", "population")}
        for c, v in values.items():
            if v is not None and v < 0:
                raise IngestError(f"{where} column {c}: negative value {v}")
        yield raw, line, rec, month, report, values


def slug(key: str) -> str:
    """'drake hall' -> 'drake-hall': a key that can name a page."""
    return re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-")


def build_monthly_establishments(config: TrackerConfig, table: Table) -> pd.DataFrame:
    rows = []
    for raw, line, rec, month, report, v in _rows(config, table):
        cells_out = None if v["in_use_cna"] is None else v["baseline_cna"] - v["in_use_cna"]
        rows.append({
            "month": month.strftime("%Y-%m"), "report_date": report.isoformat(), "prison_key": slug(rec["prison_key"]),
            "prison": rec["prison"], "section": rec["section"], "baseline_cna": v["baseline_cna"],
            "in_use_cna": v["in_use_cna"], "op_cap": v["op_cap"], "population": v["population"],
            "cells_out_of_use": cells_out,
            **provenance_columns(raw, f"line {line}"),
        })
    out = pd.DataFrame(rows)
    for c in ("baseline_cna", "in_use_cna", "op_cap", "population", "cells_out_of_use"):
        out[c] = out[c].astype("Int64")
    return out.sort_values(["month", "prison_key"], kind="stable").reset_index(drop=True)


def build_monthly_estate_totals(config: TrackerConfig, table: Table) -> pd.DataFrame:
    """Per month: the published UOC (the bulletin's Total row) and the sums of the establishment rows."""
    months: dict[str, dict] = {}
    for raw, line, rec, month, report, v in _rows(config, table):
        m = months.setdefault(month.strftime("%Y-%m"), {
            "month": month.strftime("%Y-%m"), "report_date": report.isoformat(), "published_uoc": v["published_uoc"],
            "establishments": 0, "sum_baseline_cna": 0, "sum_in_use_cna": 0, "sum_op_cap": 0, "sum_population": 0,
            "first_line": line, "last_line": line, "raw": raw,
        })
        if v["published_uoc"] != m["published_uoc"] or report.isoformat() != m["report_date"]:
            raise IngestError(f"{raw.ref} line {line}: published UOC or report date differs from earlier rows of "
                              f"{m['month']}")
        m["establishments"] += 1
        for c in ("baseline_cna", "in_use_cna", "op_cap", "population"):
            m[f"sum_{c}"] += v[c] or 0
        m["last_line"] = line
    rows = []
    for m in months.values():
        raw = m.pop("raw")
        first, last = m.pop("first_line"), m.pop("last_line")
        m["derived_margin"] = m["sum_op_cap"] - m["published_uoc"]
        rows.append({**m, **provenance_columns(raw, f"lines {first}-{last}")})
    return pd.DataFrame(rows).sort_values("month").reset_index(drop=True)
