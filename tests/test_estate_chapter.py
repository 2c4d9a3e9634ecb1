"""The estate chapter: its two tables re-derive exactly from the raw files, carry provenance back to them and fail
loudly on bad input; every figure the page shows is computed from the tables or the curated facts."""
from __future__ import annotations

import json
import re
import shutil

import nbformat
import pandas as pd
import pytest

from justice_tracker.chapters import estate as chapter
from justice_tracker import charts as chart_files
from justice_tracker.files import sha256_file
from justice_tracker.ingest import IngestError, build_tables, table_csv_text
from justice_tracker.ingest import estate as ingest
from justice_tracker.ingest.monthly import build_monthly_establishments
from justice_tracker.paths import REPO_ROOT
from support.chart_specs import only_spec

TABLES = ["prison_changes", "cells_out_of_use_estate"]
UPSTREAM = ["monthly_establishments", "monthly_establishments_legacy", "monthly_totals_legacy"]


@pytest.fixture(scope="module")
def rebuilt(config, shared_raw):
    # Only the chapter's tables: the estate builder then builds the tables it derives from with their own builders.
    # The two legacy tables parse the same 50 bulletins; here they are parsed once, to keep the test fast.
    from justice_tracker.ingest import legacy_monthly

    cfg = config.model_copy(update={"raw_dirs": [str(shared_raw)]})
    original, cache = legacy_monthly._parsed_files, {}

    def parse_once(config, table):
        key = tuple(table.sources)
        if key not in cache:
            cache[key] = original(config, table)
        return cache[key]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(legacy_monthly, "_parsed_files", parse_once)
        return build_tables(cfg, only=TABLES)


@pytest.fixture(scope="module")
def data(config):
    return chapter.load(config, "cells_out_of_use_estate", "monthly_establishments", "prison_changes")


@pytest.fixture(scope="module")
def charts(data, config):
    return {"maintenance-backlog": chapter.backlog_chart(data, config).html,
            "cells-out-of-use": chapter.cells_chart(data, config).html,
            "prison-openings-closures": chapter.changes_chart(data, config).html,
            "places-promised-delivered": chapter.places_chart(data, config).html}


def _processed(config, table_id):
    return pd.read_csv(config.processed_path(table_id), dtype={"row_ref": str}, keep_default_na=True)


# The tables ------------------------------------------------------------------------------------------------------

def test_tables_rederive_byte_identically_from_the_shared_raw_files(config, rebuilt):
    assert set(rebuilt) == set(TABLES)
    for tid in TABLES:
        assert table_csv_text(rebuilt[tid]) == config.processed_path(tid).read_text(encoding="utf-8"), tid


def test_prison_changes_rows_point_at_their_raw_lines(config, shared_raw):
    raw = shared_raw / "processed-prisoncap" / "prison_change_log.csv"
    changes = _processed(config, "prison_changes").fillna({"month": ""})
    lines = raw.read_text(encoding="utf-8").splitlines()
    assert len(changes) == len(lines) - 1
    assert set(changes["raw_sha256"]) == {sha256_file(raw)}
    assert set(changes["source_file"]) == {"processed-prisoncap/prison_change_log.csv"}
    months = {m: i for i, m in enumerate(["January", "February", "March", "April", "May", "June", "July", "August",
                                          "September", "October", "November", "December"], start=1)}
    import csv
    for _, row in changes.iterrows():
        n = int(row["row_ref"].split()[1])
        establishment, month, year, change = next(csv.reader([lines[n - 1]]))
        assert row["establishment"] == establishment and row["year"] == int(year)
        assert row["change"] == " ".join(change.split())
        assert row["month"] == (f"{year}-{months[month]:02d}" if month else "")
    assert set(changes["change_kind"]) == set(ingest.CHANGE_KINDS)
    assert (changes.loc[changes["temporary"], "change"].str.contains("emporarily")).all()
    millsike = changes[changes["establishment"] == "Millsike"].iloc[0]
    assert (millsike["change_kind"], millsike["month"]) == ("opened", "2025-04")


