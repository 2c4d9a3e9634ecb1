"""Offender Management Statistics Quarterly (OMSQ): the licence-recall workbook ("Prison Licence Recalls:
January to March 2026"), into tidy quarterly recalls by type and by reason, and the recall population where the
workbook has it.

Not yet verified against a published file: no OMSQ recall workbook is on the build machines. Secondhand facts
(prisoncap's dump of the Jan-Mar 2026 cover and notes sheets, shared/research/data-sources.md section 2 and
processed-prisoncap/definitions_log.csv): the accessible-spreadsheet layout; data source PPUD; recall reasons do
not sum to the total (a recall can have several reasons); fixed-term and standard recalls before July 2025 are not
comparable with later figures (note 11: some recalls sat in an "Other" category); from 31 March 2026 a 56-day
fixed-term recall replaced the 14- and 28-day ones (note 12). The table numbers (5.Q.x) could not be checked, so
tables are found by their header labels, whatever the sheet is called. The header labels below are this
parser's assumption: the first live run must confirm them, and a different label fails loudly, naming it.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from .accessible import Table, Workbook, find_notes, find_table, label_key, parse_date, peek_text
from .base import PROVENANCE_COLUMNS, Parsed, ParseError

KIND = "omsq_licence_recalls"
RECOGNISES = "a first sheet whose title names licence recalls"  # what identify() looks for (registry errors)
VERIFIED_AGAINST_PUBLISHED_FILE = False

TITLE_PATTERN = re.compile(r"licen[cs]e recalls?", re.IGNORECASE)
QUARTER_LABEL = "Quarter"
DATE_LABEL = "Date"

# Printed header -> measure. Required columns first; the optional ones appear only in some editions.
BY_TYPE = {
    "Total recalls": "total",
    "Standard recalls": "standard",
    "Fixed term recalls (14 days)": "fixed_term_14",
    "Fixed term recalls (28 days)": "fixed_term_28",
}
BY_TYPE_OPTIONAL = {
    "Fixed term recalls (56 days)": "fixed_term_56",  # from 31 March 2026 (note 12)
    "Other recalls": "other",  # recalls recorded as emergency with no type, before July 2025 (note 11)
}
BY_REASON = {
    "Total recalls": "total",
    "Charged with a further offence": "further_offence",
    "Failure to keep in touch": "failure_to_keep_in_touch",
    "Failure to reside": "failure_to_reside",
    "Non-compliance": "non_compliance",
    "Drugs or alcohol": "drugs_or_alcohol",
    "Poor behaviour": "poor_behaviour",
    "Other reason": "other",
}
POPULATION = {"Recall population": "recall_population"}

# Series breaks announced on the notes sheet. Note numbers change between editions, so the note is found by
# its text; `date` is when the break takes effect, `measures` the series it affects.
SERIES_BREAKS = {
    "recall_type_composition": {
        "date": "2025-07-01",
        "measures": ["standard", "fixed_term_14", "fixed_term_28", "other"],
        "patterns": [r"July 2025", r"comparable"],
    },
    "fixed_term_recall_56_days": {
        "date": "2026-03-31",
        "measures": ["fixed_term_14", "fixed_term_28", "fixed_term_56"],
        "patterns": [r"56[- ]day", r"31 March 2026"],
    },
}

COLUMNS = ["table", "period_start", "period_end", "measure", "value", "marker", "revised", "notes",
           *PROVENANCE_COLUMNS]

_MONTH_ABBR = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def identify(path: Path | str) -> bool:
    """A spreadsheet whose first sheet's title names licence recalls."""
    text = peek_text(path)
    return bool(text and TITLE_PATTERN.search(text))


