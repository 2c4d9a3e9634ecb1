"""Synthetic HMPPS workforce files, in the layouts parsers/workforce.py expects.

- The staff-in-post time series: a long panel of dates x establishments x grades. With the defaults (38
  quarter ends, 128 establishments and 2 HQ units, 20 grades) it has 98,800 rows, about the size of the real
  file (97,451 rows). National totals are given (real ones: processed-prisoncap/officer_fte_timeseries.csv)
  and spread exactly over establishments and grades, so that band 3-4 officer FTE, band 2-5 operational FTE
  and all prison and YCS staff add up, per date, to the published figures.
- The staffing annex: cover, contents and notes sheets, Tables 1-3 (small probation tables with similar
  headers, there to show the parser picks Table 4 by its labels) and Table 4, band 3-5 officers by
  establishment with the three aggregate rows inside the establishment column. Totals per date are given
  (real ones: processed-prisoncap/officer_staffing_estate.csv) and spread exactly over establishments.

Grades, business groups, prison categories and all per-establishment figures are illustrative.
"""
from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from justice_tracker.parsers.workforce import (ALL_ESTABLISHMENTS, ANNEX_IDS, ANNEX_VALUES, HQ_AREA_SERVICES_TOTAL,
                                              PRISON_SERVICE_YCS_TOTAL, TIME_SERIES_IDS, TIME_SERIES_VALUES)

from .accessible_workbook import (SYMBOLS_TEXT, Cell, Sheet, contents_sheet, cover_sheet, notes_sheet, split_exact,
                                  table_sheet, write_workbook)

GRADES = [
    "Band 2 - Operational Support Grade", "Band 3 - Prison Officer", "Band 4 - Prison Officer Specialist",
    "Band 4 - Supervising Officer", "Band 5 - Custodial Manager",
    "Band 1 - Administrative Assistant", "Band 2 - Administrative Officer", "Band 3 - Executive Officer",
    "Band 4 - Higher Executive Officer", "Band 5 - Senior Executive Officer", "Band 6 - Manager",
    "Band 7 - Manager", "Band 8 - Senior Manager", "Band 9 - Senior Manager", "Band 10 - Senior Manager",
    "Band 11 - Senior Manager", "Senior Civil Service", "Instructional Officer", "Chaplain", "Psychologist",
]
BAND_3_4_OFFICER_GRADES = GRADES[1:4]
OPERATIONAL_BAND_2_5_GRADES = GRADES[:5]
PUBLIC_PRISONS, YCS, HQ = "Public Sector Prisons", "Youth Custody Service", "HMPPS HQ"
PRISON_BUSINESS_GROUPS = (PUBLIC_PRISONS, YCS)
YCS_SITES = ("Cookham Wood", "Feltham", "Werrington", "Wetherby")
HQ_UNITS = ["HMPPS HQ - Area Services", "HMPPS HQ - National Functions"]
PRISON_CATEGORIES = ["Male Category B Reception", "Male Category C Trainer", "Male Open", "Female",
                     "High Security", "Male Category C Resettlement"]

TIME_SERIES_TITLE = "Time series of HMPPS staff in post receiving pay on staff in post date"
ANNEX_TITLE = "Prison and Probation Officer staffing levels against targets"
# Annex notes, numbered as the 2026 annex numbers them (secondhand; texts paraphrased from the definitions log).
ANNEX_NOTES = {
    41: "Staff in post is hours-adjusted to a 39-hour week to match target staffing: an officer on a 37-hour "
        "contract counts as 0.95 FTE, 39 hours as 1 and 41 hours as 1.05.",
    44: "Privately managed prisons are excluded.",
    45: "Targets cannot be used to calculate vacancies because of governors' freedoms.",
    46: "Job mapping differs between this annex and the main publication.",
    50: "The annex covers band 3 to 5 prison officers, not band 3 to 4.",
    53: "Payment Plus (overtime) is not reflected in staff in post.",
    54: "Detached duty is not reflected in staff in post.",
    55: "Target staffing is the level for an optimal regime, above the minimum needed to operate safely.",
    56: "Dartmoor staff in post is low because of ongoing radon exposure management.",
    57: "Hollesley Bay and Warren Hill are merged into a single prison called Hollesley from June 2026.",
}


