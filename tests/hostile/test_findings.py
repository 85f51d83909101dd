"""One test per finding of the second hostile-input round that the battery (test_battery.py)
does not show by itself: what was lost, leaked or silently altered, and must not be again."""

from __future__ import annotations

import os
import sqlite3
import zipfile

import pytest
from openpyxl import load_workbook

from jhs_qual.errors import BadInput
from jhs_qual.export.pseudonyms import Pseudonym, Pseudonymiser, read_pseudonym_file
from jhs_qual.ingest.decode import decode_bytes
from jhs_qual.store import Project
from tests.conftest import SAMPLES, write

LINDE = SAMPLES / "po_leraar_de_linde.txt"


# --- 1. an output never replaces the project ------------------------------------------------------

def test_export_coder_never_replaces_the_project_and_writes_through_links(run, tmp_path):
    assert run("import", str(LINDE)).exit_code == 0
    assert run("code", "add", "po_leraar_de_linde", "interdependence", "--turn", "36", "--coder", "anna").exit_code == 0
    project = run.project_path
    before = project.read_bytes()
    for target in (project, tmp_path / "." / project.name):
        result = run("export-coder", "anna", "--force", "-o", str(target))
        assert result.exit_code == 2 and "is the project file" in result.output
    os.symlink(project.name, tmp_path / "link.jhsq")
    assert "is the project file" in run("export-coder", "anna", "--force", "-o", str(tmp_path / "link.jhsq")).output
    assert project.read_bytes() == before
    other = tmp_path / "anna.jhsq"
    assert run("export-coder", "anna", "-o", str(other)).exit_code == 0
    os.symlink(other.name, tmp_path / "to-anna.jhsq")
    write(tmp_path / "anna.jhsq-wal", b"stale")  # an old file's journal must not be read into the new one
    assert run("export-coder", "anna", "--force", "-o", str(tmp_path / "to-anna.jhsq")).exit_code == 0
    assert (tmp_path / "to-anna.jhsq").is_symlink() and not (tmp_path / "anna.jhsq-wal").exists()
    with Project.open(other) as exported:
        assert exported.check() == [] and len(exported.codings()) == 1


# --- 3. names ------------------------------------------------------------------------------------

@pytest.fixture
def named(run, tmp_path):
    write(tmp_path / "t.txt", "---\nschool: De Linde\n---\nInterviewer: Hoe gaat het met Sanne de\n"
                              "Leraar: Vries is mijn collega. San\u200bne en \uff33\uff41\uff4e\uff4e\uff45 en Sanna "
                              "en Snane en de Sannemoeder en Zoe, Zoë. Mijn moeder ook.\n")
    assert run("import", str(tmp_path / "t.txt")).exit_code == 0
    for name, replacement in (("Sanne de Vries", "Lotte Jansen"), ("Sanne", "Lotte"), ("Zoë", "Daan"),
                              ("De Linde", "School A")):
        assert run("pseudonyms", "add", name, replacement).exit_code == 0, name
    for turn in (1, 2):
        assert run("code", "add", "t", "interdependence", "--turn", str(turn), "--coder", "anna").exit_code == 0
        assert run("code", "add", "t", "flexibility", "--turn", str(turn), "--coder", "ben").exit_code == 0
    return run


LEAKED = ("Sanne", "San\u200bne", "\uff33\uff41\uff4e\uff4e\uff45", "Sanna", "Snane", "Zoë", "Zoe", "Vries", "Linde")


def _clean(text: str) -> None:
    for name in LEAKED:
        assert name not in text, (name, text)


