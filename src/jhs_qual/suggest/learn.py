"""Learning keyword candidates from a coder's codings, and evaluating suggestions.

Candidates: the words that distinguish a code's segments from the rest of the
corpus, by the weighted log-odds ratio with an informative Dirichlet prior
(Monroe, Colaresi & Quinn 2008, "Fightin' Words", Political Analysis 16:372):

    delta_w = log((y_cw + a_w) / (n_c + a0 - y_cw - a_w))
            - log((y_rw + a_w) / (n_r + a0 - y_rw - a_w))
    var_w   = 1 / (y_cw + a_w) + 1 / (y_rw + a_w)
    z_w     = delta_w / sqrt(var_w)

with y_cw the count of lemma w in the code's segments, y_rw its count in the
other turns, n the totals, and the prior a_w = a0 * (share of w in the whole
corpus), a0 a tenth of the corpus's words (at least 10): a prior that smooths
rare words without drowning a small project. Words are lemmas of alphabetic
tokens of 3+ letters, stop words left out. With few segments nothing may
reach z >= 1.96, and then nothing is proposed: that is the honest answer.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    term: str
    z: float
    in_code: int  # occurrences in the code's segments
    elsewhere: int


def lemma_counts(texts: list[str], pipeline) -> Counter:
    counts: Counter = Counter()
    for doc in pipeline.nlp.tokenizer.pipe(texts, batch_size=256):
        for token in doc:
            form = token.lower_
            if token.is_alpha and len(form) >= 3 and form not in pipeline.stop_words:
                lemma = pipeline.lemma(form)
                if lemma not in pipeline.stop_words:
                    counts[lemma] += 1
    return counts


def log_odds(in_code: Counter, rest: Counter, *, prior_size: float | None = None) -> dict[str, float]:
    """z-scores of the weighted log-odds ratio (code vs rest) for every word seen."""
    corpus = in_code + rest
    total = sum(corpus.values())
    if prior_size is None:
        prior_size = max(10.0, 0.1 * total)
    n_c, n_r = sum(in_code.values()), sum(rest.values())
    scores = {}
    for word, count in corpus.items():
        a = prior_size * count / total
        y_c, y_r = in_code.get(word, 0), rest.get(word, 0)
        delta = (math.log((y_c + a) / (n_c + prior_size - y_c - a))
                 - math.log((y_r + a) / (n_r + prior_size - y_r - a)))
        scores[word] = delta / math.sqrt(1.0 / (y_c + a) + 1.0 / (y_r + a))
    return scores


def candidates(in_code_texts: list[str], rest_texts: list[str], pipeline, known: set[str], *,
               top: int = 20, min_count: int = 2, min_z: float = 1.96) -> list[Candidate]:
    """The best keyword candidates for a code, leaving out what it already has."""
    in_code, rest = lemma_counts(in_code_texts, pipeline), lemma_counts(rest_texts, pipeline)
    scores = log_odds(in_code, rest)
    found = [Candidate(w, z, in_code[w], rest.get(w, 0)) for w, z in scores.items()
             if z >= min_z and in_code[w] >= min_count and w not in known]
    found.sort(key=lambda c: (-c.z, c.term))
    return found[:top]


@dataclass
class Evaluation:
    per_code: dict[str, dict[str, float]]  # code -> precision, recall, f1, support
    overall: dict[str, float]
    top1: float  # share of units with a human code whose first suggestion is one of them
    top3: float
    units: int  # units with at least one human code


def evaluate(predicted: list[list[tuple[str, float]]], gold: list[set[str]], min_score: float) -> Evaluation:
    """Turn-level precision, recall and F1 of suggestions (score >= min_score)
    against a coder's codes, and top-1 / top-3 hit rates."""
    tp: Counter = Counter()
    fp: Counter = Counter()
    fn: Counter = Counter()
    hit1 = hit3 = coded_units = 0
    for ranked, truth in zip(predicted, gold):
        chosen = {code for code, score in ranked if score >= min_score}
        for code in chosen & truth:
            tp[code] += 1
        for code in chosen - truth:
            fp[code] += 1
        for code in truth - chosen:
            fn[code] += 1
        if truth:
            coded_units += 1
            hit1 += bool(ranked[:1] and ranked[0][0] in truth)
            hit3 += bool({code for code, _ in ranked[:3]} & truth)

    def prf(t: int, p: int, n: int) -> dict[str, float]:
        nan = float("nan")  # undefined: nothing suggested (precision) or nothing to find (recall)
        precision = t / (t + p) if t + p else nan
        recall = t / (t + n) if t + n else nan
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0  # nan stays nan
        return {"precision": precision, "recall": recall, "f1": f1, "support": t + n}

    codes = sorted(set(tp) | set(fp) | set(fn))
    return Evaluation(
        per_code={c: prf(tp[c], fp[c], fn[c]) for c in codes},
        overall=prf(sum(tp.values()), sum(fp.values()), sum(fn.values())),
        top1=hit1 / coded_units if coded_units else 0.0,
        top3=hit3 / coded_units if coded_units else 0.0,
        units=coded_units,
    )
