"""Checks on a built static site before it is published.

Every check returns a list of problem strings (empty means OK). Each problem starts with the file it
concerns, as a path relative to the site root, and names the offending link or element, e.g.

    chapters/staffing.html: <a href="../missing.html"> target missing.html does not exist (line 12)

The checks:

* :func:`check_links` — every internal reference in the HTML resolves to a file in the site, every
  ``#fragment`` names an ``id`` (or ``<a name>``) in the target page, and scripts and stylesheets are local.
* :func:`check_img_alt` — every ``<img>`` has ``alt``; every ``<svg role="img">`` has an accessible name.
* :func:`file_manifest` / :func:`verify_manifest` — sha256 of every file under a folder, and the comparison.
* :func:`check_editions` — ``editions.json`` and each edition folder with its ``manifest.json``.
* :func:`check_feed` — ``feed.xml`` (Atom) parses and points at files in the site.
* :func:`publish_check` — all of the above.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import posixpath
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.etree as etree

__all__ = [
    "check_links",
    "check_img_alt",
    "file_manifest",
    "verify_manifest",
    "check_editions",
    "check_feed",
    "publish_check",
]

# Schemes that point off the site and are not followed.
EXTERNAL_SCHEMES = frozenset({"http", "https", "mailto", "data", "javascript", "tel"})
# <link rel=...> values whose target the page loads to render (so it must be local for offline use).
LOADED_LINK_RELS = frozenset({"stylesheet", "preload", "modulepreload"})
# Elements and attributes holding references, checked by check_links.
REF_ATTRS = {"a": "href", "link": "href", "script": "src", "img": "src", "source": "src", "iframe": "src"}
HTML_SUFFIXES = (".html", ".htm")

_REMOTE = re.compile(r"^(https?:)?//", re.IGNORECASE)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_REFRESH = re.compile(r"^\s*\d*(?:\.\d*)?\s*[;,]?\s*(?:url\s*=\s*)?(.*)$", re.IGNORECASE | re.DOTALL)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_EDITION_ID = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_COMMIT = re.compile(r"^([0-9a-f]{7,64})?$")


# --------------------------------------------------------------------------------------------------
# Parsing, once per file


@dataclass
class _Ref:
    tag: str
    attr: str
    value: str
    line: int | None
    loads: bool  # a script or stylesheet the page needs to render: must be local

    def describe(self) -> str:
        return f'<{self.tag} {self.attr}="{self.value}">'


@dataclass
class _Page:
    ids: set[str] = field(default_factory=set)
    refs: list[_Ref] = field(default_factory=list)
    alt_problems: list[str] = field(default_factory=list)  # without the file prefix
    error: str | None = None


def _line(el) -> str:
    return f" (line {el.sourceline})" if el.sourceline else ""


def _parse_html(path: Path) -> _Page:
    page = _Page()
    try:
        data = path.read_bytes()
    except OSError as exc:
        page.error = f"cannot be read: {exc}"
        return page
    try:
        data.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = None  # let libxml2 follow the page's own charset declaration
    parser = etree.HTMLParser(encoding=encoding, huge_tree=True, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser) if data.strip() else None
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        page.error = f"cannot be parsed: {exc}"
        return page
    if root is None:
        page.error = "is empty"
        return page

    for el in root.iter(etree.Element):
        attrib = el.attrib
        ident = attrib.get("id")
        if ident is not None:
            page.ids.add(ident)
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if tag == "a" and "name" in attrib:
            page.ids.add(attrib["name"])
        attr = REF_ATTRS.get(tag)
        if attr is not None and attr in attrib:
            rels = set((attrib.get("rel") or "").lower().split()) if tag == "link" else set()
            loads = tag == "script" or bool(rels & LOADED_LINK_RELS)
            page.refs.append(_Ref(tag, attr, attrib[attr].strip(), el.sourceline, loads))
        if tag in ("img", "source") and attrib.get("srcset"):
            for url in _srcset_urls(attrib["srcset"]):
                page.refs.append(_Ref(tag, "srcset", url, el.sourceline, False))
        if tag == "meta" and (attrib.get("http-equiv") or "").strip().lower() == "refresh":
            url = _refresh_url(attrib.get("content") or "")
            if url:
                page.refs.append(_Ref('meta http-equiv="refresh"', "content", url, el.sourceline, False))
        if tag == "img" and "alt" not in attrib:
            page.alt_problems.append(f'<img src="{attrib.get("src", "")}"> has no alt{_line(el)}')
        if tag == "svg" and "img" in (attrib.get("role") or "").lower().split():
            named = (attrib.get("aria-label") or "").strip() or (attrib.get("aria-labelledby") or "").strip()
            if not named:
                named = any(
                    isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "title"
                    and "".join(child.itertext()).strip()
                    for child in el
                )
            if not named:
                desc = " ".join(f'{k}="{attrib[k]}"' for k in ("id", "class") if attrib.get(k))
                page.alt_problems.append(
                    f'<svg role="img"{" " + desc if desc else ""}> has no aria-label, aria-labelledby or <title>'
                    f"{_line(el)}"
                )
    return page


def _srcset_urls(srcset: str) -> list[str]:
    if srcset.strip().lower().startswith("data:"):
        return []
    urls = []
    for candidate in srcset.split(","):
        parts = candidate.split()
        if parts:
            urls.append(parts[0])
    return urls


def _refresh_url(content: str) -> str:
    match = _REFRESH.match(content)
    if not match:
        return ""
    url = match.group(1).strip()
    if len(url) >= 2 and url[0] == url[-1] and url[0] in "'\"":
        url = url[1:-1].strip()
    return url


class _Site:
    """The site root plus caches: parsed HTML pages and file-system look-ups."""

    def __init__(self, site: Path):
        self.root = Path(site).resolve()
        self._pages: dict[str, _Page] = {}
        self._kind: dict[str, str | None] = {}  # rel path -> "file", "dir" or None

    def page(self, rel: str) -> _Page:
        page = self._pages.get(rel)
        if page is None:
            page = self._pages[rel] = _parse_html(self.root / rel)
        return page

    def kind(self, rel: str) -> str | None:
        """"file", "dir", "outside" (a symlink out of the site) or None (missing), cached."""
        if rel not in self._kind:
            path = self.root / rel if rel else self.root
            kind = "dir" if path.is_dir() else "file" if path.is_file() else None
            if kind is not None:
                real = Path(os.path.realpath(path))
                if real != self.root and self.root not in real.parents:
                    kind = "outside"
            self._kind[rel] = kind
        return self._kind[rel]

    def html_pages(self) -> list[str]:
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in self.root.rglob("*")
            if p.suffix.lower() in HTML_SUFFIXES and p.is_file()
        )

    def select(self, pages: Iterable[Path] | None) -> tuple[list[str], list[str]]:
        """Relative paths of the pages to check, plus problems with pages that are not in the site."""
        if pages is None:
            return self.html_pages(), []
        chosen, problems = [], []
        for page in pages:
            path = Path(page)
            if not path.is_absolute():
                path = self.root / path if (self.root / path).exists() or not path.exists() else path.resolve()
            try:
                rel = path.resolve().relative_to(self.root).as_posix()
            except ValueError:
                problems.append(f"{page}: is not inside the site {self.root}")
                continue
            if not path.is_file():
                problems.append(f"{rel}: no such page")
                continue
            chosen.append(rel)
        return chosen, problems


# --------------------------------------------------------------------------------------------------
# Resolving a reference


def _resolve(site: _Site, source_rel: str, value: str) -> tuple[str | None, str | None, str | None]:
    """Resolve a reference found in `source_rel` to (target rel path, fragment, problem).

    Returns (None, None, None) for references that are not followed (other hosts, mailto: ...).
    """
    if value.startswith("//"):
        return None, None, None
    scheme = _SCHEME.match(value)
    if scheme:
        name = scheme.group(1).lower()
        if name in EXTERNAL_SCHEMES:
            return None, None, None
        return None, None, f"uses an unsupported URL scheme {name!r}"
    parts = urlsplit(value)
    path = unquote(parts.path)
    fragment = parts.fragment if "#" in value else None
    if not path:
        target = source_rel
    else:
        base = "" if path.startswith("/") else posixpath.dirname(source_rel)
        joined = posixpath.normpath(posixpath.join(base, path.lstrip("/")))
        if joined == ".." or joined.startswith("../") or posixpath.isabs(joined):
            return None, None, "leaves the site root"
        joined = "" if joined == "." else joined
        kind = site.kind(joined)
        if path.endswith("/") or kind == "dir":
            joined = posixpath.join(joined, "index.html") if joined else "index.html"
            kind = site.kind(joined)
        if kind == "outside":
            return None, None, f"target {joined} is a link that leaves the site root"
        if kind != "file":
            return None, None, f"target {joined} does not exist"
        target = joined
    return target, fragment, None


def _check_fragment(site: _Site, target: str, fragment: str | None) -> str | None:
    if not fragment or not target.lower().endswith(HTML_SUFFIXES):
        return None
    page = site.page(target)
    if page.error:
        return f"target {target} {page.error}"
    decoded = unquote(fragment)
    if fragment in page.ids or decoded in page.ids:
        return None
    if decoded.lower() == "top":  # the HTML spec scrolls to the top of the page for #top
        return None
    return f'no element with id "{decoded}" in {target}'


def _link_problems(site: _Site, rels: list[str]) -> list[str]:
    problems = []
    resolved: dict[tuple[str, str], tuple[str | None, str | None, str | None]] = {}
    fragments: dict[tuple[str, str | None], str | None] = {}
    for rel in rels:
        page = site.page(rel)
        if page.error:
            problems.append(f"{rel}: {page.error}")
            continue
        folder = posixpath.dirname(rel)
        for ref in page.refs:
            value = ref.value
            if ref.loads and _REMOTE.match(value):
                what = "a script" if ref.tag == "script" else "a stylesheet or preloaded resource"
                line = f" (line {ref.line})" if ref.line else ""
                problems.append(f"{rel}: {ref.describe()} loads {what} from another host; "
                                f"the site must work offline{line}")
                continue
            # Same-page references (empty path) depend on the page, all others only on its folder.
            key = (rel if value[:1] in ("", "#", "?") else folder, value)
            if key not in resolved:
                resolved[key] = _resolve(site, rel, value)
            target, fragment, problem = resolved[key]
            if problem is None and target is not None and fragment:
                fkey = (target, fragment)
                if fkey not in fragments:
                    fragments[fkey] = _check_fragment(site, target, fragment)
                problem = fragments[fkey]
            if problem:
                line = f" (line {ref.line})" if ref.line else ""
                problems.append(f"{rel}: {ref.describe()} {problem}{line}")
    return problems


# --------------------------------------------------------------------------------------------------
# Public checks


def check_links(site: Path, pages: Iterable[Path] | None = None, *, _cache: _Site | None = None) -> list[str]:
    """Every internal reference in the site's HTML (or in `pages`) resolves to a file inside the site."""
    s = _cache or _Site(site)
    rels, problems = s.select(pages)
    return problems + _link_problems(s, rels)


