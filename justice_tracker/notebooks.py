"""Execute template notebooks with papermill into the book tree.

Before execution, `{{ name }}` placeholders in markdown cells are filled from the notebook's parameters, so
headings and prose carry the right words without `display(Markdown(...))` (which breaks the book's TOC).
After execution, code inputs are hidden and the parameter cells removed, so readers see narrative and outputs.
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import nbformat

from .config import TocEntry
from .files import atomic_write_text
from .paths import REPO_ROOT
from .errors import NotebookError  # noqa: F401 (re-exported)

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# Papermill records wall-clock times; they would make every rebuild differ.
VOLATILE_METADATA = ("papermill",)


def fill_markdown(nb: nbformat.NotebookNode, parameters: dict, template: str) -> None:
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue

        def sub(m: re.Match) -> str:
            name = m.group(1)
            if name not in parameters:
                raise NotebookError(f"{template} cell {index}: markdown placeholder {{{{ {name} }}}} has no "
                                    f"parameter; known: {sorted(parameters)}")
            return markdown_text(str(parameters[name]))

        cell.source = PLACEHOLDER.sub(sub, cell.source)


def markdown_text(value: str) -> str:
    """A parameter as literal text in markdown: HTML escaped (MyST passes raw HTML through) and markdown
    punctuation backslash-escaped, so a name like '<script>' or 'A*B' shows as typed."""
    import html

    escaped = html.escape(value, quote=False)
    return re.sub(r"([\\`*_{}\[\]#|])", r"\\\1", escaped)


def finish(nb: nbformat.NotebookNode) -> None:
    """Hide code, drop parameter cells, strip run-specific metadata."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tags = list(cell.metadata.get("tags", []))
        if "parameters" in tags or "injected-parameters" in tags:
            extra = ["remove-cell"]
        else:
            extra = ["remove-input"]
        cell.metadata["tags"] = tags + [t for t in extra if t not in tags]
        if "injected-parameters" in tags:
            cell.id = "injected-parameters"
        for key in VOLATILE_METADATA + ("execution",):
            cell.metadata.pop(key, None)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                output["text"] = ""
        cell["outputs"] = [o for o in cell.get("outputs", []) if not (o.get("output_type") == "stream" and not o.get("text"))]
    for key in VOLATILE_METADATA:
        nb.metadata.pop(key, None)


def output_path(entry: TocEntry) -> Path:
    return REPO_ROOT / f"{entry.file}.ipynb"


def execute(entry: TocEntry, kernel_name: str = "python3") -> Path:
    """Run one page's template; the page's previous output is replaced only if execution succeeds."""
    import papermill as pm

    run = entry.notebook
    assert run is not None
    template = REPO_ROOT / run.template
    if not template.exists():
        raise NotebookError(f"{entry.file}: template {run.template} not found")
    nb = nbformat.read(template, as_version=4)
    parameters = dict(run.parameters)
    fill_markdown(nb, parameters, run.template)
    out = output_path(entry)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Charts link their downloads relative to the page they are on; the kernel learns the page here.
    page_cell = nbformat.v4.new_code_cell(f"import os\nos.environ['JCT_PAGE'] = {entry.file!r}",
                                          metadata={"tags": ["remove-cell"]})
    page_cell.id = "jct-page"
    nb.cells.insert(0, page_cell)
    with tempfile.TemporaryDirectory(prefix="jct-nb-") as tmp:
        src = Path(tmp) / "input.ipynb"
        dst = Path(tmp) / "output.ipynb"
        nbformat.write(nb, src)
        for attempt in (1, 2):
            try:
                pm.execute_notebook(str(src), str(dst), parameters=parameters, kernel_name=kernel_name,
                                    cwd=str(REPO_ROOT), progress_bar=False, log_output=False,
                                    request_save_on_cell_execute=False)
                break
            except pm.PapermillExecutionError as e:
                # e.exec_count counts the cells injected above (the page cell, papermill's parameters), so it
                # matches no cell of the template: name the template's own cell, and show how it starts.
                cell = next((i for i, c in enumerate(nb.cells[1:], start=1) if c.source == e.source), None)
                first_line = next((line for line in e.source.splitlines() if line.strip()), "")
                where = f"cell {cell} of the template" if cell else f"execution count {e.exec_count}"
                raise NotebookError(f"{run.template} (page {entry.file}) failed in {where} ({first_line[:80]!r}): "
                                    f"{e.ename}: {e.evalue}") from None
            except (RuntimeError, TimeoutError) as e:
                # A kernel that dies while starting (a loaded machine) is worth one more try; anything else
                # is reported against the page, not as a crash of the whole build.
                if attempt == 1 and "kernel" in str(e).lower():
                    continue
                raise NotebookError(f"{run.template} (page {entry.file}): the kernel failed: "
                                    f"{type(e).__name__}: {e}") from None
        result = nbformat.read(dst, as_version=4)
    finish(result)
    atomic_write_text(out, nbformat.writes(result) + "\n")
    return out
