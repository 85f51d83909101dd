"""What every writer does so that an export is inert: no live formulas, no raw markup, no control characters.

- CSV: a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is
  what spreadsheets read as a formula; it gets a leading `'` (the OWASP
  CSV-injection advice), which spreadsheets hide and show the text as it was.
  `--raw-csv` turns this off for CSV read by programs (`raw_csv(True)`).
- XLSX: every text is a string cell (never a formula), and a text becomes a
  number only when it is plainly one (`12`, `0.75`; not `007`, `1e309`, `Infinity`).
- Markdown and HTML: `<`, `>` and `&` escaped.
- Control characters (other than newline and tab) and what XML cannot carry never leave: they become U+FFFD.
"""

from __future__ import annotations

import html
import re
from contextvars import ContextVar

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_RAW_CSV: ContextVar[bool] = ContextVar("raw_csv", default=False)
# Control characters, and what XML 1.0 cannot carry (lone surrogates, U+FFFE, U+FFFF).
UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_PLAIN_NUMBER = re.compile(r"-?(?:0|[1-9]\d{0,14})(?:\.\d{1,15})?")


def raw_csv(allowed: bool) -> None:
    _RAW_CSV.set(allowed)


def printable(text: str) -> str:
    """Control characters (ESC, BEL, NUL ...) as U+FFFD; newlines and tabs kept."""
    return UNSAFE.sub("\ufffd", text)


def csv_cell(value):
    if not isinstance(value, str):
        return value
    value = printable(value)
    if not _RAW_CSV.get() and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_row(row) -> list:
    return [csv_cell(v) for v in row]


def shown_decimals(value) -> int | None:
    """The decimals a text that is plainly a number shows ("12.50": 2), for the cell's number
    format: the number is stored, and shown as it was written (12.50, not 12.5)."""
    if isinstance(value, str) and "." in value and _PLAIN_NUMBER.fullmatch(printable(value)):
        return len(value) - value.index(".") - 1
    return None


def xlsx_value(value):
    """A value for an XLSX cell: numbers stay numbers, a text that is plainly a number becomes one
    (shown with its decimals: `shown_decimals`)."""
    if isinstance(value, str):
        value = printable(value)
        if _PLAIN_NUMBER.fullmatch(value):
            return float(value) if "." in value else int(value)
    return value


def markdown(text) -> str:
    """Text for Markdown: control characters out, <, > and & escaped (no raw HTML runs); quotes and
    apostrophes stay as they are, as a reader of the file would type them."""
    return html.escape(printable(str(text)), quote=False)


def markup(text) -> str:
    """Text for Markdown or HTML: control characters out, <, > and & escaped."""
    return html.escape(printable(str(text)), quote=True)
