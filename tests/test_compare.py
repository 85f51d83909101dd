"""Comparing coders in a project: units, presence tables, segment matching, CLI output."""

from __future__ import annotations

import json

import openpyxl
import pytest

from jhs_qual.analysis.compare import (
    compare,
    disagreements,
    match_segments,
    sentence_spans,
)
from jhs_qual.domain import Coding

TEXT = "I: Vraag?\n\nR: Een.\n\nR: Twee.\n\nR: Drie.\n\nR: Vier."
# Turn numbers and word ranges of the four respondent turns (the interviewer's left out).
TURNS = {1: [(2, 14, 18), (3, 23, 28), (4, 33, 38), (5, 43, 48)]}
OTHER = {2: [(1, 3, 8)]}


def coding(coder, turn, code="b/x", tid=1, memo=""):
    number, start, end = next(t for t in {**TURNS, **OTHER}[tid] if t[0] == turn)
    return Coding(id=hash((coder, turn, code, tid)), transcript_id=tid, code=code, coder=coder,
                  start=start, end=end, memo=memo)


def test_turn_ranges_match_the_text():
    assert [TEXT[s:e] for _, s, e in TURNS[1]] == ["Een.", "Twee.", "Drie.", "Vier."]


def test_turn_agreement_hand_computed():
    """A codes turns 2,3; B codes 3,4 (of 4 units): agreement 2/4, Cohen's kappa
    (0.5 - 0.5) / (1 - 0.5) = 0, and one segment matched, one only A, one only B."""
    spans = [coding("a", 2), coding("a", 3), coding("b", 3), coding("b", 4)]
    result = compare(["a", "b"], "turn", {1: TEXT}, TURNS, spans)
    (row,) = result.codes
    assert (row.units, row.coded_by, row.percent, row.kappa) == (4, {"a": 2, "b": 2}, 0.5, 0.0)
    assert row.segments == {"matched": 1, "only_a": 1, "only_b": 1}
    assert result.overall.units == 4


def test_perfect_agreement_and_overall_pools_codes():
    spans = [coding("a", 2), coding("b", 2), coding("a", 3, "b/y"), coding("b", 3, "b/y")]
    result = compare(["a", "b"], "turn", {1: TEXT}, TURNS, spans)
    assert [r.code for r in result.codes] == ["b/x", "b/y"]
    assert all(r.kappa == pytest.approx(1.0) and r.alpha == pytest.approx(1.0) for r in result.codes)
    assert result.overall.units == 8 and result.overall.percent == 1.0


def test_transcripts_not_coded_by_everyone_are_left_out():
    spans = [coding("a", 2), coding("b", 2), coding("a", 1, tid=2)]
    result = compare(["a", "b"], "turn", {1: TEXT, 2: "R: Hoi."}, {**TURNS, **OTHER}, spans)
    assert result.transcripts == [1]
    assert result.codes[0].units == 4


def test_char_unit_and_nvivo_figures():
    """Characters of the four turns: 4 + 5 + 5 + 5 = 19. A covers 'Een.' and 'Twee.'
    (9), B covers 'Twee.' (5): both 5, neither 10, A not B 4, B not A 0."""
    spans = [coding("a", 2), coding("a", 3), coding("b", 3)]
    result = compare(["a", "b"], "char", {1: TEXT}, TURNS, spans)
    (row,) = result.codes
    assert row.units == 19 and row.coded_by == {"a": 9, "b": 5}
    assert row.nvivo["a_and_b_pct"] == pytest.approx(100 * 5 / 19)
    assert row.nvivo["neither_pct"] == pytest.approx(100 * 10 / 19)
    assert row.nvivo["a_not_b_pct"] == pytest.approx(100 * 4 / 19)
    assert row.nvivo["b_not_a_pct"] == 0.0
    assert row.nvivo["agreement_pct"] == pytest.approx(100 * 15 / 19)
    assert row.percent == pytest.approx(15 / 19)


