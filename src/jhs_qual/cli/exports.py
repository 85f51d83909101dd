"""Quote sheets, the pseudonym list, summaries: what leaves the project for the report."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import click

from jhs_qual.errors import BadInput
from jhs_qual.cli.base import (
    count,
    Output,
    _pseudonymiser,
    _resolve_codes,
    _table,
    cli,
    echo,
    force_option,
    open_project,
    output_options,
    plural,
    project_option,
    raw_csv_option,
)


# --- quote sheets and pseudonyms ---------------------------------------------------------------------

# Words that are capitalised mid-sentence in Dutch transcripts without being names.
_NOT_NAMES = {"ik", "juf", "meester", "meneer", "mevrouw", "mentor", "interviewer", "leerling", "leraar",
              "jeugdhulpverlener", "oké", "ok", "haha", "corona", "snapchat", "whatsapp", "youtube", "instagram",
              # languages and nationalities, capitalised in Dutch ("les Nederlands")
              "nederlands", "engels", "frans", "duits", "spaans", "turks", "arabisch", "pools", "marokkaans",
              "nederlander", "nederland"}


def _warn_names(pseudonymiser, texts: Callable[[], Iterable[str]], project) -> None:
    """Warnings on names left in the texts; `texts` gives them afresh for each of the two checks."""
    from jhs_qual.export.pseudonyms import Pseudonymiser

    checker = pseudonymiser or Pseudonymiser([])
    if pseudonymiser:
        leaked = pseudonymiser.leaks(texts())
        if leaked:
            echo(f"warning: names on the pseudonym list are still in the output: {', '.join(leaked)}; "
                       "do not share it, and report this as a bug", err=True)
    speakers = project.speakers()
    common = _NOT_NAMES | {w.lower() for s in speakers for w in s.split()}
    suspects = checker.suspects(texts(), common)
    if suspects:
        shown = ", ".join(suspects[:20]) + (f" and {len(suspects) - 20} more" if len(suspects) > 20 else "")
        echo(f"warning: words that may be names and are not on the pseudonym list: {shown}; "
                   "add them with 'jhs-qual pseudonyms add NAME REPLACEMENT'", err=True)


def _where_options(where: tuple[str, ...], project) -> dict[str, str]:
    """--where ATTR=VALUE pairs, each naming an attribute and a value some transcript has (a value
    no transcript has would give an empty sheet that looks like an answer)."""
    from jhs_qual.ingest.attributes import check_key

    result = {}
    values: dict[str, set[str]] = {}
    for attributes in project.attributes_by_transcript().values():
        for key, value in attributes.items():
            values.setdefault(key, set()).add(value)
    for pair in where:
        key, sep, value = pair.partition("=")
        if not sep:
            raise BadInput(f"'{pair}' is not ATTR=VALUE", field="--where", hint="e.g. --where school_type=PO")
        key = check_key(key, project.attribute_keys(), field="--where")
        if value.lower() not in {v.lower() for v in values.get(key, ())}:
            shown = ", ".join(sorted(values.get(key, ())))
            raise BadInput(f"no transcript has {key}={value}", field="--where",
                           hint=f"the values of {key}: {shown}" if shown else f"no transcript has a value for {key}")
        result[key] = value
    return result


@cli.command()
@click.option("--code", "code_refs", multiple=True, metavar="CODE", help="A theme (repeatable; default: all codes).")
@click.option("--children", is_flag=True, help="Also the codes under the chosen ones.")
@click.option("--where", multiple=True, metavar="ATTR=VALUE", help="Only transcripts with this attribute (repeatable).")
@click.option("--coder", help="Only this coder's codings (e.g. the consensus coder).")
@click.option("--limit", type=count(), help="At most this many quotes per theme.")
@click.option("--min-length", type=count(0), default=0, help="Leave out quotes shorter than this (characters).")
@click.option("--max-length", type=count(), help="Leave out quotes longer than this (characters).")
@click.option("--context", is_flag=True, help="Show the turn before each quote.")
@output_options("md", "docx", "xlsx", "csv", "html")
@click.option("--title", default="Quotes per theme", show_default=True)
@click.option("--no-pseudonymise", "raw", is_flag=True,
              help="Leave the names as they are. Only for use inside the research team.")
@project_option
@force_option
@raw_csv_option
def quotes(code_refs, children, where, coder, limit, min_length, max_length, context, out: Output, title, raw,
           project_path) -> None:
    """Quote sheets: the verbatim quotes per theme with who said them, pseudonymised."""
    from jhs_qual.export.quotes import gather, write

    with open_project(project_path) as project:
        if coder:
            project.require_coders([coder], "--coder")
        codes = _resolve_codes(project, code_refs)
        pseudonymiser = _pseudonymiser(project, raw)
        themes = gather(project, codes=codes, with_children=children, where=_where_options(where, project),
                        coder=coder, limit=limit, min_length=min_length, max_length=max_length, context=context,
                        pseudonymiser=pseudonymiser)
        write(themes, out.path, out.fmt, title)
        out.check_names(pseudonymiser)
        total = sum(len(t.quotes) for t in themes)
        out.report(f"wrote {out.path}: {plural(total, 'quote')} in {plural(sum(1 for t in themes if t.quotes), 'theme')}"
                   + ("" if raw else f", pseudonymised ({len(project.pseudonyms())} names on the list)"))
        if raw:
            echo("warning: NOT pseudonymised; keep this file inside the research team", err=True)
        _warn_names(pseudonymiser, lambda: (f"{q.text} {q.context}" for t in themes for q in t.quotes), project)


SUMMARY_TABLES = ("codes", "by", "cooccurrence", "transcripts")  # in the order summary makes them


@cli.command()
@click.option("--by", "by", default="school_type", show_default=True, metavar="ATTR",
              help="The attribute to break the counts down by.")
@click.option("--coder", help="Only this coder's codings (e.g. the consensus coder, or auto; default: people's).")
@click.option("--all-coders", is_flag=True,
              help="Every coder's codings, autocode's and consensus coders' too (default: people's only).")
@click.option("--cooccurrence", type=click.Choice(["overlap", "turn"]), default="overlap", show_default=True,
              help="Codes co-occur on overlapping spans, or within the same turn.")
@output_options("table", "md", "csv", "xlsx", "html")
@click.option("--table", "only", type=click.Choice(SUMMARY_TABLES),
              help="Only this table: codes, by (the attribute), cooccurrence or transcripts (code x transcript). "
                   "A CSV holds one table, so it needs this.")
@click.option("--no-pseudonymise", "raw", is_flag=True, help="Leave names in transcript names and labels as they are.")
@project_option
@force_option
@raw_csv_option
def summary(by: str, coder: str | None, all_coders: bool, cooccurrence: str, out: Output, only: str | None,
            raw: bool, project_path: Path | None) -> None:
    """Which themes come up, for whom, how often: per code, by attribute, co-occurrence, per transcript.

    Of people's codings by default: autocode's and consensus coders' are left out
    (a consensus repeats its coders' codings); --coder NAME for one coder (a consensus
    coder, or auto, too), --all-coders for everything. A code's share of a group's
    transcripts counts only the transcripts its codebook applies to."""
    from jhs_qual.export import tables
    from jhs_qual.ingest.attributes import check_key

    if coder and all_coders:
        raise BadInput("--coder and --all-coders exclude each other", field="--all-coders")
    if out.fmt == "csv" and only is None:
        raise BadInput("a CSV holds one table and the summary has four: choose one with --table codes, by, "
                       "cooccurrence or transcripts", field="--table", hint="or write them all: -o summary.xlsx "
                       "(or .md, .html)")
    with open_project(project_path) as project:
        by = check_key(by, project.attribute_keys(), field="--by")
        if coder:
            project.require_coders([coder], "--coder")
        dangling = project.codings_without_code()
        if dangling:
            echo(f"warning: left out {plural(dangling, 'coding')} whose code is not in the project; "
                 "run 'jhs-qual check'", err=True)
        result, codes = project.summary(by, coder, all_coders=all_coders, cooccurrence=cooccurrence)
        labels = [(f"{c['codebook_id']}/{c['code_id']}", c["label_nl"]) for c in codes]
        colours = {f"{c['codebook_id']}/{c['code_id']}": c["colour"] for c in codes}
        name = project.path.stem
        pseudonymiser = _pseudonymiser(project, raw)
    used = [(ref, label) for ref, label in labels if result.totals[ref]["codings"]]
    sheets = {
        "codes": (["code", "label", "codings", "transcripts", "speakers"],
                  [[ref, label, *result.totals[ref].values()] for ref, label in used]),
        f"by {by}": (["code", "label", *(f"{plural(v, 'coding')}" for v in result.values),
                      *(f"{v} % of its transcripts" for v in result.values)],
                     [[ref, label, *(result.breakdown[ref][v]["codings"] for v in result.values),
                       *(f"{100 * result.breakdown[ref][v]['share']:.0f} (of {result.breakdown[ref][v]['of']})"
                         if result.breakdown[ref][v]["of"] else "n/a" for v in result.values)]
                      for ref, label in used]),
        f"co-occurrence ({cooccurrence})": (["code", *(ref for ref, _ in used)],
                                            [[a, *(result.cooccurrence.get(tuple(sorted((a, b))), 0) if a != b else ""
                                                   for b, _ in used)] for a, _ in used]),
        "code x transcript": (["code", *result.transcripts],
                              [[ref, *(result.per_transcript[ref].get(t, 0) for t in result.transcripts)]
                               for ref, _ in used]),
    }
    if only is not None:
        sheets = dict([list(sheets.items())[SUMMARY_TABLES.index(only)]])
    if pseudonymiser:
        sheets = {title: ([pseudonymiser.apply(str(h)) for h in header],
                          [[pseudonymiser.apply(v) if isinstance(v, str) else v for v in row] for row in rows])
                  for title, (header, rows) in sheets.items()}
    who = f"coder {coder}" if coder else "all coders" if all_coders else "people (no autocode, no consensus coders)"
    notes = [f"{name}: {plural(len(result.transcripts), 'transcript')}, {sum(t['codings'] for t in result.totals.values())} "
             f"codings by {who}; broken down by {by}; a share is of the transcripts with that value that the "
             "code's codebook applies to"]
    fmt, output = out.fmt, out.path
    if fmt == "table":
        from rich.console import Console
        from rich.table import Table

        console = Console(width=None if sys.stdout.isatty() else 200)  # piped: never cut a code
        console.print(notes[0])
        for title, (header, rows) in list(sheets.items())[:3]:
            table = Table(title=title, title_justify="left", header_style="bold")
            for i, name in enumerate(header):
                table.add_column(str(name), justify="left" if i < 2 else "right", no_wrap=i == 0)
            for row in rows:
                table.add_row(*(str(v) for v in row))
            console.print(table if rows else f"{title}: no codings")
        if "code x transcript" in sheets:  # a column per transcript: for a file, not a terminal
            console.print(f"code x transcript: {plural(len(result.transcripts), 'transcript column')}; write it "
                          "with -o summary.xlsx (or .md, .html), or --table transcripts")
        return
    if fmt == "md":
        tables.write_markdown(output, f"Summary: {name}", sheets, notes)
    elif fmt == "csv":
        tables.write_csv(output, next(iter(sheets.values())))  # --table chose it
    elif fmt == "xlsx":
        tables.write_xlsx(output, sheets, notes)
    else:
        clean = pseudonymiser.apply if pseudonymiser else str  # the charts name what the tables name
        charts = [tables.bar_chart(clean(f"{by} = {v}: codings per code"),
                                   [(clean(label), result.breakdown[ref][v]["codings"], colours[ref])
                                    for ref, label in used])
                  for v in result.values]
        charts.append(tables.heat_map(f"co-occurrence ({cooccurrence})", [ref for ref, _ in used],
                                      result.cooccurrence))
        tables.write_html(output, f"Summary: {name}", sheets, charts, notes)
    out.check_names(pseudonymiser)
    out.report(f"wrote {output}: {plural(len(used), 'code')}, {len(sheets)} tables")


@cli.group()
def pseudonyms() -> None:
    """The project's list of names and their replacements, applied to every export."""


