"""The one declarative config (tracker.yml): sources, processed tables, headline figures, notebooks and the
table of contents.

Validated with pydantic on load, so a typo in a key or a reference to a source that does not exist fails
before anything runs, naming the key.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .fetch.releases import Release
from .paths import REPO_ROOT

CONFIG_FILE = REPO_ROOT / "tracker.yml"


class ConfigError(Exception):
    """tracker.yml is missing, malformed or inconsistent."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Site(_Strict):
    title: str
    author: str
    description: str
    base_url: str = ""
    repository_url: str = ""


class Source(_Strict):
    """A publisher's file (or family of files) the tracker reads."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    slug: str = Field(description="folder under a raw directory, raw/<slug>/")
    files: list[str] = Field(default_factory=list, description="file names inside raw/<slug>/")
    publisher: str
    title: str
    url: str = Field(description="where the file was published")
    licence: str
    licence_url: str
    attribution: str = Field(description="the credit line the licence asks for")
    original_publisher: str = Field(description="who produced the underlying statistics")
    original_url: str = ""
    original_licence: str = ""
    third_party: bool = Field(description="true when the file is someone else's parse of MoJ files")
    coverage: str = ""
    notes: str = ""
    parser: str = Field("", description="module that reads the raw files; its VERIFIED_AGAINST_PUBLISHED_FILE "
                                         "says whether it has been checked on a real published file")
    schedule_id: str = Field("", description="id of the release in the data.justice.gov.uk publication calendar")


class Table(_Strict):
    """A processed table in data/processed, built by one function from named sources."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    builder: str = Field(description="module:function that returns the table")
    sources: list[str]
    description: str
    key: list[str] = Field(min_length=1, description="columns that identify a row; unique in the table "
                                                     "(the revisions page matches rows between editions on it)")
    method: str = Field("1", min_length=1, description="version of the way the table is derived; bump it when "
                                                       "the method changes, so revisions it causes are labelled so")
    period: str = Field("", description="column that dates a row, when it is not the first date-like key column "
                                        "(e.g. a projection's edition year rather than the date projected)")

    @model_validator(mode="after")
    def _key_columns_once(self) -> "Table":
        dupes = sorted({c for c in self.key if self.key.count(c) > 1})
        if dupes:
            raise ValueError(f"table {self.id!r}: key lists {dupes} twice")
        return self


