"""Import speed, beside its limit in the same run, and how it grows with a transcript's size.

Prints (medians of --runs):
- `jhs-qual import` of N generated transcripts (benchmarks/make_corpus.py) into a
  new project, against the limit: raw SQLite inserts of the same transcripts and
  turn rows (parsed beforehand, one transaction), and the ratio;
- one transcript of 5 MB against one of 1 MB: linear growth would be 5x;
- the project file's size against the text it holds.

    .venv/bin/python benchmarks/bench_import.py [--transcripts 200] [--runs 3]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JHS = str(Path(sys.executable).with_name("jhs-qual"))


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
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


def raw_inserts(folder: Path, db_path: Path) -> float:
    """The limit: the same transcripts and turns, parsed beforehand, inserted in one transaction."""
    sys.path.insert(0, str(ROOT / "src"))
    from jhs_qual.ingest.readers import read_transcript

    parsed = [(p.stem, read_transcript(p)) for p in sorted(folder.glob("*.txt"))]
    start = time.perf_counter()
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE transcripts (id INTEGER PRIMARY KEY, name TEXT, text TEXT)")
    conn.execute("CREATE TABLE turns (transcript_id INTEGER, idx INTEGER, speaker TEXT, start INTEGER,"
                 " content_start INTEGER, end INTEGER, PRIMARY KEY (transcript_id, idx))")
    with conn:
        for name, p in parsed:
            tid = conn.execute("INSERT INTO transcripts(name, text) VALUES (?, ?)", [name, p.text]).lastrowid
            conn.executemany("INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?)",
                             [(tid, t.index, t.speaker, t.start, t.content_start, t.end) for t in p.turns])
    conn.close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcripts", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "make_corpus.py"), str(folder / "corpus"),
                        "--transcripts", str(args.transcripts)], check=True, capture_output=True)
        (folder / "corpus" / "turns.txt").unlink()  # the suggest-text input, not a transcript
        ours, limit = [], []
        for run in range(args.runs):
            project = folder / f"p{run}.jhsq"
            subprocess.run([JHS, "init", str(project)], check=True, capture_output=True)
            ours.append(timed([JHS, "import", str(folder / "corpus"), "--project", str(project)]))
            limit.append(raw_inserts(folder / "corpus", folder / f"raw{run}.db"))
        text = sum(len(p.read_bytes()) for p in (folder / "corpus").glob("*.txt"))
        print(f"import of {args.transcripts} transcripts: {statistics.median(ours):.2f} s; raw inserts of the same "
              f"rows {statistics.median(limit):.2f} s; ratio {statistics.median(ours) / statistics.median(limit):.1f}x"
              f" (the import also reads and parses the files, and commits once a file)")
        print(f"project file {(folder / 'p0.jhsq').stat().st_size / 1e6:.1f} MB for {text / 1e6:.1f} MB of text: "
              f"{(folder / 'p0.jhsq').stat().st_size / text:.2f}x (target at most 2.2x)")
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
