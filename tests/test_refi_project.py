"""REFI-QDA projects: valid export, exact round trip (emoji included), offset
conventions detected on import, other tools' files, refusal of unsafe input."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jhs_qual.errors import BadInput
from jhs_qual.refi.export import export_qdpx
from jhs_qual.refi.positions import offset_maps, utf16_offsets
from jhs_qual.refi.project import import_qdpx
from jhs_qual.store import Project
from tests.conftest import ROOT, SHARED, write
from tests.test_store import add

REFI = SHARED / "refi"
SCHEMAS = ROOT / "tests" / "fixtures" / "refi"  # the standard's XSDs (MIT)
LINES = "Interviewer: Hoe was het?\nMeisje: Leuk 😀 en ook “spannend”.\nZoë kreeg 👍🏽 van de juf.\nJongen: Saai."


@pytest.fixture
def coded(loaded_project):
    project = loaded_project
    tid = add(project, "emoji", LINES, role="leerling", school_type="PO")
    text = project.transcript("emoji")["text"]
    for code, word, coder, memo in (("intervention", "Leuk 😀", "anna", "blij"), ("sel_group", "👍🏽 van de juf", "anna", ""),
                                    ("improvements", "Saai", "ben", ""), ("intervention", "spannend", "ben", "")):
        start = text.index(word)
        project.add_coding(tid, project.resolve_code(code)["id"], coder, start, start + len(word), memo=memo)
    project.db.execute("INSERT INTO memos(coder_id, title, text, created_at, updated_at) VALUES "
                       "((SELECT id FROM coders WHERE name = 'anna'), 'Indruk', 'Open groep.', "
                       "'2026-11-23T10:00:00+00:00', '2026-11-23T10:00:00+00:00')")
    return project


def snapshot(project):
    names = project.transcript_names()
    return {
        "texts": sorted(project.texts().values()),
        "codings": sorted((names[c.transcript_id], c.code, c.coder, c.start, c.end, c.memo) for c in project.codings()),
        "turns": [(r["speaker"], r["start"], r["content_start"], r["end"]) for r in project.db.query(
            "SELECT speaker, start, content_start, end FROM turns ORDER BY transcript_id, idx")],
        "attributes": sorted(tuple(sorted(a.items())) for a in project.attributes_by_transcript().values()),
    }


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
@pytest.mark.parametrize("offsets", ["codepoints", "utf16"])
def test_round_trip_span_for_span(coded, tmp_path, offsets, crlf):
    archive = tmp_path / "p.qdpx"
    export_qdpx(coded, archive, offsets=offsets, crlf=crlf)
    with zipfile.ZipFile(archive) as z:
        (source,) = [z.read(n).decode() for n in z.namelist() if n.startswith("sources/")]
        description = z.read("project.qde").decode().split("<Description>")[-1]
    assert description.startswith("Exported by jhs-qual. Selection positions count " +
                                  ("UTF-16 code units" if offsets == "utf16" else "Unicode code points"))
    assert ("a CRLF line end as two" if crlf else "a line end as one (LF)") in description
    stored = coded.transcript("emoji")["text"]
    assert source.count("\r\n") == (stored.count("\n") if crlf else 0) and source.replace("\r\n", "\n") == stored
    fresh = Project.create(tmp_path / "fresh.jhsq")
    report = import_qdpx(fresh, archive)
    assert report.conventions == {"emoji": offsets + ("-crlf" if crlf else "")}
    assert report.codings == 4 and report.memos == 1 and report.coders == ["anna", "ben"]
    assert snapshot(fresh) == snapshot(coded)
    assert import_qdpx(fresh, archive).codings == 0  # the same file again adds nothing


def test_export_is_valid_against_project_xsd(coded, tmp_path, forked):
    """(Written by a forked process, as the command does.)"""
    from lxml import etree

    archive = tmp_path / "p.qdpx"
    export_qdpx(coded, archive)
    with zipfile.ZipFile(archive) as z:
        assert {"project.qde"} | {n for n in z.namelist() if n.startswith("sources/")} == set(z.namelist())
        document = etree.fromstring(z.read("project.qde"))
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "Project.xsd")))
    assert schema.validate(document), schema.error_log


def test_offset_maps():
    raw = "a😀\r\nb"
    maps = offset_maps(raw)
    stored = "a😀\nb"
    assert maps["codepoints"] == [0, 1, 2, 3, 4] and maps["utf16"] == [0, 1, 1, 2, 3, 4]
    assert maps["codepoints-crlf"] == [0, 1, 2, 2, 3, 4] and maps["utf16-crlf"] == [0, 1, 1, 2, 2, 3, 4]
    assert stored[maps["utf16-crlf"][5]:maps["utf16-crlf"][6]] == "b"
    assert utf16_offsets("a😀b") == [0, 1, 3, 4]


def qdpx(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def project_xml(text_source: str, codes: str = "", extra: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Studie NV">
  <Users><User guid="5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b" name="sanne"/></Users>
  <CodeBook><Codes>{codes or '<Code guid="1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d" name="Blij" isCodable="true" color="#FC0"/>'}</Codes></CodeBook>
  <Sources>{text_source}</Sources>{extra}
</Project>""".encode()


