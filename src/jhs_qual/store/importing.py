"""Importing many files: expand folders, read each file, merge its attributes,
skip what is already in the project, store each file in its own transaction.

A bad file is reported and skipped; the others still import.
"""

from __future__ import annotations

from collections.abc import Iterator

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from jhs_qual.errors import BadInput, JhsError
from jhs_qual.ingest import SUPPORTED, read_transcript
from jhs_qual.ingest.attributes import check_key, sheet_row
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


def import_files(
    project: Project,
    files: list[Path],
    *,
    attributes: dict[str, str] | None = None,
    sheet: dict[str, dict[str, str]] | None = None,
) -> Iterator[ImportResult]:
    """Attributes: front matter, overridden by the sheet, overridden by `attributes`.
    Yields each file's result as soon as it is stored (or refused), one transaction a file."""
    for path in files:
        try:
            yield _import_one(project, path, attributes or {}, sheet or {})
        except JhsError as error:
            yield ImportResult(path, "error", error.one_line())


def _import_one(project: Project, path: Path, attributes: dict, sheet: dict) -> ImportResult:
    if not path.exists():
        raise BadInput("no such file", file=path)
    parsed = read_transcript(path)
    known = project.attribute_keys()
    for key in parsed.attributes:
        check_key(key, known, file=path, line=1)
    merged = {**parsed.attributes, **sheet_row(sheet, path), **attributes}
    source_sha256 = parsed.source_sha256
    text_sha256 = hashlib.sha256(parsed.text.encode("utf-8")).hexdigest()
    duplicate = project.find_duplicate(text_sha256, source_sha256)
    if duplicate is not None:
        return ImportResult(path, "skipped", f"same content as '{duplicate}' already in the project",
                            name=duplicate)
    transcript_id = project.add_transcript(
        path.stem, parsed, source_name=path.name, source_sha256=source_sha256, attributes=merged
    )
    if isinstance(transcript_id, str):  # another import stored the same content a moment ago
        return ImportResult(path, "skipped", f"same content as '{transcript_id}' already in the project",
                            name=transcript_id)
    warnings = list(parsed.warnings)
    recording = sibling_recording(path)
    if recording is not None:
        try:
            project.link_media(transcript_id, recording)
        except (JhsError, OSError) as error:
            message = error.one_line() if isinstance(error, JhsError) else error.strerror
            warnings.append(f"{recording.name} not linked as its recording: {message}")
            recording = None
    return ImportResult(
        path, "imported", name=path.stem, turns=len(parsed.turns),
        speakers=parsed.speakers, warnings=warnings, recording=recording,
    )
