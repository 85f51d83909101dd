"""The coding workbench: a keyboard-first Textual app over one project file.

Screens: project (F2), coding (Enter on a transcript), quotes of a code (F3),
summary (F4), comparison and consensus (F5). Every change is stored at once
in its own transaction; a timer notices changes made by another window on the
same project (`PRAGMA data_version`) and refreshes the screen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from jhs_qual.config import Config
from jhs_qual.store import Project
from jhs_qual.tui.dialogs import AskText
from jhs_qual.tui.history import History

POLL_SECONDS = 1.0


class JhsApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "jhs-qual"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True, id="quit"),
        Binding("f2", "project", "Transcripts", id="project_screen"),
        Binding("f3", "quotes", "Quotes", id="quotes_screen"),
        Binding("f4", "summary", "Summary", id="summary_screen"),
        Binding("f5", "compare", "Compare", id="compare_screen"),
        Binding("question_mark", "help", "Keys", id="help"),
        Binding("ctrl+t", "toggle_theme", "Light/dark", show=False, id="toggle_theme"),
    ]

    def __init__(self, project: Project, coder: str = "", config: Config | None = None,
                 suggester: Callable | None = None) -> None:
        super().__init__()
        self.project = project
        self.config = config or Config()
        self.coder = coder or self.config.coder
        self.history = History(project)
        self.suggester = suggester  # (text, start, end) -> suggestions; built on first use when None
        self._sources = None
        self._seen_version = project.data_version()

    def on_mount(self) -> None:
        if self.config.theme:
            self.theme = self.config.theme
        if self.config.keys:
            self.set_keymap(self.config.keys)
        self.set_interval(POLL_SECONDS, self._poll)
        if self.coder:
            self._start()
        else:
            self.push_screen(AskText("Your name as a coder (saved in your config)", allow_empty=False),
                             self._got_coder)

    def _got_coder(self, name: str | None) -> None:
        if not name:
            self.exit(message="no coder name given")
            return
        self.coder = name
        self.config.coder = name
        self.config.save()
        self._start()

    def _start(self) -> None:
        from jhs_qual.tui.screens.project import ProjectScreen

        self.sub_title = f"{self.project.path.name} · {self.coder}"
        self.push_screen(ProjectScreen())

    # --- suggestions ---------------------------------------------------------------------

    def suggestion_sources(self):
        """The codes to suggest from; read on the main thread (the worker builds the engine)."""
        if self._sources is None:
            from jhs_qual.suggest.service import sources_from_project

            self._sources = sources_from_project(self.project)
        return self._sources

    def load_suggester(self) -> Callable:
        if self.suggester is None:
            from jhs_qual.suggest.service import Suggester

            self.suggester = Suggester(self._sources or [], self.config.suggest).for_span
        return self.suggester

    # --- changes -------------------------------------------------------------------

    def changed(self) -> None:
        """This window changed the project: refresh the screen now."""
        self._seen_version = self.project.data_version()
        self._refresh_screens()

    def _poll(self) -> None:
        version = self.project.data_version()
        if version != self._seen_version:  # another window committed
            self._seen_version = version
            self._refresh_screens()

    def _refresh_screens(self) -> None:
        """Refresh the screen in view now; the others when they come back (ScreenResume)."""
        from jhs_qual.tui.screens.base import LiveScreen

        for screen in self.screen_stack:
            if isinstance(screen, LiveScreen):
                screen.stale = screen is not self.screen
        if isinstance(self.screen, LiveScreen):
            self.screen.refresh_data()

    # --- navigation ------------------------------------------------------------------

    def open_transcript(self, transcript_id: int, *, turn: int = 0, span: tuple[int, int] | None = None,
                        replace: bool = False) -> None:
        from jhs_qual.tui.screens.coding import CodingScreen

        if replace:
            self._back_to_project()
        self.push_screen(CodingScreen(transcript_id, turn=turn, span=span))

    def _back_to_project(self) -> None:
        from jhs_qual.tui.screens.project import ProjectScreen

        while len(self.screen_stack) > 1 and not isinstance(self.screen, ProjectScreen):
            self.pop_screen()

    def show_quotes(self, code: dict) -> None:
        from jhs_qual.tui.screens.quotes import QuotesScreen

        self.push_screen(QuotesScreen(code))

    def action_project(self) -> None:
        self._back_to_project()

    def action_quotes(self) -> None:
        if hasattr(self.screen, "action_quotes"):
            self.screen.action_quotes()
        else:
            self.notify("Open a transcript and highlight a code first")

    def action_summary(self) -> None:
        from jhs_qual.tui.screens.summary import SummaryScreen

        self.push_screen(SummaryScreen())

    def action_compare(self) -> None:
        from jhs_qual.tui.screens.compare import CompareScreen

        self.push_screen(CompareScreen())

    def action_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"
        self.config.theme = self.theme
        if self.config.path.parent.exists() or self.config.coder:
            self.config.save()

    # --- the command palette lists every action ---------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        seen = set()
        for source in (screen, self):
            for binding in getattr(source, "BINDINGS", []):
                if not isinstance(binding, Binding) or binding.id in seen or binding.id in ("quit", "help"):
                    continue
                seen.add(binding.id)
                key = self.get_key_display(binding)
                yield SystemCommand(binding.description, f"{binding.description} ({key}; keymap id: {binding.id})",
                                    _runner(source, binding.action))
        if hasattr(screen, "by_key"):
            for key, code in sorted(screen.by_key.items()):
                yield SystemCommand(f"Code: {code['label_nl']}",
                                    f"code the selection as {code['codebook_id']}/{code['code_id']} ({key})",
                                    lambda code=code: screen.apply_code(code))


def _runner(target, action: str) -> Callable[[], None]:
    async def run() -> None:
        await target.run_action(action)

    return run