NVIVO_TEXT = "\ufeffInterviewer: Hoi 😀\r\nLeerling: Ik was blij.\r\n".encode("utf-8")
# NVivo 12: UTF-16 units, CRLF as two, the BOM not counted. "blij" is at code point 36 in the
# stored text, at 38 in UTF-16 units with CRLF as two (the emoji is two units, the CR one more).
NVIVO_SOURCE = """<TextSource guid="8b9c0d1e-2f3a-4b4c-8d5e-6f7a8b9c0d1e" name="Gesprek 1.docx"
 plainTextPath="internal://8b9c0d1e-2f3a-4b4c-8d5e-6f7a8b9c0d1e.txt">
 <PlainTextSelection guid="9c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f" name="blij" startPosition="38" endPosition="42"
  creatingUser="5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b">
  <Coding guid="0d1e2f3a-4b5c-4d6e-8f7a-8b9c0d1e2f3a"><CodeRef targetGUID="1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"/></Coding>
 </PlainTextSelection></TextSource>
<PDFSource guid="7b9c0d1e-2f3a-4b4c-8d5e-6f7a8b9c0d1e" name="scan.pdf"/>"""


def test_nvivo_style_offsets_are_detected(project, tmp_path):
    path = write(tmp_path / "nvivo.qdpx", qdpx({
        "Project.qde": project_xml(NVIVO_SOURCE),
        "Sources/8b9c0d1e-2f3a-4b4c-8d5e-6f7a8b9c0d1e.txt": NVIVO_TEXT,
    }))
    report = import_qdpx(project, path)
    assert report.conventions == {"Gesprek 1": "utf16-crlf"}
    assert report.skipped_sources == ["scan.pdf (PDFSource)"]
    (coding,) = project.codings()
    text = project.transcript("Gesprek 1")["text"]
    assert text[coding.start:coding.end] == "blij" and coding.coder == "sanne"
    assert [t["speaker"] for t in project.db.query("SELECT speaker FROM turns ORDER BY idx")] == ["Interviewer", "Leerling"]


def count(project):
    return {t: project.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("transcripts", "codings", "codebooks")}


@pytest.mark.parametrize(
    "entries, message",
    [
        ({"../project.qde": b"x"}, "unsafe path"),
        ({"notes.txt": b"x"}, "no project.qde"),
        ({"project.qde": project_xml(NVIVO_SOURCE.replace('startPosition="38" endPosition="42"',
                                                          'startPosition="38" endPosition="900"')),
          "sources/8b9c0d1e-2f3a-4b4c-8d5e-6f7a8b9c0d1e.txt": NVIVO_TEXT}, "is outside the text"),
        ({"project.qde": project_xml(NVIVO_SOURCE.replace('targetGUID="1a2b3c4d', 'targetGUID="ffffffff')),
          "sources/8b9c0d1e-2f3a-4b4c-8d5e-6f7a8b9c0d1e.txt": NVIVO_TEXT}, "unknown code GUID"),
        ({"project.qde": project_xml(NVIVO_SOURCE)}, "its text is not in the archive"),
        ({"project.qde": b'<!DOCTYPE p [<!ENTITY a "b">]><Project name="&a;"/>'}, "entities are not allowed"),
        # nested deep inside a source: the streamed reading looks at each source before letting it go
        ({"project.qde": project_xml(NVIVO_SOURCE.replace("</TextSource>", "<x>" * 100 + "</x>" * 100
                                                          + "</TextSource>")),
          "sources/8b9c0d1e-2f3a-4b4c-8d5e-6f7a8b9c0d1e.txt": NVIVO_TEXT}, "nested more than 64 levels"),
    ],
)
def test_refused_and_nothing_written(project, tmp_path, entries, message):
    before = count(project)
    with pytest.raises(BadInput, match=message):
        import_qdpx(project, write(tmp_path / "x.qdpx", qdpx(entries)))
    assert count(project) == before


# The shape of the `qualitative-coding` tool's export (qc 1.3): source files named by their
# own names, no internal://, selections without names, code points (a selection that ends
# just after the emoji could not be UTF-16: it would split the pair).
QC_TEXT = "Interviewer: Wat vond je van het project?\nDocent: Café 😀 was geweldig, echt waar.\n"
QC_STYLE = {
    "project.qde": f"""<Project xmlns="urn:QDA-XML:project:1.0" origin="qc 1.3.2" name="qc project">
<Users><User name="cp" guid="39633935-3331-3962-6632-373436373264" /></Users>
<CodeBook><Codes><Code name="rq1" guid="34653336-3766-3235-6466-363134396437" isCodable="true">
<Code name="waardering" guid="31366536-3938-3831-6231-633830313036" isCodable="true" /></Code></Codes></CodeBook>
<Sources><TextSource plainTextPath="gesprek-1.txt" guid="33663939-3636-3632-3038-613431643463">
<PlainTextSelection guid="61343232-3366-6565-6131-363464383862" startPosition="{QC_TEXT.index("Café")}"
 endPosition="{QC_TEXT.index("😀") + 1}" creatingUser="39633935-3331-3962-6632-373436373264">
<Coding guid="64326466-3661-3932-3565-386664623430" creatingUser="39633935-3331-3962-6632-373436373264">
<CodeRef targetGUID="31366536-3938-3831-6231-633830313036" /></Coding></PlainTextSelection>
</TextSource></Sources></Project>""".encode(),
    "sources/gesprek-1.txt": QC_TEXT.encode(),
}

