"""Suggestion quality on the study's own labelled texts: a proxy until researcher-coded quotes exist.

The report's appendices (../shared/domain/seed-excerpts/appendices.txt) hold
texts the study itself filed under our themes:
- the ISJO questionnaire items, grouped by Bronstein mechanism (bronstein codebook);
- the teacher competence items, "t.a.v. het leerlingen" / "t.a.v. het netwerk"
  (professional_topics);
- the pupil interview guide, whose sections are the pupil topics (pupil_topics),
  split into questions.

Prints, per set, how often the item's theme is the first suggestion (top-1) and
among the first three (top-3), for a random ranking, the keywords alone, the
semantic layer alone (closeness in meaning to each code's labels, definition,
guidance, example and phrases) and the two fused (as the workbench ranks before
anything is coded). These are questionnaire items and interview questions, not answers, and
they were read while writing the codebooks, so they are not held out: a check
that nothing regressed, not the researchers' measure.

    .venv/bin/python benchmarks/quality_proxy.py [--verbose]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPENDICES = ROOT.parent / "shared" / "domain" / "seed-excerpts" / "appendices.txt"

# Section headings (their first words) of the numbered item lists -> code; a list ends at a line without a number
# that is not a continuation (continuations start in lower case).
ITEM_SECTIONS = {
    "Onderlinge afhankelijkheid": "bronstein/interdependence",
    "Nieuw gecreëerde professionele activiteiten": "bronstein/new_activities",
    "Flexibiliteit": "bronstein/flexibility",
    "Reflectie op het proces": "bronstein/process_reflection",
    "Competentie t.a.v. het leerlingen": "professional_topics/competence_pupils",
    "Competentie t.a.v. het netwerk": "professional_topics/competence_network",
}
# Headings of the pupil interview guide (Bijlage 5) -> code.
GUIDE_SECTIONS = {
    "Ervaringen van leerlingen met lessen": "pupil_topics/intervention",
    "Effect op sociale vaardigheden (individueel)": "pupil_topics/sel_individual",
    "Effect op sociale vaardigheden (groep)": "pupil_topics/sel_group",
    "Negatieve ervaringen": "pupil_topics/improvements",
    "Ervaringen van leerlingen met de rol": "pupil_topics/professional_roles",
    "Contact met jeugdhulpverlener": "pupil_topics/contact_youth_worker",
    "Contact met ouders": "pupil_topics/contact_parents",
}


def numbered_items(lines: list[str]) -> list[tuple[str, str]]:
    """(item, code) for the numbered items under the headings of ITEM_SECTIONS."""
    found, code = [], None
    for line in lines:
        text = line.strip()
        heading = next((c for h, c in ITEM_SECTIONS.items() if text == h), None)
        number = re.match(r"(\d+)\.\s+(.*)", text)
        if heading:
            code = heading
        elif code and number:
            found.append((number.group(2), code))
        elif code and found and text[:1].islower():
            found[-1] = (found[-1][0] + " " + text, code)
        elif text:
            code = None
    return found


def guide_questions(lines: list[str]) -> list[tuple[str, str]]:
    """(question, code) for the pupil interview guide: each section's text split
    after '?', keeping questions of six words or more (shorter ones, "Wat vond je
    daarvan?", mean nothing without the one before)."""
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("Bijlage 5"))
    end = next(i for i, line in enumerate(lines) if line.strip().startswith("Bijlage 6"))
    sections: dict[str, list[str]] = {}
    code, in_heading = None, False
    for line in lines[start + 1:end]:
        text = line.strip()
        heading = next((h for h in GUIDE_SECTIONS if text.startswith(h)), None)
        if heading:
            code, rest = GUIDE_SECTIONS[heading], text[len(heading):]
            # "Effect op ... (groep), groepsklimaat. a. Soms ...": the questions start after the first full stop
            text = rest.split(". ", 1)[1] if ". " in rest else ""
            in_heading = not text
        elif in_heading and text[:1].islower():  # the heading goes on ("..., verbetersuggesties")
            continue
        else:
            in_heading = False
        if code and text:
            sections.setdefault(code, []).append(re.sub(r"\b[ab]\.\s+", "", text))
    found = []
    for code, parts in sections.items():
        for question in re.split(r"(?<=[?.])\s+", " ".join(parts)):
            if len(question.split()) >= 6:
                found.append((question.strip(" /"), code))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="every item with its fused suggestions")
    args = parser.parse_args()
    if not APPENDICES.exists():
        raise SystemExit(f"{APPENDICES}: not here; this measure needs the shared domain excerpts")
    from jhs_qual.codebook import load_codebook
    from jhs_qual.suggest.assist import Engine, EngineInputs, random_hits

    lines = APPENDICES.read_text(encoding="utf-8").splitlines()
    books = {name: load_codebook(ROOT / "codebooks" / f"{name}.yaml")
             for name in ("bronstein", "professional_topics", "pupil_topics")}
    print(f"{'set':28} {'items':>5}  {'engine':14} {'top-1':>6} {'top-3':>6}")
    for title, items, names in (("ISJO and competence items", numbered_items(lines), ["bronstein", "professional_topics"]),
                                ("pupil interview guide", guide_questions(lines), ["pupil_topics"])):
        chosen = [books[n] for n in names]
        engine = Engine(EngineInputs.from_codebooks(chosen), learn=False)  # the one factory, as the workbench
        codes = list(engine.inputs.docs)
        texts = [t for t, _ in items]
        engine.semantic.vectors(texts)
        keyword = [[s.code for s in each] for each in engine.suggester.suggest(texts, top=3, min_score=0.0)]
        meaning = [sorted(codes, key=lambda c, t=t: -engine.semantic.similarity(t, codes)[0][c])[:3] for t in texts]
        fused_found = [engine.rank(t, 0, len(t), top=3, min_score=0.0) for t in texts]
        fused = [[s.code for s in each] for each in fused_found]
        baseline = [random_hits({code}, len(codes)) for _, code in items]
        rows = [("random ranking", sum(b[0] for b in baseline), sum(b[1] for b in baseline))]
        for name, ranked in (("keywords", keyword), ("semantic", meaning), ("fused", fused)):
            rows.append((name, sum(r[:1] == [c] for r, (_, c) in zip(ranked, items)),
                         sum(c in r for r, (_, c) in zip(ranked, items))))
        for name, top1, top3 in rows:
            print(f"{title:28} {len(items):>5}  {name:14} {top1 / len(items):>6.0%} {top3 / len(items):>6.0%}")
        if args.verbose:
            for each, (text, code) in zip(fused_found, items):
                ranked = [s.code for s in each]
                mark = {0: "1st", 1: "2nd", 2: "3rd"}.get(ranked.index(code) if code in ranked else None, "---")
                print(f"  {mark} {code:40} {text[:70]!r:74} " + "; ".join(s.code.split('/')[1] for s in each))


if __name__ == "__main__":
    sys.exit(main())
