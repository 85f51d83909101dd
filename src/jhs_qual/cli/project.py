"""The project itself: init, its transcripts, attributes, interviewers, speakers, check."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from jhs_qual.errors import BadInput
from jhs_qual.cli.base import (
    _load_codebook_files,
    _shorten,
    _table,
    cli,
    echo,
    find_project_path,
    open_project,
    plural,
    project_option,
)


# --- init ------------------------------------------------------------------------------

@cli.command()
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--codebook", "codebook_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Codebook YAML to load into the new project, or a shipped one by name: bronstein, "
                   "professional_topics, pupil_topics (repeatable).")
def init(path: Path | None, codebook_files: tuple[Path, ...]) -> None:
    """Create a project file (default ./project.jhsq), readable by you only."""
    from jhs_qual.store import DEFAULT_NAME, Project

    path = path or Path(DEFAULT_NAME)
    codebooks = _load_codebook_files(codebook_files)  # check them before creating anything
    project = Project.create(path)
    with project:
        for codebook in codebooks:
            project.load_codebook(codebook)
    echo(f"created {path}" + (f" with {plural(len(codebooks), 'codebook')}" if codebooks else ""))


# --- transcripts ----------------------------------------------------------------------------

@cli.group(invoke_without_command=True)
@click.option("--add", "new_keys", multiple=True, metavar="KEY", help="Add an attribute name (repeatable).")
@project_option
@click.pass_context
def attributes(ctx: click.Context, new_keys: tuple[str, ...], project_path: Path | None) -> None:
    """List the attribute names transcripts may carry, or add new ones; `attributes set` changes a transcript's."""
    if ctx.invoked_subcommand is not None:
        return
    with open_project(project_path) as project:
        if new_keys:
            added = project.add_attribute_keys(list(new_keys))
            echo(f"added: {', '.join(added)}" if added else "nothing new")
        for key in project.attribute_keys():
            echo(key)


@cli.command()
@click.argument("labels", nargs=-1)
@project_option
def interviewers(labels: tuple[str, ...], project_path: Path | None) -> None:
    """Show or set which speaker labels are interviewers (skipped in progress and suggestions)."""
    with open_project(project_path) as project:
        if labels:
            project.set_interviewers(list(labels))
        echo(", ".join(project.interviewers()))


@attributes.command("set")
@click.argument("transcript")
@click.argument("assignments", nargs=-1, metavar="KEY=VALUE...")
@click.option("--sheet", "sheet_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Or: a CSV sheet as for import (a 'file' column and one per attribute); TRANSCRIPT is then 'all'.")
@project_option
def attributes_set(transcript: str, assignments: tuple[str, ...], sheet_path: Path | None,
                   project_path: Path | None) -> None:
    """Set a transcript's attributes after import (KEY= with nothing removes one)."""
    from jhs_qual.ingest.attributes import parse_assignments, read_attribute_sheet

    with open_project(project_path) as project:
        known = project.attribute_keys()
        if sheet_path is not None:
            sheet = read_attribute_sheet(sheet_path, known)
            for warning in sheet.warnings:
                echo(f"warning: {sheet_path}: {warning}", err=True)
            names = project.transcript_names()
            by_source = project.source_names()
            done = 0
            for tid, name in names.items():
                row = sheet.get(by_source.get(tid, "")) or sheet.get(name)
                if row and transcript in ("all", name):
                    project.set_attributes(tid, row)
                    done += 1
            echo(f"attributes set on {plural(done, 'transcript')} from {sheet_path}")
            return
        if not assignments:
            raise BadInput("give KEY=VALUE (or --sheet FILE.csv)", field="KEY=VALUE")
        found = project.transcript(transcript)
        values = parse_assignments(assignments, known, field="KEY=VALUE")
        project.set_attributes(found["id"], values)
    echo(f"{found['name']}: " + ", ".join(f"{k}={v}" if v else f"{k} removed" for k, v in values.items()))


@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON array, for scripts.")
@project_option
@click.pass_context
def transcripts(ctx: click.Context, as_json: bool, project_path: Path | None) -> None:
    """List transcripts with attributes, turns, speakers and coding progress per coder."""
    if ctx.invoked_subcommand is not None:
        return
    with open_project(project_path) as project:
        rows = project.transcript_overview()
        keys = project.attribute_keys()
        kept = project.trashed()
    if as_json:
        echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        echo("no transcripts yet: add some with 'jhs-qual import FILES'" if not kept else
             f"no transcripts; kept aside after removal: {', '.join(r['name'] for r in kept)} "
             "('transcripts restore NAME' brings one back)")
        return
    used = [k for k in keys if any(k in r["attributes"] for r in rows)]
    table = []
    for r in rows:
        progress = ", ".join(f"{c} {r['coded_turns'].get(c, 0)}/{r['codable_turns']}"
                             + (" finished" if c in r["finished_by"] else "")
                             for c in sorted(set(r["coded_turns"]) | set(r["finished_by"])))
        table.append([
            r["id"], r["name"], r["format"], r["turn_count"], _shorten(", ".join(r["speakers"]), 36),
            *(r["attributes"].get(k, "") for k in used), progress or "-",
        ])
    echo(_table(table, ["id", "name", "format", "turns", "speakers", *used, "coded turns"]))
    echo("coded turns: turns with a coding by that coder / turns not spoken by an interviewer; "
         "finished: marked with 'transcripts done' (or f8 in the workbench)")
    if kept:
        echo(f"kept aside after removal: {', '.join(r['name'] for r in kept)} "
             "('transcripts restore NAME' brings one back, 'transcripts purge' forgets)")