# (archive, transcripts, codings, a coded text that must come out whole); the other tools'
# own files are added where ../shared/reference-data is present.
REFERENCE_PROJECTS = [("qc-style", None, ["gesprek-1"], 1, "Café 😀")]
if REFI.exists():
    REFERENCE_PROJECTS += [
        ("minimal", REFI / "samples" / "minimal" / "minimal.qdpx", ["Interview 1"], 2, "Café 😀 was great."),
        ("qc-demo", REFI / "samples" / "qc-demo.qdpx", ["admin-1", "board_2017"], 205, None),
    ]


@pytest.mark.parametrize("name, path, transcripts, codings, coded", REFERENCE_PROJECTS,
                         ids=[case[0] for case in REFERENCE_PROJECTS])
def test_reference_files(project, tmp_path, name, path, transcripts, codings, coded):
    """Archives as other tools write them import whole, read with code points."""
    report = import_qdpx(project, path or write(tmp_path / f"{name}.qdpx", qdpx(QC_STYLE)))
    assert sorted(report.transcripts) == transcripts and report.codings == codings
    assert set(report.conventions.values()) == {"codepoints"}
    if coded is not None:
        texts = project.texts()
        assert coded in {texts[c.transcript_id][c.start:c.end] for c in project.codings()}


def test_a_qde_named_after_the_project_and_lower_case_sources(project, tmp_path):
    """ATLAS.ti names the .qde after the project; others use sources/ in lower case."""
    path = write(tmp_path / "atlas.qdpx", qdpx({
        "Studie NV.qde": project_xml(NVIVO_SOURCE),
        "sources/8b9c0d1e-2f3a-4b4c-8d5e-6f7a8b9c0d1e.txt": NVIVO_TEXT,
    }))
    assert import_qdpx(project, path).codings == 1


def test_too_many_entries_are_refused(project, tmp_path, monkeypatch):
    import jhs_qual.refi.codebook as refi_codebook

    monkeypatch.setattr(refi_codebook, "MAX_ENTRIES", 2)
    path = write(tmp_path / "many.qdpx", qdpx({"project.qde": b"x", "a.txt": b"a", "b.txt": b"b"}))
    with pytest.raises(BadInput, match="3 entries in the archive"):
        import_qdpx(project, path)


def test_cli_round_trip(run, tmp_path):
    from tests.conftest import SAMPLES

    run("import", str(SAMPLES / "po_leraar_de_linde.txt"))
    run("code", "add", "po_leraar_de_linde", "interdependence", "--turn", "36", "--coder", "anna", "--memo", "nodig")
    out = tmp_path / "p.qdpx"
    exported = run("export-qdpx", "-o", str(out), "--offsets", "utf16")
    assert exported.exit_code == 0 and "1 transcript, 1 coding by 1 coder, 3 codebooks" in exported.output
    from click.testing import CliRunner
    from jhs_qual.cli import cli

    other = tmp_path / "other.jhsq"
    CliRunner().invoke(cli, ["init", str(other)])
    result = CliRunner().invoke(cli, ["import-qdpx", str(out), "--project", str(other)])
    assert result.exit_code == 0, result.output
    assert "transcript po_leraar_de_linde: positions read as utf16" in result.output  # as the file says (no emoji: all agree)
    assert "imported 1 new transcript, 1 coding, 0 memos" in result.output
    bad = CliRunner().invoke(cli, ["import-qdpx", str(write(tmp_path / "x.qdpx", b"nope")), "--project", str(other)])
    assert bad.exit_code == 2 and "x.qdpx: not a .qdpx archive" in bad.output


