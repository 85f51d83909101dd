"""Agreement coefficients against published reference values, the `krippendorff`
package, and properties that must hold for any data.

The published tables are written out here with their sources named, so every test runs on a
fresh clone; ../shared/reference-data/irr/ holds the same data as files.
"""

from __future__ import annotations

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


# Two-rater contingency tables, rater 1 in rows: Cohen (1960) p.45; Krippendorff (2004)
# p.246 tables 4a/4b; Gwet (2014) Handbook of Inter-Rater Reliability, 4th ed., the
# 3x3 "abstractors" and 4x4 "diagnosis" tables (irrCAC's cont3x3abstractors, cont4x4diagnosis).
CONTINGENCY = {
    "cohen1960_p45": ([[88, 14, 18], [10, 40, 10], [2, 6, 12]], 0.492),
    "krippendorff2004_p246_4a": ([[12, 9, 9], [9, 14, 9], [9, 9, 20]], 0.186),
    "krippendorff2004_p246_4b": ([[12, 18, 18], [0, 14, 18], [0, 0, 20]], 0.258),
    "gwet2014_cont3x3abstractors": ([[13, 0, 0], [0, 20, 7], [0, 4, 56]], 0.796),
    "gwet2014_cont4x4diagnosis": ([[40, 4, 4, 17], [6, 25, 2, 13], [4, 1, 21, 12], [15, 5, 9, 45]], 0.432),
}


@pytest.mark.parametrize("example", CONTINGENCY)
def test_published_contingency_tables(example):
    """Cohen's kappa for published tables: Cohen 1960 .492, Krippendorff 2004 .186/.258,
    Gwet 2014 .796 and .432."""
    table, expected = CONTINGENCY[example]
    assert cohen_kappa_from_table(np.array(table, dtype=float)) == pytest.approx(expected, abs=5e-4)


def _rows(strings: list[str]) -> list[list[str | None]]:
    """One string per unit, one character per coder, '.' missing."""
    return [[None if c == "." else c for c in unit] for unit in strings]


# Hayes & Krippendorff (2007) Communication Methods and Measures 1:77-89, Table 1:
# 40 news items rated 0-3 by 5 observers.
HAYES_2007 = ["112.2", "1101.", "2333.", ".00.0", "000.0", "000.0", "102.1", "1.20.", "222.2", "2111.",
              ".100.", "0000.", "1222.", "33223", "111.1", "111.1", "212.2", "1233.", "1101.", "000.0",
              "0011.", "00.00", "2333.", "0000.", "12.22", "0111.", "00010", "1212.", "1122.", "112.2",
              "110.0", "2121.", "22.22", "3222.", "222.2", "223.2", "222.2", "22.12", "2222.", "111.1"]


def test_hayes_krippendorff_2007():
    """Hayes & Krippendorff (2007) Table 1: 40 news items, 5 observers, ordinal alpha .7598."""
    ratings = Ratings.from_table(_rows(HAYES_2007), numeric=True)
    assert krippendorff_alpha(ratings, "ordinal") == pytest.approx(0.7598, abs=5e-5)


# The `anxiety` data of R's irr package (Gamer et al., irr 0.84): 20 subjects rated 1-6 by 3 raters.
ANXIETY = ["332", "361", "344", "464", "523", "542", "221", "346", "531", "231",
           "221", "632", "133", "533", "221", "221", "113", "233", "432", "342"]


def test_weighted_cohen_kappa_anxiety():
    """irr's anxiety data, rater 2 vs 3 (irr's kappa2, asserted by statsmodels'
    test_inter_rater.py): unweighted -0.006289308, linear ('equal') 0.1459075,
    quadratic ('squared') 0.2520325."""
    ratings = Ratings.from_table([[unit[1], unit[2]] for unit in _rows(ANXIETY)], numeric=True)
    assert cohen_kappa(ratings) == pytest.approx(-0.006289308, abs=1e-8)
    assert cohen_kappa(ratings, "linear") == pytest.approx(0.1459075, abs=1e-7)
    assert cohen_kappa(ratings, "quadratic") == pytest.approx(0.2520325, abs=1e-7)


# Gwet (2014) raw rating tables, as shipped in irrCAC (raw.5observers, raw.g1g2, raw.gender,
# raw.ben.gerry), with the values irrCAC's tests assert: (alpha nominal, AC1, Fleiss' kappa).
GWET_RAW = {
    "raw_5observers": (HAYES_2007[:15], (0.481, 0.497, 0.458)),
    "raw_g1g2": (["aa.a.", "bbcb.", "cccc.", "cccc.", "bbbb.", "abcd.", "dddd.", "aaba.", "bbbb.", ".eee.",
                  "..aa.", "..c..", "bbcb.", "bacb."], (0.632, 0.685, 0.657)),
    "raw_gender": (["aaac.", "aabc.", "aabc.", "aacc.", "abaa.", "baaa.", "bbbb.", "bcbb.", "cccc.", "aaac.",
                    "aabc.", "aabc.", "aacc.", "abaa.", "baaa."], (0.143, 0.208, 0.129)),
    "raw_ben_gerry": (["ab...", "aa...", "bb...", "bb...", "db...", "cc...", "cc...", "cc...", "ee...", "d....",
                       "dd...", "ad..."], (0.665, 0.661, 0.649)),
}


@pytest.mark.parametrize("name", GWET_RAW)
def test_gwet_raw_datasets(name):
    """Krippendorff's alpha (nominal), Gwet's AC1 and Fleiss' kappa on Gwet's raw tables."""
    units_, (alpha, ac1, fleiss) = GWET_RAW[name]
    ratings = Ratings.from_table(_rows(units_))
    assert krippendorff_alpha(ratings) == pytest.approx(alpha, abs=5e-4)
    assert gwet_ac1(ratings) == pytest.approx(ac1, abs=5e-4)
    assert fleiss_kappa(ratings) == pytest.approx(fleiss, abs=5e-4)


def test_krippendorff_small_examples():
    """Krippendorff (1980) p.133: 2 coders x 10 binary units, percent .600, alpha .095;
    p.139: 3 coders, percent .740, alpha nominal .642, interval .547, ratio .483
    (values as asserted in dkpro-statistics' Krippendorff1980Test)."""
    binary = units([[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [0, 1, 1, 0, 0, 1, 0, 1, 0, 0]])
    ratings = Ratings.from_table(binary)
    assert percent_agreement(ratings) == pytest.approx(0.600, abs=5e-4)
    assert krippendorff_alpha(ratings) == pytest.approx(0.095, abs=5e-4)
    three = Ratings.from_table(_rows(["111", "122", "222", "444", "144", "222", "123", "333", "222"]), numeric=True)
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
