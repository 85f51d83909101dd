"""The coding loop (issue: about one key per answer): scopes, accept-and-advance, navigation,
selection, remembered rejections, codes and memos in the workbench, the other screens,
and nothing typed lost. Driven through the Textual pilot; asserts on the project file."""

from __future__ import annotations

import pytest

from jhs_qual.codebook import load_codebook
from jhs_qual.config import Config
from jhs_qual.errors import BadInput
from jhs_qual.keys import reserved_keys
from jhs_qual.store import Project
from jhs_qual.suggest.engine import Match, Suggestion
from jhs_qual.tui.app import JhsApp
from jhs_qual.tui.screens.coding import CodingScreen
from jhs_qual.tui.screens.compare import CompareScreen
from jhs_qual.tui.screens.project import ProjectScreen
from jhs_qual.tui.screens.quotes import QuotesScreen
from jhs_qual.tui.screens.summary import SummaryScreen
from jhs_qual.tui.widgets.code_tree import CodeTree
from jhs_qual.tui.widgets.transcript import TranscriptView
from tests.conftest import CODEBOOKS, SAMPLES, wait_for

JHV = "so_jeugdhulpverlener_de_horizon"
PUPILS = "so_leerlingen_de_horizon"


def fixed(text, start, end, codebooks=None):
    """Every answer: flexibility first, interdependence second, new_activities third (pupil codes
    would be offered too if the screen did not pass the transcript's codebooks)."""
    found = [Suggestion("bronstein/flexibility", 0.9, [Match("x", "x", "exact", 1.0, start, start + 1)]),
             Suggestion("bronstein/interdependence", 0.6, []),
             Suggestion("bronstein/new_activities", 0.4, []),
             Suggestion("pupil_topics/intervention", 0.3, [])]
    return [s for s in found if codebooks is None or s.code.partition("/")[0] in codebooks]


@pytest.fixture
def sample(run):
    assert run("import", str(SAMPLES), "--attributes", str(SAMPLES / "attributes.csv")).exit_code == 0
    return run.project_path


def app_on(path, suggester=fixed, coder="anna", config=None, **kwargs) -> JhsApp:
    return JhsApp(Project.open(path), coder=coder, config=config or Config(path=path.parent / "config.toml"),
                  suggester=suggester, **kwargs)


def ids(path, name):
    with Project.open(path) as project:
        return project.transcript(name)["id"]


def stored(path, name=JHV, coder="anna"):
    with Project.open(path) as project:
        tid = project.transcript(name)["id"]
        turns = {t["content_start"]: t["idx"] + 1 for t in project.db.query(
            "SELECT idx, content_start FROM turns WHERE transcript_id = ?", [tid])}
        return [(turns.get(c["start"]), c["code"], c["origin"]) for c in project.transcript_codings(tid, coder)]


async def opened(pilot, name=JHV) -> TranscriptView:
    await pilot.pause()
    assert isinstance(pilot.app.screen, CodingScreen), pilot.app.screen
    assert pilot.app.screen.transcript_name == name
    return pilot.app.screen.query_one(TranscriptView)


# --- 1. codebooks apply to transcripts -------------------------------------------------------

async def test_only_the_codebooks_that_apply_are_shown_and_keyed(sample):
    app = app_on(sample, open_transcript=(ids(sample, PUPILS), None))
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot, PUPILS)
        screen = app.screen
        assert {c["codebook_id"] for c in screen.codes} == {"pupil_topics"}
        assert set(screen.by_key) == set("lzgrhob")
        await pilot.press("a")  # bronstein's key does nothing here
        await pilot.press("l")
        await pilot.pause()
    assert [code for _, code, _ in stored(sample, PUPILS)] == ["pupil_topics/intervention"]


