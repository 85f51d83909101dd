"""Workbench speed with App.run_test, each figure beside a baseline from the same run.

- startup to the first screen on a 1,000-transcript project (target < 1 s),
  against a bare Textual app with one label; spaCy must not be imported;
- opening a 5,000-turn transcript of ~300,000 characters (target < 0.5 s),
  against opening a 74-turn one;
- keypress to stored coding, median of 50 (target < 50 ms), against a key
  that only moves the cursor: timed in the app from the key's handler, to
  the committed row (the handler's return) and on to the redrawn view (the
  app idle again after the refresh it asked for; median and 90th percentile,
  target under 100 ms); the pilot's end-to-end
  figure, which adds run_test's own wait after each press, is printed too.

    .venv/bin/python benchmarks/bench_tui.py [--transcripts 1000] [--turns 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = ("we hebben elkaar echt nodig in de klas en ik leer veel van haar over boosheid pesten respect "
         "samen de lessen voorbereiden ouders groep sfeer kinderen durven meer te zeggen juf meester").split()


def build(path: Path, transcripts: int, long_turns: int) -> None:
    from jhs_qual.codebook import load_codebook
    from jhs_qual.domain import ParsedTranscript
    from jhs_qual.ingest.turns import RawLine, lines_to_segments, render
    from jhs_qual.store import Project

    rng = random.Random(1)

    def transcript(turns: int, words: int) -> ParsedTranscript:
        lines = [f"{'Interviewer' if i % 2 == 0 else 'Leraar'}: " + " ".join(rng.choices(WORDS, k=words))
                 for i in range(turns)]
        text, parsed_turns = render(lines_to_segments([RawLine(line) for line in lines]))
        return ParsedTranscript(text, parsed_turns, format="txt")

    project = Project.create(path)
    for name in ("bronstein", "professional_topics", "pupil_topics"):
        project.load_codebook(load_codebook(ROOT / "codebooks" / f"{name}.yaml"))
    samples = [transcript(60, 25) for _ in range(20)]
    for i in range(transcripts):
        parsed = samples[i % len(samples)]
        parsed = ParsedTranscript(parsed.text + f"\n\nInterviewer: einde {i}.", parsed.turns, "txt")
        project.add_transcript(f"t{i:04d}", parsed, source_name=f"t{i:04d}.txt",
                               source_sha256=hashlib.sha256(str(i).encode()).hexdigest(),
                               attributes={"school_type": "PO VO SO".split()[i % 3], "wave": "2019"})
    long = transcript(long_turns, 9)
    project.add_transcript("aaa_long", long, source_name="long.txt", source_sha256="long", attributes={})
    short = transcript(74, 20)
    project.add_transcript("aab_short", short, source_name="short.txt", source_sha256="short", attributes={})
    project.close()


async def bare_startup() -> float:
    from textual.app import App
    from textual.widgets import Label

    class Bare(App):
        def compose(self):
            yield Label("hello")

    start = time.perf_counter()
    async with Bare().run_test(size=(140, 45)) as pilot:
        await pilot.pause()
    return time.perf_counter() - start


async def measure(path: Path) -> dict[str, float]:
    from jhs_qual.config import Config
    from jhs_qual.store import Project
    from jhs_qual.tui.app import JhsApp
    from jhs_qual.tui.screens.coding import CodingScreen
    from jhs_qual.tui.screens.project import ProjectScreen

    figures: dict[str, float] = {}
    start = time.perf_counter()
    app = JhsApp(Project.open(path), coder="bench", config=Config(path=path.parent / "config.toml"))
    async with app.run_test(size=(140, 45)) as pilot:
        # A screen is drawn when Textual writes a frame of it (App._display, private, watched here only:
        # the time a coder sees a change; learning from a coding comes after that frame).
        frames: list[tuple[float, str]] = []  # (when, the screen's class)
        display = app._display

        def record(screen, renderable):
            if renderable is not None:
                frames.append((time.perf_counter(), type(screen).__name__))
            return display(screen, renderable)

        app._display = record

        async def drawn_after(began: float, screen: str = "CodingScreen") -> float:
            while not any(t > began and name == screen for t, name in frames):
                await pilot.pause(0.001)
            return next(t for t, name in frames if t > began and name == screen) - began

        while not isinstance(app.screen, ProjectScreen) or app.screen.query_one("#transcripts").row_count == 0:
            await pilot.pause(0.01)
        figures["startup"] = time.perf_counter() - start
        figures["spacy_imported"] = float("spacy" in sys.modules)

        async def open_row(row: int) -> float:
            table = app.screen.query_one("#transcripts")
            table.move_cursor(row=row)
            began = time.perf_counter()
            await pilot.press("enter")
            while not isinstance(app.screen, CodingScreen):
                await pilot.pause(0.005)
            return await drawn_after(began)  # its first frame

        figures["open_short"] = await open_row(1)
        await pilot.press("escape")
        await pilot.pause()
        figures["open_long"] = await open_row(0)
        screen = app.screen
        project = app.project
        tid = screen.transcript_id
        code = screen.by_key["a"]
        view = screen.query_one("TranscriptView")
        # Timed in the steady state a coder works in: the engine built and its semantic layer loaded
        # (while they load, their threads take turns with the screen's).
        waited = time.perf_counter()
        while app.engine_layer() != "meaning" and time.perf_counter() - waited < 120:
            await pilot.pause(0.1)
        await app.workers.wait_for_complete()
        figures["engine_wait"] = time.perf_counter() - waited
        handler_code, handler_move, drawn_code, drawn_move = [], [], [], []
        for _ in range(50):
            began = time.perf_counter()
            view.action_move(1)
            handler_move.append(time.perf_counter() - began)
            drawn_move.append(await drawn_after(began))
            while screen._shown_for != view.cursor:  # the turn settled: its suggestions on screen
                await pilot.pause(0.005)
            await app.workers.wait_for_complete()
            await pilot.pause()
            began = time.perf_counter()
            screen.apply_code(code)
            handler_code.append(time.perf_counter() - began)
            drawn_code.append(await drawn_after(began))
            await pilot.pause()
        # End to end through run_test: includes the pilot's own wait after every press.
        pilot_code, pilot_move = [], []
        for _ in range(20):
            began = time.perf_counter()
            await pilot.press("j")
            await pilot.pause()
            pilot_move.append(time.perf_counter() - began)
            before = project.db.execute("SELECT count(*) FROM codings WHERE transcript_id = ?", [tid]).fetchone()[0]
            began = time.perf_counter()
            await pilot.press("a")
            while project.db.execute("SELECT count(*) FROM codings WHERE transcript_id = ?",
                                     [tid]).fetchone()[0] == before:
                await pilot.pause(0.001)
            pilot_code.append(time.perf_counter() - began)
        figures["key_code"] = statistics.median(handler_code)
        figures["key_move"] = statistics.median(handler_move)
        figures["drawn_code"] = statistics.median(drawn_code)
        figures["drawn_move"] = statistics.median(drawn_move)
        figures["drawn_code_p90"] = statistics.quantiles(drawn_code, n=10)[-1]
        figures["drawn_move_p90"] = statistics.quantiles(drawn_move, n=10)[-1]
        figures["pilot_code"] = statistics.median(pilot_code)
        figures["pilot_move"] = statistics.median(pilot_move)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcripts", type=int, default=1000)
    parser.add_argument("--turns", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.jhsq"
        began = time.perf_counter()
        build(path, args.transcripts, args.turns)
        print(f"built {args.transcripts} transcripts + one of {args.turns} turns in {time.perf_counter() - began:.1f} s")
        from jhs_qual.store import Project

        with Project.open(path) as project:
            length = project.db.execute("SELECT length(text) FROM transcripts WHERE name = 'aaa_long'").fetchone()[0]
        baseline = asyncio.run(bare_startup())
        f = asyncio.run(measure(path))
    print(f"startup to the transcript list ({args.transcripts + 2} transcripts): {f['startup'] * 1000:6.0f} ms"
          f"   bare Textual app {baseline * 1000:5.0f} ms   ratio {f['startup'] / baseline:4.1f}x   (target < 1000 ms)")
    print(f"spaCy imported at startup: {'YES' if f['spacy_imported'] else 'no'}")
    print(f"open {args.turns}-turn transcript ({length:,} chars): {f['open_long'] * 1000:6.0f} ms"
          f"   74-turn transcript {f['open_short'] * 1000:5.0f} ms   ratio {f['open_long'] / f['open_short']:4.1f}x"
          "   (target < 500 ms)")
    print(f"keypress to stored coding (handler, 5000-turn transcript), median of 50: {f['key_code'] * 1000:5.1f} ms"
          f"   cursor move {f['key_move'] * 1000:5.1f} ms   ratio {f['key_code'] / f['key_move']:4.1f}x"
          "   (target < 50 ms)")
    print(f"keypress to the redrawn view, median of 50: coding {f['drawn_code'] * 1000:5.1f} ms"
          f"   cursor move {f['drawn_move'] * 1000:5.1f} ms   ratio {f['drawn_code'] / f['drawn_move']:4.1f}x"
          "   (target < 50 ms)")
    print(f"keypress to the redrawn view, 90th percentile of 50: coding {f['drawn_code_p90'] * 1000:5.1f} ms"
          f"   cursor move {f['drawn_move_p90'] * 1000:5.1f} ms   (target < 100 ms)")
    print(f"  the same through run_test's pilot (adds the pilot's wait per press): coding "
          f"{f['pilot_code'] * 1000:5.0f} ms, cursor move {f['pilot_move'] * 1000:5.0f} ms")

if __name__ == "__main__":
    main()
