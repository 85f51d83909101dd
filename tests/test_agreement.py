"""Agreement coefficients against published reference values, the `krippendorff`
package, and properties that must hold for any data.

Reference data: ../shared/reference-data/irr/ (sources in its README-sources.md).
The small examples are also written out here, so these tests run without it.
"""

from __future__ import annotations

import csv
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jhs_qual.analysis.agreement import (
    LEVELS,
    Ratings,
    alpha_bootstrap,
    brennan_prediger,
    cohen_kappa,
    cohen_kappa_from_table,
    fleiss_kappa,
    fleiss_kappa_by_category,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
)
from tests.conftest import SHARED

IRR = SHARED / "irr"
needs_shared = pytest.mark.skipif(not IRR.exists(), reason="shared reference data not present")

# Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability", 4 coders x 12 units
# (coders as rows here; None = missing).
K2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def units(coder_rows):
    return [list(col) for col in zip(*coder_rows)]


K2011_RATINGS = Ratings.from_table(units(K2011), numeric=True)


@pytest.mark.parametrize(
    "level, expected", [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)]
)
def test_krippendorff_2011(level, expected):
    """Krippendorff (2011) p.4-8: alpha nominal .743, ordinal .815, interval .849, ratio .797."""
    assert krippendorff_alpha(K2011_RATINGS, level) == pytest.approx(expected, abs=5e-4)


def test_krippendorff_2011_other_coefficients():
    """Same data: percent agreement over pairable values .800 (Krippendorff 2004 p.230,
    D_o = .200); Fleiss' kappa .761 and Gwet's AC1 .775 (Gwet 2014, Handbook of
    Inter-Rater Reliability 4th ed. p.120, as asserted by irrCAC's tests)."""
    assert percent_agreement(K2011_RATINGS) == pytest.approx(0.800, abs=5e-4)
    assert fleiss_kappa(K2011_RATINGS) == pytest.approx(0.761, abs=5e-4)
    assert gwet_ac1(K2011_RATINGS) == pytest.approx(0.775, abs=5e-4)


def test_cohen_1960():
    """Cohen (1960) p.45: kappa .492 (p_o .70, p_e .41) for 200 cases in 3 categories."""
    table = [[88, 14, 18], [10, 40, 10], [2, 6, 12]]
    assert cohen_kappa_from_table(np.array(table)) == pytest.approx(0.492, abs=5e-4)


def _expand(table, categories):
    rows = []
    for i, a in enumerate(categories):
        for j, b in enumerate(categories):
            rows += [[a, b]] * int(table[i][j])
    return Ratings.from_table(rows)


def test_krippendorff_2004_p246():
    """Krippendorff (2004) p.246, tables 4a/4b: percent .460, S (Brennan-Prediger) .190,
    kappa .186 and .258 - the same observed agreement, different chance terms."""
    table_a = [[12, 9, 9], [9, 14, 9], [9, 9, 20]]
    ratings_a = _expand(table_a, "abc")
    assert percent_agreement(ratings_a) == pytest.approx(0.460, abs=5e-4)
    assert brennan_prediger(ratings_a) == pytest.approx(0.190, abs=5e-4)
    assert cohen_kappa(ratings_a) == pytest.approx(0.186, abs=5e-4)


