"""REFI-QDA codebooks (.qdc): export our codebooks, import anyone's.

Export: every codebook is a top-level code that cannot be coded (a folder),
its codes nested inside by their parents. A code's GUID is derived from
`codebook/id` (uuid5), so every export of the same code has the same GUID.
REFI has a name, a colour and a description per code; our other fields live
in the description:

    <definition>

    Use when: <use_when>

    Do not use when: <do_not_use_when>

    Example: <example>

    ---- jhs-qual: data for re-import, leave unchanged ----
    [jhs-qual] {"id": ..., "label_nl": ..., "label_en": ..., "keywords": [...], ...}

Other tools show all of it as text; the rule line sets our data apart from the
prose. Our import reads the last line back and restores every field exactly
(files from before the rule line are read too); for a codebook from another
tool the whole description becomes the definition.

Import reads untrusted XML with defusedxml (no entity expansion, no external
entities). Colours may come as #RGB, #RRGGBB, #RRGGBBAA or rgb(r, g, b).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import unicodedata
import uuid
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

from jhs_qual.codebook.load import ID, MAX_PARENT_DEPTH, PALETTE, parse_codebook
from jhs_qual.domain import Code, Codebook
from jhs_qual.errors import BadInput
from jhs_qual.export.safe import printable
from jhs_qual.limits import load_json

NS = "urn:QDA-XML:codebook:1.0"
MARK = "[jhs-qual] "
RULE = "---- jhs-qual: data for re-import, leave unchanged ----"
# Fixed: the GUIDs of our codes must not change between versions of jhs-qual.
GUID_NAMESPACE = uuid.UUID("6b1d0c8e-3f4a-5e2b-9c7d-0a1b2c3d4e5f")
MAX_BYTES = 50 * 1024 * 1024  # a codebook (.qdc)
MAX_PROJECT_XML = 200 * 1024 * 1024  # a project.qde: some 5,000 coded interviews (parsed whole: 4x in memory)


def guid5(name: str) -> str:
    """str(uuid.uuid5(GUID_NAMESPACE, name)), without building a UUID object (a large export
    makes one for every selection and coding)."""
    h = hashlib.sha1(_NAMESPACE_BYTES + name.encode("utf-8")).hexdigest()
    # version 5 in the 13th hex digit, the RFC 4122 variant (10xx) in the 17th
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


_NAMESPACE_BYTES = GUID_NAMESPACE.bytes
_VARIANT = {d: "89ab"[int(d, 16) & 3] for d in "0123456789abcdef"}


def code_guid(codebook_id: str, code_id: str | None = None) -> str:
    return guid5(f"{codebook_id}/{code_id}" if code_id else codebook_id)


# --- export --------------------------------------------------------------------------

def _description(code: Code, codebook_id: str) -> str:
    parts = [code.definition] if code.definition else []
    for title, value in (("Use when", code.use_when), ("Do not use when", code.do_not_use_when),
                         ("Example", code.example)):
        if value:
            parts.append(f"{title}: {value}")
    fields = {"codebook": codebook_id, "id": code.id, "label_nl": code.label_nl, "label_en": code.label_en,
              "definition": code.definition, "use_when": code.use_when, "do_not_use_when": code.do_not_use_when,
              "keywords": code.keywords, "phrases": code.phrases, "exclude": code.exclude,
              "example": code.example, "key": code.key, "parent": code.parent}
    parts.append(_data_block({k: v for k, v in fields.items() if v not in ("", [], None)}))
    return "\n\n".join(parts)


def _data_block(fields: dict) -> str:
    return f"{RULE}\n{MARK}" + json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


def to_qdc(codebooks: list[Codebook], origin: str = "jhs-qual") -> bytes:
    ET.register_namespace("", NS)
    root = ET.Element(f"{{{NS}}}CodeBook", {"origin": origin})
    add_codes(ET.SubElement(root, f"{{{NS}}}Codes"), codebooks, NS)
    ET.indent(root, space="  ")
    return xml_bytes(root)


def xml_bytes(root, declaration: bool = True) -> bytes:
    """The document as UTF-8 XML, every text and attribute without control characters
    (XML 1.0 cannot hold them: a reader would reject the whole file)."""
    from jhs_qual.export.safe import printable

    for element in root.iter():
        if element.text:
            element.text = printable(element.text)
        if element.tail:
            element.tail = printable(element.tail)
        for key, value in element.attrib.items():
            element.attrib[key] = printable(value)
    return (b'<?xml version="1.0" encoding="utf-8"?>\n' if declaration else b"") + ET.tostring(root, encoding="utf-8")


def add_codes(codes_element: ET.Element, codebooks: list[Codebook], ns: str) -> None:
    """Our codebooks as <Code> folders under `codes_element` (in a .qdc or a project)."""
    for book in codebooks:
        folder = ET.SubElement(codes_element, f"{{{ns}}}Code", {
            "guid": code_guid(book.id), "name": book.title, "isCodable": "false"})
        info = {"codebook": book.id, "title": book.title, "language": book.language, "description": book.description}
        if book.applies_to:
            info["applies_to"] = {k: list(v) for k, v in book.applies_to.items()}
        ET.SubElement(folder, f"{{{ns}}}Description").text = "\n\n".join(
            ([book.description] if book.description else []) + [_data_block(info)])
        elements: dict[str | None, ET.Element] = {None: folder}
        for code in _parents_first(book.codes):
            element = ET.SubElement(elements[code.parent], f"{{{ns}}}Code", {
                "guid": code_guid(book.id, code.id), "name": code.label_nl,
                "isCodable": "true" if code.codable else "false",
                "color": code.colour.upper()})
            ET.SubElement(element, f"{{{ns}}}Description").text = _description(code, book.id)
            elements[code.id] = element


def _parents_first(codes: list[Code]) -> list[Code]:
    placed: set[str] = set()
    ordered: list[Code] = []
    pending = list(codes)
    while pending:
        ready = [c for c in pending if c.parent is None or c.parent in placed]
        for code in ready:
            ordered.append(code)
            placed.add(code.id)
        pending = [c for c in pending if c.id not in placed]
    return ordered


# --- import ----------------------------------------------------------------------------

def parse_colour(value: str | None) -> str | None:
    """#RGB, #RRGGBB, #RRGGBBAA or rgb(r, g, b) -> #rrggbb; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip().lower()
    if m := re.fullmatch(r"#([0-9a-f]{3})", value):
        return "#" + "".join(c * 2 for c in m[1])
    if m := re.fullmatch(r"#([0-9a-f]{6})(?:[0-9a-f]{2})?", value):
        return "#" + m[1]
    if m := re.fullmatch(r"rgba?\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*(?:,\s*[\d.]+\s*)?\)", value):
        if all(int(x) <= 255 for x in m.groups()):
            return "#" + "".join(f"{int(x):02x}" for x in m.groups())
    return None


