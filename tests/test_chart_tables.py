"""The data table under every chart opens on the latest period.

A page carries at most the latest rows of a long series (its own chart page carries them all). An audit found the
shortened tables opening on 2011 or 2013 under a caption that said "the latest 120 rows": these tests read every
built page, and for each chart table compare its rows with the chart's own CSV download, which is written in the
order the chapter made it (not re-sorted), so the check does not go through the code that sorts the page's table.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from justice_tracker.charts import MAX_TABLE_ROWS, latest_first

FIGURE = re.compile(r'<figure class="jct-chart" id="chart-[^"]+" data-chart-id="([^"]+)">(.*?)</figure>', re.S)
SHOWN = re.compile(r'<details class="jct-chart-data"><summary>[^<]*\((?:the latest ([\d,]+) of )?([\d,]+) rows\)'
                   r'</summary>.*?<tbody>(.*?)</tbody>', re.S)
ROW_HEADER = re.compile(r'<tr><th scope="row">(.*?)</th>')
ISO = re.compile(r"\d{4}(-\d{2}(-\d{2})?|Q[1-4])?")


def _chart_tables(site: Path):
    for page in sorted((site / "book").rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        for chart_id, body in FIGURE.findall(text):
            m = SHOWN.search(body)
            if m:
                yield page.relative_to(site).as_posix(), chart_id, m


@pytest.mark.slow
def test_every_shortened_table_opens_on_the_latest_period_and_goes_back_in_time(site):
    checked, shortened, problems = 0, 0, []
    for page, chart_id, m in _chart_tables(site):
        periods = ROW_HEADER.findall(m.group(3))
        csv = pd.read_csv(site / "charts" / chart_id / f"{chart_id}.csv", dtype=str, keep_default_na=False)
        first_col = csv.iloc[:, 0]
        if not periods or not first_col.str.fullmatch(ISO).all():
            continue  # not a dated series (a ranking, a list of commitments)
        checked += 1
        if m.group(1):
            shortened += 1
            if len(periods) != int(m.group(1).replace(",", "")) or int(m.group(2).replace(",", "")) != len(csv):
                problems.append(f"{page} {chart_id}: the caption's counts do not match the rows shown or the CSV")
        if periods[0] != first_col.max():
            problems.append(f"{page} {chart_id}: the table opens on {periods[0]}, the chart's latest period is "
                            f"{first_col.max()}")
        going_back = all(a >= b for a, b in zip(periods, periods[1:]))
        if not going_back:
            problems.append(f"{page} {chart_id}: the rows are not in order from the latest back")
    assert checked > 150 and shortened >= 100, (checked, shortened)
    assert problems == [], "\n".join(problems[:20])


def test_a_long_table_without_a_period_cannot_be_shortened_silently():
    table = pd.DataFrame({"Establishment": [f"Prison {i}" for i in range(MAX_TABLE_ROWS + 1)],
                          "Population": range(MAX_TABLE_ROWS + 1)})
    with pytest.raises(ValueError, match=r"chart ranking: .*'Establishment' is not a period"):
        latest_first(table, "ranking")


@pytest.mark.parametrize("periods", [["2024-01", "2026-03", "2025-12"], ["2024Q2", "2026Q1", "2025Q4"],
                                     ["7 February 2020", "21 October 2025", "1 March 2023"], [2019, 2025, 2021]])
def test_rows_come_latest_first_whatever_the_period_is_written_as(periods):
    table = pd.DataFrame({"Period": periods, "Value": [1, 2, 3]})
    assert latest_first(table, "c")["Value"].tolist() == [2, 3, 1]
