"""The suggestions of the coding screen (a mixin of `CodingScreen`).

The engine ranks the codes for the answer under the cursor, in a worker; the panel shows
them with their evidence, the first three with the key that accepts them (Enter, @, #).
Nothing is applied before it is on screen (`_ready`): a key pressed while they are on their
way says so and does nothing. `x` rejects the highlighted one for this answer.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from jhs_qual.tui.screens.base import guarded
from jhs_qual.tui.widgets.transcript import TranscriptView

ACCEPT_LABELS = ("⏎", "@", "#")  # shown before the first three suggestions


class Suggesting:
    def _suggest(self, turn_index: int) -> None:
        panel = self.query_one("#suggestions", OptionList)
        panel.clear_options()
        self.suggestions, self._shown_for = [], None
        view = self.query_one(TranscriptView)
        view.marks = []
        self._follow_definition()
        if not view.turns or view.interviewer[turn_index]:
            self._shown_for = turn_index
            return
        if self.app.engine_layer() in ("none", "loading"):
            panel.add_option(Option(Text("loading the suggestion engine… (Enter waits for it)", style="dim"),
                                    disabled=True))
            self.app.request_engine()  # spaCy loads in a worker, on first use, never at startup
            return
        from jhs_qual.domain.models import previous_codes

        previous = previous_codes(lambda i: {c["code"] for c in view.codings_on(i)}, view.interviewer, turn_index)
        self._load_suggestions(turn_index, previous)

    def on_jhs_app_engine_ready(self, event) -> None:
        """The engine came (keywords first), or the semantic layer refined it: the cursor turn's
        suggestions are found again and the change is said (never a silent reorder)."""
        view = self.query_one(TranscriptView)
        if not view.turns:
            return
        refined = event.layer == "meaning" and self._shown_for == view.cursor
        self._suggest(view.cursor)
        if refined:
            self._status("suggestions refined by meaning (the semantic layer has loaded)")

    def _find(self, turn_index: int, previous: frozenset[str] | None) -> list | None:
        from jhs_qual.domain.models import question_before

        view = self.query_one(TranscriptView)
        turn = view.turns[turn_index]
        asked = question_before(view.interviewer, turn_index)
        question = (view.turns[asked]["content_start"], view.turns[asked]["end"]) if asked is not None else None
        return self.app.suggest_for(view.text, turn["content_start"], turn["end"], self.codebooks, question, previous)

    @work(thread=True, exclusive=True, group="suggest")
    def _load_suggestions(self, turn_index: int, previous: frozenset[str] | None) -> None:
        try:
            found = self._find(turn_index, previous)
        except Exception as error:  # no engine is no reason to stop coding
            self.app.call_from_thread(self._status, f"suggestions unavailable: {error}")
            return
        if found is not None:
            self.app.call_from_thread(self._show_suggestions, turn_index, found)

    def _show_suggestions(self, turn_index: int, found: list) -> None:
        view = self.query_one(TranscriptView)
        if view.cursor != turn_index or self._shown_for == turn_index:
            return
        self._shown_for = turn_index
        self._found = found
        self._render_suggestions()
        self.app.request_semantic()  # the first suggestions are on screen: now the meaning may refine them

    def _render_suggestions(self) -> None:
        """The cursor turn's suggestions in the order they first came: accepted ones stay (ticked),
        so the second is still @ after the first is taken, and what was learned from this turn's
        codings re-ranks the next turns, not this one. Rejected ones go."""
        view = self.query_one(TranscriptView)
        turn_index = view.cursor
        panel = self.query_one("#suggestions", OptionList)
        panel.clear_options()
        turn = view.turns[turn_index]
        codes = {f"{c['codebook_id']}/{c['code_id']}": c for c in self.codes}
        self.suggestions = [s for s in self._found if s.code in codes and not self.rejected.covers(
            self.transcript_id, codes[s.code]["id"], turn["content_start"], turn["end"])]
        coded = self._coded(turn_index)
        for i, suggestion in enumerate(self.suggestions):
            code = codes[suggestion.code]
            label = Text()
            if suggestion.code in coded:
                label.append("✓ ", style="bold green")
            else:
                label.append(f"{ACCEPT_LABELS[i]} " if i < len(ACCEPT_LABELS) else "  ", style="bold")
            if i and suggestion.rank and suggestion.rank == self.suggestions[i - 1].rank:
                label.append("= ", style="dim")  # a tie with the one above: their order means nothing
            label.append("● ", style=code["colour"])
            label.append(code["label_nl"])
            label.append(f" [{code['key']}]" if code["key"] else "", style="bold")
            label.append(f"  {suggestion.score:.2f}  ", style="dim")
            label.append(suggestion.evidence(), style="italic")
            panel.add_option(Option(label, id=str(i)))
        if not self.suggestions:
            panel.add_option(Option(Text("no suggestion: Enter moves on", style="dim"), disabled=True))
        else:
            first = next((i for i, s in enumerate(self.suggestions) if s.code not in coded), 0)
            panel.highlighted = first
            view.marks = [(m.start, m.end) for m in self.suggestions[first].matched]
            view.refresh()

    def _coded(self, turn_index: int) -> set[str]:
        """The codes this coder has on the whole turn (a part of it does not count as done)."""
        view = self.query_one(TranscriptView)
        return {c["code"] for c in view.codings_on(turn_index) if not view.is_partial(c, turn_index)}

    def _ready(self) -> bool:
        """The suggestions of the cursor turn are on screen. If not (the engine is loading, or
        they are on their way), a key that would act on them does nothing and says so: Enter
        never applies a suggestion the researcher has not seen."""
        view = self.query_one(TranscriptView)
        if self._shown_for == view.cursor or view.interviewer[view.cursor]:
            return True
        self._status("the suggestions for this answer are not on screen yet: nothing applied")
        return False

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "suggestions" and event.option.id is not None and self.suggestions:
            view = self.query_one(TranscriptView)
            view.marks = [(m.start, m.end) for m in self.suggestions[int(event.option.id)].matched]
            view.refresh()
            self._follow_definition()

    @guarded
    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on an item of the list: accept that one and move on."""
        if event.option_list.id != "suggestions":
            return
        self._accept(int(event.option.id))
        self.advance()
        self.query_one(TranscriptView).focus()

    def _highlighted(self) -> int | None:
        panel = self.query_one("#suggestions", OptionList)
        if not self.suggestions:
            return None
        return panel.highlighted if panel.highlighted is not None else 0

    def _accept(self, index: int) -> bool:
        if not 0 <= index < len(self.suggestions):
            return False
        suggestion = self.suggestions[index]
        view = self.query_one(TranscriptView)
        if suggestion.code in self._coded(view.cursor) and view.span is None and view.anchor is None:
            return True  # taken already (✓): nothing to add
        code = next(c for c in self.codes if f"{c['codebook_id']}/{c['code_id']}" == suggestion.code)
        self.apply_code(code, origin="suggested")
        return True

    @guarded
    def action_accept(self) -> None:
        """Accept the highlighted suggestion (the top one) and move to the next answer."""
        if not self._ready():
            return
        index = self._highlighted()
        if index is not None:
            self._accept(index)
        self.advance()

    @guarded
    def action_accept_nth(self, index: int) -> None:
        """Accept the first, second or third suggestion and stay on the turn."""
        if self._ready() and not self._accept(index):
            self._status(f"no suggestion number {index + 1} here")

    @guarded
    def action_reject(self) -> None:
        if not self._ready():
            return
        index = self._highlighted()
        if index is None:
            self._status("no suggestion to reject")
            return
        suggestion = self.suggestions[index]
        view = self.query_one(TranscriptView)
        turn = view.turns[view.cursor]
        code = next(c for c in self.codes if f"{c['codebook_id']}/{c['code_id']}" == suggestion.code)
        self.app.history.reject(self.transcript_id, code["id"], self.app.coder, turn["content_start"], turn["end"],
                                label=f"reject {suggestion.code} for turn {view.cursor + 1}")
        self._status(f"rejected {code['label_nl']} for turn {view.cursor + 1} (u to undo)")
        self.app.changed()
