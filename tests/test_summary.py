"""Summaries: counts per code, by attribute, co-occurrence; every format opened again."""

from __future__ import annotations

import csv
import re

import numpy as np
import openpyxl
import pytest

from jhs_qual.analysis.summary import summarise
from jhs_qual.domain import Coding
from tests.conftest import SAMPLES

CODES = [("b/x", "X"), ("b/y", "Y"), ("b/z", "Z")]
TURNS = {1: [(0, 10, "Leraar"), (12, 20, "Leerling 1")], 2: [(0, 10, "Leraar")]}
NAMES = {1: "een", 2: "twee"}
ATTRS = {1: {"school_type": "PO"}, 2: {"school_type": "VO"}}


def c(code, transcript, start, end):
    return Coding(0, transcript, code, "anna", start, end)


def test_counts_breakdown_and_cooccurrence_hand_computed():
    codings = [c("b/x", 1, 0, 5), c("b/y", 1, 3, 8), c("b/x", 1, 12, 15), c("b/z", 1, 16, 18), c("b/x", 2, 0, 4)]
    s = summarise(codings, CODES, ATTRS, NAMES, TURNS, "school_type")
    assert s.totals["b/x"] == {"codings": 3, "transcripts": 2, "speakers": 3}  # Leraar (1), Leerling 1, Leraar (2)
    assert s.values == ["PO", "VO"] and s.transcripts_per_value == {"PO": 1, "VO": 1}
    assert s.breakdown["b/x"]["PO"] == {"codings": 2, "transcripts": 1, "share": 1.0, "of": 1}
    assert s.breakdown["b/y"]["VO"] == {"codings": 0, "transcripts": 0, "share": 0.0, "of": 1}
    assert s.cooccurrence == {("b/x", "b/y"): 1}  # 0-5 and 3-8 overlap; 12-15 and 16-18 do not
    by_turn = summarise(codings, CODES, ATTRS, NAMES, TURNS, "school_type", cooccurrence="turn")
    assert by_turn.cooccurrence == {("b/x", "b/y"): 1, ("b/x", "b/z"): 1}
    assert s.per_transcript["b/x"] == {"een": 2, "twee": 1}


def test_missing_attribute_is_its_own_column():
    s = summarise([c("b/x", 2, 0, 4)], CODES, {1: {"school_type": "PO"}}, NAMES, TURNS, "school_type")
    assert s.values == ["PO", "(none)"] and s.breakdown["b/x"]["(none)"]["codings"] == 1


@pytest.fixture
def summarised(run):
    run("import", str(SAMPLES / "po_leraar_de_linde.txt"), str(SAMPLES / "so_jeugdhulpverlener_de_horizon.txt"))
    for name, turn, code in (("po_leraar_de_linde", 36, "interdependence"), ("po_leraar_de_linde", 36, "flexibility"),
                             ("po_leraar_de_linde", 40, "interdependence"),
                             ("so_jeugdhulpverlener_de_horizon", 26, "interdependence")):
        assert run("code", "add", name, code, "--turn", str(turn), "--coder", "anna").exit_code == 0
    return run


def test_summary_table(summarised):
    result = summarised("summary", "--by", "role")
    assert result.exit_code == 0, result.output
    assert "2 transcripts, 4 codings by people (no autocode, no consensus coders); broken down by role" in result.output
    line = next(l for l in result.output.splitlines() if "bronstein/interdependence" in l)  # the first table
    assert [cell.strip() for cell in line.strip("│┃ ").split("│")][2:] == ["3", "2", "2"]


@pytest.mark.parametrize("fmt", ["md", "csv", "xlsx", "html"])
def test_summary_files(summarised, tmp_path, fmt):
    out = tmp_path / f"s.{fmt}"
    result = summarised("summary", "--format", fmt, "-o", str(out), "--coder", "anna",
                        *(["--table", "codes"] if fmt == "csv" else []))  # a CSV holds one table
    assert result.exit_code == 0, result.output
    if fmt == "xlsx":
        workbook = openpyxl.load_workbook(out)
        assert workbook.sheetnames == ["codes", "by school_type", "co-occurrence (overlap)", "code x transcript", "about"]
        rows = list(workbook["codes"].iter_rows(values_only=True))
        assert rows[0] == ("code", "label", "codings", "transcripts", "speakers")
        assert rows[1][:3] == ("bronstein/interdependence", "Onderlinge afhankelijkheid", 3)
        matrix = list(workbook["co-occurrence (overlap)"].iter_rows(values_only=True))
        assert matrix[1][2] == 1  # interdependence with flexibility, on turn 36
        return
    text = out.read_text(encoding="utf-8-sig")
    assert "Onderlinge afhankelijkheid" in text and "Flexibiliteit" in text
    if fmt == "csv":
        rows = [r for r in csv.reader(text.splitlines()) if r]
        assert rows[0] == ["code", "label", "codings", "transcripts", "speakers"]
        assert ["bronstein/interdependence", "Onderlinge afhankelijkheid", "3", "2", "2"] in rows
    if fmt == "html":
        assert text.count("<svg") == 3  # a bar chart per school type, and the co-occurrence heat map
        assert "http" not in re.sub(r'xmlns="http://www.w3.org/2000/svg"', "", text)  # nothing fetched


