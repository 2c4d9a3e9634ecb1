"""What every parser shares: the error type, the result type and container sniffing by magic bytes."""
from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from ..errors import ParseError  # noqa: F401 (re-exported)

# Every parsed table carries these, so a figure can be traced to the cell it came from.
PROVENANCE_COLUMNS = ["source_file", "sheet", "row_label", "cell"]


@dataclass
class Parsed:
    """One parsed file: a tidy table plus facts about the file (report date, layout, ...)."""

    kind: str
    table: pd.DataFrame
    meta: dict = field(default_factory=dict)


def sniff_container(path: Path | str) -> str:
    """'ole' (Word 97 .doc or Excel 97 .xls), 'rtf', 'docx', 'xlsx', 'ods', 'zip', 'html', 'csv-or-text',
    'empty' or 'unknown'. Names lie (.doc files that are RTF; HTML error pages saved as .ods), bytes do not."""
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(2048)
    if not head.strip():
        return "empty"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if head.lstrip().startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
                if "mimetype" in names:
                    mime = z.read("mimetype").decode("ascii", "replace").strip()
                    if mime == "application/vnd.oasis.opendocument.spreadsheet":
                        return "ods"
                if "word/document.xml" in names:
                    return "docx"
                if "xl/workbook.xml" in names:
                    return "xlsx"
        except zipfile.BadZipFile:
            return "unknown"
        return "zip"
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<html" in lowered[:512]:
        return "html"
    try:
        head.decode("utf-8")
        return "csv-or-text"
    except UnicodeDecodeError:
        return "unknown"


def ole_kind(path: Path | str) -> str:
    """For an OLE container: 'doc' (has a WordDocument stream), 'xls' (Workbook/Book) or 'ole-unknown'."""
    import olefile

    with olefile.OleFileIO(str(path)) as ole:
        if ole.exists("WordDocument"):
            return "doc"
        if ole.exists("Workbook") or ole.exists("Book"):
            return "xls"
    return "ole-unknown"
