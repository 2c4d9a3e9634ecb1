"""Editions: dated, immutable builds of the site that people can cite.

`make edition ID=2026-12` freezes the processed data, the curated tables and the lock file under
`editions/<id>/` (committed), builds the site from that frozen copy in an isolated source tree, and installs it
at `_build/site/editions/<id>/`. The checksum of every file it wrote is recorded in `editions/<id>/manifest.json`
so any later rebuild (`make site`, the publishing workflow) can prove it produced the same bytes.

An edition is never overwritten: freezing an id that exists, or installing over a built edition, is an error.
What changes when a new edition appears is only the site's root: `editions.json`, `feed.xml`, the editions
index with the revision log, the root redirect and the `/latest/` redirects. Old editions learn that they are
old from `editions.json` at view time (a script on every page), so their files never change.

Layout of the published site:
    index.html                      redirect to the newest edition
    latest/<page>.html              redirects to the same page in the newest edition
    editions/index.html             every edition, what changed in each, the revision log
    editions/<id>/...               one complete site per edition (its own manifest.json)
    editions.json, feed.xml, revisions.json
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from .config import TrackerConfig
from .files import atomic_write_text, sha256_bytes, sha256_file
from .paths import BUILD_DIR, CHART_CACHE_DIR, CHART_CACHE_ENV, REPO_ROOT, VENDOR_DIR
from .revisions import config_methods, latest_period
from .sitecheck import file_manifest, verify_manifest
from .templates import render
from .errors import EditionError  # noqa: F401 (re-exported)

EDITIONS_DIR = REPO_ROOT / "editions"
PUBLISHED_DIR = BUILD_DIR / "site"
SOURCE_DIR = BUILD_DIR / "edition-src"
ID_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$")
# What an edition freezes: everything under data/ that the build reads (raw files are not read by the build).
FROZEN = ["data/processed", "data/curated", "data/reference", "data/sources.lock"]
MANIFEST = "manifest.json"
# The build's own outputs never go into an edition's source tree.
NOT_SOURCE = ("_build/", "book/**/*.ipynb", "_static/vendor/", "_extra/charts/", "_extra/data/", "editions/",
              "data/")


# ---------------------------------------------------------------------------------------------------------
# The editions in the repository


def edition_dir(edition_id: str) -> Path:
    return EDITIONS_DIR / edition_id


def load_edition(edition_id: str, root: Path | None = None) -> dict:
    path = (root or EDITIONS_DIR) / edition_id / "edition.json"
    if not path.exists():
        raise EditionError(f"edition {edition_id}: {path} not found")
    return json.loads(path.read_text(encoding="utf-8"))


def incoming_dir(edition_id: str, root: Path | None = None) -> Path:
    """Where `make edition` assembles an edition (frozen data, edition.json, then manifest.json) before it moves
    the whole folder into place: an edition appears complete or not at all."""
    return (root or EDITIONS_DIR) / f".{edition_id}.incoming"


def check_no_leftovers(root: Path | None = None, assembling: str | None = None) -> None:
    """An interrupted `make edition` leaves only its .incoming folder (or, before editions were assembled aside,
    an edition folder with no manifest.json): either is named, with the command that removes it, and is never taken
    for an edition (the next one would call it `previous`, and a clean clone could not build it)."""
    root = root or EDITIONS_DIR
    if not root.is_dir():
        return
    for p in sorted(root.iterdir()):
        rel = p.relative_to(REPO_ROOT) if p.is_relative_to(REPO_ROOT) else p
        if p.is_dir() and p.name.startswith(".") and p.name.endswith(".incoming") and p.name != f".{assembling}.incoming":
            raise EditionError(f"{rel} is what an interrupted `make edition` left behind (not an edition); "
                               f"remove it with: rm -rf {rel}")
        if p.is_dir() and ID_PATTERN.match(p.name) and not (p / MANIFEST).exists():
            raise EditionError(f"{rel} has no {MANIFEST}: a half edition left by an interrupted `make edition`; "
                               f"remove it with: rm -rf {rel}")


def list_editions(root: Path | None = None, assembling: str | None = None) -> list[dict]:
    """Every frozen edition, oldest first (`assembling`: the edition `make edition` is putting together)."""
    root = root or EDITIONS_DIR
    if not root.is_dir():
        return []
    check_no_leftovers(root, assembling)
    found = [load_edition(p.name, root) for p in sorted(root.iterdir())
             if p.is_dir() and ID_PATTERN.match(p.name) and (p / "edition.json").exists()]
    return sorted(found, key=lambda e: (e["date"], e["id"]))


def check_frozen_data(edition: dict, folder: Path) -> None:
    """The frozen tables are the ones edition.json describes, byte for byte: a changed or missing file is named."""
    processed = folder / "data" / "processed"
    for table, info in sorted(edition.get("tables", {}).items()):
        path = processed / info["file"]
        rel = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path
        if not path.is_file():
            raise EditionError(f"edition {edition['id']}: {rel} (table {table}) is missing from its frozen data")
        actual = sha256_file(path)
        if actual != info["sha256"]:
            raise EditionError(f"edition {edition['id']}: {rel} (table {table}) does not match edition.json "
                               f"(sha256 {actual[:12]} != {info['sha256'][:12]}): the frozen data was changed")


def previous_edition(before_date: str | None = None, root: Path | None = None) -> dict | None:
    """The newest edition dated before `before_date` (or the newest of all when it is None)."""
    older = [e for e in list_editions(root) if before_date is None or e["date"] < before_date]
    return older[-1] if older else None


def current_context() -> dict:
    """The edition a build is making, from the environment that `build_edition` sets; {} for a working draft."""
    edition_id = os.environ.get("JCT_EDITION", "")
    if not edition_id:
        return {}
    return {"id": edition_id, "date": os.environ.get("JCT_EDITION_DATE", ""),
            "previous": os.environ.get("JCT_PREVIOUS_EDITION", "") or None}


def default_id(today: dt.date | None = None) -> str:
    return (today or dt.date.today()).strftime("%Y-%m")


def _git(*args: str, cwd: Path = REPO_ROOT, check: bool = True) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise EditionError(f"git {' '.join(args)} failed in {cwd}: {proc.stderr.strip()}")
    return proc.stdout


def code_state() -> tuple[str, bool]:
    """(HEAD commit, whether anything but data/ and editions/ has uncommitted changes). ("", True) if not a
    git checkout: such an edition can be built but not rebuilt from a commit."""
    if not (REPO_ROOT / ".git").exists():
        return "", True
    commit = _git("rev-parse", "HEAD", check=False).strip()
    dirty = _git("status", "--porcelain", "--", ".", ":(exclude)data", ":(exclude)editions", check=False).strip()
    return commit, bool(dirty) or not commit


def freeze(config: TrackerConfig, edition_id: str, date: str | None = None, allow_dirty: bool = False,
           log=print) -> Path:
    """Copy the data the build reads into editions/<id>/ and describe it in edition.json."""
    if not ID_PATTERN.match(edition_id):
        raise EditionError(f"edition id {edition_id!r} must look like 2026-11 or 2026-11-23")
    date = date or dt.date.today().isoformat()
    try:
        when = dt.date.fromisoformat(date)
    except ValueError:
        raise EditionError(f"edition date {date!r} is not an ISO date (YYYY-MM-DD)") from None
    if when > dt.date.today():
        raise EditionError(f"edition date {date} is in the future (today is {dt.date.today().isoformat()}): an "
                           f"edition is dated the day it is published")
    check_no_leftovers()
    target = edition_dir(edition_id)
    if target.exists():
        raise EditionError(f"edition {edition_id} already exists in {target.relative_to(REPO_ROOT)}; editions "
                           f"are never overwritten: choose a new id (e.g. {edition_id[:7]}-{date[8:10] or '15'})")
    if (PUBLISHED_DIR / "editions" / edition_id).exists():
        raise EditionError(f"a built edition {edition_id} already exists in {PUBLISHED_DIR / 'editions'}; "
                           "it is never overwritten")
    newest = previous_edition()
    if newest and newest["date"] > date:
        raise EditionError(f"edition {edition_id} dated {date} would be older than edition {newest['id']} "
                           f"({newest['date']}); editions are published in date order")
    commit, dirty = code_state()
    if dirty and not allow_dirty:
        raise EditionError("the code has uncommitted changes (outside data/ and editions/): commit them first, "
                           "so the edition can be rebuilt from its commit (or pass --allow-dirty)")
    manifest_path = REPO_ROOT / config.processed_dir / "manifest.json"
    if not manifest_path.exists():
        raise EditionError(f"{manifest_path.relative_to(REPO_ROOT)} not found: run `make data` first")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    for tid, info in manifest["tables"].items():
        actual = sha256_file(REPO_ROOT / config.processed_dir / info["file"])
        if actual != info["sha256"]:
            raise EditionError(f"{config.processed_dir}/{info['file']} does not match its manifest entry "
                               f"(sha256 {actual[:12]} != {info['sha256'][:12]}): run `make data` again")
    check_table_schemas(config)

    incoming = incoming_dir(edition_id)
    for rel in FROZEN:
        src = REPO_ROOT / rel
        if src.is_dir():
            shutil.copytree(src, incoming / rel)
        elif src.exists():
            (incoming / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, incoming / rel)
    freeze_data_package(config, incoming, edition_id, date, log)
    lock_path = REPO_ROOT / "data" / "sources.lock"
    lock = json.loads(lock_path.read_text(encoding="utf-8") or "{}") if lock_path.exists() else {}
    tables = {}
    for tid, info in sorted(manifest["tables"].items()):
        tables[tid] = {"file": info["file"], "rows": info.get("rows"), "sha256": info["sha256"],
                       "latest_period": _table_period(config, tid, incoming / str(config.processed_dir) / info["file"]),
                       "raw_files": info.get("raw_files", [])}
    meta = {
        "id": edition_id,
        "date": date,
        "title": f"Edition {edition_id}",
        "previous": newest["id"] if newest else None,
        "code_commit": commit,
        "code_dirty": dirty,
        "methods": config_methods(config),
        "tables": tables,
        "sources_lock": lock,
    }
    atomic_write_text(incoming / "edition.json", json.dumps(meta, indent=1, sort_keys=True) + "\n")
    log(f"  froze {len(tables)} tables for edition {edition_id}"
        + ("" if not dirty else " (code not committed: this edition cannot be rebuilt from a commit)"))
    return incoming


def check_table_schemas(config: TrackerConfig) -> None:
    """Every processed table against its declared schema: a table edited by hand, or written by older code, is
    not frozen into an edition."""
    from .errors import IngestError
    from .schemas import validate
    from .tables import read_typed

    for table in config.tables:
        try:
            validate(table.id, read_typed(config, table.id))
        except (IngestError, FileNotFoundError, ValueError) as e:
            raise EditionError(f"{config.processed_dir}/{table.id}.csv fails its schema, so no edition was made: "
                               f"{e}") from None


def freeze_data_package(config: TrackerConfig, incoming: Path, edition_id: str, date: str, log=print) -> None:
    """editions/<id>/data/datapackage.json, describing the frozen CSVs beside it (paths processed/<table>.csv).
    A package that does not validate removes the half-made freeze and stops the edition."""
    from .datapackage import package_summary, write_package
    from .errors import BuildError

    data = incoming / "data"
    try:
        write_package(config, incoming / config.processed_dir, data,
                      {"id": edition_id, "date": date}, copy_tables=False)
    except (BuildError, KeyError) as e:
        shutil.rmtree(incoming, ignore_errors=True)
        raise EditionError(f"edition {edition_id}: {e}; no edition was made") from None
    summary = package_summary(data)
    log(f"  data package: {summary['resources']} tables, {summary['bytes']:,} bytes")


def latest_data(root: Path, latest_dir: Path) -> None:
    """latest/data/: a copy of the newest edition's data package (a redirect page is no use to pandas or R)."""
    source = latest_dir / "data"
    if source.is_dir():
        shutil.copytree(source, root / "latest" / "data")


