"""Every `jhs-qual` command the README shows in its examples, run as it stands, in order, on
the sample interviews: what a new user copies from the README must work. (The README's claims
had drifted from the commands; a command added to the README runs here without being asked.)

Only what cannot run in a test is left out, each with its reason (SKIPPED), and the few
commands that need work a later block shows (the consensus coder) run after that block."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from jhs_qual.cli import cli
from tests.conftest import SAMPLES

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "een lang wachtwoord"

SKIPPED = {  # the start of the command: why it does not run here
    "jhs-qual serve": "a server that runs until stopped (tests/test_serve_browser.py drives it in a browser)",
    "jhs-qual play": "plays a recording in real time (tests/test_listen.py plays it through mpv)",
}
AFTER_CONSENSUS = (  # these read the consensus coder, which the README builds a few blocks later
    "jhs-qual summary --by role --coder consensus", "jhs-qual joint ", "jhs-qual quotes --code professional_roles")


def readme_commands() -> list[tuple[str, str | None]]:
    """(command, what it reads on standard input) for each jhs-qual line of the README's code
    blocks, continuation lines joined and comments dropped."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"^```[a-z]*\n(.*?)^```", text, re.DOTALL | re.MULTILINE):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            words = shlex.split(line, comments=True)
            if "|" in words:  # echo "..." | jhs-qual ...
                left, right = words[:words.index("|")], words[words.index("|") + 1:]
                if left[:1] == ["echo"] and right[:1] == ["jhs-qual"]:
                    found.append((shlex.join(right), " ".join(left[1:]) + "\n"))
            elif words[:1] == ["jhs-qual"]:
                found.append((shlex.join(words), None))
    return found


def isjo_sheet(path: Path) -> None:
    """A questionnaire as the README imports it: a respondent column, the school type, the ISJO items."""
    from openpyxl import Workbook

    items = ["flexibility_1", "flexibility_2", *[f"interdependence_{i}" for i in range(1, 10)],
             *[f"new_activities_{i}" for i in range(1, 5)], *[f"reflection_{i}" for i in range(1, 9)]]
    book = Workbook()
    sheet = book.active
    sheet.append(["respondent", "school_type", *items])
    for n in range(12):
        sheet.append([f"r{n}", ("PO", "SO", "VO")[n % 3], *[(n + i) % 5 + 1 for i in range(len(items))]])
    book.save(path)


def test_every_readme_example_runs(tmp_path, monkeypatch):
    commands = readme_commands()
    assert len(commands) > 30
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("JHS_QUAL_PROJECT", "study.jhsq")
    monkeypatch.setenv("JHS_QUAL_CODER", "anna")
    shutil.copytree(SAMPLES, tmp_path / "interviews")
    shutil.move(tmp_path / "interviews" / "attributes.csv", tmp_path / "attributes.csv")
    shutil.copytree(ROOT / "codebooks", tmp_path / "codebooks")
    (tmp_path / "opnames").mkdir()
    (tmp_path / "opnames" / "po_leraar_de_linde.m4a").write_bytes(b"\x00\x00\x00\x18ftypM4A " + bytes(64))
    isjo_sheet(tmp_path / "isjo_2019.xlsx")
    runner = CliRunner()

    def jhs(command: str, stdin: str | None = None):
        argv = [str(Path(a).expanduser()) if a.startswith("~") else a for a in shlex.split(command)[1:]]
        result = runner.invoke(cli, argv, input=stdin, catch_exceptions=False)
        assert result.exit_code == 0, f"README: {command}\n{result.output}"
        return result

    def before(command: str) -> None:
        """What the README says happens between its examples (another coder at work, a file
        that came from elsewhere)."""
        if command == "jhs-qual compare --coders anna ben":
            for turn, code, coder in ((36, "interdependence", "ben"), (42, "flexibility", "anna"),
                                      (42, "flexibility", "ben"), (44, "flexibility", "anna"),
                                      (46, "collective_ownership", "ben"), (48, "collective_ownership", "anna"),
                                      (10, "new_activities", "ben"), (12, "pupil_sel", "anna")):
                jhs(f"jhs-qual code add po_leraar_de_linde {code} --turn {turn} --coder {coder}")
        elif command.startswith("jhs-qual codebook import supervisor.qdc"):
            jhs("jhs-qual codebook export pupil_topics -o supervisor.qdc")  # one codebook, from elsewhere
        elif command.startswith("jhs-qual import-qdpx colleague.qdpx"):
            shutil.copy(tmp_path / "study.qdpx", tmp_path / "colleague.qdpx")

    inits = [c for c, _ in commands if c.startswith("jhs-qual init study.jhsq")]
    for other in inits[1:]:  # the README's alternative starts: each works, in a folder of its own
        folder = tmp_path / "alternative"
        folder.mkdir()
        monkeypatch.chdir(folder)
        jhs(other)
        monkeypatch.chdir(tmp_path)
        shutil.rmtree(folder)
    later, ran, skipped = [], [], set()
    for command, stdin in commands:
        if command in inits[1:]:
            continue
        reason = next((start for start in SKIPPED if command.startswith(start)), None)
        if reason:
            skipped.add(reason)
            continue
        if command.startswith(AFTER_CONSENSUS):
            later.append((command, stdin))
            continue
        if command.startswith("jhs-qual users add"):
            command, stdin = command + " --password-stdin", PASSWORD + "\n"
        before(command)
        jhs(command, stdin)
        ran.append(command)
        if command.startswith("jhs-qual consensus --into consensus --list"):
            for waiting, waiting_stdin in later:
                jhs(waiting, waiting_stdin)
                ran.append(waiting)
            later = []
    assert later == [] and skipped == set(SKIPPED)
    for written in ("codings.csv", "summary.html", "joint.html", "rollen.docx", "agreement.xlsx", "anna.jhsq",
                    "team.qdc", "codebooks/supervisor.yaml", "study.qdpx", "for-nvivo.qdpx", "windows.qdpx"):
        assert (tmp_path / written).is_file(), written
    assert len(ran) == len(commands) - len(inits[1:]) - sum(c.startswith(tuple(SKIPPED)) for c, _ in commands)


@pytest.mark.parametrize("line, expected", [
    ('jhs-qual summary --by school_type                       # in the terminal', "jhs-qual summary --by school_type"),
    ('echo "Goed." | \\\n  jhs-qual suggest-text --json', "jhs-qual suggest-text --json"),
])
def test_readme_commands_are_read_as_a_shell_would(line, expected, monkeypatch):
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: f"```bash\n{line}\n```\n")
    assert [c for c, _ in readme_commands()] == [expected]
