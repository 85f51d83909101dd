"""The engine over a project: its codes, its turns or sentences, cached indexes."""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import os
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from json.encoder import encode_basestring  # json.dumps(ensure_ascii=False) of a str, without the call overhead

from jhs_qual.suggest.engine import CodeTerms, Found, KeywordIndex, Settings, Suggestion
from jhs_qual.suggest.pipeline import load_pipeline

_INDEXES: dict[str, KeywordIndex] = {}
SEMANTIC_WEIGHT = 1.0  # the standardised similarity in meaning counts as much as the keywords


@dataclass(frozen=True)
class CodeSource:
    """What the engine needs of one codebook."""

    language: str
    sha256: str
    codes: tuple[CodeTerms, ...]


class Suggester:
    """Suggestions for any text, over codes of one or more languages."""

    def __init__(self, sources: list[CodeSource], settings: Settings = Settings()):
        by_language: dict[str, list[CodeSource]] = defaultdict(list)
        for source in sources:
            by_language[source.language].append(source)
        self.indexes = []
        for language, group in sorted(by_language.items()):
            terms = [t for s in group for t in s.codes]
            key = hashlib.sha256(json.dumps(
                [language, sorted(s.sha256 for s in group), [t.learned for t in terms], repr(settings)]
            ).encode()).hexdigest()
            if key not in _INDEXES:  # lemmatised once per codebook version
                _INDEXES[key] = KeywordIndex(terms, load_pipeline(language), settings)
            self.indexes.append(_INDEXES[key])

    def suggest(self, texts: list[str], *, top: int | None = None, min_score: float = 0.0,
                codebooks: list[set[str]] | None = None) -> Found:
        """Ranked suggestions: `found[i]` lists text i's, `found.json(i)` gives them as JSON.
        With `codebooks`, text i gets codes of the codebooks in codebooks[i] only
        (the ones that apply to its transcript)."""
        found = Found.join(texts, [index.match(texts) for index in self.indexes])
        return found.ranked(top, min_score, None if codebooks is None else allowed_codes(found.code_names, codebooks))

    def for_span(self, text: str, start: int, end: int, *, top: int = 5, min_score: float = 0.2,
                 codebooks: set[str] | None = None) -> list[Suggestion]:
        """Suggestions for text[start:end], with match spans as offsets into `text` (for the workbench)."""
        (found,) = self.suggest([text[start:end]], top=top, min_score=min_score,
                                codebooks=None if codebooks is None else [codebooks])
        for suggestion in found:
            suggestion.matched = [m._replace(start=m.start + start, end=m.end + start) for m in suggestion.matched]
        return found


    def lemmas(self, text: str) -> list[str]:
        return self.indexes[0].lemmas(text) if self.indexes else []

    def for_unit(self, text: str, start: int, end: int, *, codebooks: set[str] | None = None,
                 question: tuple[int, int] | None = None, learner=None, semantic=None, top: int = 5,
                 min_score: float = 0.2) -> list[Suggestion]:
        """Suggestions for the answer text[start:end], reading the question text[question] too,
        with what `learner` (adapt.Learner) learned from the codings and, given `semantic`
        (semantic.Semantic), how close the answer is in meaning to each code. Match spans are
        offsets into `text`. The score shown is the keyword score; the order is the fused one."""
        from jhs_qual.suggest.adapt import QUESTION_WEIGHT, fuse

        spans = [(start, end)] + ([question] if question else [])
        texts = [text[a:b] for a, b in spans]
        found = self.suggest(texts, codebooks=None if codebooks is None else [codebooks] * len(texts))
        codes = [c for c in found.code_names if codebooks is None or c.partition("/")[0] in codebooks]
        answer = {s.code: s for s in found[0]}
        asked = {s.code: s for s in found[1]} if question else {}
        keyword = {}
        for code in codes:
            a = answer[code].score if code in answer else 0.0
            q = asked[code].score if code in asked else 0.0
            keyword[code] = a + QUESTION_WEIGHT * q * (1.0 - a)
        n = learner.learned(codes) if learner is not None else 0
        posterior = learner.posterior(" ".join(texts), codes) if n else {}
        fused = fuse(keyword, posterior, n, codes)
        close, why = {}, {}
        if semantic is not None and codes:
            similarity, why = semantic.similarity(" ".join(texts), codes)
            close = fuse(similarity, {}, 0, codes)  # standardised over the codes, like the others
            fused = {c: fused[c] + SEMANTIC_WEIGHT * close[c] for c in codes}
        wanted = [c for c in codes if keyword[c] >= min_score or posterior.get(c, 0.0) >= 2.0 / len(codes)
                  or close.get(c, 0.0) >= 1.0]
        result = []
        ranked = sorted(wanted, key=lambda c: -fused[c])
        for code in ranked[:top]:
            matched = [m._replace(start=m.start + start, end=m.end + start) for m in
                       (answer[code].matched if code in answer else [])]
            if code in asked:
                matched += [m._replace(how="question", start=m.start + question[0], end=m.end + question[0])
                            for m in asked[code].matched]
            share = posterior.get(code, 0.0)
            result.append(Suggestion(code, round(keyword[code], 4), matched,
                                     learned=learner.units[code] if n and share >= 1.0 / len(codes) else 0,
                                     similar=why.get(code, "") if close.get(code, 0.0) >= 0.5 else "",
                                     rank=1 + sum(1 for c in ranked if fused[c] > fused[code] + 1e-9)))
        return result


