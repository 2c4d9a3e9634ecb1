"""Weekly estate bulletin parser (layouts A1, A2, B) on workbooks written by tests/support/synthetic/weekly.py.

With ../shared: real rows of the third-party parse of every bulletin (weekly_population_capacity.csv) are written
into the documented layout and must come back exactly, cell for cell. Without it: the same round trip on
synthetic values, so the parser is exercised everywhere. Then every fault must fail loudly, naming the file, the
sheet and the label expected. The writers write .ods only; the legacy .xls reader is tested on one committed
bulletin, tests/fixtures/weekly-a1-sample.xls (tests/fixtures/README.md says how it was made).
"""
from __future__ import annotations

import csv
import datetime as dt
import math
import time
from pathlib import Path

import pytest

from justice_tracker.parsers import weekly_bulletin
from justice_tracker.parsers.base import ParseError
from support.synthetic import (WeeklyBulletin, synthetic_establishments, synthetic_weekly_series,
                               weekly_values_from_prisoncap, write_monthly_bulletin, write_weekly_a1,
                               write_weekly_bulletin, write_weekly_series)

FORMATS = [("A1", ".ods"), ("A2", ".ods"), ("B", ".ods")]

# A layout A1 bulletin as .xls (written once with xlwt, now unmaintained): its cells, as the writer was given them.
XLS_SAMPLE = Path(__file__).parent / "fixtures" / "weekly-a1-sample.xls"
XLS_SAMPLE_DATE = dt.date(2016, 1, 15)
XLS_SAMPLE_VALUES = {
    ("this_week", "population", "total"): 83857, ("this_week", "population", "prisons"): 82968,
    ("this_week", "population", "irc"): 889, ("this_week", "male_population", "total"): 80027,
    ("this_week", "female_population", "total"): 3830,
    ("this_week", "useable_operational_capacity", "total"): 86315,
    ("this_week", "useable_operational_capacity", "prisons"): 85323,
    ("this_week", "useable_operational_capacity", "irc"): 992, ("this_week", "hdc_caseload", "total"): 2480,
    ("last_week", "population", "total"): 83899, ("last_week", "useable_operational_capacity", "total"): 86310,
    ("12_months_ago", "population", "total"): 83860,
    ("12_months_ago", "useable_operational_capacity", "total"): 86468,
}


@pytest.fixture(scope="session")
def prisoncap_weeks(shared_raw):
    with open(shared_raw / "processed-prisoncap" / "weekly_population_capacity.csv", newline="") as f:
        return {dt.date.fromisoformat(r["date"]): r for r in csv.DictReader(f)}


def cells(parsed) -> dict:
    """{(period, measure, group): value}, or the note where the value is missing."""
    return {(r.period, r.measure, r.group): r.note if math.isnan(r.value) else r.value
            for r in parsed.table.itertuples()}


def written(values) -> dict:
    """What the parser must return for the values written: numbers as floats, symbols as 'not published'."""
    return {k: float(v) if isinstance(v, (int, float)) else f"not published: {v!r}" for k, v in values.items()}


def value(parsed, period, measure, group="total") -> float:
    rows = parsed.table.query("period == @period and measure == @measure and group == @group")
    assert len(rows) == 1, (period, measure, group)
    return rows["value"].iloc[0]


def round_trip(tmp_path, bulletin: WeeklyBulletin, suffix: str = ".ods", **options):
    path = write_weekly_bulletin(tmp_path / f"bulletin-{bulletin.layout}{suffix}", bulletin, **options)
    parsed = weekly_bulletin.parse(path)
    assert cells(parsed) == written(bulletin.values)
    assert parsed.meta["layout"] == bulletin.layout
    assert parsed.meta["bulletin_date"] == bulletin.bulletin_date
    return parsed


# --- Real published values ------------------------------------------------------------------------------------

