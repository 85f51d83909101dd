"""The project screen: every transcript with attributes, turns and the current coder's progress."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Input, Static

from jhs_qual.tui.filters import parse_filter
from jhs_qual.tui.screens.base import LiveScreen


def progress_bar(done: int, total: int, width: int = 12) -> Text:
    share = done / total if total else 0.0
    filled = round(share * width)
    text = Text("█" * filled, style="green")
    text.append("░" * (width - filled), style="dim")
    text.append(f" {done}/{total}")
    return text


class ProjectScreen(LiveScreen):
    BINDINGS = [
        Binding("enter", "open", "Open", id="open_transcript"),
        Binding("f", "filter", "Filter", id="filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="clear_filter"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict] = []
        self.keys: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="project-title", classes="title")
        yield Input(placeholder='filter: school_type=PO role=leer school="Het Baken", or any word', id="filter")
        yield DataTable(id="transcripts", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_data()
        self.query_one(DataTable).focus()

    def refresh_data(self) -> None:
        project, coder = self.app.project, self.app.coder
        self.rows = project.transcript_overview()
        self.keys = [k for k in project.attribute_keys() if any(k in r["attributes"] for r in self.rows)]
        self._title = f"{project.path.name} · {len(self.rows)} transcripts · coding as {coder}"
        self._fill()

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        table.add_columns("transcript", "turns", *self.keys, f"coded by {self.app.coder}")
        query = parse_filter(self.query_one("#filter", Input).value)
        for row in self.rows:
            if not query.matches(row["name"], row["attributes"]):
                continue
            done = row["coded_turns"].get(self.app.coder, 0)
            table.add_row(row["name"], row["turn_count"], *(row["attributes"].get(k, "") for k in self.keys),
                          progress_bar(done, row["codable_turns"]), key=str(row["id"]))
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))
        unknown = [k for k in query.pairs if k not in self.app.project.attribute_keys()]
        note = (query.error or (f"no attribute {', '.join(unknown)}" if unknown else "")
                or ("" if table.row_count or not self.rows else "no transcript matches the filter (Escape clears it)"))
        self.query_one("#project-title", Static).update(self._title + (f"   · {note}" if note else ""))

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill()

    def on_input_submitted(self) -> None:
        self.query_one(DataTable).focus()

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_clear_filter(self) -> None:
        self.query_one("#filter", Input).value = ""
        self.query_one(DataTable).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.app.open_transcript(int(event.row_key.value))

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            self.app.open_transcript(int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value))
