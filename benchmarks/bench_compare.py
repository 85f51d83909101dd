"""`jhs-qual compare anna ben` (per turn, every code) at two sizes, beside its limit.

The limit: one SQL query for the two coders' codings on the teachers' turns, a set of
coded turns per coder and code, and the four counts of a 2x2 table per code: what any
comparison of two coders per turn must do.

    .venv/bin/python benchmarks/bench_compare.py [--sizes 200 1000] [--runs 3] [--keep DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import JHS, coded_project, compare_at_sizes, python  # noqa: E402

LIMIT = """
import sqlite3, sys
from collections import defaultdict
db = sqlite3.connect(sys.argv[1])
turns = {}
for tid, n, s, e in db.execute("SELECT transcript_id, idx, content_start, end FROM turns WHERE speaker = 'Leraar'"):
    turns.setdefault(tid, []).append((s, e, n))
sets = defaultdict(set)
coded = defaultdict(set)
for tid, code, coder, start, end in db.execute(
        "SELECT c.transcript_id, c.code_id, cd.name, c.start, c.end FROM codings c JOIN coders cd ON cd.id = c.coder_id"
        " WHERE cd.name IN ('anna', 'ben')"):
    coded[coder].add(tid)
    for s, e, n in turns.get(tid, ()):
        if start < e and end > s:
            sets[code, coder].add((tid, n))
shared = coded['anna'] & coded['ben']
units = sum(len(turns[t]) for t in shared)
for code in sorted({k[0] for k in sets}):
    a = {u for u in sets[code, 'anna'] if u[0] in shared}
    b = {u for u in sets[code, 'ben'] if u[0] in shared}
    both, only_a, only_b = len(a & b), len(a - b), len(b - a)
    print(code, both, only_a, only_b, units - both - only_a - only_b)
"""


def main() -> None:
    compare_at_sizes(
        "compare anna ben --unit turn, every code",
        lambda folder, n: [JHS, "compare", "anna", "ben", "--format", "csv", "-o", str(folder / f"compare{n}.csv"),
                           "--force", "--project", str(folder / f"coded{n}.jhsq")],
        lambda folder, n: python(LIMIT, str(folder / f"coded{n}.jhsq")),
        "SQL for both coders' codings, a set of coded turns per coder and code, a 2x2 table per code",
        prepare=coded_project)


if __name__ == "__main__":
    main()