@pseudonyms.command("add")
@click.argument("name")
@click.argument("replacement")
@click.option("--variant", "variants", multiple=True, help="Another spelling or nickname of NAME (repeatable).")
@project_option
def pseudonyms_add(name: str, replacement: str, variants: tuple[str, ...], project_path: Path | None) -> None:
    """Replace NAME (and its variants) with REPLACEMENT in every export."""
    from jhs_qual.export.pseudonyms import Pseudonym

    with open_project(project_path) as project:
        changes = project.add_pseudonyms([Pseudonym(name, replacement, variants)])
    echo("\n".join(changes) or f"{name} -> {replacement}: on the list already")


@pseudonyms.command("remove")
@click.argument("names", nargs=-1, required=True)
@project_option
def pseudonyms_remove(names: tuple[str, ...], project_path: Path | None) -> None:
    """Take NAMES (and their variants) off the list."""
    with open_project(project_path) as project:
        removed = project.remove_pseudonyms(list(names))
    echo(f"removed {', '.join(removed)}; exports no longer replace them")


@pseudonyms.command("list")
@project_option
def pseudonyms_list(project_path: Path | None) -> None:
    """The names on the list and their replacements."""
    with open_project(project_path) as project:
        rows = [[p.name, p.replacement, ", ".join(p.variants)] for p in project.pseudonyms()]
    echo(_table(rows, ["name", "replacement", "variants"]) if rows else "the list is empty")


