"""spaCy, loaded lazily and once, never downloaded.

A trained pipeline (e.g. `nl_core_news_sm`) is used when it is installed and
asked for (the `JHS_QUAL_SPACY_MODEL` environment variable or the `model`
argument); otherwise `spacy.blank(lang)` with the lookup lemmatizer from
`spacy-lookups-data`. Only the tokenizer runs over texts; lemmas come from
the lookup table once per distinct word form (see `engine.py`). Importing
spaCy costs about a second, so nothing imports this module at startup.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from jhs_qual.errors import BadInput

MODEL_ENV = "JHS_QUAL_SPACY_MODEL"


@dataclass
class Pipeline:
    nlp: object  # spacy.Language
    lemma_table: dict[str, str] | None  # spacy-lookups-data's lemma_lookup, or None for a trained pipeline
    stop_words: frozenset[str]
    name: str

    def lemma(self, form: str) -> str:
        """The lemma of a lower-case word form."""
        if self.lemma_table is not None:
            return self.lemma_table.get(form, form)
        doc = self.nlp(form)  # a trained pipeline lemmatises in context; a lone word is the best we have
        return doc[0].lemma_.lower() if len(doc) else form


@lru_cache(maxsize=4)
def load_pipeline(lang: str, model: str | None = None) -> Pipeline:
    import spacy
    import spacy.util

    model = model or os.environ.get(MODEL_ENV) or None
    if model:
        if not spacy.util.is_package(model):
            raise BadInput(
                f"spaCy pipeline '{model}' is not installed",
                field=MODEL_ENV,
                hint="install it with pip, or unset the variable to use the built-in lookup lemmatizer",
            )
        nlp = spacy.load(model, exclude=["ner", "textcat", "entity_linker"])
        _split_slashes(nlp)
        return Pipeline(nlp, None, frozenset(nlp.Defaults.stop_words), model)
    if lang not in ("nl", "en"):
        raise BadInput(f"language '{lang}' has no suggestion support", hint="codebooks can be nl or en")
    import spacy_lookups_data
    from spacy.util import load_language_data

    nlp = spacy.blank(lang)
    _split_slashes(nlp)
    # The table spaCy's lookup lemmatizer reads (lower-case form -> lemma), as a plain
    # dict: a spacy.lookups.Table hashes its 213,000 keys again on loading (0.7 s).
    table = load_language_data(getattr(spacy_lookups_data, lang)["lemma_lookup"])
    return Pipeline(nlp, table, frozenset(nlp.Defaults.stop_words), f"spacy.blank('{lang}') + lookup lemmatizer")


def _split_slashes(nlp) -> None:
    """'leraren/juffen', 'gezin/netwerk', 'en/of': a slash between letters separates
    words (spaCy keeps them one token); URLs and dates like 12/05 stay whole."""
    from spacy.util import compile_infix_regex

    nlp.tokenizer.infix_finditer = compile_infix_regex(list(nlp.Defaults.infixes) + [r"(?<=[^\W\d_])/(?=[^\W\d_])"]).finditer