def _tenths(x: float) -> int:
    return int(round(x * 10))


def national_totals_from_prisoncap(path: Path | str) -> pd.DataFrame:
    """processed-prisoncap/officer_fte_timeseries.csv -> date, band34_officers, operational_b2_b5,
    all_hmps_ycs_staff (quarter ends 2017-2026)."""
    frame = pd.read_csv(path, usecols=["date", "band34_officers", "operational_b2_b5", "all_hmps_ycs_staff"])
    frame["date"] = [dt.date.fromisoformat(d) for d in frame["date"]]
    return frame


def synthetic_national_totals(dates: Sequence[dt.date], seed: int = 0) -> pd.DataFrame:
    """Plausible national FTE (band 3-4 officers rising from about 15,000 to 22,000) for each date."""
    rng = np.random.default_rng(seed)
    band34 = np.round(np.linspace(15000, 22000, len(dates)) + rng.normal(0, 150, len(dates)), 1)
    operational = np.round(band34 * 1.45, 1)
    return pd.DataFrame({"date": list(dates), "band34_officers": band34, "operational_b2_b5": operational,
                         "all_hmps_ycs_staff": np.round(operational * 1.35, 1)})


def quarter_ends(first: dt.date, n: int) -> list[dt.date]:
    """n quarter-end dates from `first` (a quarter end)."""
    out, year, month = [], first.year, first.month
    for _ in range(n):
        following = dt.date(year + (month == 12), month % 12 + 1, 1)
        out.append(following - dt.timedelta(days=1))
        year, month = (year + 1, 3) if month == 12 else (year, month + 3)
    return out


def staff_in_post_panel(national: pd.DataFrame, n_establishments: int = 128, n_grades: int = len(GRADES),
                        establishments: Sequence[str] | None = None, seed: int = 0) -> pd.DataFrame:
    """The panel: one row per (date, unit, grade) with FTE (0.1 precision) and headcount. Units are the
    establishments (given, or `n_establishments` generated names starting with the four YCS sites) plus two HQ
    units, whose FTE is extra to the national totals. Per date, FTE over prison and YCS rows adds up exactly
    to `national`'s columns. Defaults: 38 dates x 130 units x 20 grades = 98,800 rows."""
    if not len(OPERATIONAL_BAND_2_5_GRADES) < n_grades <= len(GRADES):
        raise ValueError(f"n_grades must be between {len(OPERATIONAL_BAND_2_5_GRADES) + 1} and {len(GRADES)}")
    names = list(establishments) if establishments is not None else [
        *YCS_SITES, *(f"Establishment {i:03d}" for i in range(1, n_establishments - len(YCS_SITES) + 1))]
    groups = [YCS if name in YCS_SITES else PUBLIC_PRISONS for name in names] + [HQ] * len(HQ_UNITS)
    categories = ["Young Offender Institution" if name in YCS_SITES else PRISON_CATEGORIES[i % len(PRISON_CATEGORIES)]
                  for i, name in enumerate(names)] + ["Not applicable"] * len(HQ_UNITS)
    names += HQ_UNITS
    n = len(names)
    grades = GRADES[:n_grades]
    rng = np.random.default_rng(seed)
    size = rng.uniform(0.3, 2.0, n)
    grade_weight = rng.uniform(0.2, 1.0, n_grades)
    prison = np.array([g in PRISON_BUSINESS_GROUPS for g in groups])
    all_grades = np.arange(n_grades)
    # (grade columns, national column they add up to, minus the column already spread over other grades)
    blocks = [(all_grades[1:4], "band34_officers", None),
              (all_grades[[0, 4]], "operational_b2_b5", "band34_officers"),
              (all_grades[5:], "all_hmps_ycs_staff", "operational_b2_b5")]
    rows = []
    for rec in national.itertuples(index=False):
        drifted = size * rng.uniform(0.95, 1.05, n)
        fte = np.zeros((n, n_grades), dtype=np.int64)
        for cols, column, minus in blocks:
            total = _tenths(getattr(rec, column)) - (_tenths(getattr(rec, minus)) if minus else 0)
            weights = np.outer(drifted[prison], grade_weight[cols])
            fte[np.ix_(prison, cols)] = split_exact(total, weights.ravel()).reshape(weights.shape)
        fte[~prison] = rng.integers(0, 400, (int((~prison).sum()), n_grades))
        for e in range(n):
            for g in range(n_grades):
                tenths = int(fte[e, g])
                rows.append((rec.date, groups[e], categories[e], names[e], grades[g], tenths / 10,
                             math.ceil(tenths / 10 * 1.04)))
    return pd.DataFrame(rows, columns=["date", "business_group", "prison_category", "establishment", "grade",
                                       "fte", "headcount"])


