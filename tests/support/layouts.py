"""Independent fixture writers for the MoJ weekly bulletin (layout B) and the monthly per-prison ODS.

Why this module exists: the parsers were tested only on workbooks written by the project's own synthetic
writers, which share the parsers' label constants, so a round trip proved nothing about the layout. Everything
here is written from the layout notes in shared/research/data-sources.md (sections 1a and 1b), with every label
spelt out literally below as the notes give it. Nothing is imported from justice_tracker.parsers or
tests/support/synthetic, on purpose: if a label here and a label in a parser disagree, the test fails and
the disagreement is a finding, not something to paper over.

What the notes say, and the choices made where they are silent (each marked CHOICE):

Weekly bulletin, layout "B" (21 Oct 2024 on, reporting day Monday) [secondhand, data-sources.md 1a]:
  sheet `Data`; columns Total / Adult Male / Female / YCS; rows `Population`, `Useable Operational Capacity`,
  `Headroom` (published directly), `Home Detention Curfew caseload`; `Last Week: <date>` and `12 months ago`
  blocks below; an operating-margin table at the bottom with rows `Overall Estate`, `Adult Male`, `Female`,
  `YCS`. The margin is 1,640 from 28 Jul 2025 (adult male 1,460 + female 120 + YCS 60).
  CHOICE: the bulletin date is written out in a title line ("... 14 September 2026"), not put in a date cell.
  The notes give no date cell for B; the only dates they describe are text: in the `Last Week: <date>` block
  heading and in the attachment titles ("Dates are always in the title"). A date cell at the top is the
  parser's own assumption (from its A1 notes), so writing one would test the parser against itself.
  CHOICE: block headings are written `Last Week: <date>` and `12 Months Ago: <date>` (the brief's casing; the
  notes write the second `12 months ago`, without a date; `year_ago_heading=` writes any other text).
  CHOICE: the previous-period blocks do not repeat the column headers (the notes do not say they do);
  `repeat_block_headers=True` writes them on the row below each block heading.
  CHOICE: HDC caseload is written in the Total column only (one caseload for the estate).

Monthly per-prison bulletin, current ODS form (2017 on) [secondhand, data-sources.md 1b]:
  single sheet `MonthlyBulletin`; a header row holding `Prison Name` and `CNA` in the first 10 rows, with a
  `Report Date: dd/mm/yyyy` text cell above it; columns Prison Name | Baseline CNA | In Use CNA | Operational
  Capacity | Population (the legacy files add % Pop to In Use CNA | % Accommodation Available); Sub total and
  Total rows inside the table; the Total row's operational capacity is the USEABLE operational capacity (the
  column sum less the operating margin; Mar 2018: 86,515 against 88,515); an `HMPPS Operated Immigration
  Removal Centres` heading row; footnotes and an "establishments exceeding ..." list after the table. The
  footnote wording "Useable Operational Capacity of the estate is the sum of all establishments' operational
  capacity less 2000 places." is [observed] in the legacy Word bulletins.
  CHOICE: a "Monthly Bulletin - <Month Year>" title line above the Report Date cell (as in the legacy files).
  CHOICE: percentages are ODS percentage cells (numbers), left empty when the denominator is 0.
  CHOICE: the "exceeding" list is headed "Establishments exceeding their Operational Capacity" and its rows
  reuse the table's columns (name, operational capacity, population), so a parser that reads past the Total
  row would pick them up as establishments.

Figures are written as numeric cells (office:value-type float / percentage), labels as text cells; the .ods
is written with odfpy directly so every cell's type is explicit.

Values for "the next period after the latest in the data" come from the committed processed tables in
data/processed (the project's own outputs): see next_weekly_values() and next_monthly_values().
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

REPO_ROOT = Path(__file__).resolve().parents[2]
PROCESSED_DIR = REPO_ROOT / "data" / "processed"

# --- Labels, literally as data-sources.md gives them ---------------------------------------------------------

WEEKLY_SHEET = "Data"
WEEKLY_GROUPS = ("total", "adult_male", "female", "ycs")  # this module's keys for the four columns
WEEKLY_HEADERS = {"total": "Total", "adult_male": "Adult Male", "female": "Female", "ycs": "YCS"}
ROW_POPULATION = "Population"
ROW_UOC = "Useable Operational Capacity"
ROW_HEADROOM = "Headroom"
ROW_HDC = "Home Detention Curfew caseload"
LAST_WEEK_HEADING = "Last Week: {date}"
YEAR_AGO_HEADING = "12 Months Ago: {date}"
MARGIN_HEADING = "Operating Margin"
MARGIN_ROWS = {"total": "Overall Estate", "adult_male": "Adult Male", "female": "Female", "ycs": "YCS"}
WEEKLY_TITLE = "Prison population: weekly estate figures, {date}"

MONTHLY_SHEET = "MonthlyBulletin"
MONTHLY_TITLE = "Monthly Bulletin - {month}"
REPORT_DATE_CELL = "Report Date: {date:%d/%m/%Y}"
MONTHLY_HEADERS = ("Prison Name", "Baseline CNA", "In Use CNA", "Operational Capacity", "Population",
                   "% Pop to In Use CNA", "% Accommodation Available")
SUB_TOTAL = "Sub total"
TOTAL = "Total"
IRC_HEADING = "HMPPS Operated Immigration Removal Centres"
UOC_FOOTNOTE = ("Useable Operational Capacity of the estate is the sum of all establishments' operational "
                "capacity less {margin} places.")
REPORT_PRODUCED_BY = "Report produced by Capacity Management Team."
EXCEEDING_HEADING = "Establishments exceeding their Operational Capacity"

# The 1,640 margin and its split [data-sources.md 1a: from 28 Jul 2025, adult male 1,460 + female 120 + YCS 60].
MARGIN_SPLIT_1640 = {"total": 1640, "adult_male": 1460, "female": 120, "ycs": 60}

ODS_CONTENT_TYPE = "application/vnd.oasis.opendocument.spreadsheet"


def long_date(day: dt.date) -> str:
    """14 September 2026 (no leading zero), as dates are written in bulletin titles."""
    return f"{day.day} {day:%B %Y}"


# --- Writing an .ods from a grid -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Percent:
    """A ratio written as an ODS percentage cell (0.97 shows as 97%)."""

    ratio: float


def write_ods(path: Path | str, sheet_name: str, grid: Sequence[Sequence[object]]) -> Path:
    """Write one sheet. Cells: None -> empty, int/float -> number, Percent -> percentage, date -> date cell,
    anything else -> text."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import P

    path = Path(path)
    doc = OpenDocumentSpreadsheet()
    table = Table(name=sheet_name)
    width = max((len(row) for row in grid), default=1)
    table.addElement(TableColumn(numbercolumnsrepeated=width))
    for row in grid:
        tr = TableRow()
        for value in row:
            if value is None:
                cell = TableCell()
            elif isinstance(value, bool):
                raise TypeError(f"no booleans in a bulletin: {value!r}")
            elif isinstance(value, Percent):
                cell = TableCell(valuetype="percentage", value=repr(float(value.ratio)))
                cell.addElement(P(text=f"{value.ratio:.0%}"))
            elif isinstance(value, (int, float)):
                cell = TableCell(valuetype="float", value=repr(value))
                cell.addElement(P(text=f"{value:,}"))
            elif isinstance(value, dt.date):
                cell = TableCell(valuetype="date", datevalue=value.isoformat())
                cell.addElement(P(text=f"{value:%d/%m/%Y}"))
            else:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=str(value)))
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