@transcripts.command("done")
@click.argument("names", nargs=-1, required=True, metavar="TRANSCRIPT...")
@click.option("--coder", required=True, envvar="JHS_QUAL_CODER", help="Whose reading is finished.")
@click.option("--undo", is_flag=True, help="No longer finished.")
@project_option
def transcripts_done(names: tuple[str, ...], coder: str, undo: bool, project_path: Path | None) -> None:
    """Mark transcripts as read to the end by a coder: comparisons then count every unit of
    them for that coder, coded or not (until then, only what the coder reached)."""
    with open_project(project_path) as project:
        found = [project.transcript(name) for name in names]
        for t in found:
            project.set_finished(t["id"], coder, not undo)
    echo(f"{plural(len(found), 'transcript')} {'no longer ' if undo else ''}marked finished by {coder}: "
         + ", ".join(t["name"] for t in found))


@transcripts.command("remove")
@click.argument("names", nargs=-1, required=True, metavar="TRANSCRIPT...")
@click.option("--with-codings", is_flag=True, help="Also when it has codings (they go with it).")
@project_option
def transcripts_remove(names: tuple[str, ...], with_codings: bool, project_path: Path | None) -> None:
    """Remove transcripts (refused when they have codings, unless --with-codings). They are
    kept aside, whole, until `transcripts purge`: `transcripts restore` brings one back."""
    with open_project(project_path) as project:
        for name in names:
            found = project.transcript(name)
            gone = project.remove_transcript(found["id"], with_codings=with_codings)
            echo(f"removed {found['name']}" + (f" and its {plural(gone, 'coding')}" if gone else "")
                 + f": kept aside ('jhs-qual transcripts restore {found['name']}' brings it back)")


@transcripts.command("restore")
@click.argument("names", nargs=-1, required=True, metavar="TRANSCRIPT...")
@project_option
def transcripts_restore(names: tuple[str, ...], project_path: Path | None) -> None:
    """Bring removed transcripts back, with everything that was theirs (codings, memos, progress)."""
    with open_project(project_path) as project:
        for name in names:
            kept = project.trashed_by_name(name)
            project.restore_transcript(kept["id"])
            echo(f"restored {kept['name']}" + (f" with its {plural(kept['codings'], 'coding')}"
                                                 if kept["codings"] else ""))


@transcripts.command("purge")
@click.argument("names", nargs=-1, metavar="[TRANSCRIPT...]")
@click.option("--all", "everything", is_flag=True, help="Every transcript kept aside.")
@project_option
def transcripts_purge(names: tuple[str, ...], everything: bool, project_path: Path | None) -> None:
    """Forget removed transcripts for good (these, or --all); `transcripts` lists what is kept aside."""
    if bool(names) == everything:
        raise BadInput("name the removed transcripts to forget, or give --all", field="TRANSCRIPT")
    with open_project(project_path) as project:
        ids = None if everything else [project.trashed_by_name(name)["id"] for name in names]
        count = project.purge(ids)
    echo(f"forgot {plural(count, 'removed transcript')} for good")


@cli.group()
def speakers() -> None:
    """Rename speakers (SPEAKER_00 from automatic transcription, a pupil's name ...)."""


@speakers.command("rename")
@click.argument("transcript")
@click.argument("renames", nargs=-1, required=True, metavar="OLD=NEW...")
@project_option
def speakers_rename(transcript: str, renames: tuple[str, ...], project_path: Path | None) -> None:
    """Give a transcript's speakers other labels: `SPEAKER_00=Interviewer SPEAKER_01=Leraar`."""
    pairs = []
    for item in renames:
        old, sep, new = item.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise BadInput(f"'{item}' is not OLD=NEW", field="OLD=NEW", hint="e.g. SPEAKER_00=Interviewer")
        pairs.append((old.strip(), " ".join(new.split())))
    with open_project(project_path) as project:
        found = project.transcript(transcript)
        for old, new in pairs:
            echo(f"{found['name']}: {old} -> {new} on {plural(project.rename_speaker(found['id'], old, new), 'turn')}")


@cli.command()
@project_option
def check(project_path: Path | None) -> None:
    """Check the project file: SQLite's integrity check, foreign keys, settings, and turns
    and codings inside their transcripts' text, each text against its checksum. Exit code 1 when
    it finds something wrong; 2 when the file cannot be opened as a project at all (not SQLite,
    truncated, not ours). `merge` and `export-qdpx` run it first and refuse a damaged file."""
    path = find_project_path(project_path)
    try:
        project = open_project(project_path)
    except BadInput as error:  # the check cannot even begin: say so, without sending the user back here
        raise BadInput(error.message, file=error.file, hint="the file cannot be checked; restore it from a backup"
                       ) from None
    with project:
        problems = project.check()
        counts = project.counts() if not problems else {}
    for problem in problems:
        echo(f"{path}: {problem}")
    if problems:
        echo(f"{plural(len(problems), 'problem')}; restore the file from a backup, or ask for help with these lines", err=True)
        sys.exit(1)
    singular = {"transcripts": "transcript", "turns": "turn", "codings": "coding", "codes": "code", "coders": "coder"}
    echo(f"{path}: ok ({', '.join(plural(n, singular[t]) for t, n in counts.items())})")
