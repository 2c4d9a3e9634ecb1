"""MoJ / GSS "accessible spreadsheet" conventions, shared by the OMSQ, workforce and projections parsers.

Since about 2021 MoJ statistics workbooks (.ods, sometimes .xlsx) follow the Government Statistical Service
accessible-spreadsheet guidance: a cover sheet, a `Contents` sheet, a `Notes` sheet (`Note | Description` rows
`[note 1]`, `[note 2]`, ...) and then one table per sheet. A table sheet has its title in A1 and a few lines of
text (how many varies) above a single header row, so the header row is found by the labels it must carry, never
by its position. Cells that are not numbers carry symbols instead: `[x]` not available, `[c]` confidential,
`[z]` not applicable, `[low]`, `[u]` low reliability, `[rev]` / `[r]` revised, and `[note N]` references in
headers and cells; older MoJ tables used `..`, `-` and `*`.

Rules applied here, because a symbol read as zero is a wrong number, not a missing one:
- a cell holding a missing-value symbol becomes a missing value (NaN, never 0); what was printed is kept in
  the `marker` column, even when a number is printed beside the symbol ("5 [c]" stays missing);
- `[rev]` / `[r]` (and the other flags: `[p]`, `[e]`, `[er]`, `[b]`) keep the number; `[rev]`, `[r]` and `[er]`
  set `revised`;
- `[note N]` is stripped from headers and cells and recorded (the `notes` column joins the header's, the row
  label's and the cell's note numbers, e.g. "11;12");
- any other text in a value cell, or an unknown `[...]` symbol, is a ParseError naming the cell.

Sources: the symbols and sheet order are secondhand (the Cover/Notes text of 2026 MoJ workbooks, dumped by
walkforwardresearch/prisoncap; see shared/research/data-sources.md section 2). `[p]`, `[e]`, `[er]`, `[b]` and
`[w]` come from the GSS symbols guidance and have not been seen in these workbooks. Not yet verified against a
published file.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Mapping, NamedTuple, Sequence

import pandas as pd

from .base import PROVENANCE_COLUMNS, ParseError, ole_kind, sniff_container

# A symbol in one of these makes the value missing. Meanings as printed on MoJ cover sheets (the last three are
# the pre-2021 MoJ symbols; "-" is read as missing, not as nil, so that no symbol ever becomes a zero).
MISSING_MARKERS = {
    "[x]": "not available",
    "[c]": "confidential (suppressed)",
    "[z]": "not applicable",
    "[low]": "low figure (rounds to zero) or low reliability",
    "[u]": "low reliability",
    "[w]": "no data",
    "..": "not available",
    "-": "nil or not available",
    "*": "suppressed",
}
# These annotate a number that is still used.
FLAG_MARKERS = {
    "[rev]": "revised",
    "[r]": "revised",
    "[er]": "estimated and revised",
    "[e]": "estimated",
    "[p]": "provisional",
    "[b]": "break in series",
}
REVISED_FLAGS = frozenset({"[rev]", "[r]", "[er]"})
_BARE_MISSING = frozenset({"..", "-", "*"})

# Sheets that hold no table. Matched on the start of the name, case-insensitively.
NON_TABLE_SHEET_PREFIXES = ("cover", "contents", "table of contents", "notes")

_NOTE_RE = re.compile(r"\[\s*notes?\s+(\d+(?:\s*(?:,|and|&)\s*\d+)*)\s*\]", re.IGNORECASE)
_SYMBOL_RE = re.compile(r"\[\s*([a-z]{1,4})\s*\]", re.IGNORECASE)
_NUMBER_RE = re.compile(r"^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_CELL_LIKE_RE = re.compile(r"^[A-Za-z]{1,3}\d+$")
_IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class CellValue(NamedTuple):
    """A value cell read under the conventions: `value` is None when missing; `marker` is what was printed
    besides the number ('' for a plain number or a blank cell)."""

    value: float | None
    marker: str
    revised: bool
    notes: tuple[int, ...]


class Label(NamedTuple):
    """A header or row-label cell with its `[note N]` references and flags (e.g. '[rev]') taken out."""

    text: str
    notes: tuple[int, ...]
    flags: tuple[str, ...]


def _note_numbers(match: re.Match) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", match.group(1))]


def clean_label(raw: object) -> Label:
    """'Standard recalls [note 11]' -> Label('Standard recalls', (11,), ()). Known flags are taken out too;
    an unknown bracketed token stays in the text, so a label that carries one no longer matches (loudly)."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return Label("", (), ())
    if isinstance(raw, dt.datetime) and raw.time() == dt.time(0):
        raw = raw.date()
    if isinstance(raw, (dt.date, dt.datetime)):
        return Label(raw.isoformat(), (), ())
    if isinstance(raw, float) and raw.is_integer():
        return Label(str(int(raw)), (), ())
    if not isinstance(raw, str):
        return Label(str(raw), (), ())
    return _clean_text_label(raw)