def test_scope_command_and_cli_suggestions(sample, run):
    out = run("suggest", JHV, "--json").output
    assert "pupil_topics/" not in out and "bronstein/" in out
    assert "pupil_topics" in run("suggest", PUPILS, "--json").output
    assert "bronstein/" not in run("suggest", PUPILS, "--json").output
    refused = run("codebook", "scope", "pupil_topics", "--all")  # its keys would meet bronstein's
    assert refused.exit_code == 2 and "shortcut key" in refused.output
    assert run("codebook", "scope", "bronstein", "--where", "role=leraar,mentor").exit_code == 0
    assert "bronstein/" not in run("suggest", JHV, "--json", "--top", "20", "--min-score", "0").output
    result = run("codebook", "scope", "bronstein", "--from-yaml")
    assert "role=leraar,leerkracht,mentor,docent,jeugdhulpverlener (3 transcripts" in result.output


def test_keys_shared_by_disjoint_codebooks_and_workbench_keys_refused_at_start(sample, tmp_path):
    with Project.open(sample) as project:
        text = (CODEBOOKS / "pupil_topics.yaml").read_text(encoding="utf-8").replace("key: l", "key: a")
        book = tmp_path / "pupil_topics.yaml"
        book.write_text(text, encoding="utf-8")
        assert project.load_codebook(load_codebook(book)) == "updated"  # 'a' is bronstein's, but never together
        with pytest.raises(BadInput, match="shortcut key 'a' is taken by the workbench .*keymap id undo"):
            project.check_keys(reserved_keys({"undo": "a"}))


# --- 2. accept and move on -----------------------------------------------------------------------

async def test_enter_five_times_stores_the_top_suggestions_of_five_answers(sample):
    app = app_on(sample, open_transcript=(ids(sample, JHV), None))
    async with app.run_test(size=(120, 40)) as pilot:
        view = await opened(pilot)
        assert view.cursor == 1  # turn 2: the first answer
        await pilot.press("enter", "enter", "enter", "enter", "enter", "ctrl+q")  # no pause: typed ahead
    assert stored(sample) == [(n, "bronstein/flexibility", "suggested") for n in (2, 4, 6, 8, 10)]


async def test_second_and_third_by_key_and_enter_in_the_list(sample):
    app = app_on(sample, open_transcript=(ids(sample, JHV), None))
    async with app.run_test(size=(120, 40)) as pilot:
        view = await opened(pilot)
        await wait_for(pilot, lambda: len(app.screen.suggestions) >= 3)
        await pilot.press("@", "#")  # turn 2: the second and third, staying
        await wait_for(pilot, lambda: len(stored(sample)) == 2)
        assert view.cursor == 1
        await pilot.press("tab", "tab")  # to the suggestions: the first, flexibility, is highlighted
        await pilot.press("enter")
        await wait_for(pilot, lambda: view.cursor == 3)
        assert app.screen.focused is view
    assert sorted(stored(sample)) == [(2, "bronstein/flexibility", "suggested"),
                                      (2, "bronstein/interdependence", "suggested"),
                                      (2, "bronstein/new_activities", "suggested")]


async def test_enter_on_a_turn_without_suggestions_moves_on(sample):
    app = app_on(sample, suggester=lambda *a, **k: [], open_transcript=(ids(sample, JHV), None))
    async with app.run_test(size=(120, 40)) as pilot:
        view = await opened(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert view.cursor == 3
    assert stored(sample) == []


# --- 3. navigation -----------------------------------------------------------------------------

async def test_answers_only_toggle_next_uncoded_and_the_question_in_view(sample, run):
    run("code", "add", JHV, "flexibility", "--turn", "2", "--coder", "anna")
    run("code", "add", JHV, "flexibility", "--turn", "6", "--coder", "anna")
    app = app_on(sample, open_transcript=(ids(sample, JHV), None))
    async with app.run_test(size=(100, 30)) as pilot:
        view = await opened(pilot)
        assert view.cursor == 3  # turn 4: the first answer not coded yet
        await pilot.press("space")
        assert view.cursor == 7  # turn 8 (turn 6 is coded)
        await pilot.press("k")
        assert view.cursor == 5
        await pilot.press("t", "k")
        assert view.cursor == 4  # the interviewer's turn 5
        await pilot.press("t")
        for _ in range(20):
            await pilot.press("j")
            question = view._first_line[view.cursor - 1]
            assert question >= view.scroll_offset.y  # the question above the answer is on screen


async def test_open_on_a_turn(sample):
    app = app_on(sample, open_transcript=(ids(sample, JHV), 9))
    async with app.run_test(size=(100, 30)) as pilot:
        view = await opened(pilot)
        assert view.cursor == 9
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ProjectScreen)


