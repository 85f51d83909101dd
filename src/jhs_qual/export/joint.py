"""The joint display: questionnaire scales beside the themes of the interviews, group by group.

One row per scale linked to a code: for each group of an attribute the respondents and the
transcripts share (school_type, school ...) the scale's M (SD) with its letters, the code's share
of that group's transcripts (and its codings), and the most typical quotes of the code from that
group. A group with answers but no interviews shows the scale alone, and the reverse.

A quote is typical when its words are nearest the centroid of the code's quotes from that group
(bags of words, cosine): what the code mostly is there, not its outliers. Everything shown passes through the
pseudonymiser, group names included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
import numpy as np

from jhs_qual.export.safe import markup

QUOTES_PER_GROUP = 2
QUOTE_CHARACTERS = 300
_WORD = re.compile(r"[^\W\d_]+")


@dataclass
class Cell:
    n: int = 0  # respondents with a score
    mean: float | None = None
    sd: float | None = None
    letters: str = ""
    transcripts: int = 0  # of the group's transcripts the code's codebook applies to, those coded with it
    of: int = 0
    codings: int = 0
    quotes: list[str] = field(default_factory=list)


@dataclass
class Row:
    scale: str  # "file/scale"
    label: str  # "nl / en"
    code: str  # "codebook/id"
    code_label: str
    alpha: float | None
    test: str  # the one-way test, as a report writes it
    cells: dict[str, Cell]
    high: float = 5  # the scale's maximum, for the chart


def typical(texts: list[str], count: int) -> list[int]:
    """The indexes of the `count` texts nearest the centroid of all of them (bags of words)."""
    if len(texts) <= count:
        return list(range(len(texts)))
    words = [[w.lower() for w in _WORD.findall(t)] for t in texts]
    vocabulary = {w: i for i, w in enumerate(sorted({w for ws in words for w in ws}))}
    vectors = np.zeros((len(texts), max(len(vocabulary), 1)))
    for row, ws in enumerate(words):
        for w in ws:
            vectors[row, vocabulary[w]] += 1
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    centroid = vectors.mean(axis=0)
    return [int(i) for i in np.argsort(-(vectors @ centroid), kind="stable")[:count]]


def describe_test(test: dict | None) -> str:
    if test is None:
        return "no test (fewer than two groups with two scores)"
    p = "p < .001" if test["p"] < 0.001 else f"p = {test['p']:.3f}"
    return (f"{'Welch ' if test['welch'] else ''}F({test['df'][0]}, {test['df'][1]:.4g}) = {test['F']:.2f}, {p}, "
            f"η² = {test['eta2']:.2f}")


def cell_text(cell: Cell) -> str:
    scale = f"{cell.mean:.2f} ({cell.sd:.2f}){(' ' + cell.letters) if cell.letters else ''}, n = {cell.n}" \
        if cell.mean is not None and cell.sd is not None else (f"{cell.mean:.2f}, n = {cell.n}" if cell.mean is not None
                                                                else "no answers")
    interviews = (f"{round(100 * cell.transcripts / cell.of)}% of {cell.of} transcript{'s' if cell.of != 1 else ''} "
                  f"({cell.codings} coding{'s' if cell.codings != 1 else ''})" if cell.of else "no interviews")
    return f"{scale}; {interviews}"


def build(project, by: str, *, coder: str | None = None, wave: str | None = None, pseudonymiser=None
          ) -> tuple[list[Row], list[str]]:
    """The display's rows (one per scale whose code is in the project) and its groups."""
    from jhs_qual.analysis.scales import analyse
    from jhs_qual.export.quotes import gather

    clean = pseudonymiser.apply if pseudonymiser else (lambda text: text)
    summary, codes = project.summary(by, coder)
    labels = {f"{c['codebook_id']}/{c['code_id']}": c["label_nl"] for c in codes}
    rows, groups = [], set()
    for scale_file in project.scale_files():
        items = list(scale_file.items)
        people, answers = project.survey_answers(items, wave)  # read once per questionnaire
        for scale in scale_file.scales:
            if scale.code not in labels:
                continue
            consistency, comparison = analyse(scale, items, people, answers, by, unassigned=None)
            interviews = summary.breakdown.get(scale.code, {})
            theme = gather(project, codes=[scale.code], coder=coder, pseudonymiser=pseudonymiser)
            quotes = theme[0].quotes if theme else []
            cells = {}
            for raw in sorted(set(comparison.groups) | {v for v in summary.values if v != "(none)"}):
                stats, counts = comparison.groups.get(raw), interviews.get(raw, {})
                group = clean(raw)
                mine = [q for q in quotes if q.attributes.get(by) == group]
                picked = [mine[i] for i in typical([q.text for q in mine], QUOTES_PER_GROUP)] if mine else []
                cells[group] = Cell(
                    n=stats.n if stats else 0, mean=stats.mean if stats else None, sd=stats.sd if stats else None,
                    letters=comparison.letters.get(raw, ""), transcripts=int(counts.get("transcripts", 0)),
                    of=int(counts.get("of", 0)), codings=int(counts.get("codings", 0)),
                    quotes=[_shortened(q.text) + f" ({q.attribution_en}, {q.transcript})" for q in picked])
                groups.add(group)
            rows.append(Row(f"{scale_file.id}/{scale.id}", f"{scale.label_nl} / {scale.label_en}", scale.code,
                            clean(labels[scale.code]), consistency.alpha, describe_test(comparison.test), cells,
                            scale.max))
    ordered = sorted(groups)
    for row in rows:
        for group in ordered:
            row.cells.setdefault(group, Cell())
    return rows, ordered


