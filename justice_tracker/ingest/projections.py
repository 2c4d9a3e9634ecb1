"""MoJ prison population projections, every edition 2008-2015 to 2025-2030 (Walk Forward Research's parse of
the 18 projection workbooks), for the projection scorecard."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from ..config import Table, TrackerConfig
from ..raw import find_raw
from .common import IngestError, provenance_columns, read_csv_text, to_int

VERIFIED_AGAINST_PUBLISHED_FILE = True  # the third party's file itself; the MoJ workbooks are not here
SCENARIOS = {"central", "high", "low", "actual"}


def build_projections(config: TrackerConfig, table: Table) -> pd.DataFrame:
    raw = find_raw(config, table.sources[0], "projections_long.csv")
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
