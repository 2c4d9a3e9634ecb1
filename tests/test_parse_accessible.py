"""The MoJ accessible-spreadsheet conventions: symbols in cells, notes in headers, header rows found by label."""
import datetime as dt
import math

import pytest

from justice_tracker.parsers.accessible import (CellValue, Label, Workbook, cell_ref, clean_label, find_table,
                                                locate_table, parse_cell, parse_date, read_table_sheet)
from justice_tracker.parsers.base import ParseError
from support.synthetic.accessible_workbook import (Sheet, contents_sheet, cover_sheet, notes_sheet,
                                                   split_exact, table_sheet, write_workbook)


@pytest.mark.parametrize("printed, marker", [
    ("[x]", "[x]"), ("[c]", "[c]"), ("[z]", "[z]"), ("[low]", "[low]"), ("[u]", "[u]"), ("..", ".."), ("-", "-"),
    ("*", "*"), ("  [C] ", "[C]"), ("5 [c]", "5 [c]"), ("[x] [note 4]", "[x] [note 4]"),
])
def test_a_symbol_is_a_missing_value_never_zero_and_keeps_what_was_printed(printed, marker):
    cell = parse_cell(printed)
    assert cell.value is None
    assert cell.marker == marker


def test_revised_and_other_flags_keep_the_number():
    assert parse_cell("1,234 [rev]") == CellValue(1234.0, "[rev]", True, ())
    assert parse_cell("12.5 [r]") == CellValue(12.5, "[r]", True, ())
    assert parse_cell("7 [p]") == CellValue(7.0, "[p]", False, ())
    assert parse_cell("42 [note 5]") == CellValue(42.0, "[note 5]", False, (5,))


def test_numbers_including_zero_and_negatives_are_numbers():
    assert parse_cell(0) == CellValue(0.0, "", False, ())
    assert parse_cell(-1179.6) == CellValue(-1179.6, "", False, ())
    assert parse_cell("-12.5") == CellValue(-12.5, "", False, ())
    assert parse_cell("\u22123") == CellValue(-3.0, "", False, ())
    assert parse_cell("") == CellValue(None, "", False, ())
    assert parse_cell(float("nan")) == CellValue(None, "", False, ())


@pytest.mark.parametrize("printed, message", [
    ("n/a", "expected a number or a marker"), ("12 people", "expected a number or a marker"),
    ("[q]", r"unknown symbol '\[q\]'"), (True, "boolean"), (dt.date(2024, 1, 1), "expected a number"),
])
def test_text_that_is_neither_a_number_nor_a_known_symbol_is_refused(printed, message):
    with pytest.raises(ValueError, match=message):
        parse_cell(printed)


def test_notes_and_flags_are_stripped_from_labels_and_recorded():
    assert clean_label("Standard recalls [note 11]") == Label("Standard recalls", (11,), ())
    assert clean_label("Total  [notes 3, 4] [rev]") == Label("Total", (3, 4), ("[rev]",))
    assert clean_label("Odd [q]") == Label("Odd [q]", (), ())
    assert clean_label(dt.datetime(2025, 6, 30)) == Label("2025-06-30", (), ())
    assert clean_label(2023.0) == Label("2023", (), ())


def test_cell_references_quote_sheet_names_as_spreadsheets_do():
    assert cell_ref("Table_5_1", 11, 2) == "Table_5_1!C12"
    assert cell_ref("Table 1.1", 4, 1) == "'Table 1.1'!B5"
    assert cell_ref("A1", 0, 27) == "'A1'!AB1"


def test_dates_from_cells_and_text_and_month_only_text_as_month_end():
    assert parse_date(dt.datetime(2025, 6, 30, 0, 0)) == dt.date(2025, 6, 30)
    assert parse_date("30 June 2025") == parse_date("2025-06-30") == dt.date(2025, 6, 30)
    assert parse_date("Jun-09", month_only=True) == dt.date(2009, 6, 30)
    assert parse_date("Feb-24", month_only=True) == dt.date(2024, 2, 29)
    with pytest.raises(ValueError, match="expected a date"):
        parse_date("Jun-09")


def test_split_exact_keeps_the_total():
    parts = split_exact(214578, [1, 2, 3.3, 0])
    assert parts.sum() == 214578 and parts[-1] == 0
    assert abs(parts[2] - 214578 * 3.3 / 6.3) < 1