def test_partial_span_counts_for_the_turns_it_touches():
    # A codes from the middle of turn 2 into turn 3.
    span = Coding(1, 1, "b/x", "a", 16, 25)
    spans = [span, coding("b", 3)]
    result = compare(["a", "b"], "turn", {1: TEXT}, TURNS, spans)
    assert result.codes[0].coded_by == {"a": 2, "b": 1}


def test_three_coders_use_fleiss():
    spans = [coding(c, 2) for c in "abc"] + [coding("c", 3)]
    result = compare(["a", "b", "c"], "turn", {1: TEXT}, TURNS, spans)
    assert result.codes[0].kappa_name == "Fleiss' kappa"
    assert result.codes[0].segments is None


def test_codings_on_interviewer_turns_are_not_counted():
    interviewer = Coding(9, 1, "b/q", "b", 3, 9)  # inside 'Vraag?'
    result = compare(["a", "b"], "turn", {1: TEXT}, TURNS, [coding("a", 2), interviewer])
    assert [r.code for r in result.codes] == ["b/x"]
    assert result.codes[0].segments == {"matched": 0, "only_a": 1, "only_b": 0}


def test_match_segments_threshold():
    assert match_segments([(0, 100)], [(10, 100)], 0.8) == ([(0, 0)], [], [])
    assert match_segments([(0, 100)], [(30, 100)], 0.8) == ([], [0], [0])
    assert match_segments([(0, 100)], [(30, 100)], 0.7) == ([(0, 0)], [], [])
    # one to one: the better overlap wins
    assert match_segments([(0, 100)], [(0, 90), (0, 100)], 0.8) == ([(0, 1)], [], [0])


def test_sentences():
    text = "Ja. Nee! Misschien? “Dat zei ze.” En toen"
    assert [text[s:e] for s, e in sentence_spans(text, 0, len(text))] == [
        "Ja.", "Nee!", "Misschien?", "“Dat zei ze.”", "En toen",
    ]


def test_sentence_units():
    text = "R: Een. Twee. Drie."
    spans = [Coding(1, 1, "b/x", "a", 3, 7), Coding(2, 1, "b/x", "b", 8, 13)]
    result = compare(["a", "b"], "sentence", {1: text}, {1: [(1, 3, len(text))]}, spans)
    assert result.codes[0].units == 3 and result.codes[0].percent == pytest.approx(1 / 3)


def test_disagreements_lists_units_with_different_code_sets():
    spans = [coding("a", 2, memo="twijfel"), coding("b", 2), coding("a", 3), coding("b", 4, "b/y")]
    found = disagreements(["a", "b"], "turn", {1: TEXT}, TURNS, spans)
    assert [(d.unit.turn, {c: [s.code for s in v] for c, v in d.codes.items()}) for d in found] == [
        (3, {"a": ["b/x"], "b": []}),
        (4, {"a": [], "b": ["b/y"]}),
    ]
    only_y = disagreements(["a", "b"], "turn", {1: TEXT}, TURNS, spans, codes=["b/y"])
    assert [d.unit.turn for d in only_y] == [4]


# --- through the CLI, on a real project ------------------------------------------------------

@pytest.fixture
def coded(run, tmp_path):
    from tests.conftest import SAMPLES

    assert run("import", str(SAMPLES / "po_leraar_de_linde.txt")).exit_code == 0
    name = "po_leraar_de_linde"
    for turn in (36, 38, 40, 44):
        run("code", "add", name, "interdependence", "--turn", str(turn), "--coder", "anna")
    for turn in (36, 40, 42):
        run("code", "add", name, "interdependence", "--turn", str(turn), "--coder", "ben")
    run("code", "add", name, "flexibility", "--turn", "46", "--coder", "ben", "--memo", "loslaten")
    for coder in ("anna", "ben"):  # both read it to the end: every unit counts
        assert run("transcripts", "done", name, "--coder", coder).exit_code == 0
    return run


