"""Keys per coded turn: the hand-written gold coding of each sample interview replayed in the workbench.

For every answer, in order, the replay looks at the workbench as the coder
would (the suggestions on screen, with the real engine) and presses the
cheapest keys that give exactly the gold codes of that turn:

- a gold code that is the highlighted (top) suggestion: Enter, which also
  moves on (pressed last);
- a gold code among the first three suggestions: `!`, `@` or `#`;
- any other gold code: its shortcut key, or the key with shift (code and
  move on) for the last one;
- a code on one sentence: `v` (from the first) or `V` (from the last) until
  that sentence is selected, then the code's key;
- past answers without a code: page down (to the answer nearest ten turns
  on) where it does not overshoot, else `j`.

Suggestions learn from the codings made so far (the workbench re-ranks the
next answers), so the figures are those of a coder working through the
interview from the top. At the end the codings in the project must equal the
gold exactly, or the run fails. Figures: keys / coded turns per interview,
and the share of coded turns whose first code was the top suggestion.

    .venv/bin/python benchmarks/bench_effort.py [--only NAME] [--no-learning] [--verbose]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "benchmarks" / "gold"
SAMPLES = ROOT / "transcripts_sample"
CODEBOOKS = [ROOT / "codebooks" / f"{n}.yaml" for n in ("bronstein", "professional_topics", "pupil_topics")]
ACCEPT_KEYS = ("exclamation_mark", "at", "number_sign")


def build(path: Path):
    from click.testing import CliRunner

    from jhs_qual.cli import cli

    runner = CliRunner()
    for args in (["init", str(path), *sum((["--codebook", str(c)] for c in CODEBOOKS), [])],
                 ["import", str(SAMPLES), "--attributes", str(SAMPLES / "attributes.csv"), "--project", str(path)]):
        result = runner.invoke(cli, args)
        if result.exit_code:
            sys.exit(result.output)


def read_gold(file: Path) -> tuple[str, dict[int, list]]:
    data = yaml.safe_load(file.read_text(encoding="utf-8"))
    return data["transcript"], {int(turn): codes for turn, codes in (data.get("turns") or {}).items()}


def plan(screen, codes: list, sentences: int) -> tuple[list[str], bool]:
    """The keys that code one answer and move on, and whether a gold code was the top suggestion.
    (Moving on is the last key: Enter for the top suggestion, a code's key with shift, or j.)"""
    suggested = [s.code.partition("/")[2] for s in screen.suggestions]
    whole = [c for c in codes if isinstance(c, str)]
    parts = [c for c in codes if isinstance(c, dict)]
    top = suggested[0] if suggested else None
    by_id = {c["code_id"]: c for c in screen.codes}
    keys: list[str] = []
    for part in parts:
        k = part["sentence"]
        k = k if k > 0 else sentences + 1 + k
        from_start, from_end = k, sentences + 1 - k
        keys += ["v"] * from_start if from_start <= from_end else ["V"] * from_end
        keys.append(by_id[part["code"]]["key"])
    rest = [c for c in whole if c != top]
    last = "enter" if top in whole else (by_id[rest.pop()]["key"].upper() if rest else None)
    for code in rest:
        keys.append(ACCEPT_KEYS[suggested.index(code)] if code in suggested[:3] else by_id[code]["key"])
    if last is not None:
        keys.append(last)
    return keys, top in whole


def moves(screen, view, target: int) -> list[str]:
    """The fewest keys from the cursor to the answer `target` (passing answers without a code):
    page down (to the answer nearest ten turns on) while it does not overshoot, then j."""
    keys, at = [], view.cursor
    answers = view.answers()
    while at != target:
        goal = min(at + 10, len(view.turns) - 1)
        landing = min(answers, key=lambda a: (abs(a - goal), a))
        if at < landing <= target:
            keys.append("pagedown")
            at = landing
        else:
            keys.append("j")
            at = next(a for a in answers if a > at)
    return keys


async def replay(path: Path, name: str, gold: dict[int, list], learning: bool, verbose: bool) -> dict:
    from jhs_qual.config import Config
    from jhs_qual.store import Project
    from jhs_qual.tui.app import JhsApp
    from jhs_qual.tui.widgets.transcript import TranscriptView

    project = Project.open(path)
    tid = project.transcript(name)["id"]
    config = Config(path=path.parent / "config.toml")
    if not learning:
        config.suggest = replace(config.suggest, learn=False)
    app = JhsApp(project, coder="gold", config=config, open_transcript=(tid, None))
    keys_total, coded, top_right, log = 0, 0, 0, []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        view = screen.query_one(TranscriptView)
        answers = [i for i, asked in enumerate(view.interviewer) if not asked]
        targets = [i for i in answers if gold.get(i + 1)]
        for index in targets:
            if view.cursor != index:  # answers without a code on the way
                keys = moves(screen, view, index)
                keys_total += len(keys)
                await pilot.press(*keys)
                if verbose:
                    log.append(f"  to turn {index + 1}: {keys}")
            assert view.cursor == index, (name, view.cursor, index)
            while screen._shown_for != view.cursor:  # the coder looks at the suggestions shown
                await pilot.pause(0.02)
            codes = gold[index + 1]
            keys, top = plan(screen, codes, len(view.sentences()))
            if index != answers[-1] and keys[-1] not in ("enter",) and not keys[-1].isupper():
                keys.append("j")
            coded += 1
            top_right += top
            keys_total += len(keys)
            if verbose:
                log.append(f"  turn {index + 1}: {codes} <- {keys}  (shown: "
                           f"{[s.code.partition('/')[2] for s in screen.suggestions][:3]})")
            await pilot.press(*keys)
        await pilot.press("ctrl+q")
    with Project.open(path) as check:
        made = sorted((c["start"], c["end"], c["code"].partition("/")[2]) for c in check.transcript_codings(tid, "gold"))
        want = []
        from jhs_qual.domain.sentences import sentence_spans

        text = check.transcript(name)["text"]
        for number, codes in gold.items():
            turn = check.turn(tid, number)
            for code in codes:
                if isinstance(code, str):
                    want.append((turn["content_start"], turn["end"], code))
                else:
                    spans = sentence_spans(text, turn["content_start"], turn["end"])
                    k = code["sentence"]
                    want.append((*spans[k - 1 if k > 0 else k], code["code"]))
    if made != sorted(want):
        sys.exit(f"{name}: the replay did not give the gold codings:\n  made {made}\n  gold {sorted(want)}")
    if verbose:
        print("\n".join(log))
    return {"transcript": name, "answers": len(answers), "coded": coded, "keys": keys_total,
            "per_turn": keys_total / coded if coded else 0.0, "top_right": top_right}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="one transcript")
    parser.add_argument("--no-learning", action="store_true", help="suggestions from the codebooks only")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "effort.jhsq"
        build(path)
        for file in sorted(GOLD.glob("*.yaml")):
            name, gold = read_gold(file)
            if args.only and name != args.only:
                continue
            results.append(asyncio.run(replay(path, name, gold, not args.no_learning, args.verbose)))
    print(f"{'interview':34} {'answers':>7} {'coded':>5} {'keys':>5} {'keys/coded turn':>15} {'top right':>9}")
    for r in results:
        print(f"{r['transcript']:34} {r['answers']:>7} {r['coded']:>5} {r['keys']:>5} {r['per_turn']:>15.2f} "
              f"{r['top_right'] / r['coded']:>9.0%}")
    keys, coded = sum(r["keys"] for r in results), sum(r["coded"] for r in results)
    print(f"{'all':34} {sum(r['answers'] for r in results):>7} {coded:>5} {keys:>5} {keys / coded:>15.2f} "
          f"{sum(r['top_right'] for r in results) / coded:>9.0%}")


if __name__ == "__main__":
    main()
