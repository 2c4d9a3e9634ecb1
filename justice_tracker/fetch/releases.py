"""Release definitions: which GOV.UK publications to read, which attachments to take, and where they go.

A release is declared in the `releases:` list of tracker.yml. Publication pages are chosen by their title (a
regular expression), never by slug: GOV.UK renames pages without changing slugs and starts new slugs for new
years, so a slug list goes stale while a title pattern keeps matching later editions.

Every regular expression here is matched with re.search and re.IGNORECASE, because the publisher's capitalisation
drifts ("Population Bulletin" / "Population bulletin").
"""
from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DatePrecision = Literal["day", "month", "year", "none"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_pattern(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as e:
        raise ValueError(f"not a valid regular expression ({e}): {pattern!r}") from e
    return pattern


class AttachmentRule(_Strict):
    """Attachments whose title matches `title` are taken, classified as `kind`, and dated from a title."""

    title: str = Field(description="regex searched in the attachment title")
    kind: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="classification recorded in the lock")
    date: DatePrecision = Field(description="what the reference date is: a day, a month, a year or none")
    date_from: Literal["attachment", "publication"] = Field(
        default="attachment",
        description="which title carries the date; OMSQ-style tables are dated by their edition's title",
    )
    suffixes: list[str] = Field(
        default_factory=list,
        description="if set, only files whose name ends with one of these (e.g. .ods) match this rule",
    )

    @field_validator("title")
    @classmethod
    def _title_is_regex(cls, value: str) -> str:
        return _check_pattern(value)

    def matches(self, title: str, filename: str) -> bool:
        if self.suffixes and not filename.lower().endswith(tuple(s.lower() for s in self.suffixes)):
            return False
        return re.search(self.title, title, re.IGNORECASE) is not None


class SearchQuery(_Strict):
    """GOV.UK Search API filters, for editions that belong to no collection (e.g. population projections)."""

    filters: dict[str, str | list[str]] = Field(description="filter_* parameters, e.g. filter_organisations")
    page_size: int = Field(default=1500, ge=1, le=1500, description="results per request (the API's maximum is 1500)")

    @field_validator("filters")
    @classmethod
    def _only_filters(cls, value: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        bad = [k for k in value if not k.startswith("filter_")]
        if bad:
            raise ValueError(f"only filter_* parameters belong here, not {bad}")
        return value


class Release(_Strict):
    """One family of files from one publisher, stored in data/raw/<slug>/."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="raw folder: data/raw/<slug>/")
    description: str = ""
    collection: str | None = Field(default=None, description="GOV.UK collection base path, /government/collections/...")
    search: SearchQuery | None = Field(default=None, description="Search API query, for pages outside any collection")
    publications: str = Field(description="regex searched in each publication page's title")
    latest: int | None = Field(
        default=None, ge=1, description="keep only this many matching pages, newest public_updated_at first"
    )
    attachments: list[AttachmentRule] = Field(min_length=1, description="tried in order; the first match wins")
    ignore: list[str] = Field(
        default_factory=list, description="regexes for attachment titles known and deliberately not taken"
    )
    parsers: list[str] = Field(default_factory=list, description="parser modules that read this release's files")
    schedule_id: str = Field("", description="id in the data.justice.gov.uk publication calendar")
    unmatched: Literal["error", "skip"] = Field(
        default="error",
        description="an attachment matching no rule and no ignore pattern: an error (the title format changed, "
        "a person must look) or skipped and listed (pages full of files this release does not want)",
    )

    @field_validator("publications")
    @classmethod
    def _publications_is_regex(cls, value: str) -> str:
        return _check_pattern(value)

    @field_validator("ignore")
    @classmethod
    def _ignore_are_regexes(cls, value: list[str]) -> list[str]:
        return [_check_pattern(p) for p in value]

    @field_validator("collection")
    @classmethod
    def _collection_is_a_base_path(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("/"):
            raise ValueError(f"a collection is a GOV.UK base path starting with '/', got {value!r}")
        return value

    @model_validator(mode="after")
    def _one_way_in(self) -> "Release":
        if (self.collection is None) == (self.search is None):
            raise ValueError(f"release {self.id!r}: give exactly one of `collection` or `search`")
        return self

    def wants_publication(self, title: str) -> bool:
        return re.search(self.publications, title, re.IGNORECASE) is not None

    def rule_for(self, title: str, filename: str) -> AttachmentRule | None:
        return next((rule for rule in self.attachments if rule.matches(title, filename)), None)

    def ignores(self, title: str) -> bool:
        return any(re.search(p, title, re.IGNORECASE) for p in self.ignore)