@needs_shared
def test_contingency_tables_from_reference_data():
    """two_rater_contingency_tables.csv: Cohen 1960 p.45 (.492), Krippendorff 2004 p.246
    4a/4b (.186/.258), Gwet 2014 3x3 abstractors (.796), irrCAC 4x4 diagnosis (.432)."""
    expected = {
        "cohen1960_p45": 0.492, "krippendorff2004_p246_4a": 0.186, "krippendorff2004_p246_4b": 0.258,
        "gwet2014_cont3x3abstractors": 0.796, "gwet2014_cont4x4diagnosis": 0.432,
    }
    cells = defaultdict(list)
    with open(IRR / "two_rater_contingency_tables.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            cells[row["example"]].append((row["rater1_category"], row["rater2_category"], int(row["count"])))
    for example, value in expected.items():
        categories = sorted({a for a, _, _ in cells[example]} | {b for _, b, _ in cells[example]})
        table = np.zeros((len(categories), len(categories)))
        for a, b, count in cells[example]:
            table[categories.index(a), categories.index(b)] += count
        assert cohen_kappa_from_table(table) == pytest.approx(value, abs=5e-4), example


@needs_shared
def test_fleiss_1971():
    """Fleiss (1971) Psych. Bull. 76:378-382, p.379: 30 patients, 6 psychiatrists,
    5 diagnoses: kappa .430 (irr's kappam.fleiss: 0.4302445)."""
    with open(IRR / "irr_diagnoses_fleiss1971_30x6.csv", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[1:]
    assert fleiss_kappa(Ratings.from_table(rows)) == pytest.approx(0.4302445, abs=1e-7)


# Fleiss (1971) Table 1: 30 patients x 6 psychiatrists, diagnoses 1-5 (1 depression,
# 2 personality disorder, 3 schizophrenia, 4 neurosis, 5 other), one string per patient.
FLEISS_1971 = ["444444", "222555", "233335", "555555", "222444", "113333", "333355", "113334",
               "114444", "555555", "144444", "124444", "222333", "144444", "224445", "333335",
               "111455", "111112", "224444", "133555", "555555", "244444", "224555", "114444",
               "144445", "222224", "111155", "224444", "133333", "555555"]


def test_fleiss_1971_per_category():
    """Fleiss (1971) p.380, Table 2: kappa per category .245 .245 .520 .471 .566
    (irr's kappam.fleiss(diagnoses, detail=TRUE) prints the same), overall .430."""
    ratings = Ratings.from_table([list(patient) for patient in FLEISS_1971])
    by_category = fleiss_kappa_by_category(ratings)
    assert [round(by_category[c], 3) for c in "12345"] == [0.245, 0.245, 0.520, 0.471, 0.566]
    assert fleiss_kappa(ratings) == pytest.approx(0.4302445, abs=1e-7)


def test_fleiss_per_category_perfect_and_undefined():
    ratings = Ratings.from_table([["a", "a"], ["b", "b"], ["a", None]])
    assert fleiss_kappa_by_category(ratings) == {"a": 1.0, "b": 1.0}
    assert all(v != v for v in fleiss_kappa_by_category(Ratings.from_table([["a", "a"]])).values())


@needs_shared
def test_hayes_krippendorff_2007():
    """Hayes & Krippendorff (2007) Communication Methods and Measures 1:77-89,
    Table 1: 40 news items, 5 observers, ordinal alpha .7598."""
    with open(IRR / "hayes_krippendorff2007_news_tone_40x5.csv", encoding="utf-8") as handle:
        rows = [row[1:] for row in list(csv.reader(handle))[1:]]
    ratings = Ratings.from_table(rows, numeric=True)
    assert krippendorff_alpha(ratings, "ordinal") == pytest.approx(0.7598, abs=5e-5)


@needs_shared
def test_weighted_cohen_kappa_anxiety():
    """irr package's anxiety data, rater 2 vs 3 (values asserted by statsmodels'
    test_inter_rater.py from irr's kappa2): unweighted -0.006289308,
    linear ('equal') 0.1459075, quadratic ('squared') 0.2520325."""
    with open(IRR / "irr_anxiety_20x3.csv", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[1:]
    ratings = Ratings.from_table([[r[1], r[2]] for r in rows], numeric=True)
    assert cohen_kappa(ratings) == pytest.approx(-0.006289308, abs=1e-8)
    assert cohen_kappa(ratings, "linear") == pytest.approx(0.1459075, abs=1e-7)
    assert cohen_kappa(ratings, "quadratic") == pytest.approx(0.2520325, abs=1e-7)


@needs_shared
def test_gwet_raw_datasets():
    """irrCAC datasets (Gwet 2014), as asserted by afergadis/irrCAC's tests:
    alpha nominal, AC1 and Fleiss' kappa for four raw-rating tables."""
    expected = {
        "raw_5observers": (0.481, 0.497, 0.458),
        "raw_g1g2": (0.632, 0.685, 0.657),
        "raw_gender": (0.143, 0.208, 0.129),
        "raw_ben_gerry": (0.665, 0.661, 0.649),
    }
    tables = defaultdict(list)
    with open(IRR / "gwet_irrCAC_raw_datasets.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            tables[row["dataset"]].append([row[f"r{i}"] for i in range(1, 6)])
    for name, (alpha, ac1, fleiss) in expected.items():
        ratings = Ratings.from_table(tables[name])
        assert krippendorff_alpha(ratings) == pytest.approx(alpha, abs=5e-4), name
        assert gwet_ac1(ratings) == pytest.approx(ac1, abs=5e-4), name
        assert fleiss_kappa(ratings) == pytest.approx(fleiss, abs=5e-4), name


def test_krippendorff_small_examples():
    """Krippendorff (1980) p.133: 2 coders x 10 binary units, percent .600, alpha .095;
    p.139: 3 coders, percent .740, alpha nominal .642, interval .547, ratio .483
    (values as asserted in dkpro-statistics' Krippendorff1980Test)."""
    binary = units([[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [0, 1, 1, 0, 0, 1, 0, 1, 0, 0]])
    ratings = Ratings.from_table(binary)
    assert percent_agreement(ratings) == pytest.approx(0.600, abs=5e-4)
    assert krippendorff_alpha(ratings) == pytest.approx(0.095, abs=5e-4)
    if IRR.exists():
        rows = defaultdict(list)
        with open(IRR / "krippendorff_small_unit_examples.csv", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                rows[row["example"]].append([row["coder1"], row["coder2"], row["coder3"]])
        three = Ratings.from_table(rows["krippendorff1980_p139_3coders"], numeric=True)
        # 20 of 27 agreeing pairs = 0.7407; the source prints .740 (truncated) and
        # dkpro asserts it within 0.001.
        assert percent_agreement(three) == pytest.approx(20 / 27, abs=1e-12)
        assert abs(percent_agreement(three) - 0.740) < 0.001
        assert krippendorff_alpha(three, "nominal") == pytest.approx(0.642, abs=5e-4)
        assert krippendorff_alpha(three, "interval") == pytest.approx(0.547, abs=5e-4)
        assert krippendorff_alpha(three, "ratio") == pytest.approx(0.483, abs=5e-4)


def test_wikipedia_example():
    """Wikipedia 'Krippendorff's alpha' computational example: nominal 0.691358,
    interval 0.810845."""
    rows = units([
        [None, None, None, None, None, 3, 4, 1, 2, 1, 1, 3, 3, None, 3],
        [1, None, 2, 1, 3, 3, 4, 3, None, None, None, None, None, None, None],
        [None, None, 2, 1, 3, 4, 4, None, 2, 1, 1, 3, 3, None, 4],
    ])
    ratings = Ratings.from_table(rows, numeric=True)
    assert krippendorff_alpha(ratings, "nominal") == pytest.approx(0.691358, abs=1e-6)
    assert krippendorff_alpha(ratings, "interval") == pytest.approx(0.810845, abs=1e-6)


# --- against the krippendorff package ------------------------------------------------

krippendorff = pytest.importorskip("krippendorff")


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("level", LEVELS)
def test_matches_the_krippendorff_package_on_random_matrices(seed, level):
    rng = np.random.default_rng(seed)
    n_units, n_coders, n_values = rng.integers(5, 60), rng.integers(2, 6), rng.integers(2, 7)
    data = rng.integers(1, n_values + 1, size=(n_coders, n_units)).astype(float)
    data[rng.random(data.shape) < 0.2] = np.nan
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    rows = [[None if np.isnan(v) else v for v in col] for col in data.T]
    got = krippendorff_alpha(Ratings.from_table(rows, numeric=True), level)
    assert got == pytest.approx(expected, abs=1e-9)


# --- properties ----------------------------------------------------------------------------

value = st.one_of(st.none(), st.integers(min_value=1, max_value=4))
tables = st.integers(min_value=2, max_value=4).flatmap(
    lambda coders: st.lists(st.lists(value, min_size=coders, max_size=coders), min_size=2, max_size=30)
)


@settings(max_examples=150, deadline=None)
@given(tables)
def test_identical_coders_agree_perfectly(rows):
    doubled = [[row[0], row[0]] for row in rows]
    ratings = Ratings.from_table(doubled, numeric=True)
    alpha = krippendorff_alpha(ratings)
    assert np.isnan(alpha) or alpha == pytest.approx(1.0)
    assert np.isnan(percent_agreement(ratings)) or percent_agreement(ratings) == 1.0


@settings(max_examples=150, deadline=None)
@given(tables, st.randoms(use_true_random=False))
def test_symmetric_in_coders(rows, random):
    order = list(range(len(rows[0])))
    random.shuffle(order)
    shuffled = [[row[i] for i in order] for row in rows]
    a, b = Ratings.from_table(rows, numeric=True), Ratings.from_table(shuffled, numeric=True)
    for level in LEVELS:
        assert np.allclose(krippendorff_alpha(a, level), krippendorff_alpha(b, level), equal_nan=True)
    for f in (percent_agreement, fleiss_kappa, gwet_ac1, brennan_prediger):
        assert np.allclose(f(a), f(b), equal_nan=True)


@settings(max_examples=150, deadline=None)
@given(tables)
def test_nominal_coefficients_ignore_category_names(rows):
    names = {1: "boos", 2: "blij", 3: "bang", 4: "verdrietig"}
    renamed = [[None if v is None else names[v] for v in row] for row in rows]
    a, b = Ratings.from_table(rows), Ratings.from_table(renamed)
    for f in (krippendorff_alpha, percent_agreement, fleiss_kappa, gwet_ac1, brennan_prediger):
        assert np.allclose(f(a), f(b), equal_nan=True)
    if len(rows[0]) == 2:
        assert np.allclose(cohen_kappa(a), cohen_kappa(b), equal_nan=True)


@settings(max_examples=150, deadline=None)
@given(tables)
def test_a_coder_who_coded_nothing_changes_nothing(rows):
    wider = [row + [None] for row in rows]
    a, b = Ratings.from_table(rows, numeric=True), Ratings.from_table(wider, numeric=True)
    for level in LEVELS:
        assert np.allclose(krippendorff_alpha(a, level), krippendorff_alpha(b, level), equal_nan=True)
    for f in (percent_agreement, fleiss_kappa, gwet_ac1):
        assert np.allclose(f(a), f(b), equal_nan=True)


def test_undefined_is_nan_not_a_number_made_up():
    same = Ratings.from_table([[1, 1], [1, 1], [1, 1]])
    assert np.isnan(krippendorff_alpha(same))
    assert np.isnan(cohen_kappa(same))
    assert percent_agreement(same) == 1.0
    lonely = Ratings.from_table([[1, None], [None, 2]])
    assert np.isnan(krippendorff_alpha(lonely)) and np.isnan(percent_agreement(lonely))


def test_cohen_needs_two_coders():
    with pytest.raises(ValueError, match="exactly 2 coders"):
        cohen_kappa(Ratings.from_table([[1, 2, 3]]))


def test_bootstrap_interval_contains_alpha_and_is_reproducible():
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 3, 200)
    noisy = np.where(rng.random(200) < 0.2, rng.integers(0, 3, 200), truth)
    ratings = Ratings.from_table([[int(a), int(b)] for a, b in zip(truth, noisy)])
    alpha = krippendorff_alpha(ratings)
    low, high = alpha_bootstrap(ratings, samples=1000, seed=7)
    assert low < alpha < high
    assert high - low < 0.2
    assert (low, high) == alpha_bootstrap(ratings, samples=1000, seed=7)
