"""Questionnaire scales: the scale files, the import's checks, and the statistics against a
published worked example and independent computations."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from jhs_qual.analysis.scales import compare_groups, cronbach, letters, scores
from jhs_qual.errors import BadInput
from jhs_qual.survey.scales import load_scales, parse_scales
from jhs_qual.store import Project
from tests.conftest import write

# NIST/SEMATECH e-Handbook of Statistical Methods, section 7.4.3.3 ("The ANOVA table and tests of
# hypotheses about means"): three groups of five, F = 9.59 with 2 and 12 degrees of freedom.
NIST = {"1": [6.9, 5.4, 5.8, 4.6, 4.0], "2": [8.3, 6.8, 7.8, 9.2, 6.5], "3": [8.0, 10.5, 8.1, 6.9, 9.3]}


def test_one_way_anova_and_tukey_as_published_and_as_statsmodels():
    from statsmodels.stats.multicomp import pairwise_tukeyhsd

    result = compare_groups({g: np.array(v) for g, v in NIST.items()})
    assert round(result.test["F"], 2) == 9.59 and result.test["df"] == [2, 12.0] and not result.test["welch"]
    assert result.test["eta2"] == pytest.approx(27.897 / (27.897 + 17.452), abs=1e-3)  # SS from the same table
    values = np.concatenate([NIST[g] for g in NIST])
    tukey = pairwise_tukeyhsd(values, np.repeat(list(NIST), 5))
    assert [round(d["p"], 4) for d in result.posthoc] == [round(p, 4) for p in tukey.pvalues]
    assert result.letters == {"1": "b", "2": "a", "3": "a"}
    assert {g: (s.n, round(s.mean, 2), round(s.sd, 4)) for g, s in result.groups.items()} == {
        g: (5, round(float(np.mean(v)), 2), round(float(np.std(v, ddof=1)), 4)) for g, v in NIST.items()}


def test_welch_and_games_howell_when_the_variances_differ():
    from scipy import stats
    from statsmodels.stats.libqsturng import psturng
    from statsmodels.stats.oneway import anova_oneway

    rng = np.random.default_rng(7)
    groups = {"a": rng.normal(3.0, 0.2, 30), "b": rng.normal(3.4, 1.2, 25), "c": rng.normal(3.9, 0.6, 20)}
    result = compare_groups(groups)
    assert result.test["levene_p"] == pytest.approx(stats.levene(*groups.values(), center="mean").pvalue)
    assert result.test["welch"]
    welch = anova_oneway(list(groups.values()), use_var="unequal")
    assert result.test["F"] == pytest.approx(welch.statistic) and result.test["df"][1] == pytest.approx(welch.df[1])
    assert result.test["p"] == pytest.approx(welch.pvalue)
    for pair in result.posthoc:  # Games-Howell by its definition, with statsmodels' studentized range
        a, b = groups[pair["a"]], groups[pair["b"]]
        va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
        q = abs(a.mean() - b.mean()) / math.sqrt((va + vb) / 2)
        df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
        assert pair["test"] == "Games-Howell" and pair["p"] == pytest.approx(float(np.ravel(psturng(q, 3, df))[0]), abs=2e-3)


def test_alpha_scores_reverse_items_and_blanks():
    rng = np.random.default_rng(1)
    trait = rng.normal(3, 0.7, 200)
    answers = np.clip(np.round(trait[:, None] + rng.normal(0, 0.6, (200, 5))), 1, 5)
    answers[:, 4] = 6 - answers[:, 4]  # item 5 is reverse-keyed
    answers[rng.random(answers.shape) < 0.05] = np.nan  # blanks
    reverse = [False] * 4 + [True]
    result = cronbach(answers, list("abcde"), low=1, high=5, reverse=reverse)
    complete = answers[~np.isnan(answers).any(axis=1)].copy()
    complete[:, 4] = 6 - complete[:, 4]
    covariance = np.cov(complete, rowvar=False)  # independent: alpha from the mean inter-item covariance
    k, mean_variance = 5, np.trace(covariance) / 5
    mean_covariance = (covariance.sum() - np.trace(covariance)) / (k * (k - 1))
    assert result.n == len(complete)
    assert result.alpha == pytest.approx(k * mean_covariance / (mean_variance + (k - 1) * mean_covariance))
    assert result.alpha > 0.7 and set(result.if_deleted) == set("abcde")
    values = scores(answers, low=1, high=5, reverse=reverse, min_answered=0.75)
    row = np.where(np.isnan(answers).sum(axis=1) == 1)[0][0]
    turned = np.where(reverse, 6 - answers[row], answers[row])
    assert values[row] == pytest.approx(np.nanmean(turned))  # 4 of 5 answered: a score
    two_blank = answers.copy()
    two_blank[0, :2] = np.nan
    assert math.isnan(scores(two_blank, low=1, high=5, reverse=reverse, min_answered=0.75)[0])  # 3 of 5: none


def test_compact_letters():
    assert letters(["x", "y", "z"], [3.0, 2.0, 1.0], {("x", "z")}) == {"x": "a", "y": "ab", "z": "b"}
    assert letters(["x", "y", "z"], [3.0, 2.0, 1.0], set()) == {"x": "a", "y": "a", "z": "a"}
    assert letters(["x", "y", "z"], [3.0, 2.0, 1.0], {("x", "y"), ("x", "z"), ("y", "z")}) == {"x": "a", "y": "b",
                                                                                                   "z": "c"}


def test_the_shipped_scale_files_link_to_the_shipped_codes(loaded_project):
    codes = {f"{c['codebook_id']}/{c['code_id']}" for c in loaded_project.codes()}
    for name, count in (("isjo", 4), ("competences", 4)):
        found = load_scales(name)
        assert len(found.scales) == count and all(s.code in codes for s in found.scales)
    assert [len(s.items) for s in load_scales("isjo").scales] == [9, 4, 2, 8]


@pytest.mark.parametrize("text, where", [
    ("id: q\ntitle: Q\nitems:\n  a: A\n  b: B\nscales:\n  - id: s\n    label_nl: S\n    label_en: S\n"
     "    items: [a, c]\n", "s.yaml:10: items: scale s: 'c' is not one of the file's items"),
    ("id: q\ntitle: Q\nitems:\n  a: A\n  b: B\nscales:\n  - id: s\n    label_nl: S\n    label_en: S\n"
     "    items: [a, b]\n    missing: [3]\n", "s.yaml:11: missing: scale s: missing lists answers outside"),
    ("id: q\ntitle: Q\nitems:\n  a: A\n  b: B\nscales:\n  - id: s\n    label_nl: S\n    label_en: S\n"
     "    items: [a, b]\n    revers: [a]\n", "s.yaml:11: revers: unknown field 'revers' in a scale"),
])
def test_a_scale_file_is_validated_with_line_numbers(text, where):
    with pytest.raises(BadInput) as refusal:
        parse_scales(text, "s.yaml")
    assert refusal.value.one_line().startswith(where)


def _sheet(tmp_path, rows, name="q.csv"):
    return write(tmp_path / name, "\n".join(",".join(map(str, r)) for r in rows) + "\n")


HEAD = ["id", "school_type", "flexibility_1", "flexibility_2", *[f"interdependence_{i}" for i in range(1, 10)],
        *[f"new_activities_{i}" for i in range(1, 5)], *[f"reflection_{i}" for i in range(1, 9)]]


def test_survey_import_checks_every_cell_and_replaces_its_wave(run, tmp_path):
    good = [HEAD] + [[f"r{n}", ("PO", "SO")[n % 2], *[(n + i) % 5 + 1 for i in range(len(HEAD) - 2)]]
                     for n in range(12)]
    for change, where in (((1, 3, "x"), "q.csv:2: flexibility_2: 'x' is not a number"),
                          ((2, 4, "7"), "q.csv:3: interdependence_1: 7 is outside 1 to 5"),
                          ((0, 1, "schooltype"), "q.csv:1: schooltype: column 'schooltype' is neither an item")):
        rows = [list(r) for r in good]
        rows[change[0]][change[1]] = change[2]
        result = run("survey", "import", str(_sheet(tmp_path, rows)), "--scales", "isjo", "--id", "id")
        assert result.exit_code == 2 and where in result.output, result.output
    missing = [r[:-1] for r in good]
    assert "have no column: reflection_8" in run("survey", "import", str(_sheet(tmp_path, missing)), "--scales",
                                                  "isjo", "--id", "id").output
    with Project.open(run.project_path) as project:
        assert project.waves() == []  # nothing stored by a refused import
    good[1][5] = "6"  # "weet niet": kept, and no score
    assert run("survey", "import", str(_sheet(tmp_path, good)), "--scales", "isjo", "--id", "id",
               "--wave", "1").exit_code == 0
    again = run("survey", "import", str(_sheet(tmp_path, good[:7])), "--scales", "isjo", "--id", "id", "--wave", "1")
    assert again.exit_code == 0 and "the 12 respondents of that wave before replaced" in again.output
    result = run("survey", "scales", "--by", "school_type", "--json")
    found = [json.loads(line) for line in result.output.splitlines()]
    assert [f["scale"] for f in found] == ["isjo/interdependence", "isjo/new_activities", "isjo/flexibility",
                                           "isjo/reflection"]
    assert sum(g["n"] for g in found[0]["groups"].values()) == 6
    with Project.open(run.project_path) as project:
        people, matrix = project.survey_answers(["interdependence_2"])
    assert 6.0 in matrix  # the answer itself is kept


def test_survey_scales_writes_a_workbook(run, tmp_path):
    from openpyxl import load_workbook

    rows = [HEAD] + [[f"r{n}", ("PO", "SO", "VO")[n % 3], *[(n * 7 + i) % 5 + 1 for i in range(len(HEAD) - 2)]]
                     for n in range(30)]
    assert run("survey", "import", str(_sheet(tmp_path, rows)), "--scales", "isjo", "--id", "id").exit_code == 0
    out = tmp_path / "s.xlsx"
    assert run("survey", "scales", "--by", "school_type", "-o", str(out)).exit_code == 0
    cells = [c for row in load_workbook(out)["scales"].iter_rows(values_only=True) for c in row if c is not None]
    assert "isjo/interdependence" in cells and "VO" in cells


def test_joint_display_in_every_format(run, tmp_path):
    """The sample interviews (coded) beside a questionnaire: every format written, groups with answers
    but no interviews (SBO) and interviews but no answers shown with what they have, names replaced."""
    from docx import Document
    from openpyxl import load_workbook

    from tests.conftest import SAMPLES

    assert run("import", "--attributes", str(SAMPLES / "attributes.csv"), str(SAMPLES)).exit_code == 0
    for name, turn in (("po_leraar_de_linde", 36), ("so_jeugdhulpverlener_de_horizon", 10)):
        assert run("code", "add", name, "interdependence", "--turn", str(turn), "--coder", "anna").exit_code == 0
    rows = [HEAD] + [[f"r{n}", ("PO", "SO", "SBO")[n % 3], *[(n * 7 + i) % 5 + 1 for i in range(len(HEAD) - 2)]]
                     for n in range(30)]
    assert run("survey", "import", str(_sheet(tmp_path, rows)), "--scales", "isjo", "--id", "id").exit_code == 0
    assert run("pseudonyms", "add", "Linde", "Eik").exit_code == 0
    for fmt in ("md", "html", "xlsx", "docx"):
        out = tmp_path / f"joint.{fmt}"
        result = run("joint", "--by", "school_type", "-o", str(out))
        assert result.exit_code == 0 and "4 scales by school_type, 4 groups" in result.output, result.output
    text = (tmp_path / "joint.md").read_text(encoding="utf-8")
    assert "| PO | SBO | SO | VO |" in text and "n = 10; no interviews" in text and "| no answers; 0% of 1" in text
    assert "Linde" not in text and "100% of 1 transcript (1 coding)" in text
    workbook = [str(c) for s in load_workbook(tmp_path / "joint.xlsx").worksheets for r in s.iter_rows(values_only=True)
                for c in r if c is not None]
    document = Document(str(tmp_path / "joint.docx"))
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    for found in (workbook, cells):
        assert any("Interdependence" in c for c in found) and any(c.startswith("3.") for c in found if "n =" in c)
    assert "<svg" in (tmp_path / "joint.html").read_text(encoding="utf-8")


def test_the_typical_quote_is_the_one_nearest_the_others():
    from jhs_qual.export.joint import typical

    texts = ["we werken samen in de klas", "samen in de klas werken we", "de kat zat op de mat", "we werken samen"]
    assert typical(texts, 1) in ([0], [1]) and 2 not in typical(texts, 2)
