"""How far each coder has read each transcript (a mixin of `Project`).

A coder reached a unit when they coded at or past it, moved past it in the
workbench, or marked the transcript finished. Agreement figures count only the
units every compared coder reached: a turn one coder never read is not their
"no code" (`reached_by`).
"""

from __future__ import annotations

from jhs_qual.store.common import now as _now


class ProgressStore:
    def mark_reached(self, transcript_id: int, coder: str, offset: int) -> None:
        """The coder read the transcript up to `offset` (kept when they had read further)."""
        with self._write() as db:
            db.execute(
                "INSERT INTO progress(coder_id, transcript_id, reached) VALUES (?, ?, ?)"
                " ON CONFLICT(coder_id, transcript_id) DO UPDATE SET reached = max(reached, excluded.reached)",
                [self._coder_id(coder), transcript_id, offset])

    def set_finished(self, transcript_id: int, coder: str, finished: bool = True) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO progress(coder_id, transcript_id, finished_at) VALUES (?, ?, ?)"
                " ON CONFLICT(coder_id, transcript_id) DO UPDATE SET finished_at = excluded.finished_at",
                [self._coder_id(coder), transcript_id, _now() if finished else None])

    def reached(self, coder: str, transcript_id: int | None = None) -> dict[int, tuple[int, bool]]:
        """{transcript id: (offset read up to, finished)} of one coder, for the transcripts they
        touched (or only this one): the furthest of their codings' ends and of where the
        workbench took them."""
        only = "" if transcript_id is None else " AND transcript_id = ?"
        found: dict[int, tuple[int, bool]] = {}
        for tid, offset, finished in self.db.execute(
            "SELECT transcript_id, max(reached), max(finished) FROM ("
            " SELECT p.transcript_id, p.reached, p.finished_at IS NOT NULL AS finished FROM progress p"
            f" JOIN coders cd ON cd.id = p.coder_id WHERE cd.name = ?{only}"
            " UNION ALL SELECT c.transcript_id, c.end, 0 FROM codings c JOIN coders cd ON cd.id = c.coder_id"
            f" WHERE cd.name = ?{only}) GROUP BY transcript_id",
            [coder, coder] if transcript_id is None else [coder, transcript_id, coder, transcript_id]):
            found[tid] = (offset, bool(finished))
        return found

    def reached_by(self, coders: list[str]) -> dict[int, int | None]:
        """{transcript id: the offset every one of `coders` read up to (None: all finished it)},
        for the transcripts every one of them touched."""
        each = [self.reached(coder) for coder in coders]
        shared = set.intersection(*(set(r) for r in each)) if each else set()
        limits: dict[int, int | None] = {}
        for tid in shared:
            open_ = [r[tid][0] for r in each if not r[tid][1]]
            limits[tid] = min(open_) if open_ else None
        return limits


class LearningRecord:
    """Whose codings a coder's suggestions learned from, when not their own (the config's
    [suggest] learn_from): kept in the project, so that a comparison can say the coders were
    not independent."""

    def record_learning(self, coder: str, source: str) -> None:
        found = self.setting("learned_from", {})
        if source not in found.get(coder, []):
            with self._write():
                self._set_setting("learned_from", {**found, coder: sorted(found.get(coder, []) + [source])})

    def learned_from(self) -> dict[str, list[str]]:
        """{coder: the coders whose codings their suggestions learned from}."""
        return self.setting("learned_from", {})
