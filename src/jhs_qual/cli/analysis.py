"""Agreement between coders: agreement-table, compare, disagreements, consensus."""

from __future__ import annotations

import json
from pathlib import Path

import click

from jhs_qual.errors import BadInput
from jhs_qual.cli.base import (
    Finite,
    count,
    _pseudonymiser,
    Output,
    _fmt,
    _nan_to_none,
    _resolve_codes,
    _shorten,
    _table,
    _write_atomically,
    _write_bytes,
    cli,
    echo,
    force_option,
    open_project,
    output_options,
    plural,
    project_option,
    raw_csv_option,
)


# --- agreement -------------------------------------------------------------------------------------

def _four(value: float) -> str:
    """Four decimals, and never "-0.0000" for a value that rounds to nothing."""
    return f"{round(value, 4) + 0.0:.4f}"


@cli.command("agreement-table")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--metric", type=click.Choice(["alpha", "cohen", "fleiss", "ac1", "bp", "percent", "percent-unit"]),
              default="alpha", show_default=True, help="The coefficient.")
@click.option("--level", type=click.Choice(["nominal", "ordinal", "interval", "ratio"]), default="nominal",
              show_default=True, help="Level of measurement (Krippendorff's alpha).")
@click.option("--weights", type=click.Choice(["none", "linear", "quadratic"]), default="none",
              show_default=True, help="Weights for Cohen's kappa over ordered categories.")
@click.option("--ci", is_flag=True, help="Add a 95% bootstrap interval (alpha only; 2000 resamples of units).")
@click.option("--quiet", is_flag=True, help="Print the number alone.")
def agreement_table(file: Path, metric: str, level: str, weights: str, ci: bool, quiet: bool) -> None:
    """Agreement in a CSV table: rows are units, columns coders, empty = missing.

    A first column headed 'unit' or 'id' (or empty) names the units. Values
    are category labels, or numbers for ordinal, interval and ratio data.
    """
    import math

    from jhs_qual.analysis.agreement import METRICS, alpha_bootstrap, coefficient
    from jhs_qual.analysis.ratings_csv import read_ratings_csv

    for given, option, applies in ((level != "nominal", f"--level {level}", "alpha"),
                                   (weights != "none", f"--weights {weights}", "cohen"), (ci, "--ci", "alpha")):
        if given and metric != applies:
            raise BadInput(f"{option} is for --metric {applies}, not {metric}", field=option.split()[0],
                           hint=f"leave it out, or use --metric {applies}")
    numeric = level != "nominal" or weights != "none"
    ratings, coders, warnings = read_ratings_csv(file, numeric=numeric)
    for warning in warnings:
        echo(f"warning: {file}: {warning}", err=True)
    if metric == "cohen" and len(coders) != 2:
        raise BadInput(f"Cohen's kappa compares exactly 2 coders; this table has {len(coders)}",
                       file=file, field="--metric", hint="use --metric fleiss or alpha")
    value = coefficient(ratings, metric, level=level, weights=None if weights == "none" else weights)
    if quiet:  # for scripts: full precision
        echo(repr(value))
        return
    shown = _four(value)
    missing = int((ratings.codes < 0).sum())
    echo(f"{file.name}: {plural(ratings.n_units, 'unit')}, {len(coders)} coders ({', '.join(coders)}), "
               f"{len(ratings.categories)} categories, {ratings.codes.size - missing} values, {missing} missing")
    name = METRICS[metric]
    if metric == "alpha":
        name += f" ({level})"
    if metric == "cohen" and weights != "none":
        name += f" ({weights} weights)"
    if metric == "percent":
        name += " (pairable values pooled)"
    if metric == "percent-unit":
        name += " (mean over units coded twice or more)"
    if math.isnan(value):
        echo(f"{name}: undefined (no variation in the values, or no unit coded twice)")
        return
    echo(f"{name}: {shown}")
    if metric == "fleiss":
        from jhs_qual.analysis.agreement import fleiss_kappa_by_category

        for category, kappa in fleiss_kappa_by_category(ratings).items():
            echo(f"  {category}: " + ("undefined" if math.isnan(kappa) else _four(kappa)))
    if ci and metric == "alpha":
        low, high = alpha_bootstrap(ratings, level)
        echo(f"95% bootstrap interval: {_four(low)} to {_four(high)} (2000 resamples of units)")