def parse_quarter(text: str) -> tuple[dt.date, dt.date]:
    """'Jan to Mar 2026', 'January to March 2026', 'Jan-Mar 2026', 'Q1 2026' or '2026 Q1' -> (first day, last
    day). Raises ValueError for anything else, including a span that is not a calendar quarter."""
    key = label_key(text)
    m = re.fullmatch(r"([a-z]+)\s*(?:to|-)\s*([a-z]+)\s+(\d{4})", key)
    if m and m.group(1)[:3] in _MONTH_ABBR and m.group(2)[:3] in _MONTH_ABBR:
        first, last = _MONTH_ABBR.index(m.group(1)[:3]) + 1, _MONTH_ABBR.index(m.group(2)[:3]) + 1
        if first % 3 != 1 or last != first + 2:
            raise ValueError(f"{text!r} is not a calendar quarter")
        year = int(m.group(3))
    else:
        m = re.fullmatch(r"q([1-4])\s+(\d{4})|(\d{4})\s*q([1-4])", key)
        if not m:
            raise ValueError(f"expected a quarter such as 'Jan to Mar 2026' or '2026 Q1', found {text!r}")
        q, year = (int(m.group(1)), int(m.group(2))) if m.group(1) else (int(m.group(4)), int(m.group(3)))
        first = 3 * q - 2
    start = dt.date(year, first, 1)
    end = (dt.date(year + (first == 10), (first + 3 - 1) % 12 + 1, 1)) - dt.timedelta(days=1)
    return start, end


def parse(path: Path | str) -> Parsed:
    """Tidy rows (COLUMNS): `table` is recalls_by_type, recalls_by_reason or recall_population; quarterly
    rows have period_start/period_end the quarter's first and last day, population rows both equal to the
    snapshot date. Meta: title, notes {number: text}, series_breaks found on the notes sheet, and per table its
    sheet, title, header notes and revised columns."""
    book = Workbook(path)
    title = book.title(book.sheet_names[0])
    if not TITLE_PATTERN.search(book.text(book.sheet_names[0])):
        raise ParseError(path, f"first sheet {book.sheet_names[0]!r} does not name licence recalls; its title is "
                         f"{title!r}")
    notes = book.notes()
    frames, tables = [], {}
    for name, required, optional in (("recalls_by_type", BY_TYPE, BY_TYPE_OPTIONAL),
                                     ("recalls_by_reason", BY_REASON, {})):
        table = find_table(book, [QUARTER_LABEL, *required], list(optional), what=name)
        frames.append(_quarterly(table, name, {**required, **optional}))
        tables[name] = _table_meta(table, {**required, **optional})
    population = find_table(book, [DATE_LABEL, *POPULATION], what="recall_population", must_exist=False)
    if population is not None:
        frames.append(_population(population))
        tables["recall_population"] = _table_meta(population, POPULATION)
    breaks = []
    for key, spec in SERIES_BREAKS.items():
        for number, text in find_notes(notes, *spec["patterns"]).items():
            breaks.append({"break": key, "date": spec["date"], "measures": spec["measures"], "note": number,
                           "text": text})
    meta = {
        "title": title,
        "notes": notes,
        "series_breaks": breaks,
        "tables": tables,
        "reasons_sum_to_total": False,
        "verified_against_published_file": VERIFIED_AGAINST_PUBLISHED_FILE,
    }
    return Parsed(KIND, pd.concat(frames, ignore_index=True)[COLUMNS], meta)


def _quarterly(table: Table, name: str, measures: dict[str, str]) -> pd.DataFrame:
    cells = table.cells([QUARTER_LABEL], measures, convert={QUARTER_LABEL: _quarter_span})
    spans = cells.pop(QUARTER_LABEL)
    return cells.assign(table=name, period_start=[s[0] for s in spans], period_end=[s[1] for s in spans])


def _population(table: Table) -> pd.DataFrame:
    cells = table.cells([DATE_LABEL], POPULATION, convert={DATE_LABEL: _month_end_date})
    dates = list(cells.pop(DATE_LABEL))
    return cells.assign(table="recall_population", period_start=dates, period_end=dates)


def _quarter_span(text: object) -> tuple[str, str]:
    if not isinstance(text, str):
        raise ValueError(f"expected a quarter such as 'Jan to Mar 2026', found {text!r}")
    start, end = parse_quarter(text)
    return start.isoformat(), end.isoformat()


def _month_end_date(raw: object) -> str:
    """Population dates; a month with no day ('Jun-09', as PRT's copy prints them) is that month's end."""
    return parse_date(raw, month_only=True).isoformat()


def _table_meta(table: Table, measures: dict[str, str]) -> dict:
    return {
        "sheet": table.sheet,
        "title": table.title,
        "header_notes": {measures.get(k, k): list(v) for k, v in table.header_notes.items()},
        "revised_columns": [measures.get(k, k) for k in table.revised_columns],
    }
