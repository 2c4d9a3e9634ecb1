"""Official MoJ files in the tables: precedence over the third-party series, disagreements kept, revised and
out-of-order files, a layout no parser knows, and `make data` writing every table or none.

The workbooks are written by tests/support/layouts.py from the documented layouts (no parser label or constant is
shared). Each test works on a copy of the processed tables and its own raw folder for downloads, with the sample
files in ../shared for everything else.
"""
from __future__ import annotations

import datetime as dt
import errno
import os
import shutil

import pandas as pd
import pytest

from justice_tracker.errors import IngestError
from justice_tracker.files import sha256_file
from justice_tracker.fetch.lock import LockedClassification, LockedPublication, LockEntry, SourcesLock
from justice_tracker.ingest import official, run_data
from justice_tracker.tables import DISAGREEMENTS_FILE, read_text_table
from support.layouts import WeekFigures, next_weekly_values, split_groups
from justice_tracker.errors import TableWriteError

pytestmark = pytest.mark.shared
WEEKLY = "prison-population-weekly"


@pytest.fixture
def project(tmp_path, config, shared_raw, monkeypatch):
    """(config, download folder, processed folder): a copy of the committed tables, an empty raw store."""
    processed = tmp_path / "processed"
    shutil.copytree(config.processed_folder, processed)
    downloads = tmp_path / "raw"
    downloads.mkdir()
    monkeypatch.setattr(official, "PARSE_CACHE_DIR", tmp_path / "parsed")
    cfg = config.model_copy(update={"raw_dirs": [str(downloads), str(shared_raw)], "processed_dir": str(processed)})
    return cfg, downloads, processed


def _hashes(folder):
    return {p.name: sha256_file(p) for p in sorted(folder.iterdir()) if p.is_file()}


def _weekly(downloads, name, date, population=None, **options):
    """A layout-B bulletin for `date` (figures: the next-week fixture's, with the total population changed)."""
    values = next_weekly_values()
    this = values.this_week
    if population is not None:
        this = split_groups(population, this.uoc["total"], date)
    folder = downloads / WEEKLY
    folder.mkdir(exist_ok=True)
    from support.layouts import write_weekly_bulletin_b

    return write_weekly_bulletin_b(folder / name, date, this, values.last_week, values.year_ago, values.margins,
                                   **options), this


def _lock_entry(path: str, fetched: str, published: str) -> LockEntry:
    return LockEntry(path=path, url=f"https://assets.publishing.service.gov.uk/media/{'0' * 24}/{path.split('/')[-1]}",
                     attachment_title="Population bulletin: weekly 7 September 2026",
                     publication=LockedPublication(base_path="/government/publications/x", title="x",
                                                   public_updated_at=published),
                     bytes=1, sha256="0" * 64, fetched_at=fetched, release=WEEKLY,
                     classification=LockedClassification(kind="weekly", reference_date="2026-09-07"))


def test_an_official_bulletin_replaces_the_third_party_week_and_both_values_are_kept(project):
    cfg, downloads, processed = project
    path, this = _weekly(downloads, "prison-pop-7-sept-2026.ods", dt.date(2026, 9, 7), population=86_870)
    run = run_data(cfg)
    assert "weekly_population_capacity" in {t.table.id for t in run.rebuilt()}
    weekly = read_text_table(processed / "weekly_population_capacity.csv")
    row = weekly[weekly["date"] == "2026-09-07"].iloc[0]
    assert (row["population"], row["source_id"], row["source_file"]) == ("86870", "moj-weekly", f"{WEEKLY}/{path.name}")
    assert row["raw_sha256"] == sha256_file(path)
    found = read_text_table(processed / DISAGREEMENTS_FILE)
    pop = found[(found["table_id"] == "weekly_population_capacity") & (found["column"] == "population")].iloc[0]
    assert (pop["period"], pop["kept_value"], pop["other_value"]) == ("2026-09-07", "86870", "86868")
    assert pop["kept_file"] == f"{WEEKLY}/{path.name}" and pop["kept_ref"].startswith("sheet Data, cells ")
    assert pop["other_file"] == "processed-prisoncap/weekly_population_capacity.csv" and pop["other_ref"] == "line 789"
    assert "1 disagreement" in run.report() or "disagreement(s)" in run.report()


def test_a_revised_bulletin_wins_over_the_first_and_the_note_names_both(project, monkeypatch):
    cfg, downloads, processed = project
    first, _ = _weekly(downloads, "prison-pop-7-sept-2026.ods", dt.date(2026, 9, 7), population=86_800)
    second, _ = _weekly(downloads, "prison-pop-7-sept-2026__rev-abc.ods", dt.date(2026, 9, 7), population=86_801)
    lock = SourcesLock({
        f"{WEEKLY}/{first.name}": _lock_entry(f"{WEEKLY}/{first.name}", "2026-09-07T10:00:00Z",
                                              "2026-09-07T09:30:00.000+01:00"),
        f"{WEEKLY}/{second.name}": _lock_entry(f"{WEEKLY}/{second.name}", "2026-09-09T10:00:00Z",
                                               "2026-09-09T09:30:00.000+01:00"),
    })
    monkeypatch.setattr(official, "_lock", lambda: lock)
    run = run_data(cfg)
    weekly = read_text_table(processed / "weekly_population_capacity.csv")
    assert weekly.set_index("date").loc["2026-09-07", "population"] == "86801"
    notes = next(t for t in run.rebuilt() if t.table.id == "weekly_population_capacity").notes
    assert f"{WEEKLY}/{first.name} and {WEEKLY}/{second.name} are both the bulletin of 2026-09-07; kept " \
           f"{WEEKLY}/{second.name}, the newer publication" in notes


