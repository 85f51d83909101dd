"""Codes and memos without leaving the coding screen (a mixin of `CodingScreen`).

`+` creates a code (from the selected words: "in vivo", and codes them with
it); `*` renames, defines, moves, merges or deletes the highlighted code;
`m` writes a memo on the turn, the transcript, a code or one coding. Each is
one undoable step in the app's history.
"""

from __future__ import annotations

from jhs_qual.errors import JhsError
from jhs_qual.tui.dialogs import AskMemo, AskText, PickOne
from jhs_qual.tui.screens.base import guarded
from jhs_qual.tui.widgets.transcript import TranscriptView


class CodeEditing:
    # --- memos ----------------------------------------------------------------------------------

    @guarded
    def action_memo(self) -> None:
        """Choose what the memo is on: this turn, this transcript, a code, or one coding."""
        view = self.query_one(TranscriptView)
        turn = view.turns[view.cursor]
        coder, tid = self.app.coder, self.transcript_id
        targets: list[tuple[str, dict]] = [
            (f"turn {view.cursor + 1}", {"transcript_id": tid, "span": (turn["content_start"], turn["end"])}),
            (f"the transcript {self.transcript_name}", {"transcript_id": tid}),
        ]
        codes = [self.highlighted_code] if self.highlighted_code else []
        codes += [c for c in self.codes if any(x["code_row_id"] == c["id"] for x in view.codings_on(view.cursor))]
        for code in dict.fromkeys(c["id"] for c in codes):
            label = next(c["label_nl"] for c in self.codes if c["id"] == code)
            targets.append((f"the code {label}", {"code_row_id": code}))
        codings = view.codings_on(view.cursor)
        options = [f"Memo on {name}" for name, _ in targets] + [f"Memo on the coding {self.describe(c)}"
                                                               for c in codings]

        def chosen(index: int | None) -> None:
            if index is None:
                return
            if index >= len(targets):
                self._coding_memo(codings[index - len(targets)])
                return
            name, target = targets[index]
            existing = self.app.project.memo_on(coder, **target)

            def save(text: str | None) -> None:
                if text is not None:
                    self._write_memo(coder, text, name, target)
                    self._status(f"memo on {name} saved (u to undo)" if text else f"memo on {name} removed")
                    self.app.changed()

            self.app.push_screen(AskMemo(f"Memo on {name} (empty: remove it)", existing["text"] if existing else ""),
                                 save)

        self.app.push_screen(PickOne("A memo on what?", options), chosen)

    @guarded
    def _write_memo(self, coder: str, text: str, name: str, target: dict) -> None:
        self.app.history.write_memo(coder, text, label=f"memo on {name}", **target)

    @guarded
    def _set_coding_memo(self, coding: dict, memo: str) -> None:
        self.app.history.set_memo(coding["id"], memo, label=f"memo on {coding['code']}")

    def _coding_memo(self, coding: dict) -> None:
        def save(memo: str | None) -> None:
            if memo is not None:
                self._set_coding_memo(coding, memo)
                self._status("memo saved (u to undo)")
                self.app.changed()

        self.app.push_screen(AskMemo(f"Memo on {coding['label_nl']}", coding["memo"]), save)

    # --- new codes ----------------------------------------------------------------------------------

    def _codebook_for_new_code(self, then) -> None:
        books = sorted(self.codebooks)
        if self.highlighted_code is not None:
            then(self.highlighted_code["codebook_id"])
        elif len(books) == 1:
            then(books[0])
        elif books:
            self.app.push_screen(PickOne("The new code goes into which codebook?", books),
                                 lambda i: then(books[i]) if i is not None else None)
        else:
            self._status("no codebook applies to this transcript to add a code to")

    @guarded
    def action_new_code(self) -> None:
        """A new code; with words selected it is named after them (in vivo) and codes them."""
        view = self.query_one(TranscriptView)
        start, end = view.selection()
        words = " ".join(view.text[start:end].split()).strip(" ,.;:!?\"'“”‘’") if view.span else ""

        def named(book: str):
            def create(label: str | None) -> None:
                if not label:
                    return
                selection, where = view.selection(), self._where(view)
                project = self.app.project

                def do() -> tuple[int, int | None]:
                    row = project.create_code(book, label, reserved=self._reserved())
                    coding, _ = project.add_coding(self.transcript_id, row, self.app.coder, *selection)
                    return row, coding

                def undo(made: tuple[int, int | None]) -> None:
                    row, coding = made
                    project.remove_codings([coding])
                    project.delete_code(row)

                if self._change_codes(f"new code {label} on {where}", do, undo,
                                      f"new code '{label}' in {book}, coded on {where} (u to undo; * to edit it)"):
                    view.clear_selection()

            self.app.push_screen(AskText(f"New code in {book}: its label (Dutch)", words, allow_empty=False), create)

        self._codebook_for_new_code(named)

    def _reserved(self) -> dict[str, str]:
        from jhs_qual.keys import reserved_keys

        return reserved_keys(self.app.remap())

    last_error = ""  # why the last change to the codes was refused

    def _change_codes(self, description: str, do, undo, done: str, *, code_gone: bool = False) -> bool:
        """Make one undoable change to the codes; say so, or the error, in the status line."""
        try:
            self.app.history.change(description, do, undo)
        except JhsError as error:
            self.last_error = error.one_line()
            self._status(self.last_error)
            return False
        if code_gone:
            self.highlighted_code = None
        self._status(done)
        self._codes_edited()
        return True

    def _codes_edited(self) -> None:
        self.app.codes_changed()
        self.load_codes()
        self.app.changed()

    # --- editing a code -------------------------------------------------------------------------------

    @guarded
    def action_edit_code(self) -> None:
        if not self.app.require_lead("rename, move, merge or delete a code of a shared codebook"):
            return
        code = self.highlighted_code or self.code_on_turn()
        if code is None:
            self._status("highlight a code in the list first (tab), then *")
            return
        code = next((c for c in self.codes if c["id"] == code["id"]), code)
        actions = [("Rename (Dutch label)", self._rename, "label_nl"), ("English label", self._rename, "label_en"),
                   ("Id (how exports and other tools name it)", self._rename, "code_id"),
                   ("Definition", self._rename, "definition"), ("Shortcut key", self._rename, "key"),
                   ("Move under another code", self._move, None), ("Move to the top level", self._move, "top"),
                   ("Merge into another code (its codings move along)", self._merge, None),
                   ("Delete (only a code without codings)", self._delete, None)]

        def chosen(index: int | None) -> None:
            if index is not None:
                _, handler, arg = actions[index]
                handler(code, arg)

        self.app.push_screen(PickOne(f"Edit the code {code['label_nl']}", [a[0] for a in actions]), chosen)

    @guarded
    def _update(self, code: dict, label: str, **fields) -> bool:
        project = self.app.project
        reserved = self._reserved()
        return self._change_codes(label, lambda: project.update_code(code["id"], reserved, **fields),
                                  lambda old: project.update_code(code["id"], None, **old), f"{label} (u to undo)")

    @guarded
    def _rename(self, code: dict, field: str) -> None:
        names = {"label_nl": "Dutch label", "label_en": "English label", "definition": "definition",
                 "key": "shortcut key (one character; empty: none)", "code_id": "id (a-z, 0-9, _)"}

        def attempt(value: str) -> str | None:
            """Saved, or why not: the dialog stays open with what was typed (a key taken, a label empty)."""
            fields = {field: value}
            if field == "label_nl" and code["label_en"] == code["label_nl"]:
                fields["label_en"] = value  # an in-vivo code's English label was its words too: it follows
            if value == code[field] or self._update(code, f"{names[field]} of {code['code_id']}", **fields):
                return None
            return self.last_error

        self.app.push_screen(AskText(f"{code['label_nl']}: {names[field]}", code[field],
                                     allow_empty=field in ("key", "definition"), check=attempt))

    def _others(self, code: dict) -> list[dict]:
        return [c for c in self.codes if c["codebook_id"] == code["codebook_id"] and c["id"] != code["id"]]

    @guarded
    def _move(self, code: dict, where: str | None) -> None:
        if where == "top":
            self._update(code, f"move {code['code_id']} to the top level", parent=None)
            return
        others = self._others(code)

        def chosen(index: int | None) -> None:
            if index is not None:
                self._update(code, f"move {code['code_id']} under {others[index]['code_id']}",
                             parent=others[index]["code_id"])

        self.app.push_screen(PickOne(f"Move {code['label_nl']} under which code?",
                                     [c["label_nl"] for c in others]), chosen)

    @guarded
    def _merge(self, code: dict, _=None) -> None:
        """Into a code of its own codebook or of another that applies here (listed after them)."""
        others = self._others(code) + [c for c in self.codes if c["codebook_id"] != code["codebook_id"]]
        project = self.app.project

        def chosen(index: int | None) -> None:
            if index is None:
                return
            target = others[index]
            self._change_codes(f"merge {code['code_id']} into {target['code_id']}",
                               lambda: project.merge_codes(code["id"], target["id"]), project.unmerge_codes,
                               f"merged {code['label_nl']} into {target['label_nl']} (u to undo)", code_gone=True)

        self.app.push_screen(PickOne(f"Merge {code['label_nl']} into which code?",
                                     [c["label_nl"] if c["codebook_id"] == code["codebook_id"]
                                      else f"{c['label_nl']} ({c['codebook_id']})" for c in others]), chosen)

    @guarded
    def _delete(self, code: dict, _=None) -> None:
        project = self.app.project
        self._change_codes(f"delete {code['code_id']}", lambda: project.delete_code(code["id"]),
                           project.restore_code, f"deleted {code['label_nl']} (u to undo)", code_gone=True)
