"""The outputs of the heavy operations stay the same when their implementation changes
(the at-scale work of benchmarks/): compare in each unit, the quote and summary
workbooks, the REFI-QDA export and what importing it gives, on a small coded project.

The expected digests in tests/fixtures/outputs/digests.json were written by the code
before the change; JHS_QUAL_WRITE_DIGESTS=1 rewrites them (only on purpose, after
checking a change in output is wanted).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from conftest import SAMPLES, Cli
from jhs_qual.store import Project

DIGESTS = Path(__file__).parent / "fixtures" / "outputs" / "digests.json"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def workbook(path: Path) -> dict:
    """Every sheet's cells (value and type), bold headers, frozen panes, widths and wrapping.
    An empty cell is empty whether it was left out or written as an empty string."""
    book = openpyxl.load_workbook(path)
    sheets = {}
    for sheet in book.worksheets:
        rows = [[(c.value, c.data_type if c.value is not None else None) for c in row] for row in sheet.iter_rows()]
        sheets[sheet.title] = {
            "cells": sha(json.dumps(rows, ensure_ascii=False, default=str).encode()),
            "rows": len(rows),
            "bold": [c.font.b for c in next(sheet.iter_rows(max_row=1), ())],
            "wrapped": sorted({c.column_letter for row in sheet.iter_rows(min_row=2) for c in row
                               if c.alignment.wrap_text}),
            "freeze": sheet.freeze_panes,
            "widths": widths(sheet),
        }
    return sheets


def widths(sheet) -> dict:
    """Column widths in whole characters, a column at a time: writers store the same width with
    or without Excel's padding (80 or 80.71) and adjacent equal columns as one range or each."""
    from openpyxl.utils import get_column_letter

    return {get_column_letter(i): int(v.width) for _, v in sorted(sheet.column_dimensions.items()) if v.width
            for i in range(v.min, v.max + 1)}


def qdpx(path: Path) -> dict:
    """Each entry's bytes, with the times of export, import and coding set aside."""
    with zipfile.ZipFile(path) as archive:
        entries = {}
        for name in sorted(archive.namelist()):
            data = archive.read(name)
            if name == "project.qde":
                data = re.sub(rb'creationDateTime="[^"]*"', b'creationDateTime="-"', data)
            entries[name] = sha(data)
        return entries


@pytest.fixture(scope="module")
def coded(tmp_path_factory) -> tuple[Path, Cli]:
    folder = tmp_path_factory.mktemp("same")
    run = Cli(folder / "p.jhsq")
    assert run("init", str(run.project_path), project=False).exit_code == 0
    assert run("codebook", "load", str(SAMPLES.parent / "codebooks" / "bronstein.yaml")).exit_code == 0
    assert run("import", str(SAMPLES)).exit_code == 0
    with Project.open(run.project_path) as project:
        codes = [r["id"] for r in project.codes()]
        test = project.interviewer_test()
        turns = list(project.db.execute("SELECT transcript_id, idx, speaker, content_start, end FROM turns"
                                        " WHERE end > content_start ORDER BY transcript_id, idx"))
        for tid, idx, speaker, start, end in turns:
            if test(speaker) or idx % 3 == 1:
                continue
            code = codes[idx % len(codes)]
            memo = "=1+1 <b>x</b>" if idx % 7 == 0 else ""
            project.add_coding(tid, code, "anna", start, end, memo=memo)
            if idx % 4:
                project.add_coding(tid, code, "ben", start, end)
            elif idx % 8 == 0:
                project.add_coding(tid, codes[(idx + 1) % len(codes)], "ben", start, (start + end) // 2 + 1)
        for tid in {t[0] for t in turns}:  # both read every transcript to the end: compare counts every unit
            for coder in ("anna", "ben"):
                project.set_finished(tid, coder)
    return folder, run


def outputs(folder: Path, run: Cli) -> dict:
    found = {}
    for unit in ("turn", "sentence", "char"):
        result = run("compare", "anna", "ben", "--unit", unit, "--format", "csv", "-o", "-")
        assert result.exit_code == 0, result.output
        found[f"compare {unit}"] = sha(result.output.encode())
    result = run("compare", "anna", "ben", "--format", "json", "-o", "-")
    found["compare json"] = sha(result.output.encode())
    assert run("quotes", "-o", str(folder / "q.xlsx")).exit_code == 0
    found["quotes xlsx"] = workbook(folder / "q.xlsx")
    for fmt in ("md", "html", "csv", "docx"):
        assert run("quotes", "--context", "-o", str(folder / f"q.{fmt}")).exit_code == 0
        found[f"quotes {fmt}"] = sha(zipfile.ZipFile(folder / "q.docx").read("word/document.xml") if fmt == "docx"
                                     else (folder / f"q.{fmt}").read_bytes())
    assert run("summary", "-o", str(folder / "s.xlsx")).exit_code == 0
    found["summary xlsx"] = workbook(folder / "s.xlsx")
    assert run("compare", "anna", "ben", "-o", str(folder / "c.xlsx")).exit_code == 0
    found["compare xlsx"] = workbook(folder / "c.xlsx")
    for options in ([], ["--offsets", "utf16", "--line-ends", "crlf"]):
        out = folder / f"e{len(options)}.qdpx"
        result = run("export-qdpx", "-o", str(out), *options)
        assert result.exit_code == 0, result.output
        found[f"export-qdpx {' '.join(options)}".strip()] = qdpx(out)
        again = Cli(folder / f"again{len(options)}.jhsq")
        assert again("init", str(again.project_path), project=False).exit_code == 0
        result = again("import-qdpx", str(out))
        assert result.exit_code == 0, result.output
        found[f"import-qdpx {' '.join(options)}".strip()] = [
            result.output, sha(again("codings", "export", "--format", "csv", "-o", "-").output.encode())]
    return found


def test_outputs_are_what_they_were(coded):
    found = json.loads(json.dumps(outputs(*coded)))
    if os.environ.get("JHS_QUAL_WRITE_DIGESTS") == "1":  # writing them compares nothing: say so
        DIGESTS.write_text(json.dumps(found, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        pytest.skip(f"digests written to {DIGESTS.name}; run again without JHS_QUAL_WRITE_DIGESTS to compare")
    expected = json.loads(DIGESTS.read_text(encoding="utf-8"))
    for name in expected:
        assert found[name] == expected[name], name
    assert found.keys() == expected.keys()
