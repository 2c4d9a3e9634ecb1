"""Weekly estate figures: population and useable operational capacity (UOC), England and Wales.

Inputs, strongest first (tracker.yml `precedence`): the MoJ weekly bulletins themselves, parsed here (every
layout; from October 2024 the adult male, female and youth custody estates each with population, capacity,
headroom and operating margin), then Walk Forward Research's parse of every bulletin since 2011, for the weeks
no official file here covers. The Prison Reform Trust's weekly population series is kept for cross-checking.
Definitional breaks come from the layout column, the operating-margin log and the definitions log.
"""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from ..config import Table, TrackerConfig
from ..parsers import weekly_bulletin
from ..raw import find_raw
from .common import IngestError, provenance_columns, read_csv_text, to_int
from .official import newest_per_period, official_files
from .precedence import late_arrivals, merge

# Tested on the real sample files (tests/test_ingest.py re-derives the committed tables from them).
VERIFIED_AGAINST_PUBLISHED_FILE = True

# What the third party's `source` column says about how a row was obtained, in words for readers.
DERIVATION = {
    "bulletin": "weekly bulletin",
    "bulletin_word_2011": "weekly bulletin (Word, 2011)",
    "recovered_from_next_bulletin_last_week_block": "recovered from the next bulletin's 'last week' column",
}


# Figures by part of the estate: (column, measure, group) as the weekly parser names them. From October 2024
# (layout B) the bulletin splits the estate into the adult male estate, the female estate and the youth custody
# service (YCS); before that, A1 split prisons from immigration removal centres and gave male and female totals.
GROUP_COLUMNS = [
    ("population_prisons", "population", "prisons"),
    ("population_irc", "population", "irc"),
    ("population_male", "male_population", "total"),
    ("population_adult_male", "population", "adult_male"),
    ("population_ycs", "population", "ycs"),
    ("uoc_adult_male", "useable_operational_capacity", "adult_male"),
    ("uoc_female", "useable_operational_capacity", "female"),
    ("uoc_ycs", "useable_operational_capacity", "ycs"),
    ("operating_margin", "operating_margin", "total"),
    ("operating_margin_adult_male", "operating_margin", "adult_male"),
    ("operating_margin_female", "operating_margin", "female"),
    ("operating_margin_ycs", "operating_margin", "ycs"),
    ("hdc_caseload", "hdc_caseload", "total"),
]
# The same columns in the third party's file.
WFR_COLUMNS = {"population_prisons": "pop_prisons", "population_irc": "pop_irc", "population_male": "pop_male",
               "population_female": "pop_female", "population_adult_male": "pop_adult_male",
               "population_ycs": "pop_ycs", "uoc_adult_male": "uoc_adult_male", "uoc_female": "uoc_female",
               "uoc_ycs": "uoc_ycs", "operating_margin": "operating_margin",
               "operating_margin_adult_male": "operating_margin_adult_male",
               "operating_margin_female": "operating_margin_female", "operating_margin_ycs": "operating_margin_ycs",
               "hdc_caseload": "hdc"}
COUNT_COLUMNS = ["population_prisons", "population_irc", "population_male", "population_female",
                 "population_adult_male", "population_ycs", "uoc_adult_male", "uoc_female", "uoc_ycs",
                 "headroom_adult_male", "headroom_female", "headroom_ycs", "operating_margin",
                 "operating_margin_adult_male", "operating_margin_female", "operating_margin_ycs", "hdc_caseload",
                 "week_gap_days"]
COLUMNS = ["date", "population", "uoc", "headroom", "pct_uoc_in_use", *COUNT_COLUMNS[:-1], "layout",
           "week_gap_days", "derivation", "bulletin_title", "bulletin_url",
           "source_id", "source_file", "source_url", "raw_sha256", "row_ref"]
# Figures compared where an official bulletin and the third party's parse give the same week.
COMPARED = ["population", "uoc", "headroom", *COUNT_COLUMNS[:-1]]
OFFICIAL_DERIVATION = "weekly bulletin (MoJ file, parsed here)"


