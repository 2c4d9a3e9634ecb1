"""HMPPS workforce: the staff-in-post time series and the staffing annex's Table 4 (aggregate rows excluded)."""
import datetime as dt
import math

import pandas as pd
import pytest

from justice_tracker.parsers import workforce
from justice_tracker.parsers.base import ParseError
from justice_tracker.parsers.workforce import AGGREGATE_ROWS, LAYOUT_ANNEX, LAYOUT_TIME_SERIES, parse
from support.synthetic.omsq import recall_quarters_from_totals, write_recalls_workbook
from support.synthetic.workforce import (ANNEX_NOTES, BAND_3_4_OFFICER_GRADES, OPERATIONAL_BAND_2_5_GRADES,
                                         PRISON_BUSINESS_GROUPS, annex_table4,
                                         establishment_names_from_prisoncap, national_totals_from_prisoncap,
                                         quarter_ends, staff_in_post_panel, staffing_totals_from_prisoncap,
                                         synthetic_national_totals, synthetic_staffing_totals,
                                         write_staff_in_post_time_series, write_staffing_annex)

ANNEX_DATES = [dt.date(2023, 3, 31), dt.date(2024, 3, 31), *quarter_ends(dt.date(2025, 3, 31), 6)]


def _fte_sums(table, grades):
    rows = table[(table["measure"] == "fte") & table["grade"].isin(grades)
                 & table["business_group"].isin(PRISON_BUSINESS_GROUPS)]
    return rows.groupby("date")["value"].sum().round(1)


@pytest.fixture
def panel():
    return staff_in_post_panel(synthetic_national_totals(quarter_ends(dt.date(2017, 3, 31), 6)),
                               n_establishments=12, n_grades=8)


@pytest.mark.parametrize("suffix", ["ods", "xlsx"])
def test_time_series_gives_back_exactly_the_values_written(tmp_path, panel, suffix):
    parsed = parse(write_staff_in_post_time_series(tmp_path / f"staff.{suffix}", panel))
    assert parsed.kind == workforce.KIND and parsed.meta["layout"] == LAYOUT_TIME_SERIES
    assert list(parsed.table.columns) == workforce.TIME_SERIES_COLUMNS
    assert parsed.meta["source_rows"] == len(panel) == 6 * 14 * 8
    wide = parsed.table.pivot_table(index=["date", "establishment", "grade"], columns="measure", values="value")
    expected = panel.assign(date=panel["date"].map(dt.date.isoformat)).set_index(
        ["date", "establishment", "grade"])[["fte", "headcount"]].astype(float)
    pd.testing.assert_frame_equal(wide.sort_index(), expected.sort_index(), check_names=False)
    assert set(parsed.table["business_group"]) == {"Public Sector Prisons", "Youth Custody Service", "HMPPS HQ"}
    assert parsed.table["cell"].iloc[0] == "Staff_in_post!F5"


def test_time_series_adds_up_to_the_national_totals_it_was_built_from(tmp_path, panel):
    national = synthetic_national_totals(quarter_ends(dt.date(2017, 3, 31), 6))
    parsed = parse(write_staff_in_post_time_series(tmp_path / "staff.xlsx", panel))
    assert list(_fte_sums(parsed.table, BAND_3_4_OFFICER_GRADES)) == list(national["band34_officers"])
    assert list(_fte_sums(parsed.table, OPERATIONAL_BAND_2_5_GRADES)) == list(national["operational_b2_b5"])


def test_time_series_rebuilds_the_published_officer_fte_series(tmp_path, shared_raw):
    national = national_totals_from_prisoncap(shared_raw / "processed-prisoncap" / "officer_fte_timeseries.csv")
    panel = staff_in_post_panel(national, n_establishments=10, n_grades=6)
    parsed = parse(write_staff_in_post_time_series(tmp_path / "staff.xlsx", panel))
    assert len(parsed.meta["dates"]) == 38 and parsed.meta["dates"][0] == "2017-03-31"
    band34 = _fte_sums(parsed.table, BAND_3_4_OFFICER_GRADES)
    assert band34["2017-03-31"] == 14870.2
    assert list(band34) == list(national["band34_officers"])
    assert list(_fte_sums(parsed.table, parsed.table["grade"].unique())) == list(national["all_hmps_ycs_staff"])


def test_the_default_panel_is_the_size_of_the_real_file():
    national = synthetic_national_totals(quarter_ends(dt.date(2017, 3, 31), 38))
    assert len(staff_in_post_panel(national)) == 98_800


