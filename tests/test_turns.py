"""Speaker labels, timestamps and turn rendering for plain-text transcripts."""

from __future__ import annotations

import pytest

from jhs_qual.ingest.turns import (
    RawLine,
    lines_to_segments,
    match_label,
    normalise_label,
    parse_timestamp,
    render,
)
from tests.conftest import SHARED


def parse(text: str):
    segments = lines_to_segments([RawLine(line) for line in text.split("\n")])
    return render(segments)


def speakers_and_words(text: str):
    rendered, turns = parse(text)
    return [(t.speaker, rendered[t.content_start:t.end]) for t in turns]


@pytest.mark.parametrize(
    "line, label, ts, rest",
    [
        ("Interviewer: Hoe gaat het?", "Interviewer", None, "Hoe gaat het?"),
        ("I: Ja.", "I", None, "Ja."),
        ("R:   Nee hoor.", "R", None, "Nee hoor."),
        ("Leerling 2: Ik weet het niet.", "Leerling 2", None, "Ik weet het niet."),
        ("Max Bigman:         And I keep", "Max Bigman", None, "And I keep"),
        ("admin-1:     Sure.", "admin-1", None, "Sure."),
        ("[00:12:31] Leraar: Goed.", "Leraar", 751.0, "Goed."),
        ("(12:31) JHV: Goed.", "JHV", 751.0, "Goed."),
        ("00:12:31 Mentor: Goed.", "Mentor", 751.0, "Goed."),
        ("Interviewer (00:01:02): Dank je.", "Interviewer", 62.0, "Dank je."),
        ("**Interviewer:** Welkom.", "Interviewer", None, "Welkom."),
        ("[id1] hello, I like the course.", "id1", None, "hello, I like the course."),
        ("[00:00:05] En toen ging ze weg.", None, 5.0, "En toen ging ze weg."),
        ("Klasgenootje:", "Klasgenootje", None, ""),
    ],
)
def test_match_label_forms(line, label, ts, rest):
    m = match_label(line)
    assert m is not None
    assert (m.label, m.ts, m.rest) == (label, ts, rest)


@pytest.mark.parametrize(
    "line",
    [
        "00:00:52] Unified School District.",  # a wrapped timestamp tail
        "Dat is wat ik bedoel, namelijk: samen.",  # comma before the colon: a sentence
        "[naam] vond het leuk.",  # a redaction mark, not a speaker
        "[inaudible 00:01:42] and then",
        "12: dat was het",
    ],
)
def test_not_labels(line):
    m = match_label(line)
    assert m is None or m.label is None


def test_turns_and_continuation_lines():
    text = (
        "Interviewer: Hoe begon het?\n"
        "Leraar: Eerst kwam zij alleen\n"
        "voor losse kinderen.\n"
        "\n"
        "Daarna samen.\n"
        "Interviewer: Oké."
    )
    assert speakers_and_words(text) == [
        ("Interviewer", "Hoe begon het?"),
        ("Leraar", "Eerst kwam zij alleen voor losse kinderen.\nDaarna samen."),
        ("Interviewer", "Oké."),
    ]


def test_one_off_colon_inside_a_wrapped_paragraph_is_not_a_speaker():
    text = (
        "Interviewer: Vertel.\n"
        "Leraar: Ze zei het heel duidelijk tegen mij, en ik\n"
        "Onthoud: niemand mag lachen in de kring.\n"
        "Interviewer: Mooi."
    )
    turns = speakers_and_words(text)
    assert [s for s, _ in turns] == ["Interviewer", "Leraar", "Interviewer"]
    assert "Onthoud: niemand mag lachen" in turns[1][1]


def test_one_off_capitalised_label_that_opens_a_paragraph_is_a_speaker():
    turns = speakers_and_words("Automation: This call is recorded.\n\nMax: Hi.\n\nMax: Bye.")
    assert [s for s, _ in turns] == ["Automation", "Max", "Max"]


def test_upper_case_labels_are_normalised():
    assert normalise_label("INTERVIEWER") == "Interviewer"
    assert normalise_label("LEERLING 2") == "Leerling 2"
    assert normalise_label("JHV") == "JHV"
    assert [s for s, _ in speakers_and_words("INTERVIEWER: Hoi.\nLEERKRACHT: Hallo.")] == [
        "Interviewer", "Leerkracht",
    ]


def test_heading_label_with_timestamp_on_its_own_line():
    text = "Interviewer 00:00:05\nHoe gaat het?\n\nLeraar 00:00:09\nGoed.\n"
    rendered, turns = parse(text)
    assert [(t.speaker, t.ts_start) for t in turns] == [("Interviewer", 5.0), ("Leraar", 9.0)]
    assert rendered == "[00:00:05] Interviewer: Hoe gaat het?\n\n[00:00:09] Leraar: Goed."


