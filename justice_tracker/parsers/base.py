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


# Limits on what a zip container (ODS, XLSX, DOCX) may unpack to, checked in its central directory before any
# member is read. The largest sample (a 2013 .docx) unpacks to 0.5 MB from 12 members; a full-year ODS bulletin
# to tens of MB at a ratio under 50. A few kilobytes that unpack to gigabytes are a zip bomb, which calamine or
# python-docx would try to hold in memory.
MAX_ZIP_MEMBERS = 10_000
MAX_MEMBER_BYTES = 256 * 1024 * 1024
MAX_UNPACKED_BYTES = 512 * 1024 * 1024
MAX_RATIO = 200  # unpacked / packed, for members large enough for a ratio to mean something
RATIO_FROM_BYTES = 1024 * 1024


def check_zip_limits(path: Path | str, archive: zipfile.ZipFile) -> None:
    """Raise ParseError (naming the file and the member) unless every member of the archive unpacks to a sane
    size: not too many members, none too large or too compressed, not too much in all. The sizes are what
    the central directory declares; Python's zipfile never reads past a declared size (a member that lies
    fails its CRC check), so the declared sizes bound what sniffing reads."""
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise ParseError(path, f"zip container with {len(members):,} members, more than the {MAX_ZIP_MEMBERS:,} "
                               "allowed; refused before reading")
    total = 0
    for member in members:
        name, size, packed = member.filename, member.file_size, member.compress_size
        if size > MAX_MEMBER_BYTES:
            raise ParseError(path, f"member {name!r} would unpack to {size:,} bytes, more than the "
                                   f"{MAX_MEMBER_BYTES:,} allowed for one member; refused before reading")
        if size >= RATIO_FROM_BYTES and size > MAX_RATIO * max(packed, 1):
            raise ParseError(path, f"member {name!r} would unpack from {packed:,} to {size:,} bytes (ratio "
                                   f"{size / max(packed, 1):,.0f} to 1, more than the {MAX_RATIO} allowed): a zip "
                                   "bomb or a damaged file; refused before reading")
        total += size
        if total > MAX_UNPACKED_BYTES:
            raise ParseError(path, f"members would unpack to more than the {MAX_UNPACKED_BYTES:,} bytes allowed in "
                                   f"all (passed at member {name!r}); refused before reading")


def sniff_container(path: Path | str) -> str:
    """'ole' (Word 97 .doc or Excel 97 .xls), 'rtf', 'docx', 'xlsx', 'ods', 'zip', 'html', 'csv-or-text',
    'empty' or 'unknown'. Names lie (.doc files that are RTF; HTML error pages saved as .ods), bytes do not.
    A zip container is checked against the unpacking limits (check_zip_limits) first: every parser sniffs
    before it opens a file, so none ever opens a zip bomb. That is a ParseError, not a kind."""
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
                check_zip_limits(path, z)
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