def test_tui_refuses_without_a_terminal_and_checks_open(sample, run):
    result = run("tui", "--open", JHV)
    assert result.exit_code == 2 and "needs a terminal" in result.output
    assert run("tui", "--turn", "3").exit_code == 2


# --- 4. selecting part of a turn -------------------------------------------------------------------

async def test_sentences_and_words(sample):
    app = app_on(sample, open_transcript=(ids(sample, JHV), 5))
    async with app.run_test(size=(120, 40)) as pilot:
        view = await opened(pilot)
        text = view.text
        await pilot.press("v")
        assert text[slice(*view.span)] == "Het gaat over ontspannen en over boosheid."
        await pilot.press("v")
        assert text[slice(*view.span)] == "Hoe merk je dat je boos wordt, wat doe je dan."
        await pilot.press("]")
        assert text[slice(*view.span)].endswith("We doen ademhalingsoefeningen, we hebben een stoplicht in de klas hangen.")
        await pilot.press("[", "ctrl+left")
        assert text[slice(*view.span)] == "Hoe merk je dat je boos wordt, wat doe je"
        await pilot.press("ctrl+right", "f")  # four keys from the turn: v v ctrl... here a few more
        await pilot.pause()
        coding = app.screen.query_one(TranscriptView).codings_on(5)[0]
        assert view.is_partial(coding, 5)
        assert "◐" in str(app.screen.query_one("#turn-info").render())


async def test_a_sentence_from_a_search_hit(sample):
    app = app_on(sample, open_transcript=(ids(sample, JHV), None))
    async with app.run_test(size=(120, 40)) as pilot:
        view = await opened(pilot)
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*"stoplicht")
        await pilot.pause()
        await pilot.press("enter", "enter")
        await pilot.pause()
        await pilot.press("v")
        assert view.text[slice(*view.span)].startswith("We doen ademhalingsoefeningen")


# --- 5. rejections are remembered ----------------------------------------------------------------

async def test_rejection_is_stored_undone_and_respected_by_autocode(sample, run):
    app = app_on(sample, open_transcript=(ids(sample, JHV), None))
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)

        def first(code: str):
            return lambda: [s.code for s in app.screen.suggestions][:1] == [code]

        await wait_for(pilot, first("bronstein/flexibility"))
        await pilot.press("x")  # flexibility rejected for turn 2
        await wait_for(pilot, first("bronstein/interdependence"))
        await pilot.press("u")
        await wait_for(pilot, first("bronstein/flexibility"))
        await pilot.press("ctrl+r")  # rejected again
        await wait_for(pilot, first("bronstein/interdependence"))
    app = app_on(sample, open_transcript=(ids(sample, JHV), 1))
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        await wait_for(pilot, lambda: app.screen.suggestions)
        assert "bronstein/flexibility" not in [s.code for s in app.screen.suggestions]  # remembered
    with Project.open(sample) as project:
        assert len(project.rejections("anna").spans) == 1
    turn2 = Project.open(sample).turn(ids(sample, JHV), 2)
    # autocode's own engine on the real keywords: whatever it finds, not flexibility on turn 2
    assert run("autocode", JHV, "--min-score", "0", "--top", "8").exit_code == 0
    auto = [(c[0], c[1]) for c in stored(sample, coder="auto")]
    assert (2, "bronstein/flexibility") not in auto and turn2["idx"] == 1