def coders_arguments(func=None, *, metavar: str = "A B [C ...]"):
    """`--coders A B [C ...]`: a flag followed by the names (click options take one value)."""
    def wrap(func):
        func = click.argument("coders", nargs=-1, metavar=metavar)(func)
        return click.option("--coders", "coders_flag", is_flag=True, expose_value=False,
                            help="Marks the coder names that follow (optional).")(func)

    return wrap(func) if func is not None else wrap


def _two_or_more(coders: tuple[str, ...]) -> list[str]:
    if len(coders) < 2 or len(set(coders)) != len(coders):
        raise BadInput("name two or more different coders", field="--coders", hint="e.g. --coders anna ben")
    return list(coders)


def _comparison_rows(result) -> tuple[list[str], list[list]]:
    coders = result.coders
    header = ["code", "units", *(f"coded by {c}" for c in coders), "agreement %",
              result.codes[0].kappa_name if result.codes else "kappa", "alpha", "AC1"]
    two = len(coders) == 2
    if two:
        header += ["segments matched", f"only {coders[0]}", f"only {coders[1]}"]
    if two and result.unit == "char":
        header += ["A and B %", "neither %", "A not B %", "B not A %"]
    rows = []
    for row in result.codes + ([result.overall] if result.overall else []):
        line = [row.code, row.units, *(row.coded_by[c] for c in coders),
                _fmt(row.percent * 100, 1), _fmt(row.kappa), _fmt(row.alpha), _fmt(row.ac1)]
        if two:
            if row.segments:
                line += [row.segments["matched"], row.segments[f"only_{coders[0]}"],
                         row.segments[f"only_{coders[1]}"]]
            else:
                line += ["", "", ""]
        if two and result.unit == "char":
            line += [_fmt(row.nvivo[k], 1) for k in ("a_and_b_pct", "neither_pct", "a_not_b_pct", "b_not_a_pct")]
        rows.append(line)
    return header, rows


def _comparison_intro(result, names: dict[int, str], include_interviewers: bool, unread: int | None) -> str:
    who = " and ".join(result.coders)
    per = {"turn": "turn", "sentence": "sentence", "char": "character"}[result.unit]
    left_out = "" if include_interviewers else "; the interviewer's turns are no units (--include-interviewers counts them)"
    listed = ", ".join(names[t] for t in result.transcripts)
    return (f"Comparing {who} per {per} over the {plural(len(result.transcripts), 'transcript')} all of them coded"
            f" ({listed or 'none'}){left_out}{_unread_note(unread)}")


def _unread_note(unread: int | None) -> str:
    """What was left out because not every coder reached it (None: --all-units)."""
    if unread is None:
        return "; every unit counted (--all-units), read or not"
    if not unread:
        return ""
    return (f"; {plural(unread, 'turn')} not every coder reached left out (their codes are unknown, not 'none':"
            " --all-units counts them)")


def _not_independent(learned: dict[str, list[str]], coders: list[str]) -> list[str]:
    """What a comparison must say when a coder's suggestions learned from another's codings
    (the config's [suggest] learn_from, recorded in the project)."""
    return [f"{coder}'s suggestions learned from {', '.join(sources)}'s codings: the coders were not "
            "independent, so their agreement may be inflated"
            for coder, sources in sorted(learned.items()) if coder in coders and sources]


def _reached_turns(project, coders: list[str], include_interviewers: bool, all_units: bool):
    """The codable turns to compare, and how many were left out because not every coder
    reached them (None with --all-units)."""
    from jhs_qual.analysis.compare import within_reached

    turns = project.codable_turns(include_interviewers=include_interviewers)
    if all_units:
        return turns, None
    return within_reached(turns, project.reached_by(coders))


def all_units_option(func):
    return click.option("--all-units", is_flag=True,
                        help="Count every unit of the transcripts compared, also those a coder never reached "
                             "(default: only the units every coder coded, moved past, or marked finished).")(func)


@cli.command()
@coders_arguments
@click.option("--unit", type=click.Choice(["turn", "sentence", "char"]), default="turn", show_default=True,
              help="What counts as one unit of agreement.")
@click.option("--codes", "code_refs", multiple=True, metavar="CODE",
              help="Only these codes (repeatable; default: every code the coders used).")
@click.option("--threshold", type=Finite(0.01, 1.0), default=0.8, show_default=True,
              help="Segments match when they overlap by this share of the longer one.")
