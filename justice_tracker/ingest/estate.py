"""The prison estate: openings and closures of prisons, and the estate's places out of use by month.

prison_changes: Walk Forward Research's transcription of the Ministry of Justice's list of changes to the prison
estate (Safety in Custody statistics, Table 10), one row per change, with the kind of change classified.

cells_out_of_use_estate: one row per monthly bulletin, the estate totals of Baseline CNA and In Use CNA and the
difference between them ("cells out of use": places, not cells, taken out of use for damage, repair, refurbishment
or closure). It is derived from two processed tables built from different raw files and parsed by different
people: monthly_establishments_legacy (the tracker's own parse of the MoJ Word/RTF bulletins, January 2011 to May
2016) and monthly_establishments (Walk Forward Research's parse, March 2018 on). There is no per-prison bulletin in
either source between June 2016 and February 2018, so the table has no rows for those months.
"""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from ..config import Table, TrackerConfig
from ..raw import find_raw
from .common import IngestError, provenance_columns, read_csv_text

# Tested on the real sample file (tests/test_estate_chapter.py re-derives the committed tables from it).
VERIFIED_AGAINST_PUBLISHED_FILE = True

CHANGE_COLUMNS = ["establishment", "month", "year", "change"]
MONTHS = {name: i for i, name in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
     "November", "December"], start=1)}
CHANGE_KINDS = ("opened", "closed", "re-role", "merger", "other")

# Checked in order; the first pattern that matches the change text gives its kind. Anything else is an error,
# so a new wording in the source is looked at by a person before it is counted.
_KIND_RULES: list[tuple[str, re.Pattern]] = [
    ("opened", re.compile(r"^(re)?opened\b", re.I)),
    ("merger", re.compile(r"\bmerged\b", re.I)),
    ("closed", re.compile(r"^closed$|\btemporarily closed\b", re.I)),
    # A change of operator is not a change of role.
    ("other", re.compile(r"^changed from (private to public|public to private)$", re.I)),
    ("re-role", re.compile(r"^changed\b", re.I)),
]
EXPECTED_WORDING = ("'Opened ...' or 'Reopened ...', '... merged ...', 'Closed' or '... Temporarily closed ...', "
                    "'Changed from ...'")


def change_kind(text: str, where: str) -> str:
    for kind, pattern in _KIND_RULES:
        if pattern.search(text):
            return kind
    raise IngestError(f"{where}: change {text!r} is not a kind of change this parser knows; expected "
                      f"{EXPECTED_WORDING}")


