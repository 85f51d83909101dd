"""The hostile battery's cases: every file in `../shared/reference-data/hostile/` given to
the command that reads it, and the large and special inputs its README asks to build.

Each case says what must come of it:
- "refused": exit 2, one line on stderr naming the input, the project unchanged;
- "ok": exit 0, the input is odd but valid (what is odd is reported, nothing altered silently);
- "refused-or-ok": either of those, when both readings are defensible (one still holds:
  no internal error, one line when refused, nothing changed when refused).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT

HOSTILE = ROOT.parent / "shared" / "reference-data" / "hostile"


@dataclass
class Case:
    id: str
    argv: list[str]
    expect: str = "refused"
    names: str | None = None  # what the refusal must name (a file name); None: the input's name
    stdin: str | None = None
    project: str | None = "coded"  # which base project the run gets a copy of: "coded", "empty" or None
    contains: str | None = None  # what standard error must say
    secret: str | None = None  # what nothing the run prints may hold (a file's content it must not disclose)
    partial: bool = False  # several inputs: the good ones are stored although one is refused


# Reference files that are odd but valid: they must import (with what is odd reported).
VALID = {
    "tx": {"UPPER.TXT", "-dash.txt", "bidi.txt", "colons.txt", "cp1252.txt", "cr_only.txt",
           "crlf.txt", "emoji_astral.txt", "html.txt", "labels_only.txt", "line\nbreak.txt", "md_fm.md",
           "mixed_eol.txt", "naam_ëü_日本_😀.txt", "name %#?&;$(x).txt", "nfd.txt", "nul_early.txt", "nul_late.txt",
           "ok.docx", "esc[31mred.txt", "controls.txt", "utf16be_bom.txt", "utf16le_bom.txt",
           "utf32_bom.txt", "docx_table.docx", "docx_merged.docx", "mid_seps.txt",
           "unicode_seps.txt", "fm_formula.txt", "srt_tags.srt", "vtt_crlf_bom.vtt", "vtt_cp1252.vtt",
           "json_speaker_longest.json", "tsv_tabs.tsv", "srt_noblank.srt",
           "mixed_utf8_cp1252.txt", "vtt_unclosed_v.vtt", "json_controls.json", "tsv_underscore.tsv"},
}


def reference_cases(scratch: Path) -> list[Case]:
    cases: list[Case] = []

    def add(kind: str, path: Path, argv: list[str], **extra) -> None:
        expect = "ok" if path.name in VALID.get(kind, ()) else extra.pop("expect", "refused-or-ok")
        cases.append(Case(f"{kind}/{path.name}", argv, expect=expect, **extra))

    for path in sorted((HOSTILE / "tx").iterdir()):
        add("tx", path, ["import", str(path), "--project", "{project}"])
        add("tx-dry", path, ["import", "--dry-run", str(path), "--project", "{project}"])
    for path in sorted((HOSTILE / "rep").iterdir()):
        for each in sorted(path.iterdir()):
            cases.append(Case(f"rep/{path.name}/{each.name}", ["import", "--replace", str(each), "--project", "{project}"],
                              expect="refused-or-ok", names=each.name))
    for path in sorted((HOSTILE / "cb").glob("*.yaml")) + [HOSTILE / "cb_ctl2.yaml"]:
        add("cb", path, ["codebook", "check", str(path)], project=None)
        add("cb-load", path, ["codebook", "load", str(path), "--project", "{project}"])
    for path in sorted((HOSTILE / "csv").iterdir()):
        add("csv", path, ["import", str(ROOT / "transcripts_sample" / "po_leraar_de_linde.txt"),
                          "--attributes", str(path), "--project", "{project}"], project="empty")
    for path in sorted((HOSTILE / "ps").iterdir()):
        add("ps", path, ["pseudonyms", "import", str(path), "--project", "{project}"])
    for path in sorted((HOSTILE / "agree").iterdir()):
        add("agree", path, ["agreement-table", str(path)], project=None)
    for path in sorted((HOSTILE / "q").glob("*.qdpx")):
        add("q", path, ["import-qdpx", str(path), "--project", "{project}"])
    for path in sorted((HOSTILE / "q" / "qdc").iterdir()):
        add("qdc", path, ["codebook", "import", str(path), "-o", "-"], project=None)
    return cases


# --- inputs made here: the large and special ones, and the findings of the second round ---------------

MIB = 1024 * 1024
QDE_HEAD = ('<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="x">'
            '<Users><User guid="11111111-1111-1111-1111-111111111111" name="anna"/></Users>')
CODEBOOK = "id: hostile\ntitle: T\nlanguage: nl\ncodes:\n  - id: a\n    label_nl: A\n    label_en: A\n"


def _qdc(codes: str) -> str:
    return f'<?xml version="1.0"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>{codes}</Codes></CodeBook>'


def _sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as handle:
        handle.truncate(size)
    return path


def made_inputs(made: Path) -> None:
    """Write the inputs the built cases read (in `made`)."""
    made.mkdir(parents=True, exist_ok=True)
    for device in ("zero", "urandom"):
        for suffix in ("txt", "docx", "yaml", "csv", "qdpx"):
            os.symlink(f"/dev/{device}", made / f"{device}.{suffix}")
    os.mkfifo(made / "fifo.txt")
    os.mkfifo(made / "fifo.yaml")
    _sparse(made / "huge.txt", 400 * MIB)
    _sparse(made / "huge.csv", 300 * MIB)
    _sparse(made / "huge.yaml", 200 * MIB)
    (made / "bare").mkdir()
    _sparse(made / "bare" / "huge.qde", 300 * MIB)
    secret = made / "id_rsa"
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY----- s3cr3t\n", encoding="utf-8")
    for name, target in (("absolute", str(secret)), ("dotdot", "internal://../../../../../../../../etc/passwd"),
                         ("dotdot_secret", f"internal://../{secret.name}")):
        (made / "bare" / name).mkdir()
        (made / "bare" / name / "project.qde").write_text(
            QDE_HEAD + f'<Sources><TextSource guid="22222222-2222-2222-2222-222222222222" name="s" '
                       f'plainTextPath="{target}"/></Sources></Project>', encoding="utf-8")
    deep = '{"segments": ' + "[" * 100_000 + "]" * 100_000 + "}"
    (made / "folder").mkdir()
    (made / "folder" / "a_deep.json").write_text(deep, encoding="utf-8")
    (made / "folder" / "b_good.txt").write_text("Interviewer: Hoe gaat het?\nLeraar: Goed, dank je.\n", encoding="utf-8")
    segment = '{{"segments": [{{"start": {start}, "end": {end}, "text": "Leraar: ja"}}]}}'
    for name, start, end in (("inf", "1e400", "1"), ("nan", "NaN", "1"), ("infinity", "0", "Infinity"),
                             ("negative", "-5", "1"), ("bool", "true", "2"), ("hugeint", "9" * 400, "1")):
        (made / f"time_{name}.json").write_text(segment.format(start=start, end=end), encoding="utf-8")
    (made / "tsv_negative.tsv").write_text("start\tend\ttext\n-1000\t2000\tLeraar: ja\n", encoding="utf-8")
    (made / "clock.txt").write_text("Interviewer (00:10): Hoe?\nLeraar (99:99): Goed.\n", encoding="utf-8")
    (made / "noncharacters.txt").write_text("Interviewer: Hoe?\nLeraar: Goed \ufffe en \uffff.\n", encoding="utf-8")
    nested = "".join(f'<Code guid="g{i}" name="c{i}" isCodable="true">' for i in range(3000)) + "</Code>" * 3000
    (made / "deep_codes.qdc").write_text(_qdc(nested), encoding="utf-8")
    (made / "deep_description.qdc").write_text(_qdc(
        '<Code guid="a" name="a" isCodable="true"><Description>' + "<b>" * 5000 + "</b>" * 5000
        + "</Description></Code>"), encoding="utf-8")
    (made / "deep_data_line.qdc").write_text(_qdc(
        '<Code guid="a" name="a" isCodable="true"><Description>text\n[jhs-qual] ' + "[" * 50_000 + "]" * 50_000
        + "</Description></Code>"), encoding="utf-8")
    (made / "yaml_nul.yaml").write_bytes(CODEBOOK.encode() + b"\x00\n")
    (made / "yaml_utf16.yaml").write_bytes(CODEBOOK.encode("utf-16-le"))
    (made / "stdin_cp1252.txt").write_bytes("caf\u00e9 samenwerking\n".encode("cp1252"))
    (made / "stdin_utf16.txt").write_bytes("samenwerking met de jeugdhulp\n".encode("utf-16"))
    (made / "stdin_binary.txt").write_bytes(bytes(range(256)) * 8)
    (made / "long").mkdir()


def built_cases(made: Path, damaged: dict[str, Path]) -> list[Case]:
    """The special inputs, each with what must come of it."""
    m = str(made)
    cases = []
    for device in ("zero", "urandom"):
        for suffix, argv in (("txt", ["import"]), ("docx", ["import"]), ("yaml", ["codebook", "check"]),
                             ("yaml", ["pseudonyms", "import"]), ("csv", ["agreement-table"]),
                             ("qdpx", ["import-qdpx"])):
            project = None if argv[0] in ("agreement-table",) or argv[:2] == ["codebook", "check"] else "coded"
            cases.append(Case(f"made/{device}.{suffix}:{argv[-1]}", [*argv, f"{m}/{device}.{suffix}"]
                              + (["--project", "{project}"] if project else []), project=project,
                              contains="larger than"))
    cases += [
        Case("made/fifo.txt", ["import", f"{m}/fifo.txt", "--project", "{project}"], contains="empty file"),
        Case("made/fifo.yaml", ["codebook", "check", f"{m}/fifo.yaml"], project=None),
        Case("made/huge.txt", ["import", f"{m}/huge.txt", "--project", "{project}"], contains="larger than 64 MiB"),
        Case("made/huge.csv", ["import", str(ROOT / "transcripts_sample" / "po_leraar_de_linde.txt"),
                               "--attributes", f"{m}/huge.csv", "--project", "{project}"], project="empty",
             contains="larger than"),
        Case("made/huge.yaml", ["codebook", "load", f"{m}/huge.yaml", "--project", "{project}"],
             contains="larger than 16 MiB"),
        Case("made/huge.qde", ["import-qdpx", f"{m}/bare/huge.qde", "--project", "{project}"],
             contains="larger than"),
        Case("made/full disk", ["quotes", "--format", "md", "-o", "/dev/full", "--project", "{project}"],
             names="/dev/full", contains="No space left on device"),
        Case("made/long file name", ["quotes", "-o", f"{m}/long/{'q' * 251}.md", "--project", "{project}"],
             expect="ok"),
        Case("made/export-coder onto the project", ["export-coder", "anna", "--force", "-o", "{project}",
                                                    "--project", "{project}"], names="p.jhsq",
             contains="is the project file"),
        Case("made/export-coder onto ./project", ["export-coder", "anna", "--force", "-o", "./p.jhsq",
                                                  "--project", "{project}"], names="p.jhsq",
             contains="is the project file"),
        Case("made/merge into itself", ["merge", "{project}", "--project", "{project}"], names="p.jhsq"),
        Case("made/bare .qde, absolute source", ["import-qdpx", f"{m}/bare/absolute/project.qde",
                                                 "--project", "{project}"], names="project.qde",
             contains="outside the project's folder", secret="s3cr3t"),
        Case("made/bare .qde, ../etc/passwd", ["import-qdpx", f"{m}/bare/dotdot/project.qde", "--project", "{project}"],
             names="project.qde", contains="outside the project's folder", secret="root:"),
        Case("made/bare .qde, ../secret", ["import-qdpx", f"{m}/bare/dotdot_secret/project.qde",
                                           "--project", "{project}"], names="project.qde",
             contains="outside the project's folder", secret="s3cr3t"),
        Case("made/folder with a 100k-deep JSON", ["import", f"{m}/folder", "--project", "{project}"],
             names="a_deep.json", contains="nested more than", partial=True),
        Case("made/tsv_negative.tsv", ["import", f"{m}/tsv_negative.tsv", "--project", "{project}"],
             contains="out of range"),
        Case("made/clock.txt", ["import", f"{m}/clock.txt", "--project", "{project}"], contains="is not a time"),
        Case("made/noncharacters.txt", ["import", f"{m}/noncharacters.txt", "--project", "{project}"], expect="ok",
             contains="replaced by"),
        Case("made/yaml_nul.yaml", ["codebook", "check", f"{m}/yaml_nul.yaml"], project=None,
             contains="a character YAML does not allow"),
        Case("made/yaml_utf16.yaml", ["codebook", "load", f"{m}/yaml_utf16.yaml", "--project", "{project}"]),
        Case("made/stdin cp1252", ["suggest-text", "--codebook", "bronstein"], project=None,
             stdin=f"{m}/stdin_cp1252.txt", expect="ok", contains="Windows-1252"),
        Case("made/stdin utf16", ["suggest-text", "--codebook", "bronstein"], project=None,
             stdin=f"{m}/stdin_utf16.txt", expect="ok"),
        Case("made/stdin binary", ["suggest-text", "--codebook", "bronstein"], project=None,
             stdin=f"{m}/stdin_binary.txt", names="standard input"),
        Case("made/--turn 10**26", ["code", "add", "po_leraar_de_linde", "interdependence", "--turn", "9" * 26,
                                    "--coder", "anna", "--project", "{project}"], names="--turn"),
        Case("made/--threshold nan", ["compare", "anna", "anna", "--threshold", "nan", "--project", "{project}"],
             names="--threshold"),
        Case("made/--min-score inf", ["suggest", "po_leraar_de_linde", "--min-score", "inf",
                                      "--project", "{project}"], names="--min-score"),
        Case("made/pseudonym self", ["pseudonyms", "add", "Sanne", "Sanne", "--project", "{project}"], names="Sanne"),
        Case("made/pseudonym fullwidth self", ["pseudonyms", "add", "Sanne", "\uff33\uff41\uff4e\uff4e\uff45",
                                               "--project", "{project}"], names="Sanne"),
    ]
    for name in ("inf", "nan", "infinity", "negative", "bool", "hugeint"):
        cases.append(Case(f"made/time_{name}.json", ["import", f"{m}/time_{name}.json", "--project", "{project}"]))
    for name in ("deep_codes", "deep_description", "deep_data_line"):
        cases.append(Case(f"made/{name}.qdc", ["codebook", "import", f"{m}/{name}.qdc", "-o", "-"], project=None,
                          contains="nested more than"))
    for what, path in damaged.items():
        cases.append(Case(f"made/merge of a file with {what}", ["merge", str(path), "--project", "{project}"],
                          names=path.name, contains="damaged"))
    return cases
