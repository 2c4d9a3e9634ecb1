"""Prison population projections (MoJ, annual editions 2008-2015 to 2025-2030): the headline table of an
edition, into tidy rows (edition, scenario, ref_date, measure, value).

The headline sheet is called `A1`, `Table A1`, `Table 1.1` or `Table_1_1` depending on the edition, and its
labels mean different things in different editions ("Scenario 2" is central in 2012-2018 and 2013-2019 but high
in 2014-2020), so nothing is guessed: the edition (given, or read from the workbook's title) is looked up in
projection_editions.EDITIONS, which names the sheet, the layout, the reference month and the meaning of every
label, and an edition not in it is a ParseError. Three layouts: scenario columns of totals (to 2014-2020); one
central path by custody type (2015-2021 to 2021-2026; low/high are in a separate table, not read); custody type
by scenario (2022-2027 onward). From 2017-2022 the first row is an outturn (scenario `actual`). The reference
month moves between editions, so rows carry their published date and every date must fall in the edition's
reference month. Custody types are rounded separately and need not add up to the total; no sum is checked.

Not yet verified against a published file: no projections workbook is on the build machines. Secondhand
facts and assumptions are listed in projection_editions.py.
"""
from __future__ import annotations

import calendar
import re
from pathlib import Path

from .accessible import Workbook, label_key, locate_table, parse_date, peek_text
from .base import PROVENANCE_COLUMNS, Parsed, ParseError
from .projection_editions import (CUSTODY_CENTRAL, CUSTODY_SCENARIOS, EDITIONS, SCENARIO_COLUMNS, EditionLayout,
                                  edition_layout)

KIND = "prison_population_projections"
# What identify() looks for, for the registry's "no parser recognises this file" message.
RECOGNISES = "a first or headline sheet titled 'Prison Population Projections ...'"
VERIFIED_AGAINST_PUBLISHED_FILE = False

TITLE_PATTERN = re.compile(r"prison population projections?", re.IGNORECASE)
EDITION_PATTERN = re.compile(r"projections?\b\D{0,40}?((?:19|20)\d\d)\s*(?:to|-|\u2013|\u2014)\s*((?:19|20)\d\d)",
                             re.IGNORECASE)
DATE_LABEL = "Date"
SCENARIO_LABEL = "Scenario"
HEADLINE_SHEETS = sorted({e.sheet for e in EDITIONS.values()})
COLUMNS = ["edition", "scenario", "ref_date", "measure", "value", "marker", "revised", "notes", "label",
           *PROVENANCE_COLUMNS]


def identify(path: Path | str) -> bool:
    """A spreadsheet whose first sheet, or a headline sheet, has a title naming prison population projections."""
    text = peek_text(path, sheets=HEADLINE_SHEETS)
    return bool(text and TITLE_PATTERN.search(text))


def edition_from_title(book: Workbook) -> str | None:
    """'Prison Population Projections 2024 to 2029' (on the first sheet or a headline sheet) -> '2024-2029'."""
    for sheet in dict.fromkeys([book.sheet_names[0], *(s for s in HEADLINE_SHEETS if s in book.sheet_names)]):
        m = EDITION_PATTERN.search(book.text(sheet))
        if m:
            return f"{m.group(1)}-{m.group(2)}"
    return None