@pytest.mark.shared
@pytest.mark.parametrize("date, layout, suffix", [
    ("2011-12-09", "A1", ".ods"),  # first A1 bulletin, NOMS-operated IRCs
    ("2016-09-30", "A1", ".ods"),
    ("2021-07-23", "A1", ".ods"),  # last A1 bulletin, HMPPS-operated IRCs, IRC population 0
    ("2023-03-10", "A2", ".ods"),  # before the Operating Margin row
    ("2024-10-18", "A2", ".ods"),  # last A2 bulletin, with the margin row
    ("2025-02-17", "B", ".ods"),   # margin 1,350; 12 months ago falls in the A2 era (totals only)
    ("2026-03-16", "B", ".ods"),   # margin 1,640
])
def test_real_bulletin_values_come_back_exactly(tmp_path, prisoncap_weeks, date, layout, suffix):
    day = dt.date.fromisoformat(date)
    record = prisoncap_weeks[day]
    assert record["layout"] == layout
    parsed = round_trip(tmp_path, weekly_values_from_prisoncap(prisoncap_weeks, day, layout), suffix)
    # Straight from the CSV, not through the fixture builder:
    assert value(parsed, "this_week", "population") == float(record["pop_total"])
    assert value(parsed, "this_week", "useable_operational_capacity") == float(record["uoc_total"])
    assert set(parsed.table["source_file"]) == {f"bulletin-{layout}{suffix}"}
    assert parsed.table["cell"].str.fullmatch(r"[A-Z]+\d+").all()


@pytest.mark.shared
def test_a1_reads_the_prisons_and_irc_columns_and_ignores_the_ghost_sheet(tmp_path, prisoncap_weeks):
    day = dt.date(2016, 9, 30)
    record = prisoncap_weeks[day]
    path = write_weekly_a1(tmp_path / "prison-population-30-sept-2016.ods", day,
                           weekly_values_from_prisoncap(prisoncap_weeks, day, "A1").values, ghost_sheets=2)
    parsed = weekly_bulletin.parse(path)
    assert value(parsed, "this_week", "population", "prisons") == float(record["pop_prisons"])
    assert value(parsed, "this_week", "population", "irc") == float(record["pop_irc"])
    assert value(parsed, "this_week", "useable_operational_capacity", "irc") == float(record["uoc_irc"])
    assert value(parsed, "this_week", "male_population") == float(record["pop_male"])
    assert value(parsed, "last_week", "population") == float(prisoncap_weeks[dt.date(2016, 9, 23)]["pop_total"])
    assert value(parsed, "12_months_ago", "population") == float(prisoncap_weeks[dt.date(2015, 10, 2)]["pop_total"])
    assert parsed.meta["sheet"] == "Headlines-_PUBLISHED"
    assert parsed.meta["column_headers"]["irc"] == "NOMS Operated IRCs"
    assert len(parsed.meta["ignored_sheets"]) == 2
    assert 11111.0 not in set(parsed.table["value"])  # the ghost sheets' decoy figures
    assert parsed.meta["inconsistencies"] == []


@pytest.mark.shared
def test_a1_after_a_skipped_week_shows_data_not_available_for_last_week(tmp_path, prisoncap_weeks):
    day = dt.date(2020, 5, 15)  # no bulletin on Friday 8 May 2020 (VE Day bank holiday)
    assert prisoncap_weeks[day]["week_gap_days"] == "14.0"
    parsed = round_trip(tmp_path, weekly_values_from_prisoncap(prisoncap_weeks, day, "A1"))
    last_week = parsed.table[parsed.table["period"] == "last_week"]
    assert len(last_week) == 2 and last_week["value"].isna().all()
    assert set(last_week["note"]) == {"not published: 'Data not available'"}
    assert parsed.meta["last_week_available"] is False
    assert value(parsed, "12_months_ago", "population") == float(prisoncap_weeks[dt.date(2019, 5, 17)]["pop_total"])


@pytest.mark.shared
def test_published_arithmetic_that_does_not_add_up_is_kept_and_reported(tmp_path, prisoncap_weeks):
    day = dt.date(2021, 4, 9)  # UOC: Prisons 81,485 + IRCs 392 against a Total of 80,877, as published
    parsed = round_trip(tmp_path, weekly_values_from_prisoncap(prisoncap_weeks, day, "A1"))
    assert value(parsed, "this_week", "useable_operational_capacity") == 80877.0
    assert parsed.meta["inconsistencies"] == [
        "this_week useable_operational_capacity: prisons + irc = 81,877 but Total = 80,877"]


@pytest.mark.shared
def test_a2_operating_margin_row_this_week_last_week_and_a_year_ago(tmp_path, prisoncap_weeks):
    parsed = round_trip(tmp_path, weekly_values_from_prisoncap(prisoncap_weeks, dt.date(2024, 10, 18), "A2"))
    assert parsed.meta["operating_margin"] == 1350.0
    assert value(parsed, "last_week", "operating_margin") == 1350.0
    assert value(parsed, "12_months_ago", "operating_margin") == 1340.0  # the margin in October 2023
    assert value(parsed, "this_week", "male_population") == 83491.0
    assert parsed.meta["column_headers"] == {"total": "This week"}

    before = round_trip(tmp_path, weekly_values_from_prisoncap(prisoncap_weeks, dt.date(2023, 3, 10), "A2"))
    assert before.meta["operating_margin"] is None
    assert "operating_margin" not in set(before.table["measure"])


