"""REFI-QDA project export (.qdpx): a zip with project.qde and sources/ (REFI-QDA 1.5, sections 5
and 8.1) holding each transcript as a plain-text source (UTF-8). Coders are Users, codes keep
the GUIDs of the .qdc export, attributes are Text variables with one Case per transcript,
codings are PlainTextSelections with positions in code points (the standard) or UTF-16 units,
CRLF counted once or twice, as the Description states; coding memos are the selections'
descriptions, memos Notes hung by NoteRefs where they were, origins a data line of the
Description. Written a source at a time, checked before the file is finished."""

from __future__ import annotations

import functools
import json
import re
import zipfile
from collections.abc import Generator
from datetime import datetime, timezone
from pathlib import Path
from xml.etree import ElementTree as ET
from xml.parsers.expat import ExpatError

from jhs_qual import __version__
from jhs_qual.errors import BadInput, Failure
from jhs_qual.export.safe import printable
from jhs_qual.files import replacing
from jhs_qual.refi.positions import export_positions
from jhs_qual.workers import handed_on
from jhs_qual.refi.codebook import (
    MARK,
    add_codes,
    code_guid,
    guid5,
    xml_bytes,
)


NS = "urn:QDA-XML:project:1.0"
OFFSETS = ("codepoints", "utf16")


def _guid(kind: str, key: str) -> str:
    return guid5(f"{kind}:{key}")


def _datetime(value: str | None) -> str:
    return value or datetime.now(timezone.utc).isoformat(timespec="seconds")


@functools.lru_cache(maxsize=4096)  # an export's codings share a few thousand moments
def _when(value: str | None) -> str:
    """A date and time from a file, as stored (ISO 8601, UTC when it says no zone); now when it
    has none or one that is not a date."""
    try:
        moment = datetime.fromisoformat((value or "").strip().replace("Z", "+00:00"))
    except ValueError:
        return _datetime(None)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat(timespec="seconds")


POSITIONS_NOTE = "Exported by jhs-qual. Selection positions count "


def _positions_note(offsets: str, crlf: bool) -> str:
    """The project's Description: what the selection positions count (the standard leaves room to read it wrong)."""
    unit = "UTF-16 code units" if offsets == "utf16" else "Unicode code points"
    ends = "a CRLF line end as two" if crlf else "a line end as one (LF)"
    return (f"{POSITIONS_NOTE}{unit} of each source file as shipped in sources/ (the text as stored in jhs-qual, "
            f"NFC), {ends}; endPosition is exclusive.")


