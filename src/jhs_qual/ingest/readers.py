"""One reader per format: bytes on disk -> `ParsedTranscript`.

Plain text and Word go through the same line parser (`turns.lines_to_segments`);
subtitle files already have cues with times, and only need their speakers
found and consecutive cues by one speaker merged.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path

from jhs_qual.domain import ParsedTranscript
from jhs_qual.errors import BadInput
from jhs_qual.files import read_bytes
from jhs_qual.limits import load_json, seconds
from jhs_qual.ingest.decode import clean_text, decode_bytes
from jhs_qual.ingest.frontmatter import split_front_matter
from jhs_qual.ingest.turns import (
    RawLine,
    Segment,
    accept_label,
    is_timestamp,
    label_counts,
    lines_to_segments,
    match_label,
    normalise_label,
    parse_timestamp,
    plain_turns,
    render,
)

SUPPORTED = {".txt": "txt", ".md": "md", ".docx": "docx", ".vtt": "vtt", ".srt": "srt", ".json": "json",
             ".tsv": "tsv"}
# Without any speaker in a subtitle file, a pause this long starts a new turn.
_SUBTITLE_PAUSE_SECONDS = 1.5


MAX_DOCX_UNPACKED = 128 * 1024 * 1024  # zip bombs: a docx transcript unpacks to a few MiB


def read_transcript(path: Path) -> ParsedTranscript:
    fmt = SUPPORTED.get(path.suffix.lower())
    if fmt is None:
        raise BadInput(
            f"unsupported file type '{path.suffix}'",
            file=path,
            hint="import .txt, .md, .docx, .vtt, .srt, .json or .tsv",
        )
    data = read_bytes(path)
    parsed = _parse(data, path, fmt)
    parsed.source_sha256 = hashlib.sha256(data).hexdigest()
    return parsed


def _parse(data: bytes, path: Path, fmt: str) -> ParsedTranscript:
    if not data.strip():
        raise BadInput("empty file: no text to import", file=path)
    if fmt == "docx":
        return _without_controls(_read_docx(data, path), path)
    text, warnings = decode_bytes(data, path)
    if fmt in ("txt", "md"):
        parsed = _read_lines(text.split("\n"), path, fmt)
    elif fmt == "json":
        parsed = ParsedTranscript(*render(_whisper_json_segments(text, path)), format=fmt)
    elif fmt == "tsv":
        parsed = ParsedTranscript(*render(_whisper_tsv_segments(text, path)), format=fmt)
    elif fmt == "vtt":
        parsed = ParsedTranscript(*render(_vtt_segments(text, path)), format=fmt)
    else:
        parsed = ParsedTranscript(*render(_srt_segments(text, path)), format=fmt)
    parsed.warnings[:0] = warnings
    _require_turns(parsed, path)
    _note_unlabelled(parsed)
    # The decoded text had its control characters replaced; escapes in JSON may make new ones.
    return _without_controls(parsed, path) if fmt == "json" else parsed


def _without_controls(parsed: ParsedTranscript, path: Path) -> ParsedTranscript:
    """Control characters (NUL, ESC, BEL, ...) and what XML cannot carry become U+FFFD, one for
    one, so offsets hold; a warning names the lines of the stored text. (A text file had this
    done as it was decoded; a Word file's text, and escapes in JSON, get it here.)"""
    parsed.text, notes = clean_text(parsed.text, separators=False)
    parsed.warnings += notes
    return parsed


def _read_lines(lines: list[str], path: Path, fmt: str) -> ParsedTranscript:
    attributes, skip = split_front_matter(lines, path)
    notes: list[str] = []
    text, turns = plain_turns(lines[skip:]) or render(
        lines_to_segments([RawLine(line) for line in lines[skip:]], notes, first_line=skip + 1, path=path))
    return ParsedTranscript(text, turns, format=fmt, attributes=attributes, warnings=notes)


def _note_unlabelled(parsed: ParsedTranscript) -> None:
    if len(parsed.turns) == 1 and not parsed.turns[0].speaker and len(parsed.text) > 200:
        parsed.warnings.append("no speaker labels found: the whole file is one turn; label the turns "
                               "('Interviewer: ...', 'Leraar: ...') or check it with 'jhs-qual import --dry-run'")


def _require_turns(parsed: ParsedTranscript, path: Path) -> None:
    if not parsed.turns or not parsed.text.strip():
        raise BadInput("no transcript text found", file=path)


# --- Word -------------------------------------------------------------------

def _read_docx(data: bytes, path: Path) -> ParsedTranscript:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise BadInput(
            "not a Word .docx file (not a zip archive)",
            file=path,
            hint="an old .doc or a renamed file? Save it from Word as .docx",
        )
    import docx  # python-docx: imported here, it costs ~60 ms
    from docx.table import Table

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        unpacked = sum(e.file_size for e in archive.infolist())
    if unpacked > MAX_DOCX_UNPACKED:
        raise BadInput(f"the Word file unpacks to {unpacked // (1024 * 1024)} MiB (at most "
                       f"{MAX_DOCX_UNPACKED // (1024 * 1024)} MiB)", file=path,
                       hint="a transcript is far smaller: is this the right file?")
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = list(document.iter_inner_content())
    except Exception as error:  # python-docx and lxml raise many kinds on a damaged file
        first = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise BadInput(f"not a readable Word document ({first})", file=path,
                       hint="open it in Word and save it again as .docx") from None

    leading = []
    for block in blocks:
        if isinstance(block, Table):
            break
        leading.append(block.text)
    # Front matter in Word: one paragraph per line; errors count paragraphs.
    attributes, skip = split_front_matter(leading, path)
    lines: list[RawLine] = []
    for block in blocks[skip:]:
        if isinstance(block, Table):
            lines.extend(_table_lines(block))
        else:
            lines.extend(_paragraph_lines(block))
            lines.append(RawLine(""))  # a Word paragraph ends a paragraph
    text, turns = render(lines_to_segments(lines, path=path))
    parsed = ParsedTranscript(text, turns, format="docx", attributes=attributes)
    _require_turns(parsed, path)
    _note_unlabelled(parsed)
    return parsed


def _paragraph_lines(paragraph) -> list[RawLine]:
    """A paragraph's lines; a bold run at its start that reads as a label is the speaker."""
    text = paragraph.text
    bold = ""
    for run in paragraph.runs:
        if run.bold and run.text:
            bold += run.text
        elif run.text.strip():
            break
        else:
            bold += run.text
    label = bold.strip().rstrip(":").strip()
    rest = text[len(bold):] if text.startswith(bold) else None
    has_colon = bold.strip().endswith(":") or (rest or "").lstrip().startswith(":")
    if label and rest is not None and (has_colon or rest.strip()):
        # Parsed as "label: words" so that "Interviewer (00:01:02)" gives its time too.
        m = match_label(label + ": x")
        if m is not None and m.label is not None and m.rest == "x":
            rest = rest.lstrip().removeprefix(":").strip()
            return [RawLine(rest, speaker=m.label, ts=m.ts)]
    return [RawLine(line) for line in text.split("\n")]


def _table_lines(table) -> list[RawLine]:
    """A transcript laid out as a table: [timestamp,] speaker, words."""
    lines: list[RawLine] = []
    for row in table.rows:
        cells = [cell.text.strip() for cell in row.cells]
        if len(cells) < 2:
            lines.extend(RawLine(c) for c in cells)
            continue
        ts = None
        if is_timestamp(cells[0]):
            ts = parse_timestamp(cells[0])
            cells = cells[1:]
        speaker, words = cells[0].rstrip(":").strip(), " ".join(cells[1:])
        if speaker and len(speaker) <= 40:
            lines.append(RawLine(words, speaker=speaker, ts=ts))
        else:
            lines.append(RawLine(" ".join(cells)))
        lines.append(RawLine(""))
    return lines


# --- Subtitles ----------------------------------------------------------------

_VOICE_TAG = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>")


def _vtt_segments(text: str, path: Path) -> list[Segment]:
    import webvtt
    from webvtt.errors import MalformedFileError

    try:
        captions = webvtt.from_buffer(io.StringIO(text)).captions
    except MalformedFileError as error:
        raise BadInput(
            f"not a valid WebVTT file ({error})",
            file=path,
            hint="the file must start with 'WEBVTT' and hold timed cues",
        ) from None
    cues = []
    for number, caption in enumerate(captions, start=1):
        voices = _VOICE_TAG.findall(caption.raw_text)
        speaker = voices[0].strip() if voices else None
        try:
            start, end = parse_timestamp(caption.start), parse_timestamp(caption.end)
        except ValueError as error:
            raise BadInput(str(error), file=path, field=f"cue {number}") from None
        cues.append((seconds(start, file=path, field=f"cue {number}"), seconds(end, file=path, field=f"cue {number}"),
                     speaker, caption.text))
    return _merge_cues(cues)


def _srt_segments(text: str, path: Path) -> list[Segment]:
    import srt

    try:
        subtitles = list(srt.parse(text))
    except srt.SRTParseError as error:
        line = text[: error.expected_start].count("\n") + 1
        raise BadInput(
            "not a valid SRT file (expected a cue number and a time line)",
            file=path,
            line=line,
        ) from None
    cues = [
        (seconds(s.start.total_seconds(), file=path, field=f"cue {s.index}"),
         seconds(s.end.total_seconds(), file=path, field=f"cue {s.index}"), None, _strip_tags(s.content))
        for s in subtitles
    ]
    return _merge_cues(cues)


def _strip_tags(text: str) -> str:
    voice = _VOICE_TAG.search(text)
    cleaned = re.sub(r"</?[^>]+>", "", text)
    return f"{voice.group(1).strip()}: {cleaned}" if voice else cleaned


def _whisper_json_segments(text: str, path: Path) -> list[Segment]:
    """Whisper's JSON (`{"segments": [{"start", "end", "text"}]}`), or WhisperX's with a
    `speaker` per segment (SPEAKER_00 ...): segments by one speaker make one turn."""
    data = load_json(text, file=path)
    segments = data.get("segments") if isinstance(data, dict) else data
    if not isinstance(segments, list) or not all(isinstance(s, dict) for s in segments):
        raise BadInput("not a Whisper transcript: no list of segments", file=path, field="segments",
                       hint="export JSON from Whisper or WhisperX (segments with start, end and text)")
    cues = []
    for number, segment in enumerate(segments, start=1):
        words = segment.get("text")
        start, end = segment.get("start"), segment.get("end")
        if not isinstance(words, str) or not isinstance(start, (int, float)) or not isinstance(end, (int, float)):
            raise BadInput(f"segment {number} lacks text, start or end", file=path, field="segments")
        speaker = segment.get("speaker")
        where = f"segments[{number - 1}]"
        start, end = seconds(start, file=path, field=f"{where}.start"), seconds(end, file=path, field=f"{where}.end")
        cues.append((start, end, str(speaker) if speaker else None, words.strip()))
    return _merge_cues(cues)


def _whisper_tsv_segments(text: str, path: Path) -> list[Segment]:
    """Whisper's TSV: `start`, `end` (milliseconds) and `text` per line, after a header."""
    cues = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip() or (number == 1 and line.lower().startswith("start")):
            continue
        cells = line.split("\t")
        try:
            if not (cells[0].isascii() and cells[1].isascii()):
                raise ValueError  # int() reads other scripts' digits too
            start, end, words = int(cells[0]) / 1000, int(cells[1]) / 1000, "\t".join(cells[2:])
        except (IndexError, ValueError):
            raise BadInput("not a Whisper TSV line (start, end in milliseconds, text)", file=path,
                           line=number) from None
        start, end = seconds(start, file=path, line=number), seconds(end, file=path, line=number)
        cues.append((start, end, None, words.strip()))
    return _merge_cues(cues)


def _merge_cues(cues) -> list[Segment]:
    """Consecutive cues by one speaker make one turn; the cue times are its time."""
    texts = [" ".join(words.split()) for _, _, _, words in cues]
    matches = [match_label(words) if speaker is None else None
               for (_, _, speaker, _), words in zip(cues, texts)]
    counts = label_counts(matches)
    resolved = []
    for (start, end, speaker, _), words, m in zip(cues, texts, matches):
        # Each cue opens a paragraph, so a capitalised one-off label counts.
        if m is not None and m.label is not None and accept_label(m, counts, True):
            speaker, words = m.label, m.rest
        resolved.append((start, end, normalise_label(speaker) if speaker else None, words))
    any_speaker = any(speaker for _, _, speaker, _ in resolved)
    segments: list[Segment] = []
    for start, end, speaker, words in resolved:
        if not words:
            continue
        current = segments[-1] if segments else None
        if current is None:
            continues = False
        elif speaker is not None:
            continues = speaker == current.speaker
        elif any_speaker:
            continues = True  # an unlabelled cue goes on with the last speaker
        else:
            continues = start - (current.ts_end or start) < _SUBTITLE_PAUSE_SECONDS
        if continues:
            current.paragraphs[-1] += " " + words
            current.ts_end = end
        else:
            segments.append(Segment(speaker=speaker, ts_start=start, ts_end=end, paragraphs=[words]))
    return segments
