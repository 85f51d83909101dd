"""Keyword suggestions with explanations: lemmas, phrases, Dutch compounds, fuzzy matches.

How a unit (a turn, or a sentence) is matched against the codes' keywords:

1. spaCy's tokenizer splits the text (the only per-token work done in C).
2. Every distinct lower-case word form is looked at once and cached: its
   lemma (lookup table), the keywords it matches exactly or by lemma, a
   keyword it contains as a part of a Dutch compound
   ("samenwerkingsafspraken" holds "samenwerking"), or one it is a spelling
   variant of (rapidfuzz ratio, only for words of `fuzzy_min_length` letters
   or more, so short words are never fuzzy-matched into noise).
3. Multi-word phrases are matched token by token on lemma or form, starting
   at the tokens whose form begins a phrase.
4. An excluded term of a code, present in the unit, suppresses that code.
5. A code's score combines, per distinct matched keyword, the match strength
   (1 exact or lemma, 0.8 compound, ratio x 0.9 fuzzy), the keyword's
   specificity (shared by k codes: 1/k), and phrase length (+50% per extra
   word), plus a little for repeats: score = 1 - exp(-sum / 1.5), in 0..1.

Every suggestion carries its matches: the words in the text with their
character spans, the keyword each matched, and how.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from jhs_qual.suggest.pipeline import Pipeline

HOW_STRENGTH = {"exact": 1.0, "lemma": 1.0, "phrase": 1.0, "compound": 0.8}


@dataclass(frozen=True)
class Settings:
    fuzzy_threshold: float = 88.0  # rapidfuzz ratio, 0..100
    fuzzy_min_length: int = 6  # shorter words are never fuzzy-matched
    compound_min_length: int = 5  # a keyword part inside a compound is at least this long
    compound_min_rest: int = 3  # ... and the compound has at least this many more letters
    learned_strength: float = 0.7  # learned keywords count for less than the researchers' own


class Match(NamedTuple):  # a NamedTuple: made by the hundred thousand, it must be cheap
    term: str  # as it stands in the text
    keyword: str  # the codebook keyword or phrase it matched
    how: str  # exact | lemma | phrase | compound | fuzzy | learned
    strength: float
    start: int  # character span in the text given to the engine
    end: int


@dataclass
class Suggestion:
    code: str  # "codebook/id"
    score: float
    matched: list[Match] = field(default_factory=list)


@dataclass(frozen=True)
class CodeTerms:
    code: str
    keywords: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    learned: tuple[str, ...] = ()


@dataclass
class _Form:
    lemma: str
    hits: list[tuple[str, str, str, float]]  # (code, keyword, how, strength)
    phrase_starts: list[int]  # indexes into the phrase list
    exclude_starts: list[int]


class KeywordIndex:
    """The keywords of a set of codes, lemmatised once, and a cache of word forms."""

    def __init__(self, codes: list[CodeTerms], pipeline: Pipeline, settings: Settings = Settings()):
        self.pipeline, self.settings = pipeline, settings
        self.codes = [c.code for c in codes]
        self._single: dict[str, list[tuple[str, str, str]]] = defaultdict(list)  # form/lemma -> (code, kw, kind)
        # ((form hash, lemma), ...), anchor position, code, text, kind -- looked up by the anchor's form or lemma
        self._phrases: list[tuple] = []
        self._phrase_first: dict[str, list[int]] = defaultdict(list)
        self._excludes: list[tuple] = []  # ((form hash, lemma), ...), anchor position, code
        self._exclude_first: dict[str, list[int]] = defaultdict(list)
        sharing: dict[str, set[str]] = defaultdict(set)
        for terms in codes:
            for kind, words in (("keyword", terms.keywords + terms.phrases), ("learned", terms.learned)):
                for word in words:
                    tokens = self._tokens(word)
                    if not tokens:
                        continue
                    sharing[" ".join(lemma for _, lemma in tokens)].add(terms.code)
                    if len(tokens) == 1:
                        form, lemma = tokens[0]
                        self._single[form].append((terms.code, word, kind))
                        if lemma != form:
                            self._single[lemma].append((terms.code, word, kind))
                    else:
                        self._add_phrase(self._phrase_first, self._phrases, tokens, (terms.code, word, kind))
            for word in terms.exclude:
                tokens = self._tokens(word)
                if tokens:
                    self._add_phrase(self._exclude_first, self._excludes, tokens, (terms.code,))
        self.specificity = {key: 1.0 / len(codes_) for key, codes_ in sharing.items()}
        keyword_forms = {form for form in self._single if len(form) >= settings.compound_min_length}
        self._compound_parts = keyword_forms
        self._compound_lengths = sorted({len(f) for f in keyword_forms}, reverse=True)
        self._fuzzy_choices = sorted(f for f in self._single if len(f) >= settings.fuzzy_min_length)
        self._forms: dict[int, _Form] = {}
        self._keyword_keys: dict[str, str] = {}

    def _add_phrase(self, first: dict, phrases: list, tokens, payload: tuple) -> None:
        """Index a phrase by its most telling word (the longest that is not a stop
        word), so that 'de', 'we' or 'een' in a text never sets off phrase checks."""
        stop = self.pipeline.stop_words
        anchor = max(range(len(tokens)), key=lambda j: (tokens[j][0] not in stop, len(tokens[j][0])))
        strings = self.pipeline.nlp.vocab.strings
        keyed = tuple((strings.add(form), lemma) for form, lemma in tokens)
        for key in {tokens[anchor][0], tokens[anchor][1]}:
            first[key].append(len(phrases))
        phrases.append((keyed, anchor) + payload)

    def _tokens(self, text: str) -> tuple[tuple[str, str], ...]:
        doc = self.pipeline.nlp.make_doc(text.lower())
        return tuple((t.text, self.pipeline.lemma(t.text)) for t in doc if not t.is_punct and not t.is_space)

    # --- word forms, each looked at once ------------------------------------------------

    def _look_at(self, form: str) -> _Form:
        lemma = self.pipeline.lemma(form)
        hits: list[tuple[str, str, str, float]] = []
        seen: set[tuple[str, str]] = set()
        for key, how in ((form, "exact"), (lemma, "lemma")):
            for code, keyword, kind in self._single.get(key, ()):
                if (code, keyword) not in seen:
                    seen.add((code, keyword))
                    hits.append((code, keyword, "learned" if kind == "learned" else how,
                                 self.settings.learned_strength if kind == "learned" else 1.0))
        if not hits and form.isalpha():
            hits = self._compound(form) or self._fuzzy(form)
        starts = self._phrase_first.get(form, []) + (self._phrase_first.get(lemma, []) if lemma != form else [])
        excludes = self._exclude_first.get(form, []) + (self._exclude_first.get(lemma, []) if lemma != form else [])
        return _Form(lemma, hits, sorted(set(starts)), sorted(set(excludes)))

    def _compound(self, form: str) -> list[tuple[str, str, str, float]]:
        """A keyword that opens or closes a longer word: the Dutch compound."""
        s = self.settings
        for length in self._compound_lengths:
            if len(form) < length + s.compound_min_rest:
                continue
            for part in (form[:length], form[-length:]):
                if part in self._compound_parts:
                    return [(code, keyword, "compound", HOW_STRENGTH["compound"] * self._learned(kind))
                            for code, keyword, kind in self._single[part]]
        return []

    def _fuzzy(self, form: str) -> list[tuple[str, str, str, float]]:
        if len(form) < self.settings.fuzzy_min_length or not self._fuzzy_choices:
            return []
        from rapidfuzz import fuzz, process

        best = process.extractOne(form, self._fuzzy_choices, scorer=fuzz.ratio,
                                  score_cutoff=self.settings.fuzzy_threshold)
        if best is None:
            return []
        strength = best[1] / 100.0 * 0.9
        return [(code, keyword, "fuzzy", strength * self._learned(kind)) for code, keyword, kind in self._single[best[0]]]

    def _learned(self, kind: str) -> float:
        return self.settings.learned_strength if kind == "learned" else 1.0

    # --- matching units --------------------------------------------------------------------

    def suggest(self, texts: list[str], *, top: int | None = None, min_score: float = 0.0) -> list[list[Suggestion]]:
        """Ranked suggestions for each text; match spans are offsets into that text.

        Python touches only the tokens that can start something (a keyword, a
        phrase's anchor, an excluded term): per batch, numpy finds them among
        the token hashes, and each distinct word form is looked at once.
        """
        import numpy as np
        from spacy.attrs import IDX, LENGTH, LOWER

        results: list[list[Suggestion]] = []
        tokenizer = self.pipeline.nlp.tokenizer
        for first in range(0, len(texts), 1000):
            batch = texts[first:first + 1000]
            arrays = [doc.to_array([LOWER, IDX, LENGTH]).reshape(-1, 3)
                      for doc in tokenizer.pipe(batch, batch_size=1000)]
            sizes = [len(a) for a in arrays]
            if not sum(sizes):
                results += [[] for _ in batch]
                continue
            rows = np.concatenate(arrays)
            distinct, inverse = np.unique(rows[:, 0], return_inverse=True)
            lively = np.fromiter((self._lively(int(k)) for k in distinct), dtype=bool, count=len(distinct))
            positions = np.flatnonzero(lively[inverse.reshape(-1)]).tolist()
            # Three flat columns for the whole batch: converting per text costs more than tokenizing.
            keys, starts, lengths = (rows[:, c].tolist() for c in range(3))
            bounds = np.cumsum([0] + sizes).tolist()
            per_text: list[list[int]] = [[] for _ in batch]
            t = 0
            for position in positions:
                while position >= bounds[t + 1]:
                    t += 1
                per_text[t].append(position)
            for index, (text, found) in enumerate(zip(batch, per_text)):
                results.append(self._rank(text, keys, starts, lengths, bounds[index], bounds[index + 1],
                                          found, top, min_score) if found else [])
        return results

    def _lively(self, key: int) -> bool:
        info = self._forms.get(key)
        if info is None:
            info = self._forms[key] = self._look_at(self.pipeline.nlp.vocab.strings[key])
        return bool(info.hits or info.phrase_starts or info.exclude_starts)

    def _rank(self, text: str, keys: list[int], starts: list[int], lengths: list[int], lo: int, hi: int,
              positions: list[int], top, min_score) -> list[Suggestion]:
        """One text: its tokens are keys[lo:hi] (batch-wide positions); character
        offsets in `starts` are offsets into this text."""
        forms = self._forms
        found: dict[str, list[tuple]] = defaultdict(list)  # code -> (keyword, how, strength, start, end)
        excluded: set[str] = set()
        for i in positions:
            info = forms[keys[i]]
            if info.hits:
                start = starts[i]
                end = start + lengths[i]
                for code, keyword, how, strength in info.hits:
                    found[code].append((keyword, how, strength, start, end))
            for p in info.phrase_starts:
                tokens, anchor, code, phrase, kind = self._phrases[p]
                begin = i - anchor
                if self._continues(keys, begin, lo, hi, tokens):
                    last = begin + len(tokens) - 1
                    found[code].append((phrase, "learned" if kind == "learned" else "phrase",
                                        self._learned(kind), starts[begin], starts[last] + lengths[last]))
            for x in info.exclude_starts:
                tokens, anchor, code = self._excludes[x]
                if self._continues(keys, i - anchor, lo, hi, tokens):
                    excluded.add(code)
        scored = [(self._score(matches), code) for code, matches in found.items() if code not in excluded]
        scored = sorted((s for s in scored if s[0] >= min_score), key=lambda s: (-s[0], s[1]))
        if top:
            scored = scored[:top]
        return [Suggestion(code, score, [Match(text[start:end], keyword, how, strength, start, end)
                                         for keyword, how, strength, start, end in sorted(found[code], key=lambda m: m[3])])
                for score, code in scored]

    def _continues(self, keys: list[int], first: int, lo: int, hi: int, tokens) -> bool:
        if first < lo or first + len(tokens) > hi:
            return False
        forms = self._forms
        for j, (form_key, lemma) in enumerate(tokens):
            key = keys[first + j]
            if key != form_key:
                info = forms.get(key)
                if info is None:
                    info = forms[key] = self._look_at(self.pipeline.nlp.vocab.strings[key])
                if info.lemma != lemma:
                    return False
        return True

    def _score(self, found: list[tuple]) -> float:
        """found: (keyword, how, strength, start, end). Keywords with the same lemmas
        ("pesten", "gepest") count as one keyword."""
        best: dict[str, float] = {}
        count: dict[str, int] = defaultdict(int)
        for keyword, _, strength, _, _ in found:
            key = self._keyword_key(keyword)
            if strength > best.get(key, 0.0):
                best[key] = strength
            count[key] += 1
        total = 0.0
        for key, strength in best.items():
            weight = self.specificity.get(key, 1.0) * (1.0 + 0.5 * key.count(" "))
            total += strength * weight + 0.15 * min(count[key] - 1, 2)
        return 1.0 - math.exp(-total / 1.5)

    def _keyword_key(self, keyword: str) -> str:
        key = self._keyword_keys.get(keyword)
        if key is None:
            key = self._keyword_keys[keyword] = " ".join(lemma for _, lemma in self._tokens(keyword))
        return key
