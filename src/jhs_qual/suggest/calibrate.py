"""One score per suggestion: how likely the researcher is to apply that code to that unit.

The ranker has several signals for a (unit, code) pair, on scales that mean
nothing to a reader: the keyword score of the answer and of the question
before it, the learner's posterior (weighted by how much has been coded),
the best cosine with the code's prototypes and its lead over the other
codes, the fused z-score that ranked the codes so far, two properties of
the unit itself (how many words it has, how strong its best keyword is), and
whether the coder gave the code to the answer before (interviews follow
their guide topic by topic: the coder's own last code is evidence), and
what context there was (a question before the answer; an earlier answer
coded), so one model is calibrated for a bare line of `suggest-text` as well
as for an answer in the workbench. A
logistic model over those signals turns them into one probability,
calibrated on hand-coded interviews: of the suggestions scored 0.7, about 70%
were codes the coder applied. Suggestions are ranked by it, `--min-score`
and every output use it, and below `show_at` nothing is shown (a "Oké." gets
no suggestion: its words carry no evidence, and the model has learned that
short answers without keywords are rarely coded).

Two models ship in `data/calibration.json`, fitted by
`benchmarks/bench_suggest_quality.py --write` on interviews whose words did
not shape the codebooks: `keywords` (the fast path of `suggest-text` and
`autocode`: the keyword score and the unit's length) and `engine` (all
signals; the semantic ones are 0 until the semantic layer is loaded, and the
model was fitted on both states). The file also holds, per model, the score
from which autocode stores a coding (`autocode`): the lowest at which the
top suggestions were right at least 80% of the time in the held-out
evaluation, with the precision measured there.

The fit is a maximum-a-posteriori logistic regression (Newton's method, a
Gaussian prior on the weights). It is small on purpose: a handful of
features and a few thousand rows; the prior's centre can be a fitted model,
so a refit on a coder's own codings stays near the shipped one (`refit`):
as a researcher codes, the score follows how that researcher codes (one who
codes sparingly sees fewer suggestions, one who codes much sees more).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

FEATURES = ("answer_keywords", "question_keywords", "learned", "meaning", "meaning_lead", "fused", "words",
            "unit_keywords", "previous", "asked", "coded_before")
KEYWORD_FEATURES = ("answer_keywords", "words")
_WORD = re.compile(r"\w+")
# Words that carry no topic: back-channels, thanks, apologies, fillers (Dutch and English). A unit
# made of these alone ("Oké.", "Ja hoor, prima.", "Sorry.", "Jij bedankt.") gets no suggestion.
BACK_CHANNEL = frozenset("""oké oke ok okay okido hoor prima sorry excuus bedankt dankjewel dankuwel dank thanks
thank you jij je jou u graag gedaan hm hmm mm mmm uh eh ehm uhm um nou tja haha hihi lacht alsjeblieft
alstublieft please doei dag hoi hallo hey""".split())
# Words that answer a yes/no question: content alone ("Nee." to "Word je nog boos?"), not with a back-channel.
AGREEMENT = frozenset("ja nee jawel yes no yeah goed precies klopt inderdaad zeker natuurlijk echt wel".split())


def without_evidence(text: str, has_keyword: bool) -> bool:
    """A unit that says nothing a code could be about: only back-channel words (with at least
    one of BACK_CHANNEL, so a bare "Ja." or "Nee." is left to the model), or a question back
    without any keyword ("Komt het op YouTube?")."""
    found = [w.lower() for w in _WORD.findall(text)]
    if not found:
        return True
    if all(w in BACK_CHANNEL or w in AGREEMENT for w in found) and any(w in BACK_CHANNEL for w in found):
        return True
    return text.rstrip().endswith("?") and not has_keyword


def word_feature(text: str) -> float:
    """The unit's length as a feature: log(1 + its words)."""
    return math.log1p(len(_WORD.findall(text)))