def test_a_bulletin_that_arrives_out_of_order_takes_its_place_and_is_reported(project):
    cfg, downloads, processed = project
    # The third party has no bulletin for the bank holiday Monday 31 August 2026 (14 days from 24 August to
    # 7 September); an official one arriving now, after 7 September, is placed in date order.
    path, _ = _weekly(downloads, "prison-pop-31-aug-2026.ods", dt.date(2026, 8, 31), population=86_850)
    run = run_data(cfg)
    weekly = read_text_table(processed / "weekly_population_capacity.csv").set_index("date")
    assert list(weekly.index[-3:]) == ["2026-08-24", "2026-08-31", "2026-09-07"]
    assert (weekly.loc["2026-08-31", "week_gap_days"], weekly.loc["2026-09-07", "week_gap_days"]) == ("7", "7")
    notes = next(t for t in run.rebuilt() if t.table.id == "weekly_population_capacity").notes
    assert any(f"{WEEKLY}/{path.name}" in n and "out of order" in n and "sheet Data" in n for n in notes)


def test_a_layout_no_parser_knows_stops_make_data_naming_the_file_and_writes_nothing(project):
    cfg, downloads, processed = project
    before = _hashes(processed)
    _weekly(downloads, "prison-pop-14-sep-2026.ods", dt.date(2026, 9, 14),
            group_headers={"total": "Total", "adult_male": "Adult Men", "female": "Female", "ycs": "YCS"})
    with pytest.raises(IngestError, match=r"prison-population-weekly/prison-pop-14-sep-2026\.ods \(official source "
                                          r"'moj-weekly'\) cannot be read: prison-pop-14-sep-2026\.ods, sheet 'Data': "
                                          r"unknown layout.*row 3"):
        run_data(cfg)
    assert _hashes(processed) == before


def test_a_file_that_cannot_be_read_is_an_error_naming_it(project):
    cfg, downloads, processed = project
    before = _hashes(processed)
    folder = downloads / WEEKLY
    folder.mkdir()
    (folder / "notes.ods").write_bytes(b"")  # an empty download
    with pytest.raises(IngestError, match=r"prison-population-weekly/notes\.ods \(official source 'moj-weekly'\) "
                                          r"cannot be read: notes\.ods: expected a spreadsheet .*found 'empty' content"):
        run_data(cfg)
    assert _hashes(processed) == before
    # An OMSQ release carries a dozen workbooks: one the recall parser does not recognise is listed, not an error.
    (folder / "notes.ods").unlink()
    omsq = downloads / "omsq"
    omsq.mkdir()
    shutil.copy(next((downloads.parent / "processed").glob("*.csv")), omsq / "prison-population-tables.ods")
    with pytest.raises(IngestError, match=r"omsq/prison-population-tables\.ods \(official source 'moj-omsq'\) cannot "
                                          r"be read: .*the bytes are 'csv-or-text', not 'ods'"):
        run_data(cfg)


def test_writing_is_all_or_none_when_the_disk_fills(project, monkeypatch):
    cfg, downloads, processed = project
    before = _hashes(processed)
    _weekly(downloads, "prison-pop-14-sep-2026.ods", dt.date(2026, 9, 14))
    run_data(cfg, write=False)  # parse once, so the only files written below are the tables and their manifest
    real_fdopen, calls = os.fdopen, []

    def full_disk(fd, *args, **kwargs):
        calls.append(fd)
        if len(calls) == 3:  # the third file of the batch cannot be written
            os.close(fd)
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fdopen(fd, *args, **kwargs)

    monkeypatch.setattr(os, "fdopen", full_disk)
    with pytest.raises(TableWriteError, match=r"writing \S+\.csv: No space left on device; nothing was changed"):
        run_data(cfg)
    monkeypatch.undo()
    assert _hashes(processed) == before
    assert not [p for p in processed.iterdir() if p.name.endswith(".tmp")]


def test_unchanged_inputs_rebuild_nothing_and_a_new_file_rebuilds_only_what_reads_it(project):
    cfg, downloads, processed = project
    assert run_data(cfg).rebuilt() == []
    _weekly(downloads, "prison-pop-14-sep-2026.ods", dt.date(2026, 9, 14))
    rebuilt = {t.table.id for t in run_data(cfg).rebuilt()}
    # The weekly table, and what is derived from it (breaks, officers' population denominator).
    assert rebuilt == {"weekly_population_capacity", "definitional_breaks", "officer_fte_quarterly"}
    assert run_data(cfg).rebuilt() == []


def test_the_official_rows_say_which_cells_they_came_from(project):
    cfg, downloads, processed = project
    path, this = _weekly(downloads, "prison-pop-14-sep-2026.ods", dt.date(2026, 9, 14))
    run_data(cfg)
    row = read_text_table(processed / "weekly_population_capacity.csv").iloc[-1]
    parsed = official.official_files(cfg, "moj-weekly").files[0].parsed.table
    this_week = parsed[(parsed["period"] == "this_week") & (parsed["group"] == "total")].set_index("measure")
    assert row["row_ref"] == (f"sheet Data, cells {this_week.loc['population', 'cell']} (population), "
                              f"{this_week.loc['useable_operational_capacity', 'cell']} (UOC)")
    assert int(row["population"]) == this.population["total"] == int(this_week.loc["population", "value"])
    assert isinstance(WeekFigures.of(this), WeekFigures)
    assert pd.notna(row["uoc_female"]) and int(row["headroom_female"]) == this.headroom["female"]
