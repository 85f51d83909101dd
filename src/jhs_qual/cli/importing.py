"""Importing transcripts (and --dry-run)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from jhs_qual.errors import JhsError
from jhs_qual.cli.base import cli, echo, open_project, plural, project_option


# --- import --------------------------------------------------------------------------------

@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--attr", "assignments", multiple=True, metavar="KEY=VALUE",
              help="Attribute for every imported file, e.g. --attr wave=2019 (repeatable).")
@click.option("--attributes", "sheet_path", type=click.Path(dir_okay=False, path_type=Path),
              help="CSV sheet: a 'file' column and one column per attribute.")
@click.option("--dry-run", is_flag=True, help="Show the speakers and turns each file would give; store nothing.")
@click.option("--replace", "replace", is_flag=True,
              help="Each file is a corrected version of the transcript of its name: its codings, memos and "
                   "rejections move to the new text.")
@project_option
def import_(paths: tuple[Path, ...], assignments: tuple[str, ...], sheet_path: Path | None, dry_run: bool,
            replace: bool, project_path: Path | None) -> None:
    """Import transcripts (.txt .md .docx .vtt .srt, Whisper .json .tsv; folders recursively).

    Speakers and timestamps are read from the text; attributes come from the
    file's YAML front matter, then the --attributes sheet, then --attr.
    A file whose content is already in the project is skipped.
    """
    from jhs_qual.ingest.attributes import parse_assignments, read_attribute_sheet
    from jhs_qual.store.importing import expand_paths, import_files

    if dry_run:
        _dry_run(paths, project_path)
        return
    if replace:
        _replace(paths, project_path)
        return
    with open_project(project_path) as project:
        known = project.attribute_keys()
        attributes = parse_assignments(assignments, known)
        sheet = read_attribute_sheet(sheet_path, known) if sheet_path else {}
        for warning in getattr(sheet, "warnings", ()):
            echo(f"warning: {sheet_path}: {warning}", err=True)
        files, ignored = expand_paths(list(paths))
        counts = {"imported": 0, "skipped": 0, "error": 0}
        matched: set[str] = set()
        linked: set[Path] = set()  # recordings linked at import: not "ignored"
        before = project.counts()["transcripts"]
        try:
            for r in import_files(project, files, attributes=attributes, sheet=sheet):  # a line per file, as stored
                counts[r.status] += 1
                matched |= {r.path.name, r.path.stem}
                if r.status == "imported":
                    who = ", ".join(r.speakers) or "no speaker labels"
                    echo(f"imported {r.path}: {plural(r.turns, 'turn')} ({who})"
                         + (f"; recording {r.recording.name} linked" if r.recording else ""))
                    linked |= {r.recording} if r.recording else set()
                    for warning in r.warnings:
                        echo(f"  warning: {r.path}: {warning}", err=True)
                elif r.status == "skipped":
                    echo(f"skipped  {r.path}: {r.message}")
                else:
                    echo(f"Error: {r.message}", err=True)
        except KeyboardInterrupt:  # the batches committed stay, whole; the last one's lines may not be out
            stored = project.counts()["transcripts"] - before
            echo(f"interrupted: {plural(stored, 'file')} of {len(files)} stored, each whole; import the same "
                 "files again to add the rest (those stored are skipped)", err=True)
            sys.exit(130)
    unmatched = [name for name in sheet if name not in matched]
    if unmatched:
        echo(f"warning: {sheet_path}: no imported file for {plural(len(unmatched), 'row')}: "
             f"{', '.join(unmatched[:10])}{', ...' if len(unmatched) > 10 else ''}", err=True)
    ignored = [p for p in ignored if p not in linked]
    if ignored:
        names = ", ".join(p.name for p in ignored[:5]) + (", ..." if len(ignored) > 5 else "")
        echo(f"ignored {plural(len(ignored), 'file')} that "
             f"{'is not a transcript' if len(ignored) == 1 else 'are not transcripts'}: {names}")
    echo(f"{counts['imported']} imported, {counts['skipped']} skipped, {counts['error']} failed")
    if counts["error"]:
        sys.exit(2)


def _dry_run(paths: tuple[Path, ...], project_path: Path | None) -> None:
    """import --dry-run: each file as it would be read and checked (its front matter against the
    project's attribute names, when there is a project), nothing stored."""
    from collections import Counter

    from jhs_qual.ingest.attributes import DEFAULT_KEYS, check_key
    from jhs_qual.ingest.readers import read_transcript
    from jhs_qual.store.importing import expand_paths

    try:
        with open_project(project_path) as project:
            known = project.attribute_keys()
    except JhsError:  # no project (yet): the names every new project has
        known = list(DEFAULT_KEYS)
    files, _ = expand_paths(list(paths))
    failed = 0
    for path in files:
        try:
            parsed = read_transcript(path)
            for key in parsed.attributes:
                check_key(key, known, file=path, line=1)
        except JhsError as error:
            echo(f"Error: {error.one_line()}", err=True)
            failed += 1
            continue
        turns = Counter(t.speaker or "(no speaker)" for t in parsed.turns)
        echo(f"{path}: {plural(len(parsed.turns), 'turn')}; " + ", ".join(f"{s} {n}" for s, n in turns.items()))
        for warning in parsed.warnings:
            echo(f"  warning: {path}: {warning}", err=True)
    echo(f"{plural(len(files) - failed, 'file')} read, {failed} failed; nothing was stored (--dry-run)")
    if failed:
        sys.exit(2)


def _replace(paths: tuple[Path, ...], project_path: Path | None) -> None:
    """import --replace: corrected versions, codings carried over to the new text."""
    from jhs_qual.ingest.readers import read_transcript
    from jhs_qual.store.importing import expand_paths

    files, _ = expand_paths(list(paths))
    with open_project(project_path) as project:
        for path in files:
            found = project.transcript(path.stem)
            parsed = read_transcript(path)
            report = project.replace_transcript(found["id"], parsed, source_name=path.name,
                                                source_sha256=parsed.source_sha256)
            echo(f"replaced {found['name']} with {path}: {plural(len(parsed.turns), 'turn')}; codings on the same words "
                 f"{report['same']}, on corrected words {len(report['changed'])}, whose words are gone "
                 f"{len(report['lost'])}")
            for line in report["changed"]:
                echo(f"  to review: {line}")
            for line in report["lost"]:
                echo(f"  gone (kept with the old text in the project): {line}", err=True)
