"""The workbench driven by key presses (App.run_test), asserting on the database and the screen."""

from __future__ import annotations

import re

import pytest

from jhs_qual.config import Config
from jhs_qual.store import Project
from jhs_qual.tui.app import JhsApp
from jhs_qual.tui.screens.coding import CodingScreen
from jhs_qual.tui.screens.compare import CompareScreen
from jhs_qual.tui.screens.project import ProjectScreen
from jhs_qual.tui.screens.quotes import QuotesScreen
from jhs_qual.tui.screens.summary import SummaryScreen
from jhs_qual.tui.widgets.transcript import TranscriptView, wrap
from tests.conftest import SAMPLES, wait_for, write

NAME = "po_leraar_de_linde"


@pytest.fixture
def project_path(run):
    assert run("import", str(SAMPLES / f"{NAME}.txt"), str(SAMPLES / "vo_mentor_het_baken.docx"),
               "--attributes", str(SAMPLES / "attributes.csv")).exit_code == 0
    return run.project_path


def no_suggestions(text, start, end, codebooks=None):
    return []


def make_app(path, coder="anna", tmp_config=None, suggester=no_suggestions) -> JhsApp:
    """The app with a fixed suggester: the real engine (spaCy) is tested in test_suggest.py."""
    return JhsApp(Project.open(path), coder=coder, config=tmp_config or Config(path=path.parent / "config.toml"),
                  suggester=suggester)


def codings(path, coder="anna"):
    with Project.open(path) as project:
        tid = project.transcript(NAME)["id"]
        return [(c["code"], c["start"], c["end"], c["memo"], c["origin"])
                for c in project.transcript_codings(tid, coder)]


def turn_span(path, number):
    with Project.open(path) as project:
        turn = project.turn(project.transcript(NAME)["id"], number)
    return turn["content_start"], turn["end"]


async def open_teacher(pilot):
    """From the project screen (sorted by name), open the teacher interview: the first row."""
    await pilot.pause()
    assert isinstance(pilot.app.screen, ProjectScreen)
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, CodingScreen)
    return pilot.app.screen.query_one(TranscriptView)


async def test_code_a_turn_by_its_shortcut_and_again_to_remove(project_path):
    app = make_app(project_path)
    async with app.run_test(size=(140, 45)) as pilot:
        view = await open_teacher(pilot)
        assert view.cursor == 1  # opens on the first answer without a coding: turn 2
        await pilot.press("j")  # the next answer: turn 4 (the question, turn 3, is passed over)
        assert view.cursor == 3
        await pilot.press("a")
        await pilot.pause()
        assert codings(project_path) == [("bronstein/interdependence", *turn_span(project_path, 4), "", "manual")]
        assert "coded turn 4 as Onderlinge afhankelijkheid" in str(app.screen.query_one("#status").render())
        await pilot.press("a")  # the same key on the same selection takes it off
        await pilot.pause()
        assert codings(project_path) == []


async def test_range_of_turns_and_a_word_span(project_path):
    app = make_app(project_path)
    async with app.run_test(size=(140, 45)) as pilot:
        view = await open_teacher(pilot)
        await pilot.press("shift+down", "shift+down")  # turns 2-4
        await pilot.press("s")
        await pilot.pause()
        start, _ = turn_span(project_path, 2)
        _, end = turn_span(project_path, 4)
        assert codings(project_path) == [("professional_topics/pupil_sel", start, end, "", "manual")]
        await pilot.press("j", "right", "right", "right")  # turn 6: first three words
        await pilot.press("f")
        await pilot.pause()
        text = Project.open(project_path).transcript(NAME)["text"]
        code, s, e, _, _ = codings(project_path)[-1]
        assert code == "bronstein/flexibility" and text[s:e] == "Eh, nou, eigenlijk"
        assert view.span is None  # the selection is used up


