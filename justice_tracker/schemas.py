"""Declared schemas of the processed tables (pandera). Every table is validated before it is written, so a
table in data/processed always has the columns, types and provenance its readers expect.
"""
from __future__ import annotations

import pandera.pandas as pa
from pandera.errors import SchemaErrors

from .ingest.common import IngestError

ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
SHA256 = r"^[0-9a-f]{64}$"
QUARTER_END = r"^\d{4}-(03-31|06-30|09-30|12-31)$"


def _text(pattern: str | None = None, nullable: bool = False, **kw) -> pa.Column:
    checks = [pa.Check.str_matches(pattern)] if pattern else []
    return pa.Column(str, checks=checks, nullable=nullable, **kw)


def _count(nullable: bool = False, positive: bool = False) -> pa.Column:
    check = pa.Check.gt(0) if positive else pa.Check.ge(0)
    return pa.Column("Int64" if nullable else "int64", checks=[check], nullable=nullable, coerce=nullable)


# Where a file was published: https, or a mirror on this machine (`update` against a local GOV.UK mirror).
PUBLISHED_URL = r"^(https://|http://(127\.0\.0\.1|localhost)(:\d+)?/)"

PROVENANCE = {
    "source_id": _text(r"^[a-z0-9-]+$"),
    "source_file": _text(r"^[^/]+/.+"),
    "source_url": _text(PUBLISHED_URL),
    "raw_sha256": _text(SHA256),
    "row_ref": _text(r"\S"),
}


def _schema(columns: dict, unique: list[str] | None = None) -> pa.DataFrameSchema:
    return pa.DataFrameSchema({**columns, **PROVENANCE}, strict=True, ordered=True, unique=unique)


SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "weekly_population_capacity": _schema({
        "date": _text(ISO_DATE, unique=True),
        "population": _count(positive=True),
        "uoc": _count(positive=True),
        "headroom": pa.Column("int64"),
        "pct_uoc_in_use": pa.Column(float, pa.Check.in_range(50, 120)),
        **{c: _count(nullable=True) for c in (
            "population_prisons", "population_irc", "population_male", "population_female", "population_adult_male",
            "population_ycs", "uoc_adult_male", "uoc_female", "uoc_ycs")},
        # Headroom by part of the estate is UOC minus population: negative when that part is over capacity.
        **{c: pa.Column("Int64", nullable=True, coerce=True) for c in (
            "headroom_adult_male", "headroom_female", "headroom_ycs")},
        **{c: _count(nullable=True) for c in (
            "operating_margin", "operating_margin_adult_male", "operating_margin_female", "operating_margin_ycs",
            "hdc_caseload")},
        "layout": _text(),
        "week_gap_days": _count(nullable=True),
        "derivation": _text(r"\S"),
        "bulletin_title": _text(),
        "bulletin_url": _text(PUBLISHED_URL + "|^$"),
    }),
    "weekly_population_prt": _schema({
        "date": _text(ISO_DATE, unique=True),
        "population": _count(nullable=True, positive=True),
    }),
    "definitional_breaks": _schema({
        "date": _text(ISO_DATE),
        "date_precision": pa.Column(str, pa.Check.isin(["day", "month"])),
        "kind": pa.Column(str, pa.Check.isin(["layout", "operating_margin"])),
        "label": _text(r"\S"),
        "detail": _text(),
        "detail_ref": _text(),
    }),
    "monthly_establishments": _schema({
        "month": _text(r"^\d{4}-\d{2}$"),
        "report_date": _text(ISO_DATE),
        "prison_key": _text(r"^[a-z0-9]+(-[a-z0-9]+)*$"),
        "prison": _text(r"\S"),
        "section": pa.Column(str, pa.Check.isin(["prison", "irc"])),
        "baseline_cna": _count(),
        "in_use_cna": _count(nullable=True),
        "op_cap": _count(nullable=True),
        "population": _count(nullable=True),
        "cells_out_of_use": pa.Column("Int64", nullable=True, coerce=True),
    }, unique=["month", "prison_key"]),
    "monthly_estate_totals": _schema({
        "month": _text(r"^\d{4}-\d{2}$", unique=True),
        "report_date": _text(ISO_DATE),
        "published_uoc": _count(positive=True),
        "establishments": _count(positive=True),
        "sum_baseline_cna": _count(positive=True),
        "sum_in_use_cna": _count(positive=True),
        "sum_op_cap": _count(positive=True),
        "sum_population": _count(positive=True),
        "derived_margin": pa.Column("int64"),
    }),
    "monthly_establishments_legacy": _schema({
        "report_date": _text(ISO_DATE),
        "bulletin_month": _text(r"^\d{4}-\d{2}$"),
        "section": pa.Column(str, pa.Check.isin(["prison", "irc"])),
        "prison_key": _text(r"^[a-z0-9]+(-[a-z0-9]+)*$"),
        "prison_name": _text(r"\S"),
        "establishment": _text(r"\S"),
        "baseline_cna": _count(),
        "in_use_cna": _count(nullable=True),
        "op_cap": _count(nullable=True),
        "population": _count(nullable=True),
        "pct_pop_to_in_use_cna": _count(nullable=True),
        "pct_accommodation_available": _count(nullable=True),
        "row_label": _text(r"\S"),
    }, unique=["bulletin_month", "prison_key"]),
    "monthly_totals_legacy": _schema({
        "report_date": _text(ISO_DATE, unique=True),
        "bulletin_month": _text(r"^\d{4}-\d{2}$", unique=True),
        "title": _text(r"^Monthly Bulletin - [A-Z][a-z]+ \d{4}$"),
        "container": pa.Column(str, pa.Check.isin(["doc", "rtf", "docx"])),
        "establishments": _count(positive=True),
        **{f"published_{m}": _count(positive=True) for m in ("baseline_cna", "in_use_cna", "uoc", "population")},
        "published_pct_pop_to_in_use_cna": _count(nullable=True),
        "published_pct_accommodation_available": _count(nullable=True),
        **{f"sum_{m}": _count(positive=True) for m in ("baseline_cna", "in_use_cna", "op_cap", "population")},
        "stated_operating_margin": _count(positive=True),
        "derived_operating_margin": pa.Column("int64"),
        "total_layout": _text(r"\S"),
        "percent_inconsistencies": _text(),
    }),
    # One row per establishment (justice_tracker/ingest/prisons.py): the index of the page per prison.
    "prisons": _schema({
        "prison_key": _text(r"^[a-z0-9]+(-[a-z0-9]+)*$", unique=True),
        "prison_name": _text(r"\S"),
        "status": pa.Column(str, pa.Check.isin(["open", "temporarily closed", "closed", "merged",
                                                 "no longer reported"])),
        "status_since": _text(r"^(\d{4}(-\d{2}(-\d{2})?)?)?$"),
        "status_into": _text(r"^([a-z0-9]+(-[a-z0-9]+)*)?$"),
        "status_basis": _text(r"\S"),
        "in_latest": pa.Column(str, pa.Check.isin(["yes", "no"])),
        "empty_since": _text(r"^(\d{4}-\d{2})?$"),
        "last_held_month": _text(r"^(\d{4}-\d{2})?$"),
        "section": pa.Column(str, pa.Check.isin(["prison", "irc"])),
        "first_month": _text(r"^\d{4}-\d{2}$"),
        "last_month": _text(r"^\d{4}-\d{2}$"),
        "months_legacy": _count(),
        "months_recent": _count(),
        "last_legacy_month": _text(r"^(\d{4}-\d{2})?$"),
        "first_recent_month": _text(r"^(\d{4}-\d{2})?$"),
        "report_date": _text(ISO_DATE),
        "population": _count(nullable=True),
        "op_cap": _count(nullable=True),
        "in_use_cna": _count(nullable=True),
        "baseline_cna": _count(nullable=True),
        "crowding_pct": pa.Column(float, pa.Check.in_range(0, 500), nullable=True),
        "cells_out_of_use": pa.Column("Int64", nullable=True, coerce=True),
        "nomis_code": _text(r"^([A-Z]{3}(/[A-Z]{3})*)?$"),
        "operator": pa.Column(str, pa.Check.isin(["public", "private", ""])),
        "contractor": _text(),
        "operator_basis": _text(r"\S"),
        "predominant_function": _text(),
        "region": _text(),
        "officer_fte_change": pa.Column(float, nullable=True),
        "officer_fte_window": _text(),
        "officer_fte_note": _text(),
        "names_printed": _text(r"\S"),
        "notes": _text(),
        "estate_changes": _text(),
        "related_keys": _text(r"^([a-z0-9-]+( [a-z0-9-]+)*)?$"),
    }),
    "release_calendar": _schema({
        "series_id": _text(r"^[a-z0-9-]+$", unique=True),
        "name": _text(r"\S"),
        "index_uri": _text(),
        "frequency": _text(),
        "current_publish_date": _text(r"^(\d{4}-\d{2}-\d{2})?$"),
        "next_publish_date": _text(r"^(\d{4}-\d{2}-\d{2}.*)?$"),
        "recorded_on": _text(ISO_DATE),
    }),
    "projections": _schema({
        "edition": _text(r"^\d{4}-\d{4}$"),
        "edition_year": _count(positive=True),
        "scenario": pa.Column(str, pa.Check.isin(["central", "high", "low", "actual"])),
        "ref_date": _text(ISO_DATE),
        "total": _count(positive=True),
        "base_date": _text(ISO_DATE),
        "note": _text(),
    }, unique=["edition", "scenario", "ref_date"]),
    "prison_changes": _schema({
        "establishment": _text(r"\S"),
        "year": pa.Column("int64", pa.Check.in_range(1900, 2100)),
        "month": _text(r"^(\d{4}-(0[1-9]|1[0-2]))?$"),
        "change": _text(r"\S"),
        "change_kind": pa.Column(str, pa.Check.isin(["opened", "closed", "re-role", "merger", "other"])),
        "temporary": pa.Column(bool),
    }),
    "cells_out_of_use_estate": _schema({
        "month": _text(r"^\d{4}-\d{2}$", unique=True),
        "report_date": _text(ISO_DATE, unique=True),
        "parse": pa.Column(str, pa.Check.isin(["legacy", "wfr"])),
        "establishments": _count(positive=True),
        "irc_establishments": _count(),
        "blank_in_use": _count(),
        "baseline_cna": _count(positive=True),
        "in_use_cna": _count(positive=True),
        "cells_out_of_use": pa.Column("int64"),
        "derived_from": pa.Column(str, pa.Check.isin(["monthly_establishments", "monthly_establishments_legacy"])),
        "published_total_ref": _text(r"^(line \d+)?$"),
    }),
    # Licence recalls (justice_tracker/ingest/recalls.py). Missing periods are absent or blank, never zero.
    "recall_population_monthly": _schema({
        "month": _text(r"^\d{4}-\d{2}$", unique=True),
        "date": _text(r"^\d{4}-\d{2}-01$", unique=True),  # first day of the month: a label, not the count day
        "recall_population": _count(nullable=True, positive=True),
    }),
    "recalls_quarterly": _schema({
        "quarter_start": _text(r"^\d{4}-(01|04|07|10)-01$", unique=True),
        "quarter": _text(r"^\d{4}Q[1-4]$", unique=True),
        "recalls": _count(positive=True),
    }),
    "recall_loop_quarterly": _schema({
        "quarter_start": _text(r"^\d{4}-(01|04|07|10)-01$", unique=True),
        "quarter": _text(r"^\d{4}Q[1-4]$", unique=True),
        "determinate_releases": _count(nullable=True, positive=True),
        "recalls": _count(nullable=True, positive=True),
        "recalls_per_release": pa.Column("Float64", pa.Check.in_range(0, 5), nullable=True, coerce=True),
        "recalls_per_100_releases": pa.Column("Float64", pa.Check.in_range(0, 500), nullable=True, coerce=True),
    }),
    "releases_recalls_annual": _schema({
        "year": pa.Column("int64", pa.Check.in_range(1990, 2100), unique=True),
        "recalls": _count(positive=True),
        "releases": _count(nullable=True, positive=True),
        "recalls_per_100_releases": pa.Column("Float64", pa.Check.in_range(0, 500), nullable=True, coerce=True),
        "sentence_length_months": pa.Column("Float64", pa.Check.gt(0), nullable=True, coerce=True),
        "time_served_months": pa.Column("Float64", pa.Check.gt(0), nullable=True, coerce=True),
        "pct_sentence_served": pa.Column("Float64", pa.Check.in_range(0, 100), nullable=True, coerce=True),
        "recall_share_of_pop_pct": pa.Column("Float64", pa.Check.in_range(0, 100), nullable=True, coerce=True),
        "recall_population_at_projection_date": _count(nullable=True, positive=True),
    }),
    # Staffing (justice_tracker/ingest/staffing.py): FTE and ratios are floats as published; blanks stay blank.
    "officer_fte_quarterly": _schema({
        "date": _text(QUARTER_END, unique=True),
        "band_3_4_officers_fte": pa.Column(float, pa.Check.gt(0)),
        "operational_b2_b5_fte": pa.Column(float, pa.Check.gt(0)),
        "all_staff_fte": pa.Column(float, pa.Check.gt(0)),
        "population": pa.Column(float, pa.Check.gt(0)),
        "public_population": pa.Column(float, pa.Check.gt(0), nullable=True),
        "prisoners_per_officer": pa.Column(float, pa.Check.in_range(1, 10), nullable=True),
        "prisoners_per_operational_staff": pa.Column(float, pa.Check.in_range(0.5, 10), nullable=True),
    }),
    "officer_staffing_vs_target": _schema({
        "date": _text(QUARTER_END, unique=True),
        "officers": pa.Column(float, pa.Check.gt(0)),
        "target": pa.Column(float, pa.Check.gt(0)),
        "establishments": _count(positive=True),
        "gap": pa.Column(float),
        "pct_of_target": pa.Column(float, pa.Check.in_range(50, 150)),
    }),
    "officers_annual_prt": _schema({
        "year": pa.Column("int64", pa.Check.in_range(1990, 2100), unique=True),
        "officers": _count(positive=True),
        "population": _count(positive=True),
        "officers_pct_change_vs_2010": pa.Column(float),
        "population_pct_change_vs_2010": pa.Column(float),
    }),
    "probation_caseload": _schema({
        "date": _text(QUARTER_END),
        "series": pa.Column(str, pa.Check.isin(["annual", "quarterly"])),
        "measure": _text(r"^[a-z0-9]+(_[a-z0-9]+)*$"),
        "printed_label": _text(r"\S"),
        "sex": pa.Column(str, pa.Check.isin(["all", "male", "female"])),
        "value": pa.Column(float, pa.Check.ge(0)),
        "unit": pa.Column(str, pa.Check.isin(["people", "months"])),
        "series_break": _text(r"^(note \d+)?$"),
        "source_column": _text(r"^column \d+ \(.+\)$"),
    }, unique=["date", "measure", "sex"]),
}


def validate(table_id: str, frame):
    """Validate one table; the error lists every failing column and row, so a bad input is found at once."""
    schema = SCHEMAS.get(table_id)
    if schema is None:
        raise IngestError(f"table {table_id}: no schema declared in justice_tracker/schemas.py")
    try:
        return schema.validate(frame, lazy=True)
    except SchemaErrors as e:
        cases = e.failure_cases[["column", "check", "failure_case", "index"]].head(10).copy()
        # Name the raw file and line each failing row came from (its provenance columns), not only the frame's
        # row index, which points nowhere a maintainer can look.
        if {"source_file", "row_ref"} <= set(frame.columns):
            def origin(index) -> str:
                if index is None or index != index or index not in frame.index:
                    return ""
                row = frame.loc[[index]].iloc[0]
                return f"{row['source_file']} {row['row_ref']}"
            cases["raw row"] = [origin(i) for i in cases["index"]]
        raise IngestError(f"table {table_id} does not match its schema:\n{cases.to_string(index=False)}") from None
