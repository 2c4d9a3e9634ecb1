"""Prison population projections: every edition resolves to its sheet and labels; values come back exactly."""
import datetime as dt
import math

import pandas as pd
import pytest

from justice_tracker.parsers import projections
from justice_tracker.parsers.base import ParseError
from justice_tracker.parsers.projection_editions import (CUSTODY_CENTRAL, CUSTODY_SCENARIOS, EDITIONS,
                                                         SCENARIO_COLUMNS, edition_layout)
from justice_tracker.parsers.projections import parse
from support.synthetic.omsq import recall_quarters_from_totals, write_recalls_workbook
from support.synthetic.projections import (projection_rows_from_prisoncap, synthetic_projection_rows,
                                           write_projections_workbook)

KEY = ["scenario", "ref_date", "measure"]


def _round_trip(parsed, rows):
    got = parsed.table[[*KEY, "value"]].sort_values(KEY).reset_index(drop=True)
    expected = rows.assign(ref_date=rows["ref_date"].map(dt.date.isoformat)).sort_values(KEY).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_every_catalogued_edition_resolves_to_its_sheet_reference_month_and_scenarios(shared_raw):
    catalogue = pd.read_csv(shared_raw / "processed-prisoncap" / "projections_editions.csv")
    assert sorted(catalogue["edition"]) == sorted(EDITIONS) and len(EDITIONS) == 18
    long = pd.read_csv(shared_raw / "processed-prisoncap" / "projections_long.csv")
    for rec in catalogue.itertuples(index=False):
        spec = edition_layout(rec.edition)
        assert spec.sheet == rec.sheet, rec.edition
        assert spec.ref_month == rec.ref_month, rec.edition
        assert spec.scenarios - {"actual"} == set(rec.scenarios.split("|")) - {"actual"}, rec.edition
        assert set(rec.scenarios.split("|")) <= spec.scenarios, rec.edition
        # Outturn first rows, as projections_long has them (its 2011-2017 "actual" rows are projected base years).
        has_actual = (long.loc[long["edition"] == rec.edition, "scenario"] == "actual").any()
        assert spec.first_row_actual == (has_actual and rec.edition != "2011-2017"), rec.edition
        assert spec.scenario_labels or spec.layout == CUSTODY_CENTRAL, rec.edition


@pytest.mark.parametrize("edition", sorted(EDITIONS))
def test_every_edition_gives_back_its_published_values(tmp_path, shared_raw, edition):
    rows = projection_rows_from_prisoncap(shared_raw / "processed-prisoncap" / "projections_long.csv", edition)
    parsed = parse(write_projections_workbook(tmp_path / f"{edition}.ods", edition, rows))
    assert parsed.meta["edition"] == edition
    _round_trip(parsed, rows)
    catalogue = pd.read_csv(shared_raw / "processed-prisoncap" / "projections_editions.csv", index_col="edition")
    assert len(parsed.table[["scenario", "ref_date"]].drop_duplicates()) == catalogue.loc[edition, "n_rows"]
    assert set(parsed.table["sheet"]) == {catalogue.loc[edition, "sheet"]}


@pytest.mark.parametrize("edition", sorted(EDITIONS))
def test_every_known_edition_round_trips_generated_values(tmp_path, edition):
    rows = synthetic_projection_rows(edition)
    parsed = parse(write_projections_workbook(tmp_path / f"{edition}.xlsx", edition, rows))
    _round_trip(parsed, rows)
    spec = EDITIONS[edition]
    assert set(parsed.table["scenario"]) == spec.scenarios
    assert parsed.meta["layout"] == spec.layout and parsed.meta["ref_month"] == spec.ref_month
    assert {dt.date.fromisoformat(d).month for d in parsed.table["ref_date"]} == {spec.ref_month}
    assert list(parsed.table.columns) == projections.COLUMNS


def test_scenario_2_is_central_in_2012_and_2013_but_high_in_2014(tmp_path):
    assert EDITIONS["2012-2018"].scenario_labels["Scenario 2"] == "central"
    assert EDITIONS["2013-2019"].scenario_labels["Scenario 2"] == "central"
    assert EDITIONS["2014-2020"].scenario_labels["Scenario 2"] == "high"
    for edition, scenario in (("2013-2019", "central"), ("2014-2020", "high")):
        rows = synthetic_projection_rows(edition)
        parsed = parse(write_projections_workbook(tmp_path / f"{edition}.ods", edition, rows))
        printed = parsed.table[parsed.table["label"] == "Scenario 2"]
        assert set(printed["scenario"]) == {scenario}, edition
        assert list(printed["value"]) == list(rows.loc[rows["scenario"] == scenario, "value"])


def test_the_labels_of_one_edition_do_not_parse_as_another(tmp_path):
    rows = synthetic_projection_rows("2014-2020")
    path = write_projections_workbook(tmp_path / "2014.ods", "2014-2020", rows,
                                      scenario_labels=EDITIONS["2013-2019"].scenario_labels)
    with pytest.raises(ParseError, match=r"sheet 'Table A1': header row not found .*'Scenario 1', 'Central', "
                                         r"'Scenario 2'\]; closest was row 4 with "
                                         r"\['Date', 'Scenario 1', 'Scenario 2', 'Scenario 3'\]"):
        parse(path)


