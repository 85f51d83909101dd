"""autocode --semantic at scale: time and peak memory at two sizes, against the encoder alone
encoding the same answers in the same run (the work autocode cannot avoid). Target: under
500 MiB at 5,000 transcripts, growth linear.

Each run codes a fresh copy of the coded project (no vectors stored yet).

    .venv/bin/python benchmarks/bench_autocode.py [--sizes 1000 5000] [--runs 1]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import JHS, coded_project, compare_at_sizes, python  # noqa: E402

ENCODE_ALONE = """
import sys
from jhs_qual.store import Project
from jhs_qual.suggest.semantic import USEncoder
encoder = USEncoder()
with Project.open(sys.argv[1]) as project:
    texts = project.text_lookup()
    batch = []
    for tid, turns in project.codable_turns().items():
        text = texts[tid]
        for _, start, end in turns:
            batch.append(text[start:end])
            if len(batch) == 500:
                encoder.encode(batch)
                batch = []
    encoder.encode(batch)
"""


def ours(folder: Path, size: int) -> list[str]:
    fresh = folder / f"auto{size}.jhsq"
    return ["sh", "-c", f'cp "$1" "$2" && rm -f "$2-wal" "$2-shm" && "{JHS}" autocode --semantic --project "$2"',
            "sh", str(coded_project(folder, size)), str(fresh)]


def limit(folder: Path, size: int) -> list[str]:
    return python(ENCODE_ALONE, str(coded_project(folder, size)))


if __name__ == "__main__":
    compare_at_sizes("autocode --semantic: a fresh project's answers ranked and stored", ours, limit,
                     "the encoder alone on the same answers", prepare=coded_project)
