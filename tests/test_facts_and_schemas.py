import pandas as pd
import pytest

from justice_tracker.facts import FACTS_FILE, FactsError, load_facts
from justice_tracker.ingest import IngestError
from justice_tracker.schemas import SCHEMAS, validate


def test_every_processed_table_has_a_declared_schema_and_matches_it(config):
    for table in config.tables:
        assert table.id in SCHEMAS, f"declare a schema for {table.id} in justice_tracker/schemas.py"
        frame = pd.read_csv(config.processed_path(table.id), dtype=str, keep_default_na=False)
        assert list(frame.columns) == list(SCHEMAS[table.id].columns), table.id


def test_schema_rejects_a_negative_population_and_names_the_column(config):
    weekly = pd.read_csv(config.processed_path("weekly_population_capacity"))
    for col in ("population_prisons", "population_irc", "operating_margin", "week_gap_days"):
        weekly[col] = weekly[col].astype("Int64")
    for col in ("layout", "bulletin_title", "bulletin_url"):
        weekly[col] = weekly[col].fillna("")
    validate("weekly_population_capacity", weekly.copy())
    weekly.loc[3, "population"] = -5
    with pytest.raises(IngestError, match=r"weekly_population_capacity does not match its schema(.|\n)*population"):
        validate("weekly_population_capacity", weekly)


def test_curated_facts_each_name_a_primary_source():
    facts = load_facts()
    assert len(facts) >= 15
    assert {f.topic for f in facts} >= {"estate", "probation", "population"}
    by_id = {f.fact_id: f for f in facts}
    assert by_id["nao-2020-maintenance-backlog"].value == 916_000_000
    assert by_id["nao-2020-cells-out-of-use"].value == 1730
    for f in facts:
        assert f.publisher and f.title and f.url.startswith("https://") and f.reference


def test_a_fact_whose_quote_does_not_carry_its_value_is_rejected(tmp_path):
    text = FACTS_FILE.read_text(encoding="utf-8").replace(
        "There is currently a backlog of major repairs that will cost £916 million to fix.",
        "There is currently a backlog of major repairs that will cost £961 million to fix.")
    bad = tmp_path / "facts.csv"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(FactsError, match="nao-2020-maintenance-backlog.*does not contain the value 9.16e"):
        load_facts(bad)
