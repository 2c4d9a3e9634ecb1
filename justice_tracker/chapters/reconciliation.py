"""Page: cross-source reconciliation. Every check, its tolerance, and every date where sources disagree."""
from __future__ import annotations

import pandas as pd

from ..charts import data_table_html, fmt_date
from ..config import TrackerConfig, load_config
from ..reconcile import reconcile, summary
from ..tables import DISAGREEMENTS_FILE, read_text_table
from .common import HtmlBlock, table_region


def config() -> TrackerConfig:
    return load_config()


def results(config: TrackerConfig) -> pd.DataFrame:
    return reconcile(config)


def summary_table(results: pd.DataFrame) -> HtmlBlock:
    s = summary(results).copy()
    s["from"] = s["from"].map(fmt_date)
    s["to"] = s["to"].map(fmt_date)
    s = s[["check_id", "description", "from", "to", "compared", "match", "mismatch", "no_counterpart",
           "largest_difference", "tolerance"]]
    s.columns = ["Check", "What is compared", "From", "To", "Dates compared", "Agree", "Differ",
                 "No counterpart", "Largest difference", "Tolerance"]
    caption = "Reconciliation checks: one row per pair of sources"
    return HtmlBlock(table_region(data_table_html(s, caption), caption))


def mismatches(results: pd.DataFrame) -> HtmlBlock:
    bad = results[results["status"] == "mismatch"].copy()
    if bad.empty:
        return HtmlBlock("<p>Every compared date agrees within its tolerance.</p>")
    bad = bad[["check_id", "date", "value_a", "ref_a", "value_b", "ref_b", "difference"]]
    bad.columns = ["Check", "Date", "Value A", "Row A", "Value B", "Row B", "Difference (A - B)"]
    caption = f"Dates where two sources differ by more than the tolerance ({len(bad)})"
    return HtmlBlock(table_region(data_table_html(bad, caption), caption))


def disagreements(config: TrackerConfig) -> HtmlBlock:
    """Where an official file parsed here and a third party's parse give the same period and differ: the official
    figure is the one the book uses; both are listed, never overwritten silently."""
    path = config.processed_folder / DISAGREEMENTS_FILE
    frame = read_text_table(path) if path.exists() else pd.DataFrame()
    if frame.empty:
        return HtmlBlock("<p>No period is given differently by an official file parsed here and a third party's "
                         "parse.</p>")
    t = frame[["table_id", "period", "key", "column", "kept_value", "kept_file", "kept_ref", "other_value",
               "other_file", "other_ref"]].copy()
    t.columns = ["Table", "Period", "Row", "Figure", "Value used", "Official file", "Where in it", "Other value",
                 "Other file", "Where in it (other)"]
    caption = f"Figures an official file and a third party's parse give differently ({len(t):,})"
    return HtmlBlock(table_region(data_table_html(t, caption), caption))


def full_table(results: pd.DataFrame) -> HtmlBlock:
    t = results[["check_id", "date", "source_a", "value_a", "ref_a", "source_b", "value_b", "ref_b",
                 "difference", "status"]].copy()
    t.columns = ["Check", "Date", "Source A", "Value A", "Row A", "Source B", "Value B", "Row B", "Difference",
                 "Status"]
    return HtmlBlock(
        f'<details class="jct-chart-data"><summary>Every comparison ({len(t):,} rows)</summary>'
        f'<div class="jct-table-scroll" tabindex="0" role="region" aria-label="Every comparison">'
        f'{data_table_html(t, "Every reconciliation comparison")}</div></details>')
