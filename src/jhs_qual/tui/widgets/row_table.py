"""RowTable: a table of many rows, drawn a screen at a time.

Textual's DataTable measures every cell of every row it is given (at 5,000
transcripts most of a second, before anything is shown). Here a column is as
wide as its longest cell (capped, the rest cut with an ellipsis), worked out
once from the cells' lengths, and a row is rendered only when it is on screen
(the Line API, as TranscriptView). The header stays on the first line; j/k and
the arrows move the cursor; a click on the cursor row chooses it (Enter is the screen's).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from jhs_qual.keys import ROWS
from jhs_qual.tui.keymap import bindings

MAX_WIDTH = 40  # the widest a column gets; longer cells end in '…'
GAP = 2  # spaces between columns


class RowTable(ScrollView, can_focus=True):
    BINDINGS = bindings(ROWS, {"row_down": "move(1)", "row_up": "move(-1)", "rows_page_down": "page(1)",
                               "rows_page_up": "page(-1)", "first_row": "move_to(0)", "last_row": "move_to(-1)"})
    COMPONENT_CLASSES = {"row-table--header", "row-table--cursor", "row-table--even"}
    DEFAULT_CSS = """
    RowTable {
        background: $surface;
        color: $foreground;
        & > .row-table--header { text-style: bold; background: $panel; color: $foreground; }
        & > .row-table--even { background: $surface-lighten-1 50%; }
        & > .row-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
        }
        &:focus > .row-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """

    cursor_row: reactive[int] = reactive(0)

    class Chosen(Message):
        """A click on the cursor row: its key."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    class Drawn(Message):
        """The rows were drawn for the first time (sent once)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns: list[str] = []
        self.widths: list[int] = []
        self.keys: list[str] = []
        self.rows: list[tuple] = []  # cells: str, int, rich Text, or an object with cell_len and __rich__
        self._drawn = False

    # --- data -------------------------------------------------------------------------------

    def set_rows(self, columns: list[str], rows: list[tuple], keys: list[str]) -> None:
        """Show these rows (the cursor kept on the same index where it still exists)."""
        self.columns, self.rows, self.keys = columns, rows, keys
        widths = [cell_len(c) for c in columns]
        for row in rows:
            for i, cell in enumerate(row):
                if isinstance(cell, str):
                    length = len(cell) if cell.isascii() else cell_len(cell)
                else:  # a number, rich Text, or a cell that knows its width and draws itself (__rich__)
                    length = getattr(cell, "cell_len", None) or cell_len(str(cell))
                if length > widths[i]:
                    widths[i] = length
        self.widths = [min(w, MAX_WIDTH) for w in widths]
        self.virtual_size = Size(1 + sum(self.widths) + GAP * len(self.widths), len(rows) + 1)
        self.cursor_row = min(self.cursor_row, max(len(rows) - 1, 0))
        self.refresh()

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def get_row_at(self, index: int) -> tuple:
        return self.rows[index]

    def move_cursor(self, *, row: int) -> None:
        self.cursor_row = row

    @property
    def cursor_key(self) -> str | None:
        return self.keys[self.cursor_row] if self.rows else None

    # --- moving ------------------------------------------------------------------------------

    def validate_cursor_row(self, row: int) -> int:
        return max(0, min(row, len(self.rows) - 1)) if self.rows else 0

    def watch_cursor_row(self, old: int, new: int) -> None:
        shown = max(self.size.height - 1, 1)  # the header takes a line
        if new < self.scroll_y:
            self.scroll_to(y=new, animate=False)
        elif new >= self.scroll_y + shown:
            self.scroll_to(y=new - shown + 1, animate=False)
        self.refresh()

    def action_move(self, by: int) -> None:
        self.cursor_row += by

    def action_page(self, by: int) -> None:
        self.cursor_row += by * max(self.size.height - 2, 1)

    def action_move_to(self, row: int) -> None:
        self.cursor_row = row if row >= 0 else len(self.rows) - 1

    def on_click(self, event) -> None:
        row = int(self.scroll_y) + event.y - 1
        if event.y == 0 or not 0 <= row < len(self.rows):
            return
        if row == self.cursor_row:
            self.post_message(self.Chosen(self.keys[row]))
        self.cursor_row = row

    # --- drawing -----------------------------------------------------------------------------

    def _cells(self, cells, style: Style) -> list[Segment]:
        segments: list[Segment] = [Segment(" ")]  # a margin, as a DataTable's cell padding
        for cell, width in zip(cells, self.widths):
            if isinstance(cell, Text):
                text = cell.copy()
            else:
                text = cell.__rich__() if hasattr(cell, "__rich__") else Text(str(cell))
            text.truncate(width, overflow="ellipsis", pad=True)
            text.append(" " * GAP)
            segments.extend(seg for seg in text.render(self.app.console) if seg.text != "\n")
        return [Segment(seg.text, style + seg.style if seg.style else style) for seg in segments]

    def render_line(self, y: int) -> Strip:
        if not self._drawn:  # at the first line drawn (the frame may go out later: Textual's start holds it)
            self._drawn = True
            self.post_message(self.Drawn())
        width = self.size.width
        scroll_x = int(self.scroll_x)
        if y == 0:
            style = self.get_component_rich_style("row-table--header")
            strip = Strip(self._cells(self.columns, style))
            return strip.crop_extend(scroll_x, scroll_x + width, style)
        index = int(self.scroll_y) + y - 1
        base = self.rich_style
        if index >= len(self.rows):
            return Strip.blank(width, base)
        if index == self.cursor_row:
            style = base + self.get_component_rich_style("row-table--cursor")
        elif index % 2:
            style = base + self.get_component_rich_style("row-table--even")
        else:
            style = base
        return Strip(self._cells(self.rows[index], style)).crop_extend(scroll_x, scroll_x + width, style)
