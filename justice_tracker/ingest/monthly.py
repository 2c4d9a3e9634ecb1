"""Monthly per-prison figures in the spreadsheet era (2017 on).

Inputs, strongest first (tracker.yml `precedence`): the MoJ monthly per-prison workbooks (sheet MonthlyBulletin)
parsed here, then Walk Forward Research's parse of every bulletin since March 2018 for the months no official
workbook here covers. One row per establishment per month, plus one row per month of estate totals (the published
useable operational capacity and the sums of the establishment rows) for reconciliation with the weekly series.
The Word/RTF bulletins of 2011-2016 are in monthly_establishments_legacy (ingest/legacy_monthly.py).
"""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from ..config import Table, TrackerConfig
from ..errors import UnknownPrisonName
from ..parsers import monthly_ods
from ..parsers.prison_names import PrisonNames, load_prison_names
from ..parsers.prison_names import slug as prison_slug
from ..raw import find_raw
from .common import IngestError, provenance_columns, read_csv_text, to_int
from .official import newest_per_period, official_files
from .precedence import late_arrivals, merge

# Tested on the real sample files (tests/test_ingest.py re-derives the committed tables from them).
VERIFIED_AGAINST_PUBLISHED_FILE = True

COLUMNS = ["month", "report_date", "prison", "section", "published_uoc", "baseline_cna", "in_use_cna", "op_cap",
           "population", "prison_key", "cells_out_of_use", "crowding"]


def _rows(config: TrackerConfig, source_id: str):
    raw = find_raw(config, source_id, "monthly_establishments.csv")
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


ESTABLISHMENT_COLUMNS = ["month", "report_date", "prison_key", "prison", "section", "baseline_cna", "in_use_cna",
                         "op_cap", "population", "cells_out_of_use",
                         "source_id", "source_file", "source_url", "raw_sha256", "row_ref"]
FIGURES = ("baseline_cna", "in_use_cna", "op_cap", "population")


