"""Suggestions a researcher can defend: one calibrated score, silence without evidence,
learning from the coder's own codings only, and figures measured on held-out gold data."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from jhs_qual.suggest.calibrate import FEATURES, fit, reliability, shipped, without_evidence

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "transcripts_sample"
ALL_CODEBOOKS = ["--codebook", "bronstein", "--codebook", "professional_topics", "--codebook", "pupil_topics"]
BACK_CHANNEL = ["Oké.", "Ja hoor, prima.", "Sorry.", "Jij bedankt.", "Komt het op YouTube?", "Hm.", "Dank je wel!"]


@pytest.fixture(scope="session")
def quality():
    """The benchmark's evaluation, run once: held-out interviews, fresh projects, the real engine."""
    spec = importlib.util.spec_from_file_location("bench_suggest_quality", ROOT / "benchmarks" / "bench_suggest_quality.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module.evaluate()


def _row(result, kind, method):
    return next(r for r in result["rows"] if r["kind"] == kind and r["method"] == method)


def test_the_evaluation_leaves_out_interviews_that_hold_codebook_examples(quality):
    assert "po_leraar_de_linde" in quality["left_out"]
    assert not set(quality["left_out"]) & set(quality["evaluated"])
    assert {"professionals", "pupils"} == {r["kind"] for r in quality["rows"]}


def test_the_engine_beats_every_baseline_on_held_out_interviews(quality):
    """Each interview in a fresh project, its calibration fitted without it. The ranking,
    cold and after 15 coded answers of its kind, beats random, the previous turn's code and
    the keywords alone on both kinds; it stores fewer wrong codings for a coder who trusts
    Enter than the previous turn's code; and learning helps. Targets of the issue: cold
    top-1 >= 50% and top-3 >= 80%; after 15, top-1 >= 60% and top-3 >= 85%."""
    for kind in ("professionals", "pupils"):
        cold, learned = _row(quality, kind, "engine, no learning"), _row(quality, kind, "engine, learned 15")
        for baseline in ("random", "previous turn", "keywords"):
            base = _row(quality, kind, baseline)
            assert cold["ranked_top1"] > base["ranked_top1"] and cold["ranked_top3"] > base["ranked_top3"], baseline
            assert learned["ranked_top1"] > base["ranked_top1"], (kind, baseline)
            assert learned["keys"] < base["keys"] or baseline == "previous turn", (kind, baseline)
        assert learned["ranked_top1"] > cold["ranked_top1"] and learned["top1"] > cold["top1"]
        assert cold["trusting_wrong"] < _row(quality, kind, "previous turn")["trusting_wrong"]
        assert cold["ranked_top1"] >= 0.5 and cold["ranked_top3"] >= 0.8
        assert learned["ranked_top1"] >= 0.6 and learned["ranked_top3"] >= 0.85


def test_the_score_is_calibrated_on_held_out_interviews(quality):
    """Expected calibration error of the held-out scores (Guo et al. 2017, 10 equal bins)."""
    assert quality["ece"] < 0.05
    high = [b for b in quality["reliability"] if b["from"] >= 0.8]
    assert high and all(b["right"] >= 0.7 for b in high)
    assert quality["autocode"]["engine"]["precision"] >= 0.8


def test_back_channel_answers_get_nothing(quality):
    assert all(without_evidence(text, False) for text in BACK_CHANNEL)
    assert not without_evidence("Ja.", False) and not without_evidence("Leuk.", False)
    assert not without_evidence("Met de stoplicht lessen?", True)  # a question back that names the lessons
    for kind in ("professionals", "pupils"):
        assert _row(quality, kind, "engine, no learning")["silent"] > _row(quality, kind, "previous turn")["silent"]


def test_reliability_and_fit_by_hand():
    """ECE on a table worked by hand: bins 0.1-0.2 (scores .15, .15; right 0, 1) and
    0.9-1.0 (scores .95, .95; right 1, 1): |.15-.5| * 2/4 + |.95-1| * 2/4 = 0.2."""
    error, table = reliability(np.array([0.15, 0.15, 0.95, 0.95]), np.array([0.0, 1.0, 1.0, 1.0]))
    assert error == pytest.approx(0.2) and [b["n"] for b in table] == [2, 2]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, 1))
    y = (rng.random(4000) < 1 / (1 + np.exp(-(2.0 * x[:, 0] - 1.0)))).astype(float)
    model = fit(x, y, ("x",), strength=1e-6)
    assert model.weights[0] == pytest.approx(2.0, abs=0.2) and model.bias == pytest.approx(-1.0, abs=0.15)


