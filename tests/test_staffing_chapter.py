"""Staffing: the four tables re-derive exactly from the real raw files, every row points back at its raw line, bad
raw files fail naming file and line, and the chapter's figures are computed from the processed tables."""
from __future__ import annotations

import csv
import re
import shutil

import nbformat
import pandas as pd
import pytest

from justice_tracker.chapters import staffing as chapter
from justice_tracker.charts import MAX_TABLE_ROWS
from justice_tracker.files import sha256_file
from justice_tracker.ingest import IngestError, build_tables, table_csv_text
from justice_tracker.paths import REPO_ROOT
from support.chart_specs import assert_charts_run_no_inline_code

TABLES = ["officer_fte_quarterly", "officer_staffing_vs_target", "officers_annual_prt", "probation_caseload"]
RAW_FILES = {
    "processed-prisoncap": ["officer_fte_timeseries.csv", "prisoners_per_officer.csv", "officer_staffing_estate.csv",
                            "probation_caseload_series.csv", "probation_caseload_annual.csv",
                            "probation_caseload_quarterly.csv"],
    "processed-prt": ["bromley__state_of_our_prisons__workforce_staff.csv"],
}


@pytest.fixture(scope="module")
def data(config):
    return chapter.load(config, *TABLES, "prisons")


@pytest.fixture(scope="module")
def known():
    return chapter.facts()


def _raw_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def _line(row_ref: str) -> int:
    return int(row_ref.split()[1])


# Re-derivation and provenance.

def test_tables_rederive_byte_identically_from_the_shared_raw_files(config, shared_raw):
    cfg = config.model_copy(update={"raw_dirs": [str(shared_raw)]})
    built = build_tables(cfg, only=TABLES)
    for tid in TABLES:
        committed = config.processed_path(tid).read_text(encoding="utf-8")
        assert table_csv_text(built[tid]) == committed, f"{tid}.csv differs from a fresh derivation: run `make data`"


def test_officer_rows_point_at_their_raw_lines(config, shared_raw):
    fte = pd.read_csv(config.processed_path("officer_fte_quarterly"))
    raw = shared_raw / "processed-prisoncap" / "officer_fte_timeseries.csv"
    assert set(fte["raw_sha256"]) == {sha256_file(raw)}
    rows = _raw_rows(raw)
    for _, r in fte.sample(12, random_state=3).iterrows():
        cells = rows[_line(r["row_ref"]) - 1]
        assert cells[0] == r["date"]
        assert float(cells[1]) == r["band_3_4_officers_fte"] and float(cells[4]) == r["population"]
    # The three-decimal ratio is the recomputation and agrees with the three-decimal file.
    ppo = {c[0]: c[6] for c in _raw_rows(shared_raw / "processed-prisoncap" / "prisoners_per_officer.csv")[1:]}
    ratio = fte.dropna(subset=["prisoners_per_officer"])
    assert (ratio["prisoners_per_officer"] == (ratio["public_population"] / ratio["band_3_4_officers_fte"]).round(3)).all()
    assert all(abs(float(ppo[d]) - v) < 1e-9 for d, v in zip(ratio["date"], ratio["prisoners_per_officer"]))

    target = pd.read_csv(config.processed_path("officer_staffing_vs_target"))
    rows = _raw_rows(shared_raw / "processed-prisoncap" / "officer_staffing_estate.csv")
    for _, r in target.iterrows():
        cells = rows[_line(r["row_ref"]) - 1]
        assert cells[0] == r["date"] and float(cells[1]) == r["officers"] and float(cells[5]) == r["pct_of_target"]


def test_prt_rows_point_at_both_raw_lines(config, shared_raw):
    prt = pd.read_csv(config.processed_path("officers_annual_prt"))
    rows = _raw_rows(shared_raw / "processed-prt" / "bromley__state_of_our_prisons__workforce_staff.csv")
    assert prt["year"].tolist() == list(range(2010, prt["year"].max() + 1))
    for _, r in prt.iterrows():
        a, b = (int(x) for x in re.findall(r"\d+", r["row_ref"]))
        officers, population = rows[a - 1], rows[b - 1]
        assert officers[0] == population[0] == str(r["year"])
        assert officers[3] == "HMPPS employed prison officers" and int(officers[2]) == r["officers"]
        assert population[3] == "Prison population" and int(population[2]) == r["population"]
    base = prt.iloc[0]
    expected = ((prt["officers"] / base["officers"] - 1) * 100).round(1)
    assert (prt["officers_pct_change_vs_2010"] == expected).all()


