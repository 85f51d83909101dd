"""Suggestion quality, measured honestly: the engine against four baselines on hand-coded
interviews that did not shape the codebooks, and the calibration of its one score.

The gold codings (`gold/`, one per sample interview) are the truth. An interview
whose words hold a codebook `example` (a run of EXAMPLE_RUN words or more) is left
out of both the evaluation and the calibration fit, and named in the output: the
engine reads those examples, so it would be tested on its own training text.

Each held-out interview is evaluated in a fresh project (the sample transcripts
imported into a new file), through the engine factory the workbench and the
command line use (`ProjectEngine`), as a coder named `gold`. Learning is a curve:
after 0, 5, 10, 15 and 30 gold-coded answers of other interviews of the same kind
(professionals or pupils), DRAWS random draws each. Beside it, in the same run:

- random: a random order of the codes that apply (expected values);
- previous turn: the codes of the previous coded answer of the interview;
- keywords: the keyword path alone (`suggest-text`'s);
- engine, no learning: keywords, the question and the semantic layer.

Figures per interview kind: top-1 and top-3 over coded answers, of the suggestions shown
(above the floor) and of the ranking alone ("ranked", nothing held back); keys per coded answer
for a careful coder who presses Enter only when the top suggestion is right and
otherwise the code's key with shift (two keys), and the wrong codings a trusting
coder would store by pressing Enter on every top suggestion shown; silence: the share
of uncoded answers (back-channel, greetings) that get no suggestion.

The score is calibrated (suggest/calibrate.py): a logistic model fitted
leave-one-interview-out, so every held-out figure comes from a model that did not
see that interview; the expected calibration error and a reliability table are
printed. `--write` fits the models on all held-out interviews and writes
`src/jhs_qual/data/calibration.json` (the floor below which nothing is shown, and
autocode's thresholds, chosen on the held-out scores as the output says).

    .venv/bin/python benchmarks/bench_suggest_quality.py [--write] [--markdown]
"""

from __future__ import annotations

import argparse
import difflib
import json
import random
import re
import shutil
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "benchmarks" / "gold"
SAMPLES = ROOT / "transcripts_sample"
CODEBOOKS = ("bronstein", "professional_topics", "pupil_topics")
EXAMPLE_RUN = 8  # words in a row shared with a codebook example that take an interview out
SIZES = (0, 5, 10, 15, 30)
DRAWS = 3
BACK_CHANNEL_WORDS = 5  # an uncoded answer this short is a back-channel ("Oké.", "Ja hoor, prima.")
KEYS_AT = 15  # the learning level of the "engine, learning" row of the keys table
PRECISION = 0.8  # autocode's threshold: the lowest score at which the top suggestions are this often right
CALIBRATION = ROOT / "src" / "jhs_qual" / "data" / "calibration.json"


def kind_of(name: str) -> str:
    return "pupils" if "leerlingen" in name else "professionals"


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def example_bearing(project, names: list[str]) -> dict[str, str]:
    """{interview: why} for interviews that share EXAMPLE_RUN words in a row with a codebook example."""
    examples = [(f"{c['codebook_id']}/{c['code_id']}", words(c.get("example") or "")) for c in project.codes()]
    found = {}
    for name in names:
        text = words(project.transcript(name)["text"])
        for code, example in examples:
            match = difflib.SequenceMatcher(None, example, text, autojunk=False).find_longest_match(
                0, len(example), 0, len(text))
            if match.size >= EXAMPLE_RUN:
                found[name] = f"{match.size} words of {code}'s example"
                break
    return found


def build(path: Path) -> None:
    from click.testing import CliRunner

    from jhs_qual.cli import cli

    runner = CliRunner()
    for args in (["init", str(path), *sum((["--codebook", c] for c in CODEBOOKS), [])],
                 ["import", str(SAMPLES), "--attributes", str(SAMPLES / "attributes.csv"), "--project", str(path)]):
        result = runner.invoke(cli, args)
        if result.exit_code:
            sys.exit(result.output)


