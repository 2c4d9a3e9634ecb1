"""HMPPS workforce statistics: two files, one parser (`meta["layout"]` says which was read).

- "Time series of HMPPS staff in post receiving pay on staff in post date": a long panel (about 97,000 rows)
  by date, business group, prison category, establishment and grade, with FTE and headcount, back to March
  2017 on one consistent basis (the quarterly tables are not restated). Layout `staff_in_post_time_series`.
- The annex "Prison and Probation Officer staffing levels against targets", Table 4: band 3-5 prison officers
  by establishment (staff in post, target, difference), quarterly from March 2023. Layout
  `officer_staffing_annex`. Three aggregate rows sit inside the establishment column ("All establishments",
  "Prison Service and YCS Establishment Total", "HMPPS HQ and Area Services Total"); counting them as prisons
  triples the total, so they are taken out of the table and kept in `meta["aggregates"]`, with
  `meta["total_checks"]` comparing the sum of establishments with them. Privately managed prisons are absent
  by design (note 44). FTE here is hours-adjusted to a 39-hour week (37 h = 0.95, 39 h = 1, 41 h = 1.05;
  note 41), so it differs from the main tables.

Not yet verified against a published file: neither file is on the build machines. Secondhand facts
(prisoncap's notes and definitions log, shared/research/data-sources.md section 3): the panel's dimensions and
size, Table 4's contents and dates, the aggregate rows, notes 41 and 44. Assumed here, to be confirmed on the
first live run: the header labels below, one long row per (date, establishment) in Table 4 with a date column,
and that establishment rows and "HMPPS HQ and Area Services Total" add up to "All establishments". A different
label fails loudly, naming it; so does an aggregate-looking row ("... Total", "All ...") not in the known list.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .accessible import Workbook, find_notes, find_table, label_key, parse_date, peek_text
from .base import PROVENANCE_COLUMNS, Parsed, ParseError

KIND = "hmpps_workforce"
# What identify() looks for, for the registry's "no parser recognises this file" message.
RECOGNISES = ("a first sheet titled 'Time series of HMPPS staff in post ...' or "
              "'... staffing levels against targets'")
VERIFIED_AGAINST_PUBLISHED_FILE = False

LAYOUT_TIME_SERIES = "staff_in_post_time_series"
LAYOUT_ANNEX = "officer_staffing_annex"
TITLE_PATTERNS = {
    LAYOUT_TIME_SERIES: re.compile(r"time series of hmpps staff in post", re.IGNORECASE),
    LAYOUT_ANNEX: re.compile(r"staffing levels against targets", re.IGNORECASE),
}

# Staff in post time series: printed header -> column of the tidy table.
TIME_SERIES_IDS = {"Date": "date", "Business group": "business_group", "Prison category": "prison_category",
                   "Establishment": "establishment", "Grade": "grade"}
TIME_SERIES_VALUES = {"FTE": "fte", "Headcount": "headcount"}
TIME_SERIES_COLUMNS = [*TIME_SERIES_IDS.values(), "measure", "value", "marker", "revised", "notes",
                       *PROVENANCE_COLUMNS]

# Annex Table 4.
ANNEX_IDS = {"Date": "date", "Establishment": "establishment"}
ANNEX_VALUES = {"Band 3-5 prison officers in post (FTE)": "staff_in_post", "Target staffing (FTE)": "target",
                "Difference between staff in post and target (FTE)": "difference"}
ANNEX_COLUMNS = [*ANNEX_IDS.values(), "measure", "value", "marker", "revised", "notes", *PROVENANCE_COLUMNS]
ALL_ESTABLISHMENTS = "All establishments"
PRISON_SERVICE_YCS_TOTAL = "Prison Service and YCS Establishment Total"
HQ_AREA_SERVICES_TOTAL = "HMPPS HQ and Area Services Total"
AGGREGATE_ROWS = (ALL_ESTABLISHMENTS, PRISON_SERVICE_YCS_TOTAL, HQ_AREA_SERVICES_TOTAL)
# A row label like these that is not one of AGGREGATE_ROWS is probably a renamed aggregate: fail, do not count it.
_AGGREGATE_LOOKING = re.compile(r"\btotal\b|^all\b", re.IGNORECASE)
# Annex notes the meta carries, found by their text (their numbers, 41 and 44 in 2026, may change).
CAVEATS = {
    "fte_hours_adjusted": [r"hours", r"\b39\b"],
    "private_prisons_excluded": [r"privately managed|private", r"exclud"],
}
# Each establishment's FTE is rounded to 0.1, so a sum of n of them may be off by up to 0.05 per term.
ROUNDING_PER_ROW = 0.05


def _layout_of(text: str) -> str | None:
    return next((layout for layout, pattern in TITLE_PATTERNS.items() if pattern.search(text)), None)


def identify(path: Path | str) -> bool:
    """A spreadsheet whose first sheet's title names the staff-in-post time series or the staffing annex."""
    text = peek_text(path)
    return bool(text and _layout_of(text))


