"""Speaker turns: recognising labels and timestamps, and rendering the stored text.

Every reader (txt, docx, vtt, srt) ends in `render()`: a list of segments
(speaker, timestamps, paragraphs) becomes the transcript's immutable text, one
turn per block, `[00:12:31] Speaker: words`, blocks separated by a blank line,
with each turn's offsets into that text.

Plain-text transcripts come in many shapes (`Interviewer:`, `I:`,
`Leerling 2:`, `Max Bigman:` followed by a run of spaces, `[id1] text`,
upper-case or bold labels, hard-wrapped lines). A line that merely contains a
colon must not become a speaker, so a candidate label is accepted only when it
is a known label, recurs in the file, or opens a paragraph with a capital.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import NamedTuple

from jhs_qual.domain import Turn
from jhs_qual.errors import BadInput

# 00:12:31, 12:31, 0:12:31.500, 00:12:31,5
_TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_TS_ANY = rf"(?:\[{_TS}\]|\({_TS}\)|{_TS})"
_WORD = r"[^\W_][\w'’.\-]*"
# First word starts with a letter ("Leerling 2" yes, "12" no), at most four words.
_LABEL = rf"[^\W\d_][\w'’.\-]*(?:[ ]{_WORD}){{0,3}}"

# [ts] Label (ts): rest    |    Label: rest    |    **Label:** rest
_COLON_LABEL = re.compile(
    rf"^(?P<ts1>{_TS_ANY})?[ \t]*(?:-[ \t]*)?"
    rf"(?:\*\*|__)?(?P<label>{_LABEL})[ \t]*(?P<ts2>{_TS_ANY})?[ \t]*(?:\*\*|__)?"
    rf":(?:\*\*|__)?(?:[ \t]+(?P<rest>.*)|$)"
)
# [id1] rest  (QualCoder style)
_BRACKET_LABEL = re.compile(r"^\[(?P<label>[^\W\d_][\w\-]{0,20})\][ \t]+(?P<rest>\S.*)$")
# Label 00:12:31   (a heading line; the words follow on the next lines)
_HEADING_LABEL = re.compile(rf"^(?P<label>{_LABEL})[ \t]+(?P<ts2>{_TS_ANY})[ \t]*$")
# [00:12:31] rest, with no label
_LEADING_TS = re.compile(rf"^(?P<ts1>\[{_TS}\]|\({_TS}\)|{_TS}(?=[ \t]))[ \t]*(?P<rest>.*)$")

_KNOWN = (
    "interviewer|interviewster|interviewers|int|i|r|onderzoeker|respondent|geïnterviewde|"
    "leraar|lerares|leerkracht|mentor|docent|docente|juf|meester|"
    "jeugdhulpverlener|jhv|hulpverlener|jeugdwerker|jongerenwerker|"
    "leerling|leerlingen|jongen|meisje|klasgenoot|klasgenootje|kind|allen|iedereen|"
    "spreker|speaker|teacher|pupil|student|youth worker|participant|moderator"
)
_KNOWN_LABEL = re.compile(rf"^(?:{_KNOWN})(?:[ ]?\d{{1,2}}|[ ][A-Z])?$", re.IGNORECASE)
# Bracketed words that are redaction or transcription marks, never speakers.
_NOT_SPEAKERS = {
    "naam", "name", "school", "plaats", "stad", "leerling", "inaudible", "onverstaanbaar",
    "lacht", "laughs", "laughter", "stilte", "pauze", "crosstalk", "redacted", "unclear",
}
_MAX_LABEL_CHARS = 40
# f4transkript's time mark at the end of a paragraph: #00:01:23-4# (tenths after the dash)
_F4_TIME = re.compile(r"\s*#(\d{1,2}:\d{2}:\d{2})(?:-(\d))?#\s*")


@dataclass
class RawLine:
    """One line of a plain-text or Word transcript. A blank `text` marks a
    paragraph break. `speaker`/`ts` are set when the format already says them
    (a bold run or a table cell in Word)."""

    text: str
    speaker: str | None = None
    ts: float | None = None


@dataclass(slots=True)  # one per turn of every transcript read
class Segment:
    speaker: str | None
    ts_start: float | None = None
    ts_end: float | None = None
    paragraphs: list[str] = field(default_factory=list)


class LabelMatch(NamedTuple):  # a tuple: made for every line of every transcript
    label: str | None
    ts: float | None
    rest: str
    strict: bool = False  # a form that needs a known or recurring label


def parse_timestamp(value: str | None) -> float | None:
    """`[00:12:31]`, `(12:31)`, `0:12:31.5` -> seconds."""
    if not value:
        return None
    value = value.strip("[]()").replace(",", ".")
    parts = value.split(":")
    seconds = float(parts[-1])
    minutes = int(parts[-2])
    hours = int(parts[-3]) if len(parts) == 3 else 0
    if seconds >= 60 or (len(parts) == 3 and minutes >= 60):
        raise ValueError(f"'{value}' is not a time: minutes and seconds run to 59")
    return hours * 3600 + minutes * 60 + seconds


def format_timestamp(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


@functools.lru_cache(maxsize=4096)  # a transcript repeats a handful of labels thousands of times
def normalise_label(label: str) -> str:
    """`INTERVIEWER` -> `Interviewer`, `LEERLING 2` -> `Leerling 2`; `JHV`, `I` stay."""
    label = " ".join(label.split())
    letters = [c for c in label if c.isalpha()]
    if len(letters) > 3 and all(c.isupper() for c in letters) and "_" not in label:  # SPEAKER_00 stays
        return " ".join(word.capitalize() for word in label.split(" "))
    return label


@functools.lru_cache(maxsize=4096)
def is_known_label(label: str) -> bool:
    return bool(_KNOWN_LABEL.match(label))


def match_label(line: str) -> LabelMatch | None:
    """A candidate speaker label and/or leading timestamp at the start of `line`."""
    if ":" not in line and "[" not in line:  # every label and timestamp has one of these
        return None
    stripped = line.strip()
    m = _COLON_LABEL.match(stripped)
    if m:
        label, ts1, ts2, rest = m.group("label", "ts1", "ts2", "rest")
        if len(label) <= _MAX_LABEL_CHARS:
            return LabelMatch(label, parse_timestamp(ts1 or ts2) if ts1 or ts2 else None,
                              rest.strip() if rest else "")
    m = _BRACKET_LABEL.match(stripped)
    if m and m["label"].lower() not in _NOT_SPEAKERS:
        return LabelMatch(m["label"], None, m["rest"].strip(), strict=True)
    m = _HEADING_LABEL.match(stripped)
    if m:
        return LabelMatch(m["label"], parse_timestamp(m["ts2"]), "", strict=True)
    m = _LEADING_TS.match(stripped)
    if m:
        return LabelMatch(None, parse_timestamp(m["ts1"]), m["rest"].strip())
    return None


def _label_or_words(line: str) -> LabelMatch | None:
    """match_label, with a time that is not one read as words (None)."""
    try:
        return match_label(line)
    except ValueError:
        return None


def is_timestamp(text: str) -> bool:
    """`00:12:31`, `[00:12:31]` or `(12:31)` and nothing else."""
    return bool(re.fullmatch(_TS_ANY, text))


LABELLED_SHARE = 0.6  # at least this share of a file's lines open with "Label:": every such line is a turn


def lines_to_segments(lines: list[RawLine], notes: list[str] | None = None, first_line: int = 1,
                      path: Path | None = None) -> list[Segment]:
    """Group lines into speaker turns.

    A non-blank line either starts a turn (accepted label, leading timestamp,
    or a speaker the format supplied) or continues the current one: lines
    within a paragraph are joined by a space, paragraphs by a newline.

    When most lines open with a label (a transcript with a turn per line, as
    group interviews are typed), every label counts, also a pupil's name that
    occurs once. Otherwise a one-off label needs a paragraph of its own; the
    labels that were not taken are listed in `notes`, with their lines.
    """
    def label_at(text: str, number: int) -> LabelMatch | None:
        try:
            return match_label(text)
        except ValueError as error:
            raise BadInput(str(error), file=path, line=number, hint="correct the time") from None

    try:  # every line at once; a time that is not one is found again with its line number
        matches = [None if line.speaker or not line.text.strip() else match_label(line.text) for line in lines]
    except ValueError:
        matches = [None if line.speaker or not line.text.strip() else label_at(line.text, number)
                   for number, line in enumerate(lines, start=first_line)]
    counts = label_counts(matches)
    filled = sum(1 for line in lines if line.text.strip() and line.speaker is None)
    labelled = sum(1 for m in matches if m is not None and m.label and not m.strict)
    one_per_line = filled >= 4 and labelled >= LABELLED_SHARE * filled
    refused: list[tuple[int, str]] = []
    previous = ""  # the line before, to tell a hard-wrapped sentence from a new turn
    last_mark = None  # the last f4 time mark: where the next turn starts
    segments: list[Segment] = []
    current: Segment | None = None
    paragraph: list[str] = []
    at_paragraph_start = True

    def flush_paragraph() -> None:
        if paragraph and current is not None:
            current.paragraphs.append(paragraph[0] if len(paragraph) == 1 else " ".join(paragraph))
        paragraph.clear()

    for number, (line, m) in enumerate(zip(lines, matches), start=first_line):
        text = line.text.strip()
        if "  " in text or not text.isprintable():  # else splitting and joining changes nothing
            text = " ".join(text.split())
        f4 = _F4_TIME.search(text) if "#" in text else None
        if f4:  # f4transkript's time marks: when a paragraph ends (and so the next one starts)
            text = _F4_TIME.sub(" ", text).strip()
            if m is not None:
                m = label_at(text, number)
        if not text and line.speaker is None:
            flush_paragraph()
            at_paragraph_start = True
            continue
        starts_turn = False
        speaker = None
        ts = line.ts
        rest = text
        if line.speaker is not None:
            starts_turn, speaker = True, normalise_label(line.speaker)
        elif m is not None and m.label is not None and (
                accept_label(m, counts, at_paragraph_start)
                or (one_per_line and _name_like(m) and _ends_sentence(previous))):
            starts_turn, speaker, ts, rest = True, normalise_label(m.label), m.ts, m.rest
        elif m is not None and m.label is not None:
            refused.append((number, m.label))
        elif m is not None and m.label is None:
            # A timestamp alone opens a new turn by the same speaker.
            starts_turn, ts, rest = True, m.ts, m.rest
            speaker = current.speaker if current else None
        if starts_turn or current is None:
            flush_paragraph()
            current = Segment(speaker=speaker, ts_start=ts if ts is not None else last_mark)
            segments.append(current)
        if rest:
            paragraph.append(rest)
        if f4:
            current.ts_end = last_mark = parse_timestamp(f4.group(1)) + int(f4.group(2) or 0) / 10
        at_paragraph_start = False
        previous = text
    flush_paragraph()
    if notes is not None and refused:
        shown = ", ".join(f"'{label}' (line {n})" for n, label in refused[:8])
        notes.append(f"read as words, not as speakers: {shown}{' ...' if len(refused) > 8 else ''}; "
                     "if any is a speaker, give it a line of its own ('Name: words')")
    return [s for s in segments if s.paragraphs or s.speaker]


# A line "[00:12:31] Label: words" (the time optional), with nothing the general rules would
# tidy: no leading, trailing or doubled space (the caller checks tabs and the rest).
_PLAIN_TURN = re.compile(rf"^(?:\[({_TS})\] )?({_LABEL}): (\S(?:.*\S)?)$", re.MULTILINE)


def plain_turns(lines: list[str]) -> tuple[str, list[Turn]] | None:
    """The rendered text and turns of a file in the commonest shape, or None for any other.

    The shape: every line that is not empty is a turn, "[00:12:31] Label: words" (the time
    optional), each label known or used twice, and nothing the general rules would tidy (no
    tab, run of spaces, control character or f4 time mark). Such a file is read by one regular
    expression over its whole text, under half the cost of `lines_to_segments` and `render`,
    which give the same result (tests/test_plain_turns.py checks it on generated files).
    """
    found = _plain_lines(lines, "\n".join(lines))
    if found is None:
        return None
    speaker = {label: normalise_label(label) for label in {label for _, label, _ in found}}
    prefix = {label: f"{name}: " for label, name in speaker.items()}
    prefixes = [prefix[label] if ts is None else f"[{format_timestamp(ts)}] {prefix[label]}" for ts, label, _ in found]
    blocks = [before + words for before, (_, _, words) in zip(prefixes, found)]
    starts = accumulate(map(len, blocks), lambda at, n: at + n + 2, initial=0)  # a blank line between
    turns = [Turn(index, speaker[label], at, at + len(before), at + len(block), ts)
             for index, ((ts, label, _), at, before, block) in enumerate(zip(found, starts, prefixes, blocks))]
    return "\n\n".join(blocks), turns


def _plain_lines(lines: list[str], body: str) -> list[tuple[float | None, str, str]] | None:
    """(time, label, words) of each line that is not empty, when the lines are in the shape
    `plain_turns` reads (`body`: the lines joined); else None."""
    if "  " in body or "#" in body or not all(map(str.isprintable, lines)):
        return None
    found = _PLAIN_TURN.findall(body)
    if not found or len(found) != len(lines) - lines.count(""):
        return None
    counts = Counter(label.lower() for _, label, _ in found)  # as label_counts counts them
    if any(len(label) > _MAX_LABEL_CHARS or (counts[label.lower()] < 2 and not is_known_label(label))
           for label in {label for _, label, _ in found}):
        return None
    try:  # a time that is not one: the general rules say which line
        return [(parse_timestamp(ts) if ts else None, label, words) for ts, label, words in found]
    except ValueError:
        return None


def _ends_sentence(line: str) -> bool:
    """Does the line end a sentence (so the next may open a turn), or is there none before?"""
    return not line or line.rstrip()[-1:] in ".!?…\"”’')]:"


def _name_like(m: LabelMatch) -> bool:
    """A label that can be a speaker's: a capital first letter, or a known label, and no sentence."""
    label = m.label or ""
    return not m.strict and (label[:1].isupper() or is_known_label(label)) and len(label.split()) <= 3