def test_probation_rows_point_at_their_raw_cell(config, shared_raw):
    p = pd.read_csv(config.processed_path("probation_caseload"), keep_default_na=False)
    files = {f: _raw_rows(shared_raw / "processed-prisoncap" / f) for f in
             ("probation_caseload_series.csv", "probation_caseload_annual.csv")}
    for _, r in p.sample(40, random_state=7).iterrows():
        rows = files[r["source_file"].split("/")[1]]
        col = int(re.match(r"column (\d+)", r["source_column"]).group(1)) - 1
        cells = rows[_line(r["row_ref"]) - 1]
        assert float(cells[col]) == pytest.approx(float(r["value"]), abs=1e-9)
        if r["series"] == "annual":
            assert cells[0] == r["printed_label"] and rows[0][col] == r["date"][:4]
        else:
            assert rows[0][col].startswith(r["printed_label"] + " | ")
    q = p[p["series"] == "quarterly"]
    assert set(q["sex"]) == {"all", "male", "female"}
    assert set(q.loc[q["series_break"] != "", "date"]) == {q["date"].max()}
    # Men plus women make the total, for every count in every quarter.
    people = q[q["unit"] == "people"].pivot_table(index=["date", "measure"], columns="sex", values="value")
    people = people.dropna()
    assert len(people) > 50 and ((people["male"] + people["female"]) == people["all"]).all()
    assert "pre_cja_2003_orders" not in set(p["measure"])


# Fault cases: small edited copies of the real raw files.

@pytest.fixture
def raw_copy(tmp_path, shared_raw, config):
    for slug, names in RAW_FILES.items():
        (tmp_path / "raw" / slug).mkdir(parents=True)
        for name in names:
            shutil.copy(shared_raw / slug / name, tmp_path / "raw" / slug / name)
    return config.model_copy(update={"raw_dirs": [str(tmp_path / "raw")]}), tmp_path / "raw"


def _edit(path, fn):
    text = path.read_bytes().decode("utf-8")
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.split(newline)
    path.write_bytes(newline.join(fn(lines)).encode("utf-8"))


def _sub(i, old, new):
    """Replace text in line i (0-based) only."""
    def fn(ls):
        assert old in ls[i], (old, ls[i])
        return ls[:i] + [ls[i].replace(old, new, 1)] + ls[i + 1:]
    return fn