def test_a_time_series_marker_is_missing_not_zero(tmp_path, panel):
    panel = panel.astype({"headcount": object})
    panel.loc[3, "headcount"] = "[c]"
    parsed = parse(write_staff_in_post_time_series(tmp_path / "staff.ods", panel))
    cell = parsed.table[parsed.table["row_label"].str.contains(panel.loc[3, "grade"], regex=False)
                        & (parsed.table["establishment"] == panel.loc[3, "establishment"])
                        & (parsed.table["date"] == panel.loc[3, "date"].isoformat())
                        & (parsed.table["measure"] == "headcount")]
    assert len(cell) == 1 and math.isnan(cell["value"].iloc[0]) and cell["marker"].iloc[0] == "[c]"


def test_a_changed_time_series_label_names_expected_and_found(tmp_path, panel):
    path = write_staff_in_post_time_series(tmp_path / "staff.ods", panel, relabel={"Grade": "Grade group"})
    with pytest.raises(ParseError, match=r"staff in post time series: no table sheet has a header row with the "
                                         r"labels \[.*'Grade'.*closest .*'Grade group'"):
        parse(path)


@pytest.fixture
def generated_annex():
    names = [f"Prison {i:03d}" for i in range(1, 107)]
    return annex_table4(synthetic_staffing_totals(ANNEX_DATES, n=106), names)


def test_annex_excludes_the_aggregate_rows_and_keeps_them_for_checking(tmp_path, generated_annex):
    parsed = parse(write_staffing_annex(tmp_path / "annex.ods", generated_annex))
    table = parsed.table
    assert parsed.meta["layout"] == LAYOUT_ANNEX and parsed.meta["sheet"] == "Table_4"
    assert list(table.columns) == workforce.ANNEX_COLUMNS
    assert not set(table["establishment"]) & set(AGGREGATE_ROWS)
    assert parsed.meta["n_establishments"] == {d.isoformat(): 106 for d in ANNEX_DATES}
    establishments = generated_annex[~generated_annex["establishment"].isin(AGGREGATE_ROWS)]
    got = table.pivot_table(index=["date", "establishment"], columns="measure", values="value")
    expected = establishments.assign(date=establishments["date"].map(dt.date.isoformat)).set_index(
        ["date", "establishment"])[["difference", "staff_in_post", "target"]]
    pd.testing.assert_frame_equal(got.sort_index(), expected.sort_index(), check_names=False)
    aggregates = pd.DataFrame(parsed.meta["aggregates"])
    assert len(aggregates) == len(ANNEX_DATES) * 3 * 3
    checks = pd.DataFrame(parsed.meta["total_checks"])
    assert len(checks) == len(ANNEX_DATES) * 3 * 2 and checks["ok"].all()
    assert set(checks["difference"].abs().round(6)) == {0.0}


def test_annex_caveats_hours_adjusted_fte_and_private_prisons_absent(tmp_path, generated_annex):
    parsed = parse(write_staffing_annex(tmp_path / "annex.xlsx", generated_annex))
    assert parsed.meta["caveats"]["fte_hours_adjusted"] == {41: ANNEX_NOTES[41]}
    assert parsed.meta["caveats"]["private_prisons_excluded"] == {44: ANNEX_NOTES[44]}
    assert parsed.meta["header_notes"] == {"staff_in_post": [41], "target": [45]}
    without = {n: t for n, t in ANNEX_NOTES.items() if n not in (41, 44)}
    parsed = parse(write_staffing_annex(tmp_path / "other.xlsx", generated_annex, notes=without))
    assert parsed.meta["caveats"] == {"fte_hours_adjusted": {}, "private_prisons_excluded": {}}


