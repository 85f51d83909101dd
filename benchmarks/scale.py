"""What the at-scale benchmarks share: a coded project of N generated transcripts, and
timing a command as a whole process with its peak memory, against a limit in the same run.

Each bench_<operation>.py measures one operation at two sizes (default 200 and 1,000
transcripts of about 3,000 words; `--sizes 1000 5000` for the issue's sizes) and prints,
per size, jhs-qual beside its limit (medians of --runs), the ratio, both peak memories,
and how jhs-qual's time grew from the smaller size to the larger (linear: the size ratio).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
JHS = str(Path(sys.executable).with_name("jhs-qual"))
CODERS = ("anna", "ben")


def run(argv: list[str]) -> tuple[float, float]:
    """Seconds and peak memory (MiB) of one process and the workers it forks: the larger of the
    largest process's peak resident size and the peak of their proportional sizes (PSS, pages
    they share counted once) summed, sampled every 50 ms."""
    import threading

    began = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    tree_peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            tree_peak[0] = max(tree_peak[0], sum(_pss_kib(pid) for pid in _tree(process.pid)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - began
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    error = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({process.returncode}): {error.strip()}")
    return elapsed, max(usage.ru_maxrss, tree_peak[0]) / 1024


def _tree(pid: int) -> list[int]:
    """A process and its descendants (Linux /proc; just the process elsewhere)."""
    found = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                for child in handle.read().split():
                    found += _tree(int(child))
    except OSError:
        pass
    return found


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            return next((int(line.split()[1]) for line in handle if line.startswith("Pss:")), 0)
    except OSError:
        return 0


def python(script: str, *args: str) -> list[str]:
    """argv of a limit written as a small Python program (a process, like jhs-qual)."""
    return [sys.executable, "-c", script, *args]


def corpus(folder: Path, transcripts: int, words: int = 3000) -> Path:
    out = folder / f"corpus{transcripts}"
    if not out.exists():
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "make_corpus.py"), str(out),
                        "--transcripts", str(transcripts), "--words", str(words)], check=True, capture_output=True)
        (out / "turns.txt").unlink()
    return out


def coded_project(folder: Path, transcripts: int) -> Path:
    """The corpus imported, Bronstein's codebook loaded, and two coders' codings: anna codes
    about half of the teachers' answers (one or two codes), ben agrees on about 70% of them."""
    path = folder / f"coded{transcripts}.jhsq"
    if path.exists():
        return path
    source = corpus(folder, transcripts)
    subprocess.run([JHS, "init", str(path)], check=True, capture_output=True)
    subprocess.run([JHS, "import", str(source), "--project", str(path)], check=True, capture_output=True)
    subprocess.run([JHS, "codebook", "load", str(ROOT / "codebooks" / "bronstein.yaml"), "--project", str(path)],
                   check=True, capture_output=True)
    from jhs_qual.store import Project

    rng = random.Random(5)
    with Project.open(path) as project:
        codes = [r["id"] for r in project.codes()]
        turns = list(project.db.execute(
            "SELECT transcript_id, content_start, end FROM turns WHERE speaker = 'Leraar' AND end > content_start"))
        with project._write() as db:
            anna, ben = (project._coder_id(name) for name in CODERS)
            rows = set()
            for tid, start, end in turns:
                if rng.random() < 0.5:
                    chosen = rng.sample(codes, rng.choice((1, 1, 2)))
                    for code in chosen:
                        rows.add((tid, code, anna, start, end))
                        if rng.random() < 0.7:
                            rows.add((tid, code, ben, start, end))
                        elif rng.random() < 0.5:
                            rows.add((tid, rng.choice(codes), ben, start, end))
            db.conn.executemany(
                "INSERT INTO codings(transcript_id, code_id, coder_id, start, end, memo, origin, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, '', 'manual', '2026-11-23T10:00:00+00:00', '2026-11-23T10:00:00+00:00')",
                sorted(rows))
        project.db.execute("ANALYZE")
    return path


