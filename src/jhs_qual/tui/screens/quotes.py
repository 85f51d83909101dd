"""The quote browser (F3): every coded segment of one code across the project, with
attribution, the memos on the code and on the quoted turns; filtered by attribute
(`role=leraar`) and by coder."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from jhs_qual.keys import QUOTES
from jhs_qual.tui.dialogs import PickOne
from jhs_qual.tui.filters import parse_filter
from jhs_qual.tui.keymap import bindings
from jhs_qual.tui.screens.base import LiveScreen


class QuotesScreen(LiveScreen):
    BINDINGS = bindings(QUOTES, {"quote_coders": "next_coder", "quote_filter": "filter"})

    def __init__(self) -> None:
        super().__init__()
        self.code: dict | None = None
        self.coder_choice = 0  # 0: me, 1: all coders, 2...: each other coder
        self.quotes: list[dict] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="quotes-title", classes="title")
        yield Input(placeholder="filter: role=leraar school_type=PO, or any word", id="quote-filter")
        yield Static("", id="code-memos")
        yield OptionList(id="quotes")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_data()
        self.query_one("#quotes", OptionList).focus()
        if self.code is None:
            self.call_after_refresh(self.action_choose_code)

    def show_code(self, code: dict) -> None:
        self.code = code
        if self.is_mounted:  # else on_mount shows it
            self.refresh_data()

    def _coders(self) -> list[str | None]:
        others = [name for name in self.app.project.coder_names() if name != self.app.coder]
        return [self.app.coder, None, *others]

    def refresh_data(self) -> None:
        title = self.query_one("#quotes-title", Static)
        quotes = self.query_one("#quotes", OptionList)
        quotes.clear_options()
        if self.code is None:
            title.update("Quotes: choose a code (c)")
            self.quotes = []
            return
        coders = self._coders()
        coder = coders[self.coder_choice % len(coders)]
        query = parse_filter(self.query_one("#quote-filter", Input).value)
        project = self.app.project
        every = project.quotes(self.code["id"], coder)
        self.quotes = [q for q in every if query.matches(q["transcript"], q["attributes"])]
        who = coder or "all coders"
        shown = f"{len(self.quotes)} of {len(every)}" if len(self.quotes) != len(every) else f"{len(every)}"
        title.update(f"{self.code['label_nl']} / {self.code['label_en']} · {shown} segment(s) by {who}"
                     "   (c code, a coder, f filter)")
        memos = project.memos(coder, code_row_id=self.code["id"])
        self.query_one("#code-memos", Static).update(
            Text("\n".join(f"✎ {m['coder']}: {m['text']}" for m in memos), style="italic"))
        turn_memos = {(m["transcript_id"], m["start"]): m["text"] for m in project.memos(coder) if m["start"] is not None}
        starts = self._turn_starts({q["transcript_id"] for q in self.quotes})
        for i, q in enumerate(self.quotes):
            attribution = ", ".join(v for k, v in q["attributes"].items() if k in ("role", "school_type", "school"))
            text = Text()
            text.append(f"{q['transcript']} turn {q['turn']} · {q['speaker'] or ''} · {attribution}", style="bold")
            if coder is None:
                text.append(f" · {q['coder']}", style="dim")
            text.append("\n" + " ".join(q["text"].split()))
            if q["memo"]:
                text.append(f"\nmemo: {q['memo']}", style="italic dim")
            turn_start = starts.get((q["transcript_id"], q["turn"]))
            if (q["transcript_id"], turn_start) in turn_memos:
                text.append(f"\n✎ turn: {turn_memos[q['transcript_id'], turn_start]}", style="italic dim")
            quotes.add_option(Option(text, id=str(i)))
        if self.quotes:
            quotes.highlighted = 0
        else:
            note = "no segments match the filter" if every else "no segments yet"
            quotes.add_option(Option(Text(note, style="dim"), disabled=True))

    def _turn_starts(self, transcript_ids: set[int]) -> dict[tuple[int, int], int]:
        """(transcript, turn number) -> the turn's content_start: where a turn memo is anchored."""
        return {(tid, number): turn[2] for tid, turns in self.app.project.turn_positions(transcript_ids).items()
                for number, turn in enumerate(turns, start=1)}

    def action_choose_code(self) -> None:
        codes = self.app.project.codes()

        def chosen(index: int | None) -> None:
            if index is not None:
                self.show_code(codes[index])

        self.app.push_screen(PickOne("Quotes of which code?", [f"{c['label_nl']}  ({c['codebook_id']})"
                                                               for c in codes]), chosen)

    def action_next_coder(self) -> None:
        self.coder_choice = (self.coder_choice + 1) % len(self._coders())
        self.refresh_data()

    def action_filter(self) -> None:
        self.query_one("#quote-filter", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.refresh_data()

    def on_input_submitted(self) -> None:
        self.query_one("#quotes", OptionList).focus()

    def action_back(self) -> None:
        if self.focused is self.query_one("#quote-filter", Input):
            self.query_one("#quotes", OptionList).focus()
            return
        self.app.action_back()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        q = self.quotes[int(event.option.id)]
        self.app.open_transcript(q["transcript_id"], turn=q["turn"] - 1, span=(q["start"], q["end"]))