# --- Weekly bulletin, layout B ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class WeekFigures:
    """One period's figures, each a dict by group ('total', 'adult_male', 'female', 'ycs'). `date` is the
    bulletin date the period refers to (used in the block heading); `hdc` is usually {'total': n} or empty."""

    population: dict[str, int]
    uoc: dict[str, int]
    headroom: dict[str, int]
    hdc: dict[str, int] = field(default_factory=dict)
    date: dt.date | None = None

    @classmethod
    def of(cls, value: "WeekFigures | Mapping") -> "WeekFigures":
        """Accept a WeekFigures or a plain dict with the same keys ('useable_operational_capacity' for 'uoc',
        'hdc_caseload' for 'hdc' are accepted too)."""
        if isinstance(value, WeekFigures):
            return value
        return cls(population=dict(value["population"]),
                   uoc=dict(value.get("uoc", value.get("useable_operational_capacity", {}))),
                   headroom=dict(value.get("headroom", {})),
                   hdc=dict(value.get("hdc", value.get("hdc_caseload", {})) or {}),
                   date=value.get("date"))


def _group_cells(values: Mapping[str, int]) -> list[object]:
    return [values.get(group) for group in WEEKLY_GROUPS]


def write_weekly_bulletin_b(path: Path | str, bulletin_date: dt.date, this_week, last_week, year_ago,
                            margins: Mapping[str, int], *, group_headers: Mapping[str, str] | None = None,
                            title: str | None = None, last_week_heading: str | None = None,
                            year_ago_heading: str | None = None, repeat_block_headers: bool = False,
                            row_labels: Mapping[str, str] | None = None, sheet_name: str = WEEKLY_SHEET) -> Path:
    """A layout-B weekly bulletin .ods at `path`.

    this_week / last_week / year_ago: WeekFigures or dicts {'population': {group: n}, 'uoc': {...},
    'headroom': {...}, 'hdc': {...}, 'date': date}; margins: {group: places} for the operating-margin table.
    The blocks' dates default to bulletin_date - 7 days and bulletin_date - 364 days (the Monday a year
    before). group_headers ({group: text}) and row_labels ({'population' | 'uoc' | 'headroom' | 'hdc': text})
    override column headers and row labels, to write a changed layout; title / *_heading override the title
    line and the block headings.

    Grid (row numbers 1-based): 1 title, 2 blank, 3 header (blank | Total | Adult Male | Female | YCS),
    4-7 Population / Useable Operational Capacity / Headroom / Home Detention Curfew caseload, 8 blank,
    9 'Last Week: <date>' (+ headers on row 10 if repeat_block_headers), its three rows, blank,
    '12 Months Ago: <date>', its three rows, blank, 'Operating Margin', then Overall Estate / Adult Male /
    Female / YCS with the figure in column B.
    """
    this_week, last_week, year_ago = (WeekFigures.of(x) for x in (this_week, last_week, year_ago))
    headers = {**WEEKLY_HEADERS, **(group_headers or {})}
    labels = {"population": ROW_POPULATION, "uoc": ROW_UOC, "headroom": ROW_HEADROOM, "hdc": ROW_HDC,
              **(row_labels or {})}
    header_row = [None, *(headers[g] for g in WEEKLY_GROUPS)]
    last_date = last_week.date or bulletin_date - dt.timedelta(days=7)
    year_date = year_ago.date or bulletin_date - dt.timedelta(days=364)

    grid: list[list[object]] = [
        [title if title is not None else WEEKLY_TITLE.format(date=long_date(bulletin_date))],
        [],
        header_row,
        [labels["population"], *_group_cells(this_week.population)],
        [labels["uoc"], *_group_cells(this_week.uoc)],
        [labels["headroom"], *_group_cells(this_week.headroom)],
        [labels["hdc"], *_group_cells(this_week.hdc)],
        [],
    ]

    def block(heading: str, figures: WeekFigures) -> None:
        grid.append([heading])
        if repeat_block_headers:
            grid.append(header_row)
        grid.append([labels["population"], *_group_cells(figures.population)])
        grid.append([labels["uoc"], *_group_cells(figures.uoc)])
        grid.append([labels["headroom"], *_group_cells(figures.headroom)])
        grid.append([])

    block(last_week_heading if last_week_heading is not None
          else LAST_WEEK_HEADING.format(date=long_date(last_date)), last_week)
    block(year_ago_heading if year_ago_heading is not None
          else YEAR_AGO_HEADING.format(date=long_date(year_date)), year_ago)
    grid.append([MARGIN_HEADING])
    for group in WEEKLY_GROUPS:
        if group in margins:
            grid.append([MARGIN_ROWS[group], margins[group]])
    return write_ods(path, sheet_name, grid)


