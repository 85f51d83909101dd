"""Questionnaires beside the interviews: survey import, survey scales."""

from __future__ import annotations

import json
from pathlib import Path

import click

from jhs_qual.cli.base import Output, cli, echo, force_option, open_project, output_options, plural, project_option
from jhs_qual.errors import BadInput


@cli.group()
def survey() -> None:
    """Questionnaire scales (ISJO, the competence list ...) beside the interviews: import answers,
    internal consistency and group comparisons per scale."""


@survey.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--scales", "scale_path", required=True, metavar="FILE",
              help="The scale file (YAML), or a shipped one by name: isjo, competences.")
@click.option("--id", "id_column", required=True, metavar="COLUMN", help="The column that names each respondent.")
@click.option("--wave", default="", metavar="W", help="Which wave this is (an import replaces that wave).")
@project_option
def survey_import(file: Path, scale_path: str, id_column: str, wave: str, project_path: Path | None) -> None:
    """Import one wave of questionnaire answers (.csv or .xlsx): one row per respondent, an id
    column, attribute columns (school, school_type, role ...) and the scale file's item columns.
    Every cell is checked first (unknown columns, missing items, cells that are not numbers or
    are out of range, named by row and column); nothing is stored unless all of it can be."""
    from jhs_qual.survey.responses import respondents
    from jhs_qual.survey.scales import load_scales

    scales = load_scales(scale_path)
    with open_project(project_path) as project:
        rows, attributes, warnings = respondents(file, scales, id_column, project.attribute_keys())
        for warning in warnings:
            echo(f"warning: {file}: {warning}", err=True)
        counts = project.store_survey(scales, wave, rows)
    replaced = f"; the {plural(counts['replaced'], 'respondent')} of that wave before replaced" if counts["replaced"] else ""
    echo(f"imported {plural(counts['respondents'], 'respondent')} of {scales.id}"
         + (f" (wave {wave})" if wave else "") + f", {plural(counts['answers'], 'answer')}; attributes: "
         + (", ".join(attributes) or "none") + replaced)


@survey.command("scales")
@click.option("--by", "by", metavar="ATTR", help="Compare the groups of this respondent attribute (e.g. school_type).")
@click.option("--wave", metavar="W", help="Only this wave (default: all respondents).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per scale.")
@output_options("table", "md", "csv", "xlsx")
@project_option
@force_option
def survey_scales(by: str | None, wave: str | None, as_json: bool, out: Output, project_path: Path | None) -> None:
    """Per scale: its items, Cronbach's alpha (listwise) with alpha if an item were deleted, and
    with --by each group's n, M and SD (n - 1), one-way ANOVA (F, df, p, eta squared; Welch's F when
    Levene's test finds the variances differ), Tukey's HSD (Games-Howell under Welch) and the
    letters a report prints: groups that share a letter do not differ (p < .05)."""
    from jhs_qual.analysis.scales import analyse

    with open_project(project_path) as project:
        files = project.scale_files()
        if not files:
            raise BadInput("no questionnaire imported", hint="import one with 'jhs-qual survey import FILE --scales ...'")
        if wave is not None and wave not in project.waves():
            raise BadInput(f"no wave '{wave}'", field="--wave", hint=f"waves: {', '.join(project.waves()) or 'none'}")
        results = []
        for scale_file in files:
            items = list(scale_file.items)
            people, answers = project.survey_answers(items, wave)  # read once per questionnaire
            if by and not any(by in p for p in people):
                raise BadInput(f"no respondent has a value for '{by}'", field="--by",
                               hint="the attributes are the questionnaire's columns besides its items")
            for scale in scale_file.scales:
                consistency, comparison = analyse(scale, items, people, answers, by)
                results.append(_result(scale_file.id, scale, consistency, comparison))
    if as_json:
        for result in results:
            echo(json.dumps(result, ensure_ascii=False))
        return
    _write(results, out, by)


def _result(file_id, scale, consistency, comparison) -> dict:
    return {
        "scale": f"{file_id}/{scale.id}", "label_nl": scale.label_nl, "label_en": scale.label_en, "code": scale.code,
        "items": list(scale.items), "reverse": list(scale.reverse),
        "alpha": consistency.alpha, "alpha_n": consistency.n, "alpha_if_deleted": consistency.if_deleted,
        "groups": {g: {"n": s.n, "mean": s.mean, "sd": s.sd, "letters": comparison.letters.get(g, "")}
                   for g, s in comparison.groups.items()},
        "test": comparison.test, "posthoc": comparison.posthoc,
    }


