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


def _config_with_pages(tmp_path, in_toc: bool = False) -> TrackerConfig:
    data = yaml.safe_load(CONFIG_FILE.read_text())
    processed = tmp_path / "processed"
    processed.mkdir(exist_ok=True)
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
                  "reads": ["weekly_population_prt"], "in_toc": in_toc}}]})
    path = tmp_path / "tracker.yml"
    path.write_text(yaml.safe_dump(data))
    return load_config(path)


def test_a_pages_block_expands_to_one_page_per_row_in_the_toc(tmp_path):
    config = _config_with_pages(tmp_path)
    pages = config.generated_pages(config.toc.parts[-1].chapters[0])
    assert [p.file for p in pages] == ["book/test/ab", "book/test/cd"]
    assert pages[0].notebook.parameters == {"chapter_title": "Alpha & <Beta>", "code": "ab", "n": 3}
    toc = yaml.safe_load(build.toc_text(config))
    # Generated pages are reached from their parent page, not the table of contents, unless the block says in_toc.
    assert "sections" not in toc["parts"][-1]["chapters"][0] and all(p.notebook.orphan for p in pages)
    listed = _config_with_pages(tmp_path, in_toc=True)
    sections = yaml.safe_load(build.toc_text(listed))["parts"][-1]["chapters"][0]["sections"]
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


def _planning_on_copies(tmp_path, monkeypatch):
    """The build's plan made against copies of its notebook cache and chart files, which a test may then break."""
    import shutil

    cache = tmp_path / "notebook-cache.json"
    shutil.copy(build.CACHE_FILE, cache)
    charts_dir = tmp_path / "charts"
    shutil.copytree(REPO_ROOT / "_extra" / "charts", charts_dir)
    monkeypatch.setattr(build, "CACHE_FILE", cache)
    monkeypatch.setattr(build, "CHART_OUTPUTS_DIR", charts_dir)
    return charts_dir


def test_chart_files_are_outputs_of_the_build_a_missing_one_reruns_its_page(config, site, tmp_path, monkeypatch):
    """Deleting a chart's download files and building again brings them back: the page that made them runs again,
    and only that page."""
    import shutil

    charts_dir = _planning_on_copies(tmp_path, monkeypatch)
    todo, _, _, _ = build.plan_notebooks(config)
    assert todo == []
    outputs = build.chart_outputs(REPO_ROOT / "book/prisons/altcourse.ipynb")
    assert "prison-altcourse-population/prison-altcourse-population.png" in outputs and len(outputs) == 6
    shutil.rmtree(charts_dir / "prison-altcourse-population")
    todo, _, _, _ = build.plan_notebooks(config)
    assert [e.file for e in todo] == ["book/prisons/altcourse"]


def test_the_prisons_index_compare_data_is_an_output_a_missing_one_reruns_the_index(config, site, tmp_path,
                                                                                    monkeypatch):
    """The compare chart's JSON is not a chart's files, but the page names it (data-jct-file), so deleting it runs
    the index again, and only the index."""
    from justice_tracker.chapters.prisons_index import COMPARE_FILE

    charts_dir = _planning_on_copies(tmp_path, monkeypatch)
    assert COMPARE_FILE in build.chart_outputs(REPO_ROOT / "book/prisons/index.ipynb")
    assert build.plan_notebooks(config)[0] == []
    (charts_dir / COMPARE_FILE).unlink()
    assert [e.file for e in build.plan_notebooks(config)[0]] == ["book/prisons/index"]


def _page(tmp_path, name: str, cells: list[str]):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    template = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, template)
    return load_config().chapters()[0].model_copy(update={
        "file": f"_build/test-pages/{name}",
        "notebook": load_config().notebook_pages()[0].notebook.model_copy(
            update={"template": str(template), "parameters": {"x": 2}})})


