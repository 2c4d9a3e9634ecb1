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
    if ccp_text < 0:
        raise ParseError(path, f"the FIB gives a negative main text length (ccpText {ccp_text})")
    if fc_clx + lcb_clx > len(table):
        raise ParseError(path, f"the FIB puts the piece table (Clx) at bytes {fc_clx:,}-{fc_clx + lcb_clx:,} of "
                               f"the {table_name} stream, which has {len(table):,} bytes")
    pieces = _piece_table(path, table[fc_clx:fc_clx + lcb_clx])
    out = []
    for cp_start, cp_end, fc in pieces:  # a bounded list: each piece takes 12 bytes of the Clx
        if cp_start >= ccp_text:
            break  # past the main document: footnotes, headers, comments follow
        count = min(cp_end, ccp_text) - cp_start
        compressed = bool(fc & _FC_COMPRESSED)
        offset = (fc & ~_FC_COMPRESSED) // 2 if compressed else fc
        size = count if compressed else 2 * count
        if offset + size > len(word):
            raise ParseError(path, f"a text piece (characters {cp_start:,}-{cp_end:,}) lies at bytes "
                                   f"{offset:,}-{offset + size:,}, past the end of the {len(word):,}-byte "
                                   "WordDocument stream")
        chunk = word[offset:offset + size]
        out.append(chunk.decode("cp1252", errors="replace") if compressed else chunk.decode("utf-16-le",
                                                                                              errors="replace"))
    return "".join(out)


def _piece_table(path: Path, clx: bytes) -> list[tuple[int, int, int]]:
    """(first CP, end CP, fc) of each text piece. The Clx is zero or more Prc (0x01, 2-byte size, grpprl)
    followed by one Pcdt (0x02, 4-byte size, PlcPcd). Every size is checked before it is used: a negative or
    oversized one, or pieces whose character positions go backwards, is a ParseError naming the file, so the
    walk always moves forward and ends."""
    pos = 0
    while pos < len(clx) and clx[pos] == 0x01:
        if pos + 3 > len(clx):
            raise ParseError(path, f"the Clx ends inside a property record (Prc) at byte {pos:,}")
        grpprl = struct.unpack_from("<h", clx, pos + 1)[0]  # cbGrpprl: signed in [MS-DOC], at most 0x3FA2
        if not 0 <= grpprl <= 0x3FA2 or pos + 3 + grpprl > len(clx):
            raise ParseError(path, f"a property record (Prc) in the Clx at byte {pos:,} has an impossible size "
                                   f"{grpprl:,} (the Clx has {len(clx):,} bytes)")
        pos += 3 + grpprl  # at least 3: the walk moves forward
    if pos >= len(clx) or clx[pos] != 0x02:
        raise ParseError(path, "no piece table (Pcdt) in the Clx of the Word table stream")
    if pos + 5 > len(clx):
        raise ParseError(path, "the Clx ends inside the piece table's header")
    size = struct.unpack_from("<i", clx, pos + 1)[0]  # lcb: a signed 32-bit size
    if size < 16 or (size - 4) % 12 or pos + 5 + size > len(clx):
        raise ParseError(path, f"the piece table (PlcPcd) has an impossible size {size:,} (it must be 4 + 12 per "
                               f"piece, and {len(clx) - pos - 5:,} bytes are left in the Clx)")
    plc = clx[pos + 5:pos + 5 + size]
    n = (size - 4) // 12  # n+1 CPs of 4 bytes, n piece descriptors of 8 bytes
    cps = struct.unpack_from(f"<{n + 1}i", plc, 0)
    if cps[0] < 0 or any(b < a for a, b in zip(cps, cps[1:])):
        raise ParseError(path, f"the piece table's character positions are negative or go backwards ({cps[:8]}"
                               f"{'...' if n > 7 else ''})")
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
