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
from dataclasses import dataclass, field
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
    notes: list[str] = field(default_factory=list)


# Reference files that are odd but valid: they must import (with what is odd reported).
VALID = {
    "tx": {"UPPER.TXT", "-dash.txt", "bidi.txt", "colons.txt", "cp1252.txt", "cp1252_undef.txt", "cr_only.txt",
           "crlf.txt", "emoji_astral.txt", "html.txt", "labels_only.txt", "line\nbreak.txt", "md_fm.md",
           "mixed_eol.txt", "naam_ëü_日本_😀.txt", "name %#?&;$(x).txt", "nfd.txt", "nul_early.txt", "nul_late.txt",
           "ok.docx", "spaces.txt", "esc[31mred.txt", "controls.txt", "utf16be_bom.txt", "utf16le_bom.txt",
           "utf32_bom.txt", "docx_text.docx", "docx_table.docx", "docx_merged.docx", "mid_seps.txt",
           "unicode_seps.txt", "fm_formula.txt", "srt_tags.srt", "vtt_crlf_bom.vtt", "vtt_cp1252.vtt",
           "json_dupkeys.json", "json_speaker_longest.json", "tsv_tabs.tsv", "srt_noblank.srt",
           "mixed_utf8_cp1252.txt", "utf8_bom_then_cp1252.txt", "fm_tab.txt", "vtt_unclosed_v.vtt",
           "json_controls.json", "json_whitespace_text.json", "tsv_underscore.tsv"},
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
            add("rep", each, ["import", "--replace", str(each), "--project", "{project}"])
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
