"""The project file: opening, creating, and every write.

`Project` is the one class that writes. Each public write method is one
logical change in one `BEGIN IMMEDIATE` transaction: it either happens whole
or leaves the file exactly as it was. (Not sqlite-utils' `atomic()`, which
begins a deferred transaction: two coders writing to one file in WAL mode
would then get SQLITE_BUSY on the read-to-write upgrade instead of waiting
for the busy timeout.)
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from jhs_qual.errors import BadInput, Failure
from jhs_qual.files import PROJECT, hold
from jhs_qual.ingest.attributes import DEFAULT_KEYS, check_new_key
from jhs_qual.store.codebooks import CodebookStore
from jhs_qual.store.codings import CodingStore
from jhs_qual.store.consensus import ConsensusStore
from jhs_qual.store.exchange import ExchangeStore
from jhs_qual.store.media import MediaStore
from jhs_qual.store.notes import NotesStore
from jhs_qual.store.progress import LearningRecord, ProgressStore
from jhs_qual.store.search import SearchStore
from jhs_qual.store.survey import SurveyStore
from jhs_qual.store.transcripts import TranscriptStore
from jhs_qual.store.trash import TrashStore
from jhs_qual.store.vectors import VectorStore
from jhs_qual.store import schema
from jhs_qual.store.schema import APPLICATION_ID, MIGRATION_NAMES

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
            applied = schema.applied(conn)
        except sqlite3.DatabaseError as error:  # header only, truncated, page 1 damaged
            raise BadInput(f"the project file is damaged ({error})", file=path, hint=_DAMAGED) from None
        if app_id != APPLICATION_ID:
            raise BadInput("not a jhs-qual project (an SQLite file of another program)", file=path)
        if applied is None:
            raise BadInput("the project file is damaged (it has no schema)", file=path, hint=_DAMAGED)
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


class Database:
    """The project's connection, as the store modules use it: `execute` (a cursor), `query`
    (rows as dicts), `conn`. The same calls as sqlite-utils' Database, which is loaded only to
    migrate a file (`schema.apply`); no implicit transactions (`_write` opens them)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, parameters=()) -> sqlite3.Cursor:
        return self.conn.execute(sql, parameters)

    def query(self, sql: str, parameters=()) -> Iterator[dict]:
        cursor = self.conn.execute(sql, parameters)
        names = [column[0] for column in cursor.description]
        return (dict(zip(names, row)) for row in cursor)

    def close(self) -> None:
        self.conn.close()


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
    conn.execute("PRAGMA recursive_triggers = ON")  # as sqlite-utils set it, which opened the files before
    return Database(conn)


def _read_only(path: Path) -> bool:
    return not (os.access(path, os.W_OK) and os.access(Path(path).parent, os.W_OK))


