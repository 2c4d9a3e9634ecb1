"""The recalls chapter: its tables re-derive from the raw files, bad raw files fail naming file and line, and every
figure the page shows is computed from the processed tables (the expected values here are computed from the CSVs,
not typed in)."""
from __future__ import annotations

import json
import html
import re
import shutil

import nbformat
import pandas as pd
import pytest

from justice_tracker.chapters import recalls as chapter
from justice_tracker.charts import MAX_TABLE_ROWS
from justice_tracker.files import sha256_file
from justice_tracker.ingest import IngestError, build_tables, table_csv_text
from justice_tracker.paths import REPO_ROOT
from support.chart_specs import assert_charts_run_no_inline_code, only_spec

TABLES = ["recall_population_monthly", "recalls_quarterly", "recall_loop_quarterly", "releases_recalls_annual"]
RAW = {
    "recall_population_monthly": "processed-prt/bromley__sentencing__recall_population.csv",
    "recalls_quarterly": "processed-prisoncap/recalls_quarterly.csv",
    "recall_loop_quarterly": "processed-prisoncap/recall_loop.csv",
    "releases_recalls_annual": "processed-prisoncap/longrun_releases_recalls.csv",
}


@pytest.fixture(scope="module")
def data(config):
    return chapter.load(config)


@pytest.fixture(scope="module")
def csv(config):
    return {t: pd.read_csv(config.processed_path(t)) for t in TABLES + ["monthly_estate_totals"]}


@pytest.fixture(scope="module")
def charts(data, config):
    return {
        "recall-population": chapter.recall_population_chart(data, config).html,
        "recall-share-of-population": chapter.recall_share_chart(data, config).html,
        "recalls-per-quarter": chapter.recalls_per_quarter_chart(data, config).html,
        "recalls-vs-releases": chapter.recalls_vs_releases_chart(data, config).html,
        "recalls-per-100-releases-annual": chapter.recalls_per_100_annual_chart(data, config).html,
    }


def _text(html_block: str) -> str:
    import html

    return html.unescape(re.sub(r"<[^>]+>", " ", html_block))


# --- ingest: re-derivation and provenance ----------------------------------------------------------------------------

def test_tables_rederive_byte_identically_from_the_shared_raw_files(config, shared_raw):
    cfg = config.model_copy(update={"raw_dirs": [str(shared_raw)]})
    built = build_tables(cfg, only=TABLES)
    assert set(built) == set(TABLES)
    for tid, frame in built.items():
        assert table_csv_text(frame) == config.processed_path(tid).read_text(encoding="utf-8"), \
            f"{tid}.csv differs from a fresh derivation: run `python -m justice_tracker data`"


def _raw_lines(shared_raw, tid):
    return (shared_raw / RAW[tid]).read_text(encoding="utf-8").splitlines()


def test_provenance_points_at_the_right_raw_lines(csv, shared_raw):
    for tid in TABLES:
        frame = csv[tid]
        assert set(frame["source_file"]) == {RAW[tid]}
        assert set(frame["raw_sha256"]) == {sha256_file(shared_raw / RAW[tid])}
        assert frame["row_ref"].str.fullmatch(r"line \d+").all()
    months = {m: i for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                                          "Dec"], start=1)}
    lines = _raw_lines(shared_raw, "recall_population_monthly")
    for _, r in csv["recall_population_monthly"].sample(25, random_state=3).iterrows():
        text, value = lines[int(r["row_ref"].split()[1]) - 1].split(",")
        mon, yy = text.split("-")
        assert r["month"] == f"20{yy}-{months[mon]:02d}" and r["date"] == r["month"] + "-01"
        assert int(value) == r["recall_population"]
    lines = _raw_lines(shared_raw, "recalls_quarterly")
    for _, r in csv["recalls_quarterly"].iterrows():
        start, value = lines[int(r["row_ref"].split()[1]) - 1].split(",")
        assert start == r["quarter_start"] and int(value) == r["recalls"]
    lines = _raw_lines(shared_raw, "recall_loop_quarterly")
    for _, r in csv["recall_loop_quarterly"].iterrows():
        start, releases, recalls, ratio = lines[int(r["row_ref"].split()[1]) - 1].split(",")
        assert start == r["quarter_start"] and int(releases) == r["determinate_releases"]
        assert float(recalls) == r["recalls"] and float(ratio) == r["recalls_per_release"]
    lines = _raw_lines(shared_raw, "releases_recalls_annual")
    for _, r in csv["releases_recalls_annual"].iterrows():
        cells = lines[int(r["row_ref"].split()[1]) - 1].split(",")
        assert int(cells[0]) == r["year"] and float(cells[1]) == r["recalls"]


