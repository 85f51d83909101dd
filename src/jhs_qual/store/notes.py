"""What a coder says about the text besides codings: rejected suggestions and memos.

A mixin of `Project`, split out of project.py along the data it owns.
Rejections are kept per coder, code and unit (the span the suggestion was
for), so a rejected suggestion stays rejected in the workbench and autocode
does not add it back. Memos hang on a turn (its span), a transcript, or a
code; a memo on one coding lives on the coding itself (`codings.memo`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jhs_qual.errors import BadInput
from jhs_qual.store.common import now as _now


@dataclass
class Rejections:
    """(transcript id, code row id) -> the spans a coder rejected that code for."""

    spans: dict[tuple[int, int], list[tuple[int, int]]] = field(default_factory=dict)

    def covers(self, transcript_id: int, code_row_id: int, start: int, end: int) -> bool:
        return any(s < end and start < e for s, e in self.spans.get((transcript_id, code_row_id), ()))


class NotesStore:
    # --- rejected suggestions ------------------------------------------------------------

    def reject(self, transcript_id: int, code_row_id: int, coder: str, start: int, end: int) -> int:
        """Remember that `coder` turned down this code for this unit. Returns the rejection's id."""
        with self._write() as db:
            coder_id = self._coder_id(coder)
            db.execute(
                "INSERT OR IGNORE INTO rejections(coder_id, transcript_id, code_id, start, end, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)", [coder_id, transcript_id, code_row_id, start, end, _now()])
            return db.execute(
                "SELECT id FROM rejections WHERE coder_id = ? AND transcript_id = ? AND code_id = ?"
                " AND start = ? AND end = ?", [coder_id, transcript_id, code_row_id, start, end]).fetchone()[0]

    def unreject(self, rejection_id: int) -> None:
        with self._write() as db:
            db.execute("DELETE FROM rejections WHERE id = ?", [rejection_id])

    def rejections(self, coder: str | None = None, transcript_id: int | None = None) -> Rejections:
        """Rejections by one coder (or by anyone), in one transcript (or all)."""
        sql = "SELECT r.transcript_id, r.code_id, r.start, r.end FROM rejections r JOIN coders c ON c.id = r.coder_id"
        conditions, params = [], []
        if coder is not None:
            conditions.append("c.name = ?")
            params.append(coder)
        if transcript_id is not None:
            conditions.append("r.transcript_id = ?")
            params.append(transcript_id)
        if conditions:
            sql += " WHERE " + " AND ".join(conditions)
        found = Rejections()
        for tid, code_id, start, end in self.db.execute(sql, params):
            found.spans.setdefault((tid, code_id), []).append((start, end))
        return found

    # --- memos on a turn, a transcript or a code -------------------------------------------

    def memos(self, coder: str | None = None, *, transcript_id: int | None = None,
              code_row_id: int | None = None) -> list[dict]:
        """Free memos (not on one coding): on turns and the transcript itself, or on a code."""
        sql = ("SELECT m.id, m.transcript_id, m.code_id AS code_row_id, m.start, m.end, m.title, m.text, m.updated_at,"
               " c.name AS coder FROM memos m JOIN coders c ON c.id = m.coder_id")
        conditions, params = [], []
        for column, value in (("c.name", coder), ("m.transcript_id", transcript_id), ("m.code_id", code_row_id)):
            if value is not None:
                conditions.append(f"{column} = ?")
                params.append(value)
        if conditions:
            sql += " WHERE " + " AND ".join(conditions)
        return list(self.db.query(sql + " ORDER BY m.transcript_id, m.start, m.id", params))

    def memo_on(self, coder: str, *, transcript_id: int | None = None, code_row_id: int | None = None,
                span: tuple[int, int] | None = None) -> dict | None:
        """The coder's memo on exactly this turn, transcript or code, if there is one."""
        start, end = span if span else (None, None)
        return self._one(
            "SELECT m.id, m.text FROM memos m JOIN coders c ON c.id = m.coder_id WHERE c.name = ?"
            " AND m.transcript_id IS ? AND m.code_id IS ? AND m.start IS ? AND m.end IS ?",
            [coder, transcript_id, code_row_id, start, end])

    def write_memo(self, coder: str, text: str, *, transcript_id: int | None = None,
                   code_row_id: int | None = None, span: tuple[int, int] | None = None) -> int | None:
        """Set the coder's memo on a turn (transcript and span), a transcript, or a code;
        an empty text removes it. Returns the memo's id (None once removed)."""
        if transcript_id is None and code_row_id is None:
            raise BadInput("a memo belongs to a transcript, a turn or a code", field="memo")
        if span is not None and transcript_id is None:
            raise BadInput("a memo on a turn needs its transcript", field="memo")
        existing = self.memo_on(coder, transcript_id=transcript_id, code_row_id=code_row_id, span=span)
        start, end = span if span else (None, None)
        with self._write() as db:
            if existing is not None:
                if text.strip():
                    db.execute("UPDATE memos SET text = ?, updated_at = ? WHERE id = ?",
                               [text, _now(), existing["id"]])
                    return existing["id"]
                db.execute("DELETE FROM memos WHERE id = ?", [existing["id"]])
                return None
            if not text.strip():
                return None
            return db.execute(
                "INSERT INTO memos(coder_id, transcript_id, code_id, start, end, text, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [self._coder_id(coder), transcript_id, code_row_id, start, end, text, _now(), _now()]).lastrowid

    def _add_memo_once(self, coder_id: int, transcript_id: int | None, code_row_id: int | None, start: int | None,
                       end: int | None, title: str, text: str, created_at: str, updated_at: str) -> bool:
        """Inside a write: add a memo unless the same one (coder, place, title and text) is here
        (the same file merged or imported again). Whether it was added."""
        place = [coder_id, transcript_id, code_row_id, start, end, title, text]
        if self.db.execute("SELECT 1 FROM memos WHERE coder_id = ? AND transcript_id IS ? AND code_id IS ?"
                           " AND start IS ? AND end IS ? AND title = ? AND text = ?", place).fetchone():
            return False
        self.db.execute("INSERT INTO memos(coder_id, transcript_id, code_id, start, end, title, text, created_at,"
                        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [*place, created_at, updated_at])
        return True

    def memo_rows(self, coder: str | None = None) -> list[dict]:
        """Every memo with what it belongs to, for a list or an export: free memos (on a
        transcript, a turn, a code, or the project) and memos on codings. Each row: kind,
        transcript, turn (from 1), code ("codebook/id"), coder, text, updated_at; and where it
        hangs, to open or edit it: transcript_id, code_row_id, span (start, end) and coding_id."""
        import bisect

        names = self.transcript_names()
        refs = {c["id"]: f"{c['codebook_id']}/{c['code_id']}" for c in self.codes()}
        free = self.memos(coder)
        sql = ("SELECT c.transcript_id, c.code_id, c.start, c.memo, c.updated_at, cd.name, c.id, c.end FROM codings c"
               " JOIN coders cd ON cd.id = c.coder_id WHERE c.memo != ''")
        params = []
        if coder is not None:
            sql += " AND cd.name = ?"
            params.append(coder)
        on_codings = self.db.execute(sql + " ORDER BY c.transcript_id, c.start", params).fetchall()
        # the turns of the transcripts with memos only (a project of 5,000 has a million turns)
        wanted = {m["transcript_id"] for m in free if m["start"] is not None} | {row[0] for row in on_codings}
        starts = {tid: [turn[1] for turn in turns] for tid, turns in self.turn_positions(wanted).items()}

        def turn_of(tid, start):
            return bisect.bisect_right(starts.get(tid, []), start) if start is not None else None

        rows = []
        for m in free:
            kind = ("turn" if m["start"] is not None else "transcript") if m["transcript_id"] is not None else (
                "code" if m["code_row_id"] is not None else "project")
            rows.append({"kind": kind, "transcript": names.get(m["transcript_id"], ""),
                         "turn": turn_of(m["transcript_id"], m["start"]), "code": refs.get(m["code_row_id"], ""),
                         "coder": m["coder"], "title": m["title"] or "", "text": m["text"],
                         "updated_at": m["updated_at"], "transcript_id": m["transcript_id"],
                         "code_row_id": m["code_row_id"], "span": (m["start"], m["end"]) if m["start"] is not None
                         else None, "coding_id": None})
        for tid, code_row, start, memo, updated, name, coding_id, end in on_codings:
            rows.append({"kind": "coding", "transcript": names.get(tid, ""), "turn": turn_of(tid, start),
                         "code": refs.get(code_row, ""), "coder": name, "title": "", "text": memo,
                         "updated_at": updated, "transcript_id": tid, "code_row_id": code_row, "span": (start, end),
                         "coding_id": coding_id})
        order = {"project": 0, "code": 1, "transcript": 2, "turn": 3, "coding": 3}
        return sorted(rows, key=lambda r: (r["transcript"], order[r["kind"]], r["turn"] or 0, r["code"], r["coder"]))
