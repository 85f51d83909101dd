"""Exchange with colleagues and other tools: merge, export-coder, .qdpx export and import."""

from __future__ import annotations

from pathlib import Path

import click

from jhs_qual.cli.base import (
    Output,
    cli,
    echo,
    force_option,
    open_project,
    output_options,
    plural,
    project_option,
)


@cli.command()
@click.argument("other", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--coder", help="Only this coder's work.")
@click.option("--union", is_flag=True,
              help="Where the same coder coded a transcript differently in both files, add theirs too.")
@project_option
def merge(other: Path, coder: str | None, union: bool, project_path: Path | None) -> None:
    """Bring another project file's coders, codings and memos into this project.

    Transcripts are matched by content, codes by codebook/id. Conflicts (the
    same coder's work on the same transcript differing between the files) are
    reported and left as they are here. Merging the same file twice adds nothing.
    """
    from jhs_qual.store.merge import merge as run_merge

    with open_project(project_path) as project:
        project.require_sound("merged")
        report = run_merge(project, other, coder=coder, union=union)
    _print_merge(report)


@cli.command("export-coder")
@click.argument("name")
@output_options("jhsq", file_help="The new project file to write", needs_file=True)
@project_option
@force_option
def export_coder(name: str, out: Output, project_path: Path | None) -> None:
    """Write one coder's work to a small project file, for sending to a colleague to merge."""
    output = out.path
    from jhs_qual.files import replacing
    from jhs_qual.store.merge import export_coder as run_export

    with open_project(project_path) as project, replacing(output, database=True) as tmp:
        tmp.unlink(missing_ok=True)  # the new project is made in its place, then renamed to the output
        report = run_export(project, name, tmp)
    echo(f"wrote {output}: {plural(len(report.transcripts_added), 'transcript')}, "
               f"{plural(report.codings_added, 'coding')}, {plural(report.memos_added, 'memo')} by {name}")


def _echo_lists(lists) -> None:
    """One line per non-empty list: `label: a, b, c`."""
    for label, items in lists:
        if items:
            echo(f"{label}: {', '.join(items)}")


def _print_merge(report) -> None:
    _echo_lists((("codebooks added", report.codebooks_added),
                 ("codebooks in another version there (codes matched by id)", report.codebooks_differing),
                 ("transcripts added", report.transcripts_added),
                 ("coders added", report.coders_added)))
    echo(f"{plural(report.codings_added, 'coding')} and {plural(report.memos_added, 'memo')} added")
    for conflict in report.conflicts:
        echo(f"conflict: {conflict}")
    if report.conflicts:
        echo(f"{plural(len(report.conflicts), 'conflict')}: nothing was overwritten")


@cli.command("export-qdpx")
@output_options("qdpx", file_help="The .qdpx file to write", needs_file=True)
@click.option("--offsets", type=click.Choice(["codepoints", "utf16"]), default="codepoints", show_default=True,
              help="Positions in code points (the standard) or UTF-16 units (for NVivo 12 and QualCoder).")
@click.option("--line-ends", type=click.Choice(["lf", "crlf"]), default="lf", show_default=True,
              help="Line ends in the exported sources; with crlf (Windows) positions count each as two characters.")
@project_option
@force_option
def export_qdpx(out: Output, offsets: str, line_ends: str, project_path: Path | None) -> None:
    """Write the whole coded project as a REFI-QDA project (.qdpx) for other QDA tools.

    Positions count the text as stored (NFC, one character per line end) unless
    --offsets or --line-ends say otherwise; the sources in the archive are that text."""
    from jhs_qual.refi.export import export_qdpx as run_export

    with open_project(project_path) as project:
        project.require_sound("written")
        counts = run_export(project, out.path, offsets=offsets, crlf=line_ends == "crlf")
    out.report(f"wrote {out.path}: {plural(counts['transcripts'], 'transcript')}, {plural(counts['codings'], 'coding')} by "
               f"{plural(counts['coders'], 'coder')}, {plural(counts['codebooks'], 'codebook')}; positions in {offsets}"
               + (", line ends CRLF (two characters each)" if line_ends == "crlf" else ""))


@cli.command("import-qdpx")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--offsets", type=click.Choice(["codepoints", "utf16", "codepoints-crlf", "utf16-crlf"]),
              help="What the file's positions count: code points or UTF-16 units, a CRLF line end as one "
                   "or (-crlf) as two (default: decided from the file, or asked). Checked against the file.")
@click.option("--coder", metavar="NAME", help="The coder for work the file does not credit to one of its users.")
@project_option
def import_qdpx(source: Path, offsets: str | None, coder: str | None, project_path: Path | None) -> None:
    """Bring a REFI-QDA project (.qdpx from QualCoder, NVivo, ATLAS.ti, MAXQDA ...) into this project.

    Plain-text sources become transcripts (turns found as in an import),
    users coders, codes a codebook, variables attributes, notes memos. Each
    source's position convention is detected and reported. Other source types
    are listed as skipped. Nothing is written unless all of it can be.
    """
    from jhs_qual.refi.project import import_qdpx as run_import

    with open_project(project_path) as project:
        report = run_import(project, source, offsets, coder)
        bare = [book for book in report.codebooks if not any(c["keywords"] for c in project.codes(book))]
    for book in bare:  # another tool's codebook: its codes came with names only
        echo(f"codebook {book}: no keywords (another tool's codes have none), language nl: suggestions for its "
             f"codes come from what coders code with them; to add keywords: 'jhs-qual codebook save {book} -o "
             f"{book}.yaml', edit it, 'jhs-qual codebook load {book}.yaml'")
    for name in report.transcripts:
        echo(f"transcript {name}: positions read as {report.conventions[name]}")
    _echo_lists((("codebooks added", report.codebooks), ("coders added", report.coders),
                 ("attribute names added", report.attribute_keys),
                 ("sources skipped", report.skipped_sources),
                 ("left out (no place for them in jhs-qual)", report.dropped)))
    new = len(report.transcripts) - len(report.already_here)
    here = f" ({len(report.already_here)} already here)" if report.already_here else ""
    echo(f"imported {plural(new, 'new transcript')}{here}, {plural(report.codings, 'coding')}, "
         f"{plural(report.memos, 'memo')}")
