"""The MoJ/NOMS monthly per-establishment bulletin, January 2011 to May 2016 (Word .doc, .docx or RTF).

One row per establishment: Baseline CNA, In Use CNA, operational capacity and population, as printed, with
the line of the extracted text each came from. The layout (see research/data-sources.md, section 1b):

    Report Date:  29/01/2016  Page  1
      Prison Name  Baseline   In Use CNA  Operational  Population *  % Pop to In   % Accommodation
                   CNA                    Capacity                   Use CNA       Available
    Altcourse      794        794         1,033        1,032         130%          100%
    Blantyre House 122        0           0                                        0%
    ...
    Sub total      78,949     76,250      88,997       84,718        111%          97%
    NOMS Operated Immigration Removal Centres (IRCs)
    Morton Hall (IRC) 392 ...
    Sub total ...
    Total          79,911     77,212      87,969   **  85,461        111%          97%

The header (two lines) and the 'Report Date' line repeat at each page break. Jan and Feb 2011 have no
Total row but a summary block ('Total Baseline CNA  80,093', ..., 'Total Population  84,145').

Rows are read by value, not by position: closed or emptied establishments print only some cells, and the
missing ones are blank in the document with no tab left for them. The whole numbers always come first and in
column order (Baseline CNA, In Use CNA, operational capacity, population), so k numbers fill the first k
columns; a lone percentage is identified by recomputing both ratios (in_use/baseline, population/in_use).
The totals check then confirms the reading: any misplaced cell would break an exact sum.

The Total row's operational-capacity cell is the estate's *useable* operational capacity (UOC): the sum of
the establishments' operational capacity less the operating margin stated in the footnotes ('less 2000
places'). parse() checks every total against the rows and fails, naming the file, the measure, the sum and
the published figure. Percentages are kept as printed; where one disagrees with the ratio of the row's own
figures (a publisher slip, e.g. Lindholme's '12%' in May 2011) it is listed in meta, not corrected.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .base import ParseError, Parsed
from .prison_names import PrisonNames, UnknownPrisonName
from .wordtext import read_word_text

KIND = "legacy_monthly"
RECOGNISES = "a Word 97, RTF or docx monthly bulletin, 2011-2016"  # what identify() looks for
# Checked on all 50 published files (tests/test_legacy_monthly.py): every total reconciles.
VERIFIED_AGAINST_PUBLISHED_FILE = True

COUNT_COLUMNS = ["baseline_cna", "in_use_cna", "op_cap", "population"]
PERCENT_COLUMNS = ["pct_pop_to_in_use_cna", "pct_accommodation_available"]
TABLE_COLUMNS = (["report_date", "bulletin_month", "section", "establishment", "prison_key", "prison_name"]
                 + COUNT_COLUMNS + PERCENT_COLUMNS + ["source_file", "sheet", "row_label", "cell"])

_REPORT_DATE = re.compile(r"^\s*Report Date:\s+(\d{2})/(\d{2})/(\d{4})\s+Page\s+\d+\s*$")
_TITLE = re.compile(r"^\s*Monthly Bulletin\s+-\s+([A-Z][a-z]+)\s+(\d{4})\s*$")
_HEADER_1 = re.compile(r"Prison Name\s+Baseline\b.*\bIn Use CNA\s+Operational\s+Population\b.*% Pop to.*"
                       r"% Accommodation")
_HEADER_2 = re.compile(r"^\s*(CNA\s+)?Capacity\s+(In )?Use CNA\s+Available\s*$")
_IRC_HEADING = re.compile(r"^\s*NOMS Operated Immigration Removal Centres \(IRCs\)\s*$")
_SUBTOTAL = re.compile(r"^sub\s*total$", re.IGNORECASE)
_MARGIN = re.compile(r"sum of all establishments\W{1,3}\s*operational capacity less ([\d,]+) places")
_INTEGER = re.compile(r"^(\d{1,3}(?:,\d{3})+|\d+)(\*\*)?$")
_PERCENT = re.compile(r"^(\d+)%$")
_MARKER = "**"  # the Total row's note that its op-cap figure is useable operational capacity

# Summary block of Jan and Feb 2011: label -> measure. 'Total Useable' continues on the next line as
# 'Operational Capacity **'.
_SUMMARY_LABELS = {
    "Total Baseline CNA": "baseline_cna",
    "Total In Use CNA": "in_use_cna",
    "Total Useable": "uoc",
    "Total Population": "population",
    "% Population to In Use CNA": "pct_pop_to_in_use_cna",
    "Total % Accommodation Available": "pct_accommodation_available",
    "Total Out of Use Accommodation": "out_of_use",
}
_SUMMARY_REQUIRED = ("baseline_cna", "in_use_cna", "uoc", "population")


@dataclass
class _Row:
    """One table line: its label as printed (continuation lines joined) and its cells."""

    label: str
    line: int
    counts: list[int]
    percents: list[int]
    marker: str  # "", "separate" ('**' as its own cell) or "glued" ('87,690**')
    section: str


@dataclass
class _Table:
    establishments: list[_Row] = field(default_factory=list)
    subtotals: list[_Row] = field(default_factory=list)
    total: dict = field(default_factory=dict)
    total_line: int = 0
    total_layout: str = ""


def identify(path: Path | str) -> bool:
    """True when the file is a Word/RTF document whose first lines carry the bulletin's title and report
    date. Reads the text once; does not parse the table."""
    try:
        lines = read_word_text(path).lines[:10]
    except ParseError:
        return False
    return any(_TITLE.match(line) for line in lines) and any(_REPORT_DATE.match(line) for line in lines)


# The establishment names printed in a bulletin are resolved to prison keys with the project's register and
# alias table, which the caller loads from its config (a parser never reads the config by itself).
NEEDS_PRISON_NAMES = True


def parse(path: Path | str, names: PrisonNames | None = None) -> Parsed:
    """The establishments of one bulletin, checked against the bulletin's own totals.

    `names` resolves printed names to prison keys (prison_names.load_prison_names(config)); it is required.
    """
    path = Path(path)
    if names is None:
        raise TypeError("legacy_monthly.parse needs the prison names (prison_names.load_prison_names(config))")
    text = read_word_text(path)
    report_date, title = _report_date_and_title(path, text.lines)
    table = _read_table(path, text.lines)
    margin, margin_line = _operating_margin(path, text.lines)
    frame = _establishment_frame(path, report_date, table.establishments, names)
    sums = {col: int(frame[col].sum()) for col in COUNT_COLUMNS}
    checks = _check_totals(path, table, sums, margin)
    printed_rows = [(r["row_label"], r["cell"], r) for r in frame.to_dict("records")]
    printed_rows += [(sub.label, f"line {sub.line}", {**dict(zip(COUNT_COLUMNS, sub.counts)),
                                                      **dict(zip(PERCENT_COLUMNS, sub.percents))})
                     for sub in table.subtotals]
    printed_rows.append(("Total", f"line {table.total_line}", table.total))
    meta = {
        "report_date": report_date.isoformat(),
        "bulletin_month": report_date.strftime("%Y-%m"),
        "title": title,
        "container": text.container,
        "total": table.total,
        "total_cell": f"line {table.total_line}",
        "total_layout": table.total_layout,
        "operating_margin": margin,
        "operating_margin_cell": f"line {margin_line}",
        "sums": sums,
        "checks": checks,
        "percent_inconsistencies": [gap for label, cell, values in printed_rows
                                    for gap in _percent_gaps(label, cell, values)],
        "establishments": len(frame),
    }
    return Parsed(kind=KIND, table=frame, meta=meta)


def _establishment_frame(path: Path, report_date: dt.date, rows: list[_Row], names: PrisonNames) -> pd.DataFrame:
    records = []
    for row in rows:
        try:
            name = names.resolve(row.label)
        except UnknownPrisonName as e:
            raise ParseError(path, f"line {row.line}: {e}") from None
        counts = dict(zip(COUNT_COLUMNS, row.counts))
        records.append({
            "report_date": report_date.isoformat(),
            "bulletin_month": report_date.strftime("%Y-%m"),
            "section": row.section,
            "establishment": row.label.replace("*", "").strip(),  # without footnote markers ('Hatfield***')
            "prison_key": name.key,
            "prison_name": name.display,
            **{col: counts.get(col) for col in COUNT_COLUMNS},
            **_assign_percents(path, row),
            "source_file": path.name,
            "sheet": "",
            "row_label": row.label,
            "cell": f"line {row.line}",
        })
    frame = pd.DataFrame(records, columns=TABLE_COLUMNS)
    for col in COUNT_COLUMNS + PERCENT_COLUMNS:
        frame[col] = frame[col].astype("Int64")
    duplicated = frame[frame.duplicated("prison_key", keep=False)]
    if not duplicated.empty:
        raise ParseError(path, "rows resolve to the same prison key: "
                         + ", ".join(f"{r.row_label!r} ({r.cell}) -> {r.prison_key!r}" for r in duplicated.itertuples()))
    return frame


def _report_date_and_title(path: Path, lines: list[str]) -> tuple[dt.date, str]:
    """The date on every 'Report Date:' line (they must agree) and the bulletin title, whose month must be
    the report date's month: the file name is not trusted (july2012.docx is the June 2012 bulletin)."""
    dates = set()
    for line in lines:
        match = _REPORT_DATE.match(line)
        if match:
            day, month, year = (int(g) for g in match.groups())
            try:
                dates.add(dt.date(year, month, day))
            except ValueError:
                raise ParseError(path, f"'Report Date:' {match.group(0).strip()!r} is not a date") from None
    if not dates:
        raise ParseError(path, "no 'Report Date: dd/mm/yyyy ... Page N' line")
    if len(dates) > 1:
        raise ParseError(path, f"'Report Date:' lines disagree: {sorted(d.isoformat() for d in dates)}")
    report_date = dates.pop()
    titles = [m for m in (_TITLE.match(line) for line in lines) if m]
    if not titles:
        raise ParseError(path, "no title line 'Monthly Bulletin - <Month> <yyyy>'")
    month_name, year = titles[0].group(1), int(titles[0].group(2))
    if (month_name, year) != (calendar.month_name[report_date.month], report_date.year):
        raise ParseError(path, f"title {titles[0].group(0).strip()!r} disagrees with report date {report_date}")
    return report_date, titles[0].group(0).strip()


