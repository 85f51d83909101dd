"""The errors the library raises; the CLI turns them into one line and an exit code.

`BadInput` (exit 2) is for anything the user can fix: a file, a line, a field.
`Failure` (exit 1) is for an operation that could not be carried out although
the input was well formed (a locked database, a disk that is full).
"""

from __future__ import annotations

from pathlib import Path


class JhsError(Exception):
    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ):
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.field = field
        self.hint = hint
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """`file:line: field: message; hint` with the parts that are known."""
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + ": "
        elif self.line:
            where = f"line {self.line}: "
        field = f"{self.field}: " if self.field else ""
        hint = f"; {self.hint}" if self.hint else ""
        return f"{where}{field}{self.message}{hint}"

    def __reduce__(self):  # whole when sent from a worker process (workers.py)
        return _rebuilt, (type(self), self.message, self.file, self.line, self.field, self.hint)


def _rebuilt(kind: type, message: str, file: str | None, line: int | None, field: str | None,
             hint: str | None) -> JhsError:
    return kind(message, file=file, line=line, field=field, hint=hint)


class BadInput(JhsError):
    exit_code = 2


class Failure(JhsError):
    exit_code = 1