def check_img_alt(site: Path, pages: Iterable[Path] | None = None, *, _cache: _Site | None = None) -> list[str]:
    """Every <img> has alt, every <svg role="img"> has aria-label, aria-labelledby or a <title>."""
    s = _cache or _Site(site)
    rels, problems = s.select(pages)
    for rel in rels:
        page = s.page(rel)
        if page.error:
            problems.append(f"{rel}: {page.error}")
        problems.extend(f"{rel}: {p}" for p in page.alt_problems)
    return problems


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def file_manifest(root: Path, exclude: Collection[str] = frozenset({"manifest.json"})) -> dict[str, str]:
    """Relative posix path -> sha256 hex for every file under `root`, sorted by path.

    `exclude` holds relative posix paths (by default the manifest itself at the top of `root`).
    """
    root = Path(root)
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in filenames:
            path = Path(dirpath, name)
            rel = path.relative_to(root).as_posix()
            if rel not in exclude and path.is_file():
                found.append(rel)
    return {rel: _sha256(root / rel) for rel in sorted(found)}


def verify_manifest(root: Path, manifest: dict[str, str], *, _prefix: str = "",
                    _exclude: Collection[str] = frozenset({"manifest.json"})) -> list[str]:
    """Compare the files under `root` with `manifest` (path -> sha256); also accepts {"files": {...}}.

    Reports missing, changed and extra files; paths are relative to `root` (or prefixed with `_prefix`).
    """
    if isinstance(manifest, dict) and isinstance(manifest.get("files"), dict):
        manifest = manifest["files"]
    root = Path(root)
    if not root.is_dir():
        return [f"{_prefix or str(root)}: folder does not exist"]
    actual = file_manifest(root, exclude=_exclude)
    problems = []
    for rel, expected in manifest.items():
        name = f"{_prefix}{rel}"
        norm = posixpath.normpath(rel) if isinstance(rel, str) else ""
        if not isinstance(rel, str) or norm.startswith("../") or norm == ".." or posixpath.isabs(rel):
            problems.append(f"{name}: manifest entry is not a path inside the folder")
        elif rel in _exclude:
            problems.append(f"{name}: the manifest lists itself")
        elif not isinstance(expected, str) or not _HEX64.match(expected):
            problems.append(f"{name}: manifest hash {expected!r} is not a sha256 hex digest")
        elif rel not in actual:
            problems.append(f"{name}: missing (listed in the manifest)")
        elif actual[rel] != expected:
            problems.append(f"{name}: changed (expected {expected[:12]}, actual {actual[rel][:12]})")
    for rel in actual:
        if rel not in manifest:
            problems.append(f"{_prefix}{rel}: extra file not in the manifest")
    return problems


