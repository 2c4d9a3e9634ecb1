"""MoJ prison population projections, every edition 2008-2015 to 2025-2030, for the projection scorecard: the
MoJ's own workbooks parsed here where they are here, Walk Forward Research's parse of all 18 otherwise."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from ..config import Table, TrackerConfig
from ..parsers import projections
from ..raw import find_raw
from .common import IngestError, provenance_columns, read_csv_text, to_int
from .official import cell_ref, newest_per_period, official_files
from .precedence import merge

VERIFIED_AGAINST_PUBLISHED_FILE = True  # the third party's file itself; the MoJ workbooks are not here
SCENARIOS = {"central", "high", "low", "actual"}


def build_projections(config: TrackerConfig, table: Table,
                      inputs: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Every edition's projections: the MoJ workbooks parsed here for the editions here, the third party's parse
    of all 18 editions otherwise (precedence in tracker.yml; an edition is a period)."""
    by_source, notes = {}, []
    for sid in table.precedence:
        if config.source(sid).official:
            by_source[sid], notes = _official_projections(config, sid)
        else:
            by_source[sid] = _wfr_projections(config, sid)
    out, disagreements = merge(table, by_source, "edition_year", ["total"])
    out = out.sort_values("edition_year", kind="stable").reset_index(drop=True)
    out["edition_year"] = out["edition_year"].astype("int64")
    out.attrs.update({"disagreements": disagreements, "notes": notes})
    return out


def _official_projections(config: TrackerConfig, source_id: str) -> tuple[pd.DataFrame, list[str]]:
    found = official_files(config, source_id)
    chosen, replaced = newest_per_period(found.of_kind(projections.KIND), lambda f: f.parsed.meta["edition"])
    notes = [f"{old.raw.ref} and {new.raw.ref} are both edition {new.parsed.meta['edition']}; kept {new.raw.ref}"
             for old, new in replaced]
    notes += [f"skipped (not a projections headline workbook): {ref}" for ref, _ in found.skipped]
    rows = []
    for edition, f in sorted(chosen.items()):
        t = f.parsed.table
        totals = t[t["measure"] == "total"]
        base = str(f.parsed.meta["base_date"])[:10]
        for r in totals.itertuples():
            if pd.isna(r.value):
                continue
            rows.append({"edition": edition.replace(" to ", "-"), "edition_year": int(edition[:4]),
                         "scenario": r.scenario, "ref_date": str(r.ref_date)[:10], "total": int(round(r.value)),
                         "base_date": base, "note": "", "source_id": source_id, "source_file": f.raw.ref,
                         "source_url": f.url, "raw_sha256": f.raw.sha256, "row_ref": cell_ref(r.sheet, r.cell)})
    return pd.DataFrame(rows), notes


def _wfr_projections(config: TrackerConfig, source_id: str) -> pd.DataFrame:
    raw = find_raw(config, source_id, "projections_long.csv")
    frame = read_csv_text(raw, required=["edition", "scenario", "ref_date", "total", "base_date", "edition_year"])
    # The 2011-2017 edition's 30 June 2011 base year is projected, not outturn: the third party labels its three
    # scenario values "actual" (definitions log, "Base year is projected, not actual"). Give them back their
    # scenarios, lowest value low, highest high, and say so in `note`.
    dup = frame[frame["scenario"] == "actual"].groupby(["edition", "ref_date"]).filter(lambda g: len(g) == 3)
    relabel = {}
    for _, g in dup.groupby(["edition", "ref_date"]):
        order = g["total"].map(lambda t: float(t)).sort_values().index
        relabel.update(dict(zip(order, ["low", "central", "high"])))
    rows, seen = [], set()
    for line, rec in frame.iterrows():
        where = f"{raw.ref} line {line}"
        if rec["scenario"] not in SCENARIOS:
            raise IngestError(f"{where}: scenario {rec['scenario']!r}; expected one of {sorted(SCENARIOS)}")
        try:
            ref = dt.date.fromisoformat(rec["ref_date"])
        except ValueError:
            raise IngestError(f"{where}: ref_date {rec['ref_date']!r} is not a date") from None
        scenario, note = rec["scenario"], ""
        if line in relabel:
            scenario = relabel[line]
            note = "labelled actual in the source file; the base year of this edition is projected"
        key = (rec["edition"], scenario, rec["ref_date"])
        if key in seen:
            raise IngestError(f"{where}: {key} appears twice")
        seen.add(key)
        total = to_int(rec["total"], f"{where} column total")
        if total is None or total <= 0:
            raise IngestError(f"{where}: total {rec['total']!r} must be a positive number")
        rows.append({"edition": rec["edition"], "edition_year": to_int(rec["edition_year"], where),
                     "scenario": scenario, "ref_date": ref.isoformat(), "total": total,
                     "base_date": rec["base_date"], "note": note, **provenance_columns(raw, f"line {line}")})
    return pd.DataFrame(rows)
