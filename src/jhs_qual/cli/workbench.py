"""The workbench command: `jhs-qual tui` (a bare `jhs-qual` too)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from jhs_qual.errors import BadInput, Failure
from jhs_qual.cli.base import cli, count, open_project, project_option


# --- the workbench -----------------------------------------------------------------------

@cli.command()
@click.option("--coder", envvar="JHS_QUAL_CODER", help="Who codes (default: from your config, else asked once).")
@click.option("--open", "open_name", metavar="TRANSCRIPT", help="Open this transcript (name or id) straight away.")
@click.option("--turn", type=count(), help="With --open: on turn N (default: the first answer not coded yet).")
@click.option("--served", is_flag=True, hidden=True, help="Run by `jhs-qual serve`, in a browser tab.")
@click.option("--theme", "served_theme", hidden=True, help="With --served: the theme.")
@click.option("--role", type=click.Choice(["lead", "coder"]), default="lead", hidden=True,
              help="With --served: the signed-in coder's role (the local workbench acts as lead).")
@project_option
def tui(coder: str | None, open_name: str | None, turn: int | None, served: bool, served_theme: str | None,
        role: str, project_path: Path | None) -> None:
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
      p / P        play the turn's recording (again: stop) / from its start again
      < / -        recording: back 5 s / slower
      F2 transcripts  F3 quotes of a code  F4 summary  F5 compare and consensus
      ctrl+t light/dark (f9 in the browser)   ?  all keys   escape back   ctrl+q quit
    """
    from jhs_qual.config import Config

    if turn is not None and open_name is None:
        raise BadInput("--turn needs --open TRANSCRIPT", field="--turn")
    if served and not coder:
        raise BadInput("--served needs --coder", field="--coder")
    if not served and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise BadInput("the workbench needs a terminal (standard input and output are not one)",
                       hint="run it in a terminal; for scripts use the other commands")
    from jhs_qual.keys import reserved_keys

    config = Config.load()
    project = open_project(project_path)
    try:
        opening = None
        if open_name is not None:
            found = project.transcript(open_name)
            if turn is not None:
                project.turn(found["id"], turn)  # says which turns there are when N is not one
            opening = (found["id"], turn - 1 if turn else None)
        from jhs_qual.tui.app import JhsApp

        app = JhsApp(project, coder=coder or "", config=config, open_transcript=opening,
                     served_theme=(served_theme or "textual-light") if served else None,
                     role=role if served else "lead")
        project.check_keys(reserved_keys(app.remap()))  # a remapped workbench key may now take a code's
        if served:
            # Textual prints a crash's traceback with its local variables (transcript text among them)
            # on standard error, which the server logs: in a browser the server is told one line instead.
            import io

            from rich.console import Console

            app.error_console = Console(file=io.StringIO(), markup=False, highlight=False)
        try:
            app.run()
        finally:
            app.stop_playback()  # however the workbench ended, no recording plays on
        if not served and app.return_code:
            sys.exit(app.return_code)  # left without a coder name: the message is on the screen
        if served and app.return_code:
            raise Failure(f"the workbench of {coder} stopped on an internal error (nothing stored was lost); "
                          "run 'jhs-qual check' on the project, and report it")
    finally:
        project.close()