def label_counts(matches) -> Counter:
    return Counter(m.label.lower() for m in matches if m is not None and m.label)


def accept_label(m: LabelMatch, counts: Counter, at_paragraph_start: bool) -> bool:
    """Is this candidate a speaker? Known labels and recurring ones are; a
    one-off only when it opens a paragraph with a capital ("Automation:")."""
    label = m.label or ""
    if is_known_label(label):
        return True
    if counts[label.lower()] >= 2:
        return True
    if m.strict:
        return False
    return at_paragraph_start and label[:1].isupper()


def render(segments: list[Segment]) -> tuple[str, list[Turn]]:
    """The stored text and its turns, offsets in code points."""
    parts: list[str] = []
    turns: list[Turn] = []
    position = 0
    for segment in segments:
        prefix = ""
        if segment.ts_start is not None:
            prefix += f"[{format_timestamp(segment.ts_start)}] "
        if segment.speaker:
            prefix += f"{segment.speaker}: "
        paragraphs = segment.paragraphs
        block = prefix + (paragraphs[0] if len(paragraphs) == 1 else "\n".join(paragraphs))
        if parts:
            parts.append("\n\n")
            position += 2
        end = position + len(block)
        # (index, speaker, start, content start, end, times): positional, a tuple made for every turn
        turns.append(Turn(len(turns), segment.speaker, position, position + len(prefix), end,
                          segment.ts_start, segment.ts_end))
        parts.append(block)
        position = end
    return "".join(parts), turns


