"""Pseudonymisation: every listed name replaced wherever a quote leaves the project.

The list is project-level (`jhs-qual pseudonyms add NAME REPLACEMENT`, or a
YAML file `name: replacement` or `name: {replacement: ..., variants: [...]}`).
A name is replaced as a whole word, case-aware (SANNE -> LOTTE, sanne -> lotte),
with the Dutch possessive and diminutive endings it carries kept on the
replacement (Sanne's -> Lotte's, Jantje -> Pietje). Misspellings of a listed
name of 4 letters or more ("Sane", "Sannne") are caught with rapidfuzz.

`suspects` lists capitalised words in exported text that look like names and
are not on the list: a warning for the researcher, never an error.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from jhs_qual.errors import BadInput

# Possessive and diminutive endings a name may carry in Dutch (Sanne's, Jans, Jantje, Annetje).
_ENDINGS = r"(?:['’]s|s|tje|etje|je|pje|kje|ke)?"
_WORD = re.compile(r"\b[^\W\d_][\w'’-]*", re.UNICODE)
_LOWER_WORD = re.compile(r"(?<![^\W\d_])[a-zà-ÿ][\w'’-]*")
# A capitalised word after something that does not end a sentence (and is not the text's start).
_MID_SENTENCE_CAPITAL = re.compile(r"(?<=[^\s.!?:;\"“(…\[])[ \t]+([A-ZÀ-Ý][\w'’-]*)")
FUZZY_MIN_LENGTH = 4
FUZZY_THRESHOLD = 85.0


@dataclass(frozen=True)
class Pseudonym:
    name: str
    replacement: str
    variants: tuple[str, ...] = ()


def _cased(replacement: str, original: str) -> str:
    if original.isupper() and len(original) > 1:
        return replacement.upper()
    if original[:1].islower():
        return replacement.lower()
    return replacement[:1].upper() + replacement[1:]


@dataclass
class Pseudonymiser:
    pseudonyms: list[Pseudonym]
    _pattern: re.Pattern | None = field(default=None, init=False, repr=False)
    _by_form: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        forms: dict[str, str] = {}
        for p in self.pseudonyms:
            for form in (p.name, *p.variants):
                if form.strip():
                    forms[form.strip().lower()] = p.replacement
        self._by_form = forms
        if forms:
            # A space in a name also matches '_' or '-' (file-derived names: po_leraar_de_linde),
            # and '_' bounds a word like a space does.
            alternatives = "|".join(re.escape(f).replace(r"\ ", r"[\s_-]+")
                                    for f in sorted(forms, key=len, reverse=True))
            self._pattern = re.compile(rf"(?<![^\W_])({alternatives}){_ENDINGS}(?![^\W_])", re.IGNORECASE)
        self._fuzzy_cache: dict[str, str | None] = {}

    def __bool__(self) -> bool:
        return bool(self._by_form)

    def apply(self, text: str) -> str:
        if not self._by_form or not text:
            return text
        text = self._pattern.sub(self._replace_exact, text)
        return _WORD.sub(self._replace_fuzzy, text)

    def _replace_exact(self, match: re.Match) -> str:
        found, stem = match.group(0), match.group(1)
        replacement = self._by_form[re.sub(r"[\s_-]+", " ", stem.lower())]
        if "_" in stem:  # keep a file-derived name's style: de_linde -> school_a
            replacement = replacement.replace(" ", "_")
        return _cased(replacement, stem) + found[len(stem):]

    def _replace_fuzzy(self, match: re.Match) -> str:
        word = match.group(0)
        if len(word) < FUZZY_MIN_LENGTH or not word[:1].isupper():
            return word
        key = word.lower()
        if key not in self._fuzzy_cache:
            from rapidfuzz import fuzz, process

            best = process.extractOne(key, list(self._by_form), scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD)
            replacements = set(p.replacement.lower() for p in self.pseudonyms)
            self._fuzzy_cache[key] = (self._by_form[best[0]] if best and len(best[0]) >= FUZZY_MIN_LENGTH
                                      and key not in replacements else None)
        replacement = self._fuzzy_cache[key]
        return _cased(replacement, word) if replacement else word

    def leaks(self, texts: Iterable[str]) -> list[str]:
        """Listed names and variants still standing as whole words in texts that were pseudonymised."""
        names = [name.strip() for p in self.pseudonyms for name in (p.name, *p.variants) if name.strip()]
        patterns = {name: re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE) for name in names}
        found: set[str] = set()
        for joined in _batches(texts):
            found.update(name for name, pattern in patterns.items() if name not in found and pattern.search(joined))
        return [name for name in names if name in found]

    def suspects(self, texts: Iterable[str], common: set[str] = frozenset()) -> list[str]:
        """Capitalised words not at a sentence start, not on the list, not common: perhaps names.
        A word that also stands in lower case somewhere is an ordinary word ("Samen", "Toen")."""
        listed = set(self._by_form) | {p.replacement.lower() for p in self.pseudonyms}
        lower: set[str] = set()
        found: dict[str, int] = {}
        for joined in _batches(texts):
            lower.update(_LOWER_WORD.findall(joined))
            for word in _MID_SENTENCE_CAPITAL.findall(joined):  # two passes of the regex engine, not a word loop
                key = word.lower()
                if not word.isupper() and len(word) >= 3 and key not in listed and key not in common:
                    found[word] = found.get(word, 0) + 1
        found = {word: n for word, n in found.items() if word.lower() not in lower}
        return sorted(found, key=lambda w: (-found[w], w))


def _batches(texts: Iterable[str], size: int = 2000) -> Iterator[str]:
    """The texts joined by newlines a few thousand at a time: the regexes above never match across a
    newline, so a batch finds what the whole would, and memory stays that of one batch."""
    texts = iter(texts)
    while batch := list(itertools.islice(texts, size)):
        yield "\n".join(batch)


def read_pseudonym_file(path: Path) -> list[Pseudonym]:
    """YAML: `Sanne: Lotte`, or `Sanne: {replacement: Lotte, variants: [Sannetje, Saan]}`."""
    from jhs_qual.codebook.load import parse_yaml

    from jhs_qual.files import read_bytes

    try:
        text = read_bytes(path, 4 * 1024 * 1024).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput("not UTF-8 text", file=path, hint="save it as UTF-8") from None
    data = parse_yaml(text, path)
    if not isinstance(data, dict):
        raise BadInput("a pseudonym list is 'name: replacement' lines", file=path, line=1)
    result = []
    for name, value in data.items():
        line = data.lines.get(name)
        if isinstance(value, str):
            result.append(Pseudonym(str(name), value))
        elif isinstance(value, dict) and isinstance(value.get("replacement"), str):
            variants = value.get("variants") or []
            if not isinstance(variants, list) or not all(isinstance(v, str) for v in variants):
                raise BadInput("variants must be a list of names", file=path, line=line, field=str(name))
            result.append(Pseudonym(str(name), value["replacement"], tuple(variants)))
        else:
            raise BadInput("give a replacement: 'name: replacement' or 'name: {replacement: ...}'",
                           file=path, line=line, field=str(name))
    return result