# --- Monthly per-prison bulletin -------------------------------------------------------------------------------

Establishment = tuple  # (name, baseline_cna, in_use_cna, op_cap, population); a figure may be None (not published)


def _ratio(numerator, denominator) -> Percent | None:
    if numerator is None or not denominator:
        return None
    return Percent(round(numerator / denominator, 4))


def _sums(rows: Iterable[Establishment]) -> tuple[int, int, int, int]:
    rows = list(rows)
    return tuple(sum(r[i] or 0 for r in rows) for i in range(1, 5))  # type: ignore[return-value]


def _table_row(name: str, baseline, in_use, op_cap, population) -> list[object]:
    return [name, baseline, in_use, op_cap, population, _ratio(population, in_use), _ratio(in_use, baseline)]


def write_monthly_bulletin(path: Path | str, report_date: dt.date, establishments: Sequence[Establishment],
                           irc_establishments: Sequence[Establishment], operating_margin: int, *,
                           sheet_name: str = MONTHLY_SHEET, footnote: bool = True,
                           headers: Sequence[str] = MONTHLY_HEADERS) -> Path:
    """A monthly per-prison bulletin .ods at `path` (one sheet, `MonthlyBulletin` unless sheet_name says
    otherwise).

    Rows (1-based): 1 'Monthly Bulletin - <Month Year>', 2 'Report Date: dd/mm/yyyy', 3 blank, 4 header,
    then one row per establishment, 'Sub total'; if irc_establishments: 'HMPPS Operated Immigration Removal
    Centres', the IRC rows, their 'Sub total'; then 'Total' (sums over all rows, except Operational Capacity,
    which is the sum less operating_margin: useable operational capacity); blank; 'Report produced by ...';
    the 'Useable Operational Capacity ... less <margin> places.' footnote (unless footnote=False); blank;
    'Establishments exceeding their Operational Capacity' and one row per establishment whose population is
    above its operational capacity (name, op cap, population in the table's columns), or 'None'.
    """
    everything = [*establishments, *irc_establishments]
    grid: list[list[object]] = [
        [MONTHLY_TITLE.format(month=f"{report_date:%B %Y}")],
        [REPORT_DATE_CELL.format(date=report_date)],
        [],
        list(headers),
    ]
    for row in establishments:
        grid.append(_table_row(*row))
    grid.append(_table_row(SUB_TOTAL, *_sums(establishments)))
    if irc_establishments:
        grid.append([IRC_HEADING])
        for row in irc_establishments:
            grid.append(_table_row(*row))
        grid.append(_table_row(SUB_TOTAL, *_sums(irc_establishments)))
    baseline, in_use, op_cap, population = _sums(everything)
    grid.append(_table_row(TOTAL, baseline, in_use, op_cap - operating_margin, population))
    grid.append([])
    grid.append([REPORT_PRODUCED_BY])
    if footnote:
        grid.append([UOC_FOOTNOTE.format(margin=operating_margin)])
    grid.append([])
    grid.append([EXCEEDING_HEADING])
    exceeding = [r for r in everything if r[3] is not None and r[4] is not None and r[4] > r[3]]
    for name, _, _, cap, pop in exceeding:
        grid.append([name, None, None, cap, pop])
    if not exceeding:
        grid.append(["None"])
    return write_ods(path, sheet_name, grid)


