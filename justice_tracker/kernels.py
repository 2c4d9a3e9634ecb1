"""Execute page notebooks on long-lived Jupyter kernels, one per worker.

Starting a kernel and importing pandas, Altair, vl-convert and the package costs about 3 s; executing a page's
cells costs a few tenths of a second. So each worker starts one kernel, imports what every page needs once, and
then runs page after page on it, each in a fresh namespace (`%reset -f` between pages: the variables of one page
are gone before the next starts; loaded modules and their caches stay). Pages arrive prepared exactly as papermill
prepares them (nbclient is what papermill itself executes with), so an executed page is the notebook papermill
would have written.

A kernel that dies is replaced and its page run again once. A page has a time budget: a cell still running when
the budget is spent is stopped, and the error names the page and the cell.
"""
from __future__ import annotations

import os
import threading
import time

import nbformat

from .errors import NotebookError
from .paths import BUILD_DIR, REPO_ROOT

# What every page imports (and one chart drawn, to start vl-convert's JavaScript engine): paid once per kernel.
WARM_UP = """\
import os, json
import pandas, altair, vl_convert
vl_convert.vegalite_to_svg({"mark": "point", "data": {"values": [{"x": 1}]}, "encoding": {"x": {"field": "x"}}})
from justice_tracker.chapters import (catalogue, estate, key_facts, population, prison, prisons_index, recalls,
                                      reconciliation, staffing, what_changed)


def _jct_fresh_namespace(shell=get_ipython()):
    # What %reset -f does for the user's names, without its garbage collection (a sixth of a second a page);
    # IPython's own names (In, Out, get_ipython, ...) and this function are hidden, and stay.
    for name in [n for n in shell.user_ns if n not in shell.user_ns_hidden]:
        del shell.user_ns[name]
    shell.user_ns["Out"].clear()
    if shell.history_manager is not None:
        shell.history_manager.output_hist.clear()


get_ipython().user_ns_hidden["_jct_fresh_namespace"] = _jct_fresh_namespace
"""
RESET = "_jct_fresh_namespace()\n"
PAGE_TIMEOUT = float(os.environ.get("JCT_PAGE_TIMEOUT", "600"))  # seconds a page may take, all cells together
KERNEL_LOG = BUILD_DIR / "notebook-kernels.log"


class PageTimeout(NotebookError):
    """A page ran past its time budget."""


class KernelWorker:
    """One kernel, kept for many pages. Not thread-safe: one worker per thread."""

    def __init__(self, kernel_name: str = "python3"):
        self.kernel_name = kernel_name
        self.km = None
        self.kc = None
        self.pages = 0
        self.starts = 0

    def _start(self) -> None:
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        KERNEL_LOG.parent.mkdir(parents=True, exist_ok=True)
        # Kernels print start-up warnings on stderr: kept in a log, not the console. A page's own errors reach
        # the build through its cell outputs.
        log = open(KERNEL_LOG, "a")  # noqa: SIM115 (the kernel process holds it)
        km = AsyncKernelManager(kernel_name=self.kernel_name)
        # No input history: IPython would write every cell of every page to its SQLite history file.
        run_sync(km.start_kernel)(cwd=str(REPO_ROOT), env=dict(os.environ), stderr=log, stdout=log,
                                  extra_arguments=["--HistoryManager.enabled=False"])
        kc = km.client()
        kc.start_channels()
        run_sync(kc.wait_for_ready)(timeout=120)
        self.km, self.kc = km, kc
        self.starts += 1
        self._execute(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(WARM_UP)]), 300)

    def _execute(self, nb, budget: float):
        from nbclient import NotebookClient

        deadline = time.monotonic() + budget
        client = NotebookClient(nb, km=self.km, kernel_name=self.kernel_name, allow_errors=False,
                                record_timing=False, timeout_func=lambda cell: max(1, int(deadline - time.monotonic())),
                                resources={"metadata": {"path": str(REPO_ROOT)}})
        client.kc = self.kc
        return client.execute()

    def stop(self) -> None:
        if self.km is None:
            return
        from jupyter_core.utils import run_sync

        try:
            self.kc.stop_channels()
            run_sync(self.km.shutdown_kernel)(now=True)
        except Exception:  # a kernel that is already gone needs no shutting down
            pass
        self.km = self.kc = None

    def run(self, nb, budget: float | None = None):
        """Execute a prepared notebook in a fresh namespace; returns it executed. nbclient's errors are raised for
        the caller to word (CellExecutionError, CellTimeoutError); a dead kernel is replaced and the page retried
        once."""
        from nbclient.exceptions import DeadKernelError

        budget = PAGE_TIMEOUT if budget is None else budget
        for attempt in (1, 2):
            if self.km is None:
                self._start()
            try:
                self._execute(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(RESET)]), 60)
                executed = self._execute(nb, budget)
                self.pages += 1
                return executed
            except DeadKernelError:
                self.stop()
                if attempt == 2:
                    raise
            except BaseException:
                # A kernel interrupted part-way (a timeout, Ctrl-C) may be in any state: start the next page afresh.
                self.stop()
                raise
        raise AssertionError("unreachable")


class KernelPool:
    """One KernelWorker per thread that asks for one; all stopped together at the end of a build."""

    def __init__(self):
        self._local = threading.local()
        self._workers: list[KernelWorker] = []
        self._lock = threading.Lock()

    def worker(self) -> KernelWorker:
        worker = getattr(self._local, "worker", None)
        if worker is None:
            worker = self._local.worker = KernelWorker()
            with self._lock:
                self._workers.append(worker)
        return worker

    def stats(self) -> dict:
        return {"kernels": sum(w.starts for w in self._workers), "pages": sum(w.pages for w in self._workers)}

    def close(self) -> None:
        for worker in self._workers:
            worker.stop()
        self._workers.clear()

    def __enter__(self) -> "KernelPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