@click.option("--include-interviewers", is_flag=True, help="Count interviewer turns as units too.")
@all_units_option
@click.option("--json", "as_json", is_flag=True, hidden=True, help="The same as --format json.")
@output_options("table", "csv", "xlsx", "json", "md")
@project_option
@force_option
@raw_csv_option
def compare(coders: tuple[str, ...], unit: str, code_refs: tuple[str, ...], threshold: float,
            include_interviewers: bool, all_units: bool, as_json: bool, out: Output, project_path: Path | None) -> None:
    """Agreement between coders per code and overall: percent agreement, Cohen's
    (2 coders) or Fleiss' kappa, Krippendorff's alpha, and segment overlap.

    Only transcripts that every coder has coded are compared, and in them only
    the units every coder reached (coded at or past, moved past in the
    workbench, or the transcript marked finished with `transcripts done`): a
    turn a coder never read is not their "no code". The output says how many
    were left out; --all-units counts them all. With --unit char, also
    NVivo's figures (A and B, neither, A not B, B not A, as % of characters).
    """
    from dataclasses import asdict

    from jhs_qual.analysis.compare import compare as run_compare

    coders = _two_or_more(coders)
    with open_project(project_path) as project:
        project.require_coders(coders)
        codes = _resolve_codes(project, code_refs)
        turns, unread = _reached_turns(project, coders, include_interviewers, all_units)
        learned = project.learned_from()
        result = run_compare(
            coders, unit, project.text_lookup(), turns, project.codings(coders), codes, threshold,
            project.codebooks_by_transcript(),
        )
        names = project.transcript_names()
    fmt = "json" if as_json else out.fmt
    if fmt == "json":
        data = asdict(result)
        data["transcripts"] = [names[t] for t in result.transcripts]
        data["unreached_turns_left_out"] = unread
        _write_bytes(out.path, (json.dumps(_nan_to_none(data), ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
        out.report(f"wrote {out.path}")
        return
    header, rows = _comparison_rows(result)
    intro = _comparison_intro(result, names, include_interviewers, unread)
    for warning in _not_independent(learned, coders):
        echo(f"warning: {warning}", err=True)
    about = f"overall pools every (unit, code) decision; segments match at {threshold:.0%} overlap of the longer"
    if fmt != "table":
        from jhs_qual.export import tables

        sheets = {"agreement": (header, rows)}
        if fmt == "xlsx":
            tables.write_xlsx(out.path, sheets, notes=[intro, about])
        elif fmt == "md":
            tables.write_markdown(out.path, "Agreement", sheets, notes=[intro, about])
        else:
            _write_atomically(out.path, header, rows)
        out.report(f"wrote {out.path}")
        return
    echo(intro)
    if not rows:
        echo("nothing to compare: no transcript has codings by all of them")
        return
    echo(_table(rows, header))
    echo(about)


@cli.command()
@coders_arguments
@click.option("--code", "code_refs", multiple=True, metavar="CODE", help="Only this code (repeatable).")
@click.option("--unit", type=click.Choice(["turn", "sentence"]), default="turn", show_default=True)
@click.option("--include-interviewers", is_flag=True, help="Count interviewer turns as units too.")
@all_units_option
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of text.")
@click.option("--no-pseudonymise", "raw", is_flag=True, help="Leave the names as they are (inside the team only).")
@project_option
def disagreements(coders: tuple[str, ...], code_refs: tuple[str, ...], unit: str,
                  include_interviewers: bool, all_units: bool, as_json: bool, raw: bool,
                  project_path: Path | None) -> None:
    """Every unit where the coders' codes differ, with its text and each coder's codes and memos:
    of the units every coder reached (see compare; --all-units for all). Names on the pseudonym
    list are replaced, as in every export."""
    from jhs_qual.analysis.compare import disagreements as find

    coders = _two_or_more(coders)
    with open_project(project_path) as project:
        project.require_coders(coders)
        codes = _resolve_codes(project, code_refs)
        texts = project.texts()
        turns, unread = _reached_turns(project, coders, include_interviewers, all_units)
        found = find(coders, unit, texts, turns, project.codings(coders), codes)
        names = project.transcript_names()
        pseudonymiser = _pseudonymiser(project, raw)
        speech = {tid: pseudonymiser.speech(texts[tid], project.label_spans(tid))
                  for tid in {item.unit.transcript_id for item in found}} if pseudonymiser else {}
    clean = pseudonymiser.apply if pseudonymiser else str
    for item in found:
        u = item.unit
        text = speech[u.transcript_id](u.start, u.end) if pseudonymiser else texts[u.transcript_id][u.start:u.end]
        if as_json:
            echo(json.dumps({
                "transcript": clean(names[u.transcript_id]), "turn": u.turn, "start": u.start, "end": u.end,
                "text": text,
                "coders": {c: [{"code": s.code, "start": s.start, "end": s.end, "memo": clean(s.memo) if s.memo else s.memo}
                               for s in spans] for c, spans in item.codes.items()},
            }, ensure_ascii=False))
            continue
        echo(f"{clean(names[u.transcript_id])} turn {u.turn} [{u.start}:{u.end}]")
        echo("  " + text.replace("\n", "\n  "))
        for coder, spans in item.codes.items():
            listed = "; ".join(s.code + (f" (memo: {clean(s.memo)})" if s.memo else "") for s in spans) or "-"
            echo(f"  {coder}: {listed}")
        echo()
    if not as_json:
        echo(f"{plural(len(found), 'unit')} where {' and '.join(coders)} differ{_unread_note(unread)}")


@cli.command()
@coders_arguments(metavar="[A B]")
@click.option("--into", required=True, metavar="NAME", help="The consensus coder (e.g. 'consensus').")
@click.option("--threshold", type=Finite(0.01, 1.0), default=0.8, show_default=True,
              help="Codings agree when they overlap by this share of the longer one.")
@click.option("--list", "list_items", is_flag=True, help="List the items still to settle (no building).")
@click.option("--all", "show_all", is_flag=True, help="With --list: settled items too.")
@click.option("--settle", "item_id", type=count(), metavar="ID", help="Settle this item ...")
@click.option("--take", type=click.Choice(["a", "b", "both", "neither"]), help="... with this decision.")
@all_units_option
@project_option
def consensus(coders: tuple[str, ...], into: str, threshold: float, list_items: bool, show_all: bool,
              item_id: int | None, take: str | None, all_units: bool, project_path: Path | None) -> None:
    """Build a consensus coder from two coders' agreed codings, then settle the rest.

    \b
    jhs-qual consensus --coders anna ben --into consensus     build, or refresh
    jhs-qual consensus --into consensus --list                what is left to settle
    jhs-qual consensus --into consensus --settle 12 --take a  take anna's version

    Agreed: one coding by each of the same code that overlap by --threshold
    (the consensus gets the union of both spans). Everything else is an item
    to settle: take A's codings, B's, both, or neither; only of what both
    coders reached (see compare; --all-units for everything). Building again
    after more coding adds what is new and keeps every decision. The consensus
    goes into a coder of its own: never a coder who codes by hand.
    """
    with open_project(project_path) as project:
        if item_id is not None or take is not None:
            if item_id is None or take is None:
                raise BadInput("--settle ID and --take go together", field="--settle/--take")
            spans = project.settle(item_id, take)
            echo(f"settled item {item_id}: take {take} ({plural(len(spans), 'consensus coding')})")
            return
        if not list_items:
            if len(_two_or_more(coders)) != 2:
                raise BadInput("consensus is between exactly two coders", field="--coders",
                               hint="e.g. --coders anna ben")
            a, b = coders
            s = project.build_consensus(a, b, into, threshold, all_units=all_units)
            echo(f"{plural(s['agreed'], 'agreed coding')} ({s['added']} new in '{into}'), "
                       f"{plural(s['new_items'], 'new item')} to settle; {s['open']} open, {s['settled']} settled")
        items = project.consensus_items(into, include_settled=show_all)
        texts = project.texts() if items else {}
    for item in items:
        echo(_consensus_item(item, texts[item["transcript_id"]]))
    if list_items or items:
        echo(f"{plural(sum(1 for i in items if i['decision'] is None), 'item')} open for '{into}'")



def _consensus_item(item: dict, text: str) -> str:
    decided = f" [settled: {item['decision']}]" if item["decision"] else ""
    lines = [f"#{item['id']} {item['transcript']} {item['code']}{decided}"]
    for side, name in (("a_spans", item["coder_a"]), ("b_spans", item["coder_b"])):
        if not item[side]:
            lines.append(f"  {name}: -")
        for start, end, memo in item[side]:
            quote = _shorten(" ".join(text[start:end].split()), 90)
            lines.append(f"  {name} [{start}:{end}] {quote}" + (f" (memo: {memo})" if memo else ""))
    return "\n".join(lines)
