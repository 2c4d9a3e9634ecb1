"""The build: generated pages in the toc, notebook keys, skipping unchanged notebooks, failing safely."""
from __future__ import annotations

import nbformat
import pytest
import yaml

from justice_tracker import build
from justice_tracker.config import CONFIG_FILE, TrackerConfig, load_config
from justice_tracker.files import sha256_file
from justice_tracker.notebooks import NotebookError, execute
from justice_tracker.paths import REPO_ROOT, SITE_DIR


def _config_with_pages(tmp_path) -> TrackerConfig:
    data = yaml.safe_load(CONFIG_FILE.read_text())
    processed = tmp_path / "processed"
    processed.mkdir()
    for t in data["tables"]:
        (processed / f"{t['id']}.csv").write_text("x\n1\n")
    (processed / "prisons.csv").write_text((REPO_ROOT / "data/processed/prisons.csv").read_text())
    (processed / "weekly_population_prt.csv").write_text(
        "code,name\nab,Alpha & <Beta>\ncd,Gamma\n")  # stands in for a table of pages
    data["processed_dir"] = str(processed)
    data["toc"]["parts"].append({"caption": "Test pages", "chapters": [{
        "file": "book/test/index", "title": "Index",
        "pages": {"table": "weekly_population_prt", "key": "code", "title": "name",
                  "template": "notebooks/population_capacity.ipynb",
                  "parameters": {"chapter_title": "{title}", "code": "{key}", "n": 3},
                  "reads": ["weekly_population_prt"]}}]})
    path = tmp_path / "tracker.yml"
    path.write_text(yaml.safe_dump(data))
    return load_config(path)


def test_a_pages_block_expands_to_one_page_per_row_in_the_toc(tmp_path):
    config = _config_with_pages(tmp_path)
    pages = config.generated_pages(config.toc.parts[-1].chapters[0])
    assert [p.file for p in pages] == ["book/test/ab", "book/test/cd"]
    assert pages[0].notebook.parameters == {"chapter_title": "Alpha & <Beta>", "code": "ab", "n": 3}
    toc = yaml.safe_load(build.toc_text(config))
    sections = toc["parts"][-1]["chapters"][0]["sections"]
    assert sections == [{"file": "book/test/ab", "title": "Alpha & <Beta>"}, {"file": "book/test/cd", "title": "Gamma"}]
    assert [p.file for p in config.all_notebook_pages()][-2:] == ["book/test/ab", "book/test/cd"]
    prisons = config.generated_pages(next(c for c in config.chapters() if c.pages and c.pages.table == "prisons"))
    assert len(prisons) > 100 and prisons[0].notebook.parameters["prison_key"] == prisons[0].file.rsplit("/", 1)[1]


def test_notebook_key_changes_only_when_an_input_it_reads_changes(tmp_path):
    config = _config_with_pages(tmp_path)
    page = config.generated_pages(config.toc.parts[-1].chapters[0])[0]
    before = build.notebook_key(config, page, "code")
    (tmp_path / "processed" / "monthly_establishments.csv").write_text("x\n2\n")  # not read by the page
    assert build.notebook_key(config, page, "code") == before
    (tmp_path / "processed" / "weekly_population_prt.csv").write_text("code,name\nab,Alpha\n")
    assert build.notebook_key(config, page, "code") != before
    assert build.notebook_key(config, page, "other code") != build.notebook_key(config, page, "code")


def test_after_a_build_nothing_is_left_to_execute(config, site):
    todo, skipped, _, _ = build.plan_notebooks(config)
    assert [e.file for e in todo] == [], "the site is older than its inputs: run `make book`"
    assert len(skipped) == len(config.all_notebook_pages())


def test_a_notebook_that_raises_names_template_and_cell_and_writes_nothing(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("raise ValueError('bad input table')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    template = tmp_path / "broken.ipynb"
    nbformat.write(nb, template)
    entry = load_config().chapters()[0].model_copy(update={
        "file": "_build/test-broken/page",
        "notebook": load_config().notebook_pages()[0].notebook.model_copy(
            update={"template": str(template), "parameters": {}})})
    out = REPO_ROOT / "_build/test-broken/page.ipynb"
    out.unlink(missing_ok=True)
    with pytest.raises(NotebookError, match=r"broken\.ipynb .*failed in cell .*ValueError: bad input table"):
        execute(entry)
    assert not out.exists()


def test_a_failed_site_build_leaves_the_published_site_untouched(config, site, monkeypatch):
    before = {str(p.relative_to(SITE_DIR)): sha256_file(p) for p in SITE_DIR.rglob("*") if p.is_file()}

    def failing_jupyter_book():
        raise build.BuildError("jupyter-book build failed (simulated)")

    monkeypatch.setattr(build, "jupyter_book", failing_jupyter_book)
    with pytest.raises(build.BuildError, match="simulated"):
        build.build_site(config, log=lambda *_: None)
    after = {str(p.relative_to(SITE_DIR)): sha256_file(p) for p in SITE_DIR.rglob("*") if p.is_file()}
    assert after == before
