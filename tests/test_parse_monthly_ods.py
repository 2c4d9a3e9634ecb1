"""Monthly per-prison ODS parser on workbooks written by tests/support/synthetic/monthly.py.

With ../shared: real months of the third-party per-prison parse (monthly_establishments.csv) are written into the
documented layout; the parse must return exactly those establishments and reproduce the published Total UOC.
Without it: the same on a synthetic 130-establishment sheet. Then the totals check and every fault must fail
loudly, naming the file, the sheet and what was expected.
"""
from __future__ import annotations

import csv
import datetime as dt
import math
import time
from collections import defaultdict

import pytest

from justice_tracker.parsers import monthly_ods
from justice_tracker.parsers.base import ParseError
from support.synthetic import (Establishment, establishments_from_prisoncap, synthetic_establishments,
                               synthetic_weekly_series, write_monthly_bulletin, write_weekly_bulletin)

FIGURES = ["baseline_cna", "in_use_cna", "op_cap", "population"]


@pytest.fixture(scope="session")
def prisoncap_months(shared_raw):
    months = defaultdict(list)
    with open(shared_raw / "processed-prisoncap" / "monthly_establishments.csv", newline="") as f:
        for r in csv.DictReader(f):
            months[r["month"][:7]].append(r)
    return months


def rows_of(parsed) -> list[tuple]:
    """(section, establishment, figures...) with None for a missing figure."""
    return [(r.section, r.establishment, *(None if math.isnan(getattr(r, f)) else getattr(r, f) for f in FIGURES))
            for r in parsed.table.itertuples()]


def rows_written(establishments) -> list[tuple]:
    return [(e.section, e.name, *(None if getattr(e, f) is None else float(getattr(e, f)) for f in FIGURES))
            for e in establishments]


def write(tmp_path, establishments, margin=1350, report_date=dt.date(2024, 9, 27), name="monthly.ods", **options):
    return write_monthly_bulletin(tmp_path / name, report_date, establishments, margin, **options)


# --- Real published values ------------------------------------------------------------------------------------

@pytest.mark.shared
@pytest.mark.parametrize("month, margin", [
    ("2018-03", 2000),  # Blantyre House partial row; Morton Hall in the IRC section
    ("2020-05", 3000),  # Covid single-cell margin
    ("2023-03", 1950),
    ("2025-07", 1640),  # no IRC section any more; Dartmoor at 0 operational capacity
])
def test_real_month_comes_back_exactly_and_reproduces_the_published_uoc(tmp_path, prisoncap_months, month, margin):
    records = prisoncap_months[month]
    report_date = dt.date.fromisoformat(records[0]["report_date"])
    establishments = establishments_from_prisoncap(records)
    parsed = monthly_ods.parse(write(tmp_path, establishments, margin, report_date, name=f"{month}.ods"))
    assert rows_of(parsed) == rows_written(establishments)
    assert parsed.meta["report_date"] == report_date
    assert parsed.meta["total"]["op_cap"] == float(records[0]["published_uoc"])
    assert parsed.meta["operating_margin"] == margin
    assert parsed.meta["operating_margin_source"].startswith("footnote ")
    assert parsed.meta["inconsistencies"] == []
    assert list(parsed.table.columns) == monthly_ods.TABLE_COLUMNS


@pytest.mark.shared
def test_real_closed_establishment_partial_row_and_irc_section(tmp_path, prisoncap_months):
    records = prisoncap_months["2018-03"]
    parsed = monthly_ods.parse(write(tmp_path, establishments_from_prisoncap(records), 2000, dt.date(2018, 3, 23)))
    blantyre = parsed.table.set_index("establishment").loc["Blantyre House"]
    assert blantyre["baseline_cna"] == 122.0
    assert blantyre[["in_use_cna", "op_cap", "population"]].isna().all()
    irc = parsed.table[parsed.table["section"] == "irc"]
    assert irc["establishment"].tolist() == ["Morton Hall (IRC)"]
    assert parsed.meta["sum_op_cap"] == 88515.0 and parsed.meta["total"]["op_cap"] == 86515.0
    assert parsed.meta["uoc_check"] == "sum 88,515 - margin 2,000 = 86,515 (Total)"


# --- Synthetic values (no ../shared needed) -------------------------------------------------------------------

