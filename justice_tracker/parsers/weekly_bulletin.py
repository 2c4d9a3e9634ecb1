"""Parser for the weekly prison population bulletin ("weekly estate figures"): layouts A1, A2 and B.

STATUS: NOT YET VERIFIED AGAINST A PUBLISHED FILE. No real weekly .xls/.ods is on the build machines; the parser
follows the layout notes and is tested on synthetic workbooks (`tests/support/synthetic/weekly.py`) filled with
real published values. Check it against a real download on the first live run, then set
VERIFIED_AGAINST_PUBLISHED_FILE.

Facts taken from secondhand notes (shared/research/data-sources.md section 1a, which took them from the
walkforwardresearch/prisoncap parser, its definitions log and its parse output, not from a file we have seen):
- A1 (9 Dec 2011 to Jul 2021): sheet `Headlines- PUBLISHED` (`Headlines-_PUBLISHED` in the .ods files);
  columns Total / Prisons / NOMS (later HMPPS) Operated IRCs, Total including the IRCs; rows `Population`,
  `Male population`, `Female population`, `Useable Operational Capacity`, `Home Detention Curfew caseload`;
  a two-column block headed `Last week` / `12 months ago`; `Data not available` in the last-week cell after a
  skipped (bank holiday) week; ghost external-link sheets whose names start with `'`; a date cell at the top.
- A2 (Jul 2021 to 18 Oct 2024): one `This week` column; rows `Population in male estate` /
  `Population in female estate`; an `Operating Margin` row from 3 Nov 2023 (also in the last-week block).
- B (21 Oct 2024 on, Mondays): sheet `Data`; columns Total / Adult Male / Female / YCS; rows `Population`,
  `Useable Operational Capacity`, `Headroom` (published), `Home Detention Curfew caseload`; blocks headed
  `Last Week: <date>` and `12 Months Ago: <date>` below; an operating-margin table at the bottom with rows
  `Overall Estate`, `Adult Male`, `Female`, `YCS`.
- Read by row label: the header row above the first `Population` row tells the layout.

Choices made here where the notes are silent (so the parser does not depend on them): exact cell positions
(everything is found by label and column header, anywhere on the sheet); whether the B previous-period blocks
repeat the column headers (used if present, otherwise the this-week columns are reused); where the bulletin
date sits (the first date cell, else the first date written in text, above the header row; for B, failing
both, the `Last Week:` date plus 7 days). The bulletin date is the one in the file: the attachment title,
which sometimes disagrees (2013-12-27, 2015-01-08, 2016-04-01, 2016-08-19), is the caller's to compare.

Published arithmetic that does not add up (e.g. Prisons + IRCs != Total for UOC on 2014-05-23 and
2021-04-09 in the third-party parse) is MoJ's, not a parse failure: it is reported in
`meta["inconsistencies"]` and the values are kept as published.

The spreadsheet helpers in the first section (opening a workbook by its bytes, reading a sheet as a grid,
cell names, label normalisation, numbers with footnote markers) are shared with `monthly_ods`.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .base import PROVENANCE_COLUMNS, ParseError, Parsed, ole_kind, sniff_container

KIND = "weekly_bulletin"
# What identify() looks for, for the registry's "no parser recognises this file" message.
RECOGNISES = ("a sheet 'Headlines- PUBLISHED' (layouts A1, A2) or 'Data' with a "
              "'Useable Operational Capacity' row (B)")
VERIFIED_AGAINST_PUBLISHED_FILE = False

# --- Spreadsheet reading (shared with monthly_ods) ------------------------------------------------------------

SPREADSHEET_CONTAINERS = ("ods", "xlsx", "ole")


def open_workbook(path: Path):
    """A python-calamine workbook, after checking the bytes are a spreadsheet whatever the name says (GOV.UK
    has served HTML error pages under .ods names)."""
    from python_calamine import CalamineError, CalamineWorkbook

    container = sniff_container(path)
    if container not in SPREADSHEET_CONTAINERS:
        raise ParseError(path, f"expected a spreadsheet (.ods, .xlsx or .xls); found {container!r} content")
    if container == "ole" and ole_kind(path) != "xls":
        raise ParseError(path, f"expected an Excel 97 workbook; found an OLE container of kind {ole_kind(path)!r}")
    try:
        return CalamineWorkbook.from_path(str(path))
    except CalamineError as exc:
        raise ParseError(path, f"{container} container could not be read as a spreadsheet: {exc}") from exc


def real_sheet_names(workbook) -> list[str]:
    """Sheet names without LibreOffice's ghost external-link sheets, whose names start with an apostrophe
    (`'file:///...'#$Sheet1`): they cache another workbook's cells and are never the bulletin."""
    return [name for name in workbook.sheet_names if not name.startswith("'")]


