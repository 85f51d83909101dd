"""Transcript attributes: the key vocabulary, `key=value` options and CSV sheets.

Attributes are what researchers filter and compare by (role, school type,
school, wave ...). Keys come from a project-level list so that a typo in a
sheet's header ("shool_type") is caught instead of silently creating a new
attribute nobody filters on.
"""

from __future__ import annotations

import re
from pathlib import Path

from jhs_qual.errors import BadInput
from jhs_qual.ingest.decode import read_csv

DEFAULT_KEYS = ("role", "school_type", "school", "wave", "form", "interviewer", "date", "language")
FILE_COLUMNS = ("file", "filename", "file_name", "bestand", "transcript")
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def check_key(key: str, known: list[str], *, file=None, line=None, field=None) -> str:
    key = key.strip()
    if key not in known:
        hint = (
            f"known attributes: {', '.join(known)}; add a new one with "
            f"'jhs-qual attributes --add {key}'"
            if _KEY.match(key)
            else "attribute names are lower-case letters, digits and '_'"
        )
        raise BadInput(f"unknown attribute '{key}'", file=file, line=line, field=field, hint=hint)
    return key


def check_new_key(key: str) -> str:
    if not _KEY.match(key):
        raise BadInput(
            f"'{key}' is not a valid attribute name",
            hint="use lower-case letters, digits and '_', starting with a letter",
        )
    return key


def parse_assignments(pairs: tuple[str, ...] | list[str], known: list[str], *, field: str = "--attr") -> dict[str, str]:
    """`--attr role=leraar --attr wave=2019` -> {"role": "leraar", "wave": "2019"}; `field` is how
    the command takes them (`--attr` for import, `KEY=VALUE` for attributes set)."""
    result: dict[str, str] = {}
    example = f"{'--attr ' if field.startswith('--') else ''}role=leraar"
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise BadInput(f"'{pair}' is not key=value", field=field, hint=f"write e.g. {example}")
        result[check_key(key, known, field=field)] = value.strip()
    return result


class Sheet(dict):
    """{file name: {key: value}} from an attribute sheet, with what its reading changed."""

    warnings: list[str]


def read_attribute_sheet(path: Path, known: list[str]) -> Sheet:
    """A CSV with a file-name column and one column per attribute.

    Returns {file name: {key: value}}; a row matches a transcript by its file
    name or by its stem. Empty cells set nothing; spaces around a value go, any
    other white space there (a tab, a line end) is refused: it is not part of a value.
    """
    rows, warnings = read_csv(path)
    header = [h.strip() for h in rows[0][1]] if rows else []
    lowered = [h.lower() for h in header]
    file_column = next((i for i, h in enumerate(lowered) if h in FILE_COLUMNS), None)
    if file_column is None:
        raise BadInput(
            "no file-name column",
            file=path,
            line=1,
            hint=f"name the first column one of: {', '.join(FILE_COLUMNS)}",
        )
    keys: dict[int, str] = {}
    for i, name in enumerate(header):
        if i != file_column:
            keys[i] = check_key(name, known, file=path, line=1)
            if list(keys.values()).count(keys[i]) > 1:
                raise BadInput(f"column '{keys[i]}' appears twice", file=path, line=1, field=keys[i],
                               hint="keep one column per attribute")
    sheet = Sheet()
    sheet.warnings = warnings
    for line_number, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise BadInput(
                f"{len(row)} cells but the header has {len(header)}",
                file=path,
                line=line_number,
            )
        for i, cell in enumerate(row):
            if cell.strip(" ") != cell.strip():
                raise BadInput("a tab or line end at the start or end of the cell", file=path, line=line_number,
                               field=header[i], hint="remove it: it is not part of the value")
        name = row[file_column].strip()
        if not name:
            raise BadInput("empty file name", file=path, line=line_number, field=header[file_column])
        if name in sheet:
            raise BadInput(f"'{name}' has a second row", file=path, line=line_number)
        sheet[name] = {
            keys[i]: cell.strip() for i, cell in enumerate(row) if i in keys and cell.strip()
        }
    return sheet


def sheet_row(sheet: dict[str, dict[str, str]], path: Path) -> dict[str, str]:
    return sheet.get(path.name) or sheet.get(path.stem) or {}
