"""The weekly (layout B) and monthly parsers read back exactly what independent fixtures wrote.

The fixtures (tests/support/layouts.py) are written from the layouts documented in
shared/research/data-sources.md with their own literal labels, not the parsers' constants, so these tests
check the parsers against the documentation rather than against themselves. Figures come from
next_weekly_values() / next_monthly_values(): the period after the latest in data/processed.
"""
from __future__ import annotations

import datetime as dt
import math
import sys
from pathlib import Path

import pandas as pd
import pytest

if str(Path(__file__).resolve().parent) not in sys.path:  # until pyproject's pythonpath = ["tests"] lands
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from justice_tracker.parsers import monthly_ods  # noqa: E402
from justice_tracker.parsers.base import ParseError  # noqa: E402
from justice_tracker.parsers.registry import parse_file  # noqa: E402
from support.layouts import (  # noqa: E402
    PROCESSED_DIR, WEEKLY_GROUPS, WeekFigures, last_working_weekday, next_monthly_values, next_weekly_values,
    write_monthly_bulletin,
)


@pytest.fixture(scope="module")
def weekly():
    return next_weekly_values()


@pytest.fixture(scope="module")
def monthly():
    return next_monthly_values()


# --- The "next period" values ----------------------------------------------------------------------------------

def test_next_weekly_values_follow_the_latest_week(weekly):
    data = pd.read_csv(PROCESSED_DIR / "weekly_population_capacity.csv", parse_dates=["date"])
    latest = data.sort_values("date").iloc[-1]
    assert weekly.bulletin_date == latest["date"].date() + dt.timedelta(days=7)
    assert weekly.bulletin_date.weekday() == 0  # layout B bulletins are dated Mondays
    assert weekly.last_week.date == latest["date"].date()
    assert (weekly.last_week.population["total"], weekly.last_week.uoc["total"], weekly.last_week.headroom["total"]) \
        == (latest["population"], latest["uoc"], latest["headroom"])
    assert weekly.this_week.population["total"] == latest["population"] + 57
    year_ago = data[data["date"] == pd.Timestamp(weekly.year_ago.date)].iloc[0]
    assert abs((weekly.bulletin_date - dt.timedelta(days=365) - weekly.year_ago.date).days) <= 3
    assert (weekly.year_ago.population["total"], weekly.year_ago.uoc["total"], weekly.year_ago.headroom["total"]) \
        == (year_ago["population"], year_ago["uoc"], year_ago["headroom"])
    for figures in (weekly.this_week, weekly.last_week, weekly.year_ago):
        for measure in (figures.population, figures.uoc, figures.headroom):
            assert measure["total"] == measure["adult_male"] + measure["female"] + measure["ycs"]
        for group in WEEKLY_GROUPS:
            assert figures.headroom[group] == figures.uoc[group] - figures.population[group]
            assert figures.headroom[group] > 0
    assert weekly.margins == {"total": 1640, "adult_male": 1460, "female": 120, "ycs": 60}


def test_next_monthly_values_follow_the_latest_month(monthly):
    totals = pd.read_csv(PROCESSED_DIR / "monthly_estate_totals.csv", dtype={"month": str})
    latest = totals[totals["month"] == monthly.latest_month].iloc[0]
    year, month = (int(x) for x in monthly.month.split("-"))
    assert (year * 12 + month) - (int(monthly.latest_month[:4]) * 12 + int(monthly.latest_month[5:])) == 1
    assert monthly.report_date == last_working_weekday(year, month) and monthly.report_date.weekday() == 4
    assert monthly.operating_margin == latest["sum_op_cap"] - latest["published_uoc"]
    assert len(monthly.all_establishments) == latest["establishments"]
    assert monthly.sum_op_cap == latest["sum_op_cap"]
    assert len(monthly.changed) == 4 and all(old != new for old, new in monthly.changed.values())
    assert monthly.total_population == latest["sum_population"] + sum(n - o for o, n in monthly.changed.values())


@pytest.mark.parametrize(("year", "month", "expected"), [
    (2015, 12, dt.date(2015, 12, 18)), (2016, 3, dt.date(2016, 3, 18)), (2011, 4, dt.date(2011, 4, 15)),
    (2026, 8, dt.date(2026, 8, 28)),
])
def test_report_date_is_the_last_working_friday(year, month, expected):
    """The documented examples of a holiday moving the report date earlier (data-sources.md 1b)."""
    assert last_working_weekday(year, month) == expected


# --- Weekly bulletin, layout B ---------------------------------------------------------------------------------