def test_what_has_no_place_is_reported_and_notes_find_their_transcript(run, tmp_path):
    """The standard asks an importer to report what it leaves out; a Note referred to from a
    source becomes a memo on that transcript, the project's description a memo too."""
    import zipfile

    guid = "aaaaaaaa-0000-0000-0000-000000000001"
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="x">
  <Description>Een studie naar samenwerking.</Description>
  <Sources>
    <TextSource guid="{guid}" name="t" plainTextPath="internal://{guid}.txt">
      <NoteRef targetGUID="bbbbbbbb-0000-0000-0000-000000000001"/>
    </TextSource>
    <PDFSource guid="cccccccc-0000-0000-0000-000000000001" name="d.pdf" path="internal://d.pdf">
      <PDFSelection guid="dddddddd-0000-0000-0000-000000000001" page="1" firstX="0" firstY="0" secondX="1" secondY="1">
        <Coding guid="eeeeeeee-0000-0000-0000-000000000001"><CodeRef targetGUID="ffffffff-0000-0000-0000-000000000001"/></Coding>
      </PDFSelection>
    </PDFSource>
  </Sources>
  <Notes><Note guid="bbbbbbbb-0000-0000-0000-000000000001" name="n"><PlainTextContent>Let op de toon.</PlainTextContent></Note></Notes>
  <Links><Link guid="11111111-0000-0000-0000-000000000001" originGUID="{guid}" targetGUID="{guid}"/></Links>
  <Sets><Set guid="22222222-0000-0000-0000-000000000001" name="s"/></Sets>
</Project>"""
    path = tmp_path / "x.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", qde)
        archive.writestr(f"sources/{guid}.txt", "Interviewer: vraag\nLeraar: antwoord\n")
    result = run("import-qdpx", str(path))
    assert result.exit_code == 0, result.output
    assert "left out (no place for them in jhs-qual): 1 codings on pdf sources, 1 links, 1 sets" in result.output
    with Project.open(run.project_path) as project:
        tid = project.transcript("t")["id"]
        memos = {m["text"]: m["transcript_id"] for m in project.memos()}
    assert memos == {"Let op de toon.": tid, "Een studie naar samenwerking.": None}


def test_positions_that_fit_two_ways_are_asked_not_guessed(run, tmp_path):
    """The issue's case: NVivo's UTF-16 positions in a CRLF file with an emoji, selection names
    that do not hold the text ("Reference 1"), every selection fitting as code points too."""
    import zipfile

    text = "Leraar: Café was leuk 👍🏽 echt.\r\nInterviewer: En verder?\r\nLeraar: Ja.\r\n"
    words = "Café was leuk 👍🏽 echt."
    start_cp = text.index(words)
    start16 = len(text[:start_cp].encode("utf-16-le")) // 2
    end16 = start16 + len(words.encode("utf-16-le")) // 2
    guid, code = "aaaaaaaa-0000-0000-0000-000000000001", "ffffffff-0000-0000-0000-000000000001"
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="x">
  <CodeBook><Codes><Code guid="{code}" name="c" isCodable="true"/></Codes></CodeBook>
  <Sources><TextSource guid="{guid}" name="t" plainTextPath="internal://{guid}.txt">
    <PlainTextSelection guid="bbbbbbbb-0000-0000-0000-000000000001" name="Reference 1" startPosition="{start16}"
        endPosition="{end16}"><Coding guid="cccccccc-0000-0000-0000-000000000001"><CodeRef targetGUID="{code}"/></Coding>
    </PlainTextSelection></TextSource></Sources>
</Project>"""
    path = tmp_path / "nvivo.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", qde)
        archive.writestr(f"sources/{guid}.txt", text.encode("utf-8"))
    asked = run("import-qdpx", str(path))
    assert asked.exit_code == 2 and "--offsets" in asked.output
    assert run("import-qdpx", str(path), "--offsets", "utf16").exit_code == 0
    with Project.open(run.project_path) as project:
        (row,) = project.coding_rows()
    assert row["text"] == words


def test_our_qdpx_opens_in_another_reader(run, tmp_path):
    """pyrefiqda (an independent reader, validating against the standard's schema) finds every
    source of our export in sources/ with its text, and the codings on it."""
    from pyrefiqda import RefiProject

    from tests.conftest import SAMPLES

    assert run("import", str(SAMPLES / "po_leraar_de_linde.txt")).exit_code == 0
    assert run("code", "add", "po_leraar_de_linde", "interdependence", "--turn", "36", "--coder", "anna").exit_code == 0
    out = tmp_path / "ours.qdpx"
    assert run("export-qdpx", "-o", str(out)).exit_code == 0
    project = RefiProject.load(out, extract_dir=str(tmp_path / "extracted"))
    (source,) = project.sources.text_source
    text = RefiProject.resolve_source_path(source.plain_text_path, tmp_path / "extracted").read_text(encoding="utf-8")
    with Project.open(run.project_path) as ours:
        assert text == ours.transcript("po_leraar_de_linde")["text"]
    (selection,) = source.plain_text_selection
    assert text[selection.start_position:selection.end_position].startswith("Ik weet hoe ik een klas moet runnen.")