def build_monthly_establishments(config: TrackerConfig, table: Table,
                                 inputs: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """One row per establishment per month: the MoJ monthly per-prison workbooks parsed here, and the third
    party's parse of every bulletin since March 2018 for the months no official workbook here covers."""
    by_source, notes = {}, []
    for sid in table.precedence:
        if config.source(sid).official:
            by_source[sid], found = _official_establishments(config, sid)
            notes.extend(found)
        else:
            by_source[sid] = _wfr_establishments(config, table, sid)
    notes.extend(late_arrivals(table, by_source, "month"))
    out, disagreements = merge(table, by_source, "month", list(FIGURES))
    out = out.reindex(columns=ESTABLISHMENT_COLUMNS)
    for c in (*FIGURES, "cells_out_of_use"):
        out[c] = out[c].astype("Float64").round().astype("Int64")
    out = out.sort_values(["month", "prison_key"], kind="stable").reset_index(drop=True)
    out.attrs.update({"disagreements": disagreements, "notes": notes})
    return out


def _wfr_establishments(config: TrackerConfig, table: Table, source_id: str) -> pd.DataFrame:
    rows = []
    for raw, line, rec, month, report, v in _rows(config, source_id):
        cells_out = None if v["in_use_cna"] is None else v["baseline_cna"] - v["in_use_cna"]
        rows.append({
            "month": month.strftime("%Y-%m"), "report_date": report.isoformat(), "prison_key": slug(rec["prison_key"]),
            "prison": rec["prison"], "section": rec["section"], "baseline_cna": v["baseline_cna"],
            "in_use_cna": v["in_use_cna"], "op_cap": v["op_cap"], "population": v["population"],
            "cells_out_of_use": cells_out,
            **provenance_columns(raw, f"line {line}"),
        })
    return pd.DataFrame(rows)


def _official_workbooks(config: TrackerConfig, source_id: str):
    found = official_files(config, source_id)
    workbooks = found.of_kind(monthly_ods.KIND)
    chosen, replaced = newest_per_period(workbooks, lambda f: f.parsed.meta["report_date"].strftime("%Y-%m"))
    notes = [f"{old.raw.ref} and {new.raw.ref} are both the bulletin of {month}; kept {new.raw.ref}, the newer "
             f"publication" for old, new in replaced for month in [new.parsed.meta["report_date"].strftime("%Y-%m")]]
    notes += [f"skipped (no parser recognises it): {ref}" for ref, _ in found.skipped]
    today = dt.date.today()
    for month, f in chosen.items():
        if f.parsed.meta["report_date"] > today:
            raise IngestError(f"{f.raw.ref}, sheet {f.parsed.meta['sheet']!r} cell "
                              f"{f.parsed.meta['report_date_cell']}: report date {f.parsed.meta['report_date']} is in "
                              "the future")
    return chosen, notes


def _official_establishments(config: TrackerConfig, source_id: str) -> tuple[pd.DataFrame, list[str]]:
    chosen, notes = _official_workbooks(config, source_id)
    names = load_prison_names(config) if chosen else None
    rows = []
    for month, f in sorted(chosen.items()):
        report = f.parsed.meta["report_date"]
        seen: dict[str, str] = {}
        for r in f.parsed.table.itertuples():
            key = _prison_key(names, r.establishment)
            where = f"{f.raw.ref}, sheet {r.sheet!r} cells {r.cell}"
            if key in seen:
                raise IngestError(f"{where}: {r.establishment!r} is the same establishment ({key}) as the row at "
                                  f"{seen[key]}")
            seen[key] = r.cell
            v = {c: (None if pd.isna(getattr(r, c)) else int(getattr(r, c))) for c in FIGURES}
            rows.append({
                "month": month, "report_date": report.isoformat(), "prison_key": key, "prison": r.establishment,
                "section": r.section, **v,
                "cells_out_of_use": None if v["in_use_cna"] is None else v["baseline_cna"] - v["in_use_cna"],
                "source_id": source_id, "source_file": f.raw.ref, "source_url": f.url, "raw_sha256": f.raw.sha256,
                "row_ref": f"sheet {r.sheet}, cells {r.cell}",
            })
    return pd.DataFrame(rows, columns=ESTABLISHMENT_COLUMNS), notes


def _prison_key(names: PrisonNames, printed: str) -> str:
    """The key the third party's parse uses for the same establishment: the register's or alias table's key, else
    the slug of the printed name (prisons opened after the 2016-17 register: 'Five Wells' -> 'five-wells')."""
    try:
        return names.resolve(printed).key
    except UnknownPrisonName:
        return prison_slug(printed)


def build_monthly_estate_totals(config: TrackerConfig, table: Table,
                                inputs: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Per month: the published UOC (the bulletin's Total row) and the sums of the establishment rows, from the
    official workbooks where they are here and from the third party's parse otherwise."""
    by_source, notes = {}, []
    for sid in table.precedence:
        if config.source(sid).official:
            by_source[sid], found = _official_totals(config, sid)
            notes.extend(found)
        else:
            by_source[sid] = _wfr_totals(config, sid)
    out, disagreements = merge(table, by_source, "month", ["published_uoc", "establishments", "sum_baseline_cna",
                                                           "sum_in_use_cna", "sum_op_cap", "sum_population"])
    out = out.sort_values("month").reset_index(drop=True)
    out.attrs.update({"disagreements": disagreements, "notes": notes})
    return out


def _official_totals(config: TrackerConfig, source_id: str) -> tuple[pd.DataFrame, list[str]]:
    chosen, notes = _official_workbooks(config, source_id)
    rows = []
    for month, f in sorted(chosen.items()):
        t, total = f.parsed.table, f.parsed.meta["total"]
        sums = {c: int(t[c].fillna(0).sum()) for c in FIGURES}
        rows.append({"month": month, "report_date": f.parsed.meta["report_date"].isoformat(),
                     "published_uoc": int(total["op_cap"]), "establishments": int(len(t)),
                     **{f"sum_{c}": v for c, v in sums.items()}, "derived_margin": sums["op_cap"] - int(total["op_cap"]),
                     "source_id": source_id, "source_file": f.raw.ref, "source_url": f.url,
                     "raw_sha256": f.raw.sha256, "row_ref": f"sheet {f.parsed.meta['sheet']}, Total row {total['cell']}"})
    return pd.DataFrame(rows), notes


def _wfr_totals(config: TrackerConfig, source_id: str) -> pd.DataFrame:
    months: dict[str, dict] = {}
    for raw, line, rec, month, report, v in _rows(config, source_id):
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
    return pd.DataFrame(rows)
