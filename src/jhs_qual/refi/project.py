"""REFI-QDA projects (.qdpx): export a coded project, import one from any tool.

Export: a zip with project.qde and sources/ (REFI-QDA 1.5, sections 5 and 8.1) holding each transcript as a
plain-text source (UTF-8). Coders are Users, codes keep the GUIDs of the .qdc
export, attributes are Text variables with one Case per transcript, codings
are PlainTextSelections with positions in code points (the standard) or,
with offsets="utf16", in UTF-16 code units (what NVivo 12 and QualCoder
read), coding memos the selections' descriptions, free memos Notes.

Import: the archive is checked before anything is read (no absolute paths or
'..', bounded size and entry count), the XML parsed with defusedxml. Each
plain-text source is stored as it is (only its line ends become \\n), its
turns found in place. Positions in the wild come in four conventions: code
points or UTF-16 code units, counting CRLF as one or two; per source the one
that makes the selections fit the text (and match the selection's name, when
the tool wrote the selected text there) is used and reported. Other source
types are listed as skipped. Everything is checked before anything is
written, and written in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree as ET

from jhs_qual import __version__
from jhs_qual.codebook import check_together, parse_codebook
from jhs_qual.domain import ORIGINS
from jhs_qual.errors import BadInput, Failure
from jhs_qual.export.safe import printable
from jhs_qual.files import read_bytes, replacing
from jhs_qual.store.exchange import ImportedCoding, ImportedMemo, ImportedTranscript
from jhs_qual.refi.codebook import (
    MARK,
    MAX_ARCHIVE,
    _children,
    _marked,
    _local,
    add_codes,
    open_archive,
    qde_from_archive,
    code_guid,
    guid5,
    read_codes,
    read_entry,
    xml_bytes,
    MAX_PROJECT_XML,
    MAX_SOURCE,
    read_xml,
    slug,
)

NS = "urn:QDA-XML:project:1.0"
OFFSETS = ("codepoints", "utf16")


def _guid(kind: str, key: str) -> str:
    return guid5(f"{kind}:{key}")


def _datetime(value: str | None) -> str:
    return value or datetime.now(timezone.utc).isoformat(timespec="seconds")


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


# --- export ---------------------------------------------------------------------------------

def utf16_offsets(text: str) -> list[int]:
    """UTF-16 code-unit offset of every code-point offset 0..len(text)."""
    offsets, unit = [0], 0
    for char in text:
        unit += 2 if ord(char) > 0xFFFF else 1
        offsets.append(unit)
    return offsets


POSITIONS_NOTE = "Exported by jhs-qual. Selection positions count "


def _positions_note(offsets: str, crlf: bool) -> str:
    """The project's Description: what the selection positions count (the standard leaves room to read it wrong)."""
    unit = "UTF-16 code units" if offsets == "utf16" else "Unicode code points"
    ends = "a CRLF line end as two" if crlf else "a line end as one (LF)"
    return (f"{POSITIONS_NOTE}{unit} of each source file as shipped in sources/ (the text as stored in jhs-qual, "
            f"NFC), {ends}; endPosition is exclusive.")


def export_positions(text: str, offsets: str, crlf: bool) -> list[int] | None:
    """Each stored code-point offset 0..len(text) as a position in the exported source
    (UTF-16 units for "utf16"; with `crlf`, every line end counted as the two characters it
    becomes in the file); None when they are the stored offsets themselves."""
    import itertools

    if offsets == "codepoints" and not crlf:
        return None
    base = utf16_offsets(text) if offsets == "utf16" else range(len(text) + 1)
    if not crlf:
        return list(base)
    newlines_before = itertools.accumulate((char == "\n" for char in text), initial=0)
    return [position + extra for position, extra in zip(base, newlines_before)]


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
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            # Written as it is made, a source at a time: memory stays that of one transcript.
            entry = zipfile.ZipInfo("project.qde", datetime.now().timetuple()[:6])  # dated as exported
            entry.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(entry, "w", force_zip64=_may_pass_2_gib(project)) as qde:
                qde.write(head)
                for number, (t, selections) in enumerate(project.texts_with_codings(transcripts)):
                    qde.write(b"\n    " if number else b"")
                    qde.write(_text_source(t, selections, users, offsets, crlf, memos_on.get(t["id"], [])))
                    codings += len(selections)
                qde.write(tail)
            for t, _ in project.texts_with_codings(transcripts, codings=False):
                text = printable(t["text"])  # one for one: offsets hold
                archive.writestr(f"sources/{_guid('source', t['sha256'])}.txt",
                                 (text.replace("\n", "\r\n") if crlf else text).encode("utf-8"))
        _require_well_formed(tmp, output)
    return {"transcripts": len(transcripts), "codings": codings, "coders": len(coders), "codebooks": len(books)}