class Project(TranscriptStore, CodingStore, SearchStore, ConsensusStore, CodebookStore, NotesStore, MediaStore,
              VectorStore, ProgressStore, TrashStore, LearningRecord, ExchangeStore, SurveyStore):
    def __init__(self, db: Database, path: Path):
        self.db = db
        self.path = path
        self._words_pending: list[tuple[int, str]] | None = None  # the full-text rows of a batch (`_batch`)
        self._savepoints = 0  # open inside the transaction (`_write` within `_write`)
        self._bulk_pairs: set[tuple[int, int]] | None = None  # (transcript, coder) of codings added in bulk

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
            schema.apply(db.conn)
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
                if schema.pending(db.conn):
                    raise BadInput("the project needs an upgrade of its schema, and it cannot be written here",
                                   file=path, hint="open it once where you may write it")
                return cls(db, path)
            db.execute("PRAGMA journal_mode = WAL")
            if schema.pending(db.conn):
                schema.apply(db.conn)
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
        """One transaction; inside another (a batch of imports), a savepoint that an error
        undoes alone."""
        conn = self.db.conn
        if conn.in_transaction:
            conn.execute("SAVEPOINT nested")
            pending = len(self._words_pending or ())
            self._savepoints += 1
            try:
                yield self.db
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK TO nested")
                    conn.execute("RELEASE nested")
                if self._words_pending is not None:
                    del self._words_pending[pending:]
                raise
            finally:
                self._savepoints -= 1
            conn.execute("RELEASE nested")
            return
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

    @contextmanager
    def _batch(self) -> Iterator[Database]:
        """One transaction that adds many transcripts (an import's files, each in a savepoint of
        `_write`), whose words enter the full-text index together at its end: FTS5 writes what it
        holds at every savepoint, and a segment per file costs twice the time of one per batch.
        Nothing in it takes words out of the index."""
        with self._write() as db:
            self._words_pending = []
            try:
                yield db
                self._index_pending()
            finally:
                self._words_pending = None

    def _index_pending(self) -> None:
        """Inside a batch, outside any savepoint (one that rolled back would take words of the
        files before it along): the words held so far into the full-text index."""
        self.db.conn.executemany("INSERT INTO turns_fts(rowid, words) VALUES (?, ?)", self._words_pending)
        self._words_pending.clear()

    def _rollback(self) -> None:
        # SQLite may already have rolled back (a full disk, an I/O error).
        if self.db.conn.in_transaction:
            self.db.conn.execute("ROLLBACK")

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
            self._coded_stale()


    def interviewer_test(self, labels: list[str] | None = None):
        """(speaker, transcript id) -> is it an interviewer: a label of the project's list ('Interviewer
        2' too), or in that transcript the speaker its `interviewer` attribute names ("Max Bigman").
        Labels and attributes are read once, for loops over turns."""
        wanted = {label.casefold() for label in (self.interviewers() if labels is None else labels)}
        named = {tid: " ".join(value.split()).casefold() for tid, value in self.db.execute(
            "SELECT transcript_id, value FROM transcript_attributes WHERE key = 'interviewer'")}

        @functools.lru_cache(maxsize=4096)  # a project has a few dozen labels, met at every turn
        def labelled(speaker: str) -> tuple[bool, str]:
            folded = speaker.casefold()
            return folded in wanted or re.sub(r"[ ]?\d{1,2}$", "", folded) in wanted, folded

        def test(speaker: str | None, transcript_id: int | None = None) -> bool:
            if not speaker:
                return False
            listed, folded = labelled(speaker)
            return listed or named.get(transcript_id) == folded

        return test

    def pseudonyms(self):
        from jhs_qual.export.pseudonyms import Pseudonym

        return [Pseudonym(p["name"], p["replacement"], tuple(p.get("variants", ())))
                for p in self.setting("pseudonyms", [])]

    def add_pseudonyms(self, pseudonyms) -> list[str]:
        """Add names to the list, merging with what is there: variants are kept and added to,
        a new replacement replaces the old one. Returns every change, for people."""
        from jhs_qual.export.pseudonyms import Pseudonym, check_list, name_key

        current = {name_key(p["name"]): p for p in self.setting("pseudonyms", [])}
        changes = []
        for p in pseudonyms:
            if not name_key(p.name) or not name_key(p.replacement):
                raise BadInput("a pseudonym needs a name and a replacement", field="NAME")
            name, replacement = p.name.strip(), p.replacement.strip()
            old = current.get(name_key(name))
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
            current[name_key(name)] = {"name": old["name"] if old else name, "replacement": replacement,
                                   "variants": variants}
        check_list([Pseudonym(e["name"], e["replacement"], tuple(e["variants"])) for e in current.values()])
        with self._write():
            self._set_setting("pseudonyms", sorted(current.values(), key=lambda e: e["name"].lower()))
        return changes

    def remove_pseudonyms(self, names: list[str]) -> list[str]:
        """Take names off the list (with their variants). Returns the names removed."""
        from jhs_qual.export.pseudonyms import name_key

        current = {name_key(p["name"]): p for p in self.setting("pseudonyms", [])}
        missing = [n for n in names if name_key(n) not in current]
        if missing:
            raise BadInput(f"not on the pseudonym list: {', '.join(missing)}", field="NAME",
                           hint="see them with 'jhs-qual pseudonyms list'")
        removed = [current.pop(name_key(n))["name"] for n in names]
        with self._write():
            self._set_setting("pseudonyms", sorted(current.values(), key=lambda e: e["name"].lower()))
        return removed

    def data_version(self) -> int:
        """Changes when another connection commits: the cue to refresh a view."""
        return self.db.execute("PRAGMA data_version").fetchone()[0]

    def _one(self, sql: str, params: list) -> dict | None:
        return next(iter(self.db.query(sql, params)), None)