def test_estate_totals_are_the_sums_of_the_rows_they_name(config):
    estate = _processed(config, "cells_out_of_use_estate").fillna({"published_total_ref": ""})
    totals = _processed(config, "monthly_totals_legacy").set_index("bulletin_month")
    assert (estate["cells_out_of_use"] == estate["baseline_cna"] - estate["in_use_cna"]).all()
    assert estate["month"].is_monotonic_increasing and estate["month"].is_unique
    for parse, table, month_col in [("wfr", "monthly_establishments", "month"),
                                    ("legacy", "monthly_establishments_legacy", "bulletin_month")]:
        rows = _processed(config, table)
        rows["line"] = rows["row_ref"].str.split().str[1].astype(int)
        sums = rows.groupby(month_col).agg(
            establishments=("baseline_cna", "size"), baseline_cna=("baseline_cna", "sum"),
            in_use_cna=("in_use_cna", lambda s: s.fillna(0).sum()), blank_in_use=("in_use_cna", lambda s: s.isna().sum()),
            first=("line", "min"), last=("line", "max"), source_file=("source_file", "first"),
            raw_sha256=("raw_sha256", "first"), files=("source_file", "nunique"))
        mine = estate[estate["parse"] == parse].set_index("month")
        assert list(mine.index) == list(sums.index) and (sums["files"] == 1).all()
        for col in ("establishments", "baseline_cna", "in_use_cna", "blank_in_use", "source_file", "raw_sha256"):
            assert (mine[col] == sums[col]).all(), col
        assert (mine["row_ref"] == "lines " + sums["first"].astype(str) + "-" + sums["last"].astype(str)).all()
        assert set(mine["derived_from"]) == {table}
    legacy = estate[estate["parse"] == "legacy"].set_index("month")
    assert (legacy["published_total_ref"] == totals.loc[legacy.index, "row_ref"]).all()
    assert (legacy["baseline_cna"] == totals.loc[legacy.index, "published_baseline_cna"]).all()
    assert (legacy["in_use_cna"] == totals.loc[legacy.index, "published_in_use_cna"]).all()
    assert (estate.loc[estate["parse"] == "wfr", "published_total_ref"] == "").all()
    # January 2011 has no Total row, only a summary block that prints the out-of-use figure itself.
    assert estate.iloc[0]["month"] == "2011-01"
    assert estate.iloc[0]["cells_out_of_use"] == totals.loc["2011-01", "published_baseline_cna"] - totals.loc[
        "2011-01", "published_in_use_cna"]


def test_the_gap_between_the_two_parses_has_no_rows(config):
    estate = _processed(config, "cells_out_of_use_estate")
    legacy, wfr = estate[estate["parse"] == "legacy"], estate[estate["parse"] == "wfr"]
    assert legacy["month"].max() < wfr["month"].min()
    g0, g1 = chapter.gap(estate)
    assert (g0, g1) == ((pd.Period(legacy["month"].max(), "M") + 1).strftime("%Y-%m"),
                        (pd.Period(wfr["month"].min(), "M") - 1).strftime("%Y-%m"))
    assert not ((estate["month"] >= g0) & (estate["month"] <= g1)).any()


# Fault cases -----------------------------------------------------------------------------------------------------

@pytest.fixture
def change_log(tmp_path, shared_raw, config):
    folder = tmp_path / "raw" / "processed-prisoncap"
    folder.mkdir(parents=True)
    shutil.copy(shared_raw / "processed-prisoncap" / "prison_change_log.csv", folder)
    cfg = config.model_copy(update={"raw_dirs": [str(tmp_path / "raw")]})
    return cfg, folder / "prison_change_log.csv"


def _edit(path, line: int, old: str, new: str):
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_text("".join(lines), encoding="utf-8")


@pytest.mark.parametrize("line, old, new, message", [
    (5, "Opened", "Converted to a car park", r"line 5: change 'Converted to a car park' is not a kind .* expected"),
    (4, "July", "Jly", r"line 4: month 'Jly'; expected a month name"),
    (3, "1997", "97", r"line 3: year '97'; expected a four-digit year"),
    (82, "2025", "2099", r"line 82: year '2099'; expected a four-digit year"),
    (2, "Parc", "", r"line 2: establishment is blank"),
    (1, "change", "what", r"line 1: expected column\(s\) \['change'\]"),
    (6, ",Opened", ",Opened,extra", r"line 6: 5 cells where the header has 4"),
])
def test_bad_change_log_fails_naming_file_and_line(change_log, line, old, new, message):
    cfg, path = change_log
    _edit(path, line, old, new)
    with pytest.raises(IngestError, match=r"processed-prisoncap/prison_change_log\.csv " + message):
        build_tables(cfg, only=["prison_changes"])