def test_compare_command_table_json_xlsx(coded, tmp_path):
    table = coded("compare", "--coders", "anna", "ben")
    assert table.exit_code == 0, table.output
    assert "per turn over the 1 transcript" in table.output
    assert "the interviewer's turns are no units" in table.output
    line = next(l for l in table.output.splitlines() if l.startswith("bronstein/interdependence"))
    assert line.split()[1:4] == ["37", "4", "3"]

    data = json.loads(coded("compare", "anna", "ben", "--json").output)
    by_code = {row["code"]: row for row in data["codes"]}
    interdependence = by_code["bronstein/interdependence"]
    assert interdependence["segments"] == {"matched": 2, "only_anna": 2, "only_ben": 1}
    assert interdependence["percent"] == pytest.approx(34 / 37)
    assert by_code["bronstein/flexibility"]["coded_by"] == {"anna": 0, "ben": 1}
    assert data["transcripts"] == ["po_leraar_de_linde"]

    out = tmp_path / "agreement.xlsx"
    assert coded("compare", "--coders", "anna", "ben", "--unit", "char", "-o", str(out)).exit_code == 0
    sheet = openpyxl.load_workbook(out)["agreement"]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["code", "units", "coded by anna", "coded by ben"] and "A and B %" in header
    assert sheet.freeze_panes == "B2"  # header row and the code column stay in view


def test_disagreements_command(coded):
    result = coded("disagreements", "--coders", "anna", "ben")
    assert result.exit_code == 0
    assert "po_leraar_de_linde turn 38" in result.output
    assert "ben: bronstein/flexibility (memo: loslaten)" in result.output
    assert result.output.strip().endswith("4 units where anna and ben differ")
    lines = coded("disagreements", "anna", "ben", "--code", "flexibility", "--json").output.splitlines()
    assert [json.loads(l)["turn"] for l in lines] == [46]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--coders", "anna"], "name two or more different coders"),
        (["--coders", "anna", "anna"], "name two or more different coders"),
        (["--coders", "anna", "zoe"], "no coder 'zoe'"),
        (["--coders", "anna", "ben", "--codes", "nope"], "no code 'nope'"),
    ],
)
def test_compare_bad_input(coded, args, message):
    result = coded("compare", *args)
    assert result.exit_code == 2 and message in result.output


def test_compare_reports_gwet_ac1_hand_computed():
    """Gwet's AC1 (Gwet 2008, Br J Math Stat Psychol 61:29): two coders, ten turns; A codes
    turns 1-6, B turns 1-4 and 7. pa = 7/10, pi = (0.6 + 0.5) / 2 = 0.55,
    pe = 2 x 0.55 x 0.45 = 0.495, AC1 = (0.7 - 0.495) / (1 - 0.495) = 0.40594..."""
    from jhs_qual.analysis.compare import compare
    from jhs_qual.domain import Coding

    turns = {1: [(i + 1, i * 10, i * 10 + 5) for i in range(10)]}
    spans = [Coding(i, 1, "b/x", "a", t * 10, t * 10 + 5) for i, t in enumerate(range(6))]
    spans += [Coding(10 + i, 1, "b/x", "b", t * 10, t * 10 + 5) for i, t in enumerate((0, 1, 2, 3, 6))]
    result = compare(["a", "b"], "turn", {1: "x" * 100}, turns, spans)
    assert abs(result.codes[0].ac1 - 0.205 / 0.505) < 1e-12


def test_the_workbench_table_leaves_out_segment_matching_only():
    """The compare screen works its table out without matching segments (40% of the time at
    5,000 transcripts; it shows percent, kappa and alpha): the same figures, no segments."""
    spans = [coding("a", 2), coding("a", 3), coding("b", 3), coding("b", 4)]
    whole = compare(["a", "b"], "turn", {1: TEXT}, TURNS, spans)
    table = compare(["a", "b"], "turn", {1: TEXT}, TURNS, spans, segments=False)
    assert [(r.code, r.percent, r.kappa, r.alpha) for r in table.codes] == \
        [(r.code, r.percent, r.kappa, r.alpha) for r in whole.codes]
    assert whole.codes[0].segments is not None and table.codes[0].segments is None
