"""Limits every reader keeps, so that no input can exhaust memory or stack, hang, or pass a
number no one can use: JSON with bounded depth and finite numbers, times in a plausible range.

(File sizes are capped where files are read: `files.read_bytes`.)
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from jhs_qual.errors import BadInput

MAX_JSON_DEPTH = 64
MAX_SECONDS = 100 * 3600  # no interview or recording lasts 100 hours
MAX_DIGITS = 30


def load_json(text: str, *, file: str | Path | None = None, field: str | None = None):
    """`json.loads` that refuses, in one line, what Python would turn into trouble later:
    NaN and Infinity, numbers too large for a float, nesting deeper than any real file."""

    def constant(name: str):
        raise BadInput(f"'{name}' is not a number", file=file, field=field, hint="JSON numbers are finite")

    def number(literal: str) -> float:
        value = float(literal)
        if not math.isfinite(value):
            raise BadInput(f"the number {literal[:40]} is too large", file=file, field=field)
        return value

    def integer(literal: str) -> int:
        if len(literal) > MAX_DIGITS:
            raise BadInput(f"a number of {len(literal)} digits is too large", file=file, field=field)
        return int(literal)

    def unique(pairs: list) -> dict:
        seen: set[str] = set()
        twice = next((key for key, _ in pairs if key in seen or seen.add(key)), None)
        if twice is not None:
            raise BadInput(f"the key '{twice[:40]}' appears twice in one object", file=file, field=field,
                           hint="which one is meant cannot be told; keep one")
        return dict(pairs)

    too_deep = False
    try:
        data = json.loads(text, parse_constant=constant, parse_float=number, parse_int=integer,
                          object_pairs_hook=unique)
    except RecursionError:
        data, too_deep = None, True
    except ValueError as error:
        raise BadInput(f"not valid JSON ({error.args[0].split(':')[0]})", file=file, field=field,
                       line=getattr(error, "lineno", None)) from None
    if too_deep or _deeper_than(data, MAX_JSON_DEPTH):
        raise BadInput(f"JSON nested more than {MAX_JSON_DEPTH} levels deep", file=file, field=field,
                       hint="no file jhs-qual reads needs this; check the file")
    return data


def _deeper_than(data, limit: int) -> bool:
    """Whether `data` nests more than `limit` lists or objects (without recursion)."""
    level = [data]
    for _ in range(limit + 1):
        level = [child for node in level if isinstance(node, (dict, list))
                 for child in (node.values() if isinstance(node, dict) else node)]
        if not level:
            return False
    return True


def seconds(value, *, file: str | Path | None = None, line: int | None = None, field: str | None = None) -> float:
    """A time in seconds from a transcript or recording: finite, not negative, under 100 hours."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadInput(f"'{str(value)[:40]}' is not a time in seconds", file=file, line=line, field=field)
    if not math.isfinite(value) or not 0 <= value <= MAX_SECONDS:
        raise BadInput(f"the time {str(value)[:40]} is out of range (0 to {MAX_SECONDS // 3600} hours)",
                       file=file, line=line, field=field, hint="check the file's times")
    return float(value)
