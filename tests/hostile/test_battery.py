"""The hostile battery: every hostile input given to the real CLI, each in a process of its own
under a memory cap (tests/hostile/forker.py), and what must hold for each: no internal error,
one line when refused (exit 2) naming the input, the project unchanged, nothing disclosed,
peak memory under 1 GiB, no hang."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from tests.conftest import CODEBOOK_FILES, ROOT, SAMPLES
from tests.hostile.cases import HOSTILE, Case, built_cases, made_inputs, reference_cases

JHS = [sys.executable, "-m", "jhs_qual"]
PEAK_MIB = 1024


def _jhs(*args) -> None:
    subprocess.run([*JHS, *map(str, args)], check=True, capture_output=True)


def _damaged_copies(base: Path, folder: Path) -> dict[str, Path]:
    """Copies of a sound project, each with one kind of damage `check` finds."""
    changes = {
        "a coding past the end of its text": ["UPDATE codings SET end = 10000000"],
        "a coding pointing to no code": ["PRAGMA foreign_keys = OFF", "UPDATE codings SET code_id = 9999"],
        "a setting that is not JSON": ["UPDATE settings SET value = '{not json' WHERE key = 'interviewers'"],
        "a turn outside its text": ["UPDATE turns SET end = 10000000 WHERE idx = 3"],
        "a text changed outside jhs-qual": ["UPDATE transcripts SET text = text || ' en meer'"],
        "keywords that are not JSON": ["UPDATE codes SET keywords = '[not json' WHERE code_id = 'interdependence'"],
    }
    made = {}
    for number, (what, statements) in enumerate(changes.items()):
        path = folder / f"damaged{number}.jhsq"
        source, target = sqlite3.connect(base), sqlite3.connect(path)
        source.backup(target)
        source.close()
        for statement in statements:
            target.execute(statement)
        target.commit()
        target.close()
        made[what] = path
    return made


def _cases(folder: Path) -> list[Case]:
    return reference_cases(folder) + built_cases(folder / "made", {what: folder / f"damaged{n}.jhsq" for n, what in
                                                                   enumerate(DAMAGE)})


DAMAGE = ["a coding past the end of its text", "a coding pointing to no code", "a setting that is not JSON",
          "a turn outside its text", "a text changed outside jhs-qual", "keywords that are not JSON"]
CASES = _cases(Path("/nonexistent"))  # for the test ids: the paths are made again below


@pytest.fixture(scope="session")
def battery(tmp_path_factory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("battery")
    coded, empty = folder / "coded.jhsq", folder / "empty.jhsq"
    books = sum((["--codebook", f] for f in CODEBOOK_FILES), [])
    _jhs("init", empty, *books)
    _jhs("init", coded, *books)
    _jhs("import", SAMPLES / "po_leraar_de_linde.txt", "--project", coded)
    _jhs("code", "add", "po_leraar_de_linde", "interdependence", "--turn", "36", "--coder", "anna", "--project", coded)
    assert list(_damaged_copies(coded, folder)) == DAMAGE
    made_inputs(folder / "made")
    cases = _cases(folder)
    plan = [{**asdict(case), "cwd": str(folder / "runs" / str(n)),
             "project": {"coded": str(coded), "empty": str(empty), None: None}[case.project]}
            for n, case in enumerate(cases)]
    (folder / "cases.json").write_text(json.dumps(plan), encoding="utf-8")
    subprocess.run([sys.executable, "-m", "tests.hostile.forker", folder / "cases.json", folder / "results.json"],
                   cwd=ROOT, check=True, timeout=1800)
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    yield {result["id"]: result for result in results}
    shutil.rmtree(folder / "runs", ignore_errors=True)


def test_the_battery_is_large_and_reads_the_reference_files():
    assert len(CASES) >= 300
    assert len({case.id for case in CASES}) == len(CASES)
    assert HOSTILE.is_dir()


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_input(battery, case: Case):
    result = battery[case.id]
    err = result["stderr"].strip()
    assert result["signal"] is None, f"killed by {result['signal']} (a hang or a crash)"
    assert "internal error" not in err and "Traceback" not in err, err
    assert result["exit"] in (0, 2), (result["exit"], err)
    assert result["peak_mib"] < PEAK_MIB, result["peak_mib"]
    if case.secret:
        assert case.secret not in result["stdout"] + result["stderr"]
    if case.contains:
        assert case.contains in err, err
    if case.expect == "ok":
        assert result["exit"] == 0, err
    if case.expect == "refused":
        assert result["exit"] == 2, err
    if result["exit"] == 2:
        errors = [line for line in err.splitlines() if line.startswith("Error")]
        assert len(errors) == 1 and errors[0] == err.splitlines()[-1], err
        named = case.names or Path(case.id.split("/", 1)[1].split(":")[0]).name
        assert named in err, (named, err)
        if not case.partial:
            assert result["before"] == result["after"], "a refused input changed the project"