@pytest.mark.shared
def test_b_headroom_and_margins_equal_the_published_figures(tmp_path, prisoncap_weeks):
    day = dt.date(2026, 3, 16)
    record = prisoncap_weeks[day]
    parsed = round_trip(tmp_path, weekly_values_from_prisoncap(prisoncap_weeks, day, "B"))
    assert value(parsed, "this_week", "headroom") == float(record["headroom_published"]) == 2171.0
    for group in ("adult_male", "female", "ycs"):
        assert value(parsed, "this_week", "population", group) == float(record[f"pop_{group}"])
        assert value(parsed, "this_week", "operating_margin", group) == float(record[f"operating_margin_{group}"])
    assert parsed.meta["operating_margin"] == 1640.0
    assert parsed.meta["operating_margin_by_group"] == {"total": 1640.0, "adult_male": 1460.0, "female": 120.0,
                                                        "ycs": 60.0}
    assert parsed.meta["inconsistencies"] == []
    dates = parsed.table.groupby("period")["reference_date"].first()
    assert dates["last_week"].date() == dt.date(2026, 3, 9)
    assert dates["12_months_ago"].date() == dt.date(2025, 3, 17)


# --- The committed .xls bulletin (no ../shared needed) ---------------------------------------------------------

def test_the_committed_xls_bulletin_values_come_back_exactly():
    assert XLS_SAMPLE.stat().st_size < 100_000
    assert weekly_bulletin.identify(XLS_SAMPLE)
    parsed = weekly_bulletin.parse(XLS_SAMPLE)
    assert cells(parsed) == written(XLS_SAMPLE_VALUES)
    assert list(parsed.table.columns) == weekly_bulletin.TABLE_COLUMNS
    assert parsed.meta["layout"] == "A1"
    assert parsed.meta["bulletin_date"] == XLS_SAMPLE_DATE
    assert parsed.meta["last_week_available"] is True
    assert parsed.meta["sheet"] == "Headlines- PUBLISHED"
    assert parsed.meta["column_headers"] == {"total": "Total", "prisons": "Prisons", "irc": "NOMS Operated IRCs"}
    assert len(parsed.meta["ignored_sheets"]) == 2  # the ghost external-link sheets
    assert 11111.0 not in set(parsed.table["value"])  # their decoy figures
    assert parsed.meta["inconsistencies"] == []
    assert set(parsed.table["source_file"]) == {XLS_SAMPLE.name}
    assert parsed.table["cell"].str.fullmatch(r"[A-Z]+\d+").all()


def test_the_writers_no_longer_write_xls(tmp_path):
    bulletin = synthetic_weekly_series("A1", n_weeks=1)[0]
    with pytest.raises(ValueError, match=r"no longer write legacy \.xls"):
        write_weekly_bulletin(tmp_path / "bulletin.xls", bulletin)
    assert not (tmp_path / "bulletin.xls").exists()


# --- Synthetic values (no ../shared needed) -------------------------------------------------------------------

@pytest.mark.parametrize("layout, suffix", FORMATS)
def test_synthetic_bulletin_values_come_back_exactly(tmp_path, layout, suffix):
    bulletin = synthetic_weekly_series(layout, n_weeks=2, seed=7)[-1]
    parsed = round_trip(tmp_path, bulletin, suffix)
    assert weekly_bulletin.identify(tmp_path / f"bulletin-{layout}{suffix}")
    assert list(parsed.table.columns) == weekly_bulletin.TABLE_COLUMNS
    assert parsed.meta["inconsistencies"] == []


@pytest.mark.parametrize("layout, suffix", FORMATS)
def test_a_skipped_week_leaves_data_not_available_in_the_next_bulletin(tmp_path, layout, suffix):
    series = synthetic_weekly_series(layout, n_weeks=3, skipped=[1])
    assert [b.bulletin_date - series[0].bulletin_date for b in series] == [dt.timedelta(0), dt.timedelta(14)]
    parsed = round_trip(tmp_path, series[1], suffix)
    assert parsed.meta["last_week_available"] is False
    assert not parsed.table.query("period == 'last_week'")["value"].notna().any()
    assert parsed.table.query("period == '12_months_ago'")["value"].notna().all()


