"""The prison population projection editions this project knows: for each, the sheet that holds the headline
table, its layout, its reference month and what its printed labels mean. The projections parser refuses an
edition that is not here, so a new edition means one new line, checked against the file.

Where the facts come from:
- sheet name and reference month per edition: processed-prisoncap/projections_editions.csv (a third party's
  parse of all 18 editions);
- the three layouts, the single central path by custody type in 2015-2021 to 2021-2026 with low/high in a
  separate table, "Fine" renamed "Fine Defaulters" from 2020-2026, the 2022-2027 central block stopping at
  November 2024, and "Scenario 2" being CENTRAL in the 2012 and 2013 editions but HIGH in 2014:
  processed-prisoncap/definitions_log.csv;
- the first row being an outturn ("actual") from 2017-2022 onward: definitions_log.csv and the `actual` rows
  of processed-prisoncap/projections_long.csv. (projections_editions.csv lists `actual` as a scenario only for
  2024-2029 and 2025-2030, but its row counts, and projections_long.csv, include an actual first row from
  2017-2022.)

Assumed, because no note says (to be confirmed on the first live run): which of the 2008-2011 editions label
the central path "Medium" and which "No change"; the low/high labels next to them; "Scenario 1"/"Scenario 3"
as the low/high labels in 2012 and 2013 and "Scenario 1" as low in 2014; the header texts "Date" and
"Scenario" and the custody-type labels; that 2022-2027 onward print one long table with a Scenario column.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

SCENARIO_COLUMNS = "scenario_columns"  # Date | one column per scenario; the values are total population
CUSTODY_CENTRAL = "custody_type_central"  # Date | custody types | Total; one central path
CUSTODY_SCENARIOS = "custody_type_scenarios"  # Scenario | Date | custody types | Total

_CUSTODY = {"Remand": "remand", "Determinate": "determinate", "Indeterminate": "indeterminate",
            "Recall": "recall", "Non-criminal": "non_criminal"}
# Older editions print "Fine", later ones "Fine Defaulters": the same quantity, one measure.
CUSTODY_LABELS_FINE = {**_CUSTODY, "Fine": "fine_defaulters", "Total": "total"}
CUSTODY_LABELS_FINE_DEFAULTERS = {**_CUSTODY, "Fine defaulters": "fine_defaulters", "Total": "total"}
SCENARIO_LABELS_MODERN = {"Actual": "actual", "Central": "central", "High": "high", "Low": "low"}

SEPARATE_UNCERTAINTY_TABLE = ("Low and high projections are published in a separate uncertainty table, "
                              "which this parser does not read.")


@dataclass(frozen=True)
class EditionLayout:
    """One edition. `scenario_labels` maps each printed scenario label (a column heading, or a value of the
    Scenario column) to low / central / high / actual, in the order printed; `measure_labels` maps each
    custody-type heading to a measure (empty for the scenario-column layout, whose values are totals)."""

    edition: str
    sheet: str
    layout: str
    ref_month: int
    scenario_labels: Mapping[str, str] = field(default_factory=dict)
    measure_labels: Mapping[str, str] = field(default_factory=dict)
    first_row_actual: bool = False
    quirks: tuple[str, ...] = ()

    @property
    def scenarios(self) -> frozenset[str]:
        """The scenarios a parse of this edition can give."""
        found = set(self.scenario_labels.values())
        if self.layout == CUSTODY_CENTRAL:
            found.add("central")
        if self.first_row_actual:
            found.add("actual")
        return frozenset(found)


def _scenario_columns(edition: str, sheet: str, low: str, central: str, high: str,
                      quirks: tuple[str, ...] = ()) -> EditionLayout:
    return EditionLayout(edition, sheet, SCENARIO_COLUMNS, 6, {low: "low", central: "central", high: "high"},
                         quirks=quirks)


def _custody_central(edition: str, sheet: str, ref_month: int, labels: Mapping[str, str], first_row_actual: bool,
                     quirks: tuple[str, ...] = ()) -> EditionLayout:
    return EditionLayout(edition, sheet, CUSTODY_CENTRAL, ref_month, {}, labels, first_row_actual,
                         (SEPARATE_UNCERTAINTY_TABLE, *quirks))


def _custody_scenarios(edition: str, ref_month: int, quirks: tuple[str, ...] = ()) -> EditionLayout:
    return EditionLayout(edition, "Table_1_1", CUSTODY_SCENARIOS, ref_month, SCENARIO_LABELS_MODERN,
                         CUSTODY_LABELS_FINE_DEFAULTERS, True, quirks)


EDITIONS: dict[str, EditionLayout] = {e.edition: e for e in [
    _scenario_columns("2008-2015", "A1", "Low", "Medium", "High"),
    _scenario_columns("2009-2015", "A1", "Low", "Medium", "High"),
    _scenario_columns("2010-2016", "Table A1", "Low", "Medium", "High"),
    _scenario_columns("2011-2017", "Table A1", "Low", "No change", "High",
                      ("The 30 June 2011 row is each scenario's projected base year, not an outturn.",)),
    _scenario_columns("2012-2018", "Table A1", "Scenario 1", "Scenario 2", "Scenario 3"),
    _scenario_columns("2013-2019", "Table A1", "Scenario 1", "Scenario 2", "Scenario 3"),
    _scenario_columns("2014-2020", "Table A1", "Scenario 1", "Central", "Scenario 2",
                      ("'Scenario 2' is the HIGH scenario in this edition (it was central in 2012 and 2013).",)),
    _custody_central("2015-2021", "Table A1", 6, CUSTODY_LABELS_FINE, False),
    _custody_central("2016-2021", "Table A1", 6, CUSTODY_LABELS_FINE, False,
                     ("Only four forward years (2017 to 2020) are published.",)),
    _custody_central("2017-2022", "Table 1.1", 6, CUSTODY_LABELS_FINE, True),
    _custody_central("2018-2023", "Table_1_1", 6, CUSTODY_LABELS_FINE, True),
    _custody_central("2019-2024", "Table_1_1", 6, CUSTODY_LABELS_FINE, True),
    _custody_central("2020-2026", "Table_1_1", 9, CUSTODY_LABELS_FINE_DEFAULTERS, True,
                     ("'Fine' is renamed 'Fine Defaulters' from this edition.",)),
    _custody_central("2021-2026", "Table_1_1", 7, CUSTODY_LABELS_FINE_DEFAULTERS, True),
    _custody_scenarios("2022-2027", 11, ("The central block stops at November 2024 while low and high run to "
                                         "November 2026; later central years are only in the monthly appendix "
                                         "(Table A4), which this parser does not read.",)),
    _custody_scenarios("2023-2028", 11),
    _custody_scenarios("2024-2029", 9),
    _custody_scenarios("2025-2030", 9),
]}


def edition_layout(edition: str) -> EditionLayout:
    """The layout of an edition ('2024-2029'); KeyError naming the known editions for any other."""
    try:
        return EDITIONS[edition]
    except KeyError:
        raise KeyError(f"unknown projections edition {edition!r}; known editions: {sorted(EDITIONS)}") from None