@pytest.fixture
def legacy_tables(config):
    return {tid: _processed(config, tid) for tid in ("monthly_establishments_legacy", "monthly_totals_legacy")}


def test_a_month_in_both_parses_fails_naming_the_row(tmp_path, shared_raw, config, legacy_tables):
    folder = tmp_path / "raw" / "processed-prisoncap"
    folder.mkdir(parents=True)
    shutil.copy(shared_raw / "processed-prisoncap" / "monthly_establishments.csv", folder)
    path = folder / "monthly_establishments.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:241]), encoding="utf-8")  # a small copy: the first two months
    _edit(path, 2, "2018-03-01,2018-03-23,", "2016-05-01,2016-05-27,")  # one prison moved into May 2016
    cfg = config.model_copy(update={"raw_dirs": [str(tmp_path / "raw")]})
    built = {**legacy_tables,
             "monthly_establishments": build_monthly_establishments(cfg, cfg.table("monthly_establishments"))}
    with pytest.raises(IngestError, match=r"processed-prisoncap/monthly_establishments\.csv line 2: month 2016-05 "
                                          r"is also in the 2011-2016 parse \(prison-population-monthly-legacy/"):
        ingest.build_cells_out_of_use_estate(cfg, cfg.table("cells_out_of_use_estate"), built)


def test_a_legacy_total_that_disagrees_with_its_rows_fails_naming_the_total_row(config, legacy_tables):
    totals = legacy_tables["monthly_totals_legacy"].copy()
    i = totals.index[totals["bulletin_month"] == "2013-12"][0]
    totals.loc[i, "published_in_use_cna"] += 1
    built = {**legacy_tables, "monthly_totals_legacy": totals,
             "monthly_establishments": _processed(config, "monthly_establishments")}
    with pytest.raises(IngestError, match=re.escape(f"{totals.loc[i, 'source_file']} {totals.loc[i, 'row_ref']}: "
                                                    "published Total in_use_cna") + r".*expected them to be equal"):
        ingest.build_cells_out_of_use_estate(config, config.table("cells_out_of_use_estate"), built)


def test_unknown_wording_of_a_change_is_an_error_not_other():
    assert ingest.change_kind("Changed from private to public", "x") == "other"
    assert ingest.change_kind("Reopened as a female prison", "x") == "opened"
    with pytest.raises(IngestError, match="x: change 'Sold' is not a kind"):
        ingest.change_kind("Sold", "x")


# What the page shows ---------------------------------------------------------------------------------------------

def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'")


def test_tile_shows_latest_values_and_changes_computed_from_the_table(data, config):
    e = data.estate.sort_values("report_date")
    last, prev = e.iloc[-1], e.iloc[-2]
    ago = e.iloc[((e["report_date"] - (last["report_date"] - pd.Timedelta(days=365))).abs()).argmin()]
    tile = _text(chapter.headline_tile(data, config).html)
    for col in ("cells_out_of_use", "baseline_cna", "in_use_cna"):
        assert f"{last[col]:,}" in tile
    diff = last["cells_out_of_use"] - prev["cells_out_of_use"]
    word = "up" if diff > 0 else "down"
    assert f"{word} {abs(diff):,} on the previous month" in tile or diff == 0
    diff = last["cells_out_of_use"] - ago["cells_out_of_use"]
    word = "up" if diff > 0 else "down"
    assert f"{word} {abs(diff):,} on 12 months earlier ({ago['report_date'].day} " in tile or diff == 0
    assert f"{last['source_file']} {last['row_ref']}" in tile
    assert "Next release:" in tile


