"""The memo screen (F6): every memo with what it hangs on (a turn, a transcript, a code, one
coding), this coder's or every coder's (a); Enter opens the transcript where the memo hangs,
e edits a memo of one's own (as the memo dialog does in the coding screen, undoable there)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from jhs_qual.keys import MEMOS
from jhs_qual.tui.dialogs import AskMemo
from jhs_qual.tui.keymap import bindings
from jhs_qual.tui.screens.base import LiveScreen, guarded


class MemosScreen(LiveScreen):
    BINDINGS = bindings(MEMOS, {"memo_coders": "toggle_coders", "edit_listed_memo": "edit"})

    def __init__(self) -> None:
        super().__init__()
        self.every_coder = False
        self.rows: list[dict] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="memos-title", classes="title")
        yield OptionList(id="memos")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_data()
        self.query_one("#memos", OptionList).focus()

    def refresh_data(self) -> None:
        project = self.app.project
        labels = {f"{c['codebook_id']}/{c['code_id']}": c["label_nl"] for c in project.codes()}
        self.rows = project.memo_rows(None if self.every_coder else self.app.coder)
        listing = self.query_one("#memos", OptionList)
        keep = listing.highlighted
        listing.clear_options()
        who, other = ("every coder", "mine") if self.every_coder else (self.app.coder, "all coders")
        self.query_one("#memos-title", Static).update(
            f"Memos · {len(self.rows)} by {who}   (Enter opens where it hangs, e edits, a {other})")
        for i, row in enumerate(self.rows):
            text = Text()
            text.append(self.owner(row, labels), style="bold")
            if self.every_coder:
                text.append(f" · {row['coder']}", style="dim")
            text.append("\n" + row["text"])
            listing.add_option(Option(text, id=str(i)))
        if not self.rows:
            listing.add_option(Option(Text("no memos yet: m in the coding screen writes one", style="dim"),
                                      disabled=True))
        elif keep is not None:
            listing.highlighted = min(keep, len(self.rows) - 1)

    @staticmethod
    def owner(row: dict, labels: dict[str, str]) -> str:
        """What a memo hangs on, in words: 'turn 12 of po_leraar_de_linde', 'code Flexibiliteit' ..."""
        code = labels.get(row["code"], row["code"])
        if row["kind"] == "turn":
            return f"turn {row['turn']} of {row['transcript']}"
        if row["kind"] == "coding":
            return f"coding {code} in turn {row['turn']} of {row['transcript']}"
        if row["kind"] == "transcript":
            return f"transcript {row['transcript']}"
        if row["kind"] == "code":
            return f"code {code}"
        return "the project" + (f": {row['title']}" if row["title"] else "")

    def _row(self) -> dict | None:
        listing = self.query_one("#memos", OptionList)
        return self.rows[listing.highlighted] if self.rows and listing.highlighted is not None else None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        row = self.rows[int(event.option.id)]
        if row["transcript_id"] is None:
            self.notify(f"a memo on {self.owner(row, {})}: it hangs on no transcript (f3 shows a code's quotes)")
            return
        turn = row["turn"] - 1 if row["turn"] else None
        self.app.open_transcript(row["transcript_id"], turn=turn, span=row["span"] if row["kind"] == "coding" else None)

    def action_toggle_coders(self) -> None:
        self.every_coder = not self.every_coder
        self.refresh_data()

    def action_edit(self) -> None:
        row = self._row()
        if row is None:
            return
        if row["coder"] != self.app.coder:
            self.notify(f"that memo is {row['coder']}'s: a coder edits their own memos only")
            return

        def save(text: str | None) -> None:
            if text is not None and text != row["text"]:
                self._save(row, text)

        self.app.push_screen(AskMemo(f"Memo on {self.owner(row, {})} (empty: remove it)", row["text"]), save)

    @guarded
    def _save(self, row: dict, text: str) -> None:
        history, name = self.app.history, self.owner(row, {})
        if row["coding_id"] is not None:
            history.set_memo(row["coding_id"], text, label=f"memo on the {name}")
        else:
            target = {"transcript_id": row["transcript_id"], "code_row_id": row["code_row_id"], "span": row["span"]}
            history.write_memo(self.app.coder, text, label=f"memo on the {name}",
                               **{k: v for k, v in target.items() if v is not None})
        self.notify(f"memo on the {name} saved (u undoes it in the coding screen)" if text else
                    f"memo on the {name} removed")
        self.app.changed()

    def action_back(self) -> None:
        self.app.action_back()
