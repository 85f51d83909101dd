"""One rule for every command that writes output (cli/base.py `Output`): the format from
`--format`, else from the extension of `-o FILE`; no `-o` or `-o -` is standard output; a
`--format` the extension contradicts is an error; formats that are not text never go to a
terminal. Every such command is walked through the same table of cases."""

from __future__ import annotations

import pytest

from tests.conftest import SAMPLES

# What each format's file starts with.
SIGNATURE = {"xlsx": b"PK", "docx": b"PK", "qdpx": b"PK", "jhsq": b"SQLite format 3", "md": b"#", "html": b"<",
             "json": b"{", "qdc": b"<?xml", "yaml": b"#", "csv": None}

# command, its formats (the first is what standard output gets), whether -o is required.
COMMANDS = [
    (["summary", "--table", "codes"], ["table", "md", "csv", "xlsx", "html"], False),
    (["codings", "export"], ["csv", "xlsx"], False),
    (["compare", "--coders", "anna", "ben"], ["table", "csv", "xlsx", "json", "md"], False),
    (["quotes"], ["md", "docx", "xlsx", "csv", "html"], False),
    (["codebook", "save", "bronstein"], ["yaml"], True),
    (["codebook", "export", "bronstein"], ["qdc"], True),
    (["export-qdpx"], ["qdpx"], True),
    (["export-coder", "anna"], ["jhsq"], True),
]
IDS = [" ".join(c[0][:2]) for c in COMMANDS]


@pytest.fixture
def coded(run):
    assert run("import", str(SAMPLES / "po_leraar_de_linde.txt")).exit_code == 0
    for coder, code in (("anna", "interdependence"), ("ben", "flexibility")):
        assert run("code", "add", "po_leraar_de_linde", code, "--turn", "8", "--coder", coder).exit_code == 0
    return run


@pytest.mark.parametrize("command, formats, needs_file", COMMANDS, ids=IDS)
def test_the_extension_chooses_the_format(coded, tmp_path, command, formats, needs_file):
    for fmt in formats:
        if fmt == "table":
            continue
        path = tmp_path / f"out.{fmt}"
        result = coded(*command, "-o", str(path))
        assert result.exit_code == 0, result.output
        start = path.read_bytes()[:16]
        if SIGNATURE[fmt] is not None:
            assert start.startswith(SIGNATURE[fmt]), (fmt, start)
        else:  # CSV: a BOM for Excel, then a header row
            assert start.startswith(b"\xef\xbb\xbf") and b"," in path.read_bytes()[:200]


@pytest.mark.parametrize("command, formats, needs_file", COMMANDS, ids=IDS)
def test_format_and_extension_must_agree(coded, tmp_path, command, formats, needs_file):
    other = next(f for f in ("xlsx", "csv", "docx", "qdpx") if f not in formats)
    wrong = coded(*command, "-o", str(tmp_path / f"out.{other}"))
    assert wrong.exit_code == 2 and f"says {other}" in wrong.output
    if len(formats) > 1:
        a, b = [f for f in formats if f != "table"][:2]
        clash = coded(*command, "--format", a, "-o", str(tmp_path / f"out.{b}"))
        assert clash.exit_code == 2 and f"--format {a} does not match" in clash.output
    unknown = coded(*command, "-o", str(tmp_path / "out.txt"))  # a name that says no format of the command's
    assert unknown.exit_code == 2 and "'out.txt' does not end in a format this command writes" in unknown.output
    bare = coded(*command, "-o", str(tmp_path / "out"))  # a name that says none
    assert bare.exit_code == 2 and "'out' has no extension to tell the format" in bare.output
    assert not list(tmp_path.glob("out*"))  # nothing written by a refused command


