"""Parser for the monthly per-prison bulletin in its current spreadsheet form (.ods, 2017 on).

STATUS: NOT YET VERIFIED AGAINST A PUBLISHED FILE. No monthly ODS is on the build machines; the parser follows
the layout notes and is tested on synthetic workbooks (`tests/support/synthetic/monthly.py`) filled with real
published figures. Check it against a real download on the first live run, then set
VERIFIED_AGAINST_PUBLISHED_FILE.

Facts taken from secondhand notes (shared/research/data-sources.md section 1b, from the
walkforwardresearch/prisoncap parser and definitions log, not from a file we have seen):
- one sheet `MonthlyBulletin`; a header row with `Prison Name` and `CNA` in the first 10 rows, a
  `Report Date: dd/mm/yyyy` text cell above it;
- columns Prison Name | Baseline CNA | In Use CNA | Operational Capacity | Population (plus % columns);
- Sub total and Total rows inside the table; the Total row's operational capacity is the estate's useable
  operational capacity, the column sum less the operating margin (Mar 2018: 86,515 against 88,515); the
  sums include the IRC rows;
- an `HMPPS Operated Immigration Removal Centres` heading before the IRC rows; footnotes and an
  "establishments exceeding ..." list after the table; closed establishments publish partial rows;
- the margin history 2018-2026 (OPERATING_MARGIN_HISTORY), derived by the third party from the Total rows.
The footnote wording "... less 2000 places" is [observed] in the 2011-2016 Word bulletins; that the ODS keeps
it is an assumption, so the margin is read from the footnote when there is one and otherwise taken from the
documented history.

Choices where the notes are silent: the header is looked for in the first 25 rows (10 documented, slack for
a shifted sheet) and the columns are found by their header text, wherever they are; the table ends at the
`Total` row, so nothing after it (footnotes, the exceeding list, whose rows also have names and numbers) is
read; a row inside the table that is neither Sub total, Total nor the IRC heading is an establishment.

Checks: sum(Operational Capacity) - margin must equal the Total row's figure, or the parse fails (ParseError),
unless it cannot be checked because some capacity cells are not published. Sub total rows and the Total's
other columns are compared with the sums too; a mismatch there is reported in meta["inconsistencies"].
"""
from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import pandas as pd

from .base import PROVENANCE_COLUMNS, ParseError, Parsed, sniff_container
from .weekly_bulletin import (SPREADSHEET_CONTAINERS, Sheet, cell_name, date_in_text, is_blank,
                              normalise_label, open_workbook, real_sheet_names, sheet_key)

KIND = "monthly_ods"
RECOGNISES = "a sheet 'MonthlyBulletin'"  # what identify() looks for (the registry's error message)
VERIFIED_AGAINST_PUBLISHED_FILE = False

SHEET_NAME = "MonthlyBulletin"
HEADER_SEARCH_ROWS = 25
FIGURES = ("baseline_cna", "in_use_cna", "op_cap", "population")
TABLE_COLUMNS = ["report_date", "section", "establishment", *FIGURES, "note", *PROVENANCE_COLUMNS]

_HEADERS = {
    "baseline_cna": (re.compile(r"^baseline( cna)?$"), "Baseline CNA"),
    "in_use_cna": (re.compile(r"^in[ -]?use cna$"), "In Use CNA"),
    "op_cap": (re.compile(r"^operational capacity$"), "Operational Capacity"),
    "population": (re.compile(r"^population$"), "Population"),
}
_SUBTOTAL = re.compile(r"^sub[ -]?total$")
_IRC_HEADING = re.compile(r"immigration removal")
_FOOTNOTE_MARGIN = re.compile(r"less\s+(\d[\d,]*)\s+places", re.I)
_NAME_MARKERS = re.compile(r"\s*(\*+|†|‡|\(\d{1,2}\))$")

# (first month it applies, places): the operating margin, from the documented history [secondhand:
# data-sources.md 1a and the third party's margin log derived from the monthly Total rows]; 2,000 before 2020
# is also stated in the legacy bulletins' footnotes [observed].
OPERATING_MARGIN_HISTORY = (
    (dt.date(2011, 1, 1), 2000), (dt.date(2020, 5, 1), 3000), (dt.date(2021, 12, 1), 2750),
    (dt.date(2022, 4, 1), 2500), (dt.date(2022, 7, 1), 2250), (dt.date(2022, 9, 1), 2000),
    (dt.date(2023, 3, 1), 1950), (dt.date(2023, 4, 1), 1830), (dt.date(2023, 6, 1), 1680),
    (dt.date(2023, 7, 1), 1480), (dt.date(2023, 9, 1), 1340), (dt.date(2023, 11, 1), 1350),
    (dt.date(2025, 7, 1), 1640),
)


def documented_margin(report_date: dt.date) -> int | None:
    """The documented operating margin for a report date's month (None before 2011)."""
    month = report_date.replace(day=1)
    applicable = [places for start, places in OPERATING_MARGIN_HISTORY if start <= month]
    return applicable[-1] if applicable else None


