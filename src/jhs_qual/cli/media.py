"""Recordings: `media link|list|unlink`, and `play TRANSCRIPT --turn N`."""

from __future__ import annotations

import time
from pathlib import Path

import click

from jhs_qual.cli.base import Finite, _table, cli, count, echo, open_project, plural, project_option


@cli.group()
def media() -> None:
    """Link transcripts to their recordings (the project stores the path, never the media)."""


@media.command("link")
@click.argument("transcript")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@project_option
def media_link(transcript: str, file: Path, project_path: Path | None) -> None:
    """Link TRANSCRIPT (name or id) to its recording FILE (audio or video); again after a move."""
    with open_project(project_path) as project:
        found = project.transcript(transcript)
        link = project.link_media(found["id"], file)
        echo(f"linked {found['name']} to {link['path']} ({_size(link['size'])})")


@media.command("list")
@project_option
def media_list(project_path: Path | None) -> None:
    """Each linked recording, and whether it is still there unchanged (ok, missing, changed)."""
    with open_project(project_path) as project:
        links = project.media_links()
        if not links:
            echo("no recordings linked; link one with 'jhs-qual media link TRANSCRIPT FILE'")
            return
        echo(_table([[r["name"], r["state"], _size(r["size"]), r["path"]] for r in links],
                    ["transcript", "state", "size", "recording"]))
        unlinked = project.unlinked_count()
        if unlinked:
            echo(f"{plural(unlinked, 'transcript')} without a recording")


@media.command("unlink")
@click.argument("transcript")
@project_option
def media_unlink(transcript: str, project_path: Path | None) -> None:
    """Forget TRANSCRIPT's recording (the file itself is not touched)."""
    with open_project(project_path) as project:
        found = project.transcript(transcript)
        echo(f"unlinked {found['name']}" if project.unlink_media(found["id"])
             else f"{found['name']} had no recording linked")


@cli.command()
@click.argument("transcript")
@click.option("--turn", type=count(), required=True, help="The turn to play, counted from 1.")
@click.option("--speed", type=Finite(0.25, 2.0), default=1.0, show_default=True,
              help="Playback speed (0.75: slower, pitch kept).")
@click.option("--player", type=click.Choice(["auto", "mpv", "ffplay"]),
              help="The player (default: the config's [media] player, else mpv, else ffplay).")
@project_option
def play(transcript: str, turn: int, speed: float, player: str | None, project_path: Path | None) -> None:
    """Play turn N of TRANSCRIPT from its recording, from its timestamp to the next turn's, and exit.

    Turns without a timestamp are placed between their neighbours'. ctrl+c stops.
    JHS_QUAL_AUDIO_OUTPUT=null plays to no sound device (still in real time).
    """
    from jhs_qual.config import Config
    from jhs_qual.listen import player as players
    from jhs_qual.listen.clips import clock, turn_clip

    config = Config.load()
    with open_project(project_path) as project:
        found = project.transcript(transcript)
        project.turn(found["id"], turn)  # says which turns there are when N is not one
        recording = project.playable_media(found["id"], found["name"])
        turns = project.transcript_turns(found["id"])
    clip = turn_clip(turns, turn - 1, name=f"'{found['name']}'")
    speaker = turns[turn - 1]["speaker"] or "no speaker"
    echo(f"turn {turn} ({speaker}): {clip.describe()} of {recording.name}"
         + (f" at {speed:g}x" if speed != 1.0 else ""))
    playback = players.start(recording, clip, player=player or config.player, output=config.audio_output,
                             speed=speed)
    heard: list[float] = []
    try:
        while playback.running:
            at = playback.position()
            if at is not None:
                heard.append(at)
            time.sleep(0.05)
        playback.wait()
    finally:
        playback.stop()
    if heard and playback.reports_position:
        echo(f"played {clock(heard[0])}–{clock(heard[-1])} ({playback.name})")
    else:
        echo(f"played ({playback.name})")


def _size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return ""
