"""The project file's schema, as numbered migrations applied on open.

Add a change as a new function `m00N_...` at the end; never edit one that has
shipped. A file that has a migration this code does not know was written by a
newer jhs-qual and is refused (see `Project.open`).
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

MIGRATION_SET = "jhs_qual"
# PRAGMA application_id: 'JHSQ', so that any other SQLite file is recognised as foreign.
APPLICATION_ID = 0x4A485351

MIGRATION_NAMES: list[str] = []
_MIGRATIONS: list[tuple[str, Callable]] = []


def _migration(name: str):
    def register(function: Callable) -> Callable:
        MIGRATION_NAMES.append(name)
        _MIGRATIONS.append((name, function))
        return function

    return register


def applied(conn: sqlite3.Connection) -> list[str] | None:
    """The migrations the file records as applied, in order; None when it has no record at all."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = '_sqlite_migrations'").fetchone():
        return None
    return [r[0] for r in conn.execute(
        "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid", [MIGRATION_SET])]


def pending(conn: sqlite3.Connection) -> list[str]:
    """The migrations this code knows that the file has not had (read only)."""
    done = set(applied(conn) or ())
    return [name for name in MIGRATION_NAMES if name not in done]


def apply(conn: sqlite3.Connection) -> None:
    """Apply the pending migrations, each in a transaction with its record, by sqlite-utils'
    Migrations. sqlite-utils is imported here only, when a file needs them: its import costs
    a tenth of the workbench's start, and opening an up-to-date project needs nothing of it."""
    # sqlite-utils imports pandas and numpy whenever they are installed (0.1 to 0.4 s), only to
    # make columns for their values in insert_all(), which jhs-qual does not use (it writes with
    # SQL): they are kept from it while it loads. Loaded already (a test, a benchmark), they stay.
    hidden = [name for name in ("pandas", "numpy") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # import NAME -> ImportError
    try:
        from sqlite_utils import Database
        from sqlite_utils.migrations import Migrations
    finally:
        for name in hidden:
            del sys.modules[name]
    migrations = Migrations(MIGRATION_SET)
    for name, function in _MIGRATIONS:
        migrations(name=name)(function)
    # the connection's own settings (recursive triggers) are made already; no plugins run on it
    migrations.apply(Database(conn, recursive_triggers=False, execute_plugins=False))


def _run(db: Database, statements: str) -> None:
    # executescript() would COMMIT the migration's transaction half-way, so
    # statements run one by one; sqlite3.complete_statement finds their ends
    # (a trigger body holds semicolons of its own).
    buffer = ""
    for line in statements.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            db.execute(buffer)
            buffer = ""
    if buffer.strip():
        db.execute(buffer)


@_migration("m001_initial")
def m001_initial(db: Database) -> None:
    _run(
        db,
        """
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL  -- JSON
);
CREATE TABLE transcripts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    text TEXT NOT NULL,  -- immutable; every offset points into it (code points)
    sha256 TEXT NOT NULL UNIQUE,  -- of the text (UTF-8)
    source_sha256 TEXT NOT NULL,  -- of the file's bytes
    source_name TEXT NOT NULL,
    format TEXT NOT NULL,
    imported_at TEXT NOT NULL
);
CREATE INDEX transcripts_source_sha256 ON transcripts(source_sha256);
CREATE TABLE transcript_attributes (
    transcript_id INTEGER NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (transcript_id, key)
);
CREATE INDEX transcript_attributes_key ON transcript_attributes(key, value);
CREATE TABLE turns (
    transcript_id INTEGER NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,  -- 0-based; users see idx + 1
    speaker TEXT,
    start INTEGER NOT NULL,
    content_start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    ts_start REAL,
    ts_end REAL,
    PRIMARY KEY (transcript_id, idx)
);
CREATE INDEX turns_start ON turns(transcript_id, start);
CREATE TABLE codebooks (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    language TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    source_name TEXT NOT NULL,
    yaml_sha256 TEXT NOT NULL,
    yaml TEXT NOT NULL,
    loaded_at TEXT NOT NULL
);
CREATE TABLE codes (
    id INTEGER PRIMARY KEY,
    codebook_id TEXT NOT NULL REFERENCES codebooks(id),
    code_id TEXT NOT NULL,
    parent TEXT,
    position INTEGER NOT NULL,
    label_nl TEXT NOT NULL,
    label_en TEXT NOT NULL,
    definition TEXT NOT NULL DEFAULT '',
    use_when TEXT NOT NULL DEFAULT '',
    do_not_use_when TEXT NOT NULL DEFAULT '',
    keywords TEXT NOT NULL DEFAULT '[]',  -- JSON lists
    phrases TEXT NOT NULL DEFAULT '[]',
    exclude TEXT NOT NULL DEFAULT '[]',
    example TEXT NOT NULL DEFAULT '',
    colour TEXT NOT NULL,
    key TEXT NOT NULL DEFAULT '',
    UNIQUE (codebook_id, code_id)
);
CREATE TABLE coders (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE TABLE codings (
    id INTEGER PRIMARY KEY,
    transcript_id INTEGER NOT NULL REFERENCES transcripts(id),
    code_id INTEGER NOT NULL REFERENCES codes(id),
    coder_id INTEGER NOT NULL REFERENCES coders(id),
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    memo TEXT NOT NULL DEFAULT '',
    origin TEXT NOT NULL DEFAULT 'manual' CHECK (origin IN ('manual', 'suggested', 'auto')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (start >= 0 AND end > start),
    UNIQUE (transcript_id, code_id, coder_id, start, end)
);
CREATE INDEX codings_transcript ON codings(transcript_id, start);
CREATE INDEX codings_code_coder ON codings(code_id, coder_id);
CREATE INDEX codings_coder ON codings(coder_id, transcript_id);
CREATE TABLE memos (
    id INTEGER PRIMARY KEY,
    coder_id INTEGER NOT NULL REFERENCES coders(id),
    transcript_id INTEGER REFERENCES transcripts(id),
    code_id INTEGER REFERENCES codes(id),
    title TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
""",
    )



@_migration("m002_consensus")
def m002_consensus(db: Database) -> None:
    _run(
        db,
        """
CREATE TABLE consensus_items (
    id INTEGER PRIMARY KEY,
    consensus_coder_id INTEGER NOT NULL REFERENCES coders(id),
    coder_a_id INTEGER NOT NULL REFERENCES coders(id),
    coder_b_id INTEGER NOT NULL REFERENCES coders(id),
    transcript_id INTEGER NOT NULL REFERENCES transcripts(id),
    code_id INTEGER NOT NULL REFERENCES codes(id),
    a_spans TEXT NOT NULL,  -- JSON [[start, end, memo], ...]
    b_spans TEXT NOT NULL,
    signature TEXT NOT NULL,
    decision TEXT CHECK (decision IN ('a', 'b', 'both', 'neither')),
    decided_at TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (consensus_coder_id, signature)
);
CREATE INDEX consensus_items_open ON consensus_items(consensus_coder_id, decision);
""",
    )


@_migration("m003_turn_search")
def m003_turn_search(db: Database) -> None:
    """Full-text search over the words of every turn (FTS5; 'een' also finds 'één')."""
    _run(
        db,
        """
CREATE VIRTUAL TABLE turns_fts USING fts5(words, tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER turns_fts_insert AFTER INSERT ON turns BEGIN
    INSERT INTO turns_fts(rowid, words) VALUES (
        new.rowid,
        (SELECT substr(text, new.content_start + 1, new.end - new.content_start)
         FROM transcripts WHERE id = new.transcript_id)
    );
END;
CREATE TRIGGER turns_fts_delete AFTER DELETE ON turns BEGIN
    DELETE FROM turns_fts WHERE rowid = old.rowid;
END;
INSERT INTO turns_fts(rowid, words)
    SELECT u.rowid, substr(t.text, u.content_start + 1, u.end - u.content_start)
    FROM turns u JOIN transcripts t ON t.id = u.transcript_id;
""",
    )


@_migration("m004_learned_keywords")
def m004_learned_keywords(db: Database) -> None:
    """Keyword candidates learned from a coder's codings, accepted for scoring."""
    _run(
        db,
        """
CREATE TABLE learned_keywords (
    code_id INTEGER NOT NULL REFERENCES codes(id),
    term TEXT NOT NULL,
    z REAL NOT NULL,  -- weighted log-odds z-score when it was learned
    coder TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (code_id, term)
);
""",
    )


@_migration("m005_coding_loop")
def m005_coding_loop(db: Database) -> None:
    """Codebook scopes, remembered rejections of suggestions, memos on a turn."""
    _run(
        db,
        """
ALTER TABLE codebooks ADD COLUMN applies_to TEXT NOT NULL DEFAULT '{}';  -- JSON, from the YAML
ALTER TABLE codebooks ADD COLUMN scope TEXT;  -- JSON set in the project; NULL: applies_to holds
CREATE TABLE rejections (
    id INTEGER PRIMARY KEY,
    coder_id INTEGER NOT NULL REFERENCES coders(id),
    transcript_id INTEGER NOT NULL REFERENCES transcripts(id),
    code_id INTEGER NOT NULL REFERENCES codes(id),
    start INTEGER NOT NULL,  -- the unit the suggestion was for
    end INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (coder_id, transcript_id, code_id, start, end)
);
CREATE INDEX rejections_transcript ON rejections(transcript_id, start);
ALTER TABLE memos ADD COLUMN start INTEGER;  -- a memo on a turn: its span; NULL on a transcript or code
ALTER TABLE memos ADD COLUMN end INTEGER;
""",
    )


@_migration("m006_embeddings")
def m006_embeddings(db: Database) -> None:
    """The semantic layer's vectors, cached by the hash of the encoder's id and the text."""
    _run(
        db,
        """
CREATE TABLE embeddings (
    key TEXT PRIMARY KEY,  -- sha256 of encoder id + NUL + text
    vector BLOB NOT NULL  -- float16, unit length
) WITHOUT ROWID;
""",
    )


@_migration("m007_turn_search_external")
def m007_turn_search_external(db: Database) -> None:
    """Full-text search without a second copy of the text and without a trigger that read
    the whole transcript for every turn inserted (import was quadratic in a transcript's
    size): an external-content FTS5 index over a view of the turns' words, filled by
    `Project._put_transcript` from the text it holds, emptied by `remove_transcript`."""
    _run(
        db,
        """
DROP TRIGGER IF EXISTS turns_fts_insert;
DROP TRIGGER IF EXISTS turns_fts_delete;
DROP TABLE IF EXISTS turns_fts;
CREATE VIEW turn_words AS
    SELECT u.rowid AS turn_rowid, substr(t.text, u.content_start + 1, u.end - u.content_start) AS words
    FROM turns u JOIN transcripts t ON t.id = u.transcript_id;
CREATE VIRTUAL TABLE turns_fts USING fts5(
    words, content = 'turn_words', content_rowid = 'turn_rowid', tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO turns_fts(turns_fts) VALUES ('rebuild');
""",
    )


@_migration("m008_transcript_versions")
def m008_transcript_versions(db: Database) -> None:
    """The text a transcript had before a corrected version replaced it, with what could
    not be carried over (`import --replace`): nothing is lost for good."""
    _run(
        db,
        """
CREATE TABLE transcript_versions (
    id INTEGER PRIMARY KEY,
    transcript_id INTEGER NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    turns TEXT NOT NULL,  -- JSON [[idx, speaker, start, content_start, end, ts_start, ts_end], ...]
    source_name TEXT NOT NULL,
    lost TEXT NOT NULL DEFAULT '[]',  -- JSON: the codings and memos whose words are gone
    replaced_at TEXT NOT NULL
);
""",
    )



@_migration("m009_codable")
def m009_codable(db: Database) -> None:
    """Codes that are folders (REFI's isCodable="false"): they hold codes and are never applied."""
    _run(db, "ALTER TABLE codes ADD COLUMN codable INTEGER NOT NULL DEFAULT 1;")


@_migration("m010_turn_search_slim")
def m010_turn_search_slim(db: Database) -> None:
    """The full-text index without positions or column sizes (detail=none, columnsize=0):
    a third of its size (the project file was 2.5 times its text). Hits come in reading
    order, each query word its own term; snippets are made from the text as before."""
    _run(
        db,
        """
DROP TABLE IF EXISTS turns_fts;
CREATE VIRTUAL TABLE turns_fts USING fts5(
    words, content = 'turn_words', content_rowid = 'turn_rowid', tokenize = 'unicode61 remove_diacritics 2',
    detail = none, columnsize = 0);
INSERT INTO turns_fts(turns_fts) VALUES ('rebuild');
""",
    )


@_migration("m011_media")
def m011_media(db: Database) -> None:
    """A transcript's recording: where it is, and its size, modification time and hash to
    notice a moved or changed file. The media itself never enters the project."""
    _run(
        db,
        """
CREATE TABLE media (
    transcript_id INTEGER PRIMARY KEY REFERENCES transcripts(id) ON DELETE CASCADE,
    path TEXT NOT NULL,  -- absolute
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    linked_at TEXT NOT NULL
);
""",
    )


@_migration("m012_progress")
def m012_progress(db: Database) -> None:
    """How far each coder has read each transcript: the end of the furthest turn they moved
    past in the workbench (codings count by themselves), and whether they marked it finished.
    Comparing coders counts only what every one of them reached."""
    _run(
        db,
        """
CREATE TABLE progress (
    coder_id INTEGER NOT NULL REFERENCES coders(id) ON DELETE CASCADE,
    transcript_id INTEGER NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
    reached INTEGER NOT NULL DEFAULT 0,  -- a character offset: every unit ending at or before it was read
    finished_at TEXT,  -- marked finished: the whole transcript counts as read
    PRIMARY KEY (coder_id, transcript_id)
) WITHOUT ROWID;
""",
    )


@_migration("m013_trash")
def m013_trash(db: Database) -> None:
    """Removed transcripts kept aside, with everything that was theirs (as JSON rows), until
    `transcripts purge`: a removal is never final by one key, and undo or `transcripts
    restore` brings it back whole."""
    _run(
        db,
        """
CREATE TABLE trash (
    id INTEGER PRIMARY KEY,
    transcript_id INTEGER NOT NULL,  -- the id it had
    name TEXT NOT NULL,
    codings INTEGER NOT NULL,
    rows TEXT NOT NULL,  -- JSON: {table: [row, ...]}, the transcript's row under "transcripts"
    removed_at TEXT NOT NULL
);
""",
    )


@_migration("m014_survey")
def m014_survey(db: Database) -> None:
    """Questionnaires beside the interviews: the scale files (YAML kept whole, as codebooks are),
    respondents per wave with their attributes and their answers (JSON {item: value}, null where
    not answered; a missing code such as 6, 'weet niet', kept as it was given)."""
    _run(
        db,
        """
CREATE TABLE scale_files (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    yaml TEXT NOT NULL,
    yaml_sha256 TEXT NOT NULL,
    loaded_at TEXT NOT NULL
);
CREATE TABLE respondents (
    id INTEGER PRIMARY KEY,
    wave TEXT NOT NULL DEFAULT '',
    key TEXT NOT NULL,  -- the questionnaire's id column
    attributes TEXT NOT NULL DEFAULT '{}',  -- JSON {name: value}: school, school_type, role ...
    answers TEXT NOT NULL DEFAULT '{}',  -- JSON {item: value or null}
    imported_at TEXT NOT NULL,
    UNIQUE (wave, key)
);
""",
    )


@_migration("m015_listing")
def m015_listing(db: Database) -> None:
    """What the transcript list shows, kept so that listing 5,000 transcripts reads one small row
    each instead of every turn and coding: per transcript its turn count, length, heading turns
    and speakers, its format, source and import time (written with its turns,
    store/transcripts.py), and per transcript and coder
    the turns their codings cover (coded_turns), worked out again only where a coding changed
    since (coded_stale, marked by the triggers) or the interviewers did."""
    _run(
        db,
        """
CREATE TABLE transcript_stats (
    transcript_id INTEGER PRIMARY KEY REFERENCES transcripts(id) ON DELETE CASCADE,
    turn_count INTEGER NOT NULL,
    characters INTEGER NOT NULL,
    heading INTEGER NOT NULL,  -- turns without a speaker before the first with one
    speakers TEXT NOT NULL,  -- JSON [[label, turns], ...] in order of first turn
    -- copied from transcripts, where they come after the text: reading them there walks the text's pages
    format TEXT NOT NULL,
    source_name TEXT NOT NULL,
    imported_at TEXT NOT NULL
);
CREATE TABLE coded_turns (
    transcript_id INTEGER NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
    coder_id INTEGER NOT NULL REFERENCES coders(id) ON DELETE CASCADE,
    coded INTEGER NOT NULL,  -- answers (not the interviewer's, not a heading) a coding of the coder covers
    PRIMARY KEY (transcript_id, coder_id)
) WITHOUT ROWID;
CREATE TABLE coded_stale (
    transcript_id INTEGER NOT NULL,
    coder_id INTEGER NOT NULL,
    PRIMARY KEY (transcript_id, coder_id)
) WITHOUT ROWID;
CREATE TRIGGER codings_stale_insert AFTER INSERT ON codings BEGIN
    INSERT OR IGNORE INTO coded_stale VALUES (new.transcript_id, new.coder_id);
END;
CREATE TRIGGER codings_stale_delete AFTER DELETE ON codings BEGIN
    INSERT OR IGNORE INTO coded_stale VALUES (old.transcript_id, old.coder_id);
END;
CREATE TRIGGER codings_stale_update AFTER UPDATE OF transcript_id, coder_id, start, end ON codings BEGIN
    INSERT OR IGNORE INTO coded_stale VALUES (old.transcript_id, old.coder_id);
    INSERT OR IGNORE INTO coded_stale VALUES (new.transcript_id, new.coder_id);
END;
INSERT INTO coded_stale SELECT DISTINCT transcript_id, coder_id FROM codings;
""",
    )
    from jhs_qual.store.transcripts import turn_stats

    for tid, characters, *source in db.execute(
            "SELECT id, length(text), format, source_name, imported_at FROM transcripts").fetchall():
        speakers = [r[0] for r in db.execute("SELECT speaker FROM turns WHERE transcript_id = ? ORDER BY idx", [tid])]
        db.execute("INSERT INTO transcript_stats VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   [tid, *turn_stats(characters, speakers), *source])


@_migration("m016_no_turns_start")
def m016_no_turns_start(db: Database) -> None:
    """Without the index of turns by (transcript, start): nothing looks a turn up by where it
    starts across the project (a transcript's turns are read by number, a few hundred at a time,
    and sorted in memory where they must be), and it cost a quarter of storing each turn."""
    _run(db, "DROP INDEX IF EXISTS turns_start;")
