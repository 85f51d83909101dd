"""Codebooks: YAML loading, validation, and resolving code references.

The loader (and YAML with it) is imported when first asked for (PEP 562): the store needs
only `resolve_code` to open a project, and the workbench starts without YAML."""

from jhs_qual.codebook.refs import resolve_code

__all__ = ["check_together", "load_codebook", "parse_codebook", "resolve_code"]


def __getattr__(name: str):
    if name in ("check_together", "load_codebook", "parse_codebook"):
        from jhs_qual.codebook import load

        return getattr(load, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
