"""Reading and writing files: one clear error for an unreadable one, never a half-written one,
never a file more readable than its owner asked, never something replaced that was not a file.

Every file jhs-qual writes goes through `replacing(path)`:
- it is written beside the target and renamed over it only when complete;
- a new file is readable by its owner only (0600, or the config's `[files] mode`);
  an existing file keeps its mode;
- an existing regular file is replaced only when the command was given
  `--force` (`overwrite(True)`), or the write is an edit in place (config, codebook);
- a symlink is followed: its target is written, the link stays;
- a FIFO or a character device (`/dev/null`) is written through, never replaced;
  a directory or any other kind of file is refused;
- `-` is standard output.
"""

from __future__ import annotations

import codecs
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from jhs_qual.errors import BadInput

DEFAULT_MODE = 0o600
_OVERWRITE: ContextVar[bool] = ContextVar("overwrite", default=False)
_MODE: ContextVar[int] = ContextVar("mode", default=DEFAULT_MODE)


def overwrite(allowed: bool) -> None:
    """Whether this command may replace an existing file (its --force)."""
    _OVERWRITE.set(allowed)


def overwrite_allowed() -> bool:
    return _OVERWRITE.get()


def new_file_mode(mode: int) -> None:
    """The mode of the files this process creates (the config's [files] mode)."""
    _MODE.set(mode)


@contextmanager
def replacing(path: Path | str, *, edit: bool = False) -> Iterator[Path]:
    """A temporary path to write to; when the block succeeds its content goes to `path`
    (see the module's rules), when it fails it is removed. `edit`: an edit in place of a
    file of ours, which may replace it without --force."""
    if str(path) == "-":
        with _to_stream(sys.stdout.buffer, drop_bom=True) as tmp:  # the BOM is for Excel, not for pipes
            yield tmp
        return
    path = Path(path)
    target, mode, through = _target(path, edit)
    if through:
        with _to_device(target) as tmp:
            yield tmp
        return
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    tmp = Path(name)
    try:
        os.chmod(tmp, mode)
        yield tmp
        os.chmod(tmp, mode)  # a writer that recreated the file (zipfile, docx) gets the mode back
        os.replace(tmp, target)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise BadInput(f"cannot write: {error.strerror}", file=path) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _target(path: Path, edit: bool) -> tuple[Path, int, bool]:
    """(where to write, the mode it gets, whether to write through instead of replacing)."""
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    if path.is_symlink() and not target.parent.is_dir():
        raise BadInput("is a symlink to a folder that does not exist", file=path)
    if not target.parent.is_dir():
        raise BadInput("the folder does not exist", file=target.parent, hint="create it first")
    try:
        info = os.stat(target)
    except FileNotFoundError:
        return target, _MODE.get(), False
    except OSError as error:
        raise BadInput(f"cannot write: {error.strerror}", file=path) from None
    if stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode):
        return target, 0, True
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise BadInput(f"is {kind}", file=path, hint="give a file name to write to")
    if not (edit or _OVERWRITE.get()):
        raise BadInput("exists already", file=path, hint="add --force to replace it, or choose another name")
    return target, stat.S_IMODE(info.st_mode), False


@contextmanager
def _to_device(target: Path) -> Iterator[Path]:
    """Write a FIFO or a device through: the content is made beside (privately), then copied in."""
    try:
        with open(target, "wb") as out, _to_stream(out) as tmp:
            yield tmp
    except OSError as error:
        raise BadInput(f"cannot write: {error.strerror}", file=target) from None


@contextmanager
def _to_stream(stream, drop_bom: bool = False) -> Iterator[Path]:
    folder = tempfile.mkdtemp(prefix="jhs-qual-")  # 0700: the content is private until copied out
    tmp = Path(folder) / "output"
    try:
        yield tmp
        with open(tmp, "rb") as handle:
            if not (drop_bom and handle.read(3) == codecs.BOM_UTF8):
                handle.seek(0)
            shutil.copyfileobj(handle, stream)
        stream.flush()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def read_bytes(path: Path) -> bytes:
    """The file's bytes, or one line naming it when it cannot be read."""
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise BadInput(f"cannot read: {error.strerror or error}", file=path) from None
