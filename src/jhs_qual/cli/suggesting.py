"""Suggestions: suggest (and --evaluate), suggest-text, autocode, keyword learning."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from jhs_qual.errors import BadInput
from jhs_qual.cli.base import (
    Finite,
    _fmt,
    _nan_to_none,
    _load_codebook_files,
    _shorten,
    _table,
    cli,
    echo,
    open_project,
    plural,
    progress,
    project_option,
)


# --- suggestions ------------------------------------------------------------------------------------

def suggestion_options(func):
    func = click.option("--min-score", type=Finite(0.0, 1.0), default=None,
                        help="Leave out suggestions scoring below this: the calibrated probability that the code "
                             "applies (default: the engine's floor, below which it says nothing).")(func)
    func = click.option("--use-learned", is_flag=True, help="Also score with accepted learned keywords.")(func)
    func = click.option("--codebook", "codebook_ids", multiple=True, metavar="ID",
                        help="Only codes of this codebook (repeatable; default: all loaded).")(func)
    return func


AUTOCODE_TRANSCRIPTS = 200  # autocode --semantic works through this many transcripts at a time


def _floor(min_score: float | None) -> float:
    from jhs_qual.suggest.calibrate import shipped

    return shipped().show_at if min_score is None else min_score


def _suggester(project, use_learned: bool, codebook_ids: tuple[str, ...]):
    from jhs_qual.suggest.service import project_suggester

    known = {b["id"] for b in project.codebooks()}
    for book in codebook_ids:
        if book not in known:
            raise BadInput(f"no codebook '{book}' in this project", field="--codebook",
                           hint=f"loaded: {', '.join(sorted(known)) or 'none'}")
    if not known:
        raise BadInput("no codebook loaded", hint="load one with 'jhs-qual codebook load FILE.yaml'")
    return project_suggester(project, use_learned=use_learned, codebooks=list(codebook_ids) or None,
                             settings=_suggest_settings())


def _suggest_settings():
    from jhs_qual.config import Config

    return Config.load().suggest


def _engine(project, codebook_ids: tuple[str, ...], *, learn_from: str | None, learn: bool, semantic: bool):
    from jhs_qual.suggest.assist import ProjectEngine

    _suggester(project, False, codebook_ids)  # checks the codebooks named
    return ProjectEngine(project, _suggest_settings(), learn_from=learn_from, learn=learn, semantic=semantic,
                         codebooks=list(codebook_ids) or None)


@cli.command()
@click.argument("transcript", required=False)
@click.option("--unit", type=click.Choice(["turn", "sentence"]), default="turn", show_default=True)
@click.option("--top", type=click.IntRange(1, 20), default=3, show_default=True, help="Suggestions per unit.")
@click.option("--include-interviewers", is_flag=True, help="Suggest for interviewer turns too.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per unit.")
@click.option("--evaluate", is_flag=True, help="Measure the suggestions against --coder's codings instead.")
@click.option("--coder", help="Whose suggestions: learn from this coder's own codings, as their workbench does "
                               "(with --evaluate: whose codings are the truth, learning from no one).")
@click.option("--no-learning", is_flag=True, help="Do not learn from the coder's codings.")
@click.option("--no-semantic", is_flag=True, help="Leave out the semantic layer (keywords, question, learning only).")
@suggestion_options
@project_option
def suggest(transcript: str | None, unit: str, top: int, include_interviewers: bool, as_json: bool,
            evaluate: bool, coder: str | None, no_learning: bool, no_semantic: bool,
            min_score: float | None, use_learned: bool, codebook_ids: tuple[str, ...], project_path: Path | None) -> None:
    """Ranked code suggestions per turn (or sentence) of TRANSCRIPT, and why.

    Each unit is matched on the codebook keywords, together with the
    interviewer's question before it; with --coder NAME, NAME's own codings
    teach it (as in NAME's workbench: never another coder's, never autocode's);
    and it is compared in meaning with each code (the semantic layer). The
    score is the calibrated probability that the code applies; a unit without
    evidence gets no suggestion. The codes of the codebooks that apply to the
    transcript only.

    With --evaluate --coder NAME: precision, recall and F1 per code and overall
    of the suggestions against NAME's codings (per unit, learning from no one),
    how often NAME's code is the first (top-1) or among the first three (top-3),
    and a learning curve: top-1/top-3 after learning from n of NAME's coded
    units, tested on the others, next to a random ranking.
    """
    with open_project(project_path) as project:
        if evaluate:
            if not coder:
                raise BadInput("--evaluate needs --coder NAME (whose codings are the truth)", field="--coder")
            project.require_coders([coder], option="--coder")
            engine = _engine(project, codebook_ids, learn_from=None, learn=False, semantic=not no_semantic)
            _evaluate(project, engine, coder, transcript, unit, include_interviewers, _floor(min_score), as_json)
            return
        if transcript is None:
            raise BadInput("name a TRANSCRIPT (or use --evaluate --coder NAME)", field="TRANSCRIPT")
        t = project.transcript(transcript)
        if coder is not None:
            project.require_coders([coder], option="--coder")
        from jhs_qual.suggest.assist import learning_source

        source = learning_source(project, coder, _suggest_settings()) if not no_learning else None
        engine = _engine(project, codebook_ids, learn_from=source, learn=not no_learning, semantic=not no_semantic)
        units = engine.units([t["id"]], unit, include_interviewers)
        engine.prepare(units)
        speakers = {turn["idx"] + 1: turn["speaker"] for turn in project.transcript_turns(t["id"])}
        results = engine.rank_units(units, engine.previous_codes(units, coder), top=top, min_score=_floor(min_score))
        engine.save()
    _print_suggestions(t["name"], units, results, speakers, unit, _floor(min_score), as_json)


def _print_suggestions(name, units, results, speakers, unit, min_score, as_json) -> None:
    from jhs_qual.suggest.assist import suggestion_json

    if as_json:
        for u, found in zip(units, results):
            echo(json.dumps({"transcript": name, "turn": u.unit.turn, "start": u.unit.start, "end": u.unit.end,
                                   "text": u.text, "suggestions": [suggestion_json(s) for s in found]},
                                  ensure_ascii=False))
        return
    shown = 0
    for u, found in zip(units, results):
        if not found:
            continue
        shown += 1
        echo(f"turn {u.unit.turn} {speakers.get(u.unit.turn) or ''} [{u.unit.start}:{u.unit.end}]: "
                   f"{_shorten(' '.join(u.text.split()), 100)}")
        for s in found:
            echo(f"  {s.score:.2f}  {s.code}  ({s.evidence()})")
    echo(f"{shown} of {len(units)} {unit}s have suggestions scoring {min_score} or more "
         "(the calibrated probability that the code applies)")


def _evaluate(project, engine, coder, transcript, unit, include_interviewers, min_score, as_json) -> None:
    from jhs_qual.suggest.assist import learning_curve
    from jhs_qual.suggest.learn import evaluate

    codings = project.codings([coder])
    ids = sorted({c.transcript_id for c in codings})
    if transcript is not None:
        ids = [project.transcript(transcript)["id"]]
    units = engine.units(ids, unit, include_interviewers)
    engine.prepare(units)
    by_transcript: dict[int, list] = {}
    for c in codings:
        by_transcript.setdefault(c.transcript_id, []).append(c)
    on_unit = [[c for c in by_transcript.get(u.unit.transcript_id, []) if c.start < u.unit.end and c.end > u.unit.start
                and c.code.partition("/")[0] in u.codebooks] for u in units]
    gold = [{c.code for c in found} for found in on_unit]
    ranked = [[(s.code, s.score) for s in found] for found in engine.rank_units(units, top=20, min_score=0.0)]
    result = evaluate(ranked, gold, min_score)
    curve = learning_curve(engine, units, gold, [{c.id: c.code for c in found} for found in on_unit])
    engine.save()
    if as_json:
        echo(json.dumps({"coder": coder, "unit": unit, "min_score": min_score, "units_coded": result.units,
                               "top1": _or_none(result.top1, result.units), "top3": _or_none(result.top3, result.units),
                               "overall": _nan_to_none(result.overall), "per_code": _nan_to_none(result.per_code),
                               "learning_curve": curve},
                              indent=2))
        return
    echo(f"suggestions against {coder}'s codings: {len(units)} {unit}s in {plural(len(ids), 'transcript')}, "
               f"{result.units} of them coded; suggestions scoring {min_score} or more count")
    rows = [[code, _fmt(v["precision"]), _fmt(v["recall"]), _fmt(v["f1"]), int(v["support"])]
            for code, v in result.per_code.items()]
    o = result.overall
    rows.append(["overall (micro)", _fmt(o["precision"]), _fmt(o["recall"]), _fmt(o["f1"]), int(o["support"])])
    echo(_table(rows, ["code", "precision", "recall", "F1", "support"]))
    if not result.units:
        echo(f"{coder} has coded none of these {unit}s: top-1 and top-3 are n/a")
        return
    echo(f"{coder}'s code ranked first: {result.top1:.1%}; among the first three: {result.top3:.1%} "
               f"(of {result.units} coded {unit}s, learning from no one)")
    echo("learning curve: after learning from n of these coded units (5 random draws each), on the others")
    echo(_table([[r["n"], r["tested"], f"{r['top1']:.1%}", f"{r['top3']:.1%}", f"{r['random_top1']:.1%}",
                        f"{r['random_top3']:.1%}"] for r in curve],
                      ["n", "tested", "top-1", "top-3", "random top-1", "random top-3"]))


def _or_none(value: float, count: int):
    return value if count else None


@cli.command("suggest-text")
@click.option("--codebook", "codebook_files", multiple=True, required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Codebook YAML, or a shipped one by name (bronstein ...; repeatable).")
@click.option("--top", type=click.IntRange(1, 50), default=3, show_default=True)
@click.option("--min-score", type=Finite(0.0, 1.0), default=None,
              help="Leave out suggestions scoring below this (default: the engine's floor).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line (the default is text).")
@click.option("--semantic", is_flag=True, help="Also rank by closeness in meaning to each code (slower).")
def suggest_text(codebook_files: tuple[Path, ...], top: int, min_score: float | None, as_json: bool,
                 semantic: bool) -> None:
    """The engine without a project: one text per line on standard input, one
    result per line on standard output ({"text", "suggestions": [{"code",
    "score", "matched": [{"term", "keyword", "how"}]}]} with --json).

    The default is the fast keyword path; --semantic adds the semantic layer
    (each line compared with what each code means). Scores are the calibrated
    probability that the code applies (the keyword path's model, or the
    engine's with --semantic); below the floor nothing is listed."""
    from jhs_qual.suggest.service import Suggester, output_lines, sources_from_codebooks

    books = _load_codebook_files(codebook_files)
    lines = _stdin_lines()
    out = sys.stdout.buffer
    if semantic:
        chunks = _semantic_lines(books, lines, top=top, min_score=_floor(min_score), as_json=as_json)
    else:
        suggester = Suggester(sources_from_codebooks(books), _suggest_settings())
        chunks = output_lines(suggester, lines, top=top, min_score=_floor(min_score), as_json=as_json)
    for chunk in chunks:  # not writelines: click's test runner's stream drops what it is given
        out.write(chunk)


def _stdin_lines():
    """Standard input's lines as text, one at a time as they come: UTF-16 or UTF-32 by their
    byte-order mark, else UTF-8 with bytes that are not read as Windows-1252 (said once);
    control characters as U+FFFD; a NUL byte (binary input) refused with its line."""
    import codecs
    import io

    from jhs_qual.ingest.decode import clean_text, utf8_or_cp1252

    stream = sys.stdin.buffer
    head = stream.peek(4)[:4] if hasattr(stream, "peek") else b""
    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                          (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if head.startswith(bom):
            wrapped = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline=None)
            try:
                for number, line in enumerate(wrapped, start=1):
                    yield clean_text(line.rstrip("\n"), separators=False)[0]
            except UnicodeDecodeError:
                raise BadInput(f"not {encoding.upper()} although its byte-order mark says so",
                               file="standard input", line=number + 1) from None
            return
    warned = False
    for number, raw in enumerate(stream, start=1):
        raw = raw.rstrip(b"\r\n")
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        if b"\x00" in raw:
            raise BadInput("a NUL byte: this is not text", file="standard input", line=number,
                           hint="give one text per line, in UTF-8")
        text, notes = utf8_or_cp1252(raw, "standard input")
        if notes and not warned:
            echo(f"warning: standard input line {number}: not UTF-8; read as Windows-1252 (check the diacritics)",
                 err=True)
            warned = True
        yield clean_text(text, separators=False)[0]


def _semantic_lines(books, lines, *, top: int, min_score: float, as_json: bool):
    """suggest-text --semantic: batches of lines, each matched and encoded as one, ranked by
    the engine, in this process: the encoder's matrix products use both cores already (two
    forked workers, each with its own BLAS threads, were slower on two cores)."""
    import itertools

    from jhs_qual.suggest.assist import Engine, EngineInputs, suggestion_json

    settings = _suggest_settings()
    if settings.encoder in ("", "none"):
        raise BadInput("--semantic needs the semantic layer, which the config turns off", field="suggest.encoder")
    engine = Engine(EngineInputs.from_codebooks(books), settings, learn=False)

    while batch := list(itertools.islice(lines, 500)):
        ranked = engine.rank_many([(text, 0, len(text), None, None, None) for text in batch], top=top,
                                  min_score=min_score)
        engine.semantic.forget()  # nothing to store without a project
        if as_json:
            out = [json.dumps({"text": text, "suggestions": [suggestion_json(s) for s in found]}, ensure_ascii=False)
                   for text, found in zip(batch, ranked)]
        else:
            out = [" | ".join(f"{s.code} {s.score:.2f} ({s.evidence()})" for s in found) for found in ranked]
        yield "".join(line + "\n" for line in out).encode()


@cli.command()
@click.argument("transcripts", nargs=-1)
@click.option("--coder", default="auto", show_default=True, help="The coder the auto codings go under.")
@click.option("--unit", type=click.Choice(["turn", "sentence"]), default="turn", show_default=True)
@click.option("--top", type=click.IntRange(1, 20), default=1, show_default=True, help="Codes per unit at most.")
@click.option("--include-interviewers", is_flag=True, help="Code interviewer turns too.")
@click.option("--semantic", is_flag=True, help="Rank with the question and the semantic layer too (slower).")
@click.option("--learn-from", metavar="CODER", help="With --semantic: also learn from this coder's codings.")
@suggestion_options
@project_option
def autocode(transcripts: tuple[str, ...], coder: str, unit: str, top: int, include_interviewers: bool,
             semantic: bool, learn_from: str | None, min_score: float | None, use_learned: bool,
             codebook_ids: tuple[str, ...], project_path: Path | None) -> None:
    """Store suggestions as codings (origin 'auto') under their own coder.

    TRANSCRIPTS by name or id (default: all). Only suggestions scoring at least
    --min-score are stored; the default is the score from which the engine's
    top suggestions were right at least 80% of the time on hand-coded
    interviews it was not fitted on, and the command says that precision.
    Running it again replaces that coder's earlier auto codings in those
    transcripts. A coder who has coded by hand is refused, so auto codings
    never mix with a human's. What a person rejected in the workbench is never
    added. The default is the fast keyword path; --semantic ranks like the
    workbench (the question, the semantic layer, and with --learn-from a
    coder's codings).
    """
    from jhs_qual.suggest.calibrate import shipped
    from jhs_qual.suggest.service import project_units

    if learn_from and not semantic:
        raise BadInput("--learn-from goes with --semantic", field="--learn-from")
    threshold = shipped().autocode["engine" if semantic else "keywords"]
    floor = threshold.at if min_score is None else min_score
    with open_project(project_path) as project:
        ids = [project.transcript(t)["id"] for t in transcripts] or sorted(project.transcript_names())
        code_ids = {f"{c['codebook_id']}/{c['code_id']}": c["id"] for c in project.codes()}
        if semantic:
            if learn_from is not None:
                project.require_coders([learn_from], option="--learn-from")
            engine = _engine(project, codebook_ids, learn_from=learn_from, learn=learn_from is not None,
                             semantic=True)  # exactly that coder's codings: the config's learn_from is a person's
            chosen, count = [], 0
            for first in range(0, len(ids), AUTOCODE_TRANSCRIPTS):  # memory: one slice's texts and units at a time
                found_units = engine.units(ids[first:first + AUTOCODE_TRANSCRIPTS], unit, include_interviewers)
                count += len(found_units)
                ranked = progress(engine.ranked_in_chunks(found_units, top=top, min_score=floor), len(found_units),
                                  f"suggesting for {len(found_units)} {unit}s (transcripts {first + 1}-"
                                  f"{min(first + AUTOCODE_TRANSCRIPTS, len(ids))} of {len(ids)})")
                chosen += [(u.unit, s.code) for u, found in ranked for s in found]
        else:
            suggester = _suggester(project, use_learned, codebook_ids)
            pairs = project_units(project, ids, unit, include_interviewers)
            units = [u for u, _ in pairs]
            count = len(units)
            scoped = project.codebooks_by_transcript()
            found = suggester.suggest([text for _, text in pairs], top=top, min_score=floor,
                                      codebooks=[scoped[u.transcript_id] for u in units])
            chosen = [(units[i], code) for i, code, _ in found.rows()]
        rejected = project.rejections()  # by any coder: autocode never adds what a person turned down
        rows = [(u.transcript_id, code_ids[code], u.start, u.end) for u, code in chosen
                if not rejected.covers(u.transcript_id, code_ids[code], u.start, u.end)]
        added = project.replace_auto_codings(coder, ids, rows)
    expected = (f"; from {threshold.at:.2f} on, {threshold.precision:.0%} of the top suggestions were right "
                "on held-out interviews" if min_score is None else "")
    echo(f"{plural(added, 'auto coding')} by '{coder}' on {count} {unit}s of {plural(len(ids), 'transcript')} "
         f"(min score {floor:.2f}, at most {top} per {unit}{', semantic' if semantic else ''}{expected})")


@cli.group()
def keywords() -> None:
    """Learn keyword candidates from a coder's codings."""


@keywords.command("learn")
@click.argument("code_ref", metavar="CODE")
@click.option("--coder", required=True, envvar="JHS_QUAL_CODER", help="Whose codings to learn from.")
@click.option("--top", type=click.IntRange(1, 200), default=20, show_default=True)
@click.option("--min-count", type=click.IntRange(1, 1000), default=2, show_default=True,
              help="A candidate occurs at least this often in the code's segments.")
@click.option("--min-z", type=Finite(), default=1.96, show_default=True,
              help="Weighted log-odds z-score a candidate needs (1.96: 95% two-sided).")
@click.option("--accept", "accepted", multiple=True, metavar="TERM",
              help="Accept this candidate (repeatable): used when scoring with --use-learned.")
@click.option("--accept-all", is_flag=True, help="Accept every candidate listed.")
@click.option("--add-to", "codebook_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the accepted terms into this codebook YAML (comments and order kept) and reload it.")
@project_option
def keywords_learn(code_ref: str, coder: str, top: int, min_count: int, min_z: float, accepted: tuple[str, ...],
                   accept_all: bool, codebook_file: Path | None, project_path: Path | None) -> None:
    """Words that set CODE's segments apart from the other turns (weighted log-odds, Monroe et al. 2008)."""
    from jhs_qual.suggest.learn import candidates
    from jhs_qual.suggest.pipeline import load_pipeline

    with open_project(project_path) as project:
        project.require_coders([coder], "--coder")
        code = project.resolve_code(code_ref)
        ref = f"{code['codebook_id']}/{code['code_id']}"
        language = next(b["language"] for b in project.codebooks() if b["id"] == code["codebook_id"])
        pipeline = load_pipeline(language)
        codings = project.codings([coder])
        segments = [c for c in codings if c.code == ref]
        if not segments:
            raise BadInput(f"{coder} has no coding of {ref} to learn from", field="CODE")
        texts = project.texts()
        turns = project.codable_turns()
        in_code = [texts[c.transcript_id][c.start:c.end] for c in segments]
        rest = []
        for tid in sorted({c.transcript_id for c in codings}):
            spans = [(c.start, c.end) for c in segments if c.transcript_id == tid]
            rest += [texts[tid][s:e] for _, s, e in turns.get(tid, [])
                     if not any(a < e and b > s for a, b in spans)]
        known = {pipeline.lemma(w.lower()) for w in code["keywords"]} | {w.lower() for w in code["keywords"]}
        found = candidates(in_code, rest, pipeline, known, top=top, min_count=min_count, min_z=min_z)
        echo(f"{plural(len(found), 'candidate')} for {ref} from {plural(len(segments), 'segment')} by {coder}:")
        echo(_table([[c.term, f"{c.z:.2f}", c.in_code, c.elsewhere] for c in found],
                          ["term", "z", "in segments", "elsewhere"]))
        chosen = [c for c in found if accept_all or c.term in accepted]
        unknown = sorted(set(accepted) - {c.term for c in found})
        if unknown:
            raise BadInput(f"not among the candidates: {', '.join(unknown)}", field="--accept")
        if not chosen:
            return
        added = project.add_learned_keywords(code["id"], [(c.term, c.z) for c in chosen], coder)
        echo(f"accepted {plural(added, 'new term')} for {ref}; score with them using --use-learned")
        if codebook_file is not None:
            from jhs_qual.codebook import load_codebook
            from jhs_qual.codebook.edit import add_keywords

            written = add_keywords(codebook_file, code["codebook_id"], code["code_id"], [c.term for c in chosen])
            echo(f"wrote {plural(written, 'keyword')} into {codebook_file}; "
                       f"{project.load_codebook(load_codebook(codebook_file))} {code['codebook_id']}")
