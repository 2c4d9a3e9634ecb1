"""Page: what changed in this edition, derived by comparing its processed data with the previous edition's.

It also writes `changes.json` (the same comparison, for machines) to the edition's root, and shows the revision
log of every edition up to this one, each computed from the frozen data in editions/.
"""
from __future__ import annotations

import html
import json

import pandas as pd
from markupsafe import Markup

from .. import editions
from ..config import load_config
from ..files import atomic_write_text
from ..paths import REPO_ROOT
from ..revisions import Changes, Vintage, compare, config_methods
from ..templates import render
from .common import HtmlBlock, html_table, provenance_details

CHANGES_FILE = REPO_ROOT / "_extra" / "changes.json"  # html_extra_path: <edition>/changes.json
MAX_ROWS = 300  # on the page; changes.json has every revision


def _current_vintage(config) -> Vintage:
    context = editions.current_context()
    label = context["id"] if context else "working draft"
    return Vintage(label, REPO_ROOT / config.processed_dir, config_methods(config))


def _frozen_vintage(edition: dict) -> Vintage:
    return Vintage(edition["id"], editions.EDITIONS_DIR / edition["id"] / "data" / "processed",
                   edition.get("methods", {}))


def previous() -> dict | None:
    context = editions.current_context()
    if context:
        return editions.load_edition(context["previous"]) if context.get("previous") else None
    return editions.previous_edition()  # a working draft compares with the newest edition


def compare_with_previous() -> Changes | None:
    """This edition against the one before; writes changes.json. None for a first edition."""
    config = load_config()
    before = previous()
    current = _current_vintage(config)
    changes = compare(_frozen_vintage(before), current, config) if before else None
    payload = json.loads(changes.to_json()) if changes else {"previous": None, "current": current.label,
                                                             "headlines": [], "revisions": [], "tables": []}
    payload["summary"] = summary(changes)
    atomic_write_text(CHANGES_FILE, json.dumps(payload, indent=1, sort_keys=True) + "\n")
    return changes


def summary(changes: Changes | None) -> list[str]:
    if changes is None:
        return ["First edition: nothing earlier to compare with."]
    from ..revisions import summary_lines

    return summary_lines(changes)


def intro(changes: Changes | None) -> HtmlBlock:
    context = editions.current_context()
    this = f"edition {context['id']}" if context else "this working draft"
    if changes is None:
        return HtmlBlock(render("what_changed_intro.html", this=this, before=None))
    return HtmlBlock(render("what_changed_intro.html", this=this, before=previous(), headlines=len(changes.headlines),
                            revised=len(changes.revisions), to_root=_to_root()))


def _to_root() -> str:
    import os

    return "../" * os.environ.get("JCT_PAGE", "book/x").count("/")


def _fmt(value, fmt: str = "{:,.0f}") -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    try:
        return fmt.format(float(value))
    except (TypeError, ValueError):
        return str(value)


def _obs(o: dict | None, fmt: str) -> Markup | str:
    if not o:
        return "—"
    return Markup('{} <span class="jct-period">({})</span>').format(_fmt(o.get("value"), fmt), str(o.get("date")))


def _table(caption: str, head: list[str], rows: list[list[str]]) -> str:
    return html_table(caption, head, rows)


def headlines_table(changes: Changes | None) -> HtmlBlock:
    if changes is None:
        return HtmlBlock("<p>No earlier edition.</p>")
    rows = []
    for h in changes.headlines:
        fmt = h.get("format") or "{:,.0f}"
        reason = Markup('<span class="jct-reason">{}</span>').format(h["reason"])
        if h.get("previous_period_now") is not None:
            reason += Markup("<br><small>The previous edition's figure for {} is now {} (revised).</small>").format(
                str(h["previous"]["date"]), _fmt(h["previous_period_now"], fmt))
        ref = str((h.get("current") or {}).get("ref", ""))
        # The file and row are for whoever checks the figure: folded away, as on every reader page.
        where = Markup(provenance_details(html.escape(ref), "File and row")) if ref else "—"
        rows.append([h["label"], _obs(h.get("previous"), fmt), _obs(h.get("current"), fmt), reason, where])
    return HtmlBlock(_table(f"Headline figures: edition {changes.previous} and {changes.current}",
                            ["Figure", f"Edition {changes.previous}", f"Now ({changes.current})", "Reason",
                             "Where the figure now was read"], rows))


