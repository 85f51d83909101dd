"""Editing a codebook file in place: comments, order and layout are kept (ruamel.yaml round trip)."""

from __future__ import annotations

import io
from pathlib import Path

from jhs_qual.codebook.load import parse_codebook
from jhs_qual.errors import BadInput
from jhs_qual.files import replacing


def add_keywords(path: Path, codebook_id: str, code_id: str, terms: list[str]) -> int:
    """Append terms to a code's keywords; returns how many were new. The result
    is validated before it replaces the file, so the file is never left broken."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML()  # round trip
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)  # the layout of our codebooks: "  - id:" under "codes:"
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text)
    except OSError as error:
        raise BadInput(f"cannot read: {error.strerror}", file=path) from None
    except YAMLError as error:
        raise BadInput(f"YAML syntax error: {error}", file=path) from None
    if not isinstance(data, dict) or data.get("id") != codebook_id:
        raise BadInput(f"not the codebook '{codebook_id}'", file=path, field="id")
    code = next((c for c in data.get("codes") or [] if isinstance(c, dict) and c.get("id") == code_id), None)
    if code is None:
        raise BadInput(f"no code '{code_id}' in this codebook", file=path, field="codes")
    if code.get("keywords") is None:
        code["keywords"] = []
    present = {str(k).lower() for k in code["keywords"]}
    new = [t for t in terms if t.lower() not in present]
    code["keywords"].extend(new)
    out = io.StringIO()
    yaml.dump(data, out)
    parse_codebook(out.getvalue(), path)  # raises BadInput if the result were not a valid codebook
    with replacing(path, edit=True) as tmp:
        tmp.write_text(out.getvalue(), encoding="utf-8")
    return len(new)


_FIELD_ORDER = ("id", "label_nl", "label_en", "definition", "use_when", "do_not_use_when", "keywords",
                "phrases", "exclude", "example", "colour", "key", "parent", "codable")


def rewrite_codes(yaml_text: str, codes: list[dict], source: str) -> str:
    """The codebook's YAML with its codes as in `codes` (rows of the codes table, in
    order): fields changed in place, new codes added, dropped codes removed;
    comments and layout of everything else kept. Checked before it is returned."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import FoldedScalarString

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    data = yaml.load(yaml_text)
    old = {str(c.get("id")): c for c in data.get("codes") or [] if isinstance(c, dict)}
    entries = []
    for row in codes:
        entry = old.get(row["code_id"], CommentedMap())
        values = {"id": row["code_id"], "label_nl": row["label_nl"], "label_en": row["label_en"],
                  "definition": row["definition"], "use_when": row["use_when"],
                  "do_not_use_when": row["do_not_use_when"], "keywords": row["keywords"], "phrases": row["phrases"],
                  "exclude": row["exclude"], "example": row["example"], "colour": row["colour"],
                  "key": row["key"], "parent": row["parent"],
                  "codable": None if row.get("codable", 1) else False}  # written only when false
        for name in _FIELD_ORDER:
            value = values[name]
            empty = value in (None, "", [])
            if empty:
                entry.pop(name, None)
                continue
            current = entry.get(name)
            if isinstance(value, bool):
                entry[name] = value
            elif isinstance(value, list):
                if [str(v) for v in current or []] != value:
                    entry[name] = CommentedSeq(value)
            elif str(current).strip() != str(value).strip():
                entry[name] = FoldedScalarString(value + "\n") if len(value) > 70 else value
        entries.append(entry)
    seq = data.get("codes")
    if not isinstance(seq, CommentedSeq):
        seq = data["codes"] = CommentedSeq()
    seq.clear()
    seq.extend(entries)
    out = io.StringIO()
    yaml.dump(data, out)
    parse_codebook(out.getvalue(), source)  # raises BadInput if the result were not a valid codebook
    return out.getvalue()
