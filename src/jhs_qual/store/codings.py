"""Coders and codings (a mixin of `Project`): adding, finding, removing, and every reading of them
(rows for exports, arrays for agreement, counts for summaries).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager

from jhs_qual.domain import ORIGINS, Coding
from jhs_qual.errors import BadInput
from jhs_qual.store.common import now as _now


class CodingStore:
    @contextmanager
    def _codings_in_bulk(self) -> Iterator[None]:
        """Inside a write: many codings added at once (an import). The trigger that marks each new
        coding's (transcript, coder) for the transcript list to count again costs a third of the
        insert, row by row; it is taken out for the while (inside this transaction, so no other
        connection sees it gone) and the pairs are marked together at the end."""
        db = self.db
        (trigger,) = db.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'"
                                " AND name = 'codings_stale_insert'").fetchone()
        db.execute("DROP TRIGGER codings_stale_insert")
        self._bulk_pairs = set()
        try:
            yield
            db.conn.executemany("INSERT OR IGNORE INTO coded_stale VALUES (?, ?)", sorted(self._bulk_pairs))
        finally:
            self._bulk_pairs = None
            if db.conn.in_transaction:  # back in place whatever happened, before anything could commit
                db.execute(trigger)

    def import_codings(self, rows: list[tuple[int, int, str, int, int, str, str]]) -> int:
        """Store codings brought in from a sheet, all or none: (transcript, code row, coder, start,
        end, memo, origin) each. One that is here already is not added again. Returns how many were."""
        now = _now()
        with self._write(), self._codings_in_bulk():
            coders = {name: self._coder_id(name) for name in {row[2] for row in rows}}
            return self._insert_codings([(tid, code, coders[coder], start, end, memo, origin, now, now)
                                         for tid, code, coder, start, end, memo, origin in rows])

    def coder_names(self, *, with_codings: bool = False) -> list[str]:
        """Every coder's name (`with_codings`: those who coded something), sorted."""
        sql = "SELECT cd.name FROM coders cd"
        if with_codings:
            sql += " WHERE EXISTS (SELECT 1 FROM codings c WHERE c.coder_id = cd.id)"
        return [r[0] for r in self.db.execute(sql + " ORDER BY cd.name")]

    def codings_without_code(self) -> int:
        """Codings whose code is no longer in the project (a damaged file: `check` names them)."""
        return self.db.execute("SELECT count(*) FROM codings WHERE code_id NOT IN (SELECT id FROM codes)").fetchone()[0]

    def learned_terms(self) -> dict[int, list[str]]:
        """{code row id: its learned keywords}, the terms in alphabetical order."""
        found: dict[int, list[str]] = {}
        for code_row_id, term in self.db.execute("SELECT code_id, term FROM learned_keywords ORDER BY term"):
            found.setdefault(code_row_id, []).append(term)
        return found

    def counts(self) -> dict[str, int]:
        """How many transcripts, turns, codings, codes and coders the file holds."""
        return {table: self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("transcripts", "turns", "codings", "codes", "coders")}

    def _coder_id(self, name: str) -> int:
        name = " ".join(name.split())
        if not name:
            raise BadInput("the coder's name is empty", field="--coder")
        row = self.db.execute("SELECT id FROM coders WHERE name = ?", [name]).fetchone()
        if row:
            return row[0]
        return self.db.execute(
            "INSERT INTO coders(name, created_at) VALUES (?, ?)", [name, _now()]
        ).lastrowid

    def add_coding(
        self,
        transcript_id: int,
        code_row_id: int,
        coder: str,
        start: int,
        end: int,
        *,
        memo: str = "",
        origin: str = "manual",
    ) -> tuple[int, bool]:
        """Store a coding; returns (coding id, created). An identical coding
        by the same coder is not stored twice."""
        if origin not in ORIGINS:
            raise BadInput(f"origin '{origin}' is not one of {', '.join(ORIGINS)}", field="origin")
        length = self.db.execute(
            "SELECT length(text) FROM transcripts WHERE id = ?", [transcript_id]
        ).fetchone()[0]
        codable = self.db.execute("SELECT codable, code_id FROM codes WHERE id = ?", [code_row_id]).fetchone()
        if codable is not None and not codable[0]:
            raise BadInput(f"code '{codable[1]}' is a folder of codes, not a code to apply", field="CODE",
                           hint="code with one of the codes under it")
        if not (0 <= start < end <= length):
            raise BadInput(
                f"span {start}:{end} is outside the text",
                field="--span",
                hint=f"start and end must satisfy 0 <= start < end <= {length}",
            )
        with self._write() as db:
            coder_id = self._coder_id(coder)
            created = bool(self._insert_coding(transcript_id, code_row_id, coder_id, start, end, memo, origin))
            coding_id = db.execute(
                "SELECT id FROM codings WHERE transcript_id = ? AND code_id = ? AND coder_id = ?"
                " AND start = ? AND end = ?",
                [transcript_id, code_row_id, coder_id, start, end],
            ).fetchone()[0]
        return coding_id, created

    def find_codings(
        self, transcript_id: int, code_row_id: int, coder: str, start: int | None = None, end: int | None = None
    ) -> list[dict]:
        sql = (
            "SELECT c.id, c.start, c.end FROM codings c JOIN coders cd ON cd.id = c.coder_id"
            " WHERE c.transcript_id = ? AND c.code_id = ? AND cd.name = ?"
        )
        params: list = [transcript_id, code_row_id, coder]
        if start is not None:
            sql += " AND c.start = ? AND c.end = ?"
            params += [start, end]
        return list(self.db.query(sql + " ORDER BY c.start", params))

    def remove_codings(self, coding_ids: list[int]) -> int:
        with self._write() as db:
            removed = 0
            for coding_id in coding_ids:
                removed += db.execute("DELETE FROM codings WHERE id = ?", [coding_id]).rowcount
        return removed

    def coding_rows(self, coder: str | None = None, code_ids: list[int] | None = None) -> list[dict]:
        """Codings (all, or of these code rows) with turn, speaker, code reference and text,
        in transcript order."""
        return list(self.iter_coding_rows(coder, code_ids))

    def iter_coding_rows(self, coder: str | None = None, code_ids: list[int] | None = None) -> Iterator[dict]:
        """coding_rows one at a time, for passes over a large corpus.

        Read in transcript order (name, start, end, code, coder); the text is sliced
        and the turn found here, from the current transcript's text and turn starts
        (held for one transcript at a time): asking SQLite would load the whole
        transcript, or search the turns, once for every coding.
        """
        sql = (
            "SELECT c.transcript_id, t.name AS transcript, k.codebook_id || '/' || k.code_id AS code,"
            " cd.name AS coder, c.start, c.end, c.memo, c.origin"
            " FROM codings c JOIN transcripts t ON t.id = c.transcript_id"
            " JOIN codes k ON k.id = c.code_id JOIN coders cd ON cd.id = c.coder_id"
        )
        conditions, params = [], []
        if coder is not None:
            conditions.append("cd.name = ?")
            params.append(coder)
        if code_ids is not None:
            conditions.append("c.code_id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(code_ids))
        if conditions:
            sql += " WHERE " + " AND ".join(conditions)
        # BINARY order of UTF-8 is code point order: Python's order of the same strings
        sql += " ORDER BY t.name, c.start, c.end, code, cd.name"
        columns = ("transcript_id", "transcript", "code", "coder", "start", "end", "memo", "origin")
        names: dict[str, str] = {}  # one string object per name, code and coder
        current, text, starts, speakers = None, "", [], []
        for values in self.db.execute(sql, params):
            row = dict(zip(columns, values))
            tid = row["transcript_id"]
            if tid != current:
                current = tid
                text = self.db.execute("SELECT text FROM transcripts WHERE id = ?", [tid]).fetchone()[0]
                found = self.db.execute("SELECT start, speaker FROM turns WHERE transcript_id = ? ORDER BY start",
                                        [tid]).fetchall()
                starts, speakers = [f[0] for f in found], [f[1] for f in found]
            for key in ("transcript", "code", "coder"):
                row[key] = names.setdefault(row[key], row[key])
            row["text"] = text[row["start"]:row["end"]]
            # The turn a coding starts in (or, starting between turns, the one before).
            index = bisect.bisect_right(starts, row["start"]) - 1
            row["turn"], row["speaker"] = (index + 1, speakers[index]) if index >= 0 else (None, None)
            yield row

    def learning_rows(self, coder: str, *, limit: int = 20_000) -> list[tuple[int, int, str, int, int]]:
        """(coding id, transcript id, code reference, start, end) of `coder`'s latest `limit`
        codings made by a person (not autocode's): what that coder's suggestions learn from."""
        return self.db.execute(
            "SELECT c.id, c.transcript_id, k.codebook_id || '/' || k.code_id, c.start, c.end FROM codings c"
            " JOIN codes k ON k.id = c.code_id JOIN coders cd ON cd.id = c.coder_id"
            " WHERE cd.name = ? AND c.origin != 'auto' ORDER BY c.id DESC LIMIT ?", [coder, limit]).fetchall()

    def coded_transcripts(self, coder: str) -> list[int]:
        """The transcripts `coder` has coded by hand or by accepting suggestions, by their latest coding."""
        return [r[0] for r in self.db.execute(
            "SELECT c.transcript_id FROM codings c JOIN coders cd ON cd.id = c.coder_id"
            " WHERE cd.name = ? AND c.origin != 'auto' GROUP BY c.transcript_id ORDER BY max(c.id)", [coder])]

    def codings(self, coders: list[str] | None = None) -> list[Coding]:
        sql = (
            "SELECT c.id, c.transcript_id, k.codebook_id || '/' || k.code_id AS code, cd.name AS coder,"
            " c.start, c.end, c.memo FROM codings c JOIN codes k ON k.id = c.code_id"
            " JOIN coders cd ON cd.id = c.coder_id"
        )
        params: list = []
        if coders is not None:
            sql += " WHERE cd.name IN (SELECT value FROM json_each(?))"
            params.append(json.dumps(coders))
        names: dict[str, str] = {}  # one string object per code and coder name, not one per coding
        return [Coding(i, tid, names.setdefault(code, code), names.setdefault(coder, coder), start, end, memo)
                for i, tid, code, coder, start, end, memo
                in self.db.execute(sql + " ORDER BY c.transcript_id, c.start", params)]

    def coding_arrays(self, coder: str | None = None, *, people: bool = False):
        """transcript_id, code row id, start, end and coder id of every coding (of one coder;
        with `people`, only people's: no autocode codings, no consensus coders) as numpy arrays:
        for summaries over a million codings, without a Python object per coding."""
        import numpy as np

        # Two integers a row, not four: the cursor's Python objects are most of the cost
        # (0.4 s instead of 0.6 s for a million codings). Code row ids stay below 2**20,
        # offsets below 2**32.
        sql = ("SELECT (c.transcript_id << 20) | c.code_id, (c.start << 32) | c.end, c.coder_id FROM codings c"
               " WHERE c.code_id IN (SELECT id FROM codes)")  # a dangling code (a damaged file) is left out
        params: list = []
        if coder is not None:
            sql += " AND c.coder_id IN (SELECT id FROM coders WHERE name = ?)"
            params.append(coder)
        elif people:
            sql += (" AND c.origin != 'auto' AND c.coder_id NOT IN"
                    " (SELECT id FROM coders WHERE name IN (SELECT value FROM json_each(?)))")
            params.append(json.dumps(self.consensus_coders()))
        import itertools

        cursor = self.db.execute(sql, params)
        rows = np.fromiter(itertools.chain.from_iterable(cursor), dtype=np.int64).reshape(-1, 3)
        return rows[:, 0] >> 20, rows[:, 0] & 0xFFFFF, rows[:, 1] >> 32, rows[:, 1] & 0xFFFFFFFF, rows[:, 2]

    def turn_arrays(self):
        """transcript_id, start and speaker (a number per label; -1 for none) of every
        turn, sorted by transcript and start, as numpy arrays."""
        import numpy as np

        rows = self.db.execute("SELECT (transcript_id << 32) | start, speaker FROM turns ORDER BY 1").fetchall()
        keys = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        labels: dict[str | None, int] = {None: -1, "": -1}  # then 'Leraar': 0, ...
        speakers = np.fromiter((labels.setdefault(r[1], len(labels) - 2) for r in rows), dtype=np.int64, count=len(rows))
        return keys >> 32, keys & 0xFFFFFFFF, speakers

    def codable_turns(self, *, include_interviewers: bool = False,
                      transcript_ids: list[int] | None = None) -> dict[int, list[tuple[int, int, int]]]:
        """{transcript_id: [(turn number, content_start, end), ...]} for turns with words (of
        every transcript, or of these)."""
        is_interviewer = functools.lru_cache(maxsize=None)(self.interviewer_test())  # a handful of speakers
        turns: dict[int, list[tuple[int, int, int]]] = {}
        for tid, rows, skipped in self._turns_and_answers(transcript_ids, is_interviewer):
            found = [(idx + 1, start, end) for (idx, start, end), skip in zip(rows, skipped)
                     if end > start and (include_interviewers or not skip)]
            if found:
                turns[tid] = found
        return turns

    def _turns_and_answers(self, transcript_ids, is_interviewer) -> Iterator[tuple[int, list[tuple], list[bool]]]:
        """(transcript, its turns as (idx, content_start, end) in order, which are no answers) for
        every transcript (None) or these."""
        from jhs_qual.domain.models import not_answers

        chosen = "" if transcript_ids is None else " WHERE transcript_id IN (SELECT value FROM json_each(?))"
        rows = self.db.execute(
            f"SELECT transcript_id, idx, speaker, content_start, end FROM turns{chosen} ORDER BY transcript_id, idx",
            [] if transcript_ids is None else [json.dumps(sorted(transcript_ids))])
        for tid, group in itertools.groupby(rows, key=lambda row: row[0]):
            group = list(group)
            yield tid, [(idx, start, end) for _, idx, _, start, end in group], \
                not_answers([row[2] for row in group], lambda speaker: is_interviewer(speaker, tid))

    def coded_turn_counts(self, is_interviewer, transcript_ids: list[int] | None = None) -> dict[int, dict[str, int]]:
        """{transcript: {coder: answers a coding of theirs covers}}, of every transcript or these,
        as the transcript list shows them: counted again only for the (transcript, coder) pairs
        whose codings changed since (coded_stale) and stored, so a list of thousands reads one row
        per pair. A project that may not be written is counted without storing."""
        unstored: dict[tuple[int, int], int] = {}
        if self.db.execute("SELECT 1 FROM coded_stale LIMIT 1").fetchone():
            if self.read_only:
                unstored = self._count_coded(self.db.execute("SELECT * FROM coded_stale").fetchall(), is_interviewer)
            else:
                with self._write() as db:
                    stale = db.execute("SELECT * FROM coded_stale").fetchall()
                    counted = self._count_coded(stale, is_interviewer)
                    db.conn.executemany("DELETE FROM coded_turns WHERE transcript_id = ? AND coder_id = ?", stale)
                    db.conn.executemany("INSERT INTO coded_turns VALUES (?, ?, ?)",
                                        [(tid, coder, n) for (tid, coder), n in counted.items() if n])
                    db.execute("DELETE FROM coded_stale")
        names = dict(self.db.execute("SELECT id, name FROM coders").fetchall())
        among, params = ("", []) if transcript_ids is None else (
            " WHERE transcript_id IN (SELECT value FROM json_each(?))", [json.dumps(transcript_ids)])
        found: dict[int, dict[str, int]] = {}
        for tid, coder_id, coded in self.db.execute(f"SELECT transcript_id, coder_id, coded FROM coded_turns{among}",
                                                    params):
            if (tid, coder_id) not in unstored:
                found.setdefault(tid, {})[names[coder_id]] = coded
        chosen = None if transcript_ids is None else set(transcript_ids)
        for (tid, coder_id), coded in unstored.items():
            if coded and (chosen is None or tid in chosen):
                found.setdefault(tid, {})[names[coder_id]] = coded
        return found

    def _count_coded(self, pairs: list[tuple[int, int]], is_interviewer) -> dict[tuple[int, int], int]:
        """{(transcript, coder): answers a coding of the coder covers (a coding covers a turn whose
        words it overlaps)} for these pairs."""
        counted: dict[tuple[int, int], int] = {pair: 0 for pair in pairs}
        turns = {tid: ([start for _, start, _ in rows], [end for _, _, end in rows], skip)
                 for tid, rows, skip in self._turns_and_answers({tid for tid, _ in pairs}, is_interviewer)}
        covered: dict[tuple[int, int], set[int]] = {}
        for tid, coder_id, start, end in self.db.execute(
                "SELECT c.transcript_id, c.coder_id, c.start, c.end FROM coded_stale s"
                " JOIN codings c ON c.transcript_id = s.transcript_id AND c.coder_id = s.coder_id"):
            if tid not in turns or (tid, coder_id) not in counted:
                continue
            starts, ends, skip = turns[tid]
            i = bisect.bisect_right(ends, start)
            seen = covered.setdefault((tid, coder_id), set())
            while i < len(starts) and starts[i] < end:
                if not skip[i]:
                    seen.add(i)
                i += 1
        for pair, seen in covered.items():
            counted[pair] = len(seen)
        return counted

    def require_coders(self, names: list[str], option: str = "--coders") -> None:
        known = {r[0] for r in self.db.execute("SELECT name FROM coders")}
        for name in names:
            if name not in known:
                raise BadInput(
                    f"no coder '{name}' in this project",
                    field=option,
                    hint=f"coders: {', '.join(sorted(known)) or 'none yet'}",
                )

    def coding(self, coding_id: int) -> dict | None:
        """One coding: its transcript, code row (`code_row_id`), coder's name, span, memo, origin."""
        return self._one(
            "SELECT c.id, c.transcript_id, c.code_id AS code_row_id, cd.name AS coder, c.start, c.end, c.memo,"
            " c.origin, c.created_at, c.updated_at FROM codings c JOIN coders cd ON cd.id = c.coder_id WHERE c.id = ?",
            [coding_id],
        )

    def set_memo(self, coding_id: int, memo: str) -> None:
        with self._write() as db:
            changed = db.execute("UPDATE codings SET memo = ?, updated_at = ? WHERE id = ?",
                                 [memo, _now(), coding_id]).rowcount
        if not changed:
            raise BadInput(f"no coding {coding_id}")

    def transcript_codings(self, transcript_id: int, coder: str) -> list[dict]:
        """One coder's codings in one transcript, with the code's row id (`code_row_id`), its
        reference (`code`: "codebook/id"), key and colour."""
        return list(self.db.query(
            "SELECT c.id, c.code_id AS code_row_id, c.start, c.end, c.memo, c.origin,"
            " k.codebook_id || '/' || k.code_id AS code,"
            " k.key, k.colour, k.label_nl FROM codings c JOIN codes k ON k.id = c.code_id"
            " JOIN coders cd ON cd.id = c.coder_id WHERE c.transcript_id = ? AND cd.name = ? ORDER BY c.start",
            [transcript_id, coder],
        ))

    def code_counts(self, coder: str, transcript_id: int | None = None) -> dict[int, int]:
        """{code row id: number of codings by this coder} (in one transcript, or all)."""
        coder_id = "(SELECT id FROM coders WHERE name = ?)"  # then the (coder_id, transcript_id) index serves
        if transcript_id is None:
            return dict(self.db.execute(f"SELECT code_id, count(*) FROM codings WHERE coder_id = {coder_id}"
                                        " GROUP BY code_id", [coder]).fetchall())
        return dict(self.db.execute(f"SELECT code_id, count(*) FROM codings WHERE coder_id = {coder_id}"
                                    " AND transcript_id = ? GROUP BY code_id", [coder, transcript_id]).fetchall())

    def quotes(self, code_row_id: int, coder: str | None = None) -> list[dict]:
        """Every coded segment of one code, in transcript order, with its attribution."""
        rows = self.coding_rows(coder, [code_row_id])
        attributes = self.attributes_by_transcript()
        for row in rows:
            row["attributes"] = attributes.get(row["transcript_id"], {})
        return rows

    def summary(self, by: str, coder: str | None = None, *, all_coders: bool = False,
                cooccurrence: str = "overlap"):
        """The one summary (analysis.summary) for the command line and the workbench: of one
        coder's codings, of everyone's (`all_coders`), or by default of people's: autocode's
        codings and consensus coders left out (a consensus repeats its coders' codings).
        Returns the Summary and the code rows it lists, in codebook order."""
        import numpy as np

        from jhs_qual.analysis.summary import summarise_arrays

        codes = self.codes()
        transcript, code_rows, start, end, coder_ids = self.coding_arrays(coder, people=not all_coders)
        row_ids = np.array([c["id"] for c in codes], dtype=np.int64)
        order = np.argsort(row_ids)
        code_index = order[np.searchsorted(row_ids[order], code_rows)] if len(code_rows) else code_rows
        labels = [(f"{c['codebook_id']}/{c['code_id']}", c["label_nl"]) for c in codes]
        return summarise_arrays(transcript, code_index, start, end, labels, self.attributes_by_transcript(),
                                self.transcript_names(), self.turn_arrays(), by, cooccurrence, coder=coder_ids,
                                applies=self.codebooks_by_transcript()), codes

    def replace_auto_codings(self, coder: str, transcript_ids: list[int], rows: list[tuple[int, int, int, int]]) -> int:
        """Store an auto-coding run: (transcript_id, code row id, start, end) rows replace
        this coder's earlier auto codings in those transcripts, in one transaction.
        A coder with codings of their own is refused: auto codings never mix with a human's."""
        with self._write() as db:
            human = db.execute(
                "SELECT count(*) FROM codings c JOIN coders cd ON cd.id = c.coder_id"
                " WHERE cd.name = ? AND c.origin != 'auto'", [coder],
            ).fetchone()[0]
            if human:
                raise BadInput(f"coder '{coder}' has {human} coding(s) made by hand", field="--coder",
                               hint="auto-code under a coder of its own, e.g. --coder auto")
            coder_id = self._coder_id(coder)
            db.execute(
                "DELETE FROM codings WHERE coder_id = ? AND origin = 'auto'"
                " AND transcript_id IN (SELECT value FROM json_each(?))", [coder_id, json.dumps(transcript_ids)],
            )
            added = 0
            for transcript_id, code_id, start, end in rows:
                added += self._insert_coding(transcript_id, code_id, coder_id, start, end, "", origin="auto")
        return added

    def add_learned_keywords(self, code_row_id: int, terms: list[tuple[str, float]], coder: str) -> int:
        with self._write() as db:
            added = 0
            for term, z in terms:
                added += db.execute(
                    "INSERT OR IGNORE INTO learned_keywords(code_id, term, z, coder, created_at) VALUES (?, ?, ?, ?, ?)",
                    [code_row_id, term, z, coder, _now()],
                ).rowcount
        return added

    def _insert_coding(self, transcript_id: int, code_id: int, coder_id: int, start: int, end: int,
                       memo: str, origin: str = "manual") -> int:
        """Inside a write: add a coding unless the same one exists. Returns 1 if added."""
        return self._insert_codings([(transcript_id, code_id, coder_id, start, end, memo)], origin)

    def _insert_codings(self, rows: list[tuple], origin: str = "manual") -> int:
        """Inside a write: add codings (transcript, code row, coder row, start, end, memo; and their
        own origin, created and updated time, when they carry them) unless the same exist. Returns
        how many were added."""
        if self._bulk_pairs is not None:
            self._bulk_pairs.update((row[0], row[2]) for row in rows)
        now = _now()
        return self.db.conn.executemany(
            "INSERT OR IGNORE INTO codings(transcript_id, code_id, coder_id, start, end, memo, origin,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [row if len(row) == 9 else (*row, origin, now, now) for row in rows],
        ).rowcount