PRISONCAP, PRT = "processed-prisoncap", "processed-prt"
FAULTS = [
    ("officer_fte_quarterly", PRISONCAP, "officer_fte_timeseries.csv", _sub(0, "band34_officers", "band_34"),
     r"line 1: expected column\(s\) \['band34_officers'\]"),
    ("officer_fte_quarterly", PRISONCAP, "officer_fte_timeseries.csv", _sub(3, "15708.4", "15708.4x"),
     r"line 4 column band34_officers: expected a number, found '15708.4x'"),
    ("officer_fte_quarterly", PRISONCAP, "officer_fte_timeseries.csv", lambda ls: ls[:4] + [ls[3]] + ls[4:],
     r"line 5: date 2017-09-30 is not after the previous row's 2017-09-30"),
    ("officer_fte_quarterly", PRISONCAP, "officer_fte_timeseries.csv", _sub(2, "2017-06-30", "2017-06-29"),
     r"line 3: 2017-06-29 is not a quarter end"),
    ("officer_fte_quarterly", PRISONCAP, "prisoners_per_officer.csv", _sub(5, ",3.906,", ",3.916,"),
     r"prisoners_per_officer\.csv line 6 column prisoners_per_officer: '3\.916' disagrees"),
    ("officer_fte_quarterly", PRISONCAP, "prisoners_per_officer.csv", _sub(1, "14870.2", "14870.3"),
     r"officer_fte_timeseries\.csv line 2 and processed-prisoncap/prisoners_per_officer\.csv line 2: staff or "
     r"population figures for 2017-03-31 differ"),
    ("officer_staffing_vs_target", PRISONCAP, "officer_staffing_estate.csv", _sub(2, "203.9", "213.9"),
     r"officer_staffing_estate\.csv line 3 column gap: '213\.9' is not officers minus target"),
    ("officer_staffing_vs_target", PRISONCAP, "officer_staffing_estate.csv", _sub(2, ",105,", ",many,"),
     r"officer_staffing_estate\.csv line 3 column n: expected a number, found 'many'"),
    ("officer_staffing_vs_target", PRISONCAP, "officer_staffing_estate.csv", lambda ls: ls[:3] + [ls[2]] + ls[3:],
     r"officer_staffing_estate\.csv line 4: date 2024-03-31 is not after"),
    ("officers_annual_prt", PRT, "bromley__state_of_our_prisons__workforce_staff.csv",
     _sub(3, "HMPPS employed prison officers", "Prison officers (all)"), r"line 4 column type: 'Prison officers \(all\)'"),
    ("officers_annual_prt", PRT, "bromley__state_of_our_prisons__workforce_staff.csv",
     lambda ls: ls[:3] + [ls[2]] + ls[3:], r"line 4: 2011 'HMPPS employed prison officers' appears twice"),
    ("officers_annual_prt", PRT, "bromley__state_of_our_prisons__workforce_staff.csv", _sub(4, "-0.13", "-0.31"),
     r"line 5 column percent: -0\.31 is not the change on 2010"),
    ("officers_annual_prt", PRT, "bromley__state_of_our_prisons__workforce_staff.csv", _sub(4, ",21506,", ",21,506,"),
     r"line 5: 5 cells where the header has 4"),
    ("probation_caseload", PRISONCAP, "probation_caseload_series.csv", _sub(5, "(Break in series)", "(Revised)"),
     r"probation_caseload_series\.csv line 6 column 1: unexpected text '\(Revised\) \[note 49\]'"),
    ("probation_caseload", PRISONCAP, "probation_caseload_series.csv", _sub(0, "All supervision | 242397", "All supervision | 242398"),
     r"probation_caseload_series\.csv line 1 column 2: the header's value 242398 is not the first row's 242397"),
    ("probation_caseload", PRISONCAP, "probation_caseload_series.csv", _sub(2, ",169044,", ",169,044,"),
     r"probation_caseload_series\.csv line 3: 58 cells where the header has 57"),
    ("probation_caseload", PRISONCAP, "probation_caseload_series.csv", _sub(2, ",169044,", ",n/a,"),
     r"probation_caseload_series\.csv line 3 column 3 \(All supervision in the community \[note 16\], all\): "
     r"expected a number, found 'n/a'"),
    ("probation_caseload", PRISONCAP, "probation_caseload_series.csv", _sub(3, ",223806,", ",223807,"),
     r"probation_caseload_series\.csv line 4: 'All supervision' men \(223807\) plus women \(22696\) is 246503"),
    ("probation_caseload", PRISONCAP, "probation_caseload_series.csv", _sub(0, "Deferred sentence | 4", "Deferred order | 4"),
     r"probation_caseload_series\.csv line 1 column 12: unknown measure 'Deferred order'"),
    ("probation_caseload", PRISONCAP, "probation_caseload_series.csv", lambda ls: ls[:3] + [ls[2]] + ls[3:],
     r"probation_caseload_series\.csv line 4: date 2025-06-30 is not after"),
    ("probation_caseload", PRISONCAP, "probation_caseload_annual.csv", _sub(1, "241144.0", "241,144"),
     r"probation_caseload_annual\.csv line 2: 13 cells where the header has 12"),
    ("probation_caseload", PRISONCAP, "probation_caseload_annual.csv", _sub(1, "241144.0", "c.241000"),
     r"probation_caseload_annual\.csv line 2 column 3 \(All supervision, 2015\): expected a number"),
    ("probation_caseload", PRISONCAP, "probation_caseload_annual.csv", lambda ls: ls[:6] + [ls[5]] + ls[6:],
     r"probation_caseload_annual\.csv line 7: measure 'Pre-release supervision' appears twice \(first on line 6\)"),
    ("probation_caseload", PRISONCAP, "probation_caseload_quarterly.csv", _sub(1, ",258332,", ",258333,"),
     r"probation_caseload_quarterly\.csv line 2 column 'All supervision': 258333 disagrees with the quarterly series"),
]


@pytest.mark.parametrize("table, slug, name, edit, message", FAULTS,
                         ids=[f"{f[2].split('.')[0]}-{i}" for i, f in enumerate(FAULTS)])
def test_bad_raw_file_fails_naming_file_and_line(raw_copy, table, slug, name, edit, message):
    cfg, raw = raw_copy
    _edit(raw / slug / name, edit)
    with pytest.raises(IngestError, match=message):
        build_tables(cfg, only=[table])


def test_the_faults_start_from_files_that_build(raw_copy):
    cfg, _ = raw_copy
    assert set(build_tables(cfg, only=TABLES)) == set(TABLES)


# The chapter: every figure on the page comes from the processed tables.