def _require_well_formed(archive_path: Path, output: Path) -> None:
    """Read back the project.qde just written, streaming: what our own importer (or any other
    tool's) would refuse never leaves as a finished file."""
    with zipfile.ZipFile(archive_path) as archive, archive.open("project.qde") as qde:
        try:
            for _, element in ET.iterparse(qde, events=("end",)):
                element.clear()
        except ET.ParseError as error:
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


# --- import ------------------------------------------------------------------------------------

@dataclass
class ImportReport:
    transcripts: list[str] = field(default_factory=list)
    already_here: list[str] = field(default_factory=list)  # of those, the ones the project held already
    conventions: dict[str, str] = field(default_factory=dict)  # transcript -> offsets convention used
    skipped_sources: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # what the project holds that has no place here, with counts
    codebooks: list[str] = field(default_factory=list)
    coders: list[str] = field(default_factory=list)
    codings: int = 0
    memos: int = 0
    attribute_keys: list[str] = field(default_factory=list)


def _source_text(archive: zipfile.ZipFile, names: dict[str, str], element, path: Path) -> str | None:
    """A TextSource's text: inline PlainTextContent, or its file in sources/ (any case)."""
    inline = next(iter(_children(element, "PlainTextContent")), None)
    if inline is not None and inline.text:
        return inline.text
    target = element.get("plainTextPath") or ""
    name = target.split("internal://", 1)[-1] if target.startswith("internal://") else PurePosixPath(target).name
    for candidate in (f"sources/{name}", name.lower(), f"sources/{PurePosixPath(name).name}"):
        entry = names.get(candidate.lower())
        if entry:
            data = read_entry(archive, entry, path, MAX_SOURCE)
            if data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                return data.decode("cp1252", errors="replace")
    return None


CONVENTIONS = ("codepoints", "utf16", "codepoints-crlf", "utf16-crlf")  # what a position counts; -crlf: CRLF as two


def offset_maps(raw: str) -> dict[str, Sequence[int]]:
    """For each convention, the stored-text offset of every raw offset.

    The stored text is `raw` with CRLF and lone CR made LF. Conventions:
    code points or UTF-16 units, counting CRLF as one character or as two.
    Conventions that cannot differ for this text (no CRLF; no character beyond
    the BMP) share one table; when all four agree it is the identity."""
    import numpy as np

    crlf_here = "\r\n" in raw
    astral = _ASTRAL.search(raw) is not None
    if not crlf_here and not astral:
        return dict.fromkeys(CONVENTIONS, range(len(raw) + 1))
    points = np.frombuffer(raw.encode("utf-32-le"), dtype=np.uint32)
    skipped = np.zeros(len(points), dtype=bool)  # the CR of each CRLF: not in the stored text
    skipped[:-1] = (points[:-1] == 13) & (points[1:] == 10)
    stored = np.concatenate([[0], np.cumsum(~skipped)])  # stored offset before each raw character, and the end
    maps: dict[str, Sequence[int]] = {}
    for units in ("codepoints", "utf16") if astral else ("codepoints",):
        width = (1 + (points > 0xFFFF)).astype(np.int64) if units == "utf16" else np.ones(len(points), np.int64)
        for crlf in (False, True) if crlf_here else (False,):
            # each raw character stands for `width` positions, a skipped CR for one (crlf) or none
            counts = np.where(skipped, int(crlf), width)
            maps[f"{units}{'-crlf' if crlf else ''}"] = np.repeat(stored[:-1], counts).tolist() + [int(stored[-1])]
    tables = {}
    for name in CONVENTIONS:  # those not made: the same as one made
        units, _, crlf = name.partition("-")
        tables[name] = maps[(units if astral else "codepoints") + ("-crlf" if crlf and crlf_here else "")]
    return tables


