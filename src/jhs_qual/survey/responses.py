"""A questionnaire's answers from CSV or XLSX, checked against its scale file before anything is
stored: one row per respondent, an id column, attribute columns (school, school_type, role ...),
item columns. Every problem is one line naming the row and the column."""

from __future__ import annotations

import math
import re
from pathlib import Path

from jhs_qual.errors import BadInput
from jhs_qual.files import read_bytes
from jhs_qual.survey.scales import ScaleFile

MAX_SHEET = 64 * 1024 * 1024
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")


def read_table(path: Path) -> tuple[list[tuple[int, list[str]]], list[str]]:
    """(row number, cells as text) of a CSV or an XLSX's first sheet, the header first; and what
    decoding a CSV changed (warnings, to be shown)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        from jhs_qual.ingest.decode import read_csv

        return read_csv(path)
    if suffix != ".xlsx":
        raise BadInput(f"a sheet is a .csv or .xlsx file, not '{suffix}'", file=path)
    import io
    import zipfile

    from openpyxl import load_workbook

    data = read_bytes(path, MAX_SHEET)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise BadInput(f"not a readable .xlsx workbook ({type(error).__name__})", file=path) from None
    try:
        sheet = book.worksheets[0]
        return [(number, ["" if v is None else _cell_text(v) for v in row])
                for number, row in enumerate(sheet.iter_rows(values_only=True), start=1)], []
    finally:
        book.close()


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def respondents(path: Path, scales: ScaleFile, id_column: str, known_attributes: list[str]
                ) -> tuple[list[tuple[str, dict[str, str], dict[str, float | None]]], list[str], list[str]]:
    """The respondents (id, attributes, {item: value, None when empty}), the attribute names used
    and what decoding the file changed (warnings), every
    cell checked: an unknown column, an item of the scales without a column, a cell that is not a
    number, a number outside the scale's range and not one of its missing codes, a respondent
    listed twice, an empty id."""
    rows, warnings = read_table(path)
    if not rows:
        raise BadInput("empty: a questionnaire needs a header row and a row per respondent", file=path)
    header_line, header = rows[0]
    header = [h.strip() for h in header]
    if id_column not in header:
        raise BadInput(f"no column '{id_column}' (the respondents' id)", file=path, line=header_line, field="--id",
                       hint=f"the columns are: {', '.join(header[:12])}")
    ranges: dict[str, tuple[float, float, tuple[float, ...]]] = {}
    for scale in scales.scales:
        for item in scale.items:
            ranges[item] = (scale.min, scale.max, scale.missing)
    for number, name in enumerate(header):
        if header.count(name) > 1:
            raise BadInput(f"column '{name}' appears twice", file=path, line=header_line, field=name)
        if name and name != id_column and name not in ranges and name not in known_attributes:
            raise BadInput(f"column '{name}' is neither an item of {scales.id} nor an attribute name", file=path,
                           line=header_line, field=name,
                           hint=f"add the attribute with 'jhs-qual attributes --add {name}', or remove the column")
    absent = [item for item in ranges if item not in header]
    if absent:
        raise BadInput(f"{len(absent)} item(s) of {scales.id} have no column: {', '.join(absent[:5])}", file=path,
                       line=header_line, hint="the columns must be named by the scale file's item ids")
    attributes = [h for h in header if h and h != id_column and h not in ranges]
    found, seen = [], {}
    for line, cells in rows[1:]:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            raise BadInput(f"{len(cells)} cells but the header has {len(header)}", file=path, line=line)
        cells = cells + [""] * (len(header) - len(cells))
        row = dict(zip(header, (c.strip() for c in cells)))
        key = row[id_column]
        if not key:
            raise BadInput("empty respondent id", file=path, line=line, field=id_column)
        if key in seen:
            raise BadInput(f"respondent '{key}' is listed twice (first on row {seen[key]})", file=path, line=line,
                           field=id_column)
        seen[key] = line
        values = {item: _value(row[item], ranges[item], path, line, item) for item in ranges}
        found.append((key, {name: row[name] for name in attributes if row[name]}, values))
    if not found:
        raise BadInput("no respondents: only a header row", file=path)
    return found, attributes, warnings


def _value(cell: str, limits: tuple[float, float, tuple[float, ...]], path, line: int, item: str) -> float | None:
    low, high, missing = limits
    if cell == "":
        return None
    if not _NUMBER.match(cell):
        raise BadInput(f"'{cell[:20]}' is not a number", file=path, line=line, field=item,
                       hint=f"answers are {low:g} to {high:g}" + (f", or {', '.join(f'{m:g}' for m in missing)}"
                                                                  if missing else "") + "; leave it empty if unanswered")
    value = float(cell.replace(",", "."))
    if value in missing:
        return value  # kept as answered ("weet niet"): the analysis leaves it out, the data keeps it
    if not low <= value <= high or not math.isfinite(value):
        raise BadInput(f"{cell} is outside {low:g} to {high:g}", file=path, line=line, field=item,
                       hint="correct it, or list it as a missing code in the scale file")
    return value