def _table_period(config: TrackerConfig, table_id: str, path: Path) -> str | None:
    known = {t.id: t for t in config.tables}
    return latest_period(known[table_id], path) if table_id in known else None


# ---------------------------------------------------------------------------------------------------------
# Building an edition


def _source_files_from_worktree() -> list[str]:
    out = _git("ls-files", "-co", "--exclude-standard", "-z")
    return [f for f in out.split("\0") if f and not _excluded(f)]


def _excluded(rel: str) -> bool:
    from fnmatch import fnmatch

    return any(rel.startswith(p) if p.endswith("/") else fnmatch(rel, p) for p in NOT_SOURCE)


def prepare_source(edition: dict, dest: Path, from_commit: bool, folder: Path | None = None) -> None:
    """The tree an edition is built from: the code (the working tree, or the edition's commit for a rebuild),
    the edition's frozen data in place of data/, and the editions before it (for its What changed page)."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    if from_commit:
        commit = edition.get("code_commit")
        if not commit:
            raise EditionError(f"edition {edition['id']} records no code commit; it cannot be rebuilt from one")
        archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=REPO_ROOT, capture_output=True)
        if archive.returncode != 0:
            raise EditionError(f"edition {edition['id']}: git archive {commit[:12]} failed: "
                               f"{archive.stderr.decode().strip()} (a shallow clone? fetch the full history)")
        with tempfile.TemporaryFile() as tmp:
            tmp.write(archive.stdout)
            tmp.seek(0)
            with tarfile.open(fileobj=tmp) as tar:
                members = [m for m in tar.getmembers() if not _excluded(m.name)]
                tar.extractall(dest, members=members, filter="data")
    else:
        for rel in _source_files_from_worktree():
            src = REPO_ROOT / rel
            if src.is_file():
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest / rel)
    # The Vega bundle is written by the build from the installed vl-convert, stamped with its version: the working
    # tree's copy saves the edition's build 1.5 s, and a stale one is rewritten by the stamp check.
    bundle = VENDOR_DIR / "vega-bundle.js"
    if bundle.is_file() and not (dest / "_static/vendor/vega-bundle.js").exists():
        (dest / "_static/vendor").mkdir(parents=True, exist_ok=True)
        shutil.copy2(bundle, dest / "_static/vendor/vega-bundle.js")
    frozen = (folder or edition_dir(edition["id"])) / "data"
    shutil.copytree(frozen, dest / "data", dirs_exist_ok=True)
    for older in list_editions(assembling=edition["id"]):
        if older["date"] < edition["date"] or (older["date"] == edition["date"] and older["id"] < edition["id"]):
            # Whole, manifest too: inside the build an edition folder without one is a half edition.
            shutil.copytree(edition_dir(older["id"]), dest / "editions" / older["id"])


def _run_build(src: Path, edition: dict, log) -> Path:
    env = dict(os.environ)
    # The edition's own tree is the project root (and its code the code): never the caller's.
    env.update({"PYTHONPATH": str(src), "JCT_PROJECT_ROOT": str(src), "JCT_CONFIG": str(src / "tracker.yml"),
                "JCT_EDITION": edition["id"], "JCT_EDITION_DATE": edition["date"],
                "JCT_PREVIOUS_EDITION": edition.get("previous") or "", "PYTHONHASHSEED": "0",
                CHART_CACHE_ENV: str(CHART_CACHE_DIR)})
    log(f"  building edition {edition['id']} in {src.relative_to(REPO_ROOT) if src.is_relative_to(REPO_ROOT) else src}")
    proc = subprocess.run([sys.executable, "-m", "justice_tracker", "build", "--force"], cwd=src, env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-30:])
        raise EditionError(f"edition {edition['id']}: the build failed (exit {proc.returncode}); nothing was "
                           f"installed and every existing edition is unchanged.\n{tail}")
    built = src / "_build" / "html"
    if not (built / "index.html").exists():
        raise EditionError(f"edition {edition['id']}: the build reported success but {built}/index.html is missing")
    return built


def manifest_text(edition_id: str, files: dict[str, str]) -> str:
    return json.dumps({"edition": edition_id, "files": files}, indent=1, sort_keys=True) + "\n"


def build_edition(edition_id: str, from_commit: bool = False, install: bool = True, log=print,
                  folder: Path | None = None) -> Path:
    """Build one frozen edition and install it; a rebuild must match the recorded manifest byte for byte.
    With install=False the build is only compared with the manifest (`make verify-edition`). `folder` is where the
    edition's frozen files are (editions/<id>, or its .incoming folder while `make edition` assembles it)."""
    folder = folder or edition_dir(edition_id)
    edition = json.loads((folder / "edition.json").read_text(encoding="utf-8")) if folder.is_dir() \
        else load_edition(edition_id)
    check_frozen_data(edition, folder)
    target = PUBLISHED_DIR / "editions" / edition_id
    recorded_path = folder / MANIFEST
    if install and target.exists():
        raise EditionError(f"edition {edition_id} is already built at {target}; it is never overwritten "
                           f"(delete the folder yourself to rebuild it)")
    if not install and not recorded_path.exists():
        raise EditionError(f"edition {edition_id} has no editions/{edition_id}/{MANIFEST} to verify against")
    src = SOURCE_DIR / edition_id
    prepare_source(edition, src, from_commit, folder)
    built = _run_build(src, edition, log)
    files = file_manifest(built)
    if recorded_path.exists():
        recorded = json.loads(recorded_path.read_text(encoding="utf-8"))["files"]
        problems = verify_manifest(built, recorded)
        if problems:
            raise EditionError(f"edition {edition_id}: the rebuild does not match editions/{edition_id}/{MANIFEST} "
                               f"({len(problems)} difference(s)); nothing was installed. Build output kept in "
                               f"{built}.\n  " + "\n  ".join(problems[:20]))
        text = recorded_path.read_text(encoding="utf-8")
        log(f"  edition {edition_id}: rebuilt {'from commit ' + edition['code_commit'][:12] if from_commit else ''}"
            f" and matches its manifest ({len(files):,} files)")
        if not install:
            shutil.rmtree(src, ignore_errors=True)
            return built
    else:
        text = manifest_text(edition_id, files)
        atomic_write_text(recorded_path, text)
    if folder != edition_dir(edition_id):
        # Complete now (data, edition.json, manifest.json): into place in one rename.
        os.replace(folder, edition_dir(edition_id))
    incoming = target.with_name(f".{edition_id}.incoming")
    shutil.rmtree(incoming, ignore_errors=True)
    shutil.copytree(built, incoming)
    atomic_write_text(incoming / MANIFEST, text)
    if file_manifest(incoming) != files:
        raise EditionError(f"edition {edition_id}: the copy in {incoming} differs from the build; not installed")
    os.replace(incoming, target)
    shutil.rmtree(src, ignore_errors=True)
    log(f"  installed edition {edition_id}: {len(files):,} files, manifest sha256 "
        f"{sha256_bytes(text.encode())[:12]}")
    return target


