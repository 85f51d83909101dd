"""A consensus coder built from two coders' codings, and the items still to settle (a mixin of
`Project`): a consensus is written only into a coder of its own.
"""

from __future__ import annotations

import json

from jhs_qual.errors import BadInput
from jhs_qual.store.common import now as _now


class ConsensusStore:
    def consensus_pair(self, coder_a: str | None = None, coder_b: str | None = None) -> tuple[str, str, str] | None:
        """(coder A, coder B, consensus coder) of the latest consensus built, or of A and B's."""
        sql = ("SELECT a.name, b.name, c.name FROM consensus_items i JOIN coders a ON a.id = i.coder_a_id"
               " JOIN coders b ON b.id = i.coder_b_id JOIN coders c ON c.id = i.consensus_coder_id")
        params: list = []
        if coder_a is not None:
            sql += " WHERE a.name = ? AND b.name = ?"
            params = [coder_a, coder_b]
        row = self.db.execute(sql + " ORDER BY i.id DESC LIMIT 1", params).fetchone()
        return tuple(row) if row else None

    def consensus_coders(self) -> list[str]:
        """Coders that hold a consensus built from other coders' codings."""
        found = {r[0] for r in self.db.execute(
            "SELECT DISTINCT c.name FROM consensus_items i JOIN coders c ON c.id = i.consensus_coder_id")}
        return sorted(found | set(self.setting("consensus_coders", [])))

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
        with self._write() as db:  # not _codings_in_bulk: a build again that adds nothing must write nothing
            ids = {name: self._coder_id(name) for name in (coder_a, coder_b, into)}
            known = self.setting("consensus_coders", [])
            if into not in known:  # even a consensus with nothing to settle is one
                self._set_setting("consensus_coders", sorted(known + [into]))
            # what was decided before, read once (a build of thousands of transcripts meets 100,000s)
            decided = dict(db.execute("SELECT signature, decision FROM consensus_items WHERE consensus_coder_id = ?",
                                      [ids[into]]).fetchall())
            codings, items, now = [], [], _now()
            for cluster in found:
                code_id = code_ids[cluster.code]
                if cluster.agreed is not None:
                    summary["agreed"] += 1
                    codings.append((cluster.transcript_id, code_id, ids[into], cluster.agreed.start, cluster.agreed.end,
                                    cluster.agreed.memo))
                    continue
                signature = cluster.signature
                if signature not in decided:
                    summary["new_items"] += 1
                    decided[signature] = None
                    items.append((ids[into], ids[coder_a], ids[coder_b], cluster.transcript_id, code_id,
                                  json.dumps([[s.start, s.end, s.memo] for s in cluster.a], ensure_ascii=False),
                                  json.dumps([[s.start, s.end, s.memo] for s in cluster.b], ensure_ascii=False),
                                  signature, now))
                elif decided[signature] is not None:  # settled earlier: make sure its codings are there
                    codings += [(cluster.transcript_id, code_id, ids[into], span.start, span.end, span.memo)
                                for span in decided_spans(decided[signature], cluster.a, cluster.b)]
            summary["added"] = self._insert_codings(codings)
            db.conn.executemany(
                "INSERT INTO consensus_items(consensus_coder_id, coder_a_id, coder_b_id, transcript_id,"
                " code_id, a_spans, b_spans, signature, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", items)
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
