"""What an exchange with other tools reads and writes (a mixin of `Project`): `refi` turns a
REFI-QDA file into the plain data below, or the rows read here into one; the store alone
touches the database, and writes an import in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from jhs_qual.domain import Codebook


class ImportedCoding(NamedTuple):  # a tuple: a project brings 100,000s, some from a worker process
    code_key: tuple[str, str]  # (codebook, code id)
    coder: str
    start: int  # offsets into the stored text
    end: int
    memo: str
    origin: str
    created_at: str
    updated_at: str


@dataclass
class ImportedTranscript:
    key: str  # the source's GUID in the file: what its memos name
    name: str
    sha256: str
    text: str
    attributes: dict[str, str]
    codings: list[ImportedCoding]
    existing: bool  # the project holds this text already: only its codings come
    turns: list[tuple] | None = None  # Turn.row() of its turns, when found already (else found here)


@dataclass
class ImportedMemo:
    coder: str
    title: str
    text: str
    transcript_key: str | None  # the source it hangs on, by its key
    code_key: tuple[str, str] | None
    span: tuple[int, int] | None  # on the transcript's words (a turn memo, an annotation)
    created_at: str
    updated_at: str


@dataclass
class ExchangeResult:
    codings: int = 0
    repeated: int = 0  # codings that repeat another of the file (the same code, words and coder)
    memos: int = 0
    coders: list[str] = field(default_factory=list)  # made by this import
    attribute_keys: list[str] = field(default_factory=list)  # added by this import


class ExchangeStore:
    # --- export: what a project file holds, read for writing it out -------------------------

    def transcript_list(self) -> list[dict]:
        """Every transcript's id, name and text checksum, by name."""
        return [dict(zip(("id", "name", "sha256"), r))
                for r in self.db.execute("SELECT id, name, sha256 FROM transcripts ORDER BY name")]

    def exchange_memos(self) -> list[dict]:
        """Every memo with its coder and where it hangs (transcript, span, code), oldest first."""
        return list(self.db.query(
            "SELECT m.id, m.title, m.text, m.created_at, m.updated_at, cd.name AS coder, m.transcript_id, m.start,"
            " m.end, k.codebook_id, k.code_id FROM memos m JOIN coders cd ON cd.id = m.coder_id"
            " LEFT JOIN codes k ON k.id = m.code_id ORDER BY m.id"))

    def coding_origins(self) -> list[tuple]:
        """(transcript checksum, codebook, code, coder, start, end, origin) of every coding not made by hand."""
        return self.db.execute(
            "SELECT t.sha256, k.codebook_id, k.code_id, cd.name, c.start, c.end, c.origin FROM codings c"
            " JOIN transcripts t ON t.id = c.transcript_id JOIN codes k ON k.id = c.code_id"
            " JOIN coders cd ON cd.id = c.coder_id WHERE c.origin != 'manual'").fetchall()

    def size_of_everything(self) -> tuple[int, int]:
        """(characters of text, codings) in the whole project."""
        return self.db.execute(
            "SELECT (SELECT coalesce(sum(length(text)), 0) FROM transcripts), (SELECT count(*) FROM codings)"
        ).fetchone()

    def texts_with_codings(self, transcripts: list[dict], codings: bool = True) -> Iterator[tuple[dict, list[dict]]]:
        """Each transcript (in `transcripts`' order) with its text and, if asked, its codings,
        read one transcript at a time."""
        for t in transcripts:
            text, imported_at = self.db.execute("SELECT text, imported_at FROM transcripts WHERE id = ?",
                                                [t["id"]]).fetchone()
            rows = []
            if codings:
                rows = [dict(zip(("codebook_id", "code_id", "coder", "start", "end", "memo", "created_at"), r))
                        for r in self.db.execute(
                            "SELECT k.codebook_id, k.code_id, cd.name AS coder, c.start, c.end, c.memo, c.created_at"
                            " FROM codings c JOIN codes k ON k.id = c.code_id JOIN coders cd ON cd.id = c.coder_id"
                            " WHERE c.transcript_id = ? ORDER BY c.start, c.end, cd.name, k.codebook_id, k.code_id",
                            [t["id"]])]
            yield {**t, "text": text, "imported_at": imported_at}, rows

    # --- import: a file's plain data, stored in one transaction ---------------------------

    def transcript_checksums(self) -> dict[str, str]:
        """{text checksum: transcript name}."""
        return dict(self.db.execute("SELECT sha256, name FROM transcripts"))

    def store_exchange(self, *, codebooks: list[Codebook], transcripts: Iterable[ImportedTranscript],
                       memos: Callable[[], list[ImportedMemo]], source_name: str) -> ExchangeResult:
        """Store what an import brings, all of it or nothing: new attribute names and codebooks,
        new transcripts (turns found in their text), codings with their origin and dates (one
        that is here already is not added again), memos where they hang (likewise). The
        transcripts may come one at a time as they are read (an error while reading them leaves
        the project as it was); the memos are asked for after them."""
        from jhs_qual.ingest import turns

        result = ExchangeResult()
        keys = self.attribute_keys()
        new_keys: set[str] = set()
        with self._batch() as db, self._codings_in_bulk():
            for book in codebooks:
                self._put_codebook(book, replacing=False)
            code_ids = {(r["codebook_id"], r["code_id"]): r["id"] for r in self.codes()}
            before = {r[0] for r in db.execute("SELECT name FROM coders")}
            coder_ids: dict[str, int] = {}
            transcript_ids: dict[str, int] = {}
            for t in transcripts:
                new_keys.update(key for key in t.attributes if key not in keys)
                if t.existing:
                    transcript_id = db.execute("SELECT id FROM transcripts WHERE sha256 = ?", [t.sha256]).fetchone()[0]
                else:
                    rows = t.turns if t.turns is not None else [u.row() for u in turns.turns_in_text(t.text)]
                    transcript_id = self._put_transcript(t.name, t.text, "refi", rows, t.attributes,
                                                         source_name=source_name, source_sha256=t.sha256)
                transcript_ids[t.key] = transcript_id
                for c in t.codings:
                    if c.coder not in coder_ids:
                        coder_ids[c.coder] = self._coder_id(c.coder)
                stored = self._insert_codings([
                    (transcript_id, code_ids[c.code_key], coder_ids[c.coder], c.start, c.end, c.memo, c.origin,
                     c.created_at, c.updated_at) for c in t.codings])
                result.codings += stored
                result.repeated += len(t.codings) - stored if not t.existing else 0
            if new_keys:
                result.attribute_keys = sorted(new_keys)
                self._set_setting("attribute_keys", keys + result.attribute_keys)
            for m in memos():
                transcript_id = transcript_ids.get(m.transcript_key) if m.transcript_key else None
                start, end = m.span if m.span and transcript_id is not None else (None, None)
                result.memos += self._add_memo_once(
                    self._coder_id(m.coder), transcript_id, code_ids.get(m.code_key) if m.code_key else None,
                    start, end, m.title, m.text, m.created_at, m.updated_at)
            result.coders = sorted({r[0] for r in db.execute("SELECT name FROM coders")} - before)
        return result
