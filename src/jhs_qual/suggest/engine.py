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

from jhs_qual.suggest.pipeline import Pipeline

HOW_STRENGTH = {"exact": 1.0, "lemma": 1.0, "phrase": 1.0, "compound": 0.8}


@dataclass(frozen=True)
class Settings:
    fuzzy_threshold: float = 88.0  # rapidfuzz ratio, 0..100
    fuzzy_min_length: int = 6  # shorter words are never fuzzy-matched
    compound_min_length: int = 5  # a keyword part inside a compound is at least this long
    compound_min_rest: int = 3  # ... and the compound has at least this many more letters
    learned_strength: float = 0.7  # learned keywords count for less than the researchers' own


@dataclass(frozen=True)
class Match:
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
        self._phrases: list[tuple[tuple[tuple[str, str], ...], str, str, str]] = []  # ((form, lemma)...), code, text, kind
        self._phrase_first: dict[str, list[int]] = defaultdict(list)
        self._excludes: list[tuple[tuple[tuple[str, str], ...], str]] = []
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
                        self._phrase_first[tokens[0][0]].append(len(self._phrases))
                        if tokens[0][1] != tokens[0][0]:
                            self._phrase_first[tokens[0][1]].append(len(self._phrases))
                        self._phrases.append((tokens, terms.code, word, kind))
            for word in terms.exclude:
                tokens = self._tokens(word)
                if tokens:
                    for key in {tokens[0][0], tokens[0][1]}:
                        self._exclude_first[key].append(len(self._excludes))
                    self._excludes.append((tokens, terms.code))
        self.specificity = {key: 1.0 / len(codes_) for key, codes_ in sharing.items()}
        keyword_forms = {form for form in self._single if len(form) >= settings.compound_min_length}
        self._compound_parts = keyword_forms
        self._compound_lengths = sorted({len(f) for f in keyword_forms}, reverse=True)
        self._fuzzy_choices = sorted(f for f in self._single if len(f) >= settings.fuzzy_min_length)
        self._forms: dict[int, _Form] = {}
        self._keyword_lemmas: dict[str, list[str]] = {}

    def _tokens(self, text: str) -> tuple[tuple[str, str], ...]:
        doc = self.pipeline.nlp.make_doc(text.lower())
        return tuple((t.text, self.pipeline.lemma(t.text)) for t in doc if not t.is_punct and not t.is_space)

    # --- word forms, each looked at once ------------------------------------------------

    def form(self, key: int, text: str) -> _Form:
        info = self._forms.get(key)
        if info is None:
            info = self._forms[key] = self._look_at(text)
        return info

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
        """Ranked suggestions for each text; match spans are offsets into that text."""
        from spacy.attrs import LOWER

        strings = self.pipeline.nlp.vocab.strings
        results = []
        for doc in self.pipeline.nlp.tokenizer.pipe(texts, batch_size=256):
            keys = doc.to_array(LOWER) if len(doc) else []
            infos = [self.form(int(k), strings[int(k)]) for k in keys]
            matches: dict[str, list[Match]] = defaultdict(list)
            excluded: set[str] = set()
            for i, info in enumerate(infos):
                for code, keyword, how, strength in info.hits:
                    token = doc[i]
                    matches[code].append(Match(token.text, keyword, how, strength, token.idx,
                                               token.idx + len(token.text)))
                for p in info.phrase_starts:
                    tokens, code, phrase, kind = self._phrases[p]
                    if self._continues(infos, doc, i, tokens):
                        first, last = doc[i], doc[i + len(tokens) - 1]
                        end = last.idx + len(last.text)
                        matches[code].append(Match(doc.text[first.idx:end], phrase,
                                                   "learned" if kind == "learned" else "phrase",
                                                   self._learned(kind), first.idx, end))
                for x in info.exclude_starts:
                    tokens, code = self._excludes[x]
                    if self._continues(infos, doc, i, tokens):
                        excluded.add(code)
            ranked = [Suggestion(code, self._score(found), sorted(found, key=lambda m: m.start))
                      for code, found in matches.items() if code not in excluded]
            ranked = [s for s in ranked if s.score >= min_score]
            ranked.sort(key=lambda s: (-s.score, s.code))
            results.append(ranked[:top] if top else ranked)
        return results

    @staticmethod
    def _continues(infos: list[_Form], doc, i: int, tokens) -> bool:
        if i + len(tokens) > len(infos):
            return False
        for j, (form, lemma) in enumerate(tokens):
            token_form = doc[i + j].lower_
            if token_form != form and infos[i + j].lemma != lemma:
                return False
        return True

    def _score(self, found: list[Match]) -> float:
        # Keywords with the same lemmas ("pesten", "gepest") are one keyword here.
        per_keyword: dict[str, list[Match]] = defaultdict(list)
        for match in found:
            per_keyword[" ".join(self._lemmas(match.keyword))].append(match)
        total = 0.0
        for key, matches in per_keyword.items():
            words = len(key.split())
            weight = self.specificity.get(key, 1.0) * (1.0 + 0.5 * (words - 1))
            total += max(m.strength for m in matches) * weight + 0.15 * min(len(matches) - 1, 2)
        return 1.0 - math.exp(-total / 1.5)

    def _lemmas(self, keyword: str) -> list[str]:
        if keyword not in self._keyword_lemmas:
            self._keyword_lemmas[keyword] = [lemma for _, lemma in self._tokens(keyword)]
        return self._keyword_lemmas[keyword]
