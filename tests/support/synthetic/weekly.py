"""Write weekly estate bulletins in the documented layouts A1, A2 and B, from given values.

Layouts as described (secondhand) in shared/research/data-sources.md section 1a:
- A1 (Dec 2011 to Jul 2021), .xls or .ods: sheet `Headlines- PUBLISHED` (`Headlines-_PUBLISHED` in .ods,
  as the third-party parse records), a date cell in the title rows, columns Total / Prisons /
  NOMS (later HMPPS) Operated IRCs, rows Population, Male population, Female population, Useable Operational
  Capacity, Home Detention Curfew caseload, then a two-column `Last week` / `12 months ago` block; ghost
  external-link sheets whose names start with `'` (LibreOffice's caches of linked workbooks).
- A2 (Jul 2021 to Oct 2024), .ods: sheet `Headlines-PUBLISHED`, one `This week` column, rows
  `Population in male estate` / `Population in female estate`, an `Operating Margin` row when given
  (published from 3 Nov 2023).
- B (21 Oct 2024 on), .ods: sheet `Data`, columns Total / Adult Male / Female / YCS, rows Population,
  Useable Operational Capacity, Headroom, Home Detention Curfew caseload, blocks `Last Week:  <date>` and
  `12 Months Ago:  <date>` below, and an operating-margin table (Overall Estate, Adult Male, Female, YCS).
Cell positions, titles and footnote wording are not documented: they are plausible choices. Only .ods is written
(xlwt, the last .xls writer, is unmaintained); the tests read .xls from tests/fixtures/weekly-a1-sample.xls.

Values are a mapping (period, measure, group) -> cell content, with the keys of the parser's tidy table,
e.g. ("this_week", "population", "total") -> 85639. A value is written as given: a number, or a string such as
"Data not available", "1,234*" or "[x]" to reproduce a quirk. A key not in the mapping leaves its cell empty.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

Values = Mapping[tuple[str, str, str], object]

NOT_AVAILABLE = "Data not available"

# --- Writing a workbook ---------------------------------------------------------------------------------------


class Grid:
    """A sheet being built: cells by (row, col), everything shifted by `origin` (rows, columns)."""

    def __init__(self, origin: tuple[int, int] = (0, 0)):
        self.cells: dict[tuple[int, int], object] = {}
        self.origin = origin

    def put(self, row: int, col: int, value) -> None:
        if value is not None:
            self.cells[(row + self.origin[0], col + self.origin[1])] = value

    def put_row(self, row: int, values: Sequence, col: int = 0) -> None:
        for offset, value in enumerate(values):
            self.put(row, col + offset, value)

    def dense(self) -> list[list]:
        if not self.cells:
            return [[None]]
        height = max(r for r, _ in self.cells) + 1
        width = max(c for _, c in self.cells) + 1
        rows = [[None] * width for _ in range(height)]
        for (r, c), value in self.cells.items():
            rows[r][c] = value
        return rows


def save_workbook(path: Path | str, sheets: Sequence[tuple[str, Grid]]) -> Path:
    """Write sheets to .ods (pandas + odfpy). Legacy .xls is not written: no maintained library writes it, so the
    tests read the committed tests/fixtures/weekly-a1-sample.xls instead (see tests/fixtures/README.md)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".ods":
        with pd.ExcelWriter(path, engine="odf") as writer:
            for name, grid in sheets:
                pd.DataFrame(grid.dense()).to_excel(writer, sheet_name=name, header=False, index=False)
    elif suffix == ".xls":
        raise ValueError(f"{path.name}: the synthetic writers no longer write legacy .xls (xlwt is unmaintained); "
                         "write .ods, or read the committed tests/fixtures/weekly-a1-sample.xls")
    else:
        raise ValueError(f"{path.name}: can write .ods, not {suffix!r}")
    return path


def _ghost_sheet(index: int, bulletin_date: dt.date) -> tuple[str, Grid]:
    """A LibreOffice external-link cache: named after the linked file and sheet, holding stale copies of
    that sheet's cells (here a decoy 'Population' row, so a parser that reads it gives wrong numbers)."""
    name = f"'file:///G:/Capacity Management/Weekly/Headlines_{index + 1}.xls'#$Headlines- PUBLISHED"
    grid = Grid()
    grid.put_row(0, ["Population and Capacity Briefing for", None, None, bulletin_date - dt.timedelta(days=364)])
    grid.put_row(2, [None, "Total", "Prisons", "NOMS Operated IRCs"])
    grid.put_row(3, ["Population", 11111, 11000, 111])
    grid.put_row(4, ["Useable Operational Capacity", 22222, 22000, 222])
    return name, grid


