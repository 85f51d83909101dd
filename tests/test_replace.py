"""Corrections after coding started: `import --replace` carries codings over to the new text."""

from __future__ import annotations

from jhs_qual.store import Project
from tests.conftest import write

OLD = """Interviewer: Hoe werken jullie samen?
Leraar: We werkn samen met de jeugdhulpverlener. Zij doet de gesprekken.
Interviewer: En de kinderen?
Leraar: De kinderen zijn rustiger geworden in de klas.
Interviewer: Nog iets?
Leraar: Dit stuk klopt niet en gaat eruit.
Interviewer: Dank je.
"""
NEW = """Interviewer: Hoe werken jullie samen?
Leraar: We werken samen met de jeugdhulpverlener. Zij doet de gesprekken.
Interviewer: Een vraag die de transcribent miste?
Leerkracht: Ja, die was er ook.
Interviewer: En de kinderen?
Leerkracht: De kinderen zijn rustiger geworden in de klas.
Interviewer: Dank je.
"""


def coded(path, coder):
    with Project.open(path) as project:
        t = project.transcript("gesprek")
        return sorted((c["code"], " ".join(t["text"][c["start"]:c["end"]].split()))
                      for c in project.transcript_codings(t["id"], coder))


def test_replace_keeps_codings_of_two_coders(run, tmp_path):
    path = write(tmp_path / "v1" / "gesprek.txt", OLD)
    assert run("import", str(path)).exit_code == 0
    for coder, code, turn in (("anna", "interdependence", 2), ("ben", "interdependence", 2),
                              ("anna", "pupil_sel", 4), ("ben", "flexibility", 6)):
        assert run("code", "add", "gesprek", code, "--turn", str(turn), "--coder", coder).exit_code == 0
    with Project.open(run.project_path) as project:
        tid = project.transcript("gesprek")["id"]
        text = project.transcript("gesprek")["text"]
        start = text.index("Zij doet")
        project.add_coding(tid, project.resolve_code("new_activities")["id"], "anna", start, start + len("Zij doet"))
        turn4 = project.turn(tid, 4)
        project.write_memo("anna", "rustiger: eerder ook?", transcript_id=tid,
                           span=(turn4["content_start"], turn4["end"]))
    corrected = write(tmp_path / "v2" / "gesprek.txt", NEW)
    result = run("import", "--replace", str(corrected))
    assert result.exit_code == 0, result.output
    assert "on the same words 2, on corrected words 2, whose words are gone 1" in result.output
    assert "to review: anna: bronstein/interdependence “We werkn samen" in result.output
    assert "gone (kept with the old text in the project): ben: bronstein/flexibility" in result.output
    assert coded(run.project_path, "anna") == [
        ("bronstein/interdependence", "We werken samen met de jeugdhulpverlener. Zij doet de gesprekken."),
        ("bronstein/new_activities", "Zij doet"),
        ("professional_topics/pupil_sel", "De kinderen zijn rustiger geworden in de klas.")]
    assert coded(run.project_path, "ben") == [
        ("bronstein/interdependence", "We werken samen met de jeugdhulpverlener. Zij doet de gesprekken.")]
    with Project.open(run.project_path) as project:
        t = project.transcript("gesprek")
        speakers = [r[0] for r in project.db.execute(
            "SELECT speaker FROM turns WHERE transcript_id = ? ORDER BY idx", [t["id"]])]
        assert speakers == ["Interviewer", "Leraar", "Interviewer", "Leerkracht", "Interviewer", "Leerkracht",
                            "Interviewer"]
        (memo,) = project.memos("anna", transcript_id=t["id"])
        assert t["text"][memo["start"]:memo["end"]] == "De kinderen zijn rustiger geworden in de klas."
        (version,) = project.db.query("SELECT text, lost FROM transcript_versions")
        assert "Dit stuk klopt niet" in version["text"] and "flexibility" in version["lost"]
        assert project.search_turns("transcribent") and not project.search_turns("klopt")
        assert project.check() == []