def _weekly_expected(weekly) -> dict[tuple[str, str, str], float]:
    expected = {}
    for period, figures in (("this_week", weekly.this_week), ("last_week", weekly.last_week),
                            ("12_months_ago", weekly.year_ago)):
        for measure, values in (("population", figures.population), ("useable_operational_capacity", figures.uoc),
                                ("headroom", figures.headroom), ("hdc_caseload", figures.hdc)):
            for group, value in values.items():
                expected[(period, measure, group)] = value
    for group, value in weekly.margins.items():
        expected[("this_week", "operating_margin", group)] = value
    return expected


def _weekly_parsed(parsed) -> dict[tuple[str, str, str], float]:
    found = {}
    for row in parsed.table.itertuples():
        key = (row.period, row.measure, row.group)
        assert key not in found, f"{key} parsed twice"
        found[key] = row.value
    return found


@pytest.mark.parametrize("repeat_block_headers", [False, True], ids=["block-headers-not-repeated",
                                                                    "block-headers-repeated"])
def test_weekly_b_reads_back_every_figure(tmp_path, weekly, repeat_block_headers):
    path = weekly.write(tmp_path / weekly.filename, repeat_block_headers=repeat_block_headers)
    parsed = parse_file(path)

    assert parsed.kind == "weekly_bulletin"
    assert parsed.meta["layout"] == "B"
    assert parsed.meta["sheet"] == "Data"
    assert parsed.meta["bulletin_date"] == weekly.bulletin_date
    assert _weekly_parsed(parsed) == _weekly_expected(weekly)
    assert parsed.meta["operating_margin"] == 1640
    assert parsed.meta["operating_margin_by_group"] == weekly.margins
    assert parsed.meta["inconsistencies"] == []
    dates = parsed.table.groupby("period")["reference_date"].unique()
    assert [d.date() for d in dates["this_week"]] == [weekly.bulletin_date]
    assert [d.date() for d in dates["last_week"]] == [weekly.last_week.date]
    assert [d.date() for d in dates["12_months_ago"]] == [weekly.year_ago.date]
    assert (parsed.table["source_file"] == path.name).all()


def test_weekly_b_with_the_documented_year_ago_heading(tmp_path, weekly):
    """data-sources.md writes the second block `12 months ago` (no date); the figures must still be read."""
    parsed = parse_file(weekly.write(tmp_path / "year-ago-heading.ods", year_ago_heading="12 months ago"))
    assert _weekly_parsed(parsed) == _weekly_expected(weekly)


def test_fixture_figures_are_numeric_cells(tmp_path, weekly, monthly):
    """The fixtures write figures as numbers, not text (a text '86,925' would pass through a lenient parser)."""
    from python_calamine import CalamineWorkbook

    def rows(path, sheet):
        return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)

    weekly_rows = rows(weekly.write(tmp_path / weekly.filename), "Data")
    population = next(r for r in weekly_rows if r and r[0] == "Population")
    assert population[1:5] == [float(weekly.this_week.population[g]) for g in WEEKLY_GROUPS]
    monthly_rows = rows(monthly.write(tmp_path / monthly.filename), "MonthlyBulletin")
    first = next(r for r in monthly_rows if r and r[0] == monthly.establishments[0][0])
    assert first[1:5] == [float(x) for x in monthly.establishments[0][1:]]
    assert all(isinstance(x, float) for x in first[5:7])  # the two percentages, as numbers


def test_weekly_b_renamed_header_fails_loudly(tmp_path, weekly):
    path = weekly.write(tmp_path / "adult-men.ods", group_headers={"adult_male": "Adult Men"})
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    message = str(caught.value)
    assert "adult-men.ods" in message and "sheet 'Data'" in message
    assert "row 3" in message  # the header row
    assert "Adult Men" in message and "Adult Male" in message


def test_weekly_b_misspelt_capacity_row_is_not_taken_for_a_bulletin(tmp_path, weekly):
    """Without a `Useable Operational Capacity` row a `Data` sheet is not recognised, and the error says what
    each parser looks for and which sheets were found."""
    path = weekly.write(tmp_path / "usable.ods", row_labels={"uoc": "Usable Operational Capacity"})
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert "usable.ods" in str(caught.value) and "['Data']" in str(caught.value)
    assert "Useable Operational Capacity" in str(caught.value)


# --- Monthly per-prison bulletin -------------------------------------------------------------------------------

