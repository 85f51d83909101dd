"""Where a REFI-QDA selection's positions point: the four conventions (code points or UTF-16
units, a CRLF counted as one or as two), the table from each to the stored text, and the choice
among them by the evidence a file holds (see `choose_convention`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from jhs_qual.errors import BadInput
from jhs_qual.export.safe import printable


def utf16_offsets(text: str) -> list[int]:
    """UTF-16 code-unit offset of every code-point offset 0..len(text)."""
    offsets, unit = [0], 0
    for char in text:
        unit += 2 if ord(char) > 0xFFFF else 1
        offsets.append(unit)
    return offsets


def export_positions(text: str, offsets: str, crlf: bool) -> list[int] | None:
    """Each stored code-point offset 0..len(text) as a position in the exported source
    (UTF-16 units for "utf16"; with `crlf`, every line end counted as the two characters it
    becomes in the file); None when they are the stored offsets themselves."""
    import itertools

    if offsets == "codepoints" and not crlf:
        return None
    base = utf16_offsets(text) if offsets == "utf16" else range(len(text) + 1)
    if not crlf:
        return list(base)
    newlines_before = itertools.accumulate((char == "\n" for char in text), initial=0)
    return [position + extra for position, extra in zip(base, newlines_before)]


CONVENTIONS = ("codepoints", "utf16", "codepoints-crlf", "utf16-crlf")  # what a position counts; -crlf: CRLF as two


def offset_maps(raw: str) -> dict[str, Sequence[int]]:
    """For each convention, the stored-text offset of every raw offset.

    The stored text is `raw` with CRLF and lone CR made LF. Conventions:
    code points or UTF-16 units, counting CRLF as one character or as two.
    Conventions that cannot differ for this text (no CRLF; no character beyond
    the BMP) share one table; when all four agree it is the identity."""
    import numpy as np

    crlf_here = "\r\n" in raw
    astral = _ASTRAL.search(raw) is not None
    if not crlf_here and not astral:
        return dict.fromkeys(CONVENTIONS, range(len(raw) + 1))
    points = np.frombuffer(raw.encode("utf-32-le"), dtype=np.uint32)
    skipped = np.zeros(len(points), dtype=bool)  # the CR of each CRLF: not in the stored text
    skipped[:-1] = (points[:-1] == 13) & (points[1:] == 10)
    stored = np.concatenate([[0], np.cumsum(~skipped)])  # stored offset before each raw character, and the end
    maps: dict[str, Sequence[int]] = {}
    for units in ("codepoints", "utf16") if astral else ("codepoints",):
        width = (1 + (points > 0xFFFF)).astype(np.int64) if units == "utf16" else np.ones(len(points), np.int64)
        for crlf in (False, True) if crlf_here else (False,):
            # each raw character stands for `width` positions, a skipped CR for one (crlf) or none
            counts = np.where(skipped, int(crlf), width)
            maps[f"{units}{'-crlf' if crlf else ''}"] = np.repeat(stored[:-1], counts).tolist() + [int(stored[-1])]
    tables = {}
    for name in CONVENTIONS:  # those not made: the same as one made
        units, _, crlf = name.partition("-")
        tables[name] = maps[(units if astral else "codepoints") + ("-crlf" if crlf and crlf_here else "")]
    return tables


_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")
_DECLARED = re.compile(r"Selection positions count (UTF-16 code units|Unicode code points).*?"
                       r"(a CRLF line end as two|a line end as one)", re.DOTALL)


def declared_convention(description: str | None) -> str | None:
    """The convention a file states in its project Description (ours always does)."""
    found = _DECLARED.search(description or "")
    if not found:
        return None
    return ("utf16" if found.group(1).startswith("UTF-16") else "codepoints") + (
        "-crlf" if "CRLF" in found.group(2) else "")


def choose_convention(raw: str, stored: str, selections: list[tuple[int, int, str]], label: str = "",
                       path: Path | None = None, forced: str | None = None, declared: str | None = None):
    """The convention under which the selections fit the text best, by the evidence the file
    holds: inside the text, not splitting a character (half a surrogate pair, a CRLF), names
    that quote the words they select, and what the file says it counts (`declared`).

    A convention forced (`--offsets`) or declared that the evidence contradicts is refused,
    naming the selections; conventions that fit equally well and put the codings on different
    words, with nothing to tell them apart, are refused, never guessed."""
    maps = offset_maps(raw)
    fits: dict[int, tuple] = {}  # conventions sharing a table share its fit
    for table in maps.values():
        if id(table) not in fits:
            fits[id(table)] = _fit(table, stored, selections)
    score = {name: fits[id(maps[name])] for name in CONVENTIONS}
    top = max(score.values())
    best = [n for n in CONVENTIONS if score[n] == top]
    said = forced or declared
    if said:
        if score[said] < top:
            raise BadInput(f"source '{label}': {_misfits(maps[said], maps[best[0]], stored, selections)} when "
                           f"positions count "
                           f"{said}" + (" (as the file says)" if not forced else "") + f"; as {best[0]} every one fits",
                           file=path, field="PlainTextSelection",
                           hint=f"nothing was imported; if the file is right as {best[0]}, import it with "
                                f"--offsets {best[0]}")
        return said, maps[said]

    def placed(name: str) -> tuple:
        table = maps[name]
        return tuple((table[s], table[e]) for s, e, _ in selections if 0 <= s < e < len(table))

    readings: dict[tuple, str] = {}
    for name in best:
        readings.setdefault(placed(name), name)
    if len(readings) > 1 and selections:
        options = ", ".join(f"as {n} (--offsets {n})" for n in readings.values())
        raise BadInput(f"source '{label}': its positions fit on different words {options}, and nothing in the "
                       "file tells which", file=path, field="PlainTextSelection",
                       hint="say which with --offsets (NVivo 12 and QualCoder write utf16; QualCoder's MAXQDA "
                            "option utf16-crlf; qc codepoints)")
    return best[0], maps[best[0]]


_LINE_NAME = re.compile(r"line:(\d{1,9})")  # qc names a selection by the line it starts on (from 0)


def _fit(table: Sequence[int], stored: str, selections) -> tuple[int, int, int, int, int]:
    """(selections inside the text, not falling inside one character, whose names are the words
    they select exactly (or name the line they start on, as qc's do), with white space made
    single, or as a prefix of at least 20 characters)."""
    inside = whole = exact = spaced = prefix = 0
    line_starts = None
    for start, end, label in selections:
        if 0 <= start < end < len(table):
            inside += 1
            if table[start] < table[end] and (start == 0 or table[start] != table[start - 1]) \
                    and table[end] != table[end - 1]:
                whole += 1
            piece = stored[table[start]:table[end]]
            if not label or not piece:
                continue
            line = _LINE_NAME.fullmatch(label)
            if line:
                if line_starts is None:
                    line_starts = [0] + [m.end() for m in re.finditer("\n", stored)]
                number = int(line.group(1))
                exact += number < len(line_starts) and line_starts[number] == table[start]
            elif label.replace("\r\n", "\n") == piece:
                exact += 1
            elif " ".join(label.split()) == " ".join(piece.split()):
                spaced += 1
            elif len(label) >= 20 and " ".join(piece.split()).startswith(" ".join(label.split()).rstrip(".…")):
                prefix += 1
    return inside, whole, exact, spaced, prefix


def _misfits(said: Sequence[int], best: Sequence[int], stored: str, selections) -> str:
    """The selections that fit worse under the table `said` than under `best`, for the refusal:
    how many, and the first few."""
    bad = [(s, e, label) for s, e, label in selections
           if _fit(said, stored, [(s, e, label)]) < _fit(best, stored, [(s, e, label)])]
    shown = "; ".join(f"{s}:{e} '{printable(' '.join(label.split()))[:30]}'" for s, e, label in bad[:3])
    return (f"{len(bad)} selection(s) fall outside the text, split a character or miss the words they name "
            f"({shown})")
