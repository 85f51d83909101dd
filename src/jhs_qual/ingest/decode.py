"""Bytes to text: UTF-8 (with or without BOM), UTF-16 with BOM, Windows-1252 fallback.

Newlines are normalised to `\n` and the text to Unicode NFC, so that a
diacritic typed on a Mac (e + combining diaeresis) and on Windows (ë) are the
same character and offsets mean the same thing everywhere.
"""

from __future__ import annotations

import codecs
import csv
import unicodedata
from pathlib import Path

from jhs_qual.errors import BadInput
from jhs_qual.files import read_bytes

_SNIFF = 8192


def decode_bytes(data: bytes, path: Path | str, empty: str = "empty file: no text to import") -> tuple[str, list[str]]:
    """Return the text and warnings, or raise BadInput naming the file and line."""
    warnings: list[str] = []
    if data.startswith(codecs.BOM_UTF8):
        text = _strict(data[len(codecs.BOM_UTF8):], "utf-8", path)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _strict(data, "utf-16", path)
    else:
        if b"\x00" in data[:_SNIFF]:
            raise BadInput(
                "looks like a binary file, not text",
                file=path,
                hint="import .txt, .md, .docx, .vtt or .srt transcripts",
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as utf8_error:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                line = data[: utf8_error.start].count(b"\n") + 1
                bad = data[utf8_error.start]
                raise BadInput(
                    f"undecodable byte 0x{bad:02x}: neither UTF-8 nor Windows-1252",
                    file=path,
                    line=line,
                    hint="save the file as UTF-8 and import it again",
                ) from None
            warnings.append("not UTF-8; read as Windows-1252 (check the diacritics)")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text)
    if not text.strip():
        raise BadInput(empty, file=path)
    return text, warnings


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


def read_csv(path: Path) -> list[list[str]]:
    """The rows of a CSV file in any of the encodings above, with ',', ';' or tab
    between cells (Excel writes ';' in Dutch settings)."""
    import io

    data = read_bytes(path)
    text, _ = decode_bytes(data, path, empty="empty file: a CSV needs a header row and rows under it")
    header = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=header.count)  # Excel writes ';' in Dutch settings
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True)
    rows = []
    try:
        for row in reader:  # quoted cells may hold newlines and "" for a quote
            rows.append(row)
    except csv.Error as error:
        raise BadInput(f"not readable as CSV ({error})", file=path, line=reader.line_num,
                       hint="a cell of more than 128 KB, or a quote left open?") from None
    return rows
