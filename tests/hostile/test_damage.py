"""Broken and hostile input (issue: zero tracebacks, nothing silently altered, bounded memory).

Every input is made here (no large files in the repository) and given to the real
`jhs-qual` in a subprocess with a memory ceiling; each must end with exit code 1
or 2, one line on stderr, no traceback, and the project unchanged (SQLite's
integrity check and the row counts)."""

from __future__ import annotations

import os
import resource
import sqlite3
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import CODEBOOK_FILES, SAMPLES

JHS = [sys.executable, "-m", "jhs_qual"]
CEILING = 3 * 1024 ** 3  # bytes of address space the process may use


def limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CEILING, CEILING))


def jhs(*args, cwd=None, stdout=subprocess.PIPE, timeout=120):
    env = {**os.environ, "XDG_STATE_HOME": str(Path(cwd or ".") / "state")}
    return subprocess.run([*JHS, *map(str, args)], stdout=stdout, stderr=subprocess.PIPE, text=True,
                          cwd=cwd, env=env, preexec_fn=limited, timeout=timeout)


def state(path: Path):
    conn = sqlite3.connect(path)
    try:
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
        counts = tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                       for t in ("transcripts", "turns", "codings", "codes", "memos", "settings"))
    finally:
        conn.close()
    return ok, counts


def refused(result, *codes) -> str:
    """The run failed cleanly: the exit code, one line on stderr, no traceback."""
    err = result.stderr.strip()
    assert result.returncode in (codes or (1, 2)), (result.returncode, err)
    assert "Traceback" not in result.stderr and len(err.splitlines()) == 1, err
    return err


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    project = folder / "p.jhsq"
    assert jhs("init", project, *sum((["--codebook", f] for f in CODEBOOK_FILES), []), cwd=folder).returncode == 0
    assert jhs("import", SAMPLES / "po_leraar_de_linde.txt", "--project", project, cwd=folder).returncode == 0
    assert jhs("code", "add", "po_leraar_de_linde", "interdependence", "--turn", "36", "--coder", "anna",
               "--project", project, cwd=folder).returncode == 0
    return folder, project


def unchanged(base, run):
    folder, project = base
    before = state(project)
    result = run(folder, project)
    assert state(project) == before
    return result


# --- files made to hurt ------------------------------------------------------------------------------

def zip_with(path: Path, entries: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


QDE = (b'<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="x">'
       b'<Sources><TextSource guid="11111111-1111-1111-1111-111111111111" name="s" '
       b'plainTextPath="internal://s.txt"/></Sources></Project>')


def qdpx_variants(folder: Path) -> dict[str, Path]:
    made = {}
    big = b"Interviewer: vraag\nLeraar: " + b"a" * (200 * 1024 * 1024)
    made["200 MB source"] = zip_with(folder / "big.qdpx", {"project.qde": QDE, "sources/s.txt": big})
    good = zip_with(folder / "good.qdpx", {"project.qde": QDE, "sources/s.txt": b"Interviewer: vraag\nLeraar: ja\n"})
    raw = bytearray(good.read_bytes())
    flag_at = raw.index(b"PK\x01\x02") + 8  # central directory: general purpose flags
    encrypted = bytearray(raw)
    encrypted[flag_at] |= 1
    local = encrypted.index(b"PK\x03\x04", 1)  # the second local header: sources/s.txt
    encrypted[local + 6] |= 1
    made["encrypted entry"] = _write(folder / "enc.qdpx", encrypted)
    method = bytearray(raw)
    for header, offset in ((b"PK\x01\x02", 10), (b"PK\x03\x04", 8)):
        at = method.index(header)
        while at >= 0:
            method[at + offset:at + offset + 2] = struct.pack("<H", 99)
            at = method.find(header, at + 4)
    made["compression method 99"] = _write(folder / "m99.qdpx", method)
    corrupt = bytearray(raw)
    data_at = corrupt.index(b"PK\x03\x04", 1)
    start = data_at + 30 + len("sources/s.txt")
    corrupt[start:start + 8] = b"\xff" * 8
    made["corrupt deflate data"] = _write(folder / "bad.qdpx", corrupt)
    lying = bytearray(zip_with(folder / "lie.qdpx", {"project.qde": QDE, "sources/s.txt": b"x" * 100_000}).read_bytes())
    for header, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):  # uncompressed size: 10 bytes
        at = lying.rfind(header)
        lying[at + offset:at + offset + 4] = struct.pack("<I", 10)
    made["lying size and CRC"] = _write(folder / "lie.qdpx", lying)
    return made