def test_pages_on_one_kernel_each_start_from_a_fresh_namespace(tmp_path):
    from justice_tracker.kernels import KernelPool
    from justice_tracker.notebooks import run_page

    first = _page(tmp_path, "first", ["leftover = x * 10", "leftover"])
    second = _page(tmp_path, "second", ["print(sorted(k for k in globals() if not k.startswith('_')))"])
    with KernelPool() as pool:
        worker = pool.worker()
        run_page(first, worker)
        run_page(second, worker)
        assert pool.stats() == {"kernels": 1, "pages": 2}
    done = nbformat.read(REPO_ROOT / "_build/test-pages/first.ipynb", as_version=4)
    assert done.cells[-1].outputs[0]["data"]["text/plain"] == "20"  # the injected x = 2 took effect
    printed = nbformat.read(REPO_ROOT / "_build/test-pages/second.ipynb", as_version=4).cells[-1].outputs[0]["text"]
    assert "leftover" not in printed and "'x'" in printed
    # Numbered as on a kernel of its own, whatever ran before on that kernel.
    assert [c.execution_count for c in done.cells if c.cell_type == "code"] == [1, 2, 3, 4, 5]


def test_a_kernel_that_dies_is_replaced_and_the_page_runs_again(tmp_path):
    from justice_tracker.kernels import KernelPool
    from justice_tracker.notebooks import run_page

    marker = tmp_path / "died-once"
    page = _page(tmp_path, "dies", [f"import os, pathlib\nm = pathlib.Path({str(marker)!r})\n"
                                    "if not m.exists():\n    m.touch()\n    os._exit(1)", "'alive'"])
    with KernelPool() as pool:
        run_page(page, pool.worker())
        assert pool.stats()["kernels"] == 2
    assert marker.exists()
    assert (REPO_ROOT / "_build/test-pages/dies.ipynb").exists()


def test_a_page_past_its_time_budget_is_stopped_and_named(tmp_path, monkeypatch):
    from justice_tracker import kernels

    monkeypatch.setattr(kernels, "PAGE_TIMEOUT", 3)
    page = _page(tmp_path, "slow", ["import time\ntime.sleep(60)"])
    started = __import__("time").monotonic()
    with pytest.raises(NotebookError, match=r"slow\.ipynb \(page _build/test-pages/slow\) ran past its time budget"):
        execute(page)
    assert __import__("time").monotonic() - started < 30


def test_a_parameter_name_that_is_not_an_identifier_is_refused(tmp_path):
    page = _page(tmp_path, "params", ["1"])
    bad = page.model_copy(update={"notebook": page.notebook.model_copy(
        update={"parameters": {"x = __import__('os').system('true'); y": 1}})})
    with pytest.raises(NotebookError, match="is not a Python identifier"):
        execute(bad)


def test_the_build_warns_when_citations_would_have_relative_addresses(monkeypatch):
    from justice_tracker.build import base_url_warning
    from justice_tracker.config import load_config

    config = load_config()
    monkeypatch.setenv("JCT_EDITION", "2026-12")
    unset = config.model_copy(update={"site": config.site.model_copy(update={"base_url": ""})})
    assert "edition 2026-12" in base_url_warning(unset) and "site.base_url" in base_url_warning(unset)
    set_ = config.model_copy(update={"site": config.site.model_copy(update={"base_url": "https://example.org/jct/"})})
    assert base_url_warning(set_) is None


def test_a_ctrl_c_that_a_library_swallows_still_stops_the_build_before_it_publishes(config, site, monkeypatch,
                                                                                      tmp_path):
    """asyncio, under jupyter_client, may take Ctrl-C for itself and end quietly; the build must not publish."""
    import os
    import signal
    import threading
    import time

    assert threading.current_thread() is threading.main_thread(), "signal handlers need the main thread"
    published, before = [], signal.getsignal(signal.SIGINT)

    def jupyter_book_swallowing_ctrl_c():
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)  # the handler runs here
        except KeyboardInterrupt:
            pass
        return tmp_path

    monkeypatch.setattr(build, "jupyter_book", jupyter_book_swallowing_ctrl_c)
    monkeypatch.setattr(build, "sync_chart_files", lambda built: None)
    monkeypatch.setattr(build, "publish", published.append)
    with pytest.raises(build.BuildInterrupted, match="while publishing; the site in .* was not replaced"):
        build.build_site(config, log=lambda *_: None)
    assert published == []
    assert signal.getsignal(signal.SIGINT) is before, "the build puts the previous Ctrl-C handler back"
