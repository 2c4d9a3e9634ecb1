"""Monthly per-prison figures, January 2011 to May 2016, from the 50 original MoJ/NOMS bulletins.

Each file is parsed by justice_tracker.parsers.legacy_monthly, which checks it against its own published
totals; this module stacks them into one table with the repository's provenance columns and keeps, per
file, the published totals beside the sums of its rows for the reconciliation page.
"""
from __future__ import annotations

import pandas as pd

from ..config import Table, TrackerConfig
from ..parsers.base import Parsed
from ..parsers.legacy_monthly import COUNT_COLUMNS, PERCENT_COLUMNS, parse
from ..parsers.prison_names import load_prison_names
from ..raw import RawFile, list_raw
from .common import IngestError, provenance_columns

ESTABLISHMENT_COLUMNS = (["report_date", "bulletin_month", "section", "prison_key", "prison_name", "establishment"]
                         + COUNT_COLUMNS + PERCENT_COLUMNS + ["row_label"])


def _parsed_files(config: TrackerConfig, table: Table) -> list[tuple[RawFile, Parsed]]:
    """Every bulletin of the table's first source, parsed, in report-date order; one bulletin per month."""
    names = load_prison_names(config)
    parsed = [(raw, parse(raw.path, names)) for raw in list_raw(config, table.sources[0])]
    parsed.sort(key=lambda item: item[1].meta["report_date"])
    by_month: dict[str, RawFile] = {}
    for raw, result in parsed:
        month = result.meta["bulletin_month"]
        if month in by_month:
            first, second = sorted([raw.ref, by_month[month].ref])
            raise IngestError(f"{first} and {second} are both the bulletin for {month}")
        by_month[month] = raw
    return parsed


def build_monthly_establishments_legacy(config: TrackerConfig, table: Table) -> pd.DataFrame:
    """One row per establishment per bulletin; row_ref is the line of the extracted text it was read from."""
    frames = []
    for raw, result in _parsed_files(config, table):
        frame = result.table[ESTABLISHMENT_COLUMNS].copy()
        for column, value in provenance_columns(raw, "").items():
            frame[column] = value
        frame["row_ref"] = result.table["cell"]
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["report_date", "section", "prison_key"], kind="stable").reset_index(drop=True)


def build_monthly_totals_legacy(config: TrackerConfig, table: Table) -> pd.DataFrame:
    """One row per bulletin: the published Total row (or Jan/Feb 2011 summary block), the sums of the
    establishment rows and the operating margin that links them (published UOC = sum of op cap - margin)."""
    rows = []
    for raw, result in _parsed_files(config, table):
        meta, total, sums = result.meta, result.meta["total"], result.meta["sums"]
        rows.append({
            "report_date": meta["report_date"],
            "bulletin_month": meta["bulletin_month"],
            "title": meta["title"],
            "container": meta["container"],
            "establishments": meta["establishments"],
            "published_baseline_cna": total["baseline_cna"],
            "published_in_use_cna": total["in_use_cna"],
            "published_uoc": total["uoc"],
            "published_population": total["population"],
            "published_pct_pop_to_in_use_cna": total.get("pct_pop_to_in_use_cna"),
            "published_pct_accommodation_available": total.get("pct_accommodation_available"),
            "sum_baseline_cna": sums["baseline_cna"],
            "sum_in_use_cna": sums["in_use_cna"],
            "sum_op_cap": sums["op_cap"],
            "sum_population": sums["population"],
            "stated_operating_margin": meta["operating_margin"],
            "derived_operating_margin": sums["op_cap"] - total["uoc"],
            "total_layout": meta["total_layout"],
            "percent_inconsistencies": "; ".join(
                f"{gap['row_label']} ({gap['cell']}) {gap['column']} printed {gap['printed']}%, "
                f"figures give {gap['computed']}%" for gap in meta["percent_inconsistencies"]),
            **provenance_columns(raw, meta["total_cell"]),
        })
    out = pd.DataFrame(rows)
    for column in ("published_pct_pop_to_in_use_cna", "published_pct_accommodation_available"):
        out[column] = out[column].astype("Int64")
    return out
