"""Reading many transcripts at once: worker processes parse the files while the caller stores
what was read, in the files' order.

Parsing a transcript costs about as much as storing it (its turns and its full-text index), so
an import of a thousand files takes both cores of a laptop. A file comes back as plain data
(`ReadFile`: the turns as tuples, cheap to send) or as the one line that says why it could not
be read. Fewer files than `PARALLEL_FROM`, or one processor, are read here, one after the other.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from jhs_qual.errors import JhsError

PARALLEL_FROM = 8  # files; below this, starting workers costs more than it saves
# Storing a file (its turns and full-text index) takes longer than parsing it: two workers keep
# the store busy, also through files that parse slowly (Word); more would wait.
WORKERS = 2


@dataclass
class ReadFile:
    """What a reader made of one file, in a form that crosses processes cheaply."""

    text: str
    rows: list[tuple]  # Turn.row() of each turn
    format: str
    attributes: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    source_sha256: str = ""

    @property
    def speakers(self) -> list[str]:
        return list(dict.fromkeys(row[1] for row in self.rows if row[1]))


def read_file(path: Path) -> ReadFile | str:
    """One file read and parsed, or the line that says why not."""
    from jhs_qual.ingest.readers import read_transcript

    try:
        parsed = read_transcript(path)
    except JhsError as error:
        return error.one_line()
    return ReadFile(parsed.text, [t.row() for t in parsed.turns], parsed.format, parsed.attributes,
                    parsed.warnings, parsed.source_sha256)


def read_files(paths: list[Path]) -> Iterator[tuple[Path, ReadFile | str]]:
    """(path, what was read) for each path in order; parsed ahead in worker processes when there
    are enough files and processors. Worker k reads files k, k + n, ... and sends each over a
    pipe of its own, which holds a file or two: a worker waits while the store catches up."""
    workers = min(_processors(), WORKERS)
    if len(paths) < PARALLEL_FROM or workers < 2:
        for path in paths:
            yield path, read_file(path)
        return
    context = _context()
    started = []
    try:
        for k in range(workers):
            receiving, sending = context.Pipe(duplex=False)
            process = context.Process(target=_work, args=(paths[k::workers], sending), daemon=True)
            started.append((process, receiving))
            process.start()
            sending.close()  # the worker's end: once it is gone, a read here ends instead of waiting
        for n, path in enumerate(paths):
            try:
                read = started[n % workers][1].recv()
            except EOFError:
                raise RuntimeError(f"the worker reading {path} stopped") from None
            if isinstance(read, _Crash):
                raise RuntimeError(f"reading {path} failed in a worker:\n{read.traceback}")
            yield path, read
    finally:
        for process, receiving in started:
            receiving.close()
            if process.is_alive():
                process.terminate()
            process.join()


@dataclass
class _Crash:
    traceback: str


def _work(paths: list[Path], sending) -> None:
    """A worker: each of its files read, in order, sent to the store."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the import's to handle, not each worker's
    for path in paths:
        try:
            sending.send(read_file(path))
        except Exception:  # a defect: the import says so and stops
            import traceback

            sending.send(_Crash(traceback.format_exc()))
            return


def _processors() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _context():
    """Forked workers on Linux, which start at once, when this process runs no other thread (a
    fork copies a lock another thread holds); else workers started anew (spawn)."""
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")
