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
    labels: dict[str, int] = {}
    rows = [(tid, start, labels.setdefault(speaker, len(labels)) if speaker else -1)
            for tid in sorted(turns) for start, _, speaker in turns[tid]]
    turn_columns = np.array(rows, dtype=np.int64).reshape(-1, 3)
    coders: dict[str, int] = {}
    return summarise_arrays(
        np.array([c.transcript_id for c in kept], dtype=np.int64), np.array([index[c.code] for c in kept], dtype=np.int64),
        np.array([c.start for c in kept], dtype=np.int64), np.array([c.end for c in kept], dtype=np.int64),
        codes, attributes, names, tuple(turn_columns.T), by, cooccurrence,
        coder=np.array([coders.setdefault(c.coder, len(coders)) for c in kept], dtype=np.int64))


def summarise_arrays(transcript: np.ndarray, code: np.ndarray, start: np.ndarray, end: np.ndarray,
                     codes: list[tuple[str, str]], attributes: dict[int, dict[str, str]], names: dict[int, str],
                     turns: tuple[np.ndarray, np.ndarray, np.ndarray], by: str,
                     cooccurrence: str = "overlap", coder: np.ndarray | None = None,
                     applies: dict[int, set[str]] | None = None) -> Summary:
    """The same over arrays (one entry per coding; `code` indexes `codes`; `turns`:
    transcript id, start and speaker number, -1 for none, of every turn, sorted by
    transcript and start): numpy throughout, half a second for a million codings.

    A code's share of a value's transcripts is taken over the transcripts its codebook
    applies to (`applies`: {transcript id: codebooks}; without it, over all of them):
    a pupil topic is never a share of the teachers' interviews.

    Co-occurrence counts pairs of one coder's codings (`coder`: a number per coding):
    two coders' different codes on the same words are a disagreement, not a co-occurrence."""
    if cooccurrence not in ("overlap", "turn"):
        raise ValueError("co-occurrence is 'overlap' or 'turn'")
    n_codes = len(codes)
    ids = np.array(sorted(names), dtype=np.int64)
    n_t = max(len(ids), 1)
    t = np.searchsorted(ids, transcript)  # transcript position 0..T-1
    turn_transcript, turn_start, turn_speaker = turns
    turn_keys = np.searchsorted(ids, turn_transcript) * _BIG + turn_start  # sorted: (transcript position, start)
    turn_of = np.maximum(np.searchsorted(turn_keys, t * _BIG + start, side="right") - 1, 0)
    speaker = turn_speaker[turn_of] if len(turn_keys) else np.full(len(t), -1)

    value_names = {tid: attributes.get(tid, {}).get(by, "(none)") for tid in ids.tolist()}
    values = sorted(set(value_names.values()), key=lambda v: (v == "(none)", v))
    value_of_t = np.array([values.index(value_names[tid]) for tid in ids.tolist()], dtype=np.int64)
    n_v = max(len(values), 1)
    per_value = np.bincount(value_of_t, minlength=n_v)
    v = value_of_t[t] if len(t) else np.zeros(0, dtype=np.int64)

    counts = np.bincount(code, minlength=n_codes)
    in_transcripts = np.bincount(np.unique(code * n_t + t) // n_t, minlength=n_codes)
    spoken = speaker >= 0
    n_s = int(turn_speaker.max(initial=0)) + 1
    speakers = np.bincount(np.unique((code[spoken] * n_t + t[spoken]) * n_s + speaker[spoken]) // (n_t * n_s),
                           minlength=n_codes)
    cell_codings = np.bincount(code * n_v + v, minlength=n_codes * n_v).reshape(n_codes, n_v)
    cell_transcripts = np.bincount(np.unique((code * n_v + v) * n_t + t) // n_t,
                                   minlength=n_codes * n_v).reshape(n_codes, n_v)
    per_transcript = np.bincount(code * n_t + t, minlength=n_codes * n_t).reshape(n_codes, n_t)

    names_sorted = [names[tid] for tid in ids.tolist()]
    refs = [ref for ref, _ in codes]
    books = sorted({ref.partition("/")[0] for ref in refs})
    of = {b: per_value if applies is None else np.bincount(
        value_of_t[[i for i, tid in enumerate(ids.tolist()) if b in applies.get(tid, ())]], minlength=n_v)
          for b in books}  # per codebook: per value, the transcripts it applies to
    totals = {ref: {"codings": int(counts[i]), "transcripts": int(in_transcripts[i]), "speakers": int(speakers[i])}
              for i, ref in enumerate(refs)}
    breakdown = {}
    for i, ref in enumerate(refs):
        whole = of[ref.partition("/")[0]]
        breakdown[ref] = {value: {"codings": int(cell_codings[i, j]), "transcripts": int(cell_transcripts[i, j]),
                                  "share": float(cell_transcripts[i, j] / whole[j]) if whole[j] else 0.0,
                                  "of": int(whole[j])}
                          for j, value in enumerate(values)}
    who = coder if coder is not None else np.zeros(len(t), dtype=np.int64)
    n_coders = int(who.max(initial=0)) + 1
    if cooccurrence == "overlap":
        pairs = _overlapping_pairs(t * n_coders + who, start, end, code, n_codes)  # within (transcript, coder)
    else:
        pairs = _same_turn_pairs(turn_of * n_coders + who, code, n_codes)
    return Summary(
        by, values, codes, totals, breakdown, {value: int(per_value[j]) for j, value in enumerate(values)},
        {(refs[a], refs[b]) if refs[a] < refs[b] else (refs[b], refs[a]): n for (a, b), n in pairs.items()},
        cooccurrence,
        {ref: {names_sorted[j]: int(per_transcript[i, j]) for j in np.flatnonzero(per_transcript[i])}
         for i, ref in enumerate(refs)},
        sorted(names.values()),
    )


_BIG = 1 << 32  # a transcript's offsets stay below this


def _count_partners(kinds: np.ndarray, high: np.ndarray, n_codes: int) -> dict[tuple[int, int], int]:
    """Entry i (of code kinds[i]) pairs with entries i+1 .. high[i]-1. Rather than list
    those pairs (millions when codings are dense), count them per code from running
    totals: with cum[k] entries of code c before position k, entry i has
    cum[high[i]] - cum[i+1] partners of code c. Time grows with entries x codes,
    not with pairs. Returns {(a, b): pairs} for codes a < b."""
    low = np.arange(1, len(kinds) + 1)
    high = np.maximum(high, low)
    matrix = np.zeros((n_codes, n_codes), dtype=np.int64)  # [a, c]: a's entry first, c's after it
    for c in np.unique(kinds).tolist():
        cum = np.concatenate(([0], np.cumsum(kinds == c, dtype=np.int64)))
        matrix[:, c] = np.bincount(kinds, weights=cum[high] - cum[low], minlength=n_codes).round()
    pairs = np.triu(matrix + matrix.T, 1)
    return {(int(a), int(b)): int(pairs[a, b]) for a, b in zip(*np.nonzero(pairs))}


def _overlapping_pairs(t, start, end, code, n_codes) -> dict[tuple[int, int], int]:
    """Codings of different codes whose spans overlap: sorted by start, a coding's
    partners are the codings after it that start before it ends."""
    keys = t * _BIG + start
    order = np.argsort(keys)
    return _count_partners(code[order], np.searchsorted(keys[order], (t * _BIG + end)[order], side="left"), n_codes)


def _same_turn_pairs(turn_of, code, n_codes) -> dict[tuple[int, int], int]:
    """Different codes in the same turn, once per turn."""
    unique = np.unique(turn_of * n_codes + code)
    turn = unique // n_codes
    return _count_partners(unique % n_codes, np.searchsorted(turn, turn + 1), n_codes)