def test_quarters_and_periods_are_labelled_consistently(csv):
    q = csv["recalls_quarterly"]
    starts = pd.to_datetime(q["quarter_start"])
    assert (q["quarter"] == starts.dt.year.astype(str) + "Q" + ((starts.dt.month - 1) // 3 + 1).astype(str)).all()
    assert (starts.diff().dropna().dt.days.between(89, 92)).all()  # no quarter missing from the quarterly file
    loop = csv["recall_loop_quarterly"]
    # 2024Q2-Q4 are not in the raw file: absent here, never zero.
    assert not {"2024Q2", "2024Q3", "2024Q4"} & set(loop["quarter"])
    assert (loop["recalls_per_100_releases"] - loop["recalls"] / loop["determinate_releases"] * 100).abs().max() <= 0.05
    assert pd.to_datetime(csv["recall_population_monthly"]["date"]).dt.day.eq(1).all()
    annual = csv["releases_recalls_annual"]
    assert annual.loc[annual["releases"].isna(), "recalls_per_100_releases"].isna().all()


# --- ingest: fault cases ---------------------------------------------------------------------------------------------

@pytest.fixture
def raw_copy(tmp_path, shared_raw, config):
    for rel in RAW.values():
        (tmp_path / "raw" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(shared_raw / rel, tmp_path / "raw" / rel)
    cfg = config.model_copy(update={"raw_dirs": [str(tmp_path / "raw")]})
    return cfg, tmp_path / "raw"


def _edit(path, fn):
    """Edit a raw file line by line, keeping its line endings (CRLF, no final newline for the PRT file)."""
    data = path.read_bytes().decode("utf-8")
    sep = "\r\n" if "\r\n" in data else "\n"
    final = data.endswith(sep)
    lines = (data[:-len(sep)] if final else data).split(sep)
    path.write_bytes((sep.join(fn(lines)) + (sep if final else "")).encode("utf-8"))


def _swap(i, old, new):
    return lambda ls: ls[:i] + [ls[i].replace(old, new, 1)] + ls[i + 1:]


PRT = re.escape(RAW["recall_population_monthly"])
QTR = re.escape(RAW["recalls_quarterly"])
LOOP = re.escape(RAW["recall_loop_quarterly"])
ANN = re.escape(RAW["releases_recalls_annual"])


@pytest.mark.parametrize("tid, edit, message", [
    # missing or renamed column
    ("recall_population_monthly", _swap(0, "recall_pop", "population"), PRT + r" line 1: expected column\(s\) \['recall_pop'\]"),
    ("recalls_quarterly", _swap(0, ",0", "quarter,recalls"), QTR + r" line 1: expected the header ',0'"),
    ("recall_loop_quarterly", _swap(0, ",recalls,", ",recall,"), LOOP + r" line 1: expected column\(s\) \['recalls'\]"),
    ("releases_recalls_annual", _swap(0, ",recall_stock", ""), ANN + r" line 1: expected column\(s\) \['recall_stock'\]"),
    ("releases_recalls_annual", lambda ls: [ls[0] + ",extra"] + [x + ",1" for x in ls[1:]], ANN + r" line 1: expected the header"),
    # non-numeric cell
    ("recall_population_monthly", _swap(2, ",5350", ",53x0"), PRT + r" line 3 column recall_pop: expected a whole number, found '53x0'"),
    ("recalls_quarterly", _swap(3, ",7030", ",7,030[c]"), QTR + r" line 4: 3 cells where the header has 2"),
    ("recall_loop_quarterly", _swap(2, ",12132,", ",12132x,"), LOOP + r" line 3 column releases: expected a whole number"),
    ("releases_recalls_annual", _swap(1, ",11.16,", ",n/a,"), ANN + r" line 2 column time_served: expected a number, found 'n/a'"),
    ("recall_population_monthly", _swap(2, "Jun-10", "June-10"), PRT + r" line 3: expected a month like Jun-09, found 'June-10'"),
    # duplicate period
    ("recall_population_monthly", lambda ls: ls[:3] + [ls[2]] + ls[3:], PRT + r" line 4: month Jun-10 appears twice \(first at line 3\)"),
    ("recalls_quarterly", lambda ls: ls[:3] + [ls[2]] + ls[3:], QTR + r" line 4: quarter 2023Q2 appears twice \(first at line 3\)"),
    ("recall_loop_quarterly", lambda ls: ls[:2] + [ls[1]] + ls[2:], LOOP + r" line 3: quarter 2023Q1 appears twice"),
    ("releases_recalls_annual", lambda ls: ls[:2] + [ls[1]] + ls[2:], ANN + r" line 3: year 2015 appears twice"),
    # date in the future
    ("recall_population_monthly", lambda ls: ls[:-1] + [ls[-1].replace("Mar-26", "Mar-99")], PRT + r" line 192: month Mar-99 .* in the future"),
    ("recalls_quarterly", lambda ls: ls[:-1] + [ls[-1].replace("2026-01-01", "2099-01-01")], QTR + r" line 14: quarter 2099Q1 .* in the future"),
    ("recall_loop_quarterly", lambda ls: ls[:-1] + [ls[-1].replace("2026-01-01", "2099-01-01")], LOOP + r" line 11: quarter 2099Q1 .* in the future"),
    ("releases_recalls_annual", lambda ls: ls[:-1] + [ls[-1].replace("2025,", "2099,", 1)], ANN + r" line 12: year 2099 .* in the future"),
    # other surprises
    ("recalls_quarterly", lambda ls: ls[:4] + ls[5:], QTR + r" line 5: quarter 2024Q1 follows 2023Q3; expected 2023Q4"),
    ("recalls_quarterly", _swap(1, "2023-01-01", "2023-02-01"), QTR + r" line 2: 2023-02-01 is not the first day of a calendar quarter"),
    ("recall_population_monthly", lambda ls: [ls[0], ls[2], ls[1]] + ls[3:], PRT + r" line 3: month Jun-09 comes after Jun-10"),
    ("recall_loop_quarterly", _swap(1, ",0.574", ",0.674"), LOOP + r" line 2: recall_per_release 0.674 disagrees"),
    ("releases_recalls_annual", _swap(1, ",28.83682817726314,", ",30.1,"), ANN + r" line 2: recalls_per_100_releases 30.1 disagrees"),
    ("recall_population_monthly", _swap(2, ",5350", ",-5350"), PRT + r" line 3 column recall_pop: expected a positive count"),
    ("recall_population_monthly", lambda ls: ls[:1], PRT + r": no data rows"),
])
def test_bad_raw_file_fails_naming_file_and_line(raw_copy, tid, edit, message):
    cfg, raw = raw_copy
    _edit(raw / RAW[tid], edit)
    with pytest.raises(IngestError, match=message):
        build_tables(cfg, only=[tid])


def test_a_blank_cell_stays_missing_never_zero(raw_copy):
    cfg, raw = raw_copy
    _edit(raw / RAW["recall_loop_quarterly"], _swap(2, ",12132,6814.0,0.562", ",12132,,"))
    loop = build_tables(cfg, only=["recall_loop_quarterly"])["recall_loop_quarterly"]
    row = loop[loop["quarter"] == "2023Q2"].iloc[0]
    assert pd.isna(row["recalls"]) and pd.isna(row["recalls_per_release"]) and pd.isna(row["recalls_per_100_releases"])
    assert row["determinate_releases"] == 12132


# --- rule changes ----------------------------------------------------------------------------------------------------

def test_rule_changes_are_dated_cited_and_verified(data, shared_raw):
    rules = data.rules
    assert {"2025-07-01", "2026-03-31", "2024-09-10"} <= set(rules["date"].dt.strftime("%Y-%m-%d"))
    assert rules["url"].str.match(r"^https?://").all()
    assert (rules["verification"].str.len() > 20).all()
    # The OMSQ notes are cited through the definitions log: the cited lines must say what the rows say.
    log = (shared_raw / "processed-prisoncap" / "definitions_log.csv").read_text(encoding="utf-8").splitlines()
    for _, r in rules[rules["verification"].str.contains("definitions_log.csv line")].iterrows():
        line = int(re.search(r"definitions_log\.csv line (\d+)", r["verification"]).group(1))
        note = re.search(r"note (\d+)", r["reference"]).group(0)
        assert note in log[line - 1] and r["date"].strftime("%Y-%m") in log[line - 1][:10]


def test_a_malformed_rule_changes_file_names_the_line(tmp_path):
    text = chapter.RULES_FILE.read_text(encoding="utf-8").splitlines(keepends=True)
    bad = tmp_path / "rules.csv"
    bad.write_text(text[0] + text[1].replace("2024-04-02", "2 April 2024", 1) + "".join(text[2:]), encoding="utf-8")
    with pytest.raises(chapter.RuleChangesError, match=r"rules\.csv line 2: date '2 April 2024'"):
        chapter.load_rule_changes(bad)
    bad.write_text(text[0] + "".join(text[1:]).replace("series-break", "break", 1), encoding="utf-8")
    with pytest.raises(chapter.RuleChangesError, match=r"line \d: kind 'break'"):
        chapter.load_rule_changes(bad)


def _spec(block: str) -> dict:
    return only_spec(block)


def _rule_dates(spec: dict) -> set[str]:
    out = set()
    for layer in spec.get("layer", []):
        mark = layer.get("mark", {})
        if (mark if isinstance(mark, str) else mark.get("type")) == "rule":
            values = spec["datasets"][layer["data"]["name"]] if "name" in layer.get("data", {}) else layer["data"]["values"]
            out |= {v["date"] for v in values}
    return out


def test_rule_changes_are_drawn_on_every_chart_within_its_dates(charts, data):
    ranges = {
        "recall-population": (data.population["date"].min(), data.population["date"].max() + pd.DateOffset(months=1)),
        "recall-share-of-population": (chapter.population_share(data)["date"].min(),
                                       chapter.population_share(data)["date"].max() + pd.DateOffset(months=1)),
        "recalls-per-quarter": (data.quarterly["quarter_start"].min(), data.quarterly["quarter_end"].max()),
        "recalls-vs-releases": (data.loop["quarter_start"].min(), data.loop["quarter_end"].max()),
        "recalls-per-100-releases-annual": (pd.Timestamp(f"{data.annual['year'].min()}-01-01"),
                                            pd.Timestamp(f"{data.annual['year'].max()}-12-31")),
    }
    for chart_id, (lo, hi) in ranges.items():
        expected = set(data.rules.loc[(data.rules["date"] >= lo) & (data.rules["date"] <= hi), "date"].dt.strftime("%Y-%m-%d"))
        assert expected, chart_id
        assert _rule_dates(_spec(charts[chart_id])) == expected, chart_id
        summary = re.search(r'<p class="jct-chart-summary">(.*?)</p>', charts[chart_id]).group(1)
        assert f"{len(expected)} dated rule change" in summary
    # The 56-day recall (31 March 2026) is after the annual series ends, so it is not drawn there.
    assert "2026-03-31" not in _rule_dates(_spec(charts["recalls-per-100-releases-annual"]))


def test_rule_changes_note_cites_every_row(data):
    note = chapter.rule_changes_note(data).html
    for _, r in data.rules.iterrows():
        assert r["url"].replace("&", "&amp;") in note
        # How each was checked is for whoever checks it: folded into a disclosure under the citation.
        assert html.escape(r["verification"]) in note
    assert note.count("<summary>How this was checked</summary>") == len(data.rules)
    assert note.count("<li>") == len(data.rules)


# --- chart blocks ----------------------------------------------------------------------------------------------------

def test_chart_blocks_have_static_svg_alt_text_data_table_and_source(charts, data):
    rows = {"recall-population": len(data.population), "recall-share-of-population": len(chapter.population_share(data)),
            "recalls-per-quarter": len(data.quarterly), "recalls-per-100-releases-annual": len(data.annual),
            "recalls-vs-releases": len(data.loop) + len(chapter.missing_quarters(data.loop))}
    for chart_id, block in charts.items():
        assert f'id="chart-{chart_id}"' in block and f'id="vis-{chart_id}"' in block
        assert re.search(rf'<noscript><img class="jct-chart-static" src="(\.\./)*charts/{chart_id}/{chart_id}\.svg" '
                         r'alt="(Line|Bar) chart', block), chart_id
        assert '<p class="jct-chart-summary">' in block
        assert block.count("<tr>") == min(rows[chart_id], MAX_TABLE_ROWS) + 1, chart_id
        assert "Ministry of Justice" in block and ("Walk Forward Research" in block or "Prison Reform Trust" in block)
        assert_charts_run_no_inline_code(block)


def test_missing_quarters_are_shown_as_missing_not_zero(charts, data):
    block = charts["recalls-vs-releases"]
    gaps = chapter.missing_quarters(data.loop)
    assert [g.strftime("%Y-%m-%d") for g in gaps] == ["2024-04-01", "2024-07-01", "2024-10-01"]
    for g in gaps:
        label = f"{g.year}Q{(g.month - 1) // 3 + 1}"
        row = re.search(rf"<tr><th scope=\"row\">{label}</th>(.*?)</tr>", block).group(1)
        assert row.count("—") == 3 and "not in the source file" in row
    spec = json.dumps(_spec(block))
    assert '"count": 0' not in spec and '"count":0' not in spec
    assert "3 quarters" in chapter.alt_text_loop(data)


# --- figures in the text come from the data --------------------------------------------------------------------------

def test_headline_tile_values_come_from_the_tables(data, config, csv):
    tile = chapter.headline_tile(data, config).html
    pop = csv["recall_population_monthly"].dropna(subset=["recall_population"])
    last, prev = pop.iloc[-1], pop.iloc[-2]
    year_ago = pop[pop["date"] == f"{int(last['date'][:4]) - 1}{last['date'][4:]}"].iloc[0]
    assert f"{int(last['recall_population']):,}" in tile
    for then in (prev, year_ago):
        diff = int(last["recall_population"] - then["recall_population"])
        assert f"{'up' if diff > 0 else 'down'} {abs(diff):,}" in tile
    q = csv["recalls_quarterly"]
    assert f"{q.iloc[-1]['recalls']:,}" in tile
    diff = q.iloc[-1]["recalls"] - q.iloc[-2]["recalls"]
    assert f"{'up' if diff > 0 else 'down'} {abs(diff):,} on the previous figure" in tile
    ago = q[q["quarter_start"] == f"{int(q.iloc[-1]['quarter_start'][:4]) - 1}{q.iloc[-1]['quarter_start'][4:]}"].iloc[0]
    diff = q.iloc[-1]["recalls"] - ago["recalls"]
    assert f"{'up' if diff > 0 else 'down'} {abs(diff):,} on 12 months earlier" in tile
    loop = csv["recall_loop_quarterly"].dropna(subset=["recalls_per_100_releases"])
    assert f"{loop.iloc[-1]['recalls_per_100_releases']:.1f}" in tile
    assert last["row_ref"] in tile and q.iloc[-1]["row_ref"] in tile
    assert "Next release:" in tile and "Offender Management Statistics Quarterly" in tile


def test_summary_and_answers_use_the_tables(data, csv):
    text = _text(chapter.summary(data).html)
    pop = csv["recall_population_monthly"]
    last = pop.iloc[-1]
    estate = csv["monthly_estate_totals"].set_index("month")
    share = round(last["recall_population"] / estate.loc[last["month"], "sum_population"] * 100, 1)
    assert f"{int(last['recall_population']):,} people were in prison" in text
    assert f"{share:.1f}% of the {int(estate.loc[last['month'], 'sum_population']):,}" in text
    peak = pop.loc[pop["recall_population"].idxmax()]
    assert f"{int(peak['recall_population']):,}" in text
    q = csv["recalls_quarterly"]
    assert f"{q['recalls'].tail(4).sum():,} recalls" in text
    assert f"{q['recalls'].iloc[-8:-4].sum():,}" in text
    loop = csv["recall_loop_quarterly"].dropna(subset=["recalls_per_100_releases"]).iloc[-1]
    assert f"{loop['recalls_per_100_releases']:.1f} recalls for every 100 releases" in text
    annual = csv["releases_recalls_annual"].dropna(subset=["releases"])
    assert f"{annual.iloc[0]['recalls_per_100_releases']:.1f}" in text
    assert f"{int(annual.iloc[-1]['releases']):,}" in text
    answers = _text(chapter.reader_questions(data).html)
    assert f"{q['recalls'].tail(4).sum():,} in the year to" in answers
    assert "Not yet in the tracker" in answers  # recalls by reason: no source here has them
    year = pop[pop["date"].str.startswith(str(annual.iloc[-1]["year"] + 1))]
    a = csv["releases_recalls_annual"].set_index("year")
    if len(year) == 12:
        months = round(year["recall_population"].mean() / a.loc[annual.iloc[-1]["year"] + 1, "recalls"] * 12, 1)
        assert f"about {months:.1f} months" in answers


def test_alt_text_is_generated_from_the_data(data, csv):
    pop = csv["recall_population_monthly"]
    text = chapter.alt_text_population(data)
    for v in (pop.iloc[0]["recall_population"], pop.iloc[-1]["recall_population"], pop["recall_population"].max(),
              pop["recall_population"].min()):
        assert f"{int(v):,}" in text
    q = csv["recalls_quarterly"]
    text = chapter.alt_text_quarterly(data)
    assert f"{q.iloc[0]['recalls']:,}" in text and f"{q['recalls'].max():,}" in text
    a = csv["releases_recalls_annual"].dropna(subset=["recalls_per_100_releases"])
    text = chapter.alt_text_annual(data)
    assert f"{a.iloc[-1]['recalls_per_100_releases']:.1f} in {a.iloc[-1]['year']}" in text
    # Falling data gives falling words.
    fake = data.population.iloc[[0, 1]].copy()
    fake["recall_population"] = pd.array([900, 800], dtype="Int64")
    small = chapter.RecallData(fake, data.quarterly, data.loop, data.annual, data.estate, data.rules)
    assert "It fell from 900 to 800" in chapter.alt_text_population(small)


def test_crosschecks_compare_the_overlapping_files(data, csv):
    html = chapter.crosschecks(data).html
    loop = csv["recall_loop_quarterly"].dropna(subset=["recalls"])
    assert f"{len(loop)} quarters compared, {len(loop)} agree exactly" in html
    q = csv["recalls_quarterly"].assign(year=lambda f: f["quarter_start"].str[:4].astype(int))
    a = csv["releases_recalls_annual"].set_index("year")
    full = [y for y, n in q.groupby("year").size().items() if n == 4]
    assert all(q[q["year"] == y]["recalls"].sum() == a.loc[y, "recalls"] for y in full)
    assert f"{len(full)} years compared" in html


# --- the template and its page entry ---------------------------------------------------------------------------------

def test_template_parameters_and_reads_match_tracker_yml(config):
    page = next(c for c in config.chapters() if c.file == "book/chapters/recalls")
    part = next(p for p in config.toc.parts if page in p.chapters)
    assert part.caption == "The crisis in numbers"
    nb = nbformat.read(REPO_ROOT / page.notebook.template, as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    names = set(re.findall(r"^(\w+) =", params.source, flags=re.M))
    assert set(page.notebook.parameters) == names
    tables = {v for k, v in page.notebook.parameters.items() if k.endswith("_table")}
    assert tables | {"release_calendar"} == set(page.notebook.reads)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# {{ chapter_title }}")
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and "Markdown" not in cell.source
    headings = [line for c in nb.cells if c.cell_type == "markdown" for line in c.source.splitlines()
                if line.startswith("#")]
    assert "## Sources" in headings


# --- rule changes and the recall population: what happened after each, in words from the series ---------------------

def test_the_recall_population_chart_draws_each_rule_change_at_its_date(charts, data):
    import csv as csv_module

    with open(chapter.RULES_FILE, newline="", encoding="utf-8") as f:
        rows = list(csv_module.DictReader(f))
    lo, hi = data.population["date"].min(), data.population["date"].max() + pd.DateOffset(months=1)
    in_range = {r["date"] for r in rows if lo <= pd.Timestamp(r["date"]) <= hi}
    assert "2026-03-31" in in_range  # the 56-day fixed-term recall falls within the monthly series
    spec = _spec(charts["recall-population"])
    assert _rule_dates(spec) == in_range
    labels = {v["date"]: v["label"] for layer in spec["layer"] if "name" in layer.get("data", {})
              for v in spec["datasets"][layer["data"]["name"]] if "label" in v and "date" in v}
    for r in rows:
        if r["date"] in in_range:
            assert labels[r["date"]] == r["label"]


def test_each_rule_change_effect_is_read_from_the_series(data, csv):
    pop = csv["recall_population_monthly"].set_index("date")["recall_population"]
    effects = chapter.rule_change_effects(data)
    rule_dates = set(data.rules.loc[data.rules["kind"] == "rule-change", "date"])
    assert {e.date for e in effects} <= rule_dates and effects
    note = _text(chapter.rule_effects_note(data).html)
    for e in effects:
        month_before = (e.date.to_period("M") - 1).to_timestamp()
        assert e.before == pop[month_before.strftime("%Y-%m-%d")]
        if e.after is None:
            # Nothing after the change in the series yet: the page says so rather than guessing.
            assert e.date.to_period("M").to_timestamp() >= pd.Timestamp(pop.index.max())
            assert "no monthly figure after it yet" in note
            continue
        assert e.after == pop[e.after_date.strftime("%Y-%m-%d")]
        word = "rose" if e.after > e.before else "fell" if e.after < e.before else "did not change"
        assert e.direction == word
        assert f"{e.label}: the number of people in prison on recall {word}" in note
        assert f"from {e.before:,} in" in note and f"to {e.after:,} in" in note
        # A later rule change inside the same stretch is named beside it.
        for o in effects:
            if e.date < o.date <= e.after_date + pd.DateOffset(months=1) - pd.Timedelta(days=1):
                sentence = note.split(f"{e.label}: ", 1)[1].split(". ", 2)
                assert o.label in " ".join(sentence[:2]), (e.label, o.label)
    assert "does not by itself show" in note


def test_effect_words_follow_the_data_either_way(data):
    rule = data.rules[data.rules["kind"] == "rule-change"].iloc[0]
    month = rule["date"].to_period("M").to_timestamp()
    dates = [month - pd.DateOffset(months=1), month, month + pd.DateOffset(months=1)]

    def note_for(values):
        fake = pd.DataFrame({"date": dates, "month": [d.strftime("%Y-%m") for d in dates],
                             "recall_population": pd.array(values, dtype="Int64")})
        small = chapter.RecallData(fake, data.quarterly, data.loop, data.annual, data.estate,
                                   data.rules[data.rules["date"] == rule["date"]])
        return _text(chapter.rule_effects_note(small, months=1).html)

    assert "on recall fell by 100 (10.0%), from 1,000" in note_for([1000, 950, 900])
    assert "on recall rose by 100 (10.0%), from 1,000" in note_for([1000, 1050, 1100])


def test_direction_words_in_the_summary_match_the_series(data, csv):
    pop = csv["recall_population_monthly"]
    last = pop.iloc[-1]
    year_ago = pop[pop["month"] == f"{int(last['month'][:4]) - 1}{last['month'][4:]}"].iloc[0]
    diff = last["recall_population"] - year_ago["recall_population"]
    text = _text(chapter.summary(data).html)
    assert f"That is {'up' if diff > 0 else 'down'} {abs(diff):,}" in text
    answers = _text(chapter.reader_questions(data).html)
    assert f"on recall {'rose' if diff > 0 else 'fell'} by {abs(diff):,} in the 12 months to" in answers
    # The question itself does not assume a direction.
    assert "growing" not in answers
    q = csv["recalls_quarterly"]
    recalls_grew = q.iloc[-1]["recalls"] > q.iloc[0]["recalls"]
    assert ("Recalls grew faster" in text) <= recalls_grew


def test_the_built_recalls_page_marks_the_rule_changes_and_their_effects(site, data):
    page = (site / "book" / "chapters" / "recalls.html").read_text(encoding="utf-8")
    # The chart's spec as the site publishes it for download, and as the page embeds it.
    published = json.loads((site / "charts" / "recall-population" / "recall-population.vl.json").read_text(encoding="utf-8"))
    embedded = next(_spec(part) for part in page.split('id="chart-')[1:] if part.startswith('recall-population"'))
    lo, hi = data.population["date"].min(), data.population["date"].max() + pd.DateOffset(months=1)
    expected = set(data.rules.loc[(data.rules["date"] >= lo) & (data.rules["date"] <= hi), "date"].dt.strftime("%Y-%m-%d"))
    assert _rule_dates(published) == expected == _rule_dates(embedded)
    text = _text(page)
    for e in chapter.rule_change_effects(data):
        assert f"{e.label}: the" in text
