"""Full-text search over every turn of every transcript (SQLite FTS5)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from jhs_qual.keys import SEARCH
from jhs_qual.tui.keymap import bindings


class SearchDialog(ModalScreen[dict | None]):
    """Type to search; Down to the results; Enter jumps to the turn."""

    BINDINGS = bindings(SEARCH, {"to_results": "results"})

    def __init__(self, search) -> None:
        super().__init__()
        self.search = search  # query -> list of hits
        self.hits: list[dict] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("Search all transcripts", classes="dialog-title")
            yield Input(placeholder="words to find (the last may be the start of a word)", id="query")
            yield OptionList(id="hits")
            yield Label("", id="search-count", classes="dialog-help")

    def on_input_changed(self, event: Input.Changed) -> None:
        self.hits = self.search(event.value)
        hits = self.query_one("#hits", OptionList)
        hits.clear_options()
        for i, hit in enumerate(self.hits):
            line = Text()
            line.append(f"{hit['transcript']} ", style="bold")
            line.append(f"turn {hit['turn']} {hit['speaker'] or ''}: ", style="dim")
            line.append_text(_marked(hit["snippet"]))
            hits.add_option(Option(line, id=str(i)))
        count = len(self.hits)
        self.query_one("#search-count", Label).update(
            f"{count}{'+' if count >= 200 else ''} turn(s)   Down: results   Enter: go   Escape: close"
            if event.value.strip() else "")

    def on_input_submitted(self) -> None:
        self.action_results()

    def action_results(self) -> None:
        hits = self.query_one("#hits", OptionList)
        if self.hits:
            hits.focus()
            hits.highlighted = hits.highlighted or 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.hits[int(event.option.id)])

    def action_cancel(self) -> None:
        self.dismiss(None)


def _marked(snippet: str) -> Text:
    """The snippet marks hits with \x02 ... \x03: show them bold."""
    text = Text()
    inside = False
    for part in snippet.replace("\x03", "\x02").split("\x02"):
        text.append(part, style="bold reverse" if inside else "")
        inside = not inside
    return text
