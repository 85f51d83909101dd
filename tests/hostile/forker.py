"""Run many `jhs-qual` commands quickly, each in a process of its own under a memory cap.

`python -m tests.hostile.forker CASES.json RESULTS.json` imports the CLI once, then
forks one child per case: the child copies the base project (when the case has one),
sets its address-space limit and an alarm, points its standard streams at files and
runs `jhs_qual.cli.main()` with the case's arguments, exactly as `jhs-qual` would.
The parent records the exit code, both streams, the child's peak resident memory
(`wait4`), and the project's state before and after (integrity check and row counts).

A case is `{"id", "argv", "cwd", "project" (base file to copy to cwd/p.jhsq, or null),
"stdin" (a file, or null)}`; `{project}` in argv is the copy's path.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sqlite3
import sys
from pathlib import Path

TABLES = ("transcripts", "turns", "codings", "codes", "memos", "settings", "attributes", "pseudonyms")
LIMIT = 1024 ** 3  # what a run may add to the address space the parent already has
TIMEOUT = 90


def state(path: Path):
    if not path.exists():
        return None
    conn = sqlite3.connect(path)
    try:
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES if t in names}
        text = conn.execute("SELECT group_concat(sha256) FROM (SELECT sha256 FROM transcripts ORDER BY id)").fetchone()[0]
    finally:
        conn.close()
    return {"integrity": ok, "counts": counts, "texts": text}


def address_space() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def child(case: dict, project: Path | None, out: Path, err: Path) -> None:
    from jhs_qual.cli import main

    code = 1
    try:
        os.chdir(case["cwd"])
        stdin = os.open(case["stdin"] or os.devnull, os.O_RDONLY)
        os.dup2(stdin, 0)
        os.dup2(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 1)
        os.dup2(os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
        os.environ["XDG_STATE_HOME"] = str(Path(case["cwd"]) / "state")
        os.environ.pop("JHS_QUAL_PROJECT", None)
        limit = address_space() + LIMIT
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        signal.alarm(TIMEOUT)
        sys.argv = ["jhs-qual", *(a.replace("{project}", str(project)) for a in case["argv"])]
        main()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BaseException:  # noqa: BLE001 - whatever escaped main() is reported as 99, never hidden
        code = 99
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(code)


def run(number: int, case: dict, folder: Path) -> dict:
    cwd = Path(case["cwd"])
    cwd.mkdir(parents=True, exist_ok=True)
    project = None
    if case.get("project"):
        project = cwd / "p.jhsq"
        shutil.copyfile(case["project"], project)
    before = state(project) if project else None
    out, err = folder / f"{number}.out", folder / f"{number}.err"
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        child(case, project, out, err)
    _, status, usage = os.wait4(pid, 0)
    signalled = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    return {
        "id": case["id"], "argv": case["argv"],
        "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "signal": signal.Signals(signalled).name if signalled else None,
        "stdout": out.read_text(encoding="utf-8", errors="replace"),
        "stderr": err.read_text(encoding="utf-8", errors="replace"),
        "peak_mib": usage.ru_maxrss / 1024,
        "before": before, "after": state(project) if project else None,
    }


def main(cases_file: str, results_file: str) -> None:
    from jhs_qual.cli.base import load_commands

    load_commands()  # imported once here, shared by every child
    import jhs_qual.ingest.readers  # noqa: F401
    import jhs_qual.refi.project  # noqa: F401
    import jhs_qual.store.project  # noqa: F401

    cases = json.loads(Path(cases_file).read_text(encoding="utf-8"))
    folder = Path(results_file).parent / "streams"
    folder.mkdir(exist_ok=True)
    results = [run(number, case, folder) for number, case in enumerate(cases)]
    Path(results_file).write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:3])