def read_xml(data: bytes, path: Path | str, limit: int = MAX_BYTES):
    """Parse untrusted XML safely; one clear error for anything malicious or broken."""
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    if len(data) > limit:
        raise BadInput(f"larger than {limit // (1024 * 1024)} MiB", file=path)
    try:
        root = SafeET.fromstring(data)
    except DefusedXmlException as error:
        raise BadInput(f"refused: the XML uses {type(error).__name__} (entities are not allowed)", file=path) from None
    except ET.ParseError as error:
        line = error.position[0] if getattr(error, "position", None) else None
        raise BadInput(f"not well-formed XML ({error})", file=path, line=line) from None
    if _deeper_than(root, MAX_XML_DEPTH):
        raise BadInput(f"XML nested more than {MAX_XML_DEPTH} levels deep", file=path,
                       hint=f"codes nest at most {MAX_PARENT_DEPTH} levels; check the file")
    return root


MAX_XML_DEPTH = 64


def _deeper_than(root, limit: int) -> bool:
    level = [root]
    for _ in range(limit):
        level = [child for element in level for child in element]
        if not level:
            return False
    return True


@functools.lru_cache(maxsize=256)  # a document has a few dozen tags, met hundreds of thousands of times
def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element, name: str):
    return [child for child in element if _local(child.tag) == name]


def _marked(description: str, path: Path | str) -> tuple[str, dict | None]:
    """The description without our data block (rule line and marked last line), and its fields."""
    head, _, last = description.rstrip().rpartition("\n")
    if not last.startswith(MARK):
        return description, None
    try:
        fields = load_json(last[len(MARK):], file=path, field="a code's Description")
    except BadInput as error:
        if "nested" in error.message:
            raise
        return description, None
    head = head.rstrip()
    if head.endswith(RULE):
        head = head[: -len(RULE)].rstrip()
    return head, fields if isinstance(fields, dict) else None


def slug(name: str, taken: set[str]) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")[:56] or "code"
    if not text[0].isalpha():
        text = "c_" + text
    candidate, n = text, 1
    while candidate in taken:
        n += 1
        candidate = f"{text}_{n}"
    taken.add(candidate)
    return candidate