def test_single_central_path_editions_read_the_first_row_as_outturn_and_say_low_high_are_elsewhere(tmp_path):
    rows = synthetic_projection_rows("2021-2026")
    parsed = parse(write_projections_workbook(tmp_path / "2021.ods", "2021-2026", rows))
    first = parsed.table[parsed.table["scenario"] == "actual"]
    assert set(first["ref_date"]) == {"2021-07-31"} and set(first["cell"].str[-1]) == {"5"}
    assert parsed.meta["base_date"] == "2021-07-31"
    assert any("separate uncertainty table" in q for q in parsed.meta["quirks"])
    assert set(parsed.table.loc[parsed.table["measure"] == "fine_defaulters", "label"]) == {"Fine defaulters"}
    older = parse(write_projections_workbook(tmp_path / "2016.ods", "2016-2021",
                                             synthetic_projection_rows("2016-2021")))
    assert set(older.table["scenario"]) == {"central"}
    assert set(older.table.loc[older.table["measure"] == "fine_defaulters", "label"]) == {"Fine"}


def test_the_truncated_2022_central_block_is_noted(tmp_path, shared_raw):
    rows = projection_rows_from_prisoncap(shared_raw / "processed-prisoncap" / "projections_long.csv", "2022-2027")
    parsed = parse(write_projections_workbook(tmp_path / "2022.ods", "2022-2027", rows))
    central = parsed.table[(parsed.table["scenario"] == "central") & (parsed.table["measure"] == "total")]
    assert list(central["ref_date"]) == ["2023-11-30", "2024-11-30"]
    assert any("stops at November 2024" in q for q in parsed.meta["quirks"])


def test_the_edition_is_read_from_the_title_or_given(tmp_path):
    rows = synthetic_projection_rows("2024-2029")
    path = write_projections_workbook(tmp_path / "p.ods", "2024-2029", rows)
    assert parse(path).meta["edition"] == parse(path, edition="2024-2029").meta["edition"] == "2024-2029"
    with pytest.raises(ParseError, match="edition '2025-2030' was asked for but the workbook's title names "
                                         "'2024-2029'"):
        parse(path, edition="2025-2030")
    old = write_projections_workbook(tmp_path / "old.ods", "2008-2015", synthetic_projection_rows("2008-2015"))
    assert parse(old).meta["edition"] == "2008-2015"


def test_an_unknown_edition_is_refused_naming_the_known_ones(tmp_path):
    rows = synthetic_projection_rows("2025-2030")
    path = write_projections_workbook(tmp_path / "p.ods", "2025-2030", rows,
                                      title="Prison Population Projections 2026 to 2031")
    with pytest.raises(ParseError, match=r"p\.ods: unknown projections edition '2026-2031'; known editions: "
                                         r"\['2008-2015', .*'2025-2030'\]"):
        parse(path)
    with pytest.raises(KeyError, match="unknown projections edition '1999-2004'"):
        edition_layout("1999-2004")


def test_a_renamed_headline_sheet_is_refused(tmp_path):
    rows = synthetic_projection_rows("2024-2029")
    path = write_projections_workbook(tmp_path / "p.ods", "2024-2029", rows, sheet="Table 1.1")
    with pytest.raises(ParseError, match=r"edition 2024-2029: expected the headline table on sheet 'Table_1_1'; "
                                         r"sheets found: \['Cover', 'Contents', 'Notes', 'Table 1.1'\]"):
        parse(path)


def test_an_unknown_scenario_label_names_its_cell(tmp_path):
    rows = synthetic_projection_rows("2024-2029")
    labels = {"Actual": "actual", "Principal": "central", "High": "high", "Low": "low"}
    path = write_projections_workbook(tmp_path / "p.ods", "2024-2029", rows, scenario_labels=labels)
    with pytest.raises(ParseError, match=r"cell Table_1_1!A6: scenario label 'Principal' is not one of "
                                         r"\['Actual', 'Central', 'High', 'Low'\]"):
        parse(path)


def test_a_date_outside_the_reference_month_is_refused(tmp_path):
    rows = synthetic_projection_rows("2024-2029")
    rows["ref_date"] = [d.replace(month=6, day=30) for d in rows["ref_date"]]
    path = write_projections_workbook(tmp_path / "p.ods", "2024-2029", rows)
    with pytest.raises(ParseError, match=r"cell Table_1_1!B5: date 2024-06-30 is not in edition 2024-2029's "
                                         r"reference month \(September\)"):
        parse(path)


def test_a_marker_in_a_projection_is_missing_not_zero(tmp_path):
    rows = synthetic_projection_rows("2023-2028").astype({"value": object})
    rows.loc[(rows["scenario"] == "high") & (rows["measure"] == "recall"), "value"] = "[x]"
    parsed = parse(write_projections_workbook(tmp_path / "p.ods", "2023-2028", rows))
    high_recall = parsed.table[(parsed.table["scenario"] == "high") & (parsed.table["measure"] == "recall")]
    assert len(high_recall) == 5 and high_recall["value"].isna().all() and set(high_recall["marker"]) == {"[x]"}
    assert not math.isnan(parsed.table.loc[parsed.table["measure"] == "total", "value"].sum())


def test_identify(tmp_path):
    new = write_projections_workbook(tmp_path / "new.ods", "2025-2030", synthetic_projection_rows("2025-2030"))
    old = write_projections_workbook(tmp_path / "old.xlsx", "2009-2015", synthetic_projection_rows("2009-2015"))
    recalls = write_recalls_workbook(tmp_path / "recalls.ods",
                                     recall_quarters_from_totals({dt.date(2026, 1, 1): 13193}))
    assert projections.identify(new) and projections.identify(old)
    assert not projections.identify(recalls)
    assert {EDITIONS[e].layout for e in EDITIONS} == {SCENARIO_COLUMNS, CUSTODY_CENTRAL, CUSTODY_SCENARIOS}