async def test_undo_redo_and_memo(project_path):
    app = make_app(project_path)
    async with app.run_test(size=(140, 45)) as pilot:
        await open_teacher(pilot)
        await pilot.press("a", "j", "f")
        await pilot.pause()
        assert len(codings(project_path)) == 2
        await pilot.press("m")  # turn, transcript, the code, the coding: the last
        await pilot.pause()
        await pilot.press("down", "down", "down", "enter")
        await pilot.pause()
        await pilot.press(*"loslaten", "ctrl+s")
        await pilot.pause()
        assert codings(project_path)[-1][3] == "loslaten"
        await pilot.press("m", "down", "down", "down", "enter")  # reopened: typing goes on, Enter a new line
        await pilot.pause()
        await pilot.press(*" en", "enter", *"vertrouwen", "ctrl+s")
        await pilot.pause()
        assert codings(project_path)[-1][3] == "loslaten en\nvertrouwen"
        await pilot.press("u", "u")  # the memo, twice
        await pilot.pause()
        assert codings(project_path)[-1][3] == ""
        await pilot.press("u", "u")  # both codings
        await pilot.pause()
        assert codings(project_path) == []
        await pilot.press("ctrl+r", "ctrl+r", "ctrl+r")
        await pilot.pause()
        assert [c[0] for c in codings(project_path)] == ["bronstein/interdependence", "bronstein/flexibility"]
        assert codings(project_path)[-1][3] == "loslaten"


async def test_remove_with_backspace_picks_which(project_path):
    app = make_app(project_path)
    async with app.run_test(size=(140, 45)) as pilot:
        await open_teacher(pilot)
        await pilot.press("a", "f", "backspace")
        await pilot.pause()
        await pilot.press("down", "enter")  # the second: flexibility
        await pilot.pause()
        assert [c[0] for c in codings(project_path)] == ["bronstein/interdependence"]


async def test_search_and_jump(project_path):
    app = make_app(project_path)
    async with app.run_test(size=(140, 45)) as pilot:
        view = await open_teacher(pilot)
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*"onderbrak")
        await pilot.pause()
        await pilot.press("enter")  # to the results
        await pilot.press("enter")  # go
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        turn = view.turns[view.cursor]
        assert "onderbrak" in view.text[turn["content_start"]:turn["end"]]


async def test_quotes_summary_and_back(project_path, run, tmp_path):
    from tests.test_scales import HEAD

    answers = [HEAD] + [[f"r{n}", ("PO", "VO")[n % 2], *[(n + i) % 5 + 1 for i in range(len(HEAD) - 2)]] for n in range(8)]
    write(tmp_path / "q.csv", "\n".join(",".join(map(str, row)) for row in answers))
    assert run("survey", "import", str(tmp_path / "q.csv"), "--scales", "isjo", "--id", "id").exit_code == 0
    app = make_app(project_path)
    async with app.run_test(size=(140, 45)) as pilot:
        await open_teacher(pilot)
        await pilot.press("a", "j", "a")
        await pilot.pause()
        await pilot.press("tab")  # to the code list
        await pilot.press("down")  # highlight the first code
        await pilot.press("f3")
        await pilot.pause()
        assert isinstance(app.screen, QuotesScreen)
        assert "2 segment(s) by anna" in str(app.screen.query_one("#quotes-title").render())
        await pilot.press("down", "enter")  # jump to the second quote
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        assert app.screen.query_one(TranscriptView).cursor == 3
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        await app.workers.wait_for_complete()  # counted in a worker
        await pilot.pause()
        table = app.screen.query_one("DataTable")
        assert [str(c.label) for c in table.columns.values()] == ["code", "PO", "VO", "total"]
        await pilot.press("j")  # the joint display: the scales beside their codes
        await pilot.pause()
        assert [str(c.label) for c in table.columns.values()] == ["scale · code", "alpha", "PO", "VO"]
        assert table.row_count == 4 and "n = 4" in str(table.get_row_at(0)[2])
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert isinstance(app.screen, ProjectScreen)


async def test_switch_coder_and_progress(project_path):
    app = make_app(project_path, coder="ben")
    async with app.run_test(size=(140, 45)) as pilot:
        await open_teacher(pilot)
        await pilot.press("w")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert codings(project_path, "ben") and not codings(project_path, "anna")
        table = app.screen.query_one("#transcripts")
        assert "1/37" in str(table.get_row_at(0)[-1])


async def test_asks_the_coder_once_and_saves_it(project_path, tmp_path):
    config = Config(path=tmp_path / "xdg" / "config.toml")
    app = make_app(project_path, coder="", tmp_config=config)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        await pilot.press(*"carla", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ProjectScreen) and app.coder == "carla"
    assert Config.load(config.path).coder == "carla"


