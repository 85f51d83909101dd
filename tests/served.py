"""Running `jhs-qual serve` for the tests and the benchmark: a project with two coders who can
sign in, the server as its own process on a free port, and what it runs."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORDS = {"anna": "wachtwoord-van-anna", "bram": "bram zijn wachtwoord"}
TRANSCRIPT = ROOT / "transcripts_sample" / "po_leraar_de_linde.txt"
CHROMIUM = os.environ.get("JHS_QUAL_CHROMIUM", "/usr/bin/chromium")
# as the machine's notes advise: no first-run work, no calls to Google's services
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def jhs(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jhs_qual", *args], input=input, capture_output=True, text=True)


def make_project(folder: Path, transcripts: tuple[Path, ...] = (TRANSCRIPT,)) -> Path:
    """A project with the Bronstein codebook, `transcripts`, and anna and bram as coders."""
    path = folder / "team.jhsq"
    for args in (["init", str(path), "--codebook", "bronstein"],
                 ["import", "--project", str(path), *map(str, transcripts)]):
        done = jhs(*args)
        assert done.returncode == 0, done.stderr
    for name, password in PASSWORDS.items():
        done = jhs("users", "add", name, "--password-stdin", "--project", str(path), input=password + "\n")
        assert done.returncode == 0, done.stderr
    return path


@dataclass
class Served:
    url: str
    process: subprocess.Popen

    def workbenches(self) -> list[int]:
        """The pids of the workbench processes the server runs now."""
        pid = self.process.pid
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@contextmanager
def serving(project_path: Path, *args: str) -> Iterator[Served]:
    process = subprocess.Popen([sys.executable, "-m", "jhs_qual", "serve", "--project", str(project_path),
                                "--port", "0", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    found = re.search(r"(http://[^\s,]+/)", line)  # where it listens (after an https public address)
    if not found:
        process.kill()
        raise AssertionError(f"serve did not start: {line}{process.stderr.read()}")
    try:
        yield Served(found.group(1), process)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise


def codings(project_path: Path) -> list[tuple[str, str, int]]:
    """(coder, code id, turn number) of every coding in the project."""
    import sqlite3

    with sqlite3.connect(project_path) as db:
        return db.execute(
            "SELECT coders.name, codes.code_id, turns.idx + 1 FROM codings JOIN coders ON coders.id = coder_id"
            " JOIN codes ON codes.id = codings.code_id JOIN turns ON turns.transcript_id = codings.transcript_id"
            " AND codings.start >= turns.start AND codings.start < turns.end ORDER BY codings.id").fetchall()
