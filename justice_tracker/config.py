"""The one declarative config (tracker.yml): sources, processed tables, headline figures, notebooks and the
table of contents.

Validated with pydantic on load, so a typo in a key or a reference to a source that does not exist fails
before anything runs, naming the key.
"""
from __future__ import annotations

import keyword
import math
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import BuildError, ConfigError  # noqa: F401 (re-exported)
from .fetch.releases import Release
from .paths import CONFIG_FILE, REPO_ROOT


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Site(_Strict):
    title: str
    author: str
    description: str
    base_url: str = ""
    repository_url: str = ""
    # The chart whose picture stands for a page that has none (the front page) when it is shared.
    share_chart: str = Field(default="", pattern=r"^([a-z0-9][a-z0-9-]*)?$")


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
    parsers: list[str] = Field(default_factory=list, description="for an official source: the parser modules that "
                               "read its files (the first whose identify() recognises a file parses it)")
    optional: bool = Field(False, description="the source may have no file at all (official downloads, which a "
                                              "fresh clone does not have until `make update`)")
    unrecognised: Literal["error", "skip"] = Field(
        "error", description="a file no parser of the source recognises: an error naming it, or skipped and listed "
                             "(for releases whose pages carry many other workbooks)")

    @property
    def official(self) -> bool:
        """Parsed here from the publisher's own files, not from a third party's parse of them."""
        return not self.third_party


