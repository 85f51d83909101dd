"""The coding screen: a transcript, the code tree, the current turn's codings, suggestions.

A code's shortcut key codes the selection (the cursor turn, a range of turns
with shift+up/down, or words chosen with `v`); pressing it again on the same
selection removes that coding. Every change is stored at once and can be
undone with `u`.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Key
from textual.widgets import Footer, Label, OptionList, Static
from textual.widgets.option_list import Option

from jhs_qual.tui.screens.base import LiveScreen

from jhs_qual.tui.dialogs import AskText, PickOne, SearchDialog
from jhs_qual.tui.widgets.code_tree import CodeTree
from jhs_qual.tui.widgets.transcript import TranscriptView


class CodingScreen(LiveScreen):
    AUTO_FOCUS = "#transcript"  # focus once, straight away: each focus change rebuilds the footer
    BINDINGS = [
        Binding("u", "undo", "Undo", id="undo"),
        Binding("ctrl+r", "redo", "Redo", show=False, id="redo"),
        Binding("m", "memo", "Memo", id="memo"),
        Binding("backspace,delete", "remove", "Remove", id="remove_coding"),
        Binding("enter", "accept", "Accept", id="accept_suggestion"),
        Binding("x", "reject", "Reject", show=False, id="reject_suggestion"),
        Binding("slash", "search", "Search", id="search"),
        Binding("i", "toggle_definition", "Definition", show=False, id="toggle_definition"),
        Binding("escape", "back", "Back", show=False, id="back"),
    ]

    def __init__(self, transcript_id: int, turn: int = 0, span: tuple[int, int] | None = None) -> None:
        super().__init__()
        self.transcript_id = transcript_id
        self.start_turn = turn
        self.start_span = span
        self.by_key: dict[str, dict] = {}
        self.suggestions: list = []
        self.rejected: set[tuple[int, str]] = set()
        self.highlighted_code: dict | None = None

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
        project = self.app.project
        row = project.db.execute("SELECT name, text FROM transcripts WHERE id = ?", [self.transcript_id]).fetchone()
        self.transcript_name, text = row
        turns = list(project.db.query(
            "SELECT idx, speaker, start, content_start, end, ts_start FROM turns WHERE transcript_id = ?"
            " ORDER BY idx", [self.transcript_id]))
        is_interviewer = project.interviewer_test()
        view = self.query_one(TranscriptView)
        view.load(text, turns, [is_interviewer(t["speaker"]) for t in turns], self._codings())
        codes = project.codes()
        self.by_key = {c["key"]: c for c in codes if c["key"]}
        self.query_one(CodeTree).load(project.codebooks(), codes, project.code_counts(self.app.coder))
        self.sub_title = self.transcript_name
        if self.start_turn:
            view.cursor = min(self.start_turn, len(turns) - 1)
        if self.start_span:
            view.target = self.start_span  # shown, not selected: a key press must not act on it
        self._status(f"{self.transcript_name}: {len(turns)} turns. Code keys code the selection; v selects words; "
                     "u undoes; ? lists every key.")

    def _codings(self) -> list[dict]:
        return self.app.project.transcript_codings(self.transcript_id, self.app.coder)

    def refresh_data(self) -> None:
        """Another change (here or in another window on this project): show it."""
        self.query_one(TranscriptView).set_codings(self._codings())
        self.query_one(CodeTree).update_counts(self.app.project.code_counts(self.app.coder))
        self._show_turn(self.query_one(TranscriptView).cursor)

    def _status(self, message: str) -> None:
        self.query_one("#status", Static).update(message)

    # --- the current turn ------------------------------------------------------------------

    @on(TranscriptView.CursorMoved)
    def _cursor_moved(self, event: TranscriptView.CursorMoved) -> None:
        self._show_turn(event.turn)
        self._suggest(event.turn)

    def _show_turn(self, turn_index: int) -> None:
        view = self.query_one(TranscriptView)
        if not view.turns:
            return
        turn = view.turns[turn_index]
        info = Text()
        info.append(f"Turn {turn_index + 1}/{len(view.turns)} ", style="bold")
        info.append(turn["speaker"] or "")
        for coding in view.codings_on(turn_index):
            info.append("\n")
            info.append(" ● ", style=coding["colour"])
            info.append(coding["label_nl"])
            if coding["origin"] != "manual":
                info.append(f" ({coding['origin']})", style="dim")
            if coding["memo"]:
                info.append(f"\n   memo: {coding['memo']}", style="italic")
        self.query_one("#turn-info", Static).update(info)

    # --- coding -------------------------------------------------------------------------------

    def on_key(self, event: Key) -> None:
        code = self.by_key.get(event.character or "")
        if code is None or not isinstance(self.focused, (TranscriptView, CodeTree, OptionList)):
            return
        event.stop()
        event.prevent_default()
        self.apply_code(code)

    def apply_code(self, code: dict, origin: str = "manual") -> None:
        view = self.query_one(TranscriptView)
        start, end = view.selection()
        ref = f"{code['codebook_id']}/{code['code_id']}"
        existing = next((c for c in view.codings if c["code_id"] == code["id"]
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
        options = [f"{c['label_nl']}  [{c['start']}:{c['end']}]" + (f"  memo: {c['memo']}" if c["memo"] else "")
                   for c in codings]

        def chosen(index: int | None) -> None:
            if index is not None:
                then(codings[index])

        self.app.push_screen(PickOne(f"Which coding to {purpose}?", options), chosen)

    def action_remove(self) -> None:
        def remove(coding: dict) -> None:
            self.app.history.remove_coding(coding["id"], label=f"remove {coding['code']}")
            self._status(f"removed {coding['label_nl']} (u to undo)")
            self.app.changed()

        self._pick_coding("remove", remove)

    def action_memo(self) -> None:
        def ask(coding: dict) -> None:
            def save(memo: str | None) -> None:
                if memo is not None:
                    self.app.history.set_memo(coding["id"], memo, label=f"memo on {coding['code']}")
                    self._status("memo saved (u to undo)")
                    self.app.changed()

            self.app.push_screen(AskText(f"Memo on {coding['label_nl']}", coding["memo"]), save)

        self._pick_coding("write a memo on", ask)

    def action_undo(self) -> None:
        label = self.app.history.undo()
        self._status(f"undone: {label}" if label else "nothing to undo")
        self.app.changed()

    def action_redo(self) -> None:
        label = self.app.history.redo()
        self._status(f"redone: {label}" if label else "nothing to redo")
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

    def _show_definition(self) -> None:
        code = self.highlighted_code
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

    def action_toggle_definition(self) -> None:
        self.query_one("#definition").toggle_class("hidden")
        if self.highlighted_code is None:
            self._status("highlight a code in the tree (tab) to see its definition")

    # --- search ------------------------------------------------------------------------------------

    def action_search(self) -> None:
        def go(hit: dict | None) -> None:
            if hit is None:
                return
            if hit["transcript_id"] == self.transcript_id:
                self.query_one(TranscriptView).cursor = hit["turn"] - 1
            else:
                self.app.open_transcript(hit["transcript_id"], turn=hit["turn"] - 1, replace=True)

        self.app.push_screen(SearchDialog(self.app.project.search_turns), go)

    # --- suggestions ----------------------------------------------------------------------------

    def _suggest(self, turn_index: int) -> None:
        panel = self.query_one("#suggestions", OptionList)
        panel.clear_options()
        self.suggestions = []
        view = self.query_one(TranscriptView)
        view.marks = []
        if not view.turns or view.interviewer[turn_index]:
            return
        if self.app.suggester is None:
            panel.add_option(Option(Text("loading the suggestion engine…", style="dim"), disabled=True))
            self.app.suggestion_sources()  # read here, on the main thread: the worker never touches the database
        self._load_suggestions(turn_index)

    @work(thread=True, exclusive=True, group="suggest")
    def _load_suggestions(self, turn_index: int) -> None:
        view = self.query_one(TranscriptView)
        turn = view.turns[turn_index]
        try:
            suggester = self.app.load_suggester()  # spaCy loads here, on first use, never at startup
            found = suggester(view.text, turn["content_start"], turn["end"])
        except Exception as error:  # no engine is no reason to stop coding
            self.app.call_from_thread(self._status, f"suggestions unavailable: {error}")
            return
        self.app.call_from_thread(self._show_suggestions, turn_index, found)

    def _show_suggestions(self, turn_index: int, found: list) -> None:
        view = self.query_one(TranscriptView)
        if view.cursor != turn_index:
            return
        panel = self.query_one("#suggestions", OptionList)
        panel.clear_options()
        coded = {c["code"] for c in view.codings_on(turn_index)}
        self.suggestions = [s for s in found if (turn_index, s.code) not in self.rejected and s.code not in coded]
        codes = {f"{c['codebook_id']}/{c['code_id']}": c for c in self.by_key.values()}
        for i, suggestion in enumerate(self.suggestions):
            code = codes.get(suggestion.code)
            label = Text()
            label.append(" ● ", style=code["colour"] if code else "")
            label.append(f"[{code['key']}] " if code and code["key"] else "")
            label.append(code["label_nl"] if code else suggestion.code)
            label.append(f"  {suggestion.score:.2f}  ", style="dim")
            label.append(", ".join(sorted({m.term for m in suggestion.matched})), style="italic")
            panel.add_option(Option(label, id=str(i)))
        if not self.suggestions:
            panel.add_option(Option(Text("no suggestion for this turn", style="dim"), disabled=True))
        else:
            panel.highlighted = 0
            view.marks = [(m.start, m.end) for m in self.suggestions[0].matched]
            view.refresh()

    @on(OptionList.OptionHighlighted, "#suggestions")
    def _suggestion_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None and self.suggestions:
            view = self.query_one(TranscriptView)
            view.marks = [(m.start, m.end) for m in self.suggestions[int(event.option.id)].matched]
            view.refresh()

    def _current_suggestion(self):
        panel = self.query_one("#suggestions", OptionList)
        if not self.suggestions or panel.highlighted is None:
            return None
        return self.suggestions[panel.highlighted]

    def action_accept(self) -> None:
        suggestion = self._current_suggestion()
        if suggestion is None:
            self._status("no suggestion to accept")
            return
        code = next((c for c in self.app.project.codes() if f"{c['codebook_id']}/{c['code_id']}" == suggestion.code),
                    None)
        if code is not None:
            self.apply_code(code, origin="suggested")
            self._suggest(self.query_one(TranscriptView).cursor)

    def action_reject(self) -> None:
        suggestion = self._current_suggestion()
        if suggestion is None:
            self._status("no suggestion to reject")
            return
        turn = self.query_one(TranscriptView).cursor
        self.rejected.add((turn, suggestion.code))
        self._status(f"rejected {suggestion.code} for turn {turn + 1}")
        self._suggest(turn)

    def action_quotes(self) -> None:
        """The quote browser for the highlighted code (or the first code on this turn)."""
        code = self.highlighted_code
        if code is None:
            view = self.query_one(TranscriptView)
            on_turn = view.codings_on(view.cursor)
            if on_turn:
                code = next((c for c in self.app.project.codes() if c["id"] == on_turn[0]["code_id"]), None)
        if code is None:
            self._status("highlight a code in the tree first (tab), then F3")
            return
        self.app.show_quotes(code)