def record(operation: str, size: int, ours: tuple[float, float], limit: tuple[float, float] | None,
           limit_name: str) -> None:
    """One figure for the README's table (benchmarks/readme_table.py): appended as a JSON line to
    the file $JHS_BENCH_RESULTS names, when it does. ours, limit: (seconds, peak MiB)."""
    target = os.environ.get("JHS_BENCH_RESULTS")
    if target:
        import json

        with open(target, "a", encoding="utf-8") as out:
            out.write(json.dumps({"operation": operation, "size": size, "seconds": ours[0], "mib": ours[1],
                                  "limit_seconds": limit[0] if limit else None,
                                  "limit_mib": limit[1] if limit else None, "limit": limit_name}) + "\n")


def median_run(argv: Callable[[], list[str]], runs: int) -> tuple[float, float]:
    results = [run(argv()) for _ in range(runs)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


BUSY = "import time\nt = time.perf_counter()\nfor i in range(25_000_000): pass\nprint(time.perf_counter() - t)"


def two_cores() -> float:
    """What two processes at once get done against one alone: 2.0 on two free cores. A shared
    machine may give less (a neighbour on the second core): a parallel import then gains less
    over its single-process limit. Printed beside the figures it explains."""
    def busy(count: int) -> float:
        started = [subprocess.Popen(python(BUSY), stdout=subprocess.PIPE, text=True) for _ in range(count)]
        return max(float(p.communicate()[0]) for p in started)

    alone, pair = statistics.median(busy(1) for _ in range(3)), statistics.median(busy(2) for _ in range(3))
    return 2 * alone / pair


def compiled() -> None:
    """jhs-qual's modules compiled, as pip leaves an installed wheel: where Python may not write
    bytecode (PYTHONDONTWRITEBYTECODE), an editable tree would compile a changed module at every
    start of every command timed."""
    import compileall

    import jhs_qual

    compileall.compile_dir(Path(jhs_qual.__file__).parent, quiet=1)


def arguments(description: str) -> tuple[argparse.Namespace, Path]:
    """--sizes, --runs and --keep, as every at-scale benchmark takes them; the folder to work in."""
    import tempfile

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--sizes", type=int, nargs=2, default=(200, 1000), metavar=("SMALL", "LARGE"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="Build (and reuse) the projects in this folder.")
    args = parser.parse_args()
    compiled()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="jhs-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    return args, folder


def compare_at_sizes(title: str, ours: Callable[[Path, int], list[str]], limit: Callable[[Path, int], list[str]],
                     limit_name: str, prepare: Callable[[Path, int], None] | None = None) -> None:
    """The shared main(): `ours` and `limit` give the argv for a folder and a size."""
    args, folder = arguments(title)
    print(f"{title}\nlimit: {limit_name}; medians of {args.runs} runs, peak resident memory of the process")
    times = {}
    for size in args.sizes:
        if prepare:
            prepare(folder, size)
        # interleaved: ours, limit, ours, limit ... so both see the same machine
        mine, theirs = [], []
        for _ in range(args.runs):
            mine.append(run(ours(folder, size)))
            theirs.append(run(limit(folder, size)))
        t_ours, m_ours = statistics.median(r[0] for r in mine), max(r[1] for r in mine)
        t_limit, m_limit = statistics.median(r[0] for r in theirs), max(r[1] for r in theirs)
        times[size] = t_ours
        record(title, size, (t_ours, m_ours), (t_limit, m_limit), limit_name)
        print(f"{size:>6} transcripts: jhs-qual {t_ours:7.2f} s {m_ours:6.0f} MiB | limit {t_limit:7.2f} s "
              f"{m_limit:6.0f} MiB | ratio {t_ours / t_limit:4.1f}x (target at most 2x)")
    small, large = args.sizes
    print(f"growth from {small} to {large} transcripts: {times[large] / times[small]:.1f}x "
          f"(linear {large / small:.1f}x)")
    if not args.keep:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