def test_a_bare_qde_with_its_sources_beside_it(run, tmp_path):
    """Both import commands take a bare .qde; a missing source is named."""
    import zipfile

    from tests.conftest import SAMPLES

    assert run("import", str(SAMPLES / "po_leraar_de_linde.txt")).exit_code == 0
    assert run("code", "add", "po_leraar_de_linde", "interdependence", "--turn", "36", "--coder", "anna").exit_code == 0
    packed = tmp_path / "p.qdpx"
    assert run("export-qdpx", "-o", str(packed)).exit_code == 0
    folder = tmp_path / "bare"
    with zipfile.ZipFile(packed) as archive:
        archive.extractall(folder)
    qde = folder / "project.qde"
    book = tmp_path / "book.yaml"
    assert run("codebook", "import", str(qde), "-o", str(book), "--codebook", "bronstein",
               project=False).exit_code == 0
    assert "interdependence" in book.read_text(encoding="utf-8")
    other = tmp_path / "other.jhsq"
    assert run("init", str(other), project=False).exit_code == 0
    result = run("import-qdpx", str(qde), "--project", str(other), project=False)
    assert result.exit_code == 0 and "1 coding," in result.output
    for source in (folder / "sources").iterdir():
        source.unlink()
    missing = run("import-qdpx", str(qde), "--project", str(tmp_path / "other.jhsq"), project=False)
    assert missing.exit_code == 2 and "not beside it" in missing.output


def test_guids_and_streamed_sources_are_what_elementtree_makes():
    """export-qdpx writes each TextSource by hand (a large export would spend most of its
    time in ElementTree): the bytes are those ElementTree's indent and tostring make,
    also for names and memos with quotes, markup, tabs, line ends and control characters."""
    import uuid
    from xml.etree import ElementTree as ET

    from jhs_qual.refi.codebook import GUID_NAMESPACE, guid5, xml_bytes
    from jhs_qual.refi.export import _guid, _text_source, code_guid

    for name in ("", "a", "bronstein/interdependence", "ü\U0001F600/x", *(f"coding:{i}" for i in range(500))):
        assert guid5(name) == str(uuid.uuid5(GUID_NAMESPACE, name))
    text = 'Zei "hij" <b>&</b>\ttab\r\nen\x07 dat\n\nR: \U0001F600 ja'
    t = {"sha256": "f" * 64, "name": 'naam "x" <&>\t', "imported_at": "2026-01-01T00:00:00+00:00", "text": text}
    codings = [{"codebook_id": "b", "code_id": "x", "coder": "anna", "start": 0, "end": 20, "created_at": "t\n1",
                "memo": 'memo <i>"&"</i>\n\x1b[31m\ttab'},
               {"codebook_id": "b", "code_id": "y", "coder": "ben", "start": 5, "end": len(text), "created_at": "t2",
                "memo": ""}]
    users = {"anna": _guid("coder", "anna"), "ben": _guid("coder", "ben")}
    guid = _guid("source", t["sha256"])
    source = ET.Element("TextSource", {"guid": guid, "name": f"{t['name']}.txt",
                                       "plainTextPath": f"internal://{guid}.txt", "creationDateTime": t["imported_at"]})
    for c in codings:
        key = f"{t['sha256']}:{c['codebook_id']}/{c['code_id']}:{c['coder']}:{c['start']}:{c['end']}"
        selection = ET.SubElement(source, "PlainTextSelection", {
            "guid": _guid("selection", key), "name": " ".join(text[c["start"]:c["end"]].split())[:80],
            "startPosition": str(c["start"]), "endPosition": str(c["end"]), "creatingUser": users[c["coder"]],
            "creationDateTime": c["created_at"]})
        if c["memo"]:
            ET.SubElement(selection, "Description").text = c["memo"]
        coding = ET.SubElement(selection, "Coding", {"guid": _guid("coding", key), "creatingUser": users[c["coder"]]})
        ET.SubElement(coding, "CodeRef", {"targetGUID": code_guid(c["codebook_id"], c["code_id"])})
    ET.indent(source, space="  ", level=2)
    assert _text_source(t, codings, users, "codepoints", False) == xml_bytes(source, declaration=False)
    empty = ET.Element("TextSource", source.attrib)
    assert _text_source(t, [], users, "codepoints", False) == xml_bytes(empty, declaration=False)


def test_offset_maps_are_those_counted_character_by_character():
    """offset_maps works on arrays and shares the tables of conventions that cannot differ;
    every table is still the one a walk over the characters gives."""
    import random

    from jhs_qual.refi.positions import offset_maps

    def walked(raw: str, utf16: bool, crlf: bool) -> list[int]:
        table, stored, i = [], 0, 0
        while i < len(raw):
            if raw[i] == "\r" and raw[i + 1:i + 2] == "\n":
                table += [stored] if crlf else []
            else:
                table += [stored] * (2 if utf16 and ord(raw[i]) > 0xFFFF else 1)
                stored += 1
            i += 1
        return table + [stored]

    rng = random.Random(4)
    pieces = ["a", "\r", "\n", "\r\n", "\U0001F600", "é", " "]
    for _ in range(2000):
        raw = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 25)))
        maps = offset_maps(raw)
        for name in ("codepoints", "codepoints-crlf", "utf16", "utf16-crlf"):
            assert list(maps[name]) == walked(raw, name.startswith("utf16"), name.endswith("crlf")), (raw, name)


# --- exact exchange: every convention, memos where they were, origins and dates -------------------

