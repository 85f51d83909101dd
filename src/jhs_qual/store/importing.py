"""Importing many files: expand folders, read each file, merge its attributes,
skip what is already in the project, store each file in a savepoint of its own.

A bad file is reported and skipped; the others still import.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from jhs_qual.errors import JhsError
from jhs_qual.files import INPUT, hold
from jhs_qual.ingest import SUPPORTED
from jhs_qual.ingest.attributes import check_key, sheet_row
from jhs_qual.ingest.parallel import ReadFile
from jhs_qual.store.media import sibling_recording
from jhs_qual.store.project import Project


@dataclass
class ImportResult:
    path: Path
    status: str  # imported | skipped | error
    message: str = ""
    name: str = ""
    turns: int = 0
    speakers: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    recording: Path | None = None  # linked at import: the file with the same stem beside it


# Documentation that lives beside transcripts in a folder, never an interview.
_NOT_TRANSCRIPTS = ("readme", "license", "licence", "changelog")


def expand_paths(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """Files to import, and files inside folders that were passed over
    (other types, hidden files, Word lock files, README/LICENSE)."""
    files: list[Path] = []
    ignored: list[Path] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if not child.is_file():
                    continue
                wanted = (
                    child.suffix.lower() in SUPPORTED
                    and not child.name.startswith((".", "~$"))
                    and child.stem.lower() not in _NOT_TRANSCRIPTS
                )
                (files if wanted else ignored).append(child)
        else:
            files.append(path)
    return files, ignored


BATCH_SECONDS = 0.25  # one transaction stores what is read in this time: another window waits no longer


def import_files(
    project: Project,
    files: list[Path],
    *,
    attributes: dict[str, str] | None = None,
    sheet: dict[str, dict[str, str]] | None = None,
) -> Iterator[ImportResult]:
    """Attributes: front matter, overridden by the sheet, overridden by `attributes`.
    Files are parsed ahead in worker processes (ingest.parallel) and stored a quarter of a
    second at a time, one transaction with a savepoint a file: a file that fails leaves
    nothing, the others stay. Each file's result is yielded once it is committed."""
    from jhs_qual.ingest.parallel import read_files

    known = project.attribute_keys()
    read = read_files(files)
    while True:
        done = []
        with project._batch():
            began = time.monotonic()
            for path, item in read:
                hold(path, INPUT)
                done.append(_import_one(project, path, item, known, attributes or {}, sheet or {}))
                if time.monotonic() - began >= BATCH_SECONDS:
                    break
        if not done:
            return
        yield from done


def _import_one(project: Project, path: Path, read: ReadFile | str, known: list[str], attributes: dict,
                sheet: dict) -> ImportResult:
    if isinstance(read, str):
        return ImportResult(path, "error", read)
    try:
        for key in read.attributes:
            check_key(key, known, file=path, line=1)
        merged = {**read.attributes, **sheet_row(sheet, path), **attributes}
        transcript_id = project.add_turn_rows(path.stem, read.text, read.rows, read.format, source_name=path.name,
                                              source_sha256=read.source_sha256, attributes=merged, known_keys=known)
    except JhsError as error:
        return ImportResult(path, "error", error.one_line())
    if isinstance(transcript_id, str):
        return ImportResult(path, "skipped", f"same content as '{transcript_id}' already in the project",
                            name=transcript_id)
    warnings = list(read.warnings)
    recording = sibling_recording(path)
    if recording is not None:
        try:
            project.link_media(transcript_id, recording)
        except (JhsError, OSError) as error:
            message = error.one_line() if isinstance(error, JhsError) else error.strerror
            warnings.append(f"{recording.name} not linked as its recording: {message}")
            recording = None
    return ImportResult(
        path, "imported", name=path.stem, turns=len(read.rows),
        speakers=read.speakers, warnings=warnings, recording=recording,
    )