def _write(path: Path, data) -> Path:
    path.write_bytes(bytes(data))
    return path


def docx_variants(folder: Path) -> dict[str, Path]:
    from docx import Document

    Document().save(folder / "ok.docx")
    with zipfile.ZipFile(folder / "ok.docx") as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    made = {}

    def variant(name: str, document_xml: bytes) -> None:
        made[name] = zip_with(folder / f"{len(made)}.docx", {**parts, "word/document.xml": document_xml})

    variant("malformed document.xml", b"<w:document><w:body><w:p>")
    variant("DTD with entities", b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
                                 b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><d>&b;</d>')
    variant("a text node over 10 MB", parts["word/document.xml"].replace(
        b"<w:body>", b"<w:body><w:p><w:r><w:t>" + b"x" * (11 * 1024 * 1024) + b"</w:t></w:r></w:p>"))
    variant("document.xml inflating to 200 MiB", b" " * (200 * 1024 * 1024))
    return made


CODEBOOK_HEAD = "id: demo\ntitle: T\nlanguage: nl\ncodes:\n"


def codebook_variants(folder: Path) -> dict[str, Path]:
    made = {
        "alias bomb": "s: &s " + "x" * 100_000 + "\n" + CODEBOOK_HEAD + "  - id: a\n    label_nl: A\n    label_en: A\n"
                      "    keywords: [" + ", ".join(["*s"] * 20_000) + "]\n",
        "complex keys": "? [a, b]\n: c\n",
        "50,000 nested [": "[" * 50_000,
        "3,000 levels of parents": CODEBOOK_HEAD + "".join(
            f"  - id: c{i}\n    label_nl: C\n    label_en: C\n" + (f"    parent: c{i - 1}\n" if i else "")
            for i in range(3000)),
    }
    paths = {}
    for i, (name, text) in enumerate(made.items()):
        paths[name] = folder / f"book{i}.yaml"
        paths[name].write_text(text, encoding="utf-8")
    return paths


# --- the cases ------------------------------------------------------------------------------------------

def test_qdpx_bombs_and_damage(base, tmp_path):
    for name, path in qdpx_variants(tmp_path).items():
        result = unchanged(base, lambda folder, project: jhs("import-qdpx", path, "--project", project, cwd=folder))
        err = refused(result, 2)
        assert path.name in err or "qdpx" in err, (name, err)


def test_docx_bombs_and_damage(base, tmp_path):
    for name, path in docx_variants(tmp_path).items():
        result = unchanged(base, lambda folder, project: jhs("import", path, "--project", project, cwd=folder))
        assert result.returncode == 2 and "Traceback" not in result.stderr, (name, result.stderr)
        assert path.name in result.stderr and "Word" in result.stderr, (name, result.stderr)


def test_codebook_bombs(base, tmp_path):
    for name, path in codebook_variants(tmp_path).items():
        refused(jhs("codebook", "check", path, cwd=tmp_path), 2)
        result = unchanged(base, lambda folder, project: jhs("codebook", "load", path, "--project", project,
                                                             cwd=folder))
        assert path.name in refused(result, 2), name


def test_sheets_and_file_names(base, tmp_path):
    folder, project = base
    sheet = tmp_path / "big.csv"
    sheet.write_text("file,school\npo_leraar_de_linde.txt," + "x" * 200_000 + "\n", encoding="utf-8")
    err = refused(unchanged(base, lambda f, p: jhs("import", SAMPLES / "po_leraar_de_linde.txt", "--attributes",
                                                   sheet, "--project", p, cwd=f)), 2)
    assert "big.csv:2" in err
    twice = tmp_path / "twice.csv"
    twice.write_text("file,school,school\na.txt,x,y\n", encoding="utf-8")
    assert "appears twice" in refused(jhs("import", SAMPLES, "--attributes", twice, "--project", project, cwd=folder), 2)
    odd = tmp_path / os.fsdecode(b"caf\xe9.txt")
    odd.write_text("Interviewer: vraag\nLeraar: antwoord\n", encoding="utf-8")
    result = jhs("import", odd, "--project", tmp_path / "fresh.jhsq", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_csv_sheets_read_as_written(run, tmp_path):
    text = "file;school;interviewer\nt.txt;\"De \"\"Linde\"\"\";\"Eerste regel\nTweede regel\"\nnone.txt;x;y\n"
    (tmp_path / "sheet.csv").write_text(text, encoding="utf-8")
    (tmp_path / "t.txt").write_text("Interviewer: vraag\nLeraar: antwoord\n", encoding="utf-8")
    result = run("import", str(tmp_path / "t.txt"), "--attributes", str(tmp_path / "sheet.csv"))
    assert result.exit_code == 0 and "no imported file for 1 row: none.txt" in result.output
    from jhs_qual.store import Project

    with Project.open(run.project_path) as project:
        attributes = project.attributes_by_transcript()[project.transcript("t")["id"]]
    assert attributes["school"] == 'De "Linde"' and attributes["interviewer"] == "Eerste regel\nTweede regel"


def test_nul_bytes_after_the_first_8_kb(run, tmp_path):
    path = tmp_path / "nul.txt"
    path.write_bytes(b"Interviewer: vraag\n" + b"Leraar: " + b"a" * 9000 + b"\x00 en verder\n")
    result = run("import", str(path))
    assert result.exit_code == 0 and "control character(s) replaced" in result.output
    assert run("code", "add", "nul", "interdependence", "--span", "9020:9030", "--coder", "anna").exit_code == 0


# --- damaged project files ----------------------------------------------------------------------------

def damaged_copies(project: Path, folder: Path) -> dict[str, Path]:
    data = project.read_bytes()
    made = {"header only": data[:100], "truncated at 4 KB": data[:4096], "truncated at 200 KB": data[:200 * 1024]}
    page1 = bytearray(data)
    page1[100:400] = b"\xa5" * 300
    made["page 1 damaged"] = bytes(page1)
    paths = {name: _write(folder / f"d{i}.jhsq", blob) for i, (name, blob) in enumerate(made.items())}
    no_schema = folder / "noschema.jhsq"
    conn = sqlite3.connect(no_schema)
    conn.execute("PRAGMA application_id = 1246252881")
    conn.execute("CREATE TABLE x (y)")
    conn.commit()
    conn.close()
    paths["our id, no migrations"] = no_schema
    return paths


def test_damaged_project_files(base, tmp_path):
    folder, project = base
    subprocess.run(["sqlite3", str(project), "PRAGMA wal_checkpoint(TRUNCATE)"], capture_output=True)
    conn = sqlite3.connect(project)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for name, path in damaged_copies(project, tmp_path).items():
        for args in (["transcripts"], ["summary"], ["check"]):
            err = refused(jhs(*args, "--project", path, cwd=tmp_path))
            assert str(path) in err or "damaged" in err or "problem" in err, (name, args, err)


def test_bad_settings_and_dangling_rows(base, tmp_path):
    folder, project = base
    copy = tmp_path / "copy.jhsq"
    src = sqlite3.connect(project)
    dst = sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.execute("UPDATE settings SET value = '{not json' WHERE key = 'interviewers'")
    dst.execute("PRAGMA foreign_keys = OFF")
    dst.execute("UPDATE codings SET code_id = 9999")
    dst.commit()
    dst.close()
    for args in (["transcripts"], ["check"], ["export-qdpx", "-o", tmp_path / "x.qdpx"]):
        refused(jhs(*args, "--project", copy, cwd=tmp_path))
    summary = jhs("summary", "--project", copy, cwd=tmp_path)  # what it can count, and says what it cannot
    assert summary.returncode == 0 and "left out 1 coding whose code is not in the project" in summary.stderr
    report = jhs("check", "--project", copy, cwd=tmp_path)
    assert "setting 'interviewers' is not JSON" in report.stdout and "points to a missing row" in report.stdout
    assert not (tmp_path / "x.qdpx").exists()


def test_closed_and_full_standard_output(base):
    folder, project = base
    closed = subprocess.run([*JHS, "transcripts", "--project", str(project)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, cwd=folder, preexec_fn=lambda: os.close(1))
    refused(closed, 1)
    with open("/dev/full", "w") as full:
        refused(jhs("transcripts", "--project", project, cwd=folder, stdout=full), 1)


def test_a_bug_is_logged_not_shown(base, tmp_path, monkeypatch):
    folder, project = base
    result = subprocess.run(
        [sys.executable, "-c", "import jhs_qual.cli as c, jhs_qual.cli.project as p; "
                               "p.transcripts.callback = lambda **k: 1 / 0; c.main()",
         "transcripts"], capture_output=True, text=True, cwd=tmp_path,
        env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")})
    err = refused(result, 1)
    assert "internal error (ZeroDivisionError" in err
    log = (tmp_path / "state" / "jhs-qual" / "errors.log").read_text()
    assert "Traceback" in log and "ZeroDivisionError" in log


def _qde(sources: str) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="x">'
            f'<CodeBook><Codes><Code guid="22222222-2222-2222-2222-222222222222" name="c" isCodable="true"/>'
            f'</Codes></CodeBook><Sources>{sources}</Sources></Project>').encode()


def _source(guid: str, name: str, selections: str = "") -> str:
    return f'<TextSource guid="{guid}" name="{name}" plainTextPath="internal://{guid}.txt">{selections}</TextSource>'


def _selection(guid: str, start: int, end: int) -> str:
    return (f'<PlainTextSelection guid="{guid}" startPosition="{start}" endPosition="{end}">'
            '<Coding guid="33333333-3333-3333-3333-333333333333"><CodeRef targetGUID="22222222-2222-2222-2222-222222222222"/>'
            '</Coding></PlainTextSelection>')


def test_qdpx_sources_nothing_silently_altered(run, tmp_path):
    a, b, c = ("aaaaaaaa-0000-0000-0000-000000000001", "aaaaaaaa-0000-0000-0000-000000000002",
               "aaaaaaaa-0000-0000-0000-000000000003")
    text = "Café 👍 x!"  # 9 code points, 10 UTF-16 units
    split = zip_with(tmp_path / "split.qdpx", {
        "project.qde": _qde(_source(a, "s", _selection(b, 5, 6) + _selection(c, 8, 10))),
        f"sources/{a}.txt": text.encode()})
    result = run("import-qdpx", str(split))
    assert result.exit_code == 2 and "falls inside one character" in result.output
    assert "s" not in run("transcripts").output.split()
    odd = zip_with(tmp_path / "odd.qdpx", {
        "project.qde": _qde(_source(a, ".txt") + _source(b, "binary")),
        f"sources/{a}.txt": "Interviewer: vraag\nLeraar: ja\n".encode(), f"sources/{b}.txt": b"PK\x03\x04\x00\x00binary"})
    result = run("import-qdpx", str(odd))
    assert result.exit_code == 0, result.output
    assert "binary (not plain text)" in result.output and "source_aaaaaaaa" in run("transcripts").output


def test_a_project_that_cannot_be_written_is_read(run, tmp_path, monkeypatch):
    """In a read-only folder (simulated: the tests run as root, who may write anywhere),
    listing works and a write says in one line that it cannot."""
    import jhs_qual.store.project as store

    monkeypatch.setattr(store, "_read_only", lambda path: True)
    from jhs_qual.store import Project

    with Project.open(run.project_path) as project:
        assert project.transcript_overview() == []
        from jhs_qual.errors import Failure

        with pytest.raises(Failure, match="cannot write"):
            project.set_interviewers(["I"])
