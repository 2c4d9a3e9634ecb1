"""Index of prisons: every establishment in the monthly per-prison tables, most crowded first, with a link to its
page. Computed from the processed table `prisons`.

The table is sorted in the HTML by crowding (highest first), so it reads the same with JavaScript off; a small
inline script makes each column heading a sort button (no external file, nothing from a CDN).
"""
from __future__ import annotations

import html
import math

import pandas as pd

from ..tables import load_table_text
from ..config import TrackerConfig, load_config
from .common import HtmlBlock, attribution_html

PRISONS = "prisons"
SOURCES = ["wfr-monthly", "moj-monthly-legacy", "prison-register", "prison-register-codes", "wfr-prison-changes"]
THRESHOLDS = (100, 120, 150)
TABLE_ID = "jct-prisons"

# (heading, column, numeric). Numeric columns sort as numbers; blanks always sort last.
COLUMNS = [("Prison", "prison_name", False), ("Status", "status", False), ("Operator", "operator", False),
           ("Function (2016-17)", "predominant_function", False), ("Population", "population", True),
           ("Operational capacity", "op_cap", True), ("In Use CNA", "in_use_cna", True),
           ("Crowding %", "crowding_pct", True), ("Places out of use", "cells_out_of_use", True),
           ("Last month", "last_month", False)]
DEFAULT_SORT = "crowding_pct"

# Vanilla JS, inline (under 1.5 KB): a click or Enter/Space on a heading's button sorts the rows; aria-sort moves
# to that heading and a live region says what the table is sorted by.
SORTER_JS = """(function(){var t=document.getElementById('%s');if(!t)return;
var hs=t.tHead.rows[0].cells,st=document.getElementById('%s-status');
Array.prototype.forEach.call(hs,function(th,i){var b=th.querySelector('button');if(!b)return;
b.addEventListener('click',function(){var asc=th.getAttribute('aria-sort')!=='ascending',num=th.hasAttribute('data-num');
Array.prototype.forEach.call(hs,function(h){h.removeAttribute('aria-sort');var a=h.querySelector('.jct-sort-arrow');if(a)a.textContent='';});
th.setAttribute('aria-sort',asc?'ascending':'descending');th.querySelector('.jct-sort-arrow').textContent=asc?' \\u25B2':' \\u25BC';
var tb=t.tBodies[0],rs=Array.prototype.slice.call(tb.rows);
rs.sort(function(r,s){var x=r.cells[i].getAttribute('data-v'),y=s.cells[i].getAttribute('data-v');
if(x===''||y==='')return x===y?0:(x===''?1:-1);var d=num?parseFloat(x)-parseFloat(y):x.localeCompare(y);return asc?d:-d;});
rs.forEach(function(r){tb.appendChild(r);});
if(st)st.textContent='Sorted by '+b.textContent.replace(/[\\u25B2\\u25BC]/g,'').trim()+', '+(asc?'ascending':'descending')+'.';});});})();"""


def config() -> TrackerConfig:
    return load_config()


def load(config: TrackerConfig) -> pd.DataFrame:
    frame = load_table_text(config, PRISONS)
    for _, column, numeric in COLUMNS:
        if numeric:
            frame[column] = pd.to_numeric(frame[column].replace("", None))
    return frame


def sorted_rows(prisons: pd.DataFrame) -> pd.DataFrame:
    """Most crowded first; establishments with no crowding figure last, then by name."""
    return prisons.assign(_blank=prisons["crowding_pct"].isna(), _name=prisons["prison_name"].str.lower()).sort_values(
        ["_blank", "crowding_pct", "_name"], ascending=[True, False, True], kind="stable").drop(
        columns=["_blank", "_name"]).reset_index(drop=True)


STATUS_LABELS = {"open": "Open", "temporarily closed": "Temporarily closed", "closed": "Closed",
                 "merged": "Merged", "no longer reported": "No longer reported separately"}
NOT_OPEN = ["temporarily closed", "closed", "merged", "no longer reported"]


