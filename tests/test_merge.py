"""Merging coders' project files: matching by content, idempotence, conflicts, export-coder."""

from __future__ import annotations

import sqlite3

import pytest

from jhs_qual.codebook import load_codebook, parse_codebook
from jhs_qual.errors import BadInput
from jhs_qual.store import Project
from jhs_qual.store.merge import merge
from jhs_qual.store.schema import MIGRATION_SET
from tests.conftest import CODEBOOK_FILES, SAMPLES
from tests.test_store import add


def new_project(path, books=CODEBOOK_FILES) -> Project:
    project = Project.create(path)
    for book in books:
        project.load_codebook(load_codebook(book))
    return project


def code_turn(project, name, code, turn, coder, memo=""):
    tid = project.transcript(name)["id"]
    t = project.turn(tid, turn)
    project.add_coding(tid, project.resolve_code(code)["id"], coder, t["content_start"], t["end"], memo=memo)


def codings(project):
    names = project.transcript_names()
    return sorted((names[c.transcript_id], c.code, c.coder, c.start, c.end, c.memo) for c in project.codings())


LINES = "Interviewer: Vraag?\nLeraar: Een.\nInterviewer: En?\nLeraar: Twee."


@pytest.fixture
def pair(tmp_path):
    main = new_project(tmp_path / "main.jhsq")
    add(main, "gesprek", LINES)
    theirs = new_project(tmp_path / "theirs.jhsq")
    add(theirs, "ander_bestand", LINES)  # same content, another name
    yield main, theirs
    main.close()
    theirs.close()


def test_codings_come_in_matched_by_content_and_twice_adds_nothing(pair):
    main, theirs = pair
    code_turn(theirs, "ander_bestand", "interdependence", 2, "ben", memo="samen")
    report = merge(main, theirs.path)
    assert report.codings_added == 1 and report.coders_added == ["ben"] and not report.conflicts
    assert report.transcripts_added == []
    assert codings(main) == [("gesprek", "bronstein/interdependence", "ben", 29, 33, "samen")]
    again = merge(main, theirs.path)
    assert again.codings_added == 0 and not again.conflicts and not again.coders_added
    assert len(codings(main)) == 1


def test_missing_transcripts_come_along_renamed_on_a_name_clash(pair):
    main, theirs = pair
    add(main, "tweede", "I: Iets anders.")
    add(theirs, "tweede", "I: Nog iets anders.\nR: Ja.")
    code_turn(theirs, "tweede", "intervention", 2, "ben")
    report = merge(main, theirs.path)
    assert report.transcripts_added == ["tweede (as tweede_2)"]
    assert main.transcript("tweede_2")["text"] == "I: Nog iets anders.\n\nR: Ja."
    assert len(main.db.execute("SELECT * FROM turns WHERE transcript_id = ?",
                               [main.transcript("tweede_2")["id"]]).fetchall()) == 2


def test_further_along_is_added_edited_in_both_is_a_conflict(pair):
    main, theirs = pair
    code_turn(main, "gesprek", "interdependence", 2, "anna")
    code_turn(theirs, "ander_bestand", "interdependence", 2, "anna")
    code_turn(theirs, "ander_bestand", "flexibility", 4, "anna")
    report = merge(main, theirs.path)  # theirs holds all of main's work and more
    assert report.codings_added == 1 and not report.conflicts

    code_turn(main, "gesprek", "collective_ownership", 4, "anna")  # now both have something new
    code_turn(theirs, "ander_bestand", "new_activities", 2, "anna")
    before = codings(main)
    report = merge(main, theirs.path)
    assert report.codings_added == 0
    assert report.conflicts == [
        "anna coded ander_bestand differently in both files (1 coding(s) only there, 1 only here);"
        " left as it is here (merge with --union to add theirs)"
    ]
    assert codings(main) == before
    report = merge(main, theirs.path, union=True)
    assert report.codings_added == 1
    assert {c[1] for c in codings(main)} == {
        "bronstein/interdependence", "bronstein/flexibility", "bronstein/collective_ownership",
        "bronstein/new_activities",
    }