@pytest.mark.parametrize("layout, suffix", FORMATS)
def test_a_shifted_sheet_is_still_read_by_label(tmp_path, layout, suffix):
    bulletin = synthetic_weekly_series(layout, n_weeks=1)[0]
    plain = round_trip(tmp_path, bulletin, suffix)
    shifted = round_trip(tmp_path, bulletin, suffix, origin=(5, 3))
    moved = plain.table["cell"].str.replace(r"^([A-Z])(\d+)$", lambda m: f"{chr(ord(m[1]) + 3)}{int(m[2]) + 5}",
                                            regex=True)
    assert list(shifted.table["cell"]) == list(moved)
    assert shifted.table.drop(columns="cell").equals(plain.table.drop(columns="cell"))


@pytest.mark.parametrize("block_headers", ["title_row", "next_row", "none"])
def test_b_previous_period_blocks_with_or_without_their_own_column_headers(tmp_path, block_headers):
    bulletin = synthetic_weekly_series("B", n_weeks=1)[0]
    round_trip(tmp_path, bulletin, block_headers=block_headers, origin=(2, 1))


def test_b_without_a_date_line_dates_the_bulletin_from_last_week_plus_7_days(tmp_path):
    bulletin = synthetic_weekly_series("B", n_weeks=1)[0]
    parsed = round_trip(tmp_path, bulletin, date_line=False)
    assert parsed.meta["bulletin_date_source"] == "'Last Week' date + 7 days"


def test_a2_operating_margin_appears_from_november_2023(tmp_path):
    before = round_trip(tmp_path, synthetic_weekly_series("A2", 1, first_date=dt.date(2023, 10, 27))[0])
    after = round_trip(tmp_path, synthetic_weekly_series("A2", 1, first_date=dt.date(2023, 11, 10))[0])
    assert before.meta["operating_margin"] is None
    assert after.meta["operating_margin"] == 1350.0
    margins = after.table.query("measure == 'operating_margin'")
    # Last week (3 Nov) had the row; 12 months ago (Nov 2022) did not.
    assert margins["period"].tolist() == ["this_week", "last_week"]
    assert margins["row_label"].tolist() == ["Operating Margin"] * 2


def test_b_headroom_that_is_not_uoc_minus_population_is_reported(tmp_path):
    bulletin = synthetic_weekly_series("B", n_weeks=1)[0]
    bulletin.values[("this_week", "headroom", "female")] = 999
    parsed = round_trip(tmp_path, bulletin)
    found = parsed.meta["inconsistencies"]
    assert len(found) == 2
    assert found[0].startswith("this_week headroom: adult_male + female + ycs = ")
    assert found[1].startswith("this_week female: headroom 999 != UOC ")
    assert value(parsed, "this_week", "headroom", "female") == 999.0  # kept as published


def test_footnote_markers_and_suppression_symbols_in_figure_cells(tmp_path):
    bulletin = synthetic_weekly_series("A1", n_weeks=1)[0]
    bulletin.values.update({("this_week", "population", "total"): "85,639*",
                            ("this_week", "population", "irc"): "[x]",
                            ("this_week", "hdc_caseload", "total"): "..",
                            ("12_months_ago", "population", "total"): "-"})
    parsed = weekly_bulletin.parse(write_weekly_bulletin(tmp_path / "markers.ods", bulletin))
    got = cells(parsed)
    assert got[("this_week", "population", "total")] == 85639.0
    assert parsed.table.query("measure == 'population' and group == 'total' and period == 'this_week'")[
        "note"].iloc[0] == "footnote marker '*' removed from '85,639*'"
    assert got[("this_week", "population", "irc")] == "not published: '[x]'"
    assert got[("this_week", "hdc_caseload", "total")] == "not published: '..'"
    assert got[("12_months_ago", "population", "total")] == "not published: '-'"


def test_text_in_a_figure_cell_fails_naming_the_cell(tmp_path):
    bulletin = synthetic_weekly_series("A1", n_weeks=1)[0]
    bulletin.values[("this_week", "useable_operational_capacity", "prisons")] = "see note"
    with pytest.raises(ParseError, match=r"bad\.ods, sheet 'Headlines-_PUBLISHED': cell C7 holds 'see note' "
                                         r"where a number was expected"):
        weekly_bulletin.parse(write_weekly_bulletin(tmp_path / "bad.ods", bulletin))