_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")
_DECLARED = re.compile(r"Selection positions count (UTF-16 code units|Unicode code points).*?"
                       r"(a CRLF line end as two|a line end as one)", re.DOTALL)


def declared_convention(description: str | None) -> str | None:
    """The convention a file states in its project Description (ours always does)."""
    found = _DECLARED.search(description or "")
    if not found:
        return None
    return ("utf16" if found.group(1).startswith("UTF-16") else "codepoints") + (
        "-crlf" if "CRLF" in found.group(2) else "")


def _choose_convention(raw: str, stored: str, selections: list[tuple[int, int, str]], label: str = "",
                       path: Path | None = None, forced: str | None = None, declared: str | None = None):
    """The convention under which the selections fit the text best, by the evidence the file
    holds: inside the text, not splitting a character (half a surrogate pair, a CRLF), names
    that quote the words they select, and what the file says it counts (`declared`).

    A convention forced (`--offsets`) or declared that the evidence contradicts is refused,
    naming the selections; conventions that fit equally well and put the codings on different
    words, with nothing to tell them apart, are refused, never guessed."""
    maps = offset_maps(raw)
    fits: dict[int, tuple] = {}  # conventions sharing a table share its fit
    for table in maps.values():
        if id(table) not in fits:
            fits[id(table)] = _fit(table, stored, selections)
    score = {name: fits[id(maps[name])] for name in CONVENTIONS}
    top = max(score.values())
    best = [n for n in CONVENTIONS if score[n] == top]
    said = forced or declared
    if said:
        if score[said] < top:
            raise BadInput(f"source '{label}': {_misfits(maps[said], maps[best[0]], stored, selections)} when "
                           f"positions count "
                           f"{said}" + (" (as the file says)" if not forced else "") + f"; as {best[0]} every one fits",
                           file=path, field="PlainTextSelection",
                           hint=f"nothing was imported; if the file is right as {best[0]}, import it with "
                                f"--offsets {best[0]}")
        return said, maps[said]

    def placed(name: str) -> tuple:
        table = maps[name]
        return tuple((table[s], table[e]) for s, e, _ in selections if 0 <= s < e < len(table))

    readings: dict[tuple, str] = {}
    for name in best:
        readings.setdefault(placed(name), name)
    if len(readings) > 1 and selections:
        options = ", ".join(f"as {n} (--offsets {n})" for n in readings.values())
        raise BadInput(f"source '{label}': its positions fit on different words {options}, and nothing in the "
                       "file tells which", file=path, field="PlainTextSelection",
                       hint="say which with --offsets (NVivo 12 and QualCoder write utf16; QualCoder's MAXQDA "
                            "option utf16-crlf; qc codepoints)")
    return best[0], maps[best[0]]


_LINE_NAME = re.compile(r"line:(\d{1,9})")  # qc names a selection by the line it starts on (from 0)


def _fit(table: Sequence[int], stored: str, selections) -> tuple[int, int, int, int, int]:
    """(selections inside the text, not falling inside one character, whose names are the words
    they select exactly (or name the line they start on, as qc's do), with white space made
    single, or as a prefix of at least 20 characters)."""
    inside = whole = exact = spaced = prefix = 0
    line_starts = None
    for start, end, label in selections:
        if 0 <= start < end < len(table):
            inside += 1
            if table[start] < table[end] and (start == 0 or table[start] != table[start - 1]) \
                    and table[end] != table[end - 1]:
                whole += 1
            piece = stored[table[start]:table[end]]
            if not label or not piece:
                continue
            line = _LINE_NAME.fullmatch(label)
            if line:
                if line_starts is None:
                    line_starts = [0] + [m.end() for m in re.finditer("\n", stored)]
                number = int(line.group(1))
                exact += number < len(line_starts) and line_starts[number] == table[start]
            elif label.replace("\r\n", "\n") == piece:
                exact += 1
            elif " ".join(label.split()) == " ".join(piece.split()):
                spaced += 1
            elif len(label) >= 20 and " ".join(piece.split()).startswith(" ".join(label.split()).rstrip(".…")):
                prefix += 1
    return inside, whole, exact, spaced, prefix


