"""Sentences inside a turn: the one rule every part of jhs-qual splits by.

A sentence ends at . ! ? or … (and any closing quotes or brackets) followed by
white space. `compare --unit sentence`, suggestions per sentence and the
workbench's sentence selection all use it, so a sentence is the same unit
everywhere.
"""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"[.!?…]+[\"”’')\]]*\s+")


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The sentences of text[start:end] as (start, end) offsets into `text`, without
    trailing white space; empty ones left out."""
    spans, position = [], start
    for match in _SENTENCE_END.finditer(text, start, end):
        spans.append((position, match.end() - (len(match.group()) - len(match.group().rstrip()))))
        position = match.end()
    if position < end:
        spans.append((position, end))
    return [(s, e) for s, e in spans if text[s:e].strip()]
