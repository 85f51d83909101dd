"""REFI-QDA codebooks: valid against the standard's XSD, exact round trip, stable
GUIDs, other tools' files, and refusal of unsafe XML and archives."""

from __future__ import annotations

import io
import zipfile

import pytest
from click.testing import CliRunner

from jhs_qual.cli import cli
from jhs_qual.codebook import load_codebook, parse_codebook
from jhs_qual.errors import BadInput
from jhs_qual.refi.codebook import code_guid, codebook_xml, from_qdc, parse_colour, to_qdc
from tests.conftest import CODEBOOK_FILES, ROOT, SHARED, write

REFI = SHARED / "refi"
SCHEMAS = ROOT / "tests" / "fixtures" / "refi"  # the standard's XSDs and example codebook (MIT)
BOOKS = [load_codebook(p) for p in CODEBOOK_FILES]


def test_export_is_valid_against_codebook_xsd():
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "Codebook.xsd")))
    document = etree.fromstring(to_qdc(BOOKS))
    assert schema.validate(document), schema.error_log


@pytest.mark.parametrize("book", BOOKS, ids=lambda b: b.id)
def test_round_trip_keeps_every_field(book):
    back = parse_codebook(from_qdc(to_qdc(BOOKS), "x.qdc", codebook_id=book.id), "x.yaml")
    assert (back.id, back.title, back.language, back.description) == (book.id, book.title, book.language,
                                                                      book.description)
    fields = ("id", "label_nl", "label_en", "definition", "use_when", "do_not_use_when", "keywords", "phrases",
              "exclude", "example", "colour", "key", "parent")
    assert [[getattr(c, f) for f in fields] for c in back.codes] == [[getattr(c, f) for f in fields]
                                                                     for c in book.codes]


def test_guids_are_stable_and_distinct():
    assert to_qdc(BOOKS) == to_qdc(BOOKS)
    assert code_guid("bronstein", "flexibility") == code_guid("bronstein", "flexibility")
    guids = {code_guid(b.id, c.id) for b in BOOKS for c in b.codes}
    assert len(guids) == sum(len(b.codes) for b in BOOKS)


def test_hierarchy_survives():
    text = """id: demo\ntitle: Demo\nlanguage: en\ncodes:
  - {id: emotions, label_nl: Emoties, label_en: Emotions}
  - {id: anger, label_nl: Boosheid, label_en: Anger, parent: emotions}
  - {id: rage, label_nl: Woede, label_en: Rage, parent: anger}
"""
    book = parse_codebook(text, "demo.yaml")
    xml = to_qdc([book]).decode()
    assert xml.index('name="Emoties"') < xml.index('name="Boosheid"') < xml.index('name="Woede"')
    back = parse_codebook(from_qdc(xml.encode(), "d.qdc"), "d.yaml")
    assert [(c.id, c.parent) for c in back.codes] == [("emotions", None), ("anger", "emotions"), ("rage", "anger")]


def test_our_data_sits_apart_in_a_final_block_and_old_exports_still_read():
    """Other tools show the description as text: our fields come last, under a rule line."""
    from jhs_qual.refi.codebook import RULE, _marked

    xml = to_qdc([BOOKS[0]]).decode()
    code = BOOKS[0].codes[0]
    description = xml.split(f'name="{code.label_nl}"')[1].split("<Description>")[1].split("</Description>")[0]
    assert f"{RULE}\n[jhs-qual] {{" in description
    assert description.rstrip().splitlines()[-1].startswith("[jhs-qual] {")
    prose, fields = _marked(description, "t.qdc")
    assert RULE not in prose and fields["id"] == code.id
    old = 'Emotions, felt.\n\n[jhs-qual] {"id":"anger","label_nl":"Boosheid"}'  # before the rule line
    assert _marked(old, "t.qdc") == ("Emotions, felt.", {"id": "anger", "label_nl": "Boosheid"})
    assert _marked("Just prose\n\n[jhs-qual] {not json", "t.qdc") == ("Just prose\n\n[jhs-qual] {not json", None)


