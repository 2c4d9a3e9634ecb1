"""Index of prisons: every establishment in the monthly per-prison tables, most crowded first, with a link to its
page. Computed from the processed table `prisons`.

The table is sorted in the HTML by crowding (highest first), so it reads the same with JavaScript off; a small
inline script makes each column heading a sort button (no external file, nothing from a CDN). Above the tables, a
finder shown by its own inline script filters the rows by name, status, operator and function, and draws the
crowding of the prisons a reader ticks on one chart, from a JSON file the page writes next to the chart files.
"""
from __future__ import annotations

import html
import json
import math

import pandas as pd

from ..charts import CHARTS_DIR, chart_files_prefix
from ..files import atomic_write_text
from ..tables import load_table, load_table_text
from ..config import TrackerConfig, load_config
from ..templates import render
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


def _row_attrs(row: pd.Series) -> str:
    """What the finder filters on, as data attributes of the row (escaped: names come from the data)."""
    def attr(name: str, value) -> str:
        text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
        return f' data-{name}="{html.escape(text, quote=True)}"'
    return (attr("key", row["prison_key"]) + attr("name", row["prison_name"]) + attr("status", row["status"])
            + attr("operator", row["operator"]) + attr("function", row["predominant_function"]))


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
    body = "".join(f"<tr{_row_attrs(r)}>" + "".join(_cell(r, c, n, names) for _, c, n in COLUMNS) + "</tr>"
                   for _, r in rows.iterrows())
    caption = CAPTIONS[status] + " Select a column heading to sort by it."
    return (f'<div class="jct-table-scroll" tabindex="0" role="region" aria-label="{html.escape(caption, quote=True)}">'
            f'<table class="jct-data-table jct-sortable jct-prisons-table" id="{table_id}"><caption>{html.escape(caption)}</caption>'
            f"<thead><tr>{''.join(head)}</tr></thead><tbody>{body}</tbody></table></div>"
            f'<p id="{table_id}-none" hidden>No prison in this table matches the search.</p>'
            f'<p class="jct-sort-status" id="{table_id}-status" aria-live="polite">Sorted by crowding %, '
            "descending.</p>"
            f"<script>{SORTER_JS % (table_id, table_id)}</script>")


def table(prisons: pd.DataFrame, status: str | None = None) -> HtmlBlock:
    return HtmlBlock(table_html(prisons, status))


# Where the finder's compare chart reads its data: one small JSON file next to the chart files, written when the page
# is executed and declared as an output of the page (data-jct-file) so the build runs the page again if it is gone.
COMPARE_DIR, COMPARE_NAME = "prisons-index", "crowding-by-month.json"
COMPARE_FILE = f"{COMPARE_DIR}/{COMPARE_NAME}"


def monthly_crowding(config: TrackerConfig) -> pd.DataFrame:
    """Per prison and month: population as % of In Use CNA, from both monthly parses (as each prison's page)."""
    columns = ["prison_key", "population", "in_use_cna"]
    legacy = load_table(config, "monthly_establishments_legacy", columns=["bulletin_month"] + columns).rename(
        columns={"bulletin_month": "month"})
    recent = load_table(config, "monthly_establishments", columns=["month"] + columns)
    both = pd.concat([legacy, recent], ignore_index=True)
    for c in ("population", "in_use_cna"):
        both[c] = pd.to_numeric(both[c], errors="coerce")
    in_use = both["in_use_cna"].where(both["in_use_cna"] > 0)
    both["crowding_pct"] = (both["population"] / in_use * 100).round(1)
    return both[["prison_key", "month", "crowding_pct"]].sort_values(["prison_key", "month"]).reset_index(drop=True)


def compare_data(prisons: pd.DataFrame, monthly: pd.DataFrame) -> dict:
    """Every month from the first to the last as a list, and each prison's crowding % from its first month with a
    figure (null where a month has none, so a line breaks over the months with no bulletin parse)."""
    months = pd.period_range(monthly["month"].min(), monthly["month"].max(), freq="M").strftime("%Y-%m").tolist()
    index = {m: i for i, m in enumerate(months)}
    out = {}
    names = dict(zip(prisons["prison_key"], prisons["prison_name"]))
    for key, rows in monthly.dropna(subset=["crowding_pct"]).groupby("prison_key", sort=True):
        if key not in names:
            continue
        at = [index[m] for m in rows["month"]]
        values: list = [None] * (max(at) - min(at) + 1)
        for i, v in zip(at, rows["crowding_pct"]):
            values[i - min(at)] = float(v)
        out[key] = {"name": names[key], "start": min(at), "crowding": values}
    return {"months": months, "prisons": out}


