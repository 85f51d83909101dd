"""The command line: help and docs for every command, project discovery, codings, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from jhs_qual.cli import cli
from jhs_qual.cli.base import COMMAND_MODULES, load_commands
from tests.conftest import CODEBOOK_FILES, ROOT, SAMPLES, write


def all_commands(group: click.Group = cli, prefix: tuple[str, ...] = ()):
    load_commands()
    for name, command in sorted(group.commands.items()):
        yield prefix + (name,)
        if isinstance(command, click.Group):
            yield from all_commands(command, prefix + (name,))


COMMANDS = list(all_commands())


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_has_help(path):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    command = cli
    for name in path:
        command = command.commands[name]
    assert command.help and len(command.help.strip()) > 20, path


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_is_in_the_readme(path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"jhs-qual {' '.join(path)}" in readme, path


def test_bare_command_prints_help_and_version():
    runner = CliRunner()
    assert "Code interview transcripts" in runner.invoke(cli, []).output
    assert "jhs-qual, version" in runner.invoke(cli, ["--version"]).output


def test_project_in_current_folder_and_env(tmp_path, monkeypatch):
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(cli, ["transcripts"]).exit_code == 2  # no project yet
    assert runner.invoke(cli, ["init"]).exit_code == 0
    assert (tmp_path / "project.jhsq").exists()
    assert "no transcripts yet" in runner.invoke(cli, ["transcripts"]).output
    assert runner.invoke(cli, ["init"]).exit_code == 2  # already exists
    other = tmp_path / "elsewhere.jhsq"
    assert runner.invoke(cli, ["init", str(other)]).exit_code == 0
    monkeypatch.setenv("JHS_QUAL_PROJECT", str(other))
    write(tmp_path / "a.txt", "I: Hoi.")
    assert runner.invoke(cli, ["import", "a.txt"]).exit_code == 0
    monkeypatch.delenv("JHS_QUAL_PROJECT")
    assert "no transcripts yet" in runner.invoke(cli, ["transcripts"]).output  # ./project.jhsq untouched


def test_two_project_files_and_no_default_is_ambiguous(tmp_path, monkeypatch):
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    runner.invoke(cli, ["init", "a.jhsq"])
    assert "no transcripts yet" in runner.invoke(cli, ["transcripts"]).output  # the only one
    runner.invoke(cli, ["init", "b.jhsq"])
    result = runner.invoke(cli, ["transcripts"])
    assert result.exit_code == 2 and "2 project files here" in result.output


def test_init_checks_codebooks_before_creating(tmp_path):
    bad = write(tmp_path / "bad.yaml", "id: x\ntitle: [\n")
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "p.jhsq"), "--codebook", str(bad)])
    assert result.exit_code == 2
    assert "bad.yaml:" in result.output
    assert not (tmp_path / "p.jhsq").exists()


def test_codebook_commands(run):
    result = run("codebook", "check", *map(str, CODEBOOK_FILES), project=False)
    assert result.exit_code == 0
    assert "ok bronstein.yaml: bronstein, 5 codes" in result.output
    listing = run("codebook", "list").output
    assert "professional_topics" in listing and "pupil_topics" in listing
    table = run("codebook", "show", "bronstein").output
    assert "bronstein/flexibility" in table and "pupil_topics" not in table
    detail = run("codebook", "show", "flexibility").output
    assert "Flexibiliteit / Flexibility" in detail and "Definition:" in detail and "geven en nemen" in detail
    from_file = run("codebook", "show", "--file", str(CODEBOOK_FILES[2]), project=False).output
    assert "pupil_topics/sel_group" in from_file
    unchanged = run("codebook", "load", str(CODEBOOK_FILES[0])).output
    assert "unchanged bronstein" in unchanged


def test_codebook_check_reports_one_line_and_exit_2(tmp_path, run):
    bad = write(tmp_path / "dup.yaml", (CODEBOOK_FILES[0]).read_text(encoding="utf-8").replace("id: bronstein", "id: other"))
    result = run("codebook", "check", str(CODEBOOK_FILES[0]), str(bad), project=False)
    assert result.exit_code == 2
    assert "dup.yaml:" in result.output and "shortcut key 'a' is also used by bronstein/interdependence" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_code_add_and_remove(run):
    run("import", str(SAMPLES / "so_jeugdhulpverlener_de_horizon.txt"))
    name = "so_jeugdhulpverlener_de_horizon"
    ok = run("code", "add", name, "bronstein/flexibility", "--turn", "12", "--coder", "anna")
    assert ok.exit_code == 0 and "coded" in ok.output
    again = run("code", "add", name, "flexibility", "--turn", "12", "--coder", "anna")
    assert "already coded" in again.output
    run("code", "add", name, "flexibility", "--span", "100:120", "--coder", "anna")
    rows = json.loads(run("transcripts", "--json").output)
    assert rows[0]["coded_turns"] == {"anna": 2}
    removed = run("code", "remove", name, "flexibility", "--all", "--coder", "anna")
    assert removed.exit_code == 0 and "removed 2 codings" in removed.output
    assert json.loads(run("transcripts", "--json").output)[0]["coded_turns"] == {}


@pytest.mark.parametrize(
    "args, message",
    [
        (["nope", "flexibility", "--turn", "1"], "TRANSCRIPT: no transcript 'nope'"),
        (["a", "flexi", "--turn", "1"], "did you mean bronstein/flexibility?"),
        (["a", "flexibility", "--turn", "9"], "--turn: no turn 9; turns run from 1 to 2"),
        (["a", "flexibility", "--span", "3-9"], "--span: '3-9' is not START:END"),
        (["a", "flexibility", "--span", "0:999"], "outside the text"),
        (["a", "flexibility"], "give exactly one of --turn N or --span START:END"),
        (["a", "flexibility", "--turn", "1", "--span", "0:2"], "give exactly one"),
    ],
)
def test_code_add_bad_input(run, tmp_path, args, message):
    run("import", str(write(tmp_path / "a.txt", "I: Hoi.\nR: Hallo.")))
    result = run("code", "add", *args, "--coder", "anna")
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_code_add_needs_a_coder(run, tmp_path):
    run("import", str(write(tmp_path / "a.txt", "I: Hoi.")))
    result = run("code", "add", "a", "flexibility", "--turn", "1")
    assert result.exit_code == 2 and "--coder" in result.output


def test_remove_what_is_not_there(run, tmp_path):
    run("import", str(write(tmp_path / "a.txt", "I: Hoi.")))
    result = run("code", "remove", "a", "flexibility", "--turn", "1", "--coder", "anna")
    assert result.exit_code == 2 and "no such coding" in result.output


def test_interviewers_and_attributes_commands(run):
    assert "Interviewer, Interviewster, I" in run("interviewers").output
    assert run("interviewers", "Max Bigman", "I").output.strip() == "Max Bigman, I"
    result = run("attributes", "--add", "cohort")
    assert "added: cohort" in result.output and "school_type" in result.output
    assert run("attributes", "--add", "Bad Key").exit_code == 2


def _imported_modules(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_each_command_is_loaded_from_the_module_the_list_names():
    """`jhs-qual X` imports X's module only: the list must name the module of every command."""
    load_commands()
    assert {name: command.callback.__module__.rsplit(".", 1)[1] for name, command in cli.commands.items()} \
        == COMMAND_MODULES
    modules = _imported_modules("import sys\nsys.argv = ['jhs-qual', 'tui', '--help']\n"
                                "from jhs_qual.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass")
    assert {m for m in modules if m.startswith("jhs_qual.cli.")} == {"jhs_qual.cli.base", "jhs_qual.cli.workbench"}


