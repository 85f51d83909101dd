"""Coding from the command line, and the codings export."""

from __future__ import annotations

import functools
from pathlib import Path

import click

from jhs_qual.errors import BadInput
from jhs_qual.cli.base import (
    count,
    Output,
    _pseudonymiser,
    _write_atomically,
    cli,
    echo,
    force_option,
    open_project,
    output_options,
    plural,
    project_option,
    raw_csv_option,
)


# --- codings ---------------------------------------------------------------------------------------

def _parse_span(span: str) -> tuple[int, int]:
    start, sep, end = span.partition(":")
    if not sep or not start.strip().isdigit() or not end.strip().isdigit():
        raise BadInput(f"'{span}' is not START:END", field="--span", hint="e.g. --span 120:184 (characters)")
    if int(end) <= int(start):
        raise BadInput(f"'{span}' ends before it starts", field="--span",
                       hint=f"give the smaller number first: --span {end.strip()}:{start.strip()}")
    return int(start), int(end)


def _target(project, transcript_id: int, turn: int | None, span: str | None, *, also: str = "") -> tuple[int, int]:
    if (turn is None) == (span is None):
        raise BadInput(f"give exactly one of --turn N or --span START:END{also}", field="--turn/--span")
    if turn is not None:
        row = project.turn(transcript_id, turn)
        return row["content_start"], row["end"]
    return _parse_span(span)


@cli.group()
def code() -> None:
    """Add or remove codings from the command line."""


@code.command("add")
@click.argument("transcript")
@click.argument("code_ref", metavar="CODE")
@click.option("--turn", type=count(), help="Code the words of turn N (numbered from 1).")
@click.option("--span", help="Code characters START:END of the transcript text (end exclusive).")
@click.option("--coder", required=True, envvar="JHS_QUAL_CODER", help="Who codes (env JHS_QUAL_CODER).")
@click.option("--memo", default="", help="A memo on this coding.")
@project_option
def code_add(transcript: str, code_ref: str, turn: int | None, span: str | None, coder: str,
             memo: str, project_path: Path | None) -> None:
    """Code a turn or a span of TRANSCRIPT (name or id) with CODE (codebook/id or id)."""
    with open_project(project_path) as project:
        t = project.transcript(transcript)
        code_row = project.resolve_code(code_ref)
        project.require_applies(t["id"], code_row["codebook_id"])
        start, end = _target(project, t["id"], turn, span)
        coding_id, created = project.add_coding(t["id"], code_row["id"], coder, start, end, memo=memo)
    ref = f"{code_row['codebook_id']}/{code_row['code_id']}"
    where = f"turn {turn}" if turn is not None else f"{start}:{end}"
    verb = "coded" if created else "already coded"
    echo(f"{verb} {t['name']} {where} as {ref} by {coder} (coding {coding_id})")


@code.command("remove")
@click.argument("transcript")
@click.argument("code_ref", metavar="CODE")
@click.option("--turn", type=count(), help="The coding of turn N (numbered from 1).")
@click.option("--span", help="The coding of characters START:END.")
@click.option("--all", "remove_all", is_flag=True, help="Every coding of CODE by this coder in TRANSCRIPT.")
@click.option("--coder", required=True, envvar="JHS_QUAL_CODER", help="Whose coding (env JHS_QUAL_CODER).")
@project_option
def code_remove(transcript: str, code_ref: str, turn: int | None, span: str | None, remove_all: bool,
                coder: str, project_path: Path | None) -> None:
    """Remove a coding of CODE from TRANSCRIPT."""
    with open_project(project_path) as project:
        t = project.transcript(transcript)
        code_row = project.resolve_code(code_ref)
        if remove_all:
            if turn is not None or span is not None:
                raise BadInput("--all goes without --turn or --span", field="--all")
            found = project.find_codings(t["id"], code_row["id"], coder)
        else:
            start, end = _target(project, t["id"], turn, span, also=" (or --all)")
            found = project.find_codings(t["id"], code_row["id"], coder, start, end)
        if not found:
            raise BadInput(
                f"no such coding of {code_row['codebook_id']}/{code_row['code_id']} by {coder} in {t['name']}",
                hint="see them with 'jhs-qual codings export'",
            )
        removed = project.remove_codings([row["id"] for row in found])
    echo(f"removed {plural(removed, 'coding')}")


@cli.group()
def codings() -> None:
    """Every coding out to a sheet with its text, speaker and attributes, or in from one."""


