"""Pseudonymisation: every listed name replaced wherever a quote leaves the project.

The list is project-level (`jhs-qual pseudonyms add NAME REPLACEMENT`, or a
YAML file `name: replacement` or `name: {replacement: ..., variants: [...]}`).
A name is replaced as a whole word, case-aware (SANNE -> LOTTE, sanne -> lotte),
with the Dutch possessive and diminutive endings it carries kept on the
replacement (Sanne's -> Lotte's, Jantje -> Pietje).

Names and texts are compared in a folded form (`fold`): NFKC (fullwidth
Ｓａｎｎｅ is Sanne), without invisible characters (a zero-width space or a soft
hyphen inside a name hides nothing), without diacritics (Zoe is Zoë), case
folded. Misspellings of a listed name of 5 letters or more (one letter
changed, added, dropped or two swapped: Sanna, Snane, Sannne), and a listed name
at the start of a compound (Sannemoeder), are replaced too, unless the word
stands in lower case elsewhere in the project (then it is an ordinary word:
`ordinary`).

`suspects` lists capitalised words in exported text that look like names and
are not on the list: a warning for the researcher, never an error.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from jhs_qual.errors import BadInput

# Possessive and diminutive endings a name may carry in Dutch (Sanne's, Jans, Jantje, Annetje).
_ENDINGS = r"(?:['’]s|s|tje|etje|je|pje|kje|ke)?"
_WORD = re.compile(r"\b[^\W\d_][\w'’\u00ad\u200b-\u200d\u2060\ufeff-]*", re.UNICODE)
_LOWER_WORD = re.compile(r"(?<![^\W\d_])[a-zà-ÿ][\w'’-]*")
# A capitalised word after something that does not end a sentence (and is not the text's start).
_MID_SENTENCE_CAPITAL = re.compile(r"(?<=[^\s.!?:;\"“(…\[])[ \t]+([A-ZÀ-Ý][\w'’-]*)")
# Characters that show nothing: format characters (zero-width space and joiners, soft hyphen,
# word joiner, BOM, direction marks) and variation selectors.
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
                        "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]")
FUZZY_MIN_LENGTH = 5
FUZZY_THRESHOLD = 85.0
COMPOUND_MIN_TAIL = 3


@functools.lru_cache(maxsize=65536)
def _fold_char(char: str) -> str:
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", char))
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


def fold(text: str) -> str:
    """The form names are compared in: NFKC, no invisible characters, no diacritics, case folded."""
    return text.lower() if text.isascii() else "".join(map(_fold_char, text))


def name_key(name: str) -> str:
    """A name as the list compares it: folded, white space made single ("Sanne  de Vries" is "sanne de vries")."""
    return " ".join(fold(name).split())


def _folded(text: str) -> tuple[str, list[int] | None]:
    """The folded text and, for each of its characters, where it came from in `text`
    (None: one for one)."""
    if text.isascii():
        return text.lower(), None
    pieces, origin = [], []
    for at, char in enumerate(text):
        folded = _fold_char(char)
        pieces.append(folded)
        origin.extend([at] * len(folded))
    return "".join(pieces), origin


@dataclass(frozen=True)
class Pseudonym:
    name: str
    replacement: str
    variants: tuple[str, ...] = ()


def check_list(pseudonyms: Iterable[Pseudonym], *, file: str | Path | None = None) -> None:
    """Refuse a list that would leave a name standing: an empty name or replacement, or a
    replacement that is itself a listed name or variant (Sanne: Sanne; Sanne: Lotte with
    Lotte: Sanne; Zoë: Daan with Daan listed), compared folded."""
    pseudonyms = list(pseudonyms)
    listed: dict[str, str] = {}
    for p in pseudonyms:
        if not name_key(p.name) or not name_key(p.replacement):
            raise BadInput("a pseudonym needs a name and a replacement", file=file, field=p.name or "NAME")
        for form in (p.name, *p.variants):
            if name_key(form):
                listed[name_key(form)] = p.name
    for p in pseudonyms:
        owner = listed.get(name_key(p.replacement))
        if owner is not None:
            what = "itself" if owner == p.name else f"a name on the list ({owner})"
            raise BadInput(f"the replacement '{p.replacement}' is {what}: the name would stay in the exports",
                           file=file, field=p.name, hint="choose a replacement that is no one's name on the list")


def _cased(replacement: str, original: str) -> str:
    original = _INVISIBLE.sub("", original)
    if original.isupper() and len(original) > 1:
        return replacement.upper()
    if original[:1].islower():
        return replacement.lower()
    return replacement[:1].upper() + replacement[1:]


@dataclass
class Pseudonymiser:
    pseudonyms: list[Pseudonym]
    ordinary: Callable[[str], bool] = lambda word: False  # noqa: E731 - does `word` stand in lower case elsewhere?
    _pattern: re.Pattern | None = field(default=None, init=False, repr=False)
    _by_form: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        forms: dict[str, str] = {}
        for p in self.pseudonyms:
            for form in (p.name, *p.variants):
                key = name_key(form)
                if key:
                    forms[key] = p.replacement
        self._by_form = forms
        self._replacements = {name_key(p.replacement) for p in self.pseudonyms}
        if forms:
            # A space in a name also matches '_' or '-' (file-derived names: po_leraar_de_linde),
            # and '_' bounds a word like a space does.
            alternatives = "|".join(re.escape(f).replace(r"\ ", r"[\s_-]+")
                                    for f in sorted(forms, key=len, reverse=True))
            self._pattern = re.compile(rf"(?<![^\W_])({alternatives}){_ENDINGS}(?![^\W_])")
        self._fuzzy_cache: dict[str, tuple[str, int] | None] = {}
        self._reach = max((len(f) for f in forms), default=0) + 8  # a name and its ending

    def __bool__(self) -> bool:
        return bool(self._by_form)

    def apply(self, text: str) -> str:
        if not self._by_form or not text:
            return text
        return self._edited(text, self._edits(text))[0]

    def span(self, text: str, start: int, end: int) -> str:
        """`text[start:end]` pseudonymised as it stands in `text`: a name that crosses the span's
        edge, or a turn boundary inside it ("Sanne de" | "Vries"), is caught and replaced whole."""
        if not self._by_form:
            return text[start:end]
        reach = self._reach
        low, high = max(0, start - reach), min(len(text), end + reach)
        window = text[low:high]
        edits = self._edits(window)
        new, moved = self._edited(window, edits)
        return new[moved(start - low, False):moved(end - low, True)]

    def speech(self, text: str, labels: Iterable[tuple[int, int]]) -> Callable[[int, int], str]:
        """`span` over a transcript's words as spoken: each turn's speaker label (`labels`:
        (start, content start) per turn) taken out, so that a name one speaker's turn ends on and
        the next turn goes on with ("Sanne de" | "Leraar: Vries") is one name. Returns
        `cut(start, end)`, offsets into `text`."""
        pieces, starts, removed, last, gone = [], [], [], 0, 0
        for start, content_start in sorted(labels):
            if content_start > start >= last:
                pieces.append(text[last:start])
                gone += content_start - start
                starts.append(start)
                removed.append(gone)
                last = content_start
        pieces.append(text[last:])
        spoken = "".join(pieces)

        def at(offset: int) -> int:
            i = bisect.bisect_right(starts, offset) - 1
            return offset if i < 0 else max(starts[i] - (removed[i - 1] if i else 0), offset - removed[i])

        return lambda start, end: self.span(spoken, at(start), at(end))

    @staticmethod
    def _edited(text: str, edits: list[tuple[int, int, str]]):
        """The text with the edits made, and where an offset of `text` went (an offset inside an
        edit goes to its start, or with `at_end` to its end: the replacement is kept whole)."""
        pieces, last, starts, spans = [], 0, [], []
        shift = 0
        for start, end, replacement in edits:
            pieces += [text[last:start], replacement]
            spans.append((start, end, start + shift, start + shift + len(replacement)))
            starts.append(start)
            shift += len(replacement) - (end - start)
            last = end
        pieces.append(text[last:])

        def moved(offset: int, at_end: bool) -> int:
            i = bisect.bisect_right(starts, offset) - 1
            if i < 0:
                return offset
            start, end, new_start, new_end = spans[i]
            if start < offset < end:
                return new_end if at_end else new_start
            return new_start if offset == start else offset + new_end - end
        return "".join(pieces), moved

    def _edits(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, replacement) for each listed name, variant, misspelling or compound in
        `text`, in order, none overlapping."""
        folded, origin = _folded(text)
        edits = []
        for match in self._pattern.finditer(folded):
            start, stem_end, end = (origin[i] if origin else i for i in (match.start(), match.end(1) - 1, match.end() - 1))
            stem_end, end = stem_end + 1, end + 1
            stem = text[start:stem_end]
            replacement = self._by_form[" ".join(re.split(r"[\s_-]+", match.group(1)))]
            if "_" in stem:  # keep a file-derived name's style: de_linde -> school_a
                replacement = replacement.replace(" ", "_")
            edits.append((start, stem_end, _cased(replacement, stem)))
        taken = [(s, e) for s, e, _ in edits]
        for match in _WORD.finditer(text):
            if any(s < match.end() and match.start() < e for s, e in taken):
                continue
            found = self._misspelt(match.group(0))
            if found:
                replacement, length = found
                edits.append((match.start(), match.start() + length, replacement))
        return sorted(edits)

    def _misspelt(self, word: str) -> tuple[str, int] | None:
        """(the cased replacement, characters of `word` it replaces) for a misspelt listed name,
        or a compound that opens with one (Sannemoeder -> Lotte|moeder)."""
        if not word[:1].isupper():
            return None
        key = fold(word)
        if len(key) < FUZZY_MIN_LENGTH - 1:
            return None
        if key not in self._fuzzy_cache:
            self._fuzzy_cache[key] = self._near(key, word)
        found = self._fuzzy_cache[key]
        return (_cased(found[0], word[:found[1]]), found[1]) if found else None

    def _near(self, key: str, word: str) -> tuple[str, int] | None:
        """(replacement, characters of `word` it replaces) for a misspelt listed name or a
        compound that opens with one; None for an ordinary word."""
        from rapidfuzz import fuzz
        from rapidfuzz.distance import OSA

        if key in self._replacements or key in self._by_form:
            return None
        for form, replacement in self._by_form.items():
            if len(form) < FUZZY_MIN_LENGTH - 1:
                continue
            near = (len(form) >= FUZZY_MIN_LENGTH and OSA.distance(key, form, score_cutoff=1) <= 1
                    or fuzz.ratio(key, form) >= FUZZY_THRESHOLD)
            if near and not self.ordinary(word.lower()):
                return replacement, len(word)
            tail = key[len(form):]
            if (key.startswith(form) and len(tail) >= COMPOUND_MIN_TAIL and tail.isalpha()
                    and len(word) == len(key) and self.ordinary(tail) and not self.ordinary(word.lower())):
                return replacement, len(form)
        return None

    def leaks(self, texts: Iterable[str]) -> list[str]:
        """Listed names and variants still standing as whole words in texts that were pseudonymised."""
        names = [name.strip() for p in self.pseudonyms for name in (p.name, *p.variants) if name_key(name)]
        patterns = {name: re.compile(rf"(?<!\w){re.escape(name_key(name))}(?!\w)") for name in names}
        found: set[str] = set()
        for joined in _batches(texts):
            joined = fold(joined)
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