def rebuildable(edition: dict) -> bool:
    return bool(edition.get("code_commit")) and not edition.get("code_dirty")


def make_edition(config: TrackerConfig, edition_id: str, date: str | None = None, allow_dirty: bool = False,
                 log=print) -> Path:
    """Freeze, build, install, then refresh the site's root. A failed build leaves no half edition behind."""
    frozen = freeze(config, edition_id, date, allow_dirty, log)
    try:
        build_edition(edition_id, log=log, folder=frozen)
    except BaseException:
        # The frozen copy is only an edition once it has been built; keep the build log, drop the freeze. (Killed
        # outright, the process leaves only the .incoming folder, which every later command names.)
        shutil.rmtree(frozen, ignore_errors=True)
        raise
    write_root(config, log=log)
    return PUBLISHED_DIR


def build_all(config: TrackerConfig, log=print) -> Path:
    """Build every frozen edition that is not yet in _build/site (from its recorded commit), verify those that
    are, then write the root. This is what the publishing workflow runs."""
    for edition in list_editions():
        target = PUBLISHED_DIR / "editions" / edition["id"]
        if target.exists():
            recorded = json.loads((edition_dir(edition["id"]) / MANIFEST).read_text(encoding="utf-8"))["files"]
            problems = verify_manifest(target, recorded)
            if problems:
                raise EditionError(f"built edition {edition['id']} in {target} does not match its manifest:\n  "
                                   + "\n  ".join(problems[:20]))
            log(f"  edition {edition['id']}: already built, matches its manifest")
            continue
        build_edition(edition["id"], from_commit=rebuildable(edition), log=log)
    write_root(config, log=log)
    return PUBLISHED_DIR


