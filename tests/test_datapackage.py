"""The open data package (justice_tracker/datapackage.py) and the changes.json schema.

The package is validated with the `frictionless` library (zero errors), and with the package's own check, which
the build and `make edition` run; both must also catch a broken copy.
"""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from justice_tracker import datapackage as dp
from justice_tracker.paths import REPO_ROOT
from justice_tracker.schemas import SCHEMAS

CHANGES_SCHEMA = REPO_ROOT / "schemas" / "changes.schema.json"


def frictionless_errors(descriptor: Path) -> list[str]:
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(str(descriptor))
    errors = [f"{e.type}: {e.message}" for e in report.errors]
    errors += [f"{t.name}: {e.type}: {e.message}" for t in report.tasks for e in t.errors]
    return errors


@pytest.fixture(scope="module")
def package(config, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("package")
    dp.write_package(config, config.processed_folder, out, {"id": "2026-12", "date": "2026-12-02"})
    return out


def test_every_column_of_every_table_has_a_description_and_no_stale_ones(config):
    missing, stale = [], []
    for table in config.tables:
        columns = list(SCHEMAS[table.id].columns)
        for column in columns:
            try:
                text, _ = dp.field_doc(table.id, column)
            except KeyError:
                missing.append(f"{table.id}.{column}")
                continue
            if len(text.split()) < 3:
                missing.append(f"{table.id}.{column} (too short: {text!r})")
        stale += [f"{table.id}.{c}" for c in dp.FIELDS.get(table.id, {}) if c not in columns]
    stale += [t for t in dp.FIELDS if t not in {t.id for t in config.tables}]
    assert missing == [], "columns without a description in justice_tracker/datapackage.py FIELDS"
    assert stale == [], "descriptions of columns no table has"


def test_the_package_validates_with_frictionless_and_its_own_check(package):
    assert frictionless_errors(package / dp.DESCRIPTOR) == []
    assert dp.check_package(package) == []


def test_each_resource_describes_its_csv_its_key_and_its_types(config, package):
    descriptor = json.loads((package / dp.DESCRIPTOR).read_text())
    assert descriptor["version"] == "2026-12"
    resources = {r["name"]: r for r in descriptor["resources"]}
    assert sorted(resources) == sorted(t.id.replace("_", "-") for t in config.tables)
    for table in config.tables:
        r = resources[table.id.replace("_", "-")]
        assert r["path"] == f"processed/{table.id}.csv"
        assert r["description"] == " ".join(table.description.split())
        assert r["schema"]["primaryKey"] == table.key
        with (package / r["path"]).open(newline="") as fh:
            assert next(csv.reader(fh)) == [f["name"] for f in r["schema"]["fields"]]
        for f in r["schema"]["fields"]:
            pandera_type = str(SCHEMAS[table.id].columns[f["name"]].dtype)
            if pandera_type in ("int64", "Int64"):
                assert f["type"] == "integer", (table.id, f["name"])
            elif pandera_type.lower().startswith("float"):
                assert f["type"] == "number", (table.id, f["name"])
    weekly = {f["name"]: f for f in resources["weekly-population-capacity"]["schema"]["fields"]}
    assert weekly["date"]["type"] == "date" and weekly["population"]["unit"] == "people"
    assert {f["name"]: f for f in resources["monthly-establishments"]["schema"]["fields"]}["month"]["type"] \
        == "yearmonth"
    assert {f["name"]: f for f in resources["prison-changes"]["schema"]["fields"]}["temporary"]["type"] == "boolean"
    for name in dp.PROVENANCE_FIELDS:
        assert name in descriptor["description"]


def test_licences_and_sources_follow_tracker_yml(config, package):
    descriptor = json.loads((package / dp.DESCRIPTOR).read_text())
    for r in descriptor["resources"]:
        table_id = r["name"].replace("-", "_")
        sources = [config.source(s) for s in dp.table_sources(config, table_id)]
        assert [s["path"] for s in r["sources"]] == [s.url for s in sources]
        assert [s["attribution"] for s in r["sources"]] == [" ".join(s.attribution.split()) for s in sources]
        expected = {s.licence_url for s in sources}
        if any("Open Government Licence" in s.original_licence for s in sources):
            expected.add(dp.OGL_URL)
        assert {lic["path"] for lic in r["licenses"]} == expected, table_id
        # Every source_id in the rows is among the sources the resource credits.
        with (package / r["path"]).open(newline="") as fh:
            used = {row["source_id"] for row in csv.DictReader(fh)}
        assert used <= {s["id"] for s in r["sources"]}, table_id
    by_name = {r["name"]: {lic.get("name") for lic in r["licenses"]} for r in descriptor["resources"]}
    assert "MIT" in by_name["officers-annual-prt"] and "CC-BY-4.0" in by_name["recall-loop-quarterly"]


def test_a_broken_copy_fails_both_checks(package, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(package, broken)
    path = broken / "processed" / "recalls_quarterly.csv"
    lines = path.read_text().splitlines(keepends=True)
    cells = lines[1].split(",")
    cells[2] = "many"  # recalls: an integer column
    lines[1] = ",".join(cells)
    lines.append(lines[2])  # the key quarter_start repeats
    path.write_text("".join(lines))
    ours = dp.check_package(broken)
    assert any("is not a integer" in p or "not a integer" in p for p in ours), ours
    assert any("primary key" in p for p in ours) and any("sha256" in p for p in ours)
    theirs = frictionless_errors(broken / dp.DESCRIPTOR)
    assert any("type-error" in e for e in theirs) and any("primary-key" in e for e in theirs), theirs


def test_the_built_site_publishes_the_package_and_chart_pages_link_to_it(config, site):
    data = site / dp.SITE_DATA_DIR
    assert frictionless_errors(data / dp.DESCRIPTOR) == []
    for table in config.tables:
        assert (data / "processed" / f"{table.id}.csv").read_bytes() == config.processed_path(table.id).read_bytes()
    catalogue = (site / "book" / "data-catalogue.html").read_text(encoding="utf-8")
    for table in config.tables:
        assert f'id="data-{table.id}"' in catalogue
        assert f'href="../data/processed/{table.id}.csv"' in catalogue
    assert 'href="../data/datapackage.json"' in catalogue
    assert "pd.read_csv(" in catalogue and "readr::read_csv(" in catalogue
    page = (site / "charts" / "population-vs-capacity" / "index.html").read_text(encoding="utf-8")
    assert 'href="../../book/data-catalogue.html#data-weekly_population_capacity"' in page
    prison = next((site / "charts").glob("prison-*/index.html")).read_text(encoding="utf-8")
    assert "#data-monthly_establishments" in prison


def test_changes_json_follows_its_schema(site):
    schema = json.loads(CHANGES_SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(json.loads((site / "changes.json").read_text()), schema)


def test_the_changes_schema_rejects_an_unknown_reason():
    schema = json.loads(CHANGES_SCHEMA.read_text())
    bad = {"previous": "2026-09", "current": "2026-12", "summary": ["x"], "headlines": [], "tables": [],
           "revisions": [{"table": "t", "key": {"date": "2026-01-02"}, "column": "population", "previous": 1,
                          "current": 2, "reason": "because", "ref": "f line 2", "previous_ref": "f line 2"}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
    bad["revisions"][0]["reason"] = "correction"
    jsonschema.validate(bad, schema)
