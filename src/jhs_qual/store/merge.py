"""Bringing another project file's coding work into this one.

Each coder may code in a copy of the project on their own machine; `merge`
brings the other file's coders, codings and memos in:

- transcripts are matched by the sha256 of their text, never by name or id;
  a transcript the other file has and this one lacks comes along (with its
  turns and attributes), renamed `name_2` if its name is taken;
- codes are matched by `codebook/id`; a codebook this project lacks is loaded
  from the YAML stored in the other file; one it has in another version is
  reported, and every code the codings use must exist here;
- a coder's work on a transcript is added when this file holds none of it or
  a part of it (the other file is further along); when each file holds
  codings of that coder on that transcript that the other lacks, the coder
  worked in both: a conflict, reported and left as it is here (`union=True`
  adds the other file's codings that are missing here, never removes any);
- the same coding with another memo is a conflict too; this file's memo stays.

Everything is checked before anything is written, and written in one
transaction. Merging the same file twice adds nothing the second time.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from jhs_qual.codebook import check_together, parse_codebook
from jhs_qual.errors import BadInput
from jhs_qual.files import INPUT, hold
from jhs_qual.store.common import now as _now
from jhs_qual.store.project import Project, problems, verified_connection

@dataclass
class MergeReport:
    codebooks_added: list[str] = field(default_factory=list)
    codebooks_differing: list[str] = field(default_factory=list)
    transcripts_added: list[str] = field(default_factory=list)
    coders_added: list[str] = field(default_factory=list)
    codings_added: int = 0
    memos_added: int = 0
    conflicts: list[str] = field(default_factory=list)


def _open_read_only(path: Path) -> sqlite3.Connection:
    def connect(target: Path) -> sqlite3.Connection:
        from urllib.parse import quote

        # The path is percent-encoded: '%41', '#' or '?' in a file name are part of the name, not of the URI.
        conn = sqlite3.connect(f"file:{quote(str(Path(target).absolute()))}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        return conn

    hold(path, INPUT, companions=True)
    return verified_connection(path, connect, hint="upgrade jhs-qual to merge it")


def merge(project: Project, other_path: Path, *, coder: str | None = None, union: bool = False) -> MergeReport:
    other_path = Path(other_path)
    if other_path.resolve() == project.path.resolve():
        raise BadInput("cannot merge a project into itself", file=other_path)
    other = _open_read_only(other_path)
    damage = problems(other)  # the same check as 'jhs-qual check', in full
    if damage:
        other.close()
        raise BadInput(f"the file to merge is damaged: {damage[0]}"
                       + (f" (and {len(damage) - 1} more problem(s))" if len(damage) > 1 else ""),
                       file=other_path, hint="run 'jhs-qual check' on it, or ask for a new copy; nothing was merged")
    try:
        return _merge(project, other, other_path, coder, union)
    finally:
        other.close()


def _merge(project: Project, other: sqlite3.Connection, other_path: Path, coder: str | None,
           union: bool) -> MergeReport:
    report = MergeReport()
    coders = [r[0] for r in other.execute("SELECT name FROM coders ORDER BY name")]
    if coder is not None:
        if coder not in coders:
            raise BadInput(f"no coder '{coder}' in {other_path.name}", field="--coder",
                           hint=f"coders there: {', '.join(coders) or 'none'}")
        coders = [coder]
    codings = [dict(r) for r in other.execute(
        "SELECT t.sha256, c.transcript_id, k.codebook_id, k.code_id, cd.name AS coder, c.start, c.end, c.memo,"
        " c.origin, c.created_at, c.updated_at FROM codings c JOIN transcripts t ON t.id = c.transcript_id"
        " JOIN codes k ON k.id = c.code_id JOIN coders cd ON cd.id = c.coder_id"
        " WHERE cd.name IN (SELECT value FROM json_each(?))", [json.dumps(coders)])]
    spans = ("m.start, m.end" if {"start", "end"} <= {r[1] for r in other.execute("PRAGMA table_info(memos)")}
             else "NULL AS start, NULL AS end")  # a file of before m005 has no memos on turns
    memos = [dict(r) for r in other.execute(
        f"SELECT m.title, m.text, m.created_at, m.updated_at, {spans}, cd.name AS coder, t.sha256, k.codebook_id,"
        " k.code_id"
        " FROM memos m JOIN coders cd ON cd.id = m.coder_id LEFT JOIN transcripts t ON t.id = m.transcript_id"
        " LEFT JOIN codes k ON k.id = m.code_id WHERE cd.name IN (SELECT value FROM json_each(?))",
        [json.dumps(coders)])]

    # --- codebooks: what the codings use must exist here (or come along whole) -------------------
    used_codes = {(c["codebook_id"], c["code_id"]) for c in codings}
    used_codes |= {(m["codebook_id"], m["code_id"]) for m in memos if m["codebook_id"]}
    ours = {r["id"]: r["yaml_sha256"] for r in project.codebooks()}
    our_codes = {(r["codebook_id"], r["code_id"]) for r in project.codes()}
    to_load = []
    for book_id in sorted({b for b, _ in used_codes}):
        row = other.execute("SELECT yaml, yaml_sha256, source_name FROM codebooks WHERE id = ?", [book_id]).fetchone()
        if book_id not in ours:
            to_load.append(parse_codebook(row["yaml"], row["source_name"], sha256=row["yaml_sha256"]))
            report.codebooks_added.append(book_id)
            continue
        if ours[book_id] != row["yaml_sha256"]:
            report.codebooks_differing.append(book_id)
        missing = sorted(c for b, c in used_codes if b == book_id and (b, c) not in our_codes)
        if missing:
            raise BadInput(
                f"codebook '{book_id}' here lacks code(s) the other file's codings use: {', '.join(missing)}",
                file=other_path, hint="load the newer version of the codebook here first, then merge",
            )
    if to_load:
        check_together([project._stored_codebook(b) for b in ours] + to_load)

    # --- transcripts, by content ------------------------------------------------------------------------
    here = {r[0]: r[1] for r in project.db.execute("SELECT sha256, id FROM transcripts")}
    names = {r[0] for r in project.db.execute("SELECT name FROM transcripts")}
    known_keys = set(project.attribute_keys())
    needed = sorted({c["sha256"] for c in codings} | {m["sha256"] for m in memos if m["sha256"]})
    new_transcripts = []
    for sha in needed:
        if sha in here:
            continue
        row = dict(other.execute("SELECT * FROM transcripts WHERE sha256 = ?", [sha]).fetchone())
        name, n = row["name"], 1
        while name in names:
            n += 1
            name = f"{row['name']}_{n}"
        names.add(name)
        turns = other.execute("SELECT idx, speaker, start, content_start, end, ts_start, ts_end FROM turns"
                              " WHERE transcript_id = ? ORDER BY idx", [row["id"]]).fetchall()
        attributes = {r["key"]: r["value"] for r in other.execute(
            "SELECT key, value FROM transcript_attributes WHERE transcript_id = ?", [row["id"]])}
        unknown = sorted(set(attributes) - known_keys)
        if unknown:
            raise BadInput(f"transcript '{row['name']}' has attribute(s) unknown here: {', '.join(unknown)}",
                           file=other_path, hint=f"add them with 'jhs-qual attributes --add {unknown[0]}'")
        new_transcripts.append((sha, name, row, turns, attributes))
        report.transcripts_added.append(name if name == row["name"] else f"{row['name']} (as {name})")

    # --- conflicts: the same coder's work on the same transcript, in both files ---------------------------
    existing: dict[tuple[str, str], dict[tuple, str]] = defaultdict(dict)
    for r in project.db.query(
        "SELECT t.sha256, cd.name AS coder, k.codebook_id, k.code_id, c.start, c.end, c.memo FROM codings c"
        " JOIN transcripts t ON t.id = c.transcript_id JOIN codes k ON k.id = c.code_id"
        " JOIN coders cd ON cd.id = c.coder_id WHERE cd.name IN (SELECT value FROM json_each(?))",
        [json.dumps(coders)],
    ):
        existing[(r["sha256"], r["coder"])][(r["codebook_id"], r["code_id"], r["start"], r["end"])] = r["memo"]
    incoming: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for c in codings:
        incoming[(c["sha256"], c["coder"])].append(c)
    other_names = {r[0]: r[1] for r in other.execute("SELECT sha256, name FROM transcripts")}
    to_add = []
    for (sha, who), rows in sorted(incoming.items()):
        mine = existing.get((sha, who), {})
        theirs = {(c["codebook_id"], c["code_id"], c["start"], c["end"]): c for c in rows}
        for key, c in theirs.items():
            if key in mine and mine[key] != c["memo"]:
                report.conflicts.append(
                    f"{who} on {other_names[sha]}: coding {key[0]}/{key[1]} {key[2]}:{key[3]} has another memo"
                    " there; kept the memo here")
        missing_here = [c for key, c in theirs.items() if key not in mine]
        only_here = len(set(mine) - set(theirs))
        if missing_here and only_here:
            # Both files hold work of this coder the other lacks: edited in both.
            note = (f"{who} coded {other_names[sha]} differently in both files "
                    f"({len(missing_here)} coding(s) only there, {only_here} only here)")
            if not union:
                report.conflicts.append(note + "; left as it is here (merge with --union to add theirs)")
                continue
            report.conflicts.append(note + "; added theirs (--union)")
        to_add += missing_here

    # --- write, all at once ------------------------------------------------------------------------------------
    with project._batch(), project._codings_in_bulk():
        for book in to_load:
            project._put_codebook(book, replacing=False)
        for sha, name, row, turns, attributes in new_transcripts:
            here[sha] = project._put_transcript(
                name, row["text"], row["format"], turns, attributes,
                source_name=row["source_name"], source_sha256=row["source_sha256"], imported_at=row["imported_at"],
            )
        code_ids = {(r["codebook_id"], r["code_id"]): r["id"] for r in project.codes()}
        before = set(project_coders(project))
        coder_ids = {}
        for c in to_add:
            who = c["coder"]
            if who not in coder_ids:
                coder_ids[who] = project._coder_id(who)
            report.codings_added += project._insert_codings([
                (here[c["sha256"]], code_ids[(c["codebook_id"], c["code_id"])], coder_ids[who],
                 c["start"], c["end"], c["memo"], c["origin"], c["created_at"], c["updated_at"])])
        for m in memos:
            coder_id = coder_ids.get(m["coder"]) or project._coder_id(m["coder"])
            transcript_id = here.get(m["sha256"]) if m["sha256"] else None
            code_id = code_ids.get((m["codebook_id"], m["code_id"])) if m["codebook_id"] else None
            report.memos_added += project._add_memo_once(
                coder_id, transcript_id, code_id, m["start"], m["end"], m["title"], m["text"],
                m["created_at"] or _now(), m["updated_at"] or _now())
        report.coders_added = sorted(set(project_coders(project)) - before)
    return report


def project_coders(project: Project) -> list[str]:
    return [r[0] for r in project.db.execute("SELECT name FROM coders")]


def export_coder(project: Project, coder: str, target: Path) -> MergeReport:
    """A new, small project file with one coder's work: the transcripts they
    coded, their codings and memos, and every codebook (to go on coding with)."""
    if coder not in project_coders(project):
        raise BadInput(f"no coder '{coder}' in this project", field="NAME")
    fresh = Project.create(target)
    try:
        with fresh._write():
            fresh._set_setting("interviewers", project.interviewers())
            fresh._set_setting("attribute_keys", project.attribute_keys())
            for row in project.db.query("SELECT yaml, yaml_sha256, source_name FROM codebooks ORDER BY loaded_at"):
                book = parse_codebook(row["yaml"], row["source_name"], sha256=row["yaml_sha256"])
                fresh._put_codebook(book, replacing=False)
        return merge(fresh, project.path, coder=coder)
    except BaseException:
        fresh.close()
        for suffix in ("", "-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        raise
    finally:
        fresh.close()
