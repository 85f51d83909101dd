"""The project file: creation, schema, offsets, transactions, concurrency, codebook updates."""

from __future__ import annotations

import hashlib
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from jhs_qual.codebook import load_codebook, parse_codebook
from jhs_qual.domain import ParsedTranscript, Turn
from jhs_qual.errors import BadInput
from jhs_qual.ingest.turns import RawLine, lines_to_segments, render
from jhs_qual.store import Project
from jhs_qual.store.schema import APPLICATION_ID, MIGRATION_NAMES, MIGRATION_SET
from tests.conftest import CODEBOOK_FILES


def transcript(text_lines: str) -> ParsedTranscript:
    text, turns = render(lines_to_segments([RawLine(line) for line in text_lines.split("\n")]))
    return ParsedTranscript(text, turns, format="txt")


def add(project: Project, name: str, lines: str, **attributes) -> int:
    parsed = transcript(lines)
    return project.add_transcript(
        name, parsed, source_name=f"{name}.txt",
        source_sha256=hashlib.sha256(lines.encode()).hexdigest(), attributes=attributes,
    )


def test_created_readable_by_owner_only_including_wal(tmp_path):
    path = tmp_path / "p.jhsq"
    with Project.create(path) as project:
        add(project, "a", "I: Hoi.\nR: Hallo.")
        for suffix in ("", "-wal", "-shm"):
            side = Path(str(path) + suffix)
            if side.exists():
                assert stat.S_IMODE(side.stat().st_mode) == 0o600, suffix


def test_pragmas_and_migrations(project):
    db = project.db
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    applied = [r[0] for r in db.execute(
        "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid", [MIGRATION_SET])]
    assert applied == MIGRATION_NAMES