def write_compare_data(data: dict) -> str:
    """Write the compare chart's data file; returns its address from this page."""
    atomic_write_text(CHARTS_DIR / COMPARE_FILE, json.dumps(data, separators=(",", ":"), sort_keys=True),
                      durable=False)
    return chart_files_prefix(COMPARE_DIR) + COMPARE_NAME


def empty_spans(data: dict) -> list[tuple[str, str]]:
    """Runs of months (first, last) in which no prison has a figure: where every line breaks."""
    covered = set()
    for p in data["prisons"].values():
        covered.update(p["start"] + i for i, v in enumerate(p["crowding"]) if v is not None)
    spans, start = [], None
    for i, month in enumerate(data["months"]):
        if i not in covered and start is None:
            start = i
        if i in covered and start is not None:
            spans.append((data["months"][start], data["months"][i - 1]))
            start = None
    return spans


# Vanilla JS, inline: shows the finder (hidden without JavaScript, so the full tables show), filters the rows of
# both tables by name, status, operator and function, says in a live region how many match, and adds a tick box
# to each prison's name; ticking two or more draws their crowding on one chart with the vendored Vega.
FINDER_JS = r"""(function(){var box=document.getElementById('jct-finder');if(!box)return;box.hidden=false;
function $(i){return document.getElementById(i);}
var q=$('jct-find-name'),fs=$('jct-find-status'),fo=$('jct-find-operator'),ff=$('jct-find-function'),out=$('jct-find-count');
var tables=Array.prototype.slice.call(document.querySelectorAll('table.jct-prisons-table'));
function norm(s){return (s||'').toLowerCase().normalize('NFD').replace(/[̀-ͯ]/g,'').replace(/\s+/g,' ').trim();}
function apply(){var n=norm(q.value),c=0;tables.forEach(function(t){var k=0;
Array.prototype.forEach.call(t.tBodies[0].rows,function(r){var ok=(!n||norm(r.getAttribute('data-name')).indexOf(n)>=0)
&&(!fs.value||r.getAttribute('data-status')===fs.value)&&(!fo.value||r.getAttribute('data-operator')===fo.value)
&&(!ff.value||r.getAttribute('data-function')===ff.value);r.style.display=ok?'':'none';if(ok){c++;k++;}});
var e=$(t.id+'-none');if(e)e.hidden=k>0;});out.textContent=c===1?'1 prison matches.':c+' prisons match.';}
q.addEventListener('input',apply);[fs,fo,ff].forEach(function(s){s.addEventListener('change',apply);});
box.addEventListener('submit',function(ev){ev.preventDefault();apply();});
var panel=$('jct-compare'),view=$('jct-compare-view'),say=$('jct-compare-status'),data=null,picked=[];
var jumps=tables.map(function(t){var p=document.createElement('p');p.className='jct-compare-jump';p.hidden=true;
var a=document.createElement('a');a.href='#jct-compare';p.appendChild(a);var w=t.parentNode;w.parentNode.insertBefore(p,w);return p;});
function draw(){jumps.forEach(function(p){p.hidden=picked.length<2;p.firstChild.textContent='See the chart of the '+picked.length+' ticked prisons';});
if(picked.length<2){view.innerHTML='';view.removeAttribute('data-series');
say.textContent=picked.length?'Tick one more prison to compare.':'Tick two or more prisons in the tables to compare their crowding.';return;}
if(!window.vegaEmbed){say.textContent='The chart could not be drawn; each prison’s own page has its figures.';return;}
function go(d){var vals=[];picked.forEach(function(k){var p=d.prisons[k];if(!p)return;var seg=0;
p.crowding.forEach(function(v,i){if(v===null){seg++;return;}vals.push({prison:p.name,month:d.months[p.start+i],crowding:v,run:k+'-'+seg});});});
var names=picked.map(function(k){return d.prisons[k]?d.prisons[k].name:k;});
var spec={$schema:'https://vega.github.io/schema/vega-lite/v5.json',width:'container',height:260,
description:'Crowding, population as % of In Use CNA, by month: '+names.join(', '),
layer:[{data:{values:vals},mark:{type:'line',strokeWidth:1.5,point:{filled:true,size:10}},encoding:{x:{field:'month',type:'temporal',timeUnit:'yearmonth',title:null},
y:{field:'crowding',type:'quantitative',title:'Crowding (% of In Use CNA)'},color:{field:'prison',type:'nominal',title:'Prison',sort:names,
legend:{orient:'bottom',columns:2}},detail:{field:'run'},tooltip:[{field:'prison'},{field:'month',type:'temporal',timeUnit:'yearmonth',title:'Month'},{field:'crowding',title:'Crowding %'}]}},
{data:{values:[{y:100}]},mark:{type:'rule',strokeDash:[4,4],color:'#6b6b6b'},encoding:{y:{field:'y',type:'quantitative'}}}]};
vegaEmbed(view,spec,{actions:false,renderer:'svg'}).then(function(){var svg=view.querySelector('svg');
if(svg){svg.setAttribute('role','img');svg.setAttribute('aria-label',spec.description);}
view.setAttribute('data-series',String(names.length));say.textContent='Comparing '+names.join(', ')+'.';})
.catch(function(e){say.textContent='The chart could not be drawn.';console.error('compare: '+e);});}
if(data){go(data);return;}say.textContent='Loading…';
fetch(panel.getAttribute('data-src')).then(function(r){if(!r.ok)throw new Error(r.status);return r.json();})
.then(function(d){data=d;go(d);}).catch(function(e){say.textContent='The figures for the chart could not be loaded; each prison’s own page has them.';console.error('compare: '+e);});}
tables.forEach(function(t){Array.prototype.forEach.call(t.tBodies[0].rows,function(r){var th=r.cells[0],a=th.querySelector('a');
var l=document.createElement('label');l.className='jct-compare-pick';var cb=document.createElement('input');cb.type='checkbox';
cb.value=r.getAttribute('data-key');var sp=document.createElement('span');sp.className='jct-visually-hidden';
sp.textContent='Compare '+(a?a.textContent:r.getAttribute('data-name'));l.appendChild(cb);l.appendChild(sp);th.insertBefore(l,th.firstChild);
cb.addEventListener('change',function(){var i=picked.indexOf(cb.value);if(cb.checked&&i<0)picked.push(cb.value);
if(!cb.checked&&i>=0)picked.splice(i,1);draw();});});});
$('jct-compare-clear').addEventListener('click',function(){picked=[];
Array.prototype.forEach.call(document.querySelectorAll('.jct-compare-pick input'),function(c){c.checked=false;});draw();});
panel.hidden=false;apply();})();"""