def _misfits(said: Sequence[int], best: Sequence[int], stored: str, selections) -> str:
    """The selections that fit worse under the table `said` than under `best`, for the refusal:
    how many, and the first few."""
    bad = [(s, e, label) for s, e, label in selections
           if _fit(said, stored, [(s, e, label)]) < _fit(best, stored, [(s, e, label)])]
    shown = "; ".join(f"{s}:{e} '{printable(' '.join(label.split()))[:30]}'" for s, e, label in bad[:3])
    return (f"{len(bad)} selection(s) fall outside the text, split a character or miss the words they name "
            f"({shown})")


def _count_dropped(root, report: ImportReport) -> None:
    """What a REFI project holds that jhs-qual has no place for, counted (the standard asks an
    importer to say what it leaves out)."""
    counts: dict[str, int] = {}

    def add(what: str, n: int = 1) -> None:
        if n:
            counts[what] = counts.get(what, 0) + n

    for element in root.iter():
        kind = _local(element.tag)
        if kind == "Set":
            add("sets")
        elif kind == "Link":
            add("links")
        elif kind == "Graph":
            add("graphs")
        elif kind == "Case":
            add("case descriptions", sum(1 for d in _children(element, "Description") if (d.text or "").strip()))
            add("case code references", len(_children(element, "CodeRef")))
            add("case selection references", len(_children(element, "SelectionRef")))
        elif kind in ("PDFSource", "PictureSource", "AudioSource", "VideoSource"):
            add(f"codings on {kind[:-6].lower()} sources", sum(1 for sub in element.iter() if _local(sub.tag) == "Coding"))
    report.dropped = [f"{n} {what}" for what, n in counts.items()]


def _bare_qde(data: bytes, path: Path) -> bytes:
    """A bare .qde with its sources in the folder beside it, packed as the .qdpx it stands for
    (the same checks then apply); a source the project names but the folder lacks is named."""
    import io

    folder = Path(os.path.realpath(path.parent))
    buffer = io.BytesIO()
    missing = []
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("project.qde", data)
        for target in dict.fromkeys(re.findall(rb'plainTextPath="([^"]+)"', data)):  # each file once
            name = target.decode("utf-8", "replace").split("internal://")[-1]
            for candidate in (folder / "sources" / name, folder / "Sources" / name, folder / name):
                if not _inside(candidate, folder, name, path):
                    continue
                if candidate.is_file():
                    archive.writestr(f"sources/{PurePosixPath(name).name}", read_bytes(candidate, MAX_SOURCE))
                    break
            else:
                missing.append(name)
    if missing:
        raise BadInput(f"{len(missing)} source(s) the project names are not beside it: {', '.join(missing[:5])}",
                       file=path, hint="put them in a folder 'sources' next to the .qde, or import the .qdpx")
    return buffer.getvalue()