def test_summary_bad_input(summarised, tmp_path):
    assert "unknown attribute 'shooltype'" in summarised("summary", "--by", "shooltype").output
    assert "not text for a terminal; write it to a file: -o FILE.xlsx" in summarised("summary", "--format", "xlsx").output
    refused = summarised("summary", "--coder", "zoe")
    assert refused.exit_code == 2 and "--coder: no coder 'zoe'" in refused.output


def test_cooccurrence_counts_equal_a_pairwise_count():
    """The running-total counting gives what comparing every pair of codings gives,
    on random codings with nested, touching, identical and dense spans."""
    from itertools import combinations

    rng = np.random.default_rng(7)
    codes = [(f"b/{k}", k) for k in "vwxyz"]
    n = 400
    tids = rng.integers(1, 4, n)
    starts = rng.integers(0, 60, n)
    ends = starts + rng.integers(1, 25, n)
    kinds = rng.integers(0, len(codes), n)
    codings = [c(codes[k][0], int(t), int(s), int(e)) for t, s, e, k in zip(tids, starts, ends, kinds)]
    turns = {t: [(b, b + 10, "Leraar" if b % 20 else "Interviewer") for b in range(0, 100, 10)] for t in (1, 2, 3)}
    names = {1: "een", 2: "twee", 3: "drie"}
    overlap = summarise(codings, codes, {}, names, turns, "role").cooccurrence
    expected: dict[tuple[str, str], int] = {}
    for a, b in combinations(codings, 2):
        if a.code != b.code and a.transcript_id == b.transcript_id and a.start < b.end and b.start < a.end:
            key = tuple(sorted((a.code, b.code)))
            expected[key] = expected.get(key, 0) + 1
    assert overlap == expected and sum(expected.values()) > 1000
    in_turn = summarise(codings, codes, {}, names, turns, "role", cooccurrence="turn").cooccurrence
    codes_per_turn: dict[tuple[int, int], set[str]] = {}
    for x in codings:
        codes_per_turn.setdefault((x.transcript_id, x.start // 10), set()).add(x.code)
    expected = {}
    for found in codes_per_turn.values():
        for key in combinations(sorted(found), 2):
            expected[key] = expected.get(key, 0) + 1
    assert in_turn == expected


def test_cooccurrence_is_counted_within_one_coder():
    """Two coders' different codes on the same turn are a disagreement, not a co-occurrence
    (the issue found 7 of 8 non-zero cells made of cross-coder pairs)."""
    anna = [Coding(0, 1, "b/x", "anna", 0, 10), Coding(0, 1, "b/y", "ben", 0, 10)]
    both = anna + [Coding(0, 1, "b/y", "anna", 2, 8)]
    for mode in ("overlap", "turn"):
        assert summarise(anna, CODES, ATTRS, NAMES, TURNS, "school_type", cooccurrence=mode).cooccurrence == {}
        assert summarise(both, CODES, ATTRS, NAMES, TURNS, "school_type",
                         cooccurrence=mode).cooccurrence == {("b/x", "b/y"): 1}


def test_a_share_is_of_the_transcripts_the_codebook_applies_to():
    """Two PO transcripts, one of pupils: a pupil code found in the pupils' transcript is
    there in 1 of the 1 PO transcripts its codebook applies to (100%), not 1 of 2."""
    from jhs_qual.analysis.summary import summarise

    codes = [("pupil_topics/intervention", "Interventie"), ("bronstein/flexibility", "Flexibiliteit")]
    attributes = {1: {"school_type": "PO"}, 2: {"school_type": "PO"}}
    applies = {1: {"pupil_topics"}, 2: {"bronstein"}}
    turns = {1: [(0, 10, "Leerling")], 2: [(0, 10, "Leraar")]}
    codings = [c("pupil_topics/intervention", 1, 0, 5)]
    plain = summarise(codings, codes, attributes, {1: "pupils", 2: "teacher"}, turns, "school_type")
    assert plain.breakdown["pupil_topics/intervention"]["PO"]["share"] == 0.5
    from jhs_qual.analysis.summary import summarise_arrays
    import numpy as np

    scoped = summarise_arrays(np.array([1]), np.array([0]), np.array([0]), np.array([5]), codes, attributes,
                              {1: "pupils", 2: "teacher"},
                              (np.array([1, 2]), np.array([0, 0]), np.array([0, 1])), "school_type", applies=applies)
    assert scoped.breakdown["pupil_topics/intervention"]["PO"] == {"codings": 1, "transcripts": 1, "share": 1.0, "of": 1}
    assert scoped.breakdown["bronstein/flexibility"]["PO"]["of"] == 1
