"""Inter-coder agreement coefficients over a units x coders table, with missing data.

Pure functions over numpy arrays; no database. Every coefficient is computed
from the value-by-unit count matrix n[u, c] (how many coders put unit u in
category c), which handles missing data and any number of coders:

- Krippendorff's alpha (Krippendorff 2011, "Computing Krippendorff's
  alpha-reliability"): coincidences o[c, k] = sum over pairable units (m_u >= 2)
  of (n_uc n_uk - [c = k] n_uc) / (m_u - 1); alpha = 1 - D_o / D_e with the
  difference function of the level of measurement.
- Percent agreement over pairable values: sum_c o[c, c] / n, i.e. the share of
  agreeing ordered pairs of values within units (Krippendorff 2004 p.230: 0.800
  for the 4 x 12 example), equal to the plain share of agreeing units for two
  coders without missing data.
- Fleiss' kappa, Gwet's AC1 and Brennan-Prediger's kappa share Gwet's (2014)
  generalisation to missing data: p_a averages the agreeing pairs over units
  rated at least twice; the chance terms are sum pi_k^2 (Fleiss),
  sum pi_k (1 - pi_k) / (q - 1) (AC1) and 1 / q (Brennan-Prediger), with pi_k
  the mean over rated units of each unit's share of category k.
- Cohen's kappa (Cohen 1960) for two coders over the units both coded, with
  optional linear or quadratic weights for ordered categories.

A coefficient that is undefined (no variation at all, or no pairable unit) is
returned as NaN, never as a made-up 0 or 1.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

LEVELS = ("nominal", "ordinal", "interval", "ratio")
MISSING_MARKS = {"", ".", "na", "n/a", "nan", "none", "-"}


@dataclass(frozen=True)
class Ratings:
    """A units x coders table of category codes (-1 = missing) and the categories."""

    codes: np.ndarray  # int, shape (units, coders)
    categories: tuple  # category value of each code, in order (numeric order when numeric)

    @classmethod
    def from_table(cls, rows: Sequence[Sequence[Hashable | None]], *, numeric: bool = False) -> "Ratings":
        """Rows are units, columns coders; None (or NaN) is missing.

        With `numeric`, values must be numbers and categories are ordered by
        value (needed for ordinal, interval and ratio data).
        """
        flat = [v for row in rows for v in row if not _is_missing(v)]
        if numeric:
            categories = tuple(sorted({float(v) for v in flat}))
            index = {v: i for i, v in enumerate(categories)}
            key = float
        else:
            categories = tuple(sorted(set(flat), key=lambda v: (str(type(v)), v)))
            index = {v: i for i, v in enumerate(categories)}
            key = _identity
        width = max((len(row) for row in rows), default=0)
        codes = np.full((len(rows), width), -1, dtype=np.int64)
        for u, row in enumerate(rows):
            for r, value in enumerate(row):
                if not _is_missing(value):
                    codes[u, r] = index[key(value)]
        return cls(codes, categories)

    @classmethod
    def from_codes(cls, codes: np.ndarray, categories: Sequence) -> "Ratings":
        """Codes of any signed integer type are kept as they are (a byte each for a large 0/1 table)."""
        codes = np.asarray(codes)
        if not np.issubdtype(codes.dtype, np.signedinteger):
            codes = codes.astype(np.int64)
        return cls(codes, tuple(categories))

    @property
    def n_units(self) -> int:
        return self.codes.shape[0]

    @property
    def n_coders(self) -> int:
        return self.codes.shape[1]

    def counts(self) -> np.ndarray:
        """n[u, c]: how many coders put unit u in category c."""
        counts = np.empty((self.n_units, len(self.categories)), dtype=np.float64)
        for category in range(len(self.categories)):  # a pass per category: memory stays units x coders bits
            counts[:, category] = (self.codes == category).sum(axis=1)
        return counts


def _identity(value):
    return value


def _is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and value.strip().lower() in MISSING_MARKS


# --- Krippendorff's alpha -----------------------------------------------------------

def coincidences(counts: np.ndarray) -> np.ndarray:
    """The coincidence matrix o[c, k] over pairable units."""
    m = counts.sum(axis=1)
    pairable = m >= 2
    n = counts[pairable]
    weight = 1.0 / (m[pairable] - 1.0)
    return (n * weight[:, None]).T @ n - np.diag((n * weight[:, None]).sum(axis=0))


def difference(level: str, categories: Sequence, marginals: np.ndarray) -> np.ndarray:
    """delta^2[c, k] for the level of measurement (Krippendorff 2011, section D)."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}")
    size = len(categories)
    if level == "nominal":
        return 1.0 - np.eye(size)
    values = np.asarray(categories, dtype=np.float64)
    if level == "interval":
        return (values[:, None] - values[None, :]) ** 2
    if level == "ratio":
        total = values[:, None] + values[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            delta = ((values[:, None] - values[None, :]) / total) ** 2
        return np.nan_to_num(delta, nan=0.0)
    # ordinal: (sum of marginals from c to k, minus half of the two ends)^2
    cumulative = np.concatenate([[0.0], np.cumsum(marginals)])
    low = np.minimum.outer(np.arange(size), np.arange(size))
    high = np.maximum.outer(np.arange(size), np.arange(size))
    spanned = cumulative[high + 1] - cumulative[low]
    return (spanned - (marginals[:, None] + marginals[None, :]) / 2.0) ** 2


def _alpha_from_coincidences(o: np.ndarray, delta: np.ndarray) -> float:
    marginals = o.sum(axis=1)
    n = marginals.sum()
    if n <= 1:
        return float("nan")
    observed = (o * delta).sum() / n
    expected = (np.outer(marginals, marginals) * delta).sum() / (n * (n - 1.0))
    if expected == 0:
        return float("nan")
    return float(1.0 - observed / expected)


def krippendorff_alpha(ratings: Ratings, level: str = "nominal") -> float:
    o = coincidences(ratings.counts())
    return _alpha_from_coincidences(o, difference(level, ratings.categories, o.sum(axis=1)))


def alpha_bootstrap(
    ratings: Ratings,
    level: str = "nominal",
    *,
    samples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval for alpha, resampling units with replacement.

    The difference function is held at the full sample's (it depends on the
    marginals only for ordinal data). Seeded, so the same data gives the same
    interval. Units with the same counts are exchangeable, so drawing units
    with replacement is drawing from the distinct count patterns in
    proportion to their frequency: a few hundred patterns, not 100,000 units.
    """
    counts = ratings.counts()
    m = counts.sum(axis=1)
    pairable = m >= 2
    if not pairable.any():
        return float("nan"), float("nan")
    patterns, frequency = np.unique(counts[pairable], axis=0, return_counts=True)
    n_units = int(frequency.sum())
    weight = 1.0 / (patterns.sum(axis=1) - 1.0)
    size = patterns.shape[1]
    # Each pattern's contribution to the coincidence matrix, flattened.
    per_pattern = (np.einsum("uc,uk->uck", patterns, patterns)
                   - np.einsum("uc,ck->uck", patterns, np.eye(size))) * weight[:, None, None]
    per_pattern = per_pattern.reshape(len(patterns), size * size)
    o_full = (frequency @ per_pattern).reshape(size, size)
    delta = difference(level, ratings.categories, o_full.sum(axis=1))
    rng = np.random.default_rng(seed)
    alphas = np.empty(samples)
    batch = max(1, min(samples, 4_000_000 // len(patterns)))
    for first in range(0, samples, batch):
        count = min(batch, samples - first)
        picks = rng.multinomial(n_units, frequency / n_units, size=count)
        boot = (picks @ per_pattern).reshape(count, size, size)
        marginals = boot.sum(axis=2)
        total = marginals.sum(axis=1)
        observed = (boot * delta).sum(axis=(1, 2)) / total
        expected = np.einsum("bc,bk,ck->b", marginals, marginals, delta) / (total * (total - 1.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            alphas[first:first + count] = 1.0 - observed / expected
    alphas = alphas[np.isfinite(alphas)]
    if len(alphas) == 0:
        return float("nan"), float("nan")
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(alphas, [tail, 100.0 - tail])
    return float(low), float(high)


# --- percent agreement and the kappa family -------------------------------------------

def percent_agreement(ratings: Ratings) -> float:
    """Agreeing pairs among all pairable values, pooled over units (Krippendorff 2004 p.230)."""
    o = coincidences(ratings.counts())
    total = o.sum()
    return float(np.trace(o) / total) if total else float("nan")


def percent_agreement_per_unit(ratings: Ratings) -> float:
    """The mean over units rated twice or more of each unit's share of agreeing pairs
    (Fleiss 1971; irrCAC's pa). Differs from the pooled figure when units have unequal
    numbers of values."""
    return _gwet_terms(ratings)[0]


def _gwet_terms(ratings: Ratings) -> tuple[float, np.ndarray]:
    """p_a over units rated at least twice, and pi_k over units rated at least once."""
    counts = ratings.counts()
    r = counts.sum(axis=1)
    twice = r >= 2
    if not twice.any():
        return float("nan"), np.zeros(len(ratings.categories))
    pa = float(np.mean((counts[twice] * (counts[twice] - 1.0)).sum(axis=1) / (r[twice] * (r[twice] - 1.0))))
    rated = r >= 1
    pi = (counts[rated] / r[rated][:, None]).mean(axis=0)
    return pa, pi


def _kappa(pa: float, pe: float) -> float:
    if np.isnan(pa) or pe >= 1.0:
        return float("nan")
    return float((pa - pe) / (1.0 - pe))


def fleiss_kappa(ratings: Ratings) -> float:
    pa, pi = _gwet_terms(ratings)
    return _kappa(pa, float((pi ** 2).sum()))


def fleiss_kappa_by_category(ratings: Ratings) -> dict:
    """Fleiss' (1971) kappa for each category against all others, over units rated twice or more.

    kappa_j = 1 - sum_i n_ij (m_i - n_ij) / (m_i (m_i - 1)) / (N p_j q_j), with p_j the mean
    share of unit ratings in category j (Fleiss 1971, eq. 13, generalised to unequal m_i).
    """
    counts = ratings.counts()
    m = counts.sum(axis=1)
    twice = m >= 2
    if not twice.any():
        return {category: float("nan") for category in ratings.categories}
    n, mi = counts[twice], m[twice][:, None]
    p = (n / mi).mean(axis=0)
    disagreement = (n * (mi - n) / (mi * (mi - 1.0))).sum(axis=0)
    expected = len(n) * p * (1.0 - p)
    return {category: float(1.0 - disagreement[j] / expected[j]) if expected[j] > 0 else float("nan")
            for j, category in enumerate(ratings.categories)}


def gwet_ac1(ratings: Ratings, n_categories: int | None = None) -> float:
    q = n_categories or len(ratings.categories)
    pa, pi = _gwet_terms(ratings)
    if q < 2:
        return float("nan")
    return _kappa(pa, float((pi * (1.0 - pi)).sum() / (q - 1.0)))


def brennan_prediger(ratings: Ratings, n_categories: int | None = None) -> float:
    q = n_categories or len(ratings.categories)
    pa, _ = _gwet_terms(ratings)
    if q < 2:
        return float("nan")
    return _kappa(pa, 1.0 / q)


def contingency(ratings: Ratings) -> np.ndarray:
    """Two coders' q x q table over the units both coded."""
    if ratings.n_coders != 2:
        raise ValueError(f"Cohen's kappa compares exactly 2 coders, not {ratings.n_coders}")
    both = (ratings.codes >= 0).all(axis=1)
    size = len(ratings.categories)
    table = np.zeros((size, size))
    np.add.at(table, (ratings.codes[both, 0], ratings.codes[both, 1]), 1.0)
    return table


def cohen_kappa(ratings: Ratings, weights: str | None = None) -> float:
    """Cohen's kappa; `weights` None, 'linear' or 'quadratic' (categories in order)."""
    return cohen_kappa_from_table(contingency(ratings), weights)


def cohen_kappa_from_table(table: np.ndarray, weights: str | None = None) -> float:
    table = np.asarray(table, dtype=np.float64)
    total = table.sum()
    if total == 0:
        return float("nan")
    p = table / total
    size = len(table)
    i, j = np.indices((size, size))
    if weights is None:
        w = (i == j).astype(float)
    elif weights in ("linear", "quadratic"):
        if size < 2:
            return float("nan")
        gap = np.abs(i - j) / (size - 1.0)
        w = 1.0 - (gap if weights == "linear" else gap ** 2)
    else:
        raise ValueError("weights must be None, 'linear' or 'quadratic'")
    po = float((w * p).sum())
    pe = float((w * np.outer(p.sum(axis=1), p.sum(axis=0))).sum())
    return _kappa(po, pe)


# --- one entry point for the command line ---------------------------------------------

METRICS = {
    "alpha": "Krippendorff's alpha",
    "percent": "percent agreement",
    "percent-unit": "percent agreement per unit",
    "cohen": "Cohen's kappa",
    "fleiss": "Fleiss' kappa",
    "ac1": "Gwet's AC1",
    "bp": "Brennan-Prediger kappa",
}


def coefficient(ratings: Ratings, metric: str, *, level: str = "nominal", weights: str | None = None) -> float:
    if metric == "alpha":
        return krippendorff_alpha(ratings, level)
    if metric == "percent":
        return percent_agreement(ratings)
    if metric == "percent-unit":
        return percent_agreement_per_unit(ratings)
    if metric == "cohen":
        return cohen_kappa(ratings, weights)
    if metric == "fleiss":
        return fleiss_kappa(ratings)
    if metric == "ac1":
        return gwet_ac1(ratings)
    if metric == "bp":
        return brennan_prediger(ratings)
    raise ValueError(f"metric must be one of {', '.join(METRICS)}")
