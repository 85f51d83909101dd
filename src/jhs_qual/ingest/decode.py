"""Bytes to text: UTF-8 (with or without BOM), UTF-16 and UTF-32 with BOM, Windows-1252.

Newlines are normalised to `\n` and the text to Unicode NFC, so that a
diacritic typed on a Mac (e + combining diaeresis) and on Windows (ë) are the
same character and offsets mean the same thing everywhere.

Every decision that changes a character is reported, with the lines:
- bytes that are not UTF-8 in a UTF-8 file are read as Windows-1252 one by one
  (a file with no UTF-8 at all is read as Windows-1252 whole);
- line and paragraph separators (U+2028, U+2029, NEL, vertical tab, form feed)
  become line ends;
- control characters and what XML cannot carry (lone surrogates, U+FFFE, U+FFFF)
  become U+FFFD, one for one, so offsets hold.
"""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from pathlib import Path

from jhs_qual.errors import BadInput
from jhs_qual.export.safe import UNSAFE
from jhs_qual.files import read_bytes

_SNIFF = 8192
_SEPARATORS = re.compile("[\x0b\x0c\x85\u2028\u2029]")
_ODD = re.compile(UNSAFE.pattern[:-1] + "\u2028\u2029]")  # either kind: one pass finds that a text has none
_CP1252_UNDEFINED = b"\x81\x8d\x8f\x90\x9d"


def decode_bytes(data: bytes, path: Path | str, empty: str = "empty file: no text to import") -> tuple[str, list[str]]:
    """Return the text and warnings, or raise BadInput naming the file and line."""
    warnings: list[str] = []
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        text = _strict(data, "utf-32", path)
        warnings.append("read as UTF-32 (its byte-order mark says so)")
    elif data.startswith(codecs.BOM_UTF8):
        text = _strict(data[len(codecs.BOM_UTF8):], "utf-8", path)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _strict(data, "utf-16", path)
    else:
        _refuse_binary(data[:_SNIFF], path)
        text, note = utf8_or_cp1252(data, path)
        warnings += note
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text)
    if not text.strip():
        raise BadInput(empty, file=path)
    if not _ODD.search(text):  # as most texts are
        return text, warnings
    unsafe, sniffed = len(UNSAFE.findall(text[:_SNIFF])), len(text[:_SNIFF])
    if unsafe > 4 and unsafe * 4 > sniffed:  # a text has a stray few; not one in four
        raise BadInput("looks like a binary file, not text", file=path,
                       hint="import .txt, .md, .docx, .vtt, .srt, .json or .tsv transcripts")
    text, notes = clean_text(text, separators=True)
    return text, warnings + notes


def clean_text(text: str, *, separators: bool) -> tuple[str, list[str]]:
    """The text with separators made line ends (when `separators`) and unsafe characters
    made U+FFFD, one for one; a warning for each kind, naming the lines."""
    notes = []
    if separators and _SEPARATORS.search(text):
        found = [m.start() for m in _SEPARATORS.finditer(text)]
        notes.append(f"{len(found)} line or page separator(s) (U+2028, U+2029, NEL, VT, FF) read as line ends "
                     f"({_lines(text, found)})")
        text = _SEPARATORS.sub("\n", text)
    found = [m.start() for m in UNSAFE.finditer(text)]
    if found:
        text = UNSAFE.sub("\ufffd", text)
        notes.append(f"{len(found)} control character(s) replaced by \ufffd ({_lines(text, found)}); check the file")
    return text, notes


def _lines(text: str | bytes, positions: list[int]) -> str:
    """'line 3' or 'lines 3, 7, ...': where the positions are in `text` (characters or bytes)."""
    newline = b"\n" if isinstance(text, bytes) else "\n"
    lines = sorted({text.count(newline, 0, at) + 1 for at in positions[:1000]})
    return "line" + ("s " if len(lines) > 1 else " ") + ", ".join(map(str, lines[:10])) + (" ..." if len(lines) > 10 else "")


def _refuse_binary(sniff: bytes, path: Path | str) -> None:
    nuls = sniff.count(b"\x00")
    if nuls * 4 > len(sniff) and (sniff[1::2].count(b"\x00") > nuls * 0.9 or sniff[0::2].count(b"\x00") > nuls * 0.9):
        raise BadInput("looks like UTF-16 text without a byte-order mark", file=path,
                       hint="save it as UTF-8 (or as UTF-16 with its byte-order mark) and import it again")
    if nuls * 100 > len(sniff):
        raise BadInput("looks like a binary file, not text", file=path,
                       hint="import .txt, .md, .docx, .vtt, .srt, .json or .tsv transcripts")


def utf8_or_cp1252(data: bytes, path: Path | str) -> tuple[str, list[str]]:
    """UTF-8; bytes that are not UTF-8 read as Windows-1252, one by one, and reported."""
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    odd: list[int] = []

    def as_cp1252(error: UnicodeDecodeError):
        byte = error.object[error.start]
        if byte in _CP1252_UNDEFINED:
            raise BadInput(f"undecodable byte 0x{byte:02x}: neither UTF-8 nor Windows-1252", file=path,
                           line=data.count(b"\n", 0, error.start) + 1, hint="save the file as UTF-8 and import it again")
        odd.append(error.start)
        return bytes([byte]).decode("cp1252"), error.start + 1

    codecs.register_error("jhs-qual-cp1252", as_cp1252)
    text = data.decode("utf-8", errors="jhs-qual-cp1252")
    if len(re.findall(rb"[\x80-\xff]", data)) == len(odd):  # no UTF-8 at all: a Windows-1252 file
        return text, ["not UTF-8; read as Windows-1252 (check the diacritics)"]
    return text, [f"UTF-8 with {len(odd)} byte(s) that are not: read as Windows-1252 ({_lines(data, odd)}); "
                  "check those characters"]


def _strict(data: bytes, encoding: str, path: Path | str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise BadInput(
            f"undecodable bytes for {encoding} despite its byte-order mark",
            file=path,
            line=line,
            hint="save the file as UTF-8 and import it again",
        ) from None


MAX_SHEET = 32 * 1024 * 1024  # a sheet of attributes or ratings: a row per transcript or unit


def read_csv(path: Path) -> tuple[list[tuple[int, list[str]]], list[str]]:
    """The rows of a CSV file in any of the encodings above, with ',', ';' or tab between
    cells (Excel writes ';' in Dutch settings), each with the line it starts on; and the
    warnings of its decoding. A quote left open is refused with the line it opened on."""
    import io

    data = read_bytes(path, MAX_SHEET)
    text, warnings = decode_bytes(data, path, empty="empty file: a CSV needs a header row and rows under it")
    header = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=header.count)  # Excel writes ';' in Dutch settings
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True,
                        strict=True)
    rows = []
    start = 1
    try:
        for row in reader:  # quoted cells may hold newlines and "" for a quote
            rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as error:
        problem = "a quote opened here is never closed" if "end of data" in str(error) else f"not readable as CSV ({error})"
        raise BadInput(problem, file=path, line=start,
                       hint="close the quote, or double a quote inside a quoted cell (\"\")") from None
    return rows, warnings
