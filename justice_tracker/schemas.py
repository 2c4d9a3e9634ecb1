"""Declared schemas of the processed tables (pandera). Every table is validated before it is written, so a
table in data/processed always has the columns, types and provenance its readers expect.
"""
from __future__ import annotations

import pandera.pandas as pa
from pandera.errors import SchemaErrors

from .ingest.common import IngestError

ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
SHA256 = r"^[0-9a-f]{64}$"


def _text(pattern: str | None = None, nullable: bool = False, **kw) -> pa.Column:
    checks = [pa.Check.str_matches(pattern)] if pattern else []
    return pa.Column(str, checks=checks, nullable=nullable, **kw)


def _count(nullable: bool = False, positive: bool = False) -> pa.Column:
    check = pa.Check.gt(0) if positive else pa.Check.ge(0)
    return pa.Column("Int64" if nullable else "int64", checks=[check], nullable=nullable, coerce=nullable)


PROVENANCE = {
    "source_id": _text(r"^[a-z0-9-]+$"),
    "source_file": _text(r"^[^/]+/.+"),
    "source_url": _text(r"^https://"),
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
        "population_prisons": _count(nullable=True),
        "population_irc": _count(nullable=True),
        "operating_margin": _count(nullable=True),
        "layout": _text(),
        "week_gap_days": _count(nullable=True),
        "derivation": _text(r"\S"),
        "bulletin_title": _text(),
        "bulletin_url": _text(r"^(https://.*)?$"),
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
    "release_calendar": _schema({
        "series_id": _text(r"^[a-z0-9-]+$", unique=True),
        "name": _text(r"\S"),
        "index_uri": _text(),
        "frequency": _text(),
        "current_publish_date": _text(r"^(\d{4}-\d{2}-\d{2})?$"),
        "next_publish_date": _text(r"^(\d{4}-\d{2}-\d{2}.*)?$"),
        "recorded_on": _text(ISO_DATE),
    }),
}


def validate(table_id: str, frame):
    """Validate one table; the error lists every failing column and row, so a bad input is found at once."""
    schema = SCHEMAS.get(table_id)
    if schema is None:
        raise IngestError(f"table {table_id}: no schema declared in justice_tracker/schemas.py")
    try:
        return schema.validate(frame, lazy=True)
    except SchemaErrors as e:
        cases = e.failure_cases[["column", "check", "failure_case", "index"]].head(10).to_string(index=False)
        raise IngestError(f"table {table_id} does not match its schema:\n{cases}") from None
