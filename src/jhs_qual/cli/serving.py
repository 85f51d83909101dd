"""The browser workbench: `jhs-qual serve`, and `jhs-qual users add|list|remove` (who may sign in)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from jhs_qual.cli.base import Finite, cli, count, echo, find_project_path, open_project, project_option
from jhs_qual.errors import BadInput


def _users(project_path: Path | None):
    from jhs_qual.serve import need_extra

    need_extra()
    from jhs_qual.serve.users import Users

    path = find_project_path(project_path)
    open_project(path).close()  # a project file it is, and it opens
    return path, Users.load(path)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on; another than loopback needs --public-url.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="0: any free port.")
@click.option("--public-url", metavar="URL",
              help="The address coders open, e.g. https://qual.example.org behind a TLS proxy.")
@click.option("--max-sessions", type=count(), default=8, show_default=True,
              help="Workbenches open at once, all coders together (each 61 MiB, 302 MiB once it suggests).")
@click.option("--max-per-coder", type=count(), default=2, show_default=True,
              help="Workbenches (browser tabs) open at once per coder.")
@click.option("--idle-minutes", type=Finite(0.1), default=30, show_default=True,
              help="A workbench without a key pressed for this long is closed (nothing is lost).")
@click.option("--theme", type=click.Choice(["light", "dark"]), default="light", show_default=True)
@click.option("--trusted-proxy", "trusted_proxies", multiple=True, metavar="ADDR",
              help="A proxy in front (e.g. 127.0.0.1 for nginx on this machine) whose X-Forwarded-For is "
                   "believed for counting failed sign-ins per browser (repeatable; default: none).")
@project_option
def serve(host: str, port: int, public_url: str | None, max_sessions: int, max_per_coder: int,
          idle_minutes: float, theme: str, trusted_proxies: tuple[str, ...], project_path: Path | None) -> None:
    """Open the workbench to coders in their browsers, each signed in as themselves.

    \b
    Add who may sign in first:  jhs-qual users add NAME
    Every browser tab runs its own workbench as the signed-in coder; codings are
    stored as they are made, so a closed tab or a dropped connection loses nothing.
    Keys the browser keeps for itself have other defaults here: f9 light/dark.
    Recordings do not play in the browser.
    """
    import asyncio

    path, users = _users(project_path)
    from jhs_qual.serve.server import Limits, WorkbenchServer

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S",
                        stream=sys.stderr)
    server = WorkbenchServer(path, users, host=host, port=port, public_url=public_url, theme=theme,
                             limits=Limits(total=max_sessions, per_coder=max_per_coder, idle_minutes=idle_minutes),
                             trusted_proxies=trusted_proxies)
    asyncio.run(server.run(ready=lambda line: echo(line) or sys.stdout.flush()))


@cli.group()
def users() -> None:
    """Who may sign in to `jhs-qual serve` (kept in PROJECT.users, beside the project file)."""


@users.command("add")
@click.argument("name")
@click.option("--replace", is_flag=True, help="Give an existing coder a new password.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (one line).")
@click.option("--role", type=click.Choice(["lead", "coder"]), default="coder", show_default=True,
              help="A lead also removes transcripts, edits, merges or deletes shared codes and builds consensus.")
@project_option
def users_add(name: str, replace: bool, password_stdin: bool, role: str, project_path: Path | None) -> None:
    """Let coder NAME sign in; asks for the password twice (at least 10 characters)."""
    path, found = _users(project_path)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = click.prompt(f"Password for {name}", hide_input=True, confirmation_prompt=True)
    else:
        raise BadInput("no terminal to ask for the password on", field="password",
                       hint="pass it on standard input with --password-stdin")
    found.add(name, password, replace=replace, role=role)
    echo(f"{name.strip()} ({role}) can sign in to `jhs-qual serve --project {path}` ({found.path.name})")


@users.command("list")
@project_option
def users_list(project_path: Path | None) -> None:
    """The coders who may sign in."""
    _, found = _users(project_path)
    names = found.names()
    echo("\n".join(f"{name}  {found.role(name)}" for name in names) if names
         else "nobody can sign in yet; add a coder with `jhs-qual users add NAME`")


@users.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(["lead", "coder"]))
@project_option
def users_role(name: str, role: str, project_path: Path | None) -> None:
    """Make NAME a lead or a coder (from their next workbench on)."""
    _, found = _users(project_path)
    found.set_role(name, role)
    echo(f"{name} is a {role}")


@users.command("remove")
@click.argument("name")
@project_option
def users_remove(name: str, project_path: Path | None) -> None:
    """Stop NAME from signing in (their codings stay); a running server signs them out at once
    and closes their workbenches."""
    _, found = _users(project_path)
    found.remove(name)
    echo(f"{name} can no longer sign in")