def _revision_rows(revisions: list[dict], limit: int) -> list[list[str]]:
    rows = []
    for r in revisions[:limit]:
        key = ", ".join(f"{k} {v}" for k, v in r.get("key", {}).items())
        rows.append([r["table"], key, str(r["column"]), _fmt(r.get("previous"), "{:,.6g}"),
                     _fmt(r.get("current"), "{:,.6g}"), r["reason"], str(r.get("ref", ""))])
    return rows


REVISION_HEAD = ["Table", "Row", "Column", "Before", "Now", "Reason", "Source now"]


def revisions_table(changes: Changes | None) -> HtmlBlock:
    if changes is None:
        return HtmlBlock("<p>No earlier edition.</p>")
    if not changes.revisions:
        return HtmlBlock(f"<p>No published value for an earlier date changed between edition "
                         f"{html.escape(changes.previous)} and {html.escape(changes.current)}.</p>")
    more = len(changes.revisions) - MAX_ROWS
    note = (f'<p>{more:,} more in <a href="{_to_root()}changes.json">changes.json</a>.</p>' if more > 0 else "")
    return HtmlBlock(_table(f"Revised values, edition {changes.previous} to {changes.current}", REVISION_HEAD,
                            _revision_rows(changes.revisions, MAX_ROWS)) + note)


def tables_summary(changes: Changes | None) -> HtmlBlock:
    if changes is None:
        return HtmlBlock("<p>No earlier edition.</p>")
    rows = []
    for t in changes.tables:
        counts = t.get("reason_counts", {})
        reasons = "; ".join(f"{what} {k}: {v:,}" for what in ("added", "removed", "revised")
                            for k, v in sorted(counts.get(what, {}).items())) or "—"
        rows.append([t["table"], f"{t.get('rows_previous') or 0:,}", f"{t.get('rows_current') or 0:,}",
                     f"{t.get('added', 0):,}", f"{t.get('removed', 0):,}", f"{t.get('revised_cells', 0):,}",
                     str(t.get("latest_previous") or "—"), str(t.get("latest_current") or "—"), reasons])
    return HtmlBlock(_table("Rows added, removed and revised in each table",
                            ["Table", "Rows before", "Rows now", "Added", "Removed", "Revised cells",
                             "Latest before", "Latest now", "Reasons"], rows))


def revision_log() -> HtmlBlock:
    """Every consecutive pair of editions up to this one (and this one against its previous)."""
    config = load_config()
    context = editions.current_context()
    chain = [e for e in editions.list_editions() if not context or e["date"] < context["date"]
             or (e["date"] == context["date"] and e["id"] < context["id"])]
    pairs = []
    current = _current_vintage(config)
    if chain:
        pairs.append((_frozen_vintage(chain[-1]), current))
    for older, newer in zip(chain, chain[1:]):
        pairs.append((_frozen_vintage(older), _frozen_vintage(newer)))
    if not pairs:
        return HtmlBlock("<p>No earlier edition: the log starts with the next one.</p>")
    logged = []
    for before, after in sorted(pairs, key=lambda p: p[1].label, reverse=True):
        changes = compare(before, after, config)
        table = _table(f"Revised values, edition {before.label} to {after.label}", REVISION_HEAD,
                       _revision_rows(changes.revisions, MAX_ROWS)) if changes.revisions else ""
        logged.append({"before": before.label, "after": after.label, "revised": len(changes.revisions),
                       "table": Markup(table)})
    return HtmlBlock(render("what_changed_log.html", pairs=logged))
