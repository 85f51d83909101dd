"""Codebooks: check, load, scope, show, save, and the REFI-QDA codebook exchange."""

from __future__ import annotations

from pathlib import Path

import click

from jhs_qual.errors import BadInput
from jhs_qual.files import read_bytes
from jhs_qual.cli.base import (
    Output,
    _load_codebook_files,
    _reserved_keys,
    _table,
    _write_bytes,
    cli,
    echo,
    force_option,
    open_project,
    output_options,
    plural,
    project_option,
)


# --- codebooks --------------------------------------------------------------------------------

@cli.group()
def codebook() -> None:
    """Check, load and show codebooks (YAML; format in codebooks/README.md)."""


@codebook.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def codebook_check(files: tuple[Path, ...]) -> None:
    """Validate codebook files, alone and together (ids, parents, shortcut keys)."""
    codebooks = _load_codebook_files(files)
    for book in codebooks:
        keyed = sum(1 for c in book.codes if c.key)
        echo(f"ok {book.source}: {book.id}, {plural(len(book.codes), 'code')}, {keyed} with a shortcut key")


@codebook.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@project_option
def codebook_load(files: tuple[Path, ...], project_path: Path | None) -> None:
    """Load codebook files into the project, or update them (codes keep their codings)."""
    codebooks = _load_codebook_files(files)
    with open_project(project_path) as project:
        for book in codebooks:
            status = project.load_codebook(book, _reserved_keys())
            echo(f"{status} {book.id} ({plural(len(book.codes), 'code')}) from {book.source}")


def _scope_text(scope: dict) -> str:
    return "; ".join(f"{k}={','.join(v)}" for k, v in scope.items()) or "every transcript"


@codebook.command("scope")
@click.argument("codebook_id", metavar="CODEBOOK")
@click.option("--where", multiple=True, metavar="ATTR=VALUE[,VALUE]",
              help="Apply to transcripts with this attribute (repeatable; values separated by commas).")
@click.option("--all", "everywhere", is_flag=True, help="Apply to every transcript.")
@click.option("--from-yaml", is_flag=True, help="Go back to the codebook file's own applies_to.")
@project_option
def codebook_scope(codebook_id: str, where: tuple[str, ...], everywhere: bool, from_yaml: bool,
                   project_path: Path | None) -> None:
    """Show or set which transcripts CODEBOOK applies to, by attribute.

    Only the codebooks that apply to a transcript are suggested, shown in the
    workbench, auto-coded, evaluated, compared and quoted for it. A transcript
    without the attribute is not excluded by it. Without options, shows the scope.
    """
    if sum(map(bool, (where, everywhere, from_yaml))) > 1:
        raise BadInput("give one of --where, --all and --from-yaml", field="--where")
    with open_project(project_path) as project:
        if where or everywhere or from_yaml:
            scope = None if from_yaml else {}
            for pair in where:
                key, sep, values = pair.partition("=")
                if not sep or not key.strip() or not values.strip():
                    raise BadInput(f"'{pair}' is not ATTR=VALUE", field="--where",
                                   hint="e.g. --where role=leerling or --where role=leraar,mentor")
                scope.setdefault(key.strip(), ())
                scope[key.strip()] += tuple(v.strip() for v in values.split(",") if v.strip())
            project.set_scope(codebook_id, scope)
        scopes = project.scopes()
        if codebook_id not in scopes:
            raise BadInput(f"no codebook '{codebook_id}' in this project", field="CODEBOOK")
        applying = [tid for tid, books in project.codebooks_by_transcript().items() if codebook_id in books]
    echo(f"{codebook_id} applies to: {_scope_text(scopes[codebook_id])} "
               f"({plural(len(applying), 'transcript')} in this project)")


@codebook.command("save")
@click.argument("codebook_id", metavar="CODEBOOK")
@output_options("yaml", file_help="The YAML file to write", needs_file=True)
@project_option
@force_option
def codebook_save(codebook_id: str, out: Output, project_path: Path | None) -> None:
    """Write the project's CODEBOOK as YAML, with the codes created, renamed,
    moved or merged in the workbench (comments of the loaded file kept)."""
    with open_project(project_path) as project:
        text = project.codebook_yaml(codebook_id)
    _write_bytes(out.path, text.encode("utf-8"))
    out.report(f"wrote {out.path}; check it with 'jhs-qual codebook check {out.path}'")


@codebook.command("export")
@click.argument("codebook_ids", nargs=-1, metavar="[CODEBOOK]...")
@output_options("qdc", file_help="The .qdc file to write", needs_file=True)
@click.option("--file", "files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Export this codebook YAML instead of the project's (repeatable).")
@project_option
@force_option
def codebook_export(codebook_ids: tuple[str, ...], out: Output, files: tuple[Path, ...],
                    project_path: Path | None) -> None:
    """Write codebooks as a REFI-QDA codebook (.qdc) for NVivo, ATLAS.ti, MAXQDA, QualCoder.

    Every code keeps its GUID from export to export; fields REFI has no place
    for travel in the code's description (see codebooks/README.md).
    """
    from jhs_qual.refi.codebook import to_qdc

    if files:
        books = _load_codebook_files(files)
    else:
        with open_project(project_path) as project:
            stored = [b["id"] for b in project.codebooks()]
            for book_id in codebook_ids:
                if book_id not in stored:
                    raise BadInput(f"no codebook '{book_id}' in this project", field="CODEBOOK",
                                   hint=f"loaded: {', '.join(stored) or 'none'}")
            books = project.parsed_codebooks(list(codebook_ids) or None)
    if not books:
        raise BadInput("no codebook to export", hint="load one, or pass --file FILE.yaml")
    _write_bytes(out.path, to_qdc(books))
    out.report(f"wrote {out.path}: " + ", ".join(f"{b.id} ({plural(len(b.codes), 'code')})" for b in books))


