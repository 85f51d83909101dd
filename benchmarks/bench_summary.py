"""`jhs-qual summary -o summary.md` (every code, by school_type, co-occurrence on
overlapping spans) at two sizes, beside its limit.

The limit: the same counts in SQL, one query each: codings and transcripts per code,
codings and transcripts per code and attribute value, codings per code and transcript,
and the pairs of one coder's codings of different codes whose spans overlap (a
self-join on the codings index): what any summary of these tables must do.

    .venv/bin/python benchmarks/bench_summary.py [--sizes 200 1000] [--runs 3] [--keep DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import JHS, coded_project, compare_at_sizes, python  # noqa: E402

LIMIT = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
queries = [
    "SELECT code_id, count(*), count(DISTINCT transcript_id) FROM codings GROUP BY code_id",
    "SELECT c.code_id, coalesce(a.value, '(none)') AS v, count(*), count(DISTINCT c.transcript_id)"
    " FROM codings c LEFT JOIN transcript_attributes a ON a.transcript_id = c.transcript_id AND a.key = 'school_type'"
    " GROUP BY c.code_id, v",
    "SELECT code_id, transcript_id, count(*) FROM codings GROUP BY code_id, transcript_id",
    "SELECT a.code_id, b.code_id, count(*) FROM codings a JOIN codings b"
    " ON b.transcript_id = a.transcript_id AND b.coder_id = a.coder_id AND b.code_id > a.code_id"
    " AND b.start < a.end AND a.start < b.end GROUP BY a.code_id, b.code_id",
]
for query in queries:
    rows = db.execute(query).fetchall()
print(len(rows))
"""


def main() -> None:
    compare_at_sizes(
        "summary (by school_type, co-occurrence on overlapping spans)",
        lambda folder, n: [JHS, "summary", "-o", str(folder / f"summary{n}.md"), "--force",
                           "--project", str(folder / f"coded{n}.jhsq")],
        lambda folder, n: python(LIMIT, str(folder / f"coded{n}.jhsq")),
        "the same counts in four SQL queries (per code, per code and value, per code and transcript, overlapping pairs)",
        prepare=coded_project)


if __name__ == "__main__":
    main()
