"""The transcript list at two sizes, each beside its limit in the same run:

- `jhs-qual transcripts` (the whole process: start, open, list, print), beside the
  same rows read by a plain Python process with sqlite3 (transcripts, their stored
  counts, attributes, coded turns per coder): what any listing of the project must do;
- the workbench from its start to the transcript list on screen, in a real pseudo-
  terminal (the time until the list's rows reach the terminal), beside a bare Textual
  app with one label: the framework's own start, which no Textual program can beat.

    .venv/bin/python benchmarks/bench_listing.py [--sizes 1000 5000] [--runs 3] [--keep DIR]
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import statistics
import struct
import sys
import termios
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import JHS, arguments, coded_project, python, record, run  # noqa: E402

LIMIT = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT t.id, t.name, s.format, s.turn_count, s.speakers FROM transcripts t"
                  " JOIN transcript_stats s ON s.transcript_id = t.id ORDER BY t.name").fetchall()
attributes = db.execute("SELECT transcript_id, key, value FROM transcript_attributes").fetchall()
coded = db.execute("SELECT transcript_id, coder_id, coded FROM coded_turns").fetchall()
for row in rows:
    print(*row)
"""

BARE = """
from textual.app import App
from textual.widgets import Footer, Label

class Bare(App):
    def compose(self):
        yield Label("t0003 ready")
        yield Footer()

Bare().run()
"""


def on_screen(argv: list[str], marker: bytes, timeout: float = 120) -> float:
    """Seconds from starting argv in a 160x45 pseudo-terminal until `marker` is written to it;
    then ctrl+q, and the process waited for."""
    began = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: the program, with the terminal as its screen
        os.environ["TERM"] = "xterm-256color"
        os.execvp(argv[0], argv)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 45, 160, 0, 0))
    seen, elapsed = b"", None
    while elapsed is None and time.perf_counter() - began < timeout:
        if select.select([fd], [], [], 0.05)[0]:
            try:
                seen += os.read(fd, 1 << 16)
            except OSError:
                break
            if marker in seen:
                elapsed = time.perf_counter() - began
    os.write(fd, b"\x11")  # ctrl+q
    while True:  # read until the program has gone (its terminal closes)
        if select.select([fd], [], [], 10)[0]:
            try:
                if os.read(fd, 1 << 16):
                    continue
            except OSError:
                pass
        break
    os.waitpid(pid, 0)
    os.close(fd)
    if elapsed is None:
        raise SystemExit(f"{' '.join(argv)}: '{marker.decode()}' never reached the screen")
    return elapsed


def main() -> None:
    args, folder = arguments(__doc__.splitlines()[0])
    os.environ["JHS_QUAL_CODER"] = "anna"
    print("the transcript list; medians of", args.runs, "interleaved runs")
    grown: dict[str, list[float]] = {"transcripts": [], "workbench": []}
    for size in args.sizes:
        project = str(coded_project(folder, size))
        run([JHS, "transcripts", "--project", project])  # the file opened once (a migration, the OS cache)
        listing, limit, workbench, bare = [], [], [], []
        for _ in range(args.runs):
            listing.append(run([JHS, "transcripts", "--project", project])[0])
            limit.append(run(python(LIMIT, project))[0])
            workbench.append(on_screen([JHS, "tui", "--project", project], b"t0003"))
            bare.append(on_screen(python(BARE), b"t0003"))
        for name, ours, theirs, what in (("transcripts", listing, limit, "the same rows read by sqlite3"),
                                          ("workbench", workbench, bare, "a bare Textual app's start")):
            t_ours, t_limit = statistics.median(ours), statistics.median(theirs)
            grown[name].append(t_ours)
            record("transcripts" if name == "transcripts" else "workbench start to the transcript list", size,
                   (t_ours, 0.0), (t_limit, 0.0), what)
            print(f"{size:>6} transcripts: {name:<11} {t_ours:5.2f} s | {what} {t_limit:5.2f} s | "
                  f"beyond it {t_ours - t_limit:5.2f} s | ratio {t_ours / t_limit:4.1f}x")
    small, large = args.sizes
    for name, (a, b) in grown.items():
        print(f"growth of {name} from {small} to {large} transcripts: {b / a:.1f}x (linear {large / small:.1f}x)")
    if not args.keep:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
