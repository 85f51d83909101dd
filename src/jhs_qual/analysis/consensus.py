"""Consensus between two coders: which codings agree, and what is left to settle.

Per transcript and code, A's and B's codings that overlap (directly or through
each other) form a cluster. A cluster of exactly one coding by each that
match (overlap of at least `threshold` of the longer, as in `compare`) is
agreed: the consensus gets one coding over the union of the two spans, with
both memos. Every other cluster (one side only, or overlapping without
matching, or several pieces) is an item to settle: take A, take B, both, or
neither.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

from jhs_qual.analysis.compare import match_segments
from jhs_qual.domain import Coding

DECISIONS = ("a", "b", "both", "neither")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    memo: str = ""


@dataclass
class Cluster:
    transcript_id: int
    code: str
    a: list[Span]
    b: list[Span]
    agreed: Span | None = None  # the consensus span when the coders agree

    @property
    def signature(self) -> str:
        """Identifies the item across runs: same codings on both sides, same item."""
        return json.dumps([self.transcript_id, self.code,
                           [[s.start, s.end] for s in self.a], [[s.start, s.end] for s in self.b]])


def _memo(a: Span, b: Span, names: tuple[str, str]) -> str:
    memos = [f"{name}: {span.memo}" for name, span in zip(names, (a, b)) if span.memo]
    if a.memo and a.memo == b.memo:
        return a.memo
    return " / ".join(memos)


def clusters(codings: list[Coding], coder_a: str, coder_b: str, threshold: float = 0.8) -> list[Cluster]:
    """All clusters in the transcripts both coders have coded, in text order."""
    both = ({c.transcript_id for c in codings if c.coder == coder_a}
            & {c.transcript_id for c in codings if c.coder == coder_b})  # once: not per coding
    groups: dict[tuple[int, str], list[tuple[str, Span]]] = defaultdict(list)
    for c in codings:
        if c.transcript_id in both and c.coder in (coder_a, coder_b):
            groups[(c.transcript_id, c.code)].append((c.coder, Span(c.start, c.end, c.memo)))
    found: list[Cluster] = []
    for (tid, code), members in sorted(groups.items()):
        members.sort(key=lambda m: (m[1].start, m[1].end, m[0]))
        current: list[tuple[str, Span]] = []
        reach = -1
        for member in members + [None]:
            if member is None or (current and member[1].start >= reach):
                found.append(_cluster(tid, code, current, coder_a, coder_b, threshold))
                current, reach = [], -1
            if member is not None:
                current.append(member)
                reach = max(reach, member[1].end)
    return found


def _cluster(tid: int, code: str, members, coder_a: str, coder_b: str, threshold: float) -> Cluster:
    a = [span for coder, span in members if coder == coder_a]
    b = [span for coder, span in members if coder == coder_b]
    cluster = Cluster(tid, code, a, b)
    if len(a) == 1 and len(b) == 1:
        pairs, _, _ = match_segments([(a[0].start, a[0].end)], [(b[0].start, b[0].end)], threshold)
        if pairs:
            cluster.agreed = Span(min(a[0].start, b[0].start), max(a[0].end, b[0].end),
                                  _memo(a[0], b[0], (coder_a, coder_b)))
    return cluster


def decided_spans(decision: str, a: list[Span], b: list[Span]) -> list[Span]:
    """The consensus codings a decision stands for."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {', '.join(DECISIONS)}")
    chosen = {"a": a, "b": b, "both": a + b, "neither": []}[decision]
    unique: dict[tuple[int, int], Span] = {}
    for span in chosen:
        unique.setdefault((span.start, span.end), span)
    return list(unique.values())