async def test_another_window_writing_shows_up(project_path):
    app = make_app(project_path)
    async with app.run_test(size=(140, 45)) as pilot:
        view = await open_teacher(pilot)
        with Project.open(project_path) as other:  # a second instance on the same file
            tid = other.transcript(NAME)["id"]
            start, end = turn_span(project_path, 2)
            other.add_coding(tid, other.resolve_code("interdependence")["id"], "anna", start, end)
        # the poll notices PRAGMA data_version changing
        await wait_for(pilot, lambda: [c["code"] for c in view.codings] == ["bronstein/interdependence"])


async def test_filter_on_the_project_screen(project_path):
    app = make_app(project_path)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#transcripts")
        assert table.row_count == 2
        await pilot.press("f", *"school_type=VO")
        await pilot.pause()
        assert table.row_count == 1 and str(table.get_row_at(0)[0]) == "vo_mentor_het_baken"
        await pilot.press("ctrl+u", *"kamert")  # a word said (in the teacher's interview), as a word's start
        await pilot.pause()
        assert table.row_count == 1 and str(table.get_row_at(0)[0]) == NAME


async def test_the_list_reads_a_screen_of_rows_first_then_every_transcript(run, tmp_path):
    """At start the list reads as many rows as the screen has lines, and the rest once they
    are drawn; the title counts them all throughout, and the last row can be reached."""
    folder = tmp_path / "many"
    for n in range(30):
        write(folder / f"t{n:02d}.txt", f"Interviewer: Vraag {n}?\n\nLeraar: Antwoord {n}.\n")
    assert run("import", str(folder)).exit_code == 0
    app = make_app(run.project_path)
    asked, overview = [], app.project.transcript_overview

    def counted(first=None):
        asked.append(first)
        return overview(first)

    app.project.transcript_overview = counted
    async with app.run_test(size=(100, 12)) as pilot:
        table = app.screen.query_one("#transcripts")
        await wait_for(pilot, lambda: table.row_count == 30)
        assert asked == [12, None]
        assert "30 transcripts" in str(app.screen.query_one("#project-title").render())
        await pilot.press("end")
        assert table.cursor_key == str(app.project.transcript("t29")["id"])


async def test_compare_screen_settles(project_path, run):
    for coder, turns in (("anna", (36, 38)), ("ben", (36, 40))):
        for turn in turns:
            run("code", "add", NAME, "interdependence", "--turn", str(turn), "--coder", coder)
        run("transcripts", "done", NAME, "--coder", coder)
    run("consensus", "--coders", "anna", "ben", "--into", "consensus")
    app = make_app(project_path)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        await pilot.press("f5")
        await app.workers.wait_for_complete()  # built again and read in a worker: the workbench goes on
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen)
        assert "2 open, 0 settled" in str(app.screen.query_one("#compare-title").render())
        await pilot.press("a")
        await pilot.pause()
        assert "1 open, 1 settled" in str(app.screen.query_one("#compare-title").render())
    with Project.open(project_path) as project:
        assert [i["decision"] for i in project.consensus_items("consensus", include_settled=True)].count("a") == 1


async def test_suggestions_accept_and_reject(project_path):
    from jhs_qual.suggest.engine import Match, Suggestion

    def suggester(text, start, end, codebooks=None):
        found = text.find("samen", start, end)
        if found < 0:
            return []
        match = [Match("samen", "samen", "exact", 1.0, found, found + 5)]
        return [Suggestion("bronstein/interdependence", 0.9, match), Suggestion("bronstein/new_activities", 0.5, match)]

    app = make_app(project_path, suggester=suggester)
    async with app.run_test(size=(140, 45)) as pilot:
        view = await open_teacher(pilot)
        await pilot.press("j")  # turn 4 mentions 'samen'
        await wait_for(pilot, lambda: view.marks)
        await pilot.press("x")  # reject the first
        await wait_for(pilot, lambda: [s.code for s in app.screen.suggestions] == ["bronstein/new_activities"])
        await pilot.press("enter")  # accept what is left
        expected = [("bronstein/new_activities", *turn_span(project_path, 4), "", "suggested")]
        await wait_for(pilot, lambda: codings(project_path) == expected)


