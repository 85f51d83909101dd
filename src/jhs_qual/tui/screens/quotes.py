"""The quote browser: every coded segment of one code across the project, with attribution."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from jhs_qual.tui.screens.base import LiveScreen


class QuotesScreen(LiveScreen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("a", "toggle_all", "All coders / me", id="all_coders"),
    ]

    def __init__(self, code: dict) -> None:
        super().__init__()
        self.code = code
        self.all_coders = False
        self.quotes: list[dict] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="quotes-title", classes="title")
        yield OptionList(id="quotes")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_data()
        self.query_one(OptionList).focus()

    def refresh_data(self) -> None:
        coder = None if self.all_coders else self.app.coder
        self.quotes = self.app.project.quotes(self.code["id"], coder)
        who = "all coders" if self.all_coders else self.app.coder
        self.query_one("#quotes-title", Static).update(
            f"{self.code['label_nl']} / {self.code['label_en']} · {len(self.quotes)} segment(s) by {who}")
        quotes = self.query_one(OptionList)
        quotes.clear_options()
        for i, q in enumerate(self.quotes):
            attribution = ", ".join(v for k, v in q["attributes"].items() if k in ("role", "school_type", "school"))
            text = Text()
            text.append(f"{q['transcript']} turn {q['turn']} · {q['speaker'] or ''} · {attribution}", style="bold")
            if self.all_coders:
                text.append(f" · {q['coder']}", style="dim")
            text.append("\n" + " ".join(q["text"].split()))
            if q["memo"]:
                text.append(f"\nmemo: {q['memo']}", style="italic dim")
            quotes.add_option(Option(text, id=str(i)))
        if self.quotes:
            quotes.highlighted = 0
        else:
            quotes.add_option(Option(Text("no segments yet", style="dim"), disabled=True))

    def action_toggle_all(self) -> None:
        self.all_coders = not self.all_coders
        self.refresh_data()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        q = self.quotes[int(event.option.id)]
        self.app.open_transcript(q["transcript_id"], turn=q["turn"] - 1, span=(q["start"], q["end"]), replace=True)