@dataclass
class Answer:
    index: int  # 0-based turn index
    unit: object  # assist.Unit
    gold: set[str]  # codes on the turn (whole or a sentence), "codebook/id"
    silent: bool = False  # without evidence (calibrate.without_evidence): nothing shown


@dataclass
class Interview:
    name: str
    answers: list[Answer]
    examples: dict[int, tuple[str, str]] = field(default_factory=dict)  # fake coding id -> (code, text) of coded answers


def read_interviews(engine, project) -> dict[str, Interview]:
    interviews = {}
    for file in sorted(GOLD.glob("*.yaml")):
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        name = data["transcript"]
        tid = project.transcript(name)["id"]
        books = project.codebooks_by_transcript()[tid]
        refs = {c["code_id"]: f"{c['codebook_id']}/{c['code_id']}" for c in project.codes() if c["codebook_id"] in books}
        gold = {int(turn): {refs[c if isinstance(c, str) else c["code"]] for c in codes}
                for turn, codes in (data.get("turns") or {}).items()}
        answers = [Answer(u.unit.turn - 1, u, gold.get(u.unit.turn, set())) for u in engine.units([tid], "turn", False)]
        interview = Interview(name, answers)
        for a in answers:
            for code in sorted(a.gold):
                interview.examples[len(interview.examples) + 1000 * len(interviews)] = (code, engine._joined(a.unit))
        interviews[name] = interview
    return interviews


def draws(pool: list[tuple[str, str]], n: int, seed: int) -> list[dict[int, tuple[str, str]]]:
    """DRAWS random sets of n coded answers (as learning examples) from the pool."""
    if n == 0:
        return [{}]
    return [{i: ex for i, ex in enumerate(random.Random(seed * 100 + d).sample(pool, min(n, len(pool))))}
            for d in range(DRAWS)]


def evaluate(held_out: list[str] | None = None) -> dict:
    """Every figure of the report; `held_out` limits the interviews evaluated (tests)."""
    from jhs_qual.config import Config
    from jhs_qual.store import Project
    from jhs_qual.suggest.assist import ProjectEngine, random_hits
    from jhs_qual.suggest.calibrate import FEATURES, without_evidence

    settings = Config().suggest
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "base.jhsq"
        build(base)
        with Project.open(base) as project:
            names = [yaml.safe_load(f.read_text(encoding="utf-8"))["transcript"] for f in sorted(GOLD.glob("*.yaml"))]
            left_out = example_bearing(project, names)
        rows: dict[str, list] = defaultdict(list)  # interview -> (state, answer position, code, features, label)
        results: dict[str, dict] = {}
        for name in names:
            if name in left_out or (held_out is not None and name not in held_out):
                continue
            fresh = Path(folder) / f"{name}.jhsq"
            shutil.copy(base, fresh)
            with Project.open(fresh) as project:
                engine = ProjectEngine(project, settings, learn_from="gold", semantic=True)
                interviews = read_interviews(engine, project)
                test = interviews[name]
                engine.prepare([a.unit for a in test.answers])
                pool = [ex for other in interviews.values() if other.name != name
                        and kind_of(other.name) == kind_of(name) for ex in other.examples.values()]
                semantic = engine.semantic
                for n in SIZES:
                    for d, examples in enumerate(draws(pool, n, sum(map(ord, name)) + n)):
                        engine.follow(examples)
                        # autocode: the semantic layer, no coder's previous code to go on;
                        # text: a bare line (suggest-text --semantic), no question either
                        for layer in ("meaning", "keywords") + (("autocode", "text") if n == 0 else ()):
                            previous: frozenset[str] | None = None  # the coder goes through in order
                            for position, a in enumerate(test.answers):
                                signals = engine.suggester.signals(
                                    engine.text(a.unit.unit.transcript_id), a.unit.unit.start, a.unit.unit.end,
                                    codebooks=a.unit.codebooks, question=None if layer == "text" else a.unit.question,
                                    learner=engine.learner, semantic=None if layer == "keywords" else semantic,
                                    previous=previous)
                                a.silent = without_evidence(a.unit.text, bool(signals.answer))
                                if layer in ("meaning", "keywords") and a.gold:
                                    previous = frozenset(a.gold)
                                for code, features in zip(signals.codes, signals.rows):
                                    rows[name].append(((n, d, layer), position, code, features, code in a.gold))
                keyword = engine.suggester.suggest([a.unit.text for a in test.answers], calibrated=False,
                                                   codebooks=[a.unit.codebooks for a in test.answers])
                results[name] = {"answers": test.answers, "keyword": [[(s.code, s.score) for s in f] for f in keyword],
                                 "codes": {a.unit.unit.turn: sorted(d for d in engine.inputs.docs
                                                                    if d.partition("/")[0] in a.unit.codebooks)
                                           for a in test.answers}}
    return report(rows, results, left_out, random_hits, FEATURES)


