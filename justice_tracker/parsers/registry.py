"""Which parser reads a file: each parser module says whether it recognises the file (`identify`), cheaply and
from its content, never its name. `parse_file` runs the first that does, or fails naming what was found."""
from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from .base import ParseError, Parsed, sniff_container

PARSER_MODULES = [
    "justice_tracker.parsers.legacy_monthly",
    "justice_tracker.parsers.weekly_bulletin",
    "justice_tracker.parsers.monthly_ods",
    "justice_tracker.parsers.omsq_recalls",
    "justice_tracker.parsers.workforce",
    "justice_tracker.parsers.projections",
]


def parsers() -> list[ModuleType]:
    return [importlib.import_module(name) for name in PARSER_MODULES]


def parse_file(path: Path | str) -> Parsed:
    path = Path(path)
    if not path.is_file():
        raise ParseError(path, "no such file")
    container = sniff_container(path)
    if container in {"empty", "html", "unknown"}:
        what = {"empty": "an empty file", "html": "an HTML page (an error page saved under a data file's name?)",
                "unknown": "an unrecognised binary file"}[container]
        raise ParseError(path, f"this is {what}, not a file any parser reads")
    for module in parsers():
        try:
            recognised = module.identify(path)
        except Exception:  # a parser that cannot even look at the file does not recognise it
            recognised = False
        if recognised:
            return module.parse(path)
    kinds = ", ".join(m.KIND for m in parsers())
    raise ParseError(path, f"no parser recognises this {container} file; supported kinds: {kinds}")
