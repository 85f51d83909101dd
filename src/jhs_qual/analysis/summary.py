"""Thematic summaries: which codes come up, for whom, how often, and together.

Pure functions over plain rows. For each code: codings, transcripts and
distinct speakers (a transcript's speaker label, so 'Leerling 2' in two
transcripts is two speakers); the same broken down by the values of one
attribute, with the share of that value's transcripts that mention the code;
co-occurrence of codes (on overlapping spans, or within the same turn); and
codings per code per transcript.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field

from jhs_qual.domain import Coding


@dataclass
class Summary:
    by: str
    values: list[str]  # the attribute's values, the columns of the breakdown
    codes: list[tuple[str, str]]  # (codebook/id, label), the rows
    totals: dict[str, dict[str, int]]  # code -> codings, transcripts, speakers
    breakdown: dict[str, dict[str, dict[str, float]]]  # code -> value -> codings, transcripts, share
    transcripts_per_value: dict[str, int]
    cooccurrence: dict[tuple[str, str], int]
    cooccurrence_mode: str
    per_transcript: dict[str, dict[str, int]]  # code -> transcript name -> codings
    transcripts: list[str] = field(default_factory=list)


def summarise(codings: list[Coding], codes: list[tuple[str, str]], attributes: dict[int, dict[str, str]],
              names: dict[int, str], turns: dict[int, list[tuple[int, int, str | None]]], by: str,
              cooccurrence: str = "overlap") -> Summary:
    """`turns`: {transcript: [(start, end, speaker), ...]} sorted by start (every turn)."""
    if cooccurrence not in ("overlap", "turn"):
        raise ValueError("co-occurrence is 'overlap' or 'turn'")
    starts = {t: [s for s, _, _ in rows] for t, rows in turns.items()}

    def turn_of(c: Coding) -> int:
        return max(bisect.bisect_right(starts.get(c.transcript_id, [0]), c.start) - 1, 0)

    value_of = {t: attributes.get(t, {}).get(by, "(none)") for t in names}
    values = sorted(set(value_of.values()), key=lambda v: (v == "(none)", v))
    per_value: dict[str, int] = defaultdict(int)
    for t in names:
        per_value[value_of[t]] += 1
    counts: dict[str, int] = defaultdict(int)
    in_transcripts: dict[str, set[int]] = defaultdict(set)
    speakers: dict[str, set[tuple[int, str]]] = defaultdict(set)
    by_value: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(lambda: [0, set()]))
    per_transcript: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for c in codings:
        counts[c.code] += 1
        in_transcripts[c.code].add(c.transcript_id)
        rows = turns.get(c.transcript_id)
        if rows:
            speaker = rows[turn_of(c)][2]
            if speaker:
                speakers[c.code].add((c.transcript_id, speaker))
        cell = by_value[c.code][value_of.get(c.transcript_id, "(none)")]
        cell[0] += 1
        cell[1].add(c.transcript_id)
        per_transcript[c.code][names[c.transcript_id]] += 1
    totals = {ref: {"codings": counts[ref], "transcripts": len(in_transcripts[ref]), "speakers": len(speakers[ref])}
              for ref, _ in codes}
    breakdown = {ref: {v: {"codings": by_value[ref][v][0], "transcripts": len(by_value[ref][v][1]),
                           "share": len(by_value[ref][v][1]) / per_value[v] if per_value[v] else 0.0}
                       for v in values} for ref, _ in codes}
    return Summary(by, values, codes, totals, breakdown, dict(per_value),
                   _cooccur(codings, turn_of, cooccurrence), cooccurrence,
                   {ref: dict(per_transcript[ref]) for ref, _ in codes}, sorted(names.values()))


def _cooccur(codings: list[Coding], turn_of, mode: str) -> dict[tuple[str, str], int]:
    """Pairs of different codes: overlapping spans, or coded in the same turn (counted once per turn)."""
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    by_transcript: dict[int, list[Coding]] = defaultdict(list)
    for c in codings:
        by_transcript[c.transcript_id].append(c)
    for items in by_transcript.values():
        if mode == "turn":
            per_turn: dict[int, set[str]] = defaultdict(set)
            for c in items:
                per_turn[turn_of(c)].add(c.code)
            for codes in per_turn.values():
                ordered = sorted(codes)
                for i, a in enumerate(ordered):
                    for b in ordered[i + 1:]:
                        pairs[(a, b)] += 1
            continue
        items.sort(key=lambda c: c.start)
        active: list[Coding] = []
        for c in items:  # a sweep: only codings still open can overlap this one
            active = [a for a in active if a.end > c.start]
            for a in active:
                if a.code != c.code:
                    pairs[tuple(sorted((a.code, c.code)))] += 1
            active.append(c)
    return dict(pairs)
