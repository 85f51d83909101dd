"""Group interviews: pupils who speak once keep their own turn, in every format.

A group of nine pupils of whom five speak once (the fixture is written here,
in the layouts transcripts arrive in)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jhs_qual.ingest.readers import read_transcript

TURNS = [
    ("Interviewer", "Wie wil er iets vertellen over de lessen?"),
    ("Ahmed", "Ik! Het was leuk."),
    ("Sanne", "Ik vond het stoplicht het beste."),
    ("Interviewer", "En jullie?"),
    ("Fatima", "Ik ook."),
    ("Daan", "Niet waar, het was saai."),
    ("Sanne", "Wel waar."),
    ("Noor", "Mag ik wat zeggen? Ik durf nu meer."),
    ("Interviewer", "Goed zo. Nog iemand?"),
    ("Milan", "De juf was aardig."),
    ("Leerling 3", "En de andere juf ook."),
    ("Meisje 1", "Ik wil nog een keer."),
    ("Sanne", "Ik ook!"),
    ("R2", "Mag ik ook?"),
    ("Interviewer", "Dank jullie wel."),
]


def txt(folder: Path, blank: bool) -> Path:
    sep = "\n\n" if blank else "\n"
    path = folder / ("blank.txt" if blank else "lines.txt")
    path.write_text(sep.join(f"{s}: {w}" for s, w in TURNS) + "\n", encoding="utf-8")
    return path


def docx(folder: Path) -> Path:
    from docx import Document

    document = Document()
    for speaker, words in TURNS:
        document.add_paragraph(f"{speaker}: {words}")
    path = folder / "group.docx"
    document.save(path)
    return path


def vtt(folder: Path) -> Path:
    cues = [f"00:00:{i * 3:02d}.000 --> 00:00:{i * 3 + 2:02d}.000\n<v {s}>{w}" for i, (s, w) in enumerate(TURNS)]
    path = folder / "group.vtt"
    path.write_text("WEBVTT\n\n" + "\n\n".join(cues) + "\n", encoding="utf-8")
    return path


def srt(folder: Path) -> Path:
    cues = [f"{i + 1}\n00:00:{i * 3:02d},000 --> 00:00:{i * 3 + 2:02d},000\n{s}: {w}" for i, (s, w) in enumerate(TURNS)]
    path = folder / "group.srt"
    path.write_text("\n\n".join(cues) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("make", [lambda f: txt(f, False), lambda f: txt(f, True), docx, vtt, srt],
                         ids=["one line a turn", "blank lines", "docx", "vtt", "srt"])
def test_every_pupil_keeps_their_turn(tmp_path, make):
    parsed = read_transcript(make(tmp_path))
    got = [(t.speaker, parsed.text[t.content_start:t.end]) for t in parsed.turns]
    assert got == TURNS


def test_a_sentence_with_a_colon_in_a_one_line_a_turn_file_stays_words(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("Interviewer: Vertel.\nLeraar: Ze zei het heel duidelijk tegen mij, en ik\n"
                    "Onthoud: niemand mag lachen.\nInterviewer: Mooi.\nLeraar: Ja.\n", encoding="utf-8")
    parsed = read_transcript(path)
    assert [t.speaker for t in parsed.turns] == ["Interviewer", "Leraar", "Interviewer", "Leraar"]
    assert any("'Onthoud' (line 3)" in w for w in parsed.warnings)


def test_dry_run_shows_speakers_and_stores_nothing(run, tmp_path):
    result = run("import", "--dry-run", str(txt(tmp_path, False)))
    assert result.exit_code == 0 and "15 turns; Interviewer 4, Ahmed 1, Sanne 3, Fatima 1" in result.output
    assert "nothing was stored" in result.output
    assert "lines" not in run("transcripts").output


def test_a_word_file_without_labels_is_one_turn_and_says_so(tmp_path):
    from docx import Document

    document = Document()
    document.add_paragraph("Dit is een verslag zonder sprekers. " * 20)
    document.save(tmp_path / "plain.docx")
    parsed = read_transcript(tmp_path / "plain.docx")
    assert len(parsed.turns) == 1 and any("no speaker labels found" in w for w in parsed.warnings)


def test_attributes_set_remove_and_speakers_rename(run, tmp_path):
    path = tmp_path / "diarised.txt"
    path.write_text("SPEAKER_00: Wat vond je ervan?\nSPEAKER_01: Leuk.\nSPEAKER_00: Waarom?\nSPEAKER_01: Samen.\n",
                    encoding="utf-8")
    assert run("import", str(path)).exit_code == 0
    assert "diarised: role=leerling, wave=2021" in run("attributes", "set", "diarised", "role=leerling",
                                                       "wave=2021").output
    assert "wave removed" in run("attributes", "set", "diarised", "wave=").output
    assert run("attributes", "set", "diarised", "rol=x").exit_code == 2
    renamed = run("speakers", "rename", "diarised", "SPEAKER_00=Interviewer", "SPEAKER_01=Leerling 1")
    assert "SPEAKER_00 -> Interviewer on 2 turns" in renamed.output
    assert run("speakers", "rename", "diarised", "Nobody=X").exit_code == 2
    from jhs_qual.store import Project

    with Project.open(run.project_path) as project:
        tid = project.transcript("diarised")["id"]
        assert project.attributes_by_transcript()[tid] == {"role": "leerling"}
        assert [r[0] for r in project.db.execute("SELECT speaker FROM turns WHERE transcript_id = ? ORDER BY idx",
                                                  [tid])] == ["Interviewer", "Leerling 1"] * 2
    assert run("code", "add", "diarised", "intervention", "--turn", "2", "--coder", "anna").exit_code == 0
    refused = run("transcripts", "remove", "diarised")
    assert refused.exit_code == 2 and "--with-codings" in refused.output
    assert "and its 1 coding" in run("transcripts", "remove", "diarised", "--with-codings").output
    listed = run("transcripts").output
    assert listed.startswith("no transcripts; kept aside after removal: diarised")  # gone from the list


async def test_the_transcript_list_edits_attributes_and_speakers(run, tmp_path):
    from jhs_qual.config import Config
    from jhs_qual.tui.app import JhsApp
    from jhs_qual.store import Project

    path = tmp_path / "diarised.txt"
    path.write_text("SPEAKER_00: Wat vond je ervan?\nSPEAKER_01: Leuk.\n", encoding="utf-8")
    assert run("import", str(path)).exit_code == 0
    app = JhsApp(Project.open(run.project_path), coder="anna", config=Config(path=tmp_path / "c.toml"),
                 suggester=lambda *a, **k: [])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        await pilot.press(*'role=leerling school="De Linde"', "enter")
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        await pilot.press(*"SPEAKER_00=Interviewer", "enter")
        await pilot.pause()
        with Project.open(run.project_path) as project:
            tid = project.transcript("diarised")["id"]
            assert project.attributes_by_transcript()[tid] == {"role": "leerling", "school": "De Linde"}
            assert project.interviewer_test()(project.turn(tid, 1)["speaker"])
        await pilot.press("u")  # the rename
        await pilot.pause()
        with Project.open(run.project_path) as project:
            assert project.turn(project.transcript("diarised")["id"], 1)["speaker"] == "SPEAKER_00"
        await pilot.press("delete", "down", "enter")  # Keep it is the default: down to Remove
        await pilot.pause()
    with Project.open(run.project_path) as project:
        assert project.transcript_names() == {} and [r["name"] for r in project.trashed()] == ["diarised"]
