"""How soon suggestions are there, each figure beside a baseline from the same run.

- The workbench as a researcher opens it: the transcript list, a second's reading,
  Enter on a transcript; from Enter to the first answer's suggestions on screen
  (target: under 1 s; the engine warms up in the background once the list is
  drawn). Cold (`tui --open`, the engine starting with the transcript): the first
  suggestions (the keyword layer), against the time to the semantic layer's
  refinement (what the first suggestion waited for before the engine came in two
  layers). Codes changed: the engine updated in place, against building it again.
- `jhs-qual suggest` on a sample interview, a second run (turn vectors stored in
  the project; target: under 3 s) against the first.
- The semantic layer's reading speed (`suggest-text --semantic` on 2,000 lines;
  target: 500 lines/s) against the keyword path on the same lines.

    .venv/bin/python benchmarks/bench_ready.py
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_corpus import generate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "transcripts_sample"
JHS = Path(sys.executable).parent / "jhs-qual"
CODEBOOKS = ("bronstein", "professional_topics", "pupil_topics")
READING = (1.0, 2.0)  # seconds a researcher reads the transcript list before pressing Enter


def jhs(*args: str, stdin: Path | None = None) -> float:
    start = time.perf_counter()
    with open(stdin, "rb") if stdin else open("/dev/null", "rb") as source:
        subprocess.run([str(JHS), *args], stdin=source, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def shown(app) -> bool:
    from jhs_qual.tui.widgets.transcript import TranscriptView

    screen = app.screen
    return (screen.__class__.__name__ == "CodingScreen" and screen._shown_for is not None
            and screen._shown_for == screen.query_one(TranscriptView).cursor)


SHOWN: list[float] = []  # when each coding screen first put suggestions on screen


def record_when_shown() -> None:
    """Timed in the app, not by the test pilot: `pilot.press` waits until the process is idle,
    which a worker loading in the background postpones."""
    from jhs_qual.tui.screens.coding import CodingScreen

    show = CodingScreen._show_suggestions

    def timed(self, turn_index, found):
        show(self, turn_index, found)
        if self._shown_for == turn_index:
            SHOWN.append(time.perf_counter())

    CodingScreen._show_suggestions = timed


async def from_the_list(path: Path, reading: float) -> dict:
    """As a researcher: the workbench opens on the transcript list; `reading` seconds later, Enter."""
    from jhs_qual.config import Config
    from jhs_qual.store import Project
    from jhs_qual.tui.app import JhsApp

    record_when_shown()
    app = JhsApp(Project.open(path), coder="bench", config=Config(path=path.parent / "config.toml"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(reading)
        start = time.perf_counter()
        await pilot.press("enter")
        while not SHOWN:
            await pilot.pause(0.005)
        figures = {f"opened from the list after {reading:.0f} s: first suggestions": SHOWN[0] - start}
        await pilot.press("ctrl+q")
    return figures


async def cold_open(path: Path) -> dict:
    """`tui --open`: the engine starts with the transcript; then codes change."""
    from jhs_qual.config import Config
    from jhs_qual.store import Project
    from jhs_qual.suggest.assist import Engine, EngineInputs
    from jhs_qual.tui.app import JhsApp

    project = Project.open(path)
    tid = project.transcript("so_jeugdhulpverlener_de_horizon")["id"]
    record_when_shown()
    app = JhsApp(project, coder="bench", config=Config(path=path.parent / "config.toml"), open_transcript=(tid, 3))
    figures = {}
    start = time.perf_counter()
    async with app.run_test(size=(120, 40)) as pilot:
        while not SHOWN:
            await pilot.pause(0.005)
        figures["tui --open (cold): first suggestions (keyword layer)"] = SHOWN[0] - start
        while app.engine_layer() != "meaning":
            await pilot.pause(0.005)
        figures["tui --open (cold): refined (semantic layer), the old first wait"] = time.perf_counter() - start
        inputs = EngineInputs.from_project(project, coder="bench")
        begin = time.perf_counter()
        app.engine.update_codes(inputs)
        figures["codes changed: engine updated in place"] = time.perf_counter() - begin
        begin = time.perf_counter()
        Engine(inputs, app.config.suggest)
        figures["codes changed: engine built again (baseline)"] = time.perf_counter() - begin
        await pilot.press("ctrl+q")
    return figures


def in_own_process(scenario: str, path: Path) -> dict:
    """Each workbench figure in a fresh process, so nothing is loaded before it starts."""
    out = subprocess.run([sys.executable, __file__, "--scenario", *scenario.split(), str(path)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ready.jhsq"
        subprocess.run([str(JHS), "init", str(path), *sum((["--codebook", c] for c in CODEBOOKS), [])],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run([str(JHS), "import", str(SAMPLES), "--attributes", str(SAMPLES / "attributes.csv"),
                        "--project", str(path)], check=True, stdout=subprocess.DEVNULL)
        # a first process loads spaCy and the encoder from disk: leave that out of both figures
        jhs("suggest-text", "--codebook", "bronstein", "--semantic", stdin=SAMPLES / "attributes.csv")
        figures = {}
        for reading in READING:
            figures.update(in_own_process(f"list {reading}", path))
        figures.update(in_own_process("open", path))
        first = jhs("suggest", "vo_mentor_het_baken", "--project", str(path))
        second = jhs("suggest", "vo_mentor_het_baken", "--project", str(path))
        lines = Path(folder) / "lines.txt"  # 2,000 distinct turns in the samples' words (make_corpus.py)
        generate(Path(folder) / "corpus", 40, 1_500)
        turns = list(dict.fromkeys((Path(folder) / "corpus" / "turns.txt").read_text(encoding="utf-8").splitlines()))
        lines.write_text("\n".join(turns[:2000]) + "\n", encoding="utf-8")
        one = Path(folder) / "one.txt"
        one.write_text(lines.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
        books = sum((["--codebook", c] for c in CODEBOOKS), [])
        # the rate leaves out the process's start (spaCy, the encoder): 2,000 lines less one line
        semantic = jhs("suggest-text", *books, "--semantic", stdin=lines) - jhs("suggest-text", *books, "--semantic", stdin=one)
        keywords = jhs("suggest-text", *books, stdin=lines) - jhs("suggest-text", *books, stdin=one)
    rows = [(k, v) for k, v in figures.items()]
    rows += [("suggest, second run (vectors stored)", second), ("suggest, first run (baseline)", first),
             ("suggest-text --semantic, 1,999 lines past the first", semantic),
             ("suggest-text (keywords), 1,999 lines past the first", keywords)]
    for name, seconds in rows:
        print(f"{name:48} {seconds:7.2f} s")
    cold = figures["tui --open (cold): first suggestions (keyword layer)"]
    print(f"first suggestions / refined, cold: {cold / figures['tui --open (cold): refined (semantic layer), the old first wait']:.2f}x")
    print(f"suggest second / first run: {second / first:.2f}x")
    print(f"semantic layer: {1999 / semantic:.0f} lines/s (keywords: {1999 / keywords:.0f} lines/s)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--scenario"]:
        if sys.argv[2] == "list":
            print(json.dumps(asyncio.run(from_the_list(Path(sys.argv[4]), float(sys.argv[3])))))
        else:
            print(json.dumps(asyncio.run(cold_open(Path(sys.argv[3])))))
    else:
        main()
