"""Licence recalls: the recall population, recalls each quarter, recalls against releases, and the long run.

The OMSQ licence recalls workbook, parsed here, gives recalls per quarter and (where it has the table) the recall
population; where one is here it is used for the periods it covers (tracker.yml `precedence`). The rest comes
from third parties' tidy files built from the Ministry of Justice's Offender Management Statistics Quarterly:

- Prison Reform Trust (Bromley Briefings data): the prison population serving a recall, one figure a month from
  June 2010 (plus June 2009). Months are text ("Jun-09"); the file has CRLF line endings and no final newline.
  The file gives the month, not the day of the count, so `date` here is the FIRST DAY of that month, a label for
  the month (as the Prison Reform Trust's own charts use it), not the day the count was taken.
- Walk Forward Research (prisoncap): recalls per quarter (a pandas Series written with its index, so the header
  is ",0"); determinate releases against recalls per quarter (first column unnamed; 2024Q2-Q4 are not in the
  file and stay missing); and an annual table of releases, recalls, sentence length and time served, with the
  recall population at the reference date of each year's projection edition (first column unnamed).

Every row keeps the raw file's line; a file that does not look like this fails with an IngestError naming the file,
the line and what was expected.
"""
from __future__ import annotations

import datetime as dt
import math
import re

import pandas as pd

from ..config import Table, TrackerConfig
from ..parsers import omsq_recalls
from ..raw import RawFile, find_raw
from .common import IngestError, provenance_columns, read_csv_text, to_int
from .official import cell_ref, newest_rows, official_files
from .precedence import merge

# Tested on the real sample files (tests/test_recalls_chapter.py re-derives the committed tables from them).
VERIFIED_AGAINST_PUBLISHED_FILE = True

MONTHS = {m: i for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1)}
_MONTH_TEXT = re.compile(r"^([A-Z][a-z]{2})-(\d{2})$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")

PRT_FILE = "bromley__sentencing__recall_population.csv"
QUARTERLY_FILE = "recalls_quarterly.csv"
LOOP_FILE = "recall_loop.csv"
ANNUAL_FILE = "longrun_releases_recalls.csv"

LOOP_HEADER = ["", "releases", "recalls", "recall_per_release"]
ANNUAL_HEADER = ["", "recalls", "releases", "sentence_len", "time_served", "served_pct", "recalls_per_100_releases",
                 "recall_share_of_pop_pct", "recall_stock"]


def _exact_header(raw: RawFile, frame: pd.DataFrame, expected: list[str], what: str) -> None:
    found = list(frame.columns)
    if found != expected:
        raise IngestError(f"{raw.ref} line 1: expected the header {','.join(expected)!r} ({what}); "
                          f"found {','.join(found)!r}")


def _to_float(text: str, where: str) -> float | None:
    text = (text or "").strip()
    if text == "":
        return None
    if not _NUMBER.match(text):
        raise IngestError(f"{where}: expected a number, found {text!r}")
    return float(text)


def _count(text: str, where: str, required: bool = False) -> int | None:
    value = to_int(text, where)
    if value is None and required:
        raise IngestError(f"{where}: the cell is empty; expected a count")
    if value is not None and value <= 0:
        raise IngestError(f"{where}: expected a positive count, found {value}")
    return value


def _month_end(year: int, month: int) -> dt.date:
    first_next = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def _quarter(text: str, where: str) -> tuple[dt.date, str]:
    """'2025-04-01' -> (date, '2025Q2'); the date must be the first day of a calendar quarter."""
    try:
        start = dt.date.fromisoformat(text.strip())
    except (AttributeError, ValueError):
        raise IngestError(f"{where}: expected a quarter start date like 2025-04-01, found {text!r}") from None
    if start.day != 1 or start.month not in (1, 4, 7, 10):
        raise IngestError(f"{where}: {start} is not the first day of a calendar quarter")
    return start, f"{start.year}Q{(start.month - 1) // 3 + 1}"


def _next_quarter(start: dt.date) -> dt.date:
    return dt.date(start.year + (start.month == 10), (start.month + 2) % 12 + 1, 1)


