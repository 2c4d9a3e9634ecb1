import pandas as pd

from justice_tracker.reconcile import CHECKS, compare, reconcile, summary


def _frame(dates, values, file):
    return pd.DataFrame({"date": dates, "v": values, "source_file": file,
                         "row_ref": [f"line {i + 2}" for i in range(len(dates))]})


def test_compare_marks_match_mismatch_tolerance_and_missing_counterparts():
    check = CHECKS["weekly-vs-monthly-uoc"].__class__("t", "x", 2, "test")
    a = _frame(["2020-01-03", "2020-01-10", "2020-01-17", "2020-01-24"], [100, 105, 110, 120], "a/a.csv")
    b = _frame(["2020-01-03", "2020-01-10", "2020-01-17"], [100, 104, 100], "b/b.csv")
    out = compare(check, a, "v", "date", "A", b, "v", "date", "B")
    assert list(out["status"]) == ["match", "within tolerance", "mismatch", "no counterpart"]
    assert list(out["difference"].astype("float").fillna(-1)) == [0, 1, 10, -1]
    assert out.loc[2, "ref_a"] == "a/a.csv line 4" and out.loc[2, "ref_b"] == "b/b.csv line 4"


def test_weekly_uoc_agrees_with_the_monthly_total_row_on_every_shared_date(config):
    results = reconcile(config)
    s = summary(results).set_index("check_id")
    assert s.loc["weekly-vs-monthly-uoc", "compared"] >= 100
    assert s.loc["weekly-vs-monthly-uoc", "mismatch"] == 0
    # The one known difference: 29 January 2021, sum of establishments 7 above the weekly figure.
    pop = results[(results["check_id"] == "weekly-vs-monthly-population") & (results["status"] == "mismatch")]
    assert list(pop["date"]) == ["2021-01-29"] and int(pop["difference"].iloc[0]) == 7