def test_help_does_not_import_heavy_modules():
    modules = _imported_modules(
        "from click.testing import CliRunner\nfrom jhs_qual.cli import cli\nCliRunner().invoke(cli, ['--help'])"
    )
    assert not {"spacy", "textual", "docx", "sqlite_utils", "rapidfuzz"} & {m.split(".")[0] for m in modules}


def test_core_layers_never_import_the_ui_or_nlp():
    modules = _imported_modules(
        "import jhs_qual.domain, jhs_qual.store, jhs_qual.ingest, jhs_qual.codebook, jhs_qual.store.importing"
    )
    assert not {"textual", "spacy"} & {m.split(".")[0] for m in modules}


def test_codings_export_then_import_gives_the_same_codings(run, tmp_path):
    from jhs_qual.store import Project
    from tests.conftest import CODEBOOK_FILES, SAMPLES, Cli

    assert run("import", str(SAMPLES / "po_leraar_de_linde.txt")).exit_code == 0
    for turn, code, coder, memo in ((36, "interdependence", "anna", "klopt"), (36, "flexibility", "ben", ""),
                                    (40, "new_activities", "anna", "")):
        assert run("code", "add", "po_leraar_de_linde", code, "--turn", str(turn), "--coder", coder,
                   "--memo", memo).exit_code == 0
    sheet = tmp_path / "codings.xlsx"
    assert run("codings", "export", "-o", str(sheet)).exit_code == 0
    fresh = Cli(tmp_path / "fresh.jhsq")
    assert fresh("init", str(fresh.project_path), *sum((["--codebook", str(f)] for f in CODEBOOK_FILES), []),
                 project=False).exit_code == 0
    assert fresh("import", str(SAMPLES / "po_leraar_de_linde.txt")).exit_code == 0
    result = fresh("codings", "import", str(sheet))
    assert result.exit_code == 0 and "3 codings added" in result.output
    assert "0 codings added" in fresh("codings", "import", str(sheet)).output  # twice: nothing more

    def codings(path):
        with Project.open(path) as project:
            return sorted((c.code, c.coder, c.start, c.end, c.memo) for c in project.codings())

    assert codings(fresh.project_path) == codings(run.project_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("transcript,turn,code,coder\npo_leraar_de_linde,36,interdependence,anna\n"
                   "po_leraar_de_linde,36,nocode,anna\n", encoding="utf-8")
    result = fresh("codings", "import", str(bad))
    assert result.exit_code == 2 and "bad.csv:3: code: no code 'nocode'" in result.output


def test_a_code_whose_codebook_does_not_apply_is_refused(run):
    from tests.conftest import SAMPLES

    assert run("import", "--attributes", str(SAMPLES / "attributes.csv"), str(SAMPLES / "po_leraar_de_linde.txt")
               ).exit_code == 0
    result = run("code", "add", "po_leraar_de_linde", "sel_group", "--turn", "2", "--coder", "anna")
    assert result.exit_code == 2 and "codebook 'pupil_topics' does not apply to this transcript" in result.output
    assert run("code", "add", "po_leraar_de_linde", "interdependence", "--turn", "2", "--coder", "anna").exit_code == 0


@pytest.mark.parametrize("args", [["export-qdpx", "-o", "x.pdf"], ["export-qdpx", "-o", "x.txt"],
                                  ["export-qdpx", "-o", "noext"], ["codebook", "export", "bronstein", "-o", "cb.txt"]])
def test_an_output_name_says_its_format(run, tmp_path, args):
    args = [a if not a.startswith(("x.", "noext", "cb.")) else str(tmp_path / a) for a in args]
    result = run(*args)
    assert result.exit_code == 2 and "-o:" in result.output and not list(tmp_path.glob("x.*"))


def test_small_messages_of_everyday_use(run, tmp_path):
    from jhs_qual.cli.analysis import _four
    from tests.conftest import SAMPLES

    assert _four(-0.00001) == "0.0000" and _four(0.74312) == "0.7431"
    result = run("init", str(tmp_path / "x.jhsq"), "--codebook", "bronstien", project=False)
    assert result.exit_code == 2 and "did you mean 'bronstein'?" in result.output
    assert run("import", "--attributes", str(SAMPLES / "attributes.csv"), str(SAMPLES / "po_leraar_de_linde.txt")
               ).exit_code == 0
    result = run("quotes", "--where", "school_type=XX")
    assert result.exit_code == 2 and "no transcript has school_type=XX; the values of school_type: PO" in result.output
    bare = run("codebook", project=False)
    assert bare.exit_code == 0 and "Commands:" in bare.output


def test_messages_name_the_options_there_are(run, tmp_path):
    from tests.conftest import SAMPLES

    assert run("import", str(SAMPLES / "po_leraar_de_linde.txt")).exit_code == 0
    result = run("attributes", "set", "po_leraar_de_linde", "role")
    assert result.exit_code == 2 and "KEY=VALUE: 'role' is not key=value; write e.g. role=leraar" in result.output
    result = run("code", "remove", "po_leraar_de_linde", "interdependence", "--coder", "anna")
    assert result.exit_code == 2 and "--turn N or --span START:END (or --all)" in result.output
    assert "ok (1 transcript, 74 turns, 0 codings, 15 codes, 0 coders)" in run("check").output
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "notes.pdf").write_bytes(b"%PDF")
    (tmp_path / "in" / "t.txt").write_text("Interviewer: Hoe?\nLeraar: Goed.\n", encoding="utf-8")
    assert "ignored 1 file that is not a transcript: notes.pdf" in run("import", str(tmp_path / "in")).output