def parse(path: Path | str, edition: str | None = None) -> Parsed:
    """Tidy rows (COLUMNS) of the edition's headline table. `label` is the printed heading the value sat under
    (a scenario label or a custody type); meta has the edition's layout, reference month, base date, quirks
    and the workbook's notes."""
    book = Workbook(path)
    titled = edition_from_title(book)
    if edition is None:
        if titled is None:
            raise ParseError(path, "no edition given and no title such as 'Prison Population Projections 2024 to "
                             f"2029' found; first sheet {book.sheet_names[0]!r} has the title "
                             f"{book.title(book.sheet_names[0])!r}")
        edition = titled
    elif titled is not None and titled != edition:
        raise ParseError(path, f"edition {edition!r} was asked for but the workbook's title names {titled!r}")
    try:
        spec = edition_layout(edition)
    except KeyError as e:
        raise ParseError(path, e.args[0]) from None
    if spec.sheet not in book.sheet_names:
        raise ParseError(path, f"edition {edition}: expected the headline table on sheet {spec.sheet!r}; sheets "
                         f"found: {book.sheet_names}")
    reader = {SCENARIO_COLUMNS: _scenario_columns, CUSTODY_CENTRAL: _custody_central,
              CUSTODY_SCENARIOS: _custody_scenarios}[spec.layout]
    table, cells = reader(book, spec)
    cells = cells.assign(edition=edition)[COLUMNS]
    meta = {
        "edition": edition,
        "layout": spec.layout,
        "sheet": spec.sheet,
        "table_title": table.title,
        "ref_month": spec.ref_month,
        "base_date": cells["ref_date"].min(),
        "first_row_actual": spec.first_row_actual,
        "quirks": list(spec.quirks),
        "header_notes": {k: list(v) for k, v in table.header_notes.items()},
        "notes": book.notes(),
        "verified_against_published_file": VERIFIED_AGAINST_PUBLISHED_FILE,
    }
    return Parsed(KIND, cells.reset_index(drop=True), meta)


def _ref_date(spec: EditionLayout):
    """A date-cell converter that also checks the edition's reference month (a date in another month means the
    edition table and the file disagree)."""
    def convert(raw: object) -> str:
        date = parse_date(raw)
        if date.month != spec.ref_month:
            raise ValueError(f"date {date} is not in edition {spec.edition}'s reference month "
                             f"({calendar.month_name[spec.ref_month]})")
        return date.isoformat()
    return convert


def _scenario_columns(book: Workbook, spec: EditionLayout):
    table = locate_table(book, spec.sheet, [DATE_LABEL, *spec.scenario_labels])
    cells = table.cells([DATE_LABEL], spec.scenario_labels, convert={DATE_LABEL: _ref_date(spec)})
    cells = cells.rename(columns={DATE_LABEL: "ref_date", "measure": "scenario"}).assign(measure="total")
    return table, cells


def _custody_central(book: Workbook, spec: EditionLayout):
    table = locate_table(book, spec.sheet, [DATE_LABEL, *spec.measure_labels])
    cells = table.cells([DATE_LABEL], spec.measure_labels, convert={DATE_LABEL: _ref_date(spec)})
    cells = cells.rename(columns={DATE_LABEL: "ref_date"})
    first_date = cells["ref_date"].iloc[0] if spec.first_row_actual and len(cells) else None
    return table, cells.assign(scenario=["actual" if d == first_date else "central" for d in cells["ref_date"]])


def _custody_scenarios(book: Workbook, spec: EditionLayout):
    by_key = {label_key(k): v for k, v in spec.scenario_labels.items()}

    def scenario(text: object) -> str:
        key = label_key(str(text))
        if key not in by_key:
            raise ValueError(f"scenario label {text!r} is not one of {list(spec.scenario_labels)} "
                             f"(edition {spec.edition})")
        return by_key[key]

    table = locate_table(book, spec.sheet, [SCENARIO_LABEL, DATE_LABEL, *spec.measure_labels])
    cells = table.cells([SCENARIO_LABEL, DATE_LABEL], spec.measure_labels,
                        convert={SCENARIO_LABEL: scenario, DATE_LABEL: _ref_date(spec)})
    cells = cells.rename(columns={SCENARIO_LABEL: "scenario", DATE_LABEL: "ref_date"})
    if spec.first_row_actual and len(cells) and cells["scenario"].iloc[0] != "actual":
        raise table.error(f"edition {spec.edition}: the first row should be the outturn ('actual'); found "
                          f"scenario {cells['scenario'].iloc[0]!r} at {cells['cell'].iloc[0]}")
    return table, cells
