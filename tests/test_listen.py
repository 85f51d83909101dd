"""Listening while coding: recordings linked to transcripts, a turn's clip from the
timestamps, and a real player (mpv on a null audio output) started and stopped from
`play --turn N` and from the workbench's keys. The recording is synthesised here
(a tone a second, made with the standard library's `wave`)."""

from __future__ import annotations

import math
import os
import re
import shutil
import struct
import sys
import time
import wave
from pathlib import Path

import pytest

from jhs_qual.config import Config
from jhs_qual.errors import BadInput
from jhs_qual.listen import player as players
from jhs_qual.listen.clips import Clip, clock, start_times, turn_clip
from jhs_qual.store import Project
from jhs_qual.tui.app import JhsApp
from jhs_qual.tui.screens.coding import CodingScreen
from jhs_qual.tui.widgets.transcript import TranscriptView
from tests.conftest import write

needs_mpv = pytest.mark.skipif(shutil.which("mpv") is None,
                               reason="mpv is not installed (apt install mpv; .ci/run installs it)")

VTT = """WEBVTT

00:00:01.000 --> 00:00:02.500
<v Interviewer>Hoe gaat het met de samenwerking met de jeugdhulp?

00:00:03.000 --> 00:00:05.000
<v Leraar>Goed, we overleggen elke week met de jeugdhulpverlener.

00:00:05.500 --> 00:00:08.000
<v Interviewer>En wat levert dat op voor de leerlingen?
"""


