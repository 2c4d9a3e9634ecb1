"""Run Jupyter Book's Sphinx build with parallel reading and writing.

`jupyter-book build` always runs Sphinx on one process. This does what that command does for a book (the same
configuration from _config.yml and _toc.yml, nitpicky, warnings as errors, keep going) but passes `jobs` to Sphinx,
whose extensions here all declare themselves parallel-safe. It runs as its own process (`python -m
justice_tracker.sphinx_build SOURCE OUTPUT JOBS`) because Jupyter Book patches docutils' globals while it builds.
"""
from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    source, output, jobs = Path(argv[0]).resolve(), Path(argv[1]).resolve(), int(argv[2])
    from jupyter_book.sphinx import build_sphinx

    overrides = {"external_toc_path": (source / "_toc.yml").as_posix(), "latex_individualpages": False,
                 "nitpicky": True}
    result = build_sphinx(source, output / "_build" / "html", use_external_toc=True, noconfig=True,
                          path_config=source / "_config.yml", confoverrides=overrides, builder="html",
                          warningiserror=True, keep_going=True, freshenv=False, verbosity=0, quiet=True,
                          jobs=jobs)
    if isinstance(result, Exception):
        print(f"sphinx: {type(result).__name__}: {result}", file=sys.stderr)
        return 1
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
