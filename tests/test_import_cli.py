"""`jhs-qual import`: many files, folders, attributes, duplicates, and every bad input."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest

from jhs_qual.store import Project
from tests.conftest import SAMPLES, write

SAMPLE_TURNS = {
    "po_leraar_de_linde": 74,
    "vo_mentor_het_baken": 71,
    "so_jeugdhulpverlener_de_horizon": 62,
    "po_leerlingen_groep6_de_linde": 100,
    "vo_mbo_leerlingen_het_baken": 73,
    "so_leerlingen_de_horizon": 75,
}


def listing(run):
    result = run("transcripts", "--json")
    assert result.exit_code == 0, result.output
    return {row["name"]: row for row in json.loads(result.output)}


def counts(run):
    with Project.open(run.project_path) as project:
        return {t: project.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("transcripts", "turns", "transcript_attributes")}


def test_sample_transcripts_import_with_speakers_and_attributes(run):
    result = run("import", str(SAMPLES), "--attributes", str(SAMPLES / "attributes.csv"))
    assert result.exit_code == 0, result.output
    assert "6 imported, 0 skipped, 0 failed" in result.output
    assert "ignored 2 files that are not transcripts: README.md, attributes.csv" in result.output
    rows = listing(run)
    assert {name: row["turn_count"] for name, row in rows.items()} == SAMPLE_TURNS
    assert {row["format"] for row in rows.values()} == {"txt", "docx", "vtt", "srt"}
    for row in rows.values():
        assert 60 <= row["turn_count"] <= 200
        assert {"role", "school_type", "school", "wave", "form"} <= set(row["attributes"])
    assert rows["vo_mentor_het_baken"]["attributes"]["role"] == "mentor"  # from the sheet
    assert rows["po_leraar_de_linde"]["attributes"]["school_type"] == "PO"  # from front matter
    assert list(rows["po_leerlingen_groep6_de_linde"]["speakers"]) == [
        "Interviewer", "Meisje 1", "Jongen 1", "Jongen 2", "Meisje 2", "Klasgenootje",
    ]
    assert list(rows["vo_mbo_leerlingen_het_baken"]["speakers"]) == [
        "Interviewer", "Leerling 1", "Leerling 2", "Leerling 3",
    ]
    assert list(rows["so_jeugdhulpverlener_de_horizon"]["speakers"]) == ["Interviewer", "JHV"]
    # Interviewer turns do not count as codable.
    assert rows["po_leraar_de_linde"]["codable_turns"] == 37


def test_sample_text_keeps_dutch_characters(run):
    run("import", str(SAMPLES / "po_leraar_de_linde.txt"))
    with Project.open(run.project_path) as project:
        text = project.transcript("po_leraar_de_linde")["text"]
    assert "Tweeënhalf kwartier" in text and "[naam]" in text and "(onverstaanbaar)" in text


def test_reimport_skips_same_content_even_under_another_name(run, tmp_path):
    first = write(tmp_path / "a.txt", "I: Hoi.\nR: Hallo.")
    assert run("import", str(first)).exit_code == 0
    copy = write(tmp_path / "other" / "b.txt", "I: Hoi.\nR: Hallo.")
    result = run("import", str(first), str(copy))
    assert result.exit_code == 0
    assert "same content as 'a'" in result.output
    assert "0 imported, 2 skipped" in result.output
    assert counts(run)["transcripts"] == 1


def test_same_name_different_content_is_an_error(run, tmp_path):
    run("import", str(write(tmp_path / "x" / "a.txt", "I: Hoi.")))
    result = run("import", str(write(tmp_path / "y" / "a.txt", "I: Anders.")))
    assert result.exit_code == 2
    assert "already called 'a'" in result.output


def test_attribute_precedence_front_matter_sheet_option(run, tmp_path):
    path = write(tmp_path / "a.txt", "---\nrole: leraar\nschool: Oud\nwave: 2019\n---\nI: Hoi.")
    sheet = write(tmp_path / "sheet.csv", "file;school;wave\na.txt;De Linde;2020\n")  # semicolons, as Excel writes
    result = run("import", str(path), "--attributes", str(sheet), "--attr", "wave=2021")
    assert result.exit_code == 0, result.output
    assert listing(run)["a"]["attributes"] == {"role": "leraar", "school": "De Linde", "wave": "2021"}


@pytest.mark.parametrize(
    "sheet, message",
    [
        ("file,shool_type\na.txt,PO\n", "sheet.csv:1: unknown attribute 'shool_type'"),
        ("naam,role\na.txt,leraar\n", "sheet.csv:1: no file-name column"),
        ("file,role\na.txt,leraar\na.txt,mentor\n", "sheet.csv:3: 'a.txt' has a second row"),
        ("file,role\na.txt,leraar,extra\n", "sheet.csv:2: 3 cells but the header has 2"),
        ("file,role\n,leraar\n", "sheet.csv:2: file: empty file name"),
    ],
)
def test_bad_attribute_sheets_write_nothing(run, tmp_path, sheet, message):
    path = write(tmp_path / "a.txt", "I: Hoi.")
    sheet_path = write(tmp_path / "sheet.csv", sheet)
    result = run("import", str(path), "--attributes", str(sheet_path))
    assert result.exit_code == 2
    assert message in result.output
    assert counts(run)["transcripts"] == 0


def test_bad_attr_option(run, tmp_path):
    path = write(tmp_path / "a.txt", "I: Hoi.")
    result = run("import", str(path), "--attr", "colour=blue")
    assert result.exit_code == 2
    assert "--attr: unknown attribute 'colour'" in result.output
    assert "jhs-qual attributes --add colour" in result.output
    result = run("import", str(path), "--attr", "role")
    assert result.exit_code == 2 and "is not key=value" in result.output
    assert counts(run)["transcripts"] == 0


def test_unknown_front_matter_key(run, tmp_path):
    path = write(tmp_path / "a.txt", "---\nschooltype: PO\n---\nI: Hoi.")
    result = run("import", str(path))
    assert result.exit_code == 2
    assert "a.txt:1: unknown attribute 'schooltype'" in result.output


def _not_word_zip(path):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("x.txt", "hi")
    return path


def test_each_bad_file_gets_one_line_exit_2_and_the_good_ones_import(run, tmp_path):
    good = write(tmp_path / "good.txt", "I: Hoi.\nR: Hallo.")
    bad = {
        "binary.txt": write(tmp_path / "binary.txt", b"\x00\x01\x02\x03binary"),
        "empty.txt": write(tmp_path / "empty.txt", b""),
        "undecodable.txt": write(tmp_path / "undecodable.txt", b"I: caf\x81\x8d"),
        "notzip.docx": write(tmp_path / "notzip.docx", b"plain text"),
        "notword.docx": _not_word_zip(tmp_path / "notword.docx"),
        "badyaml.txt": write(tmp_path / "badyaml.txt", "---\nrole: 'open\n---\nI: Hoi."),
        "missing.txt": tmp_path / "missing.txt",
        "bad.vtt": write(tmp_path / "bad.vtt", "no header"),
        "bad.srt": write(tmp_path / "bad.srt", "nonsense\nmore"),
    }
    result = run("import", str(good), *(str(p) for p in bad.values()))
    assert result.exit_code == 2
    error_lines = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(error_lines) == len(bad)
    for name, line in zip(bad, error_lines):
        assert name in line, (name, line)
    assert f"1 imported, 0 skipped, {len(bad)} failed" in result.output
    assert list(listing(run)) == ["good"]
    assert counts(run)["turns"] == 2


def test_unsupported_extension_named_explicitly(run, tmp_path):
    result = run("import", str(write(tmp_path / "a.pdf", b"%PDF-1.4")))
    assert result.exit_code == 2
    assert "unsupported file type '.pdf'" in result.output


def test_folder_import_is_recursive_and_skips_lock_files(run, tmp_path):
    write(tmp_path / "in" / "wave1" / "a.txt", "I: Een.")
    write(tmp_path / "in" / "wave2" / "b.md", "I: Twee.")
    write(tmp_path / "in" / "~$a.docx", b"lock")
    write(tmp_path / "in" / "notes.pdf", b"%PDF")
    result = run("import", str(tmp_path / "in"))
    assert result.exit_code == 0, result.output
    assert sorted(listing(run)) == ["a", "b"]
    assert "ignored 2 files" in result.output


def test_codings_export_csv(run, tmp_path):
    run("import", str(SAMPLES / "po_leraar_de_linde.txt"))
    assert run("code", "add", "po_leraar_de_linde", "interdependence", "--turn", "36",
               "--coder", "anna", "--memo", "heeft haar “echt” nodig").exit_code == 0
    assert run("code", "add", "po_leraar_de_linde", "professional_topics/pupil_sel", "--span", "0:12",
               "--coder", "ben").exit_code == 0
    result = run("codings", "export", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0][:10] == ["transcript", "turn", "speaker", "code", "coder", "start", "end", "text", "memo", "origin"]
    assert rows[0][10:] == ["role", "school_type", "school", "wave", "form", "interviewer"]
    by_coder = {row[4]: row for row in rows[1:]}
    anna = by_coder["anna"]
    assert anna[:5] == ["po_leraar_de_linde", "36", "Leraar", "bronstein/interdependence", "anna"]
    assert anna[7].startswith("Ik weet hoe ik een klas moet runnen.")
    assert anna[8] == "heeft haar “echt” nodig"
    assert anna[9:13] == ["manual", "leraar", "PO", "De Linde"]
    assert by_coder["ben"][1:3] == ["1", "Interviewer"]

    out = tmp_path / "codings.csv"
    result = run("codings", "export", "-o", str(out), "--coder", "anna")
    assert result.exit_code == 0
    written = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(written) == 2 and written[1][4] == "anna"