def gap_text(data: dict) -> str:
    spans = empty_spans(data)
    if not spans:
        return ""
    words = [_month(a) if a == b else f"{_month(a)} to {_month(b)}" for a, b in spans]
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return f" The tracker has no per-prison figures for {listed}, so the lines break there."


def finder_html(prisons: pd.DataFrame, compare_src: str, gaps: str = "") -> str:
    """The search box, filters and compare panel (hidden until the script shows them), placed above the tables."""
    statuses = [s for s in ["open"] + NOT_OPEN if (prisons["status"] == s).any()]
    functions = sorted(f for f in prisons["predominant_function"].dropna().unique() if f)
    filters = [("status", "Status", [(s, STATUS_LABELS.get(s, s)) for s in statuses]),
               ("operator", "Operator", [("public", "Public"), ("private", "Private (contracted out)")]),
               ("function", "Function (2016-17 register)", [(f, f) for f in functions])]
    return render("prison_finder.html", filters=filters, compare_src=compare_src, compare_file=COMPARE_FILE,
                  gaps=gaps.strip())


def finder(config: TrackerConfig, prisons: pd.DataFrame) -> HtmlBlock:
    data = compare_data(prisons, monthly_crowding(config))
    return HtmlBlock(finder_html(prisons, write_compare_data(data), gap_text(data)))


def finder_script() -> HtmlBlock:
    """After both tables, so the rows it filters are in the page."""
    return HtmlBlock(f"<script>{FINDER_JS}</script>")


def sources(config: TrackerConfig) -> HtmlBlock:
    own = ("<p>Figures for January 2011 to May 2016 are the Justice Crisis Tracker's own parse of the Ministry of "
           "Justice's monthly bulletins (Open Government Licence v3.0); those from March 2018 are Walk Forward "
           "Research's parse of the later MoJ files (CC BY 4.0). The statistics are the Ministry of Justice's.</p>")
    return HtmlBlock(own + attribution_html(config, SOURCES))
