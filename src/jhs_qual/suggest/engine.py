"""Keyword suggestions with explanations: lemmas, phrases, Dutch compounds, fuzzy matches.

How a batch of units (turns, or sentences) is matched against the codes' keywords:

1. spaCy's tokenizer splits the texts, a few at a time joined into one
   document (see CHUNK).
2. Every distinct lower-case word form is looked at once in the life of the
   index and remembered: its lemma (lookup table), the keywords it matches
   exactly or by lemma, or (Dutch) by a regular inflection the lookup table
   lacks (leraren, groepjes: see inflect.py); failing those, one it is a spelling variant of
   (rapidfuzz ratio, only for words of `fuzzy_min_length` letters or more, so
   short words are never fuzzy-matched into noise), else a keyword it
   contains as a part of a Dutch compound ("samenwerkingsafspraken" holds
   "samenwerking"); and the phrases and excluded terms it can anchor.
3. The rest is numpy over the whole batch, no Python per token or per unit:
   the tokens' hits are spread out of the per-form tables; a phrase (or an
   excluded term) is checked token by token, on form or lemma, at every
   token that can anchor it; an excluded term in a unit suppresses its code.
4. A code's score in a unit combines, per distinct matched keyword (keywords
   with the same lemmas, "pesten" and "gepest", count as one), the match
   strength (1 exact or lemma, 0.8 compound, ratio x 0.9 fuzzy), the
   keyword's specificity (shared by k codes: 1/k) and phrase length (+50% per
   extra word), plus a little for repeats: score = 1 - exp(-sum / 1.5), in 0..1.

Every suggestion carries its matches: the words in the text with their
character spans, the keyword each matched, and how.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

import numpy as np

from jhs_qual.suggest.inflect import base_forms
from jhs_qual.suggest.pipeline import Pipeline
from jhs_qual.suggest.settings import Settings

COMPOUND_STRENGTH = 0.8  # a keyword inside a longer word; exact, lemma and phrase matches count 1
# Texts per spaCy document. Fewer documents mean fewer `to_array` calls, but once a
# document holds a tokenizer special case spaCy stops caching the rest of it
# (tokenizer.pyx, `has_special`): on the benchmark corpus 10 texts took 1.0-1.4 s,
# 1,000 took 8 s, one document per text (with its to_array) 1.8-2.3 s.
CHUNK = 10
_encode = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) uses for a str


class Match(NamedTuple):
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
    learned: int = 0  # coded units of this code that support it (see adapt.py); 0: keywords alone
    rank: int = 0  # 1 for the first; suggestions that tie share a rank (their order means nothing)
    similar: str = ""  # close in meaning (semantic.py): "meaning" (to the codebook's words) or "coded"
    previous: bool = False  # the coder gave this code to the answer before

    def evidence(self) -> str:
        """The matched words for people: 'klas, pestten~pesten, klassfeer~sfeer (compound)',
        'asked: lessen', 'like 4 coded turns'."""
        labels = []
        for m in self.matched:
            label = m.term if m.term.lower() == m.keyword else f"{m.term}~{m.keyword}"
            if m.how == "question":
                label = f"asked: {m.term}"
            labels.append(f"{label} ({m.how})" if m.how in ("fuzzy", "compound") else label)
        if self.learned:
            labels.append(f"like {self.learned} coded turn{'s' if self.learned != 1 else ''}")
        if self.similar:
            labels.append("close in meaning to its definition" if self.similar == "meaning"
                          else "close in meaning to turns coded with it")
        if self.previous:
            labels.append("your code for the answer before")
        return ", ".join(dict.fromkeys(labels))


@dataclass(frozen=True)
class CodeTerms:
    code: str
    keywords: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    learned: tuple[str, ...] = ()


@dataclass
class Kinds:
    """What a match can be, one row each: the keyword, how it matched, the strength,
    and those three as a JSON fragment."""

    keyword: list[str]
    how: list[str]
    strength: list[float]
    json: list[str]


@dataclass
class Found:
    """Suggestions for a list of texts, as columns: made by the hundred thousand,
    they must cost numpy time, not Python objects.

    Unranked (from `KeywordIndex.match`): one suggestion row per (text, code)
    with its score, one match row per matched word or phrase. `ranked()` sorts
    them, drops what falls below the score or beyond the top, and adds the
    pointers that index and iteration use: `found[i]` is text i's suggestions
    as a list of `Suggestion`, `found.json()[i]` the same as JSON.
    """

    texts: list[str]
    code_names: list[str]  # sorted, so that code ids sort as their names do
    text: np.ndarray  # per suggestion: the text's index
    code: np.ndarray  # per suggestion: index into code_names
    score: np.ndarray
    match_of: np.ndarray  # per match: its suggestion's row
    start: np.ndarray  # per match: character span in its text
    end: np.ndarray
    kind: np.ndarray  # per match: its row in `kinds`
    kinds: Kinds
    first: list[int] | None = None  # ranked: text i's suggestions are rows first[i]:first[i + 1]
    match_first: list[int] | None = None  # ranked: suggestion s's matches are match_first[s]:match_first[s + 1]
    rank: np.ndarray | None = None  # ranked: per suggestion, 1 + the number scoring higher (ties share one)

    @classmethod
    def join(cls, texts: list[str], parts: list[Found]) -> Found:
        """The unranked suggestions of several indexes (languages, or none) over the same texts, as one."""
        if len(parts) == 1:
            return parts[0]
        if not parts:
            none = np.zeros(0, dtype=np.int64)
            return cls(list(texts), [], none, none, np.zeros(0), none, none, none, none, Kinds([], [], [], []))
        names = sorted({name for p in parts for name in p.code_names})
        suggestions = np.cumsum([0] + [len(p.text) for p in parts])
        kinds = np.cumsum([0] + [len(p.kinds.json) for p in parts])
        cat = np.concatenate
        return cls(list(texts), names, cat([p.text for p in parts]),
                   cat([np.searchsorted(names, p.code_names)[p.code] for p in parts]), cat([p.score for p in parts]),
                   cat([p.match_of + o for p, o in zip(parts, suggestions)]), cat([p.start for p in parts]),
                   cat([p.end for p in parts]), cat([p.kind + o for p, o in zip(parts, kinds)]),
                   Kinds(*([x for p in parts for x in getattr(p.kinds, f)] for f in Kinds.__dataclass_fields__)))

    def calibrated(self, model) -> Found:
        """The same suggestions with each keyword score turned into the calibrated probability
        (calibrate.py's `keywords` model: the score and the text's length); unranked."""
        from dataclasses import replace

        from jhs_qual.suggest.calibrate import without_evidence, word_feature

        words = np.fromiter((word_feature(t) for t in self.texts), dtype=np.float64, count=len(self.texts))
        rows = np.column_stack([self.score, words[self.text]]) if len(self.text) else np.zeros((0, 2))
        silent = np.fromiter((without_evidence(t, True) for t in self.texts), dtype=bool, count=len(self.texts))
        return replace(self, score=np.where(silent[self.text], 0.0, model.probability(rows)))

    def ranked(self, top: int | None = None, min_score: float = 0.0, allowed: np.ndarray | None = None) -> Found:
        """Per text, by score, at most `top`, none below `min_score`
        and, given `allowed` (texts x code_names, bool), only the allowed codes;
        each suggestion's matches in text order."""
        kept = self.score >= min_score
        if allowed is not None and len(self.text):
            kept &= allowed[self.text, self.code]
        keep = np.flatnonzero(kept)
        order = keep[np.lexsort((self.code[keep], -self.score[keep], self.text[keep]))]
        texts = self.text[order]
        if top:
            rank = np.arange(len(order)) - np.searchsorted(texts, texts)
            order, texts = order[rank < top], texts[rank < top]
        row = np.full(len(self.text), -1)
        row[order] = np.arange(len(order))
        of = row[self.match_of]
        matches = np.flatnonzero(of >= 0)
        matches = matches[np.lexsort((self.kind[matches], self.end[matches], self.start[matches], of[matches]))]
        found = Found(self.texts, self.code_names, texts, self.code[order], self.score[order], of[matches],
                      self.start[matches], self.end[matches], self.kind[matches], self.kinds,
                      np.searchsorted(texts, np.arange(len(self.texts) + 1)).tolist(),
                      np.searchsorted(of[matches], np.arange(len(order) + 1)).tolist())
        # Ties share a rank: 1 + how many of the text's suggestions score strictly higher.
        scores = np.round(found.score, 9)
        first = np.searchsorted(texts, texts)
        new_score = np.ones(len(scores), dtype=bool)
        new_score[1:] = (scores[1:] != scores[:-1]) | (texts[1:] != texts[:-1])
        head = np.maximum.accumulate(np.where(new_score, np.arange(len(scores)), 0)) if len(scores) else scores
        found.rank = (head - first + 1).astype(np.int64)
        return found

    @cached_property
    def _lists(self) -> tuple[list, ...]:
        names = self.code_names
        return ([names[c] for c in self.code.tolist()], self.score.tolist(), np.round(self.score, 4).tolist(),
                self.kind.tolist(), self.start.tolist(), self.end.tolist(),
                self.rank.tolist() if self.rank is not None else [0] * len(self.code))

    def __len__(self) -> int:
        return len(self.texts)

    def __iter__(self):
        return (self[i] for i in range(len(self.texts)))

    def __getitem__(self, i: int) -> list[Suggestion]:
        i = range(len(self.texts))[i]  # negative indexes count from the end; out of range raises
        text, kinds = self.texts[i], self.kinds
        code, score, _, kind, starts, ends, rank = self._lists
        return [Suggestion(code[s], score[s], [
            Match(text[starts[m]:ends[m]], kinds.keyword[kind[m]], kinds.how[kind[m]], kinds.strength[kind[m]],
                  starts[m], ends[m]) for m in range(self.match_first[s], self.match_first[s + 1])], rank=rank[s])
            for s in range(self.first[i], self.first[i + 1])]

    def rows(self):
        """(text index, code, score) of every suggestion kept, in order."""
        code, score = self._lists[:2]
        return zip(self.text.tolist(), code, score)

    def json(self, offsets: list[int] | None = None) -> list[str]:
        """Each text's suggestions as a JSON array (the format of `suggest-text --json`),
        match spans shifted by the text's offset; written straight from the columns,
        flat lists first (a nested loop per text costs twice as much)."""
        texts, fragment, first, match_first = self.texts, self.kinds.json, self.first, self.match_first
        code, _, score, kind, starts, ends, rank = self._lists
        of_text = self.text[self.match_of].tolist()
        shift = [0] * len(starts) if offsets is None else np.asarray(offsets)[self.text[self.match_of]].tolist()
        matched = [f'{{"term": {_encode(texts[t][a:b])}, {fragment[k]}, "start": {a + o}, "end": {b + o}}}'
                   for t, k, a, b, o in zip(of_text, kind, starts, ends, shift)]
        found = [f'{{"code": {_encode(c)}, "score": {x}, "rank": {r}, "matched": [{", ".join(matched[m:n])}]}}'
                 for c, x, r, m, n in zip(code, score, rank, match_first, match_first[1:])]
        return [f'[{", ".join(found[a:b])}]' for a, b in zip(first, first[1:])]


