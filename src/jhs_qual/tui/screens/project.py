"""The project screen: every transcript with attributes, turns and the current coder's progress."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Footer, Input, Static

from jhs_qual.keys import PROJECT
from jhs_qual.tui.dialogs import AskText, PickOne
from jhs_qual.tui.filters import parse_filter
from jhs_qual.tui.keymap import bindings
from jhs_qual.tui.screens.base import LiveScreen, guarded
from jhs_qual.tui.widgets.row_table import RowTable


ENGINE_AFTER = 1.0  # seconds after the list is mounted (a transcript opened sooner asks for it itself)


class Progress:
    """A progress cell: drawn as a bar only when on screen (5,000 of them at startup cost 70 ms)."""

    WIDTH = 12

    def __init__(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    @property
    def cell_len(self) -> int:
        return self.WIDTH + 1 + len(f"{self.done}/{self.total}")

    def __rich__(self) -> Text:
        share = self.done / self.total if self.total else 0.0
        filled = round(share * self.WIDTH)
        text = Text("█" * filled, style="green")
        text.append("░" * (self.WIDTH - filled), style="dim")
        text.append(f" {self.done}/{self.total}")
        return text

    def __str__(self) -> str:
        return str(self.__rich__())


class ProjectScreen(LiveScreen):
    BINDINGS = bindings(PROJECT, {"open_transcript": "open", "undo_project": "undo"})

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict] = []
        self.keys: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="project-title", classes="title")
        yield Input(placeholder='filter: school_type=PO role=leer school="Het Baken", or any word said', id="filter")
        yield RowTable(id="transcripts")
        yield Footer()

    def on_mount(self) -> None:
        # A screen's worth of rows first, every row once that is drawn (on_row_table_drawn): at
        # 5,000 transcripts reading them all takes a sixth of the start; the first screen shows 40.
        self.refresh_data(first=self.app.size.height)
        self.query_one(RowTable).focus()
        # spaCy (~1 s) in a worker, a moment after the list is drawn (its thread would slow the drawing)
        self.set_timer(ENGINE_AFTER, self.app.warm_engine)

    def on_row_table_drawn(self) -> None:
        self.call_after_refresh(self.refresh_data)  # drawn while Textual's start held the frame back

    def refresh_data(self, first: int | None = None) -> None:
        project, coder = self.app.project, self.app.coder
        self.rows = project.transcript_overview(first)
        used = project.attribute_keys_used()
        self.keys = [k for k in project.attribute_keys() if k in used]
        count = len(self.rows) if first is None else project.transcript_count()
        self._title = f"{project.path.name} · {count} transcripts · coding as {coder}"
        self._fill()

    def _fill(self) -> None:
        table = self.query_one(RowTable)
        query = parse_filter(self.query_one("#filter", Input).value)
        said = self.app.project.transcripts_saying(query.words) if query.words else None
        shown = [row for row in self.rows
                 if query.matches(row["name"], row["attributes"], said=said, transcript_id=row["id"])]
        coder = self.app.coder
        table.set_rows(["transcript", "turns", *self.keys, f"coded by {coder}"],
                       [(row["name"], row["turn_count"], *(row["attributes"].get(k, "") for k in self.keys),
                         Progress(row["coded_turns"].get(coder, 0), row["codable_turns"])) for row in shown],
                       [str(row["id"]) for row in shown])
        unknown = [k for k in query.pairs if k not in self.app.project.attribute_keys()]
        note = (query.error or (f"no attribute {', '.join(unknown)}" if unknown else "")
                or ("" if table.row_count or not self.rows else "no transcript matches the filter (Escape clears it)"))
        self.query_one("#project-title", Static).update(self._title + (f"   · {note}" if note else ""))

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill()

    def on_input_submitted(self) -> None:
        self.query_one(RowTable).focus()

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_clear_filter(self) -> None:
        self.query_one("#filter", Input).value = ""
        self.query_one(RowTable).focus()

    def on_row_table_chosen(self, event: RowTable.Chosen) -> None:
        self.app.open_transcript(int(event.key))

    def action_open(self) -> None:
        key = self.query_one(RowTable).cursor_key
        if key is not None:
            self.app.open_transcript(int(key))

    # --- managing transcripts (each change undoable with u) ------------------------------------

    def _selected(self) -> dict | None:
        key = self.query_one(RowTable).cursor_key
        return next((r for r in self.rows if str(r["id"]) == key), None)

    def _say(self, message: str) -> None:
        self.notify(message, timeout=6)

    def action_edit_attributes(self) -> None:
        row = self._selected()
        if row is None:
            return
        current = " ".join(f'{k}="{v}"' if " " in v else f"{k}={v}" for k, v in row["attributes"].items())

        def save(answer: str | None) -> None:
            if answer is not None:
                self._set_attributes(row, answer)

        self.app.push_screen(AskText(f"Attributes of {row['name']} (key=value; key= removes one)", current), save)

    @guarded
    def _set_attributes(self, row: dict, answer: str) -> None:
        from jhs_qual.ingest.attributes import parse_assignments

        project = self.app.project
        terms = parse_filter(answer)
        wanted = parse_assignments([f"{k}={v}" for k, v in terms.pairs.items()], project.attribute_keys())
        wanted.update({k: "" for k in row["attributes"] if k not in wanted})  # what was left out goes
        old = {k: row["attributes"].get(k, "") for k in wanted}
        self.app.history.change(f"attributes of {row['name']}", lambda: project.set_attributes(row["id"], wanted),
                                lambda _: project.set_attributes(row["id"], old))
        self._say(f"attributes of {row['name']} saved (u to undo)")
        self.app.changed()

    def action_rename_speaker(self) -> None:
        row = self._selected()
        if row is None:
            return

        def save(answer: str | None) -> None:
            if answer:
                self._rename(row, answer)

        self.app.push_screen(AskText(f"Rename a speaker of {row['name']}: OLD=NEW ({', '.join(row['speakers'])})",
                                     placeholder="SPEAKER_00=Interviewer", allow_empty=False), save)

    @guarded
    def _rename(self, row: dict, answer: str) -> None:
        from jhs_qual.errors import BadInput

        old, sep, new = answer.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise BadInput(f"'{answer}' is not OLD=NEW", hint="e.g. SPEAKER_00=Interviewer")
        old, new = old.strip(), " ".join(new.split())
        project = self.app.project
        self.app.history.change(f"{old} -> {new} in {row['name']}",
                                lambda: project.rename_speaker(row["id"], old, new),
                                lambda _: project.rename_speaker(row["id"], new, old))
        self._say(f"{old} is {new} now in {row['name']} (u to undo)")
        self.app.changed()

    def action_remove_transcript(self) -> None:
        row = self._selected()
        if row is None or not self.app.require_lead("remove a transcript"):
            return
        coded = sum(row["coded_turns"].values())
        # Keeping it is the first choice, the one Enter takes: removing needs a deliberate move.
        options = ["Keep it", ("Remove it, codings too" if coded else "Remove it") + " (kept aside: u undoes)"]

        def chosen(index: int | None) -> None:
            if index == 1:
                self._remove(row)

        self.app.push_screen(PickOne(f"Remove {row['name']}?", options), chosen)

    @guarded
    def _remove(self, row: dict) -> None:
        project = self.app.project
        kept = self.app.history.change(
            f"remove {row['name']}", lambda: project.trash_transcript(row["id"], with_codings=True)[0],
            lambda trash_id: project.restore_transcript(trash_id),
            lambda: project.trash_transcript(project.transcript(row["name"])["id"], with_codings=True)[0])
        removed = project.trashed()[0]["codings"] if kept else 0
        self._say(f"removed {row['name']}" + (f" and its {removed} coding(s)" if removed else "")
                  + ": kept aside, u brings it back ('jhs-qual transcripts purge' forgets it)")
        self.app.changed()

    @guarded
    def action_undo(self) -> None:
        from jhs_qual.tui.history import CannotUndo

        try:
            label = self.app.history.undo()
        except CannotUndo as refusal:
            self._say(str(refusal))
            return
        self._say(f"undone: {label}" if label else "nothing to undo")
        self.app.changed()
