"""Textual bindings from the keymap table in `jhs_qual.keys` (ids, keys, descriptions in one place)."""

from __future__ import annotations

from textual.binding import Binding

from jhs_qual.keys import Key, binding_keys


def bindings(table: tuple[Key, ...], actions: dict[str, str], **extra) -> list[Binding]:
    """A Binding per key of `table`, running actions[id] (by default the id itself)."""
    return [Binding(binding_keys(k.keys), actions.get(k.id, k.id), k.description, show=k.show, id=k.id,
                    **extra.get(k.id, {}))
            for k in table]
