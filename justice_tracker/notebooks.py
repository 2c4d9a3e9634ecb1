"""Execute template notebooks into the book tree, prepared as papermill prepares them.

Before execution, `{{ name }}` placeholders in markdown cells are filled from the notebook's parameters, so
headings and prose carry the right words without `display(Markdown(...))` (which breaks the book's TOC).
After execution, code inputs are hidden and the parameter cells removed, so readers see narrative and outputs.
"""
from __future__ import annotations

import re
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
    """Hide code, drop parameter cells, strip run-specific metadata, and number the code cells from 1 (a kernel
    that ran other pages before counts on; the written page must not depend on which kernel ran it)."""
    count = 0
    for cell in nb.cells:
        for key in VOLATILE_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type != "code":
            continue
        count += 1
        cell.execution_count = count
        for output in cell.get("outputs", []):
            if "execution_count" in output:
                output["execution_count"] = count
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


def prepare(entry: TocEntry) -> nbformat.NotebookNode:
    """The page's template ready to run, as papermill prepares it: placeholders filled, a first cell telling the
    kernel which page it is building, and papermill's injected-parameters cell after the parameters cell."""
    from papermill.parameterize import parameterize_notebook

    run = entry.notebook
    assert run is not None
    template = REPO_ROOT / run.template
    if not template.exists():
        raise NotebookError(f"{entry.file}: template {run.template} not found")
    nb = nbformat.read(template, as_version=4)
    parameters = dict(run.parameters)
    for name in parameters:
        if not name.isidentifier():
            raise NotebookError(f"{entry.file}: parameter name {name!r} in tracker.yml is not a Python identifier")
    fill_markdown(nb, parameters, run.template)
    # Charts link their downloads relative to the page they are on; the kernel learns the page here.
    page_cell = nbformat.v4.new_code_cell(f"import os\nos.environ['JCT_PAGE'] = {entry.file!r}",
                                          metadata={"tags": ["remove-cell"]})
    page_cell.id = "jct-page"
    nb.cells.insert(0, page_cell)
    nb.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"})
    # What papermill's load_notebook_node adds before it parameterizes (its metadata is removed again by finish()).
    nb.metadata.setdefault("papermill", {"default_parameters": {}, "parameters": {}, "environment_variables": {}})
    for cell in nb.cells:
        cell.metadata.setdefault("tags", [])
        cell.metadata.setdefault("papermill", {})
    return parameterize_notebook(nb, parameters, kernel_name="python3", language="python")


def _failed_cell(template: Path, executed: nbformat.NotebookNode) -> tuple[str, str]:
    """(where in the template, how the cell starts) for the cell whose output is an error."""
    original = nbformat.read(template, as_version=4)
    index = {c.get("id"): i for i, c in enumerate(original.cells)}
    for cell in executed.cells:
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            first = next((line for line in cell.source.splitlines() if line.strip()), "")
            i = index.get(cell.get("id"))  # counted from 1, as a reader of the template counts them
            return (f"cell {i + 1} of the template" if i is not None else "an injected cell"), first[:80]
    return "an unknown cell", ""


def run_page(entry: TocEntry, worker) -> Path:
    """Execute one page on a KernelWorker and write it; the page's previous output is replaced only if it ran."""
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = prepare(entry)
    template = entry.notebook.template
    try:
        executed = worker.run(nb)
    except CellExecutionError as e:
        where, first = _failed_cell(REPO_ROOT / template, nb)
        raise NotebookError(f"{template} (page {entry.file}) failed in {where} ({first!r}): {e.ename}: "
                            f"{e.evalue}") from None
    except CellTimeoutError:
        raise NotebookError(f"{template} (page {entry.file}) ran past its time budget of {worker_budget():.0f} s "
                            "and was stopped (JCT_PAGE_TIMEOUT sets the budget)") from None
    except DeadKernelError as e:
        raise NotebookError(f"{template} (page {entry.file}): the kernel died twice ({e})") from None
    except (RuntimeError, TimeoutError) as e:
        raise NotebookError(f"{template} (page {entry.file}): the kernel failed: {type(e).__name__}: {e}") from None
    finish(executed)
    if entry.notebook.orphan:
        # Not in the table of contents: Sphinx must not warn that no toctree includes it (MyST reads notebook
        # metadata as the page's front matter).
        executed.metadata["orphan"] = True
    out = output_path(entry)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, nbformat.writes(executed) + "\n", durable=False)
    return out


def worker_budget() -> float:
    from .kernels import PAGE_TIMEOUT

    return PAGE_TIMEOUT


def execute(entry: TocEntry) -> Path:
    """Run one page on a kernel of its own (the build runs many pages per kernel: see kernels.KernelPool)."""
    from .kernels import KernelWorker

    worker = KernelWorker()
    try:
        return run_page(entry, worker)
    finally:
        worker.stop()