NOTES = {1: "Figures are rounded.", 2: "Totals include recalls of all types.", 12: "A later note."}
HEADER = ["Quarter", "Total [note 2]", "Standard [rev]", "Other"]
ROWS = [["Jan to Mar 2025", 100, 60, "[c]"],
        ["Apr to Jun 2025", 110, "70 [rev]", 40],
        ["Jul to Sep 2025 [note 12]", "..", 0, "[z]"]]


def _write(path, preamble_lines=3, header=HEADER, rows=ROWS, extra_sheets=()):
    sheets = [cover_sheet("Example statistics: July to September 2025", ["Published 30 October 2025"]),
              contents_sheet([("Table_5_1", "Table 5.1"), ("Table 1.1", "Table 1.1")]),
              notes_sheet(NOTES),
              table_sheet("Table_5_1", "Table 5.1: Example by quarter", header, rows,
                          preamble=[f"Line {i} of text above the table." for i in range(preamble_lines)]),
              table_sheet("Table 1.1", "Table 1.1: Example by date", ["Date", "Value"],
                          [[dt.date(2025, 6, 30), 5.5], [dt.date(2025, 9, 30), "[x]"]], preamble=[]),
              *extra_sheets]
    return write_workbook(path, sheets)


@pytest.fixture(params=["ods", "xlsx"])
def book_path(tmp_path, request):
    return _write(tmp_path / f"example.{request.param}")


def test_cover_contents_and_notes_are_not_tables_and_notes_read_by_number(book_path):
    book = Workbook(book_path)
    assert book.table_sheets() == ["Table_5_1", "Table 1.1"]
    assert book.notes() == NOTES
    assert book.title("Table_5_1") == "Table 5.1: Example by quarter"


def test_a_table_sheet_reads_into_cells_with_references_markers_and_header_notes(book_path):
    cells, header_notes = read_table_sheet(book_path, "Table_5_1", id_columns=["Quarter"],
                                           value_columns=["Total", "Standard"],
                                           optional_value_columns=["Other", "Not in this edition"])
    assert header_notes == {"Total": (2,)}
    got = cells[["Quarter", "measure", "value", "marker", "revised", "notes", "cell", "row_label"]]
    expected = [
        ("Jan to Mar 2025", "Total", 100.0, "", False, "2", "Table_5_1!B6", "Jan to Mar 2025"),
        ("Jan to Mar 2025", "Standard", 60.0, "", False, "", "Table_5_1!C6", "Jan to Mar 2025"),
        ("Jan to Mar 2025", "Other", None, "[c]", False, "", "Table_5_1!D6", "Jan to Mar 2025"),
        ("Apr to Jun 2025", "Total", 110.0, "", False, "2", "Table_5_1!B7", "Apr to Jun 2025"),
        ("Apr to Jun 2025", "Standard", 70.0, "[rev]", True, "", "Table_5_1!C7", "Apr to Jun 2025"),
        ("Apr to Jun 2025", "Other", 40.0, "", False, "", "Table_5_1!D7", "Apr to Jun 2025"),
        ("Jul to Sep 2025", "Total", None, "..", False, "2;12", "Table_5_1!B8", "Jul to Sep 2025"),
        ("Jul to Sep 2025", "Standard", 0.0, "", False, "12", "Table_5_1!C8", "Jul to Sep 2025"),
        ("Jul to Sep 2025", "Other", None, "[z]", False, "12", "Table_5_1!D8", "Jul to Sep 2025"),
    ]
    records = [tuple(None if isinstance(v, float) and math.isnan(v) else v for v in rec)
               for rec in got.itertuples(index=False, name=None)]
    assert records == expected
    assert set(cells["source_file"]) == {book_path.name} and set(cells["sheet"]) == {"Table_5_1"}
    table = locate_table(book_path, "Table_5_1", ["Quarter", "Total", "Standard", "Other"])
    assert table.revised_columns == ["Standard"]
    assert table.preamble == ["Line 0 of text above the table.", "Line 1 of text above the table.",
                              "Line 2 of text above the table."]