def _establishments(parsed, section: str | None = None) -> list[tuple]:
    table = parsed.table if section is None else parsed.table[parsed.table["section"] == section]
    return [(r.establishment, *(None if math.isnan(v) else int(v)
                                for v in (r.baseline_cna, r.in_use_cna, r.op_cap, r.population)))
            for r in table.itertuples()]


def test_monthly_reads_back_every_establishment(tmp_path, monthly):
    path = monthly.write(tmp_path / monthly.filename)
    parsed = parse_file(path)

    assert parsed.kind == "monthly_ods"
    assert parsed.meta["sheet"] == "MonthlyBulletin"
    assert parsed.meta["report_date"] == monthly.report_date
    assert _establishments(parsed) == monthly.establishments  # in order; nothing from the list after Total
    assert set(parsed.table["section"]) == {"prison"}
    total = parsed.meta["total"]
    assert total["op_cap"] == monthly.useable_operational_capacity == monthly.sum_op_cap - monthly.operating_margin
    assert total["population"] == monthly.total_population
    assert total["baseline_cna"] == sum(r[1] for r in monthly.establishments)
    assert parsed.meta["sum_op_cap"] == monthly.sum_op_cap
    assert parsed.meta["operating_margin"] == monthly.operating_margin
    assert parsed.meta["operating_margin_source"].startswith("footnote")
    assert parsed.meta["subtotals"]["prison"]["op_cap"] == monthly.sum_op_cap
    assert parsed.meta["inconsistencies"] == []
    for name, (_, new) in monthly.changed.items():
        assert parsed.table.loc[parsed.table["establishment"] == name, "population"].item() == new


def test_monthly_with_irc_section_and_a_partial_row(tmp_path, monthly):
    """The IRC heading, IRC rows and their Sub total; a closed establishment's partial row (no population);
    the Total sums include the IRCs; without the footnote the margin comes from the documented history."""
    prisons = [*monthly.establishments, ("Blantyre House", 122, 0, 0, None)]
    ircs = [("Dover (IRC)", 316, 316, 314, 281), ("Haslar (IRC)", 160, 160, 160, 142)]
    path = write_monthly_bulletin(tmp_path / "with-ircs.ods", monthly.report_date, prisons, ircs,
                                  monthly.operating_margin, footnote=False)
    parsed = parse_file(path)

    assert _establishments(parsed, "prison") == prisons
    assert _establishments(parsed, "irc") == ircs
    every = prisons + ircs
    assert parsed.meta["total"]["op_cap"] == sum(r[3] for r in every) - monthly.operating_margin
    assert parsed.meta["total"]["population"] == sum(r[4] or 0 for r in every)
    assert parsed.meta["subtotals"]["irc"]["population"] == 281 + 142
    assert parsed.meta["operating_margin"] == monthly.operating_margin == 1640
    assert parsed.meta["operating_margin_source"] == "documented history"
    assert parsed.meta["inconsistencies"] == []


def test_monthly_renamed_sheet_fails_loudly(tmp_path, monthly):
    path = monthly.write(tmp_path / "renamed.ods", sheet_name="Monthly_Prison_Figures")
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert "renamed.ods" in str(caught.value)
    assert "Monthly_Prison_Figures" in str(caught.value)  # what was found
    assert "MonthlyBulletin" in str(caught.value)  # what was looked for
    with pytest.raises(ParseError, match=r"expected one sheet named 'MonthlyBulletin'; sheets in the file: "
                                         r"\['Monthly_Prison_Figures'\]"):
        monthly_ods.parse(path)


def test_monthly_total_that_is_not_useable_capacity_fails_loudly(tmp_path, monthly):
    """A Total row whose operational capacity is the plain column sum (no margin taken off) contradicts the
    documented layout; with no footnote saying otherwise the parser must refuse it."""
    path = write_monthly_bulletin(tmp_path / "no-margin.ods", monthly.report_date, monthly.establishments, [], 0,
                                  footnote=False)
    with pytest.raises(ParseError, match="no-margin.ods, sheet 'MonthlyBulletin': .*implies a margin of 0"):
        parse_file(path)


def test_week_figures_accepts_plain_dicts(tmp_path, weekly):
    as_dict = {"population": weekly.this_week.population, "useable_operational_capacity": weekly.this_week.uoc,
               "headroom": weekly.this_week.headroom, "hdc_caseload": weekly.this_week.hdc}
    assert WeekFigures.of(as_dict) == WeekFigures(weekly.this_week.population, weekly.this_week.uoc,
                                                  weekly.this_week.headroom, weekly.this_week.hdc)