def test_every_output_replaces_every_form_of_a_name(named, tmp_path):
    for fmt in ("md", "xlsx"):
        out = tmp_path / f"q.{fmt}"
        assert named("quotes", "--context", "-o", str(out)).exit_code == 0
        text = out.read_text(encoding="utf-8") if fmt == "md" else " ".join(
            str(c) for sheet in load_workbook(out).worksheets for row in sheet.iter_rows(values_only=True)
            for c in row if c is not None)
        _clean(text)
        assert "Lottemoeder" in text and "Lotte Jansen" in text and "moeder ook" in text
    html = tmp_path / "s.html"
    assert named("summary", "--by", "school", "-o", str(html)).exit_code == 0
    assert "School A" in html.read_text(encoding="utf-8")
    _clean(html.read_text(encoding="utf-8"))
    for args in (["disagreements", "anna", "ben"], ["disagreements", "anna", "ben", "--json"]):
        result = named(*args)
        assert result.exit_code == 0
        _clean(result.output)


def test_a_list_that_would_leave_a_name_is_refused(run, tmp_path):
    assert run("pseudonyms", "add", "Sanne", "Lotte").exit_code == 0
    assert run("pseudonyms", "add", "Daan", "Bram").exit_code == 0
    for name, replacement in (("Sanne", "SANNE"), ("Lotte", "Sanne"), ("Zoë", "Daan"), ("Sanne", "\uff33anne")):
        result = run("pseudonyms", "add", name, replacement)
        assert result.exit_code == 2 and "the name would stay" in result.output, (name, replacement)
    for text in ("Sanne: {replacement: Lotte, variantz: [Saan]}\n", "Sanne: Lotte\nLotte: Sanne\n"):
        with pytest.raises(BadInput):
            read_pseudonym_file(write(tmp_path / "p.yaml", text))


def test_a_name_split_over_a_boundary_is_replaced_whole():
    names = Pseudonymiser([Pseudonym("Sanne de Vries", "Lotte Jansen")])
    text = "Ik werk met Sanne de\nVries samen."
    cut = text.index("\n")
    assert names.span(text, 0, cut) == "Ik werk met Lotte Jansen"
    assert "Vries" not in names.span(text, cut + 1, len(text))


def test_a_leak_found_in_the_written_file_removes_it(named, tmp_path, monkeypatch):
    monkeypatch.setattr(Pseudonymiser, "apply", lambda self, text: text)  # a bug that lets names through
    monkeypatch.setattr(Pseudonymiser, "span", lambda self, text, start, end: text[start:end])
    out = tmp_path / "q.docx"
    result = named("quotes", "-o", str(out))
    assert result.exit_code == 1 and "stand in the written file" in result.output and not out.exists()


# --- 4. text stored is text XML can carry -----------------------------------------------------------

def test_noncharacters_are_replaced_and_the_export_reads_back(run, tmp_path):
    write(tmp_path / "odd.txt", "Interviewer: Hoe?\nLeraar: Goed \ufffe en \uffff en \x1c.\n")
    result = run("import", str(tmp_path / "odd.txt"))
    assert result.exit_code == 0 and "3 control character(s) replaced" in result.output
    assert run("export-qdpx", "-o", str(tmp_path / "x.qdpx")).exit_code == 0
    fresh = run.project_path.with_name("fresh.jhsq")
    assert run("init", str(fresh), project=False).exit_code == 0
    assert run("import-qdpx", str(tmp_path / "x.qdpx"), "--project", str(fresh), project=False).exit_code == 0


# --- 8. silent alterations ---------------------------------------------------------------------------

@pytest.mark.parametrize("data, text, warning", [
    ("Leraar: café\n".encode("utf-32"), "Leraar: café", "UTF-32"),
    (b"Leraar: een\xe2\x80\xa8twee\x1c\x1d\x1e\n", "Leraar: een\ntwee\ufffd\ufffd\ufffd", "separator"),
    ("Leraar: lästig café ".encode() + b"na\xefef\n", "Leraar: lästig café naïef", "byte(s) that are not"),
    (b"Leraar: caf\xe9 na\xefef\n", "Leraar: café naïef", "Windows-1252"),
])
def test_every_decoding_decision_is_reported(data, text, warning):
    decoded, warnings = decode_bytes(data, "f.txt")
    assert decoded.rstrip("\n") == text and any(warning in w for w in warnings), warnings