def test_summary_and_alt_text_are_generated_from_the_table(data):
    e = data.estate.sort_values("month")
    text = _text(chapter.summary(data).html)
    last = e.iloc[-1]
    assert f"{last['cells_out_of_use']:,} places" in text
    assert f"{last['cells_out_of_use'] / last['baseline_cna'] * 100:.1f}%" in text
    assert f"{e['cells_out_of_use'].max():,}" in text
    alt = chapter.alt_text_cells(data.estate)
    for parse in ("legacy", "wfr"):
        p = e[e["parse"] == parse]
        assert f"({len(p)} monthly bulletins): {p.iloc[0]['cells_out_of_use']:,} in" in alt
        assert f"highest {p['cells_out_of_use'].max():,} in" in alt
    g0, g1 = chapter.gap(e)
    assert f"from {pd.Period(g0, 'M').strftime('%B %Y')} to {pd.Period(g1, 'M').strftime('%B %Y')}" in alt


def test_segments_break_at_every_missing_month_and_at_the_change_of_parse():
    e = pd.DataFrame({"month": ["2011-01", "2011-02", "2011-04", "2016-05", "2018-03", "2018-04"],
                      "parse": ["legacy"] * 4 + ["wfr"] * 2})
    assert list(chapter.segments(e)) == [1, 1, 2, 3, 4, 4]
    assert chapter.gap(e) == ("2016-06", "2018-02")
    assert chapter.missing_months(e)[:2] == ["2011-03", "2011-05"]


def _spec(block: str) -> dict:
    return only_spec(block)


def test_the_gap_is_drawn_as_a_gap_not_joined(data, charts):
    block = charts["cells-out-of-use"]
    spec = _spec(block)
    points = [r for rows in spec["datasets"].values() for r in rows if "cells_out_of_use" in r]
    g0, g1 = chapter.gap(data.estate)
    assert len(points) == len(data.estate)
    assert not [r for r in points if g0 <= r["month"] <= g1]
    by_month = {r["month"]: r["segment"] for r in points}
    legacy_last = data.estate.loc[data.estate["parse"] == "legacy", "month"].max()
    wfr_first = data.estate.loc[data.estate["parse"] == "wfr", "month"].min()
    assert by_month[legacy_last] != by_month[wfr_first]
    assert '"detail"' in json.dumps(spec) and '"rect"' in json.dumps(spec)
    # The table behind the chart (every row is on the chart's own page; the chapter shows the latest) lists the gap
    # months, with no figures.
    from justice_tracker.charts import CHARTS_DIR

    full_table = (CHARTS_DIR / "cells-out-of-use" / "index.html").read_text(encoding="utf-8")
    for month in pd.period_range(g0, g1, freq="M").strftime("%Y-%m"):
        assert re.search(rf"<th scope=\"row\">{month}</th><td></td><td>no bulletin in the sources</td>"
                         r"<td>—</td><td>—</td><td>—</td>", full_table), month
    assert chapter.PARSE_LABELS["legacy"] in block and chapter.PARSE_LABELS["wfr"] in block


def test_top_establishments_are_the_largest_in_the_latest_month(data, config):
    est = data.establishments
    latest = est[est["month"] == est["month"].max()]
    top = chapter.top_establishments(est, 5)
    expected = latest.sort_values("cells_out_of_use", ascending=False).head(5)
    assert list(top["Places out of use"]) == list(expected["cells_out_of_use"].astype(float))
    assert list(top["Source row"]) == list(expected["source_file"] + " " + expected["row_ref"])
    text = _text(chapter.top_establishments_block(data, config, 5).html)
    total = data.estate.loc[data.estate["month"] == latest["month"].iloc[0], "cells_out_of_use"].iloc[0]
    assert f"accounted for {int(expected['cells_out_of_use'].sum()):,} of the estate's {total:,}" in text
    assert f"{int((latest['cells_out_of_use'] > 0).sum())} of {len(latest)} establishments" in text


def test_changes_alt_text_counts_come_from_the_table(data):
    c = data.changes
    alt = chapter.alt_text_changes(c)
    closed = c[c["change_kind"] == "closed"]
    assert f"{(c['change_kind'] == 'opened').sum()} openings" in alt
    assert f"{len(closed)} closures ({closed['temporary'].sum()} of them temporary)" in alt
    worst = closed.groupby("year").size()
    assert f"{worst.max()} in {worst.idxmax()}" in alt
    by_year = chapter.changes_by_year(c)
    assert by_year["opened"].sum() == (c["change_kind"] == "opened").sum()
    assert list(by_year["year"]) == list(range(c["year"].min(), c["year"].max() + 1))


