"""Comparing coders' codings: presence per unit, agreement per code, segment overlap.

Pure functions over plain data; the store supplies the rows. The unit of
comparison is the researcher's choice and is always reported:

- `turn`: each speaker turn's words (interviewer turns left out unless asked);
- `sentence`: sentences inside those turns (split at . ! ? followed by a space);
- `char`: every character of those turns' words (what NVivo's coding
  comparison counts).

For each code, each coder either applied it to a unit (a coding overlaps the
unit) or not, which gives a units x coders 0/1 table per code; agreement
coefficients are computed on it (`agreement.py`). "Overall" pools the tables
of all compared codes, one row per (unit, code).

Only transcripts that every compared coder has coded (at least one coding)
are compared: a transcript one coder has not started is not a disagreement.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from jhs_qual.domain import Coding
from jhs_qual.domain.sentences import sentence_spans
from jhs_qual.analysis.agreement import (
    Ratings,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
)

UNITS = ("turn", "sentence", "char")


@dataclass(frozen=True, slots=True)
class Unit:
    transcript_id: int
    turn: int  # 1-based turn number
    start: int
    end: int


@dataclass
class CodeAgreement:
    code: str
    units: int
    coded_by: dict[str, int]
    percent: float
    kappa: float
    kappa_name: str
    alpha: float
    ac1: float = float("nan")  # Gwet's AC1, as irrCAC computes it
    nvivo: dict[str, float] | None = None  # char unit, two coders
    segments: dict[str, int] | None = None  # two coders


@dataclass
class Comparison:
    coders: list[str]
    unit: str
    transcripts: list[int]
    codes: list[CodeAgreement] = field(default_factory=list)
    overall: CodeAgreement | None = None
    threshold: float = 0.8


def make_units(unit: str, texts: dict[int, str], turns: dict[int, list[tuple[int, int, int]]]) -> list[Unit]:
    """Units from codable turns: {transcript_id: [(turn number, content_start, end), ...]}."""
    units: list[Unit] = []
    for tid in sorted(turns):
        for number, start, end in turns[tid]:
            if unit == "turn" or unit == "char":
                units.append(Unit(tid, number, start, end))
            elif unit == "sentence":
                units += [Unit(tid, number, s, e) for s, e in sentence_spans(texts[tid], start, end)]
            else:
                raise ValueError(f"unit must be one of {', '.join(UNITS)}")
    return units


_SHIFT = 32  # a unit's place in the corpus as one integer: transcript id << 32 | offset


def _keys(transcripts, offsets) -> np.ndarray:
    return (np.asarray(transcripts, dtype=np.int64) << _SHIFT) | np.asarray(offsets, dtype=np.int64)


def _overlapped(units: list[Unit], spans: list[Coding]) -> tuple[np.ndarray, np.ndarray]:
    """For each span, the units it overlaps: indexes [first, last) into `units`, which are in
    transcript order and do not overlap one another (so their starts and ends both ascend)."""
    starts = _keys([u.transcript_id for u in units], [u.start for u in units])
    ends = _keys([u.transcript_id for u in units], [u.end for u in units])
    tids = [s.transcript_id for s in spans]
    first = np.searchsorted(ends, _keys(tids, [s.start for s in spans]), side="right")
    last = np.searchsorted(starts, _keys(tids, [s.end for s in spans]), side="left")
    return first, last


def presence(units: list[Unit], spans: list[Coding], coders: list[str], code: str) -> np.ndarray:
    """units x coders 0/1: did the coder apply `code` to a span overlapping the unit?"""
    table = np.zeros((len(units), len(coders)), dtype=np.int8)  # 0/1: a byte a cell keeps the pooled table small
    for column, coder in enumerate(coders):
        mine = [s for s in spans if s.code == code and s.coder == coder]
        if not mine or not units:
            continue
        first, last = _overlapped(units, mine)
        # each span covers units first..last-1: +1 where a run begins, -1 after it ends
        runs = np.zeros(len(units) + 1, dtype=np.int64)
        np.add.at(runs, first, 1)
        np.add.at(runs, last, -1)
        table[:, column] = np.cumsum(runs[:-1]) > 0
    return table


def char_presence(units: list[Unit], spans: list[Coding], coders: list[str], code: str) -> np.ndarray:
    """characters x coders 0/1 over the characters of the units."""
    lengths: dict[int, int] = {}
    for u in units:
        lengths[u.transcript_id] = max(lengths.get(u.transcript_id, 0), u.end)
    masks = {tid: np.zeros(n, dtype=bool) for tid, n in lengths.items()}
    for u in units:
        masks[u.transcript_id][u.start:u.end] = True
    columns = []
    for coder in coders:
        covered = {tid: np.zeros(n, dtype=bool) for tid, n in lengths.items()}
        for span in spans:
            if span.code == code and span.coder == coder and span.transcript_id in covered:
                covered[span.transcript_id][span.start:span.end] = True
        columns.append(np.concatenate([covered[t][masks[t]] for t in sorted(masks)]) if masks else np.zeros(0))
    return np.stack(columns, axis=1).astype(np.int8) if columns else np.zeros((0, 0), dtype=np.int8)


def match_segments(a: list[tuple[int, int]], b: list[tuple[int, int]], threshold: float):
    """Pair A's and B's segments one to one, largest overlap first. Two segments
    match when they overlap by at least `threshold` of the longer one.
    Returns (matched pairs, unmatched A, unmatched B)."""
    candidates = []
    for i, (s1, e1) in enumerate(a):
        for j, (s2, e2) in enumerate(b):
            overlap = min(e1, e2) - max(s1, s2)
            if overlap > 0 and overlap >= threshold * max(e1 - s1, e2 - s2):
                candidates.append((overlap, i, j))
    used_a, used_b, pairs = set(), set(), []
    for _, i, j in sorted(candidates, reverse=True):
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs.append((i, j))
    return pairs, [i for i in range(len(a)) if i not in used_a], [j for j in range(len(b)) if j not in used_b]


def _shared_transcripts(coders: list[str], turns: dict, spans: list[Coding]) -> list[int]:
    """The transcripts every coder has at least one coding in."""
    coded = [{s.transcript_id for s in spans if s.coder == c} for c in coders]
    return sorted(set.intersection(*coded) & set(turns))


def is_reached(reached: dict[int, int | None], transcript_id: int, end: int) -> bool:
    """Did every compared coder read up to `end` of the transcript (see within_reached)?"""
    return transcript_id in reached and (reached[transcript_id] is None or end <= reached[transcript_id])


def within_reached(turns: dict[int, list[tuple[int, int, int]]],
                   reached: dict[int, int | None]) -> tuple[dict[int, list[tuple[int, int, int]]], int]:
    """The turns every compared coder reached (Project.reached_by: {transcript id: offset, or
    None where all finished it}): those ending at or before the offset; none of a transcript
    not every coder touched. With how many turns of the touched transcripts were left out."""
    kept, left_out = {}, 0
    for tid, rows in turns.items():
        if tid not in reached:
            continue
        chosen = [r for r in rows if is_reached(reached, tid, r[2])]
        left_out += len(rows) - len(chosen)
        if chosen:
            kept[tid] = chosen
    return kept, left_out


def _compared(coders: list[str], unit: str, texts: dict[int, str], turns: dict, spans: list[Coding]):
    """What compare and disagreements look at: the transcripts every coder coded, their
    units, and the coders' codings on those units."""
    shared = _shared_transcripts(coders, turns, spans)
    units = make_units(unit, texts, {t: turns[t] for t in shared})
    return shared, units, _on_units(spans, units, coders)