def identify(path: Path | str) -> bool:
    """True for a spreadsheet with a `MonthlyBulletin` sheet."""
    path = Path(path)
    if sniff_container(path) not in SPREADSHEET_CONTAINERS:
        return False
    try:
        names = real_sheet_names(open_workbook(path))
    except ParseError:
        return False
    return any(sheet_key(n) == sheet_key(SHEET_NAME) for n in names)


def _header(sheet: Sheet) -> tuple[int, int, dict[str, int]]:
    """(header row, name column, {figure: column}) from the row holding 'Prison Name' and a 'CNA' header."""
    for r in range(min(HEADER_SEARCH_ROWS, len(sheet.rows))):
        keys = {c: normalise_label(t) for c, t in sheet.texts(r)}
        name_col = next((c for c, k in keys.items() if k == "prison name"), None)
        if name_col is None or not any("cna" in k for k in keys.values()):
            continue
        columns = {f: c for f, (rx, _) in _HEADERS.items() for c, k in keys.items() if rx.match(k)}
        missing = [label for f, (_, label) in _HEADERS.items() if f not in columns]
        if missing:
            raise sheet.fail(f"header row {r + 1}: expected columns 'Prison Name', "
                             f"{', '.join(repr(label) for _, label in _HEADERS.values())}; missing {missing}; "
                             f"found {[t for _, t in sheet.texts(r)]}")
        return r, name_col, columns
    raise sheet.fail(f"no header row holding 'Prison Name' and 'CNA' in the first {HEADER_SEARCH_ROWS} rows; "
                     f"labels found there: {sheet.labels_between(0, min(HEADER_SEARCH_ROWS, len(sheet.rows)))}")


def _report_date(sheet: Sheet, header_row: int) -> tuple[dt.date, str]:
    """The date in the 'Report Date: dd/mm/yyyy' text cell above the header row, and that cell's name."""
    for r in range(header_row):
        for c, text in sheet.texts(r):
            if normalise_label(text).startswith("report date"):
                if (d := date_in_text(text)) is None:
                    raise sheet.fail(f"cell {cell_name(r, c)} says {text!r}: expected 'Report Date: dd/mm/yyyy'")
                return d, cell_name(r, c)
    raise sheet.fail(f"expected a 'Report Date: dd/mm/yyyy' cell above the header row (row {header_row + 1}); "
                     f"labels found: {sheet.labels_between(0, header_row)}")


def _figures(sheet: Sheet, row: int, columns: dict[str, int]) -> tuple[dict[str, float], dict[str, str]]:
    """The row's figures, and a note for each figure that carried a marker or a suppression symbol."""
    values, notes = {}, {}
    for figure, col in columns.items():
        values[figure], note = sheet.number(row, col)
        # CNA, capacity and population are counts: a negative one is a typo or a corrupt cell, not a figure.
        if values[figure] < 0:
            raise sheet.fail(f"cell {cell_name(row, col)}: {figure} is {values[figure]:,.0f}; a count cannot be "
                             "negative")
        if note:
            notes[figure] = f"{figure} ({cell_name(row, col)}): {note}"
    return values, notes


def _compare(what: str, published: dict[str, float], rows: list[dict], fields) -> list[str]:
    """Mismatches between published sums and the sums of the rows (empty cells count 0, as in MoJ's sums)."""
    found = []
    for figure in fields:
        got = sum(r[figure] for r in rows if not math.isnan(r[figure]))
        if not math.isnan(published[figure]) and got != published[figure]:
            found.append(f"{what} {figure}: published {published[figure]:,.0f}, rows sum to {got:,.0f}")
    return found


