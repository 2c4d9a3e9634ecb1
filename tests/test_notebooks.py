import nbformat
import pytest

from justice_tracker.notebooks import NotebookError, fill_markdown, finish
from justice_tracker.paths import REPO_ROOT


def _nb():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# {{ chapter_title }}\n\nText with {{chapter_title}}."),
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("x = 2", metadata={"tags": ["injected-parameters"], "papermill": {"duration": 1.2}}),
        nbformat.v4.new_code_cell("x"),
    ]
    return nb


def test_markdown_placeholders_are_filled_from_parameters():
    nb = _nb()
    fill_markdown(nb, {"chapter_title": "Prison population"}, "t.ipynb")
    assert nb.cells[0].source == "# Prison population\n\nText with Prison population."


def test_unknown_placeholder_names_template_and_cell():
    nb = _nb()
    with pytest.raises(NotebookError, match=r"t.ipynb cell 0: markdown placeholder \{\{ chapter_title \}\}"):
        fill_markdown(nb, {}, "t.ipynb")


def test_parameter_cells_are_removed_and_code_hidden():
    nb = _nb()
    finish(nb)
    assert "remove-cell" in nb.cells[1].metadata["tags"]
    assert "remove-cell" in nb.cells[2].metadata["tags"]
    assert "papermill" not in nb.cells[2].metadata
    assert nb.cells[3].metadata["tags"] == ["remove-input"]


def test_templates_are_committed_without_outputs():
    for path in (REPO_ROOT / "notebooks").glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.name}: strip outputs"
        assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells), f"{path.name}: no parameters cell"
