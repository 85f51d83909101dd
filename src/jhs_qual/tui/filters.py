"""The filter language of the transcript list and the quote browser.

`school_type=PO role=leraar`: every `key=value` must hold, the value as a
prefix without case (`role=leer` finds leerling); values with spaces are
quoted (`school="Het Baken"`). Other words must occur in the name, a value,
or what is said in the transcript (`said`: the transcripts each word starts a
word in, from the full-text index).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field


@dataclass
class Filter:
    pairs: dict[str, str] = field(default_factory=dict)
    words: list[str] = field(default_factory=list)
    error: str = ""

    def matches(self, name: str, attributes: dict[str, str], skip: tuple[str, ...] = (),
                said: dict[str, set[int]] | None = None, transcript_id: int | None = None) -> bool:
        for key, value in self.pairs.items():
            if key not in skip and not attributes.get(key, "").lower().startswith(value.lower()):
                return False
        haystack = (name + " " + " ".join(attributes.values())).lower()
        return all(word.lower() in haystack or (said is not None and transcript_id in said.get(word, ()))
                   for word in self.words)


def parse_filter(query: str) -> Filter:
    try:
        terms = shlex.split(query)
    except ValueError:  # an open quote while typing: read it as if closed
        try:
            terms = shlex.split(query + '"')
        except ValueError:
            return Filter(error="unbalanced quotes")
    found = Filter()
    for term in terms:
        key, sep, value = term.partition("=")
        if sep and key:
            found.pairs[key.strip()] = value.strip()
        elif term.strip():
            found.words.append(term.strip())
    return found