def _load_json(path: Path, label: str) -> tuple[object, str | None]:
    try:
        return json.loads(path.read_bytes()), None
    except FileNotFoundError:
        return None, f"{label}: missing"
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"{label}: invalid JSON: {exc}"


_EDITION_FIELDS: dict[str, tuple[type, ...]] = {
    "id": (str,), "date": (str,), "title": (str,), "path": (str,), "manifest": (str,), "checksum": (str,),
    "previous": (str, type(None)), "code_commit": (str,), "summary": (list,), "releases": (list,),
    "pages": (list,),
}
_RELEASE_FIELDS: dict[str, tuple[type, ...]] = {"table": (str,), "latest_period": (str, type(None)),
                                                "rows": (int,),
                                                "sha256": (str,)}


def _inside(rel: str) -> str | None:
    """Normalised relative path inside the site, or None if it leaves it or is absolute."""
    if posixpath.isabs(rel) or rel.startswith("\\"):
        return None
    norm = posixpath.normpath(rel) if rel else "."
    if norm == ".." or norm.startswith("../"):
        return None
    return "" if norm == "." else norm


def _type_problems(obj: dict, fields: dict[str, tuple[type, ...]], label: str) -> list[str]:
    problems = []
    for key, types in fields.items():
        if key not in obj:
            problems.append(f"{label}: missing key {key!r}")
        elif not isinstance(obj[key], types) or (isinstance(obj[key], bool) and bool not in types):
            names = " or ".join("null" if t is type(None) else t.__name__ for t in types)
            problems.append(f"{label}: {key!r} should be {names}, not {type(obj[key]).__name__}")
    return problems


