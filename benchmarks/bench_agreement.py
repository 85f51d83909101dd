"""Krippendorff's alpha on 100,000 units x 4 coders: jhs_qual against the `krippendorff`
package, in one run on the same data. Prints the figures and their ratio.

    .venv/bin/python benchmarks/bench_agreement.py [--units N] [--coders K] [--repeat R]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from jhs_qual.analysis.agreement import Ratings, alpha_bootstrap, krippendorff_alpha


def best_of(repeat: int, func) -> tuple[float, float]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--coders", type=int, default=4)
    parser.add_argument("--categories", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import krippendorff

    rng = np.random.default_rng(0)
    truth = rng.integers(0, args.categories, args.units)
    data = np.where(rng.random((args.units, args.coders)) < 0.25,
                    rng.integers(0, args.categories, (args.units, args.coders)), truth[:, None])
    codes = np.where(rng.random(data.shape) < 0.1, -1, data)  # 10% missing
    ratings = Ratings.from_codes(codes, range(args.categories))
    reliability = np.where(codes < 0, np.nan, codes).T.astype(float)

    print(f"{args.units:,} units x {args.coders} coders, {args.categories} categories, 10% missing; best of {args.repeat}")
    for level in ("nominal", "ordinal", "interval"):
        ours, a = best_of(args.repeat, lambda: krippendorff_alpha(ratings, level))
        theirs, b = best_of(args.repeat, lambda: krippendorff.alpha(reliability_data=reliability,
                                                                   level_of_measurement=level))
        assert abs(a - b) < 1e-9, (a, b)
        print(f"alpha {level:<9} jhs_qual {ours * 1000:8.1f} ms   krippendorff {theirs * 1000:8.1f} ms"
              f"   ratio {theirs / ours:5.2f}x   alpha {a:.4f}")
    boot, (low, high) = best_of(1, lambda: alpha_bootstrap(ratings, "nominal", samples=1000))
    print(f"bootstrap interval, 1000 resamples: {boot:.2f} s  ({low:.4f} to {high:.4f})")


if __name__ == "__main__":
    main()
