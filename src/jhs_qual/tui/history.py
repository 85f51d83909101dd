"""Undo and redo for every change made in the app since it was opened.

Plain Python over the store: each change is an action that undoes and redoes
itself through `Project`, each in its own transaction.

Undoing a removal stores the coding again under a new id, and SQLite may hand
an id that was freed to another coding. So actions do not hold ids: every
coding the history knows has one `Handle`, shared by all actions on it, which
always holds that coding's current id.
"""

from __future__ import annotations

from dataclasses import dataclass

from jhs_qual.store import Project


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
        return cls(row["transcript_id"], row["code_id"], row["coder"], row["start"], row["end"],
                   row["memo"], row["origin"])


class History:
    def __init__(self, project: Project):
        self.project = project
        self._done: list[tuple[str, str, Handle, _Coding | tuple[str, str]]] = []
        self._undone: list = []
        self._live: dict[int, Handle] = {}  # current id -> handle, for codings that exist

    # --- changes -----------------------------------------------------------------------

    def add_coding(self, transcript_id: int, code_row_id: int, coder: str, start: int, end: int,
                   *, label: str, origin: str = "manual") -> int | None:
        """Store a coding; returns its id, or None if the coder had exactly it already."""
        coding = _Coding(transcript_id, code_row_id, coder, start, end, origin=origin)
        coding_id, created = self.project.add_coding(transcript_id, code_row_id, coder, start, end, origin=origin)
        if not created:
            return None
        self._record(("add", label, self._handle(coding_id), coding))
        return coding_id

    def remove_coding(self, coding_id: int, *, label: str) -> None:
        row = self.project.coding(coding_id)
        if row is None:
            return
        handle = self._handle(coding_id)
        self._delete(handle)
        self._record(("remove", label, handle, _Coding.of(row)))

    def set_memo(self, coding_id: int, memo: str, *, label: str) -> None:
        row = self.project.coding(coding_id)
        if row is None or row["memo"] == memo:
            return
        self.project.set_memo(coding_id, memo)
        self._record(("memo", label, self._handle(coding_id), (row["memo"], memo)))

    # --- undo and redo -------------------------------------------------------------------

    def undo(self) -> str | None:
        if not self._done:
            return None
        action = self._done.pop()
        kind, label, handle, data = action
        if kind == "add":
            self._delete(handle)
        elif kind == "remove":
            self._create(handle, data)
        else:
            self.project.set_memo(handle.id, data[0])
        self._undone.append(action)
        return label

    def redo(self) -> str | None:
        if not self._undone:
            return None
        action = self._undone.pop()
        kind, label, handle, data = action
        if kind == "add":
            self._create(handle, data)
        elif kind == "remove":
            self._delete(handle)
        else:
            self.project.set_memo(handle.id, data[1])
        self._done.append(action)
        return label

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

    def _record(self, action) -> None:
        self._done.append(action)
        self._undone.clear()
