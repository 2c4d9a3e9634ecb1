"""Curated facts: figures that exist only in reports (NAO, PAC, MoJ statements), one row per figure, each with
its publisher, title, date, address, paragraph or figure reference and a short quote.

A figure enters this table only when its primary source can be named; how far its wording was checked is
recorded in `verification`.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .paths import REPO_ROOT
from .errors import FactsError  # noqa: F401 (re-exported)

FACTS_FILE = REPO_ROOT / "data" / "curated" / "facts.csv"
Topic = Literal["population", "staffing", "estate", "recalls", "probation", "early_release"]
Kind = Literal["count", "estimate", "target"]


class _Cited(BaseModel):
    """Where a curated figure or date comes from: enough for a reader to find and check it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    publisher: str = Field(min_length=2)
    title: str = Field(min_length=5)
    published: str = Field(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")
    url: str = Field(pattern=r"^https://")
    reference: str = Field(min_length=3)
    quote: str = ""
    verification: str = Field(min_length=10)

    @field_validator("quote")
    @classmethod
    def _short_quote(cls, v: str) -> str:
        if len(v.split()) > 30:
            raise ValueError("quotes are kept to 30 words or fewer")
        return v


def _validated_rows(path: Path, model: type[BaseModel], id_column: str) -> list[tuple[int, BaseModel]]:
    """Each row of a curated CSV as `model`, or a FactsError naming the file, line and field."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = []
    for line, row in enumerate(rows, start=2):
        if None in row:
            raise FactsError(f"{path.name} line {line}: more cells than columns (an unquoted comma?)")
        try:
            out.append((line, model.model_validate(row)))
        except ValidationError as e:
            first = e.errors()[0]
            raise FactsError(f"{path.name} line {line} ({row.get(id_column)}): {first['loc'][0]}: "
                             f"{first['msg']}") from None
    return out


class Fact(_Cited):

    fact_id: str = Field(pattern=r"^[a-z0-9-]+$")
    topic: Topic
    measure: str = Field(min_length=5)
    value: float
    value_high: float | None = None
    unit: str = Field(min_length=1)
    period: str = Field(min_length=1)
    kind: Kind
    found_via: str = Field(min_length=3)

    @field_validator("value_high", mode="before")
    @classmethod
    def _blank_is_none(cls, v):
        return None if v in ("", None) else v


def load_facts(path: Path = FACTS_FILE) -> list[Fact]:
    facts, seen = [], set()
    for line, fact in _validated_rows(path, Fact, "fact_id"):
        if fact.fact_id in seen:
            raise FactsError(f"{path.name} line {line}: duplicate fact_id {fact.fact_id}")
        if fact.quote and re.search(r"\d", fact.quote) and not _value_in_quote(fact):
            raise FactsError(f"{path.name} line {line} ({fact.fact_id}): the quote does not contain the value {fact.value:g}")
        seen.add(fact.fact_id)
        facts.append(fact)
    return facts


def _value_in_quote(fact: Fact) -> bool:
    """The figure must appear in its own quote (as 916 million, 1,730, 26%, £4.2bn, ...)."""
    text = fact.quote.replace(",", "")
    v = fact.value
    candidates = {f"{v:g}", f"{v / 1e6:g}", f"{v / 1e9:g}", f"{int(v)}" if v == int(v) else f"{v}"}
    return any(re.search(rf"(?<![\d.]){re.escape(c)}(?![\d])", text) for c in candidates)


MEASURES_FILE = REPO_ROOT / "data" / "curated" / "emergency_measures.csv"


class EmergencyMeasure(_Cited):
    """A dated emergency measure on prison capacity, with the primary source that dates it."""

    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    date_precision: Literal["day", "month"]
    measure: str = Field(pattern=r"^[a-z0-9-]+$")
    # What the measure did to the squeeze: let prisoners out early, or find places outside prisons. Charts draw
    # the two kinds differently and let a reader show one kind alone.
    kind: Literal["early-release", "extra-places"]
    label: str = Field(min_length=5)
    # The measure's name on a chart, beside its line: charts are drawn as narrow as 230 px.
    short_label: str = Field(min_length=2, max_length=18)
    detail: str = Field(min_length=10)


def load_emergency_measures(path: Path = MEASURES_FILE) -> list[EmergencyMeasure]:
    return sorted((m for _, m in _validated_rows(path, EmergencyMeasure, "measure")), key=lambda m: m.date)
