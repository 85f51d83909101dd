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
        self.code_names = sorted(code for index in self.indexes for code in index.codes)

    def suggest(self, texts: list[str], *, top: int | None = None, min_score: float = 0.0,
                codebooks: list[set[str]] | None = None, calibrated: bool = True) -> Found:
        """Ranked suggestions: `found[i]` lists text i's, `found.json(i)` gives them as JSON.
        With `codebooks`, text i gets codes of the codebooks in codebooks[i] only
        (the ones that apply to its transcript). Scores are the calibrated probability of the
        keyword path (calibrate.py), or with `calibrated=False` the raw keyword scores."""
        from jhs_qual.suggest.calibrate import shipped

        found = Found.join(texts, [index.match(texts) for index in self.indexes])
        if calibrated:
            found = found.calibrated(shipped().keywords)
        return found.ranked(top, min_score, None if codebooks is None else allowed_codes(found.code_names, codebooks))


    def keyword_batch(self, units: list[tuple[str, int, int, tuple[int, int] | None]]) -> list[tuple[list, list]]:
        """The uncalibrated keyword suggestions of many (text, start, end, question) units, their
        answers and questions matched as one batch: what `signals` would match one at a time."""
        texts = [text[start:end] for text, start, end, _ in units]
        asked = [(i, text[q[0]:q[1]]) for i, (text, _, _, q) in enumerate(units) if q]
        found = self.suggest(texts + [t for _, t in asked], calibrated=False)
        questions = {i: found[len(texts) + k] for k, (i, _) in enumerate(asked)}
        return [(found[i], questions.get(i, [])) for i in range(len(texts))]

    def lemmas(self, text: str) -> list[str]:
        return self.indexes[0].lemmas(text) if self.indexes else []

    def signals(self, text: str, start: int, end: int, *, codebooks: set[str] | None = None,
                question: tuple[int, int] | None = None, learner=None, semantic=None,
                previous: frozenset[str] | None = None, keyword: tuple[list, list] | None = None) -> Signals:
        """Everything the engine knows of the answer text[start:end] (with the question
        text[question]) against each code that applies: one row of calibrate.FEATURES per code.
        `previous`: the codes the coder gave the answer before this one (None: no answer before
        it was coded). `keyword`: the keyword suggestions (uncalibrated) of the answer and of the
        question, where a batch matched them already (see `keyword_batch`)."""
        import numpy as np

        from jhs_qual.suggest.adapt import QUESTION_WEIGHT, fuse, learned_weight
        from jhs_qual.suggest.calibrate import word_feature

        spans = [(start, end)] + ([question] if question else [])
        texts = [text[a:b] for a, b in spans]
        if keyword is None:
            found = self.suggest(texts, codebooks=None if codebooks is None else [codebooks] * len(texts),
                                 calibrated=False)
            keyword = (found[0], found[1] if question else [])
        codes = [c for c in self.code_names if codebooks is None or c.partition("/")[0] in codebooks]
        answer = {s.code: s for s in keyword[0]}
        asked = {s.code: s for s in keyword[1]}
        in_answer = {c: answer[c].score if c in answer else 0.0 for c in codes}
        in_question = {c: asked[c].score if c in asked else 0.0 for c in codes}
        joined = {c: in_answer[c] + QUESTION_WEIGHT * in_question[c] * (1.0 - in_answer[c]) for c in codes}
        n = learner.learned(codes) if learner is not None else 0
        posterior = learner.posterior(answer_text(text, start, end, question), codes) if n else {}
        fused = fuse(joined, posterior, n, codes)
        close, why = {}, {}
        if semantic is not None and codes:
            close, why = semantic.similarity(answer_text(text, start, end, question), codes)
            standard = fuse(close, {}, 0, codes)  # standardised over the codes, like the others
            fused = {c: fused[c] + SEMANTIC_WEIGHT * standard[c] for c in codes}
        weight = learned_weight(n)
        best, second = (sorted(close.values(), reverse=True) + [0.0, 0.0])[:2]
        lead = {c: close[c] - (second if close[c] >= best else best) for c in close}  # over the best other code
        words, strongest = word_feature(texts[0]), max(in_answer.values(), default=0.0)
        rows = np.array([[in_answer[c], in_question[c], weight * posterior.get(c, 0.0), close.get(c, 0.0),
                          lead.get(c, 0.0), fused[c], words, strongest, float(bool(previous) and c in previous),
                          float(bool(question)), float(previous is not None)] for c in codes],
                        dtype=np.float64).reshape(len(codes), -1)
        learned = {c: learner.units[c] for c in codes if n and posterior.get(c, 0.0) >= 1.0 / len(codes)}
        return Signals(codes, rows, answer, asked, learned, why, start, question)

    def for_unit(self, text: str, start: int, end: int, *, codebooks: set[str] | None = None,
                 question: tuple[int, int] | None = None, learner=None, semantic=None, top: int = 5,
                 min_score: float | None = None, previous: frozenset[str] | None = None,
                 keyword: tuple[list, list] | None = None, model=None) -> list[Suggestion]:
        """Suggestions for the answer text[start:end], reading the question text[question] too,
        with what `learner` (adapt.Learner) learned from the codings and, given `semantic`
        (semantic.Semantic), how close the answer is in meaning to each code. Each score is the
        calibrated probability that the code applies (calibrate.py); they are ranked by it, and
        none below `min_score` (default: the calibration's `show_at`) is kept; a unit without
        evidence (calibrate.without_evidence) gets none. `model`: the coder's refitted score
        (calibrate.refit; default the shipped one). Match spans are offsets into `text`."""
        from jhs_qual.suggest.calibrate import shipped, without_evidence

        calibration = shipped()
        signals = self.signals(text, start, end, codebooks=codebooks, question=question, learner=learner,
                               semantic=semantic, previous=previous, keyword=keyword)
        if without_evidence(text[start:end], bool(signals.answer)):
            return []
        floor = calibration.show_at if min_score is None else min_score
        model = model or calibration.engine
        scores = [round(float(p), 4) for p in model.probability(signals.rows)] if signals.codes else []
        ranked = sorted(((p, c) for c, p in zip(signals.codes, scores) if p >= floor), key=lambda pc: (-pc[0], pc[1]))
        result = []
        for p, code in ranked[:top]:
            result.append(Suggestion(code, p, signals.matches(code), learned=signals.learned.get(code, 0),
                                     similar=signals.similar(code), rank=1 + sum(1 for q, _ in ranked if q > p),
                                     previous=bool(previous) and code in previous))
        return result


