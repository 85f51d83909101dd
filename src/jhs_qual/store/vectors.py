"""The semantic layer's cache of vectors in the project (a mixin of `Project`).

Keyed by the hash of the encoder's id and the text (`suggest.semantic.text_key`),
so a unit is encoded once whichever command or window asks, and a changed
text or another encoder simply gets a new key. Stored as float16 (1 KB for a
512-dimensional vector).
"""

from __future__ import annotations

import json


class VectorStore:
    def embeddings(self, keys: list[str]) -> dict:
        """{key: vector} for the keys that are stored."""
        import numpy as np

        found = {}
        for first in range(0, len(keys), 500):
            chunk = keys[first:first + 500]
            for key, blob in self.db.execute(
                    "SELECT key, vector FROM embeddings WHERE key IN (SELECT value FROM json_each(?))",
                    [json.dumps(chunk)]):
                found[key] = np.frombuffer(blob, dtype=np.float16).astype(np.float32)
        return found

    def store_embeddings(self, vectors: dict) -> None:
        import numpy as np

        if not vectors or self.read_only:  # a cache: a project we may not write is read without it
            return
        with self._write() as db:
            db.conn.executemany("INSERT OR IGNORE INTO embeddings(key, vector) VALUES (?, ?)",
                                [(k, np.asarray(v, dtype=np.float16).tobytes()) for k, v in vectors.items()])