def texts_in_file(path: Path, fmt: str) -> Iterator[str]:
    """Every text a written file holds, read back as a reader of it would see it: the cells of a
    workbook, the paragraphs and tables of a Word file, the whole of a text file (HTML unescaped)."""
    import html

    if fmt == "xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True)
        try:
            for sheet in book.worksheets:
                yield sheet.title
                for row in sheet.iter_rows(values_only=True):
                    yield from (str(v) for v in row if v is not None)
        finally:
            book.close()
    elif fmt == "docx":
        from docx import Document

        document = Document(str(path))
        yield from (p.text for p in document.paragraphs)
        for table in document.tables:
            yield from (cell.text for row in table.rows for cell in row.cells)
        yield from (p.text for s in document.sections for p in (*s.header.paragraphs, *s.footer.paragraphs))
        yield document.core_properties.title or ""
    else:
        text = Path(path).read_text(encoding="utf-8-sig", errors="replace")
        yield from (html.unescape(line) if fmt == "html" else line for line in text.split("\n"))


def _batches(texts: Iterable[str], size: int = 2000) -> Iterator[str]:
    """The texts joined by newlines a few thousand at a time: the regexes above never match across a
    newline, so a batch finds what the whole would, and memory stays that of one batch."""
    texts = iter(texts)
    while batch := list(itertools.islice(texts, size)):
        yield "\n".join(batch)


def read_pseudonym_file(path: Path) -> list[Pseudonym]:
    """YAML: `Sanne: Lotte`, or `Sanne: {replacement: Lotte, variants: [Sannetje, Saan]}`."""
    from jhs_qual.files import read_bytes
    from jhs_qual.yamlfile import parse_yaml

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
            unknown = sorted(str(k) for k in value if k not in ("replacement", "variants"))
            if unknown:
                raise BadInput(f"unknown field '{unknown[0]}'", file=path, line=value.lines.get(unknown[0], line),
                               field=str(name), hint="a name takes 'replacement' and 'variants'")
            variants = value.get("variants") or []
            if not isinstance(variants, list) or not all(isinstance(v, str) for v in variants):
                raise BadInput("variants must be a list of names", file=path, line=line, field=str(name))
            result.append(Pseudonym(str(name), value["replacement"], tuple(variants)))
        else:
            raise BadInput("give a replacement: 'name: replacement' or 'name: {replacement: ...}'",
                           file=path, line=line, field=str(name))
    check_list(result, file=path)
    return result
