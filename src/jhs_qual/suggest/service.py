"""The engine over a project: its codes, its turns or sentences, cached indexes."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass

from jhs_qual.suggest.engine import CodeTerms, Found, KeywordIndex, Settings, Suggestion
from jhs_qual.suggest.pipeline import load_pipeline

_INDEXES: dict[str, KeywordIndex] = {}


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

    def suggest(self, texts: list[str], *, top: int | None = None, min_score: float = 0.0) -> Found:
        """Ranked suggestions: `found[i]` lists text i's, `found.json(i)` gives them as JSON."""
        return Found.join(texts, [index.match(texts) for index in self.indexes]).ranked(top, min_score)

    def for_span(self, text: str, start: int, end: int, *, top: int = 5, min_score: float = 0.2) -> list[Suggestion]:
        """Suggestions for text[start:end], with match spans as offsets into `text` (for the workbench)."""
        (found,) = self.suggest([text[start:end]], top=top, min_score=min_score)
        for suggestion in found:
            suggestion.matched = [m._replace(start=m.start + start, end=m.end + start) for m in suggestion.matched]
        return found


def sources_from_codebooks(codebooks) -> list[CodeSource]:
    """From parsed Codebook objects (YAML files, without a project)."""
    return [CodeSource(book.language, book.sha256, tuple(
        CodeTerms(f"{book.id}/{c.id}", tuple(c.keywords), tuple(c.phrases), tuple(c.exclude)) for c in book.codes
    )) for book in codebooks]


def sources_from_project(project, *, use_learned: bool = False, codebooks: list[str] | None = None) -> list[CodeSource]:
    learned: dict[int, list[str]] = defaultdict(list)
    if use_learned:
        for row in project.db.query("SELECT code_id, term FROM learned_keywords ORDER BY term"):
            learned[row["code_id"]].append(row["term"])
    books = {b["id"]: b for b in project.codebooks()}
    grouped: dict[str, list[CodeTerms]] = defaultdict(list)
    for c in project.codes():
        if codebooks is None or c["codebook_id"] in codebooks:
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
