"""The comparison screen: settle the disagreements of a consensus, item by item."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from jhs_qual.tui.screens.base import LiveScreen

from jhs_qual.errors import JhsError
from jhs_qual.tui.dialogs import AskText


class CompareScreen(LiveScreen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("a", "settle('a')", "Take A", id="take_a"),
        Binding("b", "settle('b')", "Take B", id="take_b"),
        Binding("o", "settle('both')", "Both", id="take_both"),
        Binding("n", "settle('neither')", "Neither", id="take_neither"),
        Binding("ctrl+b", "build", "Build consensus", id="build_consensus"),
        Binding("c", "next_consensus", "Next consensus", id="next_consensus"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self.current = 0
        self.items: list[dict] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="compare-title", classes="title")
        with Horizontal():
            yield OptionList(id="items")
            yield Static("", id="item-detail")
        yield Static("", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_data()
        self.query_one(OptionList).focus()

    def refresh_data(self) -> None:
        project = self.app.project
        self.names = [r[0] for r in project.db.execute(
            "SELECT DISTINCT c.name FROM consensus_items i JOIN coders c ON c.id = i.consensus_coder_id ORDER BY 1")]
        items = self.query_one(OptionList)
        keep = items.highlighted
        items.clear_options()
        title = self.query_one("#compare-title", Static)
        if not self.names:
            self.items = []
            title.update("No consensus yet. Ctrl+B builds one from two coders' codings.")
            return
        into = self.names[self.current % len(self.names)]
        self.items = project.consensus_items(into, include_settled=True)
        self.items.sort(key=lambda i: (i["decision"] is not None, i["transcript"], i["id"]))
        open_count = sum(1 for i in self.items if i["decision"] is None)
        pair = f"{self.items[0]['coder_a']} (A) and {self.items[0]['coder_b']} (B)" if self.items else ""
        title.update(f"Consensus '{into}' of {pair}: {open_count} open, {len(self.items) - open_count} settled"
                     "   a: take A  b: take B  o: both  n: neither")
        for item in self.items:
            label = Text(f"#{item['id']} {item['transcript']} {item['code']}",
                         style="dim" if item["decision"] else "bold")
            if item["decision"]:
                label.append(f"  [{item['decision']}]")
            items.add_option(Option(label, id=str(item["id"])))
        if self.items:
            items.highlighted = min(keep or 0, len(self.items) - 1)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        item = self._item()
        if item is None:
            return
        text = self.app.project.db.execute("SELECT text FROM transcripts WHERE id = ?",
                                           [item["transcript_id"]]).fetchone()[0]
        detail = Text()
        for side, name in (("a_spans", f"A · {item['coder_a']}"), ("b_spans", f"B · {item['coder_b']}")):
            detail.append(f"{name}\n", style="bold")
            if not item[side]:
                detail.append("  (did not code it)\n\n", style="dim")
            for start, end, memo in item[side]:
                detail.append("  " + " ".join(text[start:end].split()) + "\n")
                if memo:
                    detail.append(f"  memo: {memo}\n", style="italic")
                detail.append("\n")
        self.query_one("#item-detail", Static).update(detail)

    def _item(self) -> dict | None:
        items = self.query_one(OptionList)
        if not self.items or items.highlighted is None:
            return None
        return self.items[items.highlighted]

    def action_settle(self, decision: str) -> None:
        item = self._item()
        if item is None:
            return
        self.app.project.settle(item["id"], decision)
        self.query_one("#status", Static).update(f"#{item['id']}: {decision}")
        self.app.changed()
        items = self.query_one(OptionList)
        following = next((i for i, it in enumerate(self.items) if it["decision"] is None and it["id"] != item["id"]),
                         items.highlighted)
        items.highlighted = following

    def action_next_consensus(self) -> None:
        self.current += 1
        self.refresh_data()

    def action_build(self) -> None:
        def build(answer: str | None) -> None:
            if not answer:
                return
            words = answer.split()
            if len(words) != 3:
                self.query_one("#status", Static).update("write three names: coder A, coder B, the consensus")
                return
            try:
                summary = self.app.project.build_consensus(*words)
            except JhsError as error:
                self.query_one("#status", Static).update(error.one_line())
                return
            self.query_one("#status", Static).update(
                f"{summary['agreed']} agreed, {summary['new_items']} new item(s), {summary['open']} open")
            if words[2] in self.names:
                self.current = self.names.index(words[2])
            self.app.changed()

        self.app.push_screen(AskText("Build a consensus: coder A, coder B, consensus name",
                                     placeholder="anna ben consensus", allow_empty=False), build)
