"""The formats transcripts arrive in from transcription services and tools, each from a small
fixture written here after the tool's documented layout: speakers, turns and times."""

from __future__ import annotations

import json

import pytest

from jhs_qual.ingest.readers import read_transcript

F4 = """I: Hoe gingen de lessen? #00:00:05-2#

B: Goed, we deden spelletjes. #00:00:12-8#

I: En wat vond je ervan? #00:00:15-0#

B: Leuk. #00:00:17-4#
"""
OTTER = """Interviewer  0:00
Hoe gingen de lessen?

Sanne de Vries  0:04
Goed, we deden spelletjes.

Interviewer  0:12
En wat vond je ervan?

Sanne de Vries  0:15
Leuk.
"""
ZOOM = """WEBVTT

1
00:00:00.000 --> 00:00:04.000
Interviewer: Hoe gingen de lessen?

2
00:00:04.000 --> 00:00:12.000
Sanne de Vries: Goed, we deden spelletjes.

3
00:00:12.000 --> 00:00:15.000
Interviewer: En wat vond je ervan?

4
00:00:15.000 --> 00:00:17.000
Sanne de Vries: Leuk.
"""
TEAMS = """WEBVTT

00:00:00.000 --> 00:00:04.000
<v Interviewer>Hoe gingen de lessen?</v>

00:00:04.000 --> 00:00:12.000
<v Sanne de Vries>Goed, we deden spelletjes.</v>

00:00:12.000 --> 00:00:15.000
<v Interviewer>En wat vond je ervan?</v>

00:00:15.000 --> 00:00:17.000
<v Sanne de Vries>Leuk.</v>
"""
DIARISED = """SPEAKER_00: Hoe gingen de lessen?
SPEAKER_01: Goed, we deden spelletjes.
SPEAKER_00: En wat vond je ervan?
SPEAKER_01: Leuk.
"""
WORDS = ["Hoe gingen de lessen?", "Goed, we deden spelletjes.", "En wat vond je ervan?", "Leuk."]
STARTS = [0.0, 4.0, 12.0, 15.0]


def whisperx_json(speakers: bool) -> str:
    segments = [{"start": s, "end": s + 3.5, "text": " " + w} for s, w in zip(STARTS, WORDS)]
    if speakers:
        for i, segment in enumerate(segments):
            segment["speaker"] = f"SPEAKER_0{i % 2}"
    return json.dumps({"segments": segments, "language": "nl"})


def whisper_tsv() -> str:
    return "start\tend\ttext\n" + "".join(f"{int(s * 1000)}\t{int(s * 1000) + 3500}\t{w}\n"
                                          for s, w in zip(STARTS, WORDS))


@pytest.mark.parametrize("name, content, speakers, starts", [
    ("f4.txt", F4, ["I", "B", "I", "B"], [None, 5.2, 12.8, 15.0]),
    ("otter.txt", OTTER, ["Interviewer", "Sanne de Vries"] * 2, STARTS),
    ("zoom.vtt", ZOOM, ["Interviewer", "Sanne de Vries"] * 2, STARTS),
    ("teams.vtt", TEAMS, ["Interviewer", "Sanne de Vries"] * 2, STARTS),
    ("diarised.txt", DIARISED, ["SPEAKER_00", "SPEAKER_01"] * 2, [None] * 4),
    ("whisperx.json", whisperx_json(True), ["SPEAKER_00", "SPEAKER_01"] * 2, STARTS),
], ids=["f4transkript", "Otter.ai", "Zoom", "Microsoft Teams", "diarised (SPEAKER_00)", "WhisperX JSON"])
def test_speakers_turns_and_times(tmp_path, name, content, speakers, starts):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    parsed = read_transcript(path)
    assert [t.speaker for t in parsed.turns] == speakers
    assert [parsed.text[t.content_start:t.end] for t in parsed.turns] == WORDS
    got = [None if t.ts_start is None else round(t.ts_start, 1) for t in parsed.turns]
    assert got == [None if s is None else round(s, 1) for s in starts]


@pytest.mark.parametrize("name, content", [("whisper.json", whisperx_json(False)), ("whisper.tsv", whisper_tsv())])
def test_whisper_without_speakers(tmp_path, name, content):
    """Whisper alone has no speakers: segments are turns by the pause between them (rename them afterwards)."""
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    parsed = read_transcript(path)
    assert " ".join(parsed.text[t.content_start:t.end] for t in parsed.turns).split() == " ".join(WORDS).split()
    assert parsed.turns[0].ts_start == 0.0


def test_teams_word_file(tmp_path):
    """Teams' .docx: a line 'Name   0:03' above what was said."""
    from docx import Document

    document = Document()
    for speaker, start, words in zip(["Interviewer", "Sanne de Vries"] * 2, ["0:00", "0:04", "0:12", "0:15"], WORDS):
        document.add_paragraph(f"{speaker}   {start}")
        document.add_paragraph(words)
    document.save(tmp_path / "teams.docx")
    parsed = read_transcript(tmp_path / "teams.docx")
    assert [t.speaker for t in parsed.turns] == ["Interviewer", "Sanne de Vries"] * 2
    assert [parsed.text[t.content_start:t.end] for t in parsed.turns] == WORDS
    assert [t.ts_start for t in parsed.turns] == STARTS


def test_bad_whisper_files_are_named(tmp_path):
    from jhs_qual.errors import BadInput

    (tmp_path / "x.json").write_text('{"segments": [{"start": 0}]}', encoding="utf-8")
    with pytest.raises(BadInput, match="segment 1 lacks text"):
        read_transcript(tmp_path / "x.json")
    (tmp_path / "y.tsv").write_text("start\tend\ttext\nnu\tdan\tx\n", encoding="utf-8")
    with pytest.raises(BadInput) as info:
        read_transcript(tmp_path / "y.tsv")
    assert info.value.line == 2