def test_csv_and_workbook_cells_are_read_and_written_as_they_are(run, tmp_path):
    write(tmp_path / "t.txt", "Interviewer: Hoe?\nLeraar: Goed.\n")
    for name, sheet, where in (("a.csv", 'file,role\nt.txt,"leraar\nx.txt,mentor\n', "a.csv:2: a quote opened here"),
                               ("b.csv", 'file,role\nt.txt,"\tleraar"\n', "b.csv:2: role: a tab")):
        result = run("import", str(tmp_path / "t.txt"), "--attributes", str(write(tmp_path / name, sheet)))
        assert result.exit_code == 2 and where in result.output, result.output
    assert run("import", str(tmp_path / "t.txt"), "--attr", "school=12.50").exit_code == 0
    assert run("code", "add", "t", "interdependence", "--turn", "2", "--coder", "anna").exit_code == 0
    assert run("codings", "export", "-o", str(tmp_path / "c.xlsx")).exit_code == 0
    cell = next(c for row in load_workbook(tmp_path / "c.xlsx").active.iter_rows() for c in row if c.value == 12.5)
    assert cell.number_format == "0.00"


def test_a_foreign_project_keeps_every_coding(run, tmp_path):
    guid = "aaaaaaaa-0000-0000-0000-00000000000"
    qde = ('<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="x">'
           '<CodeBook><Codes><Code guid="22222222-2222-2222-2222-222222222222" name="c" isCodable="true"/></Codes>'
           f'</CodeBook><Sources><TextSource guid="{guid}1" name="s" plainTextPath="internal://s.txt">'
           + "".join(f'<PlainTextSelection guid="{guid}{n + 2}" startPosition="0" endPosition="5" creatingUser="{user}">'
                     '<Coding guid="33333333-3333-3333-3333-33333333333{n}"><CodeRef '
                     'targetGUID="22222222-2222-2222-2222-222222222222"/></Coding></PlainTextSelection>'
                     for n, user in enumerate(("u1", "u2", "u2")))
           + "</TextSource></Sources></Project>")
    with zipfile.ZipFile(tmp_path / "x.qdpx", "w") as archive:
        archive.writestr("project.qde", qde)
        archive.writestr("sources/s.txt", "Hallo daar, leraar.")
    result = run("import-qdpx", str(tmp_path / "x.qdpx"))
    assert result.exit_code == 0 and "user u1, user u2" in result.output and "1 coding(s) that repeat" in result.output
    with Project.open(run.project_path) as project:
        assert len(project.codings()) == 2


# --- 9. messages -----------------------------------------------------------------------------------

def test_dry_run_checks_what_import_checks(run, tmp_path):
    path = write(tmp_path / "a.txt", "---\nschooltype: PO\n---\nI: Hoi.\n")
    result = run("import", "--dry-run", str(path))
    assert result.exit_code == 2 and "unknown attribute 'schooltype'" in result.output


def test_a_second_import_of_the_same_content_at_once_is_a_skip(run):
    from jhs_qual.ingest.readers import read_transcript

    parsed = read_transcript(LINDE)
    with Project.open(run.project_path) as first, Project.open(run.project_path) as second:
        stored = first.add_transcript("a", parsed, source_name="a.txt", source_sha256=parsed.source_sha256,
                                      attributes={})
        again = second.add_transcript("a", parsed, source_name="a.txt", source_sha256=parsed.source_sha256,
                                      attributes={})
    assert isinstance(stored, int) and again == "a"


def test_check_finds_what_merge_refuses(run, tmp_path):
    assert run("import", str(LINDE)).exit_code == 0
    conn = sqlite3.connect(run.project_path)
    conn.execute("UPDATE codes SET keywords = '[oops' WHERE code_id = 'interdependence'")
    conn.commit()
    conn.close()
    result = run("check")
    assert result.exit_code == 1 and "bronstein/interdependence: its keywords are not JSON" in result.output