def _full_project(folder, text: str, spans: list[tuple[int, int]]) -> Project:
    """A project of one transcript `text` with codings on `spans` (by two coders, three origins),
    and a memo on the transcript, on a turn and on a code, dated in the past."""
    from jhs_qual.codebook import load_codebook
    from tests.conftest import CODEBOOK_FILES

    project = Project.create(folder / "full.jhsq")
    project.load_codebook(load_codebook(CODEBOOK_FILES[0]))
    tid = add(project, "t", text)
    code = project.resolve_code("interdependence")["id"]
    length = len(project.transcript("t")["text"])
    spans = sorted({(min(s, length - 1), min(e, length)) for s, e in spans})
    for n, (start, end) in enumerate(spans):
        project.add_coding(tid, code, ("anna", "ben")[n % 2], start, end, memo=f"m{n}" if n % 3 == 0 else "",
                           origin=("manual", "suggested", "auto")[n % 3])
    project.write_memo("anna", "on the transcript", transcript_id=tid)
    turn = project.db.execute("SELECT content_start, end FROM turns WHERE transcript_id = ? ORDER BY idx DESC",
                              [tid]).fetchone()
    project.write_memo("ben", "on the last turn", transcript_id=tid, span=tuple(turn))
    project.write_memo("anna", "on the code", code_row_id=code)
    with project._write() as db:
        db.execute("UPDATE codings SET created_at = '2025-03-0' || (id % 9 + 1) || 'T10:00:00+00:00'")
        db.execute("UPDATE memos SET created_at = '2025-02-01T09:00:00+00:00'")
    return project


def _exchange_state(project: Project):
    names = {r[0]: r[1] for r in project.db.execute("SELECT id, name FROM transcripts")}
    return {
        "codings": sorted(project.db.execute(
            "SELECT k.code_id, cd.name, substr(t.text, c.start + 1, c.end - c.start), c.start, c.end, c.memo,"
            " c.origin, c.created_at FROM codings c JOIN codes k ON k.id = c.code_id JOIN coders cd ON"
            " cd.id = c.coder_id JOIN transcripts t ON t.id = c.transcript_id").fetchall()),
        "memos": sorted((names.get(m["transcript_id"], ""), m["code_row_id"] is not None, m["start"] or -1,
                         m["end"] or -1, m["text"], m["coder"]) for m in project.memos()),
        "memo dates": sorted(r[0] for r in project.db.execute("SELECT created_at FROM memos")),
    }


TRICKY = st.lists(st.sampled_from(list("ab éë\n") + ["e\u0308", "👍🏽", "🇳🇱", "😀", "\u200b"]),
                  min_size=1, max_size=40).map("".join)  # line ends, emoji, combining marks


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=TRICKY, cuts=st.lists(st.tuples(st.integers(0, 200), st.integers(1, 60)), min_size=1, max_size=5))
def test_own_exports_come_back_span_for_span_in_every_convention(tmp_path_factory, body, cuts):
    text_in = f"Interviewer: Hoe?\nLeraar: {body}\nInterviewer: En?\nLeraar: {body[::-1]}."
    folder = tmp_path_factory.mktemp("exchange")
    length = len(text_in)  # the stored text is as long or shorter: spans are cut to it below
    project = _full_project(folder, text_in, [(s % length, min(s % length + n, length)) for s, n in cuts])
    expected = _exchange_state(project)
    for offsets in ("codepoints", "utf16"):
        for crlf in (False, True):
            archive = folder / f"{offsets}{crlf}.qdpx"
            export_qdpx(project, archive, offsets=offsets, crlf=crlf)
            fresh = Project.create(folder / f"{offsets}{crlf}.jhsq")
            report = import_qdpx(fresh, archive)
            assert report.conventions["t"] == offsets + ("-crlf" if crlf else "")
            assert _exchange_state(fresh) == expected, (offsets, crlf)
            again = import_qdpx(fresh, archive)
            assert again.codings == 0 and again.memos == 0 and _exchange_state(fresh) == expected
            fresh.close()
    project.close()


def test_a_foreign_file_imported_twice_adds_nothing(loaded_project):
    sample = REFI / "samples" / "made-by-other-tools" / "qualcoder_utf16_emoji.qdpx"
    first = import_qdpx(loaded_project, sample)
    books = [b["id"] for b in loaded_project.codebooks()]
    again = import_qdpx(loaded_project, sample)
    assert first.codings == 8 and again.codings == 0 and again.memos == 0 and again.codebooks == []
    assert [b["id"] for b in loaded_project.codebooks()] == books


@pytest.mark.parametrize("name", ["qualcoder_utf16_emoji", "qualcoder_utf16_emoji_maxqda_crlf",
                                  "qualcoder_long_over_emoji", "qualcoder_names_are_text"])
