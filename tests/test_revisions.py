"""What changed between two vintages: the reason rules of justice_tracker/revisions.py, on copies of the committed
data/processed mutated with pandas. Expected figures are read from the CSVs, never typed in."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml

from justice_tracker.config import CONFIG_FILE, ConfigError, load_config
from justice_tracker.paths import REPO_ROOT
from justice_tracker.revisions import (PROVENANCE_COLUMNS, REASONS, Changes, Vintage, compare, config_methods,
                                       summary_lines)

PROCESSED = REPO_ROOT / "data" / "processed"
WEEKLY = "weekly_population_capacity"


@pytest.fixture(scope="module")
def cfg():
    return load_config()


@pytest.fixture
def dirs(tmp_path):
    prev, cur = tmp_path / "prev", tmp_path / "cur"
    shutil.copytree(PROCESSED, prev)
    shutil.copytree(PROCESSED, cur)
    return prev, cur


def _read(folder, table):
    return pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)


def _write(folder, table, frame):
    frame.to_csv(folder / f"{table}.csv", index=False)


def _vintages(dirs, cfg, prev_methods=None, cur_methods=None):
    prev, cur = dirs
    return (Vintage("2026-08", prev, prev_methods if prev_methods is not None else config_methods(cfg)),
            Vintage("working draft", cur, cur_methods if cur_methods is not None else config_methods(cfg)))


def _headline(changes, hid):
    return next(h for h in changes.headlines if h["id"] == hid)


def _table(changes, tid):
    return next(t for t in changes.tables if t["table"] == tid)


def _num(text):
    x = float(text)
    return int(x) if x.is_integer() else x


def test_new_weeks_make_the_population_headline_a_new_period(dirs, cfg):
    prev, cur = dirs
    weekly = _read(prev, WEEKLY)
    _write(prev, WEEKLY, weekly.iloc[:-4])
    changes = compare(*_vintages(dirs, cfg), cfg)

    h = _headline(changes, "prison-population")
    assert h["reason"] == "new-period"
    assert h["previous"]["date"] == weekly.iloc[-5]["date"]
    assert h["previous"]["value"] == _num(weekly.iloc[-5]["population"])
    assert h["current"]["date"] == weekly.iloc[-1]["date"]
    assert h["current"]["value"] == _num(weekly.iloc[-1]["population"])
    assert h["current"]["ref"] == f"{weekly.iloc[-1]['source_file']} {weekly.iloc[-1]['row_ref']}"
    assert h["previous_period_now"] is None
    for other in changes.headlines:
        if other["table"] != WEEKLY:
            assert other["reason"] == "unchanged", other["id"]

    t = _table(changes, WEEKLY)
    assert (t["added"], t["removed"], t["revised_cells"]) == (4, 0, 0)
    assert t["reason_counts"]["added"] == {"new-period": 4}
    assert t["latest_previous"] == weekly.iloc[-5]["date"] and t["latest_current"] == weekly.iloc[-1]["date"]
    assert changes.revisions == []

    lines = summary_lines(changes)
    assert lines[0].startswith(f"Prison population: {int(weekly.iloc[-5]['population']):,} on ")
    assert lines[0].endswith(f"→ {int(weekly.iloc[-1]['population']):,} on "
                             f"{pd.Timestamp(weekly.iloc[-1]['date']).day} "
                             f"{pd.Timestamp(weekly.iloc[-1]['date']):%b %Y} (new period)")


def test_a_revised_figure_for_the_week_last_shown_is_reported(dirs, cfg):
    prev, _ = dirs
    weekly = _read(prev, WEEKLY)
    shown = weekly.iloc[:-4].copy()
    original = shown.iloc[-1]["population"]
    shown.iloc[-1, shown.columns.get_loc("population")] = str(int(original) - 25)
    _write(prev, WEEKLY, shown)
    changes = compare(*_vintages(dirs, cfg), cfg)

    h = _headline(changes, "prison-population")
    assert h["reason"] == "new-period"
    assert h["previous"]["value"] == int(original) - 25
    assert h["previous_period_now"]["date"] == shown.iloc[-1]["date"]
    assert h["previous_period_now"]["value"] == int(original)
    assert h["previous_period_now"]["reason"] == "correction"
    assert any(line.startswith("Prison population on ") and f"now {int(original):,}" in line
               for line in summary_lines(changes))


def test_a_reissued_historical_figure_is_revised_by_the_publisher(dirs, cfg):
    prev, cur = dirs
    weekly = _read(prev, WEEKLY)
    i = 100
    new_value = str(int(weekly.at[i, "population"]) + 37)
    weekly.at[i, "population"] = new_value
    weekly.at[i, "raw_sha256"] = "0" * 64
    weekly.at[i, "source_url"] = "https://example.org/an-earlier-issue.csv"
    _write(prev, WEEKLY, weekly)
    changes = compare(*_vintages(dirs, cfg), cfg)

    current = _read(cur, WEEKLY)
    assert changes.revisions == [{
        "table": WEEKLY,
        "key": {"date": current.at[i, "date"]},
        "column": "population",
        "previous": int(new_value),
        "current": int(current.at[i, "population"]),
        "reason": "revised-by-publisher",
        "ref": f"{current.at[i, 'source_file']} {current.at[i, 'row_ref']}",
        "previous_ref": f"{weekly.at[i, 'source_file']} {weekly.at[i, 'row_ref']}",
    }]
    assert _table(changes, WEEKLY)["reason_counts"]["revised"] == {"revised-by-publisher": 1}
    assert all(h["reason"] == "unchanged" for h in changes.headlines)


def test_a_changed_value_with_the_same_provenance_is_a_correction(dirs, cfg):
    prev, cur = dirs
    weekly = _read(prev, WEEKLY)
    weekly.at[200, "headroom"] = str(int(weekly.at[200, "headroom"]) - 1)
    last = len(weekly) - 1
    weekly.at[last, "population"] = str(int(weekly.at[last, "population"]) + 3)
    _write(prev, WEEKLY, weekly)
    changes = compare(*_vintages(dirs, cfg), cfg)

    current = _read(cur, WEEKLY)
    by_column = {(r["key"]["date"], r["column"]): r for r in changes.revisions}
    assert set(by_column) == {(current.at[200, "date"], "headroom"), (current.at[last, "date"], "population")}
    assert {r["reason"] for r in changes.revisions} == {"correction"}
    assert by_column[(current.at[last, "date"], "population")]["current"] == int(current.at[last, "population"])

    h = _headline(changes, "prison-population")
    assert h["reason"] == "correction"
    assert h["previous"]["date"] == h["current"]["date"] == current.at[last, "date"]
    assert h["previous_period_now"]["value"] == int(current.at[last, "population"])
    assert _headline(changes, "headroom")["reason"] == "unchanged"


def test_a_new_method_version_labels_its_revisions_method_change(dirs, cfg):
    prev, cur = dirs
    table = "officer_fte_quarterly"
    fte = _read(prev, table)
    fte.at[5, "band_3_4_officers_fte"] = str(float(fte.at[5, "band_3_4_officers_fte"]) + 10.5)
    _write(prev, table, fte)
    methods = config_methods(cfg)
    changes = compare(*_vintages(dirs, cfg, prev_methods=methods, cur_methods={**methods, table: "2"}), cfg)

    assert [(r["table"], r["column"], r["reason"]) for r in changes.revisions] == [
        (table, "band_3_4_officers_fte", "method-change")]
    r = changes.revisions[0]
    assert r["previous"] == _num(fte.at[5, "band_3_4_officers_fte"])
    assert r["current"] == _num(_read(cur, table).at[5, "band_3_4_officers_fte"])
    t = _table(changes, table)
    assert (t["method_previous"], t["method_current"]) == ("1", "2")


def test_identical_vintages_have_no_changes(dirs, cfg):
    changes = compare(*_vintages(dirs, cfg), cfg)
    assert changes.revisions == [] and changes.removed == []
    assert [h["reason"] for h in changes.headlines] == ["unchanged"] * len(cfg.headlines)
    assert len(changes.headlines) == len(cfg.headlines)
    for t in changes.tables:
        assert (t["added"], t["removed"], t["revised_cells"]) == (0, 0, 0), t["table"]
        assert t["rows_previous"] == t["rows_current"]
    assert all(line.endswith("(unchanged)") for line in summary_lines(changes))


def test_rows_added_or_dropped_for_earlier_periods(dirs, cfg):
    prev, cur = dirs
    weekly = _read(prev, WEEKLY)
    _write(prev, WEEKLY, weekly.drop(index=[300, 301]))            # our parser had missed two weeks
    recalls = _read(cur, "recall_population_monthly")
    _write(cur, "recall_population_monthly", recalls.drop(index=[10]))  # and now drops one month
    changes = compare(*_vintages(dirs, cfg), cfg)

    t = _table(changes, WEEKLY)
    assert t["added"] == 2 and t["reason_counts"]["added"] == {"correction": 2}
    gone = next(r for r in changes.removed if r["table"] == "recall_population_monthly")
    assert gone["rows"] == 1 and gone["reason_counts"] == {"correction": 1}
    assert gone["examples"][0]["key"] == {"month": recalls.at[10, "month"]}


def test_a_table_in_one_vintage_only_does_not_crash(dirs, cfg):
    prev, cur = dirs
    (prev / "recalls_quarterly.csv").unlink()
    (cur / "release_calendar.csv").unlink()
    changes = compare(*_vintages(dirs, cfg), cfg)

    new = _table(changes, "recalls_quarterly")
    rows = len(_read(cur, "recalls_quarterly"))
    assert (new["rows_previous"], new["rows_current"], new["added"]) == (None, rows, rows)
    assert new["reason_counts"]["added"] == {"method-change": rows}
    h = _headline(changes, "recalls-quarter")
    assert h["previous"] is None and h["current"] is not None and h["reason"] == "method-change"

    dropped = _table(changes, "release_calendar")
    assert dropped["rows_current"] is None and dropped["removed"] == len(_read(prev, "release_calendar"))


def test_json_round_trip_is_exact_and_deterministic(dirs, cfg):
    prev, _ = dirs
    weekly = _read(prev, WEEKLY)
    filled = weekly.index[weekly["population_prisons"] != ""][0]
    weekly.at[filled, "population_prisons"] = ""                   # blank then, a figure now: null in the JSON
    weekly.at[50, "pct_uoc_in_use"] = str(float(weekly.at[50, "pct_uoc_in_use"]) + 0.1)
    _write(prev, WEEKLY, weekly.iloc[:-2])
    first = compare(*_vintages(dirs, cfg), cfg)
    again = compare(*_vintages(dirs, cfg), cfg)

    text = first.to_json()
    assert text == again.to_json() == first.to_json()
    back = Changes.from_json(text)
    assert back == first and back.to_json() == text
    assert "NaN" not in text
    blank = next(r for r in back.revisions if r["column"] == "population_prisons")
    assert blank["previous"] is None and blank["current"] is not None
    pct = next(r for r in back.revisions if r["column"] == "pct_uoc_in_use")
    assert repr(pct["previous"]) == repr(round(float(weekly.at[50, "pct_uoc_in_use"]), 10))
    assert {h["reason"] for h in back.headlines} <= set(REASONS)
    with pytest.raises(ValueError, match="not a Changes document"):
        Changes.from_json('{"previous": "x"}')


def test_a_duplicated_key_is_an_error_naming_table_and_key(dirs, cfg):
    _, cur = dirs
    recalls = _read(cur, "recalls_quarterly")
    _write(cur, "recalls_quarterly", pd.concat([recalls, recalls.iloc[[3]]]))
    with pytest.raises(ValueError, match=rf"recalls_quarterly \(working draft\).*not unique.*"
                                         rf"{recalls.at[3, 'quarter_start']}"):
        compare(*_vintages(dirs, cfg), cfg)


def test_a_headline_column_missing_at_compare_time_is_named(dirs, cfg):
    _, cur = dirs
    _write(cur, WEEKLY, _read(cur, WEEKLY).drop(columns=["pct_uoc_in_use"]))
    with pytest.raises(ValueError, match=r"headline capacity-in-use.*pct_uoc_in_use"):
        compare(*_vintages(dirs, cfg), cfg)


def test_every_table_key_is_unique_in_the_committed_data(cfg):
    for table in cfg.tables:
        frame = pd.read_csv(cfg.processed_path(table.id), dtype=str, keep_default_na=False)
        assert set(table.key) <= set(frame.columns), table.id
        assert not set(table.key) & PROVENANCE_COLUMNS, table.id
        dupes = frame[frame.duplicated(table.key, keep=False)]
        assert dupes.empty, f"{table.id}: key {table.key} repeats, e.g. {dupes[table.key].head(2).to_dict('records')}"
        if table.period:
            assert table.period in frame.columns, table.id


def test_headline_columns_exist_and_pick_one_row_in_the_committed_data(cfg):
    assert {"weekly_population_capacity", "recall_population_monthly", "recalls_quarterly", "recall_loop_quarterly",
            "officer_fte_quarterly", "officer_staffing_vs_target", "probation_caseload",
            "cells_out_of_use_estate"} <= {h.table for h in cfg.headlines}
    for h in cfg.headlines:
        frame = pd.read_csv(cfg.processed_path(h.table), dtype=str, keep_default_na=False)
        for col in [h.date, h.value, *h.filter]:
            assert col in frame.columns, f"headline {h.id}: no column {col} in {h.table}"
        rows = frame
        for col, want in h.filter.items():
            rows = rows[rows[col] == want]
        rows = rows[rows[h.value] != ""]
        assert not rows.empty, h.id
        pd.to_numeric(rows[h.value])                                # the figure is a number
        assert not rows[h.date].duplicated().any(), f"headline {h.id}: filter leaves two rows for a date"


def test_headline_config_is_validated(tmp_path):
    data = yaml.safe_load(CONFIG_FILE.read_text())
    data["headlines"][0]["table"] = "no_such_table"
    p = tmp_path / "tracker.yml"
    p.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match="headline 'prison-population' reads unknown table 'no_such_table'"):
        load_config(p)
    data = yaml.safe_load(CONFIG_FILE.read_text())
    data["headlines"][0]["format"] = "{:,.0q}"
    p.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match="does not format a number"):
        load_config(p)