def parse(path: Path | str, layout: str | None = None, check_totals: bool = False) -> Parsed:
    """Parse either file. `layout` (LAYOUT_TIME_SERIES or LAYOUT_ANNEX) is read from the first sheet's title
    when not given. With `check_totals`, an annex whose establishments do not add up to the aggregate rows
    (within rounding) is a ParseError instead of a failed entry in meta["total_checks"]."""
    book = Workbook(path)
    layout = layout or _layout_of(book.text(book.sheet_names[0]))
    if layout not in TITLE_PATTERNS:
        raise ParseError(path, f"cannot tell which workforce file this is: first sheet {book.sheet_names[0]!r} "
                         f"has the title {book.title(book.sheet_names[0])!r}; expected one matching "
                         f"{[p.pattern for p in TITLE_PATTERNS.values()]}")
    if layout == LAYOUT_TIME_SERIES:
        return _parse_time_series(book)
    return _parse_annex(book, check_totals)


def _iso_date(raw: object) -> str:
    return parse_date(raw).isoformat()


def _parse_time_series(book: Workbook) -> Parsed:
    table = find_table(book, [*TIME_SERIES_IDS, *TIME_SERIES_VALUES], what="staff in post time series")
    cells = table.cells(list(TIME_SERIES_IDS), TIME_SERIES_VALUES, convert={"Date": _iso_date})
    tidy = cells.rename(columns=TIME_SERIES_IDS)[TIME_SERIES_COLUMNS]
    meta = {
        "layout": LAYOUT_TIME_SERIES,
        "title": book.title(book.sheet_names[0]),
        "sheet": table.sheet,
        "notes": book.notes(),
        "header_notes": {TIME_SERIES_VALUES.get(k, TIME_SERIES_IDS.get(k, k)): list(v)
                         for k, v in table.header_notes.items()},
        "source_rows": len(table.data),
        "dates": sorted(tidy["date"].unique()),
        "verified_against_published_file": VERIFIED_AGAINST_PUBLISHED_FILE,
    }
    return Parsed(KIND, tidy.reset_index(drop=True), meta)


