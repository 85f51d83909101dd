"""What leaves the project is safe (issue: no live formulas, owner-only files, no name leaks,
no file clobbered): every export format of a project whose every text field holds a payload."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import stat
import threading
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from jhs_qual.store import Project
from tests.conftest import Cli, write

FORMULA = "=cmd|' /C calc'!A0"
PAYLOADS = [FORMULA, "+SUM(1,2)", "-2+3", "@SUM(A1)", "Infinity", "1e309", "007", "<script>alert(1)</script>"]
CONTROL = "\x1b]0;pwned\x07\x0b"


@pytest.fixture
def hostile(run, tmp_path):
    text = "\n".join(["---", f'school: "{FORMULA}"', "role: leraar", "---",
                      f"Interviewer: {PAYLOADS[1]} wat vind je?"] +
                     [f"Leraar: {p} we werken samen met de jeugdhulpverlener {CONTROL} Sanne en Saan." for p in PAYLOADS])
    write(tmp_path / "in" / "evil.txt", text)
    result = run("import", str(tmp_path / "in"))
    assert result.exit_code == 0 and "control character(s) replaced" in result.output
    for turn in range(2, 2 + len(PAYLOADS)):
        assert run("code", "add", "evil", "interdependence", "--turn", str(turn), "--coder", "=evil",
                   "--memo", FORMULA).exit_code == 0
    with Project.open(run.project_path) as project:
        for label in ("=1+1 <b>x</b>", "007", "Infinity"):
            row = project.create_code("bronstein", label)
            project.add_coding(project.transcript("evil")["id"], row, "=evil", *_turn(project, 2))
    run("pseudonyms", "add", "Sanne", "Lotte", "--variant", "Saan")
    return run


def _turn(project, number):
    turn = project.turn(project.transcript("evil")["id"], number)
    return turn["content_start"], turn["end"]


def exports(run: Cli, folder: Path) -> list[Path]:
    folder.mkdir(exist_ok=True)
    made = []
    commands = [
        (["codings", "export"], "codings.csv"),
        *[(["quotes"], f"quotes.{ext}") for ext in ("csv", "xlsx", "md", "html", "docx")],
        (["summary", "--table", "codes"], "summary.csv"),
        *[(["summary", "--format", ext], f"summary.{ext}") for ext in ("xlsx", "md", "html")],
        (["compare", "--coders", "=evil", "auto"], "compare.xlsx"),
        (["export-qdpx"], "project.qdpx"),
        (["codebook", "export"], "codebooks.qdc"),
        (["codebook", "save", "bronstein"], "bronstein.yaml"),
    ]
    run("autocode", "--min-score", "0")  # a second coder to compare with
    for args, name in commands:
        out = folder / name
        result = run(*args, "-o", str(out))
        assert result.exit_code == 0, (args, result.output)
        made.append(out)
    return made


def texts_of(path: Path) -> list[str]:
    """What a reader of the file sees: the text, or every XML part of a zip."""
    if path.suffix in (".xlsx", ".docx", ".qdpx"):
        with zipfile.ZipFile(path) as archive:
            return [archive.read(n).decode("utf-8", "replace") for n in archive.namelist()
                    if n.endswith((".xml", ".rels", ".txt", ".qde", ".qdc"))]
    return [path.read_text(encoding="utf-8-sig")]


def test_every_format_is_inert_private_and_pseudonymised(hostile, tmp_path):
    old = os.umask(0o022)
    try:
        made = exports(hostile, tmp_path / "out")
    finally:
        os.umask(old)
    for path in made:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        for text in texts_of(path):
            assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text), path  # no control characters
            if path.suffix not in (".qdpx", ".qdc", ".yaml"):  # reports; a .qdpx is the project itself
                assert "Saan" not in text and "Sanne" not in text, path  # every listed name and variant replaced
        if path.suffix in (".md", ".html"):
            text = path.read_text(encoding="utf-8")
            assert "<script>" not in text and "<b>" not in text, path
            assert ("&lt;script&gt;" if path.name.startswith("quotes") else "&lt;b&gt;") in text, path
        if path.suffix == ".xlsx":
            workbook = load_workbook(path)
            cells = [c for sheet in workbook for row in sheet.iter_rows() for c in row if c.value is not None]
            assert not [c.coordinate for c in cells if c.data_type == "f"], path  # no formula cell
            values = {c.value for c in cells}
            if path.name != "compare.xlsx":  # (codes by reference there)
                assert "007" in values and "Infinity" in values, path  # labels stay text
            assert not any(isinstance(v, float) and v in (float("inf"), float("-inf")) for v in values)
        if path.suffix == ".csv":
            for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))):
                for cell in row:
                    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (path, cell)
            wanted = "'=1+1" if path.name == "summary.csv" else "'" + FORMULA
            assert wanted in path.read_text(encoding="utf-8-sig"), path  # neutralised, not lost


def test_raw_csv_for_programs(hostile, tmp_path):
    out = tmp_path / "raw.csv"
    assert hostile("codings", "export", "--raw-csv", "-o", str(out)).exit_code == 0
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert any(cell == FORMULA for row in rows for cell in row)


def test_terminal_output_has_no_control_characters(run, tmp_path):
    write(tmp_path / "t.txt", f"Interviewer: vraag\nLeraar: boos {CONTROL} samen\n")
    assert run("import", str(tmp_path / "t.txt")).exit_code == 0
    with Project.open(run.project_path) as project:  # an old project could hold them: put one in by hand
        text = project.db.execute("SELECT text FROM transcripts").fetchone()[0].replace("samen", "sa\x1bmen")
        project.db.execute("UPDATE transcripts SET text = ?, sha256 = ?", [text, hashlib.sha256(text.encode()).hexdigest()])
    for args in (["suggest", "t", "--min-score", "0"], ["transcripts"]):
        out = run(*args).output
        assert "\x1b" not in out and "\x07" not in out
    qdpx = tmp_path / "old.qdpx"
    assert run("export-qdpx", "-o", str(qdpx)).exit_code == 0  # well-formed XML all the same
    with zipfile.ZipFile(qdpx) as archive:
        import xml.etree.ElementTree as ET

        ET.fromstring(archive.read("project.qde"))
        assert not any(b"\x1b" in archive.read(n) for n in archive.namelist())


# --- -o and what is at the path --------------------------------------------------------------------

def test_output_rules(run, tmp_path):
    out = tmp_path / "c.csv"
    assert run("codings", "export", "-o", str(out)).exit_code == 0
    os.chmod(out, 0o640)
    again = run("codings", "export", "-o", str(out))
    assert again.exit_code == 2 and "exists already; add --force" in again.output
    assert run("codings", "export", "-o", str(out), "--force").exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o640  # kept
    link = tmp_path / "link.csv"
    target = tmp_path / "target.csv"
    target.write_text("old")
    link.symlink_to(target)
    assert run("codings", "export", "-o", str(link), "--force").exit_code == 0
    assert link.is_symlink() and target.read_text(encoding="utf-8-sig").startswith("transcript,")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    assert run("codings", "export", "-o", str(fifo)).exit_code == 0
    reader.join(5)
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and got and got[0].startswith(b"\xef\xbb\xbftranscript")
    assert run("codings", "export", "-o", "/dev/null").exit_code == 0
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    folder = run("codings", "export", "-o", str(tmp_path))
    assert folder.exit_code == 2 and "is a directory" in folder.output
    stdout = run("quotes", "-o", "-", "--format", "md")
    assert stdout.exit_code == 0 and stdout.output.startswith("# Quotes per theme")
    assert not (Path.cwd() / "-").exists()


def test_new_files_take_the_configured_mode(run, tmp_path, monkeypatch):
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "jhs-qual" / "config.toml"
    write(config, '[files]\nmode = "0640"\n')
    out = tmp_path / "c.csv"
    assert run("codings", "export", "-o", str(out)).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    write(config, '[files]\nmode = "0200"\n')
    bad = run("codings", "export", "-o", str(tmp_path / "d.csv"))
    assert bad.exit_code == 2 and "files.mode" in bad.output


# --- pseudonyms -------------------------------------------------------------------------------------

def test_pseudonym_import_merges_and_remove(run, tmp_path):
    assert "added Sanne -> Lotte (also Saan)" in run("pseudonyms", "add", "Sanne", "Lotte", "--variant", "Saan").output
    names = write(tmp_path / "names.yaml", "Sanne: Lotte\nDaan: Bram\n")
    result = run("pseudonyms", "import", str(names))
    assert "added Daan -> Bram" in result.output and "1 change;" in result.output
    listed = run("pseudonyms", "list").output
    assert re.search(r"Sanne\s+Lotte\s+Saan", listed)  # the variant survived the import
    changed = run("pseudonyms", "import", str(write(tmp_path / "n2.yaml", "Sanne: Roos\n"))).output
    assert "Sanne: replacement Lotte -> Roos" in changed  # reported, not silent
    assert "removed Daan" in run("pseudonyms", "remove", "Daan").output
    assert "Daan" not in run("pseudonyms", "list").output
    assert run("pseudonyms", "remove", "Nobody").exit_code == 2


# --- merge: the path is a path ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["other%41.jhsq", "other#1.jhsq", "other?x.jhsq", "my other.jhsq"])
def test_merge_paths_with_uri_characters(run, tmp_path, name):
    other = tmp_path / name
    assert run("export-coder", "nobody", "-o", str(other)).exit_code == 2  # no such coder: nothing made
    write(tmp_path / "t.txt", "Interviewer: vraag\nLeraar: we doen het samen\n")
    assert run("import", str(tmp_path / "t.txt")).exit_code == 0
    assert run("code", "add", "t", "interdependence", "--turn", "2", "--coder", "anna").exit_code == 0
    assert run("export-coder", "anna", "-o", str(other)).exit_code == 0
    decoy = tmp_path / "otherA.jhsq"
    assert not decoy.exists()
    result = run("merge", str(other))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".jhsq") == sorted(["cli.jhsq", name])


def test_sheet_titles_are_ones_excel_takes(tmp_path):
    import openpyxl

    from jhs_qual.export.tables import XlsxBook

    names = ["overview", "Overview", "a/b:c*d?e[f]g\\h", "x" * 40, "x" * 40, "'quoted'"]
    with XlsxBook(tmp_path / "t.xlsx") as book:
        for name in names:
            book.sheet(name, [["h"], ["v"]])
    assert openpyxl.load_workbook(tmp_path / "t.xlsx").sheetnames == [
        "overview", "Overview_2", "a_b_c_d_e_f_g_h", "x" * 31, "x" * 28 + "_2", "quoted"]


def test_markdown_keeps_apostrophes_and_escapes_markup():
    from jhs_qual.export.safe import markdown

    assert markdown("each other's <b>expertise</b> & \"more\"") == "each other's &lt;b&gt;expertise&lt;/b&gt; &amp; \"more\""
