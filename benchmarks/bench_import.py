"""Import speed at two corpus sizes, beside its limit and a peer in the same run, and how
it grows with a transcript's size.

Prints (medians of --runs, interleaved):
- `jhs-qual import` of N generated transcripts (benchmarks/make_corpus.py) into a
  new project, at two sizes, against the limit: raw SQLite inserts of the same
  transcripts and turn rows (parsed beforehand, one transaction), and, with --qc,
  the peer `qc corpus import -r -i verbatim` (pip install qualitative-coding) on
  the same files;
- one transcript of 5 MB against one of 1 MB: linear growth would be 5x;
- the project file's size against the text it holds.

    .venv/bin/python benchmarks/bench_import.py [--sizes 200 1000] [--runs 3] [--qc PATH/TO/qc]
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

ROOT = Path(__file__).resolve().parent.parent
JHS = str(Path(sys.executable).with_name("jhs-qual"))


def timed(args: list[str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, cwd=cwd)
    return time.perf_counter() - start


def one_transcript(path: Path, size: int) -> Path:
    rng = random.Random(1)
    words = (ROOT / "transcripts_sample" / "po_leraar_de_linde.txt").read_text(encoding="utf-8").split()
    lines, total, i = [], 0, 0
    while total < size:
        line = ("Interviewer: " if i % 2 == 0 else "Leraar: ") + " ".join(rng.choice(words) for _ in range(40))
        lines.append(line)
        total += len(line.encode()) + 1
        i += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


RAW_INSERTS = """
import sqlite3, sys, time
from pathlib import Path
from jhs_qual.ingest.readers import read_transcript

parsed = [(p.stem, read_transcript(p)) for p in sorted(Path(sys.argv[1]).glob("*.txt"))]
start = time.perf_counter()
conn = sqlite3.connect(sys.argv[2])
conn.execute("CREATE TABLE transcripts (id INTEGER PRIMARY KEY, name TEXT, text TEXT)")
conn.execute("CREATE TABLE turns (transcript_id INTEGER, idx INTEGER, speaker TEXT, start INTEGER,"
             " content_start INTEGER, end INTEGER, PRIMARY KEY (transcript_id, idx))")
with conn:
    for name, p in parsed:
        tid = conn.execute("INSERT INTO transcripts(name, text) VALUES (?, ?)", [name, p.text]).lastrowid
        conn.executemany("INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?)",
                         [(tid, t.index, t.speaker, t.start, t.content_start, t.end) for t in p.turns])
conn.close()
print(time.perf_counter() - start)
"""


def raw_inserts(folder: Path, db_path: Path) -> float:
    """The limit: the same transcripts and turns, parsed beforehand, inserted in one transaction
    (timed from the first insert). In a process of its own: the parsed corpus held here would be
    counted in the peak memory of every jhs-qual process started from this one afterwards."""
    from scale import python

    done = subprocess.run(python(RAW_INSERTS, str(folder), str(db_path)), check=True, capture_output=True, text=True)
    return float(done.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=(200, 1000), metavar=("SMALL", "LARGE"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--qc", help="the qc program (qualitative-coding), to time beside jhs-qual")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from scale import compiled, corpus, record, two_cores
    from scale import run as run_process

    compiled()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        times = {}
        for size in args.sizes:
            source = corpus(folder, size)
            ours, limit, peer = [], [], []
            for n in range(args.runs):
                project = folder / f"p{size}-{n}.jhsq"
                subprocess.run([JHS, "init", str(project)], check=True, capture_output=True)
                ours.append(run_process([JHS, "import", str(source), "--project", str(project)]))
                limit.append(raw_inserts(source, folder / f"raw{size}-{n}.db"))
                if args.qc:
                    where = folder / f"qc{size}-{n}"
                    where.mkdir()
                    subprocess.run([args.qc, "init"], cwd=where, check=True, capture_output=True)
                    peer.append(timed([args.qc, "corpus", "import", "-r", "-i", "verbatim", str(source)], cwd=where))
            mine = times[size] = statistics.median(t for t, _ in ours)
            record("import", size, (mine, max(m for _, m in ours)), (statistics.median(limit), 0.0),
                   "raw inserts of the parsed texts and turns")
            line = (f"import of {size} transcripts: jhs-qual {mine:.2f} s | raw inserts of the same rows "
                    f"{statistics.median(limit):.2f} s ({mine / statistics.median(limit):.1f}x)")
            if peer:
                line += f" | qc {statistics.median(peer):.2f} s ({mine / statistics.median(peer):.2f}x; target 1.5x)"
            print(line)
            text = sum(len(p.read_bytes()) for p in source.glob("*.txt"))
            stored = (folder / f"p{size}-0.jhsq").stat().st_size
            print(f"  project file {stored / 1e6:.1f} MB for {text / 1e6:.1f} MB of text: {stored / text:.2f}x "
                  "(target at most 2.2x)")
        small, large = args.sizes
        print(f"two processes at once did {two_cores():.1f}x the work of one on this machine now (2.0: two "
              "free cores; jhs-qual parses in two worker processes while one stores, the limit uses one)")
        print(f"growth from {small} to {large} transcripts: {times[large] / times[small]:.1f}x "
              f"(linear {large / small:.1f}x)")
        sizes = {}
        for label, size in (("1 MB", 1_000_000), ("5 MB", 5_000_000)):
            source = one_transcript(folder / f"{label.replace(' ', '')}.txt", size)
            runs = []
            for run in range(args.runs):
                project = folder / f"{label.replace(' ', '')}-{run}.jhsq"
                subprocess.run([JHS, "init", str(project)], check=True, capture_output=True)
                runs.append(timed([JHS, "import", str(source), "--project", str(project)]))
            sizes[label] = statistics.median(runs)
        print(f"one transcript of 1 MB: {sizes['1 MB']:.2f} s, of 5 MB: {sizes['5 MB']:.2f} s: "
              f"{sizes['5 MB'] / sizes['1 MB']:.1f}x (linear would be 5x; target at most 7.5x)")


if __name__ == "__main__":
    main()
