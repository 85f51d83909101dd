"""Reading a ratings table from CSV: rows are units, columns are coders."""

from __future__ import annotations

from pathlib import Path

from jhs_qual.analysis.agreement import Ratings, _is_missing
from jhs_qual.errors import BadInput
from jhs_qual.ingest.decode import read_csv

# A first column with one of these headers names the units and is not a coder.
UNIT_COLUMNS = {"", "unit", "units", "id", "item", "items", "subject", "case", "eenheid"}
# A first column with one of these headers names the coders: the table has a row per coder
# (Krippendorff's own examples are written so), and is read turned.
CODER_COLUMNS = {"coder", "coders", "rater", "raters", "observer", "observers", "judge", "judges", "beoordelaar",
                 "codeur"}


def read_ratings_csv(path: Path, *, numeric: bool) -> tuple[Ratings, list[str], list[str]]:
    """The ratings, the coder names, and what decoding the file changed (warnings).
    Empty cells, '.', 'NA' are missing."""
    rows, warnings = read_csv(path)
    if rows and rows[0][1] and rows[0][1][0].strip().lower() in CODER_COLUMNS:
        named = rows[0][1][0].strip()
        rows = _turned(rows, path)
        warnings = [*warnings, f"the first column is '{named}': read as a row per coder, a column per unit"]
    header, body = rows[0][1], rows[1:]
    first = 1 if header and header[0].strip().lower() in UNIT_COLUMNS else 0
    coders = [h.strip() for h in header[first:]]
    if len(coders) < 2:
        raise BadInput(
            f"{len(coders)} coder column(s); agreement needs at least 2",
            file=path, line=1, hint="rows are units, columns are coders, with a header row",
        )
    table = []
    for line, row in body:
        if not any(cell.strip() for cell in row):
            continue
        cells = row[first:]
        if len(cells) > len(coders):
            raise BadInput(f"{len(cells)} values but {len(coders)} coders in the header", file=path, line=line)
        cells = [cell.strip() for cell in cells] + [""] * (len(coders) - len(cells))
        if numeric:
            for coder, cell in zip(coders, cells):
                if not _is_missing(cell):
                    try:
                        float(cell.replace(",", "."))
                    except ValueError:
                        raise BadInput(
                            f"'{cell}' is not a number",
                            file=path, line=line, field=coder,
                            hint="ordinal, interval and ratio data need numbers; use --level nominal for labels",
                        ) from None
            cells = [cell.replace(",", ".") for cell in cells]
        table.append(cells)
    if not table:
        raise BadInput("no units: the table has a header but no rows", file=path)
    return Ratings.from_table(table, numeric=numeric), coders, warnings


def _turned(rows: list[tuple[int, list[str]]], path: Path) -> list[tuple[int, list[str]]]:
    """A row-per-coder table as the row-per-unit table it stands for (line numbers: the units'
    columns stand where their lines would)."""
    header = rows[0][1]
    width = len(header)
    for line, row in rows[1:]:
        if len(row) > width:
            raise BadInput(f"{len(row)} cells but the header has {width}", file=path, line=line)
    body = [row + [""] * (width - len(row)) for _, row in rows[1:] if any(c.strip() for c in row)]
    turned = [["unit", *(row[0].strip() for row in body)]]
    turned += [[header[j], *(row[j] for row in body)] for j in range(1, width)]
    return [(n, row) for n, row in enumerate(turned, start=1)]