def test_wrap_keeps_every_character_and_the_width():
    text = "een twee drie vier vijf zes zeven acht negen tien elf twaalf\nnieuwe alinea met woorden"
    lines = wrap(text, 0, len(text), 12)
    assert "".join(text[s:e] for s, e in lines).replace(" ", "") == text.replace("\n", "").replace(" ", "")
    assert all(len(text[s:e].rstrip()) <= 12 for s, e in lines)
    assert text[lines[-1][0]:lines[-1][1]] == "woorden"


async def test_keys_remapped_in_the_config(project_path, tmp_path):
    config = Config(path=tmp_path / "config.toml", keys={"undo": "z"})
    app = make_app(project_path, tmp_config=config)
    async with app.run_test(size=(140, 45)) as pilot:
        await open_teacher(pilot)
        await pilot.press("a")
        await pilot.pause()
        assert len(codings(project_path)) == 1
        await pilot.press("z")
        await pilot.pause()
        assert codings(project_path) == []


def test_every_binding_has_a_registry_id_and_the_config_is_checked(tmp_path):
    """Every screen's and dialog's bindings come from jhs_qual.keys; a misspelt id or a remap that
    gives one key two meanings on a screen is refused in one line."""
    from jhs_qual.errors import BadInput
    from jhs_qual.keys import ids
    from jhs_qual.tui.dialogs import AskText, PickOne
    from jhs_qual.tui.dialogs.search import SearchDialog
    from jhs_qual.tui.screens.summary import SummaryScreen
    from jhs_qual.tui.widgets.transcript import TranscriptView

    for owner in (JhsApp, CodingScreen, CompareScreen, ProjectScreen, QuotesScreen, SummaryScreen, AskText, PickOne,
                  SearchDialog, TranscriptView):
        assert owner.BINDINGS and all(binding.id in ids() for binding in owner.BINDINGS), owner
    for keys, message in (('quote_filtr = "g"', "'quote_filtr' is not a key binding id; did you mean 'quote_filter'?"),
                          ('take_a = "b"', "'b' would do two things in the compare screen: take_a and take_b")):
        (tmp_path / "c.toml").write_text(f"[keys]\n{keys}\n", encoding="utf-8")
        with pytest.raises(BadInput, match=re.escape(message)):
            Config.load(tmp_path / "c.toml")


def test_the_private_textual_names_we_use_are_still_there():
    """The coding screen binds code keys at run time through Textual's binding map (no public way
    exists in Textual 8): an upgrade that renames it fails here, not in a coder's hands."""
    from textual.binding import BindingsMap

    assert isinstance(CodingScreen._merged_bindings, BindingsMap) and hasattr(BindingsMap, "bind")
    assert "_bindings" in vars(CodingScreen(1)) or hasattr(CodingScreen, "_bindings")


async def test_opening_on_a_turn_shows_that_turn(project_path, tmp_path):
    with Project.open(project_path) as project:
        tid = project.transcript(NAME)["id"]
    app = JhsApp(Project.open(project_path), coder="anna", config=Config(path=tmp_path / "c.toml"),
                 suggester=no_suggestions, open_transcript=(tid, 35))
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, CodingScreen))
        view = app.screen.query_one(TranscriptView)

        def shown() -> bool:
            y = view.scroll_offset.y
            return view.cursor == 35 and y <= view._first_line[35] < y + view.size.height

        await wait_for(pilot, shown)


async def test_a_transcript_no_codebook_applies_to_says_so(run, tmp_path):
    write(tmp_path / "admin.txt", "Interviewer: How is it going?\nAdmin: Fine, thank you.\n")
    assert run("import", str(tmp_path / "admin.txt"), "--attr", "role=admin").exit_code == 0
    with Project.open(run.project_path) as project:
        tid = project.transcript("admin")["id"]
    app = JhsApp(Project.open(run.project_path), coder="anna", config=Config(path=tmp_path / "c.toml"),
                 suggester=no_suggestions, open_transcript=(tid, None))
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, CodingScreen) and app.screen.codes == []
                       and "No codebook applies" in str(app.screen.query_one("#status").render()))


async def test_leaving_the_coder_prompt_is_no_success(project_path, tmp_path):
    app = make_app(project_path, coder="", tmp_config=Config(path=tmp_path / "c.toml"))
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert app.return_code == 1


