"""Weekly estate figures: population and useable operational capacity (UOC), England and Wales.

Primary input: Walk Forward Research's parse of every MoJ weekly bulletin (one row per bulletin, with the
bulletin's own title and asset URL). Secondary: the Prison Reform Trust's weekly population series, kept for
cross-checking. Definitional breaks come from the layout column, the operating-margin log and the
definitions log.
"""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from ..config import Table, TrackerConfig
from ..raw import RawFile, find_raw
from .common import IngestError, provenance_columns, read_csv_text, to_int

# Tested on the real sample files (tests/test_ingest.py re-derives the committed tables from them).
VERIFIED_AGAINST_PUBLISHED_FILE = True

# What the third party's `source` column says about how a row was obtained, in words for readers.
DERIVATION = {
    "bulletin": "weekly bulletin",
    "bulletin_word_2011": "weekly bulletin (Word, 2011)",
    "recovered_from_next_bulletin_last_week_block": "recovered from the next bulletin's 'last week' column",
}


def build_weekly_population_capacity(config: TrackerConfig, table: Table) -> pd.DataFrame:
    raw = find_raw(config, table.sources[0], "weekly_population_capacity.csv")
    frame = read_csv_text(raw, required=["date", "pop_total", "pop_prisons", "pop_irc", "uoc_total", "headroom",
                                         "layout", "title", "url", "source", "operating_margin", "week_gap_days"])
    today = dt.date.today()
    rows = []
    previous_date = None
    for line, rec in frame.iterrows():
        where = f"{raw.ref} line {line}"
        date = _parse_iso_date(rec["date"], where)
        if date > today:
            raise IngestError(f"{where}: date {date} is in the future")
        if previous_date is not None and date <= previous_date:
            raise IngestError(f"{where}: date {date} is not after the previous row's {previous_date} "
                              "(duplicate or out of order)")
        previous_date = date
        population = to_int(rec["pop_total"], f"{where} column pop_total")
        uoc = to_int(rec["uoc_total"], f"{where} column uoc_total")
        if population is None or uoc is None:
            raise IngestError(f"{where}: population or UOC is empty")
        if population <= 0 or uoc <= 0:
            raise IngestError(f"{where}: population {population} / UOC {uoc} must be positive")
        headroom = uoc - population
        stated = to_int(rec["headroom"], f"{where} column headroom")
        if stated is not None and stated != headroom:
            raise IngestError(f"{where}: headroom {stated} disagrees with UOC minus population ({headroom})")
        derivation = rec["source"] or ""
        if derivation not in DERIVATION:
            raise IngestError(f"{where}: unknown derivation {derivation!r} in column source; "
                              f"expected one of {sorted(DERIVATION)}")
        rows.append({
            "date": date.isoformat(),
            "population": population,
            "uoc": uoc,
            "headroom": headroom,
            "pct_uoc_in_use": round(population / uoc * 100, 2),
            # Where the bulletin splits prisons from the immigration removal centres the prison service runs.
            "population_prisons": to_int(rec["pop_prisons"], f"{where} column pop_prisons"),
            "population_irc": to_int(rec["pop_irc"], f"{where} column pop_irc"),
            "operating_margin": to_int(rec["operating_margin"], f"{where} column operating_margin"),
            "layout": rec["layout"] or "",
            "week_gap_days": to_int(rec["week_gap_days"], f"{where} column week_gap_days"),
            "derivation": DERIVATION[derivation],
            "bulletin_title": rec["title"] or "",
            "bulletin_url": rec["url"] or "",
            **provenance_columns(raw, f"line {line}"),
        })
    if not rows:
        raise IngestError(f"{raw.ref}: no data rows")
    out = pd.DataFrame(rows)
    for col in ("population_prisons", "population_irc", "operating_margin", "week_gap_days"):
        out[col] = out[col].astype("Int64")
    return out


