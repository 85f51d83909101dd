"""Codebooks and codes in the project: loading, scopes, and edits made in the workbench.

A mixin of `Project` (the one class that writes): the same `_write`
transactions, split out of project.py along the data it owns. Each codebook
keeps its YAML text; an edit made in the project (a new code, a rename, a
merge) writes the YAML again (ruamel round trip, comments kept), so that
`jhs-qual codebook save` hands back a file `codebook check` accepts.
"""

from __future__ import annotations

import json

from jhs_qual import codebook as codebook_rules  # its loader (and YAML) only when a check needs it
from jhs_qual.codebook import resolve_code
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
        codebook_rules.check_together(others + [codebook], reserved)
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
                " use_when, do_not_use_when, keywords, phrases, exclude, example, colour, key, codable)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(codebook_id, code_id) DO UPDATE SET parent = excluded.parent,"
                " position = excluded.position, label_nl = excluded.label_nl, label_en = excluded.label_en,"
                " definition = excluded.definition, use_when = excluded.use_when,"
                " do_not_use_when = excluded.do_not_use_when, keywords = excluded.keywords,"
                " phrases = excluded.phrases, exclude = excluded.exclude, example = excluded.example,"
                " colour = excluded.colour, key = excluded.key, codable = excluded.codable",
                [codebook.id, code.id, code.parent, position, code.label_nl, code.label_en,
                 code.definition, code.use_when, code.do_not_use_when,
                 json.dumps(code.keywords, ensure_ascii=False),
                 json.dumps(code.phrases, ensure_ascii=False),
                 json.dumps(code.exclude, ensure_ascii=False),
                 code.example, code.colour, code.key, int(code.codable)],
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
        codebook_rules.check_together(books, reserved={})
        with self._write() as db:
            db.execute("UPDATE codebooks SET scope = ? WHERE id = ?",
                       [None if scope is None else json.dumps(scope, ensure_ascii=False), codebook_id])

    def codebooks_by_transcript(self) -> dict[int, set[str]]:
        """{transcript id: the codebooks that apply to it}, for every transcript."""
        scopes = self.scopes()
        attributes = self.attributes_by_transcript()
        return {tid: {b for b, scope in scopes.items() if applies(scope, attributes.get(tid, {}))}
                for tid in self.transcript_names()}

    def codebooks_for(self, transcript_id: int) -> set[str]:
        """The codebooks that apply to one transcript (without reading every transcript's attributes)."""
        attributes = dict(self.db.execute("SELECT key, value FROM transcript_attributes WHERE transcript_id = ?",
                                          [transcript_id]).fetchall())
        return {book for book, scope in self.scopes().items() if applies(scope, attributes)}

    def require_applies(self, transcript_id: int, codebook_id: str, *, field: str = "CODE") -> None:
        """Refuse a code whose codebook does not apply to the transcript (a pupil topic on a teacher's
        interview): summaries, quotes and agreement would each count it differently."""
        scope = self.scopes().get(codebook_id, {})
        attributes = self.attributes_by_transcript().get(transcript_id, {})
        if not applies(scope, attributes):
            wants = "; ".join(f"{key} {' or '.join(values)}" for key, values in scope.items())
            raise BadInput(f"codebook '{codebook_id}' does not apply to this transcript (it is for {wants})",
                           field=field, hint="choose a code of a codebook that applies, or change the scope with "
                                             "'jhs-qual codebook scope'")

    def resolve_code(self, reference: str) -> dict:
        pairs = [(r[0], r[1]) for r in self.db.execute("SELECT codebook_id, code_id FROM codes")]
        codebook_id, code_id = resolve_code(reference, pairs)
        return self._one(
            "SELECT * FROM codes WHERE codebook_id = ? AND code_id = ?", [codebook_id, code_id]
        )


    # --- edits made in the workbench ----------------------------------------------------------

    def code_row(self, code_row_id: int) -> dict:
        row = self._one("SELECT * FROM codes WHERE id = ?", [code_row_id])
        if row is None:
            raise BadInput(f"no code with row id {code_row_id}", field="CODE")
        for name in ("keywords", "phrases", "exclude"):
            row[name] = json.loads(row[name])
        return row

    def create_code(self, codebook_id: str, label_nl: str, *, label_en: str = "", parent: str | None = None,
                    key: str = "", definition: str = "", example: str = "", reserved: dict | None = None) -> int:
        """A new code at the end of a codebook; its id is made from the label. Returns its row id."""
        import re
        import unicodedata

        from jhs_qual.codebook.load import PALETTE

        label_nl = " ".join(label_nl.split())
        if not label_nl:
            raise BadInput("a code needs a label", field="label_nl")
        if not self._one("SELECT 1 FROM codebooks WHERE id = ?", [codebook_id]):
            raise BadInput(f"no codebook '{codebook_id}' in this project", field="CODEBOOK")
        plain = unicodedata.normalize("NFKD", label_nl).encode("ascii", "ignore").decode().lower()
        base = (re.sub(r"[^a-z0-9]+", "_", plain).strip("_") or "code")[:48]
        base = base if base[0].isalpha() else "c_" + base
        taken = {r[0] for r in self.db.execute("SELECT code_id FROM codes WHERE codebook_id = ?", [codebook_id])}
        code_id, n = base, 2
        while code_id in taken:
            code_id, n = f"{base}_{n}", n + 1
        position = self.db.execute("SELECT coalesce(max(position), -1) + 1 FROM codes WHERE codebook_id = ?",
                                   [codebook_id]).fetchone()[0]
        row = {"codebook_id": codebook_id, "code_id": code_id, "parent": parent, "position": position,
               "label_nl": label_nl, "label_en": " ".join(label_en.split()) or label_nl, "definition": definition,
               "use_when": "", "do_not_use_when": "", "keywords": [], "phrases": [], "exclude": [],
               "example": example, "colour": PALETTE[position % len(PALETTE)], "key": key}
        with self._write() as db:
            code_row_id = db.execute(
                "INSERT INTO codes(codebook_id, code_id, parent, position, label_nl, label_en, definition, example,"
                " colour, key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [codebook_id, code_id, parent, position, row["label_nl"], row["label_en"], definition, example,
                 row["colour"], key]).lastrowid
            self._rewrite_yaml(codebook_id, reserved)
        return code_row_id

    def update_code(self, code_row_id: int, reserved: dict | None = None, **fields) -> dict:
        """Change a code's id, label(s), definition, parent or key. Returns the old values of
        the fields changed (for undo)."""
        editable = ("code_id", "label_nl", "label_en", "definition", "use_when", "do_not_use_when", "example",
                    "parent", "key", "colour")
        unknown = set(fields) - set(editable)
        if unknown:
            raise BadInput(f"cannot change {', '.join(sorted(unknown))}", field="code")
        row = self.code_row(code_row_id)
        if "label_nl" in fields and not " ".join(str(fields["label_nl"]).split()):
            raise BadInput("a code needs a label", field="label_nl")
        if "code_id" in fields and fields["code_id"] != row["code_id"]:
            self._check_new_id(row, fields["code_id"])
        old = {name: row[name] for name in fields}
        with self._write() as db:
            for name, value in fields.items():
                db.execute(f"UPDATE codes SET {name} = ? WHERE id = ?", [value, code_row_id])
            if "code_id" in fields:  # its children name it as their parent
                db.execute("UPDATE codes SET parent = ? WHERE codebook_id = ? AND parent = ?",
                           [fields["code_id"], row["codebook_id"], row["code_id"]])
            self._rewrite_yaml(row["codebook_id"], reserved)
        return old

    def _check_new_id(self, row: dict, new: str) -> None:
        """A code's id may change (an in-vivo code named after words that say too much), but not
        into one that is no id or is taken, and never the id of a shipped code: scales, other
        tools and exports refer to those."""
        from jhs_qual.codebook import load_codebook
        from jhs_qual.codebook.load import ID
        from jhs_qual.data import shipped_codebook

        if not ID.match(str(new)):
            raise BadInput(f"'{new}' is not a code id", field="code id",
                           hint="lower case letters, digits and _, starting with a letter (at most 64)")
        if self.db.execute("SELECT 1 FROM codes WHERE codebook_id = ? AND code_id = ?",
                           [row["codebook_id"], new]).fetchone():
            raise BadInput(f"{row['codebook_id']} has a code '{new}' already", field="code id")
        shipped = shipped_codebook(row["codebook_id"])
        if shipped is not None and any(code.id == row["code_id"] for code in load_codebook(shipped).codes):
            raise BadInput(f"'{row['codebook_id']}/{row['code_id']}' is a code of the shipped codebook: its id is "
                           "fixed (scales, exports and other tools refer to it)", field="code id",
                           hint="change its labels instead")

    def delete_code(self, code_row_id: int) -> dict:
        """Remove a code without codings (and its rejections and memos). Returns its row, for undo."""
        row = self.code_row(code_row_id)
        used = self.db.execute("SELECT count(*) FROM codings WHERE code_id = ?", [code_row_id]).fetchone()[0]
        if used:
            raise BadInput(f"code '{row['code_id']}' has {used} coding(s)", field="CODE",
                           hint="merge it into another code, or remove its codings first")
        with self._write() as db:
            db.execute("UPDATE codes SET parent = ? WHERE codebook_id = ? AND parent = ?",
                       [row["parent"], row["codebook_id"], row["code_id"]])
            for table in ("rejections", "learned_keywords", "consensus_items"):
                db.execute(f"DELETE FROM {table} WHERE code_id = ?", [code_row_id])
            db.execute("DELETE FROM memos WHERE code_id = ?", [code_row_id])
            db.execute("DELETE FROM codes WHERE id = ?", [code_row_id])
            self._rewrite_yaml(row["codebook_id"], None)
        return row

    def merge_codes(self, source_row_id: int, target_row_id: int) -> dict:
        """Move every coding, rejection, memo and child of `source` to `target` and remove
        `source`; `target` may be in another codebook that applies wherever `source` was coded
        (its children then stay in their codebook). Returns what undo needs to put it all back."""
        source, target = self.code_row(source_row_id), self.code_row(target_row_id)
        if source_row_id == target_row_id:
            raise BadInput("a code cannot be merged into itself", field="CODE")
        across = source["codebook_id"] != target["codebook_id"]
        if across:  # into another codebook: every coding must land where that codebook applies
            scopes, attributes = self.scopes(), self.attributes_by_transcript()
            outside = [tid for (tid,) in self.db.execute(
                "SELECT DISTINCT transcript_id FROM codings WHERE code_id = ?", [source_row_id])
                if not applies(scopes.get(target["codebook_id"], {}), attributes.get(tid, {}))]
            if outside:
                raise BadInput(f"{len(outside)} transcript(s) with codings of '{source['code_id']}' lie outside the "
                               f"scope of '{target['codebook_id']}'", field="CODE",
                               hint="widen that codebook's scope ('jhs-qual codebook scope') or merge into a code "
                                    "of a codebook that applies to them")
        record: dict = {"source": source, "target": target_row_id, "moved": [], "dropped": [], "children": []}
        with self._write() as db:
            for coding in db.execute("SELECT * FROM codings WHERE code_id = ?", [source_row_id]).fetchall():
                names = [d[0] for d in db.execute("SELECT * FROM codings LIMIT 0").description]
                row = dict(zip(names, coding))
                clash = db.execute(
                    "SELECT 1 FROM codings WHERE code_id = ? AND transcript_id = ? AND coder_id = ? AND start = ?"
                    " AND end = ?", [target_row_id, row["transcript_id"], row["coder_id"], row["start"],
                                     row["end"]]).fetchone()
                if clash:  # the coder had the target on the same words: one coding stays
                    record["dropped"].append(row)
                    db.execute("DELETE FROM codings WHERE id = ?", [row["id"]])
                else:
                    record["moved"].append(row["id"])
                    db.execute("UPDATE codings SET code_id = ? WHERE id = ?", [target_row_id, row["id"]])
            record["children"] = [r[0] for r in db.execute(
                "SELECT id FROM codes WHERE codebook_id = ? AND parent = ?", [source["codebook_id"], source["code_id"]])]
            # its children go under the target, or (in another codebook) where the source was
            db.execute("UPDATE codes SET parent = ? WHERE codebook_id = ? AND parent = ?",
                       [source["parent"] if across else target["code_id"], source["codebook_id"], source["code_id"]])
            record["memos"] = [r[0] for r in db.execute("SELECT id FROM memos WHERE code_id = ?", [source_row_id])]
            db.execute("UPDATE memos SET code_id = ? WHERE code_id = ?", [target_row_id, source_row_id])
            db.execute("UPDATE OR IGNORE rejections SET code_id = ? WHERE code_id = ?", [target_row_id, source_row_id])
            for table in ("rejections", "learned_keywords", "consensus_items"):
                db.execute(f"DELETE FROM {table} WHERE code_id = ?", [source_row_id])
            db.execute("DELETE FROM codes WHERE id = ?", [source_row_id])
            self._rewrite_yaml(source["codebook_id"], None)
        return record

    def unmerge_codes(self, record: dict) -> None:
        """Undo `merge_codes`: the source code back under its own row id, with its codings."""
        source = record["source"]
        with self._write() as db:
            columns = [c for c in source if c != "id"]
            values = [json.dumps(source[c], ensure_ascii=False) if c in ("keywords", "phrases", "exclude")
                      else source[c] for c in columns]
            db.execute(f"INSERT INTO codes(id, {', '.join(columns)}) VALUES (?{', ?' * len(columns)})",
                       [source["id"], *values])
            db.execute("UPDATE codings SET code_id = ? WHERE id IN (SELECT value FROM json_each(?))",
                       [source["id"], json.dumps(record["moved"])])
            for row in record["dropped"]:
                db.execute(f"INSERT INTO codings({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                           list(row.values()))
            db.execute("UPDATE codes SET parent = ? WHERE id IN (SELECT value FROM json_each(?))",
                       [source["code_id"], json.dumps(record["children"])])
            db.execute("UPDATE memos SET code_id = ? WHERE id IN (SELECT value FROM json_each(?))",
                       [source["id"], json.dumps(record.get("memos", []))])
            self._rewrite_yaml(source["codebook_id"], None)

    def restore_code(self, row: dict) -> None:
        """Undo `delete_code` (or `create_code`'s undo): the code back under its row id."""
        with self._write() as db:
            columns = [c for c in row if c != "id"]
            values = [json.dumps(row[c], ensure_ascii=False) if c in ("keywords", "phrases", "exclude") else row[c]
                      for c in columns]
            db.execute(f"INSERT INTO codes(id, {', '.join(columns)}) VALUES (?{', ?' * len(columns)})",
                       [row["id"], *values])
            self._rewrite_yaml(row["codebook_id"], None)

    def _rewrite_yaml(self, codebook_id: str, reserved: dict | None) -> None:
        """Inside a write: the codebook's YAML and hash from its codes as they now are;
        the codebooks must still hold together (parents, shortcut keys)."""
        import hashlib

        from jhs_qual.codebook.edit import rewrite_codes
        from jhs_qual.codebook.load import parse_codebook

        book = self._one("SELECT yaml, source_name FROM codebooks WHERE id = ?", [codebook_id])
        text = rewrite_codes(book["yaml"], self.codes(codebook_id), book["source_name"])
        edited = parse_codebook(text, book["source_name"])
        edited.applies_to = self.scopes()[codebook_id]
        others = [self._stored_codebook(r[0]) for r in self.db.execute(
            "SELECT id FROM codebooks WHERE id != ?", [codebook_id]).fetchall()]
        codebook_rules.check_together(others + [edited], reserved)
        self.db.execute("UPDATE codebooks SET yaml = ?, yaml_sha256 = ? WHERE id = ?",
                        [text, hashlib.sha256(text.encode("utf-8")).hexdigest(), codebook_id])

    def parsed_codebooks(self, ids: list[str] | None = None) -> list[Codebook]:
        """The stored codebooks in full (from their YAML), with the scope the project gives them."""
        from jhs_qual.codebook import parse_codebook

        scopes = self.scopes()
        books = []
        for r in self.db.query("SELECT * FROM codebooks ORDER BY loaded_at, id"):
            if ids is None or r["id"] in ids:
                book = parse_codebook(r["yaml"], r["source_name"], sha256=r["yaml_sha256"])
                book.applies_to = scopes[r["id"]]
                books.append(book)
        return books

    def check_keys(self, reserved: dict[str, str]) -> None:
        """The loaded codebooks' shortcut keys against the workbench's (after the user's remapping)."""
        stored = [self._stored_codebook(r[0]) for r in self.db.execute("SELECT id FROM codebooks ORDER BY id")]
        codebook_rules.check_together(stored, reserved)

    def codebook_yaml(self, codebook_id: str) -> str:
        row = self._one("SELECT yaml FROM codebooks WHERE id = ?", [codebook_id])
        if row is None:
            raise BadInput(f"no codebook '{codebook_id}' in this project", field="CODEBOOK",
                           hint="list them with 'jhs-qual codebook list'")
        return row["yaml"]