def test_the_shipped_calibration_names_every_feature():
    calibration = shipped()
    assert calibration.engine.features == FEATURES and len(calibration.engine.weights) == len(FEATURES)
    assert 0 < calibration.show_at < 1 and calibration.autocode["engine"].at >= calibration.show_at


@pytest.fixture
def sample(run):
    assert run("import", str(SAMPLES), "--attributes", str(SAMPLES / "attributes.csv")).exit_code == 0
    return run


def _suggestions(run, *args):
    result = run("suggest", *args, "--json")
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def test_scores_fall_with_the_rank_and_min_score_means_that_score(sample):
    units = _suggestions(sample, "so_jeugdhulpverlener_de_horizon", "--top", "5", "--no-semantic")
    shown = [u["suggestions"] for u in units if u["suggestions"]]
    assert shown
    for found in shown:
        scores = [s["score"] for s in found]
        assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
        assert [s["rank"] for s in found] == [1 + sum(t > s for t in scores) for s in scores]
    high = _suggestions(sample, "so_jeugdhulpverlener_de_horizon", "--top", "5", "--no-semantic", "--min-score", "0.6")
    assert all(s["score"] >= 0.6 for u in high for s in u["suggestions"])
    kept = {(u["turn"], s["code"]) for u in high for s in u["suggestions"]}
    assert kept == {(u["turn"], s["code"]) for u in units for s in u["suggestions"] if s["score"] >= 0.6}


def test_suggest_text_is_silent_on_back_channel_and_speaks_on_content(run):
    lines = BACK_CHANNEL + ["We overleggen elke week samen over wie wat doet in de klas."]
    for extra in ([], ["--semantic"]):
        result = run("suggest-text", *ALL_CODEBOOKS, "--json", *extra, input="\n".join(lines) + "\n", project=False)
        assert result.exit_code == 0, result.output
        found = [json.loads(line)["suggestions"] for line in result.output.splitlines()]
        assert found[:-1] == [[]] * len(BACK_CHANNEL), extra
        assert found[-1] and found[-1][0]["code"] == "bronstein/interdependence", extra


def test_a_coders_suggestions_learn_from_that_coder_only(sample):
    """Coder B's suggestions are the same before and after coder A's codings and autocode's;
    A's own codings change A's."""
    name = "so_jeugdhulpverlener_de_horizon"
    sample("code", "add", name, "competence_network", "--turn", "1", "--coder", "bea")  # bea exists, codes nothing here
    before_b = _suggestions(sample, name, "--coder", "bea", "--no-semantic", "--top", "3")
    for turn in range(2, 22, 2):
        assert sample("code", "add", name, "flexibility", "--turn", str(turn), "--coder", "anna").exit_code == 0
    assert sample("autocode", name, "--coder", "auto", "--min-score", "0").exit_code == 0
    assert _suggestions(sample, name, "--coder", "bea", "--no-semantic", "--top", "3") == before_b
    after_a = _suggestions(sample, name, "--coder", "anna", "--no-semantic", "--top", "3")
    assert after_a != before_b
    assert any(s["learned"] for u in after_a for s in u["suggestions"] if s["code"] == "bronstein/flexibility")


def test_a_code_made_updates_the_engine_in_place():
    """No reload when a code is made: the new code is suggested at once, what was learned stays."""
    from dataclasses import replace

    from jhs_qual.suggest.assist import Engine, EngineInputs
    from jhs_qual.suggest.engine import CodeTerms
    from jhs_qual.suggest.service import CodeSource
    from jhs_qual.suggest.settings import Settings

    source = CodeSource("nl", "v1", (CodeTerms("b/samen", ("samenwerken",)), CodeTerms("b/pesten", ("pesten",))))
    inputs = EngineInputs([source], {"b/samen": "samenwerken", "b/pesten": "pesten"}, {},
                          {1: ("b/samen", "we werken samen met de jeugdhulp")})
    engine = Engine(inputs, Settings(encoder="none"))
    learner = engine.learner
    text = "De kinderen vonden het kampvuur het leukst."
    assert not any(s.code == "b/kamp" for s in engine.rank(text, 0, len(text), min_score=0.0))
    made = replace(source, sha256="v2", codes=source.codes + (CodeTerms("b/kamp", ("kampvuur",)),))
    engine.update_codes(EngineInputs([made], {**inputs.docs, "b/kamp": "kampvuur"}, {}, inputs.examples))
    assert engine.learner is learner and learner.units["b/samen"] == 1
    assert engine.rank(text, 0, len(text), min_score=0.0)[0].code == "b/kamp"


