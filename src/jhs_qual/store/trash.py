"""Removed transcripts kept aside until purged (a mixin of `Project`).

Removing a transcript moves it, with every row that belongs to it (turns,
attributes, codings, memos, rejections, consensus items, progress, its
recording's link, earlier versions), into `trash` as JSON, in one
transaction. Restoring puts the rows back (under their old ids where they are
still free) and indexes its turns again; purging forgets them for good.
"""

from __future__ import annotations

import json

from jhs_qual.errors import BadInput
from jhs_qual.store.common import now as _now

# Every table with a transcript_id column, in an order that restoring can insert in.
BELONGING = ("turns", "transcript_attributes", "codings", "memos", "rejections", "consensus_items", "progress",
             "media", "transcript_versions")


class TrashStore:
    def trash_transcript(self, transcript_id: int, *, with_codings: bool = False) -> tuple[int, int]:
        """Move a transcript and all that is its into the trash. Returns (trash id, codings
        it had); refused when it has codings, unless `with_codings`."""
        codings = self.db.execute("SELECT count(*) FROM codings WHERE transcript_id = ?",
                                  [transcript_id]).fetchone()[0]
        if codings and not with_codings:
            raise BadInput(f"the transcript has {codings} coding(s)", field="TRANSCRIPT",
                           hint="add --with-codings to remove them with it (they are kept aside with it)")
        row = self._one("SELECT * FROM transcripts WHERE id = ?", [transcript_id])
        if row is None:
            raise BadInput(f"no transcript {transcript_id}", field="TRANSCRIPT")
        kept = {"transcripts": [row]}
        for table in BELONGING:
            kept[table] = list(self.db.query(f"SELECT * FROM {table} WHERE transcript_id = ?", [transcript_id]))
        with self._write() as db:
            self._index_turns(transcript_id, row["text"], -1)
            for table in BELONGING:
                db.execute(f"DELETE FROM {table} WHERE transcript_id = ?", [transcript_id])
            db.execute("DELETE FROM transcripts WHERE id = ?", [transcript_id])
            trash_id = db.execute(
                "INSERT INTO trash(transcript_id, name, codings, rows, removed_at) VALUES (?, ?, ?, ?, ?)",
                [transcript_id, row["name"], codings, json.dumps(kept, ensure_ascii=False), _now()]).lastrowid
        return trash_id, codings

    def trashed(self) -> list[dict]:
        """What is kept aside: id, name, codings, removed_at; the latest first."""
        return list(self.db.query("SELECT id, name, codings, removed_at FROM trash ORDER BY id DESC"))

    def trashed_by_name(self, name: str) -> dict:
        found = self._one("SELECT id, name, codings, removed_at FROM trash WHERE name = ? ORDER BY id DESC LIMIT 1",
                          [name])
        if found is None:
            kept = [r["name"] for r in self.trashed()]
            raise BadInput(f"no removed transcript called '{name}' is kept aside", field="TRANSCRIPT",
                           hint=f"kept aside: {', '.join(kept)}" if kept else "nothing is kept aside")
        return found

    def restore_transcript(self, trash_id: int) -> int:
        """Put a removed transcript back, whole. Returns its id (the old one where still free).
        Refused, naming it, when a transcript with its name or text is there now."""
        found = self._one("SELECT * FROM trash WHERE id = ?", [trash_id])
        if found is None:
            raise BadInput(f"nothing kept aside under {trash_id}", field="TRANSCRIPT")
        kept = json.loads(found["rows"])
        (transcript,) = kept["transcripts"]
        clash = self._one("SELECT name FROM transcripts WHERE name = ? OR sha256 = ?",
                          [transcript["name"], transcript["sha256"]])
        if clash is not None:
            raise BadInput(f"'{transcript['name']}' cannot come back: the project has '{clash['name']}' with its "
                           "name or its text now", field="TRANSCRIPT", hint="rename or remove that one first")
        with self._write() as db:
            taken = db.execute("SELECT 1 FROM transcripts WHERE id = ?", [transcript["id"]]).fetchone()
            if taken:
                transcript = {k: v for k, v in transcript.items() if k != "id"}
            tid = _insert(db, "transcripts", transcript)
            for table in BELONGING:
                for row in kept.get(table, []):
                    row = {**row, "transcript_id": tid}
                    if "id" in row and db.execute(f"SELECT 1 FROM {table} WHERE id = ?", [row["id"]]).fetchone():
                        del row["id"]  # its old id went to another row meanwhile
                    _insert(db, table, row)
            self._index_turns(tid, transcript["text"], +1)
            db.execute("DELETE FROM trash WHERE id = ?", [trash_id])
        return tid

    def purge(self, trash_ids: list[int] | None = None) -> int:
        """Forget removed transcripts for good (all, or these). Returns how many."""
        with self._write() as db:
            if trash_ids is None:
                return db.execute("DELETE FROM trash").rowcount
            return db.execute("DELETE FROM trash WHERE id IN (SELECT value FROM json_each(?))",
                              [json.dumps(trash_ids)]).rowcount


def _insert(db, table: str, row: dict) -> int:
    columns = list(row)
    return db.execute(f"INSERT INTO {table}({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                      [row[c] for c in columns]).lastrowid