def test_other_tools_codings_land_on_their_words(tmp_path, name):
    import json

    folder = REFI / "samples" / "made-by-other-tools"
    expected = json.loads((folder / f"{name.replace('_maxqda_crlf', '')}.expected.json").read_text(encoding="utf-8"))
    project = Project.create(tmp_path / "p.jhsq")
    import_qdpx(project, folder / f"{name}.qdpx")
    got = sorted(r[0] for r in project.db.execute(
        "SELECT substr(t.text, c.start + 1, c.end - c.start) FROM codings c JOIN transcripts t ON t.id = c.transcript_id"))
    assert got == sorted(e["text"].replace("\r\n", "\n") for e in expected)


def test_qc_counts_code_points_and_a_wrong_option_is_refused(tmp_path):
    sample = REFI / "samples" / "made-by-other-tools" / "qc_emoji_crlf.qdpx"
    project = Project.create(tmp_path / "p.jhsq")
    for wrong in ("utf16", "utf16-crlf", "codepoints-crlf"):
        with pytest.raises(BadInput, match=f"when positions count {wrong}.*--offsets codepoints"):
            import_qdpx(project, sample, wrong)
    assert import_qdpx(project, sample).codings == 6
    lines = {r[0] for r in project.db.execute(
        "SELECT substr(t.text, c.start + 1, c.end - c.start) FROM codings c JOIN transcripts t ON t.id = c.transcript_id")}
    assert "Interviewer: Hoe was het? 😀\n" in lines


def test_a_utf16_crlf_file_is_placed_exactly_or_asked_about(tmp_path):
    """Positions in UTF-16 units with CRLF counted as two (NVivo and QualCoder on Windows text)."""
    raw = "Interviewer: Hoe was het?\r\nLeerling: Café was leuk 👍🏽 echt.\r\nInterviewer: En?\r\nLeerling: Ja 😀 fijn.\r\n"
    wanted = ["Café was leuk 👍🏽 echt.", "Ja 😀 fijn."]
    units = utf16_offsets(raw)
    selections = "".join(
        f'<PlainTextSelection guid="aaaaaaaa-0000-0000-0000-00000000000{n}" name="Coding {n}" '
        f'startPosition="{units[raw.index(w)]}" endPosition="{units[raw.index(w) + len(w)]}"><Coding '
        f'guid="bbbbbbbb-0000-0000-0000-00000000000{n}"><CodeRef targetGUID="22222222-2222-2222-2222-222222222222"/>'
        '</Coding></PlainTextSelection>' for n, w in enumerate(wanted))
    qde = ('<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="x"><CodeBook><Codes>'
           '<Code guid="22222222-2222-2222-2222-222222222222" name="c" isCodable="true"/></Codes></CodeBook><Sources>'
           f'<TextSource guid="11111111-1111-1111-1111-111111111111" name="s" plainTextPath="internal://s.txt">'
           f'{selections}</TextSource></Sources></Project>')
    archive = tmp_path / "w.qdpx"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("project.qde", qde)
        z.writestr("sources/s.txt", raw.encode("utf-8"))
    project = Project.create(tmp_path / "p.jhsq")
    try:
        import_qdpx(project, archive)
    except BadInput as refusal:
        assert "--offsets utf16-crlf" in str(refusal)
        import_qdpx(project, archive, "utf16-crlf")
    got = sorted(r[0] for r in project.db.execute(
        "SELECT substr(t.text, c.start + 1, c.end - c.start) FROM codings c JOIN transcripts t ON t.id = c.transcript_id"))
    assert got == sorted(wanted)


def test_a_foreign_codebook_without_keywords_is_said(run):
    result = run("import-qdpx", str(REFI / "samples" / "minimal" / "minimal.qdpx"))
    assert result.exit_code == 0 and "codebook minimal_example: no keywords" in result.output
    result = run("codebook", "import", str(REFI / "samples" / "minimal" / "minimal.qdc"), "-o", "-", project=False)
    assert "gives its codes no keywords, and its language is taken as nl" in result.output
    assert "left out 1 set of codes" in result.output


def test_a_bare_qde_and_its_qdpx_are_one_project(tmp_path):
    minimal = REFI / "samples" / "minimal"
    project = Project.create(tmp_path / "p.jhsq")
    assert import_qdpx(project, minimal / "minimal_qdpx" / "project.qde").codings == 2
    again = import_qdpx(project, minimal / "minimal.qdpx")
    assert again.codings == 0 and again.memos == 0 and again.codebooks == []


@pytest.mark.parametrize("head, refused", [
    (b'<?xml version="1.0"?>\n<Project name="p"/>', False),
    (b'\xef\xbb\xbf<?xml version="1.0"?><!-- made by X --><?pi x?>\n<Project/>', False),
    (b'<?xml version="1.0"?><!-- a comment --><!DOCTYPE p [<!ENTITY a "b">]><Project/>', True),
    ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE p><Project/>'.encode("utf-16"), True),
    ('<?xml version="1.0" encoding="UTF-16"?><Project/>'.encode("utf-16-le"), False),
    (b'<?xml version="1.0"?><!-- ' + b"x" * 70_000, True),  # a prolog that does not end: refused
])
def test_the_streamed_qde_may_declare_no_dtd(head, refused):
    """The .qde is parsed as a stream by Python's C parser (five times defusedxml's speed):
    its prolog is read first, and a DOCTYPE there (the only place one may stand) is refused,
    as defusedxml refuses entities."""
    from jhs_qual.refi.project import PROLOG_BYTES, _declares_dtd

    assert _declares_dtd(head[:PROLOG_BYTES]) is refused