def ghost_sheet_names(workbook) -> list[str]:
    return [name for name in workbook.sheet_names if name.startswith("'")]


def sheet_key(name: str) -> str:
    """'Headlines- PUBLISHED', 'Headlines-_PUBLISHED' and 'Headlines-PUBLISHED' -> 'headlinespublished'."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def cell_name(row: int, col: int) -> str:
    """(0, 0) -> 'A1'; (6, 2) -> 'C7'; (0, 26) -> 'AA1'."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return f"{letters}{row + 1}"


_TRAILING_MARKERS = re.compile(r"(\s*(\*+|†|‡|\(\d{1,2}\)|\[note \d+\]|[¹²³⁴⁵⁶⁷⁸⁹]|:))+$")


def normalise_label(text: str) -> str:
    """Lower case, single spaces, trailing footnote markers and colons dropped: labels are matched on this,
    so 'Useable Operational Capacity *' and 'Useable  operational capacity' are the same row."""
    text = re.sub(r"\s+", " ", str(text).replace("\xa0", " ")).strip().lower()
    return _TRAILING_MARKERS.sub("", text).strip()


# Cell contents that mean "no figure published" (MoJ accessible-spreadsheet symbols and older conventions).
NOT_PUBLISHED = {"[x]", "[c]", "[z]", "[u]", "[low]", "..", "...", "-", "–", "—", ":", "*", "x", "n/a", "na",
                 "data not available", "not available"}
_NUMBER_WITH_MARKER = re.compile(r"^(-?\d+(?:\.\d+)?)\s*(\*+|†|‡|\[[^\]]*\]|\([a-z0-9]{1,2}\)|[pre])?$", re.I)


class NotANumber(ValueError):
    """A cell that should hold a figure holds something else; the message says what."""


def parse_number(value) -> tuple[float, str | None]:
    """A figure from a cell, as (value, note). Empty -> (nan, None). A suppression symbol ('[x]', '..', '-',
    'Data not available') -> (nan, "not published: '..'"). A number with a footnote marker ('1,234*') -> the
    number and a note saying what was removed. Anything else raises NotANumber: never a silent 0."""
    if value is None or isinstance(value, bool):
        if value is None:
            return math.nan, None
        raise NotANumber(f"holds the boolean {value!r} where a number was expected")
    if isinstance(value, (int, float)):
        return (math.nan, None) if isinstance(value, float) and math.isnan(value) else (float(value), None)
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        raise NotANumber(f"holds the date/time {value!r} where a number was expected")
    text = re.sub(r"\s+", " ", str(value).replace("\xa0", " ")).strip()
    if not text:
        return math.nan, None
    if text.lower() in NOT_PUBLISHED:
        return math.nan, f"not published: {text!r}"
    match = _NUMBER_WITH_MARKER.match(re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text))
    if not match:
        raise NotANumber(f"holds {text!r} where a number was expected")
    number, marker = float(match.group(1)), match.group(2)
    return number, (f"footnote marker {marker!r} removed from {text!r}" if marker else None)


_MONTHS = {name: i for i, name in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], start=1)}
_MONTHS.update({name[:3]: i for name, i in list(_MONTHS.items())})
_MONTHS.update({"sept": 9, "jnauary": 1})  # 'Jnauary': a typo recorded in bulletin titles
_TEXT_DATE = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d{4})\b")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})\b")