# --- Plausible "next period" values from data/processed ---------------------------------------------------------

# Group shares used to split the published estate totals (data/processed has totals only). Illustrative, of
# the right size for 2025-26: women ~4.2% of the population, the YCS ~0.5%; capacity shares a little larger,
# so each group keeps a positive headroom.
_FEMALE_POP_SHARE, _YCS_POP_SHARE = 0.042, 0.005
_FEMALE_UOC_SHARE, _YCS_UOC_SHARE = 0.044, 0.0075
# This week's change from the latest published week (deterministic, so tests can assert exact figures).
WEEKLY_POPULATION_CHANGE = 57
WEEKLY_UOC_CHANGE = 12
# Home Detention Curfew caseload: data/processed has no 2026 HDC series, so this is an illustrative figure.
HDC_CASELOAD = 3912


def split_groups(population: int, uoc: int, date: dt.date | None = None) -> WeekFigures:
    """Estate totals -> figures by group that add up exactly, with headroom = UOC - population per group."""
    pop = {"female": round(population * _FEMALE_POP_SHARE), "ycs": round(population * _YCS_POP_SHARE)}
    pop["adult_male"] = population - pop["female"] - pop["ycs"]
    cap = {"female": round(uoc * _FEMALE_UOC_SHARE), "ycs": round(uoc * _YCS_UOC_SHARE)}
    cap["adult_male"] = uoc - cap["female"] - cap["ycs"]
    pop["total"], cap["total"] = population, uoc
    headroom = {g: cap[g] - pop[g] for g in WEEKLY_GROUPS}
    order = lambda d: {g: d[g] for g in WEEKLY_GROUPS}  # noqa: E731
    return WeekFigures(order(pop), order(cap), order(headroom), {}, date)


@dataclass(frozen=True)
class NextWeekly:
    """The bulletin after the latest in data/processed/weekly_population_capacity.csv."""

    bulletin_date: dt.date
    this_week: WeekFigures
    last_week: WeekFigures
    year_ago: WeekFigures
    margins: dict[str, int]
    latest_date: dt.date  # the latest bulletin in the data (= last_week.date)

    @property
    def attachment_title(self) -> str:
        return f"Population bulletin: weekly {long_date(self.bulletin_date)}"

    @property
    def filename(self) -> str:
        return f"prison-pop-{self.bulletin_date.day}-{self.bulletin_date:%B-%Y}.ods".lower()

    def write(self, path: Path | str, **options) -> Path:
        return write_weekly_bulletin_b(path, self.bulletin_date, self.this_week, self.last_week, self.year_ago,
                                       self.margins, **options)