def _many_sources(project: Project, n: int = 12) -> None:
    """`n` transcripts of several turns, each with codings by two coders."""
    code = project.resolve_code("interdependence")["id"]
    for i in range(n):
        tid = add(project, f"t{i:02d}", f"Interviewer: Vraag {i}?\nLeraar: Antwoord {i} over woord{i} hier.\n"
                                        f"Interviewer: En verder?\nLeraar: Nog iets over samenwerking {i}.")
        text = project.transcript(f"t{i:02d}")["text"]
        for coder, word in (("anna", f"woord{i}"), ("ben", f"samenwerking {i}")):
            start = text.index(word)
            project.add_coding(tid, code, coder, start, start + len(word))


def test_sources_read_in_a_worker_come_back_as_read_here(loaded_project, tmp_path, monkeypatch, forked):
    """import-qdpx reads the sources in a forked worker while it stores (workers.py); the project is
    the one reading them here makes, and the full-text index, filled a part at a time, is sound."""
    from jhs_qual import workers
    from jhs_qual.store import transcripts

    _many_sources(loaded_project)
    archive = tmp_path / "many.qdpx"
    export_qdpx(loaded_project, archive)
    monkeypatch.setattr(transcripts, "WORDS_HELD", 10)  # the index filled every few transcripts
    made = {}
    for how, threads in (("here", 3), ("in a worker", 1)):  # with other threads running, no fork
        monkeypatch.setattr(workers.threading, "active_count", lambda: threads)
        with Project.create(tmp_path / f"{threads}.jhsq") as fresh:
            report = import_qdpx(fresh, archive)
            fresh.db.execute("INSERT INTO turns_fts(turns_fts, rank) VALUES ('integrity-check', 1)")
            made[how] = (snapshot(fresh), report.transcripts, report.codings,
                         [r["transcript"] for r in fresh.search_turns("woord11")])
    assert made["in a worker"] == made["here"]
    assert made["here"][0] == snapshot(loaded_project) and made["here"][2] == 24
    assert made["here"][3] == ["t11"]


def test_a_bad_source_read_in_a_worker_stops_the_import_and_stores_nothing(loaded_project, tmp_path, forked):
    _many_sources(loaded_project)
    archive = tmp_path / "many.qdpx"
    export_qdpx(loaded_project, archive)
    with zipfile.ZipFile(archive) as z:
        entries = {name: z.read(name) for name in z.namelist()}
    qde = entries["project.qde"].decode()
    last = qde.rindex('endPosition="')  # the last source's last selection reaches past its text
    entries["project.qde"] = (qde[:last] + 'endPosition="99999' + qde[last + len('endPosition="'):]).encode()
    bad = write(tmp_path / "bad.qdpx", qdpx(entries))
    with Project.create(tmp_path / "fresh.jhsq") as fresh:
        with pytest.raises(BadInput, match=r"source 't11\.txt': selection \d+:99999\d* is outside the text"):
            import_qdpx(fresh, bad)
        assert count(fresh) == {"transcripts": 0, "codings": 0, "codebooks": 0}


@pytest.mark.parametrize("piece", [b"<TextSource>", b"<q:Code/>", b"\x01", b"</Sources></Project><Project><Sources>"],
                         ids=["unclosed", "unbound prefix", "control character", "two roots"])
@pytest.mark.parametrize("where", ["writer process", "here"])
def test_an_export_that_is_not_well_formed_never_leaves(coded, tmp_path, monkeypatch, request, piece, where):
    """A defect that made a source's XML wrong is caught by the check as the file is written
    (in the process that writes it, or here where forking is not safe), and no file is left."""
    from jhs_qual import workers
    from jhs_qual.errors import Failure
    from jhs_qual.refi import export

    if where == "writer process":
        request.getfixturevalue("forked")
    else:
        monkeypatch.setattr(workers.threading, "active_count", lambda: 2)
    monkeypatch.setattr(export, "_text_source", lambda *args: piece)
    (tmp_path / "out").mkdir()
    with pytest.raises(Failure, match="is not well-formed XML"):
        export_qdpx(coded, tmp_path / "out" / "p.qdpx")
    assert list((tmp_path / "out").iterdir()) == []


def test_a_full_disk_in_the_writer_process_is_said_and_leaves_nothing(coded, tmp_path, monkeypatch, forked):
    import errno

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", full)
    (tmp_path / "out").mkdir()
    with pytest.raises(BadInput, match="p.qdpx: cannot write: No space left on device"):
        export_qdpx(coded, tmp_path / "out" / "p.qdpx")
    assert list((tmp_path / "out").iterdir()) == []