def build_weekly_population_prt(config: TrackerConfig, table: Table) -> pd.DataFrame:
    raw = find_raw(config, table.sources[0], "prison_population.csv")
    frame = read_csv_text(raw, required=["date", "population"])
    rows = []
    for line, rec in frame.iterrows():
        where = f"{raw.ref} line {line}"
        date = _parse_iso_date(rec["date"], where)
        population = to_int(rec["population"], f"{where} column population")
        if population is not None and population <= 0:
            raise IngestError(f"{where}: population {population} must be positive")
        rows.append({"date": date.isoformat(), "population": population, **provenance_columns(raw, f"line {line}")})
    out = pd.DataFrame(rows)
    out["population"] = out["population"].astype("Int64")
    if out["date"].duplicated().any():
        dup = out.loc[out["date"].duplicated(), "row_ref"].iloc[0]
        raise IngestError(f"{raw.ref} {dup}: duplicate date")
    return out


def build_definitional_breaks(config: TrackerConfig, table: Table) -> pd.DataFrame:
    """Dated breaks in the weekly series: bulletin layout changes and operating-margin changes.

    Each break is taken from the data (a change in the weekly file's layout column, or a row of the
    operating-margin log) and, where the definitions log describes it, carries that description.
    """
    weekly_raw = find_raw(config, "wfr-weekly", "weekly_population_capacity.csv")
    margin_raw = find_raw(config, "wfr-margins", "operating_margin_log_monthly.csv")
    log_raw = find_raw(config, "wfr-definitions", "definitions_log.csv")

    log = read_csv_text(log_raw, required=["date", "item", "detail"])

    def described(item_prefix: str, date_prefix: str) -> tuple[str, str, str] | None:
        """(detail, reference, date text) of the first log row matching both prefixes."""
        for line, rec in log.iterrows():
            if rec["item"].startswith(item_prefix) and rec["date"].startswith(date_prefix):
                return rec["detail"], f"{log_raw.ref} line {line}", rec["date"]
        return None

    rows = []
    weekly = read_csv_text(weekly_raw, required=["date", "layout"])
    previous = None
    for line, rec in weekly.iterrows():
        layout = rec["layout"]
        if not layout:
            continue  # a recovered row carries no layout of its own
        if previous is not None and layout != previous:
            date = _parse_iso_date(rec["date"], f"{weekly_raw.ref} line {line}")
            found = described(f"Layout {layout}", rec["date"][:7]) or described(f"Layout {layout}", "")
            detail, detail_ref, _ = found if found else ("", "", "")
            label = f"Bulletin layout {previous} to {layout}"
            if layout == "B":
                label += "; reporting day Friday to Monday"
            rows.append({"date": date.isoformat(), "date_precision": "day", "kind": "layout", "label": label,
                         "detail": detail,
                         "detail_ref": detail_ref, **provenance_columns(weekly_raw, f"line {line}")})
        previous = layout

    margins = read_csv_text(margin_raw, required=["month", "derived_margin"])
    previous_margin = None
    for line, rec in margins.iterrows():
        where = f"{margin_raw.ref} line {line}"
        margin = to_int(rec["derived_margin"], f"{where} column derived_margin")
        month = _parse_iso_date(rec["month"], where)
        if previous_margin is not None and margin != previous_margin:
            found = described("Margin", month.isoformat()[:7])
            if found:
                detail, detail_ref, date_text = found
                exact = re.match(r"\d{4}-\d{2}-\d{2}", date_text)
                date = dt.date.fromisoformat(exact.group(0)) if exact else month
                precision = "day" if exact else "month"
            else:
                detail = "First seen in the monthly per-prison bulletin of this month."
                detail_ref, date, precision = "", month, "month"
            rows.append({"date": date.isoformat(), "date_precision": precision, "kind": "operating_margin",
                         "label": f"Operating margin {previous_margin:,} to {margin:,}", "detail": detail,
                         "detail_ref": detail_ref, **provenance_columns(margin_raw, f"line {line}")})
        previous_margin = margin
    out = pd.DataFrame(rows).sort_values(["date", "kind"], kind="stable").reset_index(drop=True)
    return out


def _parse_iso_date(text: str, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except (AttributeError, ValueError):
        raise IngestError(f"{where}: expected a date like 2026-09-07, found {text!r}") from None
