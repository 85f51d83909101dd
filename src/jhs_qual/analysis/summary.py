"""Thematic summaries: which codes come up, for whom, how often, and together.

Pure functions over plain rows. For each code: codings, transcripts and
distinct speakers (a transcript's speaker label, so 'Leerling 2' in two
transcripts is two speakers); the same broken down by the values of one
attribute, with the share of that value's transcripts that mention the code;
co-occurrence of codes (on overlapping spans, or within the same turn); and
codings per code per transcript.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

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
    index = {ref: i for i, (ref, _) in enumerate(codes)}
    kept = [c for c in codings if c.code in index]
    return summarise_arrays(
        np.array([c.transcript_id for c in kept], dtype=np.int64), np.array([index[c.code] for c in kept], dtype=np.int64),
        np.array([c.start for c in kept], dtype=np.int64), np.array([c.end for c in kept], dtype=np.int64),
        codes, attributes, names, turns, by, cooccurrence)


def summarise_arrays(transcript: np.ndarray, code: np.ndarray, start: np.ndarray, end: np.ndarray,
                     codes: list[tuple[str, str]], attributes: dict[int, dict[str, str]], names: dict[int, str],
                     turns: dict[int, list[tuple[int, int, str | None]]], by: str,
                     cooccurrence: str = "overlap") -> Summary:
    """The same over arrays (one entry per coding; `code` indexes `codes`): numpy
    throughout, so a million codings take about a second."""
    if cooccurrence not in ("overlap", "turn"):
        raise ValueError("co-occurrence is 'overlap' or 'turn'")
    n_codes = len(codes)
    ids = np.array(sorted(names), dtype=np.int64)
    n_t = max(len(ids), 1)
    t = np.searchsorted(ids, transcript)  # transcript position 0..T-1
    # turns as one sorted key array: (transcript position, start)
    turn_keys, speaker_ids, speaker_names = [], [], {}
    for position, tid in enumerate(ids.tolist()):
        for turn_start, _, speaker in turns.get(tid, []):
            turn_keys.append(position * _BIG + turn_start)
            speaker_ids.append(speaker_names.setdefault(speaker, len(speaker_names)) if speaker else -1)
    turn_keys_array = np.array(turn_keys, dtype=np.int64)
    turn_of = np.maximum(np.searchsorted(turn_keys_array, t * _BIG + start, side="right") - 1, 0)
    speaker = np.array(speaker_ids, dtype=np.int64)[turn_of] if len(turn_keys) else np.full(len(t), -1)

    value_names = {tid: attributes.get(tid, {}).get(by, "(none)") for tid in ids.tolist()}
    values = sorted(set(value_names.values()), key=lambda v: (v == "(none)", v))
    value_of_t = np.array([values.index(value_names[tid]) for tid in ids.tolist()], dtype=np.int64)
    n_v = max(len(values), 1)
    per_value = np.bincount(value_of_t, minlength=n_v)
    v = value_of_t[t] if len(t) else np.zeros(0, dtype=np.int64)

    counts = np.bincount(code, minlength=n_codes)
    in_transcripts = np.bincount(np.unique(code * n_t + t) // n_t, minlength=n_codes)
    spoken = speaker >= 0
    n_s = max(len(speaker_names), 1)
    speakers = np.bincount(np.unique((code[spoken] * n_t + t[spoken]) * n_s + speaker[spoken]) // (n_t * n_s),
                           minlength=n_codes)
    cell_codings = np.bincount(code * n_v + v, minlength=n_codes * n_v).reshape(n_codes, n_v)
    cell_transcripts = np.bincount(np.unique((code * n_v + v) * n_t + t) // n_t,
                                   minlength=n_codes * n_v).reshape(n_codes, n_v)
    per_transcript = np.bincount(code * n_t + t, minlength=n_codes * n_t).reshape(n_codes, n_t)

    names_sorted = [names[tid] for tid in ids.tolist()]
    refs = [ref for ref, _ in codes]
    totals = {ref: {"codings": int(counts[i]), "transcripts": int(in_transcripts[i]), "speakers": int(speakers[i])}
              for i, ref in enumerate(refs)}
    breakdown = {ref: {value: {"codings": int(cell_codings[i, j]), "transcripts": int(cell_transcripts[i, j]),
                               "share": float(cell_transcripts[i, j] / per_value[j]) if per_value[j] else 0.0}
                       for j, value in enumerate(values)} for i, ref in enumerate(refs)}
    if cooccurrence == "overlap":
        pairs = _overlapping_pairs(t, start, end, code, n_codes)
    else:
        pairs = _same_turn_pairs(turn_of, code, n_codes)
    return Summary(
        by, values, codes, totals, breakdown, {value: int(per_value[j]) for j, value in enumerate(values)},
        {(refs[a], refs[b]) if refs[a] < refs[b] else (refs[b], refs[a]): n for (a, b), n in pairs.items()},
        cooccurrence,
        {ref: {names_sorted[j]: int(per_transcript[i, j]) for j in np.flatnonzero(per_transcript[i])}
         for i, ref in enumerate(refs)},
        sorted(names.values()),
    )


_BIG = 1 << 32  # a transcript's offsets stay below this


def _pairs_after(order_keys: np.ndarray, limits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For sorted keys, every (i, j) with i < j and key[j] < limit[i]."""
    n = len(order_keys)
    high = np.searchsorted(order_keys, limits, side="left")
    low = np.arange(n) + 1
    count = np.maximum(high - low, 0)
    first = np.repeat(np.arange(n), count)
    offsets = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    return first, low[first] + offsets


def _count_pairs(a: np.ndarray, b: np.ndarray, n_codes: int) -> dict[tuple[int, int], int]:
    a, b = a.astype(np.int32), b.astype(np.int32)  # millions of pairs: half the memory traffic
    different = a != b
    low, high = np.minimum(a, b)[different], np.maximum(a, b)[different]
    counts = np.bincount(low * n_codes + high, minlength=n_codes * n_codes)
    return {(int(k // n_codes), int(k % n_codes)): int(counts[k]) for k in np.flatnonzero(counts)}


def _overlapping_pairs(t, start, end, code, n_codes) -> dict[tuple[int, int], int]:
    """Codings of different codes whose spans overlap: sorted by start, each
    coding's partners are those that start before it ends."""
    order = np.lexsort((start, t))
    keys = t[order] * _BIG + start[order]
    i, j = _pairs_after(keys, t[order] * _BIG + end[order])
    return _count_pairs(code[order][i], code[order][j], n_codes)


def _same_turn_pairs(turn_of, code, n_codes) -> dict[tuple[int, int], int]:
    """Different codes in the same turn, once per turn."""
    unique = np.unique(turn_of * n_codes + code)
    turn, kind = unique // n_codes, unique % n_codes
    i, j = _pairs_after(turn, turn + 1)
    return _count_pairs(kind[i], kind[j], n_codes)