class Table(_Strict):
    """A processed table in data/processed, built by one function from its declared inputs: raw sources and other
    processed tables. The builder is called as builder(config, table, inputs) and `inputs` holds exactly the
    tables listed here, so the dependency graph is what tracker.yml says, never guessed from code."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    builder: str = Field(description="module:function that returns the table")
    sources: list[str]
    tables: list[str] = Field(default_factory=list, description="processed tables this one is derived from")
    curated: list[str] = Field(default_factory=list, description=(
        "curated CSVs (paths from the repository root, under data/curated) the builder reads; their content is "
        "part of the table's inputs, so editing one rebuilds the table"))
    precedence: list[str] = Field(default_factory=list, description=(
        "source ids, strongest first, for a table that more than one source covers: for each period the rows of "
        "the first source that has that period are kept; where a weaker source disagrees, both are listed on the "
        "reconciliation page"))
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
        if self.precedence and self.period_column() is None:
            raise ValueError(f"table {self.id!r}: precedence needs a period column (set `period:`)")
        stray = [s for s in self.precedence if s not in self.sources]
        if stray:
            raise ValueError(f"table {self.id!r}: precedence names {stray}, which are not among its sources")
        return self


    def period_column(self) -> str | None:
        """The column that dates a row: `period` when set, else the first date-like key column (date, month,
        quarter_start, ..._date); None for a table with no period (a register, a calendar)."""
        if self.period:
            return self.period
        return next((c for c in self.key if c in PERIOD_NAMES or c.endswith(PERIOD_SUFFIXES)), None)


PERIOD_NAMES = {"date", "month", "year", "quarter", "quarter_start"}
PERIOD_SUFFIXES = ("_date", "_month", "_year", "_start")


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
    orphan: bool = Field(False, description="the page is reached from its parent page, not the table of contents")
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
    in_toc: bool = Field(False, description=(
        "list the pages in the table of contents (the sidebar of every page, and its previous/next links). Off by "
        "default: the parent page lists them, and a sidebar of 150 prisons on every page helps no reader and made "
        "the build grow with the square of the number of pages"))


def parameter_problem(name: object, value: object) -> str | None:
    """Why a papermill parameter cannot be injected safely, or None. Papermill writes `name = repr(value)` into
    the page's code: a name that is not an identifier (`x=__import__('os')...`) would run as code, and a value that
    is not plain data (YAML can carry no objects, but a config built in code can) has a repr that may not be."""
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        return f"parameter name {name!r} is not a Python identifier (letters, digits and _, not a keyword)"
    bad = _non_json_value(value)
    if bad is not None:
        return f"parameter {name!r}: {bad}"
    return None


def _non_json_value(value: object, depth: int = 0) -> str | None:
    if depth > 20:
        return "value is nested more than 20 levels deep"
    if value is None or isinstance(value, (bool, int, str)):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"value {value!r} is not a finite number"
    if isinstance(value, list):
        return next((p for p in (_non_json_value(v, depth + 1) for v in value) if p), None)
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                return f"mapping key {k!r} is not text"
            problem = _non_json_value(v, depth + 1)
            if problem:
                return problem
        return None
    return (f"value {value!r} of type {type(value).__name__} is not plain data (text, number, true/false, null, "
            f"or lists and mappings of those; quote a date in tracker.yml to pass it as text)")


def path_problem(rel: str, what: str) -> str | None:
    """Why a page or template path from tracker.yml is not a file inside the project, or None. Pages are written
    to <root>/<file>.ipynb, so `../../etc/x`, `/etc/x` or a path through a symlink that leaves the project would
    write outside it."""
    if not rel or "\0" in rel:
        return f"{what} {rel!r} is empty or holds a NUL byte"
    if Path(rel).is_absolute():
        return f"{what} {rel!r} is an absolute path; give it relative to the project root"
    if ".." in Path(rel).parts:
        return f"{what} {rel!r} climbs out with '..'; give it relative to the project root"
    root = REPO_ROOT.resolve()
    if not (root / rel).resolve().is_relative_to(root):
        return f"{what} {rel!r} leads outside the project root {root} (through a symlink)"
    return None


class TocEntry(_Strict):
    file: str = Field(description="page path without suffix, relative to the repository root")
    title: str
    summary: str = Field("", description="one sentence for readers: what the page shows (the home page lists it)")
    notebook: NotebookRun | None = None
    pages: PageSet | None = Field(None, description="pages generated beneath this one, one per table row")

    @model_validator(mode="after")
    def _inside_the_project_and_plain_parameters(self) -> "TocEntry":
        problems = [path_problem(self.file, "file")]
        for what, run in (("notebook", self.notebook), ("pages", self.pages)):
            if run is None:
                continue
            problems.append(path_problem(run.template, f"{what}.template"))
            problems += [parameter_problem(name, value) for name, value in run.parameters.items()]
        problems = [p for p in problems if p]
        if problems:
            raise ValueError(f"page {self.file!r}: " + "; ".join(problems))
        return self


class Part(_Strict):
    caption: str
    chapters: list[TocEntry]


class Toc(_Strict):
    root: str | TocEntry = Field(description="the home page: a page path (Markdown), or a page run from a template")
    parts: list[Part]

    @model_validator(mode="after")
    def _root_inside_the_project(self) -> "Toc":
        if isinstance(self.root, str):
            problem = path_problem(self.root, "file")
            if problem:
                raise ValueError(f"home page {self.root!r}: {problem}")
        return self

    @property
    def root_file(self) -> str:
        return self.root if isinstance(self.root, str) else self.root.file


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
            for tid in table.tables:
                if tid not in table_ids:
                    raise ValueError(f"table {table.id!r} is derived from unknown table {tid!r}")
        self.build_order()  # raises on a cycle
        headline_ids = [h.id for h in self.headlines]
        dupes = {i for i in headline_ids if headline_ids.count(i) > 1}
        if dupes:
            raise ValueError(f"duplicate headline ids: {sorted(dupes)}")
        for h in self.headlines:
            if h.table not in table_ids:
                raise ValueError(f"headline {h.id!r} reads unknown table {h.table!r}")
        files = [self.toc.root_file]
        for entry in [self.home(), *self.chapters()]:
            if entry is None:
                continue
            if entry is not self.home():
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

    def build_order(self, only: list[str] | None = None) -> list[Table]:
        """Tables in dependency order (inputs before the tables derived from them; otherwise tracker.yml order).
        With `only`, those tables and every table derived from them, directly or not."""
        by_id = {t.id: t for t in self.tables}
        order: list[str] = []
        state: dict[str, str] = {}

        def visit(tid: str, path: list[str]) -> None:
            if state.get(tid) == "done":
                return
            if state.get(tid) == "visiting":
                raise ValueError(f"tables form a cycle: {' -> '.join(path + [tid])}")
            state[tid] = "visiting"
            for up in by_id[tid].tables:
                visit(up, path + [tid])
            state[tid] = "done"
            order.append(tid)

        for t in self.tables:
            visit(t.id, [])
        if only is not None:
            unknown = [t for t in only if t not in by_id]
            if unknown:
                raise ConfigError(f"unknown table(s) {unknown}; tracker.yml has {sorted(by_id)}")
            wanted = set(only)
            for tid in order:
                if set(by_id[tid].tables) & wanted:
                    wanted.add(tid)
            order = [t for t in order if t in wanted]
        return [by_id[t] for t in order]

    def downstream(self, table_ids: set[str]) -> set[str]:
        """The tables derived, directly or not, from any of these."""
        return {t.id for t in self.build_order(sorted(table_ids))} - set(table_ids)

    def tables_reading_source(self, source_id: str) -> list[str]:
        return [t.id for t in self.tables if source_id in t.sources]

    def chapters(self) -> list[TocEntry]:
        return [c for part in self.toc.parts for c in part.chapters]

    def home(self) -> TocEntry | None:
        """The home page when it is run from a template."""
        return self.toc.root if isinstance(self.toc.root, TocEntry) else None

    def notebook_pages(self) -> list[TocEntry]:
        return [c for c in [self.home(), *self.chapters()] if c is not None and c.notebook is not None]

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
            problem = path_problem(f"{folder}/{key}", "page")
            if problem or "/" in key:
                raise ConfigError(f"{path.name} line {line}: page key {key!r} would put a page outside "
                                  f"{folder}/: {problem or 'it holds a /'}")
            fields = {**row, "key": key, "title": title}
            params = {k: v.format_map(fields) if isinstance(v, str) else v for k, v in spec.parameters.items()}
            pages.append(TocEntry(file=f"{folder}/{key}", title=title,
                                  notebook=NotebookRun(template=spec.template, parameters=params, reads=spec.reads,
                                                       orphan=not spec.in_toc)))
        return pages

    def all_notebook_pages(self) -> list[TocEntry]:
        """Every page executed from a template: chapters first, then generated pages, in toc order."""
        out = []
        for entry in [self.home(), *self.chapters()]:
            if entry is None:
                continue
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

    @property
    def root(self) -> Path:
        """The project root: the folder of the config file (see paths.py)."""
        return REPO_ROOT

    @property
    def processed_folder(self) -> Path:
        return self.root / self.processed_dir

    def processed_path(self, table_id: str) -> Path:
        return self.processed_folder / f"{table_id}.csv"

    def raw_dir_paths(self) -> list[Path]:
        return [(self.root / d).resolve() for d in self.raw_dirs]

    def download_dir(self) -> Path:
        """Where `update` stores what it downloads: the first raw directory."""
        return self.raw_dir_paths()[0]


# libyaml's loader when PyYAML was built with it: the config is read by every page, so its speed counts.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_LOADED: dict[tuple, TrackerConfig] = {}


def load_config(path: Path | str = CONFIG_FILE) -> TrackerConfig:
    """The validated config. Parsed once per process for the same file contents (a page's kernel asks for it
    from every chart), read again when the file changes."""
    path = Path(path)
    try:
        stat = path.stat()
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: config file not found") from e
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = _parse_config(path)
    return _LOADED[key]


def _parse_config(path: Path) -> TrackerConfig:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
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


def check_templates(config: TrackerConfig) -> None:
    """Every page's template exists. Checked before anything runs: a toc entry naming a missing notebook was an
    OSError naming only the path, after the Vega bundle had been written."""
    missing = [f"page {e.file}: template {e.notebook.template} not found" for e in config.all_notebook_pages()
               if not (REPO_ROOT / e.notebook.template).is_file()]
    if missing:
        raise BuildError("tracker.yml toc names notebooks that do not exist:\n  " + "\n  ".join(dict.fromkeys(missing)))