def _read_table(path: Path, lines: list[str]) -> _Table:
    """Walk the lines from the first header to the Total row (or the Jan/Feb 2011 summary block)."""
    start = next((i for i, line in enumerate(lines) if _HEADER_1.search(line)), None)
    if start is None:
        raise ParseError(path, "no table header line 'Prison Name  Baseline  In Use CNA  Operational  "
                         "Population *  % Pop to In Use CNA  % Accommodation Available'")
    table = _Table()
    section = "prison"
    previous: _Row | None = None  # the establishment row a wrapped name would continue
    after_subtotal = False
    i = start
    while i < len(lines):
        line, number = lines[i], i + 1
        i += 1
        if not line.strip() or _REPORT_DATE.match(line):
            continue
        if _HEADER_1.search(line):  # at the top and after every page break
            i = _skip_blank(lines, i)
            if i == len(lines) or not _HEADER_2.match(lines[i]):
                raise ParseError(path, f"line {number}: the header's second line ('CNA  Capacity  Use CNA  "
                                 "Available') does not follow")
            i += 1
            continue
        if _IRC_HEADING.match(line):
            if section == "irc":
                raise ParseError(path, f"line {number}: a second immigration removal centre heading")
            section, previous, after_subtotal = "irc", None, False
            continue
        if line.strip().startswith("Total Baseline CNA"):
            table.total, table.total_line = _summary_block(path, lines, i - 1), number
            table.total_layout = "summary block"
            return table
        label, cells = _split_label(line)
        if not cells:
            if previous is not None and _continues_label(previous.label, label):
                previous.label = f"{previous.label} {label}"
                continue
            if after_subtotal:
                raise ParseError(path, f"line {number}: expected the 'Total' row after the Sub total on line "
                                 f"{table.subtotals[-1].line}; found {_shown(line)!r}")
            raise ParseError(path, f"line {number}: cannot interpret {_shown(line)!r} inside the table (not an "
                             "establishment row, a heading or a page header)")
        row = _parse_row(path, number, label, cells, section)
        if row.label == "Total":
            _check_full(path, row, "Total")
            table.total = {**dict(zip(["baseline_cna", "in_use_cna", "uoc", "population"], row.counts)),
                           **dict(zip(PERCENT_COLUMNS, row.percents))}
            table.total_line, table.total_layout = number, f"Total row, marker {row.marker or 'absent'}"
            return table
        if _SUBTOTAL.match(row.label):
            _check_full(path, row, "Sub total")
            table.subtotals.append(row)
            previous, after_subtotal = None, True
            continue
        if row.marker:
            raise ParseError(path, f"line {number}: '**' in establishment row {label!r}")
        table.establishments.append(row)
        previous, after_subtotal = row, False
    raise ParseError(path, "no 'Total' row and no 'Total Baseline CNA' summary block after the table")