@lru_cache(maxsize=65536)
def _clean_text_label(raw: str) -> Label:
    """clean_label for text, cached: id columns of a long panel repeat the same few hundred labels."""
    notes: list[int] = []
    flags: list[str] = []

    def take_note(m: re.Match) -> str:
        notes.extend(_note_numbers(m))
        return " "

    def take_flag(m: re.Match) -> str:
        token = f"[{m.group(1).lower()}]"
        if token in FLAG_MARKERS:
            flags.append(token)
            return " "
        return m.group(0)

    text = _SYMBOL_RE.sub(take_flag, _NOTE_RE.sub(take_note, raw))
    return Label(" ".join(text.split()), tuple(notes), tuple(flags))


def label_key(text: str) -> str:
    """How labels are compared: case, runs of spaces and the kind of dash do not matter."""
    return " ".join(text.replace("\u2013", "-").replace("\u2014", "-").split()).casefold()


def parse_cell(raw: object) -> CellValue:
    """One value cell. Raises ValueError (the caller adds the cell reference) for text that is neither a
    number nor a known symbol."""
    if raw is None or raw == "":
        return CellValue(None, "", False, ())
    if isinstance(raw, bool):
        raise ValueError(f"expected a number or a marker, found the boolean {raw}")
    if isinstance(raw, (int, float)):
        if math.isnan(raw):
            return CellValue(None, "", False, ())
        return CellValue(float(raw), "", False, ())
    if not isinstance(raw, str):
        raise ValueError(f"expected a number or a marker, found {type(raw).__name__} {raw!r}")
    text = " ".join(raw.replace("\u2212", "-").split())
    notes: list[int] = []
    symbols: list[str] = []

    def take_note(m: re.Match) -> str:
        notes.extend(_note_numbers(m))
        symbols.append(m.group(0))
        return " "

    def take_symbol(m: re.Match) -> str:
        token = f"[{m.group(1).lower()}]"
        if token not in MISSING_MARKERS and token not in FLAG_MARKERS:
            known = sorted(MISSING_MARKERS) + sorted(FLAG_MARKERS) + ["[note N]"]
            raise ValueError(f"unknown symbol {m.group(0)!r} in {raw!r}; known symbols: {known}")
        symbols.append(token)
        return " "

    rest = " ".join(_SYMBOL_RE.sub(take_symbol, _NOTE_RE.sub(take_note, text)).split())
    number: float | None = None
    if rest in _BARE_MISSING:
        symbols.append(rest)
    elif _NUMBER_RE.match(rest):
        number = float(rest.replace(",", ""))
    elif rest:
        raise ValueError(f"expected a number or a marker, found {raw!r}")
    missing = any(s in MISSING_MARKERS for s in symbols)
    value = None if missing else number
    marker = text if value is None else " ".join(symbols)
    return CellValue(value, marker, any(s in REVISED_FLAGS for s in symbols), tuple(notes))


def parse_date(raw: object, *, month_only: bool = False) -> dt.date:
    """A date cell (a spreadsheet date, or text such as '30 June 2025' or '2025-06-30'). With `month_only`,
    text naming only a month ('June 2025', 'Jun-25') means the last day of that month. Raises ValueError."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, str):
        text = clean_label(raw).text
        for fmt in ("%d %B %Y", "%d %b %Y", "%Y-%m-%d", "%d/%m/%Y"):
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                pass
        if month_only:
            for fmt in ("%B %Y", "%b %Y", "%b-%y", "%b %y"):
                try:
                    first = dt.datetime.strptime(text, fmt).date()
                except ValueError:
                    continue
                following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
                return following - dt.timedelta(days=1)
    raise ValueError(f"expected a date, found {raw!r}")


def column_letters(index: int) -> str:
    """0 -> 'A', 25 -> 'Z', 26 -> 'AA'."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def sheet_ref(sheet: str) -> str:
    """A sheet name as written in a cell reference: quoted, as spreadsheets do, when it has spaces or dots or
    looks like a cell itself ('A1')."""
    if _IDENTIFIER_RE.match(sheet) and not _CELL_LIKE_RE.match(sheet):
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