def test_headline_tiles_show_the_latest_values_changes_and_releases(data, config):
    html = chapter.headline_tile(data, config).html
    fte, target = data.fte, data.target
    last = fte.iloc[-1]
    assert f"{last['band_3_4_officers_fte']:,.0f}" in html
    change = round(last["band_3_4_officers_fte"] - fte.iloc[-2]["band_3_4_officers_fte"])
    assert f"{'up' if change > 0 else 'down'} {abs(change):,} on the previous quarter" in html
    assert f"{fte['prisoners_per_officer'].dropna().iloc[-1]:.2f}" in html
    assert f"{target['pct_of_target'].iloc[-1]:.1f}%" in html and "(against a target)" in html
    assert "(ratio of two counts)" in html
    total = chapter.caseload(data.probation)
    assert f"{total['value'].iloc[-1]:,.0f}" in html
    year_ago = total[total["date"] == total["date"].iloc[-1] - pd.DateOffset(years=1)]["value"].iloc[0]
    assert f"up {total['value'].iloc[-1] - year_ago:,.0f} on 12 months earlier" in html
    assert f"start a new series ({total['series_break'].iloc[-1]}" in html
    assert html.count("Next release:") == 2 and html.count('class="jct-tile"') == 2
    assert total["row_ref"].iloc[-1] in html and last["row_ref"] in html


def test_narrative_figures_match_the_tables(data, known):
    fte, t, prt = data.fte, data.target, data.prt
    text = chapter.prison_summary(data).html
    last, peak = fte.iloc[-1], fte.loc[fte["band_3_4_officers_fte"].idxmax()]
    assert f"{round(last['band_3_4_officers_fte']):,} band 3-4 prison officers" in text
    assert f"{round(peak['band_3_4_officers_fte'] - last['band_3_4_officers_fte']):,} fewer than at the peak" in text
    ratio = fte.dropna(subset=["prisoners_per_officer"])
    assert f"{ratio['prisoners_per_officer'].iloc[-1]:.2f} prisoners for each" in text
    assert f"{ratio['prisoners_per_officer'].min():.2f} at the lowest point" in text

    text = chapter.target_summary(data, known).html
    assert f"{t['pct_of_target'].iloc[-1]:.1f}% of target, {round(abs(t['gap'].iloc[-1])):,} FTE short of it" in text
    fact = known[chapter.FACT_OFFICER_STAFFING]
    at = t[t["date"] == pd.Timestamp(fact.period)]["pct_of_target"].iloc[0]
    assert f"give {at:.1f}% for that date" in text
    assert ("rounds to the same figure" in text) == (round(at) == round(fact.value))
    assert fact.url in text

    text = chapter.long_run_summary(data).html
    assert f"{abs(prt['officers_pct_change_vs_2010'].iloc[-1]):.1f}% fewer than in 2010" in text
    assert f"{prt['officers'].iloc[-1]:,} HMPPS-employed prison officers in {prt['year'].iloc[-1]}" in text

    total = chapter.caseload(data.probation)
    women = chapter.caseload(data.probation, sex="female")
    text = chapter.probation_summary(data).html
    assert f"{total['value'].iloc[-1]:,.0f} people were under probation supervision" in text
    assert f"({women['value'].iloc[-1] / total['value'].iloc[-1] * 100:.1f}%) were women" in text


def test_series_break_effect_is_computed_from_the_quarterly_caseload(data):
    q = chapter.caseload(data.probation)
    q = q[q["series"] == "quarterly"].reset_index(drop=True)
    i = int(q.index[q["series_break"] != ""][0])
    change = q["value"].iloc[i] - q["value"].iloc[i - 1]
    mean = q["value"].diff().iloc[i - 3:i].mean()
    e = chapter.series_break_effect(data)
    assert e["change"] == change and e["mean_prior"] == pytest.approx(mean)
    text = chapter.break_note(data).html
    assert f"rose by {round(change):,}" in text and f"about {round(change - mean):,}" in text


def test_probation_staffing_divides_only_counts_of_the_same_date(data, known):
    text = chapter.probation_staffing(data, known).html
    total = chapter.caseload(data.probation).set_index("date")["value"]
    po = chapter.fact_series(known, chapter.PROBATION_OFFICERS_B4).set_index("date")["value"]
    pso = chapter.fact_series(known, chapter.PROBATION_SERVICES_OFFICERS_B3).set_index("date")["value"]
    shown = 0
    for date in po.index.intersection(pso.index):
        if date in total.index:
            shown += 1
            assert f"about {total[date] / (po[date] + pso[date]):.0f} people per practitioner" in text
            assert f"{round(total[date]):,} people under supervision" in text
        else:
            assert chapter.fmt_date(date) in text.split("No ratio is shown for", 1)[1]
    assert shown >= 1
    for fid in chapter.PROBATION_FACTS:
        assert f'id="fact-{fid}"' in text and known[fid].url in text
    assert "3,150" not in text and "3150" not in text