def _skip_blank(lines: list[str], i: int) -> int:
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i


def _split_label(line: str) -> tuple[str, list[str]]:
    """('Elmley (Sheppey)', ['943', '943', '1,229', ...]): the trailing run of number-like tokens are the
    cells (some files separate cells with spaces, not tabs); the rest, spaces collapsed, is the label."""
    tokens = line.split()
    k = len(tokens)
    while k > 0 and (_INTEGER.match(tokens[k - 1]) or _PERCENT.match(tokens[k - 1]) or tokens[k - 1] == _MARKER):
        k -= 1
    return " ".join(tokens[:k]), tokens[k:]


def _continues_label(previous: str, text: str) -> bool:
    """'Swaleside' + '(Sheppey Cluster)' or 'Standford Hill (Sheppey' + 'Cluster)': a name wrapped onto a
    line of its own, recognised by its brackets."""
    return text.startswith("(") or previous.count("(") > previous.count(")")


def _shown(line: str) -> str:
    """A line for an error message: fields separated by single spaces."""
    return " ".join(line.split())


def _parse_row(path: Path, number: int, label: str, cells: list[str], section: str) -> _Row:
    """Whole numbers first (1 to 4, in column order), then 0-2 percentages; '**' after op cap only."""
    if not label or re.search(r"\d", label):
        raise ParseError(path, f"line {number}: cannot interpret {_shown(label + ' ' + ' '.join(cells))!r}: "
                         "expected a name, then the figures")
    counts: list[int] = []
    percents: list[int] = []
    marker = ""
    for cell in cells:
        integer, percent = _INTEGER.match(cell), _PERCENT.match(cell)
        if cell == _MARKER and len(counts) == 3 and not marker and not percents:
            marker = "separate"
        elif integer and not percents and len(counts) < 4:
            if integer.group(2):
                if len(counts) != 2 or marker:
                    raise ParseError(path, f"line {number}: '**' glued to a cell other than op cap in {label!r}")
                marker = "glued"
            counts.append(int(integer.group(1).replace(",", "")))
        elif percent and len(percents) < 2:
            percents.append(int(percent.group(1)))
        else:
            raise ParseError(path, f"line {number}: cannot interpret the cells {cells} of {label!r} (expected up "
                             "to 4 whole numbers, then up to 2 percentages)")
    return _Row(label, number, counts, percents, marker, section)


