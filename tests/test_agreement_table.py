"""`jhs-qual agreement-table`: coefficients from a CSV of units x coders."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from jhs_qual.cli import cli
from tests.conftest import write

# Krippendorff (2011): 12 units (rows) x 4 coders (columns), empty = missing.
K2011_CSV = """unit,A,B,C,D
1,1,1,,1
2,2,2,3,2
3,3,3,3,3
4,3,3,3,3
5,2,2,2,2
6,1,2,3,4
7,4,4,4,4
8,1,1,2,1
9,2,2,2,2
10,,5,5,5
11,,,1,1
12,,3,,
"""


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--level", "nominal"], "0.7434"),
        (["--level", "ordinal"], "0.8154"),
        (["--level", "interval"], "0.8491"),
        (["--level", "ratio"], "0.7974"),
        (["--metric", "percent"], "0.8000"),
        (["--metric", "percent-unit"], "0.8182"),
        (["--metric", "fleiss"], "0.7612"),
        (["--metric", "ac1"], "0.7754"),
    ],
)
def test_krippendorff_2011_from_csv(tmp_path, args, expected):
    """Published: alpha .743/.815/.849/.797 (Krippendorff 2011); percent .800
    (Krippendorff 2004 p.230); Fleiss .761, AC1 .775 and the per-unit percent
    agreement .818 that both rest on (Gwet 2014 p.120)."""
    path = write(tmp_path / "k.csv", K2011_CSV)
    result = run("agreement-table", str(path), *args, "--quiet")
    assert result.exit_code == 0
    printed = result.output.strip().splitlines()[-1]
    assert f"{float(printed):.4f}" == expected and printed == repr(float(printed))  # --quiet: full precision


def test_full_output_with_interval(tmp_path):
    path = write(tmp_path / "k.csv", K2011_CSV)
    result = run("agreement-table", str(path), "--ci")
    lines = result.output.strip().splitlines()
    assert lines[0] == "k.csv: 12 units, 4 coders (A, B, C, D), 5 categories, 41 values, 7 missing"
    assert lines[1] == "Krippendorff's alpha (nominal): 0.7434"
    assert lines[2].startswith("95% bootstrap interval: ")


def test_fleiss_lists_each_category(tmp_path):
    """Fleiss (1971) Table 2: per-category kappas .245 .245 .520 .471 .566, overall .430."""
    from tests.test_agreement import FLEISS_1971

    rows = "\n".join(",".join(patient) for patient in FLEISS_1971)
    path = write(tmp_path / "f.csv", "p1,p2,p3,p4,p5,p6\n" + rows + "\n")
    lines = run("agreement-table", str(path), "--metric", "fleiss").output.strip().splitlines()
    assert lines[1:] == ["Fleiss' kappa: 0.4302", "  1: 0.2448", "  2: 0.2448", "  3: 0.5200",
                         "  4: 0.4711", "  5: 0.5661"]


def test_cohen_with_weights_and_semicolons(tmp_path):
    path = write(tmp_path / "two.csv", "coder1;coder2\n1;1\n2;2\n3;2\n1;1\n2;3\n3;3\n")
    plain = run("agreement-table", str(path), "--metric", "cohen", "--quiet").output.strip()
    quadratic = run("agreement-table", str(path), "--metric", "cohen", "--weights", "quadratic",
                    "--quiet").output.strip()
    assert float(quadratic) > float(plain) > 0


@pytest.mark.parametrize(
    "content, args, message",
    [
        ("unit,A,B,C\n1,1,2,3\n", ["--metric", "cohen"], "exactly 2 coders; this table has 3"),
        ("unit,A,B\n1,x,2\n", ["--level", "interval"], "t.csv:2: A: 'x' is not a number"),
        ("unit,A\n1,1\n", [], "t.csv:1: 1 coder column(s)"),
        ("unit,A,B\n", [], "no units"),
        ("unit,A,B\n1,1,2,3\n", [], "t.csv:2: 3 values but 2 coders"),
    ],
)
def test_bad_tables(tmp_path, content, args, message):
    path = write(tmp_path / "t.csv", content)
    result = run("agreement-table", str(path), *args)
    assert result.exit_code == 2
    assert message in result.output


def test_undefined_is_said(tmp_path):
    path = write(tmp_path / "same.csv", "A,B\nja,ja\nja,ja\n")
    assert "undefined" in run("agreement-table", str(path)).output
    assert run("agreement-table", str(path), "--quiet").output.strip() == "nan"


def test_a_table_with_a_row_per_coder_is_read_turned():
    """The same published data (Krippendorff 2011, alpha nominal .743) as the shared reference file
    writes it: a row per coder, a column per unit, '.' for missing."""
    from tests.conftest import SHARED

    result = run("agreement-table", str(SHARED / "irr" / "krippendorff2011_4coders_12units.csv"))
    assert result.exit_code == 0 and "12 units, 4 coders (A, B, C, D)" in result.output
    assert "Krippendorff's alpha (nominal): 0.7434" in result.output and "a row per coder" in result.output
