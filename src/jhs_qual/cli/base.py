"""The `jhs-qual` command group and what every command shares: errors to one line, the project
option, output rules, printing.

The commands live in the modules beside this one, a module per group of commands.

Each command opens the project, calls the library, and prints. Library errors
become one line on stderr with exit code 2 (bad input or usage) or 1
(failure). Heavy modules (python-docx, spaCy, Textual) are imported inside the
commands that need them, so `jhs-qual --help` stays fast.
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import click

from jhs_qual import __version__
from jhs_qual.errors import BadInput, Failure, JhsError
from jhs_qual.export.safe import csv_row
from jhs_qual.files import replacing

PROJECT_ENV = "JHS_QUAL_PROJECT"


class _Exit(click.ClickException):
    def __init__(self, error: JhsError):
        from jhs_qual.export.safe import printable

        super().__init__(printable(error.one_line()))
        self.exit_code = error.exit_code


class _Group(click.Group):
    """Turns library errors into click errors with our exit codes; a bare group (`jhs-qual
    codebook`) shows its help and exits 0, as asking for help does. Its subgroups are of this
    class too."""

    group_class = type

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args and self.no_args_is_help and not ctx.resilient_parsing:
            click.echo(ctx.get_help())
            ctx.exit(0)
        return super().parse_args(ctx, args)

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


# The module (beside this one) that registers each command. A command's module is imported when
# the command is asked for: `jhs-qual tui` loads workbench.py alone, which starts the workbench a
# twentieth of a second sooner. tests/test_cli.py checks this list against the modules.
COMMAND_MODULES = {
    "agreement-table": "analysis", "compare": "analysis", "consensus": "analysis", "disagreements": "analysis",
    "codebook": "codebooks", "code": "coding", "codings": "coding",
    "export-coder": "exchange", "export-qdpx": "exchange", "import-qdpx": "exchange", "merge": "exchange",
    "memos": "exports", "pseudonyms": "exports", "quotes": "exports", "summary": "exports",
    "import": "importing", "media": "media", "play": "media",
    "attributes": "project", "check": "project", "init": "project", "interviewers": "project",
    "speakers": "project", "transcripts": "project",
    "serve": "serving", "users": "serving",
    "autocode": "suggesting", "keywords": "suggesting", "suggest": "suggesting", "suggest-text": "suggesting",
    "joint": "survey", "survey": "survey", "tui": "workbench",
}


def load_commands() -> None:
    """Import every command's module (for what walks all commands: the tests, a forking runner)."""
    import importlib

    for module in sorted(set(COMMAND_MODULES.values())):
        importlib.import_module(f"jhs_qual.cli.{module}")


class _Commands(_Group):
    """The top group: its commands' modules are imported when asked for (COMMAND_MODULES)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMAND_MODULES))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in COMMAND_MODULES:
            import importlib

            importlib.import_module(f"jhs_qual.cli.{COMMAND_MODULES[name]}")
        return super().get_command(ctx, name)


@click.group(cls=_Commands, invoke_without_command=True)
@click.version_option(__version__, prog_name="jhs-qual")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Code interview transcripts with codebooks, keyboard first.

    A project is one SQLite file (default: project.jhsq in the current
    folder). Start with `jhs-qual init`, `jhs-qual codebook load` and
    `jhs-qual import`.
    """
    from jhs_qual.config import Config
    from jhs_qual.files import new_file_mode, release_held

    release_held()  # what an earlier command in this process read is no concern of this one
    mode = Config.load().file_mode
    if mode is not None:
        new_file_mode(mode)
    if ctx.invoked_subcommand is None:
        from jhs_qual.store import DEFAULT_NAME

        if sys.stdin.isatty() and sys.stdout.isatty() and (os.environ.get(PROJECT_ENV) or _any_project_here()):
            from jhs_qual.cli.workbench import tui

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
    except click.exceptions.Abort as error:
        if isinstance(error.__cause__, KeyboardInterrupt):  # click makes Ctrl-C an Abort
            _stderr("interrupted")
            sys.exit(130)
        _stderr("aborted")
        sys.exit(1)
    except click.UsageError as error:  # one line, as every error: what is wrong and where to look
        where = f" (see '{error.ctx.command_path} --help')" if error.ctx is not None else ""
        _stderr(f"Error: {' '.join(error.format_message().split())}{where}")
        sys.exit(error.exit_code)
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