def test_the_header_row_is_found_by_its_labels_wherever_it_is(tmp_path):
    near = locate_table(_write(tmp_path / "near.ods", preamble_lines=0), "Table_5_1", ["Quarter", "Total"],
                        ["Standard", "Other"])
    far = locate_table(_write(tmp_path / "far.ods", preamble_lines=7), "Table_5_1", ["Quarter", "Total"],
                       ["Standard", "Other"])
    assert (near.header_row, far.header_row) == (1, 8)
    columns = ["Quarter", "measure", "value", "marker"]
    assert near.cells(["Quarter"], ["Total", "Standard", "Other"])[columns].equals(
        far.cells(["Quarter"], ["Total", "Standard", "Other"])[columns])


def test_dates_in_id_cells_convert_and_the_table_is_found_whatever_the_sheet_is_called(book_path):
    table = find_table(book_path, ["Date", "Value"], what="example by date")
    assert table.sheet == "Table 1.1"
    cells = table.cells(["Date"], ["Value"], convert={"Date": lambda raw: parse_date(raw).isoformat()})
    assert list(cells["Date"]) == ["2025-06-30", "2025-09-30"]
    assert list(cells["cell"]) == ["'Table 1.1'!B3", "'Table 1.1'!B4"]
    assert cells["value"].iloc[0] == 5.5 and math.isnan(cells["value"].iloc[1])


def test_a_header_row_that_is_not_there_names_the_labels_expected_and_found(book_path):
    with pytest.raises(ParseError, match=r"Table_5_1.*header row not found.*'Quarter', 'Standard recalls'.*"
                                         r"closest was row 5 with \['Quarter', 'Total', 'Standard', 'Other'\]"):
        locate_table(book_path, "Table_5_1", ["Quarter", "Standard recalls"])


def test_an_unexpected_column_label_is_refused(book_path):
    with pytest.raises(ParseError, match=r"unexpected label\(s\) \['Other'\]"):
        locate_table(book_path, "Table_5_1", ["Quarter", "Total", "Standard"])


def test_a_missing_sheet_names_the_sheets_found(book_path):
    with pytest.raises(ParseError, match=r"no sheet named 'Table_9'; sheets found: \['Cover', 'Contents', 'Notes'"):
        Workbook(book_path).rows("Table_9")


def test_no_sheet_or_two_sheets_with_the_labels_are_errors(tmp_path):
    path = _write(tmp_path / "two.ods", extra_sheets=[
        table_sheet("Table_5_2", "Table 5.2: A copy", HEADER, ROWS)])
    with pytest.raises(ParseError, match=r"more than one sheet .*\['Table_5_1', 'Table_5_2'\]"):
        find_table(path, ["Quarter", "Total"], what="example")
    with pytest.raises(ParseError, match=r"no table sheet has .*'Period'.*'Table 1.1': \['Date', 'Value'\]"):
        find_table(path, ["Period", "Total"], what="example")
    assert find_table(path, ["Period"], what="example", must_exist=False) is None


def test_text_in_a_value_cell_is_an_error_naming_the_cell(tmp_path):
    path = _write(tmp_path / "bad.xlsx", rows=[*ROWS, ["Oct to Dec 2025", "about 120", 1, 2]])
    with pytest.raises(ParseError, match=r"cell Table_5_1!B9: expected a number or a marker, found 'about 120'"):
        read_table_sheet(path, "Table_5_1", id_columns=["Quarter"], value_columns=["Total", "Standard", "Other"])


def test_a_repeated_row_label_or_label_is_an_error(tmp_path):
    path = _write(tmp_path / "dup.ods", rows=[*ROWS, ROWS[0]])
    with pytest.raises(ParseError, match=r"row 9 repeats the row label\(s\) of row 6"):
        read_table_sheet(path, "Table_5_1", id_columns=["Quarter"], value_columns=["Total", "Standard", "Other"])
    path = _write(tmp_path / "duplabel.ods", header=["Quarter", "Total", "Total", "Other"])
    with pytest.raises(ParseError, match="a label appears more than once"):
        locate_table(path, "Table_5_1", ["Quarter", "Total"], ["Other"])


def test_a_file_that_is_not_a_spreadsheet_or_a_notes_sheet_without_header_is_refused(tmp_path):
    csv = tmp_path / "table.ods"
    csv.write_text("date,value\n2025-06-30,5\n")
    with pytest.raises(ParseError, match="expected a spreadsheet .* found 'csv-or-text'"):
        Workbook(csv)
    path = write_workbook(tmp_path / "notes.ods", [Sheet("Notes", [["Notes"], ["Some text without a header"]])])
    with pytest.raises(ParseError, match="no header row starting 'Note'"):
        Workbook(path).notes()
