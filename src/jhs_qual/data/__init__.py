"""Files that ship inside the package: the three codebooks (`codebooks/` in the repository links here)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SHIPPED_CODEBOOKS = ("bronstein", "professional_topics", "pupil_topics")


def shipped_codebook(name: str) -> Path | None:
    """The path of a codebook that ships with jhs-qual, by its name (`bronstein`), or None."""
    if name not in SHIPPED_CODEBOOKS:
        return None
    return Path(str(resources.files("jhs_qual") / "data" / "codebooks" / f"{name}.yaml"))
