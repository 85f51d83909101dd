"""The transcript as turns, rendered line by line: only what is on screen is drawn.

Turns are word-wrapped once per width into a line map (turn, kind, character
range); `render_line` styles one line when Textual asks for it. Coded spans
take their code's colour, the gutter shows each turn's code keys, interviewer
turns are dimmed, the cursor turn has a bar, and a character selection is
shown reversed. Coded words take their code's colour; a coding that covers only
part of a turn shows its key underlined, without a background, in the gutter.

Moving (j/k) goes from answer to answer: interviewer turns are passed over
unless `skip_interviewers` is off, and the question before the cursor's
answer is kept on screen. A selection inside a turn grows by sentence (v,
], [) or by word (left/right, ctrl+left/right, shift+left/right).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from jhs_qual.domain.sentences import sentence_spans
from jhs_qual.ingest.turns import format_timestamp
from jhs_qual.keys import TRANSCRIPT
from jhs_qual.tui.keymap import bindings

GUTTER = 6  # "▌1234 " before every line
_WORD = re.compile(r"\S+\s*")


class Line(NamedTuple):  # a NamedTuple: 20,000 of them are built per layout
    turn: int  # index into the turns
    kind: str  # "header", "text" or "blank"
    start: int = 0  # character range of a text line in the transcript text
    end: int = 0


def wrap(text: str, start: int, end: int, width: int) -> list[tuple[int, int]]:
    """Greedy word wrap of text[start:end] (paragraphs split at newlines) into
    character ranges of at most `width` characters."""
    width = max(width, 10)
    lines: list[tuple[int, int]] = []
    position = start
    for paragraph in text[start:end].split("\n"):
        p_start, p_end = position, position + len(paragraph)
        position = p_end + 1
        if p_end - p_start <= width:  # most turns: no wrapping needed
            lines.append((p_start, p_end))
            continue
        line_start = p_start
        for match in _WORD.finditer(text, p_start, p_end):
            w_start = match.start()
            word_len = len(match.group().rstrip())
            if w_start + word_len - line_start > width and w_start > line_start:
                lines.append((line_start, w_start))
                line_start = w_start
            while w_start + word_len - line_start > width:  # a word longer than the line
                lines.append((line_start, line_start + width))
                line_start += width
        lines.append((line_start, p_end))
    return lines


def blend(colour: str, background: str, amount: float) -> str:
    """`amount` of `colour` over `background`, as #rrggbb."""
    a = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(background[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x * amount + y * (1 - amount)):02x}" for x, y in zip(a, b))


_ACTIONS = {
    "next_turn": "move(1)", "previous_turn": "move(-1)", "extend_down": "extend(1)", "extend_up": "extend(-1)",
    "page_down": "move(10)", "page_up": "move(-10)", "first_turn": "jump(0)", "last_turn": "jump(-1)",
    "select_sentence": "select_sentence(1)", "previous_sentence": "select_sentence(-1)",
    "sentence_more": "sentence_end(1)", "sentence_less": "sentence_end(-1)",
    "word_right": "span_word(1)", "word_left": "span_word(-1)",
    "start_right": "span_start(1)", "start_left": "span_start(-1)",
}


