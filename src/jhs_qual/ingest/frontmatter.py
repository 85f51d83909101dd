"""YAML front matter: a `---` block at the top of a transcript with its attributes."""

from __future__ import annotations

from pathlib import Path

import yaml

from jhs_qual.errors import BadInput


def split_front_matter(lines: list[str], path: Path | str) -> tuple[dict[str, str], int]:
    """Parse a leading `---` ... `---` block.

    Returns the attributes (values as strings) and the number of lines the
    block took, so the caller can skip them. No block: ({}, 0).
    """
    if not lines or lines[0].strip() != "---":
        return {}, 0
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        raise BadInput(
            "front matter opened with '---' is never closed",
            file=path,
            line=1,
            hint="end the attribute block with a line '---'",
        )
    block = "\n".join(lines[1:end])
    from jhs_qual.yamlfile import limited_loader  # the same limits as codebooks: no alias bombs

    loader = limited_loader(block, path)
    try:
        data = loader.get_single_data()
    except (TypeError, ValueError):
        raise BadInput("front matter must be 'key: value' lines", file=path, line=2) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise BadInput(
            f"front matter is not valid YAML ({problem})",
            file=path,
            line=line,
            hint="write one 'key: value' per line",
        ) from None
    finally:
        loader.dispose()
    if data is None:
        return {}, end + 1
    if not isinstance(data, dict):
        raise BadInput(
            "front matter must be 'key: value' lines",
            file=path,
            line=2,
        )
    attributes: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, (dict, list)):
            raise BadInput(
                "an attribute takes a single value, not a list or mapping",
                file=path,
                line=_line_of_key(lines, str(key), end),
                field=str(key),
            )
        if value is None:
            continue
        attributes[str(key)] = str(value)
    return attributes, end + 1


def _line_of_key(lines: list[str], key: str, end: int) -> int:
    for number in range(1, end):
        if lines[number].lstrip().startswith(f"{key}:"):
            return number + 1
    return 1
