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
    with replacing(path) as tmp:
        tmp.write_text(out.getvalue(), encoding="utf-8")
    return len(new)
