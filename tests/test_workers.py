"""workers.in_order: items made in forked workers come back in order; a bad input is raised
here whole; a defect names its item; no worker outlives the work."""

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
