"""Plain data objects shared by every layer; no I/O, no third-party imports."""

from jhs_qual.domain.models import (
    Code,
    Codebook,
    Coding,
    ParsedTranscript,
    Turn,
    ORIGINS,
    applies,
    disjoint,
)

__all__ = ["Code", "Codebook", "Coding", "ParsedTranscript", "Turn", "ORIGINS", "applies", "disjoint"]