def fit_rows(rows: dict[str, list], names: list[str], features: tuple[str, ...], columns: list[int], layer_filter=None):
    from jhs_qual.suggest.calibrate import fit

    chosen = [r for name in names for r in rows[name] if layer_filter is None or r[0][2] in layer_filter]
    x = np.array([[r[3][c] for c in columns] for r in chosen], dtype=np.float64)
    y = np.array([r[4] for r in chosen], dtype=np.float64)
    return fit(x, y, features)


def report(rows, results, left_out, random_hits, FEATURES) -> dict:
    from jhs_qual.suggest.calibrate import KEYWORD_FEATURES, reliability, word_feature

    names = sorted(results)
    engine_cols = list(range(len(FEATURES)))
    keyword_cols = [FEATURES.index(f) for f in KEYWORD_FEATURES]
    scored: dict[str, dict] = {}  # interview -> state -> position -> [(p, code)]
    keyword_scored: dict[str, list] = {}
    held_scores, held_labels = [], []
    for name in names:
        others = [n for n in names if n != name] or [name]
        model = fit_rows(rows, others, FEATURES, engine_cols)
        keyword_model = fit_rows(rows, others, KEYWORD_FEATURES, keyword_cols, {"keywords"})
        by_state: dict = defaultdict(lambda: defaultdict(list))
        for state, position, code, features, label in rows[name]:
            p = float(model.probability(np.asarray(features)[None, :])[0])
            by_state[state][position].append((p, code))
            held_scores.append(p)
            held_labels.append(label)
        scored[name] = by_state
        answers = results[name]["answers"]
        keyword_scored[name] = [sorted(((float(keyword_model.probability(np.array([[s, word_feature(a.unit.text)]]))[0]), c)
                                        for c, s in found), key=lambda pc: -pc[0])
                                for a, found in zip(answers, results[name]["keyword"])]
    error, table = reliability(np.array(held_scores), np.array(held_labels, dtype=float))

    def ranking(name: str, method: str, position: int) -> list[tuple[float, str]]:
        answers = results[name]["answers"]
        if method == "keywords":
            return keyword_scored[name][position]
        previous = next((a.gold for a in reversed(answers[:position]) if a.gold), set())  # "previous"
        return [(1.0, c) for c in sorted(previous)]

    def hits(name: str, method: str, n: int = 0, layer: str = "meaning") -> dict:
        """top-1, top-3, keys and trusting-coder errors over the interview's answers (mean over draws)."""
        answers = results[name]["answers"]
        if method in ("engine", "random"):
            states = sorted(s for s in scored[name] if s[0] == n and s[2] == layer)
        else:
            states = [None]
        totals = defaultdict(float)
        for state in states:
            for position, a in enumerate(answers):
                if method == "random":
                    allowed = len(results[name]["codes"][a.unit.unit.turn])
                    r1, r3 = random_hits(a.gold, allowed) if a.gold else (0.0, 0.0)
                    if a.gold:
                        totals["coded"] += 1
                        totals["top1"] += r1
                        totals["top3"] += r3
                        totals["ranked_top1"] += r1
                        totals["ranked_top3"] += r3
                        totals["keys"] += r1 * 1 + (1 - r1) * 2
                    continue
                if method == "engine":
                    ranked = sorted(scored[name][state][position], key=lambda pc: (-pc[0], pc[1]))
                else:
                    ranked = ranking(name, method, position)
                shown = [c for p, c in ranked if method == "previous" or (p >= SHOW_AT[method] and not a.silent)]
                if a.gold:
                    ordered = [c for p, c in ranked]  # the ranking alone, nothing held back by the floor
                    totals["ranked_top1"] += bool(ordered[:1] and ordered[0] in a.gold)
                    totals["ranked_top3"] += bool(set(ordered[:3]) & a.gold)
                    totals["coded"] += 1
                    totals["top1"] += bool(shown[:1] and shown[0] in a.gold)
                    totals["top3"] += bool(set(shown[:3]) & a.gold)
                    totals["keys"] += 1 if shown[:1] and shown[0] in a.gold else 2
                    totals["keys"] += len(a.gold) - 1  # each further code: its key
                    totals["trusting_wrong"] += bool(shown[:1] and shown[0] not in a.gold)
                else:
                    totals["uncoded"] += 1
                    totals["silent"] += not shown
                    totals["trusting_wrong"] += bool(shown)
                    if len(words(a.unit.text)) <= BACK_CHANNEL_WORDS:
                        totals["short"] += 1
                        totals["short_silent"] += not shown
        share = len(states)
        return {k: v / share for k, v in totals.items()}

    # The floor: the score below which showing a suggestion does more harm than good to a
    # coder who presses Enter on the top suggestion (wrong codings stored against right ones
    # hidden), chosen on the held-out engine scores of the cold engine.
    global SHOW_AT
    candidates = [round(t, 2) for t in np.arange(0.05, 0.61, 0.01)]

    def harm(t: float, method: str) -> float:
        SHOW_AT[method] = t
        return sum(h["trusting_wrong"] + h["coded"] - h["top1"] for h in (hits(name, method) for name in names))

    SHOW_AT = {"engine": 0.0, "keywords": 0.0}
    show_at = min(candidates, key=lambda t: (harm(t, "engine"), t))
    SHOW_AT = {"engine": show_at, "keywords": show_at}

    def autocode_threshold(method: str) -> dict:
        tops = []
        for name in names:
            answers = results[name]["answers"]
            if method == "engine":
                state = next(s for s in scored[name] if s[0] == 0 and s[2] == "autocode")
                ranked = [sorted(scored[name][state][i], key=lambda pc: (-pc[0], pc[1])) for i in range(len(answers))]
            else:
                ranked = keyword_scored[name]
            tops += [(r[0][0], r[0][1] in a.gold) for r, a in zip(ranked, answers) if r]
        tops.sort(reverse=True)
        best = {"at": 1.0, "precision": 0.0, "stored": 0}
        right = 0
        for i, (p, ok) in enumerate(tops, 1):
            right += ok
            if i >= 10 and right / i >= PRECISION and p >= show_at:  # never store what the workbench would not show
                best = {"at": round(p, 3), "precision": round(right / i, 3), "stored": i}
        return best

    methods = [("random", "random", 0, "meaning"), ("previous turn", "previous", 0, "meaning"),
               ("keywords", "keywords", 0, "meaning"), ("engine, keywords layer", "engine", 0, "keywords"),
               ("engine, no learning", "engine", 0, "meaning")] + [
              (f"engine, learned {n}", "engine", n, "meaning") for n in SIZES[1:]]
    table_rows = []
    for kind in ("professionals", "pupils"):
        members = [n for n in names if kind_of(n) == kind]
        if not members:
            continue
        for label, method, n, layer in methods:
            parts = [hits(name, method, n, layer) for name in members]
            total = defaultdict(float)
            for part in parts:
                for k, v in part.items():
                    total[k] += v
            table_rows.append({"kind": kind, "method": label, "coded": int(total["coded"]),
                               "top1": total["top1"] / total["coded"], "top3": total["top3"] / total["coded"],
                               "ranked_top1": total["ranked_top1"] / total["coded"],
                               "ranked_top3": total["ranked_top3"] / total["coded"],
                               "keys": total["keys"] / total["coded"],
                               "trusting_wrong": total["trusting_wrong"],
                               "silent": total["silent"] / total["uncoded"] if total["uncoded"] else None,
                               "short_silent": total["short_silent"] / total["short"] if total["short"] else None,
                               "per_interview": {name: hits(name, method, n, layer)["top1"] / max(hits(name, method, n, layer)["coded"], 1)
                                                 for name in members}})
    final_engine = fit_rows(rows, names, FEATURES, engine_cols)
    final_keywords = fit_rows(rows, names, KEYWORD_FEATURES, keyword_cols, {"keywords"})
    return {"left_out": left_out, "evaluated": names, "ece": error, "reliability": table, "show_at": show_at,
            "autocode": {"engine": autocode_threshold("engine"), "keywords": autocode_threshold("keywords")},
            "rows": table_rows, "engine": final_engine, "keywords": final_keywords}


