"""The suggestion engine, built in one place for the workbench, the command line and the
benchmarks: keywords (with the question before each answer), learning from one coder's
codings, the semantic layer, and one calibrated score (calibrate.py).

`EngineInputs` is what the engine needs from a project (or from codebook files): read
on the caller's thread, since the workbench builds the engine in a worker that never
touches the database. `Engine` is the engine itself; the semantic layer can load after
the rest (`load_semantic`), so the keyword suggestions show at once and the meaning
refines them. Codes made, renamed or merged update it in place (`update_codes`): the
spaCy pipeline, the encoder and every vector made are kept. `ProjectEngine` adds what
the command line needs: the units of transcripts, vectors stored in the project.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace

from jhs_qual.suggest.adapt import Learner, code_document
from jhs_qual.suggest.engine import Suggestion
from jhs_qual.suggest.semantic import Semantic, code_texts, shared_encoder, text_key
from jhs_qual.suggest.service import (CodeSource, Suggester, answer_text, codes_per_turn, learning_examples,
                                      project_units, seen_answers, sources_from_codebooks, sources_from_project,
                                      turn_index)
from jhs_qual.suggest.settings import Settings

BATCH = 500  # texts encoded at once: bigger batches are barely faster and take more memory


@dataclass
class EngineInputs:
    sources: list[CodeSource]  # the codes' terms, per codebook
    docs: dict[str, str]  # code -> what the codebook says of it (the learner's prior)
    prototypes: dict[str, list[str]]  # code -> its prototype texts (the semantic layer)
    examples: dict[int, tuple[str, str | None]] = field(default_factory=dict)  # the coder's codings to learn from
    seen: list[tuple] = field(default_factory=list)  # the answers the coder decided on (service.seen_answers)

    @classmethod
    def from_project(cls, project, *, coder: str | None, codebooks: list[str] | None = None,
                     use_learned: bool = False) -> EngineInputs:
        """The project's codes, and the codings `coder`'s suggestions learn from (none without
        a coder): their own, or `learning_source`'s."""
        codes = {f"{c['codebook_id']}/{c['code_id']}": c for c in project.codes()
                 if (codebooks is None or c["codebook_id"] in codebooks) and c.get("codable", 1)}
        return cls(sources_from_project(project, use_learned=use_learned, codebooks=codebooks),
                   {r: code_document(c) for r, c in codes.items()}, {r: code_texts(c) for r, c in codes.items()},
                   learning_examples(project, coder), seen_answers(project, coder))

    @classmethod
    def from_codebooks(cls, books) -> EngineInputs:
        """Parsed codebook files, without a project (nothing to learn from)."""
        from dataclasses import asdict

        codes = {f"{b.id}/{c.id}": asdict(c) for b in books for c in b.codes if c.codable}
        return cls(sources_from_codebooks(books), {r: code_document(c) for r, c in codes.items()},
                   {r: code_texts(c) for r, c in codes.items()})


def learning_source(project, coder: str | None, settings: Settings) -> str | None:
    """Whose codings `coder`'s suggestions learn from: their own, unless the config's
    [suggest] learn_from names another coder, which is then recorded in the project."""
    source = settings.learn_from.strip()
    if not coder or not source or source == coder:
        return coder
    project.require_coders([source], option="suggest.learn_from")
    project.record_learning(coder, source)
    return source


