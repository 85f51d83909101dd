"""Summary and quote-sheet speed on 1,000 transcripts and 1,000,000 codings.

Prints, in one run on the same project: the `jhs-qual summary` command and a
quote sheet of one theme with all its quotes (`jhs-qual quotes --code X`),
each as a whole process and in-process, against a baseline of one SQL
GROUP BY over all codings (the least any summary must do).
Targets: summary under 2 s, quote sheet under 5 s.

    .venv/bin/python benchmarks/bench_exports.py [--transcripts 1000] [--codings 1000000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_tui import build  # noqa: E402

JHS = Path(sys.executable).parent / "jhs-qual"


def add_codings(path: Path, count: int) -> None:
    from jhs_qual.store import Project

    rng = random.Random(3)
    with Project.open(path) as project:
        codes = [r["id"] for r in project.codes()]
        turns = list(project.db.execute("SELECT transcript_id, content_start, end FROM turns WHERE end > content_start"))
        with project._write() as db:
            coders = [project._coder_id(name) for name in ("anna", "ben", "carla")]
            rows, seen = [], set()
            while len(rows) < count:
                tid, start, end = rng.choice(turns)
                key = (tid, rng.choice(codes), rng.choice(coders), start, end)
                if key not in seen:
                    seen.add(key)
                    rows.append((*key, "", "manual", "2026-11-23T10:00:00+00:00", "2026-11-23T10:00:00+00:00"))
            db.conn.executemany(
                "INSERT INTO codings(transcript_id, code_id, coder_id, start, end, memo, origin, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        project.db.execute("ANALYZE")


def timed(argv: list[str], runs: int = 3) -> tuple[float, str]:
    """The median whole-process time of `runs` runs, and the range as text."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - began)
    return statistics.median(times), f"{min(times):.2f}-{max(times):.2f}"


def in_process(args: list[str]) -> float:
    from click.testing import CliRunner

    from jhs_qual.cli import cli

    began = time.perf_counter()
    result = CliRunner().invoke(cli, args)
    elapsed = time.perf_counter() - began
    if result.exit_code != 0:
        raise SystemExit(result.output)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcripts", type=int, default=1000)
    parser.add_argument("--codings", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.jhsq"
        began = time.perf_counter()
        build(path, args.transcripts, 200)
        add_codings(path, args.codings)
        print(f"project: {args.transcripts + 2} transcripts, {args.codings:,} codings "
              f"(built in {time.perf_counter() - began:.0f} s)")
        from jhs_qual.store import Project

        with Project.open(path) as project:
            began = time.perf_counter()
            project.db.execute("SELECT code_id, count(*), count(DISTINCT transcript_id) FROM codings GROUP BY code_id").fetchall()
            baseline = time.perf_counter() - began
        project_args = ["--project", str(path)]
        summary = ["summary", "-o", str(Path(folder) / "s.md"), *project_args]
        quotes = ["quotes", "--code", "bronstein/interdependence", "--format", "csv", "-o", str(Path(folder) / "q.csv"),
                  *project_args]
        s_in, q_in = in_process(summary), in_process(quotes)
        s_proc, q_proc = timed([str(JHS), *summary]), timed([str(JHS), *quotes])
        rows = sum(1 for _ in open(Path(folder) / "q.csv", encoding="utf-8-sig")) - 1
    print(f"baseline: one GROUP BY over all codings: {baseline:.2f} s")
    print(f"summary:     {s_in:5.2f} s in-process, as a process {s_proc[0]:5.2f} s (median of 3; {s_proc[1]})"
          f"   ratio {s_proc[0] / baseline:5.1f}x   (target: under 2 s)")
    print(f"quote sheet of one theme ({rows:,} quotes): {q_in:5.2f} s in-process, as a process {q_proc[0]:5.2f} s "
          f"(median of 3; {q_proc[1]})   ratio {q_proc[0] / baseline:5.1f}x   (target: under 5 s)")


if __name__ == "__main__":
    main()