def _on_units(spans: list[Coding], units: list[Unit], coders: list[str]) -> list[Coding]:
    """The coders' codings that touch a compared unit (so every figure counts the same codings)."""
    spans = [s for s in spans if s.coder in coders]
    if not spans or not units:
        return []
    first, last = _overlapped(units, spans)
    return [span for span, touches in zip(spans, first < last) if touches]


def _agreement(code: str, table: np.ndarray, coders: list[str]) -> CodeAgreement:
    ratings = Ratings.from_codes(table, (0, 1))
    two = len(coders) == 2
    return CodeAgreement(
        code=code,
        units=len(table),
        coded_by={c: int(table[:, i].sum()) for i, c in enumerate(coders)},
        percent=percent_agreement(ratings),
        kappa=cohen_kappa(ratings) if two else fleiss_kappa(ratings),
        kappa_name="Cohen's kappa" if two else "Fleiss' kappa",
        alpha=krippendorff_alpha(ratings, "nominal"),
        ac1=gwet_ac1(ratings, 2),
    )


def _nvivo(table: np.ndarray) -> dict[str, float]:
    total = max(len(table), 1)
    a, b = table[:, 0].astype(bool), table[:, 1].astype(bool)
    return {
        "agreement_pct": 100.0 * float((a == b).sum()) / total,
        "a_and_b_pct": 100.0 * float((a & b).sum()) / total,
        "neither_pct": 100.0 * float((~a & ~b).sum()) / total,
        "a_not_b_pct": 100.0 * float((a & ~b).sum()) / total,
        "b_not_a_pct": 100.0 * float((~a & b).sum()) / total,
    }