# --- Layouts --------------------------------------------------------------------------------------------------

_LABELS = {
    "population": "Population",
    "male_population": "Male population",
    "female_population": "Female population",
    "useable_operational_capacity": "Useable Operational Capacity",
    "headroom": "Headroom",
    "hdc_caseload": "Home Detention Curfew caseload",
    "operating_margin": "Operating Margin",
}
_A2_LABELS = {"male_population": "Population in male estate", "female_population": "Population in female estate"}
_B_GROUPS = [("total", "Total"), ("adult_male", "Adult Male"), ("female", "Female"), ("ycs", "YCS")]
_B_MARGIN_ROWS = [("total", "Overall Estate"), ("adult_male", "Adult Male"), ("female", "Female"), ("ycs", "YCS")]

_A_FOOTNOTES = [
    "Notes",
    "Population figures include prisoners held in police cells under Operation Safeguard, where applicable.",
    "The Total column includes the Immigration Removal Centres (IRCs) operated by the Prison Service.",
    "Useable Operational Capacity is the sum of all establishments' operational capacity less a margin of places "
    "known as the operating margin.",
    "Home Detention Curfew caseload is the number of offenders released on HDC and subject to electronic "
    "monitoring.",
]
_B_FOOTNOTES = [
    "Headroom is Useable Operational Capacity minus Population.",
    "YCS: Youth Custody Service. Adult Male excludes the male YCS estate.",
]


def _label(measure: str, row_labels: Mapping[str, str] | None, defaults: Mapping[str, str] = _LABELS) -> str:
    return (row_labels or {}).get(measure) or defaults.get(measure) or _LABELS[measure]


def _rows_with_values(values: Values, periods: Sequence[str], measures: Sequence[str],
                      always: Sequence[str]) -> list[str]:
    """The measures to write a row for: those always present in the layout, plus optional ones given values."""
    given = {m for (p, m, _) in values if p in periods}
    return [m for m in measures if m in always or m in given]


def _a_sheet(layout: str, bulletin_date: dt.date, values: Values, *, column_headers: list[tuple[str, str]],
             origin: tuple[int, int], row_labels: Mapping[str, str] | None) -> Grid:
    grid = Grid(origin)
    defaults = {**_LABELS, **(_A2_LABELS if layout == "A2" else {})}
    grid.put_row(0, ["Population and Capacity Briefing for", None, None, bulletin_date])
    grid.put_row(2, [None, *(text for _, text in column_headers)])
    this_week = ["population", "male_population", "female_population", "useable_operational_capacity",
                 "operating_margin", "hdc_caseload"]
    row = 3
    for measure in _rows_with_values(values, ["this_week"], this_week, always=[m for m in this_week if m !=
                                                                                "operating_margin"]):
        grid.put(row, 0, _label(measure, row_labels, defaults))
        for offset, (group, _) in enumerate(column_headers, start=1):
            grid.put(row, offset, values.get(("this_week", measure, group)))
        row += 1
    row += 1
    grid.put_row(row, [None, "Last week", "12 months ago"])
    previous = ["population", "useable_operational_capacity", "operating_margin"]
    for measure in _rows_with_values(values, ["last_week", "12_months_ago"], previous, always=previous[:2]):
        row += 1
        grid.put_row(row, [_label(measure, row_labels, defaults), values.get(("last_week", measure, "total")),
                           values.get(("12_months_ago", measure, "total"))])
    for offset, note in enumerate(_A_FOOTNOTES, start=2):
        grid.put(row + offset, 0, note)
    return grid


def _sheets(main: tuple[str, Grid], ghost_sheets: int, bulletin_date: dt.date) -> list[tuple[str, Grid]]:
    return [main, *(_ghost_sheet(i, bulletin_date) for i in range(ghost_sheets))]