class Engine:
    """The one suggestion engine (see the module docstring)."""

    def __init__(self, inputs: EngineInputs, settings: Settings = Settings(), *, learn: bool = True,
                 semantic: bool = True, refit: bool = True):
        self.settings = settings
        self.learns = learn and settings.learn
        self.inputs = inputs
        self.examples = dict(inputs.examples) if self.learns else {}
        self.suggester = Suggester(inputs.sources, settings)
        self.learner = Learner(inputs.docs, self.suggester.lemmas) if self.learns else None
        if self.learner is not None:
            self.learner.sync(self.examples)
        self.semantic: Semantic | None = None
        self.model = None  # the score refitted to the coder (calibrate.refit); None: the shipped one
        if semantic:
            self.load_semantic()
        elif refit:  # the workbench refits after its first suggestions are shown (recalibrate)
            self.recalibrate()

    def load_semantic(self) -> bool:
        """Load the semantic layer (the encoder is loaded once per process); False where the
        config turns it off."""
        encoder = shared_encoder(self.settings.encoder)
        if encoder is None:
            return False
        semantic = Semantic(encoder, self.inputs.prototypes)
        if self.learns:
            semantic.sync(self.examples)
        self.semantic = semantic
        self.recalibrate()
        return True

    def recalibrate(self) -> None:
        """Refit the score on what the coder decided (inputs.seen), with the layers loaded now.
        The signals are those the engine had before learning from the coder (learned: 0; the
        semantic layer's codebook prototypes only), so no answer is scored by a learner that saw it."""
        from jhs_qual.suggest.calibrate import REFIT_FROM, refit, shipped

        seen = self.inputs.seen if self.learns else []
        coded = sum(1 for unit in seen if unit[6])
        if coded < REFIT_FROM:
            self.model = None
            return
        import numpy as np

        keyword = self.suggester.keyword_batch([(text, a, b, q) for text, a, b, _, q, _, _ in seen])
        cold = None
        if self.semantic is not None:
            cold = Semantic(self.semantic.encoder, self.inputs.prototypes)
            cold.preload(self.semantic.cached())
            joined = [answer_text(t, a, b, q) for t, a, b, _, q, _, _ in seen]
            for first in range(0, len(joined), BATCH):
                cold.vectors(joined[first:first + BATCH])
        rows, labels = [], []
        for (text, a, b, books, q, previous, given), found in zip(seen, keyword):
            signals = self.suggester.signals(text, a, b, codebooks=books, question=q, semantic=cold,
                                             previous=previous, keyword=found)
            rows += list(signals.rows)
            labels += [code in given for code in signals.codes]
        self.model = refit(shipped().engine, np.array(rows), np.array(labels, dtype=float), coded)

    def refit_on(self, seen: list[tuple]) -> None:
        """Refit the score on what the coder has decided now (service.seen_answers)."""
        self.inputs = replace(self.inputs, seen=seen)
        self.recalibrate()

    @property
    def known(self) -> set[int]:
        return set(self.examples)

    def follow(self, examples: dict[int, tuple[str, str | None]]) -> None:
        """The coder's codings as they are now ({coding id: (code, text, or None for one known)}):
        new ones learned, removed ones forgotten."""
        if not self.learns:
            return
        self.examples = {i: (code, text if text is not None else self.examples[i][1])
                         for i, (code, text) in examples.items() if text is not None or i in self.examples}
        self.learner.sync(examples)
        if self.semantic is not None:
            self.semantic.sync(examples)

    def update_codes(self, inputs: EngineInputs) -> None:
        """Codes were made, changed, merged or deleted (`inputs`: the codes; its codings are not
        read): the keyword index of the codebooks that changed is rebuilt (the others are cached),
        the learner's and the semantic layer's codes follow; what was learned and every vector
        made are kept."""
        self.inputs = replace(inputs, examples=self.inputs.examples, seen=self.inputs.seen)  # only the codes change
        self.suggester = Suggester(inputs.sources, self.settings)
        if self.learner is not None:
            self.learner.set_codes(inputs.docs)
        if self.semantic is not None:
            self.semantic.set_codes(inputs.prototypes)

    def rank_many(self, units: list[tuple[str, int, int, set[str] | None, tuple[int, int] | None,
                                         frozenset[str] | None]], **options) -> list[list[Suggestion]]:
        """`rank` of many (text, start, end, codebooks, question, previous) units: their words
        matched as one batch, their vectors encoded as one, each then ranked as `rank` would."""
        keyword = self.suggester.keyword_batch([(text, a, b, q) for text, a, b, _, q, _ in units])
        if self.semantic is not None:
            self.semantic.vectors([answer_text(t, a, b, q) for t, a, b, _, q, _ in units])
        return [self.rank(text, a, b, codebooks=books, question=q, previous=previous, keyword=found, **options)
                for (text, a, b, books, q, previous), found in zip(units, keyword)]

    def rank(self, text: str, start: int, end: int, *, codebooks: set[str] | None = None,
             question: tuple[int, int] | None = None, previous: frozenset[str] | None = None, top: int = 5,
             min_score: float | None = None, learner=..., semantic=..., keyword=None) -> list[Suggestion]:
        """The suggestions for the answer text[start:end] (see Suggester.for_unit); `previous`:
        the codes the coder gave the last coded answer before it (None: none coded before)."""
        return self.suggester.for_unit(
            text, start, end, codebooks=codebooks, question=question, previous=previous, keyword=keyword,
            model=self.model,
            learner=self.learner if learner is ... else learner, semantic=self.semantic if semantic is ... else semantic,
            top=top, min_score=min_score)