def recording(path: Path, seconds: int = 9, rate: int = 8000) -> Path:
    """A mono WAV: a different tone each second (so that each second sounds apart)."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * (300 + 50 * (i // rate))
                                                                          * i / rate)))
                                 for i in range(rate * seconds)))
    return path


@pytest.fixture
def null_output(monkeypatch):
    monkeypatch.setenv("JHS_QUAL_AUDIO_OUTPUT", "null")


@pytest.fixture
def interview(run, tmp_path):
    """A timestamped interview imported with its recording beside it (linked at import)."""
    folder = tmp_path / "interviews"
    write(folder / "samenwerking.vtt", VTT)
    recording(folder / "samenwerking.wav")
    result = run("import", str(folder / "samenwerking.vtt"))
    assert result.exit_code == 0, result.output
    assert "recording samenwerking.wav linked" in result.output
    return run


# --- clips: which part of the recording a turn is ----------------------------------------------

def turns(*pairs):
    """(character offset, ts_start or None) per turn; each turn 100 characters long."""
    return [{"start": offset, "end": offset + 100, "ts_start": ts, "ts_end": None} for offset, ts in pairs]


def test_a_turn_plays_from_its_timestamp_to_the_next_turns():
    found = turns((0, 1.0), (100, 3.0), (200, 5.5))
    assert turn_clip(found, 1) == Clip(1, 3.0, 5.5, False)
    assert turn_clip(found, 2) == Clip(2, 5.5, None, False)  # the last: to the end of the recording
    with_end = [dict(found[0], ts_end=2.5), *found[1:]]
    assert turn_clip(with_end, 0).end == 2.5  # a subtitle cue's own end wins


def test_turns_without_a_timestamp_are_placed_between_their_neighbours():
    found = turns((0, 10.0), (100, None), (300, None), (400, 50.0), (500, None))
    times = start_times(found)
    assert times[1] == pytest.approx((20.0, True))  # a quarter of the way from 10 s to 50 s
    assert times[2] == pytest.approx((40.0, True))
    assert times[4] == pytest.approx((60.0, True))  # after the last: at the average rate, 0.1 s a character
    assert turn_clip(found, 1) == Clip(1, pytest.approx(20.0), pytest.approx(40.0), True)
    before = turns((0, None), (100, 12.0), (300, 20.0))
    assert start_times(before)[0] == pytest.approx((8.0, True))  # back from the first at the same rate


def test_a_transcript_without_timestamps_is_said_not_guessed():
    with pytest.raises(BadInput, match="has no timestamps.*import --replace"):
        turn_clip(turns((0, None), (100, None)), 0, name="'notities'")


def test_clock_shows_tenths():
    assert (clock(12.25), clock(3725.0), clock(0.04)) == ("0:12.2", "1:02:05.0", "0:00.0")


# --- linking ----------------------------------------------------------------------------------

def test_link_list_and_unlink(interview, tmp_path):
    listed = interview("media", "list")
    assert "samenwerking  ok" in listed.output
    moved = tmp_path / "elsewhere" / "opname.mp3"
    moved.parent.mkdir()
    shutil.move(tmp_path / "interviews" / "samenwerking.wav", moved)
    assert "samenwerking  missing" in interview("media", "list").output
    played = interview("play", "samenwerking", "--turn", "2")
    assert played.exit_code == 2 and "not there any more" in played.output and "media link samenwerking" in played.output
    assert interview("media", "link", "samenwerking", str(moved)).exit_code == 0
    assert "samenwerking  ok" in interview("media", "list").output
    assert interview("media", "unlink", "samenwerking").output.strip() == "unlinked samenwerking"
    assert "no recordings linked" in interview("media", "list").output
    assert moved.exists()  # the recording itself is never touched


def test_another_file_at_the_linked_path_is_noticed(interview, tmp_path):
    path = tmp_path / "interviews" / "samenwerking.wav"
    data = bytearray(path.read_bytes())
    os.utime(path, ns=(0, 10**9))  # the same file touched: hashed again, still the same
    assert "samenwerking  ok" in interview("media", "list").output
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))  # same size, other contents
    assert "samenwerking  changed" in interview("media", "list").output
    played = interview("play", "samenwerking", "--turn", "1")
    assert played.exit_code == 2 and "another file" in played.output


def test_link_refuses_what_is_not_a_recording(interview, tmp_path):
    notes = write(tmp_path / "notes.txt", "geen opname")
    result = interview("media", "link", "samenwerking", str(notes))
    assert result.exit_code == 2 and "notes.txt" in result.output and "wav" in result.output
    result = interview("media", "link", "samenwerking", str(tmp_path / "gone.wav"))
    assert result.exit_code == 2 and "no such file" in result.output


def test_the_link_goes_with_its_transcript(interview):
    with Project.open(interview.project_path) as project:
        tid = project.transcript("samenwerking")["id"]
        project.remove_transcript(tid)
        assert project.media_links() == []


def test_no_player_found_names_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BadInput, match="no audio player found.*apt install mpv"):
        players.find_player()
    with pytest.raises(BadInput, match="ffplay is not installed"):
        players.find_player("ffplay")


def test_the_config_chooses_player_and_output(tmp_path, monkeypatch):
    path = write(tmp_path / "config.toml", '[media]\nplayer = "ffplay"\naudio_output = "null"\n')
    config = Config.load(path)
    assert (config.player, config.audio_output) == ("ffplay", "null")
    config.save()
    assert Config.load(path).player == "ffplay"
    write(path, '[media]\nplayer = "vlc"\n')
    with pytest.raises(BadInput, match="media.player.*auto, mpv, ffplay"):
        Config.load(path)
    monkeypatch.setenv("JHS_QUAL_AUDIO_OUTPUT", "speakers")
    with pytest.raises(BadInput, match="JHS_QUAL_AUDIO_OUTPUT"):
        players.audio_output("auto")


# --- playing with a real player ------------------------------------------------------------------

@needs_mpv
def test_play_a_turn_from_its_start_to_the_next_turns(interview, null_output):
    began = time.monotonic()
    result = interview("play", "samenwerking", "--turn", "2")
    took = time.monotonic() - began
    assert result.exit_code == 0, result.output
    assert "turn 2 (Leraar): 0:03.0–0:05.0 of samenwerking.wav" in result.output
    heard = re.search(r"played 0:(\d+\.\d)–0:(\d+\.\d) \(mpv\)", result.output)  # mpv's position over IPC
    assert heard and abs(float(heard[1]) - 3.0) <= 0.3 and abs(float(heard[2]) - 5.0) <= 0.3, result.output
    assert 1.9 <= took < 6  # a null output still plays in real time


@needs_mpv
def test_the_players_position_runs_from_the_clip_start_to_its_end(tmp_path, null_output):
    media = recording(tmp_path / "r.wav", seconds=5)
    for speed, duration in ((1.0, 1.5), (2.0, 0.75)):
        playback = players.start(media, Clip(0, 2.0, 3.5, False), player="mpv", speed=speed)
        heard, began = [], time.monotonic()
        while playback.running:
            at = playback.position()
            if at is not None:
                heard.append(at)
            time.sleep(0.02)
        took = time.monotonic() - began
        playback.wait()
        playback.stop()
        assert heard[0] == pytest.approx(2.0, abs=0.3) and heard[-1] == pytest.approx(3.5, abs=0.2)
        assert heard == sorted(heard)
        assert duration - 0.05 <= took < duration + 1.5


@needs_mpv
def test_skip_back_speed_and_stop_while_playing(tmp_path, null_output):
    playback = players.start(recording(tmp_path / "r.wav"), Clip(0, 6.0, None, False), player="mpv")
    try:
        deadline = time.monotonic() + 30
        while (playback.position() or 0) < 6.5:
            assert time.monotonic() < deadline, "mpv did not play"
            time.sleep(0.05)
        asked = time.monotonic()
        before = playback.position()
        playback.skip(-5)
        at = playback.position()
        # 5 s back from where it was, plus at most what it played since (mpv's own clock)
        assert before - 5 - 0.1 <= at <= before - 5 + (time.monotonic() - asked) + 0.1
        playback.set_speed(0.5)
        assert playback._command("get_property", "speed") == 0.5
    finally:
        playback.stop()
    assert not playback.running and not Path(playback._folder).exists()


@needs_mpv
def test_a_file_the_player_cannot_play_is_one_line(interview, tmp_path, null_output):
    write(tmp_path / "interviews" / "samenwerking.wav", b"RIFF not really a recording")
    assert interview("media", "link", "samenwerking", str(tmp_path / "interviews" / "samenwerking.wav")).exit_code == 0
    result = interview("play", "samenwerking", "--turn", "1")
    assert result.exit_code == 1 and result.output.count("\n") <= 3
    assert "mpv could not play the recording" in result.output


def test_ffplay_is_started_again_to_skip_and_slow_down(tmp_path, monkeypatch):
    """ffplay has no control channel: a stand-in program records how it was started."""
    log = tmp_path / "argv.log"
    fake = write(tmp_path / "bin" / "ffplay", f"#!{sys.executable}\nimport sys, time\n"
                 f"open({str(log)!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\ntime.sleep(30)\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    monkeypatch.setenv("JHS_QUAL_AUDIO_OUTPUT", "null")

    def started(count: int) -> list[str]:
        """The stand-in's first `count` command lines, once it has written them."""
        deadline = time.monotonic() + 30
        while len(lines := log.read_text().splitlines() if log.exists() else []) < count:
            assert time.monotonic() < deadline, f"ffplay started {len(lines)} times, not {count}"
            time.sleep(0.02)
        return lines

    before = time.monotonic()
    playback = players.start(tmp_path / "r.wav", Clip(0, 12.0, 17.5, False))
    after = time.monotonic()
    try:
        assert playback.name == "ffplay"
        started(1)
        time.sleep(0.3)  # it plays on: a skip back starts it again 5 s before where it had got to
        skip_begins = time.monotonic()
        playback.skip(-5)
        skip_ends = time.monotonic()
        started(2)
        playback.set_speed(0.75)
        lines = started(3)
    finally:
        playback.stop()
    assert lines[0] == f"-nodisp -autoexit -loglevel error -ss 12.000 -t 5.500 -i {tmp_path / 'r.wav'}"
    played = float(lines[1].split("-ss ")[1].split()[0]) - 7.0  # 12 s, less 5, plus what it played
    assert skip_begins - after - 0.001 <= played <= skip_ends - before + 0.001
    assert "-af atempo=0.75" in lines[2]
    assert not playback.running


