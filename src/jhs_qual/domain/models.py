"""The data model: transcripts as immutable text with turns, codebooks, codings.

Offsets everywhere are Unicode code-point offsets into the stored text
(Python `str` indices; SQLite's `substr` on TEXT counts the same way), with
`end` exclusive, as REFI-QDA prescribes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

ORIGINS = ("manual", "suggested", "auto")


def heading_turns(speakers: Sequence[str | None]) -> int:
    """How many turns open a transcript as its heading: those without a speaker before the first
    turn with one (a Word title, a header block). A transcript without any speaker label has none."""
    return next((i for i, speaker in enumerate(speakers) if speaker), 0)


def not_answers(speakers: Sequence[str | None], is_interviewer: Callable[[str | None], bool]) -> list[bool]:
    """Per turn: is it no answer? The interviewer's turns, and the heading (heading_turns)."""
    first = heading_turns(speakers)
    asks = {speaker: is_interviewer(speaker) for speaker in set(speakers)}  # a handful of speakers, 1000s of turns
    return [i < first or asks[speaker] for i, speaker in enumerate(speakers)]


def question_before(interviewer: Sequence[bool], index: int) -> int | None:
    """The turn an answer answers: the nearest interviewer turn before turn `index`
    (0-based; `interviewer[i]`: is turn i the interviewer's), or None."""
    return next((i for i in range(index - 1, -1, -1) if interviewer[i]), None)


def previous_codes(codes_of: Callable[[int], set[str]], interviewer: Sequence[bool],
                   index: int) -> frozenset[str] | None:
    """The codes a coder gave the last coded answer before turn `index` (None: no answer before it
    is coded); `codes_of(i)`: the coder's codes on turn i (asked only back to the nearest coded one)."""
    for i in range(index - 1, -1, -1):
        if not interviewer[i] and (codes := codes_of(i)):
            return frozenset(codes)
    return None


class Turn(NamedTuple):
    """One speaker turn. `start`/`end` cover the whole turn in the text;
    `content_start` is where the spoken words begin (after any label). A tuple: an import makes
    hundreds of thousands, and a frozen dataclass costs three times as much to make."""

    index: int  # 0-based position; shown to users as index + 1
    speaker: str | None
    start: int
    content_start: int
    end: int
    ts_start: float | None = None  # seconds into the recording
    ts_end: float | None = None

    def row(self) -> tuple:
        """(index, speaker, start, content_start, end, ts_start, ts_end): as stored, and as a
        worker process hands a parsed file over (plain tuples cost a fifth to send)."""
        return tuple(self)


@dataclass
class ParsedTranscript:
    """What a reader makes of one file, before it is stored."""

    text: str
    turns: list[Turn]
    format: str
    attributes: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    source_sha256: str = ""  # of the file's bytes as read

    @property
    def speakers(self) -> list[str]:
        seen: dict[str, None] = {}
        for turn in self.turns:
            if turn.speaker:
                seen.setdefault(turn.speaker, None)
        return list(seen)


@dataclass
class Code:
    id: str
    label_nl: str
    label_en: str
    definition: str = ""
    use_when: str = ""
    do_not_use_when: str = ""
    keywords: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    example: str = ""
    colour: str = ""
    key: str = ""
    parent: str | None = None
    codable: bool = True  # False: a folder that holds codes (REFI's isCodable="false"), never applied itself
    line: int | None = None  # where the code starts in its YAML file

    def ref(self, codebook_id: str) -> str:
        return f"{codebook_id}/{self.id}"


@dataclass
class Codebook:
    id: str
    title: str
    language: str
    codes: list[Code]
    description: str = ""
    source: str = ""  # file name it was read from
    sha256: str = ""  # of the YAML bytes
    yaml_text: str = ""
    applies_to: dict[str, tuple[str, ...]] = field(default_factory=dict)  # {} = every transcript

    def code(self, code_id: str) -> Code | None:
        return next((c for c in self.codes if c.id == code_id), None)


@dataclass(frozen=True, slots=True)
class Coding:
    """A stored coding as the analysis layer sees it: who applied which code where."""

    id: int
    transcript_id: int
    code: str  # "codebook/id"
    coder: str
    start: int
    end: int
    memo: str = ""


def applies(scope: dict[str, tuple[str, ...]] | None, attributes: dict[str, str]) -> bool:
    """Does a codebook with this scope apply to a transcript with these attributes?

    Every attribute the scope names must hold one of its values (compared
    without case). A transcript that lacks the attribute is not excluded by
    it: what is not known about a transcript never hides codes from it."""
    for key, values in (scope or {}).items():
        value = attributes.get(key)
        if value is not None and value.strip().lower() not in {v.lower() for v in values}:
            return False
    return True


def disjoint(a: dict[str, tuple[str, ...]], b: dict[str, tuple[str, ...]]) -> bool:
    """Can no transcript be in both scopes? Only when both name an attribute
    with value lists that share no value (a transcript without the attribute
    would be in both, but then neither can claim it; see `applies`)."""
    return any(key in b and not {v.lower() for v in a[key]} & {v.lower() for v in b[key]} for key in a)
