"""Synthetic OMSQ licence-recall workbooks ("Prison Licence Recalls: <quarter>"), in the accessible layout the
parser expects: cover, contents and notes sheets, then recalls by type, recalls by reason and (optionally) the
recall population, each with its title and text lines above the header row and `[note N]` in headings.

Values are given, so a test can use real published figures: `recall_quarters_from_totals` spreads real
quarterly totals (processed-prisoncap/recalls_quarterly.csv) over recall types and reasons with documented
shares, and `recall_population_from_prt` reads PRT's monthly recall population. Markers go in as printed text
("[c]", "123 [rev]"); the 56-day column is `[z]` before 2026 and "Other" is `[z]` from July 2025, as the notes
describe. Sheet names and header labels are the parser's assumptions (see parsers/omsq_recalls.py).
"""
from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from justice_tracker.parsers.omsq_recalls import (BY_REASON, BY_TYPE, BY_TYPE_OPTIONAL, DATE_LABEL, POPULATION,
                                                  QUARTER_LABEL)

from .accessible_workbook import (SYMBOLS_TEXT, Cell, contents_sheet, cover_sheet, notes_sheet, split_exact,
                                  table_sheet, write_workbook)

# Notes-sheet text. 11 and 12 are as prisoncap quotes them; the others paraphrase the documented notes.
NOTES = {
    1: "Figures are taken from the Public Protection Unit Database (PPUD).",
    2: "Recalls include offenders released on Home Detention Curfew (HDC).",
    3: "The National Probation Service and Community Rehabilitation Companies were unified in June 2021.",
    4: "An offender can be recalled more than once in a quarter and is counted each time.",
    5: "All indeterminate sentence recalls go through the emergency process.",
    6: "Returned in target time means within 74 hours (emergency) or 144 hours (standard) of the recall.",
    7: "A recall can be for several reasons, so the reasons do not sum to the total number of recalls.",
    11: "Fixed term and standard determinate recall figures before July 2025 are not comparable with later "
        "figures: some recalls were previously recorded as emergency recalls without a fixed term or standard "
        "designation and were counted in an Other category.",
    12: "From 31 March 2026 a 56-day Fixed Term Recall replaced the previous 14-day and 28-day fixed term recalls "
        "for eligible offenders.",
}
# Which note each column heading cites.
HEADER_NOTES = {"Total recalls": 4, "Standard recalls": 11, "Fixed term recalls (14 days)": 11,
                "Fixed term recalls (28 days)": 11, "Fixed term recalls (56 days)": 12, "Other recalls": 11}

COMPOSITION_BREAK = dt.date(2025, 7, 1)
FTR56_QUARTER = dt.date(2026, 1, 1)  # 31 March 2026 falls in the Jan-Mar 2026 quarter
# Shares of recalls by type in each regime. From 2026 they are the Jan-Mar 2026 figures (4,599 14-day and 4,699
# 28-day recalls of 13,193, 56-day 1.3%); earlier shares are illustrative.
TYPE_SHARES = {
    "before_july_2025": {"standard": 0.55, "fixed_term_14": 0.30, "fixed_term_28": 0.10, "other": 0.05},
    "july_2025": {"standard": 0.28, "fixed_term_14": 0.36, "fixed_term_28": 0.36},
    "from_2026": {"standard": 0.2822, "fixed_term_14": 0.3486, "fixed_term_28": 0.3562, "fixed_term_56": 0.0130},
}
# Share of recalls citing each reason (several per recall, so they sum to more than 1). Illustrative.
REASON_SHARES = {"further_offence": 0.25, "failure_to_keep_in_touch": 0.35, "failure_to_reside": 0.15,
                 "non_compliance": 0.45, "drugs_or_alcohol": 0.10, "poor_behaviour": 0.30, "other": 0.05}

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_FULL_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December"]


@dataclass
class RecallQuarter:
    """One quarter's row in each table: measure -> the number, or the text to print ("[z]", "12 [rev]")."""

    start: dt.date
    by_type: dict[str, Cell] = field(default_factory=dict)
    by_reason: dict[str, Cell] = field(default_factory=dict)


def quarter_label(start: dt.date) -> str:
    """dt.date(2026, 1, 1) -> 'Jan to Mar 2026'."""
    return f"{_MONTHS[start.month - 1]} to {_MONTHS[start.month + 1]} {start.year}"


def recall_quarters_from_totals(totals: Mapping[dt.date, int]) -> list[RecallQuarter]:
    """Quarters (keyed by their first day) with these total recalls, split exactly over types and reasons."""
    quarters = []
    for start, total in sorted(totals.items()):
        if start < COMPOSITION_BREAK:
            regime = "before_july_2025"
        elif start < FTR56_QUARTER:
            regime = "july_2025"
        else:
            regime = "from_2026"
        shares = TYPE_SHARES[regime]
        parts = dict(zip(shares, (int(p) for p in split_exact(total, list(shares.values())))))
        by_type: dict[str, Cell] = {"total": total, **parts}
        by_type.setdefault("fixed_term_56", "[z]")
        by_type.setdefault("other", "[z]")
        by_reason: dict[str, Cell] = {"total": total,
                                      **{k: round(total * share) for k, share in REASON_SHARES.items()}}
        quarters.append(RecallQuarter(start, by_type, by_reason))
    return quarters


