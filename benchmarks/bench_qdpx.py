"""`jhs-qual export-qdpx` and `jhs-qual import-qdpx` (of that export, into a new project) at
two sizes, each beside its limit.

Limits:
- export: the same archive's entries (project.qde and every source) written again,
  deflated, into a new zip: what any exporter must at least do;
- import: unzip the same archive, parse project.qde, and insert the sources' texts and
  the selections into a fresh SQLite file in one transaction.

    .venv/bin/python benchmarks/bench_qdpx.py [export|import] [--sizes 200 1000] [--runs 3] [--keep DIR]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import JHS, coded_project, compare_at_sizes, python  # noqa: E402

EXPORT_LIMIT = """
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as source, zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED) as out:
    for name in source.namelist():
        out.writestr(name, source.read(name))
"""

IMPORT_LIMIT = """
import os, sqlite3, sys, zipfile
from xml.etree import ElementTree as ET
NS = "{urn:QDA-XML:project:1.0}"
if os.path.exists(sys.argv[2]):
    os.remove(sys.argv[2])
db = sqlite3.connect(sys.argv[2])
db.execute("CREATE TABLE sources (id INTEGER PRIMARY KEY, guid TEXT, name TEXT, text TEXT)")
db.execute("CREATE TABLE selections (source INTEGER, start INTEGER, end INTEGER, code TEXT, user TEXT)")
with zipfile.ZipFile(sys.argv[1]) as archive, db:
    root = ET.fromstring(archive.read("project.qde"))
    for source in root.iter(NS + "TextSource"):
        guid = source.get("guid")
        text = archive.read(f"sources/{guid}.txt").decode("utf-8").replace("\\r\\n", "\\n")
        sid = db.execute("INSERT INTO sources(guid, name, text) VALUES (?, ?, ?)",
                         [guid, source.get("name"), text]).lastrowid
        db.executemany("INSERT INTO selections VALUES (?, ?, ?, ?, ?)", [
            (sid, int(s.get("startPosition")), int(s.get("endPosition")),
             s.find(NS + "Coding/" + NS + "CodeRef").get("targetGUID"), s.get("creatingUser"))
            for s in source.iter(NS + "PlainTextSelection")])
"""


def exported(folder: Path, size: int) -> None:
    subprocess.run([JHS, "export-qdpx", "-o", str(folder / f"export{size}.qdpx"), "--force",
                    "--project", str(coded_project(folder, size))], check=True, capture_output=True)


def fresh(folder: Path, size: int) -> list[str]:
    """import-qdpx into a new project each run (a small shell step, also in the time: ~0.3 s)."""
    project = folder / f"imported{size}.jhsq"
    return ["sh", "-c", f'rm -f "{project}" && "{JHS}" init "{project}" >/dev/null && '
                        f'"{JHS}" import-qdpx "{folder / f"export{size}.qdpx"}" --project "{project}"']


def main() -> None:
    which = sys.argv.pop(1) if len(sys.argv) > 1 and sys.argv[1] in ("export", "import") else "export"
    if which == "export":
        compare_at_sizes(
            "export-qdpx of a coded project",
            lambda folder, n: [JHS, "export-qdpx", "-o", str(folder / f"again{n}.qdpx"), "--force",
                               "--project", str(folder / f"coded{n}.jhsq")],
            lambda folder, n: python(EXPORT_LIMIT, str(folder / f"export{n}.qdpx"), str(folder / f"limit{n}.qdpx")),
            "the same archive's entries written again, deflated, into a new zip", prepare=exported)
    else:
        compare_at_sizes(
            "import-qdpx of jhs-qual's own export, into a new project",
            fresh,
            lambda folder, n: python(IMPORT_LIMIT, str(folder / f"export{n}.qdpx"), str(folder / f"limit{n}.db")),
            "unzip, parse project.qde, insert the texts and selections into a fresh SQLite file", prepare=exported)


if __name__ == "__main__":
    main()