def _when(value: str) -> str:
    """'2024-07-25' -> '25 July 2024'; '2016-06' -> 'June 2016'; '2011' -> '2011'."""
    parts = str(value).split("-")
    if len(parts) == 1:
        return str(value)
    text = _month("-".join(parts[:2]))
    return f"{int(parts[2])} {text}" if len(parts) == 3 else text


def status_label(row: pd.Series, names: dict[str, str] | None = None) -> str:
    """'Open', 'Temporarily closed since 25 July 2024', 'Merged into Humber (April 2014)', ..."""
    status = row["status"]
    if status == "open":
        return "Open"
    if status == "merged":
        into = (names or {}).get(row["status_into"], row["status_into"])
        return f"Merged into {into} ({_when(row['status_since'])})"
    if status == "no longer reported":
        return f"No longer reported separately (last {_month(row['last_month'])})"
    return f"{STATUS_LABELS[status]} since {_when(row['status_since'])}"


def crowding_counts(prisons: pd.DataFrame) -> dict:
    """Among open establishments (in the latest bulletin and holding people): how many are over each share of
    In Use CNA."""
    open_ = prisons[prisons["status"] == "open"]
    with_figure = open_.dropna(subset=["crowding_pct"])
    counts = {t: int((with_figure["crowding_pct"] > t).sum()) for t in THRESHOLDS}
    in_use = with_figure["in_use_cna"].sum()
    return {
        "open": len(open_),
        "with_figure": len(with_figure),
        "no_figure": sorted(open_.loc[open_["crowding_pct"].isna(), "prison_name"]),
        "over": counts,
        "estate_pct": round(float(with_figure["population"].sum()) / float(in_use) * 100, 1) if in_use else None,
        "latest_month": str(open_["last_month"].max()) if len(open_) else "",
        "in_latest": int((prisons["in_latest"] == "yes").sum()),
        "empty": prisons[(prisons["in_latest"] == "yes") & (prisons["status"] != "open")],
        "worst": sorted_rows(with_figure).head(3)[["prison_name", "crowding_pct"]].values.tolist(),
    }


def _month(month: str) -> str:
    return pd.Timestamp(f"{month}-01").strftime("%B %Y")


def summary_text(prisons: pd.DataFrame) -> str:
    c = crowding_counts(prisons)
    over = c["over"]
    text = (f"{c['in_latest']} establishments are in the latest monthly bulletin ({_month(c['latest_month'])})")
    if len(c["empty"]):
        text += ("; " + "; ".join(f"{r['prison_name']}, {status_label(r)[0].lower() + status_label(r)[1:]}, "
                                  "held no one"
                                  for _, r in c["empty"].iterrows())
                 + f", so {c['open']} are open")
    text += (f". Of the {c['with_figure']} open establishments with a population and places in use, {over[100]} held more people than their "
            f"In Use CNA (over 100%), {over[120]} were over 120% and {over[150]} over 150%.")
    if c["estate_pct"] is not None:
        text += f" Together they held {c['estate_pct']:.1f}% of their In Use CNA."
    if c["worst"]:
        text += " The most crowded: " + "; ".join(f"{n} ({p:.1f}%)" for n, p in c["worst"]) + "."
    if c["no_figure"]:
        text += (" No crowding figure for " + ", ".join(c["no_figure"])
                 + " (no places in use or no population in the latest bulletin).")
    counts = prisons["status"].value_counts()
    parts = [f"{int(counts[s])} {STATUS_LABELS[s].lower()}" for s in NOT_OPEN if counts.get(s, 0)]
    text += (f" A second table lists the {int(counts.drop('open', errors='ignore').sum())} that are not open ("
             + ", ".join(parts) + "), with the last figures each reported.")
    return text


def summary(prisons: pd.DataFrame) -> HtmlBlock:
    return HtmlBlock(f'<p class="jct-summary">{html.escape(summary_text(prisons))}</p>')


