"""The fast reading of a plain transcript (`plain_turns`, and `turns_in_text` on a text in
that shape) gives what the general rules (`lines_to_segments` + `render`, `turns_in_text`'s
own loop) give, or declines: checked on generated files that mix the commonest shape with what
the general rules tidy, refuse or read differently."""

from __future__ import annotations

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from unittest import mock

from jhs_qual.errors import BadInput
from jhs_qual.ingest import turns
from jhs_qual.ingest.readers import read_transcript
from jhs_qual.ingest.turns import RawLine, lines_to_segments, plain_turns, render, turns_in_text
from tests.conftest import ROOT

LABELS = ["Interviewer", "Leraar", "I", "R", "JHV", "Leerling 2", "Max Bigman", "LEERLING 3", "admin-1",
          "Sanne", "ruimte", "Mevrouw de Vries", "A B C D E", "Een heel lang label dat echt te lang is om",
          "**Leraar**", "[id1]", "Leraar (00:01:02)", "Juf 12"]
TIMES = ["", "[00:12:31] ", "[12:31] ", "[0:00:04.5] ", "[00:75:00] ", "(00:12:31) ", "00:12:31 ", "[00:12:31]  "]
SEPARATORS = [": ", ":", ":  ", " : ", ":\t", "::"]
WORDS = ["ja", "Nee.", "hoe", "gaat", "het?", "zei:", "Leraar:", "#00:01:23-4#", "a\tb", "a  b", "\xa0",
         "\u200b", "[naam]", "ok ", " ok", "(lacht)", "é", "’s", "12:30", "."]



@st.composite
def files(draw, times=TIMES, labels=LABELS, separators=SEPARATORS, words=WORDS, odd=True):
    """Lines from a few labels, times and separators each (so labels recur, as in a transcript)."""
    few = [draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3)) for pool in (times, labels, separators)]
    turn = st.builds(lambda t, l, s, w: t + l + s + " ".join(w), *map(st.sampled_from, few),
                     st.lists(st.sampled_from(words), min_size=1 if not odd else 0, max_size=5))
    other = st.sampled_from(["", "", " ", "gewoon een zin zonder spreker", "Leraar:", "Automation: Recording."]
                            if odd else [""])
    return draw(st.lists(st.one_of(turn, turn, other), min_size=1, max_size=12))


def general(lines: list[str]):
    notes: list[str] = []
    text, turns = render(lines_to_segments([RawLine(x) for x in lines], notes))
    return text, turns, notes


@settings(max_examples=800, deadline=None)
@given(files())
def test_plain_turns_agree_with_the_general_rules_or_decline(lines):
    fast = plain_turns(lines)
    event("read fast" if fast else "left to the general rules")
    try:
        text, found, notes = general(lines)
    except BadInput:  # a time that is not one: the general rules name its line
        assert fast is None
        return
    if fast is not None:
        assert fast == (text, found)
        assert notes == []


@settings(max_examples=800, deadline=None)
@given(files())
def test_turns_in_a_text_as_it_is_agree_with_the_general_rules(lines):
    text = "\n".join(lines)
    with mock.patch.object(turns, "_plain_lines", lambda *args: None):
        general_turns = turns_in_text(text)
    assert turns_in_text(text) == general_turns


@settings(max_examples=300, deadline=None)
@given(files(times=["", "[00:12:31] ", "[1:02:03,5] ", "[0:00:04.5] "],
             labels=["Interviewer", "Leraar", "LEERLING 3", "JHV", "I", "Juf 12", "Leerling"], separators=[": "],
             words=["ja", "Nee.", "zei:", "12:30", "(lacht)", "é", "’s", "[naam]", "."], odd=False))
def test_the_commonest_shape_is_read_fast_and_the_same(lines):
    fast = plain_turns(lines)
    if any(lines):
        assert fast is not None
        assert fast == general(lines)[:2]


def test_a_sample_transcript_is_read_fast(monkeypatch):
    """The sample interview takes the fast reading, and the general rules give the same."""
    path = ROOT / "transcripts_sample" / "po_leraar_de_linde.txt"
    taken = []
    from jhs_qual.ingest import readers

    monkeypatch.setattr(readers, "plain_turns", lambda lines: taken.append(plain_turns(lines)) or taken[-1])
    fast = read_transcript(path)
    assert taken[0] is not None
    monkeypatch.setattr(readers, "plain_turns", lambda lines: None)
    assert read_transcript(path) == fast


@pytest.mark.parametrize("lines", [
    ["Sanne: ja", "Interviewer: nee"],  # a one-off name: the general rules decide
    ["[00:75:00] Leraar: ja", "Leraar: nee"],  # not a time: the general rules say which line
    ["Leraar: ja #00:01:23-4#", "Leraar: nee"],  # an f4 time mark
    ["Leraar: ja", " ", "Leraar: nee"],  # a line of a space
    ["Leraar: ja", "en verder"],  # a line that continues a turn
])
def test_other_shapes_are_left_to_the_general_rules(lines):
    assert plain_turns(lines) is None


def test_the_words_of_a_turn_in_a_text_begin_after_its_label():
    """'Jan: Ja' holds its words twice: they begin after the label (they began at 'Ja' of 'Jan')."""
    text = "Interviewer: Hoe?\nen verder\n\nJan: Ja\n\nInterviewer: En?\n\nJan: an"
    assert [text[t.content_start:t.end] for t in turns_in_text(text)] == ["Hoe?\nen verder", "Ja", "En?", "an"]


def test_a_time_that_is_not_one_in_another_tools_text_is_read_as_words():
    text = "Leraar: ja\n[00:75:00] Leraar: nee\n\nLeraar: goed"
    assert [(t.speaker, text[t.content_start:t.end]) for t in turns_in_text(text)] == [
        ("Leraar", "ja\n[00:75:00] Leraar: nee"), ("Leraar", "goed")]