def test_the_score_is_refitted_to_how_the_coder_codes(sample):
    """A coder who gives no code to the answers the shipped score is surest of, and codes others:
    after 30 coded answers their score for those suggestions falls; another coder's stays."""
    from jhs_qual.config import Config
    from jhs_qual.store import Project
    from jhs_qual.suggest.assist import ProjectEngine

    with Project.open(sample.project_path) as project:
        shipped_engine = ProjectEngine(project, Config().suggest, learn_from=None, semantic=False)
        names = ["po_leerlingen_groep6_de_linde", "so_leerlingen_de_horizon", "vo_mbo_leerlingen_het_baken"]
        units = shipped_engine.units([project.transcript(n)["id"] for n in names], "turn", False)
        top = [(u, found[0]) for u, found in zip(units, shipped_engine.rank_units(units, min_score=0.0)) if found]
    coded = 0
    for u, best in top:  # always a code other than the engine's first: a coder unlike the gold
        other = "improvements" if best.code != "pupil_topics/improvements" else "intervention"
        assert sample("code", "add", str(u.unit.transcript_id), other, "--turn", str(u.unit.turn),
                      "--coder", "contrarian").exit_code == 0
        coded += 1
    assert coded >= 30
    with Project.open(sample.project_path) as project:
        own = ProjectEngine(project, Config().suggest, learn_from="contrarian", learn=True, semantic=False)
        assert own.model is not None
        other = ProjectEngine(project, Config().suggest, learn_from="nobody", semantic=False)
        assert other.model is None
        sample_unit = top[0][0]
        before = shipped_engine.suggester.signals(
            own.text(sample_unit.unit.transcript_id), sample_unit.unit.start, sample_unit.unit.end,
            codebooks=sample_unit.codebooks, question=sample_unit.question)
        code = top[0][1].code
        row = before.rows[before.codes.index(code)][None, :]
        from jhs_qual.suggest.calibrate import shipped

        assert own.model.probability(row)[0] < shipped().engine.probability(row)[0]


def test_learning_from_another_coder_is_explicit_and_compare_warns(sample, monkeypatch, tmp_path):
    """[suggest] learn_from = "bea": anna's suggestions learn from bea's codings, the project
    records it, and a comparison of anna and bea says they were not independent."""
    name = "so_jeugdhulpverlener_de_horizon"
    for turn in range(2, 22, 2):
        sample("code", "add", name, "flexibility", "--turn", str(turn), "--coder", "bea")
    sample("code", "add", name, "flexibility", "--turn", "24", "--coder", "anna")
    own = _suggestions(sample, name, "--coder", "anna", "--no-semantic", "--top", "3")
    (tmp_path / "jhs-qual").mkdir(exist_ok=True)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "jhs-qual" / "config.toml").write_text('[suggest]\nlearn_from = "bea"\n', encoding="utf-8")
    taught = _suggestions(sample, name, "--coder", "anna", "--no-semantic", "--top", "3")
    assert taught != own
    assert any(s["learned"] >= 10 for u in taught for s in u["suggestions"])
    compared = sample("compare", "--coders", "anna", "bea")
    assert "anna's suggestions learned from bea's codings" in compared.output
    # autocode --learn-from learns from exactly that coder: the config's learn_from is a person's
    sample("code", "add", name, "pupil_sel", "--turn", "26", "--coder", "carla")
    assert sample("autocode", name, "--semantic", "--learn-from", "carla", "--coder", "auto").exit_code == 0
    from jhs_qual.store import Project

    with Project.open(sample.project_path) as project:
        assert project.learned_from() == {"anna": ["bea"]}