def write_weekly_a1(path: Path | str, bulletin_date: dt.date, values: Values, *, irc_label: str | None = None,
                    sheet_name: str | None = None, ghost_sheets: int = 1, origin: tuple[int, int] = (0, 0),
                    row_labels: Mapping[str, str] | None = None,
                    column_labels: Mapping[str, str] | None = None) -> Path:
    """Layout A1 (.ods; .xls is no longer written). `irc_label` defaults to 'NOMS Operated IRCs' before 2020 and
    'HMPPS Operated IRCs' after; `row_labels` / `column_labels` ({measure or group: text}) override the
    documented labels, to make the faults a parser must reject."""
    path = Path(path)
    irc_label = irc_label or ("HMPPS Operated IRCs" if bulletin_date.year >= 2020 else "NOMS Operated IRCs")
    headers = [("total", "Total"), ("prisons", "Prisons"), ("irc", irc_label)]
    headers = [(g, (column_labels or {}).get(g, text)) for g, text in headers]
    grid = _a_sheet("A1", bulletin_date, values, column_headers=headers, origin=origin, row_labels=row_labels)
    name = sheet_name or ("Headlines-_PUBLISHED" if path.suffix.lower() == ".ods" else "Headlines- PUBLISHED")
    return save_workbook(path, _sheets((name, grid), ghost_sheets, bulletin_date))


def write_weekly_a2(path: Path | str, bulletin_date: dt.date, values: Values, *,
                    sheet_name: str = "Headlines-PUBLISHED", ghost_sheets: int = 0,
                    origin: tuple[int, int] = (0, 0), row_labels: Mapping[str, str] | None = None,
                    column_labels: Mapping[str, str] | None = None) -> Path:
    """Layout A2 (.ods). The Operating Margin row is written only when the values include a margin."""
    headers = [("total", (column_labels or {}).get("total", "This week"))]
    grid = _a_sheet("A2", bulletin_date, values, column_headers=headers, origin=origin, row_labels=row_labels)
    return save_workbook(path, _sheets((sheet_name, grid), ghost_sheets, bulletin_date))


def _long_date(d: dt.date) -> str:
    return f"{d.day:02d} {d:%B %Y}"


def write_weekly_b(path: Path | str, bulletin_date: dt.date, values: Values, *,
                   last_week_date: dt.date | None = None, year_ago_date: dt.date | None = None,
                   sheet_name: str = "Data", block_headers: str = "title_row", date_line: bool = True,
                   ghost_sheets: int = 0,
                   origin: tuple[int, int] = (0, 0), row_labels: Mapping[str, str] | None = None,
                   column_labels: Mapping[str, str] | None = None) -> Path:
    """Layout B (.ods). The previous-period blocks are titled 'Last Week:  <date>' and '12 Months Ago:  <date>'
    (defaults: 7 and 364 days before). `block_headers` says where those blocks repeat the column headers:
    'title_row' (beside the title), 'next_row' or 'none' (the reader must reuse the this-week columns).
    `date_line=False` leaves the date out of the title rows (the third-party parse found no date cell in B
    files), so the bulletin date can only come from 'Last Week: <date>'."""
    headers = [(g, (column_labels or {}).get(g, text)) for g, text in _B_GROUPS]
    last_week_date = last_week_date or bulletin_date - dt.timedelta(days=7)
    year_ago_date = year_ago_date or bulletin_date - dt.timedelta(days=364)
    grid = Grid(origin)
    grid.put(0, 0, "HMPPS weekly prison population and capacity")
    if date_line:
        grid.put(1, 0, f"Figures as at {bulletin_date.day} {bulletin_date:%B %Y}")

    def block(row: int, period: str, measures: Sequence[str], title: str | None) -> int:
        if title is not None:
            grid.put(row, 0, title)
            if block_headers == "title_row":
                grid.put_row(row, [text for _, text in headers], col=1)
            elif block_headers == "next_row":
                row += 1
                grid.put_row(row, [text for _, text in headers], col=1)
            elif block_headers != "none":
                raise ValueError(f"block_headers={block_headers!r}; expected 'title_row', 'next_row' or 'none'")
        for measure in measures:
            row += 1
            grid.put(row, 0, _label(measure, row_labels))
            for offset, (group, _) in enumerate(headers, start=1):
                grid.put(row, offset, values.get((period, measure, group)))
        return row + 2

    grid.put_row(3, [None, *(text for _, text in headers)])
    row = block(3, "this_week", ["population", "useable_operational_capacity", "headroom", "hdc_caseload"], None)
    previous = ["population", "useable_operational_capacity", "headroom"]
    row = block(row, "last_week", previous, f"Last Week:  {_long_date(last_week_date)}")
    row = block(row, "12_months_ago", previous, f"12 Months Ago:  {_long_date(year_ago_date)}")
    grid.put_row(row, ["Operating Margin", "Places"])
    for offset, (group, text) in enumerate(_B_MARGIN_ROWS, start=1):
        grid.put_row(row + offset, [text, values.get(("this_week", "operating_margin", group))])
    for offset, note in enumerate(_B_FOOTNOTES, start=len(_B_MARGIN_ROWS) + 2):
        grid.put(row + offset, 0, note)
    return save_workbook(path, _sheets((sheet_name, grid), ghost_sheets, bulletin_date))