def _check_sequence(raw: RawFile, line: int, key, previous: tuple | None, label: str, seen: dict) -> None:
    if key in seen:
        raise IngestError(f"{raw.ref} line {line}: {label} appears twice (first at line {seen[key]})")
    if previous is not None and key < previous[0]:
        raise IngestError(f"{raw.ref} line {line}: {label} comes after {previous[1]} (out of order)")


def _official_recalls(config: TrackerConfig, source_id: str, table_name: str, measure: str):
    """(rows of the OMSQ recall workbooks for one table and measure, newest edition per period; notes)."""
    found = official_files(config, source_id)
    files = found.of_kind(omsq_recalls.KIND)

    def rows(f):
        t = f.parsed.table
        return t[(t["table"] == table_name) & (t["measure"] == measure)].assign(_file=f)

    frame, notes = newest_rows(files, rows, ["period_start"])
    notes += [f"skipped (not the licence recalls workbook): {ref}" for ref, _ in found.skipped]
    return frame, notes


def _official_row(r: dict, source_id: str) -> dict:
    f = r["_file"]
    return {"source_id": source_id, "source_file": f.raw.ref, "source_url": f.url, "raw_sha256": f.raw.sha256,
            "row_ref": cell_ref(r["sheet"], r["cell"])}


def _merged(table: Table, by_source: dict, period: str, compare: list[str], notes: list[str]) -> pd.DataFrame:
    out, disagreements = merge(table, by_source, period, compare)
    out = out.sort_values(period, kind="stable").reset_index(drop=True)
    out.attrs.update({"disagreements": disagreements, "notes": notes})
    return out