# --- the workbench's keys ---------------------------------------------------------------------------

def workbench(interview) -> tuple[Project, JhsApp]:
    """The workbench open on the interview's second turn (no suggestions)."""
    project = Project.open(interview.project_path)
    tid = project.transcript("samenwerking")["id"]
    return project, JhsApp(project, coder="anna", config=Config(path=interview.project_path.parent / "config.toml"),
                           suggester=lambda *args, **kwargs: [], open_transcript=(tid, 1))


@needs_mpv
async def test_workbench_p_plays_the_turn_and_p_again_stops(interview, null_output):
    project, app = workbench(interview)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        assert app.screen.query_one(TranscriptView).cursor == 1
        await pilot.press("p")
        playback = app.playback
        assert playback is not None and playback.running and playback.clip == Clip(1, 3.0, 5.0, False)
        for _ in range(40):  # the workbench goes on while it plays: the status line follows mpv
            await pilot.pause(0.1)
            if "▶ turn 2: 0:03" in str(app.screen.query_one("#status").render()):
                break
        assert "▶ turn 2: 0:03" in str(app.screen.query_one("#status").render())
        await pilot.press("minus")
        assert app.listen_speed == 0.75 and playback._command("get_property", "speed") == 0.75
        await pilot.press("p")
        await pilot.pause()
        assert app.playback is None and not playback.running
        assert "stopped turn 2" in str(app.screen.query_one("#status").render())
        await pilot.press("t", "j", "P")  # another turn, from its start; quitting stops it
        assert app.playback.clip.turn == 2
        last = app.playback
        await pilot.press("ctrl+q")
    assert not last.running
    project.close()


async def test_p_without_a_recording_says_so_once_on_the_status_line(interview):
    """`p` on a transcript with no recording showed two stacked messages; it is one line, where
    playing is shown, and no note over the transcript."""
    assert interview("media", "unlink", "samenwerking").exit_code == 0
    project, app = workbench(interview)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        await pilot.press("p", "p")
        await pilot.pause()
        assert "no recording linked to 'samenwerking'" in str(app.screen.query_one("#status").render())
        assert app.playback is None and not list(app._notifications)
    project.close()