# ---------------------------------------------------------------------------------------------------------
# The site's root: editions.json, feed, index, redirects


def _changes(edition_id: str) -> dict:
    path = PUBLISHED_DIR / "editions" / edition_id / "changes.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _long_date(iso: str) -> str:
    d = dt.date.fromisoformat(iso)
    return f"{d.day} {d.strftime('%B %Y')}"


def editions_index(config: TrackerConfig) -> dict:
    built = [e for e in list_editions() if (PUBLISHED_DIR / "editions" / e["id"] / MANIFEST).exists()]
    items = []
    for e in reversed(built):
        folder = PUBLISHED_DIR / "editions" / e["id"]
        manifest_bytes = (folder / MANIFEST).read_bytes()
        pages = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.html"))
        changes = _changes(e["id"])
        items.append({
            "id": e["id"], "date": e["date"], "title": e["title"], "path": f"editions/{e['id']}/",
            "manifest": f"editions/{e['id']}/{MANIFEST}", "checksum": sha256_bytes(manifest_bytes),
            "previous": e.get("previous"), "code_commit": e.get("code_commit", ""),
            "summary": changes.get("summary", []),
            "releases": [{"table": t, "latest_period": info.get("latest_period"), "rows": info.get("rows"),
                          "sha256": info["sha256"]} for t, info in sorted(e["tables"].items())],
            "pages": pages,
        })
    return {"title": config.site.title, "latest": items[0]["id"] if items else None, "editions": items}