def date_in_text(text: str) -> dt.date | None:
    """The first date written in text: '24 August 2026', '5 Sept 2025' or '23/03/2018' (day first)."""
    for match in _TEXT_DATE.finditer(text):
        month = _MONTHS.get(match.group(2).lower())
        if month:
            try:
                return dt.date(int(match.group(3)), month, int(match.group(1)))
            except ValueError:
                continue
    for match in _NUMERIC_DATE.finditer(text):
        day, month, year = (int(g) for g in match.groups())
        try:
            return dt.date(year + 2000 if year < 100 else year, month, day)
        except ValueError:
            continue
    return None


def as_date(value) -> dt.date | None:
    """A date cell's value as a date (calamine gives date for .xls, datetime for .ods)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return None


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and math.isnan(value))


@dataclass
class Sheet:
    """One sheet as a grid of cell values, with the file and sheet names every error must carry."""

    path: Path
    name: str
    rows: list[list]

    @classmethod
    def read(cls, path: Path, workbook, name: str) -> "Sheet":
        # skip_empty_area=False keeps leading empty rows and columns, so cell names are the real ones.
        rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        return cls(path, name, [list(r) for r in rows])

    def fail(self, message: str) -> ParseError:
        return ParseError(self.path, message, sheet=self.name)

    def value(self, row: int, col: int):
        cells = self.rows[row]
        return cells[col] if col < len(cells) else None

    def texts(self, row: int) -> list[tuple[int, str]]:
        """(column, stripped text) of every non-empty text cell in a row."""
        return [(c, v.strip()) for c, v in enumerate(self.rows[row]) if isinstance(v, str) and v.strip()]

    def label(self, row: int) -> tuple[int, str] | None:
        """The row's label: its first non-empty text cell, wherever it is."""
        texts = self.texts(row)
        return texts[0] if texts else None

    def is_blank_row(self, row: int) -> bool:
        return all(is_blank(v) for v in self.rows[row])

    def labels_between(self, start: int, stop: int) -> list[str]:
        return [lab[1] for r in range(start, stop) if (lab := self.label(r))]

    def number(self, row: int, col: int) -> tuple[float, str | None]:
        try:
            return parse_number(self.value(row, col))
        except NotANumber as exc:
            raise self.fail(f"cell {cell_name(row, col)} {exc}") from None


# --- Weekly bulletin ------------------------------------------------------------------------------------------

PERIODS = ("this_week", "last_week", "12_months_ago")

TABLE_COLUMNS = ["bulletin_date", "layout", "period", "reference_date", "measure", "group", "value", "note",
                 *PROVENANCE_COLUMNS]

# Row labels as published (matched after normalise_label); the A1 and A2 names of one series map to one measure.
MEASURE_LABELS: dict[str, tuple[str, ...]] = {
    "population": ("Population",),
    "male_population": ("Male population", "Population in male estate"),
    "female_population": ("Female population", "Population in female estate"),
    "useable_operational_capacity": ("Useable Operational Capacity",),
    "headroom": ("Headroom",),
    "hdc_caseload": ("Home Detention Curfew caseload",),
    "operating_margin": ("Operating Margin",),
}

# (measure, required) per block, by layout. HDC is optional: two A1 bulletins (2016-04-01, 2016-10-28) have
# no HDC figure in the third-party parse.
_THIS_WEEK_ROWS = {
    "A1": [("population", True), ("male_population", True), ("female_population", True),
           ("useable_operational_capacity", True), ("hdc_caseload", False)],
    "A2": [("population", True), ("male_population", True), ("female_population", True),
           ("useable_operational_capacity", True), ("operating_margin", False), ("hdc_caseload", False)],
    "B": [("population", True), ("useable_operational_capacity", True), ("headroom", True),
          ("hdc_caseload", False)],
}
_PREVIOUS_ROWS = {
    "A1": [("population", True), ("useable_operational_capacity", True)],
    "A2": [("population", True), ("useable_operational_capacity", True), ("operating_margin", False)],
    "B": [("population", True), ("useable_operational_capacity", True), ("headroom", False)],
}