def cell_ref(sheet: str, row: int, col: int) -> str:
    """Spreadsheet reference of a 0-based (row, col): 'Table_5_1!C12', "'Table 1.1'!B5"."""
    return f"{sheet_ref(sheet)}!{column_letters(col)}{row + 1}"


def is_table_sheet(name: str) -> bool:
    return not name.strip().casefold().startswith(NON_TABLE_SHEET_PREFIXES)


def _is_blank(cell: object) -> bool:
    return cell is None or cell == "" or (isinstance(cell, float) and math.isnan(cell))


def _text(cell: object) -> str:
    return "" if _is_blank(cell) else " ".join(str(cell).split())


class Workbook:
    """An open spreadsheet (.ods, .xlsx or .xls, sniffed from its bytes), read with python-calamine. Sheet
    names are known at once; each sheet's cells are read when first asked for and kept."""

    def __init__(self, path: Path | str):
        import python_calamine

        self.path = Path(path)
        container = sniff_container(self.path)
        if container == "ole" and ole_kind(self.path) == "xls":
            container = "xls"
        if container not in ("ods", "xlsx", "xls"):
            raise ParseError(self.path, f"expected a spreadsheet (.ods, .xlsx or .xls); found {container!r} content")
        self.container = container
        try:
            self._book = python_calamine.CalamineWorkbook.from_path(str(self.path))
        except Exception as e:  # calamine raises its own error types for corrupt containers
            raise ParseError(self.path, f"cannot open the {container} workbook ({e})") from None
        self.sheet_names: list[str] = list(self._book.sheet_names)
        self._rows: dict[str, list[list]] = {}

    def require_sheet(self, name: str) -> str:
        if name not in self.sheet_names:
            raise ParseError(self.path, f"no sheet named {name!r}; sheets found: {self.sheet_names}")
        return name

    def rows(self, sheet: str) -> list[list]:
        """Every row of a sheet, from A1 (empty leading rows kept, so indices are sheet rows); '' is blank."""
        self.require_sheet(sheet)
        if sheet not in self._rows:
            self._rows[sheet] = self._book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        return self._rows[sheet]

    def head(self, sheet: str, nrows: int) -> list[list]:
        """The first rows of a sheet, without reading the rest (for cheap identification)."""
        self.require_sheet(sheet)
        if sheet in self._rows:
            return self._rows[sheet][:nrows]
        return self._book.get_sheet_by_name(sheet).to_python(skip_empty_area=False, nrows=nrows)

    def table_sheets(self) -> list[str]:
        """Sheets other than the cover, contents and notes sheets, in workbook order."""
        return [s for s in self.sheet_names if is_table_sheet(s)]

    def title(self, sheet: str) -> str:
        """The first text on the sheet: the title, on accessible sheets in A1."""
        for row in self.head(sheet, 5):
            for cell in row:
                if not _is_blank(cell):
                    return _text(cell)
        return ""

    def text(self, sheet: str, nrows: int = 12) -> str:
        """All text in the first rows of a sheet, one line per row, for matching titles."""
        return "\n".join(" ".join(_text(c) for c in row if not _is_blank(c)) for row in self.head(sheet, nrows))

    def notes(self) -> dict[int, str]:
        """The notes sheet as {note number: text}; {} when the workbook has no notes sheet."""
        sheet = next((s for s in self.sheet_names if s.strip().casefold().startswith("notes")), None)
        return {} if sheet is None else read_notes(self, sheet)


def open_workbook(source: Workbook | Path | str) -> Workbook:
    return source if isinstance(source, Workbook) else Workbook(source)


