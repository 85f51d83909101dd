"""Questionnaire scales: scores, internal consistency and group comparisons (numpy and scipy; no
database). The formulas are those of the methods sections the study's reports follow:

- a respondent's scale score is the mean of the items they answered, reverse-keyed items scored
  min + max - x, when they answered at least `min_answered` of the items (else no score);
- Cronbach's alpha, listwise (respondents who answered every item), with sample variances:
  alpha = k / (k - 1) * (1 - sum of item variances / variance of the sum); and alpha if each item
  were deleted;
- per group n, mean and SD (n - 1);
- one-way ANOVA: F = (SS_between / (g - 1)) / (SS_within / (N - g)), eta squared
  SS_between / SS_total; Levene's test (deviations from the group means, as SPSS) decides whether
  the variances differ (p < .05): then Welch's F (Welch 1951) and Games-Howell's post-hoc test,
  else Tukey's HSD (scipy.stats.tukey_hsd); studentized range from scipy;
- the compact letter display (Piepho 2004): groups that share a letter do not differ
  significantly; letters in order of the means, highest first, as a report prints them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

ALPHA_LEVEL = 0.05


def scores(matrix: np.ndarray, *, low: float, high: float, reverse: list[bool], min_answered: float) -> np.ndarray:
    """Each respondent's scale score (NaN: too few items answered). `matrix`: respondents x the
    scale's items, NaN where not answered (missing codes already made NaN)."""
    values = np.where(np.asarray(reverse, dtype=bool), low + high - matrix, matrix)
    answered = np.sum(~np.isnan(values), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(values, axis=1) / answered
    enough = answered >= max(1, math.ceil(min_answered * matrix.shape[1] - 1e-9))
    return np.where(enough, mean, np.nan)


@dataclass
class Consistency:
    alpha: float | None  # None: fewer than two complete respondents, or no variance
    n: int  # respondents who answered every item
    if_deleted: dict[str, float | None] = field(default_factory=dict)


def cronbach(matrix: np.ndarray, items: list[str], *, low: float, high: float, reverse: list[bool]) -> Consistency:
    """Cronbach's alpha of the complete rows of `matrix` (reverse-keyed items turned first)."""
    values = np.where(np.asarray(reverse, dtype=bool), low + high - matrix, matrix)
    complete = values[~np.isnan(values).any(axis=1)]
    result = Consistency(_alpha(complete), len(complete))
    if len(items) > 2:
        result.if_deleted = {item: _alpha(np.delete(complete, i, axis=1)) for i, item in enumerate(items)}
    return result


def _alpha(complete: np.ndarray) -> float | None:
    n, k = complete.shape
    if n < 2 or k < 2:
        return None
    total = complete.sum(axis=1).var(ddof=1)
    if total == 0:
        return None
    return float(k / (k - 1) * (1 - complete.var(axis=0, ddof=1).sum() / total))


@dataclass
class GroupStats:
    n: int
    mean: float | None
    sd: float | None


@dataclass
class Comparison:
    groups: dict[str, GroupStats]
    test: dict | None = None  # {"F", "df": [df1, df2], "p", "eta2", "welch": bool, "levene_p"}
    posthoc: list[dict] = field(default_factory=list)  # [{"a", "b", "difference", "p"}] (Tukey or Games-Howell)
    letters: dict[str, str] = field(default_factory=dict)


def compare_groups(values: dict[str, np.ndarray]) -> Comparison:
    """Group statistics, the one-way test and its post-hoc test for scale scores per group
    (NaN scores left out). Groups of fewer than two scores are described but not tested."""
    from scipy import stats

    clean = {g: np.asarray(v, dtype=float)[~np.isnan(np.asarray(v, dtype=float))] for g, v in values.items()}
    result = Comparison({g: GroupStats(len(v), float(v.mean()) if len(v) else None,
                                       float(v.std(ddof=1)) if len(v) > 1 else None) for g, v in clean.items()})
    tested = {g: v for g, v in clean.items() if len(v) >= 2}
    if len(tested) < 2 or sum(len(v) for v in tested.values()) <= len(tested):
        return result
    samples = list(tested.values())
    if all(np.ptp(v) == 0 for v in samples) and len({float(v[0]) for v in samples}) == 1:
        return result  # no variance at all: nothing to test
    everything = np.concatenate(samples)
    grand = everything.mean()
    between = sum(len(v) * (v.mean() - grand) ** 2 for v in samples)
    within = sum(((v - v.mean()) ** 2).sum() for v in samples)
    df1, df2 = len(samples) - 1, len(everything) - len(samples)
    levene_p = float(stats.levene(*samples, center="mean").pvalue) if within > 0 else 1.0
    welch = levene_p < ALPHA_LEVEL
    if welch:
        f_value, df2_used = _welch(samples)
    else:
        f_value = (between / df1) / (within / df2) if within > 0 else math.inf
        df2_used = float(df2)
    p = float(stats.f.sf(f_value, df1, df2_used)) if math.isfinite(f_value) else 0.0
    result.test = {"F": float(f_value), "df": [df1, df2_used], "p": p, "eta2": float(between / (between + within)),
                   "welch": welch, "levene_p": levene_p}
    names = list(tested)
    result.posthoc = _games_howell(names, samples) if welch else _tukey(names, samples)
    result.letters = letters(names, [float(v.mean()) for v in samples],
                             {(d["a"], d["b"]) for d in result.posthoc if d["p"] < ALPHA_LEVEL})
    return result


def _welch(samples: list[np.ndarray]) -> tuple[float, float]:
    """Welch's F and its denominator degrees of freedom (Welch 1951)."""
    k = len(samples)
    n = np.array([len(v) for v in samples], dtype=float)
    means = np.array([v.mean() for v in samples])
    variances = np.array([v.var(ddof=1) for v in samples])
    if np.any(variances == 0):
        variances = np.where(variances == 0, 1e-12, variances)
    w = n / variances
    weighted = (w * means).sum() / w.sum()
    a = (w * (means - weighted) ** 2).sum() / (k - 1)
    lam = ((1 - w / w.sum()) ** 2 / (n - 1)).sum()
    b = 1 + 2 * (k - 2) / (k ** 2 - 1) * lam
    return float(a / b), float((k ** 2 - 1) / (3 * lam))


def _tukey(names: list[str], samples: list[np.ndarray]) -> list[dict]:
    from scipy import stats

    result = stats.tukey_hsd(*samples)
    return [{"a": names[i], "b": names[j], "difference": float(samples[i].mean() - samples[j].mean()),
             "p": float(result.pvalue[i, j]), "test": "Tukey HSD"}
            for i in range(len(names)) for j in range(i + 1, len(names))]


def _games_howell(names: list[str], samples: list[np.ndarray]) -> list[dict]:
    from scipy import stats

    found = []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            a, b = samples[i], samples[j]
            va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
            se = math.sqrt(va + vb)
            difference = float(a.mean() - b.mean())
            if se == 0:
                p = 0.0 if difference else 1.0
            else:
                df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
                p = float(stats.studentized_range.sf(abs(difference) / se * math.sqrt(2), len(samples), df))
            found.append({"a": names[i], "b": names[j], "difference": difference, "p": min(p, 1.0),
                          "test": "Games-Howell"})
    return found


def letters(names: list[str], means: list[float], different: set[tuple[str, str]]) -> dict[str, str]:
    """The compact letter display (Piepho 2004, insert and absorb): groups that share a letter do
    not differ; the letters follow the means, the highest first."""
    order = sorted(range(len(names)), key=lambda i: -means[i])
    sets: list[set[int]] = [set(range(len(names)))]
    for a, b in different:
        i, j = names.index(a), names.index(b)
        split = []
        for s in sets:
            if i in s and j in s:
                split += [s - {i}, s - {j}]
            else:
                split.append(s)
        sets = [s for s in split if not any(s < other for other in split)]
        sets = [s for n, s in enumerate(sets) if s not in sets[:n]]
    sets.sort(key=lambda s: min(order.index(i) for i in s))
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    return {names[i]: "".join(alphabet[n] for n, s in enumerate(sets) if i in s) for i in range(len(names))}


def analyse(scale, items: list[str], people: list[dict[str, str]], answers: np.ndarray, by: str | None, *,
            unassigned: str | None = "(none)") -> tuple[Consistency, Comparison]:
    """One scale of a questionnaire: its consistency, and its scores compared by the respondents'
    attribute `by` (None: all of them as one group "all"). `answers`: respondents x `items` as given,
    the scale's missing codes among them; `unassigned`: the group of respondents without `by`
    (None: left out)."""
    matrix = answers[:, [items.index(item) for item in scale.items]]
    matrix[np.isin(matrix, scale.missing)] = np.nan  # "weet niet" is no score
    reverse = [item in scale.reverse for item in scale.items]
    consistency = cronbach(matrix, list(scale.items), low=scale.min, high=scale.max, reverse=reverse)
    values = scores(matrix, low=scale.min, high=scale.max, reverse=reverse, min_answered=scale.min_answered)
    groups: dict[str, list[float]] = {}
    for person, value in zip(people, values):
        group = (person.get(by) or unassigned) if by else "all"
        if group is not None:
            groups.setdefault(group, []).append(value)
    return consistency, compare_groups({g: np.array(v) for g, v in sorted(groups.items())})

