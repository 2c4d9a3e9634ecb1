"""Helpers shared by the ingest functions: strict CSV reading, integer parsing, provenance columns."""
from __future__ import annotations

import csv
import io
import re

import pandas as pd

from ..raw import RawFile
from ..errors import IngestError  # noqa: F401 (re-exported)


def read_csv_text(raw: RawFile, required: list[str]) -> pd.DataFrame:
    """Read a CSV as text cells (blank cells are ''), indexed by the file line each record starts on."""
    data = raw.path.read_bytes()
    if not data.strip():
        raise IngestError(f"{raw.ref}: file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise IngestError(f"{raw.ref}: not UTF-8 text ({e})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except csv.Error as e:
        raise IngestError(f"{raw.ref} line 1: unreadable header ({e})") from None
    header = [h.strip() for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        raise IngestError(f"{raw.ref} line 1: expected column(s) {missing}; found {header}")
    records, lines = [], []
    start = reader.line_num + 1
    try:
        for rec in reader:
            if not any(cell.strip() for cell in rec):
                start = reader.line_num + 1
                continue
            if len(rec) != len(header):
                raise IngestError(f"{raw.ref} line {start}: {len(rec)} cells where the header has {len(header)}")
            records.append([cell.strip() for cell in rec])
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error as e:
        raise IngestError(f"{raw.ref} line {reader.line_num}: malformed CSV ({e})") from None
    return pd.DataFrame(records, columns=header, index=pd.Index(lines, name="line"), dtype=object)


_INT_TEXT = re.compile(r"^-?\d{1,3}(,\d{3})+$|^-?\d+(\.0+)?$")


def to_int(text: str | None, where: str) -> int | None:
    """'82,991', '82991' or '82991.0' to 82991; '' to None; anything else is an error naming the cell."""
    if text is None:
        return None
    text = str(text).strip()
    if text == "":
        return None
    if not _INT_TEXT.match(text):
        raise IngestError(f"{where}: expected a whole number, found {text!r}")
    return int(float(text.replace(",", "")))


def provenance_columns(raw: RawFile, row_ref: str) -> dict[str, str]:
    return {
        "source_id": raw.source.id,
        "source_file": raw.ref,
        "source_url": raw.source.url,
        "raw_sha256": raw.sha256,
        "row_ref": row_ref,
    }