def test_a_52_week_set_generates_quickly_and_each_last_week_is_the_previous_bulletin(tmp_path):
    start = time.perf_counter()
    paths = write_weekly_series(tmp_path, synthetic_weekly_series("B", n_weeks=52))
    assert time.perf_counter() - start < 10
    parsed = [weekly_bulletin.parse(p) for p in paths]
    assert [p.meta["bulletin_date"].weekday() for p in parsed] == [0] * 52  # Mondays
    for before, after in zip(parsed, parsed[1:]):
        this_week = before.table.query("period == 'this_week' and measure == 'population'")
        last_week = after.table.query("period == 'last_week' and measure == 'population'")
        assert list(this_week["value"]) == list(last_week["value"])


# --- Faults ---------------------------------------------------------------------------------------------------

def test_unknown_layout_names_the_header_found_and_the_layouts_expected(tmp_path):
    path = write_weekly_a1(tmp_path / "odd.ods", dt.date(2016, 1, 8), {}, column_labels={"prisons": "Men"})
    with pytest.raises(ParseError) as err:
        weekly_bulletin.parse(path)
    message = str(err.value)
    assert message.startswith("odd.ods, sheet 'Headlines-_PUBLISHED': unknown layout")
    assert "['Total', 'Men', 'NOMS Operated IRCs']" in message and "Total / Adult Male / Female / YCS (B)" in message


def test_renamed_sheet_fails_naming_the_sheets_expected_and_found(tmp_path):
    bulletin = synthetic_weekly_series("B", n_weeks=1)[0]
    path = write_weekly_bulletin(tmp_path / "renamed.ods", bulletin, sheet_name="Summary")
    with pytest.raises(ParseError, match=r"renamed\.ods: expected one sheet named 'Headlines- PUBLISHED' .* or "
                                         r"'Data' .* sheets in the file: \['Summary'\]"):
        weekly_bulletin.parse(path)
    assert not weekly_bulletin.identify(path)


@pytest.mark.parametrize("layout, suffix", FORMATS)
def test_renamed_row_label_fails_naming_the_label_expected_and_those_found(tmp_path, layout, suffix):
    bulletin = synthetic_weekly_series(layout, n_weeks=1)[0]
    path = write_weekly_bulletin(tmp_path / f"label{suffix}", bulletin,
                                 row_labels={"useable_operational_capacity": "Usable Operational Capacity"})
    with pytest.raises(ParseError) as err:
        weekly_bulletin.parse(path)
    message = str(err.value)
    assert message.startswith(f"label{suffix}, sheet '")
    assert "expected a row labelled 'Useable Operational Capacity' in the this-week block" in message
    assert "'Usable Operational Capacity'" in message.split("labels found there:")[1]


def test_a_sheet_without_a_population_row_fails(tmp_path):
    bulletin = synthetic_weekly_series("A2", n_weeks=1)[0]
    path = write_weekly_bulletin(tmp_path / "nopop.ods", bulletin, row_labels={"population": "Prisoners"})
    with pytest.raises(ParseError, match=r"nopop\.ods, sheet 'Headlines-PUBLISHED': expected a row labelled "
                                         r"'Population'; labels found: .*'Prisoners'"):
        weekly_bulletin.parse(path)


@pytest.mark.parametrize("name, content, container", [
    ("error-page.ods", b"<!DOCTYPE html><html><body>Sorry, we're experiencing technical difficulties</body></html>",
     "html"),
    ("empty.xls", b"", "empty"),
    ("notes.ods", b"Population,85639\n", "csv-or-text"),
])
def test_a_file_that_is_not_a_spreadsheet_fails_naming_the_container(tmp_path, name, content, container):
    path = tmp_path / name
    path.write_bytes(content)
    assert not weekly_bulletin.identify(path)
    with pytest.raises(ParseError, match=rf"{name}: expected a spreadsheet .* found '{container}' content"):
        weekly_bulletin.parse(path)


def test_identify_rejects_a_monthly_bulletin(tmp_path):
    path = write_monthly_bulletin(tmp_path / "monthly.ods", dt.date(2024, 9, 27), synthetic_establishments(5), 1350)
    assert not weekly_bulletin.identify(path)
    with pytest.raises(ParseError, match="sheets in the file: \\['MonthlyBulletin'\\]"):
        weekly_bulletin.parse(path)


def test_the_parser_is_marked_unverified():
    assert weekly_bulletin.VERIFIED_AGAINST_PUBLISHED_FILE is False
    assert "NOT YET VERIFIED AGAINST A PUBLISHED FILE" in weekly_bulletin.__doc__
    assert weekly_bulletin.KIND == "weekly_bulletin"