@pseudonyms.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@project_option
def pseudonyms_import(file: Path, project_path: Path | None) -> None:
    """Add names from a YAML file: 'Sanne: Lotte' or 'Sanne: {replacement: Lotte, variants: [Saan]}'."""
    from jhs_qual.export.pseudonyms import read_pseudonym_file

    entries = read_pseudonym_file(file)
    with open_project(project_path) as project:
        changes = project.add_pseudonyms(entries)
    for change in changes:
        echo(change)
    echo(f"{plural(len(entries), 'name')} read, {plural(len(changes), 'change')}; variants already listed are kept")


@cli.group()
def memos() -> None:
    """Every memo with what it belongs to: the project, a code, a transcript, a turn, a coding."""


def _memo_table(project, coder: str | None, pseudonymiser) -> tuple[list[str], list[list]]:
    clean = pseudonymiser.apply if pseudonymiser else str
    header = ["kind", "transcript", "turn", "code", "coder", "title", "memo", "updated"]
    rows = [[m["kind"], clean(m["transcript"]), m["turn"] or "", m["code"], m["coder"], clean(m["title"]),
             clean(m["text"]), m["updated_at"] or ""] for m in project.memo_rows(coder)]
    return header, rows


@memos.command("list")
@click.option("--coder", help="Only this coder's memos.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per memo.")
@click.option("--no-pseudonymise", "raw", is_flag=True, help="Leave names as they are (inside the team only).")
@project_option
def memos_list(coder: str | None, as_json: bool, raw: bool, project_path: Path | None) -> None:
    """List every memo with what it belongs to (names pseudonymised, as in every export)."""
    import json

    with open_project(project_path) as project:
        if coder:
            project.require_coders([coder], "--coder")
        header, rows = _memo_table(project, coder, _pseudonymiser(project, raw))
    if as_json:
        for row in rows:
            echo(json.dumps(dict(zip(header, row)), ensure_ascii=False))
        return
    if not rows:
        echo("no memos")
        return
    echo(_table([[str(c).replace("\n", " ")[:80] for c in row] for row in rows], header))


