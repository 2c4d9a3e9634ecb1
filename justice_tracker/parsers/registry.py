"""Which parser reads a file: each parser module says whether it recognises the file (`identify`), cheaply and
from its content, never its name. `parse_file` runs the first that does, or fails naming what was found."""
from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from .base import ParseError, Parsed, ole_kind, sniff_container

PARSER_MODULES = [
    "justice_tracker.parsers.legacy_monthly",
    "justice_tracker.parsers.weekly_bulletin",
    "justice_tracker.parsers.monthly_ods",
    "justice_tracker.parsers.omsq_recalls",
    "justice_tracker.parsers.workforce",
    "justice_tracker.parsers.projections",
]
# Spreadsheet suffixes and the container sniff_container must find behind each.
SPREADSHEET_SUFFIXES = {".ods": "ods", ".xlsx": "xlsx", ".xls": "ole"}


def parsers(modules: list[str] | None = None) -> list[ModuleType]:
    return [importlib.import_module(name) for name in (modules or PARSER_MODULES)]


def parse_with(module_name: str, path: Path | str, names=None) -> Parsed:
    """Parse with one named parser, without asking it first whether it recognises the file: for a source that
    has one kind of file, its parser's own error ('expected a Word document; found ...') says more than
    'no parser recognises this file'."""
    module = importlib.import_module(module_name)
    path = Path(path)
    if getattr(module, "NEEDS_PRISON_NAMES", False):
        return module.parse(path, names)
    return module.parse(path)


def parse_file(path: Path | str, names=None, modules: list[str] | None = None) -> Parsed:
    """Parse one file with the first parser (of `modules`, default all) that recognises it. `names` (the project's
    prison names, prison_names.load_prison_names(config)) is passed to the parsers that resolve establishment names;
    the registry never reads the config itself."""
    path = Path(path)
    if not path.is_file():
        raise ParseError(path, "no such file")
    container = sniff_container(path)
    if container in {"empty", "html", "unknown"}:
        what = {"empty": "an empty file", "html": "an HTML page (an error page saved under a data file's name?)",
                "unknown": "an unrecognised binary file"}[container]
        raise ParseError(path, f"this is {what}, not a file any parser reads")
    # The spreadsheet reader (calamine) picks its format by the file name's suffix, so .xls bytes named .ods
    # cannot be read at all: say so, instead of the misleading "no parser recognises this ole file".
    promised = SPREADSHEET_SUFFIXES.get(path.suffix.lower())
    if promised and container != promised:
        raise ParseError(path, f"the name ends {path.suffix}, but the bytes are {container!r}, not {promised!r}: "
                               "saved under the wrong name? Rename it to match its content to parse it")
    for module in parsers(modules):
        try:
            recognised = module.identify(path)
        except Exception:  # a parser that cannot even look at the file does not recognise it
            recognised = False
        if recognised:
            if getattr(module, "NEEDS_PRISON_NAMES", False):
                if names is None:
                    raise ParseError(path, f"{module.KIND} resolves establishment names: call parse_file with the "
                                           "project's prison names")
                return module.parse(path, names)
            return module.parse(path)
    # Say what was found and what each parser looks for (a renamed sheet would otherwise show only as "no parser
    # recognises this ods file"); a spreadsheet that cannot even be opened is corrupt, which is said instead.
    found = ""
    if container in ("ods", "xlsx") or (container == "ole" and ole_kind(path) == "xls"):
        from .weekly_bulletin import open_workbook  # raises ParseError naming the file for a corrupt container

        found = f" (sheets: {open_workbook(path).sheet_names})"
    wanted = "; ".join(f"{m.KIND}: {getattr(m, 'RECOGNISES', '?')}" for m in parsers(modules))
    raise ParseError(path, f"no parser recognises this {container} file{found}; each looks for: {wanted}")
