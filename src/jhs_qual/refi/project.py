"""REFI-QDA project import (.qdpx, or a bare .qde with its sources beside it), from any tool.

The archive is checked before anything is read (no absolute paths or '..', bounded size and
entry count); the .qde is read as a stream by lxml with no DTD allowed, twice: the head here,
then the sources one at a time in a worker process (`sources.read_source`, workers.py) while
the store writes the ones before. Each plain-text source is stored as it is (only its line
ends become \\n), its turns found in place; its selections' positions are read in the
convention the file's evidence supports (`positions.choose_convention`), reported per source.
Other source types are listed as skipped, and what has no place here counted. The file becomes
plain data (`store.exchange`), checked whole before the store writes it in one transaction.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from jhs_qual.codebook import check_together, parse_codebook
from jhs_qual.errors import BadInput
from jhs_qual.export.safe import printable
from jhs_qual.files import read_bytes
from jhs_qual.store.exchange import ImportedMemo, ImportedTranscript
from jhs_qual.refi.codebook import (
    MAX_ARCHIVE,
    _children,
    _marked,
    _local,
    open_archive,
    read_codes,
    MAX_PROJECT_XML,
    MAX_SOURCE,
    MAX_XML_DEPTH,
    _deeper_than,
    qde_entry,
    slug,
)
from jhs_qual.refi.export import POSITIONS_NOTE, _datetime, _when
from jhs_qual.refi.positions import declared_convention
from jhs_qual.refi.sources import SourceContext, child, guid, read_source, source_text, values_of
from jhs_qual.workers import in_order

MAX_STREAMED_XML = 2 * 1024 * 1024 * 1024  # a .qdpx's project.qde, read as a stream (the archive's own bound)

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


def _count_dropped(elements, counts: dict[str, int]) -> None:
    """What a REFI project holds that jhs-qual has no place for, counted into `counts` (the
    standard asks an importer to say what it leaves out)."""
    def add(what: str, n: int = 1) -> None:
        if n:
            counts[what] = counts.get(what, 0) + n

    for element in (sub for top in elements for sub in top.iter()):
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


class _Capped:
    """A zip entry read as a stream, at most `limit` bytes whatever its header claims; a damaged
    entry is one clear error."""

    def __init__(self, archive, name: str, path: Path, limit: int):
        import zlib

        self.errors = (zipfile.BadZipFile, zlib.error, EOFError, OSError)
        self.path, self.limit, self.read_so_far = path, limit, 0
        self.name = name
        try:
            self.stream = archive.open(name)
        except RuntimeError as error:  # encrypted
            raise BadInput(f"{name} cannot be read ({error})", file=path,
                           hint="export the project again without a password") from None
        except NotImplementedError as error:
            raise BadInput(f"{name} is compressed in a way zip readers do not know ({error})", file=path) from None

    def peek(self, size: int) -> bytes:
        """The first `size` bytes, read again by the next read()."""
        self._head = self.read(size)
        return self._head

    def read(self, size: int = -1) -> bytes:
        if getattr(self, "_head", b""):
            head, self._head = self._head, b""
            return head
        try:
            data = self.stream.read(size if size >= 0 else self.limit + 1)
        except self.errors as error:
            raise BadInput(f"{self.name} is damaged ({error})", file=self.path, hint="export the project again") from None
        self.read_so_far += len(data)
        if self.read_so_far > self.limit:
            raise BadInput(f"{self.name} is larger than {self.limit // (1024 * 1024)} MiB", file=self.path)
        return data


SOURCE_KINDS = frozenset({"TextSource", "PDFSource", "PictureSource", "AudioSource", "VideoSource"})  # in <Sources>


def _ends(archive, qde: str, path: Path):
    """Each source of the .qde (SOURCE_KINDS) as it ends, then the root. lxml's parser picks the
    sources out: the hundreds of thousands of other elements cost no step in Python (Python's
    own iterparse reports every one; the file is read twice). The XML may declare no DTD (so no
    entities, as defusedxml refuses them): its prolog is read first; the parser loads nothing
    from outside and keeps libxml2's bounds on depth and text size. Broken XML is one line with
    its line number."""
    from lxml import etree

    stream = _Capped(archive, qde, path, MAX_STREAMED_XML)
    if _declares_dtd(stream.peek(PROLOG_BYTES)):
        raise BadInput("refused: the XML declares a DTD (entities are not allowed)", file=path)
    events = etree.iterparse(stream, events=("end",), tag=[f"{{*}}{kind}" for kind in sorted(SOURCE_KINDS)],
                             resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True,
                             remove_pis=True)
    try:
        for _, element in events:
            yield element
    except etree.XMLSyntaxError as error:
        raise BadInput(f"not well-formed XML ({error.msg})", file=path, line=error.lineno or None) from None
    if events.root is None:
        raise BadInput("not well-formed XML (no element)", file=path)
    yield events.root


PROLOG_BYTES = 64 * 1024  # what the XML declaration, comments and a DOCTYPE before the root may take
_PROLOG = re.compile(r"\s*(?:<\?.*?\?>\s*|<!--.*?-->\s*)*", re.DOTALL)


def _declares_dtd(head: bytes) -> bool:
    """Does the document begin with a DOCTYPE (after its declaration, comments and processing
    instructions)? A prolog that does not end within its first bytes counts as one."""
    encoding, skip = "utf-8", 0
    for start, name in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(start):
            encoding, skip = name, len(start)
    if head[:2] in (b"<\x00", b"\x00<"):  # UTF-16 without a byte order mark
        encoding = "utf-16-le" if head[0] == ord("<") else "utf-16-be"
    text = head[skip:].decode(encoding, "ignore")
    rest = text[_PROLOG.match(text).end():]
    return not rest.startswith("<") or rest.startswith("<!")


def _read_head(archive, qde: str, path: Path, dropped: dict[str, int]):
    """The first reading: the project's tree without its sources' contents (each source is
    looked at when it ends: the notes it points at, what it holds that has no place here, then
    let go). Returns (root, {note GUID: source GUID of a NoteRef in a source})."""
    refs, root = {}, None
    for element in _ends(archive, qde, path):
        root = element  # the last to end
        if _local(element.tag) in SOURCE_KINDS:
            if _deeper_than(element, MAX_XML_DEPTH - 2):  # Project > Sources > the source
                raise BadInput(f"XML nested more than {MAX_XML_DEPTH} levels deep", file=path,
                               hint="check the file: REFI-QDA projects nest far less")
            source = guid(element)
            for ref in _children(element, "NoteRef"):
                refs[guid(ref, "targetGUID")] = source
            if _local(element.tag) != "TextSource":  # a text source holds nothing _count_dropped counts
                _count_dropped([element], dropped)
            element.clear()
    if _local(root.tag) != "Project":
        raise BadInput(f"the root element is <{_local(root.tag)}>, not <Project>", file=path)
    if _deeper_than(root, MAX_XML_DEPTH):  # what is kept (the sources were looked at as they ended)
        raise BadInput(f"XML nested more than {MAX_XML_DEPTH} levels deep", file=path,
                       hint="check the file: REFI-QDA projects nest far less")
    return root, refs


def _stream_sources(archive, qde: str, path: Path):
    """The second reading: each source, whole, as it ends; emptied once it was used."""
    for element in _ends(archive, qde, path):
        if _local(element.tag) in SOURCE_KINDS:
            yield element
            element.clear()


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
    qde = qde_entry(archive, names, path)
    report = ImportReport()
    dropped: dict[str, int] = {}
    # The .qde is read twice, as a stream (iterparse), so that memory holds one source at a time:
    # first all but the sources' selections (codes, cases, notes, and the Description, which says
    # how positions count and comes last), then the sources one by one, as they are stored.
    root, source_refs = _read_head(archive, qde, path, dropped)

    about = child(root, "Description").text if child(root, "Description") is not None else None
    declared = declared_convention(about)
    origins = (_marked(about or "", path)[1] or {}).get("origins") or {}  # ours: what was not made by hand

    users = {}
    for user in _children(child(root, "Users"), "User") if child(root, "Users") is not None else []:
        users[guid(user)] = user.get("name") or user.get("id") or user.get("guid")
    creator = guid(root, "creatingUserGUID")
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
            variables[guid(v)] = slug(v.get("name") or "variable", set())
    source_attributes: dict[str, dict[str, str]] = {}

    if child(root, "Cases") is not None:
        for case in _children(child(root, "Cases"), "Case"):
            values = values_of(case, variables)
            for ref in _children(case, "SourceRef"):
                source_attributes.setdefault(guid(ref, "targetGUID"), {}).update(values)

    # Where a note hangs (a NoteRef in a source, met in the first reading, in a code, or in a
    # selection, met as the sources are stored): it becomes a memo on that transcript, code or span.
    note_on: dict[str, tuple] = {note: ("source", source) for note, source in source_refs.items()}
    for element in root.iter():
        if _local(element.tag) == "Code":
            for ref in _children(element, "NoteRef"):
                note_on[guid(ref, "targetGUID")] = ("code", guid(element))
    notes_element = child(root, "Notes")
    annotated = {note_on[guid(n)][1] for n in (_children(notes_element, "Note") if notes_element is not None else [])
                 if note_on.get(guid(n), ("",))[0] == "source" and child(n, "PlainTextSelection") is not None}

    # sources, selections, codings
    span_notes: dict[str, tuple[str, int, int]] = {}  # note GUID -> (source GUID, start, end) it is on
    tables: dict[str, Sequence[int]] = {}  # source GUID -> its positions' table, for spans in notes
    source_notes: list[tuple[str, str, str]] = []  # a source's Description: (source GUID, creating user, text)
    source_names: dict[str, str] = {}  # source GUID -> transcript name
    known_texts = project.transcript_checksums()
    taken = set(known_texts.values())
    existing_names = set(known_texts.values())
    seen: set[str] = set()  # the texts met earlier in this file

    context = SourceContext(archive, names, path, offsets, declared, guid_to_code, users, coder, default_coder,
                            origins, variables, annotated, frozenset(known_texts))

    def sources(k: int, n: int):
        """Sources k, k + n, ... of the file, read (in a worker process, when there are two)."""
        for i, element in enumerate(_stream_sources(archive, qde, path)):
            if i % n == k:
                yield read_source(context, element)

    def transcripts():
        """Each source as it is read, named and checked against what the project holds, for the
        store to write (an error stops the import, and the store's transaction leaves the
        project as it was)."""
        for read in in_order(sources, workers=1):  # one worker reads the sources as fast as they are stored
            source = read.key
            for note, start, end in read.span_notes:  # an empty source's too, as its notes name it
                span_notes[note] = (source, start, end)
            if read.skipped:
                report.skipped_sources.append(read.skipped)
                continue
            name = re.sub(r"\.(txt|docx?|rtf|pdf)$", "", read.label, flags=re.IGNORECASE).strip()
            if not name:  # a source called ".txt"
                name = f"source_{(read.guid_attribute or str(len(source_names) + 1)).strip('{}')[:8]}"
            sha = read.sha256
            if sha in known_texts:
                name = known_texts[sha]  # already here (or earlier in this file): its codings join it
            else:
                known_texts[sha] = name
                base, n = name, 1
                while name in taken:
                    n += 1
                    name = f"{base}_{n}"
                taken.add(name)
            existing = sha in seen or name in existing_names
            seen.add(sha)
            if read.about is not None:
                source_notes.append((source, *read.about))
            source_names[source] = name
            report.transcripts.append(name)
            if existing:
                report.already_here.append(name)
            report.conventions[name] = read.convention
            if read.table is not None:
                tables[source] = read.table
            yield ImportedTranscript(source, name, sha, read.text, {**source_attributes.get(source, {}),
                                                                     **read.attributes},
                                     read.codings, existing, read.turns)

    def memos() -> list[ImportedMemo]:
        """The notes as memos, asked for once the sources are stored."""
        for note, (source, start, end) in span_notes.items():
            note_on[note] = ("span", source, start, end)
        notes = []  # (coder, title, text, where, created, modified)
        if child(root, "Notes") is not None:
            for note in _children(child(root, "Notes"), "Note"):
                content = child(note, "PlainTextContent")
                text = content.text if content is not None and content.text else source_text(archive, names, note, path)
                if (text or "").strip():
                    who = users.get(guid(note, "creatingUser")) or default_coder
                    on = note_on.get(guid(note))
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

        return [memo(*note) for note in notes]

    _count_dropped([root], dropped)

    # write, all at once
    def memo(coder, title, text, on, created, modified) -> ImportedMemo:
        kind = on[0] if on else None
        return ImportedMemo(coder, title, text, on[1] if kind in ("source", "span") else None,
                            guid_to_code.get(on[1]) if kind == "code" else None,
                            (on[2], on[3]) if kind == "span" else None, created, modified)

    stored = project.store_exchange(codebooks=new_books, transcripts=transcripts(), memos=memos,
                                    source_name=path.name)
    lost = sum(1 for source in source_attributes if source not in source_names)
    if lost:
        report.dropped.append(f"{lost} case(s)' values for a source the file does not hold")
    report.dropped[:0] = [f"{n} {what}" for what, n in dropped.items()]
    report.codings, report.memos = stored.codings, stored.memos
    report.coders, report.attribute_keys = stored.coders, stored.attribute_keys
    if stored.repeated:
        report.dropped.append(f"{stored.repeated} coding(s) that repeat another (same code, words and coder): "
                              "stored once")
    return report