def test_annex_rebuilds_the_published_estate_totals(tmp_path, shared_raw):
    raw = shared_raw / "processed-prisoncap"
    totals = staffing_totals_from_prisoncap(raw / "officer_staffing_estate.csv")
    names = establishment_names_from_prisoncap(raw / "staffing_capacity_202303_202606.csv")
    assert len(names) == 103 and "Isle of Wight" in names
    names += ["Five Wells Annexe", "Millsike Annexe", "Fosse Way Annexe"]
    table4 = annex_table4(totals, names)
    parsed = parse(write_staffing_annex(tmp_path / "annex.xlsx", table4), check_totals=True)
    t = parsed.table
    sums = t.groupby(["date", "measure"])["value"].sum().round(1).unstack()
    expected = totals.assign(date=totals["date"].map(dt.date.isoformat)).set_index("date")
    assert list(sums["staff_in_post"]) == list(expected["staff_in_post"])
    assert list(sums["target"]) == list(expected["target"])
    # The published gap is a sum of separately rounded differences, so it can be 0.1 away from their difference.
    assert (sums["difference"] - (expected["staff_in_post"] - expected["target"])).abs().max() < 1e-6
    assert (sums["difference"] - expected["gap"]).abs().max() <= 0.1 + 1e-9
    assert parsed.meta["n_establishments"] == expected["n"].to_dict()
    # The trap the aggregate rows set: counted as establishments, they roughly triple the estate total.
    with_aggregates = table4[table4["date"] == dt.date(2026, 6, 30)]["staff_in_post"].sum()
    assert 2.9 < with_aggregates / expected.loc["2026-06-30", "staff_in_post"] < 3.1


def test_a_total_that_does_not_add_up_fails_the_check(tmp_path, generated_annex):
    table4 = generated_annex.copy()
    table4.loc[1, "staff_in_post"] += 10
    path = write_staffing_annex(tmp_path / "annex.xlsx", table4)
    failed = [c for c in parse(path).meta["total_checks"] if c["ok"] is False]
    assert [(c["date"], c["measure"], c["check"], round(c["difference"], 6)) for c in failed] == [
        ("2023-03-31", "staff_in_post", "establishments_vs_prison_service_ycs_total", 10.0)]
    with pytest.raises(ParseError, match="1 total check.* failed"):
        parse(path, check_totals=True)


def test_an_annex_marker_is_missing_and_the_check_cannot_be_made(tmp_path, generated_annex):
    table4 = generated_annex.astype({"target": object})
    table4.loc[1, "target"] = "[x]"
    parsed = parse(write_staffing_annex(tmp_path / "annex.xlsx", table4), check_totals=True)
    row = parsed.table[(parsed.table["establishment"] == table4.loc[1, "establishment"])
                       & (parsed.table["date"] == "2023-03-31") & (parsed.table["measure"] == "target")]
    assert math.isnan(row["value"].iloc[0]) and row["marker"].iloc[0] == "[x]"
    check = next(c for c in parsed.meta["total_checks"] if c["date"] == "2023-03-31" and c["measure"] == "target"
                 and c["check"] == "establishments_vs_prison_service_ycs_total")
    assert check["ok"] is None and check["n_missing"] == 1


def test_a_renamed_or_missing_aggregate_row_is_refused(tmp_path, generated_annex):
    renamed = generated_annex.replace({"establishment": {"All establishments": "All prisons"}})
    with pytest.raises(ParseError, match=r"row label 'All prisons' \(Table_4!C\d+\) looks like an aggregate row"):
        parse(write_staffing_annex(tmp_path / "renamed.xlsx", renamed))
    dropped = generated_annex[~((generated_annex["establishment"] == "HMPPS HQ and Area Services Total")
                                & (generated_annex["date"] == ANNEX_DATES[-1]))]
    with pytest.raises(ParseError, match=r"date 2026-06-30: expected the aggregate row\(s\) \['HMPPS HQ and Area "
                                         r"Services Total'\]"):
        parse(write_staffing_annex(tmp_path / "dropped.xlsx", dropped))


def test_a_changed_annex_label_names_expected_and_found(tmp_path, generated_annex):
    path = write_staffing_annex(tmp_path / "annex.xlsx", generated_annex,
                                relabel={"Target staffing (FTE)": "Target (FTE)"})
    with pytest.raises(ParseError,
                       match=r"annex Table 4.*'Target staffing \(FTE\)'.*'Table_4': \[.*'Target \(FTE\)'"):
        parse(path)


def test_identify_and_layout(tmp_path, panel, generated_annex):
    series = write_staff_in_post_time_series(tmp_path / "staff.ods", panel)
    annex = write_staffing_annex(tmp_path / "annex.xlsx", generated_annex)
    recalls = write_recalls_workbook(tmp_path / "recalls.ods",
                                     recall_quarters_from_totals({dt.date(2026, 1, 1): 13193}))
    assert workforce.identify(series) and workforce.identify(annex)
    assert not workforce.identify(recalls)
    with pytest.raises(ParseError, match="cannot tell which workforce file this is"):
        parse(recalls)
    with pytest.raises(ParseError, match="annex Table 4.*no table sheet"):
        parse(series, layout=LAYOUT_ANNEX)