@codebook.command("import")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@output_options("yaml", file_help="The codebook YAML to write", needs_file=True)
@click.option("--codebook", "codebook_id", metavar="ID", help="Which codebook, when the file holds several; "
              "for another tool's file, the id to give it.")
@click.option("--language", type=click.Choice(["nl", "en"]), default="nl", show_default=True,
              help="The keywords' language, for another tool's codebook.")
@force_option
def codebook_import(source: Path, out: Output, codebook_id: str | None, language: str) -> None:
    """Turn a REFI-QDA codebook (.qdc, or the codebook of a .qdpx project) into codebook YAML.

    Our own export comes back field for field; another tool's codes keep
    their names, colours, descriptions (as definitions) and hierarchy.
    """
    from jhs_qual.refi.codebook import MAX_ARCHIVE, codebook_xml, from_qdc, sets_in

    data = read_bytes(source, MAX_ARCHIVE)
    xml = codebook_xml(data, source)
    text = from_qdc(xml, source, codebook_id=codebook_id, language=language)
    sets = sets_in(xml, source)
    if sets:  # a codebook YAML has no place for them: said, not dropped unseen
        echo(f"warning: {source}: left out {plural(sets, 'set')} of codes (a codebook has no place for them)",
             err=True)
    _write_bytes(out.path, text.encode("utf-8"))
    if "keywords:" not in text:
        echo(f"note: {source} gives its codes no keywords, and its language is taken as {language} (--language): "
             "add keywords to the YAML before loading it, or suggestions rest on what coders code", err=True)
    out.report(f"wrote {out.path}: {plural(text.count(chr(10) + '- id: '), 'code')}; "
               f"check it with 'jhs-qual codebook check {out.path}'")


@codebook.command("list")
@project_option
def codebook_list(project_path: Path | None) -> None:
    """The codebooks loaded in the project."""
    with open_project(project_path) as project:
        rows = project.codebooks()
        scopes = project.scopes()
    if not rows:
        echo("no codebooks loaded: use 'jhs-qual codebook load FILE.yaml'")
        return
    echo(_table(
        [[r["id"], r["title"], r["language"], r["code_count"], _scope_text(scopes[r["id"]]), r["source_name"],
          r["yaml_sha256"][:12]] for r in rows],
        ["id", "title", "lang", "codes", "applies to", "file", "sha256"],
    ))


@codebook.command("show")
@click.argument("reference", required=False)
@click.option("--file", "file_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Show a codebook file instead of the project's codebooks.")
@project_option
def codebook_show(reference: str | None, file_path: Path | None, project_path: Path | None) -> None:
    """Show codes: all, one codebook (ID), or one code in full (CODEBOOK/CODE or CODE)."""
    if file_path is not None:
        books = _load_codebook_files((file_path,))
        codes = [_code_dict(books[0].id, c) for c in books[0].codes]
    else:
        with open_project(project_path) as project:
            codes = project.codes()
    codebook_ids = {c["codebook_id"] for c in codes}
    if reference and reference not in codebook_ids:
        from jhs_qual.codebook import resolve_code

        book, code_id = resolve_code(reference, [(c["codebook_id"], c["code_id"]) for c in codes])
        code = next(c for c in codes if c["codebook_id"] == book and c["code_id"] == code_id)
        echo(_code_detail(code))
        return
    shown = [c for c in codes if reference in (None, c["codebook_id"])]
    if not shown:
        echo("no codes: load a codebook with 'jhs-qual codebook load FILE.yaml'")
        return
    depth = {}
    rows = []
    for c in shown:
        depth[(c["codebook_id"], c["code_id"])] = depth.get((c["codebook_id"], c["parent"]), -1) + 1
        indent = "  " * depth[(c["codebook_id"], c["code_id"])]
        rows.append([c["key"] or "-", f"{c['codebook_id']}/{c['code_id']}", indent + c["label_nl"],
                     c["label_en"], len(c["keywords"]) + len(c["phrases"])])
    echo(_table(rows, ["key", "code", "label (nl)", "label (en)", "keywords"]))


def _code_dict(codebook_id: str, code) -> dict:
    return {
        "codebook_id": codebook_id, "code_id": code.id, "parent": code.parent, "key": code.key,
        "label_nl": code.label_nl, "label_en": code.label_en, "definition": code.definition,
        "use_when": code.use_when, "do_not_use_when": code.do_not_use_when, "example": code.example,
        "keywords": code.keywords, "phrases": code.phrases, "exclude": code.exclude, "colour": code.colour,
    }


def _code_detail(c: dict) -> str:
    lines = [
        f"{c['codebook_id']}/{c['code_id']}  [{c['key'] or 'no key'}]  {c['colour']}",
        f"  {c['label_nl']} / {c['label_en']}",
    ]
    if c["parent"]:
        lines.append(f"  parent: {c['parent']}")
    for title, name in (("Definition", "definition"), ("Use when", "use_when"),
                        ("Do not use when", "do_not_use_when"), ("Example", "example")):
        if c[name]:
            lines += ["", f"{title}:", "  " + c[name].replace("\n", "\n  ")]
    for title, name in (("Keywords", "keywords"), ("Phrases", "phrases"), ("Excluded", "exclude")):
        if c[name]:
            lines += ["", f"{title}: " + ", ".join(c[name])]
    return "\n".join(lines)