def synthetic_recall_totals(n_quarters: int = 13, first: dt.date = dt.date(2023, 1, 1),
                            seed: int = 0) -> dict[dt.date, int]:
    """Plausible rising quarterly totals (about 7,000 a quarter, growing), keyed by quarter start."""
    rng = random.Random(seed)
    totals, level, start = {}, 7000.0, first
    for _ in range(n_quarters):
        totals[start] = int(level)
        level *= 1 + rng.uniform(-0.02, 0.08)
        start = dt.date(start.year + (start.month == 10), (start.month + 2) % 12 + 1, 1)
    return totals


def recall_totals_from_prisoncap(path: Path | str) -> dict[dt.date, int]:
    """processed-prisoncap/recalls_quarterly.csv: an unnamed pandas Series, header ',0', quarter-start dates."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if rows[0] != ["", "0"]:
        raise ValueError(f"{path}: expected the header ',0', found {rows[0]}")
    return {dt.date.fromisoformat(d): int(v) for d, v in rows[1:] if d}


def recall_population_from_prt(path: Path | str) -> dict[dt.date, int]:
    """processed-prt/bromley__sentencing__recall_population.csv: `date,recall_pop`, dates as text 'Jun-09'
    (CRLF), read as month ends."""
    out = {}
    with open(path, newline="", encoding="utf-8") as f:
        for rec in csv.DictReader(f):
            first = dt.datetime.strptime(rec["date"].strip(), "%b-%y").date()
            following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            out[following - dt.timedelta(days=1)] = int(rec["recall_pop"])
    return out


def write_recalls_workbook(path: Path | str, quarters: list[RecallQuarter], *,
                           recall_population: Mapping[dt.date, Cell] | None = None,
                           relabel: Mapping[str, str] | None = None, omit: tuple[str, ...] = ()) -> Path:
    """Write the workbook. `relabel` replaces printed header labels (to test a changed label); `omit` leaves
    out tables by name ('recalls_by_type', 'recalls_by_reason') to test a missing one. The 56-day and Other
    columns are printed only if some quarter has them."""
    relabel = dict(relabel or {})
    last = max(q.start for q in quarters)
    period = f"{_FULL_MONTHS[last.month - 1]} to {_FULL_MONTHS[last.month + 1]} {last.year}"
    type_labels = {**BY_TYPE, **{k: v for k, v in BY_TYPE_OPTIONAL.items() if any(v in q.by_type for q in quarters)}}

    def header(labels: Mapping[str, str], first: str) -> list[str]:
        out = [relabel.get(first, first)]
        for label in labels:
            printed = relabel.get(label, label)
            note = HEADER_NOTES.get(label)
            out.append(f"{printed} [note {note}]" if note else printed)
        return out

    tables = []
    if "recalls_by_type" not in omit:
        tables.append(table_sheet(
            "Table_5_Q_1", "Table 5.Q.1: Recalls by type of recall, England and Wales, "
            f"{quarter_label(quarters[0].start)} to {quarter_label(last)}",
            header(type_labels, QUARTER_LABEL),
            [[quarter_label(q.start), *[q.by_type.get(m, "[x]") for m in type_labels.values()]] for q in quarters],
            preamble=["This worksheet contains one table. Some cells refer to notes which can be found in the notes "
                      "worksheet.", "Source: Public Protection Unit Database (PPUD)"]))
    if "recalls_by_reason" not in omit:
        tables.append(table_sheet(
            "Table_5_Q_2", "Table 5.Q.2: Recalls by reason for recall, England and Wales",
            header(BY_REASON, QUARTER_LABEL),
            [[quarter_label(q.start), *[q.by_reason.get(m, "[x]") for m in BY_REASON.values()]] for q in quarters],
            preamble=["This worksheet contains one table.", "A recall can have more than one reason [note 7].",
                      "Source: Public Protection Unit Database (PPUD)"]))
    if recall_population is not None:
        tables.append(table_sheet(
            "Table_5_Q_3", "Table 5.Q.3: Prison population serving a recall, England and Wales, month end",
            header(POPULATION, DATE_LABEL),
            [[date, value] for date, value in sorted(recall_population.items())]))
    sheets = [
        cover_sheet(f"Prison Licence Recalls: {period}",
                    ["Offender Management Statistics Quarterly", "England and Wales", "Data source: PPUD",
                     *SYMBOLS_TEXT]),
        contents_sheet([(t.name, t.rows[0][0]) for t in tables]),
        notes_sheet(NOTES),
        *tables,
    ]
    return write_workbook(path, sheets)
