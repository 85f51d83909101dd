"""Questionnaire answers beside the interviews (a mixin of `Project`): scale files, respondents
per wave with their attributes, answers per item. An import replaces its wave whole."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from jhs_qual.store.common import now as _now

if TYPE_CHECKING:
    import numpy as np


class SurveyStore:
    def store_survey(self, scale_file, wave: str, respondents: list[tuple[str, dict[str, str], dict[str, float | None]]]
                     ) -> dict[str, int]:
        """Store one wave of one questionnaire (its scale file too): what the wave held before goes.
        `respondents`: (key, attributes, {item: value or None})."""
        with self._write() as db:
            db.execute("INSERT INTO scale_files(id, title, yaml, yaml_sha256, loaded_at) VALUES (?, ?, ?, ?, ?)"
                       " ON CONFLICT(id) DO UPDATE SET title = excluded.title, yaml = excluded.yaml,"
                       " yaml_sha256 = excluded.yaml_sha256, loaded_at = excluded.loaded_at",
                       [scale_file.id, scale_file.title, scale_file.yaml_text, scale_file.sha256, _now()])
            replaced = db.execute("DELETE FROM respondents WHERE wave = ?", [wave]).rowcount
            now = _now()
            db.conn.executemany(
                "INSERT INTO respondents(wave, key, attributes, answers, imported_at) VALUES (?, ?, ?, ?, ?)",
                [(wave, key, json.dumps(attributes, ensure_ascii=False), json.dumps(values), now)
                 for key, attributes, values in respondents])
        answered = sum(value is not None for _, _, values in respondents for value in values.values())
        return {"respondents": len(respondents), "answers": answered, "replaced": replaced}

    def scale_files(self) -> list:
        """The questionnaires' scale files stored with their answers, parsed."""
        from jhs_qual.survey.scales import parse_scales

        return [parse_scales(text, f"{file_id}.yaml")
                for file_id, text in self.db.execute("SELECT id, yaml FROM scale_files ORDER BY id")]

    def waves(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT wave FROM respondents ORDER BY wave")]

    def survey_answers(self, items: list[str], wave: str | None = None) -> tuple[list[dict[str, str]], np.ndarray]:
        """The respondents' attributes (with `wave`) and a respondents x `items` matrix of their
        answers (NaN: not answered), of one wave or all."""
        sql, params = "SELECT wave, attributes, answers FROM respondents", []
        if wave is not None:
            sql += " WHERE wave = ?"
            params.append(wave)
        people, table = [], []
        for row_wave, attributes, answers in self.db.execute(sql + " ORDER BY wave, key", params):
            people.append({**json.loads(attributes), "wave": row_wave})
            given = json.loads(answers)
            table.append([given.get(item) for item in items])
        import numpy as np

        matrix = np.array(table, dtype=float).reshape(len(people), len(items))  # None -> NaN
        return people, matrix