def build_recall_population_monthly(config: TrackerConfig, table: Table,
                                    inputs: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """People in prison on recall, monthly: the OMSQ recall workbooks parsed here where they give a month, the
    Prison Reform Trust's series otherwise (precedence in tracker.yml)."""
    by_source, notes = {}, []
    for sid in table.precedence:
        if config.source(sid).official:
            frame, found = _official_recalls(config, sid, "recall_population", "recall_population")
            notes += found
            by_source[sid] = pd.DataFrame([{
                "month": str(r["period_start"])[:7], "date": f"{str(r['period_start'])[:7]}-01",
                "recall_population": None if pd.isna(r["value"]) else int(r["value"]), **_official_row(r, sid)}
                for r in frame.to_dict("records")])
        else:
            by_source[sid] = _prt_recall_population(config, sid)
    out = _merged(table, by_source, "month", ["recall_population"], notes)
    out["recall_population"] = out["recall_population"].astype("Int64")
    return out


def _prt_recall_population(config: TrackerConfig, source_id: str) -> pd.DataFrame:
    raw = find_raw(config, source_id, PRT_FILE)
    frame = read_csv_text(raw, required=["date", "recall_pop"])
    _exact_header(raw, frame, ["date", "recall_pop"], "month as Mon-YY, recall population")
    today = dt.date.today()
    rows, seen, previous = [], {}, None
    for line, rec in frame.iterrows():
        where = f"{raw.ref} line {line}"
        m = _MONTH_TEXT.match(rec["date"])
        if not m or m.group(1) not in MONTHS:
            raise IngestError(f"{where}: expected a month like Jun-09, found {rec['date']!r}")
        year, month = 2000 + int(m.group(2)), MONTHS[m.group(1)]
        if _month_end(year, month) > today:
            raise IngestError(f"{where}: month {rec['date']} ({year}-{month:02d}) has not ended yet: "
                              "a date in the future")
        key = (year, month)
        _check_sequence(raw, line, key, previous, f"month {rec['date']}", seen)
        seen[key], previous = line, (key, rec["date"])
        rows.append({
            "month": f"{year}-{month:02d}",
            "date": dt.date(year, month, 1).isoformat(),
            "recall_population": _count(rec["recall_pop"], f"{where} column recall_pop"),
            **provenance_columns(raw, f"line {line}"),
        })
    if not rows:
        raise IngestError(f"{raw.ref}: no data rows")
    out = pd.DataFrame(rows)
    out["recall_population"] = out["recall_population"].astype("Int64")
    return out


def _quarter_rows(raw: RawFile, frame: pd.DataFrame, date_col: str, allow_gaps: bool):
    """(line, record, quarter start, quarter label), checked for order, duplicates, gaps and the future."""
    today = dt.date.today()
    seen, previous = {}, None
    for line, rec in frame.iterrows():
        where = f"{raw.ref} line {line}"
        start, label = _quarter(rec[date_col], where)
        end = _next_quarter(start) - dt.timedelta(days=1)
        if end > today:
            raise IngestError(f"{where}: quarter {label} ends on {end}, after today: a date in the future")
        _check_sequence(raw, line, start, previous, f"quarter {label}", seen)
        if previous is not None and not allow_gaps and start != _next_quarter(previous[0]):
            raise IngestError(f"{where}: quarter {label} follows {previous[1]}; expected "
                              f"{_quarter(_next_quarter(previous[0]).isoformat(), where)[1]} (a quarter is missing)")
        seen[start], previous = line, (start, label)
        yield line, rec, start, label


def build_recalls_quarterly(config: TrackerConfig, table: Table,
                            inputs: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Licence recalls per quarter: the OMSQ recall workbooks parsed here where they give a quarter, the third
    party's series otherwise (precedence in tracker.yml)."""
    by_source, notes = {}, []
    for sid in table.precedence:
        if config.source(sid).official:
            frame, found = _official_recalls(config, sid, "recalls_by_type", "total")
            notes += found
            rows = []
            for r in frame.to_dict("records"):
                start = dt.date.fromisoformat(str(r["period_start"])[:10])
                if pd.isna(r["value"]):
                    raise IngestError(f"{r['_file'].raw.ref}, {cell_ref(r['sheet'], r['cell'])}: total recalls for "
                                      f"the quarter starting {start} are not published ({r['marker']})")
                rows.append({"quarter_start": start.isoformat(), "quarter": f"{start.year}Q{(start.month + 2) // 3}",
                             "recalls": int(r["value"]), **_official_row(r, sid)})
            by_source[sid] = pd.DataFrame(rows)
        else:
            by_source[sid] = _wfr_recalls_quarterly(config, sid)
    return _merged(table, by_source, "quarter_start", ["recalls"], notes)


def _wfr_recalls_quarterly(config: TrackerConfig, source_id: str) -> pd.DataFrame:
    raw = find_raw(config, source_id, QUARTERLY_FILE)
    frame = read_csv_text(raw, required=[])
    _exact_header(raw, frame, ["", "0"], "an unnamed pandas Series: quarter start date, recalls")
    rows = []
    for line, rec, start, label in _quarter_rows(raw, frame, "", allow_gaps=False):
        rows.append({
            "quarter_start": start.isoformat(),
            "quarter": label,
            "recalls": _count(rec["0"], f"{raw.ref} line {line} column 0 (recalls)", required=True),
            **provenance_columns(raw, f"line {line}"),
        })
    if not rows:
        raise IngestError(f"{raw.ref}: no data rows")
    return pd.DataFrame(rows)


def build_recall_loop_quarterly(config: TrackerConfig, table: Table,
                                inputs: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Determinate releases and recalls per quarter. Quarters absent from the file are absent here too: a missing
    quarter is never a zero (2024Q2-Q4 are not in the sample file)."""
    raw = find_raw(config, table.sources[0], LOOP_FILE)
    frame = read_csv_text(raw, required=LOOP_HEADER[1:])
    _exact_header(raw, frame, LOOP_HEADER, "unnamed quarter start column, releases, recalls, recall_per_release")
    rows = []
    for line, rec, start, label in _quarter_rows(raw, frame, "", allow_gaps=True):
        where = f"{raw.ref} line {line}"
        releases = _count(rec["releases"], f"{where} column releases")
        recalls = _count(rec["recalls"], f"{where} column recalls")
        published = _to_float(rec["recall_per_release"], f"{where} column recall_per_release")
        ratio = None
        if releases is not None and recalls is not None:
            ratio = round(recalls / releases, 3)
            if published is not None and abs(published - ratio) > 0.0005 + 1e-9:
                raise IngestError(f"{where}: recall_per_release {published} disagrees with recalls / releases "
                                  f"({recalls:,} / {releases:,} = {recalls / releases:.4f})")
        elif published is not None:
            raise IngestError(f"{where}: recall_per_release {published} given without both releases and recalls")
        rows.append({
            "quarter_start": start.isoformat(),
            "quarter": label,
            "determinate_releases": releases,
            "recalls": recalls,
            "recalls_per_release": ratio,
            "recalls_per_100_releases": None if ratio is None else round(recalls / releases * 100, 1),
            **provenance_columns(raw, f"line {line}"),
        })
    if not rows:
        raise IngestError(f"{raw.ref}: no data rows")
    out = pd.DataFrame(rows)
    for col in ("determinate_releases", "recalls"):
        out[col] = out[col].astype("Int64")
    for col in ("recalls_per_release", "recalls_per_100_releases"):
        out[col] = out[col].astype("Float64")
    return out


def build_releases_recalls_annual(config: TrackerConfig, table: Table,
                                  inputs: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Calendar years: recalls, releases from custody, recalls per 100 releases (recomputed and checked against the
    file), mean sentence length and time served of those released, and the recall population at the reference
    date of that year's projection edition (the day is not in this file)."""
    raw = find_raw(config, table.sources[0], ANNUAL_FILE)
    frame = read_csv_text(raw, required=ANNUAL_HEADER[1:])
    _exact_header(raw, frame, ANNUAL_HEADER, "unnamed year column, then " + ", ".join(ANNUAL_HEADER[1:]))
    today = dt.date.today()
    rows, seen, previous = [], {}, None
    for line, rec in frame.iterrows():
        where = f"{raw.ref} line {line}"
        if not re.fullmatch(r"(19|20)\d\d", rec[""]):
            raise IngestError(f"{where}: expected a year like 2015 in the first column, found {rec['']!r}")
        year = int(rec[""])
        if dt.date(year, 12, 31) > today:
            raise IngestError(f"{where}: year {year} has not ended yet: a date in the future")
        _check_sequence(raw, line, year, previous, f"year {year}", seen)
        if previous is not None and year != previous[0] + 1:
            raise IngestError(f"{where}: year {year} follows {previous[0]}; expected {previous[0] + 1} "
                              "(a year is missing)")
        seen[year], previous = line, (year, str(year))
        recalls = _count(rec["recalls"], f"{where} column recalls", required=True)
        releases = _count(rec["releases"], f"{where} column releases")
        floats = {c: _to_float(rec[c], f"{where} column {c}") for c in
                  ("sentence_len", "time_served", "served_pct", "recalls_per_100_releases", "recall_share_of_pop_pct")}
        for c, v in floats.items():
            if v is not None and (v < 0 or not math.isfinite(v)):
                raise IngestError(f"{where} column {c}: expected a non-negative number, found {v}")
        per100 = None
        if recalls is not None and releases is not None:
            per100 = round(recalls / releases * 100, 2)
            stated = floats["recalls_per_100_releases"]
            if stated is not None and abs(stated - recalls / releases * 100) > 0.005:
                raise IngestError(f"{where}: recalls_per_100_releases {stated} disagrees with 100 x recalls / releases "
                                  f"({recalls / releases * 100:.2f})")
        elif floats["recalls_per_100_releases"] is not None:
            raise IngestError(f"{where}: recalls_per_100_releases given without both recalls and releases")
        served = floats["served_pct"]
        if served is not None and floats["sentence_len"] and floats["time_served"] is not None:
            implied = floats["time_served"] / floats["sentence_len"] * 100
            if abs(served - implied) > 0.01:
                raise IngestError(f"{where}: served_pct {served} disagrees with time_served / sentence_len "
                                  f"({implied:.2f}%)")
        rows.append({
            "year": year,
            "recalls": recalls,
            "releases": releases,
            "recalls_per_100_releases": per100,
            "sentence_length_months": floats["sentence_len"],
            "time_served_months": floats["time_served"],
            "pct_sentence_served": None if served is None else round(served, 2),
            "recall_share_of_pop_pct": floats["recall_share_of_pop_pct"],
            "recall_population_at_projection_date": _count(rec["recall_stock"], f"{where} column recall_stock"),
            **provenance_columns(raw, f"line {line}"),
        })
    if not rows:
        raise IngestError(f"{raw.ref}: no data rows")
    out = pd.DataFrame(rows)
    for col in ("releases", "recall_population_at_projection_date"):
        out[col] = out[col].astype("Int64")
    for col in ("recalls_per_100_releases", "sentence_length_months", "time_served_months", "pct_sentence_served",
                "recall_share_of_pop_pct"):
        out[col] = out[col].astype("Float64")
    return out