@dataclass
class Unit:
    unit: object  # analysis.compare.Unit
    text: str
    question: tuple[int, int] | None  # the interviewer turn before it, in the transcript's text
    codebooks: set[str]


class ProjectEngine(Engine):
    """The engine over a project's transcripts, for the command line: units, their vectors
    read from and stored in the project."""

    def __init__(self, project, settings: Settings, *, learn_from: str | None, learn: bool = True,
                 semantic: bool = True, codebooks: list[str] | None = None):
        """`learn_from`: whose codings teach it (for a coder's own suggestions, `learning_source`)."""
        super().__init__(EngineInputs.from_project(project, coder=learn_from if learn else None, codebooks=codebooks),
                         settings, learn=learn, semantic=semantic)
        self.project = project
        self._texts = project.text_lookup()  # one transcript's text at a time: units come in transcript order
        self._last: tuple[int | None, str] = (None, "")
        self.scopes = project.codebooks_by_transcript()

    def units(self, transcript_ids: list[int], unit: str, include_interviewers: bool) -> list[Unit]:
        from jhs_qual.domain.models import question_before

        is_interviewer = self.project.interviewer_test()
        found, turns = [], {}
        for u, text in project_units(self.project, transcript_ids, unit, include_interviewers):
            if u.transcript_id not in turns:
                turns[u.transcript_id] = turn_index(self.project, u.transcript_id, is_interviewer)
            rows, _, asks = turns[u.transcript_id]
            asked = question_before(asks, u.turn - 1)
            found.append(Unit(u, text, (rows[asked]["content_start"], rows[asked]["end"]) if asked is not None else None,
                              self.scopes.get(u.transcript_id, set())))
        return found

    def prepare(self, units: list[Unit]) -> None:
        """Vectors of the units (with their questions), from the project where stored, the rest
        encoded in batches of BATCH."""
        if self.semantic is None or not units:
            return
        texts = [self._joined(u) for u in units]
        self.semantic.preload(self.project.embeddings([text_key(self.semantic.encoder.id, t) for t in texts]))
        for first in range(0, len(texts), BATCH):
            self.semantic.vectors(texts[first:first + BATCH])

    def ranked_in_chunks(self, units: list[Unit], *, size: int = 5_000, **options):
        """(unit, its suggestions) for many units, a chunk at a time: vectors made, stored and
        let go per chunk, so memory stays flat however many units there are."""
        for first in range(0, len(units), size):
            chunk = units[first:first + size]
            self.prepare(chunk)
            yield from zip(chunk, self.rank_units(chunk, **options))
            self.save()
            if self.semantic is not None:
                self.semantic.forget()

    def text(self, transcript_id: int) -> str:
        if self._last[0] != transcript_id:
            self._last = (transcript_id, self._texts[transcript_id])
        return self._last[1]

    def _joined(self, u: Unit) -> str:
        return answer_text(self.text(u.unit.transcript_id), u.unit.start, u.unit.end, u.question)

    def previous_codes(self, units: list[Unit], coder: str | None) -> list[frozenset[str] | None]:
        """Per unit: the codes `coder` gave the last coded answer before it, by the workbench's
        rule (domain.previous_codes; see Engine.rank)."""
        from jhs_qual.domain.models import previous_codes

        if coder is None:
            return [None] * len(units)
        is_interviewer = self.project.interviewer_test()
        found, turns = [], {}
        for u in units:
            if u.unit.transcript_id not in turns:
                _, starts, asks = turn_index(self.project, u.unit.transcript_id, is_interviewer)
                turns[u.unit.transcript_id] = (codes_per_turn(self.project, u.unit.transcript_id, coder, starts), asks)
            codes, asks = turns[u.unit.transcript_id]
            found.append(previous_codes(codes.__getitem__, asks, u.unit.turn - 1))
        return found

    def rank_unit(self, u: Unit, **options) -> list[Suggestion]:
        (found,) = self.rank_units([u], **options)
        return found

    def rank_units(self, units: list[Unit], previous: list[frozenset[str] | None] | None = None,
                   **options) -> list[list[Suggestion]]:
        """`rank_many` of units of the project (see `previous_codes` for `previous`)."""
        previous = previous or [None] * len(units)
        found: list[list[Suggestion]] = []
        for first in range(0, len(units), BATCH):  # one transcript's text held at a time within a batch
            batch = units[first:first + BATCH]
            found += self.rank_many([(self.text(u.unit.transcript_id), u.unit.start, u.unit.end, u.codebooks,
                                      u.question, p) for u, p in zip(batch, previous[first:first + BATCH])], **options)
        return found

    def save(self) -> None:
        """Store the vectors made (a later run, or the workbench, need not encode them again)."""
        if self.semantic is not None:
            self.project.store_embeddings(self.semantic.take_new())