def build_weekly_population_capacity(config: TrackerConfig, table: Table,
                                     inputs: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """One row per weekly bulletin: the official bulletins parsed here, and the third party's parse of every
    bulletin for the weeks no official file here covers (precedence in tracker.yml)."""
    by_source = {}
    notes: list[str] = []
    for sid in table.precedence:
        source = config.source(sid)
        if source.official:
            by_source[sid], found = _official_weekly(config, sid)
            notes.extend(found)
        else:
            by_source[sid] = _wfr_weekly(config, sid)
    notes.extend(late_arrivals(table, by_source, "date"))
    out, disagreements = merge(table, by_source, "date", COMPARED)
    out = out.sort_values("date").reset_index(drop=True)
    out["week_gap_days"] = pd.to_datetime(out["date"]).diff().dt.days
    out = out.reindex(columns=COLUMNS)
    for col in COUNT_COLUMNS:
        out[col] = out[col].astype("Float64").round().astype("Int64")
    _check_dates(out)
    out.attrs["disagreements"] = disagreements
    out.attrs["notes"] = notes
    return out


def _check_dates(out: pd.DataFrame) -> None:
    today = dt.date.today()
    latest = out.iloc[-1]
    if dt.date.fromisoformat(latest["date"]) > today:
        raise IngestError(f"{latest['source_file']} {latest['row_ref']}: bulletin date {latest['date']} is in the future")


def _shares(row: dict) -> None:
    """Headroom and % in use from population and UOC; headroom by part of the estate where both are given."""
    row["headroom"] = row["uoc"] - row["population"]
    row["pct_uoc_in_use"] = round(row["population"] / row["uoc"] * 100, 2)
    for part in ("adult_male", "female", "ycs"):
        pop, uoc = row.get(f"population_{part}"), row.get(f"uoc_{part}")
        row[f"headroom_{part}"] = None if pop is None or uoc is None else uoc - pop


def _official_weekly(config: TrackerConfig, source_id: str) -> tuple[pd.DataFrame, list[str]]:
    found = official_files(config, source_id)
    notes = [f"not read (no parser for this kind of file; the third party's parse covers it): {name}"
             for name in found.not_read]
    bulletins = found.of_kind(weekly_bulletin.KIND)
    chosen, replaced = newest_per_period(bulletins, lambda f: f.parsed.meta["bulletin_date"])
    for old, new in replaced:
        notes.append(f"{old.raw.ref} and {new.raw.ref} are both the bulletin of {new.parsed.meta['bulletin_date']}; "
                     f"kept {new.raw.ref}, the newer publication")
    rows = []
    for date, f in sorted(chosen.items()):
        rows.append(_bulletin_row(f))
    return pd.DataFrame(rows), notes


def _bulletin_row(f) -> dict:
    meta, parsed = f.parsed.meta, f.parsed.table
    this = parsed[parsed["period"] == "this_week"]
    cells = {(r.measure, r.group): r for r in this.itertuples()}
    where = f"{f.raw.ref}, sheet {meta['sheet']!r}"

    def figure(measure: str, group: str, required: bool = False):
        r = cells.get((measure, group))
        if r is None or pd.isna(r.value):
            if required:
                raise IngestError(f"{where}: no {measure} ({group}) for this week")
            return None
        return int(round(r.value))

    population = figure("population", "total", True)
    uoc = figure("useable_operational_capacity", "total", True)
    row = {"date": meta["bulletin_date"].isoformat(), "population": population, "uoc": uoc}
    for column, measure, group in GROUP_COLUMNS:
        row[column] = figure(measure, group)
    # The female estate is a group of its own from layout B; before, a 'Female population' row of the total.
    row["population_female"] = figure("population", "female") if meta["layout"] == "B" else \
        figure("female_population", "total")
    _shares(row)
    published = figure("headroom", "total")
    if published is not None and published != row["headroom"]:
        raise IngestError(f"{where} cell {cells[('headroom', 'total')].cell}: published headroom {published:,} is "
                          f"not UOC {uoc:,} minus population {population:,}")
    pop_cell = cells[("population", "total")].cell
    uoc_cell = cells[("useable_operational_capacity", "total")].cell
    row.update({
        "layout": meta["layout"],
        "derivation": OFFICIAL_DERIVATION,
        "bulletin_title": f.title,
        "bulletin_url": f.url if f.lock else "",
        "source_id": f.raw.source.id,
        "source_file": f.raw.ref,
        "source_url": f.url,
        "raw_sha256": f.raw.sha256,
        "row_ref": f"sheet {meta['sheet']}, cells {pop_cell} (population), {uoc_cell} (UOC)",
    })
    return row


def _wfr_weekly(config: TrackerConfig, source_id: str) -> pd.DataFrame:
    raw = find_raw(config, source_id, "weekly_population_capacity.csv")
    frame = read_csv_text(raw, required=["date", "pop_total", "pop_prisons", "pop_irc", "uoc_total", "headroom",
                                         "layout", "title", "url", "source", "operating_margin", "week_gap_days",
                                         *WFR_COLUMNS.values()])
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
        stated = to_int(rec["headroom"], f"{where} column headroom")
        if stated is not None and stated != uoc - population:
            raise IngestError(f"{where}: headroom {stated} disagrees with UOC minus population ({uoc - population})")
        derivation = rec["source"] or ""
        if derivation not in DERIVATION:
            raise IngestError(f"{where}: unknown derivation {derivation!r} in column source; "
                              f"expected one of {sorted(DERIVATION)}")
        row = {"date": date.isoformat(), "population": population, "uoc": uoc}
        for column, theirs in WFR_COLUMNS.items():
            row[column] = to_int(rec[theirs], f"{where} column {theirs}")
            if row[column] is not None and row[column] < 0:
                raise IngestError(f"{where} column {theirs}: negative value {row[column]}")
        _shares(row)
        row.update({
            "layout": rec["layout"] or "",
            "derivation": DERIVATION[derivation],
            "bulletin_title": rec["title"] or "",
            "bulletin_url": rec["url"] or "",
            **provenance_columns(raw, f"line {line}"),
        })
        rows.append(row)
    if not rows:
        raise IngestError(f"{raw.ref}: no data rows")
    return pd.DataFrame(rows)


def build_weekly_population_prt(config: TrackerConfig, table: Table,
                                inputs: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
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


def build_definitional_breaks(config: TrackerConfig, table: Table, inputs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Dated breaks in the weekly series: bulletin layout changes and operating-margin changes.

    Each break is taken from the data (a change of layout in the weekly table, or a row of the
    operating-margin log) and, where the definitions log describes it, carries that description.
    """
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
    weekly = inputs["weekly_population_capacity"]
    previous = None
    for _, rec in weekly.iterrows():
        layout = rec["layout"]
        if not isinstance(layout, str) or not layout:
            continue  # a recovered row carries no layout of its own
        if previous is not None and layout != previous:
            date = _parse_iso_date(rec["date"], f"{rec['source_file']} {rec['row_ref']}")
            found = described(f"Layout {layout}", rec["date"][:7]) or described(f"Layout {layout}", "")
            detail, detail_ref, _ = found if found else ("", "", "")
            label = f"Bulletin layout {previous} to {layout}"
            if layout == "B":
                label += "; reporting day Friday to Monday"
            rows.append({"date": date.isoformat(), "date_precision": "day", "kind": "layout", "label": label,
                         "detail": detail,
                         "detail_ref": detail_ref,
                         **{c: rec[c] for c in ("source_id", "source_file", "source_url", "raw_sha256", "row_ref")}})
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
            detail = _without_headroom_claims(detail) + " " + margin_effect(previous_margin, margin)
            rows.append({"date": date.isoformat(), "date_precision": precision, "kind": "operating_margin",
                         "label": f"Operating margin {previous_margin:,} to {margin:,}", "detail": detail,
                         "detail_ref": detail_ref, **provenance_columns(margin_raw, f"line {line}")})
        previous_margin = margin
    out = pd.DataFrame(rows).sort_values(["date", "kind"], kind="stable").reset_index(drop=True)
    return out


def margin_effect(previous: int, margin: int) -> str:
    """What a change of operating margin does to published capacity and headroom, from the two margins.

    Published useable operational capacity is the establishments' operational capacity less the margin, so a
    larger margin means less published capacity and less headroom for the same places and prisoners.
    """
    change = margin - previous
    if change == 0:
        return "The margin is unchanged."
    verb, effect = ("Raising", "lowers") if change > 0 else ("Lowering", "raises")
    return (f"{verb} the margin by {abs(change):,} places {effect} published useable operational capacity, "
            f"and so published headroom, by {abs(change):,}, with no change in physical places.")


def _without_headroom_claims(detail: str) -> str:
    """The log's description less any sentence about the effect on headroom.

    The definitions log said the July 2025 rise "raises published headroom"; it lowers it. The effect is
    stated by margin_effect from the margins themselves instead of being copied.
    """
    sentences = re.split(r"(?<=\.)\s+", detail.strip())
    return " ".join(s for s in sentences if "headroom" not in s.lower()).strip()


def _parse_iso_date(text: str, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except (AttributeError, ValueError):
        raise IngestError(f"{where}: expected a date like 2026-09-07, found {text!r}") from None