@dataclass
class WeeklyBulletin:
    """One bulletin's contents: its date, layout and cell values (see the module docstring)."""

    bulletin_date: dt.date
    layout: str
    values: dict[tuple[str, str, str], object] = field(default_factory=dict)


def write_weekly_bulletin(path: Path | str, bulletin: WeeklyBulletin, **options) -> Path:
    """Write a bulletin in its own layout; options go to write_weekly_a1 / _a2 / _b."""
    writer = {"A1": write_weekly_a1, "A2": write_weekly_a2, "B": write_weekly_b}[bulletin.layout]
    return writer(path, bulletin.bulletin_date, bulletin.values, **options)


def write_weekly_series(directory: Path | str, bulletins: Sequence[WeeklyBulletin], suffix: str = ".ods",
                        **options) -> list[Path]:
    """One file per bulletin, named like the GOV.UK attachments ('prison-pop-24-august-2026.ods')."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for bulletin in bulletins:
        d = bulletin.bulletin_date
        paths.append(write_weekly_bulletin(directory / f"prison-pop-{d.day}-{d:%B-%Y}{suffix}".lower(), bulletin,
                                           **options))
    return paths


# --- Values ---------------------------------------------------------------------------------------------------
# A week's figures as flat fields named like the columns of the third-party weekly_population_capacity.csv
# (pop_total, uoc_irc, headroom_published, operating_margin_ycs, ...), so real rows and synthetic weeks share
# one mapping to cells.

_THIS_WEEK_FIELDS = {
    "A1": {("population", "total"): "pop_total", ("population", "prisons"): "pop_prisons",
           ("population", "irc"): "pop_irc", ("male_population", "total"): "pop_male",
           ("female_population", "total"): "pop_female", ("useable_operational_capacity", "total"): "uoc_total",
           ("useable_operational_capacity", "prisons"): "uoc_prisons",
           ("useable_operational_capacity", "irc"): "uoc_irc", ("hdc_caseload", "total"): "hdc"},
    "A2": {("population", "total"): "pop_total", ("male_population", "total"): "pop_male",
           ("female_population", "total"): "pop_female", ("useable_operational_capacity", "total"): "uoc_total",
           ("operating_margin", "total"): "operating_margin", ("hdc_caseload", "total"): "hdc"},
    "B": {**{("population", g): f"pop_{g}" for g in ("total", "adult_male", "female", "ycs")},
          **{("useable_operational_capacity", g): f"uoc_{g}" for g in ("total", "adult_male", "female", "ycs")},
          ("hdc_caseload", "total"): "hdc", ("operating_margin", "total"): "operating_margin",
          **{("operating_margin", g): f"operating_margin_{g}" for g in ("adult_male", "female", "ycs")}},
}
_PREVIOUS_FIELDS = {
    "A1": {("population", "total"): "pop_total", ("useable_operational_capacity", "total"): "uoc_total"},
    "A2": {("population", "total"): "pop_total", ("useable_operational_capacity", "total"): "uoc_total",
           ("operating_margin", "total"): "operating_margin"},
    "B": {**{("population", g): f"pop_{g}" for g in ("total", "adult_male", "female", "ycs")},
          **{("useable_operational_capacity", g): f"uoc_{g}" for g in ("total", "adult_male", "female", "ycs")}},
}
_B_GROUP_NAMES = ("total", "adult_male", "female", "ycs")


def _number(text) -> int | float | None:
    """'85639.0' -> 85639; '' or None -> None (the CSV's empty fields)."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    number = float(text)
    return int(number) if number.is_integer() else number


def _cells(layout: str, week: Mapping[str, object], period: str) -> dict[tuple[str, str, str], object]:
    fields = _THIS_WEEK_FIELDS[layout] if period == "this_week" else _PREVIOUS_FIELDS[layout]
    cells = {(period, m, g): v for (m, g), name in fields.items() if (v := _number(week.get(name))) is not None}
    if layout == "B":
        # B publishes Headroom; the third-party parse kept the Total's, so the groups' are UOC - population.
        for group in _B_GROUP_NAMES:
            pop = cells.get((period, "population", group))
            uoc = cells.get((period, "useable_operational_capacity", group))
            published = _number(week.get("headroom_published")) if group == "total" else None
            headroom = published if published is not None else (uoc - pop if None not in (pop, uoc) else None)
            if headroom is not None:
                cells[(period, "headroom", group)] = headroom
    return cells


def _bulletin(layout: str, date: dt.date, this_week: Mapping[str, object], last_week: Mapping[str, object] | None,
              year_ago: Mapping[str, object] | None) -> WeeklyBulletin:
    values = _cells(layout, this_week, "this_week")
    if last_week is None:  # skipped (bank holiday) week: the previous bulletin does not exist
        template = _cells(layout, this_week, "last_week")
        values.update({key: NOT_AVAILABLE for key in template})
    else:
        values.update(_cells(layout, last_week, "last_week"))
    if year_ago is not None:
        values.update(_cells(layout, year_ago, "12_months_ago"))
    return WeeklyBulletin(date, layout, values)


def weekly_values_from_prisoncap(records: Mapping[dt.date, Mapping[str, str]], bulletin_date: dt.date,
                                 layout: str) -> WeeklyBulletin:
    """The bulletin for `bulletin_date` rebuilt from the third-party parse (records: CSV rows by date). Last week
    is the record 7 days earlier ('Data not available' when there is none, as after a bank holiday); 12 months ago
    is the record within 3 days of 364 days earlier (left empty when there is none)."""
    year_ago = bulletin_date - dt.timedelta(days=364)
    year_ago_record = next((records[d] for k in (0, -1, 1, -2, 2, -3, 3)
                            if (d := year_ago + dt.timedelta(days=k)) in records), None)
    return _bulletin(layout, bulletin_date, records[bulletin_date],
                     records.get(bulletin_date - dt.timedelta(days=7)), year_ago_record)


_FIRST_DATES = {"A1": dt.date(2016, 1, 8), "A2": dt.date(2023, 1, 6), "B": dt.date(2025, 1, 6)}


def _synthetic_week(layout: str, date: dt.date, rng: random.Random, level: dict[str, float]) -> dict[str, int]:
    """One week of plausible figures: a random walk around the 2016-2026 levels, parts adding to totals."""
    for key, step in (("pop", 120), ("uoc", 60), ("female", 15), ("hdc", 40)):
        level[key] += rng.uniform(-step, step)
    pop, uoc, female, hdc = (round(level[k]) for k in ("pop", "uoc", "female", "hdc"))
    week = {"pop_total": pop, "uoc_total": uoc, "pop_female": female, "pop_male": pop - female, "hdc": hdc}
    if layout == "A1":
        irc_pop, irc_uoc = rng.randint(700, 950), 992
        week.update(pop_irc=irc_pop, pop_prisons=pop - irc_pop, uoc_irc=irc_uoc, uoc_prisons=uoc - irc_uoc)
    elif layout == "A2" and date >= dt.date(2023, 11, 3):
        week["operating_margin"] = 1350
    elif layout == "B":
        ycs_pop, female_uoc, ycs_uoc = rng.randint(270, 360), female + rng.randint(100, 400), 452
        week.update(pop_ycs=ycs_pop, pop_adult_male=pop - female - ycs_pop, uoc_female=female_uoc,
                    uoc_ycs=ycs_uoc, uoc_adult_male=uoc - female_uoc - ycs_uoc, headroom_published=uoc - pop)
        margins = (1460, 120, 60) if date >= dt.date(2025, 7, 28) else (1190, 100, 60)
        week.update(operating_margin=sum(margins), operating_margin_adult_male=margins[0],
                    operating_margin_female=margins[1], operating_margin_ycs=margins[2])
    return week


def synthetic_weekly_series(layout: str, n_weeks: int = 52, first_date: dt.date | None = None, seed: int = 0,
                            skipped: Sequence[int] = ()) -> list[WeeklyBulletin]:
    """`n_weeks` consecutive weekly bulletins of plausible values (Fridays for A1/A2, Mondays for B), each with
    last week's and 12 months ago's figures consistent with the series. Week numbers in `skipped` publish
    nothing, so the next bulletin shows 'Data not available' for last week."""
    first_date = first_date or _FIRST_DATES[layout]
    rng = random.Random(seed)
    level = {"pop": 84000.0, "uoc": 86500.0, "female": 3700.0, "hdc": 2500.0}
    weeks = {i: _synthetic_week(layout, first_date + dt.timedelta(weeks=i), rng, level) for i in range(-52, n_weeks)}
    skipped = set(skipped)
    return [_bulletin(layout, first_date + dt.timedelta(weeks=i), weeks[i],
                      None if i - 1 in skipped else weeks[i - 1], weeks[i - 52])
            for i in range(n_weeks) if i not in skipped]
