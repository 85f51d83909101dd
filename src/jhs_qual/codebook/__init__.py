"""Codebooks: YAML loading, validation, and resolving code references."""

from jhs_qual.codebook.load import check_together, load_codebook, parse_codebook
from jhs_qual.codebook.refs import resolve_code

__all__ = ["check_together", "load_codebook", "parse_codebook", "resolve_code"]