class Headline(_Strict):
    """A figure readers follow (the latest value of one series), compared between editions on the revisions page."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    label: str
    table: str = Field(description="processed table id")
    date: str = Field(description="column dating each row; the headline is the row with the latest date")
    value: str = Field(description="numeric column holding the figure")
    filter: dict[str, str] = Field(default_factory=dict, description="column -> value a row must have, to pick "
                                                                     "one series out of a long table")
    format: str = Field("{:,.0f}", description="python format for the value, e.g. '{:.1f}%'")
    unit: str = Field("", description="written after the formatted value, e.g. 'places'")

    @model_validator(mode="after")
    def _format_works(self) -> "Headline":
        # Fail on load rather than on the day a page is built.
        try:
            self.format.format(1234.5)
        except (ValueError, IndexError, KeyError) as e:
            raise ValueError(f"headline {self.id!r}: format {self.format!r} does not format a number: {e}") from None
        return self


class NotebookRun(_Strict):
    template: str = Field(description="template notebook under notebooks/")
    parameters: dict[str, Any] = Field(default_factory=dict)
    reads: list[str] = Field(default_factory=list, description="processed table ids the notebook reads; "
                                                               "'*' for every table")
    editions: bool = Field(default=False, description="the notebook also reads the frozen editions/ (What changed)")


class PageSet(_Strict):
    """One page per row of a processed table, all executed from one template (e.g. a page per prison).

    String parameters may name columns of the row in braces: "{key}" is the key column, "{title}" the title
    column, "{prison_key}" any column by name.
    """

    table: str
    key: str = Field(description="column holding each page's key; the page is <parent folder>/<key>")
    title: str = Field(description="column holding each page's title")
    template: str
    parameters: dict[str, Any] = Field(default_factory=dict)
    reads: list[str] = Field(default_factory=list)


class TocEntry(_Strict):
    file: str = Field(description="page path without suffix, relative to the repository root")
    title: str
    notebook: NotebookRun | None = None
    pages: PageSet | None = Field(None, description="pages generated beneath this one, one per table row")


class Part(_Strict):
    caption: str
    chapters: list[TocEntry]


class Toc(_Strict):
    root: str
    parts: list[Part]


class TrackerConfig(_Strict):
    site: Site
    raw_dirs: list[str] = Field(description="searched in order for raw/<slug>/<file>")
    processed_dir: str
    sources: list[Source]
    tables: list[Table]
    headlines: list[Headline] = Field(default_factory=list, description="figures compared between editions")
    toc: Toc
    releases: list[Release] = Field(default_factory=list, description="what `update` fetches from GOV.UK")

    @model_validator(mode="after")
    def _cross_references(self) -> "TrackerConfig":
        source_ids = [s.id for s in self.sources]
        dupes = {i for i in source_ids if source_ids.count(i) > 1}
        if dupes:
            raise ValueError(f"duplicate source ids: {sorted(dupes)}")
        table_ids = [t.id for t in self.tables]
        dupes = {i for i in table_ids if table_ids.count(i) > 1}
        if dupes:
            raise ValueError(f"duplicate table ids: {sorted(dupes)}")
        for table in self.tables:
            for sid in table.sources:
                if sid not in source_ids:
                    raise ValueError(f"table {table.id!r} names unknown source {sid!r}")
        headline_ids = [h.id for h in self.headlines]
        dupes = {i for i in headline_ids if headline_ids.count(i) > 1}
        if dupes:
            raise ValueError(f"duplicate headline ids: {sorted(dupes)}")
        for h in self.headlines:
            if h.table not in table_ids:
                raise ValueError(f"headline {h.id!r} reads unknown table {h.table!r}")
        files = [self.toc.root]
        for entry in self.chapters():
            files.append(entry.file)
            runs = [r for r in (entry.notebook, entry.pages) if r is not None]
            for run in runs:
                for tid in run.reads:
                    if tid != "*" and tid not in table_ids:
                        raise ValueError(f"page {entry.file!r} reads unknown table {tid!r}")
            if entry.pages and entry.pages.table not in table_ids:
                raise ValueError(f"pages under {entry.file!r} come from unknown table {entry.pages.table!r}")
        dupes = {f for f in files if files.count(f) > 1}
        if dupes:
            raise ValueError(f"a page is listed twice in the toc: {sorted(dupes)}")
        return self

    def chapters(self) -> list[TocEntry]:
        return [c for part in self.toc.parts for c in part.chapters]

    def notebook_pages(self) -> list[TocEntry]:
        return [c for c in self.chapters() if c.notebook is not None]

    def generated_pages(self, entry: TocEntry) -> list[TocEntry]:
        """The pages an entry's `pages:` block expands to, one per row of its table, in table order."""
        if entry.pages is None:
            return []
        import csv

        spec = entry.pages
        path = self.processed_path(spec.table)
        if not path.exists():
            raise ConfigError(f"pages under {entry.file}: table {spec.table} not found at {path}; run `make data`")
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        folder = entry.file.rsplit("/", 1)[0]
        pages, seen = [], set()
        for line, row in enumerate(rows, start=2):
            key, title = row.get(spec.key, ""), row.get(spec.title, "")
            if not key or not title:
                raise ConfigError(f"{path.name} line {line}: empty {spec.key!r} or {spec.title!r} for a page")
            if key in seen:
                raise ConfigError(f"{path.name} line {line}: page key {key!r} appears twice")
            seen.add(key)
            fields = {**row, "key": key, "title": title}
            params = {k: v.format_map(fields) if isinstance(v, str) else v for k, v in spec.parameters.items()}
            pages.append(TocEntry(file=f"{folder}/{key}", title=title,
                                  notebook=NotebookRun(template=spec.template, parameters=params, reads=spec.reads)))
        return pages

    def all_notebook_pages(self) -> list[TocEntry]:
        """Every page executed from a template: chapters first, then generated pages, in toc order."""
        out = []
        for entry in self.chapters():
            if entry.notebook is not None:
                out.append(entry)
            out.extend(self.generated_pages(entry))
        return out

    def source(self, source_id: str) -> Source:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(f"no source {source_id!r} in tracker.yml")

    def table(self, table_id: str) -> Table:
        for t in self.tables:
            if t.id == table_id:
                return t
        raise KeyError(f"no table {table_id!r} in tracker.yml")

    def processed_path(self, table_id: str) -> Path:
        return REPO_ROOT / self.processed_dir / f"{table_id}.csv"

    def raw_dir_paths(self) -> list[Path]:
        return [(REPO_ROOT / d).resolve() for d in self.raw_dirs]


def load_config(path: Path | str = CONFIG_FILE) -> TrackerConfig:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: config file not found") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    try:
        return TrackerConfig.model_validate(data)
    except ValidationError as e:
        lines = []
        for err in e.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            lines.append(f"  {where}: {err['msg']}")
        raise ConfigError(f"{path}: invalid config\n" + "\n".join(lines)) from e