def turns_in_text(text: str) -> list[Turn]:
    """Speaker turns found in `text` as it is, without rendering it again: for
    a text whose offsets are fixed elsewhere (a REFI-QDA source). Same rules as
    `lines_to_segments`; a turn runs from its line to its last non-blank line. A line
    whose time is not one ("[00:75:00] Jan: ...") is read as words: the text is another
    tool's, not ours to refuse."""
    lines = text.split("\n")
    found = _plain_lines(lines, text)
    if found is not None:  # the commonest shape: each line that is not empty a turn, its words at its end
        placed = [(at, len(line)) for at, line in
                  zip(accumulate(map(len, lines), lambda at, n: at + n + 1, initial=0), lines) if line]
        return [Turn(index, normalise_label(label), at, at + n - len(words), at + n, ts)
                for index, ((at, n), (ts, label, words)) in enumerate(zip(placed, found))]
    matches = [_label_or_words(line) if line.strip() else None for line in lines]
    counts = label_counts(matches)
    turns: list[Turn] = []
    speaker = ts = None
    start = content_start = end = -1  # the turn being read (start -1: none yet)
    at_paragraph_start = True
    position = 0
    for line, m in zip(lines, matches):
        here = position
        position += len(line) + 1
        if m is None and not line.strip():
            at_paragraph_start = True
            continue
        begins = m is not None and (m.label is None or accept_label(m, counts, at_paragraph_start))
        if begins or start < 0:
            if end > start >= 0:
                turns.append(Turn(len(turns), speaker, start, content_start, end, ts))
            if begins and m.label:
                speaker = normalise_label(m.label)
            start, ts = here, m.ts if begins else None
            # the words after the label: a suffix of the line (which may hold them twice: "Jan: Ja")
            content_start = here + (len(line.rstrip()) - len(m.rest) if begins and m.rest else
                                    (len(line) if begins else 0))
        end = here + len(line.rstrip())
        at_paragraph_start = False
    if end > start >= 0:
        turns.append(Turn(len(turns), speaker, start, content_start, end, ts))
    return turns