def write_root(config: TrackerConfig, log=print) -> None:
    index = editions_index(config)
    if not index["editions"]:
        raise EditionError(f"no built edition in {PUBLISHED_DIR / 'editions'}: run `make edition` first")
    root = PUBLISHED_DIR
    latest = index["latest"]
    latest_dir = root / "editions" / latest
    atomic_write_text(root / "editions.json", json.dumps(index, indent=1, sort_keys=True) + "\n")
    atomic_write_text(root / "index.html", redirect_page(f"editions/{latest}/index.html", config.site.title))
    shutil.rmtree(root / "latest", ignore_errors=True)
    for page in index["editions"][0]["pages"]:
        depth = page.count("/") + 1
        atomic_write_text(root / "latest" / page,
                          redirect_page("../" * depth + f"editions/{latest}/{page}", config.site.title))
    latest_data(root, latest_dir)
    revisions = [{"edition": e["id"], "previous": e["previous"], **r}
                 for e in index["editions"] for r in _changes(e["id"]).get("revisions", [])]
    atomic_write_text(root / "revisions.json", json.dumps({"revisions": revisions}, indent=1, sort_keys=True) + "\n")
    atomic_write_text(root / "editions" / "index.html", editions_page(config, index))
    atomic_write_text(root / "feed.xml", atom_feed(config, index))
    for name in ("favicon.ico",):
        if (latest_dir / name).exists():
            shutil.copy2(latest_dir / name, root / name)
    log(f"  site root: {len(index['editions'])} edition(s), latest {latest}; {root}")