def check_editions(site: Path) -> list[str]:
    """Validate <site>/editions.json and every edition folder and manifest it names."""
    site = Path(site)
    label = "editions.json"
    data, problem = _load_json(site / label, label)
    if problem:
        return [problem]
    if not isinstance(data, dict):
        return [f"{label}: the top level should be an object"]
    problems = _type_problems(data, {"title": (str,), "latest": (str,), "editions": (list,)}, label)
    editions = data.get("editions") if isinstance(data.get("editions"), list) else []
    if "editions" in data and not editions:
        problems.append(f"{label}: no editions listed")

    good: list[dict] = []  # editions whose fields have the right types
    seen: set[str] = set()
    for i, ed in enumerate(editions):
        if not isinstance(ed, dict):
            problems.append(f"{label}: editions[{i}] should be an object")
            continue
        ident = ed.get("id")
        where = f"{label}: edition {ident}" if isinstance(ident, str) else f"{label}: editions[{i}]"
        bad = _type_problems(ed, _EDITION_FIELDS, where)
        problems.extend(bad)
        if isinstance(ident, str):
            if not _EDITION_ID.match(ident):
                problems.append(f"{where}: id does not match YYYY-MM or YYYY-MM-DD")
            if ident in seen:
                problems.append(f"{where}: duplicate id")
            seen.add(ident)
        date = ed.get("date")
        parsed = None
        if isinstance(date, str):
            try:
                parsed = dt.date.fromisoformat(date) if _ISO_DATE.match(date) else None
            except ValueError:
                parsed = None
            if parsed is None:
                problems.append(f"{where}: date {date!r} is not a valid ISO date (YYYY-MM-DD)")
        if isinstance(ed.get("checksum"), str) and not _HEX64.match(ed["checksum"]):
            problems.append(f"{where}: checksum is not a sha256 hex digest")
        if isinstance(ed.get("code_commit"), str) and not _COMMIT.match(ed["code_commit"]):
            problems.append(f"{where}: code_commit {ed['code_commit']!r} is not a git sha")
        if isinstance(ed.get("summary"), list) and not all(isinstance(s, str) for s in ed["summary"]):
            problems.append(f"{where}: summary should be a list of strings")
        if isinstance(ed.get("pages"), list) and not all(isinstance(s, str) for s in ed["pages"]):
            problems.append(f"{where}: pages should be a list of strings")
        for j, rel in enumerate(ed.get("releases") if isinstance(ed.get("releases"), list) else []):
            rwhere = f"{where}: releases[{j}]"
            if not isinstance(rel, dict):
                problems.append(f"{rwhere} should be an object")
                continue
            problems.extend(_type_problems(rel, _RELEASE_FIELDS, rwhere))
            if isinstance(rel.get("rows"), int) and not isinstance(rel["rows"], bool) and rel["rows"] < 0:
                problems.append(f"{rwhere}: rows is negative")
            if isinstance(rel.get("sha256"), str) and not _HEX64.match(rel["sha256"]):
                problems.append(f"{rwhere}: sha256 is not a sha256 hex digest")
        if not bad and parsed is not None:
            good.append({**ed, "_date": parsed, "_where": where})

    # Order, latest and previous (on the editions whose id and date could be read).
    dated = [(ed.get("id"), _safe_date(ed.get("date")))
             for ed in editions if isinstance(ed, dict) and isinstance(ed.get("id"), str)]
    dated = [(i, d) for i, d in dated if d is not None]
    for (id_a, d_a), (id_b, d_b) in zip(dated, dated[1:]):
        if d_a < d_b:
            problems.append(f"{label}: editions are not sorted newest first: {id_a} ({d_a}) comes before "
                            f"{id_b} ({d_b})")
    latest = data.get("latest")
    if dated and isinstance(latest, str):
        newest = max(d for _, d in dated)
        newest_ids = [i for i, d in dated if d == newest]
        if latest not in newest_ids:
            problems.append(f"{label}: latest is {latest!r} but the newest edition is {newest_ids[0]!r} ({newest})")
    by_id = dict(dated)
    for ed in editions:
        if not isinstance(ed, dict) or not isinstance(ed.get("previous"), str) or ed.get("id") not in by_id:
            continue
        prev = ed["previous"]
        if prev not in by_id:
            problems.append(f"{label}: edition {ed['id']}: previous {prev!r} is not an edition")
        elif not by_id[prev] < by_id[ed["id"]]:
            problems.append(f"{label}: edition {ed['id']}: previous {prev!r} is not older "
                            f"({by_id[prev]} vs {by_id[ed['id']]})")

    for ed in good:
        problems.extend(_check_edition_folder(site, ed))
    return problems