def test_text_before_the_first_label_is_a_turn_without_speaker():
    turns = speakers_and_words("Interview met een leraar, november 2019\n\nI: Welkom.\nR: Dank je.")
    assert turns[0] == (None, "Interview met een leraar, november 2019")
    assert [s for s, _ in turns[1:]] == ["I", "R"]


def test_rendered_offsets_point_at_the_words():
    rendered, turns = parse("[00:01:00] Meisje: Ik was boos 😠 op Zoë’s “vriendin”.\nJongen: Ja.")
    first, second = turns
    assert rendered[first.start:first.content_start] == "[00:01:00] Meisje: "
    assert rendered[first.content_start:first.end] == "Ik was boos 😠 op Zoë’s “vriendin”."
    assert rendered[second.start - 2:second.start] == "\n\n"
    assert rendered[second.content_start:second.end] == "Ja."


def test_parse_timestamp():
    assert parse_timestamp("[01:02:03]") == 3723.0
    assert parse_timestamp("(12:31)") == 751.0
    assert parse_timestamp("0:00:01,500") == 1.5


# The shape of a transcription service's export, as in the `qualitative-coding` demo
# interview: labels followed by runs of spaces, lines hard-wrapped with a trailing space,
# an automated line, an inline `[Name 00:00:52]` mark.
SPACE_RUNS = """Automation:         This call is now being recorded.

Interviewer:         Ik vergeet steeds de toestemmingsformulieren te sturen, 
maar mag ik opnemen voor de transcriptie van het onderzoek?

jeugdwerker-1:     Ja hoor.

Interviewer:         Fijn, dank je. Hoe ben je bij het project 
betrokken geraakt?

jeugdwerker-1:     Ik werk sinds twee jaar in de wijk [Zuid 
00:00:52] met jongeren. Ik was er vanaf het begin bij.
"""

# QualCoder's example transcript: `[id1]` labels at the start of each paragraph.
BRACKETS = """[id1] hallo, ik vind de lessen leuk.

[id2] Ik heb moeite met de dia's. Ze waren te druk.

[id1] Ik leer veel, maar er waren te veel opdrachten.

[id2] Ja, dat vond ik ook.
"""

REAL_TRANSCRIPTS = [("space-runs", SPACE_RUNS, {"Automation": 1, "Interviewer": 2, "jeugdwerker-1": 2},
                     "Ik vergeet steeds de toestemmingsformulieren te sturen, maar mag", "[Zuid 00:00:52] met"),
                    ("brackets", BRACKETS, {"id1": 2, "id2": 2}, "hallo, ik vind de lessen leuk.", None)]
if SHARED.exists():  # the tools' own files (AGPL and LGPL data, not copied here)
    REAL_TRANSCRIPTS += [
        ("qc-demo-admin-1", (SHARED / "transcripts" / "qc-demo-admin-1.txt").read_text(encoding="utf-8"),
         {"Automation": 1, "Max Bigman": 30, "admin-1": 55},
         "And I keep forgetting to send out these IRB official consent forms", "[Pallis 00:00:52] Unified"),
        ("qualcoder-example", (SHARED / "transcripts" / "qualcoder-example-transcript.txt").read_text(encoding="utf-8"),
         {"id1": 3, "id2": 2, "id3": 2}, "hello, I like the course.", None),
    ]


@pytest.mark.parametrize("name, text, speakers, second_starts, kept", REAL_TRANSCRIPTS,
                         ids=[case[0] for case in REAL_TRANSCRIPTS])
def test_transcripts_as_tools_export_them(name, text, speakers, second_starts, kept):
    """Turns per speaker, hard wraps joined into one line per turn, inline marks kept."""
    rendered, turns = parse(text)
    counts = {}
    for t in turns:
        counts[t.speaker] = counts.get(t.speaker, 0) + 1
    assert counts == speakers
    first_words = [rendered[t.content_start:t.end] for t in turns]
    assert any(words.startswith(second_starts) for words in first_words[:2])
    assert all("\n" not in words for words in first_words)
    if kept:
        assert kept in rendered


def test_a_time_that_is_not_one_names_its_line():
    from jhs_qual.errors import BadInput

    lines = ["Interviewer: Hoe gaat het?", "Leraar: Goed.", "", "[00:75:10] Interviewer: En nu?"]
    with pytest.raises(BadInput) as info:
        lines_to_segments([RawLine(line) for line in lines], first_line=3)
    assert info.value.line == 6 and "minutes and seconds run to 59" in str(info.value)