# --- 6. codes without leaving the workbench ---------------------------------------------------------

async def test_in_vivo_code_rename_merge_and_undo(sample, run, tmp_path):
    app = app_on(sample, open_transcript=(ids(sample, JHV), 5))
    async with app.run_test(size=(120, 40)) as pilot:
        view = await opened(pilot)
        await pilot.press("right", "right", "right")  # "Het gaat over"
        await pilot.press("plus")
        await pilot.pause()
        await pilot.press("enter")  # into the first codebook that applies: bronstein
        await pilot.pause()
        await pilot.press("enter")  # the label is the words: keep it
        await pilot.pause()
        new = [c for c in app.screen.codes if c["code_id"] == "het_gaat_over"]
        assert new and new[0]["codebook_id"] == "bronstein"
        assert ("bronstein/het_gaat_over") in [c["code"] for c in view.codings_on(5)]
        await pilot.press("u")  # the code and its coding go
        await pilot.pause()
        assert not [c for c in app.screen.codes if c["code_id"] == "het_gaat_over"]
        await pilot.press("ctrl+r")
        await pilot.pause()
        screen = app.screen
        screen.query_one(CodeTree).highlight_code(next(c["id"] for c in screen.codes if c["code_id"] == "het_gaat_over"))
        await pilot.pause()
        await pilot.press("asterisk", "enter")  # rename
        await pilot.pause()
        await pilot.press("ctrl+u", *"Ontspanning", "enter")
        await pilot.pause()
        assert any(c["label_nl"] == c["label_en"] == "Ontspanning" for c in screen.codes)  # English follows
        await pilot.press("asterisk", "down", "down", "enter")  # its id, which were the words too ...
        await pilot.pause()
        await pilot.press("ctrl+u", *"Ont spanning", "enter")  # ... not an id: said, the dialog stays
        await pilot.pause()
        assert "is not a code id" in str(app.screen.query_one("#answer-error").render())
        await pilot.press("ctrl+u", *"ontspanning", "enter")
        await pilot.pause()
        assert [c["code"] for c in view.codings_on(5)] == ["bronstein/ontspanning"]
        await pilot.press("asterisk", *(["down"] * 4), "enter")  # its shortcut key ...
        await pilot.pause()
        await pilot.press("ctrl+u", "u", "enter")  # ... 'u' is undo's: said in the dialog, which stays open
        await pilot.pause()
        assert "taken by the workbench" in str(app.screen.query_one("#answer-error").render())
        await pilot.press("backspace", "z", "enter")  # only the key retyped
        await pilot.pause()
        assert next(c for c in screen.codes if c["label_nl"] == "Ontspanning")["key"] == "z"
        await pilot.press("asterisk", *(["down"] * 7), "enter")  # merge into ...
        await pilot.pause()
        await pilot.press("down", "enter")  # ... the second other code: new_activities
        await pilot.pause()
        assert [c["code"] for c in view.codings_on(5)] == ["bronstein/new_activities"]
    out = tmp_path / "bronstein.yaml"
    assert run("codebook", "save", "bronstein", "-o", str(out)).exit_code == 0
    assert run("codebook", "check", str(out), project=False).exit_code == 0
    assert "het_gaat_over" not in out.read_text(encoding="utf-8")
    assert "# Bronstein" in out.read_text(encoding="utf-8") or out.read_text(encoding="utf-8").startswith("#")


# --- 7. memos on a turn, a transcript, a code --------------------------------------------------------