def build_prison_changes(config: TrackerConfig, table: Table,
                         inputs: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """One row per published change, in the order of the file; month is YYYY-MM, or blank when only the year is
    given."""
    raw = find_raw(config, table.sources[0], "prison_change_log.csv")
    frame = read_csv_text(raw, required=CHANGE_COLUMNS)
    this_year = dt.date.today().year
    rows = []
    for line, rec in frame.iterrows():
        where = f"{raw.ref} line {line}"
        if not rec["establishment"]:
            raise IngestError(f"{where}: establishment is blank; expected a prison name")
        if not re.fullmatch(r"\d{4}", rec["year"]) or not 1900 <= int(rec["year"]) <= this_year:
            raise IngestError(f"{where}: year {rec['year']!r}; expected a four-digit year from 1900 to {this_year}")
        year = int(rec["year"])
        month = ""
        if rec["month"]:
            if rec["month"] not in MONTHS:
                raise IngestError(f"{where}: month {rec['month']!r}; expected a month name (January ... December) "
                                  "or a blank")
            month = f"{year:04d}-{MONTHS[rec['month']]:02d}"
        change = re.sub(r"\s+", " ", rec["change"]).strip()
        if not change:
            raise IngestError(f"{where}: change is blank; expected what changed")
        rows.append({
            "establishment": rec["establishment"], "year": year, "month": month, "change": change,
            "change_kind": change_kind(change, where),
            "temporary": bool(re.search(r"\btemporarily\b", change, re.I)),
            **provenance_columns(raw, f"line {line}"),
        })
    return pd.DataFrame(rows)


# Estate totals of places out of use ----------------------------------------------------------------------------

UPSTREAM = ("monthly_establishments", "monthly_establishments_legacy", "monthly_totals_legacy")


def _line_span(refs: pd.Series, where: str) -> str:
    """The rows summed, as one span: 'lines 2-122' of a CSV, or 'sheet MonthlyBulletin, rows 5-125' of a
    workbook (from each row's 'sheet X, cells A5:E5')."""
    numbers, sheets = [], set()
    for ref in refs:
        if m := re.fullmatch(r"line (\d+)", str(ref)):
            numbers.append(int(m.group(1)))
        elif m := re.fullmatch(r"sheet (.+), cells [A-Z]+(\d+)(?::[A-Z]+\d+)?", str(ref)):
            sheets.add(m.group(1))
            numbers.append(int(m.group(2)))
        else:
            raise IngestError(f"{where}: row reference {ref!r}; expected 'line N' or 'sheet S, cells A1:E1'")
    if len(sheets) > 1 or (sheets and len(numbers) != len(refs)):
        raise IngestError(f"{where}: rows of one month come from different sheets or files ({sorted(sheets)})")
    lo, hi = min(numbers), max(numbers)
    if sheets:
        return f"sheet {sheets.pop()}, " + (f"row {lo}" if lo == hi else f"rows {lo}-{hi}")
    return f"line {lo}" if lo == hi else f"lines {lo}-{hi}"


def _month_row(rows: pd.DataFrame, month: str, parse: str, derived_from: str, where: str) -> dict:
    first = rows.iloc[0]
    for col in ("report_date", "source_id", "source_file", "source_url", "raw_sha256"):
        if rows[col].nunique() != 1:
            raise IngestError(f"{where}: rows of {month} disagree on {col} ({sorted(rows[col].astype(str).unique())})")
    report = str(first["report_date"])
    if report[:7] != month:
        raise IngestError(f"{where}: report date {report} is not in month {month}")
    in_use = rows["in_use_cna"]
    return {
        "month": month,
        "report_date": report,
        "parse": parse,
        "establishments": int(len(rows)),
        "irc_establishments": int((rows["section"] == "irc").sum()),
        "blank_in_use": int(in_use.isna().sum()),
        "baseline_cna": int(rows["baseline_cna"].sum()),
        # As in the bulletins' own Total rows: an establishment with no In Use CNA printed (closed or mothballed)
        # counts as 0 places in use, so all of its Baseline CNA counts as out of use.
        "in_use_cna": int(in_use.fillna(0).sum()),
        "derived_from": derived_from,
        "source_id": first["source_id"], "source_file": first["source_file"], "source_url": first["source_url"],
        "raw_sha256": first["raw_sha256"],
        "row_ref": _line_span(rows["row_ref"], where),
    }


def build_cells_out_of_use_estate(config: TrackerConfig, table: Table, inputs: dict[str, pd.DataFrame]
                                  ) -> pd.DataFrame:
    """Per month: estate Baseline CNA, In Use CNA and their difference, from both monthly parses.

    row_ref gives the lines of the establishment rows summed (in the raw file named in source_file); for the
    2011-2016 bulletins, published_total_ref is the bulletin's Total row, which must equal the sums."""
    legacy = inputs["monthly_establishments_legacy"]
    legacy_totals = inputs["monthly_totals_legacy"]
    wfr = inputs["monthly_establishments"]
    rows = []
    totals = {r["bulletin_month"]: r for _, r in legacy_totals.iterrows()}
    for month, group in legacy.groupby("bulletin_month", sort=True):
        where = f"{group.iloc[0]['source_file']} (table monthly_establishments_legacy)"
        row = _month_row(group, month, "legacy", "monthly_establishments_legacy", where)
        total = totals.get(month)
        if total is None:
            raise IngestError(f"{where}: no Total row for {month} in monthly_totals_legacy")
        for col in ("baseline_cna", "in_use_cna"):
            if int(total[f"published_{col}"]) != row[col]:
                raise IngestError(f"{total['source_file']} {total['row_ref']}: published Total {col} "
                                  f"{int(total[f'published_{col}']):,} differs from the sum of the establishment "
                                  f"rows, {row[col]:,}; expected them to be equal")
        row["published_total_ref"] = str(total["row_ref"])
        rows.append(row)
    legacy_months = {r["month"]: r["source_file"] for r in rows}
    for month, group in wfr.groupby("month", sort=True):
        where = f"{group.iloc[0]['source_file']} (table monthly_establishments)"
        row = _month_row(group, month, "wfr", "monthly_establishments", where)
        if month in legacy_months:
            raise IngestError(f"{group.iloc[0]['source_file']} {row['row_ref']}: month {month} is also in the "
                              f"2011-2016 parse ({legacy_months[month]}); expected each month from one parse only")
        row["published_total_ref"] = ""
        rows.append(row)
    out = pd.DataFrame(rows)
    out["cells_out_of_use"] = out["baseline_cna"] - out["in_use_cna"]
    columns = ["month", "report_date", "parse", "establishments", "irc_establishments", "blank_in_use",
               "baseline_cna", "in_use_cna", "cells_out_of_use", "derived_from", "published_total_ref",
               "source_id", "source_file", "source_url", "raw_sha256", "row_ref"]
    return out[columns].sort_values("month").reset_index(drop=True)
