"""The project file: opening, creating, and every write.

`Project` is the one class that writes. Each public write method is one
logical change in one `BEGIN IMMEDIATE` transaction: it either happens whole
or leaves the file exactly as it was. (Not sqlite-utils' `atomic()`, which
begins a deferred transaction: two coders writing to one file in WAL mode
would then get SQLITE_BUSY on the read-to-write upgrade instead of waiting
for the busy timeout.)
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import json
import os
import re
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from jhs_qual.domain import ORIGINS, Coding, ParsedTranscript
from jhs_qual.errors import BadInput, Failure
from jhs_qual.files import PROJECT, hold
from jhs_qual.ingest.attributes import DEFAULT_KEYS, check_key, check_new_key
from jhs_qual.store.codebooks import CodebookStore
from jhs_qual.store.common import now as _now
from jhs_qual.store.media import MediaStore
from jhs_qual.store.notes import NotesStore
from jhs_qual.store.progress import LearningRecord, ProgressStore
from jhs_qual.store.trash import TrashStore
from jhs_qual.store.vectors import VectorStore
from jhs_qual.store.schema import APPLICATION_ID, MIGRATION_NAMES, MIGRATION_SET, migrations

DEFAULT_NAME = "project.jhsq"
BUSY_TIMEOUT_MS = 30_000  # two or three coders on one file wait for each other, up to 30 s
DEFAULT_INTERVIEWERS = ("Interviewer", "Interviewster", "I", "Int", "Onderzoeker")
_SQLITE_HEADER = b"SQLite format 3\x00"
_SEARCH_WORD = re.compile(r"[^\W_]+")  # what FTS5's unicode61 tokenizer takes as one token
_DAMAGED = "restore it from a backup; 'jhs-qual check' tells what is wrong"


def verified_connection(path: Path, connect, *, hint: str):
    """`connect(path)` after the checks every reader of a project file makes: it is
    an SQLite file, ours (application_id), and of no newer schema than this code."""
    if not path.is_file():
        raise BadInput("no such project file", file=path,
                       hint="check the name, or create a project with 'jhs-qual init'")
    with open(path, "rb") as handle:
        if handle.read(16) != _SQLITE_HEADER:
            raise BadInput("not a jhs-qual project (not an SQLite file)", file=path)
    try:
        conn = connect(path)
    except sqlite3.DatabaseError as error:
        raise BadInput(f"cannot open the project file ({error})", file=path, hint=_DAMAGED) from None
    try:
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            has_table = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE name = '_sqlite_migrations'").fetchone()
        except sqlite3.DatabaseError as error:  # header only, truncated, page 1 damaged
            raise BadInput(f"the project file is damaged ({error})", file=path, hint=_DAMAGED) from None
        if app_id != APPLICATION_ID:
            raise BadInput("not a jhs-qual project (an SQLite file of another program)", file=path)
        if not has_table:
            raise BadInput("the project file is damaged (it has no schema)", file=path, hint=_DAMAGED)
        applied = [r[0] for r in conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid", [MIGRATION_SET])
        ] if has_table else []
        unknown = [name for name in applied if name not in MIGRATION_NAMES]
        if unknown:
            raise BadInput(f"written by a newer jhs-qual (schema {unknown[-1]})", file=path, hint=hint)
    except BaseException:
        conn.close()
        raise
    return conn


def problems(db, quick: bool = False) -> list[str]:
    """What is wrong with a project file (`db`: its connection): SQLite's integrity check,
    foreign keys, settings and keyword lists that are not JSON, texts that do not match their
    checksum, turns and codings outside their transcript's text. `quick`: SQLite's quick check
    (every page and record, not the indexes' agreement with their tables), before an export
    or merge of a large project."""
    found = []
    try:
        found += [f"integrity: {r[0]}" for r in db.execute(
            f"PRAGMA {'quick_check' if quick else 'integrity_check'}(20)") if r[0] != "ok"]
        found += [f"table {r[0]} row {r[1]} points to a missing row of {r[2]}"
                  for r in db.execute("PRAGMA foreign_key_check").fetchmany(50)]
        for key, value in db.execute("SELECT key, value FROM settings"):
            if not _is_json(value):
                found.append(f"setting '{key}' is not JSON")
        found += list(itertools.islice(
            (f"code {book}/{code}: its keywords are not JSON"
             for book, code, value in db.execute("SELECT codebook_id, code_id, keywords FROM codes")
             if not _is_json(value)), 50))
        # Each text's length measured once: length(t.text) in a join would read the whole
        # text again for every turn and coding (seconds on a large project).
        lengths, names = {}, {}
        for tid, name, text, sha256 in db.execute("SELECT id, name, text, sha256 FROM transcripts"):
            lengths[tid], names[tid] = len(text), name
            if hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest() != sha256:
                found.append(f"transcript {name}: its text does not match its checksum (changed outside jhs-qual)")
        found += list(itertools.islice(
            (f"transcript {names[tid]}: turn {idx + 1} lies outside the text"
             for tid, idx, start, content_start, end in db.execute(
                 "SELECT transcript_id, idx, start, content_start, end FROM turns")
             if tid in lengths and (end > lengths[tid] or start > content_start or content_start > end)), 50))
        found += list(itertools.islice(
            (f"coding {cid} in {names[tid]} lies outside the text"
             for cid, tid, start, end in db.execute("SELECT id, transcript_id, start, end FROM codings")
             if tid in lengths and not 0 <= start < end <= lengths[tid]), 50))
    except sqlite3.DatabaseError as error:
        found.append(f"the file cannot be read through: {error}")
    return found


def _is_json(value) -> bool:
    try:
        json.loads(value)
    except (TypeError, ValueError, RecursionError):
        return False
    return True


def _connect(path: Path) -> Database:
    # isolation_level=None: no implicit transactions; `_write` opens them.
    if _read_only(path):
        # A file or folder we may not write (a shared drive, a copy on a stick): open it for
        # reading, so that listing, summaries and exports work; a write then says why it cannot.
        from urllib.parse import quote

        wal = Path(str(path) + "-wal").exists()
        mode = "mode=ro" if wal and os.access(path.parent, os.W_OK) else "mode=ro&immutable=1"
        conn = sqlite3.connect(f"file:{quote(str(Path(path).absolute()))}?{mode}", uri=True,
                               isolation_level=None, check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    return Database(conn)


def _read_only(path: Path) -> bool:
    return not (os.access(path, os.W_OK) and os.access(Path(path).parent, os.W_OK))


class Project(CodebookStore, NotesStore, MediaStore, VectorStore, ProgressStore, TrashStore, LearningRecord):
    def __init__(self, db: Database, path: Path):
        self.db = db
        self.path = path

    # --- opening -------------------------------------------------------------

    @classmethod
    def create(cls, path: Path) -> "Project":
        path = Path(path)
        if path.exists():
            raise BadInput("already exists", file=path, hint="open it, or choose another name")
        if not path.parent.is_dir():
            raise BadInput("folder does not exist", file=path.parent)
        # Created readable by its owner only: it holds interviews with minors.
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:  # a dangling symlink
            raise BadInput("something is in the way (a symlink to nowhere?)", file=path,
                           hint="remove it, or choose another name") from None
        except OSError as error:
            raise BadInput(f"cannot create: {error.strerror}", file=path) from None
        os.close(fd)
        os.chmod(path, 0o600)
        hold(path, PROJECT, companions=True)
        try:
            db = _connect(path)
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute("PRAGMA journal_mode = WAL")
            migrations.apply(db)
            project = cls(db, path)
            with project._write():
                project._set_setting("interviewers", list(DEFAULT_INTERVIEWERS))
                project._set_setting("attribute_keys", list(DEFAULT_KEYS))
            return project
        except sqlite3.Error as error:  # a full disk, a folder that went away
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            raise Failure(f"cannot create: {error}", file=path) from None
        except BaseException:
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            raise

    @classmethod
    def open(cls, path: Path) -> "Project":
        path = Path(path)
        hold(path, PROJECT, companions=True)
        db = verified_connection(path, _connect, hint="upgrade jhs-qual to open this project")
        try:
            if _read_only(path):
                if migrations.pending(db):
                    raise BadInput("the project needs an upgrade of its schema, and it cannot be written here",
                                   file=path, hint="open it once where you may write it")
                return cls(db, path)
            db.execute("PRAGMA journal_mode = WAL")
            if migrations.pending(db):
                migrations.apply(db)
        except BaseException:
            db.close()
            raise
        return cls(db, path)

    @functools.cached_property
    def read_only(self) -> bool:
        """Opened for reading only (a file or folder we may not write): caches are not kept."""
        return _read_only(self.path)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Project":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[Database]:
        conn = self.db.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise Failure(f"cannot write: {error}", file=self.path,
                          hint="another program holds the file; try again") from None
        try:
            yield self.db
            conn.execute("COMMIT")
        except sqlite3.OperationalError as error:
            self._rollback()
            raise Failure(f"cannot write: {error}", file=self.path) from None
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        # SQLite may already have rolled back (a full disk, an I/O error).
        if self.db.conn.in_transaction:
            self.db.conn.execute("ROLLBACK")

    # --- settings ---------------------------------------------------------------

    def setting(self, key: str, default=None):
        row = self.db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        if not row:
            return default
        try:
            return json.loads(row[0])
        except (TypeError, ValueError):
            raise Failure(f"the setting '{key}' is damaged (not JSON)", file=self.path, field=key,
                          hint="run 'jhs-qual check'; restore the file from a backup") from None

    def check(self, quick: bool = False) -> list[str]:
        """What is wrong with the file, for `jhs-qual check` (see `problems`)."""
        return problems(self.db, quick)

    def require_sound(self, before: str) -> None:
        """Refuse to go on with a damaged file (before a merge or an export of everything)."""
        problems = self.check(quick=True)
        if problems:
            raise Failure(f"the project file has {len(problems)} problem(s), first: {problems[0]}",
                          file=self.path, hint=f"see 'jhs-qual check'; nothing was {before}")

    def _set_setting(self, key: str, value) -> None:
        self.db.execute(
            "INSERT INTO settings(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, json.dumps(value, ensure_ascii=False)],
        )

    def attribute_keys(self) -> list[str]:
        return list(self.setting("attribute_keys", list(DEFAULT_KEYS)))

    def add_attribute_keys(self, keys: list[str]) -> list[str]:
        current = self.attribute_keys()
        added = [check_new_key(k) for k in keys if k not in current]
        with self._write():
            self._set_setting("attribute_keys", current + added)
        return added

    def interviewers(self) -> list[str]:
        return list(self.setting("interviewers", list(DEFAULT_INTERVIEWERS)))

    def set_interviewers(self, labels: list[str]) -> None:
        cleaned = [" ".join(label.split()) for label in labels if label.strip()]
        with self._write():
            self._set_setting("interviewers", cleaned)

    def is_interviewer(self, speaker: str | None, labels: list[str] | None = None) -> bool:
        return self.interviewer_test(labels)(speaker)

    def interviewer_test(self, labels: list[str] | None = None):
        """speaker -> is it an interviewer ('Interviewer 2' too); the labels read once, for loops over turns."""
        wanted = {label.lower() for label in (self.interviewers() if labels is None else labels)}

        def test(speaker: str | None) -> bool:
            if not speaker:
                return False
            return speaker.lower() in wanted or re.sub(r"[ ]?\d{1,2}$", "", speaker).lower() in wanted

        return test

    def pseudonyms(self):
        from jhs_qual.export.pseudonyms import Pseudonym

        return [Pseudonym(p["name"], p["replacement"], tuple(p.get("variants", ())))
                for p in self.setting("pseudonyms", [])]

    def add_pseudonyms(self, pseudonyms) -> list[str]:
        """Add names to the list, merging with what is there: variants are kept and added to,
        a new replacement replaces the old one. Returns every change, for people."""
        from jhs_qual.export.pseudonyms import Pseudonym, check_list, fold

        current = {fold(p["name"]): p for p in self.setting("pseudonyms", [])}
        changes = []
        for p in pseudonyms:
            if not fold(p.name).strip() or not fold(p.replacement).strip():
                raise BadInput("a pseudonym needs a name and a replacement", field="NAME")
            name, replacement = p.name.strip(), p.replacement.strip()
            old = current.get(fold(name))
            variants = list(dict.fromkeys((old["variants"] if old else []) + [v.strip() for v in p.variants
                                                                              if v.strip()]))
            if old is None:
                changes.append(f"added {name} -> {replacement}" + (f" (also {', '.join(variants)})" if variants else ""))
            else:
                if old["replacement"] != replacement:
                    changes.append(f"{name}: replacement {old['replacement']} -> {replacement}")
                added = [v for v in variants if v not in old["variants"]]
                if added:
                    changes.append(f"{name}: variants {', '.join(added)} added")
            current[fold(name)] = {"name": old["name"] if old else name, "replacement": replacement,
                                   "variants": variants}
        check_list([Pseudonym(e["name"], e["replacement"], tuple(e["variants"])) for e in current.values()])
        with self._write():
            self._set_setting("pseudonyms", sorted(current.values(), key=lambda e: e["name"].lower()))
        return changes

    def remove_pseudonyms(self, names: list[str]) -> list[str]:
        """Take names off the list (with their variants). Returns the names removed."""
        from jhs_qual.export.pseudonyms import fold

        current = {fold(p["name"]): p for p in self.setting("pseudonyms", [])}
        missing = [n for n in names if fold(n) not in current]
        if missing:
            raise BadInput(f"not on the pseudonym list: {', '.join(missing)}", field="NAME",
                           hint="see them with 'jhs-qual pseudonyms list'")
        removed = [current.pop(fold(n))["name"] for n in names]
        with self._write():
            self._set_setting("pseudonyms", sorted(current.values(), key=lambda e: e["name"].lower()))
        return removed

    # --- transcripts -----------------------------------------------------------

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
        known = self.attribute_keys()
        for key in attributes:
            check_key(key, known, file=source_name)
        with self._write():
            duplicate = self.find_duplicate(hashlib.sha256(parsed.text.encode("utf-8")).hexdigest(), source_sha256)
            if duplicate is not None:
                return duplicate
            transcript_id = self._put_transcript(
                name, parsed.text, parsed.format, parsed.turns, attributes,
                source_name=source_name, source_sha256=source_sha256,
            )
        return transcript_id

    def _put_transcript(self, name, text, fmt, turns, attributes, *, source_name, source_sha256,
                        imported_at=None) -> int:
        """Inside a write: one transcript with its turns and attributes."""
        db = self.db
        if db.execute("SELECT 1 FROM transcripts WHERE name = ?", [name]).fetchone():
            raise BadInput(
                f"a different transcript is already called '{name}'",
                file=source_name,
                hint="rename the file before importing it",
            )
        text_sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
        transcript_id = db.execute(
            "INSERT INTO transcripts(name, text, sha256, source_sha256, source_name, format, imported_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [name, text, text_sha256, source_sha256, source_name, fmt, imported_at or _now()],
        ).lastrowid
        db.conn.executemany(
            "INSERT INTO turns(transcript_id, idx, speaker, start, content_start, end, ts_start, ts_end)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(transcript_id, t.index, t.speaker, t.start, t.content_start, t.end, t.ts_start, t.ts_end)
             for t in turns],
        )
        self._index_turns(transcript_id, text, +1)
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
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(transcript_id, t.index, t.speaker, t.start, t.content_start, t.end, t.ts_start, t.ts_end)
                 for t in parsed.turns])
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

    def _index_turns(self, transcript_id: int, text: str, sign: int) -> None:
        """Inside a write: add (+1) or take out (-1) a transcript's turns in the full-text index
        (an external-content FTS5 table: it is told the words, from the text in hand)."""
        rows = self.db.execute("SELECT rowid, content_start, end FROM turns WHERE transcript_id = ?",
                               [transcript_id]).fetchall()
        if sign > 0:
            self.db.conn.executemany("INSERT INTO turns_fts(rowid, words) VALUES (?, ?)",
                                     [(r, text[a:b]) for r, a, b in rows])
        else:
            self.db.conn.executemany("INSERT INTO turns_fts(turns_fts, rowid, words) VALUES ('delete', ?, ?)",
                                     [(r, text[a:b]) for r, a, b in rows])

    def set_attributes(self, transcript_id: int, attributes: dict[str, str]) -> None:
        known = self.attribute_keys()
        for key in attributes:
            check_key(key, known)
        with self._write():
            self._put_attributes(transcript_id, attributes)

    def _put_attributes(self, transcript_id: int, attributes: dict[str, str]) -> None:
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
        return list(self.db.query(
            "SELECT idx, speaker, start, content_start, end, ts_start, ts_end FROM turns WHERE transcript_id = ?"
            " ORDER BY idx", [transcript_id]))

    def transcript_overview(self) -> list[dict]:
        """Every transcript with attributes, turn counts, speakers and progress per coder."""
        is_interviewer = self.interviewer_test()
        rows = list(
            self.db.query(
                "SELECT t.id, t.name, t.format, t.source_name, t.imported_at,"
                " (SELECT count(*) FROM turns WHERE transcript_id = t.id) AS turn_count,"
                " length(t.text) AS characters FROM transcripts t ORDER BY t.name"
            )
        )
        attributes: dict[int, dict[str, str]] = {}
        for r in self.db.query("SELECT transcript_id, key, value FROM transcript_attributes ORDER BY key"):
            attributes.setdefault(r["transcript_id"], {})[r["key"]] = r["value"]
        speakers: dict[int, dict[str, int]] = {}
        interviewer_turns: dict[int, int] = {}
        for r in self.db.query(
            "SELECT transcript_id, speaker, count(*) AS n FROM turns GROUP BY transcript_id, speaker"
            " ORDER BY transcript_id, min(idx)"
        ):
            if r["speaker"]:
                speakers.setdefault(r["transcript_id"], {})[r["speaker"]] = r["n"]
            if is_interviewer(r["speaker"]):
                interviewer_turns[r["transcript_id"]] = interviewer_turns.get(r["transcript_id"], 0) + r["n"]
        interviewer_names = sorted(
            {s for spk in speakers.values() for s in spk if is_interviewer(s)}
        )
        progress: dict[int, dict[str, int]] = {}
        # A coding covers the turns from the one it starts in to the one it ends in: found
        # through the (transcript_id, start) index, not by comparing it with every turn.
        for r in self.db.query(
            "SELECT u.transcript_id, cd.name AS coder, count(DISTINCT u.idx) AS coded"
            " FROM (SELECT c.transcript_id, c.coder_id, c.start, c.end,"
            "   (SELECT idx FROM turns WHERE transcript_id = c.transcript_id AND start <= c.start"
            "    ORDER BY start DESC LIMIT 1) AS first,"
            "   (SELECT idx FROM turns WHERE transcript_id = c.transcript_id AND start < c.end"
            "    ORDER BY start DESC LIMIT 1) AS last"
            "  FROM codings c) c"
            " JOIN coders cd ON cd.id = c.coder_id"
            " JOIN turns u ON u.transcript_id = c.transcript_id AND u.idx BETWEEN c.first AND c.last"
            "  AND c.start < u.end AND c.end > u.content_start"
            " WHERE coalesce(u.speaker, '') NOT IN (SELECT value FROM json_each(?))"
            " GROUP BY u.transcript_id, cd.name",
            [json.dumps(interviewer_names)],
        ):
            progress.setdefault(r["transcript_id"], {})[r["coder"]] = r["coded"]
        finished: dict[int, list[str]] = {}
        for tid, coder in self.db.execute(
                "SELECT p.transcript_id, cd.name FROM progress p JOIN coders cd ON cd.id = p.coder_id"
                " WHERE p.finished_at IS NOT NULL ORDER BY cd.name"):
            finished.setdefault(tid, []).append(coder)
        for row in rows:
            tid = row["id"]
            row["attributes"] = attributes.get(tid, {})
            row["speakers"] = speakers.get(tid, {})
            row["codable_turns"] = row["turn_count"] - interviewer_turns.get(tid, 0)
            row["coded_turns"] = progress.get(tid, {})
            row["finished_by"] = finished.get(tid, [])
        return rows

    # --- coders and codings ------------------------------------------------------

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
        chosen = "" if transcript_ids is None else " AND transcript_id IN (SELECT value FROM json_each(?))"
        for tid, idx, speaker, start, end in self.db.execute(
            "SELECT transcript_id, idx, speaker, content_start, end FROM turns"
            f" WHERE end > content_start{chosen} ORDER BY transcript_id, idx",
            [] if transcript_ids is None else [json.dumps(transcript_ids)]
        ):
            if include_interviewers or not is_interviewer(speaker):
                turns.setdefault(tid, []).append((idx + 1, start, end))
        return turns

    def texts(self) -> dict[int, str]:
        return {r[0]: r[1] for r in self.db.execute("SELECT id, text FROM transcripts")}

    def label_spans(self, transcript_id: int) -> list[tuple[int, int]]:
        """(start, content start) of each turn: where its speaker label stands in the text."""
        return [tuple(r) for r in self.db.execute(
            "SELECT start, content_start FROM turns WHERE transcript_id = ? ORDER BY idx", [transcript_id])]

    def text_lookup(self) -> Mapping[int, str]:
        """Each transcript's text, read when asked for: for a pass over a large corpus that
        needs one text at a time (memory stays that of one transcript)."""
        return _Texts(self.db.conn)

    def transcript_names(self) -> dict[int, str]:
        return {r[0]: r[1] for r in self.db.execute("SELECT id, name FROM transcripts")}

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
        return self._one(
            "SELECT c.*, cd.name AS coder FROM codings c JOIN coders cd ON cd.id = c.coder_id WHERE c.id = ?",
            [coding_id],
        )

    def set_memo(self, coding_id: int, memo: str) -> None:
        with self._write() as db:
            changed = db.execute("UPDATE codings SET memo = ?, updated_at = ? WHERE id = ?",
                                 [memo, _now(), coding_id]).rowcount
        if not changed:
            raise BadInput(f"no coding {coding_id}")

    def transcript_codings(self, transcript_id: int, coder: str) -> list[dict]:
        """One coder's codings in one transcript, with the code's reference, key and colour."""
        return list(self.db.query(
            "SELECT c.id, c.code_id, c.start, c.end, c.memo, c.origin, k.codebook_id || '/' || k.code_id AS code,"
            " k.key, k.colour, k.label_nl FROM codings c JOIN codes k ON k.id = c.code_id"
            " JOIN coders cd ON cd.id = c.coder_id WHERE c.transcript_id = ? AND cd.name = ? ORDER BY c.start",
            [transcript_id, coder],
        ))

    def code_counts(self, coder: str, transcript_id: int | None = None) -> dict[int, int]:
        """{code row id: number of codings by this coder} (in one transcript, or all)."""
        return {r[0]: r[1] for r in self.db.execute(
            "SELECT c.code_id, count(*) FROM codings c JOIN coders cd ON cd.id = c.coder_id"
            " WHERE cd.name = ? AND (? IS NULL OR c.transcript_id = ?) GROUP BY c.code_id",
            [coder, transcript_id, transcript_id])}

    def data_version(self) -> int:
        """Changes when another connection commits: the cue to refresh a view."""
        return self.db.execute("PRAGMA data_version").fetchone()[0]

    def search_turns(self, query: str, limit: int = 200) -> list[dict]:
        """Turns whose words match every word of `query` (the last one as a prefix), in
        reading order (transcripts as imported, turns in order). The snippet marks the hits
        with \x02 ... \x03 (brackets occur in transcripts). A query word is split where the
        index's tokenizer splits it ('leraren/juf' is two words): the index keeps no
        positions, so a term is one word."""
        words = _SEARCH_WORD.findall(query)
        if not words:
            return []
        match = " ".join(f'"{w}"' for w in words) + "*"
        return list(self.db.query(
            "SELECT t.id AS transcript_id, t.name AS transcript, u.idx + 1 AS turn, u.speaker,"
            " snippet(turns_fts, 0, char(2), char(3), '…', 12) AS snippet"
            " FROM turns_fts JOIN turns u ON u.rowid = turns_fts.rowid JOIN transcripts t ON t.id = u.transcript_id"
            " WHERE turns_fts MATCH ? ORDER BY turns_fts.rowid LIMIT ?",
            [match, limit],
        ))

    def ordinary_words(self, names: list[str], compound_tail: int = 3) -> set[str]:
        """Of the project's words one edit away from a (folded) name, opening with one (a compound:
        sannemoeder) or following one in such a compound (moeder), those that stand in lower
        case somewhere: ordinary words, not names (folded, as the pseudonymiser compares them)."""
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        from jhs_qual.export.pseudonyms import fold

        names = [n for n in names if len(n) >= 4]
        if not names:
            return set()
        self.db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.turn_terms USING fts5vocab(main, turns_fts, 'row')")
        terms = [r[0] for r in self.db.execute("SELECT term FROM temp.turn_terms")]
        candidates = {term for name in names for term, _, _ in process.extract(
            name, terms, scorer=OSA.distance, score_cutoff=1, limit=None)}
        for term in terms:
            for name in names:
                if term.startswith(name) and len(term) - len(name) >= compound_tail:
                    candidates |= {term, term[len(name):]}
        word = re.compile(r"[^\W\d_][\w'’-]*")
        ordinary = set()
        for candidate in candidates:
            for (text,) in self.db.execute(
                    "SELECT substr(t.text, u.content_start + 1, u.end - u.content_start) FROM turns_fts"
                    " JOIN turns u ON u.rowid = turns_fts.rowid JOIN transcripts t ON t.id = u.transcript_id"
                    " WHERE turns_fts MATCH ? LIMIT 200", [f'"{candidate}"']):
                if any(m.group()[0].islower() and fold(m.group()) == candidate for m in word.finditer(text)):
                    ordinary.add(candidate)
                    break
        return ordinary

    def quotes(self, code_row_id: int, coder: str | None = None) -> list[dict]:
        """Every coded segment of one code, in transcript order, with its attribution."""
        rows = self.coding_rows(coder, [code_row_id])
        attributes = self.attributes_by_transcript()
        for row in rows:
            row["attributes"] = attributes.get(row["transcript_id"], {})
        return rows

    def consensus_coders(self) -> list[str]:
        """Coders that hold a consensus built from other coders' codings."""
        found = {r[0] for r in self.db.execute(
            "SELECT DISTINCT c.name FROM consensus_items i JOIN coders c ON c.id = i.consensus_coder_id")}
        return sorted(found | set(self.setting("consensus_coders", [])))

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

    # --- consensus ------------------------------------------------------------------

    def build_consensus(self, coder_a: str, coder_b: str, into: str, threshold: float = 0.8,
                        all_units: bool = False) -> dict[str, int]:
        """Copy agreed codings of A and B to the consensus coder and record what is
        left to settle, of what both reached (see ProgressStore; `all_units`: of everything).
        Additive: run again after more coding, decisions are kept."""
        from jhs_qual.analysis.consensus import clusters, decided_spans

        if into in (coder_a, coder_b):
            raise BadInput(f"the consensus coder must not be {into}, one of the two compared",
                           field="--into", hint="e.g. --into consensus")
        self.require_coders([coder_a, coder_b])
        self._require_consensus_coder(into, coder_a, coder_b)
        codings = self.codings([coder_a, coder_b])
        if not all_units:  # a span one of them never read is not a disagreement yet
            from jhs_qual.analysis.compare import is_reached

            reached = self.reached_by([coder_a, coder_b])
            codings = [c for c in codings if is_reached(reached, c.transcript_id, c.end)]
        found = clusters(codings, coder_a, coder_b, threshold)
        code_ids = {f"{r['codebook_id']}/{r['code_id']}": r["id"] for r in self.codes()}
        summary = {"agreed": 0, "added": 0, "new_items": 0, "open": 0, "settled": 0}
        with self._write() as db:
            ids = {name: self._coder_id(name) for name in (coder_a, coder_b, into)}
            known = self.setting("consensus_coders", [])
            if into not in known:  # even a consensus with nothing to settle is one
                self._set_setting("consensus_coders", sorted(known + [into]))
            for cluster in found:
                code_id = code_ids[cluster.code]
                if cluster.agreed is not None:
                    summary["agreed"] += 1
                    summary["added"] += self._insert_coding(cluster.transcript_id, code_id, ids[into],
                                                            cluster.agreed.start, cluster.agreed.end,
                                                            cluster.agreed.memo)
                    continue
                row = db.execute(
                    "SELECT decision FROM consensus_items WHERE consensus_coder_id = ? AND signature = ?",
                    [ids[into], cluster.signature],
                ).fetchone()
                if row is None:
                    summary["new_items"] += 1
                    db.execute(
                        "INSERT INTO consensus_items(consensus_coder_id, coder_a_id, coder_b_id, transcript_id,"
                        " code_id, a_spans, b_spans, signature, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [ids[into], ids[coder_a], ids[coder_b], cluster.transcript_id, code_id,
                         json.dumps([[s.start, s.end, s.memo] for s in cluster.a], ensure_ascii=False),
                         json.dumps([[s.start, s.end, s.memo] for s in cluster.b], ensure_ascii=False),
                         cluster.signature, _now()],
                    )
                elif row[0] is not None:
                    # Settled earlier: make sure its codings are there.
                    for span in decided_spans(row[0], cluster.a, cluster.b):
                        summary["added"] += self._insert_coding(cluster.transcript_id, code_id, ids[into],
                                                                span.start, span.end, span.memo)
            counts = db.execute(
                "SELECT count(*) - count(decision), count(decision) FROM consensus_items"
                " WHERE consensus_coder_id = ?", [ids[into]],
            ).fetchone()
        summary["open"], summary["settled"] = counts
        return summary

    def _require_consensus_coder(self, into: str, coder_a: str, coder_b: str) -> None:
        """A consensus is written only into a coder of its own: a new name, or the consensus
        started for these two coders. Never into a person's codings (they are theirs), nor
        into another pair's consensus."""
        exists = self.db.execute("SELECT 1 FROM coders WHERE name = ?", [into]).fetchone() is not None
        if exists and into not in self.setting("consensus_coders", []):
            raise BadInput(f"'{into}' is a coder with codings of their own; a consensus goes into a coder of its own",
                           field="--into", hint=f"name a new one, e.g. --into consensus_{coder_a}_{coder_b}")
        pairs = {(r[0], r[1]) for r in self.db.execute(
            "SELECT a.name, b.name FROM consensus_items i JOIN coders a ON a.id = i.coder_a_id"
            " JOIN coders b ON b.id = i.coder_b_id JOIN coders c ON c.id = i.consensus_coder_id WHERE c.name = ?",
            [into])}
        other = pairs - {(coder_a, coder_b), (coder_b, coder_a)}
        if other:
            a, b = sorted(other)[0]
            raise BadInput(f"the consensus '{into}' was started for {a} and {b}, not {coder_a} and {coder_b}",
                           field="--into", hint=f"name a new one, e.g. --into consensus_{coder_a}_{coder_b}")

    def consensus_items(self, into: str, *, include_settled: bool = False) -> list[dict]:
        sql = (
            "SELECT i.id, i.transcript_id, t.name AS transcript, k.codebook_id || '/' || k.code_id AS code,"
            " a.name AS coder_a, b.name AS coder_b, i.a_spans, i.b_spans, i.decision, i.decided_at"
            " FROM consensus_items i JOIN coders c ON c.id = i.consensus_coder_id"
            " JOIN coders a ON a.id = i.coder_a_id JOIN coders b ON b.id = i.coder_b_id"
            " JOIN transcripts t ON t.id = i.transcript_id JOIN codes k ON k.id = i.code_id"
            " WHERE c.name = ?"
        )
        if not include_settled:
            sql += " AND i.decision IS NULL"
        rows = list(self.db.query(sql + " ORDER BY t.name, i.id", [into]))
        for row in rows:
            row["a_spans"] = json.loads(row["a_spans"])
            row["b_spans"] = json.loads(row["b_spans"])
        return rows

    def settle(self, item_id: int, decision: str) -> list[tuple[int, int]]:
        """Apply a decision to an item (again, if it was settled before: the codings
        of the old decision are replaced). Returns the consensus spans it stands for."""
        from jhs_qual.analysis.consensus import DECISIONS, Span, decided_spans

        if decision not in DECISIONS:
            raise BadInput(f"'{decision}' is not a decision", field="--take", hint="take a, b, both or neither")
        row = self._one("SELECT * FROM consensus_items WHERE id = ?", [item_id])
        if row is None:
            raise BadInput(f"no consensus item {item_id}", field="--settle",
                           hint="list them with 'jhs-qual consensus --into NAME --list'")
        a = [Span(*s) for s in json.loads(row["a_spans"])]
        b = [Span(*s) for s in json.loads(row["b_spans"])]
        with self._write() as db:
            if row["decision"] is not None:
                for span in decided_spans(row["decision"], a, b):
                    db.execute(
                        "DELETE FROM codings WHERE transcript_id = ? AND code_id = ? AND coder_id = ?"
                        " AND start = ? AND end = ?",
                        [row["transcript_id"], row["code_id"], row["consensus_coder_id"], span.start, span.end],
                    )
            chosen = decided_spans(decision, a, b)
            for span in chosen:
                self._insert_coding(row["transcript_id"], row["code_id"], row["consensus_coder_id"],
                                    span.start, span.end, span.memo)
            db.execute("UPDATE consensus_items SET decision = ?, decided_at = ? WHERE id = ?",
                       [decision, _now(), item_id])
        return [(s.start, s.end) for s in chosen]

    def unsettle(self, item_id: int) -> None:
        """Take an item's decision back: its consensus codings go, it is open again."""
        from jhs_qual.analysis.consensus import Span, decided_spans

        row = self._one("SELECT * FROM consensus_items WHERE id = ?", [item_id])
        if row is None or row["decision"] is None:
            return
        a = [Span(*s) for s in json.loads(row["a_spans"])]
        b = [Span(*s) for s in json.loads(row["b_spans"])]
        with self._write() as db:
            for span in decided_spans(row["decision"], a, b):
                db.execute("DELETE FROM codings WHERE transcript_id = ? AND code_id = ? AND coder_id = ?"
                           " AND start = ? AND end = ?",
                           [row["transcript_id"], row["code_id"], row["consensus_coder_id"], span.start, span.end])
            db.execute("UPDATE consensus_items SET decision = NULL, decided_at = NULL WHERE id = ?", [item_id])

    def _insert_coding(self, transcript_id: int, code_id: int, coder_id: int, start: int, end: int,
                       memo: str, origin: str = "manual") -> int:
        """Inside a write: add a coding unless the same one exists. Returns 1 if added."""
        return self._insert_codings([(transcript_id, code_id, coder_id, start, end, memo)], origin)

    def _insert_codings(self, rows: list[tuple], origin: str = "manual") -> int:
        """Inside a write: add codings (transcript, code row, coder row, start, end, memo; and their
        own origin, created and updated time, when they carry them) unless the same exist. Returns
        how many were added."""
        now = _now()
        return self.db.conn.executemany(
            "INSERT OR IGNORE INTO codings(transcript_id, code_id, coder_id, start, end, memo, origin,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [row if len(row) == 9 else (*row, origin, now, now) for row in rows],
        ).rowcount

    def attributes_by_transcript(self) -> dict[int, dict[str, str]]:
        result: dict[int, dict[str, str]] = {}
        for r in self.db.query("SELECT transcript_id, key, value FROM transcript_attributes"):
            result.setdefault(r["transcript_id"], {})[r["key"]] = r["value"]
        return result

    def _one(self, sql: str, params: list) -> dict | None:
        return next(iter(self.db.query(sql, params)), None)


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