@dataclass
class Signals:
    """One unit's signals per code (rows of calibrate.FEATURES) and what explains them."""

    codes: list[str]
    rows: object  # numpy array, codes x FEATURES
    answer: dict  # code -> keyword Suggestion of the answer
    asked: dict  # code -> keyword Suggestion of the question
    learned: dict[str, int]  # code -> coded units that support it
    why: dict[str, str]  # code -> 'meaning' or 'coded' (semantic layer)
    start: int
    question: tuple[int, int] | None

    def matches(self, code: str) -> list:
        found = [m._replace(start=m.start + self.start, end=m.end + self.start)
                 for m in (self.answer[code].matched if code in self.answer else [])]
        if code in self.asked:
            found += [m._replace(how="question", start=m.start + self.question[0], end=m.end + self.question[0])
                      for m in self.asked[code].matched]
        return found

    def similar(self, code: str) -> str:
        """Why the semantic layer backs the code, where it leads the others (see calibrate.FEATURES)."""
        from jhs_qual.suggest.calibrate import FEATURES

        i = self.codes.index(code)
        return self.why.get(code, "") if self.why and self.rows[i][FEATURES.index("meaning_lead")] >= 0 else ""


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
    learned: dict[int, list[str]] = defaultdict(list, project.learned_terms() if use_learned else {})
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

    chosen = project.codable_turns(include_interviewers=include_interviewers, transcript_ids=transcript_ids)
    texts = {tid: project.text_lookup()[tid] for tid in chosen}  # these transcripts' texts only
    return [(u, texts[u.transcript_id][u.start:u.end]) for u in make_units(unit, texts, chosen)]


