"""The coding workbench: a keyboard-first Textual app over one project file.

Screens are modes (F-keys switch, Escape goes back once): transcripts (F2,
with a transcript's coding screen on top), quotes of a code (F3), summary
(F4), comparison and consensus (F5). Every change is stored at once in its
own transaction; a timer notices changes made by another window on the same
project (`PRAGMA data_version`) and refreshes the screens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen

from jhs_qual.config import Config
from jhs_qual.errors import JhsError
from jhs_qual.keys import APP, for_browser
from jhs_qual.store import Project
from jhs_qual.tui.dialogs import AskText
from jhs_qual.tui.history import History
from jhs_qual.tui.keymap import bindings

POLL_SECONDS = 1.0
REFIT_EVERY = 30  # codings between refits of the score to the coder (suggest/calibrate.py: refit)
_ACTIONS = {"quit": "quit", "project_screen": "project", "quotes_screen": "quotes", "summary_screen": "summary",
            "compare_screen": "compare", "memos_screen": "memos"}


class QuitWhenDone(Message):
    """Sent to the focused widget on ctrl+q and bubbled up to the app: it arrives after
    every key typed before ctrl+q, so a code key pressed just before quitting is stored."""


class JhsApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "jhs-qual"
    BINDINGS = bindings(APP, _ACTIONS, quit={"priority": True})
    LAZY_MODES = {  # added with add_mode: each screen's module is imported when the mode is first shown
        "project": "jhs_qual.tui.screens.project:ProjectScreen",
        "quotes": "jhs_qual.tui.screens.quotes:QuotesScreen",
        "summary": "jhs_qual.tui.screens.summary:SummaryScreen",
        "compare": "jhs_qual.tui.screens.compare:CompareScreen",
        "memos": "jhs_qual.tui.screens.memos:MemosScreen",
    }

    def __init__(self, project: Project, coder: str = "", config: Config | None = None,
                 suggester: Callable | None = None, open_transcript: tuple[int, int | None] | None = None,
                 served_theme: str | None = None, role: str = "lead") -> None:
        super().__init__()
        self.served = served_theme is not None  # in a browser (`serve`): its theme, browser-safe keys, no config writes
        self.role = role  # "lead", or "coder" in a browser: see require_lead
        self._served_theme = served_theme
        for name, path in self.LAZY_MODES.items():
            self.add_mode(name, _lazy(path))
        self.project = project
        self.config = config or Config()
        self.coder = coder or self.config.coder
        self.history = History(project)
        self.suggester = suggester  # tests: (text, start, end, codebooks) -> suggestions, instead of the engine
        self.engine = None  # suggest.assist.Engine, built on first use (request_engine)
        self._engine_layer = "none"
        self._semantic_requested = False
        self._refit_at = 0  # codings learned at which the score is next refitted to the coder
        self._learns_from = self.coder  # whose codings the engine learns from (the config may name another)
        self._seen_version = project.data_version()
        self.own_changes = 0  # changes this window made (screens tell by it, and the data version, what is new)
        self._open_first = open_transcript  # (transcript id, turn index or None) from `tui --open`
        self._mode_trail: list[str] = []
        self.playback = None  # listen.player.Playback: the recording playing, one at a time
        self.listen_speed = 1.0

    def on_mount(self) -> None:
        if self.config.theme or self._served_theme:
            self.theme = self._served_theme or self.config.theme
        if keymap := self.remap():
            self.set_keymap(keymap)
        self.theme_changed_signal.subscribe(self, self._save_theme)
        self.set_interval(POLL_SECONDS, self._poll)
        if self.coder:
            self._start()
        else:
            self.push_screen(AskText("Your name as a coder (saved in your config)", allow_empty=False),
                             self._got_coder)

    def remap(self) -> dict[str, str]:
        """The config's [keys], and in a browser the browser-safe defaults under them."""
        return for_browser(self.config.keys) if self.served else self.config.keys

    def _got_coder(self, name: str | None) -> None:
        if not name:
            self.exit(return_code=1, message="no coder name given: the workbench needs one "
                                             "(--coder NAME, or type it when asked)")
            return
        self.coder = name
        self.config.coder = name
        self.config.save()
        self._start()

    def _start(self) -> None:
        self.sub_title = f"{self.project.path.name} · {self.coder}"
        self.switch_mode("project")  # the transcript list asks for the engine once it is drawn
        if self._open_first is not None:
            transcript_id, turn = self._open_first
            self.open_transcript(transcript_id, turn=turn)

    def require_lead(self, what: str) -> bool:
        """Whether this workbench may `what` (remove a transcript, edit a shared code, build a
        consensus): a lead's may; a coder's says why not, in one line."""
        if self.role == "lead":
            return True
        self.notify(f"only a lead can {what}; you are signed in as a coder (a lead gives roles with "
                    "'jhs-qual users role NAME lead')", severity="warning", timeout=8)
        return False

    # --- quitting: nothing typed is lost ---------------------------------------------------

    async def action_quit(self) -> None:
        target = self.screen.focused or self.screen
        target.post_message(QuitWhenDone())

    def on_quit_when_done(self, message: QuitWhenDone) -> None:
        self.stop_playback()
        self.exit()

    def stop_playback(self) -> None:
        if self.playback is not None:
            self.playback.stop()
            self.playback = None

    # --- suggestions ---------------------------------------------------------------------

    class EngineReady(Message):
        """The suggestion engine can answer: `layer` is 'keywords' (keywords, the question and
        the coder's own codings) or 'meaning' (the semantic layer too)."""

        def __init__(self, layer: str) -> None:
            super().__init__()
            self.layer = layer

    def engine_layer(self) -> str:
        """'none' (not asked for yet), 'loading', 'keywords' or 'meaning'."""
        if self.suggester is not None:
            return "meaning"  # a suggester handed in (tests) is the whole engine
        return self._engine_layer

    def warm_engine(self) -> None:
        """The engine built ahead of use, once the first screen is drawn, so that a transcript opened
        a moment later has its suggestions at once; not in a browser, where every idle tab would
        hold one (~240 MiB)."""
        if not self.served:
            self.request_engine()

    def request_engine(self) -> None:
        """Build the engine once per workbench, in a worker: what it needs (the codes, the coder's
        codings to learn from: half a second on a big project) is read there too, through a
        connection of its own (the workbench's stays on the main thread). The keyword layer
        comes first (spaCy's tokenizer, ~1 s); the semantic layer refines it later (request_semantic)."""
        if self._engine_layer != "none" or self.suggester is not None:
            return
        from jhs_qual.suggest.assist import learning_source

        self._engine_layer = "loading"
        try:
            self._learns_from = learning_source(self.project, self.coder, self.config.suggest)
        except JhsError as error:  # a learn_from naming no coder: said, and the coder's own codings taught
            self.notify(error.one_line(), severity="error", timeout=10)
            self._learns_from = self.coder
        self.run_worker(lambda: self._build_engine(self.project.path, self._learns_from), thread=True,
                        exclusive=True, group="engine")

    def _build_engine(self, path, coder: str | None) -> None:
        from jhs_qual.store import Project
        from jhs_qual.suggest.assist import Engine, EngineInputs

        with Project.open(path) as reader:
            inputs = EngineInputs.from_project(reader, coder=coder)
        engine = Engine(inputs, self.config.suggest, semantic=False, refit=False)
        self.call_from_thread(self._engine_built, engine, "keywords")
        engine.recalibrate()  # to how this coder codes: after the first suggestions, not before them

    def request_semantic(self) -> None:
        """Load the semantic layer, once the first suggestions are on screen: loading it (the
        encoder and the codes' prototypes, ~1 s of CPU) while a transcript opens would hold the
        interpreter's lock away from the screen."""
        engine = self.engine
        if engine is None or self._engine_layer != "keywords" or self._semantic_requested:
            return
        self._semantic_requested = True

        def load() -> None:
            if engine.load_semantic():
                self.call_from_thread(self._engine_built, engine, "meaning")

        self.run_worker(load, thread=True, group="engine-semantic")

    def _engine_built(self, engine, layer: str) -> None:
        self.engine, self._engine_layer = engine, layer
        self._refit_at = len(engine.examples) + REFIT_EVERY  # it was fitted to the coder as it was built
        self._learn()  # codings made while it loaded
        for screen in self._every_screen():  # a coding screen under another mode's hears it too
            screen.post_message(self.EngineReady(layer))

    def suggest_for(self, text: str, start: int, end: int, codebooks=None, question=None,
                    previous=None) -> list | None:
        """The suggestions for the answer text[start:end] (None: the engine is not ready)."""
        if self.suggester is not None:
            return self.suggester(text, start, end, codebooks)
        engine = self.engine
        return None if engine is None else engine.rank(text, start, end, codebooks=codebooks, question=question,
                                                       previous=previous)

    def codes_changed(self) -> None:
        """A code was created, renamed or merged: the engine follows in place (no reload)."""
        if self.engine is None:
            return
        from jhs_qual.suggest.assist import EngineInputs

        engine, inputs = self.engine, EngineInputs.from_project(self.project, coder=None)  # the codes; the rest stays
        self.run_worker(lambda: (engine.update_codes(inputs), self.call_from_thread(
            self._engine_built, engine, self._engine_layer)), thread=True, group="engine-codes")

    # --- changes -------------------------------------------------------------------

    def changed(self) -> None:
        """This window changed the project: refresh the screen now, and learn from it once that
        is drawn (the learner reads the new codings and the semantic layer encodes them: tens of
        milliseconds the coder need not wait for)."""
        self._seen_version = self.project.data_version()
        self.own_changes += 1
        self._refresh_screens()
        self.call_after_refresh(self._learn)

    def _learn(self) -> None:
        """The engine follows this coder's codings as they are now (new ones read, removed ones
        forgotten; never another coder's: see README, "Suggestions"); vectors made since are
        stored in the project."""
        engine = self.engine
        if engine is None:
            return
        from jhs_qual.suggest.service import learning_examples

        engine.follow(learning_examples(self.project, self._learns_from, known=engine.known))
        if engine.semantic is not None:
            self.project.store_embeddings(engine.semantic.take_new())
        if len(engine.examples) >= self._refit_at:  # the score follows how this coder codes
            from jhs_qual.suggest.service import seen_answers

            self._refit_at = len(engine.examples) + REFIT_EVERY
            seen = seen_answers(self.project, self._learns_from)
            self.run_worker(lambda: engine.refit_on(seen), thread=True, group="engine-refit")

    def _poll(self) -> None:
        version = self.project.data_version()
        if version != self._seen_version:  # another window committed
            self._seen_version = version
            self._learn()
            self._refresh_screens()

    def _every_screen(self) -> list[Screen]:
        """The screens of every mode that has been shown (Textual's public stacks, mode by mode)."""
        found = []
        for mode in ("_default", *self.LAZY_MODES):
            try:
                found += self.get_screen_stack(mode)
            except KeyError:  # a mode not shown yet has no stack
                continue
        return found

    def _refresh_screens(self) -> None:
        """Refresh the screen in view now; the others (in every mode) when they come back."""
        from jhs_qual.tui.screens.base import LiveScreen

        for screen in self._every_screen():
            if isinstance(screen, LiveScreen):
                screen.stale = screen is not self.screen
        if isinstance(self.screen, LiveScreen):
            self.screen.refresh_data()

    # --- navigation: modes, switched by F-keys, Escape goes back once ---------------------

    def go(self, mode: str) -> Screen:
        """Switch to a mode (remembering where we came from); returns its screen."""
        if mode != self.current_mode:
            self._mode_trail.append(self.current_mode)
            self.switch_mode(mode)
        return self.screen

    def action_back(self) -> None:
        """Escape on a mode's first screen: back to the mode we came from."""
        while self._mode_trail:
            mode = self._mode_trail.pop()
            if mode in self.LAZY_MODES and mode != self.current_mode:
                self.switch_mode(mode)
                return

    def open_transcript(self, transcript_id: int, *, turn: int | None = None,
                        span: tuple[int, int] | None = None, find: str = "") -> None:
        from jhs_qual.tui.screens.coding import CodingScreen

        self.go("project")
        top = self.screen_stack[-1]
        if (isinstance(top, CodingScreen) and top.transcript_id == transcript_id and turn is None and span is None
                and not find):
            return  # opening already (a double click after a click, a key repeated before the screen came)
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(CodingScreen(transcript_id, turn=turn, span=span, find=find))

    def action_project(self) -> None:
        if self.current_mode == "project" and len(self.screen_stack) > 1:
            while len(self.screen_stack) > 1:
                self.pop_screen()
            return
        self.go("project")

    def action_quotes(self) -> None:
        code = getattr(self.screen, "highlighted_code", None) or getattr(self.screen, "code_on_turn", lambda: None)()
        screen = self.go("quotes")
        if code is not None:
            screen.show_code(code)

    def action_summary(self) -> None:
        self.go("summary")

    def action_compare(self) -> None:
        self.go("compare")

    def action_memos(self) -> None:
        self.go("memos")

    def action_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def _save_theme(self, theme) -> None:
        """Any change of theme (ctrl+t, the command palette) is kept in the config."""
        if self.config.theme != theme.name and self.coder and not self.served:
            self.config.theme = theme.name
            self.config.save()

    # --- the command palette lists every action ---------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        seen = set()
        sources = [screen, self] + ([screen.focused] if screen.focused is not None else [])
        for source in sources:
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


def _lazy(path: str) -> Callable[[], Screen]:
    """A mode's screen class, imported when the mode is first shown (not at startup)."""
    def make() -> Screen:
        import importlib

        module, _, name = path.partition(":")
        return getattr(importlib.import_module(module), name)()

    return make


def _runner(target, action: str) -> Callable[[], None]:
    async def run() -> None:
        await target.run_action(action)

    return run