def _page(template: str, **context) -> str:
    from .csp import with_policy

    # Jinja drops a template's last newline; the files it writes end with one.
    return with_policy(render(template, **context)) + "\n"


def redirect_page(target: str, title: str) -> str:
    return _page("redirect.html", target=target, title=title)


REVISION_LOG_ROWS = 500  # on the page; revisions.json has every one


def editions_page(config: TrackerConfig, index: dict) -> str:
    editions = [{**e, "published": _long_date(e["date"])} for e in index["editions"]]
    revisions = [{"edition": e["id"], "table": r["table"], "column": str(r["column"]), "reason": r["reason"],
                  "row": ", ".join(f"{k} {v}" for k, v in r.get("key", {}).items()),
                  "before": _num(r.get("previous")), "after": _num(r.get("current"))}
                 for e in index["editions"] for r in _changes(e["id"]).get("revisions", [])]
    more = len(revisions) - REVISION_LOG_ROWS
    return _page("editions_index.html", title=config.site.title, latest=index["latest"], editions=editions,
                 manifest=MANIFEST, revisions=revisions[:REVISION_LOG_ROWS], more=f"{more:,}" if more > 0 else "")


def _num(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def atom_feed(config: TrackerConfig, index: dict) -> str:
    base = config.site.base_url.rstrip("/")

    def url(path: str) -> str:
        return f"{base}/{path}" if base else path

    entries = [{"id": url(e["path"]) if base else f"urn:justice-crisis-tracker:edition:{e['id']}",
                "title": e["title"], "date": e["date"], "published": _long_date(e["date"]),
                "html_url": url(e["path"] + "index.html"), "changes_url": url(e["path"] + "changes.json"),
                "summary": " ".join(e["summary"]) or "First edition."} for e in index["editions"]]
    return _page("feed.xml", id=url("feed.xml") if base else "urn:justice-crisis-tracker:editions",
                 title=config.site.title, subtitle=" ".join(config.site.description.split()),
                 updated=index["editions"][0]["date"], author=config.site.author, self_url=url("feed.xml"),
                 index_url=url("editions/index.html"), entries=entries)
