import textwrap

import pytest
import yaml

from justice_tracker.build import toc_text
from justice_tracker.config import CONFIG_FILE, ConfigError, load_config
from justice_tracker.paths import REPO_ROOT


def _write(tmp_path, data):
    p = tmp_path / "tracker.yml"
    p.write_text(yaml.safe_dump(data))
    return p


def _raw():
    return yaml.safe_load(CONFIG_FILE.read_text())


def test_the_config_loads_and_every_notebook_template_exists(config):
    pages = config.notebook_pages()
    assert pages, "tracker.yml lists no notebook pages"
    for page in pages:
        assert (REPO_ROOT / page.notebook.template).is_file(), page.notebook.template
        for tid in page.notebook.reads:
            if tid != "*":
                config.table(tid)


def test_committed_toc_matches_tracker_yml(config):
    assert (REPO_ROOT / "_toc.yml").read_text() == toc_text(config), "run `make toc` and commit _toc.yml"


def test_unknown_key_is_rejected_with_its_location(tmp_path):
    data = _raw()
    data["sources"][0]["licence_typo"] = "x"
    with pytest.raises(ConfigError, match=r"sources\.0\.licence_typo"):
        load_config(_write(tmp_path, data))


def test_table_naming_an_unknown_source_is_rejected(tmp_path):
    data = _raw()
    plain = next(t for t in data["tables"] if not t.get("precedence"))
    plain["sources"] = ["no-such-source"]
    with pytest.raises(ConfigError, match="unknown source 'no-such-source'"):
        load_config(_write(tmp_path, data))


def test_page_reading_an_unknown_table_is_rejected(tmp_path):
    data = _raw()
    data["toc"]["parts"][0]["chapters"][0]["notebook"]["reads"].append("nope")
    with pytest.raises(ConfigError, match="unknown table 'nope'"):
        load_config(_write(tmp_path, data))


def test_malformed_yaml_names_the_file(tmp_path):
    p = tmp_path / "tracker.yml"
    p.write_text(textwrap.dedent("""
        site: [unclosed
    """))
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(p)
