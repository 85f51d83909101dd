"""Reading each format: encodings, front matter, Word, WebVTT, SRT, and the bad inputs."""

from __future__ import annotations

import docx
import pytest

from jhs_qual.errors import BadInput
from jhs_qual.ingest import read_transcript
from tests.conftest import write


def words(parsed):
    return [(t.speaker, parsed.text[t.content_start:t.end]) for t in parsed.turns]


# --- encodings --------------------------------------------------------------------

def test_utf8_with_bom(tmp_path):
    path = write(tmp_path / "a.txt", "\ufeffInterviewer: Hoe gaat het met Zoë?\nLeraar: Goed.".encode())
    parsed = read_transcript(path)
    assert parsed.text.startswith("Interviewer: Hoe gaat het met Zoë?")
    assert parsed.warnings == []


def test_utf16_with_bom(tmp_path):
    path = write(tmp_path / "a.txt", "Interviewer: Één vraag.\r\nLeraar: Ja.".encode("utf-16"))
    assert words(read_transcript(path)) == [("Interviewer", "Één vraag."), ("Leraar", "Ja.")]


def test_windows_1252_fallback_warns(tmp_path):
    path = write(tmp_path / "a.txt", "Leraar: Ik was “blij” en ’s middags café.\r\n".encode("cp1252"))
    parsed = read_transcript(path)
    assert words(parsed) == [("Leraar", "Ik was “blij” en ’s middags café.")]
    assert any("Windows-1252" in w for w in parsed.warnings)


def test_decomposed_diacritics_are_normalised(tmp_path):
    path = write(tmp_path / "a.txt", "Leraar: Zoe\u0308 en Ine\u0301s.")
    assert words(read_transcript(path)) == [("Leraar", "Zoë en Inés.")]


@pytest.mark.parametrize(
    "name, content, message, line",
    [
        ("bin.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary", None),
        ("empty.txt", b"", "empty file", None),
        ("blank.txt", b"  \n\n \t\n", "empty file", None),
        ("bad.txt", b"Leraar: ok\nLeraar: caf\x81\x8d\n", "undecodable byte 0x81", 2),
        ("a.doc", b"Leraar: hi", "unsupported file type", None),
    ],
)
def test_bad_files(tmp_path, name, content, message, line):
    path = write(tmp_path / name, content)
    with pytest.raises(BadInput) as info:
        read_transcript(path)
    assert message in info.value.message
    assert info.value.file == str(path)
    assert info.value.line == line
    assert "\n" not in info.value.one_line()


# --- front matter -------------------------------------------------------------------

def test_front_matter_attributes(tmp_path):
    path = write(tmp_path / "a.md", "---\nrole: leraar\nschool_type: PO\nwave: 2019\n---\nI: Welkom.\n")
    parsed = read_transcript(path)
    assert parsed.attributes == {"role": "leraar", "school_type": "PO", "wave": "2019"}
    assert parsed.text == "I: Welkom."


@pytest.mark.parametrize(
    "content, message, line",
    [
        ("---\nrole: [leraar\n---\nI: hoi\n", "not valid YAML", 2),
        ("---\nrole: leraar\nI: hoi\n", "never closed", 1),
        ("---\nrole:\n  - leraar\n  - mentor\n---\nI: hoi\n", "single value", 2),
        ("---\n- a\n- b\n---\nI: hoi\n", "key: value", 2),
    ],
)
def test_bad_front_matter(tmp_path, content, message, line):
    path = write(tmp_path / "a.txt", content)
    with pytest.raises(BadInput) as info:
        read_transcript(path)
    assert message in info.value.message
    assert info.value.line == line


# --- Word ----------------------------------------------------------------------------------

def _docx(path, paragraphs, table_rows=None):
    document = docx.Document()
    for paragraph in paragraphs:
        p = document.add_paragraph()
        for text, bold in paragraph:
            p.add_run(text).bold = bold
    if table_rows:
        table = document.add_table(rows=0, cols=len(table_rows[0]))
        for row in table_rows:
            cells = table.add_row().cells
            for cell, text in zip(cells, row):
                cell.text = text
    document.save(path)
    return path


