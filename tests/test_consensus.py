"""Consensus: agreed codings copied, disagreements settled, decisions kept across runs."""

from __future__ import annotations

import pytest

from jhs_qual.analysis.consensus import Span, clusters, decided_spans
from jhs_qual.domain import Coding
from jhs_qual.store import Project
from tests.conftest import SAMPLES


def c(coder, start, end, code="b/x", tid=1, memo=""):
    return Coding(id=0, transcript_id=tid, code=code, coder=coder, start=start, end=end, memo=memo)


def test_clusters():
    codings = [
        c("a", 0, 100, memo="eens"), c("b", 5, 100, memo="eens"),  # match: agreed
        c("a", 200, 300), c("b", 250, 300),                        # overlap < 80%: to settle
        c("a", 400, 450),                                          # only a
        c("b", 500, 550, code="b/y"),                              # only b, other code
        c("a", 600, 650), c("a", 640, 700), c("b", 600, 700),      # pieces: to settle
        c("a", 900, 950, tid=2),                                   # b never coded transcript 2
    ]
    found = clusters(codings, "a", "b")
    summary = [(k.code, [(s.start, s.end) for s in k.a], [(s.start, s.end) for s in k.b], k.agreed)
               for k in found]
    assert summary == [
        ("b/x", [(0, 100)], [(5, 100)], Span(0, 100, "eens")),
        ("b/x", [(200, 300)], [(250, 300)], None),
        ("b/x", [(400, 450)], [], None),
        ("b/x", [(600, 650), (640, 700)], [(600, 700)], None),
        ("b/y", [], [(500, 550)], None),
    ]


def test_agreed_memo_keeps_both():
    (cluster,) = clusters([c("a", 0, 10, memo="twijfel"), c("b", 0, 10, memo="zeker")], "a", "b")
    assert cluster.agreed == Span(0, 10, "a: twijfel / b: zeker")


def test_decided_spans():
    a, b = [Span(0, 10), Span(20, 30)], [Span(0, 10), Span(40, 50)]
    assert decided_spans("a", a, b) == a
    assert decided_spans("b", a, b) == b
    assert decided_spans("both", a, b) == [Span(0, 10), Span(20, 30), Span(40, 50)]
    assert decided_spans("neither", a, b) == []


@pytest.fixture
def two_coders(run):
    assert run("import", str(SAMPLES / "po_leraar_de_linde.txt")).exit_code == 0
    name = "po_leraar_de_linde"
    for turn in (36, 38):
        run("code", "add", name, "interdependence", "--turn", str(turn), "--coder", "anna")
    for turn in (36, 40):
        run("code", "add", name, "interdependence", "--turn", str(turn), "--coder", "ben")
    for coder in ("anna", "ben"):  # both read it to the end: every unit counts
        assert run("transcripts", "done", name, "--coder", coder).exit_code == 0
    return run


def consensus_codings(run) -> set[tuple[str, int, int]]:
    with Project.open(run.project_path) as project:
        return {(r.code, r.start, r.end) for r in project.codings(["consensus"])}


def turn_span(run, number):
    with Project.open(run.project_path) as project:
        turn = project.turn(project.transcript("po_leraar_de_linde")["id"], number)
    return turn["content_start"], turn["end"]


def test_build_settle_and_rebuild(two_coders):
    run = two_coders
    built = run("consensus", "--coders", "anna", "ben", "--into", "consensus")
    assert built.exit_code == 0, built.output
    assert "1 agreed coding (1 new in 'consensus'), 2 new items to settle; 2 open, 0 settled" in built.output
    code = "bronstein/interdependence"
    t36, t38, t40 = (turn_span(run, n) for n in (36, 38, 40))
    assert consensus_codings(run) == {(code, *t36)}

    listing = run("consensus", "--into", "consensus", "--list").output
    assert "#1 po_leraar_de_linde bronstein/interdependence" in listing and "2 items open" in listing

    assert run("consensus", "--into", "consensus", "--settle", "1", "--take", "a").exit_code == 0
    assert consensus_codings(run) == {(code, *t36), (code, *t38)}
    # Changing one's mind replaces the old decision's codings.
    assert run("consensus", "--into", "consensus", "--settle", "1", "--take", "neither").exit_code == 0
    assert consensus_codings(run) == {(code, *t36)}
    assert run("consensus", "--into", "consensus", "--settle", "2", "--take", "b").exit_code == 0
    assert consensus_codings(run) == {(code, *t36), (code, *t40)}

    # More coding, then build again: the decisions stay, the new agreement is added.
    run("code", "add", "po_leraar_de_linde", "interdependence", "--turn", "44", "--coder", "anna")
    run("code", "add", "po_leraar_de_linde", "interdependence", "--turn", "44", "--coder", "ben")
    again = run("consensus", "anna", "ben", "--into", "consensus")
    assert "2 agreed codings (1 new in 'consensus'), 0 new items to settle; 0 open, 2 settled" in again.output
    assert consensus_codings(run) == {(code, *t36), (code, *t40), (code, *turn_span(run, 44))}
    settled = run("consensus", "--into", "consensus", "--list", "--all").output
    assert "[settled: neither]" in settled and "[settled: b]" in settled


def test_consensus_coder_shows_in_compare_and_progress(two_coders):
    run = two_coders
    run("consensus", "--coders", "anna", "ben", "--into", "consensus")
    result = run("compare", "--coders", "anna", "consensus")
    assert result.exit_code == 0 and "bronstein/interdependence" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--coders", "anna", "ben", "--into", "anna"], "must not be anna"),
        (["--coders", "anna", "zoe", "--into", "c"], "no coder 'zoe'"),
        (["--coders", "anna", "ben", "x", "--into", "c"], "exactly two coders"),
        (["--into", "c", "--settle", "1"], "--settle ID and --take go together"),
        (["--into", "c", "--settle", "99", "--take", "a"], "no consensus item 99"),
    ],
)
def test_consensus_bad_input(two_coders, args, message):
    result = two_coders("consensus", *args)
    assert result.exit_code == 2 and message in result.output