def test_memo_conflict_keeps_ours(pair):
    main, theirs = pair
    code_turn(main, "gesprek", "interdependence", 2, "anna", memo="hier")
    code_turn(theirs, "ander_bestand", "interdependence", 2, "anna", memo="daar")
    report = merge(main, theirs.path)
    assert len(report.conflicts) == 1 and "another memo" in report.conflicts[0]
    assert codings(main)[0][-1] == "hier"


def test_only_one_coder(pair):
    main, theirs = pair
    code_turn(theirs, "ander_bestand", "interdependence", 2, "ben")
    code_turn(theirs, "ander_bestand", "interdependence", 2, "carla")
    assert merge(main, theirs.path, coder="carla").coders_added == ["carla"]
    with pytest.raises(BadInput, match="no coder 'zoe'"):
        merge(main, theirs.path, coder="zoe")


def test_codebook_missing_here_comes_along_a_missing_code_refuses_everything(tmp_path):
    main = new_project(tmp_path / "main.jhsq", books=CODEBOOK_FILES[:1])
    add(main, "gesprek", LINES)
    theirs = new_project(tmp_path / "theirs.jhsq")
    add(theirs, "gesprek", LINES)
    code_turn(theirs, "gesprek", "pupil_sel", 2, "ben")
    report = merge(main, theirs.path)
    assert report.codebooks_added == ["professional_topics"] and report.codings_added == 1

    extra = (CODEBOOK_FILES[0].read_text(encoding="utf-8")
             + "  - {id: extra_code, label_nl: Extra, label_en: Extra}\n")
    theirs.load_codebook(parse_codebook(extra, "bronstein.yaml"))
    code_turn(theirs, "gesprek", "extra_code", 4, "ben")
    code_turn(theirs, "gesprek", "flexibility", 4, "carla")
    before = codings(main)
    with pytest.raises(BadInput, match="lacks code\\(s\\) the other file's codings use: extra_code"):
        merge(main, theirs.path)
    assert codings(main) == before  # nothing of it was written


def test_refuses_itself_foreign_and_newer_files(pair, tmp_path):
    main, theirs = pair
    with pytest.raises(BadInput, match="into itself"):
        merge(main, main.path)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE x (y)").connection.commit()
    with pytest.raises(BadInput, match="another program"):
        merge(main, other)
    theirs.db.execute("INSERT INTO _sqlite_migrations(migration_set, name, applied_at) VALUES (?, 'm999', 'x')",
                      [MIGRATION_SET])
    with pytest.raises(BadInput, match="newer jhs-qual"):
        merge(main, theirs.path)


def test_export_coder_then_merge_back(run, tmp_path):
    assert run("import", str(SAMPLES / "po_leraar_de_linde.txt"), str(SAMPLES / "vo_mentor_het_baken.docx")).exit_code == 0
    run("code", "add", "po_leraar_de_linde", "interdependence", "--turn", "36", "--coder", "anna", "--memo", "nodig")
    run("code", "add", "po_leraar_de_linde", "flexibility", "--turn", "40", "--coder", "ben")
    out = tmp_path / "anna.jhsq"
    result = run("export-coder", "anna", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "1 transcript, 1 coding" in result.output
    with Project.open(out) as exported:
        assert [r["name"] for r in exported.transcript_overview()] == ["po_leraar_de_linde"]
        assert len(exported.codebooks()) == 3  # every codebook, to go on coding with
        assert [(c.coder, c.memo) for c in exported.codings()] == [("anna", "nodig")]
        code_turn(exported, "po_leraar_de_linde", "competence_pupils", 30, "anna")
    merged = run("merge", str(out))
    assert merged.exit_code == 0 and "1 coding and 0 memos added" in merged.output
    assert "0 codings" in run("merge", str(out)).output
    assert run("export-coder", "anna", "-o", str(out)).exit_code == 2  # exists: never overwritten
    bad = run("export-coder", "zoe", "-o", str(tmp_path / "zoe.jhsq"))
    assert bad.exit_code == 2 and "no coder 'zoe'" in bad.output
    assert not (tmp_path / "zoe.jhsq").exists()
