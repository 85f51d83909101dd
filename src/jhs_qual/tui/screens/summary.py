"""The summary screen: codings per code for each value of an attribute, as a heat table (counted in a
worker: the workbench goes on while thousands of transcripts are counted)."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import DataTable, Footer, Static

from jhs_qual.keys import SUMMARY
from jhs_qual.tui.keymap import bindings
from jhs_qual.tui.screens.base import LiveScreen, read_aside

from jhs_qual.tui.widgets.transcript import blend


class SummaryScreen(LiveScreen):
    BINDINGS = bindings(SUMMARY, {"back": "app.back", "next_attribute": "attribute(1)",
                                  "previous_attribute": "attribute(-1)", "summary_coders": "toggle_all",
                                  "measure": "toggle_measure", "joint_display": "toggle_joint"},
                        next_attribute={"priority": True}, previous_attribute={"priority": True})

    def __init__(self) -> None:
        super().__init__()
        self.attributes: list[str] = []
        self.index = 0
        self.all_coders = False
        self.measure = "codings"
        self.joint = False  # the joint display: questionnaire scales beside the codes
        self.shown: tuple | None = None  # (attribute, coder, measure) of the counts on screen

    def compose(self) -> ComposeResult:
        yield Static("", id="summary-title", classes="title")
        yield DataTable(id="summary", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        project = self.app.project
        used = project.attribute_keys_used()
        self.attributes = [k for k in project.attribute_keys() if k in used] or ["school_type"]
        if "school_type" in self.attributes:
            self.index = self.attributes.index("school_type")
        self.refresh_data()
        self.query_one(DataTable).focus()

    def _asked(self) -> tuple[str, str | None]:
        """The attribute and coder the screen shows now."""
        return self.attributes[self.index], None if self.all_coders else self.app.coder

    def refresh_data(self) -> None:
        project = self.app.project
        attribute, coder = self._asked()
        self.shown = None
        if self.joint:
            self._show_joint(attribute, coder)
            return
        self.query_one("#summary-title", Static).update(f"{self.measure} per code by {attribute}: counting …")
        self._count(attribute, coder, project.path)

    @work(thread=True, exclusive=True, group="summary")
    def _count(self, attribute: str, coder: str | None, path) -> None:
        """The counts, in a worker over a connection of its own (every coding of the project:
        seconds at thousands of transcripts), so that the workbench goes on meanwhile."""
        # "All coders" are the people who coded, as the summary command counts them by default:
        # a consensus coder would count their codings twice, autocode's are no one's reading.
        counted, error = read_aside(path, lambda project: project.summary(attribute, coder))
        self.app.call_from_thread(self._show_counts, attribute, coder, *(counted or (None, None)), error)

    def _show_counts(self, attribute: str, coder: str | None, result, codes: list[dict] | None,
                     error: str | None = None) -> None:
        if not self.is_mounted or self.joint or (attribute, coder) != self._asked():
            return  # asked for something else meanwhile: that is on its way
        if error:
            self.query_one("#summary-title", Static).update(f"{self.measure} per code by {attribute}: {error}")
            return
        values = [v for v in result.values  # "(none)": transcripts without the attribute, shown when coded
                  if v != "(none)" or any(result.breakdown[r][v]["codings"] for r in result.breakdown)]
        cells = {(code["id"], v): result.breakdown[f"{code['codebook_id']}/{code['code_id']}"][v][self.measure]
                 for code in codes for v in values}
        top = max(cells.values(), default=0)
        theme = self.app.current_theme
        background = theme.background or ("#1e1e1e" if theme.dark else "#ffffff")
        heat = theme.warning or "#ffa62b"
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns("code", *values, "total")
        for code in codes:
            counts = [cells.get((code["id"], v), 0) for v in values]
            label = Text(" ● ", style=code["colour"]) + Text(code["label_nl"])
            shaded = [Text(f" {n} ", style=f"on {blend(heat, background, 0.15 + 0.75 * n / top)}") if n and top
                      else Text(" · ", style="dim") for n in counts]
            table.add_row(label, *shaded, Text(str(sum(counts)), style="bold"))
        who = "all coders (people: no autocode, no consensus coders)" if self.all_coders else self.app.coder
        self.query_one("#summary-title", Static).update(
            f"{self.measure} per code by {attribute} · {who}   (←/→ attribute, a coders, t codings/transcripts, "
            "j scales beside the codes)")
        self.shown = (attribute, coder, self.measure)

    def _show_joint(self, attribute: str, coder: str | None) -> None:
        """The joint display (as `jhs-qual joint` writes it): a row per scale linked to a code, a
        column per group, each cell the scale's M (SD) and letters beside the code's share."""
        from jhs_qual.export.joint import build, cell_text

        table = self.query_one(DataTable)
        table.clear(columns=True)
        title = self.query_one("#summary-title", Static)
        if not self.app.project.scale_files():
            title.update("joint display: no questionnaire imported ('jhs-qual survey import FILE --scales isjo ...')"
                         "   (j: back to the codes)")
            return
        rows, groups = build(self.app.project, attribute, coder=coder)
        table.add_columns("scale · code", "alpha", *groups)
        for row in rows:
            table.add_row(Text(f"{row.label.split(' / ')[0]}\n{row.code}"),  # the Dutch label: room for the groups
                          "-" if row.alpha is None else f"{row.alpha:.2f}",
                          *(Text(cell_text(row.cells[g]).replace("; ", "\n")) for g in groups), height=None)
        who = "all coders (people)" if self.all_coders else self.app.coder
        title.update(f"joint display by {attribute} · {who}: M (SD) letters, n; the code's share of the group's "
                     "transcripts   (←/→ attribute, a coders, j back to the codes)")

    def action_toggle_joint(self) -> None:
        self.joint = not self.joint
        self.refresh_data()

    def action_attribute(self, delta: int) -> None:
        self.index = (self.index + delta) % len(self.attributes)
        self.refresh_data()

    def action_toggle_all(self) -> None:
        self.all_coders = not self.all_coders
        self.refresh_data()

    def action_toggle_measure(self) -> None:
        self.measure = "transcripts" if self.measure == "codings" else "codings"
        self.refresh_data()