def test_docx_bold_labels(tmp_path):
    path = _docx(tmp_path / "a.docx", [
        [("Interview met mentor", False)],
        [("Interviewer:", True), (" Hoe begon het?", False)],
        [("Mentor", True), (": Met een training.", False)],
        [("Daarna kwam het inloopuur.", False)],
        [("INTERVIEWER:", True), (" En nu?", False)],
        [("Mentor (00:12:31):", True), (" Nu beter.", False)],
    ])
    parsed = read_transcript(path)
    assert parsed.format == "docx"
    assert words(parsed) == [
        (None, "Interview met mentor"),
        ("Interviewer", "Hoe begon het?"),
        ("Mentor", "Met een training.\nDaarna kwam het inloopuur."),
        ("Interviewer", "En nu?"),
        ("Mentor", "Nu beter."),
    ]
    assert parsed.turns[-1].ts_start == 751.0


def test_docx_plain_text_labels_and_bold_heading_is_not_a_speaker(tmp_path):
    path = _docx(tmp_path / "a.docx", [
        [("Deel 1", True)],
        [("I: Welkom.", False)],
        [("R: Dank je.", False)],
    ])
    assert words(read_transcript(path)) == [(None, "Deel 1"), ("I", "Welkom."), ("R", "Dank je.")]


def test_docx_table_layout_and_front_matter(tmp_path):
    path = _docx(
        tmp_path / "a.docx",
        [[("---", False)], [("role: mentor", False)], [("---", False)]],
        table_rows=[["00:00:05", "Interviewer", "Hoe gaat het?"], ["00:00:09", "Mentor", "Goed."]],
    )
    parsed = read_transcript(path)
    assert parsed.attributes == {"role": "mentor"}
    assert [(t.speaker, t.ts_start) for t in parsed.turns] == [("Interviewer", 5.0), ("Mentor", 9.0)]


def test_docx_that_is_not_a_zip(tmp_path):
    path = write(tmp_path / "a.docx", b"Interviewer: this is text saved as .docx")
    with pytest.raises(BadInput, match="not a zip"):
        read_transcript(path)


def test_docx_zip_that_is_not_word(tmp_path):
    import zipfile

    path = tmp_path / "a.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(BadInput, match="not a readable Word document"):
        read_transcript(path)


# --- subtitles ------------------------------------------------------------------------------

VTT = """WEBVTT

NOTE automatic transcript

1
00:00:01.000 --> 00:00:03.500
<v Interviewer>Hoe vond je</v>

2
00:00:03.600 --> 00:00:05.000 align:start
<v Interviewer>de lessen?</v>

3
00:00:05.500 --> 00:00:07.250
<v.loud Leerling 1>Leuk! 😀</v>
"""


def test_vtt_voice_tags_and_merged_cues(tmp_path):
    parsed = read_transcript(write(tmp_path / "a.vtt", VTT))
    assert words(parsed) == [("Interviewer", "Hoe vond je de lessen?"), ("Leerling 1", "Leuk! 😀")]
    assert [(t.ts_start, t.ts_end) for t in parsed.turns] == [(1.0, 5.0), (5.5, 7.25)]
    assert parsed.text.startswith("[00:00:01] Interviewer: ")


def test_vtt_without_speakers_splits_on_pauses(tmp_path):
    vtt = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\neen\n\n00:00:02.100 --> 00:00:03.000\ntwee\n\n"
        "00:00:09.000 --> 00:00:10.000\ndrie\n"
    )
    assert words(read_transcript(write(tmp_path / "a.vtt", vtt))) == [(None, "een twee"), (None, "drie")]


def test_malformed_vtt(tmp_path):
    with pytest.raises(BadInput, match="not a valid WebVTT"):
        read_transcript(write(tmp_path / "a.vtt", "Interviewer: no header\n"))


SRT = """1
00:00:01,000 --> 00:00:02,000
Interviewer: Wat deden jullie

2
00:00:02,100 --> 00:00:03,000
in de les?

3
00:00:04,000 --> 00:00:05,000
- Leerling 2: <i>Spelletjes.</i>

4
00:00:05,100 --> 00:00:06,000
iemand anders: adem even.
"""


def test_srt_labels_on_first_cue(tmp_path):
    parsed = read_transcript(write(tmp_path / "a.srt", SRT))
    assert words(parsed) == [
        ("Interviewer", "Wat deden jullie in de les?"),
        ("Leerling 2", "Spelletjes. iemand anders: adem even."),
    ]


def test_malformed_srt_names_the_line(tmp_path):
    bad = "1\n00:00:01,000 --> 00:00:02,000\nHallo\n\nthis is\nnot a cue\n"
    path = write(tmp_path / "a.srt", "garbage line\n" + bad)
    with pytest.raises(BadInput) as info:
        read_transcript(path)
    assert "not a valid SRT" in info.value.message
    assert info.value.line == 1
