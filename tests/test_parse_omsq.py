"""OMSQ licence-recall workbook: recalls by type and reason, recall population, series-break notes."""
import datetime as dt
import math

import pandas as pd
import pytest

from justice_tracker.parsers import omsq_recalls
from justice_tracker.parsers.base import ParseError
from justice_tracker.parsers.omsq_recalls import parse, parse_quarter
from support.synthetic.omsq import (RecallQuarter, recall_population_from_prt, recall_quarters_from_totals,
                                    recall_totals_from_prisoncap, synthetic_recall_totals,
                                    write_recalls_workbook)
from support.synthetic.projections import synthetic_projection_rows, write_projections_workbook

def _values(table, name):
    """{(period_start, measure): value or printed marker} for one table of a parse."""
    rows = table[table["table"] == name]
    return {(r.period_start, r.measure): (r.marker if math.isnan(r.value) else r.value)
            for r in rows.itertuples(index=False)}


def _written(quarters, attribute):
    return {(q.start.isoformat(), m): (float(v) if isinstance(v, int) else v)
            for q in quarters for m, v in getattr(q, attribute).items()}


@pytest.fixture
def quarters():
    return recall_quarters_from_totals(synthetic_recall_totals(n_quarters=13))


@pytest.mark.parametrize("suffix", ["ods", "xlsx"])
def test_parse_gives_back_exactly_the_values_written(tmp_path, quarters, suffix):
    population = {dt.date(2025, 6, 30): 12579, dt.date(2025, 7, 31): 12601}
    path = write_recalls_workbook(tmp_path / f"recalls.{suffix}", quarters, recall_population=population)
    parsed = parse(path)
    assert parsed.kind == omsq_recalls.KIND
    assert list(parsed.table.columns) == omsq_recalls.COLUMNS
    assert _values(parsed.table, "recalls_by_type") == _written(quarters, "by_type")
    assert _values(parsed.table, "recalls_by_reason") == _written(quarters, "by_reason")
    assert _values(parsed.table, "recall_population") == {
        ("2025-06-30", "recall_population"): 12579.0, ("2025-07-31", "recall_population"): 12601.0}
    last = parsed.table[(parsed.table["period_start"] == "2026-01-01") & (parsed.table["measure"] == "total")]
    assert set(last["period_end"]) == {"2026-03-31"}
    assert set(last["row_label"]) == {"Jan to Mar 2026"}
    assert parsed.meta["title"] == "Prison Licence Recalls: January to March 2026"


def test_markers_are_missing_with_what_was_printed_and_rev_keeps_the_number(tmp_path, quarters):
    quarters[0].by_type["standard"] = "[c]"
    quarters[1].by_reason["failure_to_reside"] = ".."
    quarters[2].by_type["fixed_term_14"] = "2,120 [rev]"
    parsed = parse(write_recalls_workbook(tmp_path / "recalls.ods", quarters))
    t = parsed.table.set_index(["table", "period_start", "measure"])
    suppressed = t.loc[("recalls_by_type", "2023-01-01", "standard")]
    assert math.isnan(suppressed["value"]) and suppressed["marker"] == "[c]"
    assert t.loc[("recalls_by_reason", "2023-04-01", "failure_to_reside"), "marker"] == ".."
    revised = t.loc[("recalls_by_type", "2023-07-01", "fixed_term_14")]
    assert (revised["value"], revised["marker"], revised["revised"]) == (2120.0, "[rev]", True)
    not_applicable = t.loc[("recalls_by_type", "2023-01-01", "fixed_term_56")]
    assert math.isnan(not_applicable["value"]) and not_applicable["marker"] == "[z]"
    assert (parsed.table["value"] == 0).sum() == 0
    assert t["revised"].sum() == 1


def test_series_breaks_and_header_notes_are_carried(tmp_path, quarters):
    parsed = parse(write_recalls_workbook(tmp_path / "recalls.ods", quarters))
    breaks = {b["break"]: b for b in parsed.meta["series_breaks"]}
    assert breaks["recall_type_composition"]["note"] == 11
    assert breaks["recall_type_composition"]["date"] == "2025-07-01"
    assert breaks["fixed_term_recall_56_days"]["note"] == 12
    assert "31 March 2026" in breaks["fixed_term_recall_56_days"]["text"]
    by_type = parsed.meta["tables"]["recalls_by_type"]
    assert by_type["header_notes"]["standard"] == [11] and by_type["header_notes"]["fixed_term_56"] == [12]
    assert set(parsed.table.loc[parsed.table["measure"] == "fixed_term_56", "notes"]) == {"12"}
    assert parsed.meta["reasons_sum_to_total"] is False
    assert set(parsed.meta["notes"]) == {1, 2, 3, 4, 5, 6, 7, 11, 12}


