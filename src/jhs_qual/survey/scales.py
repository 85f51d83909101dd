"""Questionnaire scales as YAML, reviewable like codebooks (the ISJO and the competence list ship
in `data/scales/`):

    id: isjo
    title: ...
    language: nl
    items: {item_id: wording, ...}        # the questionnaire's columns
    scales:
      - id: interdependence
        label_nl: ..., label_en: ...
        code: bronstein/interdependence  # optional: the code the scale stands beside
        items: [item_id, ...]
        reverse: [item_id, ...]          # reverse-keyed: scored min + max - x
        min: 1
        max: 5
        missing: [6]                     # answers that are no score ("weet niet")
        min_answered: 0.75               # share of items a respondent must answer for a score

Validated with line numbers: every mistake is one line naming the file, line and field.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from jhs_qual.errors import BadInput
from jhs_qual.files import read_bytes
from jhs_qual.yamlfile import LineMapping, parse_yaml

ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
FILE_FIELDS = ("id", "title", "language", "description", "items", "scales")
SCALE_FIELDS = ("id", "label_nl", "label_en", "code", "items", "reverse", "min", "max", "missing", "min_answered")
SHIPPED = ("isjo", "competences")


@dataclass(frozen=True)
class Scale:
    id: str
    label_nl: str
    label_en: str
    items: tuple[str, ...]
    reverse: tuple[str, ...] = ()
    min: float = 1
    max: float = 5
    missing: tuple[float, ...] = ()
    min_answered: float = 1.0
    code: str | None = None  # "codebook/id"


@dataclass(frozen=True)
class ScaleFile:
    id: str
    title: str
    items: dict[str, str]  # item id -> wording
    scales: tuple[Scale, ...]
    yaml_text: str
    sha256: str


def load_scales(path: Path | str) -> ScaleFile:
    """A scale file by path, or a shipped one by name (isjo, competences)."""
    if str(path) in SHIPPED and not Path(path).exists():
        text = resources.files("jhs_qual").joinpath(f"data/scales/{path}.yaml").read_text(encoding="utf-8")
        return parse_scales(text, f"{path}.yaml")
    data = read_bytes(Path(path), 4 * 1024 * 1024)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput("a scale file is not UTF-8", file=path, hint="save it as UTF-8") from None
    return parse_scales(text, path)


def parse_scales(text: str, path: Path | str) -> ScaleFile:
    root = parse_yaml(text, path)
    if not isinstance(root, LineMapping):
        raise BadInput("a scale file is a mapping with id, title, items and scales", file=path, line=1)
    _known(root, FILE_FIELDS, path, "the file")
    file_id = _identifier(root, "id", path)
    items = root.get("items")
    if not isinstance(items, LineMapping) or not items:
        raise BadInput("items must map each item's id (its column) to its wording", file=path,
                       line=root.lines.get("items", root.line), field="items")
    for item, wording in items.items():
        if not isinstance(item, str) or not ID.match(item) or not isinstance(wording, str) or not wording.strip():
            raise BadInput(f"'{item}' is not an item id with its wording", file=path, line=items.lines.get(item),
                           field="items", hint="lower-case letters, digits and '_', then ': the wording'")
    raw = root.get("scales")
    if not isinstance(raw, list) or not raw:
        raise BadInput("a scale file needs a non-empty list of scales", file=path,
                       line=root.lines.get("scales", root.line), field="scales")
    scales, seen = [], set()
    for number, entry in enumerate(raw, start=1):
        if not isinstance(entry, LineMapping):
            raise BadInput(f"scale number {number} is not a mapping of fields", file=path,
                           line=root.lines["scales"], field="scales")
        scale = _scale(entry, items, path)
        if scale.id in seen:
            raise BadInput(f"scale '{scale.id}' appears twice", file=path, line=entry.lines["id"], field="id")
        seen.add(scale.id)
        scales.append(scale)
    title = root.get("title")
    return ScaleFile(file_id, title if isinstance(title, str) else file_id, dict(items), tuple(scales), text,
                     hashlib.sha256(text.encode("utf-8")).hexdigest())


def _scale(entry: LineMapping, items: LineMapping, path) -> Scale:
    _known(entry, SCALE_FIELDS, path, "a scale")
    scale_id = _identifier(entry, "id", path)
    where = f"scale {scale_id}"

    def line(name: str) -> int:
        return entry.lines.get(name, entry.line)

    listed = entry.get("items")
    if not isinstance(listed, list) or len(listed) < 2 or not all(isinstance(i, str) for i in listed):
        raise BadInput(f"{where}: items must list at least two item ids", file=path, line=line("items"),
                       field="items")
    for key in ("items", "reverse"):
        for item in entry.get(key) or []:
            if item not in items:
                raise BadInput(f"{where}: '{item}' is not one of the file's items", file=path, line=line(key),
                               field=key, hint="list its wording under items: first")
    if len(set(listed)) != len(listed):
        raise BadInput(f"{where}: an item is listed twice", file=path, line=line("items"), field="items")
    reverse = entry.get("reverse") or []
    if not isinstance(reverse, list) or not set(reverse) <= set(listed):
        raise BadInput(f"{where}: reverse must list items of the scale", file=path, line=line("reverse"),
                       field="reverse")
    low, high = entry.get("min", 1), entry.get("max", 5)
    for name, value in (("min", low), ("max", high)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise BadInput(f"{where}: {name} must be a number", file=path, line=line(name), field=name)
    if not low < high:
        raise BadInput(f"{where}: min must be below max", file=path, line=line("min"), field="min")
    missing = entry.get("missing") or []
    if not isinstance(missing, list) or not all(isinstance(m, (int, float)) and not isinstance(m, bool)
                                                and not low <= m <= high for m in missing):
        raise BadInput(f"{where}: missing lists answers outside min..max that are no score (e.g. [6])",
                       file=path, line=line("missing"), field="missing")
    share = entry.get("min_answered", 1.0)
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
        raise BadInput(f"{where}: min_answered is the share of items needed for a score, above 0 and at most 1",
                       file=path, line=line("min_answered"), field="min_answered")
    code = entry.get("code")
    if code is not None and (not isinstance(code, str) or code.count("/") != 1):
        raise BadInput(f"{where}: code is the code the scale stands beside, as codebook/id", file=path,
                       line=line("code"), field="code")
    labels = [entry.get("label_nl"), entry.get("label_en")]
    if not all(isinstance(label, str) and label.strip() for label in labels):
        raise BadInput(f"{where}: it needs label_nl and label_en", file=path, line=entry.line, field="label_nl")
    return Scale(scale_id, labels[0], labels[1], tuple(listed), tuple(reverse), low, high, tuple(missing),
                 float(share), code)


def _identifier(mapping: LineMapping, name: str, path) -> str:
    value = mapping.get(name)
    if not isinstance(value, str) or not ID.match(value):
        raise BadInput(f"{name} must be lower-case letters, digits and '_'", file=path,
                       line=mapping.lines.get(name, mapping.line), field=name)
    return value


def _known(mapping: LineMapping, fields: tuple[str, ...], path, what: str) -> None:
    for key in mapping:
        if key not in fields:
            raise BadInput(f"unknown field '{key}' in {what}", file=path, line=mapping.lines.get(key, mapping.line),
                           field=str(key), hint=f"the fields are: {', '.join(fields)}")