def parse(path: Path | str) -> Parsed:
    """One monthly bulletin -> Parsed(kind, one row per establishment with TABLE_COLUMNS, meta). Meta:
    report_date, sheet, columns, total (the Total row, op_cap being useable operational capacity), subtotals,
    sum_op_cap, operating_margin, operating_margin_source, uoc_check, inconsistencies, notes."""
    path = Path(path)
    workbook = open_workbook(path)
    names = [n for n in real_sheet_names(workbook) if sheet_key(n) == sheet_key(SHEET_NAME)]
    if len(names) != 1:
        raise ParseError(path, f"expected one sheet named {SHEET_NAME!r}; sheets in the file: "
                               f"{real_sheet_names(workbook)}")
    sheet = Sheet.read(path, workbook, names[0])
    header_row, name_col, columns = _header(sheet)
    report_date, report_date_cell = _report_date(sheet, header_row)
    if report_date > dt.date.today():  # a mistyped year, not a bulletin from the future
        raise sheet.fail(f"cell {report_date_cell}: report date {report_date} is in the future")
    last_col = max([name_col, *columns.values()])

    rows, subtotals, section, since_subtotal, total, total_row = [], {}, "prison", [], None, None
    unpublished_op_cap: list[str] = []  # establishments whose capacity is a suppression symbol
    inconsistencies: list[str] = []
    for r in range(header_row + 1, len(sheet.rows)):
        name = sheet.value(r, name_col)
        if is_blank(name):
            if any(not is_blank(sheet.value(r, c)) for c in columns.values()):
                raise sheet.fail(f"row {r + 1} has figures but no name in column {cell_name(r, name_col)[0]}")
            continue
        name = re.sub(r"\s+", " ", str(name)).strip()
        key = normalise_label(name)
        if _IRC_HEADING.search(key):
            section = "irc"
            continue
        figures, notes = _figures(sheet, r, columns)
        if key == "total":
            total = {**figures, "cell": f"{cell_name(r, name_col)}:{cell_name(r, last_col)}"}
            total_row = r
            break
        if _SUBTOTAL.match(key):
            subtotals[section] = {**figures, "cell": f"{cell_name(r, name_col)}:{cell_name(r, last_col)}"}
            inconsistencies += _compare(f"{section} Sub total (row {r + 1})", figures, since_subtotal, FIGURES)
            since_subtotal = []
            continue
        record = {"report_date": pd.Timestamp(report_date), "section": section,
                  "establishment": _NAME_MARKERS.sub("", name), **figures,
                  "note": "; ".join(notes.values()) or None,
                  "source_file": path.name, "sheet": sheet.name, "row_label": name,
                  "cell": f"{cell_name(r, name_col)}:{cell_name(r, last_col)}"}
        rows.append(record)
        since_subtotal.append(record)
        if math.isnan(figures["op_cap"]) and "op_cap" in notes:
            unpublished_op_cap.append(record["establishment"])
    if total is None:
        raise sheet.fail(f"expected a 'Total' row ending the table below the header (row {header_row + 1}); "
                         f"labels found: {sheet.labels_between(header_row + 1, len(sheet.rows))}")
    if not rows:
        raise sheet.fail(f"no establishment rows between the header (row {header_row + 1}) and the Total row")
    inconsistencies += _compare("Total", total, rows, ("baseline_cna", "in_use_cna", "population"))

    uoc_check, margin, margin_source, notes = _check_uoc(sheet, rows, total, _footnote_margin(sheet, total_row),
                                                         report_date, unpublished_op_cap)
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    for figure in FIGURES:
        table[figure] = table[figure].astype(float)
    meta = {
        "report_date": report_date,
        "report_date_cell": report_date_cell,
        "sheet": sheet.name,
        "columns": {f: sheet.value(header_row, c) for f, c in columns.items()},
        "total": total,
        "subtotals": subtotals,
        "sum_op_cap": float(table["op_cap"].sum()),
        "operating_margin": margin,
        "operating_margin_source": margin_source,
        "uoc_check": uoc_check,
        "inconsistencies": inconsistencies,
        "notes": notes,
    }
    return Parsed(KIND, table, meta)


def _footnote_margin(sheet: Sheet, total_row: int) -> tuple[int, str] | None:
    """(places, cell) from the first 'less N places' after the Total row."""
    for r in range(total_row + 1, len(sheet.rows)):
        for c, text in sheet.texts(r):
            if match := _FOOTNOTE_MARGIN.search(text):
                return int(match.group(1).replace(",", "")), cell_name(r, c)
    return None


def _check_uoc(sheet: Sheet, rows: list[dict], total: dict, footnote: tuple[int, str] | None,
               report_date: dt.date, unpublished: list[str]):
    """sum(op_cap) - margin == Total UOC. Returns (check text, margin, margin source, notes); raises ParseError
    when the figures disagree with every margin on record and no unpublished cell explains it."""
    published = total["op_cap"]
    if math.isnan(published):
        raise sheet.fail(f"the Total row ({total['cell']}) has no operational capacity figure")
    column_sum = sum(r["op_cap"] for r in rows if not math.isnan(r["op_cap"]))
    implied = column_sum - published
    documented = documented_margin(report_date)
    notes = []
    if footnote and implied == footnote[0]:
        margin, source = footnote[0], f"footnote {footnote[1]}"
    elif documented is not None and implied == documented:
        margin, source = documented, "documented history"
        if footnote:
            notes.append(f"footnote {footnote[1]} says less {footnote[0]:,} places, but the Total matches the "
                         f"documented margin {documented:,} for {report_date:%B %Y}")
    elif unpublished:
        margin = footnote[0] if footnote else documented
        source = f"footnote {footnote[1]}" if footnote else "documented history"
        check = (f"not possible: operational capacity not published for {unpublished}; published cells sum to "
                 f"{column_sum:,.0f}, Total {published:,.0f}")
        return check, margin, source, notes
    else:
        tried = [f"{footnote[0]:,} (footnote {footnote[1]})"] if footnote else []
        tried += [f"{documented:,} (documented for {report_date:%B %Y})"] if documented is not None else []
        raise sheet.fail(
            f"establishments' Operational Capacity sums to {column_sum:,.0f}; less the operating margin it should "
            f"equal the Total row's useable operational capacity {published:,.0f} ({total['cell']}), which implies a "
            f"margin of {implied:,.0f}; margins on record: {tried or 'none'}")
    check = f"sum {column_sum:,.0f} - margin {margin:,} = {published:,.0f} (Total)"
    return check, margin, source, notes
