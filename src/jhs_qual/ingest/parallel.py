"""Reading many transcripts at once: worker processes (workers.py) parse the files while the
caller stores what was read, in the files' order.

Parsing a transcript costs about as much as storing it (its turns and its full-text index), so
an import of a thousand files takes both cores of a laptop. A file comes back as plain data
(`ReadFile`: the turns as tuples, cheap to send) or as the one line that says why it could not
be read. Fewer files than `PARALLEL_FROM` are read here, one after the other.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from jhs_qual.errors import JhsError
from jhs_qual.workers import in_order

PARALLEL_FROM = 8  # files; below this, starting workers costs more than it saves


@dataclass
class ReadFile:
    """What a reader made of one file, in a form that crosses processes cheaply."""

    text: str
    rows: list[tuple]  # Turn.row() of each turn
    format: str
    attributes: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    source_sha256: str = ""
    speakers: list[str] = field(default_factory=list)  # in order of first turn


def read_file(path: Path) -> ReadFile | str:
    """One file read and parsed, or the line that says why not."""
    from jhs_qual.ingest.readers import read_transcript

    try:
        parsed = read_transcript(path)
    except JhsError as error:
        return error.one_line()
    return ReadFile(parsed.text, [t.row() for t in parsed.turns], parsed.format, parsed.attributes,
                    parsed.warnings, parsed.source_sha256, parsed.speakers)


def read_files(paths: list[Path]) -> Iterator[tuple[Path, ReadFile | str]]:
    """(path, what was read) for each path in order, parsed ahead in worker processes when there
    are enough files (workers.in_order)."""
    if len(paths) < PARALLEL_FROM:
        reads = map(read_file, paths)
    else:
        reads = in_order(lambda k, n: map(read_file, paths[k::n]))
    yield from zip(paths, reads)
