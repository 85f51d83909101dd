"""`jhs-qual import` of many files: parsed ahead in worker processes, stored a batch at a time
with a savepoint per file (store/importing.py, ingest/parallel.py)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest

from jhs_qual.domain import ParsedTranscript, Turn
from jhs_qual.ingest import parallel
from jhs_qual.store import Project
from tests.conftest import write


def interview(n: int) -> str:
    return f"Interviewer: Vraag {n}?\nLeraar: Antwoord met woord{n} erin.\nInterviewer: Dank je.\n"


def fts_is_sound(project: Project) -> None:
    project.db.execute("INSERT INTO turns_fts(turns_fts, rank) VALUES ('integrity-check', 1)")


def test_a_bad_file_in_a_batch_leaves_nothing_and_the_others_stay(run, tmp_path, forked):
    folder = tmp_path / "in"
    for n in range(12):
        write(folder / f"t{n:02d}.txt", interview(n))
    write(folder / "t05.txt", "---\nkleur: blauw\n---\n" + interview(5))  # an unknown attribute name
    write(folder / "t08.txt", interview(2))  # the same words as t02
    result = run("import", str(folder))
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.startswith(("imported", "skipped", "Error"))]
    assert [re.search(r"t\d\d\.txt", line).group() for line in lines] == [
        f"t{n:02d}.txt" for n in range(12)]  # in the files' order, though read by two workers
    assert lines[5].startswith("Error: ") and "kleur" in lines[5]
    assert lines[8].startswith("skipped") and "same content as 't02'" in lines[8]
    assert "10 imported, 1 skipped, 1 failed" in result.output
    with Project.open(run.project_path) as project:
        fts_is_sound(project)
        assert [r["transcript"] for r in project.search_turns("woord11")] == ["t11"]
        assert project.search_turns("woord5") == []
        assert project.db.execute("SELECT count(*) FROM transcript_stats").fetchone()[0] == 10
        assert project.db.execute("SELECT count(DISTINCT transcript_id) FROM turns").fetchone()[0] == 10


def test_a_failed_savepoint_takes_its_words_out_of_the_batch(tmp_path):
    parsed = ParsedTranscript("Leraar: een twee", [Turn(0, "Leraar", 0, 8, 16)], "txt")
    other = ParsedTranscript("Leraar: drie vier", [Turn(0, "Leraar", 0, 8, 17)], "txt")
    with Project.create(tmp_path / "p.jhsq") as project:
        with project._batch():
            project.add_transcript("kept", parsed, source_name="kept.txt", source_sha256="a", attributes={})
            with pytest.raises(RuntimeError), project._write():
                project.add_transcript("undone", other, source_name="undone.txt", source_sha256="b", attributes={})
                raise RuntimeError("a file that fails after its turns were stored")
        fts_is_sound(project)
        assert [r["transcript"] for r in project.search_turns("twee")] == ["kept"]
        assert project.search_turns("drie") == []
        assert [r[0] for r in project.db.execute("SELECT name FROM transcripts")] == ["kept"]


def test_a_worker_that_fails_stops_the_import_and_names_the_file(run, tmp_path, monkeypatch, forked):
    for n in range(10):
        write(tmp_path / "in" / f"t{n}.txt", interview(n))

    def broken(path):
        if path.name == "t6.txt":
            raise ZeroDivisionError("a defect in a reader")
        return real(path)

    real = parallel.read_file
    monkeypatch.setattr(parallel, "read_file", broken)
    with pytest.raises(RuntimeError, match=r"item 6 failed in a worker:(.|\n)*a defect in a reader"):
        run("import", str(tmp_path / "in"))  # main() logs a defect and says one line (test_cli.py)
    with Project.open(run.project_path) as project:  # what was committed before stays whole
        fts_is_sound(project)
        names = [r[0] for r in project.db.execute("SELECT name FROM transcripts ORDER BY name")]
    assert "t6" not in names and names == sorted(names) and names == [f"t{n}" for n in range(len(names))]


def test_ctrl_c_stops_an_import_between_batches_and_stops_its_workers(tmp_path):
    folder = tmp_path / "in"
    for n in range(3000):
        write(folder / f"t{n:04d}.txt", interview(n))
    project = tmp_path / "p.jhsq"
    jhs = [sys.executable, "-m", "jhs_qual"]
    subprocess.run([*jhs, "init", str(project)], check=True, capture_output=True)
    process = subprocess.Popen([*jhs, "import", str(folder), "--project", str(project)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    printed = [process.stdout.readline()]  # the first batch is committed: the import is under way
    assert printed[0].startswith("imported"), printed[0] + process.stderr.read()
    os.killpg(process.pid, signal.SIGINT)  # as a terminal sends it: to the import and its workers
    printed += process.stdout.read().splitlines()  # what readline's buffer holds too
    err = process.stderr.read()
    process.wait(timeout=120)
    assert process.returncode == 130, err
    said = re.fullmatch(r"interrupted: (\d+) files of 3000 stored, each whole; import the same files again to add "
                        r"the rest \(those stored are skipped\)", err.strip().splitlines()[-1])
    assert said and "Traceback" not in err, err
    with pytest.raises(ProcessLookupError):  # no worker is left behind
        os.killpg(process.pid, 0)
    with Project.open(project) as opened:
        fts_is_sound(opened)
        stored = opened.db.execute("SELECT count(*) FROM transcripts").fetchone()[0]
    assert 0 < stored < 3000 and stored == int(said.group(1))
    assert 0 < sum(line.startswith("imported") for line in printed) <= stored  # each line printed was committed
