"""Write the monthly per-prison bulletin (.ods, 2017 on) from given establishment figures.

Layout as described (secondhand) in shared/research/data-sources.md section 1b: one sheet `MonthlyBulletin`;
a `Report Date: dd/mm/yyyy` text cell above a header row holding `Prison Name` and `CNA` within the first 10
rows; columns Prison Name | Baseline CNA | In Use CNA | Operational Capacity | Population (plus % columns);
Sub total and Total rows inside the table, the Total's operational capacity being the estate's useable
operational capacity (the column sum less the operating margin); an `HMPPS Operated Immigration Removal
Centres` heading before the IRC rows (IRCs left the bulletin in July 2021); closed establishments with partial
rows; footnotes and a list of establishments exceeding their capacity after the table. Footnote wording follows
the legacy Word bulletins ([observed] there: "... the sum of all establishments' operational capacity less
2000 places"); cell positions and the list's layout are plausible choices, not documented ones.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from .weekly import Grid, save_workbook

_COLUMNS = [("name", "Prison Name"), ("baseline_cna", "Baseline CNA"), ("in_use_cna", "In Use CNA"),
            ("op_cap", "Operational Capacity"), ("population", "Population *"),
            ("pct_pop_in_use", "% Pop to In Use CNA"), ("pct_available", "% Accommodation Available")]
FIGURES = ("baseline_cna", "in_use_cna", "op_cap", "population")


@dataclass(frozen=True)
class Establishment:
    """One table row. A figure is written as given (a number, or a string such as '1,234*' or '[x]');
    None leaves the cell empty, as in the partial rows of closed establishments."""

    name: str
    baseline_cna: object = None
    in_use_cna: object = None
    op_cap: object = None
    population: object = None
    section: str = "prison"  # or "irc"


def _numeric(value) -> float:
    """What a figure adds to a published sum: numbers count, empty cells and symbols do not."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _sums(rows: Iterable[Establishment]) -> dict[str, int]:
    rows = list(rows)
    return {f: round(sum(_numeric(getattr(r, f)) for r in rows)) for f in FIGURES}


def _ratio(numerator, denominator) -> float | None:
    if isinstance(numerator, (int, float)) and isinstance(denominator, (int, float)) and denominator:
        return round(numerator / denominator, 2)
    return None


def _put_figures(grid: Grid, row: int, name: str, figures: Mapping[str, object]) -> None:
    grid.put(row, 0, name)
    for col, (key, _) in enumerate(_COLUMNS[1:5], start=1):
        grid.put(row, col, figures.get(key))
    grid.put(row, 5, _ratio(figures.get("population"), figures.get("in_use_cna")))
    grid.put(row, 6, _ratio(figures.get("in_use_cna"), figures.get("baseline_cna")))


