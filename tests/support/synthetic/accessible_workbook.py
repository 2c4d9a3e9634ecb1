"""Writing workbooks in the MoJ accessible-spreadsheet layout: cover, contents and notes sheets, then one table
per sheet with its title in A1 and text lines above the header row (see parsers/accessible.py).

`.ods` files are written with pandas and odfpy, `.xlsx` files with openpyxl in write-only mode (fast enough for a
100,000-row panel; odfpy is not). The format follows the file name's suffix.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

Cell = str | int | float | dt.date | None

# What MoJ cover sheets say about symbols (secondhand: prisoncap's dump of the 2026 cover sheets).
SYMBOLS_TEXT = [
    "Symbols used in this workbook:",
    "[x] = not available",
    "[c] = confidential (values of 1 or 2 suppressed, with secondary suppression where needed)",
    "[z] = not applicable",
    "[rev] = revised (in a column heading: some values in the column have been revised)",
]


@dataclass
class Sheet:
    """A sheet as rows of cells, from A1."""

    name: str
    rows: list[list[Cell]] = field(default_factory=list)


def cover_sheet(title: str, lines: Sequence[str], name: str = "Cover") -> Sheet:
    return Sheet(name, [[title], *[[line] for line in lines]])


def contents_sheet(entries: Sequence[tuple[str, str]], name: str = "Contents") -> Sheet:
    """`entries`: (sheet name, table title) for each table sheet."""
    return Sheet(name, [["Contents"], ["This worksheet contains one table."], ["Worksheet", "Table title"],
                        *[[sheet, title] for sheet, title in entries]])


def notes_sheet(notes: Mapping[int, str], name: str = "Notes") -> Sheet:
    return Sheet(name, [["Notes"], ["This worksheet contains one table."], ["Note", "Description"],
                        *[[f"[note {n}]", text] for n, text in sorted(notes.items())]])


def table_sheet(name: str, title: str, header: Sequence[str], rows: Sequence[Sequence[Cell]],
                preamble: Sequence[str] = ("This worksheet contains one table.",)) -> Sheet:
    """Title in A1, one line of text per row of `preamble`, then the header row and the data rows."""
    return Sheet(name, [[title], *[[line] for line in preamble], list(header), *[list(r) for r in rows]])


def write_workbook(path: Path | str, sheets: Sequence[Sheet]) -> Path:
    """Write the sheets in order to an .ods or .xlsx file (chosen by the suffix)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        _write_xlsx(path, sheets)
    elif suffix == ".ods":
        _write_ods(path, sheets)
    else:
        raise ValueError(f"{path.name}: write .ods or .xlsx, not {suffix!r}")
    return path


def _write_xlsx(path: Path, sheets: Sequence[Sheet]) -> None:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    for sheet in sheets:
        ws = book.create_sheet(sheet.name)
        for row in sheet.rows:
            ws.append(list(row))
    book.save(path)


def _write_ods(path: Path, sheets: Sequence[Sheet]) -> None:
    import pandas as pd

    with pd.ExcelWriter(path, engine="odf") as writer:
        for sheet in sheets:
            width = max((len(r) for r in sheet.rows), default=1)
            frame = pd.DataFrame([list(r) + [None] * (width - len(r)) for r in sheet.rows], dtype=object)
            frame.to_excel(writer, sheet_name=sheet.name, header=False, index=False)


def split_exact(total: int, weights: Sequence[float] | np.ndarray) -> np.ndarray:
    """Split an integer total into integer parts proportional to `weights` that add up to exactly `total`
    (largest remainder), so totals published in a real file survive being spread over synthetic rows."""
    w = np.asarray(weights, dtype=float)
    if total < 0 or (w < 0).any() or w.sum() <= 0:
        raise ValueError("split_exact needs a non-negative total and non-negative weights with a positive sum")
    exact = w / w.sum() * total
    parts = np.floor(exact).astype(np.int64)
    short = int(total - parts.sum())
    if short:
        parts[np.argsort(-(exact - parts), kind="stable")[:short]] += 1
    return parts