def _parse_annex(book: Workbook, check_totals: bool) -> Parsed:
    table = find_table(book, [*ANNEX_IDS, *ANNEX_VALUES], what="annex Table 4 (band 3-5 prison officers)")
    cells = table.cells(list(ANNEX_IDS), ANNEX_VALUES, convert={"Date": _iso_date})
    cells = cells.rename(columns=ANNEX_IDS)
    keys = cells["establishment"].map(label_key)
    aggregate_keys = {label_key(a): a for a in AGGREGATE_ROWS}
    is_aggregate = keys.isin(list(aggregate_keys))
    suspicious = cells.loc[~is_aggregate & cells["establishment"].str.contains(_AGGREGATE_LOOKING), "cell"]
    if len(suspicious):
        first = cells.loc[suspicious.index[0]]
        raise table.error(f"row label {first['establishment']!r} ({first['cell']}) looks like an aggregate row but "
                          f"is not one of the known aggregate labels {list(AGGREGATE_ROWS)}; counting it as an "
                          "establishment would inflate the total")
    aggregates = cells[is_aggregate].assign(aggregate=keys[is_aggregate].map(aggregate_keys))
    for date in cells["date"].unique():
        present = set(aggregates.loc[aggregates["date"] == date, "aggregate"])
        missing = [a for a in AGGREGATE_ROWS if a not in present]
        if missing:
            raise table.error(f"date {date}: expected the aggregate row(s) {missing} in the establishment column; "
                              f"found aggregate rows {sorted(present)}")
    establishments = cells[~is_aggregate][ANNEX_COLUMNS].reset_index(drop=True)
    checks = _total_checks(establishments, aggregates)
    failed = [c for c in checks if c["ok"] is False]
    if check_totals and failed:
        raise table.error(f"{len(failed)} total check(s) failed, first: {failed[0]}")
    notes = book.notes()
    meta = {
        "layout": LAYOUT_ANNEX,
        "title": book.title(book.sheet_names[0]),
        "sheet": table.sheet,
        "table_title": table.title,
        "notes": notes,
        "caveats": {name: find_notes(notes, *patterns) for name, patterns in CAVEATS.items()},
        "header_notes": {ANNEX_VALUES.get(k, ANNEX_IDS.get(k, k)): list(v) for k, v in table.header_notes.items()},
        "aggregates": aggregates[["date", "aggregate", "measure", "value", "marker", "cell"]].to_dict("records"),
        "total_checks": checks,
        "n_establishments": {date: int(n) for date, n in establishments[establishments["measure"] == "staff_in_post"]
                             .groupby("date").size().items()},
        "verified_against_published_file": VERIFIED_AGAINST_PUBLISHED_FILE,
    }
    return Parsed(KIND, establishments, meta)


def _total_checks(establishments: pd.DataFrame, aggregates: pd.DataFrame) -> list[dict]:
    """Per date and measure: the sum of establishments against "Prison Service and YCS Establishment Total",
    and that total plus "HMPPS HQ and Area Services Total" against "All establishments". The tolerance allows
    for each figure's rounding to 0.1. `ok` is None when the check cannot be made: an aggregate is missing
    (suppressed), or some establishment's value is, so that their sum is incomplete."""
    agg = aggregates.set_index(["date", "measure", "aggregate"])["value"]
    checks = []
    for (date, measure), group in establishments.groupby(["date", "measure"], sort=True):
        n_missing = int(group["value"].isna().sum())
        total = agg[(date, measure, PRISON_SERVICE_YCS_TOTAL)]
        hq = agg[(date, measure, HQ_AREA_SERVICES_TOTAL)]
        everything = agg[(date, measure, ALL_ESTABLISHMENTS)]
        sum_of_establishments = float(group["value"].sum()) if n_missing == 0 else float("nan")
        for name, expected, computed, terms in (
            ("establishments_vs_prison_service_ycs_total", total, sum_of_establishments, len(group) + 1),
            ("prison_service_ycs_plus_hq_vs_all_establishments", everything, total + hq, 3),
        ):
            known = bool(pd.notna(expected) and pd.notna(computed))
            tolerance = round(ROUNDING_PER_ROW * terms, 6)
            checks.append({
                "date": date, "measure": measure, "check": name,
                "expected": float(expected) if pd.notna(expected) else None,
                "computed": round(float(computed), 6) if pd.notna(computed) else None,
                "difference": round(float(computed - expected), 6) if known else None,
                "tolerance": tolerance,
                "n_establishments": int(len(group)), "n_missing": n_missing,
                "ok": bool(abs(computed - expected) <= tolerance + 1e-9) if known else None,
            })
    return checks