def write_monthly_bulletin(path: Path | str, report_date: dt.date, establishments: Sequence[Establishment],
                           operating_margin: int, *, total_uoc: int | None = None,
                           footnote_margin: int | None | str = "same", sheet_name: str = "MonthlyBulletin",
                           origin: tuple[int, int] = (0, 0), column_labels: Mapping[str, str] | None = None,
                           irc_heading: str = "HMPPS Operated Immigration Removal Centres",
                           total_label: str = "Total", report_date_cell: bool = True) -> Path:
    """Write one monthly bulletin (.ods). The Total row's operational capacity is `total_uoc`, by default the
    column sum less `operating_margin`; the footnote states 'less <footnote_margin> places' ('same': the
    margin; None: no such footnote, as if the wording changed). `column_labels` ({field: text}) overrides
    header texts, `total_label` the Total row's label, and `report_date_cell=False` leaves out the Report Date
    line: faults a parser must reject."""
    grid = Grid(origin)
    grid.put(0, 0, f"Monthly Bulletin - {report_date:%B %Y}")
    if report_date_cell:
        grid.put(1, 0, f"Report Date: {report_date:%d/%m/%Y}")
    header = 3
    grid.put_row(header, [(column_labels or {}).get(key, text) for key, text in _COLUMNS])
    row = header + 1
    sections = [("prison", None), ("irc", irc_heading)]
    for section, heading in sections:
        members = [e for e in establishments if e.section == section]
        if not members:
            continue
        if heading:
            grid.put(row, 0, heading)
            row += 1
        for e in members:
            _put_figures(grid, row, e.name, {f: getattr(e, f) for f in FIGURES})
            row += 1
        _put_figures(grid, row, "Sub total", _sums(members))
        row += 1
    totals = _sums(establishments)
    totals["op_cap"] = totals["op_cap"] - operating_margin if total_uoc is None else total_uoc
    _put_figures(grid, row, total_label, totals)
    grid.put(row, 7, "**")

    row += 2
    margin = operating_margin if footnote_margin == "same" else footnote_margin
    grid.put(row, 0, "* Population figures are those held in each establishment on the report date.")
    if margin is not None:
        grid.put(row + 1, 0, "** Useable Operational Capacity of the estate is the sum of all establishments' "
                             f"operational capacity less {margin:,} places. This is known as the operating margin "
                             "and reflects the constraints imposed by the need to provide separate accommodation "
                             "for different classes of prisoner.")
    row += 3
    crowded = [e for e in establishments if _ratio(e.population, e.in_use_cna) and
               _ratio(e.population, e.in_use_cna) > 1.0][:12]
    grid.put(row, 0, "Establishments exceeding their In Use CNA")
    for offset, e in enumerate(crowded, start=1):
        grid.put_row(row + offset, [e.name, e.in_use_cna, e.population, _ratio(e.population, e.in_use_cna)])
    row += len(crowded) + 2
    for offset, text in enumerate([
        "Definitions of Accommodation Terms",
        "Baseline CNA: Certified Normal Accommodation (CNA), or uncrowded capacity, is the Prison Service's own "
        "measure of accommodation.",
        "In Use CNA: Baseline CNA less places not available for immediate use, for example damaged cells or cells "
        "affected by building works.",
        "Operational Capacity: the total number of prisoners that an establishment can hold taking into account "
        "control, security and the proper operation of the planned regime.",
        "Report produced by Capacity Management Team.",
    ]):
        grid.put(row + offset, 0, text)
    return save_workbook(path, [(sheet_name, grid)])


def synthetic_establishments(n: int = 130, n_irc: int = 1, seed: int = 0) -> list[Establishment]:
    """`n` plausible establishments (the last `n_irc` of them IRCs), including one closed establishment with
    a partial row (baseline CNA only, as Blantyre House 2018-19) and one held at zero capacity with its
    baseline kept (as Dartmoor since Aug 2024)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        irc = i >= n - n_irc
        name = f"Synthetic IRC {i + 1:03d} (IRC)" if irc else f"Synthetic Prison {i + 1:03d}"
        baseline = rng.randint(60, 1250)
        in_use = baseline - rng.randint(0, baseline // 10)
        op_cap = in_use + rng.randint(0, in_use // 3)
        population = op_cap - rng.randint(0, max(op_cap // 20, 1))
        rows.append(Establishment(name, baseline, in_use, op_cap, population, "irc" if irc else "prison"))
    rows[1] = Establishment(rows[1].name, rows[1].baseline_cna)
    rows[2] = Establishment(rows[2].name, rows[2].baseline_cna, 0, 0, 0)
    return rows


def establishments_from_prisoncap(records: Iterable[Mapping[str, str]]) -> list[Establishment]:
    """Establishments for one month of the third-party monthly_establishments.csv (empty fields stay empty)."""
    def figure(text: str):
        return int(float(text)) if text.strip() else None

    return [Establishment(r["prison"], *(figure(r[f]) for f in FIGURES), section=r["section"]) for r in records]
