"""autocode --semantic at scale: time and peak memory at two sizes, against the encoder alone
encoding the same answers, each with its question as the engine reads it, in the same run (the
work autocode cannot avoid). Target: under 500 MiB at 5,000 transcripts, growth linear.

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
from jhs_qual.domain.models import question_before
from jhs_qual.store import Project
from jhs_qual.suggest.semantic import USEncoder
from jhs_qual.suggest.service import answer_text, turn_index
encoder = USEncoder()
with Project.open(sys.argv[1]) as project:
    texts, is_interviewer, batch = project.text_lookup(), project.interviewer_test(), []
    for tid in project.transcript_names():
        text, (turns, _, asks) = texts[tid], turn_index(project, tid, is_interviewer)
        for i, turn in enumerate(turns):
            if asks[i] or turn["end"] <= turn["content_start"]:
                continue
            q = question_before(asks, i)  # the engine reads each answer with its question
            batch.append(answer_text(text, turn["content_start"], turn["end"],
                                     (turns[q]["content_start"], turns[q]["end"]) if q is not None else None))
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
                     "the encoder alone on the same answers with their questions", prepare=coded_project)