async def test_turn_memo_shown_in_quotes_and_exported(sample, run, tmp_path):
    app = app_on(sample, open_transcript=(ids(sample, JHV), 5))
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        await pilot.press("f")
        await pilot.press("m", "enter")  # on the turn
        await pilot.pause()
        await pilot.press(*"klopt met wat de leerkracht zei", "ctrl+s")
        await pilot.pause()
        assert "✎ klopt met" in str(app.screen.query_one("#turn-info").render())
        await pilot.press("m", "down", "enter")  # on the transcript
        await pilot.pause()
        await pilot.press(*"rustig gesprek", "ctrl+s")
        await pilot.pause()
        await pilot.press("f3")
        await pilot.pause()
        assert isinstance(app.screen, QuotesScreen)
        shown = app.screen.query_one("#quotes").get_option_at_index(0).prompt
        assert "✎ turn: klopt met wat de leerkracht zei" in str(shown)
    with Project.open(sample) as project:
        assert {m["text"] for m in project.memos("anna")} == {"klopt met wat de leerkracht zei", "rustig gesprek"}
    out = tmp_path / "q.md"
    assert run("quotes", "--code", "flexibility", "-o", str(out)).exit_code == 0
    assert "memo on the turn: klopt met wat de leerkracht zei" in out.read_text(encoding="utf-8")


