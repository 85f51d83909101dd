"""Work shared with forked worker processes: its results taken back in order (`in_order`), or
what this process makes handed to one that writes it (`handed_on`).

An import of thousands of files (or of a REFI-QDA project's thousands of sources) parses as
much as it stores; on a laptop's two or more cores the parsing goes to workers while this
process stores. Worker k of n makes items k, k + n, k + 2n, ... of a sequence (`produce(k, n)`
yields them, skipping the others) and sends each over a pipe of its own; this process takes
them round the workers, so they come back in the sequence's order. A pipe holds an item or
two: a worker waits while the store catches up, and memory stays bounded.

Workers are forked: they start at once and see what this process had read so far (a
project's codes, a parsed head), with nothing to send. Where a fork is not safe (not Linux,
or this process runs other threads, whose locks a fork would copy), or with one processor,
`produce(0, 1)` runs here instead: the same items, one after the other.

`handed_on` is the other way round: an export makes its pieces here (it reads the project)
while a forked process compresses and writes them (zlib in a thread of this process would
wait for the interpreter's lock between every block it deflates, and gain nothing).

A `JhsError` in a worker (a bad file) goes back as the item it was made for, and is raised
here (an `OSError` of a writer, a full disk, as well); any other exception is a defect and
stops the work, naming the item.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from jhs_qual.errors import JhsError

WORKERS = 2  # the store is the slower half: two workers keep it busy, more would wait


def in_order(produce: Callable[[int, int], Iterator], workers: int = WORKERS) -> Iterator:
    """The items `produce` makes, in order; made in `workers` forked processes when it is safe."""
    if not _may_fork():
        yield from produce(0, 1)
        return
    context = multiprocessing.get_context("fork")
    started = []
    try:
        for k in range(workers):
            receiving, sending = context.Pipe(duplex=False)
            process = context.Process(target=_in_child, daemon=True,
                                      args=(_work, (produce, k, workers, sending), sending, (JhsError,)))
            started.append((process, receiving))
            process.start()
            sending.close()  # the worker's end: once the worker is gone, a read here ends instead of waiting
        n = 0
        while True:
            try:
                item = started[n % workers][1].recv()
            except EOFError:
                raise RuntimeError(f"worker {n % workers} stopped before item {n}") from None
            if isinstance(item, _Done):
                return
            if isinstance(item, _Crash):
                raise RuntimeError(f"item {n} failed in a worker:\n{item.traceback}")
            if isinstance(item, _Raised):
                raise item.error
            yield item
            n += 1
    finally:
        for process, receiving in started:
            receiving.close()
            if process.is_alive():
                process.terminate()
            process.join()


@contextmanager
def handed_on(consumer: Generator) -> Iterator[Callable[[object], None]]:
    """`give(item)`: the item sent, in order, into the generator `consumer` (which waits for
    them at its `yield`), run in a forked process when that is safe, else here. Leaving the
    block sends None, the end, and raises what the consumer raised; an error in the block
    stops the consumer unfinished."""
    if not _may_fork():
        next(consumer)
        try:
            yield consumer.send
        except BaseException:
            consumer.close()  # stopped unfinished: its files closed
            raise
        try:
            consumer.send(None)
        except StopIteration:
            return
        consumer.close()
        raise RuntimeError("the consumer did not stop at the end of its items")
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    answer, answering = context.Pipe(duplex=False)
    process = context.Process(target=_in_child, daemon=True,
                              args=(_consume, (consumer, receiving), answering, (JhsError, OSError)))
    try:
        process.start()
        receiving.close()
        answering.close()

        def give(item: object) -> None:
            try:
                sending.send(item)
            except BrokenPipeError:  # the consumer stopped: why, below
                _raise_outcome(answer)
                raise RuntimeError("the writing process stopped") from None

        yield give
        give(None)
        _raise_outcome(answer)
    finally:
        sending.close()
        answer.close()
        if process.is_alive():
            process.terminate()
        process.join()


def _consume(consumer: Generator, receiving) -> None:
    """In the forked process: the items received sent into the consumer, to its end."""
    next(consumer)
    try:
        while True:
            consumer.send(receiving.recv())
    except StopIteration:
        return


def _raise_outcome(answer) -> None:
    try:
        outcome = answer.recv()
    except EOFError:
        raise RuntimeError("the writing process stopped") from None
    if isinstance(outcome, _Crash):
        raise RuntimeError(f"the writing process failed:\n{outcome.traceback}")
    if isinstance(outcome, _Raised):
        raise outcome.error


@dataclass
class _Done:
    pass


@dataclass
class _Crash:
    traceback: str


@dataclass
class _Raised:
    error: JhsError | OSError


def _work(produce: Callable[[int, int], Iterator], k: int, n: int, sending) -> None:
    """In worker k of n: the items it makes, sent."""
    for item in produce(k, n):
        sending.send(item)


def _in_child(run: Callable[..., None], args: tuple, sending, passed: tuple[type[Exception], ...]) -> None:
    """A forked process's work, then how it ended, sent: _Done; an error of the kinds `passed`
    (a bad file, a failed check, a full disk: the parent says them as they are); or a defect's
    traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        run(*args)
    except passed as error:
        sending.send(_Raised(error))
    except Exception:  # a defect
        sending.send(_Crash(traceback.format_exc()))
    else:
        sending.send(_Done())


def _may_fork() -> bool:
    """Linux, two processors or more, and no other thread here (whose locks a fork would copy)."""
    return _processors() >= 2 and sys.platform.startswith("linux") and threading.active_count() == 1


def _processors() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