def sets_in(data: bytes, path: Path | str) -> int:
    """How many code Sets a codebook document holds (a codebook YAML has no place for them)."""
    return sum(1 for element in read_xml(data, path).iter() if _local(element.tag) == "Set")


def from_qdc(data: bytes, path: Path | str, *, codebook_id: str | None = None, language: str = "nl") -> str:
    """The YAML text of one codebook from a .qdc file (validated before it is returned).

    A file exported by jhs-qual holds our codebooks as folders; `codebook_id`
    picks one when there are several. Any other file becomes one codebook of
    all its codes, named after the file.
    """
    root = read_xml(data, path)
    if _local(root.tag) != "CodeBook":
        raise BadInput(f"the root element is <{_local(root.tag)}>, not <CodeBook>", file=path,
                       hint="a .qdc file is a REFI-QDA codebook")
    codes_element = next(iter(_children(root, "Codes")), None)
    if codes_element is None:
        raise BadInput("no <Codes> in the codebook", file=path)
    books = read_codes(codes_element, path, language=language, foreign_id=codebook_id)
    if len(books) > 1 and codebook_id is None:
        raise BadInput(f"{len(books)} codebooks in the file: {', '.join(b[0] for b in books)}",
                       file=path, field="--codebook", hint="choose one with --codebook ID")
    chosen = [b for b in books if codebook_id in (None, b[0])] if len(books) > 1 else books
    if not chosen:
        raise BadInput(f"no codebook '{codebook_id}' in the file", file=path, field="--codebook")
    return chosen[0][1]


def read_codes(codes_element, path: Path | str, *, language: str = "nl", foreign_id: str | None = None,
               foreign_title: str | None = None) -> list[tuple[str, str, dict[str, str]]]:
    """The codebooks under a <Codes> element: (id, YAML text, {code GUID: code id}).

    Our own export gives one codebook per folder; anything else is one
    codebook of all the codes, its id `foreign_id` or the file's name.
    """
    top = _children(codes_element, "Code")
    ours = []
    for element in top:
        description = next((d.text or "" for d in _children(element, "Description")), "")
        _, fields = _marked(description, path)
        if fields and "title" in fields and "codebook" in fields:
            ours.append((fields, element))
    if ours:
        groups = []
        for info, folder in ours:
            book = {"id": info["codebook"], "title": info["title"], "language": info.get("language", language)}
            if info.get("description"):
                book["description"] = info["description"]
            if isinstance(info.get("applies_to"), dict):
                book["applies_to"] = info["applies_to"]
            groups.append((book, _children(folder, "Code")))
    else:
        stem = Path(str(path)).stem
        groups = [({"id": foreign_id or slug(stem, set()), "title": foreign_title or stem, "language": language}, top)]
    return [_codebook_yaml(book, roots, path) for book, roots in groups]


def _codebook_yaml(book: dict, roots, path) -> tuple[str, str, dict[str, str]]:
    codes: list[dict] = []
    guids: dict[str, str] = {}
    taken: set[str] = set()
    used_keys: set[str] = set()

    def walk(element, parent: str | None) -> None:
        description = next((d.text or "" for d in _children(element, "Description")), "").strip()
        text, fields = _marked(description, path)
        name = " ".join((element.get("name") or "").split())
        if not name:
            raise BadInput(f"a code has no name (GUID {printable(element.get('guid') or '?')[:40]})", file=path,
                           hint="name it in the tool that made the file, and export again")
        if fields and fields.get("id") and ID.match(fields["id"]) and fields["id"] not in taken:
            code_id = fields["id"]
            taken.add(code_id)
        else:
            code_id = slug(name, taken)
            fields = None
        code = {"id": code_id, "label_nl": name, "label_en": name}
        if fields:
            for key in ("label_nl", "label_en", "definition", "use_when", "do_not_use_when", "keywords",
                        "phrases", "exclude", "example"):
                if fields.get(key):
                    code[key] = fields[key]
            if fields.get("key") and fields["key"] not in used_keys:
                code["key"] = fields["key"]
                used_keys.add(fields["key"])
        elif text:
            code["definition"] = text
        if (element.get("isCodable") or "true").strip().lower() == "false":
            code["codable"] = False  # a folder in the other tool: kept as one
        code["colour"] = parse_colour(element.get("color")) or PALETTE[len(codes) % len(PALETTE)]
        if parent:
            code["parent"] = parent
        codes.append(code)
        if element.get("guid"):
            guids[element.get("guid").strip("{}").lower()] = code_id
        for child in _children(element, "Code"):
            walk(child, code_id)

    for element in roots:
        walk(element, None)
    if not codes:
        raise BadInput("the codebook has no codes", file=path)
    import yaml

    text = yaml.safe_dump({**book, "codes": codes}, sort_keys=False, allow_unicode=True, width=100)
    try:  # the result must be a valid codebook
        parse_codebook(text, Path(str(path)).with_suffix(".yaml").name)
    except BadInput as error:
        raise BadInput(f"its codes do not make a valid codebook ({error.field + ': ' if error.field else ''}"
                       f"{error.message})", file=path) from None
    return book["id"], text, guids


