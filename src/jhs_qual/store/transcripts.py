"""Transcripts, their turns and attributes (a mixin of `Project`): import, replacement by a
corrected version, removal, and what is read of them.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import sqlite3
from collections.abc import Mapping

from jhs_qual.domain import ParsedTranscript
from jhs_qual.errors import BadInput
from jhs_qual.ingest.attributes import check_key
from jhs_qual.store.common import now as _now


def turn_stats(characters: int, speakers: list[str | None]) -> tuple[int, int, int, str]:
    """A transcript_stats row from the speakers of its turns in order: turns, characters, heading
    turns (without a speaker, before the first with one), [[speaker, turns], ...] as JSON."""
    from jhs_qual.domain.models import heading_turns

    counts: dict[str, int] = {}
    for speaker in speakers:
        if speaker:
            counts[speaker] = counts.get(speaker, 0) + 1
    return len(speakers), characters, heading_turns(speakers), json.dumps(list(counts.items()), ensure_ascii=False)


# A turn's columns in the order of Turn.row(), its two times last
_TURN_COLUMNS = ("idx", "speaker", "start", "content_start", "end", "ts_start", "ts_end")
WORDS_HELD = 100_000  # turns whose words a batch holds before it indexes them (some 20 MB)


class TranscriptStore:
    def find_duplicate(self, text_sha256: str, source_sha256: str) -> str | None:
        row = self.db.execute(
            "SELECT name FROM transcripts WHERE sha256 = ? OR source_sha256 = ? LIMIT 1",
            [text_sha256, source_sha256],
        ).fetchone()
        return row[0] if row else None

    def add_transcript(
        self,
        name: str,
        parsed: ParsedTranscript,
        *,
        source_name: str,
        source_sha256: str,
        attributes: dict[str, str],
    ) -> int | str:
        """Store one imported transcript with its turns and attributes; its id, or the name of
        the transcript with the same content when another import stored it first (checked in
        the write, so two imports of the same file at once store it once)."""
        return self.add_turn_rows(name, parsed.text, [t.row() for t in parsed.turns], parsed.format,
                                  source_name=source_name, source_sha256=source_sha256, attributes=attributes)

    def add_turn_rows(self, name: str, text: str, rows: list[tuple], fmt: str, *, source_name: str,
                      source_sha256: str, attributes: dict[str, str], known_keys: list[str] | None = None,
                      ) -> int | str:
        """`add_transcript` with the turns as `Turn.row()` tuples (as an import's parsing workers
        send them), and the attribute names known when the caller has read them."""
        known = self.attribute_keys() if known_keys is None else known_keys
        for key in attributes:
            check_key(key, known, file=source_name)
        text_sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
        with self._write():
            duplicate = self.find_duplicate(text_sha256, source_sha256)
            if duplicate is not None:
                return duplicate
            transcript_id = self._put_transcript(name, text, fmt, rows, attributes, source_name=source_name,
                                                 source_sha256=source_sha256, text_sha256=text_sha256)
        return transcript_id

    def _put_transcript(self, name, text, fmt, rows, attributes, *, source_name, source_sha256,
                        imported_at=None, text_sha256=None) -> int:
        """Inside a write: one transcript with its turns (`Turn.row()` tuples) and attributes."""
        db = self.db
        if db.execute("SELECT 1 FROM transcripts WHERE name = ?", [name]).fetchone():
            raise BadInput(
                f"a different transcript is already called '{name}'",
                file=source_name,
                hint="rename the file before importing it",
            )
        text_sha256 = text_sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest()
        imported_at = imported_at or _now()
        transcript_id = db.execute(
            "INSERT INTO transcripts(name, text, sha256, source_sha256, source_name, format, imported_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [name, text, text_sha256, source_sha256, source_name, fmt, imported_at],
        ).lastrowid
        first = (db.execute("SELECT max(rowid) FROM turns").fetchone()[0] or 0) + 1  # what SQLite would choose
        # Without times (most text transcripts) the two time columns are left to their default,
        # NULL: two values fewer to bind a turn, a tenth of storing a file.
        timed = any(row[-2] is not None or row[-1] is not None for row in rows)
        width = len(_TURN_COLUMNS) if timed else len(_TURN_COLUMNS) - 2
        db.conn.executemany(
            f"INSERT INTO turns(rowid, transcript_id, {', '.join(_TURN_COLUMNS[:width])})"
            f" VALUES ({', '.join('?' * (width + 2))})",
            [(first + n, transcript_id, *row[:width]) for n, row in enumerate(rows)],
        )
        self._index_turns(transcript_id, text, +1, [(first + n, row[3], row[4], row[1]) for n, row in enumerate(rows)],
                          source=(fmt, source_name, imported_at))
        self._put_attributes(transcript_id, attributes)
        return transcript_id

    def remove_transcript(self, transcript_id: int, *, with_codings: bool = False) -> int:
        """Remove a transcript, its turns and attributes (and, when asked, its codings, memos,
        rejections and consensus items): kept aside until purged (TrashStore). Returns the
        number of codings removed."""
        return self.trash_transcript(transcript_id, with_codings=with_codings)[1]

    def rename_speaker(self, transcript_id: int, old: str, new: str) -> int:
        """Relabel a speaker's turns (the stored text stays as it is: offsets never move)."""
        with self._write() as db:
            changed = db.execute("UPDATE turns SET speaker = ? WHERE transcript_id = ? AND lower(speaker) = lower(?)",
                                 [new, transcript_id, old]).rowcount
            self._put_stats(transcript_id, *db.execute("SELECT length(text) FROM transcripts WHERE id = ?",
                                                       [transcript_id]).fetchone(),
                            [r[0] for r in db.execute("SELECT speaker FROM turns WHERE transcript_id = ? ORDER BY idx",
                                                      [transcript_id])])
        if not changed:
            speakers = [r[0] for r in self.db.execute(
                "SELECT DISTINCT speaker FROM turns WHERE transcript_id = ? AND speaker IS NOT NULL", [transcript_id])]
            raise BadInput(f"no speaker '{old}' in this transcript", field="OLD",
                           hint=f"speakers: {', '.join(speakers) or 'none'}")
        return changed

    def replace_transcript(self, transcript_id: int, parsed: ParsedTranscript, *, source_name: str,
                           source_sha256: str) -> dict:
        """A corrected version of a transcript's text, its codings, memos on turns, rejections and
        consensus items carried over to the new text (analysis/realign.py). Codings whose words
        changed are kept and listed; those whose words are gone are listed and kept, with the
        old text, in `transcript_versions`. Returns {"same": n, "changed": [...], "lost": [...]}."""
        from jhs_qual.analysis.realign import Realigner

        old = self.db.execute("SELECT text, source_name FROM transcripts WHERE id = ?", [transcript_id]).fetchone()
        text_sha256 = hashlib.sha256(parsed.text.encode("utf-8")).hexdigest()
        other = self.db.execute("SELECT name FROM transcripts WHERE sha256 = ? AND id != ?",
                                [text_sha256, transcript_id]).fetchone()
        if other:
            raise BadInput(f"this text is already in the project as '{other[0]}'", file=source_name)
        moved = Realigner(old[0], parsed.text)
        report: dict = {"same": 0, "changed": [], "lost": []}
        codings = list(self.db.query(
            "SELECT c.id, c.start, c.end, cd.name AS coder, k.codebook_id || '/' || k.code_id AS code, c.memo"
            " FROM codings c JOIN coders cd ON cd.id = c.coder_id JOIN codes k ON k.id = c.code_id"
            " WHERE c.transcript_id = ?", [transcript_id]))
        memos = list(self.db.query("SELECT id, start, end, text FROM memos WHERE transcript_id = ? AND start IS NOT NULL",
                                   [transcript_id]))
        old_turns = [list(r) for r in self.db.execute(
            "SELECT idx, speaker, start, content_start, end, ts_start, ts_end FROM turns WHERE transcript_id = ?"
            " ORDER BY idx", [transcript_id])]
        with self._write() as db:
            self._index_turns(transcript_id, old[0], -1)
            db.execute("DELETE FROM turns WHERE transcript_id = ?", [transcript_id])
            db.execute("UPDATE transcripts SET text = ?, sha256 = ?, source_sha256 = ?, source_name = ?, format = ?"
                       " WHERE id = ?", [parsed.text, text_sha256, source_sha256, source_name, parsed.format,
                                         transcript_id])
            db.conn.executemany(
                "INSERT INTO turns(transcript_id, idx, speaker, start, content_start, end, ts_start, ts_end)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [(transcript_id, *t.row()) for t in parsed.turns])
            self._index_turns(transcript_id, parsed.text, +1)
            lost = []
            for c in codings:
                m = moved.span(c["start"], c["end"])
                words = " ".join(old[0][c["start"]:c["end"]].split())
                if m.status == "lost":
                    lost.append({"kind": "coding", **c, "words": words})
                    report["lost"].append(f"{c['coder']}: {c['code']} on “{words[:60]}”")
                    db.execute("DELETE FROM codings WHERE id = ?", [c["id"]])
                    continue
                clash = db.execute("SELECT 1 FROM codings WHERE transcript_id = ? AND start = ? AND end = ? AND id != ?"
                                   " AND code_id = (SELECT code_id FROM codings WHERE id = ?)"
                                   " AND coder_id = (SELECT coder_id FROM codings WHERE id = ?)",
                                   [transcript_id, m.start, m.end, c["id"], c["id"], c["id"]]).fetchone()
                if clash:  # two codings now on the same words: one stays
                    db.execute("DELETE FROM codings WHERE id = ?", [c["id"]])
                    continue
                db.execute("UPDATE codings SET start = ?, end = ?, updated_at = ? WHERE id = ?",
                           [m.start, m.end, _now(), c["id"]])
                if m.status == "same":
                    report["same"] += 1
                else:
                    report["changed"].append(f"{c['coder']}: {c['code']} “{words[:50]}” -> "
                                             f"“{' '.join(parsed.text[m.start:m.end].split())[:50]}”")
            for memo in memos:
                m = moved.span(memo["start"], memo["end"])
                if m.status == "lost":
                    lost.append({"kind": "memo", **memo})
                    report["lost"].append(f"memo “{memo['text'][:60]}” on words that are gone")
                    db.execute("DELETE FROM memos WHERE id = ?", [memo["id"]])
                else:  # a memo on a turn stays on the turn its words are in now
                    turn = parsed.turns[max(bisect.bisect_right([t.start for t in parsed.turns], m.start) - 1, 0)]
                    db.execute("UPDATE memos SET start = ?, end = ? WHERE id = ?",
                               [turn.content_start, turn.end, memo["id"]])
            for rid, start, end in db.execute("SELECT id, start, end FROM rejections WHERE transcript_id = ?",
                                              [transcript_id]).fetchall():
                m = moved.span(start, end)
                if m.status == "lost":
                    db.execute("DELETE FROM rejections WHERE id = ?", [rid])
                else:
                    db.execute("UPDATE OR IGNORE rejections SET start = ?, end = ? WHERE id = ?", [m.start, m.end, rid])
            for item_id, a_spans, b_spans in db.execute(
                    "SELECT id, a_spans, b_spans FROM consensus_items WHERE transcript_id = ?", [transcript_id]).fetchall():
                sides = []
                for spans in (json.loads(a_spans), json.loads(b_spans)):
                    kept = [(moved.span(s, e), memo) for s, e, memo in spans]
                    sides.append([[m.start, m.end, memo] for m, memo in kept if m.status != "lost"])
                db.execute("UPDATE consensus_items SET a_spans = ?, b_spans = ? WHERE id = ?",
                           [json.dumps(sides[0], ensure_ascii=False), json.dumps(sides[1], ensure_ascii=False), item_id])
            db.execute("INSERT INTO transcript_versions(transcript_id, text, turns, source_name, lost, replaced_at)"
                       " VALUES (?, ?, ?, ?, ?, ?)", [transcript_id, old[0], json.dumps(old_turns, ensure_ascii=False),
                                                      old[1], json.dumps(lost, ensure_ascii=False), _now()])
        return report

    def _index_turns(self, transcript_id: int, text: str, sign: int, rows: list[tuple] | None = None,
                     source: tuple | None = None) -> None:
        """Inside a write: add (+1) or take out (-1) a transcript's turns in the full-text index
        (an external-content FTS5 table: it is told the words, from the text in hand) and in
        what the transcript list shows (transcript_stats; coded_turns worked out again).
        `rows`: (rowid, content start, end, speaker) of its turns in order, when known."""
        self.__dict__.pop("_turns_cache", None)
        if rows is None:
            rows = self.db.execute("SELECT rowid, content_start, end, speaker FROM turns WHERE transcript_id = ?"
                                   " ORDER BY idx", [transcript_id]).fetchall()
        if sign > 0:
            words = [(r, text[a:b]) for r, a, b, _ in rows]
            if self._words_pending is not None:  # in a batch: indexed with the others at its end
                self._words_pending += words
                if len(self._words_pending) >= WORDS_HELD and not self._savepoints:  # memory stays bounded
                    self._index_pending()
            else:
                self.db.conn.executemany("INSERT INTO turns_fts(rowid, words) VALUES (?, ?)", words)
            self._put_stats(transcript_id, len(text), [r[3] for r in rows], source)
        else:
            self.db.conn.executemany("INSERT INTO turns_fts(turns_fts, rowid, words) VALUES ('delete', ?, ?)",
                                     [(r, text[a:b]) for r, a, b, _ in rows])
            self.db.execute("DELETE FROM transcript_stats WHERE transcript_id = ?", [transcript_id])
            self.db.execute("DELETE FROM coded_turns WHERE transcript_id = ?", [transcript_id])

    def _put_stats(self, transcript_id: int, characters: int, speakers: list[str | None],
                   new: tuple | None = None) -> None:
        """Inside a write: the transcript list's row of a transcript whose turns changed (and the
        turns read before forgotten). `new`: (format, source name, imported at) of a transcript
        just stored, which has no codings yet."""
        self.__dict__.pop("_turns_cache", None)
        source = new or self.db.execute("SELECT format, source_name, imported_at FROM transcripts WHERE id = ?",
                                        [transcript_id]).fetchone()
        self.db.execute("INSERT OR REPLACE INTO transcript_stats VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [transcript_id, *turn_stats(characters, speakers), *source])
        if new is None:
            self._coded_stale(transcript_id)

    def _coded_stale(self, transcript_id: int | None = None) -> None:
        """Inside a write: the coded turns of a transcript (None: of all) to be counted again, since
        which turns are answers changed (its speakers, its interviewer, the interviewer labels)."""
        self.db.execute("INSERT OR IGNORE INTO coded_stale SELECT DISTINCT transcript_id, coder_id FROM codings"
                        + ("" if transcript_id is None else " WHERE transcript_id = ?"),
                        [] if transcript_id is None else [transcript_id])

    def set_attributes(self, transcript_id: int, attributes: dict[str, str]) -> None:
        known = self.attribute_keys()
        for key in attributes:
            check_key(key, known)
        with self._write():
            self._put_attributes(transcript_id, attributes)

    def _put_attributes(self, transcript_id: int, attributes: dict[str, str]) -> None:
        if "interviewer" in attributes:  # it names the transcript's interviewer: its answers may change
            self._coded_stale(transcript_id)
        for key, value in attributes.items():
            if value == "":
                self.db.execute(
                    "DELETE FROM transcript_attributes WHERE transcript_id = ? AND key = ?",
                    [transcript_id, key],
                )
            else:
                self.db.execute(
                    "INSERT INTO transcript_attributes(transcript_id, key, value) VALUES (?, ?, ?)"
                    " ON CONFLICT(transcript_id, key) DO UPDATE SET value = excluded.value",
                    [transcript_id, key, value],
                )

    def transcript_by_id(self, transcript_id: int) -> dict:
        """A transcript's id, name and text."""
        return self._one("SELECT id, name, text FROM transcripts WHERE id = ?", [transcript_id])

    def transcript(self, reference: str) -> dict:
        """A transcript by name (file stem) or by numeric id."""
        row = None
        if reference.isdigit():
            row = self._one("SELECT id, name, text FROM transcripts WHERE id = ?", [int(reference)])
        if row is None:
            row = self._one("SELECT id, name, text FROM transcripts WHERE name = ?", [reference])
        if row is None:
            names = [r[0] for r in self.db.execute("SELECT name FROM transcripts ORDER BY name")]
            import difflib

            close = difflib.get_close_matches(reference, names, n=1)
            raise BadInput(
                f"no transcript '{reference}' in this project",
                field="TRANSCRIPT",
                hint=f"did you mean '{close[0]}'?" if close else "list them with 'jhs-qual transcripts'",
            )
        return row

    def turn(self, transcript_id: int, number: int) -> dict:
        """Turn `number`, counted from 1 as users see it."""
        row = self._one(
            "SELECT idx, speaker, start, content_start, end FROM turns WHERE transcript_id = ? AND idx = ?",
            [transcript_id, number - 1],
        )
        if row is None:
            count = self.db.execute(
                "SELECT count(*) FROM turns WHERE transcript_id = ?", [transcript_id]
            ).fetchone()[0]
            raise BadInput(f"no turn {number}", field="--turn", hint=f"turns run from 1 to {count}")
        return row

    def transcript_turns(self, transcript_id: int) -> list[dict]:
        """Every turn of a transcript in reading order, with its spans and timestamps."""
        key = (transcript_id, self.data_version())  # another connection's commit changes the version
        cache = self.__dict__.setdefault("_turns_cache", {})
        if key not in cache:  # the workbench asks at every coding (the learner's question before it)
            names = ("idx", "speaker", "start", "content_start", "end", "ts_start", "ts_end")
            if len(cache) >= 8:
                cache.clear()
            cache[key] = [dict(zip(names, row)) for row in self.db.execute(
                "SELECT idx, speaker, start, content_start, end, ts_start, ts_end FROM turns WHERE transcript_id = ?"
                " ORDER BY idx", [transcript_id])]
        return [dict(turn) for turn in cache[key]]

    def transcript_overview(self, first: int | None = None) -> list[dict]:
        """Every transcript (or the `first` N, by name: what a screen shows while the rest is
        read) with attributes, turn counts, speakers and progress per coder: one row each from
        transcript_stats and coded_turns (kept as turns and codings change)."""
        is_interviewer = self.interviewer_test()
        names = ("id", "name", "format", "source_name", "imported_at", "turn_count", "characters", "heading",
                 "speakers")
        rows = [dict(zip(names, row)) for row in self.db.execute(
            "SELECT t.id, t.name, s.format, s.source_name, s.imported_at, s.turn_count, s.characters, s.heading,"
            " s.speakers FROM transcripts t JOIN transcript_stats s ON s.transcript_id = t.id ORDER BY t.name"
            + ("" if first is None else " LIMIT ?"), [] if first is None else [first])]
        chosen = None if first is None else [row["id"] for row in rows]
        among, params = ("", []) if chosen is None else (
            " AND transcript_id IN (SELECT value FROM json_each(?))", [json.dumps(chosen)])
        coded = self.coded_turn_counts(is_interviewer, chosen)
        attributes: dict[int, dict[str, str]] = {}
        for tid, key, value in self.db.execute(
                f"SELECT transcript_id, key, value FROM transcript_attributes WHERE 1{among} ORDER BY key", params):
            attributes.setdefault(tid, {})[key] = value
        finished: dict[int, list[str]] = {}
        for tid, coder in self.db.execute(
                "SELECT transcript_id, cd.name FROM progress p JOIN coders cd ON cd.id = p.coder_id"
                f" WHERE p.finished_at IS NOT NULL{among} ORDER BY cd.name", params):
            finished.setdefault(tid, []).append(coder)
        for row in rows:
            tid = row["id"]
            row["attributes"] = attributes.get(tid, {})
            row["speakers"] = dict(json.loads(row["speakers"]))
            asked = sum(n for speaker, n in row["speakers"].items() if is_interviewer(speaker, tid))
            row["codable_turns"] = row["turn_count"] - row.pop("heading") - asked
            row["coded_turns"] = coded.get(tid, {})
            row["finished_by"] = finished.get(tid, [])
        return rows

    def texts(self) -> dict[int, str]:
        return {r[0]: r[1] for r in self.db.execute("SELECT id, text FROM transcripts")}

    def turn_positions(self, transcript_ids=None) -> dict[int, list[tuple]]:
        """{transcript: [(speaker, start, content_start, end, ts_start) per turn, in order]}, of the
        given transcripts (None: all)."""
        sql = "SELECT transcript_id, speaker, start, content_start, end, ts_start FROM turns"
        params: list = []
        if transcript_ids is not None:
            sql += " WHERE transcript_id IN (SELECT value FROM json_each(?))"
            params = [json.dumps(sorted(transcript_ids))]
        found: dict[int, list[tuple]] = {}
        for tid, *turn in self.db.execute(sql + " ORDER BY transcript_id, idx", params):
            found.setdefault(tid, []).append(tuple(turn))
        return found

    def speakers(self) -> list[str]:
        """Every speaker label in the project's turns."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT speaker FROM turns WHERE speaker IS NOT NULL")]

    def attribute_keys_used(self) -> set[str]:
        """The attribute names some transcript has a value for."""
        return {r[0] for r in self.db.execute("SELECT DISTINCT key FROM transcript_attributes")}

    def source_names(self) -> dict[int, str]:
        """{transcript: the file name it was imported from}."""
        return dict(self.db.execute("SELECT id, source_name FROM transcripts"))

    def label_spans(self, transcript_id: int) -> list[tuple[int, int]]:
        """(start, content start) of each turn: where its speaker label stands in the text."""
        return [tuple(r) for r in self.db.execute(
            "SELECT start, content_start FROM turns WHERE transcript_id = ? ORDER BY idx", [transcript_id])]

    def text_lookup(self) -> Mapping[int, str]:
        """Each transcript's text, read when asked for: for a pass over a large corpus that
        needs one text at a time (memory stays that of one transcript)."""
        return _Texts(self.db.conn)

    def transcript_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM transcripts").fetchone()[0]

    def transcript_names(self) -> dict[int, str]:
        return {r[0]: r[1] for r in self.db.execute("SELECT id, name FROM transcripts")}

    def attributes_by_transcript(self) -> dict[int, dict[str, str]]:
        result: dict[int, dict[str, str]] = {}
        for r in self.db.query("SELECT transcript_id, key, value FROM transcript_attributes"):
            result.setdefault(r["transcript_id"], {})[r["key"]] = r["value"]
        return result


class _Texts(Mapping):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __getitem__(self, transcript_id: int) -> str:
        row = self._conn.execute("SELECT text FROM transcripts WHERE id = ?", [transcript_id]).fetchone()
        if row is None:
            raise KeyError(transcript_id)
        return row[0]

    def __iter__(self):
        return (r[0] for r in self._conn.execute("SELECT id FROM transcripts ORDER BY id"))

    def __len__(self) -> int:
        return self._conn.execute("SELECT count(*) FROM transcripts").fetchone()[0]