FOREIGN = b"""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="another tool">
  <Codes>
    <Code guid="8f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f" name="Emoties" isCodable="false">
      <Description>Map met emoties</Description>
      <Code guid="1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d" name="Blij &#x1F600;" isCodable="true" color="#FC0"/>
      <Code guid="2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e" name="Boos" isCodable="true" color="#CC000080"/>
      <Code guid="3b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e" name="Boos" isCodable="true" color="rgb(0, 128, 255)"/>
    </Code>
  </Codes>
</CodeBook>"""


def test_another_tools_codebook():
    book = parse_codebook(from_qdc(FOREIGN, "emoties.qdc", language="nl"), "emoties.yaml")
    assert (book.id, book.title) == ("emoties", "emoties")
    assert [(c.id, c.label_nl, c.colour, c.parent) for c in book.codes] == [
        ("emoties", "Emoties", book.codes[0].colour, None),
        ("blij", "Blij 😀", "#ffcc00", "emoties"),
        ("boos", "Boos", "#cc0000", "emoties"),
        ("boos_2", "Boos", "#0080ff", "emoties"),  # same name under one parent: ids kept apart
    ]
    assert book.codes[0].definition == "Map met emoties"


@pytest.mark.parametrize(
    "value, expected",
    [("#FC0", "#ffcc00"), ("#ffcc00", "#ffcc00"), ("#FFCC0080", "#ffcc00"), ("rgb(255, 204, 0)", "#ffcc00"),
     ("rgba(255,204,0,0.5)", "#ffcc00"), ("rgb(300, 0, 0)", None), ("blue", None), (None, None)],
)
def test_colours(value, expected):
    assert parse_colour(value) == expected


# NVivo for Mac writes nested codes whose names repeat under different parents.
NESTED_DUPLICATES = """<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="NVivo for Mac 15"><Codes>
<Code guid="8f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e20" name="Leraar" isCodable="true">
 <Code guid="8f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e21" name="Positief" isCodable="true"/>
 <Code guid="8f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e22" name="Negatief" isCodable="true"/></Code>
<Code guid="8f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e30" name="Jeugdhulp" isCodable="true">
 <Code guid="8f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e31" name="Positief" isCodable="true">
  <Code guid="8f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e32" name="Positief" isCodable="true"/></Code></Code>
</Codes></CodeBook>""".encode()

# (file, codes in it); the other tools' own files are added where ../shared/reference-data is present.
REFERENCE_CODEBOOKS = [(SCHEMAS / "spec_example1_codebook.qdc", 6), ("nested-duplicates.qdc", 6)]
if REFI.exists():
    REFERENCE_CODEBOOKS += [(REFI / "samples" / "minimal" / "minimal.qdc", 3),
                            (REFI / "samples" / "minimal" / "minimal.qdpx", 2),
                            (REFI / "samples" / "nvivo-mac15-codebook-only.qdpx", 262)]


