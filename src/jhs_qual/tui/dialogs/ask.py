"""Ask for a line of text, or for one of a few options."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from jhs_qual.keys import DIALOG
from jhs_qual.tui.keymap import bindings


class AskText(ModalScreen[str | None]):
    """Enter answers, Escape cancels."""

    BINDINGS = bindings(DIALOG, {})

    def __init__(self, title: str, value: str = "", placeholder: str = "", allow_empty: bool = True) -> None:
        super().__init__()
        self.title_text, self.value, self.placeholder, self.allow_empty = title, value, placeholder, allow_empty

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Input(self.value, placeholder=self.placeholder, id="answer")
            yield Label("Enter: save   Escape: cancel", classes="dialog-help")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip() or self.allow_empty:
            self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class PickOne(ModalScreen[int | None]):
    """Choose one of several options; dismisses with its index."""

    BINDINGS = bindings(DIALOG, {})

    def __init__(self, title: str, options: list[str]) -> None:
        super().__init__()
        self.title_text, self.options = title, options

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield OptionList(*[Option(text, id=str(i)) for i, text in enumerate(self.options)], id="choices")
            yield Label("Enter: choose   Escape: cancel", classes="dialog-help")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id))

    def action_cancel(self) -> None:
        self.dismiss(None)
