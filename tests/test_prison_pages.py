"""The page per prison and the index of prisons: the `prisons` table is re-derived from the raw files, its keys are
stable across renames, and every figure the pages show is computed from the processed tables (checked here by
computing it again from monthly_establishments / monthly_establishments_legacy)."""
from __future__ import annotations

import json
import re

import nbformat
import pandas as pd
import pytest

from justice_tracker.charts import MAX_TABLE_ROWS
from justice_tracker.chapters import prison as page
from justice_tracker.chapters import prisons_index as index
from justice_tracker.ingest import IngestError, build_tables, table_csv_text
from justice_tracker.ingest import prisons as ingest
from justice_tracker.parsers.prison_names import load_prison_names
from justice_tracker.paths import REPO_ROOT
from support.chart_specs import assert_charts_run_no_inline_code

EVIL = "<script>alert(1)</script> & Co"


@pytest.fixture(scope="module")
def prisons(config):
    return pd.read_csv(config.processed_path("prisons"), dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def recent(config):
    return pd.read_csv(config.processed_path("monthly_establishments"))


@pytest.fixture(scope="module")
def legacy(config):
    return pd.read_csv(config.processed_path("monthly_establishments_legacy"))


def test_prisons_table_rederives_byte_identically(config, shared_raw):
    cfg = config.model_copy(update={"raw_dirs": [str(shared_raw)]})
    built = build_tables(cfg, only=["monthly_establishments", "monthly_establishments_legacy", "prison_changes",
                                    "prisons"])
    assert table_csv_text(built["prisons"]) == config.processed_path("prisons").read_text(encoding="utf-8")


def test_one_row_per_key_of_either_monthly_table_and_keys_are_stable(prisons, recent, legacy):
    assert prisons["prison_key"].is_unique
    assert set(prisons["prison_key"]) == set(recent["prison_key"]) | set(legacy["prison_key"])
    assert prisons["prison_key"].str.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*").all()
    by_key = prisons.set_index("prison_key")
    # A renamed establishment keeps one key: each of these names is printed under the same key.
    for key, names in {"northumberland": ["Acklington / Castington", "Northumberland"],
                       "the-verne": ["Verne", "Verne (IRC)", "The Verne"],
                       "morton-hall": ["Morton Hall", "Morton Hall (IRC)"],
                       "elmley": ["Elmley (Sheppey)", "Elmley"]}.items():
        for name in names:
            assert f"{name} (" in by_key.loc[key, "names_printed"], (key, name)
        printed = set(legacy.loc[legacy["prison_key"] == key, "establishment"]) | set(
            recent.loc[recent["prison_key"] == key, "prison"])
        assert set(names) <= printed
    # Sites reported separately in 2018-2026 stay separate; the rows that combined them keep keys of their own.
    for key in ("moorland", "hatfield", "hollesley-bay", "warren-hill", "moorland-hatfield"):
        assert key in by_key.index
    assert by_key.loc["moorland-hatfield", "related_keys"].split() == ["hatfield", "moorland"]
    assert set(by_key.loc["northumberland", "related_keys"].split()) == {"acklington", "castington"}
    assert by_key.loc["acklington", "status"] == "merged" and by_key.loc["acklington", "last_month"] == "2011-07"
    assert by_key.loc["acklington", "status_into"] == "northumberland"


def test_open_establishments_are_those_in_the_latest_month_holding_people(prisons, recent):
    latest = recent["month"].max()
    rows = recent[recent["month"] == latest]
    in_latest = set(rows["prison_key"])
    holding = set(rows.loc[rows["population"] > 0, "prison_key"])
    assert set(prisons.loc[prisons["in_latest"] == "yes", "prison_key"]) == in_latest
    assert set(prisons.loc[prisons["status"] == "open", "prison_key"]) == holding
    assert 110 <= len(in_latest) <= 130
    assert (prisons.loc[prisons["in_latest"] == "no", "last_month"] < latest).all()


def test_latest_figures_and_provenance_match_the_monthly_rows(prisons, recent, legacy):
    lg = legacy.rename(columns={"bulletin_month": "month"})
    both = pd.concat([lg, recent], ignore_index=True).sort_values("month", kind="stable")
    for _, row in prisons.sample(30, random_state=3).iterrows():
        last = both[both["prison_key"] == row["prison_key"]].iloc[-1]
        assert row["last_month"] == last["month"] and row["report_date"] == last["report_date"]
        for col in ("population", "op_cap", "in_use_cna", "baseline_cna"):
            assert row[col] == ("" if pd.isna(last[col]) else str(int(last[col]))), (row["prison_key"], col)
        if row["crowding_pct"]:
            assert float(row["crowding_pct"]) == round(last["population"] / last["in_use_cna"] * 100, 1)
        assert row["source_file"] == last["source_file"]
        assert f"({last['month']}, from {last['source_file']} {last['row_ref']})" in row["row_ref"]


def test_operator_function_and_staffing_come_from_the_register_changes_and_staffing_file(prisons, shared_raw):
    by_key = prisons.set_index("prison_key")
    assert by_key.loc["altcourse", ["operator", "nomis_code", "predominant_function"]].tolist() == [
        "private", "ACI", "Local"]
    # G4S in the 2016-17 register, back in the public sector from July 2019 (MoJ list of changes).
    assert by_key.loc["birmingham", "operator"] == "public"
    assert "July 2019" in by_key.loc["birmingham", "operator_basis"]
    assert by_key.loc["lowdham-grange", "operator"] == "public"
    staffing = (shared_raw / "processed-prisoncap" / "staffing_capacity_202303_202606.csv").read_text().splitlines()
    assert (prisons["officer_fte_change"] != "").sum() == len(staffing) - 1
    assert (prisons.loc[prisons["officer_fte_change"] != "", "operator"] == "public").all()
    bedford = next(line for line in staffing if line.startswith("bedford,")).split(",")
    assert float(by_key.loc["bedford", "officer_fte_change"]) == round(float(bedford[1]), 1)
    assert "+14.7 FTE" in by_key.loc["warren-hill", "officer_fte_note"]


def test_a_staffing_name_matching_no_prison_is_an_error_naming_it(config, shared_raw, tmp_path, prisons):
    folder = tmp_path / "processed-prisoncap"
    folder.mkdir()
    original = (shared_raw / "processed-prisoncap" / "staffing_capacity_202303_202606.csv").read_text()
    (folder / "staffing_capacity_202303_202606.csv").write_text(
        original + "hmp nowhere,1.0,0.0,0.0,Mar 2023 to Jun 2026 (full span)\n")
    cfg = config.model_copy(update={"raw_dirs": [str(tmp_path), str(shared_raw)]})
    records = {k: ingest._Prison(k) for k in prisons["prison_key"]}
    with pytest.raises(IngestError, match=r"staffing_capacity_202303_202606\.csv.*'hmp nowhere' \(line 105\)"):
        ingest._staffing(cfg, load_prison_names(cfg), records)


# The page per prison -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def altcourse(config):
    return page.load(config, "altcourse")


def test_page_values_match_the_table_and_the_monthly_rows(config, altcourse, prisons, recent):
    row = prisons.set_index("prison_key").loc["altcourse"]
    mine = recent[recent["prison_key"] == "altcourse"].sort_values("month")
    last, prev = mine.iloc[-1], mine.iloc[-2]
    measures, missing = page.tile_measures(altcourse)
    assert missing == []
    values = {m.label.split(" (")[0].split(":")[0]: m.latest.value for m in measures}
    assert values["Population"] == int(row["population"]) == last["population"]
    assert values["Operational capacity"] == int(row["op_cap"])
    assert values["In Use CNA"] == int(row["in_use_cna"])
    assert values["Crowding"] == float(row["crowding_pct"])
    assert values["Places out of use"] == last["baseline_cna"] - last["in_use_cna"]
    tile = page.headline_tile(altcourse, config).html
    diff = int(last["population"] - prev["population"])
    assert f"{'up' if diff > 0 else 'down'} {abs(diff):,} on the previous bulletin" in tile
    assert f"processed-prisoncap/monthly_establishments.csv {last['row_ref']}" in tile
    text = page.crowding_text(altcourse)
    assert f"held {int(last['population']):,} people in {int(last['in_use_cna']):,} places" in text
    assert f"{float(row['crowding_pct']):.1f}%" in text
    rates = (mine["population"] / mine["in_use_cna"] * 100).round(1).tolist() + [
        round(p / c * 100, 1) for p, c in zip(altcourse.series["population"][:altcourse.row["months_legacy"]],
                                              altcourse.series["in_use_cna"][:altcourse.row["months_legacy"]])]
    over = sum(r > 100 for r in rates)
    assert f"over 100% in {over} of {len(altcourse.series)} months" in text
    join = page.series_join_text(altcourse)
    assert "to May 2016" in join and "from March 2018" in join and "No month is in both" in join
    assert "21 months between (June 2016 to February 2018)" in join
    assert "privately run" in page.staffing_text(altcourse)


def test_tile_leaves_out_what_the_latest_bulletin_does_not_give(config):
    dartmoor = page.load(config, "dartmoor")  # no places in use since 2024: crowding is not defined
    measures, missing = page.tile_measures(dartmoor)
    assert [m.label for m in measures if m.label.startswith("Crowding")] == []
    assert missing == ["Crowding: population as % of In Use CNA"]
    assert "had no places in use" in page.crowding_text(dartmoor)
    assert "fell by 153.7 FTE" in page.staffing_text(dartmoor) and "March 2023 and June 2026" in page.staffing_text(
        dartmoor)


def test_chart_block_has_stable_id_gap_alt_text_and_data(config, altcourse):
    block = page.population_chart(altcourse, config).html
    assert 'data-chart-id="prison-altcourse-population"' in block
    alt = page.alt_text(altcourse)
    assert f'alt="{alt}"' in block.replace("&#x27;", "'")
    assert "no per-prison figures from June 2016 to February 2018, shown as a gap" in alt
    first = altcourse.series.iloc[0]
    assert f"{int(first['population']):,} (January 2011)" in alt
    # header + one row per month (the latest MAX_TABLE_ROWS months; the chart's own page has them all)
    assert block.count("<tr>") == min(len(altcourse.series), MAX_TABLE_ROWS) + 1
    frame = page.chart_frame(altcourse)
    pop = frame[frame["measure"] == "Population"]
    before, after = pop[pop["month"] == "2016-05"], pop[pop["month"] == "2018-03"]
    assert before["segment"].iloc[0] != after["segment"].iloc[0]  # the lines are not joined across the gap
    assert not pop["month"].between("2016-06", "2018-02").any()
    assert "No per-prison figures in either source" in block


def _synthetic(name: str = EVIL) -> page.PrisonData:
    recent = pd.DataFrame({
        "month": ["2025-06", "2025-07", "2026-06", "2026-07"],
        "report_date": ["2025-06-27", "2025-07-25", "2026-06-26", "2026-07-27"],
        "population": [900, 910, 950, 960], "op_cap": [1000] * 4, "in_use_cna": [800] * 4,
        "baseline_cna": [820] * 4, "source_id": ["wfr-monthly"] * 4,
        "source_file": ["processed-prisoncap/monthly_establishments.csv"] * 4,
        "row_ref": ["line 2", "line 3", "line 4", "line 5"]})
    legacy = pd.DataFrame({
        "bulletin_month": ["2016-05"], "report_date": ["2016-05-27"], "population": [700], "op_cap": [750],
        "in_use_cna": [650], "baseline_cna": [650], "source_id": ["moj-monthly-legacy"],
        "source_file": ["prison-population-monthly-legacy/may.rtf"], "row_ref": ["line 9"]})
    row = {"prison_key": "test-prison", "prison_name": name, "status": "open", "status_since": "",
           "status_into": "", "status_basis": "monthly bulletins: in the latest bulletin", "in_latest": "yes",
           "empty_since": "", "last_held_month": "2026-07", "contractor": "", "section": "prison",
           "first_month": "2016-05", "last_month": "2026-07", "months_legacy": 1, "months_recent": 4,
           "last_legacy_month": "2016-05", "first_recent_month": "2025-06", "report_date": "2026-07-27",
           "population": 960, "op_cap": 1000, "in_use_cna": 800, "baseline_cna": 820, "crowding_pct": 120.0,
           "cells_out_of_use": 20, "nomis_code": "", "operator": "public", "operator_basis": f"made up for {name}",
           "predominant_function": name, "region": "", "officer_fte_change": None, "officer_fte_window": "",
           "officer_fte_note": "", "names_printed": f"{name} (2016-05 to 2026-07, 5 months)",
           "notes": f"{name}: a note", "estate_changes": f"2020: {name} opened", "related_keys": "altcourse",
           "row_ref": f"latest: {name}"}
    return page.PrisonData(row, page.monthly_series(recent, legacy), "2026-07")


def _outside_scripts(html_text: str) -> str:
    return re.sub(r"<script\b[^>]*>.*?</script>", "", html_text, flags=re.S)


def test_names_from_data_are_escaped_everywhere(config):
    data = _synthetic()
    blocks = {
        "tile": page.headline_tile(data, config).html,
        "chart": page.population_chart(data, config).html,
        "crowding": page.crowding(data).html,
        "profile": page.profile(data).html,
        "staffing": page.staffing(data).html,
        "join": page.series_join(data).html,
        "history": page.history(data, {"altcourse": EVIL}).html,
        "rows": page.row_sources(data).html,
    }
    for where, text in blocks.items():
        assert "<script>alert" not in _outside_scripts(text), where
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in text, where
    # Inside the chart's spec the name is JSON with "<" escaped, so it cannot end the element; parsed, it is intact.
    specs = assert_charts_run_no_inline_code(blocks["chart"])
    assert EVIL in json.dumps(specs, ensure_ascii=False)
    assert "120.0%" in blocks["crowding"] and "960" in blocks["tile"]


def test_page_title_parameter_must_match_the_table(altcourse):
    page.check_title(altcourse, "Altcourse")
    with pytest.raises(ValueError, match="prison_name='Wrong'"):
        page.check_title(altcourse, "Wrong")


def test_templates_take_the_parameters_the_pages_block_passes():
    prison_nb = nbformat.read(REPO_ROOT / "notebooks" / "prison.ipynb", as_version=4)
    params = next(c for c in prison_nb.cells if "parameters" in c.metadata.get("tags", []))
    assert "prison_key =" in params.source and "prison_name =" in params.source
    assert prison_nb.cells[0].source.startswith("# {{ prison_name }}")
    index_nb = nbformat.read(REPO_ROOT / "notebooks" / "prisons_index.ipynb", as_version=4)
    assert index_nb.cells[0].source.startswith("# {{ page_title }}")


# The index ---------------------------------------------------------------------------------------------------------

def test_index_summary_counts_are_computed_from_the_latest_month(config, recent):
    latest = recent[recent["month"] == recent["month"].max()]
    rates = (latest["population"] / latest["in_use_cna"].where(latest["in_use_cna"] > 0) * 100).round(1).dropna()
    text = index.summary_text(index.load(config))
    assert f"{len(latest)} establishments are in the latest monthly bulletin" in text
    assert (f"{(rates > 100).sum()} held more people than their In Use CNA (over 100%), {(rates > 120).sum()} were "
            f"over 120% and {(rates > 150).sum()} over 150%") in text


def test_index_table_is_presorted_by_crowding_and_has_accessible_sort_buttons(config):
    everything = index.load(config)
    prisons = everything[everything["status"] == "open"]
    html_text = index.table_html(everything, "open")
    head = re.search(r"<thead>(.*?)</thead>", html_text, re.S).group(1)
    headers = re.findall(r"<th [^>]*>", head)
    assert len(headers) == len(index.COLUMNS) == head.count('<button type="button" class="jct-sort">')
    assert [h for h in headers if "aria-sort" in h] == ['<th scope="col" data-num="" aria-sort="descending">']
    body_rows = re.findall(r"<tr[^>]*>(.*?)</tr>", re.search(r"<tbody>(.*)</tbody>", html_text, re.S).group(1), re.S)
    assert len(body_rows) == len(prisons)
    crowd_col = [c for _, c, _ in index.COLUMNS].index("crowding_pct")
    shown = [re.findall(r'data-v="([^"]*)"', r)[crowd_col] for r in body_rows]
    numbers = [float(v) for v in shown if v]
    assert numbers == sorted(numbers, reverse=True) and numbers[0] == prisons["crowding_pct"].max()
    assert all(v == "" for v in shown[len(numbers):])  # blanks last
    top = prisons.loc[prisons["crowding_pct"].idxmax()]
    assert f'<a href="{top["prison_key"]}.html">{top["prison_name"]}</a>' in body_rows[0]
    script = re.search(r"<script>(.*?)</script>", html_text, re.S).group(1)
    assert len(script.encode()) < 2000 and "aria-sort" in script and "http" not in script
    assert 'aria-live="polite"' in html_text
    closed = index.table_html(everything, "closed")
    assert len(re.findall(r"<tr[ >]", closed)) == (everything["status"] != "open").sum() + 1
    assert 'id="jct-prisons-closed"' in closed and "'jct-prisons-closed'" in closed


def test_index_escapes_names(config):
    prisons = index.load(config).head(3).copy()
    prisons.loc[prisons.index[0], "prison_name"] = EVIL
    prisons["status"] = "open"
    # The finder's filter options and each row's data attributes come from the data too.
    prisons.loc[prisons.index[1], "predominant_function"] = EVIL
    html_text = (index.table_html(prisons, "open") + index.summary(prisons).html
                 + index.finder_html(prisons, "crowding.json", ""))
    assert "<script>alert" not in _outside_scripts(html_text)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html_text
    assert 'data-name="&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"' in html_text
    assert '<option value="&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co">' in html_text


def test_prison_key_with_markup_cannot_break_out_of_a_link():
    data = _synthetic("Plain")
    data.row["related_keys"] = 'x"><script>'
    assert '"><script>' not in page.history(data).html