def _cell(row: pd.Series, column: str, numeric: bool, names: dict[str, str] | None = None) -> str:
    value = row[column]
    blank = value is None or (isinstance(value, float) and math.isnan(value)) or value == ""
    if column == "prison_name":
        key = str(row["prison_key"])
        shown = f'<a href="{html.escape(key, quote=True)}.html">{html.escape(str(value))}</a>'
        return f'<th scope="row" data-v="{html.escape(str(value).lower(), quote=True)}">{shown}</th>'
    if blank:
        return '<td data-v="">—</td>'
    if numeric:
        shown = f"{value:.1f}" if column == "crowding_pct" else f"{int(value):,}"
        return f'<td class="jct-num" data-v="{value}">{shown}</td>'
    if column == "status":
        mark = "" if value == "open" else ' class="jct-status-mark"'
        return (f'<td data-v="{html.escape(str(value), quote=True)}"><span{mark}>'
                f"{html.escape(status_label(row, names))}</span></td>")
    return f'<td data-v="{html.escape(str(value).lower(), quote=True)}">{html.escape(str(value))}</td>'


CAPTIONS = {
    "open": "Open establishments (in the latest monthly bulletin and holding people), most crowded first "
            "(population as % of In Use CNA).",
    "closed": ("Establishments that are not open (temporarily closed, closed, merged into another, or rows no longer "
               "reported separately), most crowded first in the last month each was reported; their figures are "
               "their last, not current."),
    None: "Every establishment in the monthly per-prison figures, 2011-2026, most crowded first.",
}


def table_html(prisons: pd.DataFrame, status: str | None = None) -> str:
    """One sortable table: the open establishments ('open'), those not open ('closed': temporarily closed,
    closed, merged, no longer reported), or all of them."""
    if status is None:
        chosen = prisons
    else:
        chosen = prisons[(prisons["status"] == "open") == (status == "open")]
    names = dict(zip(prisons["prison_key"], prisons["prison_name"]))
    rows = sorted_rows(chosen)
    table_id = f"{TABLE_ID}-{status or 'all'}"
    head = []
    for label, column, numeric in COLUMNS:
        attrs = ' data-num=""' if numeric else ""
        arrow = ""
        if column == DEFAULT_SORT:
            attrs += ' aria-sort="descending"'
            arrow = " \u25BC"
        head.append(f'<th scope="col"{attrs}><button type="button" class="jct-sort">{html.escape(label)}'
                    f'<span class="jct-sort-arrow" aria-hidden="true">{arrow}</span></button></th>')
    body = "".join("<tr>" + "".join(_cell(r, c, n, names) for _, c, n in COLUMNS) + "</tr>"
                   for _, r in rows.iterrows())
    caption = CAPTIONS[status] + " Select a column heading to sort by it."
    return (f'<div class="jct-table-scroll" tabindex="0" role="region" aria-label="{html.escape(caption, quote=True)}">'
            f'<table class="jct-data-table jct-sortable" id="{table_id}"><caption>{html.escape(caption)}</caption>'
            f"<thead><tr>{''.join(head)}</tr></thead><tbody>{body}</tbody></table></div>"
            f'<p class="jct-sort-status" id="{table_id}-status" aria-live="polite">Sorted by crowding %, '
            "descending.</p>"
            f"<script>{SORTER_JS % (table_id, table_id)}</script>")


def table(prisons: pd.DataFrame, status: str | None = None) -> HtmlBlock:
    return HtmlBlock(table_html(prisons, status))


def sources(config: TrackerConfig) -> HtmlBlock:
    own = ("<p>Figures for January 2011 to May 2016 are the Justice Crisis Tracker's own parse of the Ministry of "
           "Justice's monthly bulletins (Open Government Licence v3.0); those from March 2018 are Walk Forward "
           "Research's parse of the later MoJ files (CC BY 4.0). The statistics are the Ministry of Justice's.</p>")
    return HtmlBlock(own + attribution_html(config, SOURCES))