# Column headers (normalised) -> group; the first pattern that matches names the group.
_GROUP_HEADERS = [
    (re.compile(r"^total$"), "total"),
    (re.compile(r"^this week$"), "total"),
    (re.compile(r"^prisons$"), "prisons"),
    (re.compile(r"\birc'?s?\b|immigration removal"), "irc"),
    (re.compile(r"^adult male"), "adult_male"),
    (re.compile(r"^female"), "female"),
    (re.compile(r"^(ycs|youth custody)"), "ycs"),
]
_LAYOUT_GROUPS = {
    "A1": {"total", "prisons", "irc"},
    "B": {"total", "adult_male", "female", "ycs"},
}
_MARGIN_TABLE_ROWS = {"overall estate": "total", "adult male": "adult_male", "female": "female", "ycs": "ycs"}

_A_SHEET_KEY = "headlines"
_B_SHEET_KEY = "data"


@dataclass
class _Block:
    """Rows [start, stop) of one period block, and which column holds which (period, group)."""

    name: str
    start: int
    stop: int
    columns: dict[int, tuple[str, str]]
    reference_date: dt.date | None


def _label_key(sheet: Sheet, row: int) -> str | None:
    label = sheet.label(row)
    return normalise_label(label[1]) if label else None


def _measure_keys(measure: str) -> set[str]:
    return {normalise_label(label) for label in MEASURE_LABELS[measure]}


def _bulletin_sheet(path: Path, workbook) -> str:
    names = real_sheet_names(workbook)
    candidates = [n for n in names if _A_SHEET_KEY in sheet_key(n) or sheet_key(n) == _B_SHEET_KEY]
    if len(candidates) != 1:
        found = "none" if not candidates else f"{len(candidates)} ({candidates})"
        raise ParseError(path, f"expected one sheet named 'Headlines- PUBLISHED' (layouts A1/A2) or 'Data' "
                               f"(layout B); matching sheets: {found}; sheets in the file: {names} "
                               f"(ghost external-link sheets ignored: {ghost_sheet_names(workbook)})")
    return candidates[0]


def identify(path: Path | str) -> bool:
    """True for a workbook with a `Headlines...` sheet, or a `Data` sheet labelling a row
    `Useable Operational Capacity` (`Data` alone is too common a sheet name to go on)."""
    path = Path(path)
    if sniff_container(path) not in SPREADSHEET_CONTAINERS:
        return False
    try:
        workbook = open_workbook(path)
        names = real_sheet_names(workbook)
        if any(_A_SHEET_KEY in sheet_key(n) for n in names):
            return True
        data = [n for n in names if sheet_key(n) == _B_SHEET_KEY]
        if not data:
            return False
        sheet = Sheet.read(path, workbook, data[0])
    except ParseError:
        return False
    uoc = _measure_keys("useable_operational_capacity")
    return any(_label_key(sheet, r) in uoc for r in range(min(len(sheet.rows), 80)))


def _group_columns(sheet: Sheet, row: int, skip_col: int | None = None) -> dict[int, tuple[str, str]]:
    """{column: (group, header text)} for the header cells of a row that name a column group."""
    found = {}
    for col, text in sheet.texts(row):
        if col == skip_col:
            continue
        key = normalise_label(text)
        group = next((g for rx, g in _GROUP_HEADERS if rx.search(key)), None)
        if group:
            found[col] = (group, text)
    return found