def test_report_figures_are_shown_with_their_citations(data, charts, config):
    facts = data.facts
    backlog = charts["maintenance-backlog"]
    for fid in chapter.BACKLOG_FACTS:
        assert html_escape(facts[fid].url) in backlog and chapter.fact_value(facts[fid]) in backlog
    assert "not a point in one consistent series" in backlog
    places = charts["places-promised-delivered"]
    for promise, delivered, due in chapter.PLACES_FACTS:
        p, d = facts[promise], facts[delivered]
        assert html_escape(d.url) in places
        share = f"{d.value:,.0f} ({d.value / p.value * 100:.0f}%)"
        # A count the source did not set against the promise is drawn without a share.
        assert (f'"label":"{share}"' in places) is (delivered not in chapter.NOT_A_SHARE)
        assert f'"label":"{d.value:,.0f}' in places
    note = chapter.places_note(data).html
    strategy = facts[chapter.STRATEGY_FACT]
    assert f"{strategy.value:,.0f} places" in note and "(a target;" in note
    assert "Checked only against a secondary copy" in note
    costs = chapter.cost_examples(data).html
    for fid in chapter.COST_FACTS:
        assert html_escape(facts[fid].url) in costs and chapter.fact_value(facts[fid]) in costs
    cited = chapter.reports_cited(data).html
    for fid, f in facts.items():
        assert fid in cited and html_escape(f.url) in cited
    # Kinds are said plainly.
    assert chapter.fact_value(facts["nao-2024-expansion-cost"]) == "£9.4 billion to £10.1 billion"
    assert chapter.fact_value(facts["nao-2024-cost-overrun"]) == "at least £4.2 billion"


def html_escape(text: str) -> str:
    import html

    return html.escape(text, quote=True)


@pytest.mark.parametrize("chart_id", ["maintenance-backlog", "cells-out-of-use", "prison-openings-closures",
                                      "places-promised-delivered"])
def test_chart_blocks_have_static_svg_alt_text_table_and_source(charts, chart_id, data):
    block = charts[chart_id]
    assert f'id="vis-{chart_id}"' in block
    m = re.search(r'<noscript><img class="jct-chart-static" src="((?:\.\./)*charts/[a-z0-9-]+/[a-z0-9-]+\.svg)" '
                  r'alt="([^"]+)"', block)
    assert m and m.group(1).endswith(f"charts/{chart_id}/{chart_id}.svg")
    assert (chart_files.CHARTS_DIR / chart_id / f"{chart_id}.svg").read_text().lstrip().startswith("<svg")
    alt = {"maintenance-backlog": chapter.alt_text_backlog(data.facts),
           "cells-out-of-use": chapter.alt_text_cells(data.estate),
           "prison-openings-closures": chapter.alt_text_changes(data.changes),
           "places-promised-delivered": chapter.alt_text_places(data.facts)}[chart_id]
    assert m.group(2) == html_escape(alt)
    assert '<table class="jct-data-table">' in block and '<p class="jct-chart-source">' in block
    # The chart's one script is its spec, as data: nothing in it can end the element early.
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", block, re.S)
    assert [attrs for attrs, _ in scripts] == [f' type="application/json" id="spec-{chart_id}"']
    assert "<" not in scripts[0][1]


def test_no_block_makes_a_heading_and_the_page_is_in_the_toc(data, config, charts):
    blocks = list(charts.values()) + [chapter.headline_tile(data, config).html, chapter.summary(data).html,
                                      chapter.cells_note(data).html, chapter.cost_examples(data).html,
                                      chapter.reports_cited(data).html, chapter.places_note(data).html]
    assert not [b for b in blocks if re.search(r"<h[1-6][ >]", b)]
    entry = next(e for e in config.chapters() if e.file == "book/chapters/estate")
    assert set(entry.notebook.reads) >= {"cells_out_of_use_estate", "monthly_establishments", "prison_changes"}
    nb = nbformat.read(REPO_ROOT / entry.notebook.template, as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert set(entry.notebook.parameters) == set(re.findall(r"^(\w+) =", params.source, re.M))
    assert nb.cells[0].source.startswith("# {{ chapter_title }}")
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert "Markdown" not in cell.source and not re.search(r"\d{3}", cell.source)
