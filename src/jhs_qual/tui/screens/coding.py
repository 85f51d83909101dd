"""The coding screen: a transcript, the codes that apply to it, the current turn's codings, suggestions.

The loop it is built for costs about one key per answer: Enter accepts the
highlighted (top) suggestion and moves to the next answer; `@` and `#` accept
the second and third; a code's key codes the selection (the cursor turn, a
range with shift+up/down, or a sentence or words chosen with v, ], [ and the
arrows), and pressing it again on the same selection removes that coding;
the key with shift (A for a) codes and moves to the next answer;
j/k move between answers, space to the next answer without a coding.
Every change is stored at once and can be undone with `u`.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Label, OptionList, Static

from jhs_qual.domain.models import not_answers
from jhs_qual.keys import CODING, key_name, reserved_keys
from jhs_qual.tui.dialogs import PickOne, SearchDialog
from jhs_qual.tui.keymap import bindings
from jhs_qual.tui.screens.base import LiveScreen, guarded
from jhs_qual.tui.screens.code_edit import CodeEditing
from jhs_qual.tui.screens.listening import Listening
from jhs_qual.tui.screens.suggesting import Suggesting
from jhs_qual.tui.widgets.code_tree import CodeTree
from jhs_qual.tui.widgets.transcript import TranscriptView

_ACTIONS = {"accept_suggestion": "accept", "accept_1": "accept_nth(0)", "accept_2": "accept_nth(1)",
            "accept_3": "accept_nth(2)", "reject_suggestion": "reject", "remove_coding": "remove"}


class CodingScreen(Suggesting, CodeEditing, Listening, LiveScreen):
    AUTO_FOCUS = "#transcript"  # focus once, straight away: each focus change rebuilds the footer
    BINDINGS = bindings(CODING, _ACTIONS)

    def __init__(self, transcript_id: int, turn: int | None = None, span: tuple[int, int] | None = None,
                 find: str = "") -> None:
        super().__init__()
        self.transcript_id = transcript_id
        self.find = find  # words of a search hit in the start turn
        self.start_turn = turn
        self.start_span = span
        self.codebooks: set[str] = set()
        self.codes: list[dict] = []
        self.by_key: dict[str, dict] = {}
        self.suggestions: list = []
        self._found: list = []  # the engine's answer for the turn shown; `suggestions` less rejections
        self._shown_for: int | None = None  # the turn self.suggestions belong to
        self.rejected = None
        self.highlighted_code: dict | None = None
        self._reading_from: int | None = None  # the turn the transcript opened on
        self._reached = 0  # how far this coder has read this transcript, as stored

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield TranscriptView(id="transcript")
            with Vertical(id="sidebar"):
                yield Static("", id="turn-info")
                yield CodeTree(id="codes")
                yield Static("", id="definition", classes="hidden")
                yield Label("Suggestions", classes="panel-title")
                yield OptionList(id="suggestions")
        yield Static("", id="status")
        yield Footer()

    # --- data --------------------------------------------------------------------------

    def on_mount(self) -> None:
        if not self.query(TranscriptView):  # taken off the stack before it was put together: nothing to show
            return
        project = self.app.project
        row = project.transcript_by_id(self.transcript_id)
        self.transcript_name, text = row["name"], row["text"]
        turns = project.transcript_turns(self.transcript_id)
        is_interviewer = project.interviewer_test()
        view = self.query_one(TranscriptView)
        asked = not_answers([t["speaker"] for t in turns], lambda speaker: is_interviewer(speaker, self.transcript_id))
        view.load(text, turns, asked, self._codings())
        self.codebooks = project.codebooks_for(self.transcript_id)
        self.rejected = project.rejections(self.app.coder, self.transcript_id)
        self._reached = project.reached(self.app.coder, self.transcript_id).get(self.transcript_id, (0, False))[0]
        self.load_codes()
        self.sub_title = self.transcript_name
        if self.start_turn is not None:
            view.go_to(min(self.start_turn, len(turns) - 1))
        else:
            view.go_to(self.first_uncoded(-1, wrap=True) or 0)
        if self.find and self.start_turn is not None:
            self.go_to_words(min(self.start_turn, len(turns) - 1), self.find)
        self._reading_from = view.cursor
        if self.start_span:
            view.target = self.start_span  # shown, not selected: a key press must not act on it
            view.point = self.start_span[0]
        answers = sum(1 for asked in view.interviewer if not asked)
        if not self.codes:  # said last, so that the opening line does not hide it
            self._status(self.NO_CODEBOOK)
            return
        self._status(f"{self.transcript_name}: {answers} answers of {len(turns)} turns. Enter accepts the top "
                     "suggestion and moves on; a code's key codes; v selects a sentence; ? lists every key.")

    NO_CODEBOOK = ("No codebook applies to this transcript, so there are no codes to choose: give it the "
                   "attributes a codebook is for (e key on the transcript list), or widen a codebook's scope "
                   "('jhs-qual codebook scope CODEBOOK --all').")

    def load_codes(self) -> None:
        """The codes of the codebooks that apply to this transcript, their keys bound on this screen."""
        project = self.app.project
        self.codes = [c for c in project.codes() if c["codebook_id"] in self.codebooks]
        keys: dict[str, list[dict]] = {}
        for code in self.codes:
            if code["key"]:
                keys.setdefault(code["key"], []).append(code)
        self.by_key = {key: found[0] for key, found in keys.items() if len(found) == 1 and found[0].get("codable", 1)}
        clashes = [f"'{k}' ({', '.join(c['code_id'] for c in found)})" for k, found in keys.items() if len(found) > 1]
        # Textual has no public way to bind keys at run time: its binding map is replaced here, for the
        # version pinned in pyproject.toml; tests/test_tui.py fails loudly if those names change.
        self._bindings = type(self)._merged_bindings.copy()  # the codes' keys bound afresh: they may have changed
        taken = set(reserved_keys(self.app.remap())) | set(self.by_key)
        for key, code in self.by_key.items():
            self._bindings.bind(key_name(key) if not key.isalnum() else key, f"code({code['id']})",
                                f"Code: {code['label_nl']}", show=False)
            if key.isalpha() and key.islower() and key.upper() not in taken:  # shift: code and go on
                self._bindings.bind(key.upper(), f"code({code['id']}, True)",
                                    f"Code: {code['label_nl']}, next answer", show=False)
        self.refresh_bindings()
        books = [b for b in project.codebooks() if b["id"] in self.codebooks]
        self._elsewhere = None  # a code merged or its merge undone moves codings in other transcripts too
        self.query_one(CodeTree).load(books, self.codes, *self._counts())
        if clashes:
            self._status("keys shared by codebooks that both apply here are off: " + ", ".join(clashes)
                         + "; set the transcript's attributes or the codebooks' scopes")
        if not self.codes:
            self._status(self.NO_CODEBOOK)

    _elsewhere: tuple[int, dict[int, int]] | None = None  # (data version, this coder's counts in other transcripts)

    def _counts(self) -> tuple[dict[int, int], dict[int, int]]:
        """This coder's codings per code in this transcript, and in the project. The project's
        are counted once (over hundreds of thousands of codings at 5,000 transcripts) and then
        follow this transcript's, until another window commits (the data version changes)."""
        project, coder = self.app.project, self.app.coder
        here = project.code_counts(coder, self.transcript_id)
        version = project.data_version()
        if self._elsewhere is None or self._elsewhere[0] != version:
            total = project.code_counts(coder)
            self._elsewhere = (version, {code: n - here.get(code, 0) for code, n in total.items()})
        elsewhere = self._elsewhere[1]
        return here, {code: elsewhere.get(code, 0) + here.get(code, 0) for code in set(elsewhere) | set(here)}

    def _codings(self) -> list[dict]:
        return self.app.project.transcript_codings(self.transcript_id, self.app.coder)

    def refresh_data(self) -> None:
        """Another change (here or in another window on this project): show it."""
        view = self.query_one(TranscriptView)
        view.set_codings(self._codings())
        self.rejected = self.app.project.rejections(self.app.coder, self.transcript_id)
        self.query_one(CodeTree).update_counts(*self._counts())
        self._show_turn(view.cursor)
        if self._shown_for == view.cursor and not view.interviewer[view.cursor]:
            self._render_suggestions()
        else:
            self._suggest(view.cursor)

    def _status(self, message: str) -> None:
        self.query_one("#status", Static).update(message)

    # --- the current turn ------------------------------------------------------------------

    @on(TranscriptView.CursorMoved)
    def _cursor_moved(self, event: TranscriptView.CursorMoved) -> None:
        self._note_reached(event.turn)
        self._show_turn(event.turn)
        self._suggest(event.turn)

    def _note_reached(self, turn_index: int) -> None:
        """Moving on from a turn means it was read: the project keeps how far this coder read
        (compare counts only what both coders reached). The turns before the one the transcript
        opened on were not read here."""
        view = self.query_one(TranscriptView)
        if self._reading_from is None or turn_index - 1 < self._reading_from or not view.turns:
            return
        offset = view.turns[turn_index - 1]["end"]
        if offset > self._reached:
            self._reached = offset
            self.app.project.mark_reached(self.transcript_id, self.app.coder, offset)

    def action_mark_finished(self) -> None:
        project, coder, tid = self.app.project, self.app.coder, self.transcript_id
        finished = not project.reached(coder, tid).get(tid, (0, False))[1]
        self.app.history.change(f"{'mark' if finished else 'unmark'} {self.transcript_name} finished",
                                lambda: project.set_finished(tid, coder, finished),
                                lambda _: project.set_finished(tid, coder, not finished))
        self._status(f"{self.transcript_name} marked finished: comparisons count all of it (f8 again: not)"
                     if finished else f"{self.transcript_name} no longer marked finished")
        self.app.changed()

    def _show_turn(self, turn_index: int) -> None:
        view = self.query_one(TranscriptView)
        if not view.turns:
            return
        turn = view.turns[turn_index]
        info = Text()
        info.append(f"Turn {turn_index + 1}/{len(view.turns)} ", style="bold")
        info.append(turn["speaker"] or "")
        if view.interviewer[turn_index]:
            info.append(" (interviewer)" if turn["speaker"] else "(heading: before the first speaker, no answer)",
                        style="dim")
        for coding in view.codings_on(turn_index):
            partial = view.is_partial(coding, turn_index)
            info.append("\n")
            info.append(" ◐ " if partial else " ● ", style=coding["colour"])
            info.append(coding["label_nl"])
            if partial:
                words = " ".join(view.text[coding["start"]:coding["end"]].split())
                info.append(f"  “{words[:40]}{'…' if len(words) > 40 else ''}”", style="dim")
            if coding["origin"] != "manual":
                info.append(f" ({coding['origin']})", style="dim")
            if coding["memo"]:
                info.append(f"\n   memo: {coding['memo']}", style="italic")
        memo = self.app.project.memo_on(self.app.coder, transcript_id=self.transcript_id,
                                        span=(turn["content_start"], turn["end"]))
        if memo:
            info.append(f"\n ✎ {memo['text']}", style="italic")
        self.query_one("#turn-info", Static).update(info)

    def first_uncoded(self, after: int, *, wrap: bool = False) -> int | None:
        """The first answer after turn `after` without a coding of this coder's (from the top again with wrap)."""
        view = self.query_one(TranscriptView)
        answers = [i for i, asked in enumerate(view.interviewer) if not asked]
        later = [i for i in answers if i > after] + ([i for i in answers if i <= after] if wrap else [])
        return next((i for i in later if not view.codings_on(i)), None)

    @guarded
    def action_next_uncoded(self) -> None:
        view = self.query_one(TranscriptView)
        found = self.first_uncoded(view.cursor, wrap=True)
        if found is None:
            self._status("every answer has a coding of yours")
            return
        view.go_to(found)

    def action_toggle_interviewers(self) -> None:
        view = self.query_one(TranscriptView)
        view.skip_interviewers = not view.skip_interviewers
        self._status("j/k stop on interviewer turns too" if not view.skip_interviewers
                     else "j/k go from answer to answer (interviewer turns passed over)")

    def advance(self) -> None:
        view = self.query_one(TranscriptView)
        before = view.cursor
        view.action_move(1)
        if view.cursor == before:
            left = self.first_uncoded(-1, wrap=True)
            self._status("that was the last answer" + (f"; turn {left + 1} has no coding yet (space goes there)"
                                                       if left is not None else "; every answer is coded"))

    # --- coding -------------------------------------------------------------------------------

    @guarded
    def action_code(self, code_row_id: int, then_next: bool = False) -> None:
        code = next((c for c in self.codes if c["id"] == code_row_id), None)
        if code is not None:
            self.apply_code(code)
            if then_next:
                self.advance()

    @guarded
    @on(CodeTree.CodeChosen)
    def _code_chosen(self, event: CodeTree.CodeChosen) -> None:
        self.apply_code(event.code)

    def apply_code(self, code: dict, origin: str = "manual") -> None:
        view = self.query_one(TranscriptView)
        start, end = view.selection()
        ref = f"{code['codebook_id']}/{code['code_id']}"
        existing = next((c for c in view.codings if c["code_row_id"] == code["id"]
                         and c["start"] == start and c["end"] == end), None)
        where = self._where(view)
        if existing is not None and origin == "manual":
            self.app.history.remove_coding(existing["id"], label=f"remove {ref} from {where}")
            self._status(f"removed {code['label_nl']} from {where} (u to undo)")
        else:
            self.app.history.add_coding(self.transcript_id, code["id"], self.app.coder, start, end,
                                        label=f"{ref} on {where}", origin=origin)
            self._status(f"coded {where} as {code['label_nl']} (u to undo)")
        view.clear_selection()
        self.app.changed()

    @staticmethod
    def _where(view: TranscriptView) -> str:
        turns = view.selected_turns()
        if view.span is not None:
            return f"words in turn {view.cursor + 1}"
        if len(turns) > 1:
            return f"turns {turns.start + 1}-{turns.stop}"
        return f"turn {view.cursor + 1}"

    def _pick_coding(self, purpose: str, then) -> None:
        view = self.query_one(TranscriptView)
        codings = view.codings_on(view.cursor)
        if not codings:
            self._status(f"no coding of yours on turn {view.cursor + 1} to {purpose}")
            return
        if len(codings) == 1:
            then(codings[0])
            return

        def chosen(index: int | None) -> None:
            if index is not None:
                then(codings[index])

        self.app.push_screen(PickOne(f"Which coding to {purpose}?", [self.describe(c) for c in codings]), chosen)

    def describe(self, coding: dict) -> str:
        """A coding for people: its code and the words it covers."""
        words = " ".join(self.query_one(TranscriptView).text[coding["start"]:coding["end"]].split())
        text = f"{coding['label_nl']}: “{words[:60]}{'…' if len(words) > 60 else ''}”"
        return text + (f"  memo: {coding['memo']}" if coding["memo"] else "")

    @guarded
    def action_remove(self) -> None:
        def remove(coding: dict) -> None:
            self.app.history.remove_coding(coding["id"], label=f"remove {coding['code']}")
            self._status(f"removed {coding['label_nl']} (u to undo)")
            self.app.changed()

        self._pick_coding("remove", remove)

    @guarded
    def action_undo(self) -> None:
        from jhs_qual.tui.history import CannotUndo

        try:
            label = self.app.history.undo()
        except CannotUndo as refusal:
            self._status(str(refusal))
            return
        self._status(f"undone: {label}" if label else "nothing to undo")
        self._after_history()

    @guarded
    def action_redo(self) -> None:
        label = self.app.history.redo()
        self._status(f"redone: {label}" if label else "nothing to redo")
        self._after_history()

    def _after_history(self) -> None:
        self.app.codes_changed()
        self.load_codes()
        self.app.changed()

    def action_back(self) -> None:
        view = self.query_one(TranscriptView)
        if view.span is not None or view.anchor is not None:
            view.clear_selection()
            return
        self.app.pop_screen()

    # --- codes: definition and quotes ------------------------------------------------------------

    @on(CodeTree.CodeHighlighted)
    def _code_highlighted(self, event: CodeTree.CodeHighlighted) -> None:
        self.highlighted_code = event.code
        self._show_definition()

    def _definition_code(self) -> dict | None:
        """The code whose definition `i` shows: the one highlighted in the list, else the highlighted
        suggestion's, else the first coding's on the cursor turn."""
        if self.highlighted_code is not None:
            return self.highlighted_code
        index = self._highlighted()
        if index is not None:
            ref = self.suggestions[index].code
            return next((c for c in self.codes if f"{c['codebook_id']}/{c['code_id']}" == ref), None)
        return self.code_on_turn()

    def _show_definition(self) -> None:
        code = self._definition_code()
        panel = self.query_one("#definition", Static)
        if code is None:
            panel.update("")
            return
        text = Text()
        text.append(f"{code['label_nl']} / {code['label_en']}\n", style="bold")
        for title, key in (("", "definition"), ("Use when: ", "use_when"), ("Not when: ", "do_not_use_when")):
            if code[key]:
                text.append(title, style="bold")
                text.append(code[key] + "\n")
        panel.update(text)

    def _follow_definition(self) -> None:
        """The definition shown follows the suggestions while no code is highlighted in the list."""
        if self.highlighted_code is None and not self.query_one("#definition").has_class("hidden"):
            self._show_definition()

    def action_toggle_definition(self) -> None:
        panel = self.query_one("#definition")
        panel.toggle_class("hidden")
        if panel.has_class("hidden"):
            return
        self._show_definition()
        if self._definition_code() is None:
            self._status("no code to define here: highlight one in the list (tab), or move to a suggestion")

    def code_on_turn(self) -> dict | None:
        view = self.query_one(TranscriptView)
        on_turn = view.codings_on(view.cursor)
        return next((c for c in self.codes if on_turn and c["id"] == on_turn[0]["code_row_id"]), None)

    # --- search ------------------------------------------------------------------------------------

    def action_search(self) -> None:
        def search(query: str) -> list[dict]:  # this transcript's hits first
            hits = self.app.project.search_turns(query)
            return sorted(hits, key=lambda h: h["transcript_id"] != self.transcript_id)

        def go(hit: dict | None) -> None:
            if hit is None:
                return
            words = hit["snippet"].split("\x02", 1)[1].split("\x03", 1)[0] if "\x02" in hit["snippet"] else ""
            if hit["transcript_id"] != self.transcript_id:
                self.app.open_transcript(hit["transcript_id"], turn=hit["turn"] - 1, find=words)
                return
            self.go_to_words(hit["turn"] - 1, words)

        self.app.push_screen(SearchDialog(search), go)

    def go_to_words(self, turn_index: int, words: str) -> None:
        """To a turn, with the point (where v selects a sentence) on the words found there."""
        view = self.query_one(TranscriptView)
        turn = view.turns[turn_index]
        found = view.text.lower().find(words.lower(), turn["content_start"], turn["end"]) if words else -1
        view.go_to(turn_index, point=found if found >= 0 else None)
        self._status(f"turn {turn_index + 1}: v selects the sentence with '{words}'" if found >= 0
                     else f"turn {turn_index + 1}")
