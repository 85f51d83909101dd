"""workers.in_order: items made in forked workers come back in order; a bad input is raised
here whole; a defect names its item; no worker outlives the work. workers.handed_on: items
given reach the consumer in order, in a forked process or here; what it raises is raised here."""

from __future__ import annotations

import os

import pytest

from jhs_qual import workers
from jhs_qual.errors import BadInput


def squares(k, n):
    return ((i, i * i, os.getpid()) for i in range(k, 25, n))


def test_items_come_back_in_order_from_two_workers(forked):
    made = list(workers.in_order(squares))
    assert [(i, square) for i, square, _ in made] == [(i, i * i) for i in range(25)]
    assert len({pid for *_, pid in made} - {os.getpid()}) == 2  # made elsewhere, by two workers


def test_without_a_safe_fork_the_same_items_are_made_here(monkeypatch):
    monkeypatch.setattr(workers.threading, "active_count", lambda: 3)  # a fork would copy other threads' locks
    made = list(workers.in_order(squares))
    assert [(i, square) for i, square, _ in made] == [(i, i * i) for i in range(25)]
    assert {pid for *_, pid in made} == {os.getpid()}


def test_a_bad_input_in_a_worker_is_raised_here_after_the_items_before_it(forked):
    def produce(k, n):
        for i in range(k, 10, n):
            if i == 7:
                raise BadInput("a selection outside the text", file="p.qdpx", field="PlainTextSelection", hint="h")
            yield i

    made = []
    with pytest.raises(BadInput) as raised:
        for item in workers.in_order(produce):
            made.append(item)
    assert made == list(range(7))
    assert raised.value.one_line() == "p.qdpx: PlainTextSelection: a selection outside the text; h"
    assert raised.value.exit_code == 2


def test_a_defect_in_a_worker_names_the_item(forked):
    def produce(k, n):
        for i in range(k, 10, n):
            yield 1 // (i - 4)

    with pytest.raises(RuntimeError, match=r"item 4 failed in a worker:(.|\n)*ZeroDivisionError"):
        list(workers.in_order(produce))


def test_no_worker_outlives_a_reader_that_stops_early(forked):
    before = set(_children_of(os.getpid()))
    made = workers.in_order(lambda k, n: iter(range(k, 10**9, n)))
    assert next(made) == 0
    assert len(set(_children_of(os.getpid())) - before) == 2
    made.close()
    assert set(_children_of(os.getpid())) - before == set()


def _children_of(pid: int) -> list[int]:
    """This process's live children (Linux: /proc)."""
    with open(f"/proc/{pid}/task/{pid}/children") as handle:
        return [int(p) for p in handle.read().split()]


def writing_to(path):
    """A consumer: each item given, a line of the file, with the pid that wrote it."""
    with open(path, "w") as out:
        while (item := (yield)) is not None:
            out.write(f"{item} {os.getpid()}\n")


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "here"])
def test_items_handed_on_reach_the_consumer_in_order(tmp_path, monkeypatch, fork):
    monkeypatch.setattr(workers, "_may_fork", lambda: fork)
    with workers.handed_on(writing_to(tmp_path / "out")) as give:
        for i in range(1000):
            give(i)
    lines = [line.split() for line in (tmp_path / "out").read_text().splitlines()]
    assert [int(i) for i, _ in lines] == list(range(1000))
    assert ({int(pid) for _, pid in lines} == {os.getpid()}) != fork


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "here"])
def test_what_the_consumer_raises_is_raised_here(monkeypatch, fork):
    def failing():
        while (item := (yield)) is not None:
            if item == 3:
                raise BadInput("not well-formed", file="p.qdpx")

    monkeypatch.setattr(workers, "_may_fork", lambda: fork)
    with pytest.raises(BadInput, match="p.qdpx: not well-formed"):
        with workers.handed_on(failing()) as give:
            for i in range(10**6):  # far more than a pipe holds: the give after the failure says it
                give(b"x" * 1000 if i != 3 else 3)


def test_a_defect_in_the_consumer_is_one_error_and_no_process_outlives_it(forked):
    def broken():
        yield
        1 // 0

    before = set(_children_of(os.getpid()))
    with pytest.raises(RuntimeError, match=r"the writing process failed:(.|\n)*ZeroDivisionError"):
        with workers.handed_on(broken()) as give:
            give(1)
    assert set(_children_of(os.getpid())) - before == set()
