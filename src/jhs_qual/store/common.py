"""Small helpers every part of the store uses."""

from __future__ import annotations

from datetime import datetime, timezone


def now() -> str:
    """The time a row was written, in UTC, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