def _layout(sheet: Sheet, header_row: int, first_population: int) -> tuple[str, dict[int, tuple[str, str]]]:
    columns = _group_columns(sheet, header_row)
    groups = sorted(g for g, _ in columns.values())
    texts = [t for _, t in sheet.texts(header_row)]
    if len(groups) == len(set(groups)):
        if set(groups) == _LAYOUT_GROUPS["A1"]:
            return "A1", columns
        if set(groups) == _LAYOUT_GROUPS["B"]:
            return "B", columns
        if groups == ["total"] and normalise_label(next(iter(columns.values()))[1]) == "this week":
            return "A2", columns
    raise sheet.fail(
        f"unknown layout: the header row above the first 'Population' row (row {first_population + 1}) is row "
        f"{header_row + 1}, holding {texts}; expected Total / Prisons / NOMS (or HMPPS) Operated IRCs "
        f"(layout A1), This week (A2) or Total / Adult Male / Female / YCS (B)")


def _first_row(sheet: Sheet, keys: set[str], start: int, stop: int | None = None) -> int | None:
    stop = len(sheet.rows) if stop is None else stop
    return next((r for r in range(start, stop) if _label_key(sheet, r) in keys), None)


def _row_starting(sheet: Sheet, prefix: str, start: int) -> int | None:
    return next((r for r in range(start, len(sheet.rows))
                 if (key := _label_key(sheet, r)) and key.startswith(prefix)), None)


def _bulletin_date(sheet: Sheet, header_row: int) -> tuple[dt.date | None, str]:
    """The first date cell above the header row, else the first date written in text there."""
    for r in range(header_row):
        for c, v in enumerate(sheet.rows[r]):
            if (d := as_date(v)) is not None:
                return d, f"date cell {cell_name(r, c)}"
    for r in range(header_row):
        for c, text in sheet.texts(r):
            if (d := date_in_text(text)) is not None:
                return d, f"text {text!r} in {cell_name(r, c)}"
    return None, ""


def _blocks_a(sheet: Sheet, layout: str, header_row: int, first_pop: int,
              columns: dict[int, tuple[str, str]]) -> list[_Block]:
    """A1/A2: the this-week block, then one two-column block headed 'Last week' / '12 months ago'."""
    for r in range(first_pop + 1, len(sheet.rows)):
        keys = {normalise_label(t): c for c, t in sheet.texts(r)}
        if "last week" in keys and "12 months ago" in keys:
            previous = {keys["last week"]: ("last_week", "total"), keys["12 months ago"]: ("12_months_ago", "total")}
            return [_Block("this-week", header_row + 1, r, {c: ("this_week", g) for c, (g, _) in columns.items()},
                           None),
                    _Block("last week / 12 months ago", r + 1, len(sheet.rows), previous, None)]
    raise sheet.fail(f"layout {layout}: expected a row headed 'Last week' and '12 months ago' below the "
                     f"this-week block; labels found: {sheet.labels_between(first_pop, len(sheet.rows))}")


def _blocks_b(sheet: Sheet, header_row: int, first_pop: int,
              columns: dict[int, tuple[str, str]]) -> tuple[list[_Block], int]:
    """B: this week, then blocks headed 'Last Week: <date>' and '12 Months Ago: <date>' (with their own column
    headers if they repeat them, on the title row or the row below), then the operating-margin table.
    Returns the blocks and the row labelled 'Overall Estate'."""
    last_week = _row_starting(sheet, "last week", first_pop + 1)
    year_ago = _row_starting(sheet, "12 months ago", (last_week or first_pop) + 1)
    overall = _first_row(sheet, {"overall estate"}, (year_ago or first_pop) + 1)
    for row, what in ((last_week, "'Last Week: <date>'"), (year_ago, "'12 Months Ago: <date>'"),
                      (overall, "'Overall Estate' (operating-margin table)")):
        if row is None:
            raise sheet.fail(f"layout B: expected a row labelled {what} below the this-week block; labels "
                             f"found: {sheet.labels_between(first_pop, len(sheet.rows))}")
    heading = _row_starting(sheet, "operating margin", year_ago + 1)
    margin_table = heading if heading is not None and heading < overall else overall
    blocks = [_Block("this-week", header_row + 1, last_week, {c: ("this_week", g) for c, (g, _) in columns.items()},
                     None)]
    for row, stop, period in ((last_week, year_ago, "last_week"), (year_ago, margin_table, "12_months_ago")):
        label_col, label = sheet.label(row)
        own = _group_columns(sheet, row, skip_col=label_col)
        if not own and row + 1 < stop and (own := _group_columns(sheet, row + 1)):
            row += 1
        blocks.append(_Block(label, row + 1, stop, {c: (period, g) for c, (g, _) in (own or columns).items()},
                             date_in_text(label)))
    return blocks, overall


