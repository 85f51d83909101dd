"""The coders who may sign in to `jhs-qual serve`: a side file beside the project.

`study.jhsq` has its coders in `study.jhsq.users` (JSON, readable by its owner
only, written beside and renamed). It is a side file on purpose: a project file
sent to a colleague, exported or merged carries no password hashes. Passwords
are kept as argon2id hashes (argon2-cffi's defaults, RFC 9106's second
recommended setting: 64 MiB, 3 passes); a name signs in as the coder of that
name, so the codings made in the browser carry it.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime, timezone
from pathlib import Path

from jhs_qual.errors import BadInput
from jhs_qual.files import read_bytes, replacing

VERSION = 1
MIN_PASSWORD = 10
ROLES = ("lead", "coder")
_DUMMY: str | None = None  # see Users.warm  # a lead also removes transcripts, edits shared codes, builds consensus
MAX_NAME = 64


def users_path(project_path: Path) -> Path:
    return Path(str(project_path) + ".users")


def check_name(name: str) -> str:
    """A coder name as typed on the login page: stripped, printable, at most 64 characters."""
    name = unicodedata.normalize("NFC", name.strip())
    if not name:
        raise BadInput("a coder name may not be empty", field="NAME")
    if len(name) > MAX_NAME or any(unicodedata.category(c)[0] in "CZ" and c != " " for c in name):
        raise BadInput(f"coder name {name[:MAX_NAME]!r} is not usable: at most {MAX_NAME} characters, "
                       "no tabs, newlines or other control characters", field="NAME")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise BadInput(f"'{role}' is not a role", field="--role", hint="lead or coder")
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise BadInput(f"a password needs at least {MIN_PASSWORD} characters", field="password",
                       hint="a few unrelated words make a long password that is easy to type")
    return password


class Users:
    """The users file of one project: names -> argon2id hashes."""

    def __init__(self, path: Path, users: dict[str, dict]):
        from argon2 import PasswordHasher

        self.path = path
        self.users = users
        self._hasher = PasswordHasher()

    @classmethod
    def load(cls, project_path: Path) -> Users:
        path = users_path(project_path)
        if not path.exists():
            return cls(path, {})
        try:
            data = json.loads(read_bytes(path).decode("utf-8"))
            users = data["users"]
            if data.get("version") != VERSION or not isinstance(users, dict) or not all(
                    isinstance(v, dict) and isinstance(v.get("hash"), str) for v in users.values()):
                raise ValueError("not a users file of this version")
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
            raise BadInput(f"the users file cannot be read: {error}", file=path,
                           hint="remove it and add the coders again with `jhs-qual users add NAME`") from None
        return cls(path, users)

    @staticmethod
    def warm() -> str:
        """The hash an unknown name is checked against, made once per process (the server makes
        it before anyone signs in), so that an unknown name takes as long as a wrong password."""
        global _DUMMY
        if _DUMMY is None:
            from argon2 import PasswordHasher

            _DUMMY = PasswordHasher().hash("not a password of anyone's")
        return _DUMMY

    def names(self) -> list[str]:
        return sorted(self.users)

    def add(self, name: str, password: str, *, replace: bool = False, role: str = "coder") -> None:
        name = check_name(name)
        if name in self.users and not replace:
            raise BadInput(f"coder {name!r} can sign in already", field="NAME",
                           hint="give a new password with `jhs-qual users add --replace NAME`")
        self.users[name] = {"hash": self._hasher.hash(check_password(password)), "role": check_role(role),
                            "added": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        self._save()

    def role(self, name: str) -> str:
        """'lead' or 'coder' (an entry from before roles is a coder)."""
        return self.users.get(name, {}).get("role", "coder")

    def set_role(self, name: str, role: str) -> None:
        if name not in self.users:
            raise BadInput(f"no coder {name!r} in {self.path.name}", field="NAME",
                           hint=f"the coders who can sign in: {', '.join(self.names()) or 'none'}")
        self.users[name]["role"] = check_role(role)
        self._save()

    def remove(self, name: str) -> None:
        if name not in self.users:
            raise BadInput(f"no coder {name!r} in {self.path.name}", field="NAME",
                           hint=f"the coders who can sign in: {', '.join(self.names()) or 'none'}")
        del self.users[name]
        self._save()

    def verify(self, name: str, password: str) -> bool:
        """Whether `password` is `name`'s; as slow for an unknown name as for a wrong password."""
        from argon2.exceptions import InvalidHashError, VerificationError

        entry = self.users.get(name)
        try:
            return self._hasher.verify(entry["hash"] if entry else Users.warm(), password) and entry is not None
        except (VerificationError, InvalidHashError):
            return False

    def _save(self) -> None:
        data = {"version": VERSION, "users": self.users}
        with replacing(self.path, edit=True) as tmp:
            tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
