"""`jhs-qual quotes -o quotes.xlsx` (every theme, with the quote matrix) at two sizes, beside its limit.

The limit: the same quotes (read from the CSV quote sheet written beforehand, so no
query and no pseudonymising) written by openpyxl in write-only mode: a sheet per theme
with the same columns, and the quote matrix; what any XLSX quote sheet must do.

    .venv/bin/python benchmarks/bench_quotes.py [--sizes 200 1000] [--runs 3] [--keep DIR]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import JHS, coded_project, compare_at_sizes, python  # noqa: E402

LIMIT = """
import csv, sys
from collections import defaultdict
from openpyxl import Workbook
themes = defaultdict(list)
with open(sys.argv[1], encoding="utf-8-sig", newline="") as handle:
    rows = csv.reader(handle)
    header = next(rows)
    for row in rows:
        themes[row[0]].append(row)
book = Workbook(write_only=True)
codes = sorted(themes)
for code in codes:
    sheet = book.create_sheet(code.split("/")[-1][:31])
    sheet.append(header[3:])
    for row in themes[code]:
        sheet.append(row[3:])
matrix = book.create_sheet("quote matrix")
matrix.append(["transcript", "turn", "text", "attribution", *codes])
for code in codes:
    for row in themes[code]:
        matrix.append([row[6], int(row[7]), row[3], row[5], *(int(c == code) for c in codes)])
book.save(sys.argv[2])
"""


def prepare(folder: Path, size: int) -> None:
    project = coded_project(folder, size)
    subprocess.run([JHS, "quotes", "--format", "csv", "-o", str(folder / f"quotes{size}.csv"), "--force",
                    "--project", str(project)], check=True, capture_output=True)


def main() -> None:
    compare_at_sizes(
        "quotes -o quotes.xlsx, every theme",
        lambda folder, n: [JHS, "quotes", "-o", str(folder / f"quotes{n}.xlsx"), "--force",
                           "--project", str(folder / f"coded{n}.jhsq")],
        lambda folder, n: python(LIMIT, str(folder / f"quotes{n}.csv"), str(folder / f"limit{n}.xlsx")),
        "the same quotes' cells written by openpyxl in write-only mode (a sheet per theme, the quote matrix)",
        prepare=prepare)


if __name__ == "__main__":
    main()