SHOW_AT: dict[str, float] = {}


def print_report(result: dict, markdown: bool) -> None:
    print("left out (they hold codebook examples): " + "; ".join(f"{k} ({v})" for k, v in result["left_out"].items()))
    print("evaluated: " + ", ".join(result["evaluated"]))
    head = ["kind", "method", "coded", "top-1", "top-3", "ranked top-1", "ranked top-3", "keys/coded",
            "trusting: wrong", "silent on uncoded", "silent on back-channel"]
    lines = [[r["kind"], r["method"], str(r["coded"]), f"{r['top1']:.0%}", f"{r['top3']:.0%}",
              f"{r['ranked_top1']:.0%}", f"{r['ranked_top3']:.0%}", f"{r['keys']:.2f}",
              f"{r['trusting_wrong']:.1f}", "" if r["silent"] is None else f"{r['silent']:.0%}",
              "" if r["short_silent"] is None else f"{r['short_silent']:.0%}"] for r in result["rows"]]
    if markdown:
        print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
        for line in lines:
            print("| " + " | ".join(line) + " |")
    else:
        widths = [max(len(x) for x in col) for col in zip(head, *lines)]
        for line in [head] + lines:
            print("  ".join(x.ljust(w) for x, w in zip(line, widths)))
    print(f"\nshown from score {result['show_at']:.2f}; expected calibration error (held out) {result['ece']:.3f}")
    print("reliability: " + "; ".join(f"{b['from']:.1f}-{b['to']:.1f}: n={b['n']} mean {b['mean_score']:.2f} "
                                      f"right {b['right']:.2f}" for b in result["reliability"]))
    for model, t in result["autocode"].items():
        print(f"autocode ({model}): from {t['at']:.3f}, {t['precision']:.0%} right ({t['stored']} top suggestions)")


def write(result: dict) -> None:
    data = {"fitted_on": "benchmarks/bench_suggest_quality.py --write: " + ", ".join(result["evaluated"]),
            "engine": result["engine"].as_json(), "keywords": result["keywords"].as_json(),
            "show_at": result["show_at"],
            "autocode": {k: {"at": v["at"], "precision": v["precision"]} for k, v in result["autocode"].items()}}
    CALIBRATION.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {CALIBRATION.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the fitted calibration into the package")
    parser.add_argument("--markdown", action="store_true", help="the table as Markdown (for the README)")
    args = parser.parse_args()
    result = evaluate()
    print_report(result, args.markdown)
    if args.write:
        write(result)


if __name__ == "__main__":
    main()