def test_a_130_establishment_sheet_comes_back_exactly(tmp_path):
    start = time.perf_counter()
    establishments = synthetic_establishments(130, n_irc=2)
    path = write(tmp_path, establishments)
    assert time.perf_counter() - start < 10
    assert monthly_ods.identify(path)
    parsed = monthly_ods.parse(path)
    assert rows_of(parsed) == rows_written(establishments)
    # The exceeding list after the table repeats names with figures: none of it is read.
    assert len(parsed.table) == 130 and parsed.table["establishment"].is_unique
    assert set(parsed.table["section"]) == {"prison", "irc"}
    assert parsed.meta["subtotals"]["irc"]["op_cap"] == sum(e.op_cap for e in establishments[-2:])
    assert parsed.meta["total"]["op_cap"] == parsed.meta["sum_op_cap"] - 1350
    assert parsed.table["cell"].iloc[0] == "A5:E5" and parsed.table["row_label"].iloc[0] == establishments[0].name


def test_closed_and_zero_capacity_establishments_keep_their_rows(tmp_path):
    establishments = synthetic_establishments(10)
    parsed = monthly_ods.parse(write(tmp_path, establishments))
    closed, zero = parsed.table.iloc[1], parsed.table.iloc[2]
    assert closed["baseline_cna"] == establishments[1].baseline_cna
    assert closed[["in_use_cna", "op_cap", "population"]].isna().all()
    assert (zero[["in_use_cna", "op_cap", "population"]] == 0).all()  # a published 0 stays 0, not missing


def test_without_irc_rows_there_is_no_irc_section(tmp_path):
    parsed = monthly_ods.parse(write(tmp_path, synthetic_establishments(20, n_irc=0)))
    assert set(parsed.table["section"]) == {"prison"} and set(parsed.meta["subtotals"]) == {"prison"}


def test_a_shifted_header_is_still_found(tmp_path):
    establishments = synthetic_establishments(30)
    parsed = monthly_ods.parse(write(tmp_path, establishments, origin=(12, 2)))  # header on row 16, column C
    assert rows_of(parsed) == rows_written(establishments)
    assert parsed.meta["report_date_cell"] == "C14"
    assert parsed.table["cell"].iloc[0] == "C17:G17"


def test_without_the_margin_footnote_the_documented_margin_is_used(tmp_path):
    parsed = monthly_ods.parse(write(tmp_path, synthetic_establishments(30), 3000, dt.date(2020, 5, 29),
                                     footnote_margin=None))
    assert parsed.meta["operating_margin"] == 3000
    assert parsed.meta["operating_margin_source"] == "documented history"
    assert parsed.meta["notes"] == []


def test_a_stale_footnote_margin_is_explained_by_the_documented_margin(tmp_path):
    parsed = monthly_ods.parse(write(tmp_path, synthetic_establishments(30), 3000, dt.date(2020, 5, 29),
                                     footnote_margin=2000))
    assert parsed.meta["operating_margin"] == 3000
    assert parsed.meta["notes"] == ["footnote A41 says less 2,000 places, but the Total matches the documented "
                                    "margin 3,000 for May 2020"]


def test_a_total_uoc_that_no_margin_explains_fails(tmp_path):
    establishments = synthetic_establishments(30)
    column_sum = sum(e.op_cap or 0 for e in establishments)
    path = write(tmp_path, establishments, total_uoc=column_sum - 1300)
    with pytest.raises(ParseError) as err:
        monthly_ods.parse(path)
    message = str(err.value)
    assert message.startswith("monthly.ods, sheet 'MonthlyBulletin': establishments' Operational Capacity sums to")
    assert f"useable operational capacity {column_sum - 1300:,}" in message and "margin of 1,300" in message
    assert "1,350 (footnote A41)" in message and "1,350 (documented for September 2024)" in message


def test_an_unpublished_capacity_cell_makes_the_check_impossible_not_an_error(tmp_path):
    establishments = synthetic_establishments(30)
    hidden = establishments[5]
    column_sum = sum(e.op_cap or 0 for e in establishments)
    establishments[5] = Establishment(hidden.name, hidden.baseline_cna, hidden.in_use_cna, "[x]", hidden.population)
    parsed = monthly_ods.parse(write(tmp_path, establishments, total_uoc=column_sum - 1350))
    row = parsed.table.iloc[5]
    assert math.isnan(row["op_cap"]) and row["note"] == "op_cap (D10): not published: '[x]'"
    assert parsed.meta["uoc_check"].startswith(
        f"not possible: operational capacity not published for ['{hidden.name}']")


