"""Listening to the turn under the cursor while coding (a mixin of `CodingScreen`).

`p` plays the current turn's part of the linked recording, from its start
timestamp to the next turn's, and stops it when pressed again on the same
turn (on another turn it plays that one); `P` plays the turn again from its
start, `<` goes back 5 seconds, `-` slows down (0.75x, 0.5x, normal again).
The player (mpv, else ffplay: `jhs_qual.listen.player`) runs as its own
process, so coding goes on while it plays; the status line shows where it is.
One recording plays at a time, in the whole app; leaving the screen stops it.
"""

from __future__ import annotations

from jhs_qual.errors import BadInput, JhsError
from jhs_qual.listen import player as players
from jhs_qual.listen.clips import clock, turn_clip
from jhs_qual.tui.screens.base import guarded
from jhs_qual.tui.widgets.transcript import TranscriptView

POLL_SECONDS = 0.25


class Listening:
    _listen_timer = None

    @guarded
    def action_play_turn(self) -> None:
        view = self.query_one(TranscriptView)
        playing = self.app.playback
        if playing is not None and playing.running and playing.clip.turn == view.cursor:
            self.stop_playback()
            self._status(f"stopped turn {view.cursor + 1}")
            return
        self._play(view.cursor)

    @guarded
    def action_replay_turn(self) -> None:
        self._play(self.query_one(TranscriptView).cursor)

    @guarded
    def action_skip_back(self) -> None:
        if self._playing():
            self.app.playback.skip(-5)
            self._show_playback()

    @guarded
    def action_slower(self) -> None:
        speeds = players.SPEEDS
        self.app.listen_speed = speeds[(speeds.index(self.app.listen_speed) + 1) % len(speeds)]
        if self.app.playback is not None and self.app.playback.running:
            self.app.playback.set_speed(self.app.listen_speed)
            self._show_playback()
        else:
            self._status(f"recordings play at {self.app.listen_speed:g}x (- again: "
                         f"{'normal' if self.app.listen_speed == 0.5 else 'slower'})")

    def _play(self, turn_index: int) -> None:
        """Play a turn; why it cannot (no recording linked, none where it was, no times) is said
        once, on the status line, where the playing is shown (not as a note over it)."""
        try:
            recording, clip = self._clip(turn_index)
        except JhsError as error:
            self.app.bell()
            self._status(error.one_line())
            return
        config = self.app.config
        self.stop_playback()
        self.app.playback = players.start(recording, clip, player=config.player, output=config.audio_output,
                                          speed=self.app.listen_speed)
        self._listen_timer = self.set_interval(POLL_SECONDS, self._show_playback)
        self._show_playback()

    def _clip(self, turn_index: int):
        if self.app.served:
            raise BadInput("recordings do not play in the browser workbench (they would play on the server)",
                           hint="play them in the terminal workbench, or with `jhs-qual play`")
        view = self.query_one(TranscriptView)
        recording = self.app.project.playable_media(self.transcript_id, self.transcript_name)
        return recording, turn_clip(view.turns, turn_index, name=f"'{self.transcript_name}'")

    def _playing(self) -> bool:
        if self.app.playback is not None and self.app.playback.running:
            return True
        self._status("nothing is playing: p plays the turn's recording")
        return False

    def _show_playback(self) -> None:
        playback = self.app.playback
        if playback is None:
            return
        clip = playback.clip
        until = clock(clip.end) if clip.end is not None else "end"
        if not playback.running:
            failed = playback.failed()
            self.stop_playback()
            if failed:
                self.app.bell()
                self._status(f"{playback.name} could not play {playback.media.name}: {failed}")
                return
            self._status(f"played turn {clip.turn + 1} ({clock(clip.start)}–{until}); p plays it again")
            return
        at = playback.position(timeout=0.05)
        where = clock(at) if at is not None else "…"
        speed = f" at {playback.speed:g}x" if playback.speed != 1.0 else ""
        self._status(f"▶ turn {clip.turn + 1}: {where} of {clock(clip.start)}–{until}{speed}"
                     f"{' (estimated)' if clip.estimated else ''}   p stop · P again · < back 5 s · - slower")

    def stop_playback(self) -> None:
        if self._listen_timer is not None:
            self._listen_timer.stop()
            self._listen_timer = None
        self.app.stop_playback()

    def on_unmount(self) -> None:
        self.stop_playback()