def export_qdpx(project, output: Path, *, offsets: str = "codepoints", crlf: bool = False) -> dict[str, int]:
    """`crlf`: sources with Windows line ends (CRLF), for tools that expect the file as it
    was; positions then count each line end as two characters."""
    if offsets not in OFFSETS:
        raise BadInput(f"offsets '{offsets}' unknown", field="--offsets", hint="codepoints or utf16")
    ET.register_namespace("", NS)
    books = project.parsed_codebooks()
    coders = project.coder_names()
    users = {name: _guid("coder", name) for name in coders}
    root = ET.Element(f"{{{NS}}}Project", {
        "name": project.path.stem, "origin": f"jhs-qual {__version__}",
        "creationDateTime": _datetime(None)})
    if coders:
        users_element = ET.SubElement(root, f"{{{NS}}}Users")
        for name, guid in users.items():
            ET.SubElement(users_element, f"{{{NS}}}User", {"guid": guid, "name": name})
    if books:
        add_codes(ET.SubElement(ET.SubElement(root, f"{{{NS}}}CodeBook"), f"{{{NS}}}Codes"), books, NS)
    attributes = project.attributes_by_transcript()
    keys = [k for k in project.attribute_keys() if any(k in a for a in attributes.values())]
    if keys:
        variables = ET.SubElement(root, f"{{{NS}}}Variables")
        for key in keys:
            ET.SubElement(variables, f"{{{NS}}}Variable", {"guid": _guid("variable", key), "name": key,
                                                           "typeOfVariable": "Text"})
    transcripts = project.transcript_list()
    if transcripts and keys:
        cases = ET.SubElement(root, f"{{{NS}}}Cases")
        for t in transcripts:
            case = ET.SubElement(cases, f"{{{NS}}}Case", {"guid": _guid("case", t["sha256"]), "name": t["name"]})
            for key, value in attributes.get(t["id"], {}).items():
                if key in keys:
                    vv = ET.SubElement(case, f"{{{NS}}}VariableValue")
                    ET.SubElement(vv, f"{{{NS}}}VariableRef", {"targetGUID": _guid("variable", key)})
                    ET.SubElement(vv, f"{{{NS}}}TextValue").text = value
            ET.SubElement(case, f"{{{NS}}}SourceRef", {"targetGUID": _guid("source", t["sha256"])})
    if transcripts:  # filled one source at a time as the file is written
        ET.SubElement(ET.SubElement(root, f"{{{NS}}}Sources"), _SOURCES_HERE)
    memos = project.exchange_memos()
    memos_on: dict[int, list[dict]] = {}  # transcript -> its memos (whole, or on a span: a turn)
    code_elements = {element.get("guid"): element for element in root.iter(f"{{{NS}}}Code")}
    if memos:
        notes = ET.SubElement(root, f"{{{NS}}}Notes")
        for m in memos:
            m["guid"] = _guid("note", str(m["id"]))
            note = ET.SubElement(notes, f"{{{NS}}}Note", {
                "guid": m["guid"], "name": m["title"] or "memo", "creatingUser": users[m["coder"]],
                "creationDateTime": m["created_at"], "modifiedDateTime": m["updated_at"] or m["created_at"]})
            ET.SubElement(note, f"{{{NS}}}PlainTextContent").text = printable(m["text"])
            if m["codebook_id"] and code_guid(m["codebook_id"], m["code_id"]) in code_elements:  # where it hangs
                ET.SubElement(code_elements[code_guid(m["codebook_id"], m["code_id"])], f"{{{NS}}}NoteRef",
                              {"targetGUID": m["guid"]})
            elif m["transcript_id"] is not None:
                memos_on.setdefault(m["transcript_id"], []).append(m)
    ET.SubElement(root, f"{{{NS}}}Description").text = (
        _positions_note(offsets, crlf) + "\n" + MARK + json.dumps({"origins": _origins(project)}, sort_keys=True))
    ET.indent(root, space="  ")
    head, _, tail = xml_bytes(root).partition(f"<{_SOURCES_HERE} />".encode())
    codings = 0
    with replacing(output) as tmp:
        # Made here a source at a time (memory stays that of one transcript), compressed and
        # written meanwhile by another process (workers.handed_on).
        with handed_on(_archive(tmp, output, _may_pass_2_gib(project))) as give:
            give(head)
            for number, (t, selections) in enumerate(project.texts_with_codings(transcripts)):
                give((b"\n    " if number else b"")
                     + _text_source(t, selections, users, offsets, crlf, memos_on.get(t["id"], [])))
                codings += len(selections)
            give(tail)
            for t, _ in project.texts_with_codings(transcripts, codings=False):
                text = printable(t["text"])  # one for one: offsets hold
                give((f"sources/{_guid('source', t['sha256'])}.txt",
                      (text.replace("\n", "\r\n") if crlf else text).encode("utf-8")))
    return {"transcripts": len(transcripts), "codings": codings, "coders": len(coders), "codebooks": len(books)}


def _archive(path: Path, output: Path, zip64: bool) -> Generator[None, bytes | tuple[str, bytes] | None, None]:
    """Writes the .qdpx at `path`: the bytes it is sent are project.qde, piece by piece; then
    (name, bytes) pairs, the sources; None ends it. project.qde is checked as it goes, so what
    our own importer (or any other tool's) would refuse never leaves as a finished file: expat
    with no handlers checks the XML (namespace prefixes included) and builds nothing."""
    from xml.parsers import expat

    parser = expat.ParserCreate(namespace_separator="}")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        entry = zipfile.ZipInfo("project.qde", datetime.now().timetuple()[:6])  # dated as exported
        entry.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(entry, "w", force_zip64=zip64) as qde:
            while isinstance(piece := (yield), bytes):
                qde.write(piece)
                _parse(parser, piece, output)
        _parse(parser, b"", output, final=True)
        while piece is not None:
            archive.writestr(*piece)
            piece = yield


def _parse(parser, piece: bytes, output: Path, final: bool = False) -> None:
    try:
        parser.Parse(piece, final)
    except ExpatError as error:
        raise Failure(f"the project.qde written is not well-formed XML ({error}); nothing was written",
                      file=output, hint="please report this as a bug") from None