class TranscriptView(ScrollView, can_focus=True):
    """Turns of one transcript with a turn cursor, a turn range and a character selection."""

    BINDINGS = bindings(TRANSCRIPT, _ACTIONS)

    cursor: reactive[int] = reactive(0, always_update=True)

    class CursorMoved(Message):
        def __init__(self, turn: int) -> None:
            self.turn = turn
            super().__init__()

    class SelectionChanged(Message):
        """The words selected inside the cursor turn changed (or were let go)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.text = ""
        self.turns: list[dict] = []
        self.interviewer: list[bool] = []
        self.codings: list[dict] = []
        self.skip_interviewers = True
        self.anchor: int | None = None  # other end of a turn range
        self.span: tuple[int, int] | None = None  # a character selection inside the cursor turn
        self.point: int | None = None  # where in the cursor turn a sentence selection starts (a click, a search hit)
        self.marks: list[tuple[int, int]] = []  # matched words of a suggestion
        self.target: tuple[int, int] | None = None  # where a jump landed (a quote), until the next move
        self._lines: list[Line] = []
        self._first_line: list[int] = []
        self._by_turn: dict[int, list[dict]] = {}
        self._width = 0

    # --- data ------------------------------------------------------------------------

    def load(self, text: str, turns: list[dict], interviewer: list[bool], codings: list[dict]) -> None:
        self.text, self.turns, self.interviewer = text, turns, interviewer
        self.anchor, self.span, self.marks = None, None, []
        self._lines, self._width = [], 0
        self.set_codings(codings)
        self.cursor = 0

    def set_codings(self, codings: list[dict]) -> None:
        self.codings = codings
        self._by_turn = {}
        starts = [t["start"] for t in self.turns]
        import bisect

        for coding in codings:
            first = max(bisect.bisect_right(starts, coding["start"]) - 1, 0)
            last = max(bisect.bisect_left(starts, coding["end"]) - 1, first)
            for turn in range(first, last + 1):
                self._by_turn.setdefault(turn, []).append(coding)
        self.refresh()

    def codings_on(self, turn: int) -> list[dict]:
        return self._by_turn.get(turn, [])

    def is_partial(self, coding: dict, turn: int) -> bool:
        """Does the coding leave words of this turn out?"""
        t = self.turns[turn]
        words = self.text[t["content_start"]:t["end"]]
        first = t["content_start"] + len(words) - len(words.lstrip())
        last = t["end"] - (len(words) - len(words.rstrip()))
        return coding["start"] > first or coding["end"] < last

    def answers(self) -> list[int]:
        """The turns j/k stop on: all of them, or only the respondents' when interviewer turns are skipped."""
        if not self.skip_interviewers or not self.interviewer:
            return list(range(len(self.turns)))
        return [i for i, asked in enumerate(self.interviewer) if not asked] or list(range(len(self.turns)))

    def selected_turns(self) -> range:
        if self.anchor is None:
            return range(self.cursor, self.cursor + 1)
        return range(min(self.anchor, self.cursor), max(self.anchor, self.cursor) + 1)

    def selection(self) -> tuple[int, int]:
        """The characters a code key would code: the span, or the words of the selected turns."""
        if self.span is not None:
            return min(self.span), max(self.span)
        turns = self.selected_turns()
        return self.turns[turns.start]["content_start"], self.turns[turns.stop - 1]["end"]

    def clear_selection(self) -> None:
        changed = self.span is not None
        self.anchor, self.span = None, None
        self.refresh()
        if changed:
            self.post_message(self.SelectionChanged())

    def _set_span(self, span: tuple[int, int] | None) -> None:
        self.span = span
        self.refresh()
        self.post_message(self.SelectionChanged())

    # --- layout ------------------------------------------------------------------------

    def _layout(self) -> None:
        available = self.scrollable_content_region.width
        if available == 0:  # not laid out yet: wrapping now would be wasted
            return
        width = max(available - GUTTER - 1, 10)
        if width == self._width and self._lines:
            return
        self._width = width
        lines: list[Line] = []
        first: list[int] = []
        for i, turn in enumerate(self.turns):
            first.append(len(lines))
            lines.append(Line(i, "header"))
            lines += [Line(i, "text", s, e) for s, e in wrap(self.text, turn["content_start"], turn["end"], width)]
            lines.append(Line(i, "blank"))
        self._lines, self._first_line = lines, first
        self.virtual_size = Size(self.size.width, len(lines))

    def on_resize(self) -> None:
        self._layout()  # wraps again only if the width changed
        # after the refresh: a scroll before the new virtual size is in force is cut back to 0
        # (a transcript opened on turn 36 showed turn 1)
        self.call_after_refresh(self._scroll_to_cursor)

    def watch_cursor(self, turn: int) -> None:
        if not self.turns:
            return
        self._layout()
        self._scroll_to_cursor()
        self.refresh()
        self.post_message(self.CursorMoved(turn))

    def _scroll_to_cursor(self) -> None:
        """Keep the cursor turn on screen, with the question before it when both fit."""
        if not self._first_line or self.size.height == 0:
            return
        top = self._first_line[self.cursor]
        bottom = (self._first_line[self.cursor + 1] - 1) if self.cursor + 1 < len(self.turns) else len(self._lines)
        height = self.size.height
        if self.cursor > 0 and self.interviewer and self.interviewer[self.cursor - 1]:
            question = self._first_line[self.cursor - 1]
            if bottom - question <= height:
                top = question
        y = self.scroll_offset.y
        if top < y:
            self.scroll_to(y=top, animate=False)
        elif bottom > y + height:
            self.scroll_to(y=max(top, bottom - height), animate=False)

    # --- actions ------------------------------------------------------------------------

    def go_to(self, turn: int, *, point: int | None = None) -> None:
        """Put the cursor on a turn (letting go of any selection); `point` is where a sentence selection starts."""
        if self.turns:
            had_span = self.span is not None
            self.anchor, self.span, self.target = None, None, None
            self.point = point
            self.cursor = min(max(turn, 0), len(self.turns) - 1)
            if had_span:
                self.post_message(self.SelectionChanged())

    def action_move(self, delta: int) -> None:
        """To the next (previous) answer; by 10 turns, to the answer nearest 10 turns on."""
        if not self.turns:
            return
        answers = self.answers()
        import bisect

        if abs(delta) == 1:
            i = bisect.bisect_right(answers, self.cursor) if delta > 0 else bisect.bisect_left(answers, self.cursor) - 1
            if 0 <= i < len(answers):
                self.go_to(answers[i])
            return
        goal = min(max(self.cursor + delta, 0), len(self.turns) - 1)
        self.go_to(min(answers, key=lambda a: (abs(a - goal), a)))

    def action_jump(self, turn: int) -> None:
        answers = self.answers()
        if answers:
            self.go_to(answers[turn])

    def action_extend(self, delta: int) -> None:
        if self.turns:
            if self.anchor is None:
                self.anchor = self.cursor
            if self.span is not None:
                self._set_span(None)
            self.cursor = min(max(self.cursor + delta, 0), len(self.turns) - 1)

    # --- selecting words: by sentence, by word ----------------------------------------------

    def sentences(self) -> list[tuple[int, int]]:
        turn = self.turns[self.cursor]
        return sentence_spans(self.text, turn["content_start"], turn["end"])

    def action_select_sentence(self, step: int = 1) -> None:
        """Select the sentence at the point (else the first; with step -1 the last); again, the next
        (step -1: the previous) sentence."""
        if not self.turns:
            return
        sentences = self.sentences()
        if not sentences:
            return
        self.anchor = None
        if self.span is None and self.point is None and step < 0:
            index = len(sentences) - 1  # V without a selection: the last sentence
        elif self.span is None:
            point = self.point if self.point is not None else sentences[0][0]
            index = next((i for i, (s, e) in enumerate(sentences) if point < e), len(sentences) - 1)
        else:
            current = next((i for i, (s, e) in enumerate(sentences) if s <= min(self.span) < e), 0)
            index = min(max(current + step, 0), len(sentences) - 1)
        self._set_span(sentences[index])

    def action_sentence_end(self, delta: int) -> None:
        """Move the selection's end by a sentence (at least its first sentence stays)."""
        if self.span is None:
            self.action_select_sentence()
            return
        start, end = min(self.span), max(self.span)
        ends = [e for _, e in self.sentences()]
        if delta > 0:
            later = [e for e in ends if e > end]
            if later:
                self._set_span((start, later[0]))
        else:
            earlier = [e for e in ends if start < e < end]
            if earlier:
                self._set_span((start, earlier[-1]))

    def action_span_word(self, delta: int) -> None:
        """Move the selection's end word by word (no selection yet: select the first word)."""
        if self.span is None:
            words = self._words(self.turns[self.cursor]) if self.turns else []
            if words and delta > 0:
                self.anchor = None
                self._set_span(words[0])
            return
        words = self._words(self.turns[self.cursor])
        start, end = self.span
        ends = [e for _, e in words]
        index = min(range(len(ends)), key=lambda i: abs(ends[i] - end))
        index = min(max(index + delta, 0), len(ends) - 1)
        if ends[index] > start:
            self._set_span((start, ends[index]))

    def action_span_start(self, delta: int) -> None:
        if self.span is None:
            return
        words = self._words(self.turns[self.cursor])
        starts = [s for s, _ in words]
        start, end = self.span
        index = min(range(len(starts)), key=lambda i: abs(starts[i] - start))
        index = min(max(index + delta, 0), len(starts) - 1)
        if starts[index] < end:
            self._set_span((starts[index], end))

    def _words(self, turn: dict) -> list[tuple[int, int]]:
        return [(m.start(), m.start() + len(m.group().rstrip()))
                for m in _WORD.finditer(self.text, turn["content_start"], turn["end"])]

    def on_click(self, event) -> None:
        line = event.y + self.scroll_offset.y
        if 0 <= line < len(self._lines):
            target = self._lines[line]
            position = None
            if target.kind == "text" and event.x >= GUTTER:
                position = min(target.start + event.x - GUTTER, target.end)
            self.go_to(target.turn, point=position)
            if position is not None:
                self._click_word(position)

    def _click_word(self, position: int) -> None:
        for start, end in self._words(self.turns[self.cursor]):
            if start <= position <= end:
                self._set_span((start, end))
                return

    # --- drawing --------------------------------------------------------------------------------

    def render_lines(self, crop):
        # the widget's own colours, for every cell render_line draws: no cell is left to the
        # terminal's default background (black in a browser's xterm.js and in many terminals,
        # whatever the theme); once per frame, as rich_style walks every ancestor's styles
        self._base_style = self.rich_style
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        self._layout()
        index = y + self.scroll_offset.y
        width = self.size.width
        if index >= len(self._lines):
            return Strip.blank(width, self._base_style)
        line = self._lines[index]
        theme = self.app.current_theme
        background = theme.background or ("#1e1e1e" if theme.dark else "#ffffff")
        accent = theme.accent or theme.primary
        dark = theme.dark
        selected = line.turn in self.selected_turns()
        bar = Segment("▌" if selected else " ", Style(color=accent, bold=True))
        dim = self.interviewer[line.turn] if self.interviewer else False
        base = Style(dim=dim)
        if line.kind == "blank":
            segments = [Segment(" ")]
        elif line.kind == "header":
            segments = [bar] + self._header(line.turn, base, background, dark)
        else:
            segments = [bar, Segment(" " * (GUTTER - 1))] + self._words_of(line, base, background, dark)
        strip = Strip(segments).adjust_cell_length(width)
        if selected and line.kind != "blank":
            strip = strip.apply_style(Style(bgcolor=blend(accent, background, 0.08)))
        return strip.apply_style(self._base_style)

    def _header(self, turn_index: int, base: Style, background: str, dark: bool) -> list[Segment]:
        turn = self.turns[turn_index]
        segments = [Segment(f"{turn_index + 1:>4} ", base + Style(dim=True))]
        segments.append(Segment(turn["speaker"] or "—", base + Style(bold=True)))
        if turn.get("ts_start") is not None:
            segments.append(Segment(f"  {format_timestamp(turn['ts_start'])}", Style(dim=True)))
        seen = []
        for coding in self.codings_on(turn_index):
            partial = self.is_partial(coding, turn_index)
            if (coding["code"], partial) not in seen:
                seen.append((coding["code"], partial))
                label = f" {coding['key'] or '·'} "
                segments.append(Segment(" "))
                if partial:  # only some words: the key in the code's colour, underlined, no block
                    segments.append(Segment(label, Style(color=coding["colour"], bold=True, underline=True)))
                else:
                    segments.append(Segment(label, Style(bgcolor=coding["colour"],
                                                         color="#000000" if dark else "#ffffff", bold=True)))
        return segments

    def _words_of(self, line: Line, base: Style, background: str, dark: bool) -> list[Segment]:
        start, end = line.start, line.end
        styles: list[tuple[int, int, Style]] = []
        for coding in self.codings_on(line.turn):
            s, e = max(coding["start"], start), min(coding["end"], end)
            if s < e:
                styles.append((s, e, Style(bgcolor=blend(coding["colour"], background, 0.35 if dark else 0.3))))
        for s, e in self.marks + ([self.target] if self.target else []):
            s, e = max(s, start), min(e, end)
            if s < e:
                styles.append((s, e, Style(underline=True, bold=True)))
        if self.span is not None and line.turn == self.cursor:
            s, e = max(min(self.span), start), min(max(self.span), end)
            if s < e:
                styles.append((s, e, Style(reverse=True)))
        cuts = sorted({start, end, *(p for s, e, _ in styles for p in (s, e))})
        segments = []
        for a, b in zip(cuts, cuts[1:]):
            style = base
            for s, e, extra in styles:
                if s <= a and b <= e:
                    style = style + extra
            segments.append(Segment(self.text[a:b].replace("\n", " "), style))
        return segments
