"""The data model: transcripts as immutable text with turns, codebooks, codings.

Offsets everywhere are Unicode code-point offsets into the stored text
(Python `str` indices; SQLite's `substr` on TEXT counts the same way), with
`end` exclusive, as REFI-QDA prescribes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ORIGINS = ("manual", "suggested", "auto")


@dataclass(frozen=True)
class Turn:
    """One speaker turn. `start`/`end` cover the whole turn in the text;
    `content_start` is where the spoken words begin (after any label)."""

    index: int  # 0-based position; shown to users as index + 1
    speaker: str | None
    start: int
    content_start: int
    end: int
    ts_start: float | None = None  # seconds into the recording
    ts_end: float | None = None


@dataclass
class ParsedTranscript:
    """What a reader makes of one file, before it is stored."""

    text: str
    turns: list[Turn]
    format: str
    attributes: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

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

    def code(self, code_id: str) -> Code | None:
        return next((c for c in self.codes if c.id == code_id), None)


@dataclass(frozen=True)
class Coding:
    """A stored coding as the analysis layer sees it: who applied which code where."""

    id: int
    transcript_id: int
    code: str  # "codebook/id"
    coder: str
    start: int
    end: int
    memo: str = ""