def _selection_key(sha256: str, codebook_id: str, code_id: str, coder: str, start: int, end: int) -> str:
    return f"{sha256}:{codebook_id}/{code_id}:{coder}:{start}:{end}"


def _origins(project) -> dict[str, str]:
    """{selection GUID: origin} of the codings not made by hand (suggested, auto): REFI has no
    place for it, so it travels in the project Description's data line."""
    return {_guid("selection", _selection_key(*row[:6])): row[6] for row in project.coding_origins()}


def _may_pass_2_gib(project) -> bool:
    """Could project.qde grow past what a plain zip entry holds? (Only then the ZIP64 form,
    which some older readers lack.) A generous bound: each character of text as 4 bytes
    of XML, each coding as 2 KB."""
    text, codings = project.size_of_everything()
    return 4 * text + 2048 * codings > 2**31 - 2**24


_SOURCES_HERE = "jhsQualSourcesHere"  # where the streamed sources go in the serialised document


def _text_source(t: dict, codings: list[dict], users: dict[str, str], offsets: str, crlf: bool,
                 memos: list[dict] = ()) -> bytes:
    """One TextSource with its selections, serialised as it stands inside <Sources>: written
    out here, byte for byte what ElementTree's indent and tostring make of it (the tags
    carry no namespace of their own: the document's default one holds), at a fifth of
    the time."""
    a, x = _attribute, _text
    guid = _guid("source", t["sha256"])
    head = (f'<TextSource guid="{guid}" name="{a(t["name"] + ".txt")}" plainTextPath="internal://{guid}.txt" '
            f'creationDateTime="{a(t["imported_at"])}"')
    if not codings and not memos:
        return f"{head} />".encode("utf-8")
    parts = [head, ">"]
    units = export_positions(t["text"], offsets, crlf)
    code_guids: dict[tuple[str, str], str] = {}
    for c in codings:
        start, end = (units[c["start"]], units[c["end"]]) if units else (c["start"], c["end"])
        key = _selection_key(t["sha256"], c["codebook_id"], c["code_id"], c["coder"], c["start"], c["end"])
        user = users[c["coder"]]
        code = (c["codebook_id"], c["code_id"])
        if code not in code_guids:
            code_guids[code] = code_guid(*code)
        parts.append(
            f'\n      <PlainTextSelection guid="{_guid("selection", key)}" '
            f'name="{a(" ".join(t["text"][c["start"]:c["end"]].split())[:80])}" startPosition="{start}" '
            f'endPosition="{end}" creatingUser="{user}" creationDateTime="{a(c["created_at"])}">')
        if c["memo"]:
            parts.append(f'\n        <Description>{x(c["memo"])}</Description>')
        parts.append(f'\n        <Coding guid="{_guid("coding", key)}" creatingUser="{user}">'
                     f'\n          <CodeRef targetGUID="{code_guids[code]}" />\n        </Coding>\n      </PlainTextSelection>')
    for m in memos:  # a memo on a turn: a selection of its words with the note; on the transcript: a NoteRef
        if m["start"] is not None:
            start, end = (units[m["start"]], units[m["end"]]) if units else (m["start"], m["end"])
            parts.append(
                f'\n      <PlainTextSelection guid="{_guid("memo", m["guid"])}" '
                f'name="{a(" ".join(t["text"][m["start"]:m["end"]].split())[:80])}" startPosition="{start}" '
                f'endPosition="{end}" creatingUser="{users[m["coder"]]}" creationDateTime="{a(m["created_at"])}">'
                f'\n        <NoteRef targetGUID="{m["guid"]}" />\n      </PlainTextSelection>')
    parts += [f'\n      <NoteRef targetGUID="{m["guid"]}" />' for m in memos if m["start"] is None]
    parts.append("\n    </TextSource>")
    return "".join(parts).encode("utf-8")


_PLAIN = re.compile('[^&<>"\r\n\t\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]*')  # nothing to escape or replace


def _text(value: str) -> str:
    """Character data as ElementTree writes it, without control characters (XML 1.0 cannot hold them)."""
    return printable(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attribute(value: str) -> str:
    """An attribute value as ElementTree writes it."""
    if _PLAIN.fullmatch(value):
        return value
    return (_text(value).replace('"', "&quot;").replace("\r", "&#13;").replace("\n", "&#10;")
            .replace("\t", "&#09;"))
