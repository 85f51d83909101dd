"""Searching the turns' words (a mixin of `Project`): the full-text index, and which words near a
listed name are ordinary words of the project.
"""

from __future__ import annotations

import re


_SEARCH_WORD = re.compile(r"[^\W_]+")  # what FTS5's unicode61 tokenizer takes as one token


class SearchStore:
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

    def transcripts_saying(self, words: list[str]) -> dict[str, set[int]]:
        """{word: the transcripts whose turns hold it (as a word's start, without case or accents)}."""
        found = {}
        for word in words:
            terms = _SEARCH_WORD.findall(word)
            if not terms:
                found[word] = set()
                continue
            match = " ".join(f'"{t}"' for t in terms[:-1]) + (" " if len(terms) > 1 else "") + f'"{terms[-1]}"*'
            found[word] = {r[0] for r in self.db.execute(
                "SELECT DISTINCT u.transcript_id FROM turns_fts JOIN turns u ON u.rowid = turns_fts.rowid"
                " WHERE turns_fts MATCH ?", [match])}
        return found

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