def write_staff_in_post_time_series(path: Path | str, panel: pd.DataFrame,
                                    relabel: Mapping[str, str] | None = None) -> Path:
    """Write the panel (columns as staff_in_post_panel returns; cells may hold printed markers). Use .xlsx for
    full-size panels: odfpy takes minutes for 100,000 rows."""
    relabel = dict(relabel or {})
    header = [relabel.get(label, label) for label in [*TIME_SERIES_IDS, *TIME_SERIES_VALUES]]
    columns = [*TIME_SERIES_IDS.values(), *TIME_SERIES_VALUES.values()]
    table = table_sheet("Staff_in_post", "Staff in post by date, business group, prison category, establishment "
                        "and grade, March 2017 onward", header, panel[columns].itertuples(index=False, name=None),
                        preamble=["This worksheet contains one table.",
                                  "Staff in post receiving pay on the staff in post date."])
    return write_workbook(path, [
        cover_sheet(TIME_SERIES_TITLE, ["HM Prison and Probation Service", "England and Wales", *SYMBOLS_TEXT]),
        notes_sheet({1: "Figures are on a consistent basis over time; the quarterly tables are not restated.",
                     2: "Full-time equivalent (FTE) is the contracted hours as a proportion of full-time hours."}),
        table,
    ])


def staffing_totals_from_prisoncap(path: Path | str) -> pd.DataFrame:
    """processed-prisoncap/officer_staffing_estate.csv -> date, staff_in_post, target, n (establishments), gap:
    band 3-5 officers summed over establishments (aggregate rows excluded), 8 dates Mar 2023 - Jun 2026."""
    frame = pd.read_csv(path)
    return pd.DataFrame({"date": [dt.date.fromisoformat(d) for d in frame["date"]],
                         "staff_in_post": frame["band35_officers"], "target": frame["target"],
                         "n": frame["n"], "gap": frame["gap"]})