def test_alt_text_is_generated_from_the_data(data):
    fte, t, prt = data.fte, data.target, data.prt
    text = chapter.alt_text_officers(fte)
    assert f"{round(fte['band_3_4_officers_fte'].iloc[0]):,}" in text
    assert f"{round(fte['band_3_4_officers_fte'].max()):,}" in text
    text = chapter.alt_text_target(t)
    assert f"{len(t)} dates" in text and f"{t['pct_of_target'].max():.1f}%" in text
    text = chapter.alt_text_long_run(prt)
    assert f"{prt['officers_pct_change_vs_2010'].min():+.1f}% in {prt.loc[prt['officers_pct_change_vs_2010'].idxmin(), 'year']}" in text
    text = chapter.alt_text_probation(data.probation)
    total = chapter.caseload(data.probation)
    assert f"{total['value'].iloc[-1]:,.0f}" in text and f"{total['value'].max():,.0f}" in text
    assert "break in series" in text


def test_tile_says_when_there_is_no_year_earlier_figure(data, config):
    short = chapter.StaffingData(data.fte.tail(3).reset_index(drop=True), data.target.tail(2).reset_index(drop=True),
                                 data.prt, data.probation)
    html = chapter.headline_tile(short, config).html
    assert "no comparable figure on 12 months earlier" in html


@pytest.mark.parametrize("fn, chart_id, rows, who", [
    (chapter.officers_fte_chart, "officers-fte", lambda d: len(d.fte), "Walk Forward Research"),
    (chapter.prisoners_per_officer_chart, "prisoners-per-officer", lambda d: d.fte["prisoners_per_officer"].notna().sum(),
     "Walk Forward Research"),
    (chapter.officers_vs_target_chart, "officers-vs-target", lambda d: len(d.target), "Walk Forward Research"),
    (chapter.long_run_chart, "officers-long-run", lambda d: len(d.prt), "Prison Reform Trust"),
    (chapter.probation_chart, "probation-caseload", lambda d: d.probation["date"].nunique(), "Walk Forward Research"),
])
def test_chart_blocks_have_static_svg_alt_text_table_and_source(data, config, fn, chart_id, rows, who):
    block = fn(data, config).html
    assert f'id="vis-{chart_id}"' in block and f'data-chart-id="{chart_id}"' in block
    assert re.search(rf'<noscript><img class="jct-chart-static" src="(\.\./)*charts/{chart_id}/{chart_id}\.svg" '
                     r'alt="Line chart', block)
    assert '<p class="jct-chart-summary">Line chart' in block
    assert block.count("<tr>") == min(rows(data), MAX_TABLE_ROWS) + 1
    source = re.search(r'<p class="jct-chart-source">(.*?)</p>', block).group(1)
    assert "Ministry of Justice" in source and who in source
    assert_charts_run_no_inline_code(block)


def test_sources_credit_moj_and_every_third_party_with_its_licence(config):
    html = chapter.sources(config).html
    assert html.count("<li>") == len(chapter.ALL_SOURCES)
    for who in ("Ministry of Justice", "Walk Forward Research", "Prison Reform Trust", "CC BY 4.0", "MIT",
                "Open Government Licence"):
        assert who in html, who


def test_template_and_toc_entry_fit_the_module(config):
    nb = nbformat.read(REPO_ROOT / "notebooks" / "staffing.ipynb", as_version=4)
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None
            assert "display(" not in cell.source and "Markdown" not in cell.source
            for name in re.findall(r"chapter\.(\w+)", cell.source):
                assert hasattr(chapter, name), name
    assert nb.cells[0].source.startswith("# {{ chapter_title }}")
    entry = next(c for c in config.chapters() if c.file == "book/chapters/staffing")
    reads = set(entry.notebook.reads)
    assert {v for k, v in entry.notebook.parameters.items() if k.endswith("_table")} <= reads
    assert reads == set(TABLES) | {"release_calendar", "prisons"}
    for sid in chapter.ALL_SOURCES:
        assert config.source(sid).third_party and config.source(sid).parser == "justice_tracker.ingest.staffing"
