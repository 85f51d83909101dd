"""Code references: `codebook/id`, or a bare `id` where only one codebook has it."""

from __future__ import annotations

from collections.abc import Iterable

from jhs_qual.errors import BadInput


def resolve_code(reference: str, available: Iterable[tuple[str, str]]) -> tuple[str, str]:
    """Return (codebook_id, code_id) for `reference` among `available` pairs."""
    pairs = list(available)
    reference = reference.strip()
    if "/" in reference:
        codebook_id, _, code_id = reference.partition("/")
        if (codebook_id, code_id) in pairs:
            return codebook_id, code_id
        raise BadInput(
            f"no code '{reference}' in this project",
            field="CODE",
            hint=_suggest(code_id, pairs),
        )
    matches = [pair for pair in pairs if pair[1] == reference]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        options = ", ".join(f"{b}/{c}" for b, c in matches)
        raise BadInput(f"code '{reference}' is ambiguous", field="CODE", hint=f"write one of: {options}")
    raise BadInput(f"no code '{reference}' in this project", field="CODE", hint=_suggest(reference, pairs))


def _suggest(code_id: str, pairs: list[tuple[str, str]]) -> str:
    import difflib

    if not pairs:
        return "load a codebook first with 'jhs-qual codebook load FILE'"
    names = [f"{b}/{c}" for b, c in pairs]
    prefixed = [n for n, (_, c) in zip(names, pairs) if c.startswith(code_id)]
    if prefixed:
        return "did you mean " + " or ".join(prefixed[:3]) + "?"
    close = difflib.get_close_matches(code_id, [c for _, c in pairs], n=1)
    if close:
        return "did you mean " + next(n for n in names if n.endswith("/" + close[0])) + "?"
    return "list the codes with 'jhs-qual codebook show'"