@pytest.mark.parametrize("command, formats, needs_file", COMMANDS, ids=IDS)
def test_standard_output(coded, tmp_path, command, formats, needs_file):
    dash = coded(*command, "-o", "-")
    bare = coded(*command)
    if formats[0] in ("xlsx", "docx", "qdpx", "jhsq"):
        assert dash.exit_code == 2 and "not text for a terminal" in dash.output
    else:
        assert dash.exit_code == 0 and dash.output.strip() and "wrote" not in dash.output
        assert not (tmp_path / "-").exists() and not list(tmp_path.parent.glob("-"))
    if needs_file:
        assert bare.exit_code == 2 and "-o: no output file given" in bare.output
    else:
        assert bare.exit_code == 0 and bare.output == dash.output
    for fmt in formats[1:]:
        piped = coded(*command, "--format", fmt)
        if fmt in ("xlsx", "docx"):
            assert piped.exit_code == 2 and f"-o FILE.{fmt}" in piped.output
        else:
            assert piped.exit_code == 0 and piped.output.strip(), fmt
            assert not piped.output.startswith("\ufeff")  # the BOM is for Excel files, not for pipes


def test_csv_on_standard_output_is_the_file(coded, tmp_path):
    coded("codings", "export", "-o", str(tmp_path / "c.csv"))
    piped = coded("codings", "export", "--format", "csv").output
    assert piped.encode() == (tmp_path / "c.csv").read_bytes()[3:].replace(b"\r\n", b"\n")


def test_messages_name_what_the_user_gave(coded, tmp_path):
    """Issue #15's list: the option as typed, the file that is missing, what was added."""
    for command in (["summary"], ["quotes"], ["codings", "export"], ["keywords", "learn", "interdependence"]):
        refused = coded(*command, "--coder", "nobody")
        assert refused.exit_code == 2 and "--coder: no coder 'nobody'" in refused.output, command
    missing = coded("transcripts", "--project", str(tmp_path / "elders.jhsq"), project=False)
    assert missing.exit_code == 2 and "elders.jhsq: no such project file" in missing.output
    assert "pass --project" not in missing.output
    reversed_span = coded("code", "add", "po_leraar_de_linde", "flexibility", "--span", "10:5", "--coder", "anna")
    assert reversed_span.exit_code == 2 and "'10:5' ends before it starts" in reversed_span.output
    assert "A B [C ...]" not in coded("consensus", "--help", project=False).output
    archive = tmp_path / "p.qdpx"
    assert coded("export-qdpx", "-o", str(archive)).exit_code == 0
    again = coded("import-qdpx", str(archive))
    assert "imported 0 new transcripts (1 already here), 0 codings" in again.output


def test_agreement_table_refuses_what_does_not_apply(run, tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("unit,a,b\n1,x,x\n2,y,x\n3,y,y\n", encoding="utf-8")
    for args, message in ((["--metric", "fleiss", "--ci"], "--ci is for --metric alpha, not fleiss"),
                          (["--metric", "alpha", "--weights", "linear"], "--weights linear is for --metric cohen"),
                          (["--metric", "ac1", "--level", "ordinal"], "--level ordinal is for --metric alpha")):
        refused = run("agreement-table", str(table), *args, project=False)
        assert refused.exit_code == 2 and message in refused.output, args
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    refused = run("agreement-table", str(empty), project=False)
    assert refused.exit_code == 2 and "empty file: a CSV needs a header row" in refused.output


def test_a_summary_csv_holds_one_table_named_by_table(coded, tmp_path):
    """summary --format csv put its four tables into one CSV between '# codes' lines, which no
    CSV reader reads as a table: a CSV now needs --table, and names the choices without it."""
    refused = coded("summary", "-o", str(tmp_path / "s.csv"))
    assert refused.exit_code == 2 and "--table codes, by, cooccurrence or transcripts" in refused.output
    assert not (tmp_path / "s.csv").exists()
    by = coded("summary", "--by", "role", "--table", "by", "--format", "csv").output.splitlines()
    assert by[0].startswith("code,label,leraar codings") and not any(line.startswith("#") for line in by)
    terminal = coded("summary").output
    assert "co-occurrence (overlap)" in terminal and "code x transcript: 1 transcript column" in terminal
