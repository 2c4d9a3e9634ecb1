"""Plain text out of word-processor files: OLE Word 97 .doc, RTF and .docx, as lines of tab-separated fields.

MoJ published the 2011-2016 monthly bulletins as Word documents whose "tables" are paragraphs with tab
stops, so the text with its tabs kept is the table: one paragraph per line, one tab per cell boundary.
The container is sniffed from the bytes (six of the ".doc" files are RTF), and each reader is pure Python,
so parsing needs neither Word, LibreOffice nor antiword.
"""
from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path

from .base import ParseError, ole_kind, sniff_container

@dataclass(frozen=True)
class WordText:
    """A document's text: `container` is 'doc', 'rtf' or 'docx'; `lines` are paragraphs, tabs kept."""

    container: str
    lines: list[str]


def read_word_text(path: Path | str) -> WordText:
    """The text of a Word 97 .doc, RTF or .docx file, whatever its name says. Any other container (HTML
    error page, spreadsheet, empty file, ...) or a damaged document is a ParseError naming the file and
    what was found."""
    path = Path(path)
    kind = sniff_container(path)
    if kind not in ("ole", "rtf", "docx"):
        raise ParseError(path, f"expected a Word document (.doc, .rtf or .docx); found {kind!r} content")
    try:
        if kind == "ole":
            inner = ole_kind(path)
            if inner != "doc":
                raise ParseError(path, f"expected a Word document; found an OLE container of kind {inner!r}")
            return WordText("doc", _split_lines(_doc_text(path)))
        if kind == "rtf":
            return WordText("rtf", _split_lines(_rtf_text(path)))
        return WordText("docx", _docx_lines(path))
    except ParseError:
        raise
    except Exception as e:  # a truncated or corrupt file: say so, with the reader's own complaint
        raise ParseError(path, f"damaged {kind} document, cannot read its text ({type(e).__name__}: {e})") from e


def _split_lines(text: str) -> list[str]:
    """Paragraph marks, line breaks and page breaks all end a line; trailing spaces are kept (they are
    part of header cells such as 'Baseline ')."""
    return re.split(r"\r\n|[\r\n\x0b\x0c]", text)


# --- Word 97 (.doc) ------------------------------------------------------------------------------------------
# [MS-DOC]: the WordDocument stream starts with the FIB. The FIB gives the length of the main text (ccpText)
# and the position of the Clx in the table stream (0Table or 1Table, chosen by a FIB flag). The Clx ends with
# the piece table (PlcPcd): character positions and, for each piece, where its text sits in the WordDocument
# stream and whether it is 8-bit ("compressed", cp1252) or UTF-16LE.

_FIB_MAGIC = 0xA5EC
_FIB_FLAGS_OFFSET = 0x000A
_FLAG_WHICH_TABLE_STREAM = 0x0200  # fWhichTblStm: set means 1Table
_FC_COMPRESSED = 0x40000000
_CLX_INDEX_IN_FIBRGFCLCB = 33  # fcClx/lcbClx is the 34th pair of FibRgFcLcb97


def _doc_text(path: Path) -> str:
    import olefile

    with olefile.OleFileIO(str(path)) as ole:
        word = ole.openstream("WordDocument").read()
        if len(word) < 0x200 or struct.unpack_from("<H", word, 0)[0] != _FIB_MAGIC:
            raise ParseError(path, "WordDocument stream does not start with a Word 97 FIB (magic 0xA5EC)")
        flags = struct.unpack_from("<H", word, _FIB_FLAGS_OFFSET)[0]
        table_name = "1Table" if flags & _FLAG_WHICH_TABLE_STREAM else "0Table"
        if not ole.exists(table_name):
            raise ParseError(path, f"the FIB points to a {table_name} stream, which is missing")
        table = ole.openstream(table_name).read()
    # FIB: base (32 bytes), csw + FibRgW97, cslw + FibRgLw97, cbRgFcLcb + FibRgFcLcb.
    csw = struct.unpack_from("<H", word, 32)[0]
    lw_start = 32 + 2 + 2 * csw
    cslw = struct.unpack_from("<H", word, lw_start)[0]
    ccp_text = struct.unpack_from("<i", word, lw_start + 2 + 12)[0]  # FibRgLw97.ccpText
    fclcb_start = lw_start + 2 + 4 * cslw + 2
    fc_clx, lcb_clx = struct.unpack_from("<II", word, fclcb_start + 8 * _CLX_INDEX_IN_FIBRGFCLCB)
    pieces = _piece_table(path, table[fc_clx:fc_clx + lcb_clx])
    out = []
    for cp_start, cp_end, fc in pieces:
        if cp_start >= ccp_text:
            break  # past the main document: footnotes, headers, comments follow
        count = min(cp_end, ccp_text) - cp_start
        if fc & _FC_COMPRESSED:
            offset = (fc & ~_FC_COMPRESSED) // 2
            out.append(word[offset:offset + count].decode("cp1252", errors="replace"))
        else:
            out.append(word[fc:fc + 2 * count].decode("utf-16-le", errors="replace"))
    return "".join(out)


def _piece_table(path: Path, clx: bytes) -> list[tuple[int, int, int]]:
    """(first CP, end CP, fc) of each text piece. The Clx is zero or more Prc (0x01, 2-byte size, grpprl)
    followed by one Pcdt (0x02, 4-byte size, PlcPcd)."""
    pos = 0
    while pos < len(clx) and clx[pos] == 0x01:
        pos += 3 + struct.unpack_from("<h", clx, pos + 1)[0]
    if pos >= len(clx) or clx[pos] != 0x02:
        raise ParseError(path, "no piece table (Pcdt) in the Clx of the Word table stream")
    size = struct.unpack_from("<I", clx, pos + 1)[0]
    plc = clx[pos + 5:pos + 5 + size]
    n = (len(plc) - 4) // 12  # n+1 CPs of 4 bytes, n piece descriptors of 8 bytes
    cps = struct.unpack_from(f"<{n + 1}i", plc, 0)
    pieces = []
    for i in range(n):
        fc = struct.unpack_from("<I", plc, 4 * (n + 1) + 8 * i + 2)[0]
        pieces.append((cps[i], cps[i + 1], fc))
    return pieces


# --- RTF --------------------------------------------------------------------------------------------------------

def _rtf_text(path: Path) -> str:
    from striprtf.striprtf import rtf_to_text

    # RTF is 7-bit with \'xx escapes in the declared code page; every bulletin declares \ansicpg1252.
    raw = path.read_bytes().decode("latin-1")
    return rtf_to_text(raw, encoding="cp1252", errors="replace")


# --- .docx ------------------------------------------------------------------------------------------------------

def _docx_lines(path: Path) -> list[str]:
    import docx

    document = docx.Document(str(path))
    lines = []
    for paragraph in document.paragraphs:
        lines.extend(_split_lines(paragraph.text))
    return lines
