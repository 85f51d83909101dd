"""YAML read safely, with line numbers: the one loader for codebooks, front matter and pseudonym
lists. Safe YAML with limits (no alias bombs, no deep nesting, no millions of nodes), every
mapping remembering the line of each key, one line for every error (file, line, what).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from jhs_qual.errors import BadInput


class LineMapping(dict):
    """A YAML mapping that remembers the line of each key (1-based)."""

    line: int = 0
    lines: dict



MAX_NODES = 200_000  # a codebook of 50 codes with 100 keywords each has about 6,000
MAX_DEPTH = 40
MAX_ALIASES = 100


class LimitedLoader(yaml.SafeLoader):
    """Safe YAML with limits: a file cannot make the loader run out of memory or stack
    (alias bombs, deep nesting, millions of nodes)."""

    def compose_node(self, parent, index):
        self._nodes = getattr(self, "_nodes", 0) + 1
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self.check_event(yaml.AliasEvent):
                self._aliases = getattr(self, "_aliases", 0) + 1
                if self._aliases > MAX_ALIASES:
                    self._limit(f"more than {MAX_ALIASES} aliases (*name)")
            if self._nodes > MAX_NODES:
                self._limit(f"more than {MAX_NODES:,} values")
            if self._depth > MAX_DEPTH:
                self._limit(f"nested more than {MAX_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def _limit(self, what: str):
        mark = self.peek_event().start_mark
        raise BadInput(f"too large a YAML document: {what}", file=self.name, line=mark.line + 1,
                       hint="a codebook needs none of this; check the file")


def _construct_mapping(loader: LimitedLoader, node: yaml.MappingNode) -> LineMapping:
    loader.flatten_mapping(node)
    mapping = LineMapping()
    mapping.line = node.start_mark.line + 1
    mapping.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise BadInput(
                f"'{key}' appears twice in the same mapping",
                file=loader.name,
                line=key_node.start_mark.line + 1,
                field=str(key),
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.lines[key] = key_node.start_mark.line + 1
    return mapping


LimitedLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def limited_loader(text: str, path: Path | str) -> LimitedLoader:
    """A loader over `text` with the limits, or one line when the text holds a character
    YAML does not allow (NUL, other control characters; often UTF-16 saved without its BOM)."""
    try:
        loader = LimitedLoader(text)
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, max(error.position, 0)) + 1
        code = error.character if isinstance(error.character, int) else ord(str(error.character)[:1] or "\0")
        raise BadInput(f"holds a character YAML does not allow (U+{code:04X})", file=path, line=line,
                       hint="save the file as UTF-8 text without control characters") from None
    loader.name = str(path)
    return loader


def parse_yaml(text: str, path: Path | str):
    loader = limited_loader(text, path)
    try:
        return loader.get_single_data()
    except (TypeError, ValueError) as error:  # a list or mapping as a key (`? [a, b]`), and the like
        raise BadInput(f"not a plain YAML mapping ({error})", file=path,
                       hint="keys must be plain words: write 'key: value'") from None
    except RecursionError:
        raise BadInput(f"too large a YAML document: nested more than {MAX_DEPTH} levels deep", file=path) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error).split("\n")[0]
        raise BadInput(
            f"YAML syntax error: {problem}",
            file=path,
            line=mark.line + 1 if mark is not None else None,
            hint="check the indentation and quote values that contain ': '",
        ) from None
    finally:
        loader.dispose()
