"""Recordings linked to transcripts (a mixin of `Project`).

The project keeps where a transcript's recording is, never the recording: an
interview's audio stays where the researcher keeps it (an encrypted drive,
the institution's share). With the path go the file's size, modification
time and SHA-256, so that a moved file ("missing") or another file in its
place ("changed") is said before anything plays it.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

from jhs_qual.errors import BadInput
from jhs_qual.store.common import now as _now

# What `import` links by itself when it sits beside a transcript with the same stem, and
# what `media link` takes without asking: audio and video that mpv and ffplay both play.
MEDIA_SUFFIXES = (".wav", ".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".flac", ".wma",
                  ".mp4", ".m4v", ".mkv", ".webm", ".mov", ".avi")


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def sibling_recording(transcript: Path) -> Path | None:
    """A recording beside the transcript with the same stem (interview-03.docx, interview-03.m4a)."""
    try:  # one listing per folder (as long as it does not change), not a stat per suffix per file
        recordings = _folder_recordings(str(transcript.parent), os.stat(transcript.parent).st_mtime_ns)
    except OSError:
        return None
    for name in recordings.get(transcript.stem, ()):
        candidate = transcript.with_name(name)
        if candidate.is_file():
            return candidate
    return None


@functools.lru_cache(maxsize=16)
def _folder_recordings(folder: str, changed: int) -> dict[str, list[str]]:
    """{stem: the names of recordings with that stem, in the order of MEDIA_SUFFIXES} in a folder
    as it was when last changed (an import of thousands of files looks in a few folders)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return {}
    rank = {suffix: n for n, suffix in enumerate(s for lower in MEDIA_SUFFIXES for s in (lower, lower.upper()))}
    found: dict[str, list[str]] = {}
    for name in names:
        stem, suffix = os.path.splitext(name)
        if suffix in rank:
            found.setdefault(stem, []).append(name)
    for same in found.values():
        same.sort(key=lambda name: rank[os.path.splitext(name)[1]])
    return found


class MediaStore:
    def unlinked_count(self) -> int:
        """Transcripts without a recording."""
        return self.db.execute("SELECT count(*) FROM transcripts WHERE id NOT IN (SELECT transcript_id FROM media)"
                               ).fetchone()[0]

    def link_media(self, transcript_id: int, path: Path) -> dict:
        """Link (or link again, after a move) the recording of a transcript. Returns the link."""
        path = Path(path).expanduser()
        if not path.is_file():
            raise BadInput("no such file", file=path, hint="give the recording's path (audio or video)")
        if path.suffix.lower() not in MEDIA_SUFFIXES:
            raise BadInput(f"not a recording jhs-qual knows ({path.suffix or 'no extension'})", file=path,
                           hint="audio or video: " + " ".join(s.lstrip(".") for s in MEDIA_SUFFIXES))
        path = path.resolve()
        stat = path.stat()
        digest = file_sha256(path)
        with self._write() as db:
            db.execute(
                "INSERT INTO media(transcript_id, path, size, mtime_ns, sha256, linked_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(transcript_id) DO UPDATE SET path = excluded.path, size = excluded.size,"
                " mtime_ns = excluded.mtime_ns, sha256 = excluded.sha256, linked_at = excluded.linked_at",
                [transcript_id, str(path), stat.st_size, stat.st_mtime_ns, digest, _now()])
        return self.media(transcript_id)

    def unlink_media(self, transcript_id: int) -> bool:
        with self._write() as db:
            return db.execute("DELETE FROM media WHERE transcript_id = ?", [transcript_id]).rowcount > 0

    def media(self, transcript_id: int) -> dict | None:
        """The link with its `state`: ok, missing (not at its path) or changed (another file there)."""
        row = self._one("SELECT m.*, t.name FROM media m JOIN transcripts t ON t.id = m.transcript_id"
                        " WHERE m.transcript_id = ?", [transcript_id])
        return _with_state(row) if row else None

    def media_links(self) -> list[dict]:
        rows = self.db.execute("SELECT m.*, t.name FROM media m JOIN transcripts t ON t.id = m.transcript_id"
                               " ORDER BY t.name").fetchall()
        columns = ("transcript_id", "path", "size", "mtime_ns", "sha256", "linked_at", "name")
        return [_with_state(dict(zip(columns, row))) for row in rows]

    def playable_media(self, transcript_id: int, name: str) -> Path:
        """The recording's path, or a BadInput saying what to do: none linked, moved, changed."""
        link = self.media(transcript_id)
        again = f"link it with 'jhs-qual media link {name} FILE'"
        if link is None:
            raise BadInput(f"no recording linked to '{name}'", field="TRANSCRIPT", hint=again)
        if link["state"] == "missing":
            raise BadInput("the recording is not there any more (moved or deleted)", file=link["path"],
                           hint=again.replace("link it", "link it again"))
        if link["state"] == "changed":
            raise BadInput("another file than the one linked is at this path (size or contents differ)",
                           file=link["path"], hint=again.replace("link it", "if it is the right one, link it again"))
        return Path(link["path"])


def _with_state(row: dict) -> dict:
    path = Path(row["path"])
    try:
        stat = path.stat()
    except OSError:
        return {**row, "state": "missing"}
    if stat.st_size != row["size"]:
        state = "changed"
    elif stat.st_mtime_ns == row["mtime_ns"]:
        state = "ok"  # same size and time: not read again (a recording may be gigabytes)
    else:
        state = "ok" if file_sha256(path) == row["sha256"] else "changed"
    return {**row, "state": state}