def next_weekly_values(processed_dir: Path | str = PROCESSED_DIR) -> NextWeekly:
    """Bulletin date = 7 days after the latest date in weekly_population_capacity.csv (a Monday); this week =
    the latest week's population + 57 and UOC + 12; last week = the latest row; 12 months ago = the row
    nearest 365 days before the bulletin date; totals split by group with split_groups(); HDC 3,912 (total
    only, illustrative); margins 1,640 = adult male 1,460 + female 120 + YCS 60 (the latest row's margin must
    be 1,640, the only margin whose split is documented)."""
    import pandas as pd

    weekly = pd.read_csv(Path(processed_dir) / "weekly_population_capacity.csv", parse_dates=["date"])
    weekly = weekly.dropna(subset=["population", "uoc"]).sort_values("date")
    latest = weekly.iloc[-1]
    latest_date = latest["date"].date()
    bulletin_date = latest_date + dt.timedelta(days=7)
    if bulletin_date.weekday() != 0:
        raise ValueError(f"the latest weekly bulletin ({latest_date}) is not a Monday: layout B is Monday-dated")
    if int(latest["operating_margin"]) != MARGIN_SPLIT_1640["total"]:
        raise ValueError(f"latest operating margin is {latest['operating_margin']}, not 1,640: the group split "
                         "in this fixture is only documented for 1,640")
    target = pd.Timestamp(bulletin_date - dt.timedelta(days=365))
    nearest = weekly.iloc[(weekly["date"] - target).abs().argsort().iloc[0]]

    this_week = split_groups(int(latest["population"]) + WEEKLY_POPULATION_CHANGE,
                             int(latest["uoc"]) + WEEKLY_UOC_CHANGE, bulletin_date)
    this_week = WeekFigures(this_week.population, this_week.uoc, this_week.headroom, {"total": HDC_CASELOAD},
                            bulletin_date)
    last_week = split_groups(int(latest["population"]), int(latest["uoc"]), latest_date)
    year_ago = split_groups(int(nearest["population"]), int(nearest["uoc"]), nearest["date"].date())
    return NextWeekly(bulletin_date, this_week, last_week, year_ago, dict(MARGIN_SPLIT_1640), latest_date)


