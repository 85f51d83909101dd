"""Runs every at-scale benchmark at two sizes and writes the README's performance table from
what they measured (between the README's `<!-- performance table -->` markers).

Each benchmark times jhs-qual beside its limit in the same run (benchmarks/scale.py) and
appends its figures to a JSON-lines file ($JHS_BENCH_RESULTS); this script gathers them.

    .venv/bin/python benchmarks/readme_table.py [--sizes 1000 5000] [--runs 3] [--keep DIR] [--dry-run]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- performance table -->", "<!-- /performance table -->"

# (script, its extra arguments, the operation as the table names it, the benchmark's title)
BENCHES = [
    ("bench_listing.py", [], "workbench start to the transcript list", "workbench start to the transcript list"),
    ("bench_listing.py", [], "`transcripts`", "transcripts"),
    ("bench_import.py", [], "`import`", "import"),
    ("bench_qdpx.py", ["import"], "`import-qdpx` (our own export)", "import-qdpx of jhs-qual's own export, into a new project"),
    ("bench_compare.py", [], "`compare anna ben`", "compare anna ben --unit turn, every code"),
    ("bench_qdpx.py", ["export"], "`export-qdpx`", "export-qdpx of a coded project"),
    ("bench_summary.py", [], "`summary`", "summary (by school_type, co-occurrence on overlapping spans)"),
    ("bench_quotes.py", [], "`quotes -o q.xlsx`", "quotes -o quotes.xlsx, every theme"),
]


def run_all(sizes: list[int], runs: int, keep: Path, results: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from scale import compiled

    compiled()
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    done = set()
    for script, extra, _, _ in BENCHES:
        if (script, tuple(extra)) in done:
            continue
        done.add((script, tuple(extra)))
        argv = [sys.executable, str(ROOT / "benchmarks" / script), *extra, "--sizes", *map(str, sizes),
                "--runs", str(runs)]
        if script != "bench_import.py":
            argv += ["--keep", str(keep)]
        print("running", " ".join(argv[1:]), flush=True)
        subprocess.run(argv, check=True, env={**env, "JHS_BENCH_RESULTS": str(results)})


def table(results: Path, sizes: list[int]) -> str:
    found = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines() if line.strip()]
    small, large = sizes
    lines = [f"| operation | {small:,} transcripts | {large:,} transcripts | limit at {large:,} | ratio | "
             f"growth (linear {large / small:g}x) |", "|---|---|---|---|---|---|"]
    for _, _, name, title in BENCHES:
        rows = {r["size"]: r for r in found if r["operation"] == title}
        if small not in rows or large not in rows:
            continue
        a, b = rows[small], rows[large]

        def cell(r):
            return f"{r['seconds']:.2f} s" + (f", {r['mib']:,.0f} MiB" if r["mib"] else "")

        limit = f"{b['limit']} {b['limit_seconds']:.2f} s" if b["limit_seconds"] else "—"
        ratio = f"{b['seconds'] / b['limit_seconds']:.1f}x" if b["limit_seconds"] else "—"
        lines.append(f"| {name} | {cell(a)} | {cell(b)} | {limit} | {ratio} | {b['seconds'] / a['seconds']:.1f}x |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=(1000, 5000))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="Build (and reuse) the projects in this folder.")
    parser.add_argument("--results", type=Path, help="Use these figures (JSON lines) instead of running.")
    parser.add_argument("--dry-run", action="store_true", help="Print the table; leave the README as it is.")
    args = parser.parse_args()
    sizes = list(args.sizes)
    results = args.results
    if results is None:
        keep = args.keep or Path(tempfile.mkdtemp(prefix="jhs-bench-"))
        keep.mkdir(parents=True, exist_ok=True)
        results = keep / "results.jsonl"
        results.unlink(missing_ok=True)
        run_all(sizes, args.runs, keep, results)
    text = table(results, sizes)
    print(text)
    if args.dry_run:
        return
    readme = ROOT / "README.md"
    current = readme.read_text(encoding="utf-8")
    if START not in current or END not in current:
        raise SystemExit(f"README.md has no {START} ... {END} section to write the table into")
    readme.write_text(re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: f"{START}\n{text}\n{END}",
                             current, flags=re.DOTALL), encoding="utf-8")
    print("README.md: the performance table written")


if __name__ == "__main__":
    main()
