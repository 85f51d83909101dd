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
- `-` is standard output;
- the output is never the project file or an input of the command (`hold`), by
  inode and by resolved path: writing one over the other would lose it;
- the content reaches the disk (fsync) before the rename, and the rename the folder.
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

from jhs_qual.errors import BadInput, JhsError

DEFAULT_MODE = 0o600
_OVERWRITE: ContextVar[bool] = ContextVar("overwrite", default=False)
_MODE: ContextVar[int] = ContextVar("mode", default=DEFAULT_MODE)


_HELD: dict[tuple[int, int], str] = {}  # (device, inode) of what this command reads -> what it is
_HELD_PATHS: dict[str, str] = {}  # the same by resolved path, with a project's -wal, -shm and -journal
COMPANIONS = ("-wal", "-shm", "-journal")  # SQLite's files beside a project file


def hold(path: Path | str, what: str, *, companions: bool = False) -> None:
    """`path` is read by this command (`what`: "the project file", "an input of this command"):
    no output of it may replace or write into it."""
    real = os.path.realpath(path)
    for name in [real] + ([real + suffix for suffix in COMPANIONS] if companions else []):
        _HELD_PATHS[name] = what
    try:
        info = os.stat(path)
    except OSError:
        return
    _HELD[(info.st_dev, info.st_ino)] = what


INPUT = "an input of this command"
PROJECT = "the project file"


def release_held() -> None:
    """Forget what was held: a new command starts (several run in one process in tests)."""
    _HELD.clear()
    _HELD_PATHS.clear()


def _refuse_held(path: Path, target: Path, info: os.stat_result | None, edit: bool) -> None:
    what = _HELD_PATHS.get(os.path.realpath(target))
    if what is None and info is not None:
        what = _HELD.get((info.st_dev, info.st_ino))
    if what is not None and not (edit and what == INPUT):  # an edit in place writes what it read
        raise BadInput(f"is {what}", file=path, hint="write the output to a file of its own")


def overwrite(allowed: bool) -> None:
    """Whether this command may replace an existing file (its --force)."""
    _OVERWRITE.set(allowed)


def overwrite_allowed() -> bool:
    return _OVERWRITE.get()


def new_file_mode(mode: int) -> None:
    """The mode of the files this process creates (the config's [files] mode)."""
    _MODE.set(mode)


@contextmanager
def replacing(path: Path | str, *, edit: bool = False, database: bool = False) -> Iterator[Path]:
    """A temporary path to write to; when the block succeeds its content goes to `path`
    (see the module's rules), when it fails it is removed. `edit`: an edit in place of a
    file of ours, which may replace it without --force. `database`: the output is an SQLite
    file, so a replaced file's stale -wal, -shm and -journal go with it."""
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
    try:  # a short name: a valid 254-character file name leaves no room for a longer one
        handle, name = tempfile.mkstemp(prefix=".jhs-", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise BadInput(f"cannot write: {error.strerror}", file=path) from None
    os.close(handle)
    tmp = Path(name)
    try:
        os.chmod(tmp, mode)
        yield tmp
        os.chmod(tmp, mode)  # a writer that recreated the file (zipfile, docx) gets the mode back
        _sync(tmp)
        if database:
            for suffix in COMPANIONS:
                Path(str(target) + suffix).unlink(missing_ok=True)
        os.replace(tmp, target)
        _sync(target.parent)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise BadInput(f"cannot write: {error.strerror}", file=path) from None
    except JhsError as error:
        tmp.unlink(missing_ok=True)
        if error.file == str(tmp):  # the writer named the temporary file: name the output instead
            raise type(error)(error.message, file=path, line=error.line, field=error.field,
                              hint=error.hint) from None
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
        _refuse_held(path, target, None, edit)
        return target, _MODE.get(), False
    except OSError as error:
        raise BadInput(f"cannot write: {error.strerror}", file=path) from None
    _refuse_held(path, target, info, edit)
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


MiB = 1024 * 1024
MAX_INPUT = 64 * MiB  # a transcript of 64 MiB is some ten million words: far beyond any interview


def read_bytes(path: Path, limit: int = MAX_INPUT) -> bytes:
    """The file's bytes, or one line naming it when it cannot be read or is larger than
    `limit`. A regular file, or a pipe or device named on purpose (read up to the limit,
    never waiting for a writer that is not there); never a folder or a socket."""
    hold(path, INPUT)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO without a writer opens at once
    except OSError as error:
        missing = isinstance(error, FileNotFoundError)
        raise BadInput("no such file" if missing else f"cannot read: {error.strerror or error}", file=path) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise BadInput("is a folder", file=path, hint="give a file")
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode)):
            raise BadInput("is not a regular file", file=path, hint="give a file")
        if stat.S_ISREG(info.st_mode) and info.st_size > limit:
            _too_large(path, limit)
        os.set_blocking(fd, True)
        chunks, total = [], 0
        while chunk := os.read(fd, MiB):
            total += len(chunk)
            if total > limit:
                _too_large(path, limit)
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as error:
        raise BadInput(f"cannot read: {error.strerror or error}", file=path) from None
    finally:
        os.close(fd)


def _too_large(path: Path, limit: int):
    raise BadInput(f"larger than {limit // MiB} MiB, more than jhs-qual reads from one such file", file=path,
                   hint="check that it is the file you meant; split it if it really is this large")