def _easter(year: int) -> dt.date:
    """Easter Sunday (Gregorian; anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


# One-off or moved bank holidays in England and Wales since 2011.
_SPECIAL_HOLIDAYS = {dt.date(2011, 4, 29), dt.date(2012, 6, 4), dt.date(2012, 6, 5), dt.date(2020, 5, 8),
                     dt.date(2022, 6, 2), dt.date(2022, 6, 3), dt.date(2022, 9, 19), dt.date(2023, 5, 8)}
_MOVED_AWAY = {dt.date(2012, 5, 28), dt.date(2020, 5, 4), dt.date(2022, 5, 30)}


def bank_holidays(year: int) -> set[dt.date]:
    """England and Wales bank holidays of a year (fixed rules plus the one-off changes since 2011)."""
    def substitute(day: dt.date, taken: set[dt.date]) -> dt.date:
        while day.weekday() >= 5 or day in taken:
            day += dt.timedelta(days=1)
        return day

    def first_monday(month: int) -> dt.date:
        day = dt.date(year, month, 1)
        return day + dt.timedelta(days=(0 - day.weekday()) % 7)

    def last_monday(month: int) -> dt.date:
        day = (dt.date(year, month + 1, 1) if month < 12 else dt.date(year + 1, 1, 1)) - dt.timedelta(days=1)
        return day - dt.timedelta(days=day.weekday())

    easter = _easter(year)
    days: set[dt.date] = {substitute(dt.date(year, 1, 1), set())}
    days |= {easter - dt.timedelta(days=2), easter + dt.timedelta(days=1), first_monday(5), last_monday(5),
             last_monday(8)}
    christmas = substitute(dt.date(year, 12, 25), set())
    days |= {christmas, substitute(dt.date(year, 12, 26), {christmas})}
    days -= _MOVED_AWAY
    days |= {d for d in _SPECIAL_HOLIDAYS if d.year == year}
    return days


def last_working_weekday(year: int, month: int, weekday: int = 4) -> dt.date:
    """The last `weekday` (4 = Friday, 0 = Monday) of the month that is not a bank holiday: the monthly
    report date rule in data-sources.md 1b (last working Friday; 18 Dec 2015, 18 Mar 2016, 15 Apr 2011)."""
    day = (dt.date(year, month + 1, 1) if month < 12 else dt.date(year + 1, 1, 1)) - dt.timedelta(days=1)
    day -= dt.timedelta(days=(day.weekday() - weekday) % 7)
    holidays = bank_holidays(year)
    while day in holidays:
        day -= dt.timedelta(days=7)
    return day


# Deterministic population changes for the next month: (position in the name-sorted list, change).
MONTHLY_POPULATION_CHANGES = ((0, +4), (30, -3), (60, +7), (90, -2))


@dataclass(frozen=True)
class NextMonthly:
    """The monthly bulletin after the latest month in data/processed/monthly_establishments.csv."""

    month: str  # "2026-08"
    report_date: dt.date
    establishments: list[tuple]  # (name, baseline_cna, in_use_cna, op_cap, population)
    irc_establishments: list[tuple]
    operating_margin: int
    changed: dict[str, tuple[int, int]]  # name -> (population last month, population now)
    latest_month: str  # the latest month in the data

    @property
    def all_establishments(self) -> list[tuple]:
        return [*self.establishments, *self.irc_establishments]

    @property
    def sum_op_cap(self) -> int:
        return sum(r[3] for r in self.all_establishments)

    @property
    def useable_operational_capacity(self) -> int:
        return self.sum_op_cap - self.operating_margin

    @property
    def total_population(self) -> int:
        return sum(r[4] for r in self.all_establishments)

    @property
    def attachment_title(self) -> str:
        return f"Population bulletin: monthly {self.report_date:%B %Y}"

    @property
    def filename(self) -> str:
        return f"prison-pop-monthly-{self.report_date:%B-%Y}.ods".lower()

    def write(self, path: Path | str, **options) -> Path:
        return write_monthly_bulletin(path, self.report_date, self.establishments, self.irc_establishments,
                                      self.operating_margin, **options)


def next_monthly_values(processed_dir: Path | str = PROCESSED_DIR, *, report_weekday: int = 4) -> NextMonthly:
    """The month after the latest `month` in monthly_establishments.csv. Report date: the last working Friday
    of that month (report_weekday=0 gives the last working Monday instead). Establishments: the latest month's
    rows with all four figures (name = `prison`), sorted by name, sections 'prison' and 'irc' kept apart,
    with the populations at MONTHLY_POPULATION_CHANGES positions changed (never below 0). Operating margin:
    sum_op_cap - published_uoc of the latest month in monthly_estate_totals.csv."""
    import pandas as pd

    processed_dir = Path(processed_dir)
    rows = pd.read_csv(processed_dir / "monthly_establishments.csv", dtype={"month": str})
    latest_month = max(rows["month"])
    year, month = (int(x) for x in latest_month.split("-"))
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    figures = ["baseline_cna", "in_use_cna", "op_cap", "population"]
    latest = rows[rows["month"] == latest_month].dropna(subset=["prison", *figures]).sort_values("prison")

    totals = pd.read_csv(processed_dir / "monthly_estate_totals.csv", dtype={"month": str})
    total = totals[totals["month"] == latest_month]
    if len(total) != 1:
        raise ValueError(f"monthly_estate_totals.csv has {len(total)} rows for {latest_month}")
    margin = int(total["sum_op_cap"].iloc[0] - total["published_uoc"].iloc[0])

    def as_tuple(r) -> tuple:
        return (str(r["prison"]), *(int(r[f]) for f in figures))

    prisons = [as_tuple(r) for _, r in latest[latest["section"] != "irc"].iterrows()]
    ircs = [as_tuple(r) for _, r in latest[latest["section"] == "irc"].iterrows()]
    changed: dict[str, tuple[int, int]] = {}
    for position, change in MONTHLY_POPULATION_CHANGES:
        if position < len(prisons):
            name, baseline, in_use, cap, pop = prisons[position]
            new = max(0, pop + change)
            prisons[position] = (name, baseline, in_use, cap, new)
            changed[name] = (pop, new)
    return NextMonthly(f"{year:04d}-{month:02d}", last_working_weekday(year, month, report_weekday), prisons,
                       ircs, margin, changed, latest_month)
