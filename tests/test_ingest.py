"""Ingest: the committed processed tables are exactly what the code derives from the real raw files, and bad
raw files fail loudly, naming the file and line, without writing anything."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest

from justice_tracker.files import sha256_file
from justice_tracker.ingest import IngestError, MissingRawFile, build_tables, table_csv_text, write_tables


@pytest.fixture(scope="module")
def derived(config, shared_raw):
    """Every table derived afresh from the sample files (seconds): made once for the tests that need it, which
    run on one worker (xdist_group) so that it is."""
    cfg = config.model_copy(update={"raw_dirs": [str(shared_raw)]})
    return cfg, build_tables(cfg)


@pytest.mark.slow
@pytest.mark.xdist_group("derivation")
def test_processed_tables_are_byte_identical_to_a_rederivation(config, derived):
    _, built = derived
    assert set(built) == {t.id for t in config.tables}
    for tid, frame in built.items():
        committed = config.processed_path(tid).read_text(encoding="utf-8")
        assert table_csv_text(frame) == committed, f"{tid}.csv differs from a fresh derivation: run `make data`"


def test_every_row_carries_provenance_back_to_the_raw_file(config, shared_raw):
    weekly = pd.read_csv(config.processed_path("weekly_population_capacity"))
    raw = shared_raw / "processed-prisoncap" / "weekly_population_capacity.csv"
    assert set(weekly["raw_sha256"]) == {sha256_file(raw)}
    lines = raw.read_text().splitlines()
    for _, row in weekly.sample(25, random_state=1).iterrows():
        line = lines[int(row["row_ref"].split()[1]) - 1].split(",")
        assert line[0] == row["date"]
        assert float(line[1]) == row["population"]
        assert float(line[9]) == row["uoc"]
    assert weekly["bulletin_url"].str.startswith("https://").all()


def test_weekly_series_runs_from_2011_to_the_latest_sample_week(config):
    weekly = pd.read_csv(config.processed_path("weekly_population_capacity"), parse_dates=["date"])
    assert weekly["date"].min() == pd.Timestamp("2011-01-07")
    assert weekly["date"].is_monotonic_increasing and weekly["date"].is_unique
    assert (weekly["headroom"] == weekly["uoc"] - weekly["population"]).all()
    assert ((weekly["pct_uoc_in_use"] - weekly["population"] / weekly["uoc"] * 100).abs() <= 0.005).all()
    # Reporting moved from Fridays to Mondays on 21 October 2024.
    before = weekly[weekly["date"] < "2024-10-21"]["date"].dt.day_of_week
    after = weekly[weekly["date"] >= "2024-10-21"]["date"].dt.day_of_week
    assert (before == 4).mean() > 0.99 and (after == 0).all()


def test_breaks_include_the_friday_to_monday_switch_and_margin_changes(config):
    breaks = pd.read_csv(config.processed_path("definitional_breaks"))
    switch = breaks[breaks["date"] == "2024-10-21"]
    assert len(switch) == 1 and "Friday to Monday" in switch.iloc[0]["label"]
    margins = breaks[breaks["kind"] == "operating_margin"]
    assert "Operating margin 1,350 to 1,640" in set(margins["label"])
    assert (margins["date"] == "2025-07-28").any()


# Fault cases: small raw files made from the real one by this code.

@pytest.fixture
def raw_copy(tmp_path, shared_raw, config):
    for slug in {s.slug for s in config.sources if (shared_raw / s.slug).is_dir()}:
        shutil.copytree(shared_raw / slug, tmp_path / "raw" / slug)
    out = tmp_path / "processed"
    out.mkdir()
    cfg = config.model_copy(update={"raw_dirs": [str(tmp_path / "raw")], "processed_dir": str(out)})
    return cfg, tmp_path / "raw" / "processed-prisoncap" / "weekly_population_capacity.csv", out


def _edit_lines(path, fn):
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(fn(lines)))


@pytest.mark.parametrize("edit, message", [
    (lambda ls: ls[:5] + [ls[4]] + ls[5:], r"line 6: date 2011-01-28 is not after"),
    (lambda ls: ls[:-1] + [ls[-1].replace("2026-09-07", "2099-09-07", 1)], r"line 789: date 2099-09-07 is in the future"),
    (lambda ls: ls[:3] + [ls[3].replace("83780.0", "-83780.0", 1)] + ls[4:], r"line 4: population .* must be positive"),
    (lambda ls: ls[:3] + [ls[3].replace("83780.0", "83780[x]", 1)] + ls[4:], r"line 4 column pop_total: expected a whole number"),
    (lambda ls: [ls[0].replace("uoc_total", "capacity")] + ls[1:], r"line 1: expected column\(s\) \['uoc_total'\]"),
    (lambda ls: ls[:3] + [ls[3].replace(",4220.0,", ",4221.0,", 1)] + ls[4:], r"line 4: headroom 4221 disagrees"),
    (lambda ls: [], r"file is empty"),
])
def test_bad_weekly_file_fails_naming_file_and_line_and_writes_nothing(raw_copy, edit, message):
    cfg, weekly_raw, out = raw_copy
    _edit_lines(weekly_raw, edit)
    with pytest.raises(IngestError, match=r"processed-prisoncap/weekly_population_capacity\.csv.*" + message):
        build_tables(cfg)
    assert list(out.iterdir()) == []


def test_missing_raw_file_names_it_and_where_it_looked(raw_copy):
    cfg, weekly_raw, out = raw_copy
    weekly_raw.unlink()
    with pytest.raises(MissingRawFile, match=r"processed-prisoncap/weekly_population_capacity\.csv"):
        build_tables(cfg)
    assert list(out.iterdir()) == []


@pytest.mark.slow
@pytest.mark.xdist_group("derivation")
def test_writing_is_deterministic(derived, tmp_path):
    """The same tables give the same bytes, manifest included, however often they are written (a second build from
    the same raw files gives the same tables: test_processed_tables_are_byte_identical_to_a_rederivation)."""
    cfg, built = derived
    out = tmp_path / "processed"
    out.mkdir()
    cfg = cfg.model_copy(update={"processed_dir": str(out)})
    write_tables(cfg, built)
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    write_tables(cfg, built)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


# The dependency graph: declared in tracker.yml, walked in order, rebuilt only where inputs changed.

def test_the_committed_tables_are_up_to_date_with_their_inputs(config, shared_raw):
    from justice_tracker.ingest import plan_data

    planned = [(t.table.id, t.reason) for t in plan_data(config) if t.status == "planned"]
    assert planned == [], f"run `make data`: {planned}"


def test_every_table_reads_back_to_the_bytes_it_was_written_as(config):
    """A table not rebuilt in a run is read back (with its schema's types) for the tables derived from it; what it
    gives must be what its builder made, or the incremental build would differ from a full one."""
    from justice_tracker.tables import read_typed

    for table in config.tables:
        text = config.processed_path(table.id).read_text(encoding="utf-8")
        assert table_csv_text(read_typed(config, table.id)) == text, table.id


def test_inputs_come_before_the_tables_derived_from_them(config):
    order = [t.id for t in config.build_order()]
    for table in config.tables:
        for upstream in table.tables:
            assert order.index(upstream) < order.index(table.id)
    assert set(config.downstream({"monthly_establishments"})) == {"cells_out_of_use_estate", "prisons"}


def test_a_builder_reading_a_table_it_did_not_declare_is_a_config_error(config):
    from justice_tracker.config import ConfigError
    from justice_tracker.ingest import Inputs

    inputs = Inputs(config.table("prisons"), {"monthly_establishments": pd.DataFrame(), "projections": pd.DataFrame()})
    assert set(inputs) == {"monthly_establishments"}
    with pytest.raises(ConfigError, match="table 'prisons' reads table 'projections', which it does not declare"):
        inputs["projections"]


def test_a_cycle_between_tables_is_refused_on_load(tmp_path):
    import yaml

    from justice_tracker.config import CONFIG_FILE, ConfigError, load_config

    data = yaml.safe_load(CONFIG_FILE.read_text(encoding="utf-8"))
    by_id = {t["id"]: t for t in data["tables"]}
    by_id["monthly_establishments"]["tables"] = ["prisons"]
    path = tmp_path / "tracker.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"cycle: .*prisons -> monthly_establishments"):
        load_config(path)