def suggestion_json(s: Suggestion) -> dict:
    return {"code": s.code, "score": s.score, "rank": s.rank, "learned": s.learned, "similar": s.similar,
            "matched": [{"term": m.term, "keyword": m.keyword, "how": m.how, "strength": round(m.strength, 3),
                         "start": m.start, "end": m.end} for m in s.matched]}


def random_hits(gold: set[str], allowed: int) -> tuple[float, float]:
    """Expected top-1 and top-3 of a random ranking of `allowed` codes, `gold` of them right."""
    g = min(len(gold), allowed)
    if not allowed:
        return 0.0, 0.0
    miss3 = math.comb(allowed - g, 3) / math.comb(allowed, 3) if allowed >= 3 else float(g == 0)
    return g / allowed, 1.0 - miss3


def learning_curve(engine: ProjectEngine, units: list[Unit], gold: list[set[str]], coding_of: list[dict[int, str]],
                   sizes=(0, 5, 10, 15, 25), folds: int = 5, seed: int = 0) -> list[dict]:
    """Top-1/top-3 after learning from n coded units, tested on the other coded units:
    `folds` random draws of the n per size (cross-validation), next to a random ranking.
    `coding_of[i]` holds unit i's codings {coding id: code} that may be learned from."""
    coded = [i for i, g in enumerate(gold) if g]
    rows = []
    for n in sizes:
        if n >= len(coded):
            break
        hits1 = hits3 = tested = 0
        draws = 1 if n == 0 else folds
        for fold in range(draws):
            chosen = set(random.Random(seed + 1000 * n + fold).sample(coded, n))
            examples = {cid: (code, engine._joined(units[i])) for i in chosen for cid, code in coding_of[i].items()}
            learner = Learner(engine.inputs.docs, engine.suggester.lemmas)
            learner.sync(examples)
            if engine.semantic is not None:
                engine.semantic.sync(examples)
            for i in coded:
                if i in chosen:
                    continue
                ranked = [s.code for s in engine.rank_unit(units[i], top=3, min_score=0.0, learner=learner)]
                hits1 += bool(ranked[:1] and ranked[0] in gold[i])
                hits3 += bool(set(ranked) & gold[i])
                tested += 1
        baseline = [random_hits(gold[i], sum(1 for d in engine.inputs.docs if d.partition("/")[0] in units[i].codebooks))
                    for i in coded]
        rows.append({"n": n, "top1": hits1 / tested, "top3": hits3 / tested, "tested": tested // draws,
                     "random_top1": sum(b[0] for b in baseline) / len(baseline),
                     "random_top3": sum(b[1] for b in baseline) / len(baseline)})
    if engine.semantic is not None:
        engine.semantic.sync(engine.examples)
    return rows