def peek_text(path: Path | str, sheets: Iterable[str] = (), nrows: int = 12) -> str | None:
    """Text of the first rows of the first sheet and of any of `sheets` present: what identify() matches titles
    against. None when the file is not a readable spreadsheet (identify() then says no)."""
    try:
        book = Workbook(path)
        names = [book.sheet_names[0]] + [s for s in sheets if s in book.sheet_names]
        return "\n".join(book.text(s, nrows) for s in dict.fromkeys(names))
    except (ParseError, IndexError, OSError):
        return None


def read_notes(book: Workbook, sheet: str) -> dict[int, str]:
    """A notes sheet: a header row whose first cell is 'Note' (or 'Note number'), then one note a row, its
    number as '[note 3]', 'Note 3' or 3 and its text in the next labelled column."""
    rows = book.rows(sheet)
    for r, row in enumerate(rows):
        filled = [(c, _text(v)) for c, v in enumerate(row) if not _is_blank(v)]
        if len(filled) >= 2 and label_key(filled[0][1]) in {"note", "note number", "note reference", "notes"}:
            note_col, text_col = filled[0][0], filled[1][0]
            break
    else:
        raise ParseError(book.path, "no header row starting 'Note' followed by a description column", sheet)
    notes: dict[int, str] = {}
    for r2 in range(r + 1, len(rows)):
        row = rows[r2]
        if all(_is_blank(v) for v in row):
            break
        raw = row[note_col] if note_col < len(row) else ""
        if isinstance(raw, (int, float)) and not isinstance(raw, bool) and float(raw).is_integer():
            number = int(raw)
        else:
            m = re.fullmatch(r"\[?\s*note\s*(\d+)\s*\]?|(\d+)", _text(raw), re.IGNORECASE)
            if not m:
                raise ParseError(book.path, f"cell {cell_ref(sheet, r2, note_col)}: expected a note number such as "
                                 f"'[note 3]', found {raw!r}", sheet)
            number = int(m.group(1) or m.group(2))
        if number in notes:
            raise ParseError(book.path, f"cell {cell_ref(sheet, r2, note_col)}: note {number} appears twice", sheet)
        notes[number] = _text(row[text_col]) if text_col < len(row) else ""
    return notes


