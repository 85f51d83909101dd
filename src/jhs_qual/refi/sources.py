"""One REFI-QDA source read whole: its text, the convention its positions count in, its codings,
the notes on its words, its turns. What it needs of the rest of the project (codes, users,
variables, the notes that mark a span) is read beforehand (`SourceContext`); what it gives back
is plain data (`SourceRead`), so that sources can be read in worker processes (workers.py)
while the store writes the ones before them. Which name a source gets, and whether the
project holds its text already, is the caller's to decide, in the file's order.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from jhs_qual.domain import ORIGINS
from jhs_qual.errors import BadInput
from jhs_qual.export.safe import printable
from jhs_qual.refi.codebook import _children, _local, MAX_SOURCE, read_entry
from jhs_qual.refi.export import _when
from jhs_qual.refi.positions import choose_convention
from jhs_qual.store.exchange import ImportedCoding


@functools.lru_cache(maxsize=4096)  # codes' and users' GUIDs, met at every coding
def _guid(value: str | None) -> str:
    return (value or "").strip("{}").lower()


def guid(element, attribute: str = "guid") -> str:
    """A GUID the file names, as compared here: without braces, lower case ('' for none)."""
    return _guid(element.get(attribute)) if element is not None else ""


def child(element, name: str):
    """The first child of that name (in any namespace), or None."""
    return next(iter(_children(element, name)), None)


def values_of(element, variables: dict[str, str]) -> dict[str, str]:
    """A case's or source's variable values: {attribute name: value}."""
    found = {}
    for vv in _children(element, "VariableValue"):
        key = variables.get(guid(child(vv, "VariableRef"), "targetGUID"))
        value = next((c.text for c in vv if _local(c.tag) != "VariableRef" and c.text), None)
        if key and value is not None:
            found[key] = value.strip()
    return found


def source_text(archive, names: dict[str, str], element, path: Path) -> str | None:
    """A TextSource's text: inline PlainTextContent, or its file in sources/ (any case)."""
    inline = child(element, "PlainTextContent")
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


@dataclass
class SourceContext:
    """What reading a source needs of the project file and the command."""

    archive: object  # the zipfile.ZipFile
    names: dict[str, str]  # its entries by lower-case name
    path: Path
    offsets: str | None  # --offsets
    declared: str | None  # the convention the file's Description states
    guid_to_code: dict[str, tuple[str, str]]
    users: dict[str, str]  # user GUID -> name
    coder: str | None  # --coder
    default_coder: str
    origins: dict[str, str]  # selection GUID -> origin (jhs-qual's own exports)
    variables: dict[str, str]  # variable GUID -> attribute name
    annotated: set[str]  # sources a note marks a span of: their positions' table is kept
    known: frozenset[str] = frozenset()  # texts the project holds (SHA-256): no turns to find


@dataclass
class SourceRead:
    """A source as read: `skipped` says why it is not a transcript (then little else is set)."""

    label: str
    key: str = ""  # its GUID
    skipped: str = ""
    text: str = ""
    sha256: str = ""
    convention: str = ""
    codings: list[ImportedCoding] = field(default_factory=list)
    span_notes: list[tuple[str, int, int]] = field(default_factory=list)  # (note GUID, start, end)
    attributes: dict[str, str] = field(default_factory=dict)
    about: tuple[str, str] | None = None  # its Description: (creating user GUID, text)
    table: list[int] | None = None  # its positions' table, when a note marks a span of it
    turns: list[tuple] | None = None  # Turn.row() of its turns (None: its text is here already)
    guid_attribute: str | None = None  # its guid attribute as written (for a name when it has none)


def read_source(ctx: SourceContext, element) -> SourceRead:
    """Read one source element; a problem that stops the import is a BadInput."""
    from jhs_qual.ingest.turns import turns_in_text

    path = ctx.path
    kind = _local(element.tag)
    path_name = PurePosixPath((element.get("plainTextPath") or "").split("internal://")[-1]).name
    label = element.get("name") or path_name or element.get("guid") or kind
    if kind != "TextSource":
        return SourceRead(label, skipped=f"{label} ({kind})")
    source = guid(element)
    raw = source_text(ctx.archive, ctx.names, element, path)
    if raw is None:
        raise BadInput(f"source '{label}': its text is not in the archive", file=path,
                       hint="expected in sources/ as its plainTextPath says")
    if "\x00" in raw or raw.count("\ufffd", 0, 4096) > 20:
        return SourceRead(label, skipped=f"{label} (not plain text)")
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
    convention, table = choose_convention(raw, stored_text, [(s, e, n) for s, e, n, _ in selections],
                                          label, path, ctx.offsets, ctx.declared)
    read = SourceRead(label, source, text=stored_text, convention=convention,
                      guid_attribute=element.get("guid"))
    for start, end, _, sel in selections:  # there are 100,000s: what each needs is looked up once
        if not (0 <= start < end < len(table)):
            raise BadInput(f"source '{label}': selection {start}:{end} is outside the text "
                           f"({len(table) - 1} positions)", file=path, field="PlainTextSelection")
        begins, ends = table[start], table[end]
        parts: dict[str, list] = {}  # its children by kind, in one look
        for part in sel:
            parts.setdefault(_local(part.tag), []).append(part)
        memo = (parts["Description"][0].text or "").strip() if "Description" in parts else ""
        if "Coding" in parts:
            if begins >= ends:  # e.g. half of an emoji under the other convention
                raise BadInput(f"source '{label}': selection {start}:{end} falls inside one character when "
                               f"positions count {convention}", file=path, field="PlainTextSelection",
                               hint="the positions may count another unit; nothing was imported")
            by = _guid(sel.get("creatingUser"))
            origin = ctx.origins.get(_guid(sel.get("guid")), "manual") if ctx.origins else "manual"
            created = sel.get("creationDateTime")
            when = _when(created), _when(sel.get("modifiedDateTime") or created)
        for coding in parts.get("Coding", ()):
            target = next((_guid(ref.get("targetGUID")) for ref in coding if _local(ref.tag) == "CodeRef"), "")
            if target not in ctx.guid_to_code:
                raise BadInput(f"source '{label}': a coding refers to an unknown code GUID {target}",
                               file=path, field="CodeRef")
            creator = _guid(coding.get("creatingUser")) or by
            # a user the file does not list keeps a coder of their own, named by their GUID
            who = ctx.users.get(creator) or ctx.coder or (f"user {creator[:8]}" if creator else None)
            read.codings.append(ImportedCoding(ctx.guid_to_code[target], who or ctx.default_coder, begins, ends,
                                               memo, origin if origin in ORIGINS else "manual", *when))
        for ref in parts.get("NoteRef", ()):  # a note on these words (a turn memo, an annotation)
            read.span_notes.append((guid(ref, "targetGUID"), begins, ends))
    read.sha256 = hashlib.sha256(stored_text.encode("utf-8")).hexdigest()
    if not stored_text.strip():
        read.skipped = f"{label} (empty)"
        return read
    read.attributes = values_of(element, ctx.variables)
    about = child(element, "Description")
    if about is not None and (about.text or "").strip():
        read.about = (guid(element, "creatingUser"), about.text.strip())
    if source in ctx.annotated:  # kept only where a note's span needs it
        read.table = list(table)
    if read.sha256 not in ctx.known:
        read.turns = [turn.row() for turn in turns_in_text(stored_text)]
    return read
