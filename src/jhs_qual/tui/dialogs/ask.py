"""Ask for a line of text, a memo (several lines), or one of a few options."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, TextArea
from textual.widgets.option_list import Option

from jhs_qual.keys import DIALOG, MEMO
from jhs_qual.tui.keymap import bindings


class AskText(ModalScreen[str | None]):
    """Enter answers, Escape cancels. With `check`, Enter first hands the answer to it: a message
    back is shown in the dialog, which stays open with what was typed (nothing to type again)."""

    BINDINGS = bindings(DIALOG, {})

    def __init__(self, title: str, value: str = "", placeholder: str = "", allow_empty: bool = True,
                 check=None) -> None:
        super().__init__()
        self.title_text, self.value, self.placeholder, self.allow_empty = title, value, placeholder, allow_empty
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            # the text is not selected: the first key typed goes on with it instead of replacing it
            yield Input(self.value, placeholder=self.placeholder, id="answer", select_on_focus=False)
            yield Label("", id="answer-error", classes="dialog-error")
            yield Label("Enter: save   Escape: cancel", classes="dialog-help")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not (event.value.strip() or self.allow_empty):
            return
        problem = self.check(event.value.strip()) if self.check else None
        if problem:
            self.query_one("#answer-error", Label).update(problem)
            return
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class AskMemo(ModalScreen[str | None]):
    """A memo of several lines: typing goes on where the text ends, Enter starts a new line,
    ctrl+s saves, Escape cancels (an empty memo saved removes it)."""

    BINDINGS = bindings(MEMO, {"save_memo": "save"})

    def __init__(self, title: str, value: str = "") -> None:
        super().__init__()
        self.title_text, self.value = title, value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog memo-dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield TextArea(self.value, soft_wrap=True, show_line_numbers=False, id="memo", tab_behavior="focus")
            yield Label("ctrl+s: save   Escape: cancel   Enter: a new line", classes="dialog-help")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.move_cursor(area.document.end)
        area.focus()

    def action_save(self) -> None:
        self.dismiss(self.query_one(TextArea).text.strip())

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
