"""Suggestions that learn from the researcher's codings, and that read the question.

Two signals join the codebook keywords:

- **The question.** An answer is about what was asked: the interviewer's
  turn before it is matched against the keywords too, at a lower weight
  (`QUESTION_WEIGHT`), and its words are part of what the learner sees. A
  pupil's "Leuk." after "Wat vonden jullie van de lessen?" is about the
  lessons.
- **The codings.** A multinomial naive Bayes over lemmas, one class per code,
  with the codebook itself as each code's first document (its labels,
  definition, guidance, example, keywords and phrases: the prior), and every
  coded unit (its words and its question's) added as the researcher codes.

Fusion: per unit, both signals are standardised over the codes that apply
(z-scores), and the learned one is weighted by how much has been coded,
n / (n + `HALF_WEIGHT_AT`), so at the start the keywords decide and after a
dozen codings the researcher's own practice counts as much. Every suggestion
says which signal carried it: the words that matched, "asked about", or
"like N turns you coded".
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Callable

QUESTION_WEIGHT = 0.5  # a keyword in the question counts half as much as one in the answer
HALF_WEIGHT_AT = 12  # coded units at which the learned signal weighs half its full weight
PRIOR_WEIGHT = 1.0  # the codebook document counts as this many coded units
ALPHA = 0.1  # additive smoothing per word


class Learner:
    """Naive Bayes over lemmas; classes are code references ("codebook/id")."""

    def __init__(self, code_docs: dict[str, str], lemmas: Callable[[str], list[str]]):
        self.lemmas = lemmas
        self._lock = threading.Lock()
        self.words: dict[str, Counter] = {}
        self.totals: dict[str, float] = {}
        self.units: Counter = Counter()  # coded units per code
        self._seen: dict[int, tuple[str, tuple[str, ...]]] = {}  # coding id -> (code, its words)
        self.vocabulary: set[str] = set()
        self._docs: dict[str, str] = {}
        self.set_codes(code_docs)

    def set_codes(self, code_docs: dict[str, str]) -> None:
        """The codes and what the codebook says of each (the prior); codes made or changed
        since are read again, what was learned of the others is kept."""
        with self._lock:
            for code in [c for c in self._docs if c not in code_docs]:
                del self._docs[code], self.words[code], self.totals[code]
            for code, doc in code_docs.items():
                if self._docs.get(code) == doc:
                    continue
                self._docs[code] = doc
                words = self.lemmas(doc)
                counts = Counter(words)
                scale = PRIOR_WEIGHT * 20.0 / max(len(words), 1)  # the codebook as a document of ~20 words
                self.words[code] = Counter({w: n * scale for w, n in counts.items()})
                self.totals[code] = sum(self.words[code].values())
                self.vocabulary |= counts.keys()
                for seen_code, seen_words in self._seen.values():  # what was learned of it stays
                    if seen_code == code:
                        self.words[code].update(seen_words)
                        self.totals[code] += len(seen_words)

    @property
    def known(self) -> set[int]:
        return set(self._seen)

    def sync(self, codings: dict[int, tuple[str, str | None]]) -> None:
        """Make the learned counts those of exactly these codings: {coding id: (code, its text,
        or None for one learned already)}. Each coding is lemmatised once in the life of the learner."""
        with self._lock:
            for coding_id in [i for i in self._seen if i not in codings or codings[i][0] != self._seen[i][0]]:
                self._count(*self._seen.pop(coding_id), -1)
            for coding_id, (code, text) in codings.items():
                if coding_id not in self._seen and code in self.words and text is not None:
                    words = tuple(self.lemmas(text))
                    self._seen[coding_id] = (code, words)
                    self._count(code, words, +1)

    def _count(self, code: str, words: tuple[str, ...], sign: int) -> None:
        self.units[code] += sign
        if code not in self.words:  # a code deleted since
            return
        self.words[code].update({w: sign for w in words})
        self.totals[code] += sign * len(words)
        if sign > 0:
            self.vocabulary.update(words)

    def learned(self, codes: list[str]) -> int:
        return sum(self.units[c] for c in codes)

    def posterior(self, text: str, codes: list[str]) -> dict[str, float]:
        """P(code | words of text) over `codes`, with a prior from how often each was used."""
        words = [w for w in self.lemmas(text)]
        codes = [c for c in codes if c in self.words]
        if not codes:
            return {}
        with self._lock:
            size = len(self.vocabulary) + 1
            total_units = sum(self.units[c] for c in codes)
            logs = {}
            for code in codes:
                prior = math.log((self.units[code] + 1.0) / (total_units + len(codes)))
                denominator = math.log(self.totals[code] + ALPHA * size)
                logs[code] = prior + sum(math.log(self.words[code].get(w, 0.0) + ALPHA) - denominator
                                         for w in words)
        top = max(logs.values())
        exps = {c: math.exp(v - top) for c, v in logs.items()}
        norm = sum(exps.values())
        return {c: v / norm for c, v in exps.items()}


def _z(values: list[float]) -> list[float]:
    mean = sum(values) / len(values)
    spread = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    return [(v - mean) / spread if spread > 1e-9 else 0.0 for v in values]


def learned_weight(n: int) -> float:
    """How much the learned signal counts after n coded units (see the module docstring)."""
    return n / (n + HALF_WEIGHT_AT)


def fuse(keyword: dict[str, float], learned: dict[str, float], n: int, codes: list[str]) -> dict[str, float]:
    """One score per code: standardised keyword score plus the standardised posterior,
    weighted by the amount coded (see the module docstring)."""
    if not codes:
        return {}
    k = _z([keyword.get(c, 0.0) for c in codes])
    if not learned or n == 0:
        return dict(zip(codes, k))
    p = _z([learned.get(c, 0.0) for c in codes])
    weight = learned_weight(n)
    return {c: a + weight * b for c, a, b in zip(codes, k, p)}


def code_document(code: dict) -> str:
    """What the codebook says of a code, as one text: the learner's prior."""
    parts = [code.get("label_nl", ""), code.get("definition", ""), code.get("use_when", ""),
             code.get("example", ""), " ".join(code.get("keywords", ())), " ".join(code.get("phrases", ()))]
    return " ".join(p for p in parts if p)
