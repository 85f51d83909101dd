"""Undo and redo: every change can be undone, in any order, even when SQLite reuses ids."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from jhs_qual.tui.history import History
from tests.test_store import add


def state(project):
    return sorted((c.code, c.start, c.end, c.memo) for c in project.codings())


def test_add_remove_memo_undo_redo(loaded_project):
    project = loaded_project
    tid = add(project, "a", "I: Hoi.\nR: Hallo daar.")
    code = project.resolve_code("interdependence")["id"]
    history = History(project)
    first = history.add_coding(tid, code, "anna", 11, 22, label="code")
    assert history.add_coding(tid, code, "anna", 11, 22, label="again") is None  # already there: no action
    history.set_memo(first, "notitie", label="memo")
    history.remove_coding(first, label="remove")
    assert state(project) == []
    assert history.undo() == "remove"
    assert state(project) == [("bronstein/interdependence", 11, 22, "notitie")]
    assert history.undo() == "memo"
    assert state(project) == [("bronstein/interdependence", 11, 22, "")]
    assert history.undo() == "code"
    assert state(project) == [] and history.undo() is None
    assert [history.redo() for _ in range(3)] == ["code", "memo", "remove"]
    assert state(project) == [] and history.redo() is None


def test_reused_ids_do_not_confuse_undo(loaded_project):
    """SQLite reuses the largest freed rowid: coding B can get the id A had."""
    project = loaded_project
    tid = add(project, "a", "I: Hoi.\nR: Hallo daar, hoe gaat het.")
    x, y = (project.resolve_code(c)["id"] for c in ("interdependence", "flexibility"))
    history = History(project)
    a = history.add_coding(tid, x, "anna", 11, 16, label="A")
    history.remove_coding(a, label="remove A")
    b = history.add_coding(tid, y, "anna", 17, 21, label="B")
    assert b == a  # the id came back
    history.undo()  # B gone
    history.undo()  # A back, under some id
    history.redo()  # A removed again
    history.redo()  # B back, perhaps under another id
    assert state(project) == [("bronstein/flexibility", 17, 21, "")]
    history.undo()
    history.undo()
    assert state(project) == [("bronstein/interdependence", 11, 16, "")]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["add", "remove", "memo", "undo", "redo"]),
                          st.integers(0, 3)), max_size=25))
def test_undo_everything_restores_the_start(actions):
    """Whatever was done: redo to the newest state, undo it all (the project as it
    was), redo it all (the newest state again)."""
    from jhs_qual.codebook import load_codebook
    from jhs_qual.store import Project
    from tests.conftest import CODEBOOK_FILES
    import tempfile, pathlib

    with tempfile.TemporaryDirectory() as folder:
        project = Project.create(pathlib.Path(folder) / "p.jhsq")
        project.load_codebook(load_codebook(CODEBOOK_FILES[0]))
        tid = add(project, "a", "R: " + "woord " * 20)
        code = project.resolve_code("interdependence")["id"]
        history = History(project)
        start = state(project)
        for kind, n in actions:
            existing = [c.id for c in project.codings()]
            if kind == "add":
                history.add_coding(tid, code, "anna", 3 + n * 6, 8 + n * 6, label="add")
            elif kind == "remove" and existing:
                history.remove_coding(existing[n % len(existing)], label="remove")
            elif kind == "memo" and existing:
                history.set_memo(existing[n % len(existing)], f"memo {n}", label="memo")
            elif kind == "undo":
                history.undo()
            elif kind == "redo":
                history.redo()
        while history.redo():
            pass
        end = state(project)
        while history.undo():
            pass
        assert state(project) == start
        while history.redo():
            pass
        assert state(project) == end
        project.close()


def test_a_change_that_cannot_be_undone_says_so_and_shields_the_ones_before(tmp_path):
    """u undoes exactly the last change, or says it cannot: never one made before it."""
    import pytest

    from jhs_qual.store import Project
    from jhs_qual.tui.history import CannotUndo, History

    project = Project.create(tmp_path / "h.jhsq")
    history = History(project)
    done = []
    history.change("first", lambda: done.append(1), lambda _: done.remove(1))
    history.final("building the consensus 'agreed'")
    with pytest.raises(CannotUndo, match="cannot undo building the consensus 'agreed'"):
        history.undo()
    assert done == [1]  # the change before it stays