async def test_light_and_dark(project_path, tmp_path):
    app = make_app(project_path, tmp_config=Config(path=tmp_path / "c.toml", theme="textual-light"))
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        assert not app.current_theme.dark
        await pilot.press("ctrl+t")
        assert app.current_theme.dark


async def test_enter_while_the_engine_loads_applies_nothing(project_path, monkeypatch):
    """The real engine (keyword layer; the semantic layer off to keep it quick), held back
    until Enter was pressed: Enter then stores nothing and says why; once the suggestions are
    on screen, Enter applies the top one, as shown."""
    import threading
    from dataclasses import replace

    release = threading.Event()
    build = JhsApp._build_engine
    monkeypatch.setattr(JhsApp, "_build_engine", lambda self, *args: (release.wait(60), build(self, *args)))
    config = Config(path=project_path.parent / "config.toml")
    config.suggest = replace(config.suggest, encoder="none")
    app = make_app(project_path, tmp_config=config, suggester=None)
    async with app.run_test(size=(140, 45)) as pilot:
        view = await open_teacher(pilot)
        screen = app.screen
        while view.cursor < 9:  # to turn 10: its words match keywords
            await pilot.press("j")
        first = view.cursor
        await pilot.press("enter")
        await pilot.pause()
        assert codings(project_path) == [] and view.cursor == first
        assert "not on screen yet" in str(screen.query_one("#status").render())
        release.set()
        await wait_for(pilot, lambda: screen._shown_for == view.cursor)
        shown = [s.code for s in screen.suggestions]
        assert shown  # the first answer has keyword evidence
        await pilot.press("enter")
        await wait_for(pilot, lambda: view.cursor != first)
        assert [c[0] for c in codings(project_path)] == shown[:1]


async def test_moving_on_records_how_far_the_coder_read_and_f8_marks_finished(project_path):
    app = make_app(project_path)
    async with app.run_test(size=(140, 45)) as pilot:
        view = await open_teacher(pilot)
        with Project.open(project_path) as project:
            tid = project.transcript(NAME)["id"]
            assert tid not in project.reached("anna")  # opening is not reading
        start = view.cursor
        await pilot.press("j", "j")
        await wait_for(pilot, lambda: view.cursor > start)
        with Project.open(project_path) as project:
            offset, finished = project.reached("anna")[tid]
        assert offset == view.turns[view.cursor - 1]["end"] and not finished
        await pilot.press("f8")
        await pilot.pause()
        with Project.open(project_path) as project:
            assert project.reached("anna")[tid][1]
        await pilot.press("u")  # undoes the mark, the last change of this window
        await pilot.pause()
        with Project.open(project_path) as project:
            assert not project.reached("anna")[tid][1]


async def test_delete_keeps_by_default_and_u_brings_back_exactly_that_removal(project_path, run):
    """Delete then Enter keeps the transcript (the highlighted default); choosing Remove keeps
    it aside; u brings back that transcript with its codings, not an earlier change."""
    run("code", "add", NAME, "interdependence", "--turn", "36", "--coder", "anna")
    app = make_app(project_path)
    async with app.run_test(size=(140, 45)) as pilot:
        await open_teacher(pilot)
        await pilot.press("A")  # an earlier change of this window: a coding on turn 2
        await pilot.pause()
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, ProjectScreen)
        await pilot.press("escape")  # back to the list from the transcript
        await pilot.pause()
        await pilot.press("delete", "enter")
        await pilot.pause()
        with Project.open(project_path) as project:
            assert NAME in project.transcript_names().values()
        await pilot.press("delete", "down", "enter")
        await wait_for(pilot, lambda: NAME not in Project.open(project_path).transcript_names().values())
        await pilot.press("u")
        await wait_for(pilot, lambda: NAME in Project.open(project_path).transcript_names().values())
    assert len(codings(project_path)) == 2  # the coding made before, and the one from the command line