class _Collector:
    """Builds the tidy rows and remembers every value by (period, measure, group) for the checks."""

    def __init__(self, sheet: Sheet, layout: str):
        self.sheet, self.layout = sheet, layout
        self.rows: list[dict] = []
        self.values: dict[tuple[str, str, str], float] = {}

    def add(self, row: int, col: int, period: str, measure: str, group: str, reference_date):
        raw = self.sheet.value(row, col)
        if is_blank(raw):
            return  # an empty cell is not a published figure
        value, note = self.sheet.number(row, col)
        # A count below zero is a typo or a corrupt cell, never a published figure; only headroom (UOC minus
        # population) can go negative. Without this a population of -120 parsed as if it were real.
        if value < 0 and measure != "headroom":
            raise self.sheet.fail(f"cell {cell_name(row, col)}: {measure} ({group}, {period}) is {value:,.0f}; "
                                  "a count cannot be negative")
        self.values[(period, measure, group)] = value
        self.rows.append({"period": period, "reference_date": reference_date, "measure": measure, "group": group,
                          "value": value, "note": note, "source_file": self.sheet.path.name,
                          "sheet": self.sheet.name, "row_label": self.sheet.label(row)[1],
                          "cell": cell_name(row, col)})

    def read_block(self, block: _Block, wanted: list[tuple[str, bool]]):
        for measure, required in wanted:
            row = _first_row(self.sheet, _measure_keys(measure), block.start, block.stop)
            if row is None:
                if required:
                    raise self.sheet.fail(
                        f"layout {self.layout}: expected a row labelled "
                        f"{' or '.join(repr(x) for x in MEASURE_LABELS[measure])} in the {block.name} block "
                        f"(rows {block.start + 1}-{block.stop}); labels found there: "
                        f"{self.sheet.labels_between(block.start, block.stop)}")
                continue
            for col, (period, group) in sorted(block.columns.items()):
                self.add(row, col, period, measure, group, block.reference_date)


def _margin_table(collector: _Collector, sheet: Sheet, overall: int, bulletin_date: dt.date):
    """B's operating-margin table: 'Overall Estate', then 'Adult Male', 'Female', 'YCS' just below; each
    figure is the first non-empty cell to the right of its label."""
    for r in range(overall, min(overall + 6, len(sheet.rows))):
        label = sheet.label(r)
        group = _MARGIN_TABLE_ROWS.get(normalise_label(label[1])) if label else None
        if group is None:
            continue
        col = next((c for c in range(label[0] + 1, len(sheet.rows[r])) if not is_blank(sheet.value(r, c))), None)
        if col is None:
            raise sheet.fail(f"operating-margin table: row {r + 1} ({label[1]!r}) has no figure")
        collector.add(r, col, "this_week", "operating_margin", group, bulletin_date)


_PARTS = {"A1": ("prisons", "irc"), "A2": (), "B": ("adult_male", "female", "ycs")}


def _inconsistencies(values: dict[tuple[str, str, str], float], layout: str) -> list[str]:
    """Published arithmetic that does not add up (parts vs Total; headroom vs UOC - population); reported,
    not fixed, because the figures are MoJ's as published."""
    def known(*keys):
        found = [values.get(k, math.nan) for k in keys]
        return None if any(math.isnan(x) for x in found) else found

    parts, found = _PARTS[layout], []
    for period in PERIODS:
        for measure in ("population", "useable_operational_capacity", "headroom") if parts else ():
            got = known((period, measure, "total"), *((period, measure, g) for g in parts))
            if got and sum(got[1:]) != got[0]:
                found.append(f"{period} {measure}: {' + '.join(parts)} = {sum(got[1:]):,.0f} but Total = "
                             f"{got[0]:,.0f}")
        for group in ("total", *parts):
            got = known(*((period, m, group) for m in ("headroom", "useable_operational_capacity", "population")))
            if got and got[0] != got[1] - got[2]:
                found.append(f"{period} {group}: headroom {got[0]:,.0f} != UOC {got[1]:,.0f} - population "
                             f"{got[2]:,.0f}")
    return found


