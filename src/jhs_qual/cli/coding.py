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


def _target(project, transcript_id: int, turn: int | None, span: str | None) -> tuple[int, int]:
    if (turn is None) == (span is None):
        raise BadInput("give exactly one of --turn N or --span START:END", field="--turn/--span")
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
            start, end = _target(project, t["id"], turn, span)
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
    """Export every coding with its text, speaker and attributes."""


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