MAX_COUNT = 10 ** 9  # a turn, an item, a length: more is a typing error, and SQLite's integers end at 2**63


class Finite(click.FloatRange):
    """A number in a range that is also a number: 'nan' and 'inf' are refused."""

    def convert(self, value, param, ctx):
        import math

        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


def count(low: int = 1, high: int = MAX_COUNT) -> click.IntRange:
    return click.IntRange(low, high)


# What a file name's ending says about its format; formats that are not text cannot go to a terminal.
FORMAT_OF_SUFFIX = {".md": "md", ".markdown": "md", ".csv": "csv", ".xlsx": "xlsx", ".html": "html", ".htm": "html",
                    ".docx": "docx", ".json": "json", ".yaml": "yaml", ".yml": "yaml", ".qdc": "qdc", ".qdpx": "qdpx",
                    ".jhsq": "jhsq"}
NOT_TEXT = {"xlsx", "docx", "qdpx", "jhsq"}
STDOUT = Path("-")


class Output:
    """Where a command's output goes and in which format, by one rule for every command:
    `--format` if given, else the extension of `-o FILE`; no `-o` (or `-o -`) is standard
    output in the first format; a `--format` the extension contradicts is an error."""

    def __init__(self, path: Path | None, fmt: str | None, formats: tuple[str, ...], file_option: bool):
        self.formats = formats
        to_stdout = path is None or str(path) == "-"
        if to_stdout:
            if path is None and file_option:
                raise BadInput("no output file given", field="-o", hint=f"name one: -o FILE.{formats[0]}")
            self.fmt = fmt or formats[0]
            if self.fmt in NOT_TEXT:
                raise BadInput(f"{self.fmt} is not text for a terminal", field="-o",
                               hint=f"write it to a file: -o FILE.{self.fmt}")
            self.path = STDOUT
            return
        by_name = FORMAT_OF_SUFFIX.get(path.suffix.lower())
        if fmt is not None and by_name is not None and by_name != fmt:
            raise BadInput(f"--format {fmt} does not match the file name '{path.name}'", field="--format",
                           hint=f"name the file .{fmt}, or leave --format out")
        if by_name is not None and by_name not in formats:
            raise BadInput(f"the extension of '{path.name}' says {by_name}; this command writes {self._kinds()}",
                           field="-o", hint=f"name the file .{self._files()[0]}")
        if path.suffix and by_name is None and fmt is None:  # x.pdf, x.txt: not a format of ours
            raise BadInput(f"'{path.name}' does not end in a format this command writes ({self._kinds()})",
                           field="-o", hint=f"name the file .{self._files()[0]}")
        # no extension: a pipe or a device (/dev/stdout) takes the first format; a file needs one
        device = not path.suffix and path.exists() and not path.is_file()
        if not path.suffix and not device and fmt is None:
            raise BadInput(f"'{path.name}' has no extension to tell the format", field="-o",
                           hint=f"name the file .{self._files()[0]}" + (", or give --format" if len(self._files()) > 1
                                                                          else ""))
        self.fmt = fmt or by_name or (self._files()[0] if device or len(formats) == 1 else None)
        if self.fmt is None or self.fmt not in self._files():
            raise BadInput(f"cannot tell the format from '{path.name}'", field="-o",
                           hint=f"end the name in {', '.join('.' + f for f in self._files())}, or give --format")
        self.path = path

    @property
    def to_stdout(self) -> bool:
        return self.path == STDOUT

    def _files(self) -> list[str]:
        return [f for f in self.formats if f != "table"]

    def _kinds(self) -> str:
        return ", ".join(self.formats)

    def check_names(self, pseudonymiser) -> None:
        """After writing: read the whole file back and refuse it (removed, exit 1) when a name on
        the pseudonym list stands in it: what leaves the project is checked as written."""
        if not pseudonymiser or self.to_stdout or not self.path.is_file():  # no names listed: none can stand
            return
        from jhs_qual.export.pseudonyms import texts_in_file

        leaked = pseudonymiser.leaks(texts_in_file(self.path, self.fmt))
        if leaked:
            self.path.unlink()
            raise Failure(f"names on the pseudonym list stand in the written file: {', '.join(leaked)}; it was removed",
                          file=self.path, hint="please report this as a bug")

    def report(self, message: str) -> None:
        """A line about the file written; nothing when the output went to standard output
        (where it would mix with the data in a shared terminal or log)."""
        if not self.to_stdout:
            echo(message)