def _number(value, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _write(results: list[dict], out: Output, by: str | None) -> None:
    header = ["scale", "alpha (n)", "group", "n", "M (SD)", "letters", "test"]
    rows = []
    for r in results:
        test = r["test"]
        said = ("-" if test is None else
                f"{'Welch ' if test['welch'] else ''}F({test['df'][0]}, {test['df'][1]:.4g}) = {test['F']:.2f}, "
                f"p {'< .001' if test['p'] < 0.001 else '= ' + format(test['p'], '.3f')}, eta2 = {test['eta2']:.2f}")
        for n, (group, g) in enumerate(r["groups"].items()):
            rows.append([r["scale"] if n == 0 else "", f"{_number(r['alpha'])} ({r['alpha_n']})" if n == 0 else "",
                         group, g["n"], f"{_number(g['mean'])} ({_number(g['sd'])})", g["letters"],
                         said if n == 0 else ""])
    note = (f"groups by {by}; " if by else "") + ("letters: groups that share one do not differ (p < .05; Tukey HSD, "
                                                  "Games-Howell where Levene's test finds unequal variances)")
    if out.fmt == "table":
        from jhs_qual.cli.base import _table

        echo(_table([[str(c) for c in row] for row in rows], header))
        echo(note)
        return
    from jhs_qual.export import tables

    sheets = {"scales": (header, rows)}
    if out.fmt == "md":
        tables.write_markdown(out.path, "Questionnaire scales", sheets, [note])
    elif out.fmt == "csv":
        tables.write_csv(out.path, (header, rows))
    else:
        tables.write_xlsx(out.path, sheets, [note])
    out.report(f"wrote {out.path}: {plural(len(results), 'scale')}")


@cli.command()
@click.option("--by", "by", default="school_type", show_default=True, metavar="ATTR",
              help="The attribute the respondents and the transcripts share (school_type, school ...).")
@click.option("--coder", help="Only this coder's codings (e.g. the consensus coder; default: people's).")
@click.option("--wave", metavar="W", help="Only this wave of the questionnaires.")
@click.option("--no-pseudonymise", "raw", is_flag=True, help="Leave names as they are (inside the team only).")
@output_options("md", "html", "xlsx", "docx")
@project_option
@force_option
def joint(by: str, coder: str | None, wave: str | None, raw: bool, out: Output, project_path: Path | None) -> None:
    """The joint display: per questionnaire scale linked to a code, for each group of ATTR the
    scale's M (SD) with its letters beside the code's share of that group's transcripts and its
    most typical quotes (pseudonymised). Groups with answers but no interviews, or the reverse,
    show what they have."""
    from jhs_qual.cli.base import _pseudonymiser
    from jhs_qual.export import joint as display
    from jhs_qual.export import tables
    from jhs_qual.ingest.attributes import check_key

    with open_project(project_path) as project:
        by = check_key(by, project.attribute_keys(), field="--by")
        if coder:
            project.require_coders([coder], "--coder")
        if not project.scale_files():
            raise BadInput("no questionnaire imported", hint="import one with 'jhs-qual survey import FILE --scales ...'")
        pseudonymiser = _pseudonymiser(project, raw)
        rows, groups = display.build(project, by, coder=coder, wave=wave, pseudonymiser=pseudonymiser)
        if not rows:
            raise BadInput("no scale is linked to a code of this project",
                           hint="give each scale a 'code: codebook/id' in its scale file, and load that codebook")
        name = project.path.stem
    sheets = display.tables(rows, groups)
    notes = [f"{name}: questionnaire scales beside the codes, by {by}; M (SD) of the scale score, letters: groups "
             "that share one do not differ (p < .05); share: of the group's transcripts the code's codebook applies "
             "to, those coded with it" + (f"; coder {coder}" if coder else "; people's codings")]
    title = f"Joint display: {name}"
    if out.fmt == "md":
        tables.write_markdown(out.path, title, sheets, notes)
    elif out.fmt == "html":
        tables.write_html(out.path, title, sheets, [display.chart(r, groups) for r in rows], [*notes, display.LEGEND],
                          numbers=False)
    elif out.fmt == "xlsx":
        tables.write_xlsx(out.path, sheets, notes)
    else:
        tables.write_docx(out.path, title, sheets, notes)
    out.check_names(pseudonymiser)
    out.report(f"wrote {out.path}: {plural(len(rows), 'scale')} by {by}, {plural(len(groups), 'group')}")