class KeywordIndex:
    """The keywords of a set of codes, lemmatised once, and what every word form seen so far matches."""

    def __init__(self, codes: list[CodeTerms], pipeline: Pipeline, settings: Settings = Settings()):
        self.pipeline, self.settings = pipeline, settings
        self.codes = [c.code for c in codes]
        self._code_names = sorted(self.codes)
        self._code_rank = np.array([self._code_names.index(c) for c in self.codes], dtype=np.int64)
        self._single: dict[str, list[tuple[int, str, str]]] = defaultdict(list)  # form/lemma -> (code, kw, kind)
        self._lemma_ids: dict[str, int] = {}
        self._kind_ids: dict[tuple, int] = {}  # (code, keyword, how, strength) -> row of the kind tables
        self._kind_rows: list[tuple] = []
        self._keyword_key: dict[str, str] = {}  # keyword -> its lemmas, joined
        sharing: dict[str, set[int]] = defaultdict(set)
        phrases, excludes = [], []
        for c, terms in enumerate(codes):
            for kind, words in (("keyword", terms.keywords + terms.phrases), ("learned", terms.learned)):
                for word in words:
                    tokens = self._tokens(word)
                    if not tokens:
                        continue
                    key = self._keyword_key[word] = " ".join(lemma for _, lemma in tokens)
                    sharing[key].add(c)
                    if len(tokens) == 1:
                        form, lemma = tokens[0]
                        for known in {form, lemma}:
                            self._single[known].append((c, word, kind))
                    else:
                        phrases.append((tokens, (c, word, "learned" if kind == "learned" else "phrase",
                                                 self._weight(word, kind))))
            excludes += [(tokens, c) for tokens in map(self._tokens, terms.exclude) if tokens]
        self._keys = {key: k for k, key in enumerate(sorted(sharing))}
        self._key_weight = np.array([(1.0 / len(sharing[key])) * (1.0 + 0.5 * key.count(" ")) for key in self._keys])
        self._phrases = self._phrase_table([tokens for tokens, _ in phrases], [self._kind(*p) for _, p in phrases])
        self._excludes = self._phrase_table([tokens for tokens, _ in excludes], [c for _, c in excludes])
        keyword_forms = {form for form in self._single if len(form) >= settings.compound_min_length}
        self._compound_parts = keyword_forms
        self._compound_lengths = sorted({len(f) for f in keyword_forms}, reverse=True)
        self._fuzzy_choices = sorted(f for f in self._single if len(f) >= settings.fuzzy_min_length)
        self._dutch = pipeline.nlp.lang == "nl"
        # Every word form seen so far: Python lists while forms are added, numpy tables for matching.
        self._form_keys: list[int] = []
        self._form_lemma: list[int] = []
        self._form_hits: list[list[int]] = []  # kind rows
        self._form_phrases: list[list[int]] = []  # phrases this form can anchor
        self._form_excludes: list[list[int]] = []
        self._build_tables()
        self._lock = threading.Lock()

    def lemmas(self, text: str) -> list[str]:
        """The lemmas of the words of `text` that say something (no stop words, no punctuation or numbers)."""
        with self._lock:  # the tokenizer is shared with match()
            doc = self.pipeline.nlp.tokenizer(text.lower())
            forms = [t.text for t in doc if t.is_alpha and len(t.text) > 1]
        stop = self.pipeline.stop_words
        return [self.pipeline.lemma(f) for f in forms if f not in stop]

    def _tokens(self, text: str) -> tuple[tuple[str, str], ...]:
        doc = self.pipeline.nlp.make_doc(text.lower())
        return tuple((t.text, self.pipeline.lemma(t.text)) for t in doc if not t.is_punct and not t.is_space)

    def _lemma_id(self, lemma: str) -> int:
        return self._lemma_ids.setdefault(lemma, len(self._lemma_ids))

    def _kind(self, code: int, keyword: str, how: str, strength: float) -> int:
        row = self._kind_ids.get((code, keyword, how, strength))
        if row is None:
            row = self._kind_ids[code, keyword, how, strength] = len(self._kind_rows)
            self._kind_rows.append((code, keyword, how, strength))
        return row

    def _phrase_table(self, phrases: list[tuple[tuple[str, str], ...]], payload: list[int]) -> dict:
        """Phrases (or excluded terms) as padded arrays of token forms (string hashes)
        and lemma ids. Each is anchored on its most telling word (the longest that
        is not a stop word), so 'de', 'we' or 'een' never sets off phrase checks."""
        stop, strings = self.pipeline.stop_words, self.pipeline.nlp.vocab.strings
        width = max((len(p) for p in phrases), default=1)
        forms = np.zeros((len(phrases), width), dtype=np.uint64)
        lemmas = np.full((len(phrases), width), -1, dtype=np.int64)
        anchors, by_anchor = [], defaultdict(list)
        for p, tokens in enumerate(phrases):
            for j, (form, lemma) in enumerate(tokens):
                forms[p, j], lemmas[p, j] = strings.add(form), self._lemma_id(lemma)
            anchor = max(range(len(tokens)), key=lambda j: (tokens[j][0] not in stop, len(tokens[j][0])))
            anchors.append(anchor)
            for word in {tokens[anchor][0], tokens[anchor][1]}:
                by_anchor[word].append(p)
        return {"forms": forms, "lemmas": lemmas, "length": np.array([len(p) for p in phrases], dtype=np.int64),
                "anchor": np.array(anchors, dtype=np.int64), "payload": np.array(payload, dtype=np.int64),
                "by_anchor": by_anchor}

    # --- word forms, each looked at once ------------------------------------------------

    def _add_form(self, key: int) -> None:
        form = self.pipeline.nlp.vocab.strings[key]
        lemma = self.pipeline.lemma(form)
        best: dict[tuple[int, str], tuple[float, int]] = {}  # (code, keyword key) -> the strongest hit
        hits = self._keyword_hits((form, lemma), form)
        if not hits and self._dutch:  # an inflection the lookup table lacks: leraren, groepjes
            hits = self._keyword_hits(base_forms(form), form)
        if not hits and form.isalpha():
            hits = self._fuzzy(form) or self._compound(form)  # a near-whole-word variant says more than a part
        for code, keyword, how, strength in hits:
            group = (code, self._keyword_key[keyword])
            if strength > best.get(group, (0.0, -1))[0]:
                best[group] = (strength, self._kind(code, keyword, how, strength))
        self._form_keys.append(key)
        self._form_lemma.append(self._lemma_id(lemma))
        self._form_hits.append(sorted(row for _, row in best.values()))
        for table, found in ((self._phrases, self._form_phrases), (self._excludes, self._form_excludes)):
            found.append(sorted({p for word in (form, lemma) for p in table["by_anchor"].get(word, ())}))

    def _keyword_hits(self, keys, form: str) -> list[tuple[int, str, str, float]]:
        """The keywords indexed under any of `keys` (a form, its lemma, its base forms)."""
        return [(code, keyword, "learned" if kind == "learned" else ("exact" if form == keyword else "lemma"),
                 self._weight(keyword, kind))
                for known in dict.fromkeys(keys) for code, keyword, kind in self._single.get(known, ())]

    def _compound(self, form: str) -> list[tuple[int, str, str, float]]:
        """A keyword that opens or closes a longer word: the Dutch compound."""
        s = self.settings
        for length in self._compound_lengths:
            if len(form) < length + s.compound_min_rest:
                continue
            for part in (form[:length], form[-length:]):
                if part in self._compound_parts:
                    return [(code, keyword, "compound", COMPOUND_STRENGTH * self._weight(keyword, kind))
                            for code, keyword, kind in self._single[part]]
        return []

    def _fuzzy(self, form: str) -> list[tuple[int, str, str, float]]:
        if len(form) < self.settings.fuzzy_min_length or not self._fuzzy_choices:
            return []
        from rapidfuzz import fuzz, process

        best = process.extractOne(form, self._fuzzy_choices, scorer=fuzz.ratio,
                                  score_cutoff=self.settings.fuzzy_threshold)
        if best is None:
            return []
        strength = round(best[1] / 100.0 * 0.9, 3)
        return [(code, keyword, "fuzzy", strength * self._weight(keyword, kind))
                for code, keyword, kind in self._single[best[0]]]

    def _weight(self, keyword: str, kind: str) -> float:
        """A learned keyword counts for less than the researchers' own, and a keyword
        that is a function word ('ons', 'meer', 'anders') is weak evidence on its own."""
        weight = self.settings.learned_strength if kind == "learned" else 1.0
        return weight * self.settings.stop_word_strength if keyword.lower() in self.pipeline.stop_words else weight

    def _form_rows(self, keys: np.ndarray) -> np.ndarray:
        """Each token's row in the form tables; forms not seen before are looked at (once) first."""
        known = self._tables["keys"]
        at = np.minimum(np.searchsorted(known, keys), max(len(known) - 1, 0))
        new = keys[known[at] != keys] if len(known) else keys
        if len(new):
            for key in np.unique(new).tolist():
                self._add_form(key)
            self._build_tables()
            known = self._tables["keys"]
            at = np.searchsorted(known, keys)
        return self._tables["rows"][at]

    def _build_tables(self) -> None:
        def csr(lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
            counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
            flat = np.fromiter((x for xs in lists for x in xs), dtype=np.int64, count=int(counts.sum()))
            return np.concatenate(([0], np.cumsum(counts))), flat

        keys = np.array(self._form_keys, dtype=np.uint64)
        order = np.argsort(keys)
        code, keyword, how, strength = zip(*self._kind_rows) if self._kind_rows else ((), (), (), ())
        self._tables = {
            "keys": keys[order], "rows": order, "lemma": np.array(self._form_lemma, dtype=np.int64),
            "hits": csr(self._form_hits), "phrases": csr(self._form_phrases), "excludes": csr(self._form_excludes),
            "kind_code": np.array(code, dtype=np.int64),
            "kind_key": np.array([self._keys[self._keyword_key[k]] for k in keyword], dtype=np.int64),
            "kind_strength": np.array(strength, dtype=np.float64),
        }
        self._kinds = Kinds(list(keyword), list(how), list(strength),
                            [f'"keyword": {_encode(k)}, "how": "{h}", "strength": {round(s, 3)}'
                             for k, h, s in zip(keyword, how, strength)])

    # --- matching units --------------------------------------------------------------------

    def suggest(self, texts: list[str], *, top: int | None = None, min_score: float = 0.0) -> Found:
        """Ranked suggestions for each text (`found[i]`); match spans are offsets into that text."""
        return self.match(texts).ranked(top, min_score)

    def match(self, texts: list[str]) -> Found:
        """Every code with evidence in each text, scored, unranked. One call at a time:
        the workbench asks from worker threads, and new word forms grow the tables
        (and spaCy's tokenizer its cache)."""
        with self._lock:
            keys, starts, ends, text_of = self._tokenize(texts)
            rows = self._form_rows(keys)
            t, kinds = self._tables, self._kinds  # replaced, never changed, when forms are added
        lo = np.searchsorted(text_of, np.arange(len(texts)))  # each text's tokens are lo[i]:hi[i]
        hi = np.searchsorted(text_of, np.arange(len(texts)), side="right")
        at, kind = _spread(*t["hits"], rows)
        m_text, m_start, m_end = text_of[at], starts[at], ends[at]
        begin, last, phrase = self._phrase_hits(self._phrases, t["phrases"], t["lemma"], keys, rows, text_of, lo, hi)
        if len(phrase):
            m_text = np.concatenate((m_text, text_of[begin]))
            m_start, m_end = np.concatenate((m_start, starts[begin])), np.concatenate((m_end, ends[last]))
            kind = np.concatenate((kind, self._phrases["payload"][phrase]))
        begin, _, excluded = self._phrase_hits(self._excludes, t["excludes"], t["lemma"], keys, rows, text_of, lo, hi)
        n_codes, n_keys = len(self.codes), len(self._key_weight)
        pair = m_text * n_codes + t["kind_code"][kind]  # (text, code)
        group = pair * n_keys + t["kind_key"][kind]  # (text, code, keyword key)
        order = np.argsort(group, kind="stable")
        group = group[order]
        heads = np.flatnonzero(np.diff(group, prepend=-1))
        best = np.maximum.reduceat(t["kind_strength"][kind][order], heads) if len(heads) else np.zeros(0)
        repeats = np.diff(np.append(heads, len(group))) - 1
        part = best * self._key_weight[group[heads] % n_keys] + 0.15 * np.minimum(repeats, 2)
        pairs = group[heads] // n_keys
        pair_heads = np.flatnonzero(np.diff(pairs, prepend=-1))
        total = np.add.reduceat(part, pair_heads) if len(pair_heads) else np.zeros(0)
        pairs = pairs[pair_heads]
        kept = ~np.isin(pairs, text_of[begin] * n_codes + self._excludes["payload"][excluded])
        pairs, score = pairs[kept], 1.0 - np.exp(-total[kept] / 1.5)
        match_of = np.searchsorted(pairs, pair)
        present = match_of < len(pairs)
        present[present] = pairs[match_of[present]] == pair[present]
        return Found(list(texts), self._code_names, pairs // n_codes, self._code_rank[pairs % n_codes], score,
                     match_of[present], m_start[present], m_end[present], kind[present], kinds)

    def _tokenize(self, texts: list[str]):
        """Tokens of all texts: lower-case form (string hash), start and end in their
        text, and the text's index; in text order."""
        from spacy.attrs import IDX, LENGTH, LOWER

        tokenizer, parts = self.pipeline.nlp.tokenizer, []
        sizes = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1
        begins = np.concatenate(([0], np.cumsum(sizes)[:-1]))  # as if all texts were joined by "\n"
        for first in range(0, len(texts), CHUNK):
            # Tokens never cross whitespace, so the joined texts split as each would alone.
            parts.append(tokenizer("\n".join(texts[first:first + CHUNK])).to_array([LOWER, IDX, LENGTH]).reshape(-1, 3))
        columns = np.concatenate(parts) if parts else np.zeros((0, 3), dtype=np.uint64)
        chunk_begins = begins[0:len(texts):CHUNK]
        offset = columns[:, 1].astype(np.int64) + np.repeat(chunk_begins, [len(p) for p in parts])
        text_of = np.searchsorted(begins, offset, side="right") - 1
        start = offset - begins[text_of]
        return columns[:, 0], start, start + columns[:, 2].astype(np.int64), text_of

    @staticmethod
    def _phrase_hits(table: dict, anchored: tuple, lemma, keys, rows, text_of, lo, hi):
        """Where each phrase of `table` stands in full: (first token, last token, phrase) per find."""
        at, phrase = _spread(*anchored, rows)
        length = table["length"][phrase]
        begin = at - table["anchor"][phrase]
        ok = (begin >= lo[text_of[at]]) & (begin + length <= hi[text_of[at]])
        for j in range(table["forms"].shape[1]):
            check = ok & (j < length)
            if not check.any():
                break
            q = begin[check] + j
            p = phrase[check]
            ok[check] = (keys[q] == table["forms"][p, j]) | (lemma[rows[q]] == table["lemmas"][p, j])
        return begin[ok], (begin + length - 1)[ok], phrase[ok]


def _spread(first: np.ndarray, flat: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For tokens whose form has entries first[row]:first[row + 1] in `flat`: (token
    position, entry) for every entry of every token, in token order."""
    counts = first[rows + 1] - first[rows]
    at = np.flatnonzero(counts)
    counts = counts[at]
    positions = np.repeat(at, counts)
    within = np.arange(len(positions)) - np.repeat(np.cumsum(counts) - counts, counts)
    return positions, flat[np.repeat(first[rows[at]], counts) + within]
