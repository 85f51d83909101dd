"""The whole engine over a project, for the command line: keywords, the question, the
codings (learning) and the semantic layer, per unit of a transcript.

The workbench builds the same pieces itself (tui/app.py), in a worker thread;
here everything runs in the command's process and the vectors made are
stored in the project at the end (`save`).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from jhs_qual.suggest.adapt import Learner, code_document
from jhs_qual.suggest.engine import Suggestion
from jhs_qual.suggest.semantic import Semantic, code_texts, load_encoder, text_key
from jhs_qual.suggest.service import Suggester, learning_examples, project_units, sources_from_project


BATCH = 500  # texts encoded at once: bigger batches are barely faster and take more memory


@dataclass
class Unit:
    unit: object  # analysis.compare.Unit
    text: str
    question: tuple[int, int] | None  # the interviewer turn before it, in the transcript's text
    codebooks: set[str]


class ProjectEngine:
    def __init__(self, project, settings, *, learn_from: str | None = None, learn: bool = True,
                 semantic: bool = True, codebooks: list[str] | None = None):
        self.project = project
        self.suggester = Suggester(sources_from_project(project, codebooks=codebooks), settings)
        codes = {f"{c['codebook_id']}/{c['code_id']}": c for c in project.codes()
                 if codebooks is None or c["codebook_id"] in codebooks}
        self.docs = {ref: code_document(c) for ref, c in codes.items()}
        self.examples = learning_examples(project, coder=learn_from) if learn and settings.learn else {}
        self.learner = Learner(self.docs, self.suggester.lemmas) if learn and settings.learn else None
        if self.learner is not None:
            self.learner.sync(self.examples)
        encoder = load_encoder(settings.encoder) if semantic else None
        self.semantic = Semantic(encoder, {r: code_texts(c) for r, c in codes.items()}) if encoder else None
        if self.semantic is not None and self.learner is not None:
            self.semantic.sync(self.examples)
        self.texts = project.texts()
        self.scopes = project.codebooks_by_transcript()

    def units(self, transcript_ids: list[int], unit: str, include_interviewers: bool) -> list[Unit]:
        is_interviewer = self.project.interviewer_test()
        turns: dict[int, list] = {}
        for r in self.project.db.query("SELECT transcript_id, idx, speaker, content_start, end FROM turns"
                                       " ORDER BY transcript_id, idx"):
            turns.setdefault(r["transcript_id"], []).append(r)
        found = []
        for u, text in project_units(self.project, transcript_ids, unit, include_interviewers):
            rows = turns[u.transcript_id]
            asked = next((rows[i] for i in range(u.turn - 2, -1, -1) if is_interviewer(rows[i]["speaker"])), None)
            found.append(Unit(u, text, (asked["content_start"], asked["end"]) if asked else None,
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
            for u in chunk:
                yield u, self.rank(u, **options)
            self.save()
            if self.semantic is not None:
                self.semantic.forget()

    def _joined(self, u: Unit) -> str:
        text = self.texts[u.unit.transcript_id]
        return " ".join([u.text] + ([text[u.question[0]:u.question[1]]] if u.question else []))

    def rank(self, u: Unit, *, top: int = 5, min_score: float = 0.2, learner=..., semantic=...) -> list[Suggestion]:
        return self.suggester.for_unit(
            self.texts[u.unit.transcript_id], u.unit.start, u.unit.end, codebooks=u.codebooks, question=u.question,
            learner=self.learner if learner is ... else learner, semantic=self.semantic if semantic is ... else semantic,
            top=top, min_score=min_score)

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
            learner = Learner(engine.docs, engine.suggester.lemmas)
            learner.sync(examples)
            if engine.semantic is not None:
                engine.semantic.sync(examples)
            for i in coded:
                if i in chosen:
                    continue
                ranked = [s.code for s in engine.rank(units[i], top=3, min_score=0.0, learner=learner)]
                hits1 += bool(ranked[:1] and ranked[0] in gold[i])
                hits3 += bool(set(ranked) & gold[i])
                tested += 1
        baseline = [random_hits(gold[i], sum(1 for d in engine.docs if d.partition("/")[0] in units[i].codebooks))
                    for i in coded]
        rows.append({"n": n, "top1": hits1 / tested, "top3": hits3 / tested, "tested": tested // draws,
                     "random_top1": sum(b[0] for b in baseline) / len(baseline),
                     "random_top3": sum(b[1] for b in baseline) / len(baseline)})
    if engine.semantic is not None:
        engine.semantic.sync(engine.examples)
    return rows