async def test_the_memo_screen_lists_every_memo_with_its_owner_and_opens_it(sample, run):
    """Memos were only visible in their dialog. F6 lists them with what each hangs on, the
    coder's own or every coder's (a); Enter opens the transcript on the memo's turn; e edits."""
    run("code", "add", JHV, "flexibility", "--turn", "6", "--coder", "anna")
    with Project.open(sample) as project:
        tid = ids(sample, JHV)
        turn = project.turn(tid, 4)
        project.write_memo("anna", "twijfel over de toon", transcript_id=tid, span=(turn["content_start"], turn["end"]))
        project.write_memo("anna", "rustig gesprek", transcript_id=tid)
        project.write_memo("ben", "van ben", code_row_id=project.resolve_code("flexibility")["id"])
        coding = project.transcript_codings(tid, "anna")[0]
        project.set_memo(coding["id"], "hier begint het")
    app = app_on(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("f6")
        await pilot.pause()
        listing = app.screen.query_one("#memos")
        shown = [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
        assert any(f"transcript {JHV}" in s and "rustig gesprek" in s for s in shown)
        assert any(f"turn 4 of {JHV}" in s and "twijfel over de toon" in s for s in shown)
        assert any(f"coding Flexibiliteit in turn 6 of {JHV}" in s and "hier begint het" in s for s in shown)
        assert not any("van ben" in s for s in shown)
        await pilot.press("a")
        await pilot.pause()
        assert any("code Flexibiliteit · ben" in str(listing.get_option_at_index(i).prompt)
                   for i in range(listing.option_count))
        await pilot.press("a")
        await pilot.pause()
        listing.highlighted = next(i for i in range(listing.option_count)
                                   if "turn 4 of" in str(listing.get_option_at_index(i).prompt))
        await pilot.press("e", "ctrl+u", *"geen twijfel", "ctrl+s")
        await pilot.pause()
        await pilot.press("enter")
        view = await opened(pilot)
        assert isinstance(app.screen, CodingScreen) and view.cursor == 3
    with Project.open(sample) as project:
        assert "geen twijfel" in {m["text"] for m in project.memos("anna")}


# --- 8. the other screens ------------------------------------------------------------------------------

async def test_quotes_filter_and_coder(sample, run):
    run("code", "add", JHV, "flexibility", "--turn", "6", "--coder", "anna")
    run("code", "add", "po_leraar_de_linde", "flexibility", "--turn", "6", "--coder", "anna")
    run("code", "add", "po_leraar_de_linde", "flexibility", "--turn", "8", "--coder", "ben")
    app = app_on(sample, open_transcript=(ids(sample, JHV), 5))
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        await pilot.press("f3")
        await pilot.pause()
        title = lambda: str(app.screen.query_one("#quotes-title").render())  # noqa: E731
        assert "2 segment(s) by anna" in title()
        await pilot.press("f", *"role=leraar", "enter")
        await pilot.pause()
        assert "1 of 2 segment(s) by anna" in title()
        await pilot.press("a")  # all coders
        await pilot.pause()
        assert "2 of 3 segment(s) by all coders" in title()


async def test_compare_picks_coders_shows_agreement_and_new_codings(sample, run):
    for coder, turns in (("anna", (2, 4)), ("ben", (2, 6))):
        for turn in turns:
            run("code", "add", JHV, "flexibility", "--turn", str(turn), "--coder", coder)
        run("transcripts", "done", JHV, "--coder", coder)  # read to the end: every answer counts
    app = app_on(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("f5")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CompareScreen) and screen.pair == ("anna", "ben")
        assert screen.query_one("#compare-title").region.height > 0  # laid out and drawn, not blank
        table = screen.query_one("#agreement")
        assert "working out how anna and ben agree" in str(table.get_row_at(0)[0]) or screen.agreement_shown
        await app.workers.wait_for_complete()  # worked out in a worker: the workbench goes on meanwhile
        await pilot.pause()
        assert screen.agreement_shown == ("anna", "ben")
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows[0][:4] == ["Flexibiliteit", "31", "2", "2"]  # labels, as every other screen shows codes
        assert rows[-1][0] == "overall"
        await pilot.press("ctrl+b", "enter")  # build 'consensus'
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(screen.items) == 2
        assert "turn 4" in str(screen.query_one("#items").get_option_at_index(0).prompt)
        assert "1 agreed, 2 new item(s), 2 open" in str(screen.query_one("#status").render())
        run("code", "add", JHV, "flexibility", "--turn", "8", "--coder", "ben")
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press("f5")
        await app.workers.wait_for_complete()  # built again in a worker
        await pilot.pause()
        assert len(screen.items) == 3  # the coding made after the build is an item


async def test_summary_arrows_and_no_double_counting(sample, run):
    """One summary: the workbench's totals are the summary command's (people's codings: no
    consensus coder, no autocode), with both present."""
    run("code", "add", JHV, "flexibility", "--turn", "2", "--coder", "anna")
    run("code", "add", JHV, "flexibility", "--turn", "2", "--coder", "ben")
    run("consensus", "--coders", "anna", "ben", "--into", "consensus")
    assert run("autocode", JHV, "--coder", "auto", "--min-score", "0").exit_code == 0
    listed = run("summary", "--by", "role", "--format", "csv", "--table", "codes", "-o", "-").output
    row = next(line for line in listed.splitlines() if line.startswith("bronstein/flexibility,"))
    assert row.split(",")[2] == "2"  # codings: anna + ben
    everything = run("summary", "--by", "role", "--all-coders", "--format", "csv", "--table", "codes", "-o", "-").output
    assert next(line for line in everything.splitlines() if line.startswith("bronstein/flexibility,")).split(",")[2] != "2"
    app = app_on(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("f4")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SummaryScreen)
        before = screen.index
        await pilot.press("right")
        assert screen.index == (before + 1) % len(screen.attributes)
        await pilot.press("left")
        assert screen.index == before
        await pilot.press("a")
        await pilot.pause()
        await app.workers.wait_for_complete()  # counted in a worker
        await pilot.pause()
        assert screen.shown == (screen.attributes[before], None, "codings")
        table = screen.query_one("DataTable")
        totals = {str(table.get_row_at(i)[0]).strip("● "): str(table.get_row_at(i)[-1]) for i in range(table.row_count)}
        assert totals["Flexibiliteit"] == "2"  # anna + ben, not the consensus on top
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ProjectScreen)


async def test_code_list_and_footer_fit_at_100_by_30(sample, run):
    run("code", "add", JHV, "flexibility", "--turn", "2", "--coder", "anna")
    run("code", "add", "po_leraar_de_linde", "flexibility", "--turn", "2", "--coder", "anna")
    app = app_on(sample, open_transcript=(ids(sample, JHV), None))
    async with app.run_test(size=(100, 30)) as pilot:
        await opened(pilot)
        await pilot.pause()
        tree = app.screen.query_one(CodeTree)
        assert tree.max_scroll_y == 0  # every code on screen
        labels = [str(tree.get_option_at_index(i).prompt) for i in range(tree.option_count)]
        assert any("Nieuw gecreëerde professionele activiteiten" in label for label in labels)  # whole
        assert any("Flexibiliteit  1/2" in label for label in labels)  # this transcript / the project
        footer = " ".join(str(k.render()) for k in app.screen.query("FooterKey"))
        for key in ("f2", "f3", "f4", "f5"):
            assert key in footer


async def test_the_suggestions_take_the_free_height(sample):
    """Suggestions were squeezed into 9 rows under a code list that kept 25 empty rows: the code
    list now takes the rows its codes need, the suggestions the rest (none cut at 120x40)."""
    app = app_on(sample, open_transcript=(ids(sample, JHV), 1))
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        await pilot.pause()
        tree, panel = app.screen.query_one(CodeTree), app.screen.query_one("#suggestions")
        assert tree.max_scroll_y == 0 and tree.region.height <= tree.virtual_size.height + 1
        assert panel.region.height >= 15 and panel.option_count == 3 and panel.max_scroll_y == 0


async def test_filter_with_spaces_prefixes_and_no_match(sample):
    app = app_on(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#transcripts")
        await pilot.press("f", *'school="Het Baken"')
        await pilot.pause()
        assert table.row_count == 2
        await pilot.press("escape", "f", *"role=leer")
        await pilot.pause()
        assert table.row_count == 3
        await pilot.press("escape", "f", *"school=Nergens")
        await pilot.pause()
        assert table.row_count == 0
        assert "no transcript matches" in str(app.screen.query_one("#project-title").render())


async def test_remove_picker_help_and_theme(sample, tmp_path):
    config = Config(path=tmp_path / "c.toml", coder="anna")
    app = app_on(sample, config=config, open_transcript=(ids(sample, JHV), 1))
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        await pilot.press("a", "f", "backspace")
        await pilot.pause()
        options = app.screen.query_one("OptionList")
        assert "Onderlinge afhankelijkheid: “Ja. Ik ben jeugdhulpverlener" in str(options.get_option_at_index(0).prompt)
        await pilot.press("escape")
        await pilot.pause()
        descriptions = {b.binding.description for b in app.screen.active_bindings.values()}
        assert "Code: Flexibiliteit" in descriptions  # the help panel lists the code keys
        await pilot.press("ctrl+t")
        await pilot.pause()
    assert Config.load(config.path).theme in ("textual-light", "textual-dark")


# --- 9. nothing typed is lost -------------------------------------------------------------------------

async def test_a_code_key_just_before_quitting_is_stored(sample):
    for attempt in range(3):
        app = app_on(sample, open_transcript=(ids(sample, JHV), 1 + 2 * attempt))
        async with app.run_test(size=(120, 40)) as pilot:
            await opened(pilot)
            await pilot.press("f", "ctrl+q")
    assert [turn for turn, _, _ in stored(sample)] == [2, 4, 6]


async def test_a_store_error_is_said_and_coding_goes_on(sample, monkeypatch):
    """Another program holding the file past the busy timeout must not end the workbench."""
    from jhs_qual.errors import Failure

    app = app_on(sample, open_transcript=(ids(sample, JHV), None))
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)

        def locked(*args, **kwargs):
            raise Failure("cannot write: database is locked", hint="another program holds the file; try again")

        monkeypatch.setattr(app.project, "add_coding", locked)
        await pilot.press("f")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, CodingScreen)
        monkeypatch.undo()
        await pilot.press("f")
        await pilot.pause()
    assert stored(sample) == [(2, "bronstein/flexibility", "manual")]