def allowed_codes(code_names: list[str], codebooks: list[set[str]]):
    """texts x codes, True where the code's codebook is in that text's set."""
    import numpy as np

    books = [name.partition("/")[0] for name in code_names]
    distinct = {frozenset(s): None for s in codebooks}
    rows = {key: np.array([b in key for b in books], dtype=bool) for key in distinct}
    return np.array([rows[frozenset(s)] for s in codebooks], dtype=bool).reshape(len(codebooks), len(books))


def batch_lines(suggester: Suggester, texts: list[str], *, top: int, min_score: float, as_json: bool) -> str:
    """The output of `suggest-text` for one batch: a line per text, JSON or text."""
    found = suggester.suggest(texts, top=top, min_score=min_score)
    if as_json:
        return "".join(f'{{"text": {encode_basestring(text)}, "suggestions": {suggestions}}}\n'
                       for text, suggestions in zip(texts, found.json()))
    return "".join(" | ".join(f"{s.code} {s.score:.2f} ({s.evidence()})" for s in each) + "\n" for each in found)


_JOB: tuple = ()  # (suggester, options) of the running output_lines; worker processes inherit it by fork


def _job(texts: list[str]) -> bytes:
    suggester, options = _JOB
    return batch_lines(suggester, texts, **options).encode()  # bytes cross the pipe as they are


def output_lines(suggester: Suggester, lines: Iterator[str], *, first: int = 2_000, size: int = 10_000,
                 **options) -> Iterator[bytes]:
    """`batch_lines` of the texts, batch by batch, in order, in UTF-8. The first,
    small batch is done here; it warms the caches (spaCy's tokenizer cache, the
    word forms looked at) that two worker processes then inherit by fork, to
    share the remaining batches on Linux with two cores. Tokenizing and
    matching are CPU-bound and spaCy's tokenizer holds the GIL, so threads would
    not help."""
    global _JOB
    _JOB = (suggester, options)
    try:
        batch = list(itertools.islice(lines, first))
        if not batch:
            return
        yield _job(batch)
        batches = iter(lambda: list(itertools.islice(lines, size)), [])
        second = next(batches, None)
        if second is None:
            return
        batches = itertools.chain([second], batches)
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        if cores < 2 or not sys.platform.startswith("linux"):  # fork is safe on Linux; macOS's system libraries are not
            yield from map(_job, batches)
            return
        with multiprocessing.get_context("fork").Pool(2) as pool:
            yield from pool.imap(_job, batches)
    finally:
        _JOB = ()