@dataclass
class Table:
    """One table on a sheet. `columns` maps each expected label (as the caller spells it) to its 0-based
    column; `printed` holds the header text as printed (notes stripped); `data` holds (sheet row, cells) for
    the rows between the header and the first blank row (below that, only one-cell lines of text, such as a
    source line, are allowed: more means a second table or a gap inside this one, and is a ParseError)."""

    book: Workbook
    sheet: str
    title: str
    preamble: list[str]
    header_row: int
    columns: dict[str, int]
    printed: dict[str, str]
    header_notes: dict[str, tuple[int, ...]]
    revised_columns: list[str]
    data: list[tuple[int, list]]

    @property
    def path(self) -> Path:
        return self.book.path

    def error(self, message: str) -> ParseError:
        return ParseError(self.path, message, self.sheet)

    def ref(self, row: int, label: str) -> str:
        return cell_ref(self.sheet, row, self.columns[label])

    def raw(self, cells: list, label: str) -> object:
        col = self.columns[label]
        return cells[col] if col < len(cells) else ""

    def cells(self, id_columns: Sequence[str], value_columns: Sequence[str] | Mapping[str, str], *,
              convert: Mapping[str, Callable[[object], object]] | None = None, unique: bool = True) -> pd.DataFrame:
        """The table as one row per value cell: the id columns, `label` (the value column's header as printed),
        `measure` (value_columns[label] when value_columns maps labels to measure names, else the expected
        label), value, marker, revised, notes, then the provenance columns.

        Id cells hold their text with notes stripped, or `convert[column](cell)` (e.g. a date parser; given
        the text for text cells, the cell itself otherwise; a ValueError becomes a ParseError naming the cell).
        The row label is the printed id cells joined by ' | '. Notes and flags on an id cell apply to every
        value in its row, notes in a header to every value in its column. With `unique`, two rows with the same
        id cells are a ParseError. Value columns the table does not have (optional ones) are left out."""
        convert = convert or {}
        measures = dict(value_columns) if isinstance(value_columns, Mapping) else {c: c for c in value_columns}
        value_columns = [c for c in measures if c in self.columns]
        names = [*id_columns, "label", "measure", "value", "marker", "revised", "notes", *PROVENANCE_COLUMNS]
        out: dict[str, list] = {name: [] for name in names}
        refs = {c: (self.columns[c], column_letters(self.columns[c])) for c in value_columns}
        header_notes = {c: set(self.header_notes.get(c, ())) for c in value_columns}
        prefix = sheet_ref(self.sheet)
        seen: dict[tuple, int] = {}
        for row, cells in self.data:
            labels = [clean_label(self.raw(cells, c)) for c in id_columns]
            if not any(label.text for label in labels):
                raise self.error(f"row {row + 1}: the row label cell(s) {list(id_columns)} are blank")
            ids = []
            for c, label in zip(id_columns, labels):
                if c not in convert:
                    ids.append(label.text)
                    continue
                raw = self.raw(cells, c)
                try:
                    ids.append(convert[c](label.text if isinstance(raw, str) else raw))
                except ValueError as e:
                    raise self.error(f"cell {self.ref(row, c)}: {e}") from None
            if unique:
                key = tuple(ids)
                if key in seen:
                    raise self.error(f"row {row + 1} repeats the row label(s) of row {seen[key] + 1}: "
                                     f"{[label.text for label in labels]}")
                seen[key] = row
            row_notes = {n for label in labels for n in label.notes}
            row_flags = [f for label in labels for f in label.flags]
            row_revised = any(f in REVISED_FLAGS for f in row_flags)
            row_label = " | ".join(label.text for label in labels)
            for c in value_columns:
                col, letters = refs[c]
                ref = f"{prefix}!{letters}{row + 1}"
                try:
                    cell = parse_cell(cells[col] if col < len(cells) else "")
                except ValueError as e:
                    raise self.error(f"cell {ref}: {e}") from None
                for name, v in zip(id_columns, ids):
                    out[name].append(v)
                out["label"].append(self.printed[c])
                out["measure"].append(measures[c])
                out["value"].append(cell.value)
                out["marker"].append(" ".join([*row_flags, cell.marker]).strip() if row_flags else cell.marker)
                out["revised"].append(cell.revised or row_revised)
                notes = header_notes[c] | row_notes | set(cell.notes)
                out["notes"].append(";".join(str(n) for n in sorted(notes)))
                out["row_label"].append(row_label)
                out["cell"].append(ref)
        n = len(out["cell"])
        out["source_file"] = [self.path.name] * n
        out["sheet"] = [self.sheet] * n
        frame = pd.DataFrame(out, columns=names)
        frame["value"] = pd.to_numeric(frame["value"], errors="raise").astype("float64")
        frame["revised"] = frame["revised"].astype(bool)
        return frame


def _header_labels(row: list) -> dict[str, tuple[int, Label]]:
    """{label key: (column, label)} for the filled cells of a row; a label printed twice keeps its first column."""
    found: dict[str, tuple[int, Label]] = {}
    for c, cell in enumerate(row):
        if not _is_blank(cell):
            label = clean_label(cell)
            found.setdefault(label_key(label.text), (c, label))
    return found


def _closest_header(rows: list[list], required: Sequence[str], scan_rows: int) -> tuple[int, list[str]]:
    """The row (0-based) sharing most labels with `required` (among equals, the first with two or more filled
    cells, which looks like a header, not a title), and its labels as printed, for error messages."""
    wanted = {label_key(r) for r in required}
    best, best_row, best_labels = (-1, False), 0, []
    for r, row in enumerate(rows[:scan_rows]):
        labels = _header_labels(row)
        score = (len(wanted & set(labels)), len(labels) >= 2)
        if score > best:
            best, best_row, best_labels = score, r, [lab.text for _, lab in labels.values()]
    return best_row, best_labels


