"""Questionnaires at scale: `survey import` and `survey scales --by` of respondents x 60 items (six
scales of ten), at two sizes, against the work any tool must do in the same run (the CSV read and
each scale's mean per group in numpy). Target: 10,000 respondents imported and analysed in under
5 s, growth linear.

    .venv/bin/python benchmarks/bench_survey.py [--sizes 2000 10000] [--runs 3]
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import JHS, python, run  # noqa: E402

ITEMS = [f"item_{n}" for n in range(1, 61)]
SCALES = "id: bench\ntitle: Bench\nitems:\n" + "".join(f"  {i}: Item {i}\n" for i in ITEMS) + "scales:\n" + "".join(
    f"  - id: s{k}\n    label_nl: S{k}\n    label_en: S{k}\n    items: [{', '.join(ITEMS[k * 10:k * 10 + 10])}]\n"
    f"    reverse: [{ITEMS[k * 10]}]\n    missing: [6]\n    min_answered: 0.75\n" for k in range(6))

LIMIT = """
import csv, sys
import numpy as np
with open(sys.argv[1], newline="", encoding="utf-8") as handle:
    rows = list(csv.reader(handle))
header, body = rows[0], rows[1:]
groups = np.array([r[2] for r in body])
values = np.array([[float(c) if c and c != "6" else np.nan for c in r[3:]] for r in body])
for k in range(6):
    score = np.nanmean(values[:, k * 10:k * 10 + 10], axis=1)
    print([float(np.nanmean(score[groups == g])) for g in np.unique(groups)])
"""


def make(folder: Path, respondents: int) -> Path:
    path = folder / f"answers{respondents}.csv"
    if not path.exists():
        rng = random.Random(respondents)
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["respondent", "school", "school_type", *ITEMS])
            for n in range(respondents):
                level = rng.gauss(3.2, 0.6)
                writer.writerow([f"r{n}", f"school{n % 40}", ("PO", "SO", "VO")[n % 3],
                                 *("6" if rng.random() < 0.03 else "" if rng.random() < 0.02 else
                                   str(min(5, max(1, round(level + rng.gauss(0, 0.9))))) for _ in ITEMS)])
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=(2000, 10000), metavar=("SMALL", "LARGE"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="jhs-bench-survey-"))
    (folder / "bench.yaml").write_text(SCALES, encoding="utf-8")
    print("survey import + survey scales --by school_type, 60 items in 6 scales; limit: the CSV read and each "
          f"scale's group means in numpy; medians of {args.runs} runs")
    times = {}
    try:
        for size in args.sizes:
            answers = make(folder, size)
            ours, limit = [], []
            for number in range(args.runs):
                project = folder / f"p{size}_{number}.jhsq"
                run([JHS, "init", str(project)])
                imported = run([JHS, "survey", "import", str(answers), "--scales", str(folder / "bench.yaml"),
                                "--id", "respondent", "--project", str(project)])
                analysed = run([JHS, "survey", "scales", "--by", "school_type", "--project", str(project)])
                ours.append((imported[0] + analysed[0], max(imported[1], analysed[1])))
                limit.append(run(python(LIMIT, str(answers))))
            t_ours, m_ours = statistics.median(r[0] for r in ours), max(r[1] for r in ours)
            t_limit = statistics.median(r[0] for r in limit)
            times[size] = t_ours
            print(f"{size:>6} respondents: jhs-qual {t_ours:6.2f} s {m_ours:5.0f} MiB | limit {t_limit:6.2f} s | "
                  f"ratio {t_ours / t_limit:4.1f}x" + ("   (target under 5 s)" if size >= 10000 else ""))
        small, large = args.sizes
        print(f"growth from {small} to {large} respondents: {times[large] / times[small]:.1f}x "
              f"(linear {large / small:.1f}x)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