def _check_full(path: Path, row: _Row, what: str) -> None:
    if len(row.counts) != 4:
        raise ParseError(path, f"line {row.line}: the {what} row has {len(row.counts)} of the 4 figures "
                         "(Baseline CNA, In Use CNA, operational capacity, population)")


def _assign_percents(path: Path, row: _Row) -> dict[str, int | None]:
    """Both percentages, or the one printed. A lone percentage is the ratio it equals (to within rounding):
    closed establishments print only '% Accommodation Available' (In Use / Baseline)."""
    out: dict[str, int | None] = dict.fromkeys(PERCENT_COLUMNS)
    if len(row.percents) == 2:
        return dict(zip(PERCENT_COLUMNS, row.percents))
    if not row.percents:
        return out
    value = row.percents[0]
    counts = dict(zip(COUNT_COLUMNS, row.counts))
    ratios = {
        "pct_pop_to_in_use_cna": _ratio(counts.get("population"), counts.get("in_use_cna")),
        "pct_accommodation_available": _ratio(counts.get("in_use_cna"), counts.get("baseline_cna")),
    }
    matches = [col for col, ratio in ratios.items() if ratio is not None and abs(ratio - value) <= 1]
    if len(matches) != 1:
        raise ParseError(path, f"line {row.line}: cannot tell which column the lone percentage {value}% of "
                         f"{row.label!r} belongs to (ratios {ratios})")
    out[matches[0]] = value
    return out