@pytest.mark.parametrize("path, codes", REFERENCE_CODEBOOKS, ids=lambda v: getattr(v, "name", str(v)))
def test_reference_files_import(path, codes, tmp_path):
    if isinstance(path, str):
        path = write(tmp_path / path, NESTED_DUPLICATES)
    book = parse_codebook(from_qdc(codebook_xml(path.read_bytes(), path), path, language="en"), "x.yaml")
    assert len(book.codes) == codes
    assert len({c.id for c in book.codes}) == codes  # repeated names get ids of their own


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="8f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f"
 name="&lol2;" isCodable="true"/></Codes></CodeBook>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="8f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f"
 name="&secret;" isCodable="true"/></Codes></CodeBook>"""


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data, message",
    [
        (BILLION_LAUGHS, "entities are not allowed"),
        (EXTERNAL, "entities are not allowed"),
        (b"<CodeBook><Codes>", "not well-formed XML"),
        (b'<Project xmlns="urn:QDA-XML:project:1.0"/>', "not <CodeBook>"),
        (b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"/>', "no <Codes>"),
        (_zip({"../evil.qde": b"x"}), "unsafe path in the archive: ../evil.qde"),
        (_zip({"/etc/project.qde": b"x"}), "unsafe path"),
        (_zip({"notes.txt": b"x"}), "no project.qde in the archive"),
        (_zip({"a.qde": b"x", "b.qde": b"y"}), "several .qde files"),
        (b"PK\x03\x04broken", "not a .qdpx archive"),
    ],
)
def test_unsafe_or_broken_input_is_refused(data, message):
    with pytest.raises(BadInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        from_qdc(codebook_xml(data, "x.qdpx"), "x.qdpx")


def test_cli_export_import(run, tmp_path):
    qdc = tmp_path / "project.qdc"
    result = run("codebook", "export", "bronstein", "pupil_topics", "-o", str(qdc))
    assert result.exit_code == 0 and "bronstein (5 codes), pupil_topics (7 codes)" in result.output
    several = run("codebook", "import", str(qdc), "-o", str(tmp_path / "x.yaml"), project=False)
    assert several.exit_code == 2 and "2 codebooks in the file: bronstein, pupil_topics" in several.output
    out = tmp_path / "pupil.yaml"
    assert run("codebook", "import", str(qdc), "-o", str(out), "--codebook", "pupil_topics", project=False).exit_code == 0
    assert load_codebook(out).code("sel_group").keywords == BOOKS[2].code("sel_group").keywords
    again = run("codebook", "import", str(qdc), "-o", str(out), "--codebook", "pupil_topics", project=False)
    assert again.exit_code == 2 and "exists already; add --force" in again.output
    from_file = run("codebook", "export", "--file", str(CODEBOOK_FILES[1]), "-o", str(tmp_path / "p.qdc"), project=False)
    assert from_file.exit_code == 0
    missing = run("codebook", "export", "nope", "-o", str(tmp_path / "n.qdc"))
    assert missing.exit_code == 2 and "no codebook 'nope'" in missing.output


def test_cli_refuses_a_billion_laughs(tmp_path):
    path = write(tmp_path / "evil.qdc", BILLION_LAUGHS)
    result = CliRunner().invoke(cli, ["codebook", "import", str(path), "-o", str(tmp_path / "x.yaml")])
    assert result.exit_code == 2 and "evil.qdc: refused" in result.output
    assert not (tmp_path / "x.yaml").exists()


def test_folders_stay_folders(run, tmp_path):
    """isCodable="false" (a folder in NVivo and others) survives the trip, and a folder is
    never applied itself."""
    yaml_text = ("id: mapjes\ntitle: Mapjes\nlanguage: nl\ncodes:\n"
                 "  - id: thema\n    label_nl: Thema\n    label_en: Theme\n    codable: false\n"
                 "  - id: sub\n    label_nl: Sub\n    label_en: Sub\n    parent: thema\n")
    book = write(tmp_path / "mapjes.yaml", yaml_text)
    assert run("codebook", "load", str(book)).exit_code == 0
    qdc = tmp_path / "m.qdc"
    assert run("codebook", "export", "mapjes", "-o", str(qdc)).exit_code == 0
    assert 'name="Thema" isCodable="false"' in qdc.read_text(encoding="utf-8")
    back = tmp_path / "back.yaml"
    assert run("codebook", "import", str(qdc), "-o", str(back), project=False).exit_code == 0
    assert "codable: false" in back.read_text(encoding="utf-8")
    from tests.conftest import SAMPLES

    assert run("import", str(SAMPLES / "po_leraar_de_linde.txt")).exit_code == 0
    refused = run("code", "add", "po_leraar_de_linde", "mapjes/thema", "--turn", "2", "--coder", "anna")
    assert refused.exit_code == 2 and "is a folder of codes" in refused.output
    assert run("code", "add", "po_leraar_de_linde", "mapjes/sub", "--turn", "2", "--coder", "anna").exit_code == 0
    bad = write(tmp_path / "bad.yaml", yaml_text.replace("codable: false", "codable: nee"))
    result = run("codebook", "check", str(bad), project=False)
    assert result.exit_code == 2 and "thema.codable: must be true or false" in result.output
