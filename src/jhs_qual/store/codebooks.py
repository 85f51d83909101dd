"""Codebooks and codes in the project: loading, scopes, and edits made in the workbench.

A mixin of `Project` (the one class that writes): the same `_write`
transactions, split out of project.py along the data it owns. Each codebook
keeps its YAML text; an edit made in the project (a new code, a rename, a
merge) writes the YAML again (ruamel round trip, comments kept), so that
`jhs-qual codebook save` hands back a file `codebook check` accepts.
"""

from __future__ import annotations

import json

from jhs_qual.codebook import check_together, resolve_code
from jhs_qual.domain import Code, Codebook, applies
from jhs_qual.errors import BadInput
from jhs_qual.store.common import now as _now


def json_scope(text: str) -> dict[str, tuple[str, ...]]:
    return {k: tuple(v) for k, v in json.loads(text).items()}


class CodebookStore:
    # --- codebooks ---------------------------------------------------------------

    def codebooks(self) -> list[dict]:
        return list(
            self.db.query(
                "SELECT b.id, b.title, b.language, b.source_name, b.yaml_sha256, b.loaded_at,"
                " (SELECT count(*) FROM codes WHERE codebook_id = b.id) AS code_count"
                " FROM codebooks b ORDER BY b.loaded_at, b.id"
            )
        )

    def codes(self, codebook_id: str | None = None) -> list[dict]:
        sql = "SELECT * FROM codes"
        params: list = []
        if codebook_id is not None:
            sql += " WHERE codebook_id = ?"
            params.append(codebook_id)
        rows = list(self.db.query(sql + " ORDER BY codebook_id, position", params))
        for row in rows:
            for name in ("keywords", "phrases", "exclude"):
                row[name] = json.loads(row[name])
        return rows

    def load_codebook(self, codebook: Codebook, reserved: dict[str, str] | None = None) -> str:
        """Store or update a codebook. Returns 'loaded', 'updated' or 'unchanged'.

        Codes keep their row (and so their codings) across updates, matched by
        id. A code that the new version drops while it still has codings is
        refused: the codings would be lost.
        """
        others = [
            self._stored_codebook(row["id"])
            for row in self.db.query("SELECT id FROM codebooks WHERE id != ?", [codebook.id])
        ]
        check_together(others + [codebook], reserved)
        existing = self._one("SELECT yaml_sha256 FROM codebooks WHERE id = ?", [codebook.id])
        if existing and existing["yaml_sha256"] == codebook.sha256:
            return "unchanged"
        with self._write():
            self._put_codebook(codebook, replacing=existing is not None)
        return "updated" if existing else "loaded"

    def _put_codebook(self, codebook: Codebook, *, replacing: bool) -> None:
        """Inside a write: store a codebook, or update it keeping its codes' rows."""
        db = self.db
        if replacing:
            new_ids = {c.id for c in codebook.codes}
            for row in db.query(
                "SELECT c.code_id, count(x.id) AS n FROM codes c LEFT JOIN codings x ON x.code_id = c.id"
                " WHERE c.codebook_id = ? GROUP BY c.id",
                [codebook.id],
            ):
                if row["code_id"] not in new_ids and row["n"]:
                    raise BadInput(
                        f"code '{row['code_id']}' is missing but has {row['n']} codings in the project",
                        file=codebook.source,
                        field="codes",
                        hint="put the code back, or remove its codings first",
                    )
            db.execute(
                "DELETE FROM codes WHERE codebook_id = ? AND code_id NOT IN (SELECT value FROM json_each(?))",
                [codebook.id, json.dumps(sorted(new_ids))],
            )
        db.execute(
            "INSERT INTO codebooks(id, title, language, description, source_name, yaml_sha256, yaml, loaded_at,"
            " applies_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET title = excluded.title,"
            " language = excluded.language, description = excluded.description,"
            " source_name = excluded.source_name, yaml_sha256 = excluded.yaml_sha256,"
            " yaml = excluded.yaml, loaded_at = excluded.loaded_at, applies_to = excluded.applies_to",
            [codebook.id, codebook.title, codebook.language, codebook.description,
             codebook.source, codebook.sha256, codebook.yaml_text, _now(),
             json.dumps(codebook.applies_to, ensure_ascii=False)],
        )
        for position, code in enumerate(codebook.codes):
            db.execute(
                "INSERT INTO codes(codebook_id, code_id, parent, position, label_nl, label_en, definition,"
                " use_when, do_not_use_when, keywords, phrases, exclude, example, colour, key)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(codebook_id, code_id) DO UPDATE SET parent = excluded.parent,"
                " position = excluded.position, label_nl = excluded.label_nl, label_en = excluded.label_en,"
                " definition = excluded.definition, use_when = excluded.use_when,"
                " do_not_use_when = excluded.do_not_use_when, keywords = excluded.keywords,"
                " phrases = excluded.phrases, exclude = excluded.exclude, example = excluded.example,"
                " colour = excluded.colour, key = excluded.key",
                [codebook.id, code.id, code.parent, position, code.label_nl, code.label_en,
                 code.definition, code.use_when, code.do_not_use_when,
                 json.dumps(code.keywords, ensure_ascii=False),
                 json.dumps(code.phrases, ensure_ascii=False),
                 json.dumps(code.exclude, ensure_ascii=False),
                 code.example, code.colour, code.key],
            )

    def _stored_codebook(self, codebook_id: str) -> Codebook:
        row = self._one("SELECT * FROM codebooks WHERE id = ?", [codebook_id])
        codes = [
            Code(
                id=c["code_id"], label_nl=c["label_nl"], label_en=c["label_en"], key=c["key"],
                colour=c["colour"], parent=c["parent"],
            )
            for c in self.codes(codebook_id)
        ]
        return Codebook(
            id=row["id"], title=row["title"], language=row["language"], codes=codes,
            source=row["source_name"], sha256=row["yaml_sha256"], applies_to=self.scopes()[codebook_id],
        )

    # --- scopes: which codebooks apply to which transcripts -------------------------------

    def scopes(self) -> dict[str, dict[str, tuple[str, ...]]]:
        """{codebook id: its scope}: the project's own where one was set, else the YAML's."""
        return {r[0]: json_scope(r[2] if r[2] is not None else r[1]) for r in self.db.execute("SELECT id, applies_to, scope FROM codebooks")}

    def set_scope(self, codebook_id: str, scope: dict[str, tuple[str, ...]] | None) -> None:
        """Set where a codebook applies in this project ({} = every transcript), or
        with None go back to the YAML's `applies_to`. Shortcut keys it shares with
        another codebook must stay apart."""
        if not self._one("SELECT 1 FROM codebooks WHERE id = ?", [codebook_id]):
            raise BadInput(f"no codebook '{codebook_id}' in this project", field="CODEBOOK",
                           hint="list them with 'jhs-qual codebook list'")
        known = self.attribute_keys()
        for key in scope or {}:
            if key not in known:
                raise BadInput(f"unknown attribute '{key}'", field="--where", hint=f"known: {', '.join(known)}")
        books = []
        for other in self.db.execute("SELECT id FROM codebooks ORDER BY id").fetchall():
            book = self._stored_codebook(other[0])
            if other[0] == codebook_id:
                book.applies_to = dict(scope) if scope is not None else json_scope(self._one(
                    "SELECT applies_to FROM codebooks WHERE id = ?", [codebook_id])["applies_to"])
            books.append(book)
        check_together(books, reserved={})
        with self._write() as db:
            db.execute("UPDATE codebooks SET scope = ? WHERE id = ?",
                       [None if scope is None else json.dumps(scope, ensure_ascii=False), codebook_id])

    def applicable_codebooks(self, attributes: dict[str, str]) -> set[str]:
        """The codebooks that apply to a transcript with these attributes."""
        return {book for book, scope in self.scopes().items() if applies(scope, attributes)}

    def codebooks_by_transcript(self) -> dict[int, set[str]]:
        """{transcript id: the codebooks that apply to it}, for every transcript."""
        scopes = self.scopes()
        attributes = self.attributes_by_transcript()
        return {tid: {b for b, scope in scopes.items() if applies(scope, attributes.get(tid, {}))}
                for tid in self.transcript_names()}

    def resolve_code(self, reference: str) -> dict:
        pairs = [(r[0], r[1]) for r in self.db.execute("SELECT codebook_id, code_id FROM codes")]
        codebook_id, code_id = resolve_code(reference, pairs)
        return self._one(
            "SELECT * FROM codes WHERE codebook_id = ? AND code_id = ?", [codebook_id, code_id]
        )

