"""Codebook YAML: reading with line numbers, and validation with errors that point.

Every error names the file, the line and the field, so a researcher editing
a codebook in a text editor can go straight to the problem. The format is
documented in `codebooks/README.md`.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from pathlib import Path


from jhs_qual.domain import Code, Codebook, disjoint
from jhs_qual.errors import BadInput
from jhs_qual.files import read_bytes
from jhs_qual.yamlfile import LineMapping, parse_yaml

ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
LANGUAGES = ("nl", "en")
CODEBOOK_FIELDS = ("id", "title", "language", "description", "applies_to", "codes")
CODE_FIELDS = (
    "id", "label_nl", "label_en", "definition", "use_when", "do_not_use_when",
    "keywords", "phrases", "exclude", "example", "colour", "key", "parent", "codable",
)
_LIST_FIELDS = ("keywords", "phrases", "exclude")
# Colours for codes that do not set one: readable on dark and light themes.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)


MAX_PARENT_DEPTH = 20  # levels of codes under codes


MAX_FILE = 16 * 1024 * 1024  # a codebook of 50 codes with 100 keywords each is some 100 KB


def load_codebook(path: Path) -> Codebook:
    data = read_bytes(path, MAX_FILE)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput("codebook is not UTF-8", file=path, hint="save it as UTF-8") from None
    return parse_codebook(text, path, sha256=hashlib.sha256(data).hexdigest())


def parse_codebook(text: str, path: Path | str, *, sha256: str = "") -> Codebook:
    root = parse_yaml(text, path)
    if not isinstance(root, LineMapping):
        raise BadInput("a codebook is a mapping with id, title, language and codes", file=path, line=1)
    _unknown_fields(root, CODEBOOK_FIELDS, path)
    codebook_id = _identifier(root, "id", path)
    title = _text(root, "title", path, required=True)
    language = _text(root, "language", path, required=True)
    if language not in LANGUAGES:
        raise BadInput(
            f"language '{language}' is not supported",
            file=path, line=root.lines["language"], field="language",
            hint=f"use one of: {', '.join(LANGUAGES)}",
        )
    raw_codes = root.get("codes")
    if not isinstance(raw_codes, list) or not raw_codes:
        raise BadInput(
            "a codebook needs a non-empty list of codes",
            file=path, line=root.lines.get("codes", root.line), field="codes",
        )
    codes: list[Code] = []
    seen: dict[str, int] = {}
    for position, raw in enumerate(raw_codes):
        if not isinstance(raw, LineMapping):
            raise BadInput(
                f"code number {position + 1} is not a mapping of fields",
                file=path, line=root.lines["codes"], field="codes",
            )
        code = _code(raw, path, position)
        if code.id in seen:
            raise BadInput(
                f"duplicate code id '{code.id}' (first on line {seen[code.id]})",
                file=path, line=raw.lines["id"], field="id",
            )
        seen[code.id] = raw.lines["id"]
        codes.append(code)
    _check_hierarchy(codes, path)
    return Codebook(
        id=codebook_id,
        title=title,
        language=language,
        description=_text(root, "description", path),
        codes=codes,
        source=Path(path).name,
        sha256=sha256 or hashlib.sha256(text.encode()).hexdigest(),
        yaml_text=text,
        applies_to=_scope(root, path),
    )


_ATTRIBUTE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _scope(root: LineMapping, path) -> dict[str, tuple[str, ...]]:
    """`applies_to: {role: [leerling]}`: the transcripts the codebook is for, by attribute."""
    raw = root.get("applies_to")
    if raw in (None, {}):
        return {}
    line = root.lines.get("applies_to", root.line)
    example = "write e.g. 'applies_to: {role: [leerling]}'"
    if not isinstance(raw, dict):
        raise BadInput("must map attribute names to lists of values", file=path, line=line,
                       field="applies_to", hint=example)
    scope: dict[str, tuple[str, ...]] = {}
    for key, values in raw.items():
        where = getattr(raw, "lines", {}).get(key, line)
        if not isinstance(key, str) or not _ATTRIBUTE.match(key):
            raise BadInput(f"'{key}' is not an attribute name", file=path, line=where, field="applies_to",
                           hint="attribute names are lower-case letters, digits and '_' (role, school_type ...)")
        if isinstance(values, (str, int)):
            values = [values]
        if not isinstance(values, list) or not values or not all(isinstance(v, (str, int)) for v in values):
            raise BadInput("must be a value or a non-empty list of values", file=path, line=where,
                           field=f"applies_to.{key}", hint=example)
        scope[key] = tuple(dict.fromkeys(str(v).strip() for v in values if str(v).strip()))
        if not scope[key]:
            raise BadInput("has no value", file=path, line=where, field=f"applies_to.{key}", hint=example)
    return scope


def _code(raw: LineMapping, path, position: int) -> Code:
    _unknown_fields(raw, CODE_FIELDS, path)
    code_id = _identifier(raw, "id", path)
    lists = {}
    for name in _LIST_FIELDS:
        value = raw.get(name) or []
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            raise BadInput(
                "must be a list of words or phrases",
                file=path, line=raw.lines.get(name, raw.line), field=f"{code_id}.{name}",
            )
        lists[name] = [str(v).strip() for v in value if str(v).strip()]
    colour = _text(raw, "colour", path) or PALETTE[position % len(PALETTE)]
    if not COLOUR.match(colour):
        raise BadInput(
            f"bad colour '{colour}'",
            file=path, line=raw.lines["colour"], field=f"{code_id}.colour",
            hint="write it as '#RRGGBB', e.g. '#1f77b4' (quoted: # starts a YAML comment)",
        )
    key = _text(raw, "key", path)
    if key:
        if len(key) != 1 or not key.isprintable():
            raise BadInput(
                f"shortcut key '{key}' must be one character",
                file=path, line=raw.lines["key"], field=f"{code_id}.key",
            )
    parent = raw.get("parent")
    return Code(
        id=code_id,
        label_nl=_text(raw, "label_nl", path, required=True, owner=code_id),
        label_en=_text(raw, "label_en", path, required=True, owner=code_id),
        definition=_text(raw, "definition", path),
        use_when=_text(raw, "use_when", path),
        do_not_use_when=_text(raw, "do_not_use_when", path),
        keywords=lists["keywords"],
        phrases=lists["phrases"],
        exclude=lists["exclude"],
        example=_text(raw, "example", path),
        colour=colour.lower(),
        key=key,
        parent=str(parent) if parent not in (None, "") else None,
        codable=_switch(raw, "codable", path, code_id),
        line=raw.line,
    )


def _switch(raw: LineMapping, name: str, path, owner: str) -> bool:
    value = raw.get(name, True)
    if not isinstance(value, bool):
        raise BadInput("must be true or false", file=path, line=raw.lines.get(name, raw.line), field=f"{owner}.{name}")
    return value


def _check_hierarchy(codes: list[Code], path) -> None:
    by_id = {c.id: c for c in codes}
    for code in codes:
        if code.parent is not None and code.parent not in by_id:
            raise BadInput(
                f"unknown parent '{code.parent}'",
                file=path, line=code.line, field=f"{code.id}.parent",
                hint="the parent must be a code id in the same codebook",
            )
    for code in codes:
        chain, current = [code.id], code
        while current.parent is not None:
            if current.parent in chain:
                cycle = " -> ".join(chain[chain.index(current.parent):] + [current.parent])
                raise BadInput(
                    f"parent cycle: {cycle}",
                    file=path, line=code.line, field=f"{code.id}.parent",
                )
            chain.append(current.parent)
            if len(chain) > MAX_PARENT_DEPTH + 1:
                raise BadInput(f"codes nested more than {MAX_PARENT_DEPTH} levels deep",
                               file=path, line=code.line, field=f"{code.id}.parent",
                               hint="a codebook is read by people: keep the tree shallow")
            current = by_id[current.parent]


def check_together(codebooks: list[Codebook], reserved: dict[str, str] | None = None) -> None:
    """What must hold across codebooks loaded into one project: unique codebook ids,
    and no shortcut key shared by two codes that can be on screen together (codes
    of codebooks whose scopes exclude each other may share one), nor taken by the
    workbench (`reserved`: key -> what it does, by default the standard keymap)."""
    from jhs_qual.keys import reserved_keys

    reserved = reserved_keys() if reserved is None else reserved
    ids: dict[str, Codebook] = {}
    keys: dict[str, list[tuple[Codebook, Code]]] = {}
    for codebook in codebooks:
        if codebook.id in ids:
            raise BadInput(
                f"codebook id '{codebook.id}' is also used by {ids[codebook.id].source}",
                file=codebook.source, field="id",
            )
        ids[codebook.id] = codebook
        for code in codebook.codes:
            if not code.key:
                continue
            if code.key in reserved:
                raise BadInput(
                    f"shortcut key '{code.key}' is taken by the workbench ({reserved[code.key]})",
                    file=codebook.source, line=code.line, field=f"{code.id}.key",
                    hint="pick another letter or digit, or remap the workbench key in the config's [keys]",
                )
            for other_book, other in keys.get(code.key, []):
                if not disjoint(other_book.applies_to, codebook.applies_to):
                    where = other_book.source + (f":{other.line}" if other.line else "")
                    raise BadInput(
                        f"shortcut key '{code.key}' is also used by {other_book.id}/{other.id} ({where})",
                        file=codebook.source, line=code.line, field=f"{code.id}.key",
                        hint="give one of the two codes another key, or give the codebooks "
                             "applies_to scopes that exclude each other",
                    )
            keys.setdefault(code.key, []).append((codebook, code))


def _unknown_fields(mapping: LineMapping, known: tuple[str, ...], path) -> None:
    for key in mapping:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known fields: {', '.join(known)}"
            raise BadInput(
                "unknown field", file=path, line=mapping.lines[key], field=str(key), hint=hint
            )


def _identifier(mapping: LineMapping, name: str, path) -> str:
    value = mapping.get(name)
    if value in (None, ""):
        raise BadInput(f"missing '{name}'", file=path, line=mapping.line, field=name)
    value = str(value)
    if not ID.match(value):
        raise BadInput(
            f"'{value}' is not a valid id",
            file=path, line=mapping.lines[name], field=name,
            hint="use lower-case letters, digits and '_', starting with a letter",
        )
    return value


def _text(mapping: LineMapping, name: str, path, *, required=False, owner: str | None = None) -> str:
    value = mapping.get(name)
    field = f"{owner}.{name}" if owner else name
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise BadInput(f"missing '{name}'", file=path, line=mapping.line, field=field)
        return ""
    if isinstance(value, (dict, list)):
        raise BadInput("must be text", file=path, line=mapping.lines[name], field=field)
    return str(value).strip()
