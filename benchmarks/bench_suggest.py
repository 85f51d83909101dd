"""Suggestion speed on a synthetic corpus, against baselines in the same run.

Prints, on the same corpus (default 1,000 transcripts of about 3,000 words):
- the whole-process time of a Python process that only loads spacy.blank("nl")
  and tokenizes every turn, and of `jhs-qual suggest-text` with the three
  codebooks on the same turns (it shares the work with two forked worker
  processes), with their ratio (target: at most 2x) and the peak memory of
  each (target: under 1 GiB, counting suggest-text's workers as full copies);
- a naive baseline, rapidfuzz partial_ratio of every keyword against every
  turn, timed on a sample and extrapolated (target: we are 50x faster);
- `jhs-qual autocode` over the 1,000 transcripts imported into a project
  (target: under 30 s).

    .venv/bin/python benchmarks/bench_suggest.py [--transcripts 1000] [--words 3000] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_corpus import generate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CODEBOOKS = [ROOT / "codebooks" / f"{n}.yaml" for n in ("bronstein", "professional_topics", "pupil_topics")]
JHS = Path(sys.executable).parent / "jhs-qual"
TOKENIZE_ONLY = "import sys, spacy\nnlp = spacy.blank('nl')\nfor doc in nlp.tokenizer.pipe(sys.stdin, batch_size=1000):\n    pass\n"


def run(argv: list[str], stdin_path: Path | None = None, workers: bool = False) -> tuple[float, float]:
    """Wall time in seconds and peak memory in MiB of a whole process; with
    `workers`, the largest of it and of any process it or an earlier one waited
    for (RUSAGE_CHILDREN keeps the maximum): run it after smaller ones."""
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    began = time.perf_counter()
    process = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - began
    if stdin_path:
        stdin.close()
    if status != 0:
        raise SystemExit(f"{argv[0]} failed: {process.stderr.read().decode()[-500:]}")
    peak = max(usage.ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) if workers else usage.ru_maxrss
    return elapsed, peak / 1024


def naive_baseline(turns_file: Path, sample: int = 1000) -> tuple[float, int]:
    from jhs_qual.codebook import load_codebook
    from rapidfuzz import fuzz

    keywords = [k.lower() for path in CODEBOOKS for c in load_codebook(path).codes for k in c.keywords + c.phrases]
    lines = turns_file.read_text(encoding="utf-8").splitlines()
    chosen = random.Random(1).sample(lines, min(sample, len(lines)))
    began = time.perf_counter()
    for line in chosen:
        text = line.lower()
        for keyword in keywords:
            fuzz.partial_ratio(keyword, text)
    per_turn = (time.perf_counter() - began) / len(chosen)
    return per_turn * len(lines), len(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcripts", type=int, default=1000)
    parser.add_argument("--words", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3, help="runs of the tokenize-only and suggest-text processes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "corpus"
        began = time.perf_counter()
        n, words = generate(corpus, args.transcripts, args.words)
        turns_file = corpus / "turns.txt"
        lines = sum(1 for _ in open(turns_file, encoding="utf-8"))
        print(f"corpus: {n} transcripts, {words:,} words, {lines:,} turns ({time.perf_counter() - began:.1f} s to make)")

        codebook_args = [a for p in CODEBOOKS for a in ("--codebook", str(p))]
        tokenize, suggest = [], []
        for _ in range(args.runs):  # alternated, so that both see the same moods of a shared machine
            tokenize.append(run([sys.executable, "-c", TOKENIZE_ONLY], turns_file))
            suggest.append(run([str(JHS), "suggest-text", *codebook_args, "--json"], turns_file, workers=True))
        (tok_time, tok_mem), (sug_time, sug_mem) = (
            (statistics.median(t for t, _ in runs), max(m for _, m in runs)) for runs in (tokenize, suggest))
        ratios = sorted(s / t for (s, _), (t, _) in zip(suggest, tokenize))
        print(f"medians of {args.runs} alternated runs; suggest-text / tokenize-only per run: "
              + ", ".join(f"{r:.2f}x" for r in ratios))
        print(f"tokenize-only process (spacy.blank('nl')):  {tok_time:6.2f} s   peak {tok_mem:6.0f} MiB")
        print(f"jhs-qual suggest-text, 3 codebooks:         {sug_time:6.2f} s   peak {sug_mem:6.0f} MiB"
              f" a process, {3 * sug_mem:5.0f} MiB at most for it and its 2 workers together"
              f"   ratio {sug_time / tok_time:4.2f}x   (targets: at most 2x, under 1024 MiB)")
        naive, total = naive_baseline(turns_file)
        print(f"naive baseline (rapidfuzz partial_ratio, every keyword x every turn), extrapolated to {total:,} turns: "
              f"{naive:7.1f} s   we are {naive / sug_time:5.0f}x faster   (target: 50x)")

        project = Path(folder) / "bench.jhsq"
        subprocess.run([str(JHS), "init", str(project), *codebook_args], check=True, stdout=subprocess.DEVNULL)
        began = time.perf_counter()
        subprocess.run([str(JHS), "import", "--project", str(project), str(corpus)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        imported = time.perf_counter() - began
        auto_time, auto_mem = run([str(JHS), "autocode", "--project", str(project), "--coder", "auto",
                                   "--min-score", "0.5"])
        print(f"autocode over {n} transcripts (imported in {imported:.1f} s): {auto_time:6.2f} s   peak {auto_mem:6.0f} MiB"
              "   (target: under 30 s)")


if __name__ == "__main__":
    main()