def output_options(*formats: str, file_help: str = "The file to write", needs_file: bool = False):
    """-o/--output and --format (when there is a choice), resolved into `out: Output`.
    formats[0] is what standard output gets without --format. `needs_file`: no -o is an
    error (`-o -` still writes to standard output)."""
    import functools

    def wrap(func):
        @functools.wraps(func)
        def run(*args, output: Path | None = None, fmt: str | None = None, **kwargs):
            return func(*args, out=Output(output, fmt, formats, needs_file), **kwargs)

        stdout = "; '-' is standard output" if not set(formats) <= NOT_TEXT else ""
        default = "" if needs_file else f" (default: standard output, {formats[0]})"
        run = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                           help=f"{file_help}{default}; the format follows its extension{stdout}.")(run)
        if len(formats) > 1:
            run = click.option("--format", "fmt", type=click.Choice(formats),
                               help="The format, when the file name does not say it.")(run)
        return run

    return wrap


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
        import difflib

        from jhs_qual.data import SHIPPED_CODEBOOKS

        close = difflib.get_close_matches(path.name, SHIPPED_CODEBOOKS, n=1)
        raise BadInput("no such codebook file, and no codebook of that name ships with jhs-qual", file=path,
                       hint=f"did you mean '{close[0]}'?" if close else
                       f"give a YAML file, or one of: {', '.join(SHIPPED_CODEBOOKS)}")
    return path



def _write_bytes(path: Path, data: bytes) -> None:
    with replacing(path) as tmp:
        tmp.write_bytes(data)


def _write_atomically(path: Path, header: list[str], rows: list[list]) -> None:
    """A CSV with a BOM, so that Excel reads the Dutch characters right."""
    with replacing(path) as tmp, open(tmp, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(csv_row(header))
        writer.writerows(csv_row(row) for row in rows)


def plural(count: int, word: str, words: str | None = None) -> str:
    """'1 coding', '2 codings' ('1 analysis', '2 analyses' with `words`)."""
    return f"{count} {word if count == 1 else words or word + 's'}"


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _fmt(value: float, digits: int = 3) -> str:
    import math

    return "n/a" if value is None or math.isnan(value) else f"{round(value, digits) + 0.0:.{digits}f}"  # no -0.000


def _nan_to_none(value):
    """JSON has no NaN: an undefined coefficient is null."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nan_to_none(v) for v in value]
    return value


def _resolve_codes(project, refs: tuple[str, ...]) -> list[str] | None:
    if not refs:
        return None
    return [f"{row['codebook_id']}/{row['code_id']}" for row in (project.resolve_code(r) for r in refs)]


def _pseudonymiser(project, off: bool):
    """The project's pseudonymiser (None with --no-pseudonymise), knowing which words near a
    listed name are ordinary words of the project (they stand in lower case somewhere)."""
    from jhs_qual.export.pseudonyms import Pseudonymiser, fold, name_key

    if off:
        return None
    listed = project.pseudonyms()
    ordinary = project.ordinary_words([name_key(f) for p in listed for f in (p.name, *p.variants)])
    return Pseudonymiser(listed, ordinary=lambda word: fold(word) in ordinary)


def progress(items, length: int, label: str):
    """The items, with a progress bar on standard error when it is a terminal and the work is long."""
    if length < 2_000 or not sys.stderr.isatty():
        yield from items
        return
    with click.progressbar(items, length=length, label=label, file=sys.stderr) as bar:
        yield from bar
