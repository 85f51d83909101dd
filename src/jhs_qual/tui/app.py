"""The coding workbench: a keyboard-first Textual app over one project file.

Screens are modes (F-keys switch, Escape goes back once): transcripts (F2,
with a transcript's coding screen on top), quotes of a code (F3), summary
(F4), comparison and consensus (F5). Every change is stored at once in its
own transaction; a timer notices changes made by another window on the same
project (`PRAGMA data_version`) and refreshes the screens.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen

from jhs_qual.config import Config
from jhs_qual.keys import APP, for_browser
from jhs_qual.store import Project
from jhs_qual.tui.dialogs import AskText
from jhs_qual.tui.history import History
from jhs_qual.tui.keymap import bindings

POLL_SECONDS = 1.0
_ACTIONS = {"quit": "quit", "project_screen": "project", "quotes_screen": "quotes", "summary_screen": "summary",
            "compare_screen": "compare"}


class QuitWhenDone(Message):
    """Sent to the focused widget on ctrl+q and bubbled up to the app: it arrives after
    every key typed before ctrl+q, so a code key pressed just before quitting is stored."""


class JhsApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "jhs-qual"
    BINDINGS = bindings(APP, _ACTIONS, quit={"priority": True})
    MODES = {
        "project": "jhs_qual.tui.screens.project:ProjectScreen",
        "quotes": "jhs_qual.tui.screens.quotes:QuotesScreen",
        "summary": "jhs_qual.tui.screens.summary:SummaryScreen",
        "compare": "jhs_qual.tui.screens.compare:CompareScreen",
    }

    def __init__(self, project: Project, coder: str = "", config: Config | None = None,
                 suggester: Callable | None = None, open_transcript: tuple[int, int | None] | None = None,
                 served_theme: str | None = None) -> None:
        super().__init__()
        self.served = served_theme is not None  # in a browser (`serve`): its theme, browser-safe keys, no config writes
        self._served_theme = served_theme
        self._modes = {name: _lazy(path) for name, path in self.MODES.items()}
        self.project = project
        self.config = config or Config()
        self.coder = coder or self.config.coder
        self.history = History(project)
        self.suggester = suggester  # (text, start, end, codebooks) -> suggestions; built on first use when None
        self._sources = None
        self._own_engine = suggester is None  # a suggester handed in (tests) is kept as it is
        self._engine_lock = threading.Lock()
        self.learner = None  # adapt.Learner, once the engine is built
        self.semantic = None  # semantic.Semantic, once the engine is built (unless the encoder is "none")
        self._seen_version = project.data_version()
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
            self.exit(message="no coder name given")
            return
        self.coder = name
        self.config.coder = name
        self.config.save()
        self._start()

    def _start(self) -> None:
        self.sub_title = f"{self.project.path.name} · {self.coder}"
        self.switch_mode("project")
        if self._open_first is not None:
            transcript_id, turn = self._open_first
            self.open_transcript(transcript_id, turn=turn)

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

    def suggestion_sources(self):
        """What the engine needs from the project, read on the main thread (the worker that
        builds the engine never touches the database): the codes' terms, what the codebooks
        say of each code (the learner's prior), and the codings to learn from."""
        if self._sources is None:
            from jhs_qual.suggest.adapt import code_document
            from jhs_qual.suggest.semantic import code_texts
            from jhs_qual.suggest.service import learning_examples, sources_from_project

            codes = {f"{c['codebook_id']}/{c['code_id']}": c for c in self.project.codes()}
            self._sources = (sources_from_project(self.project), {r: code_document(c) for r, c in codes.items()},
                             {r: code_texts(c) for r, c in codes.items()}, learning_examples(self.project))
        return self._sources

    def load_suggester(self) -> Callable:
        """(text, start, end, codebooks, question) -> suggestions. The engine (spaCy) and the
        learner are built here, on first use, in a worker thread; a suggester handed in (tests)
        is called as (text, start, end, codebooks)."""
        with self._engine_lock:
            if self.suggester is None:
                from jhs_qual.suggest.adapt import Learner
                from jhs_qual.suggest.semantic import Semantic, load_encoder
                from jhs_qual.suggest.service import Suggester

                sources, docs, texts, examples = self._sources or ([], {}, {}, {})
                engine = Suggester(sources, self.config.suggest)
                learner = Learner(docs, engine.lemmas) if self.config.suggest.learn else None
                if learner is not None:
                    learner.sync(examples)
                encoder = load_encoder(self.config.suggest.encoder)
                semantic = Semantic(encoder, texts) if encoder is not None else None
                if semantic is not None and self.config.suggest.learn:
                    semantic.sync(examples)
                self.learner, self.semantic = learner, semantic

                def suggester(text, start, end, codebooks=None, question=None):
                    return engine.for_unit(text, start, end, codebooks=codebooks, question=question, learner=learner,
                                           semantic=semantic)

                self.suggester = suggester
            elif not self._own_engine:
                stub = self.suggester
                return lambda text, start, end, codebooks=None, question=None: stub(text, start, end, codebooks)
        return self.suggester

    def codes_changed(self) -> None:
        """A code was created, renamed or merged: the engine reads the codes again (on next use)."""
        if self._own_engine:
            self._sources, self.suggester, self.learner, self.semantic = None, None, None, None

    # --- changes -------------------------------------------------------------------

    def changed(self) -> None:
        """This window changed the project: learn from it, refresh the screen now."""
        self._seen_version = self.project.data_version()
        self._learn()
        self._refresh_screens()

    def _learn(self) -> None:
        """The learner and the semantic prototypes follow the codings as they are now (new ones
        read, removed ones forgotten); vectors made since are stored in the project."""
        if self.learner is None and self.semantic is None:
            return
        from jhs_qual.suggest.service import learning_examples

        examples = learning_examples(self.project, known=(self.learner or self.semantic).known)
        for follower in (self.learner, self.semantic if self.config.suggest.learn else None):
            if follower is not None:
                follower.sync(examples)
        if self.semantic is not None:
            self.project.store_embeddings(self.semantic.take_new())

    def _poll(self) -> None:
        version = self.project.data_version()
        if version != self._seen_version:  # another window committed
            self._seen_version = version
            self._learn()
            self._refresh_screens()

    def _refresh_screens(self) -> None:
        """Refresh the screen in view now; the others (in every mode) when they come back."""
        from jhs_qual.tui.screens.base import LiveScreen

        for stack in self._screen_stacks.values():
            for screen in stack:
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
            if mode in self._modes and mode != self.current_mode:
                self.switch_mode(mode)
                return

    def open_transcript(self, transcript_id: int, *, turn: int | None = None,
                        span: tuple[int, int] | None = None, find: str = "") -> None:
        from jhs_qual.tui.screens.coding import CodingScreen

        self.go("project")
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