def parse(path: Path | str) -> Parsed:
    """One weekly bulletin -> Parsed(kind, tidy table with TABLE_COLUMNS, meta). Meta: layout, sheet,
    bulletin_date, bulletin_date_source, column_headers, operating_margin (None when not published),
    operating_margin_by_group (B), last_week_available, inconsistencies, ignored_sheets."""
    path = Path(path)
    workbook = open_workbook(path)
    sheet = Sheet.read(path, workbook, _bulletin_sheet(path, workbook))

    first_pop = _first_row(sheet, _measure_keys("population"), 0)
    if first_pop is None:
        raise sheet.fail(f"expected a row labelled 'Population'; labels found: "
                         f"{sheet.labels_between(0, len(sheet.rows))}")
    header_row = next((r for r in range(first_pop - 1, -1, -1) if not sheet.is_blank_row(r)), None)
    if header_row is None:
        raise sheet.fail(f"no header row above the first 'Population' row ({first_pop + 1})")
    layout, columns = _layout(sheet, header_row, first_pop)

    if layout == "B":
        blocks, overall = _blocks_b(sheet, header_row, first_pop, columns)
    else:
        blocks, overall = _blocks_a(sheet, layout, header_row, first_pop, columns), None

    bulletin_date, date_source = _bulletin_date(sheet, header_row)
    if bulletin_date is None and layout == "B" and blocks[1].reference_date is not None:
        bulletin_date, date_source = blocks[1].reference_date + dt.timedelta(days=7), "'Last Week' date + 7 days"
    if bulletin_date is None:
        raise sheet.fail(f"no bulletin date: no date cell or written date above the header row (row "
                         f"{header_row + 1})")
    # A bulletin dated after today is a mistyped year (or a corrupt date cell): reject it rather than publish a
    # figure for a week that has not happened.
    if bulletin_date > dt.date.today():
        raise sheet.fail(f"bulletin date {bulletin_date} (from {date_source}) is in the future")
    blocks[0].reference_date = bulletin_date

    collector = _Collector(sheet, layout)
    collector.read_block(blocks[0], _THIS_WEEK_ROWS[layout])
    for block in blocks[1:]:
        collector.read_block(block, _PREVIOUS_ROWS[layout])
    if overall is not None:
        _margin_table(collector, sheet, overall, bulletin_date)

    table = pd.DataFrame(collector.rows, columns=TABLE_COLUMNS[2:])
    table.insert(0, "layout", layout)
    table.insert(0, "bulletin_date", pd.Timestamp(bulletin_date))
    table["reference_date"] = pd.to_datetime(table["reference_date"])
    table["value"] = table["value"].astype(float)

    values = collector.values
    margins = {g: values[("this_week", "operating_margin", g)] for g in ("total", "adult_male", "female", "ycs")
               if ("this_week", "operating_margin", g) in values}
    last_week = table[table["period"] == "last_week"]
    meta = {
        "layout": layout,
        "sheet": sheet.name,
        "bulletin_date": bulletin_date,
        "bulletin_date_source": date_source,
        "column_headers": {g: t for g, t in columns.values()},
        "operating_margin": margins.get("total"),
        "operating_margin_by_group": margins if layout == "B" else {},
        "last_week_available": bool(last_week["value"].notna().any()),
        "inconsistencies": _inconsistencies(values, layout),
        "ignored_sheets": ghost_sheet_names(workbook),
    }
    return Parsed(KIND, table, meta)