def _shortened(text: str) -> str:
    return text if len(text) <= QUOTE_CHARACTERS else text[:QUOTE_CHARACTERS].rsplit(" ", 1)[0] + " …"


def tables(rows: list[Row], groups: list[str]) -> dict[str, tuple[list, list]]:
    """The display as tables: one row per scale, a column per group; and the quotes."""
    wide = (["scale", "code", "alpha", "test", *groups],
            [[r.label, f"{r.code_label} ({r.code})", "-" if r.alpha is None else f"{r.alpha:.2f}", r.test,
              *(cell_text(r.cells[g]) for g in groups)] for r in rows])
    quotes = (["scale", "group", "quote"],
              [[r.label, g, q] for r in rows for g in groups for q in r.cells[g].quotes])
    return {"joint display": wide, "quotes": quotes}


def chart(row: Row, groups: list[str]) -> str:
    """One row's small chart: per group the scale mean (of its maximum) beside the code's share."""
    e = markup
    width, bar, label_width = 760, 12, 120
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{30 + 34 * len(groups)}" role="img" '
             f'aria-label="{e(row.label)}: scale mean and share of transcripts per group">'
             f'<text x="0" y="14" font-weight="bold" font-size="13">{e(row.label[:100])}</text>']
    span = width - label_width - 80
    for i, g in enumerate(groups):
        cell, y = row.cells[g], 24 + i * 34
        mean = (cell.mean or 0) / row.high
        share = cell.transcripts / cell.of if cell.of else 0
        parts.append(f'<text x="0" y="{y + 16}" font-size="12">{e(g[:18])}</text>'
                     f'<rect x="{label_width}" y="{y + 2}" width="{span * mean:.1f}" height="{bar}" fill="#4e79a7"/>'
                     f'<text x="{label_width + span * mean + 4:.1f}" y="{y + 12}" font-size="11">'
                     f'{"-" if cell.mean is None else f"M {cell.mean:.2f}"}</text>'
                     f'<rect x="{label_width}" y="{y + 16}" width="{span * share:.1f}" height="{bar}" fill="#f28e2b"/>'
                     f'<text x="{label_width + span * share + 4:.1f}" y="{y + 26}" font-size="11">'
                     f'{f"{round(100 * share)}%" if cell.of else "-"}</text>')
    return "".join(parts) + "</svg>"


LEGEND = ("In each chart, per group: blue, the scale's mean (bar of its maximum); orange, the share of the group's "
          "transcripts coded with the scale's code.")
