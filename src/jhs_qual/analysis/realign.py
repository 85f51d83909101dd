"""Re-anchoring spans on a corrected transcript: old offsets to new ones.

The old and the new text are aligned word by word (difflib's longest matching
blocks over the words, which keeps whole turns together when turns are
inserted or removed; a character-level edit distance would smear them). A
position in an unchanged word moves with it; a span's start inside a changed
stretch goes to the start of what replaced it, its end to the end, so a coding
keeps the words that replaced its words. Each span is then judged: the same
words (`same`), corrected words (`changed`: kept, to review), or none left, or
words too unlike them to be a correction (`lost`).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from difflib import SequenceMatcher

KEPT_SIMILARITY = 50  # rapidfuzz ratio (0-100) the new words need with the old to count as them, corrected
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Moved:
    start: int
    end: int
    status: str  # same | changed | lost


class Realigner:
    def __init__(self, old: str, new: str):
        self.old, self.new = old, new
        self._old_words = [(m.start(), m.end()) for m in _WORD.finditer(old)]
        self._new_words = [(m.start(), m.end()) for m in _WORD.finditer(new)]
        matcher = SequenceMatcher(None, [old[a:b] for a, b in self._old_words],
                                  [new[a:b] for a, b in self._new_words], autojunk=False)
        # For every old word: the new word it is (equal), or the new words its stretch became.
        self._where: list[tuple[str, int, int]] = [("", 0, 0)] * len(self._old_words)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            for k in range(i1, i2):
                if tag == "equal":
                    self._where[k] = ("equal", j1 + k - i1, j1 + k - i1 + 1)
                else:
                    self._where[k] = (tag, j1, j2)
        self._starts = [a for a, _ in self._old_words]

    def _new_start(self, word: int) -> int:
        return self._new_words[word][0] if word < len(self._new_words) else len(self.new)

    def _new_end(self, word: int) -> int:
        return self._new_words[word - 1][1] if word > 0 else 0

    def position(self, position: int, *, end: bool = False) -> int:
        """Where an old position is in the new text (`end`: as the end of a span)."""
        i = bisect.bisect_right(self._starts, position - (1 if end else 0)) - 1
        if i < 0:
            return 0
        a, b = self._old_words[i]
        tag, j1, j2 = self._where[i]
        if tag == "equal":
            na, nb = self._new_words[j1]
            return min(na + (position - a), nb) if position <= b else nb
        return self._new_end(j2) if end else self._new_start(j1)

    def span(self, start: int, end: int) -> Moved:
        new_start, new_end = self.position(start), self.position(end, end=True)
        while new_start < new_end and self.new[new_start].isspace():  # never start or end on white space
            new_start += 1
        while new_end > new_start and self.new[new_end - 1].isspace():
            new_end -= 1
        if new_end <= new_start:
            return Moved(new_start, new_start, "lost")
        before, after = " ".join(self.old[start:end].split()), " ".join(self.new[new_start:new_end].split())
        if before == after:
            return Moved(new_start, new_end, "same")
        from rapidfuzz import fuzz

        if fuzz.ratio(before, after) < KEPT_SIMILARITY:  # other words now, not these corrected
            return Moved(new_start, new_start, "lost")
        return Moved(new_start, new_end, "changed")
