"""Undo and redo for every change made in the app since it was opened.

Plain Python over the store: each change is an action that undoes and redoes
itself through `Project`, each in its own transaction. Codings, rejections,
memos and code edits all go through here.

Undoing a removal stores the coding again under a new id, and SQLite may hand
an id that was freed to another coding. So actions do not hold ids: every
coding (and rejection) the history knows has one `Handle`, shared by all
actions on it, which always holds its current id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from jhs_qual.store import Project


class CannotUndo(Exception):
    pass


def _cannot() -> None:
    raise CannotUndo


@dataclass
class Handle:
    id: int


@dataclass
class _Coding:
    transcript_id: int
    code_row_id: int
    coder: str
    start: int
    end: int
    memo: str = ""
    origin: str = "manual"

    @classmethod
    def of(cls, row: dict) -> "_Coding":
        return cls(row["transcript_id"], row["code_row_id"], row["coder"], row["start"], row["end"],
                   row["memo"], row["origin"])


@dataclass
class Action:
    label: str
    undo: Callable[[], None]
    redo: Callable[[], None]


class History:
    def __init__(self, project: Project):
        self.project = project
        self._done: list[Action] = []
        self._undone: list[Action] = []
        self._live: dict[int, Handle] = {}  # current id -> handle, for codings that exist

    # --- codings -----------------------------------------------------------------------

    def add_coding(self, transcript_id: int, code_row_id: int, coder: str, start: int, end: int,
                   *, label: str, origin: str = "manual") -> int | None:
        """Store a coding; returns its id, or None if the coder had exactly it already."""
        coding = _Coding(transcript_id, code_row_id, coder, start, end, origin=origin)
        coding_id, created = self.project.add_coding(transcript_id, code_row_id, coder, start, end, origin=origin)
        if not created:
            return None
        handle = self._handle(coding_id)
        self._record(Action(label, lambda: self._delete(handle), lambda: self._create(handle, coding)))
        return coding_id

    def remove_coding(self, coding_id: int, *, label: str) -> None:
        row = self.project.coding(coding_id)
        if row is None:
            return
        handle = self._handle(coding_id)
        coding = _Coding.of(row)
        self._delete(handle)
        self._record(Action(label, lambda: self._create(handle, coding), lambda: self._delete(handle)))

    def set_memo(self, coding_id: int, memo: str, *, label: str) -> None:
        row = self.project.coding(coding_id)
        if row is None or row["memo"] == memo:
            return
        self.project.set_memo(coding_id, memo)
        handle, old = self._handle(coding_id), row["memo"]
        self._record(Action(label, lambda: self.project.set_memo(handle.id, old),
                            lambda: self.project.set_memo(handle.id, memo)))

    # --- rejections, memos, codes ---------------------------------------------------------

    def reject(self, transcript_id: int, code_row_id: int, coder: str, start: int, end: int, *, label: str) -> None:
        handle = Handle(self.project.reject(transcript_id, code_row_id, coder, start, end))

        def redo() -> None:
            handle.id = self.project.reject(transcript_id, code_row_id, coder, start, end)

        self._record(Action(label, lambda: self.project.unreject(handle.id), redo))

    def write_memo(self, coder: str, text: str, *, label: str, **target) -> None:
        """A free memo on a turn, a transcript or a code (see `Project.write_memo`)."""
        existing = self.project.memo_on(coder, **target)
        old = existing["text"] if existing else ""
        if old == text:
            return
        self.project.write_memo(coder, text, **target)
        self._record(Action(label, lambda: self.project.write_memo(coder, old, **target),
                            lambda: self.project.write_memo(coder, text, **target)))

    def change(self, label: str, do: Callable[[], object], undo: Callable[[object], None],
               redo: Callable[[], object] | None = None) -> object:
        """Any other change: `do()` makes it and returns what `undo(result)` needs.
        Redo runs `redo` (default `do`) again and keeps its new result for the next undo."""
        result = [do()]

        def again() -> None:
            result[0] = (redo or do)()

        self._record(Action(label, lambda: undo(result[0]), again))
        return result[0]

    # --- undo and redo -------------------------------------------------------------------

    def final(self, label: str) -> None:
        """A change that cannot be undone here (building a consensus): `u` after it says so,
        and never undoes a change made before it instead."""
        self._record(Action(label, _cannot, _cannot))

    def undo(self) -> str | None:
        """Undo the last change; its label, or None when there is none. Raises CannotUndo
        (its message says what) for a change that cannot be undone; it stays the last."""
        if not self._done:
            return None
        action = self._done[-1]
        if action.undo is _cannot:
            raise CannotUndo(f"cannot undo {action.label} (nothing else was undone)")
        self._done.pop()
        action.undo()
        self._undone.append(action)
        return action.label

    def redo(self) -> str | None:
        if not self._undone:
            return None
        action = self._undone.pop()
        action.redo()
        self._done.append(action)
        return action.label

    # --- handles -------------------------------------------------------------------------

    def _handle(self, coding_id: int) -> Handle:
        if coding_id not in self._live:
            self._live[coding_id] = Handle(coding_id)
        return self._live[coding_id]

    def _delete(self, handle: Handle) -> None:
        self.project.remove_codings([handle.id])
        self._live.pop(handle.id, None)

    def _create(self, handle: Handle, coding: _Coding) -> None:
        # As it was when the action was recorded; later memo actions redo their own change.
        handle.id, _ = self.project.add_coding(coding.transcript_id, coding.code_row_id, coding.coder,
                                               coding.start, coding.end, memo=coding.memo, origin=coding.origin)
        self._live[handle.id] = handle

    def _record(self, action: Action) -> None:
        self._done.append(action)
        self._undone.clear()