def test_footnote_markers_in_figures_are_removed_with_a_note(tmp_path):
    establishments = synthetic_establishments(30)
    e = establishments[3]
    establishments[3] = Establishment(e.name + " *", e.baseline_cna, e.in_use_cna, e.op_cap, f"{e.population:,}*")
    parsed = monthly_ods.parse(write(tmp_path, establishments))
    row = parsed.table.iloc[3]
    assert row["establishment"] == e.name and row["row_label"] == e.name + " *"
    assert row["population"] == e.population
    assert row["note"] == f"population (E8): footnote marker '*' removed from '{e.population:,}*'"
    # The Sub total and Total were written without the marked figure, so the sums now differ: reported, not fixed.
    assert [i.split(":")[0] for i in parsed.meta["inconsistencies"]] == ["prison Sub total (row 34) population",
                                                                         "Total population"]


def test_text_in_a_figure_cell_fails_naming_the_cell(tmp_path):
    establishments = synthetic_establishments(30)
    e = establishments[3]
    establishments[3] = Establishment(e.name, e.baseline_cna, "closed", e.op_cap, e.population)
    with pytest.raises(ParseError, match=r"monthly\.ods, sheet 'MonthlyBulletin': cell C8 holds 'closed' where a "
                                         r"number was expected"):
        monthly_ods.parse(write(tmp_path, establishments))


# --- Faults ---------------------------------------------------------------------------------------------------

def test_a_renamed_column_header_fails_naming_the_expected_and_found_headers(tmp_path):
    path = write(tmp_path, synthetic_establishments(10), column_labels={"op_cap": "Op Cap"})
    with pytest.raises(ParseError, match=r"monthly\.ods, sheet 'MonthlyBulletin': header row 4: expected columns "
                                         r".*missing \['Operational Capacity'\]; found \[.*'Op Cap'"):
        monthly_ods.parse(path)


def test_a_header_without_prison_name_is_not_found(tmp_path):
    path = write(tmp_path, synthetic_establishments(10), column_labels={"name": "Establishment"})
    with pytest.raises(ParseError, match=r"no header row holding 'Prison Name' and 'CNA' in the first 25 rows"):
        monthly_ods.parse(path)


def test_a_renamed_sheet_fails_naming_the_sheets_found(tmp_path):
    path = write(tmp_path, synthetic_establishments(10), sheet_name="Sheet1")
    assert not monthly_ods.identify(path)
    with pytest.raises(ParseError, match=r"monthly\.ods: expected one sheet named 'MonthlyBulletin'; sheets in the "
                                         r"file: \['Sheet1'\]"):
        monthly_ods.parse(path)


def test_a_renamed_total_row_fails_rather_than_reading_on_into_the_footnotes(tmp_path):
    path = write(tmp_path, synthetic_establishments(10), total_label="Estate total")
    with pytest.raises(ParseError, match=r"monthly\.ods, sheet 'MonthlyBulletin': expected a 'Total' row ending the "
                                         r"table below the header \(row 4\); labels found: .*'Estate total'"):
        monthly_ods.parse(path)


def test_a_missing_report_date_fails(tmp_path):
    path = write(tmp_path, synthetic_establishments(10), report_date_cell=False)
    with pytest.raises(ParseError, match=r"expected a 'Report Date: dd/mm/yyyy' cell above the header row \(row 4\)"):
        monthly_ods.parse(path)


@pytest.mark.parametrize("name, content, container", [
    ("prison-population-monthly.ods", b"<html><head><title>Page not found - GOV.UK</title></head></html>", "html"),
    ("empty.ods", b"   \n", "empty"),
])
def test_a_file_that_is_not_a_spreadsheet_fails_naming_the_container(tmp_path, name, content, container):
    path = tmp_path / name
    path.write_bytes(content)
    assert not monthly_ods.identify(path)
    with pytest.raises(ParseError, match=rf"{name}: expected a spreadsheet .* found '{container}' content"):
        monthly_ods.parse(path)


def test_identify_rejects_a_weekly_bulletin(tmp_path):
    path = write_weekly_bulletin(tmp_path / "weekly.ods", synthetic_weekly_series("B", n_weeks=1)[0])
    assert not monthly_ods.identify(path)


def test_documented_margin_history():
    assert monthly_ods.documented_margin(dt.date(2018, 3, 23)) == 2000
    assert monthly_ods.documented_margin(dt.date(2020, 5, 29)) == 3000
    assert monthly_ods.documented_margin(dt.date(2023, 11, 24)) == 1350
    assert monthly_ods.documented_margin(dt.date(2025, 7, 28)) == 1640
    assert monthly_ods.documented_margin(dt.date(2010, 12, 31)) is None


def test_the_parser_is_marked_unverified():
    assert monthly_ods.VERIFIED_AGAINST_PUBLISHED_FILE is False
    assert "NOT YET VERIFIED AGAINST A PUBLISHED FILE" in monthly_ods.__doc__
    assert monthly_ods.KIND == "monthly_ods"