def test_the_recall_population_is_optional_and_the_56_day_column_too(tmp_path):
    early = recall_quarters_from_totals({dt.date(2024, 1, 1): 7415, dt.date(2024, 4, 1): 9782})
    for q in early:
        del q.by_type["fixed_term_56"]
    parsed = parse(write_recalls_workbook(tmp_path / "early.ods", early))
    assert set(parsed.table["table"]) == {"recalls_by_type", "recalls_by_reason"}
    assert "recall_population" not in parsed.meta["tables"]
    assert "fixed_term_56" not in set(parsed.table["measure"])


@pytest.mark.parametrize("text, span", [
    ("Jan to Mar 2026", ("2026-01-01", "2026-03-31")), ("October to December 2025", ("2025-10-01", "2025-12-31")),
    ("Jul-Sep 2024", ("2024-07-01", "2024-09-30")), ("Q2 2023", ("2023-04-01", "2023-06-30")),
    ("2023 Q4", ("2023-10-01", "2023-12-31")),
])
def test_quarter_labels(text, span):
    assert tuple(d.isoformat() for d in parse_quarter(text)) == span


@pytest.mark.parametrize("text", ["Feb to Apr 2026", "Jan to Jun 2026", "2026", "Q5 2026"])
def test_a_span_that_is_not_a_quarter_is_refused(text):
    with pytest.raises(ValueError):
        parse_quarter(text)


def test_real_quarterly_totals_and_the_recall_population_survive(tmp_path, shared_raw):
    totals = recall_totals_from_prisoncap(shared_raw / "processed-prisoncap" / "recalls_quarterly.csv")
    population = recall_population_from_prt(
        shared_raw / "processed-prt" / "bromley__sentencing__recall_population.csv")
    quarters = recall_quarters_from_totals(totals)
    parsed = parse(write_recalls_workbook(tmp_path / "recalls.ods", quarters, recall_population=population))
    t = parsed.table
    got = t[(t["table"] == "recalls_by_type") & (t["measure"] == "total")].set_index("period_start")["value"]
    assert got.to_dict() == {d.isoformat(): float(v) for d, v in totals.items()}
    assert got["2026-01-01"] == 13193
    # An independent third-party series of the same recalls (beside releases).
    loop = pd.read_csv(shared_raw / "processed-prisoncap" / "recall_loop.csv", index_col=0)
    assert all(got[d] == v for d, v in loop["recalls"].items())
    assert _values(t, "recalls_by_type") == _written(quarters, "by_type")
    pop = t[t["table"] == "recall_population"].set_index("period_start")["value"]
    assert len(pop) == 191 and pop["2009-06-30"] == 5958
    assert pop.to_dict() == {d.isoformat(): float(v) for d, v in population.items()}


def test_identify(tmp_path, quarters):
    assert omsq_recalls.identify(write_recalls_workbook(tmp_path / "recalls.ods", quarters))
    projections = write_projections_workbook(tmp_path / "projections.ods", "2024-2029",
                                             synthetic_projection_rows("2024-2029"))
    assert not omsq_recalls.identify(projections)
    text = tmp_path / "recalls.csv"
    text.write_text("licence recalls\n")
    assert not omsq_recalls.identify(text)
    with pytest.raises(ParseError, match="does not name licence recalls"):
        parse(projections)


def test_a_changed_column_label_names_the_label_expected_and_found(tmp_path, quarters):
    path = write_recalls_workbook(tmp_path / "recalls.ods", quarters,
                                  relabel={"Standard recalls": "Standard determinate recalls"})
    with pytest.raises(ParseError, match=r"recalls\.ods: recalls_by_type: no table sheet has a header row with the "
                                         r"labels \[.*'Standard recalls'.*\]; closest .*'Table_5_Q_1': \[.*"
                                         r"'Standard determinate recalls'"):
        parse(path)


def test_an_unknown_extra_column_is_refused(tmp_path, quarters):
    path = write_recalls_workbook(tmp_path / "recalls.ods", quarters, relabel={"Other recalls": "Emergency recalls"})
    with pytest.raises(ParseError, match=r"sheet 'Table_5_Q_1': header row 4 has unexpected label\(s\) "
                                         r"\['Emergency recalls'\]"):
        parse(path)


def test_a_missing_table_is_an_error(tmp_path, quarters):
    path = write_recalls_workbook(tmp_path / "recalls.ods", quarters, omit=("recalls_by_reason",))
    with pytest.raises(ParseError, match=r"recalls_by_reason: no table sheet has a header row with the labels "
                                         r"\['Quarter', 'Total recalls', 'Charged with a further offence'"):
        parse(path)


def test_a_row_that_is_not_a_quarter_names_its_cell(tmp_path, quarters):
    quarters.append(RecallQuarter(dt.date(2026, 2, 1), dict(quarters[-1].by_type), dict(quarters[-1].by_reason)))
    path = write_recalls_workbook(tmp_path / "recalls.ods", quarters)
    with pytest.raises(ParseError, match=r"cell Table_5_Q_1!A18: 'Feb to Apr 2026' is not a calendar quarter"):
        parse(path)