def sources_from_codebooks(codebooks) -> list[CodeSource]:
    """From parsed Codebook objects (YAML files, without a project)."""
    return [CodeSource(book.language, book.sha256, tuple(
        CodeTerms(f"{book.id}/{c.id}", tuple(c.keywords), tuple(c.phrases), tuple(c.exclude)) for c in book.codes
        if c.codable)) for book in codebooks]


def sources_from_project(project, *, use_learned: bool = False, codebooks: list[str] | None = None) -> list[CodeSource]:
    learned: dict[int, list[str]] = defaultdict(list)
    if use_learned:
        for row in project.db.query("SELECT code_id, term FROM learned_keywords ORDER BY term"):
            learned[row["code_id"]].append(row["term"])
    books = {b["id"]: b for b in project.codebooks()}
    grouped: dict[str, list[CodeTerms]] = defaultdict(list)
    for c in project.codes():
        if (codebooks is None or c["codebook_id"] in codebooks) and c.get("codable", 1):
            grouped[c["codebook_id"]].append(CodeTerms(
                f"{c['codebook_id']}/{c['code_id']}", tuple(c["keywords"]), tuple(c["phrases"]),
                tuple(c["exclude"]), tuple(learned.get(c["id"], ())),
            ))
    return [CodeSource(books[b]["language"], books[b]["yaml_sha256"], tuple(terms)) for b, terms in grouped.items()]


def project_suggester(project, *, use_learned: bool = False, codebooks: list[str] | None = None,
                      settings: Settings = Settings()) -> Suggester:
    return Suggester(sources_from_project(project, use_learned=use_learned, codebooks=codebooks), settings)


def project_units(project, transcript_ids: list[int], unit: str, include_interviewers: bool):
    """(unit, its text) for the codable turns or sentences of these transcripts."""
    from jhs_qual.analysis.compare import make_units

    turns = project.codable_turns(include_interviewers=include_interviewers)
    texts = project.texts()
    chosen = {t: turns[t] for t in transcript_ids if t in turns}
    return [(u, texts[u.transcript_id][u.start:u.end]) for u in make_units(unit, texts, chosen)]


def learning_examples(project, limit: int = 20_000, known=frozenset(),
                      coder: str | None = None) -> dict[int, tuple[str, str | None]]:
    """{coding id: (code, its words and its question's)} of the project's latest `limit` codings
    (of one coder, or all), for adapt.Learner; each coded span is read with the interviewer turn
    before it. Codings in `known` (already learned) come without their text: only new ones are read."""
    import bisect

    is_interviewer = project.interviewer_test()
    rows = project.db.execute(
        "SELECT c.id, c.transcript_id, k.codebook_id || '/' || k.code_id, c.start, c.end FROM codings c"
        " JOIN codes k ON k.id = c.code_id JOIN coders cd ON cd.id = c.coder_id"
        " WHERE (? IS NULL OR cd.name = ?) ORDER BY c.id DESC LIMIT ?", [coder, coder, limit]).fetchall()
    texts: dict[int, str] = {}
    turns: dict[int, tuple[list[int], list]] = {}
    examples: dict[int, tuple[str, str | None]] = {}
    for coding_id, tid, code, start, end in rows:
        if coding_id in known:
            examples[coding_id] = (code, None)
            continue
        if tid not in texts:
            texts[tid] = project.db.execute("SELECT text FROM transcripts WHERE id = ?", [tid]).fetchone()[0]
            found = project.db.execute("SELECT start, content_start, end, speaker FROM turns WHERE transcript_id = ?"
                                       " ORDER BY start", [tid]).fetchall()
            turns[tid] = ([f[0] for f in found], found)
        starts, found = turns[tid]
        index = bisect.bisect_right(starts, start) - 1
        question = next((found[i] for i in range(index - 1, -1, -1) if is_interviewer(found[i][3])), None)
        asked = texts[tid][question[1]:question[2]] if question else ""
        examples[coding_id] = (code, texts[tid][start:end] + " " + asked)
    return examples