def _inside(candidate: Path, folder: Path, name: str, path: Path) -> bool:
    """A bare .qde reads its sources from its own folder only: a name that is absolute,
    climbs out with '..' or leads out through a symlink is refused, and nothing about the
    file it points at is disclosed."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    inside = not name.startswith(("/", "\\")) and ".." not in parts and ":" not in name.split("/")[0]
    real = os.path.realpath(candidate)
    if not inside or not (real == str(folder) or real.startswith(str(folder) + os.sep)):
        raise BadInput(f"source '{printable(name)[:200]}' lies outside the project's folder", file=path,
                       hint="a bare .qde reads its sources from the folder beside it ('sources/') only")
    return True


def import_qdpx(project, path: Path, offsets: str | None = None, coder: str | None = None) -> ImportReport:
    data = read_bytes(path, MAX_PROJECT_XML if Path(path).suffix.lower() == ".qde" else MAX_ARCHIVE)
    if Path(path).suffix.lower() == ".qde" and data[:2] != b"PK":  # a bare .qde: its sources lie beside it
        data = _bare_qde(data, path)
    archive, names = open_archive(data, path)
    root = read_xml(qde_from_archive(archive, names, path), path, MAX_PROJECT_XML)
    if _local(root.tag) != "Project":
        raise BadInput(f"the root element is <{_local(root.tag)}>, not <Project>", file=path)
    report = ImportReport()

    def child(element, name):
        return next(iter(_children(element, name)), None)

    about = child(root, "Description").text if child(root, "Description") is not None else None
    declared = declared_convention(about)
    origins = (_marked(about or "", path)[1] or {}).get("origins") or {}  # ours: what was not made by hand

    users = {}
    for user in _children(child(root, "Users"), "User") if child(root, "Users") is not None else []:
        users[(user.get("guid") or "").strip("{}").lower()] = user.get("name") or user.get("id") or user.get("guid")
    creator = (root.get("creatingUserGUID") or "").strip("{}").lower()
    # work by no listed user: the coder named for it (--coder), or the file's creating user, named by
    # their GUID when the file lists no name
    default_coder = coder or users.get(creator) or (f"user {creator[:8]}" if creator else "imported")

    # codes
    guid_to_code: dict[str, tuple[str, str]] = {}
    new_books = []
    codebook = child(root, "CodeBook")
    if codebook is not None and child(codebook, "Codes") is not None:
        stored_books = {b["id"]: b["yaml_sha256"] for b in project.codebooks()}
        title = (root.get("name") or "").strip() or path.stem  # the project's, not the file's: a bare .qde
        foreign = slug(title, set())                              # and its .qdpx make the same codebook
        found = read_codes(child(codebook, "Codes"), path, foreign_id=foreign, foreign_title=title)
        made = next((text for book_id, text, _ in found if book_id == foreign), None)
        if made is not None and foreign in stored_books \
                and stored_books[foreign] != hashlib.sha256(made.encode("utf-8")).hexdigest():
            # another file's codebook of that name: this one gets a name of its own (the same file
            # imported again finds its own codebook, made from the same codes, and adds nothing)
            found = read_codes(child(codebook, "Codes"), path, foreign_id=slug(foreign, set(stored_books)),
                               foreign_title=title)
        for book_id, text, guids in found:
            book = parse_codebook(text, f"{book_id}.yaml")
            present = {c["code_id"] for c in project.codes(book_id)}
            if present:
                missing = sorted({c.id for c in book.codes} - present)
                if missing:
                    raise BadInput(f"codebook '{book_id}' here lacks code(s) of the file: {', '.join(missing)}",
                                   file=path, hint="load the newer version of the codebook first")
            else:
                new_books.append(book)
                report.codebooks.append(book_id)
            guid_to_code.update({g: (book_id, c) for g, c in guids.items()})
    if new_books:
        stored = project.parsed_codebooks()
        check_together(stored + new_books)

    # variables and cases -> attributes per source
    variables = {}
    if child(root, "Variables") is not None:
        for v in _children(child(root, "Variables"), "Variable"):
            variables[(v.get("guid") or "").strip("{}").lower()] = slug(v.get("name") or "variable", set())
    source_attributes: dict[str, dict[str, str]] = {}

    def values_of(element) -> dict[str, str]:
        found = {}
        for vv in _children(element, "VariableValue"):
            ref = child(vv, "VariableRef")
            key = variables.get(((ref.get("targetGUID") if ref is not None else "") or "").strip("{}").lower())
            value = next((c.text for c in vv if _local(c.tag) != "VariableRef" and c.text), None)
            if key and value is not None:
                found[key] = value.strip()
        return found

    if child(root, "Cases") is not None:
        for case in _children(child(root, "Cases"), "Case"):
            values = values_of(case)
            for ref in _children(case, "SourceRef"):
                source_attributes.setdefault((ref.get("targetGUID") or "").strip("{}").lower(), {}).update(values)

    # sources, selections, codings
    planned = []  # (name, stored text, turns, attributes, [(code, coder, start, end, memo, origin, dates)])
    span_notes: dict[str, tuple[str, int, int]] = {}  # note GUID -> (source GUID, start, end) it is on
    tables: dict[str, Sequence[int]] = {}  # source GUID -> its positions' table, for spans in notes
    source_notes: list[tuple[str, str, str]] = []  # a source's Description: (source GUID, creating user, text)
    source_names: dict[str, str] = {}  # source GUID -> transcript name
    known_texts = project.transcript_checksums()
    taken = set(known_texts.values())
    existing_names = set(known_texts.values())
    sources = child(root, "Sources")
    for element in list(sources) if sources is not None else []:
        kind = _local(element.tag)
        path_name = PurePosixPath((element.get("plainTextPath") or "").split("internal://")[-1]).name
        label = element.get("name") or path_name or element.get("guid") or kind
        if kind != "TextSource":
            report.skipped_sources.append(f"{label} ({kind})")
            continue
        raw = _source_text(archive, names, element, path)
        if raw is None:
            raise BadInput(f"source '{label}': its text is not in the archive", file=path,
                           hint="expected in sources/ as its plainTextPath says")
        if "\x00" in raw or sum(1 for c in raw[:4096] if c == "\ufffd") > 20:
            report.skipped_sources.append(f"{label} (not plain text)")
            continue
        # Control characters become U+FFFD one for one (as at any import): the offsets hold.
        stored_text = printable(raw.replace("\r\n", "\n").replace("\r", "\n"))
        selections = []
        for sel in _children(element, "PlainTextSelection"):
            try:
                start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
            except (TypeError, ValueError):
                raise BadInput(f"source '{label}': a selection without whole-number positions",
                               file=path, field="PlainTextSelection") from None
            selections.append((start, end, sel.get("name") or "", sel))
        convention, table = _choose_convention(raw, stored_text, [(s, e, n) for s, e, n, _ in selections],
                                               label, path, offsets, declared)
        codings = []
        for start, end, _, sel in selections:
            if not (0 <= start < end < len(table)):
                raise BadInput(f"source '{label}': selection {start}:{end} is outside the text "
                               f"({len(table) - 1} positions)", file=path, field="PlainTextSelection")
            memo = (child(sel, "Description").text or "").strip() if child(sel, "Description") is not None else ""
            for coding in _children(sel, "Coding"):
                ref = child(coding, "CodeRef")
                target = ((ref.get("targetGUID") if ref is not None else "") or "").strip("{}").lower()
                if target not in guid_to_code:
                    raise BadInput(f"source '{label}': a coding refers to an unknown code GUID {target}",
                                   file=path, field="CodeRef")
                creator = (coding.get("creatingUser") or sel.get("creatingUser") or "").strip("{}").lower()
                # a user the file does not list keeps a coder of their own, named by their GUID
                who = users.get(creator) or coder or (f"user {creator[:8]}" if creator else None)
                if table[start] >= table[end]:  # e.g. half of an emoji under the other convention
                    raise BadInput(f"source '{label}': selection {start}:{end} falls inside one character when "
                                   f"positions count {convention}", file=path, field="PlainTextSelection",
                                   hint="the positions may count another unit; nothing was imported")
                origin = origins.get((sel.get("guid") or "").strip("{}").lower(), "manual")
                codings.append(ImportedCoding(
                    guid_to_code[target], who or default_coder, table[start], table[end], memo,
                    origin if origin in ORIGINS else "manual", _when(sel.get("creationDateTime")),
                    _when(sel.get("modifiedDateTime") or sel.get("creationDateTime"))))
            for ref in _children(sel, "NoteRef"):  # a note on these words (a turn memo, an annotation)
                span_notes[(ref.get("targetGUID") or "").strip("{}").lower()] = (
                    (element.get("guid") or "").strip("{}").lower(), table[start], table[end])
        sha = hashlib.sha256(stored_text.encode("utf-8")).hexdigest()
        name = re.sub(r"\.(txt|docx?|rtf|pdf)$", "", label, flags=re.IGNORECASE).strip()
        if not name:  # a source called ".txt"
            name = f"source_{(element.get('guid') or str(len(planned) + 1)).strip('{}')[:8]}"
        if not stored_text.strip():
            report.skipped_sources.append(f"{label} (empty)")
            continue
        if sha in known_texts:
            name = known_texts[sha]  # already here (or earlier in this file): its codings join it
        else:
            known_texts[sha] = name
            base, n = name, 1
            while name in taken:
                n += 1
                name = f"{base}_{n}"
            taken.add(name)
        attributes = {**source_attributes.get((element.get("guid") or "").strip("{}").lower(), {}),
                      **values_of(element)}
        existing = any(p.sha256 == sha for p in planned) or name in existing_names
        planned.append(ImportedTranscript((element.get("guid") or "").strip("{}").lower(), name, sha, stored_text,
                                          attributes, codings, existing))
        about_source = child(element, "Description")
        if about_source is not None and (about_source.text or "").strip():
            source_notes.append(((element.get("guid") or "").strip("{}").lower(),
                                 (element.get("creatingUser") or "").strip("{}").lower(), about_source.text.strip()))
        source_names[(element.get("guid") or "").strip("{}").lower()] = name
        report.transcripts.append(name)
        if existing:
            report.already_here.append(name)
        report.conventions[name] = convention
        tables[(element.get("guid") or "").strip("{}").lower()] = table

    # Where a note hangs (a NoteRef inside a source or a code): it becomes a memo on that transcript or code.
    note_on: dict[str, tuple[str, object]] = {}
    for element in root.iter():
        kind = _local(element.tag)
        for ref in _children(element, "NoteRef"):
            target = (ref.get("targetGUID") or "").strip("{}").lower()
            if kind == "TextSource":
                note_on[target] = ("source", (element.get("guid") or "").strip("{}").lower())
            elif kind == "Code":
                note_on[target] = ("code", (element.get("guid") or "").strip("{}").lower())
    for guid, (source, start, end) in span_notes.items():
        note_on[guid] = ("span", source, start, end)
    notes = []  # (coder, title, text, where, created, modified)
    if child(root, "Notes") is not None:
        for note in _children(child(root, "Notes"), "Note"):
            content = child(note, "PlainTextContent")
            text = content.text if content is not None and content.text else _source_text(archive, names, note, path)
            if (text or "").strip():
                who = users.get((note.get("creatingUser") or "").strip("{}").lower()) or default_coder
                on = note_on.get((note.get("guid") or "").strip("{}").lower())
                span = child(note, "PlainTextSelection")  # an annotation: the note holds its words' span
                if on and on[0] == "source" and span is not None and on[1] in tables:
                    table = tables[on[1]]
                    try:
                        start, end = int(span.get("startPosition")), int(span.get("endPosition"))
                    except (TypeError, ValueError):
                        start = end = -1
                    if 0 <= start < end < len(table):
                        on = ("span", on[1], table[start], table[end])
                    else:
                        raise BadInput(f"note '{printable(note.get('name') or '')[:40]}': its span {start}:{end} is "
                                       "outside its source's text", file=path, field="Note")
                notes.append((who, note.get("name") or "", printable(text.strip()), on,
                              _when(note.get("creationDateTime")),
                              _when(note.get("modifiedDateTime") or note.get("creationDateTime"))))
    for source, user, text in source_notes:
        notes.append((users.get(user) or default_coder, "description", printable(text), ("source", source),
                      _datetime(None), _datetime(None)))
    description = child(root, "Description")
    if description is not None and (description.text or "").strip() \
            and not description.text.startswith(POSITIONS_NOTE):  # ours says how positions count: no memo
        notes.append((default_coder, "project description", printable(description.text.strip()), None,
                      _datetime(None), _datetime(None)))
    _count_dropped(root, report)
    lost = sum(1 for guid in source_attributes if guid not in tables and guid not in source_names)
    if lost:
        report.dropped.append(f"{lost} case(s)' values for a source the file does not hold")

    # write, all at once
    def memo(coder, title, text, on, created, modified) -> ImportedMemo:
        kind = on[0] if on else None
        return ImportedMemo(coder, title, text, on[1] if kind in ("source", "span") else None,
                            guid_to_code.get(on[1]) if kind == "code" else None,
                            (on[2], on[3]) if kind == "span" else None, created, modified)

    stored = project.store_exchange(codebooks=new_books, transcripts=planned,
                                    memos=[memo(*note) for note in notes], source_name=path.name)
    report.codings, report.memos = stored.codings, stored.memos
    report.coders, report.attribute_keys = stored.coders, stored.attribute_keys
    if stored.repeated:
        report.dropped.append(f"{stored.repeated} coding(s) that repeat another (same code, words and coder): "
                              "stored once")
    return report