@dataclass(frozen=True)
class Model:
    features: tuple[str, ...]
    weights: np.ndarray
    bias: float

    def probability(self, rows: np.ndarray) -> np.ndarray:
        """rows: n x len(features) -> n probabilities (row by row, so a row scores the same in any
        batch: a matrix product's blocking would change the last bits)."""
        return 1.0 / (1.0 + np.exp(-((rows * self.weights).sum(axis=1) + self.bias)))

    def as_json(self) -> dict:
        return {"features": list(self.features), "weights": [round(float(w), 6) for w in self.weights],
                "bias": round(float(self.bias), 6)}


@dataclass(frozen=True)
class Threshold:
    at: float  # autocode stores from this score on
    precision: float  # the share of right codings from this score on, held out


@dataclass(frozen=True)
class Calibration:
    engine: Model
    keywords: Model
    show_at: float  # below this nothing is shown
    autocode: dict[str, Threshold]  # per model ("engine", "keywords")
    fitted_on: str  # what it was fitted on, for people


def _model(data: dict) -> Model:
    return Model(tuple(data["features"]), np.asarray(data["weights"], dtype=np.float64), float(data["bias"]))


@lru_cache(maxsize=1)
def shipped() -> Calibration:
    data = json.loads(resources.files("jhs_qual").joinpath("data/calibration.json").read_text(encoding="utf-8"))
    return Calibration(_model(data["engine"]), _model(data["keywords"]), float(data["show_at"]),
                       {k: Threshold(float(v["at"]), float(v["precision"])) for k, v in data["autocode"].items()},
                       data["fitted_on"])


def fit(rows: np.ndarray, labels: np.ndarray, features: tuple[str, ...], *, prior: Model | None = None,
        strength: float = 1.0, iterations: int = 50) -> Model:
    """A logistic model by Newton's method, with a Gaussian prior of precision `strength` on the
    weights around `prior`'s (zero without one); the bias is left free."""
    x = np.hstack([rows, np.ones((len(rows), 1))])
    centre = np.append(prior.weights if prior is not None else np.zeros(rows.shape[1]), 0.0)
    penalty = np.full(x.shape[1], strength)
    penalty[-1] = 0.0
    beta = centre.copy()
    if prior is not None:
        beta[-1] = prior.bias
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(x @ beta)))
        gradient = x.T @ (labels - p) - penalty * (beta - centre)
        hessian = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty) + 1e-9 * np.eye(len(beta))
        step = np.linalg.solve(hessian, gradient)
        beta += step
        if np.max(np.abs(step)) < 1e-8:
            break
    return Model(features, beta[:-1], float(beta[-1]))


REFIT_FROM = 30  # coded answers of the coder before the score is refitted on them
REFIT_STRENGTH = 50.0  # the prior's precision: the shipped weights give way only to much evidence


def refit(model: Model, rows: np.ndarray, labels: np.ndarray, coded_units: int) -> Model:
    """The model refitted on one coder's decisions (rows of the answers they saw, 1 where they
    gave the code), around the shipped weights; the shipped model itself below REFIT_FROM."""
    if coded_units < REFIT_FROM or not len(rows):
        return model
    return fit(rows, labels, model.features, prior=model, strength=REFIT_STRENGTH)


def reliability(scores: np.ndarray, labels: np.ndarray, bins: int = 10) -> tuple[float, list[dict]]:
    """Expected calibration error and the reliability table: per score bin, the suggestions in
    it, their mean score and the share that was right."""
    table, error = [], 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    for i in range(bins):
        inside = (scores >= edges[i]) & ((scores < edges[i + 1]) if i < bins - 1 else (scores <= 1.0))
        n = int(inside.sum())
        if not n:
            continue
        mean, right = float(scores[inside].mean()), float(labels[inside].mean())
        error += n / len(scores) * abs(mean - right)
        table.append({"from": round(float(edges[i]), 2), "to": round(float(edges[i + 1]), 2), "n": n,
                      "mean_score": round(mean, 3), "right": round(right, 3)})
    return error, table