@memos.command("export")
@output_options("md", "csv", "xlsx", "docx", needs_file=True)
@click.option("--coder", help="Only this coder's memos.")
@click.option("--no-pseudonymise", "raw", is_flag=True, help="Leave names as they are (inside the team only).")
@project_option
@force_option
@raw_csv_option
def memos_export(out: Output, coder: str | None, raw: bool, project_path: Path | None) -> None:
    """Write every memo with what it belongs to, pseudonymised like the quote sheets."""
    from jhs_qual.export import tables

    with open_project(project_path) as project:
        if coder:
            project.require_coders([coder], "--coder")
        pseudonymiser = _pseudonymiser(project, raw)
        header, rows = _memo_table(project, coder, pseudonymiser)
        name = project.path.stem
    sheets = {"memos": (header, rows)}
    notes = [f"{name}: {plural(len(rows), 'memo')}" + (f" by {coder}" if coder else "")]
    if out.fmt == "md":
        tables.write_markdown(out.path, f"Memos: {name}", sheets, notes)
    elif out.fmt == "csv":
        tables.write_csv(out.path, (header, rows))
    elif out.fmt == "xlsx":
        tables.write_xlsx(out.path, sheets, notes)
    else:
        tables.write_docx(out.path, f"Memos: {name}", sheets, notes)
    out.check_names(pseudonymiser)
    out.report(f"wrote {out.path}: {plural(len(rows), 'memo')}")
