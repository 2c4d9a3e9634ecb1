"""Synthetic prison population projection workbooks, one per edition, in the layout projection_editions.py
records for it: the headline table on the edition's sheet (`A1`, `Table A1`, `Table 1.1`, `Table_1_1`), with
the edition's scenario and custody-type labels. Editions from 2017-2022 get the accessible cover, contents and
notes sheets; older ones are a bare table sheet with the title above the header.

`projection_rows_from_prisoncap` takes the real values of any of the 18 editions from
processed-prisoncap/projections_long.csv; `synthetic_projection_rows` makes plausible ones. Overrides (sheet
name, scenario labels, title) let a test write a workbook that disagrees with the edition table.
"""
from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from justice_tracker.parsers.projection_editions import (CUSTODY_CENTRAL, CUSTODY_SCENARIOS, SCENARIO_COLUMNS,
                                                        edition_layout)
from justice_tracker.parsers.projections import DATE_LABEL, SCENARIO_LABEL

from .accessible_workbook import (SYMBOLS_TEXT, contents_sheet, cover_sheet, notes_sheet, table_sheet,
                                  write_workbook)

ROW_COLUMNS = ["scenario", "ref_date", "measure", "value"]
_PRISONCAP_MEASURES = {"total": "total", "determinate": "determinate", "indeterminate": "indeterminate",
                       "remand": "remand", "recall": "recall", "non-criminal": "non_criminal",
                       "fine": "fine_defaulters", "fine_defaulters": "fine_defaulters"}
_SCENARIO_ORDER = {"actual": 0, "central": 1, "high": 2, "low": 3}


def edition_title(edition: str) -> str:
    first, last = edition.split("-")
    return f"Prison Population Projections {first} to {last}"


def projection_rows_from_prisoncap(path: Path | str, edition: str) -> pd.DataFrame:
    """One edition's rows of processed-prisoncap/projections_long.csv as (scenario, ref_date, measure, value).
    "fine" and "fine_defaulters" become one measure, fine_defaulters. The third party labels the three
    30 June 2011 rows of 2011-2017 `actual`, but they are the scenarios' projected base year: they are given
    back as low, central and high in ascending order of value (low < central < high in every other year)."""
    frame = pd.read_csv(path)
    frame = frame[frame["edition"] == edition]
    if frame.empty:
        raise ValueError(f"{path}: no rows for edition {edition!r}")
    if edition == "2011-2017":
        base = frame["scenario"] == "actual"
        order = frame.loc[base, "total"].rank(method="first").astype(int)
        frame.loc[base, "scenario"] = order.map({1: "low", 2: "central", 3: "high"})
    rows = []
    for rec in frame.to_dict("records"):
        for column, measure in _PRISONCAP_MEASURES.items():
            if pd.notna(rec[column]):
                rows.append((rec["scenario"], dt.date.fromisoformat(rec["ref_date"]), measure, float(rec[column])))
    return pd.DataFrame(rows, columns=ROW_COLUMNS)


def synthetic_projection_rows(edition: str, horizon_years: int = 5, seed: int = 0) -> pd.DataFrame:
    """Plausible rows for an edition: annual dates in its reference month from the base year, the scenarios and
    custody types its layout prints, low < central < high, values rounded to 100 (outturns unrounded)."""
    spec = edition_layout(edition)
    rng = np.random.default_rng(seed)
    base_year = int(edition[:4]) + (1 if spec.layout == SCENARIO_COLUMNS else 0)
    dates = [dt.date(year, spec.ref_month, calendar.monthrange(year, spec.ref_month)[1])
             for year in range(base_year, base_year + horizon_years + 1)]
    shares = {"determinate": 0.6, "indeterminate": 0.1, "remand": 0.15, "recall": 0.13, "non_criminal": 0.015,
              "fine_defaulters": 0.005}
    rows = []
    level = 80000 + 1000 * rng.random()
    for i, date in enumerate(dates):
        for scenario, spread in (("low", -1), ("central", 0), ("high", 1)):
            if spec.layout == CUSTODY_CENTRAL and scenario != "central":
                continue
            if i == 0 and spec.first_row_actual:
                if scenario != "central":
                    continue
                scenario, total = "actual", float(round(level))
            else:
                total = float(round(level * (1 + 0.015 * i) + spread * 900 * i, -2))
            rows.append((scenario, date, "total", total))
            if spec.layout != SCENARIO_COLUMNS:
                rows += [(scenario, date, m, float(round(total * s, -2 if scenario != "actual" else 0)))
                         for m, s in shares.items()]
    return pd.DataFrame(rows, columns=ROW_COLUMNS)


def write_projections_workbook(path: Path | str, edition: str, rows: pd.DataFrame, *, sheet: str | None = None,
                               scenario_labels: Mapping[str, str] | None = None, title: str | None = None) -> Path:
    """Write `rows` (scenario, ref_date, measure, value; a value may be printed text such as '[x]') as the
    edition's headline table. `sheet`, `scenario_labels` (printed label -> scenario) and `title` override the
    edition table, to make workbooks it does not describe. Missing cells are printed as '[x]'."""
    spec = edition_layout(edition)
    sheet = sheet or spec.sheet
    labels = dict(scenario_labels or spec.scenario_labels)
    title = title or edition_title(edition)
    table_title = f"{sheet}: {title}, England and Wales"
    values = {(r.scenario, r.ref_date, r.measure): r.value for r in rows.itertuples(index=False)}
    keys = sorted({(r.scenario, r.ref_date) for r in rows.itertuples(index=False)},
                  key=lambda k: (_SCENARIO_ORDER[k[0]], k[1]))
    if spec.layout == SCENARIO_COLUMNS:
        header = [DATE_LABEL, *labels]
        body = [[date, *[values.get((scenario, date, "total"), "[x]") for scenario in labels.values()]]
                for date in sorted({d for _, d in keys})]
    else:
        measures = dict(spec.measure_labels)
        if spec.layout == CUSTODY_CENTRAL:
            header = [DATE_LABEL, *measures]
            body = [[date, *[values.get((scenario, date, m), "[x]") for m in measures.values()]]
                    for scenario, date in sorted(keys, key=lambda k: k[1])]
        else:
            printed = {v: k for k, v in labels.items()}
            header = [SCENARIO_LABEL, DATE_LABEL, *measures]
            body = [[printed[scenario], date, *[values.get((scenario, date, m), "[x]") for m in measures.values()]]
                    for scenario, date in keys]
    headline = table_sheet(sheet, table_title, header, body,
                           preamble=["This worksheet contains one table.", "Figures are rounded to the nearest 100."])
    modern = spec.layout == CUSTODY_SCENARIOS or spec.first_row_actual
    if not modern:
        return write_workbook(path, [headline])
    return write_workbook(path, [
        cover_sheet(title, ["Ministry of Justice", "England and Wales", *SYMBOLS_TEXT]),
        contents_sheet([(sheet, table_title)]),
        notes_sheet({1: "Projections are not forecasts: they assume current policy and sentencing practice.",
                     2: "The first row is the published prison population (outturn)."}),
        headline,
    ])