def _safe_date(value) -> dt.date | None:
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _check_edition_folder(site: Path, ed: dict) -> list[str]:
    where, ident = ed["_where"], ed["id"]
    folder_rel = _inside(ed["path"])
    if folder_rel is None:
        return [f"{where}: path {ed['path']!r} is not inside the site"]
    folder = site / folder_rel if folder_rel else site
    shown = f"{folder_rel}/" if folder_rel else "./"
    if not folder.is_dir():
        return [f"{where}: folder {shown} does not exist"]
    problems = []
    manifest_rel = _inside(ed["manifest"])
    if manifest_rel is None:
        return [f"{where}: manifest {ed['manifest']!r} is not inside the site"]
    inner = posixpath.relpath(manifest_rel, folder_rel or ".")
    if inner.startswith("../"):
        problems.append(f"{where}: manifest {manifest_rel} is not inside the edition folder {shown}")
        inner = None
    manifest_path = site / manifest_rel
    if not manifest_path.is_file():
        problems.append(f"{where}: manifest {manifest_rel} does not exist")
        return problems
    actual = _sha256(manifest_path)
    if actual != ed["checksum"]:
        problems.append(f"{manifest_rel}: checksum does not match editions.json for edition {ident} "
                        f"(expected {ed['checksum'][:12]}, actual {actual[:12]})")
    manifest, problem = _load_json(manifest_path, manifest_rel)
    if problem:
        return problems + [problem]
    if not isinstance(manifest, dict):
        return problems + [f"{manifest_rel}: the top level should be an object"]
    if manifest.get("edition") != ident:
        problems.append(f"{manifest_rel}: edition is {manifest.get('edition')!r}, expected {ident!r}")
    files = manifest.get("files")
    if not isinstance(files, dict):
        problems.append(f"{manifest_rel}: 'files' should be an object of path -> sha256")
    elif inner is not None:
        problems.extend(verify_manifest(folder, files, _prefix=f"{folder_rel}/" if folder_rel else "",
                                        _exclude=frozenset({inner})))
    for page in ed["pages"]:
        rel = _inside(page)
        if rel is None or not rel:
            problems.append(f"{where}: page {page!r} is not a file inside the edition folder")
        elif not (folder / rel).is_file():
            full = f"{folder_rel}/{rel}" if folder_rel else rel
            problems.append(f"{full}: missing (listed in pages of edition {ident})")
    return problems