def test_memos_list_and_export_every_memo_with_its_owner(run, tmp_path):
    import json

    from jhs_qual.store import Project
    from tests.conftest import SAMPLES

    assert run("import", str(SAMPLES / "po_leraar_de_linde.txt")).exit_code == 0
    assert run("code", "add", "po_leraar_de_linde", "interdependence", "--turn", "4", "--coder", "anna",
               "--memo", "Sanne zegt het ook").exit_code == 0
    with Project.open(run.project_path) as project:
        tid = project.transcript("po_leraar_de_linde")["id"]
        turn = project.turn(tid, 6)
        project.write_memo("anna", "over het hele gesprek", transcript_id=tid)
        project.write_memo("ben", "op de beurt", transcript_id=tid, span=(turn["content_start"], turn["end"]))
        project.write_memo("anna", "over de code", code_row_id=project.resolve_code("flexibility")["id"])
    assert run("pseudonyms", "add", "Sanne", "Lotte").exit_code == 0
    found = [json.loads(line) for line in run("memos", "list", "--json").output.splitlines()]
    assert sorted((m["kind"], m["turn"], m["code"], m["memo"]) for m in found) == sorted([
        ("code", "", "bronstein/flexibility", "over de code"),
        ("transcript", "", "", "over het hele gesprek"),
        ("turn", 6, "", "op de beurt"),
        ("coding", 4, "bronstein/interdependence", "Lotte zegt het ook")])
    out = tmp_path / "memos.md"
    assert run("memos", "export", "-o", str(out)).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "Sanne" not in text and all(m["memo"] in text for m in found)