def answer_text(text: str, start: int, end: int, question: tuple[int, int] | None) -> str:
    """An answer with its question after it, as the learner and the semantic layer read it:
    one rule everywhere, since the semantic layer's vectors are stored by this text."""
    return text[start:end] if question is None else f"{text[start:end]} {text[question[0]:question[1]]}"


def turn_index(project, transcript_id: int, is_interviewer) -> tuple[list[dict], list[int], list[bool]]:
    """A transcript's turns, their starts, and which are no answers (the interviewer's, a heading)."""
    from jhs_qual.domain.models import not_answers

    turns = project.transcript_turns(transcript_id)
    return turns, [t["start"] for t in turns], not_answers([t["speaker"] for t in turns],
                                                           lambda speaker: is_interviewer(speaker, transcript_id))


def codes_per_turn(project, transcript_id: int, coder: str, starts: list[int]) -> list[set[str]]:
    """The codes `coder` gave each turn (a coding counts for the turn it starts in)."""
    import bisect

    codes: list[set[str]] = [set() for _ in starts]
    for c in project.transcript_codings(transcript_id, coder):
        index = bisect.bisect_right(starts, c["start"]) - 1
        if index >= 0:
            codes[index].add(c["code"])
    return codes


def seen_answers(project, coder: str | None, limit: int = 2_000) -> list[tuple]:
    """What `coder` decided on, for refitting the score to them (calibrate.refit): each answer up
    to the last one they coded in each transcript they coded (the latest `limit`), as
    (text, start, end, codebooks, question, previous codes, the codes they gave it)."""
    from jhs_qual.domain.models import previous_codes, question_before

    if not coder:
        return []
    is_interviewer = project.interviewer_test()
    scopes = project.codebooks_by_transcript()
    texts = project.text_lookup()
    found: list[tuple] = []
    for tid in reversed(project.coded_transcripts(coder)):  # the latest first, until `limit`
        if len(found) >= limit:
            break
        turns, starts, asks = turn_index(project, tid, is_interviewer)
        codes = codes_per_turn(project, tid, coder, starts)
        last = max((i for i, given in enumerate(codes) if given), default=-1)
        text = texts[tid]
        units = []
        for i in range(last + 1):
            if asks[i] or turns[i]["end"] <= turns[i]["content_start"]:
                continue
            q = question_before(asks, i)
            units.append((text, turns[i]["content_start"], turns[i]["end"], scopes.get(tid, set()),
                          (turns[q]["content_start"], turns[q]["end"]) if q is not None else None,
                          previous_codes(codes.__getitem__, asks, i), frozenset(codes[i])))
        found = units + found
    return found[-limit:]


def learning_examples(project, coder: str | None, limit: int = 20_000,
                      known=frozenset()) -> dict[int, tuple[str, str | None]]:
    """{coding id: (code, its words and its question's)} of `coder`'s latest `limit` codings made
    by hand or by accepting a suggestion (never autocode's, never another coder's: a coder's
    suggestions learn from that coder alone), for adapt.Learner and the semantic prototypes;
    each coded span is read with the interviewer turn before it. Codings in `known` (learned
    already) come without their text: only new ones are read. No coder: nothing to learn from."""
    import bisect

    from jhs_qual.domain.models import question_before

    if not coder:
        return {}
    is_interviewer = project.interviewer_test()
    texts: dict[int, str] = {}
    turns: dict[int, tuple[list[dict], list[int], list[bool]]] = {}
    examples: dict[int, tuple[str, str | None]] = {}
    for coding_id, tid, code, start, end in project.learning_rows(coder, limit=limit):
        if coding_id in known:
            examples[coding_id] = (code, None)
            continue
        if tid not in texts:
            texts[tid] = project.text_lookup()[tid]
            turns[tid] = turn_index(project, tid, is_interviewer)
        found, starts, asks = turns[tid]
        q = question_before(asks, bisect.bisect_right(starts, start) - 1)
        examples[coding_id] = (code, answer_text(texts[tid], start, end, (found[q]["content_start"], found[q]["end"])
                                                 if q is not None else None))
    return examples