async def test_a_coders_workbench_refuses_what_only_a_lead_may_do(project_path, run):
    """In a browser a coder (not a lead) cannot remove a transcript, edit a shared code or
    settle a consensus: each says why in one line, and nothing changes."""
    for coder, turns in (("anna", (36, 38)), ("ben", (36, 40))):
        for turn in turns:
            run("code", "add", NAME, "interdependence", "--turn", str(turn), "--coder", coder)
        run("transcripts", "done", NAME, "--coder", coder)
    run("consensus", "--coders", "anna", "ben", "--into", "consensus")
    app = JhsApp(Project.open(project_path), coder="ben", config=Config(path=project_path.parent / "config.toml"),
                 suggester=no_suggestions, role="coder")
    notes = []
    app.notify = lambda message, **_: notes.append(message)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        await pilot.press("delete")
        await pilot.pause()
        assert isinstance(app.screen, ProjectScreen) and "only a lead can remove a transcript" in notes[-1]
        await pilot.press("f5")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        assert "only a lead can settle a consensus" in notes[-1]
    with Project.open(project_path) as project:
        assert NAME in project.transcript_names().values()
        assert all(item["decision"] is None for item in project.consensus_items("consensus"))


async def test_opening_a_transcript_twice_at_once_does_not_crash(project_path):
    """A click then a double click on a row (in a browser, both before the screen comes): the
    second opening of the same transcript is the first; another one replaces it cleanly."""
    app = make_app(project_path)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        with Project.open(project_path) as project:
            ids = sorted(project.transcript_names())
        for tid in (ids[0], ids[0], ids[1], ids[0]):
            app.open_transcript(tid)
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen) and app.screen.transcript_id == ids[0]
        assert app.return_code is None  # still running, no error


async def test_a_long_dialog_title_wraps_inside_the_dialog(project_path):
    """Dialog titles were cut at the dialog's edge (a speaker list, a long transcript name):
    at 120 columns the whole title is inside the dialog, on as many lines as it needs."""
    from jhs_qual.tui.dialogs import AskText

    title = "Rename a speaker of po_leerlingen_groep6_de_linde: OLD=NEW (" + ", ".join(
        f"Leerling {n}" for n in range(1, 12)) + ")"
    app = make_app(project_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.push_screen(AskText(title))
        await pilot.pause()
        label = app.screen.query_one(".dialog-title")
        dialog = app.screen.query_one(".dialog")
        assert label.region.right <= dialog.content_region.right and label.region.height >= 2
        assert "".join(str(label.render()).split()) == "".join(title.split())


async def test_the_code_lists_counts_follow_here_and_elsewhere(project_path):
    """The code list's "this transcript / project" counts: the project's were counted over every
    coding at each key (87 ms at 5,000 transcripts); they are counted once, then follow this
    transcript's, and are counted again when another window commits."""
    from jhs_qual.tui.widgets.code_tree import CodeTree

    app = make_app(project_path)
    async with app.run_test(size=(140, 45)) as pilot:
        await open_teacher(pilot)
        screen, tree = app.screen, app.screen.query_one(CodeTree)
        code = screen.by_key["a"]
        await pilot.press("j", "a")
        await pilot.pause()
        assert (tree._counts[0].get(code["id"]), tree._counts[1].get(code["id"])) == (1, 1)
        with Project.open(project_path) as other:  # another window codes the other transcript
            tid = other.transcript("vo_mentor_het_baken")["id"]
            turn = other.turn(tid, 4)
            other.add_coding(tid, code["id"], "anna", turn["content_start"], turn["end"])
        await wait_for(pilot, lambda: tree._counts[1].get(code["id"]) == 2)
        await pilot.press("j", "a")
        await pilot.pause()
        assert (tree._counts[0].get(code["id"]), tree._counts[1].get(code["id"])) == (2, 3)


def test_a_worker_reading_aside_says_why_it_cannot_instead_of_ending_the_workbench(project_path, tmp_path):
    from jhs_qual.errors import BadInput
    from jhs_qual.tui.screens.base import read_aside

    assert read_aside(project_path, lambda project: project.counts()["transcripts"]) == (2, None)
    gone, why = read_aside(tmp_path / "gone.jhsq", lambda project: 1)
    assert gone is None and "gone.jhsq" in why
    (tmp_path / "damaged.jhsq").write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    damaged, why = read_aside(tmp_path / "damaged.jhsq", lambda project: 1)
    assert damaged is None and why

    def refused(project):
        raise BadInput("no such coder", field="CODER")

    assert read_aside(project_path, refused) == (None, "CODER: no such coder")