def test_an_older_file_is_migrated_on_open_and_a_current_one_opens_without_sqlite_utils(tmp_path):
    old, current = tmp_path / "old.jhsq", tmp_path / "current.jhsq"
    Project.create(old).close()
    Project.create(current).close()
    with sqlite3.connect(old) as db:  # as m015 left a file: the turns' start index, m016 not applied
        db.execute("CREATE INDEX turns_start ON turns(transcript_id, start)")
        db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm016_no_turns_start'")
    code = ("import sys\nfrom jhs_qual.store import Project\n"
            f"Project.open({str(current)!r}).close()\nprint('sqlite_utils' in sys.modules)\n"
            f"Project.open({str(old)!r}).close()\nprint('sqlite_utils' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]  # loaded to migrate the old file only
    with Project.open(old) as project:
        assert not project.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'turns_start'").fetchone()
        applied = [r[0] for r in project.db.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid", [MIGRATION_SET])]
        assert sorted(applied) == sorted(MIGRATION_NAMES) and applied[-1] == "m016_no_turns_start"
        assert project.db.execute("PRAGMA recursive_triggers").fetchone()[0] == 1


def test_create_refuses_an_existing_file(tmp_path):
    path = tmp_path / "p.jhsq"
    path.write_text("precious")
    with pytest.raises(BadInput, match="already exists"):
        Project.create(path)
    assert path.read_text() == "precious"


def test_open_refuses_missing_foreign_and_newer_files(tmp_path):
    with pytest.raises(BadInput, match="no such project file"):
        Project.open(tmp_path / "missing.jhsq")
    text_file = tmp_path / "notes.jhsq"
    text_file.write_text("hello")
    with pytest.raises(BadInput, match="not an SQLite file"):
        Project.open(text_file)
    other = tmp_path / "other.jhsq"
    sqlite3.connect(other).execute("CREATE TABLE x (y)").connection.commit()
    with pytest.raises(BadInput, match="another program"):
        Project.open(other)
    newer = tmp_path / "newer.jhsq"
    Project.create(newer).close()
    conn = sqlite3.connect(newer)
    conn.execute(
        "INSERT INTO _sqlite_migrations(migration_set, name, applied_at) VALUES (?, 'm999_future', 'x')",
        [MIGRATION_SET],
    )
    conn.commit()
    conn.close()
    with pytest.raises(BadInput, match="newer jhs-qual") as info:
        Project.open(newer)
    assert "upgrade" in info.value.hint


def test_offsets_are_code_points_with_non_ascii_text(loaded_project):
    project = loaded_project
    lines = "Meisje: Zoë zei “stop” 😠 en ’s middags 👍🏽 lachten we.\nJongen: Oké."
    tid = add(project, "emoji", lines)
    stored = project.transcript("emoji")["text"]
    start = stored.index("“stop”")
    end = stored.index("lachten") + len("lachten")
    code = project.resolve_code("sel_individual")
    project.add_coding(tid, code["id"], "anna", start, end)
    (row,) = list(project.coding_rows())
    assert row["text"] == "“stop” 😠 en ’s middags 👍🏽 lachten" == stored[start:end]
    # SQLite agrees with Python on what a character is.
    assert project.db.execute("SELECT length(text) FROM transcripts").fetchone()[0] == len(stored)


def test_turn_and_span_bounds(loaded_project):
    project = loaded_project
    tid = add(project, "a", "I: Hoi.\nR: Hallo.")
    code = project.resolve_code("intervention")
    with pytest.raises(BadInput, match="outside the text"):
        project.add_coding(tid, code["id"], "anna", 0, 10_000)
    with pytest.raises(BadInput, match="outside the text"):
        project.add_coding(tid, code["id"], "anna", 5, 5)
    with pytest.raises(BadInput, match="no turn 3"):
        project.turn(tid, 3)
    assert project.turn(tid, 2)["speaker"] == "R"


def test_duplicate_coding_is_not_stored_twice(loaded_project):
    project = loaded_project
    tid = add(project, "a", "I: Hoi.\nR: Hallo.")
    code = project.resolve_code("intervention")
    first = project.add_coding(tid, code["id"], "anna", 0, 3)
    again = project.add_coding(tid, code["id"], "anna", 0, 3)
    other_coder = project.add_coding(tid, code["id"], "ben", 0, 3)
    assert first == (again[0], True) and again[1] is False
    assert other_coder[1] is True
    assert project.db.execute("SELECT count(*) FROM codings").fetchone()[0] == 2


def test_failed_write_leaves_nothing(loaded_project, monkeypatch):
    project = loaded_project
    parsed = transcript("I: Hoi.\nR: Hallo.")
    broken = ParsedTranscript(parsed.text, parsed.turns + [Turn(1, "X", 0, 0, 1)], format="txt")
    with pytest.raises(sqlite3.IntegrityError):  # the duplicate turn index fails after the insert
        project.add_transcript("a", broken, source_name="a.txt", source_sha256="x", attributes={"role": "leraar"})
    for table in ("transcripts", "turns", "transcript_attributes"):
        assert project.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table


def test_crash_in_the_middle_of_a_write_loses_only_that_write(tmp_path):
    """A process killed inside a transaction leaves the file as it was before."""
    path = tmp_path / "p.jhsq"
    with Project.create(path) as project:
        add(project, "kept", "I: Hoi.")
    script = f"""
import os
from jhs_qual.store import Project
project = Project.open({str(path)!r})
with project._write() as db:
    db.execute("INSERT INTO transcripts(name, text, sha256, source_sha256, source_name, format, imported_at)"
               " VALUES ('lost', 'x', 'h', 'h', 'lost.txt', 'txt', 'now')")
    os._exit(9)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 9, done.stderr
    with Project.open(path) as project:
        names = [r[0] for r in project.db.execute("SELECT name FROM transcripts")]
    assert names == ["kept"]


def test_two_writers_wait_for_each_other(tmp_path):
    path = tmp_path / "p.jhsq"
    Project.create(path).close()
    first, second = Project.open(path), Project.open(path)
    holding = threading.Event()

    def hold_the_lock():
        with first._write():
            first._set_setting("held", True)
            holding.set()
            time.sleep(0.3)

    thread = threading.Thread(target=hold_the_lock)
    thread.start()
    holding.wait()
    second.set_interviewers(["Interviewer", "Max"])  # waits for the lock, then writes
    thread.join()
    assert first.interviewers() == ["Interviewer", "Max"]
    assert second.setting("held") is True
    first.close()
    second.close()


def test_codebook_update_keeps_codings_and_refuses_dropping_coded_codes(tmp_path, project):
    v1 = """id: demo\ntitle: Demo\nlanguage: nl\ncodes:
  - {id: one, label_nl: Een, label_en: One}
  - {id: two, label_nl: Twee, label_en: Two}
"""
    assert project.load_codebook(parse_codebook(v1, "demo.yaml")) == "loaded"
    assert project.load_codebook(parse_codebook(v1, "demo.yaml")) == "unchanged"
    tid = add(project, "a", "I: Hoi.\nR: Hallo.")
    one = project.resolve_code("one")
    project.add_coding(tid, one["id"], "anna", 0, 3)
    v2 = v1.replace("label_nl: Een", "label_nl: Eén (herzien)")
    assert project.load_codebook(parse_codebook(v2, "demo.yaml")) == "updated"
    assert project.resolve_code("one")["label_nl"] == "Eén (herzien)"
    assert project.resolve_code("one")["id"] == one["id"]
    v3 = v1.replace("  - {id: one, label_nl: Een, label_en: One}\n", "")
    with pytest.raises(BadInput, match="code 'one' is missing but has 1 codings"):
        project.load_codebook(parse_codebook(v3, "demo.yaml"))
    assert project.resolve_code("one")["label_nl"] == "Eén (herzien)"  # nothing changed
    v4 = v1.replace("  - {id: two, label_nl: Twee, label_en: Two}\n", "")
    project.load_codebook(parse_codebook(v4, "demo.yaml"))  # 'two' had no codings: dropped
    assert [c["code_id"] for c in project.codes("demo")] == ["one"]


def test_codebook_with_a_clashing_key_is_refused(loaded_project):
    clash = "id: extra\ntitle: X\nlanguage: nl\ncodes:\n  - {id: z, label_nl: Z, label_en: Z, key: a}\n"
    with pytest.raises(BadInput) as info:
        loaded_project.load_codebook(parse_codebook(clash, "extra.yaml"))
    assert "shortcut key 'a' is also used by bronstein/interdependence (bronstein.yaml)" in info.value.message


def test_attributes_and_keys(project):
    tid = add(project, "a", "I: Hoi.", role="leraar", wave="2019")
    with pytest.raises(BadInput, match="unknown attribute 'shool_type'"):
        project.set_attributes(tid, {"shool_type": "PO"})
    project.add_attribute_keys(["cohort"])
    project.set_attributes(tid, {"cohort": "A", "wave": ""})
    assert project.attributes_by_transcript()[tid] == {"role": "leraar", "cohort": "A"}
    with pytest.raises(BadInput, match="not a valid attribute name"):
        project.add_attribute_keys(["Bad Key"])


def test_interviewer_labels(project):
    test = project.interviewer_test()
    assert test("Interviewer") and test("interviewer 2") and test("I")
    assert not test("Leraar")
    project.set_interviewers(["Max Bigman"])
    test = project.interviewer_test()
    assert test("Max Bigman") and not test("Interviewer")


def test_a_transcripts_interviewer_attribute_names_its_interviewer(project):
    """Interviewer labels were one project-wide list: "Max Bigman" had to be added by hand for
    every project. The transcript's `interviewer` attribute names the interviewer of that
    transcript only."""
    max_ = add(project, "max", "Max Bigman: Wat doe je?\n\nMarco: Ik geef les.\n\nMax Bigman: En?\n\nMarco: Niets.")
    other = add(project, "other", "Max Bigman: Ik ben de leraar.\n\nInterviewer: Dank je.")
    project.set_attributes(max_, {"interviewer": "Max  Bigman"})
    test = project.interviewer_test()
    assert test("Max Bigman", max_) and test("max bigman", max_) and not test("Max Bigman", other)
    assert test("Interviewer", other) and not test("Marco", max_)
    codable = project.codable_turns()
    assert [t[0] for t in codable[max_]] == [2, 4] and [t[0] for t in codable[other]] == [1]
    overview = {row["id"]: row for row in project.transcript_overview()}
    assert overview[max_]["codable_turns"] == 2 and overview[other]["codable_turns"] == 1


def test_a_heading_without_speaker_is_no_answer(project):
    """A Word title before the first labelled turn became an answer "(no speaker) 1" that the
    transcript opened on; a file without any label is still all answers."""
    titled = add(project, "titled", "Interview De Linde\n\nInterviewer: Wat doe je?\n\nLeraar: Les.")
    plain = add(project, "plain", "Alleen tekst zonder sprekers.")
    assert [t[0] for t in project.codable_turns()[titled]] == [3]
    assert [t[0] for t in project.codable_turns()[plain]] == [1]
    overview = {row["id"]: row for row in project.transcript_overview()}
    assert overview[titled]["codable_turns"] == 1 and overview[plain]["codable_turns"] == 1


def test_progress_counts_non_interviewer_turns_per_coder(loaded_project):
    project = loaded_project
    tid = add(project, "a", "Interviewer: Vraag?\nLeraar: Antwoord een.\nInterviewer: En?\nLeraar: Twee.")
    code = project.resolve_code("interdependence")
    for number in (1, 2, 4):
        turn = project.turn(tid, number)
        project.add_coding(tid, code["id"], "anna", turn["content_start"], turn["end"])
    (row,) = project.transcript_overview()
    assert row["turn_count"] == 4
    assert row["codable_turns"] == 2
    assert row["coded_turns"] == {"anna": 2}
    assert row["speakers"] == {"Interviewer": 2, "Leraar": 2}


def test_the_first_rows_of_the_overview_are_those_of_the_whole(loaded_project):
    """The workbench reads a screen's worth of the list first: the same rows, counts, attributes
    and progress as the first of the whole list, stale counts (codings since) counted again."""
    project = loaded_project
    code = project.resolve_code("interdependence")
    for n in (3, 1, 4, 0, 2):
        tid = add(project, f"t{n}", f"Interviewer: Vraag {n}?\nLeraar: Antwoord een.\nInterviewer: En?\nLeraar: Twee.",
                  school_type="PO" if n % 2 else "VO")
        turn = project.turn(tid, 2)
        project.add_coding(tid, code["id"], "anna" if n % 2 else "ben", turn["content_start"], turn["end"])
    project.transcript_overview()  # the counts stored; the next coding leaves its pair stale
    turn = project.turn(project.transcript("t1")["id"], 4)
    project.add_coding(project.transcript("t1")["id"], code["id"], "anna", turn["content_start"], turn["end"])
    whole = project.transcript_overview()
    assert project.transcript_overview(first=3) == whole[:3]
    assert [row["name"] for row in whole[:3]] == ["t0", "t1", "t2"] and whole[1]["coded_turns"] == {"anna": 2}
    assert project.transcript_overview(first=9) == whole and project.transcript_count() == 5


def test_the_lists_progress_follows_every_change(loaded_project):
    """The list's coded turns are stored per transcript and coder (one row each at 5,000
    transcripts) and counted again after whatever changes which turns are coded answers:
    codings added, moved and removed, a speaker renamed, the interviewer labels or a
    transcript's interviewer attribute, a transcript removed and restored."""
    project = loaded_project
    tid = add(project, "a", "Interviewer: Vraag?\nLeraar: Antwoord een.\nInterviewer: En?\nLeraar: Twee.")
    code = project.resolve_code("interdependence")
    coded = lambda: project.transcript_overview()[0]["coded_turns"]  # noqa: E731
    turns = [project.turn(tid, n) for n in (1, 2, 3, 4)]
    first, _ = project.add_coding(tid, code["id"], "anna", turns[1]["content_start"], turns[1]["end"])
    assert coded() == {"anna": 1}
    project.add_coding(tid, code["id"], "ben", turns[0]["content_start"], turns[3]["end"])  # across all four
    assert coded() == {"anna": 1, "ben": 2}
    project.set_interviewers(["Nobody"])
    assert coded() == {"anna": 1, "ben": 4} and project.transcript_overview()[0]["codable_turns"] == 4
    project.set_attributes(tid, {"interviewer": "Interviewer"})
    assert coded() == {"anna": 1, "ben": 2}
    project.rename_speaker(tid, "Leraar", "Interviewer")
    assert coded() == {} and project.transcript_overview()[0]["codable_turns"] == 0
    project.rename_speaker(tid, "Interviewer", "Leraar")  # every turn Leraar's now
    assert coded() == {"anna": 1, "ben": 4}
    project.remove_codings([first])
    assert coded() == {"ben": 4}
    trash_id, _ = project.trash_transcript(tid, with_codings=True)
    assert project.transcript_overview() == []
    project.restore_transcript(trash_id)
    assert coded() == {"ben": 4}


def test_shipped_codebooks_load(project):
    for path in CODEBOOK_FILES:
        assert project.load_codebook(load_codebook(path)) == "loaded"
    assert len(project.codes()) == 15


def test_search_index_follows_imports_and_removals(run, tmp_path):
    """The full-text index is fed by the import itself (no trigger reading the whole text
    per turn) and emptied when a transcript goes."""
    from tests.conftest import write

    write(tmp_path / "a.txt", "Interviewer: vraag\nLeraar: het stoplicht hangt in de klas\n")
    write(tmp_path / "b.txt", "Interviewer: vraag\nLeraar: de tent staat achterin\n")
    assert run("import", str(tmp_path / "a.txt"), str(tmp_path / "b.txt")).exit_code == 0
    with Project.open(run.project_path) as project:
        assert [h["transcript"] for h in project.search_turns("stoplicht")] == ["a"]
        assert "\x02tent\x03" in project.search_turns("tent")[0]["snippet"]
        project.remove_transcript(project.transcript("a")["id"])
        assert project.search_turns("stoplicht") == [] and project.search_turns("tent")
        assert project.check() == []


def test_search_words_in_reading_order(run, tmp_path):
    """The index keeps no positions (a third of its size): each query word is its own term,
    split as the tokenizer splits ('leraren/juf' is two), hits come in reading order, and
    a slash, quote or bracket in the query is no FTS syntax."""
    from tests.conftest import write

    write(tmp_path / "a.txt", "Interviewer: vraag\nLeraar: de leraren en de juffen\nLeraar: de klas\n")
    write(tmp_path / "b.txt", "Interviewer: vraag\nLeraar: leraren/juffen samen\n")
    assert run("import", str(tmp_path / "a.txt"), str(tmp_path / "b.txt")).exit_code == 0
    with Project.open(run.project_path) as project:
        hits = project.search_turns("leraren/juf")
        assert [(h["transcript"], h["turn"]) for h in hits] == [("a", 2), ("b", 2)]
        assert [(h["transcript"], h["turn"]) for h in project.search_turns("de")] == [("a", 2), ("a", 3)]
        assert project.search_turns('"klas (') == project.search_turns("klas") != []
        assert project.search_turns("/ ( ") == []


def test_a_codes_id_may_change_but_never_a_shipped_codes(loaded_project):
    """Renaming an in-vivo code changed only its Dutch label: its id kept the words. The id may
    change now (children follow, the codebook's YAML too), but not into a taken or malformed
    id, and a shipped code's id is fixed: scales and other tools refer to it."""
    project = loaded_project
    words = project.create_code("bronstein", "Het gaat over ruzie")
    child = project.create_code("bronstein", "Nog meer", parent="het_gaat_over_ruzie")
    project.update_code(words, code_id="conflict")
    assert project.code_row(words)["code_id"] == "conflict" and project.code_row(child)["parent"] == "conflict"
    assert "id: conflict" in project.codebook_yaml("bronstein")
    assert project.update_code(words, code_id="het_gaat_over_ruzie") == {"code_id": "conflict"}  # undo's way back
    for wrong, said in (("Con flict", "is not a code id"), ("flexibility", "has a code 'flexibility' already")):
        with pytest.raises(BadInput, match=said):
            project.update_code(words, code_id=wrong)
    with pytest.raises(BadInput, match="shipped codebook: its id is fixed"):
        project.update_code(project.resolve_code("bronstein/flexibility")["id"], code_id="flex")


def test_codes_merge_across_codebooks_where_the_target_applies(loaded_project):
    """Merge offered only codes of the same codebook. Into another codebook it moves the
    codings where that codebook applies, and refuses, naming the count, where it does not."""
    project = loaded_project
    teacher = add(project, "t", "Interviewer: Vraag?\n\nLeraar: Antwoord.", role="leraar")
    turn = project.turn(teacher, 2)
    source = project.create_code("bronstein", "Samen lessen maken")
    project.add_coding(teacher, source, "anna", turn["content_start"], turn["end"])
    pupils = next(c for c in project.codes("pupil_topics") if c.get("codable", 1))
    with pytest.raises(BadInput, match="1 transcript\\(s\\) with codings of 'samen_lessen_maken' lie outside"):
        project.merge_codes(source, pupils["id"])
    target = project.resolve_code("professional_topics/pupil_sel")
    record = project.merge_codes(source, target["id"])
    assert [c["code"] for c in project.transcript_codings(teacher, "anna")] == ["professional_topics/pupil_sel"]
    project.unmerge_codes(record)
    assert [c["code"] for c in project.transcript_codings(teacher, "anna")] == ["bronstein/samen_lessen_maken"]