@codings.command("export")
@output_options("csv", "xlsx")
@click.option("--coder", help="Only this coder's codings.")
@click.option("--no-pseudonymise", "raw", is_flag=True, help="Leave the names as they are (inside the team only).")
@project_option
@force_option
@raw_csv_option
def codings_export(out: Output, coder: str | None, raw: bool, project_path: Path | None) -> None:
    """One row per coding: transcript, turn, speaker, code, coder, start, end, text, memo,
    origin (manual: by hand; suggested: an accepted suggestion; auto: autocode), attributes.

    Names on the pseudonym list are replaced in every text column (start and
    end stay offsets into the stored text)."""
    with open_project(project_path) as project:
        if coder:
            project.require_coders([coder], "--coder")
        pseudonymiser = _pseudonymiser(project, raw)
        clean = pseudonymiser.apply if pseudonymiser else str
        texts = project.text_lookup()

        @functools.lru_cache(maxsize=1)  # rows come in transcript order
        def speech(transcript_id: int):
            return pseudonymiser.speech(texts[transcript_id], project.label_spans(transcript_id))

        keys = project.attribute_keys()
        attributes = project.attributes_by_transcript()
        used = [k for k in keys if any(k in a for a in attributes.values())]
        header = ["transcript", "turn", "speaker", "code", "coder", "start", "end", "text", "memo", "origin", *used]
        rows = [
            [clean(r["transcript"]), r["turn"], clean(r["speaker"] or ""), r["code"], r["coder"], r["start"], r["end"],
             speech(r["transcript_id"])(r["start"], r["end"]) if pseudonymiser else r["text"],
             clean(r["memo"]), r["origin"],
             *(clean(attributes.get(r["transcript_id"], {}).get(k, "")) for k in used)]
            for r in project.coding_rows(coder)
        ]
    if out.fmt == "xlsx":
        from jhs_qual.export.tables import write_xlsx

        write_xlsx(out.path, {"codings": (header, rows)})
    else:
        _write_atomically(out.path, header, rows)
    out.check_names(pseudonymiser)
    out.report(f"wrote {plural(len(rows), 'coding')} to {out.path}")


@codings.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@project_option
def codings_import(file: Path, project_path: Path | None) -> None:
    """Bring codings in from a sheet (.csv or .xlsx) with `codings export`'s columns: transcript,
    turn or start and end, code, coder, and optionally memo and origin (other columns are ignored).
    Every row is checked first (an unknown transcript or code, a turn or span outside the text, an
    unknown origin: row and column named); nothing is stored unless all of it can be. A coding
    that is here already is not added again, so importing a sheet twice adds nothing."""
    from jhs_qual.domain import ORIGINS
    from jhs_qual.survey.responses import read_table

    rows, warnings = read_table(file)
    for warning in warnings:
        echo(f"warning: {file}: {warning}", err=True)
    if not rows:
        raise BadInput("empty: a sheet of codings needs a header row", file=file)
    header_line, header = rows[0]
    header = [h.strip().lower() for h in header]
    needed = {"transcript", "code", "coder"}
    if not needed <= set(header) or not ("turn" in header or {"start", "end"} <= set(header)):
        raise BadInput("the columns transcript, code, coder and turn (or start and end) are needed", file=file,
                       line=header_line, hint="as 'jhs-qual codings export' writes them")
    column = {name: header.index(name) for name in header}
    with open_project(project_path) as project:
        names = {name: tid for tid, name in project.transcript_names().items()}
        found: list[tuple[int, int, str, int, int, str, str]] = []
        codes: dict[str, dict] = {}
        lengths: dict[int, int] = {}
        for line, cells in rows[1:]:
            if not any(c.strip() for c in cells):
                continue
            cell = {name: (cells[i].strip() if i < len(cells) else "") for name, i in column.items()}

            def refuse(message: str, name: str, hint: str | None = None):
                raise BadInput(message, file=file, line=line, field=name, hint=hint)

            if cell["transcript"] not in names:
                refuse(f"no transcript '{cell['transcript']}' in this project", "transcript",
                       "import it first; names are as 'jhs-qual transcripts' lists them")
            tid = names[cell["transcript"]]
            try:
                if cell["code"] not in codes:
                    codes[cell["code"]] = project.resolve_code(cell["code"])
                project.require_applies(tid, codes[cell["code"]]["codebook_id"])
            except BadInput as error:
                refuse(error.message, "code", error.hint)
            if not cell["coder"]:
                refuse("no coder", "coder")
            if cell.get("start") or cell.get("end"):
                if not (cell.get("start", "").isdigit() and cell.get("end", "").isdigit()):
                    refuse("start and end are character offsets (whole numbers)", "start")
                start, end = int(cell["start"]), int(cell["end"])
            elif cell.get("turn", "").isdigit():
                try:
                    turn = project.turn(tid, int(cell["turn"]))
                except BadInput as error:
                    refuse(error.message, "turn", error.hint)
                start, end = turn["content_start"], turn["end"]
            else:
                refuse("give the turn, or start and end", "turn")
            if tid not in lengths:  # each text read once, not once per row
                lengths[tid] = len(project.text_lookup()[tid])
            length = lengths[tid]
            if not 0 <= start < end <= length:
                refuse(f"span {start}:{end} is outside the text ({length} characters)", "start")
            origin = cell.get("origin") or "manual"
            if origin not in ORIGINS:
                refuse(f"origin '{origin}' is not one of {', '.join(ORIGINS)}", "origin")
            found.append((tid, codes[cell["code"]]["id"], cell["coder"], start, end, cell.get("memo", ""), origin))
        added = project.import_codings(found)
    echo(f"{plural(added, 'coding')} added from {file}" + (f"; {len(found) - added} already here" if len(found) > added
                                                             else ""))
