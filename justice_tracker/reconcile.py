"""Cross-source reconciliation: where two sources give the same figure, compute the differences.

Each check compares one figure on the same date in two processed tables and yields one row per date, with
both values, both row references, the difference and a status against a stated tolerance. The book
publishes the table, and pages that show a figure flag its mismatches.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .config import TrackerConfig
from .tables import load_table

COLUMNS = ["check_id", "figure", "date", "source_a", "value_a", "ref_a", "source_b", "value_b", "ref_b",
           "difference", "tolerance", "status"]


@dataclass(frozen=True)
class Check:
    check_id: str
    figure: str
    tolerance: int
    description: str


CHECKS = {
    "weekly-vs-monthly-uoc": Check(
        "weekly-vs-monthly-uoc", "useable operational capacity", 0,
        "Weekly bulletin UOC against the monthly per-prison bulletin's Total-row UOC, on the monthly report date."),
    "weekly-vs-monthly-population": Check(
        "weekly-vs-monthly-population", "prison population", 0,
        "Weekly bulletin population against the sum of the establishment rows of the monthly bulletin, on the "
        "monthly report date."),
    "prt-vs-wfr-weekly-population": Check(
        "prt-vs-wfr-weekly-population", "prison population", 0,
        "Prison Reform Trust's weekly series against Walk Forward Research's, like with like (prisons only while "
        "the bulletin separated the immigration removal centres)."),
    "legacy-monthly-vs-weekly-uoc": Check(
        "legacy-monthly-vs-weekly-uoc", "useable operational capacity", 0,
        "Legacy monthly bulletins (2011-2016, parsed here from the MoJ Word/RTF files): Total-row UOC against "
        "the weekly bulletin on the same date."),
    "legacy-monthly-vs-weekly-population": Check(
        "legacy-monthly-vs-weekly-population", "prison population", 0,
        "Legacy monthly bulletins (2011-2016): Total-row population against the weekly bulletin on the same date."),
}


def _ref(frame: pd.DataFrame) -> pd.Series:
    return frame["source_file"] + " " + frame["row_ref"]


def compare(check: Check, a: pd.DataFrame, a_value: str, a_date: str, a_label: str,
            b: pd.DataFrame, b_value: str, b_date: str, b_label: str) -> pd.DataFrame:
    """Rows for every date in `a`; a date with no counterpart in `b` is kept with status 'no counterpart'."""
    left = pd.DataFrame({"date": a[a_date].astype(str), "value_a": a[a_value], "ref_a": _ref(a)})
    right = pd.DataFrame({"date": b[b_date].astype(str), "value_b": b[b_value], "ref_b": _ref(b)})
    left = left.dropna(subset=["value_a"])
    right = right.dropna(subset=["value_b"])
    out = left.merge(right, on="date", how="left")
    out["difference"] = (out["value_a"] - out["value_b"]).astype("Int64")
    out["tolerance"] = check.tolerance
    out["status"] = "match"
    out.loc[out["difference"].abs() > check.tolerance, "status"] = "mismatch"
    out.loc[(out["difference"].abs() <= check.tolerance) & (out["difference"] != 0), "status"] = "within tolerance"
    out.loc[out["value_b"].isna(), "status"] = "no counterpart"
    out["check_id"], out["figure"] = check.check_id, check.figure
    out["source_a"], out["source_b"] = a_label, b_label
    out["value_a"] = out["value_a"].astype("Int64")
    out["value_b"] = out["value_b"].astype("Int64")
    out["ref_b"] = out["ref_b"].fillna("")
    return out[COLUMNS]


def reconcile(config: TrackerConfig) -> pd.DataFrame:
    """All checks whose inputs are present, in a stable order."""
    weekly = load_table(config, "weekly_population_capacity")
    parts = []
    table_ids = {t.id for t in config.tables}
    if "monthly_estate_totals" in table_ids:
        monthly = load_table(config, "monthly_estate_totals")
        parts.append(compare(CHECKS["weekly-vs-monthly-uoc"], monthly, "published_uoc", "report_date",
                             "monthly bulletin Total row (WFR parse)", weekly, "uoc", "date", "weekly bulletin"))
        parts.append(compare(CHECKS["weekly-vs-monthly-population"], monthly, "sum_population", "report_date",
                             "monthly bulletin, sum of establishments (WFR parse)", weekly, "population", "date",
                             "weekly bulletin"))
    if "weekly_population_prt" in table_ids:
        prt = load_table(config, "weekly_population_prt")
        like = weekly.copy()
        like["like_for_like"] = like["population_prisons"].fillna(like["population"])
        parts.append(compare(CHECKS["prt-vs-wfr-weekly-population"], prt, "population", "date",
                             "weekly series (PRT parse)", like, "like_for_like", "date", "weekly series (WFR parse)"))
    if "monthly_totals_legacy" in table_ids:
        legacy = load_table(config, "monthly_totals_legacy")
        parts.append(compare(CHECKS["legacy-monthly-vs-weekly-uoc"], legacy, "published_uoc", "report_date",
                             "legacy monthly bulletin Total row (our parse)", weekly, "uoc", "date", "weekly bulletin"))
        parts.append(compare(CHECKS["legacy-monthly-vs-weekly-population"], legacy, "published_population",
                             "report_date", "legacy monthly bulletin Total row (our parse)", weekly, "population",
                             "date", "weekly bulletin"))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)


def summary(results: pd.DataFrame) -> pd.DataFrame:
    """One row per check: dates compared, matches, mismatches, dates with no counterpart, largest difference."""
    rows = []
    for check_id, g in results.groupby("check_id", sort=False):
        compared = g[g["status"] != "no counterpart"]
        rows.append({
            "check_id": check_id,
            "description": CHECKS[check_id].description,
            "from": g["date"].min(), "to": g["date"].max(),
            "compared": len(compared),
            "match": int((compared["status"] == "match").sum()),
            "mismatch": int((compared["status"] == "mismatch").sum()),
            "no_counterpart": int((g["status"] == "no counterpart").sum()),
            "largest_difference": int(compared["difference"].abs().max()) if len(compared) else 0,
            "tolerance": CHECKS[check_id].tolerance,
        })
    return pd.DataFrame(rows)
