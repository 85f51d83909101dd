"""Smoke test of an installed jhs-qual (the wheel, not the source tree): what a user runs first.

Run with the Python of a fresh virtualenv that has only the wheel installed, from
outside the repository: init with the shipped codebooks by name, import the
sample transcripts, suggest, a quote sheet, and the workbench started (its
stylesheet and screens load from the package), a turn coded and quit.

    python .ci/smoke.py REPO_ROOT
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

root = Path(sys.argv[1]).resolve()
jhs = str(Path(sys.executable).with_name("jhs-qual"))
work = Path(tempfile.mkdtemp(prefix="jhs-smoke-"))
os.environ["XDG_CONFIG_HOME"] = str(work / "config")
os.chdir(work)


def run(*args: str) -> str:
    result = subprocess.run([jhs, *args], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"smoke: jhs-qual {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


import jhs_qual  # noqa: E402

assert "site-packages" in jhs_qual.__file__, f"not the installed package: {jhs_qual.__file__}"
run("init", "p.jhsq", "--codebook", "bronstein", "--codebook", "professional_topics", "--codebook", "pupil_topics")
samples = root / "transcripts_sample"
print(run("import", str(samples), "--attributes", str(samples / "attributes.csv"), "--project", "p.jhsq").strip())
out = run("suggest", "so_jeugdhulpverlener_de_horizon", "--project", "p.jhsq")
assert "bronstein/" in out and "pupil_topics/" not in out, out
run("code", "add", "so_jeugdhulpverlener_de_horizon", "flexibility", "--turn", "16", "--coder", "anna",
    "--project", "p.jhsq")
run("quotes", "-o", "q.docx", "--project", "p.jhsq")
assert (work / "q.docx").stat().st_size > 10_000 and oct((work / "q.docx").stat().st_mode)[-3:] == "600"

if shutil.which("mpv"):  # the recording of a turn, played to a null output by the installed package
    import struct
    import wave

    with wave.open(str(work / "horizon.wav"), "wb") as recording:
        recording.setnchannels(1)
        recording.setsampwidth(2)
        recording.setframerate(8000)
        recording.writeframes(struct.pack("<h", 0) * 8000 * 20)
    run("media", "link", "so_leerlingen_de_horizon", "horizon.wav", "--project", "p.jhsq")
    os.environ["JHS_QUAL_AUDIO_OUTPUT"] = "null"
    out = run("play", "so_leerlingen_de_horizon", "--turn", "1", "--speed", "2", "--project", "p.jhsq")
    heard = re.search(r"played 0:(\d+\.\d)–0:(\d+\.\d) \(mpv\)", out)  # mpv's own positions, polled
    assert heard and abs(float(heard[1]) - 3.0) <= 0.3 and abs(float(heard[2]) - 15.2) <= 0.3, out


async def workbench() -> None:
    from jhs_qual.config import Config
    from jhs_qual.store import Project
    from jhs_qual.tui.app import JhsApp

    project = Project.open(work / "p.jhsq")
    tid = project.transcript("so_jeugdhulpverlener_de_horizon")["id"]
    app = JhsApp(project, coder="smoke", config=Config(path=work / "config.toml"), open_transcript=(tid, None))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert type(app.screen).__name__ == "CodingScreen", app.screen
        await pilot.press("f", "ctrl+q")
    with Project.open(work / "p.jhsq") as check:
        assert check.transcript_codings(tid, "smoke"), "the workbench stored nothing"


asyncio.run(workbench())

# the browser workbench is an extra: without it, one line that says how to get it
bare = subprocess.run([jhs, "serve", "--project", "p.jhsq"], capture_output=True, text=True)
assert bare.returncode == 2 and "pip install 'jhs_qual[serve]'" in bare.stderr, bare.stderr
wheel = next((root / "dist").glob("jhs_qual-*.whl"))
subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", f"{wheel}[serve]"], check=True)
subprocess.run([jhs, "users", "add", "smoke", "--password-stdin", "--project", "p.jhsq"], input="smoke-wachtwoord\n",
               text=True, check=True, capture_output=True)
server = subprocess.Popen([jhs, "serve", "--port", "0", "--project", "p.jhsq"], stdout=subprocess.PIPE, text=True)
try:
    url = re.search(r"(http://\S+/) ", server.stdout.readline())[1]
    from urllib.request import urlopen

    for path, needle in (("login", 'name="csrf"'), ("static/jhs/jhs.css", "Roboto Mono"),
                         ("static/textual/fonts/RobotoMono-VariableFont_wght.ttf", "")):
        with urlopen(url + path) as answer:  # templates, our static files and the font come from the packages
            assert answer.status == 200 and needle in answer.read().decode("latin-1"), path
finally:
    server.terminate()
    server.wait(20)
print(f"smoke: the installed wheel works ({jhs_qual.__file__}), and its browser workbench serves")