def synthetic_staffing_totals(dates: Sequence[dt.date], n: int = 106, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    staff = np.round(rng.uniform(21000, 23000, len(dates)), 1)
    target = np.round(rng.uniform(22500, 23200, len(dates)), 1)
    return pd.DataFrame({"date": list(dates), "staff_in_post": staff, "target": target, "n": n,
                         "gap": np.round(staff - target, 1)})


def establishment_names_from_prisoncap(path: Path | str) -> list[str]:
    """The 103 establishment names (lower case) in processed-prisoncap/staffing_capacity_202303_202606.csv,
    capitalised as prison names are printed ('Isle of Wight', 'The Mount')."""
    with open(path, newline="", encoding="utf-8") as f:
        names = [rec[0] for rec in list(csv.reader(f))[1:] if rec and rec[0]]
    small = {"of", "the", "and"}
    return [" ".join(w if (i and w in small) else w.capitalize() for i, w in enumerate(name.split()))
            for name in names]


def annex_table4(totals: pd.DataFrame, establishments: Sequence[str], hq: tuple[float, float] = (35.0, 40.0),
                 seed: int = 0) -> pd.DataFrame:
    """Table 4 rows as printed: per date, "All establishments", the establishments (the first totals["n"] of
    `establishments`), "Prison Service and YCS Establishment Total", then "HMPPS HQ and Area Services Total".
    Staff in post and target are spread exactly over establishments, so establishments add up to the given
    totals; difference = staff in post - target on every row; All establishments = that total + HQ."""
    rng = np.random.default_rng(seed)
    rows = []
    for rec in totals.itertuples(index=False):
        n = int(getattr(rec, "n", len(establishments)))
        if n > len(establishments):
            raise ValueError(f"{rec.date}: {n} establishments needed, {len(establishments)} names given")
        names = sorted(establishments[:n])
        size = rng.uniform(0.3, 2.0, n)
        staff = split_exact(_tenths(rec.staff_in_post), size * rng.uniform(0.9, 1.1, n))
        target = split_exact(_tenths(rec.target), size)
        hq_staff, hq_target = _tenths(hq[0]), _tenths(hq[1])
        block = [(ALL_ESTABLISHMENTS, staff.sum() + hq_staff, target.sum() + hq_target),
                 *zip(names, staff, target),
                 (PRISON_SERVICE_YCS_TOTAL, staff.sum(), target.sum()),
                 (HQ_AREA_SERVICES_TOTAL, hq_staff, hq_target)]
        rows += [(rec.date, name, int(s) / 10, int(t) / 10, int(s - t) / 10) for name, s, t in block]
    return pd.DataFrame(rows, columns=["date", "establishment", "staff_in_post", "target", "difference"])


def write_staffing_annex(path: Path | str, table4: pd.DataFrame, relabel: Mapping[str, str] | None = None,
                         notes: Mapping[int, str] = ANNEX_NOTES) -> Path:
    """Write the annex with `table4` (as annex_table4 returns; cells may hold printed markers) as Table 4."""
    relabel = dict(relabel or {})
    note_of = {"Band 3-5 prison officers in post (FTE)": 41, "Target staffing (FTE)": 45}
    header = [relabel.get(label, label) + (f" [note {note_of[label]}]" if label in note_of else "")
              for label in [*ANNEX_IDS, *ANNEX_VALUES]]
    columns = [*ANNEX_IDS.values(), *ANNEX_VALUES.values()]
    region_rows: list[list[Cell]] = [["North East", 310.2, 330.0, -19.8], ["London", 612.5, 700.0, -87.5]]
    tables: list[Sheet] = [
        table_sheet("Table_1", "Table 1: Probation officers against target by region",
                    ["Region", "Probation officers in post (FTE)", "Target staffing (FTE)", "Difference (FTE)"],
                    region_rows),
        table_sheet("Table_2", "Table 2: Probation officers against target by region, March 2021 onward",
                    ["Date", "Region", "Probation officers in post (FTE)", "Target staffing (FTE)"],
                    [[dt.date(2021, 3, 31), r[0], r[1], r[2]] for r in region_rows]),
        table_sheet("Table_3", "Table 3: PQiP withdrawal and leaving rates",
                    ["Cohort", "Withdrawal rate (%)", "Leaving rate (%)"], [["2023", 8.1, 4.2]]),
        table_sheet("Table_4", "Table 4: Band 3 to 5 prison officers by establishment, staff in post against "
                    "target staffing, March 2023 onward", header, table4[columns].itertuples(index=False, name=None),
                    preamble=["This worksheet contains one table. Some cells refer to notes which can be found "
                              "in the notes worksheet.", "Privately managed prisons are excluded [note 44].",
                              "Figures are full-time equivalent (FTE), hours-adjusted [note 41]."]),
    ]
    return write_workbook(path, [
        cover_sheet(ANNEX_TITLE, ["HM Prison and Probation Service", "Workforce Statistics Bulletin annex",
                                  "England and Wales", *SYMBOLS_TEXT]),
        contents_sheet([(t.name, t.rows[0][0]) for t in tables]),
        notes_sheet(notes),
        *tables,
    ])