def segment_counts(spans: list[Coding], coders: list[str], code: str, threshold: float) -> dict[str, int]:
    first, second = coders[0], coders[1]
    grouped: dict[int, dict[str, list[tuple[int, int]]]] = defaultdict(lambda: {first: [], second: []})
    for span in spans:
        if span.code == code and span.coder in (first, second):
            grouped[span.transcript_id][span.coder].append((span.start, span.end))
    matched = only_a = only_b = 0
    for sides in grouped.values():
        pairs, rest_a, rest_b = match_segments(sides[first], sides[second], threshold)
        matched += len(pairs)
        only_a += len(rest_a)
        only_b += len(rest_b)
    return {"matched": matched, f"only_{first}": only_a, f"only_{second}": only_b}


def compare(
    coders: list[str],
    unit: str,
    texts: dict[int, str],
    turns: dict[int, list[tuple[int, int, int]]],
    spans: list[Coding],
    codes: list[str] | None = None,
    threshold: float = 0.8,
    scopes: dict[int, set[str]] | None = None,
    segments: bool = True,
) -> Comparison:
    """Agreement per code and overall between `coders` over the transcripts all of them coded.
    With `scopes` ({transcript id: the codebooks that apply to it}), a code is
    compared only on the units of transcripts its codebook applies to. `segments=False`
    leaves out the matching of two coders' segments (40% of the time; the workbench's table
    does not show them)."""
    if len(coders) < 2 or len(set(coders)) != len(coders):
        raise ValueError("compare needs at least two different coders")
    shared, units, spans = _compared(coders, unit, texts, turns, spans)
    if codes is None:
        codes = sorted({s.code for s in spans})
    result = Comparison(coders=coders, unit=unit, transcripts=shared, threshold=threshold)
    tables = []
    for code in codes:
        book = code.partition("/")[0]
        code_units = units if scopes is None else [u for u in units if book in scopes.get(u.transcript_id, ())]
        table = (char_presence if unit == "char" else presence)(code_units, spans, coders, code)
        tables.append(table)
        row = _agreement(code, table, coders)
        if len(coders) == 2 and segments:
            row.segments = segment_counts(spans, coders, code, threshold)
            if unit == "char":
                row.nvivo = _nvivo(table)
        result.codes.append(row)
    if tables:
        pooled = np.concatenate(tables)
        result.overall = _agreement("overall", pooled, coders)
        if len(coders) == 2 and unit == "char":
            result.overall.nvivo = _nvivo(pooled)
    return result


@dataclass
class Disagreement:
    unit: Unit
    codes: dict[str, list[Coding]]  # coder -> that coder's codings on the unit


def disagreements(
    coders: list[str],
    unit: str,
    texts: dict[int, str],
    turns: dict[int, list[tuple[int, int, int]]],
    spans: list[Coding],
    codes: list[str] | None = None,
) -> list[Disagreement]:
    """Every unit where the coders' sets of codes differ, with each coder's codings on it."""
    if unit == "char":
        raise ValueError("disagreements are listed per turn or sentence, not per character")
    _, units, spans = _compared(coders, unit, texts, turns, spans)
    relevant = [s for s in spans if codes is None or s.code in codes]
    by_transcript: dict[int, list[Coding]] = defaultdict(list)
    for span in relevant:
        by_transcript[span.transcript_id].append(span)
    found = []
    for u in units:
        on_unit = {c: [] for c in coders}
        for span in by_transcript[u.transcript_id]:
            if span.start < u.end and span.end > u.start:
                on_unit[span.coder].append(span)
        code_sets = {frozenset(s.code for s in on_unit[c]) for c in coders}
        if len(code_sets) > 1:
            found.append(Disagreement(u, on_unit))
    return found