def _ratio(numerator: int | None, denominator: int | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator * 100


def _summary_block(path: Path, lines: list[str], start: int) -> dict:
    """Jan/Feb 2011: 'Total Baseline CNA 80,093 | % Population to In Use CNA 109%', ..., 'Total Population
    84,145'. Label and value alternate across the tab-separated fields."""
    found: dict[str, int] = {}
    i = start
    while i < len(lines) and "population" not in found:
        fields = [f.strip() for f in lines[i].split("\t") if f.strip()]
        if fields[:1] == ["Operational Capacity"]:  # continuation of 'Total Useable'
            fields = fields[2:] if fields[1:2] == [_MARKER] else fields[1:]
        for label, value in zip(fields[::2], fields[1::2]):
            number = _INTEGER.match(value) or _PERCENT.match(value)
            if label not in _SUMMARY_LABELS or not number:
                raise ParseError(path, f"line {i + 1}: cannot interpret {label!r} = {value!r} in the summary block")
            found[_SUMMARY_LABELS[label]] = int(number.group(1).replace(",", ""))
        i += 1
    missing = [label for label, key in _SUMMARY_LABELS.items() if key in _SUMMARY_REQUIRED and key not in found]
    if missing:
        raise ParseError(path, f"summary block from line {start + 1}: labels {missing} not found")
    return found


def _operating_margin(path: Path, lines: list[str]) -> tuple[int, int]:
    """The stated margin ('... operational capacity less 2000 places') and the line of its first statement;
    the footnote and the definitions page must agree."""
    stated = [(int(m.group(1).replace(",", "")), n) for n, line in enumerate(lines, start=1)
              if (m := _MARGIN.search(line))]
    if not stated:
        raise ParseError(path, "no statement of the operating margin ('sum of all establishments' operational "
                         "capacity less N places')")
    if len({margin for margin, _ in stated}) > 1:
        raise ParseError(path, f"the operating margin is stated differently: {stated}")
    return stated[0]


def _check_totals(path: Path, table: _Table, sums: dict[str, int], margin: int) -> list[dict]:
    """Sum of the rows vs the published total, per measure: Baseline CNA, In Use CNA and population exactly;
    published UOC = sum of op cap minus the margin (and, in Jan/Feb 2011, out of use = Baseline - In Use).
    Each Sub total is checked against its section's rows: its op-cap cell is the plain sum, except where
    '**' is glued to it (Mar-Apr 2011), which marks the sum less the margin. (May-Jul 2011 print '**' as a
    cell of its own on the Sub total row, but that Sub total is the plain sum.) A mismatch raises."""
    expected = {"baseline_cna": sums["baseline_cna"], "in_use_cna": sums["in_use_cna"],
                "uoc": sums["op_cap"] - margin, "population": sums["population"]}
    checks = []
    for measure, value in expected.items():
        checks.append(_check(path, "Total", measure, value, table.total[measure]))
    if table.total.get("out_of_use") is not None:
        checks.append(_check(path, "Total", "out_of_use",
                             table.total["baseline_cna"] - table.total["in_use_cna"], table.total["out_of_use"]))
    for sub in table.subtotals:
        rows = [r for r in table.establishments if r.section == sub.section]
        for k, measure in enumerate(COUNT_COLUMNS):
            value = sum(r.counts[k] for r in rows if len(r.counts) > k)
            if measure == "op_cap" and sub.marker == "glued":
                value -= margin
            checks.append(_check(path, f"Sub total ({sub.section}, line {sub.line})", measure,
                                 value, sub.counts[k]))
    return checks


def _check(path: Path, row: str, measure: str, computed: int, published: int) -> dict:
    if computed != published:
        raise ParseError(path, f"{row} {measure}: the rows give {computed:,}, the bulletin prints {published:,}")
    return {"row": row, "measure": measure, "computed": computed, "published": published}


def _percent_gaps(label: str, cell: str, values: dict) -> list[dict]:
    """Printed percentages more than a point away from the ratio of the same row's printed figures."""
    gaps = []
    for column, numerator, denominator in (("pct_pop_to_in_use_cna", "population", "in_use_cna"),
                                           ("pct_accommodation_available", "in_use_cna", "baseline_cna")):
        printed = values.get(column)
        ratio = _ratio(values.get(numerator), values.get(denominator))
        if printed is not None and ratio is not None and abs(ratio - printed) > 1:
            gaps.append({"row_label": label, "cell": cell, "column": column, "printed": printed,
                         "computed": round(ratio, 1)})
    return gaps