# --- a project archive (.qdpx) --------------------------------------------------------------

MAX_ENTRIES = 10_000
MAX_UNPACKED = 2 * 1024 * 1024 * 1024
MAX_ARCHIVE = 512 * 1024 * 1024  # a .qdpx as read from disk


def open_archive(data: bytes, path: Path | str):
    """A .qdpx zip and its entries by lower-case name, after checking it is safe to
    read: no absolute paths or '..', at most MAX_ENTRIES entries and MAX_UNPACKED bytes."""
    import io
    import zipfile

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise BadInput("not a .qdpx archive (not a zip file)", file=path) from None
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        raise BadInput(f"{len(entries)} entries in the archive (at most {MAX_ENTRIES})", file=path)
    if sum(e.file_size for e in entries) > MAX_UNPACKED:
        raise BadInput("the archive unpacks to more than 2 GiB", file=path)
    names = {}
    for entry in entries:
        name = entry.filename.replace("\\", "/")
        if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in name.split("/"):
            raise BadInput(f"unsafe path in the archive: {entry.filename}", file=path)
        names[name.lower()] = entry.filename
    return archive, names


def project_xml_from_qdpx(data: bytes, path: Path | str) -> bytes:
    """The project.qde of a .qdpx archive (project.qde, Project.qde, or a single *.qde)."""
    return qde_from_archive(*open_archive(data, path), path)


def qde_from_archive(archive, names: dict[str, str], path: Path | str) -> bytes:
    """The project.qde of an archive already opened (and checked) by `open_archive`."""
    return read_entry(archive, qde_entry(archive, names, path), path, MAX_PROJECT_XML)


def qde_entry(archive, names: dict[str, str], path: Path | str) -> str:
    """The name of the archive's project.qde (project.qde, Project.qde, or a single *.qde)."""
    qde = [n for n in names if "/" not in n.strip("/") and n.endswith(".qde")]
    chosen = [n for n in qde if n == "project.qde"] or qde
    if len(chosen) != 1:
        raise BadInput("no project.qde in the archive" if not qde else "several .qde files in the archive",
                       file=path, hint="a .qdpx holds one project.qde beside its sources/")
    return names[chosen[0]]


MAX_SOURCE = 32 * 1024 * 1024  # a transcript of 32 MiB is some 5 million words: far beyond any interview


def read_entry(archive, name: str, path: Path | str, limit: int) -> bytes:
    """An entry's bytes, at most `limit` of them whatever its header claims; a damaged,
    encrypted or oddly compressed entry is one clear error, not a traceback."""
    import zlib

    entry = archive.getinfo(name)
    too_big = BadInput(f"{entry.filename} is larger than {limit // (1024 * 1024)} MiB", file=path,
                       hint="jhs-qual reads sources up to that size")
    if entry.file_size > limit:
        raise too_big
    try:
        with archive.open(entry) as stream:
            data = stream.read(limit + 1)  # a lying size in the header cannot make us read more
    except RuntimeError as error:  # encrypted
        raise BadInput(f"{entry.filename} cannot be read ({error})", file=path,
                       hint="export the project again without a password") from None
    except NotImplementedError as error:
        raise BadInput(f"{entry.filename} is compressed in a way zip readers do not know ({error})",
                       file=path) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
        raise BadInput(f"{entry.filename} is damaged ({error})", file=path,
                       hint="export the project again") from None
    if len(data) > limit:
        raise too_big
    return data


def codebook_xml(data: bytes, path: Path | str) -> bytes:
    """A .qdc as it is, or the <CodeBook> of a .qdpx project, as a codebook document."""
    if data[:2] != b"PK":
        if Path(str(path)).suffix.lower() != ".qde":
            return data  # a .qdc
        project = read_xml(data, path, MAX_PROJECT_XML)  # a bare .qde: its codebook
    else:
        project = read_xml(project_xml_from_qdpx(data, path), path, MAX_PROJECT_XML)
    book = next((child for child in project if _local(child.tag) == "CodeBook"), None)
    if book is None:
        raise BadInput("the project has no <CodeBook>", file=path)
    return ET.tostring(book)
