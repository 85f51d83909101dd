"""Which part of the recording a turn is: from its start timestamp to the next turn's.

Turns carry `ts_start`/`ts_end` (seconds) where the transcript had timestamps:
every cue of a subtitle file, every turn of a Whisper export, and only some
turns of a typed transcript with a `(00:05)` now and then. A turn without one
gets it from its neighbours, by where its words sit in the text between the
nearest turns that have one (speech runs at a fairly even rate); after the
last timestamp, at the transcript's average rate. A transcript without any
timestamp cannot be placed in its recording: that is said, not guessed.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from jhs_qual.errors import BadInput


@dataclass(frozen=True)
class Clip:
    turn: int  # index into the transcript's turns
    start: float  # seconds into the recording
    end: float | None  # None: to the end of the recording
    estimated: bool  # the start was worked out from the neighbours' timestamps

    def describe(self) -> str:
        until = f"{clock(self.end)}" if self.end is not None else "the end"
        return f"{clock(self.start)}–{until}" + (" (estimated from the turns around it)" if self.estimated else "")


def clock(seconds: float) -> str:
    """12.25 -> '0:12.2', 3725 -> '1:02:05.0' (tenths: what a listener can tell apart)."""
    tenths = round(seconds * 10)
    minutes, rest = divmod(tenths, 600)
    hours, minutes = divmod(minutes, 60)
    text = f"{minutes}:{rest // 10:02d}.{rest % 10}"
    return f"{hours}:{minutes:02d}:{rest // 10:02d}.{rest % 10}" if hours else text


def turn_clip(turns: Sequence[Mapping], index: int, *, name: str = "the transcript") -> Clip:
    """The clip of turns[index]; each turn a mapping with start, end (character offsets) and
    ts_start, ts_end (seconds or None), in reading order."""
    starts = start_times(turns, name=name)
    start, estimated = starts[index]
    turn = turns[index]
    end = turn.get("ts_end")
    if end is None or end <= start:
        end = next((s for s, _ in starts[index + 1:] if s > start), None)
    return Clip(index, start, end, estimated)


def start_times(turns: Sequence[Mapping], *, name: str = "the transcript") -> list[tuple[float, bool]]:
    """(seconds, estimated) for every turn."""
    anchors = [(t["start"], float(t["ts_start"])) for t in turns if t.get("ts_start") is not None]
    if not anchors:
        raise BadInput(f"{name} has no timestamps, so its turns cannot be found in the recording",
                       field="TRANSCRIPT", hint="import a version with timestamps (vtt, srt, a Whisper or "
                       "Amberscript export, or [00:01:02] before the turns) with 'jhs-qual import --replace'")
    offsets = [offset for offset, _ in anchors]
    rate = _seconds_per_character(anchors)
    times = []
    for turn in turns:
        if turn.get("ts_start") is not None:
            times.append((float(turn["ts_start"]), False))
            continue
        at = bisect.bisect_right(offsets, turn["start"])
        if at == 0:  # before the first timestamp: back from it at the average rate
            seconds = anchors[0][1] - rate * (anchors[0][0] - turn["start"])
        elif at == len(anchors):  # after the last: on from it
            seconds = anchors[-1][1] + rate * (turn["start"] - anchors[-1][0])
        else:
            (before, was), (after, will) = anchors[at - 1], anchors[at]
            seconds = was + (turn["start"] - before) / (after - before) * (will - was)
        times.append((max(seconds, 0.0), True))
    return times


def _seconds_per_character(anchors: list[tuple[int, float]]) -> float:
    """The transcript's average speaking rate, from its first and last timestamp; Dutch
    speech's ~14 characters a second where the timestamps do not tell."""
    (first_offset, first_time), (last_offset, last_time) = anchors[0], anchors[-1]
    if last_offset > first_offset and last_time > first_time:
        return (last_time - first_time) / (last_offset - first_offset)
    return 1 / 14
