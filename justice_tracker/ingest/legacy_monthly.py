"""Monthly per-prison figures, January 2011 to May 2016, from the 50 original MoJ/NOMS bulletins.

Each file is parsed by justice_tracker.parsers.legacy_monthly, which checks it against its own published
totals; this module stacks them into one table with the repository's provenance columns and keeps, per
file, the published totals beside the sums of its rows for the reconciliation page.
"""
from __future__ import annotations

import pandas as pd

from ..config import Table, TrackerConfig
from ..parsers import legacy_monthly
from ..parsers.base import Parsed
from ..parsers.legacy_monthly import COUNT_COLUMNS, PERCENT_COLUMNS
from ..raw import RawFile
from .common import provenance_columns
from .official import newest_per_period, official_files

ESTABLISHMENT_COLUMNS = (["report_date", "bulletin_month", "section", "prison_key", "prison_name", "establishment"]
                         + COUNT_COLUMNS + PERCENT_COLUMNS + ["row_label"])


def _parsed_files(config: TrackerConfig, table: Table) -> tuple[list[tuple[RawFile, Parsed]], list[str]]:
    """The bulletin of each month, from every official source of the table (the sample files and any
    downloaded by `update`), in report-date order. The same bytes found twice count once; two different files
    for one month keep the newer publication, and the note says which was set aside."""
    files = []
    for sid in table.sources:
        if config.source(sid).official:
            files.extend(official_files(config, sid).of_kind(legacy_monthly.KIND))
    chosen, replaced = newest_per_period(files, lambda f: f.parsed.meta["bulletin_month"])
    notes = [f"{old.raw.ref} and {new.raw.ref} are both the bulletin for {new.parsed.meta['bulletin_month']}; kept "
             f"{new.raw.ref}, the newer publication" for old, new in replaced]
    parsed = [(f.raw, f.parsed) for f in chosen.values()]
    parsed.sort(key=lambda item: item[1].meta["report_date"])
    return parsed, notes


def build_monthly_establishments_legacy(config: TrackerConfig, table: Table,
                                        inputs: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """One row per establishment per bulletin; row_ref is the line of the extracted text it was read from."""
    frames = []
    parsed, notes = _parsed_files(config, table)
    for raw, result in parsed:
        frame = result.table[ESTABLISHMENT_COLUMNS].copy()
        for column, value in provenance_columns(raw, "").items():
            frame[column] = value
        frame["row_ref"] = result.table["cell"]
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values(["report_date", "section", "prison_key"], kind="stable").reset_index(drop=True)
    out.attrs["notes"] = notes
    return out


def build_monthly_totals_legacy(config: TrackerConfig, table: Table,
                                inputs: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """One row per bulletin: the published Total row (or Jan/Feb 2011 summary block), the sums of the
    establishment rows and the operating margin that links them (published UOC = sum of op cap - margin)."""
    rows = []
    parsed, notes = _parsed_files(config, table)
    for raw, result in parsed:
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
    out.attrs["notes"] = notes
    return out
