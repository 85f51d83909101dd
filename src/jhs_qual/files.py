"""Reading and writing files: one clear error for an unreadable one, never a half-written one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from jhs_qual.errors import BadInput


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` to write to; when the block succeeds it
    replaces `path`, when it fails it is removed. Never a half-written file."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise BadInput(f"cannot write: {error.strerror}", file=path) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_bytes(path: Path) -> bytes:
    """The file's bytes, or one line naming it when it cannot be read."""
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise BadInput(f"cannot read: {error.strerror or error}", file=path) from None