def locate_table(source: Workbook | Path | str, sheet: str, required: Sequence[str], optional: Sequence[str] = (),
                 *, scan_rows: int = 40) -> Table:
    """Find the header row of `sheet` by its labels: the first row, within `scan_rows`, holding every label in
    `required`. Every other label in that row must be in `optional`: an unknown label means the layout changed
    and is a ParseError naming the labels expected and those found, as is a header row that is not found."""
    book = open_workbook(source)
    rows = book.rows(sheet)
    wanted = {label_key(lab): lab for lab in [*required, *optional]}
    for r, row in enumerate(rows[:scan_rows]):
        labels = _header_labels(row)
        if all(label_key(req) in labels for req in required):
            header_row = r
            break
    else:
        closest, found = _closest_header(rows, required, scan_rows)
        raise ParseError(book.path, f"header row not found in the first {scan_rows} rows: expected labels "
                         f"{list(required)}; closest was row {closest + 1} with {found}", sheet)
    unexpected = [lab.text for key, (_, lab) in labels.items() if key not in wanted]
    if unexpected:
        raise ParseError(book.path, f"header row {header_row + 1} has unexpected label(s) {unexpected}; expected "
                         f"{list(required)}" + (f" and optionally {list(optional)}" if optional else "")
                         + f"; found {[lab.text for _, lab in labels.values()]}", sheet)
    if len(labels) < sum(1 for cell in rows[header_row] if not _is_blank(cell)):
        raise ParseError(book.path, f"header row {header_row + 1}: a label appears more than once in "
                         f"{[_text(c) for c in rows[header_row] if not _is_blank(c)]}", sheet)
    columns, printed, header_notes, revised = {}, {}, {}, []
    for key, (c, lab) in labels.items():
        name = wanted[key]
        columns[name], printed[name] = c, lab.text
        if lab.notes:
            header_notes[name] = lab.notes
        if any(f in REVISED_FLAGS for f in lab.flags):
            revised.append(name)
    data = []
    end = len(rows)
    for r in range(header_row + 1, len(rows)):
        if all(_is_blank(v) for v in rows[r]):
            end = r
            break
        data.append((r, rows[r]))
    for r in range(end, len(rows)):
        if sum(1 for v in rows[r] if not _is_blank(v)) > 1:
            raise ParseError(book.path, f"row {r + 1} holds data below the blank row {end + 1} that ends the "
                             "table: one table per sheet was expected", sheet)
    preamble = [line for line in (" ".join(_text(v) for v in rows[r] if not _is_blank(v))
                                  for r in range(1, header_row)) if line]
    return Table(book, sheet, book.title(sheet), preamble, header_row, columns, printed, header_notes, revised,
                 data)


def find_table(source: Workbook | Path | str, required: Sequence[str], optional: Sequence[str] = (), *,
               what: str, scan_rows: int = 40, must_exist: bool = True) -> Table | None:
    """The one table sheet (cover, contents and notes skipped) whose header row holds every `required` label,
    whatever the sheet is called. None (or, with `must_exist`, a ParseError listing each sheet's closest header
    row) when no sheet has it; a ParseError when two sheets do."""
    book = open_workbook(source)
    matches = []
    for sheet in book.table_sheets():
        rows = book.rows(sheet)
        if any(all(label_key(req) in _header_labels(row) for req in required) for row in rows[:scan_rows]):
            matches.append(sheet)
    if len(matches) > 1:
        raise ParseError(book.path, f"{what}: more than one sheet has the header labels {list(required)}: {matches}")
    if not matches:
        if not must_exist:
            return None
        closest = {s: _closest_header(book.rows(s), required, scan_rows)[1] for s in book.table_sheets()}
        raise ParseError(book.path, f"{what}: no table sheet has a header row with the labels {list(required)}; "
                         f"closest header row on each sheet: {closest}")
    return locate_table(book, matches[0], required, optional, scan_rows=scan_rows)


def read_table_sheet(source: Workbook | Path | str, sheet: str, *, id_columns: Sequence[str],
                     value_columns: Sequence[str], optional_value_columns: Sequence[str] = ()
                     ) -> tuple[pd.DataFrame, dict[str, tuple[int, ...]]]:
    """Read one table sheet into (cells, header notes): `cells` has one row per value cell (see Table.cells)
    with its reference ('Table_5_1!C12'); header notes map each column to the `[note N]` numbers in its header."""
    table = locate_table(source, sheet, [*id_columns, *value_columns], optional_value_columns)
    return table.cells(id_columns, [*value_columns, *optional_value_columns]), dict(table.header_notes)


def find_notes(notes: dict[int, str], *patterns: str) -> dict[int, str]:
    """The notes whose text matches every regex in `patterns` (case-insensitive): how a parser finds a note
    whose number changes between editions."""
    return {n: text for n, text in notes.items() if all(re.search(p, text, re.IGNORECASE) for p in patterns)}
