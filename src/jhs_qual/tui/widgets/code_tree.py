"""The codes that apply to the transcript, as an indented list: colour, key, whole label, counts.

An OptionList, not a Tree: long labels wrap instead of being cut off, and the
codebooks are headings that the highlight skips. Each code shows how often
the coder used it in this transcript and in the whole project.
"""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class CodeTree(OptionList):
    """Codebooks as headings, codes under them (children indented under their parent)."""

    class CodeHighlighted(Message):
        def __init__(self, code: dict | None) -> None:
            self.code = code
            super().__init__()

    class CodeChosen(Message):
        """Enter on a code: code the selection with it."""

        def __init__(self, code: dict) -> None:
            self.code = code
            super().__init__()

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.codes: list[dict] = []
        self._books: list[dict] = []
        self._counts: tuple[dict[int, int], dict[int, int]] = ({}, {})

    def load(self, codebooks: list[dict], codes: list[dict], here: dict[int, int], everywhere: dict[int, int]) -> None:
        self.codes, self._books, self._counts = codes, codebooks, (here, everywhere)
        self._fill()

    def update_counts(self, here: dict[int, int], everywhere: dict[int, int]) -> None:
        self._counts = (here, everywhere)
        self._fill()

    def _fill(self) -> None:
        keep = self.highlighted
        self.clear_options()
        here, everywhere = self._counts
        for book in self._books:
            codes = [c for c in self.codes if c["codebook_id"] == book["id"]]
            if not codes:
                continue
            self.add_option(Option(Text(book["id"], style="bold underline"), disabled=True))
            depth = _depths(codes)
            for code in sorted(codes, key=lambda c: _path(c, codes)):
                self.add_option(Option(self._label(code, depth[code["code_id"]], here.get(code["id"], 0),
                                                   everywhere.get(code["id"], 0)), id=str(code["id"])))
        if keep is not None and self.option_count:
            self.highlighted = min(keep, self.option_count - 1)

    @staticmethod
    def _label(code: dict, depth: int, here: int, everywhere: int) -> Text:
        text = Text("  " * depth)
        text.append("● ", style=code["colour"])
        text.append(f"[{code['key']}] " if code["key"] else "", style="bold")
        if not code.get("codable", 1):
            text.append("(folder) ", style="dim")
        text.append(code["label_nl"])
        text.append(f"  {here}/{everywhere}", style="dim")
        return text

    def code_of(self, option_id: str | None) -> dict | None:
        return next((c for c in self.codes if str(c["id"]) == option_id), None)

    def highlight_code(self, code_row_id: int) -> None:
        for index in range(self.option_count):
            if self.get_option_at_index(index).id == str(code_row_id):
                self.highlighted = index
                return

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self.post_message(self.CodeHighlighted(self.code_of(event.option.id)))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        code = self.code_of(event.option.id)
        if code is not None:
            self.post_message(self.CodeChosen(code))


def _depths(codes: list[dict]) -> dict[str, int]:
    parents = {c["code_id"]: c["parent"] for c in codes}
    depth = {}
    for code_id in parents:
        d, current, seen = 0, parents[code_id], {code_id}
        while current in parents and current not in seen:  # a parent outside the list ends the chain
            seen.add(current)
            d, current = d + 1, parents[current]
        depth[code_id] = d
    return depth


def _path(code: dict, codes: list[dict]) -> tuple[int, ...]:
    """Positions from the top parent down: children sort right under their parent."""
    by_id = {c["code_id"]: c for c in codes}
    path, current, seen = [], code, set()
    while current is not None and current["code_id"] not in seen:
        seen.add(current["code_id"])
        path.append(current["position"])
        current = by_id.get(current["parent"]) if current["parent"] else None
    return tuple(reversed(path))