def check_feed(site: Path, site_url: str = "") -> list[str]:
    """Validate <site>/feed.xml: it parses, has title/id/updated, one entry per edition, links into the site."""
    import feedparser

    site = Path(site)
    label = "feed.xml"
    path = site / label
    if not path.is_file():
        return [f"{label}: missing"]
    parsed = feedparser.parse(path.read_bytes())
    problems = []
    if parsed.get("bozo"):
        problems.append(f"{label}: not a well-formed feed: {parsed.get('bozo_exception')!r}")
    feed = parsed.get("feed", {})
    for key in ("title", "id", "updated"):
        if not str(feed.get(key) or "").strip():
            problems.append(f"{label}: the feed has no {key}")
    entries = parsed.get("entries", [])
    data, problem = _load_json(site / "editions.json", "editions.json")
    if problem:
        problems.append(f"{label}: cannot compare entries with editions ({problem})")
    elif isinstance(data, dict) and isinstance(data.get("editions"), list):
        if len(entries) != len(data["editions"]):
            problems.append(f"{label}: {len(entries)} entries but editions.json lists "
                            f"{len(data['editions'])} editions")
    s = _Site(site)
    prefix = site_url.rstrip("/") + "/" if site_url else ""
    for i, entry in enumerate(entries):
        name = entry.get("id") or entry.get("title") or f"#{i + 1}"
        where = f"{label}: entry {name}"
        for key in ("id", "title", "updated", "summary"):
            if not str(entry.get(key) or "").strip():
                problems.append(f"{where}: no {key}")
        href = _entry_href(entry)
        if not href:
            problems.append(f"{where}: no link")
            continue
        rel = href
        if re.match(r"^([A-Za-z][A-Za-z0-9+.\-]*:|//)", href):
            if prefix and href.startswith(prefix):
                rel = href[len(prefix):]
            elif prefix and href == prefix.rstrip("/"):
                rel = ""
            else:
                problems.append(f'{where}: link "{href}" is not under the site URL '
                                f"{site_url or '(none given)'}")
                continue
        if not rel or rel.startswith(("#", "?")):
            rel = "./" + rel
        target, fragment, problem = _resolve(s, "feed.xml", rel)
        if problem is None and target is not None:
            problem = _check_fragment(s, target, fragment)
        if problem:
            problems.append(f'{where}: link "{href}" {problem}')
    return problems


def _entry_href(entry) -> str:
    for link in entry.get("links", []) or []:
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link["href"].strip()
    return (entry.get("link") or "").strip()


def publish_check(site: Path, site_url: str = "") -> list[str]:
    """All the checks: links and image alt text across every HTML page (root pages and every edition
    folder), editions.json with the edition manifests, and feed.xml."""
    cache = _Site(site)
    return (
        check_links(site, _cache=cache)
        + check_img_alt(site, _cache=cache)
        + check_editions(site)
        + check_feed(site, site_url)
    )
